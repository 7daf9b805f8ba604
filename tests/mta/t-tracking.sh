#!/bin/bash
# t-tracking.sh - notifilter's tagging, delivery reports and trace, proved
# end to end inside a real Postfix (TAP).
#
# One throwaway Postfix (own config, queue and log under a mktemp dir), one
# notifilter (unix socket; smtpd_milters and non_smtpd_milters) with
# BounceDomain, SecretFile, RequestDSN yes and MailLog = Postfix's
# maillog_file.  Next hops (transport map, ../shared/recipes §2.4):
#   everything else        smtp-sink "sink", speaks DSN         SINK_PORT
#   nodsn.example.test     smtp-sink -N "nsink", no DSN in EHLO SINK_PORT+1
#   reject.example.test    smtp-sink that 550s every RCPT       SINK_PORT+2
#   bounces.example.test   pipe(8) -> tests/mta/bounce-intake.sh, which
#                          saves each DSN (ingest: next milestone)
# internal_mail_filter_classes = bounce, so Postfix's own DSNs pass the
# milter too: they have a null sender and must come out untouched.
#
# Every message is sent first, then the suite waits (bounded) for the
# queue to empty and the DSNs to arrive, then checks.  What Postfix does
# with success reports over a hop without DSN is asserted as observed and
# printed as "# DSN observed:" comments.  Observed with Postfix 3.7.11
# (as ../shared/recipes §3.4 says): a NOTIFY=SUCCESS that only the milter
# added (smfi_addrcpt_par) gives NO success DSN when a non-DSN hop accepts;
# when the client itself asked NOTIFY=SUCCESS for one recipient, Postfix
# sends one DSN ("relayed", 2.0.0) covering that recipient and its
# milter-only neighbour, to the VERP address, through the pipe.  A hop
# that speaks DSN gets NOTIFY/ORCPT and Postfix reports nothing itself.
# So for most real mailbox providers (no DSN) only MailLog tells of the
# delivery; the suite checks that trace shows it for such a recipient.
#
# env: SMTPD_PORT (10345) SINK_PORT (first of 3, default 10355), KEEP=1
#      keeps the work dir (also kept when a test fails), NOTIFILTER /
#      NOTIFILTERCTL (default: the build tree's).
# Skips (1..0 # SKIP) when Postfix, its tools, python3 or the programs are
# missing, or when not run as root.
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

PORT=${SMTPD_PORT:-10345}
SINK=${SINK_PORT:-10355}
NSINK=$((SINK + 1)) RSINK=$((SINK + 2))
APP=app@notify.example.test		# notification traffic (Senders)
OTHER=someone@other.example.test	# not notification traffic
DEST=dest.example.test
BD=bounces.example.test
VERP_RE="^X-Mail-Args: <bounce\+([A-Za-z0-9]+)@$BD>"
CTRL_RE='^x-notifilter-(category|fallback-text|phone):'

miss=$(nf_missing_tools)
[ -z "$miss" ] || t_skip_all "missing:$miss (apt-get install postfix python3)"
[ -x "$NOTIFILTER" ] || t_skip_all "$NOTIFILTER not built (make notifilter)"
[ -x "$NOTIFILTERCTL" ] || t_skip_all "$NOTIFILTERCTL not built (make notifilterctl)"
[ "$(id -u)" = 0 ] || t_skip_all "a throwaway Postfix instance needs root"

T0=$(nf_now)
nf_ports_free "$PORT" "$SINK" "$NSINK" "$RSINK" || t_bail "ports busy: set SMTPD_PORT / SINK_PORT"
nf_init tracking
PF=$NF_D/pf
RUN=$NF_D/run
DB=$NF_D/store.db
CONF=$NF_D/notifilter.conf
mkdir -p "$RUN" && chmod 755 "$RUN"

# ---- configuration --------------------------------------------------------

head -c 32 /dev/urandom >"$NF_D/secret" && chmod 600 "$NF_D/secret"
cat >"$CONF" <<EOF
# t-tracking.sh
Socket unix:$RUN/nf.sock
UMask 000
PidFile $RUN/nf.pid
Database $DB
Senders $APP
BounceDomain $BD
SecretFile $NF_D/secret
RequestDSN yes
MailLog $PF/log/maillog
SyslogFacility none
LogLevel debug
EOF
printf '%s\n' "email,name,consent_email" "granted@$DEST,Grace Granted,yes" \
	"revoked@$DEST,Rob Revoked,no" >"$NF_D/contacts.csv"
