#!/bin/bash
# t-policy.sh - notifilter's recipient policy, proved end to end inside a
# real Postfix (TAP).
#
# One throwaway Postfix (own config dir, queue and log under a mktemp dir)
# relays everything to smtp-sink.  Six smtpd listeners on consecutive
# loopback ports each talk to their own notifilter (unix sockets), so that
# every configuration runs at once and nothing has to be reloaded between
# SMTP cases:
#   +0 reject   enforce, BlockedRecipient reject      (store A)
#   +1 drop     enforce, BlockedRecipient drop        (store A)
#   +2 monitor  Mode monitor                          (store A)
#   +3 nodef    DefaultEmailConsent no                (store A)
#   +4 tempfail OnStoreError tempfail, StoreTimeout 1s (store B)
#   +5 accept   OnStoreError accept,   StoreTimeout 1s (store B)
# non_smtpd_milters (the sendmail(1) path, cleanup named "nonsmtpd") points
# at "reject", then "monitor", "accept" and "tempfail" (changed by reload,
# only on an empty queue).  Store B is made unable to
# answer by tests/tools/dblock.py (see there why that way).
#
# Decisions are read from the events table with a read-only query
# (tests/tools/sqlq.py) until `notifilterctl trace` exists.
#
# env: SMTPD_PORT (first of 6 consecutive ports, default 10325), SINK_PORT
#      (10335), KEEP=1 keeps the work dir (it is also kept when a test
#      fails), NOTIFILTER / NOTIFILTERCTL (default: the build tree's).
# Skips (1..0 # SKIP) only when Postfix, its tools, python3 or the two
# programs are missing, or when not run as root (Postfix needs it).
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

BASE=${SMTPD_PORT:-10325}
SINK=${SINK_PORT:-10335}
P_REJ=$BASE P_DROP=$((BASE + 1)) P_MON=$((BASE + 2)) P_NODEF=$((BASE + 3))
P_TEMP=$((BASE + 4)) P_ACC=$((BASE + 5))
APP=app@notify.example.test		# notification traffic (Senders)
OTHER=someone@other.example.test	# not notification traffic
DEST=dest.example.test

miss=$(nf_missing_tools)
[ -z "$miss" ] || t_skip_all "missing:$miss (apt-get install postfix python3)"
[ -x "$NOTIFILTER" ] || t_skip_all "$NOTIFILTER not built (make notifilter)"
[ -x "$NOTIFILTERCTL" ] || t_skip_all "$NOTIFILTERCTL not built (make notifilterctl)"
[ "$(id -u)" = 0 ] || t_skip_all "a throwaway Postfix instance needs root"

T0=$(nf_now)
nf_ports_free $(seq "$BASE" $((BASE + 5))) "$SINK" || t_bail "ports busy: set SMTPD_PORT / SINK_PORT"
nf_init policy
PF=$NF_D/pf
RUN=$NF_D/run
DBA=$NF_D/store-a.db
DBB=$NF_D/store-b.db
mkdir -p "$RUN" && chmod 755 "$RUN"

# ---- configuration and contacts -----------------------------------------

mkconf() { # NAME DB extra-lines...
	local name=$1 db=$2
	shift 2
	{
		echo "# t-policy.sh: daemon '$name'"
		echo "Socket unix:$RUN/$name.sock"
		echo "UMask 000"
		echo "PidFile $RUN/$name.pid"
		echo "Database $db"
		echo "Senders $APP, *@alerts.example.test"
		echo "SyslogFacility none"
		echo "LogLevel debug"
		printf '%s\n' "$@"
	} >"$NF_D/$name.conf"
}
mkconf reject "$DBA" "BlockedRecipient reject"
mkconf drop "$DBA" "BlockedRecipient drop"
mkconf monitor "$DBA" "Mode monitor"
mkconf nodef "$DBA" "DefaultEmailConsent no"
mkconf tempfail "$DBB" "OnStoreError tempfail" "StoreTimeout 1s"
mkconf accept "$DBB" "OnStoreError accept" "StoreTimeout 1s"

# granted: consent yes; revoked: consent no; supgranted: consent yes but
# suppressed (suppression wins); bulk-rNN: revoked, inside the 1,000.
{
	echo "email,name,consent_email"
	echo "granted@$DEST,Grace Granted,yes"
	echo "revoked@$DEST,Rob Revoked,no"
	echo "supgranted@$DEST,Sue Suppressed,yes"
	for i in $(seq -w 1 10); do echo "bulk-r$i@bulk.example.test,Bulk $i,no"; done
} >"$NF_D/contacts.csv"
for c in reject tempfail; do	# store A, store B
	t_check "contact import into the $c store" nf_ctl -c "$NF_D/$c.conf" contact import "$NF_D/contacts.csv"
	t_check "suppress add suppressed@$DEST ($c store)" \
		nf_ctl -c "$NF_D/$c.conf" suppress add "suppressed@$DEST" --reason "hard bounce in test"
done
t_check "suppress add supgranted@$DEST" nf_ctl -c "$NF_D/reject.conf" suppress add "supgranted@$DEST" --reason "complaint in test"
t_check "suppress add sup2@$DEST" nf_ctl -c "$NF_D/reject.conf" suppress add "sup2@$DEST" --reason "bounce in test"

# ---- processes ----------------------------------------------------------

sink_start sink "$SINK" || t_bail "smtp-sink did not start on $SINK"
for n in reject drop monitor nodef tempfail accept; do
	nf_daemon_start "$n" "$NF_D/$n.conf" || t_bail "notifilter '$n' did not start (log: $NF_D/$n.log)"
done
PF_LISTENERS="$P_REJ=unix:$RUN/reject.sock $P_DROP=unix:$RUN/drop.sock $P_MON=unix:$RUN/monitor.sock"
PF_LISTENERS="$PF_LISTENERS $P_NODEF=unix:$RUN/nodef.sock $P_TEMP=unix:$RUN/tempfail.sock $P_ACC=unix:$RUN/accept.sock"
PF_SINK_PORT=$SINK PF_NONSMTPD_MILTERS=unix:$RUN/reject.sock
pf_create "$PF" || t_bail "could not write the Postfix config in $PF"
pf_start "$PF" || t_bail "Postfix did not start (log: $PF/log/maillog)"
echo "# setup: $(nf_since "$T0") s"

# ---- helpers ------------------------------------------------------------

# ev_mark DB: the newest event id (events after it belong to the next case)
ev_mark() { nf_sql "$1" 'SELECT IFNULL(MAX(id), 0) FROM events' || echo 0; }
ev_count() { nf_sql "$1" "SELECT COUNT(*) FROM events WHERE kind = 'decision' AND id > ?" "$2"; }
# ev_wait DB MARK N: wait up to 10 s for N decision events after MARK
ev_wait() { nf_wait 10 test "$(ev_count "$1" "$2" 2>/dev/null)" -ge "$3"; }
# ev_rules DB MARK: "address rule" of the decision events after MARK, sorted
ev_rules() {
	nf_sql "$1" "SELECT address || ' ' || rule FROM events WHERE kind = 'decision' AND id > ? ORDER BY 1" "$2"
}
# ev_qid DB MARK ADDRESS: the queue ids recorded for ADDRESS after MARK
ev_qid() {
	nf_sql "$1" "SELECT IFNULL(queue_id, '') FROM events WHERE kind = 'decision' AND id > ? AND address = ?" "$2" "$3"
}
lines() { printf '%s\n' "$@"; }
# reply OUT ADDRESS: the "code text" the server gave to RCPT ADDRESS
reply() { sed -n "s/^RCPT $2 //p" <<<"$1"; }
qid() { sed -n 's/^QUEUED //p' <<<"$1"; }
rcpts() { sink_rcpts sink "Subject: $1" | tr '\n' ' ' | sed 's/ $//'; }
# 550 5.7.1 with a text that says why
is_reject() { [[ $1 =~ ^550\ 5\.7\.1\ .{8,} ]]; }