t_check "contact import" nf_ctl -c "$CONF" contact import "$NF_D/contacts.csv"

# ---- processes ------------------------------------------------------------

sink_start sink "$SINK" || t_bail "smtp-sink did not start on $SINK"
sink_start nsink "$NSINK" -N || t_bail "smtp-sink -N did not start on $NSINK"
sink_start rsink "$RSINK" -f rcpt -B "550 5.1.1 Recipient address rejected: User unknown" ||
	t_bail "rejecting smtp-sink did not start on $RSINK"
intake_setup intake || t_bail "cannot set up the bounce intake in $NF_D"
cat >"$NF_D/transport" <<EOF
$BD bounceintake:
nodsn.example.test smtp:[127.0.0.1]:$NSINK
reject.example.test smtp:[127.0.0.1]:$RSINK
EOF
PF_LISTENERS=$PORT PF_SINK_PORT=$SINK
PF_SMTPD_MILTERS=unix:$RUN/nf.sock PF_NONSMTPD_MILTERS=unix:$RUN/nf.sock
PF_MAIN_EXTRA="transport_maps = texthash:$NF_D/transport
relay_domains = $BD
internal_mail_filter_classes = bounce"
PF_MASTER_EXTRA=$(pf_intake_service bounceintake)
pf_create "$PF" || t_bail "could not write the Postfix config in $PF"
# Postfix first: its maillog_file must exist for MailLog to follow it
pf_start "$PF" || t_bail "Postfix did not start (log: $PF/log/maillog)"
nf_wait 5 test -s "$PF/log/maillog"
nf_daemon_start nf "$CONF" || t_bail "notifilter did not start (log: $NF_D/nf.log)"
echo "# setup: $(nf_since "$T0") s"

# ---- helpers --------------------------------------------------------------

reply() { sed -n "s/^RCPT $2 //p" <<<"$1"; }
# one dump file of sink NAME whose Subject line is exactly SUBJ
msgfile() { grep -lxF -- "Subject: $2" "$NF_D/$1"/msg.* 2>/dev/null | head -1; }
# token of the VERP envelope sender in a dump file, or ""
verp_token() { [ -n "$1" ] && sed -En "s/$VERP_RE.*/\1/p" "$1" | head -1; }
# the header block (up to the first empty line) of a dump file
hdrs() { [ -n "$1" ] && sed '/^\r\{0,1\}$/q' "$1"; }
# value of the X-Notifilter-ID header(s) in a file's header block
nfid() { hdrs "$1" | sed -n 's/^X-Notifilter-ID:[[:space:]]*//p' | tr -d '\r'; }
nctrl() { hdrs "$1" | grep -ciE "$CTRL_RE"; }
# X-Rcpt-Args line for ADDRESS in FILE
rcptargs() { grep -i "^X-Rcpt-Args: <$2>" "$1" 2>/dev/null | head -1 | tr -d '\r'; }
# does the X-Rcpt-Args line ask for all three reports, with ORCPT?
dsn_asked() { # file address
	local l
	l=$(rcptargs "$1" "$2")
	[[ ${l^^} =~ NOTIFY=SUCCESS,FAILURE,DELAY ]] && [[ ${l^^} =~ ORCPT=RFC822\;${2^^} ]]
}
# intake.log lines for the VERP address of TOKEN (case-free)
intake_for() { grep -iF "rcpt=<bounce+$1@$BD>" "$INTAKE_DIR/intake.log" 2>/dev/null; }
intake_file_for() { intake_for "$1" | sed -n 's/.* file=\(.*\)$/\1/p'; }
# DSN fields of recipient ADDRESS in a saved DSN: "Action Status"
dsn_of() { # file address
	awk -v a="${2,,}" 'BEGIN { IGNORECASE = 1 }
		/^Final-Recipient:/ { cur = tolower($0); sub(/\r$/, "", cur); hit = (cur ~ ("; *" a "$")) }
		/^Action:/ && hit { act = $2 }
		/^Status:/ && hit { st = $2; print act, st; hit = 0 }' "$1" | tr -d '\r' | head -1
}

# Headers every notification carries: three control headers, two of them
# twice (one copy in lower case), so that "every copy" is tested.
CTRL_HDRS=(-H 'X-Notifilter-Category: order-shipped'
	-H 'X-Notifilter-Category: duplicate-category'
	-H 'X-Notifilter-Fallback-Text: Your parcel 4711 is on its way'
	-H 'x-notifilter-fallback-text: second copy'
	-H 'X-Notifilter-Phone: +4915112345678')