# ==== SMTP, enforce, BlockedRecipient reject ==============================

m=$(ev_mark "$DBA")
ts=$(date +%s)
out=$(smtpc -s pol-reject "$P_REJ" "$APP" "granted@$DEST" "revoked@$DEST" "suppressed@$DEST" \
	"unknown1@$DEST" "supgranted@$DEST" "sup2@DEST.EXAMPLE.TEST")
q=$(qid "$out")
t_like "reject: consented recipient accepted (250)" "$(reply "$out" "granted@$DEST")" '^250 '
t_like "reject: recipient without a record accepted (DefaultEmailConsent yes)" "$(reply "$out" "unknown1@$DEST")" '^250 '
r=$(reply "$out" "revoked@$DEST")
if is_reject "$r" && [[ ${r,,} =~ consent|opt ]]; then t_ok "reject: opted-out recipient gets 550 5.7.1 naming consent"
else t_nok "reject: opted-out recipient gets 550 5.7.1 naming consent"; t_diag "got: '$r'"; fi
r=$(reply "$out" "suppressed@$DEST")
if is_reject "$r" && [[ ${r,,} =~ suppress ]]; then t_ok "reject: suppressed recipient gets 550 5.7.1 naming the suppression"
else t_nok "reject: suppressed recipient gets 550 5.7.1 naming the suppression"; t_diag "got: '$r'"; fi
t_like "reject: suppression wins over granted consent" "$(reply "$out" "supgranted@$DEST")" '^550 5\.7\.1 '
t_like "reject: suppression matches an upper-case domain" "$(reply "$out" "sup2@DEST.EXAMPLE.TEST")" '^550 5\.7\.1 '
t_like "reject: message queued for the others" "$out" $'\nDATA 250 '
pf_wait_empty "$PF" 10 >/dev/null
t_is "reject: only the allowed recipients reach the sink" "$(rcpts pol-reject)" "granted@$DEST unknown1@$DEST"
ev_wait "$DBA" "$m" 6
t_is "reject: one decision event per recipient, with the rule" "$(ev_rules "$DBA" "$m")" "$(lines \
	"granted@$DEST consent-granted" "revoked@$DEST consent-revoked" "sup2@$DEST suppressed" \
	"supgranted@$DEST suppressed" "suppressed@$DEST suppressed" "unknown1@$DEST default-consent-yes")"
t_is "reject: every event has a time (now) and a reason" \
	"$(nf_sql "$DBA" "SELECT COUNT(*) FROM events WHERE kind = 'decision' AND id > ? AND time BETWEEN ? AND ? AND LENGTH(detail) > 0" \
		"$m" $((ts - 5)) $(($(date +%s) + 5)))" 6
t_is "reject: events of delivered recipients carry the queue id" \
	"$(ev_qid "$DBA" "$m" "granted@$DEST") $(ev_qid "$DBA" "$m" "unknown1@$DEST")" "${q:-QID?} ${q:-QID?}"

m=$(ev_mark "$DBA")
out=$(smtpc -s pol-reject-all "$P_REJ" "$APP" "revoked@$DEST" "suppressed@$DEST"); rc=$?
t_is "reject: every recipient blocked -> nothing accepted (client exit 1)" "$rc" 1
t_like "reject: ...both refused with 550" "$(reply "$out" "revoked@$DEST") $(reply "$out" "suppressed@$DEST")" '^550 .* 550 '
ev_wait "$DBA" "$m" 2
t_is "reject: ...and both decisions recorded" "$(ev_rules "$DBA" "$m")" \
	"$(lines "revoked@$DEST consent-revoked" "suppressed@$DEST suppressed")"

# ==== SMTP, BlockedRecipient drop =========================================

m=$(ev_mark "$DBA")
out=$(smtpc -s pol-drop "$P_DROP" "$APP" "granted@$DEST" "revoked@$DEST" "suppressed@$DEST" "unknown2@$DEST")
t_is "drop: every RCPT accepted (250)" "$(grep -c '^RCPT .* 250 ' <<<"$out")" 4
t_like "drop: message queued" "$out" $'\nDATA 250 '
pf_wait_empty "$PF" 10 >/dev/null
t_is "drop: blocked recipients removed at end of message" "$(rcpts pol-drop)" "granted@$DEST unknown2@$DEST"
ev_wait "$DBA" "$m" 4
t_is "drop: decisions recorded" "$(ev_rules "$DBA" "$m")" "$(lines "granted@$DEST consent-granted" \
	"revoked@$DEST consent-revoked" "suppressed@$DEST suppressed" "unknown2@$DEST default-consent-yes")"

m=$(ev_mark "$DBA")
out=$(smtpc -s pol-drop-all "$P_DROP" "$APP" "revoked@$DEST" "suppressed@$DEST")
t_like "drop: all recipients blocked -> client still sees 250 at DATA" "$out" $'\nDATA 250 '
pf_wait_empty "$PF" 10 >/dev/null
t_is "drop: ...and the message never reaches the sink" "$(sink_files sink 'Subject: pol-drop-all' | wc -l)" 0
ev_wait "$DBA" "$m" 2
t_is "drop: ...both decisions recorded" "$(ev_rules "$DBA" "$m")" \
	"$(lines "revoked@$DEST consent-revoked" "suppressed@$DEST suppressed")"

# ==== SMTP, Mode monitor ==================================================

m=$(ev_mark "$DBA")
out=$(smtpc -s pol-monitor "$P_MON" "$APP" "granted@$DEST" "revoked@$DEST" "suppressed@$DEST" "unknown3@$DEST")
t_is "monitor: every RCPT accepted" "$(grep -c '^RCPT .* 250 ' <<<"$out")" 4
pf_wait_empty "$PF" 10 >/dev/null
t_is "monitor: every recipient delivered" "$(rcpts pol-monitor)" \
	"granted@$DEST revoked@$DEST suppressed@$DEST unknown3@$DEST"
f=$(sink_files sink 'Subject: pol-monitor' | head -1)
t_check "monitor: envelope sender unchanged" grep -q "^X-Mail-Args: <$APP>" "${f:-/dev/null}"
t_check "monitor: no header added" bash -c "! grep -q '^X-Notifilter' '${f:-/dev/null}'"
ev_wait "$DBA" "$m" 4
t_is "monitor: decisions recorded with the rule that would have applied" "$(ev_rules "$DBA" "$m")" \
	"$(lines "granted@$DEST consent-granted" "revoked@$DEST consent-revoked" \
		"suppressed@$DEST suppressed" "unknown3@$DEST default-consent-yes")"

# ==== SMTP, DefaultEmailConsent no ========================================

m=$(ev_mark "$DBA")
out=$(smtpc -s pol-nodef "$P_NODEF" "$APP" "granted@$DEST" "unknown4@$DEST")
t_like "DefaultEmailConsent no: recipient without a record refused (550 5.7.1)" "$(reply "$out" "unknown4@$DEST")" '^550 5\.7\.1 '
t_like "DefaultEmailConsent no: consented recipient still accepted" "$(reply "$out" "granted@$DEST")" '^250 '
pf_wait_empty "$PF" 10 >/dev/null
ev_wait "$DBA" "$m" 2
t_is "DefaultEmailConsent no: decisions recorded" "$(ev_rules "$DBA" "$m")" \
	"$(lines "granted@$DEST consent-granted" "unknown4@$DEST default-consent-no")"

# ==== changes made with notifilterctl apply at once =========================