# ==== send everything ========================================================

T1=$(nf_now)
# A: SMTP notification, consented + unknown recipient, DSN-capable hop
outA=$(smtpc -s trk-a "${CTRL_HDRS[@]}" -H 'Message-ID: <a.1@notify.example.test>' \
	"$PORT" "$APP" "granted@$DEST" "a2@$DEST")
# A2: a second notification (its token must differ)
outA2=$(smtpc -s trk-a2 "$PORT" "$APP" "a3@$DEST")
# B: not notification traffic, with control headers
outB=$(smtpc -s trk-b "${CTRL_HDRS[@]}" "$PORT" "$OTHER" "b1@$DEST")
# C: null sender (a bounce from elsewhere), with a control header
outC=$(smtpc -s trk-c -H 'X-Notifilter-Category: bounce-test' "$PORT" '<>' "c1@$DEST")
# D: notification through /usr/sbin/sendmail
printf '%s\n' "From: $APP" "To: d1@$DEST" "Subject: trk-d" \
	"X-Notifilter-Category: order-shipped" "X-Notifilter-Category: dup" \
	"X-Notifilter-Fallback-Text: sent by sendmail" "X-Notifilter-Phone: +4915112345678" \
	"X-NOTIFILTER-PHONE: +4915112345679" "" "body" |
	pf_sendmail "$PF" "$APP" "d1@$DEST" "d2@$DEST"
rcD=$?
# E1: notification over the hop without DSN; only the milter asks NOTIFY
outE1=$(smtpc -s trk-e1 "$PORT" "$APP" "quiet@nodsn.example.test")
# E2: the same, but the client itself asks NOTIFY=SUCCESS for one recipient
outE2=$(smtpc -s trk-e2 "$PORT" "$APP" "asked@nodsn.example.test NOTIFY=SUCCESS" \
	"notasked@nodsn.example.test")
# F: notification to a next hop that answers 550 at RCPT
outF=$(smtpc -s trk-f "${CTRL_HDRS[@]}" "$PORT" "$APP" "gone@reject.example.test")
# G: an opted-out recipient next to an allowed one
outG=$(smtpc -s trk-g "$PORT" "$APP" "revoked@$DEST" "g1@$DEST")
echo "# sent 9 messages in $(nf_since "$T1") s"

t_like "SMTP notification queued" "$outA" $'\nDATA 250 '
t_is "the other SMTP notifications queued (A2 E1 E2 G)" \
	"$(for o in "$outA2" "$outE1" "$outE2" "$outG"; do grep -c '^DATA 250 ' <<<"$o"; done | tr '\n' ' ')" "1 1 1 1 "
t_like "non-notification mail queued" "$outB" $'\nDATA 250 '
t_like "null-sender mail queued" "$outC" $'\nDATA 250 '
t_is "sendmail submission accepted (exit 0)" "$rcD" 0
t_like "notification to the 550 hop queued (the 550 comes later, from the next hop)" "$outF" $'\nDATA 250 '
t_like "opted-out recipient refused at RCPT" "$(reply "$outG" "revoked@$DEST")" '^550 5\.7\.1 '

# wait: DSNs for E2 (success) and F (failure) come through the pipe; the
# queue then empties.  E1's report, if Postfix made one, would be queued at
# the same moment as E2's, so a short grace period after both is enough.
dsn_lines() { grep -c ' OK ' "$INTAKE_DIR/intake.log" 2>/dev/null || echo 0; }
nf_wait 20 test "$(dsn_lines)" -ge 2
pf_wait_empty "$PF" 20 >/dev/null
sleep 1.5
pf_wait_empty "$PF" 10 >/dev/null
echo "# delivered and reported in $(nf_since "$T1") s"

# ==== A: the next hop gets the VERP sender, the ID and no control header ======