live() { smtpc -s pol-live "$P_REJ" "$APP" "live@$DEST" | sed -n "s/^RCPT live@$DEST \([0-9]*\) .*/\1/p"; }
C=$NF_D/reject.conf
nf_ctl -c "$C" contact add "live@$DEST" --name "Live Change" >/dev/null
a1=$(live)
nf_ctl -c "$C" consent revoke "live@$DEST" email >/dev/null
a2=$(live)
nf_ctl -c "$C" consent grant "live@$DEST" email >/dev/null
a3=$(live)
nf_ctl -c "$C" suppress add "live@$DEST" --reason "live test" >/dev/null
a4=$(live)
nf_ctl -c "$C" suppress remove "live@$DEST" >/dev/null
a5=$(live)
t_is "running daemon follows notifilterctl: add, revoke, grant, suppress, unsuppress" \
	"$a1 $a2 $a3 $a4 $a5" "250 550 250 550 250"
pf_wait_empty "$PF" 10 >/dev/null

# ==== other senders pass untouched and unrecorded ==========================

m=$(ev_mark "$DBA")
out=$(smtpc -s pol-other "$P_REJ" "$OTHER" "revoked@$DEST" "suppressed@$DEST")
t_is "other sender: blocked addresses accepted" "$(grep -c '^RCPT .* 250 ' <<<"$out")" 2
out=$(smtpc -s pol-null "$P_REJ" '<>' "suppressed@$DEST")
t_like "null sender (a bounce): suppressed address accepted" "$(reply "$out" "suppressed@$DEST")" '^250 '
# a marker after them: once its event is in, theirs would be too (one writer queue)
smtpc -s pol-marker "$P_REJ" "$APP" "marker@$DEST" >/dev/null
pf_wait_empty "$PF" 10 >/dev/null
t_is "other sender: delivered to everyone" "$(rcpts pol-other)" "revoked@$DEST suppressed@$DEST"
f=$(sink_files sink 'Subject: pol-other' | head -1)
t_check "other sender: envelope sender unchanged" grep -q "^X-Mail-Args: <$OTHER>" "${f:-/dev/null}"
t_is "null sender: delivered" "$(rcpts pol-null)" "suppressed@$DEST"
ev_wait "$DBA" "$m" 1
t_is "other and null sender: no decision recorded (only the marker's)" "$(ev_rules "$DBA" "$m")" \
	"marker@$DEST default-consent-yes"

# ==== 1,000 recipients in one message =====================================

: >"$NF_D/bulk.txt"
for i in $(seq -w 1 990); do echo "bulk-$i@bulk.example.test"; done >>"$NF_D/bulk.txt"
for i in $(seq -w 1 10); do echo "bulk-r$i@bulk.example.test"; done >>"$NF_D/bulk.txt"
m=$(ev_mark "$DBA")
t1=$(nf_now)
out=$(smtpc -q -s pol-bulk -r "$NF_D/bulk.txt" "$P_REJ" "$APP")
echo "# 1,000 RCPTs through the milter: $(nf_since "$t1") s"
t_is "1,000 recipients: 990 accepted, 10 opted-out refused" "$(grep '^RCPTSUM' <<<"$out" | tr '\n' ' ')" \
	"RCPTSUM 250 990 RCPTSUM 550 10 "
q=$(qid "$out")
t_like "1,000 recipients: message queued" "$out" $'\nDATA 250 '
pf_wait_empty "$PF" 30 >/dev/null
got=$(sink_rcpts sink 'Subject: pol-bulk')
t_is "1,000 recipients: 990 delivered" "$(grep -c . <<<"$got")" 990
t_is "1,000 recipients: none of the opted-out delivered" "$(grep -c 'bulk-r' <<<"$got")" 0
ev_wait "$DBA" "$m" 1000
t_is "1,000 recipients: 1,000 decisions recorded (990 default, 10 revoked)" \
	"$(nf_sql "$DBA" "SELECT rule || '=' || COUNT(*) FROM events WHERE kind='decision' AND id > ? GROUP BY rule ORDER BY rule" "$m" | tr '\n' ' ')" \
	"consent-revoked=10 default-consent-yes=990 "