fA=$(msgfile sink trk-a)
t_check "A: delivered to the DSN-capable sink" test -n "$fA"
fA=${fA:-/dev/null}
tokA=$(verp_token "$fA")
if [ -n "$tokA" ]; then t_ok "A: envelope sender is bounce+<token>@$BD"
else t_nok "A: envelope sender is bounce+<token>@$BD"; t_diag "got: $(grep '^X-Mail-Args' "$fA")"; fi
t_is "A: one X-Notifilter-ID header, equal to the VERP token" "$(nfid "$fA")" "${tokA:-NO-VERP-TOKEN}"
t_like "A: token is case-free and fits a local part (<= 54 chars, [a-z0-9])" "${tokA,,}" '^[a-z0-9]{8,54}$'
if [ -n "$tokA" ] && { [ "$tokA" = "${tokA,,}" ] || [ "$tokA" = "${tokA^^}" ]; }; then t_ok "A: token uses one letter case"
else t_nok "A: token uses one letter case"; t_diag "token: $tokA"; fi
t_is "A: no control header left (5 sent, duplicated, mixed case)" "$(nctrl "$fA")" 0
t_check "A: Subject and body unchanged" bash -c "grep -qx 'Subject: trk-a' '$fA' && grep -q '^notification body' '$fA'"
t_check "A: consented recipient re-added with NOTIFY=SUCCESS,FAILURE,DELAY and ORCPT" dsn_asked "$fA" "granted@$DEST"
t_check "A: recipient without record (default consent) re-added with NOTIFY and ORCPT" dsn_asked "$fA" "a2@$DEST"
t_is "A: each recipient delivered once" "$(sink_rcpts sink 'Subject: trk-a' | tr '\n' ' ')" "a2@$DEST granted@$DEST "
tokA2=$(verp_token "$(msgfile sink trk-a2)")
if [ -n "$tokA2" ] && [ "${tokA2,,}" != "${tokA,,}" ]; then t_ok "A2: a second message gets another token"
else t_nok "A2: a second message gets another token"; t_diag "A: '$tokA' A2: '$tokA2'"; fi
t_is "A: Postfix made no DSN for a hop that speaks DSN (the remote's job)" "$(intake_for "${tokA:-none}" | wc -l)" 0

# ==== B, C: other mail passes untouched =======================================

fB=$(msgfile sink trk-b); fB=${fB:-/dev/null}
t_check "B: non-notification mail keeps its envelope sender" grep -q "^X-Mail-Args: <$OTHER>" "$fB"
t_is "B: ... keeps all 5 control headers" "$(nctrl "$fB")" 5
t_is "B: ... gets no X-Notifilter-ID" "$(nfid "$fB")" ""
if ! grep -qi 'NOTIFY=' <<<"$(rcptargs "$fB" "b1@$DEST")" && [ -n "$(rcptargs "$fB" "b1@$DEST")" ]; then
	t_ok "B: ... and no NOTIFY added to its recipient"
else t_nok "B: ... and no NOTIFY added to its recipient"; t_diag "got: '$(rcptargs "$fB" "b1@$DEST")'"; fi
fC=$(msgfile sink trk-c); fC=${fC:-/dev/null}
t_check "C: null-sender mail keeps the null sender" grep -q '^X-Mail-Args: <>' "$fC"
t_is "C: ... keeps its control header and gets no X-Notifilter-ID" "$(nctrl "$fC") $(nfid "$fC")" "1 "
if ! grep -qi 'NOTIFY=' <<<"$(rcptargs "$fC" "c1@$DEST")" && [ -n "$(rcptargs "$fC" "c1@$DEST")" ]; then
	t_ok "C: ... and no NOTIFY added"
else t_nok "C: ... and no NOTIFY added"; t_diag "got: '$(rcptargs "$fC" "c1@$DEST")'"; fi

# ==== D: sendmail(1) mail is tagged the same way ===============================

fD=$(msgfile sink trk-d); fD=${fD:-/dev/null}
tokD=$(verp_token "$fD")
t_check "D (sendmail): envelope sender is bounce+<token>@$BD" test -n "$tokD"
t_is "D (sendmail): X-Notifilter-ID equals the VERP token" "$(nfid "$fD")" "${tokD:-NO-VERP-TOKEN}"
t_is "D (sendmail): no control header left (4 sent, one in upper case)" "$(nctrl "$fD")" 0
d_asked() { dsn_asked "$fD" "d1@$DEST" && dsn_asked "$fD" "d2@$DEST"; }
t_check "D (sendmail): recipients re-added with NOTIFY and ORCPT" d_asked

# ==== G: blocked recipients are not re-added =================================

fG=$(msgfile sink trk-g); fG=${fG:-/dev/null}
t_is "G: only the allowed recipient delivered" "$(sink_rcpts sink 'Subject: trk-g' | tr '\n' ' ')" "g1@$DEST "
t_check "G: ... with NOTIFY and ORCPT" dsn_asked "$fG" "g1@$DEST"