t_is "1,000 recipients: every allowed decision carries the queue id" \
	"$(nf_sql "$DBA" "SELECT COUNT(*) FROM events WHERE kind='decision' AND id > ? AND rule='default-consent-yes' AND queue_id = ?" "$m" "${q:-none}")" 990

# ==== /usr/sbin/sendmail (non_smtpd_milters) ===============================

m=$(ev_mark "$DBA")
printf 'Subject: pol-sm\nFrom: %s\n\nbody\n' "$APP" | pf_sendmail "$PF" "$APP" \
	"granted@$DEST" "revoked@$DEST" "suppressed@$DEST" "unknown5@$DEST"
t_is "sendmail: submission accepted (exit 0)" "$?" 0
pf_wait_empty "$PF" 10 >/dev/null
t_is "sendmail: blocked recipients removed, the others delivered" "$(rcpts pol-sm)" "granted@$DEST unknown5@$DEST"
ev_wait "$DBA" "$m" 4
t_is "sendmail: decisions recorded" "$(ev_rules "$DBA" "$m")" "$(lines "granted@$DEST consent-granted" \
	"revoked@$DEST consent-revoked" "suppressed@$DEST suppressed" "unknown5@$DEST default-consent-yes")"

m=$(ev_mark "$DBA")
printf 'Subject: pol-sm-all\nFrom: %s\n\nbody\n' "$APP" | pf_sendmail "$PF" "$APP" "revoked@$DEST" "suppressed@$DEST"
t_is "sendmail, every recipient blocked: submission accepted (exit 0)" "$?" 0
t_check "sendmail, every recipient blocked: queue empties (message discarded)" pf_wait_empty "$PF" 10
t_is "sendmail, every recipient blocked: nothing delivered, no bounce" \
	"$(sink_files sink 'pol-sm-all' | wc -l)" 0
ev_wait "$DBA" "$m" 2
t_is "sendmail, every recipient blocked: decisions recorded" "$(ev_rules "$DBA" "$m")" \
	"$(lines "revoked@$DEST consent-revoked" "suppressed@$DEST suppressed")"

m=$(ev_mark "$DBA")
printf 'Subject: pol-sm-other\n\nbody\n' | pf_sendmail "$PF" "$OTHER" "suppressed@$DEST"
pf_wait_empty "$PF" 10 >/dev/null
t_is "sendmail, other sender: delivered untouched" "$(rcpts pol-sm-other)" "suppressed@$DEST"

pf_set "$PF" "non_smtpd_milters = unix:$RUN/monitor.sock"
printf 'Subject: pol-sm-monitor\n\nbody\n' | pf_sendmail "$PF" "$APP" "granted@$DEST" "revoked@$DEST"
pf_wait_empty "$PF" 10 >/dev/null
t_is "sendmail, monitor: everyone delivered" "$(rcpts pol-sm-monitor)" "granted@$DEST revoked@$DEST"
ev_wait "$DBA" "$m" 2
t_is "sendmail: other sender unrecorded; monitor decisions recorded" "$(ev_rules "$DBA" "$m")" \
	"$(lines "granted@$DEST consent-granted" "revoked@$DEST consent-revoked")"

# ==== the store cannot answer (OnStoreError) ===============================

pf_set "$PF" "non_smtpd_milters = unix:$RUN/accept.sock"
mb=$(ev_mark "$DBB")
nf_spawn dblock "$NF_PY" "$NF_TOOLS/dblock.py" "$DBB" 60
nf_wait 10 grep -q '^locked' "$NF_D/dblock.log"
t_check "store B locked by dblock.py" grep -q '^locked' "$NF_D/dblock.log"
probe=$(nf_sql -t 0.3 "$DBB" 'SELECT COUNT(*) FROM contacts' 2>&1)
t_like "store B: a probe query fails as 'database is locked'" "$probe" 'database is locked'