# ==== E: success reports over a hop without DSN ==============================

fE1=$(msgfile nsink trk-e1); fE1=${fE1:-/dev/null}
fE2=$(msgfile nsink trk-e2); fE2=${fE2:-/dev/null}
tokE1=$(verp_token "$fE1") tokE2=$(verp_token "$fE2")
t_check "E: both delivered to the non-DSN sink with VERP senders" test -n "$tokE1" -a -n "$tokE2"
if grep -qi 'NOTIFY=' "$fE1" "$fE2"; then t_nok "E: a hop without DSN gets no NOTIFY parameter"
	t_diag "$(grep -h '^X-Rcpt-Args' "$fE1" "$fE2")"
else t_ok "E: a hop without DSN gets no NOTIFY parameter"; fi

nE1=$(intake_for "${tokE1:-none}" | wc -l)
echo "# DSN observed: milter-added NOTIFY only, non-DSN hop accepted: $nE1 success DSN(s) at the VERP address"
t_is "E1: milter-added NOTIFY=SUCCESS alone gives no success DSN over a non-DSN hop (recipes §3.4 quirk)" "$nE1" 0
fdE2=$(intake_file_for "${tokE2:-none}" | head -1)
t_check "E2: client NOTIFY=SUCCESS: a success DSN reaches the VERP address through the pipe" test -n "$fdE2"
fdE2=${fdE2:-/dev/null}
t_like "E2: ... from the null sender" "$(intake_for "${tokE2:-none}" | head -1)" ' sender=<> '
t_is "E2: ... reports the client's recipient as relayed 2.0.0" "$(dsn_of "$fdE2" asked@nodsn.example.test)" "relayed 2.0.0"
a=$(dsn_of "$fdE2" notasked@nodsn.example.test)
echo "# DSN observed: client NOTIFY=SUCCESS on one recipient: '$(dsn_of "$fdE2" asked@nodsn.example.test)' for it, '${a:-no report}' for its milter-only neighbour"
t_is "E2: ... and the milter-only recipient of the same message too (recipes §3.4)" "$a" "relayed 2.0.0"
t_check "E2: ... the DSN's returned headers carry X-Notifilter-ID = the VERP token" \
	grep -qiF "X-Notifilter-ID: ${tokE2:-none}" "$fdE2"

# ==== F: 550 at the next hop -> failure DSN at the VERP address =================

# F's message never reached a sink: find its DSN by the failed recipient
fdF=$(grep -lF 'gone@reject.example.test' "$INTAKE_DIR"/msg.* 2>/dev/null | head -1)
tokF=$([ -n "$fdF" ] && grep -F "file=$fdF" "$INTAKE_DIR/intake.log" | sed -En "s/.* rcpt=<bounce\+([A-Za-z0-9]+)@$BD> .*/\1/p")
t_check "F: a failure DSN for gone@reject reached the VERP address through the pipe" test -n "$fdF" -a -n "$tokF"
fdF=${fdF:-/dev/null}
t_like "F: ... sent by the null sender (untouched by the milter on the way)" "$(intake_for "${tokF:-none}" | head -1)" ' sender=<> '
t_is "F: ... Action failed, Status 5.1.1" "$(dsn_of "$fdF" gone@reject.example.test)" "failed 5.1.1"
t_check "F: ... with the remote's 550 in Diagnostic-Code" grep -q '^Diagnostic-Code: smtp; 550 5.1.1 Recipient address rejected' "$fdF"
t_check "F: ... and the returned message's X-Notifilter-ID equals the VERP token" grep -qiF "X-Notifilter-ID: ${tokF:-none}" "$fdF"
t_is "F: the DSN's own header block has no X-Notifilter-ID (bounces are never tagged)" "$(nfid "$fdF")" ""
t_is "F: the returned message has no control header" "$(grep -ciE "$CTRL_RE" "$fdF")" 0

# ==== trace ===================================================================

trace() { nf_ctl -c "$CONF" trace "$@" 2>&1; }
# events of KEY's messages as kind|address|token|outcome|rule|detail
# (contact, consent and suppress history left out)
tj() {
	nf_ctl -c "$CONF" trace "$@" --json 2>/dev/null | "$NF_PY" "$NF_TOOLS/tracejson.py" |
		grep -vE '^(contact|consent|suppress)\|'
}
kinds() { tj "$@" | cut -d'|' -f1 | tr '\n' ' ' | sed 's/ $//'; }
# per recipient: address|outcome
outcomes() { nf_ctl -c "$CONF" trace "$1" --json 2>/dev/null | "$NF_PY" "$NF_TOOLS/tracejson.py" -r address outcome; }
has_delivery() { tj "$@" | grep -q '^delivery|'; }
# the MailLog follower is asynchronous: wait (bounded) for the delivery events
nf_wait 10 has_delivery "granted@$DEST"
nf_wait 5 has_delivery "gone@reject.example.test"

out=$(nf_ctl -c "$CONF" trace "granted@$DEST" --json 2>&1)
t_check "trace --json parses (one object: messages with events and recipients)" \
	"$NF_PY" "$NF_TOOLS/tracejson.py" -r <<<"$out"
t_is "trace (delivered recipient): decided, tagged, queued, delivered, in order" \
	"$(kinds "granted@$DEST")" "decision tagged queued delivery"
d=$(tj "granted@$DEST" | grep '^delivery|' | head -1)
t_like "trace: the delivery is status=sent with the relay" "$d" "sent.*127\.0\.0\.1.*$SINK"
t_is "trace: the recipient's outcome is delivered" "$(outcomes "granted@$DEST")" "granted@$DEST|delivered"
t_like "trace: tagged names the token" "$(tj "granted@$DEST" | grep '^tagged|')" "${tokA:-NO-VERP-TOKEN}"
t_is "trace: the message's VERP sender and category were recorded" \
	"$(nf_ctl -c "$CONF" trace "granted@$DEST" --json 2>/dev/null | "$NF_PY" "$NF_TOOLS/tracejson.py" -m verp category)" \
	"bounce+${tokA:-NO-VERP-TOKEN}@$BD|order-shipped"
txt=$(trace "granted@$DEST")
echo "# trace granted@$DEST:"
t_diag "$txt"
t_like "trace (text): shows the delivery with status=sent and the relay" "$txt" "sent.*127\.0\.0\.1"
t_is "trace (bounced recipient): decided, tagged, queued, delivery" "$(kinds gone@reject.example.test)" \
	"decision tagged queued delivery"
d=$(tj gone@reject.example.test | grep '^delivery|' | head -1)
t_like "trace: the 550 recipient's delivery is bounced with the diagnostic" "$d" "bounced.*550 5\.1\.1"
t_is "trace: the 550 recipient's outcome is bounced" "$(outcomes gone@reject.example.test)" "gone@reject.example.test|bounced"
t_like "trace (text) of the 550 recipient names the diagnostic" "$(trace gone@reject.example.test)" "bounced.*550 5\.1\.1"
t_is "trace TOKEN: the message's recipients" \
	"$(nf_ctl -c "$CONF" trace "${tokA:-NO-VERP-TOKEN}" --json 2>/dev/null | "$NF_PY" "$NF_TOOLS/tracejson.py" -r address | sort | tr '\n' ' ')" \
	"a2@$DEST granted@$DEST "
t_is "trace of a sendmail recipient: decided, tagged, queued, delivery" "$(kinds "d1@$DEST")" "decision tagged queued delivery"
t_is "trace of the opted-out recipient: decided only" "$(kinds "revoked@$DEST")" "decision"
nf_wait 5 has_delivery quiet@nodsn.example.test
t_like "E1 without any DSN: MailLog still records the delivery (status=sent)" \
	"$(tj quiet@nodsn.example.test | grep '^delivery|')" "sent.*127\.0\.0\.1.*$NSINK"
nf_ctl -c "$CONF" trace "b1@$DEST" >/dev/null 2>&1; rb=$?
nf_ctl -c "$CONF" trace "c1@$DEST" >/dev/null 2>&1; rc=$?
t_is "other and null-sender mail: nothing recorded (trace exits 1 for their recipients)" "$rb $rc" "1 1"
out=$(nf_ctl -c "$CONF" trace nobody@nowhere.example.test 2>&1); rc=$?
t_is "trace of an unknown address exits 1" "$rc" 1

# ==== shutdown ================================================================

pf_stop "$PF"
nf_stop_rc nf
t_is "notifilter exits 0 on SIGTERM" "$NF_STOP_RC" "nf=0"
t_check "no sanitizer report in the daemon's log" bash -c "! grep -E 'Sanitizer|runtime error:' '$NF_D/nf.log'"
echo "# total: $(nf_since "$T0") s"
t_done