out=$(smtpc -s pol-tempfail "$P_TEMP" "$APP" "granted@$DEST")
t_like "OnStoreError tempfail: SMTP client gets 451 at RCPT" "$(reply "$out" "granted@$DEST")" '^451 4\.'
out=$(smtpc -s pol-accept "$P_ACC" "$APP" "suppressed@$DEST" "unknown6@$DEST")
t_like "OnStoreError accept: recipients accepted although the store is down" \
	"$(reply "$out" "suppressed@$DEST") $(reply "$out" "unknown6@$DEST")" '^250 .* 250 '
pf_wait_empty "$PF" 10 >/dev/null
t_is "OnStoreError accept: delivered" "$(rcpts pol-accept)" "suppressed@$DEST unknown6@$DEST"

printf 'Subject: pol-sm-accept\n\nbody\n' | pf_sendmail "$PF" "$APP" "suppressed@$DEST" "unknown7@$DEST"
pf_wait_empty "$PF" 15 >/dev/null
t_is "sendmail, OnStoreError accept: delivered although the store is down" \
	"$(rcpts pol-sm-accept)" "suppressed@$DEST unknown7@$DEST"

pf_set "$PF" "non_smtpd_milters = unix:$RUN/tempfail.sock"
l0=$(wc -l <"$PF/log/maillog")
printf 'Subject: pol-sm-tempfail\n\nbody\n' | pf_sendmail "$PF" "$APP" "granted@$DEST" "suppressed@$DEST"
t_is "sendmail, store down: submission accepted (exit 0)" "$?" 0
# wait until cleanup has had the milter's answer (each lookup waits 1 s)
tempfailed() { tail -n +"$((l0 + 1))" "$PF/log/maillog" | grep -q 'cleanup.*milter-reject: END-OF-MESSAGE.*: 4\.'; }
nf_wait 15 tempfailed
t_check "sendmail, store down: the milter tempfailed the message (cleanup logged 4.x.x)" tempfailed
t_check "sendmail, store down: message stays queued" pf_queued "$PF" "granted@$DEST"
t_is "sendmail, store down: nothing delivered" "$(sink_files sink 'pol-sm-tempfail' | wc -l)" 0

nf_stop dblock
probe=$(nf_sql -t 0.3 "$DBB" 'SELECT COUNT(*) FROM contacts' 2>&1)
t_like "store B answers again after dblock.py releases it" "$probe" '^[0-9]+$'
postkick -c "$PF/etc" public pickup W 2>/dev/null
postqueue -c "$PF/etc" -f 2>/dev/null
t_check "sendmail, store back: queue empties" pf_wait_empty "$PF" 15
t_is "sendmail, store back: delivered with the policy applied" "$(rcpts pol-sm-tempfail)" "granted@$DEST"
ev_wait "$DBB" "$mb" 5
t_is "store errors recorded once the store is back (then the real decisions)" \
	"$(nf_sql "$DBB" "SELECT DISTINCT address || ' ' || rule FROM events WHERE kind='decision' AND id > ? ORDER BY 1" "$mb")" \
	"$(lines "granted@$DEST consent-granted" "granted@$DEST store-error" "suppressed@$DEST store-error" \
		"suppressed@$DEST suppressed" "unknown6@$DEST store-error" "unknown7@$DEST store-error")"

# ==== shutdown ==============================================================

pf_stop "$PF"
t1=$(nf_now)
names="reject drop monitor nodef tempfail accept"
nf_stop_rc $names
t_is "every notifilter exits 0 on SIGTERM" "$NF_STOP_RC" "$(for n in $names; do printf '%s=0 ' "$n"; done | sed 's/ $//')"
echo "# daemons stopped in $(nf_since "$t1") s"
t_check "no sanitizer report in the daemons' logs" \
	bash -c "! grep -E 'Sanitizer|runtime error:' $(for n in $names; do printf '%q ' "$NF_D/$n.log"; done)"

echo "# total: $(nf_since "$T0") s"
t_done
