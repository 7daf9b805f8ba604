#!/bin/bash
# t-fallback.sh - the SMS fallback end to end (TAP), with every part real:
# a throwaway Postfix on loopback (tests/mta/lib.sh), notifilter as its
# milter with a kannel Channel and ReceiptListen, Kannel itself (bearerbox,
# smsbox and fakesmsc as the SMS centre, tests/channels/kannel-up.sh), and
# the report intake pipe running `notifilterctl ingest`.
#
# Path proved: notification -> Postfix -> the next hop answers 550 5.1.1 ->
# Postfix's DSN to the VERP address -> pipe -> ingest -> the daemon's
# scheduler and dispatcher -> Kannel's sendsms -> the SMS at the fake SMSC,
# exactly once (also after the same DSN is ingested a second time) -> the
# SMSC's delivery report -> smsbox calls the channel's dlr_url -> the
# daemon's receipt listener -> "delivered: kannel status 1" in the trace.
# And no SMS: without phone consent (DefaultPhoneConsent no, no record),
# when the email was delivered (status=sent in the MailLog before
# FallbackAfter), or for forged DSNs about a delivered recipient.  A
# recipient whose mail stays deferred past FallbackAfter gets one (the
# positive control for the "delivered" case).
#
# Ports (127.0.0.1; all overridable): SMTPD_PORT 11060, SINK_PORT 11061
# (+1 rejecting sink, +2 tempfailing sink), Kannel ADMIN_PORT 11070,
# BOX_PORT 11071, FAKE_PORT 11072, SENDSMS_PORT 11073, RECEIPT_PORT 11080.
# KEEP=1 keeps the work dir (kept anyway when a check fails).
# Skips when Postfix, Kannel (kannel, kannel-extras), curl, python3 or the
# programs are missing, or when not root.
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

PORT=${SMTPD_PORT:-11060}
SINK=${SINK_PORT:-11061}
RSINK=$((SINK + 1)) TSINK=$((SINK + 2))
export ADMIN_PORT=${ADMIN_PORT:-11070} BOX_PORT=${BOX_PORT:-11071}
export FAKE_PORT=${FAKE_PORT:-11072} SENDSMS_PORT=${SENDSMS_PORT:-11073}
RPORT=${RECEIPT_PORT:-11080}
APP=app@notify.example.test
BD=bounces.example.test
UP=$top_srcdir/tests/channels/kannel-up.sh
FALLBACK_AFTER=4
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

miss=$(nf_missing_tools)
for b in bearerbox smsbox /usr/lib/kannel/test/fakesmsc curl; do
	command -v "$b" >/dev/null 2>&1 || miss="$miss $b"
done
[ -z "$miss" ] || t_skip_all "missing:$miss (apt-get install postfix kannel kannel-extras curl python3)"
[ -x "$NOTIFILTER" ] || t_skip_all "$NOTIFILTER not built (make notifilter)"
[ -x "$NOTIFILTERCTL" ] || t_skip_all "$NOTIFILTERCTL not built (make notifilterctl)"
[ "$(id -u)" = 0 ] || t_skip_all "a throwaway Postfix instance needs root"

T0=$(nf_now)
nf_ports_free "$PORT" "$SINK" "$RSINK" "$TSINK" "$ADMIN_PORT" "$BOX_PORT" "$FAKE_PORT" \
	"$SENDSMS_PORT" "$RPORT" || t_bail "ports busy: set SMTPD_PORT, SINK_PORT, *_PORT"
nf_init fallback
KD=$NF_D/kannel
# Kannel's processes are kannel-up.sh's; stop them before lib.sh's cleanup
trap 'rc=$?; bash "$UP" "$KD" stop >/dev/null 2>&1; (exit $rc); nf_cleanup' EXIT
PF=$NF_D/pf
RUN=$NF_D/run
DBDIR=$NF_D/db
DB=$DBDIR/store.db
CONF=$NF_D/notifilter.conf
mkdir -p "$RUN" "$DBDIR" && chmod 755 "$RUN"

# ---- configuration --------------------------------------------------------------
head -c 32 /dev/urandom >"$NF_D/secret" && chmod 600 "$NF_D/secret" && chown nobody "$NF_D/secret"
printf 'fbpass\n' >"$NF_D/kannel.pw" && chmod 600 "$NF_D/kannel.pw"
cat >"$CONF" <<EOF
# t-fallback.sh
Socket unix:$RUN/nf.sock
UMask 000
PidFile $RUN/nf.pid
Database $DB
Senders $APP
BounceDomain $BD
SecretFile $NF_D/secret
RequestDSN yes
MailLog $PF/log/maillog
DefaultPhoneConsent no
FallbackChannels sms
FallbackAfter ${FALLBACK_AFTER}s
FallbackTemplate Notice: {subject}
Channel sms kannel url=http://127.0.0.1:$SENDSMS_PORT/cgi-bin/sendsms user=tester password_file=$NF_D/kannel.pw from=NOTIF dlr_url=http://127.0.0.1:$RPORT/kannel?key={key}&status=%d&smsc=%i
ReceiptListen inet:$RPORT@127.0.0.1
SyslogFacility none
LogLevel debug
EOF
chmod 644 "$CONF"
cat >"$NF_D/contacts.csv" <<EOF
email,phone,name,consent_email,consent_sms
yes@reject.example.test,+4915112345001,Yes Sms,yes,yes
nocons@reject.example.test,+4915112345002,No Consent,yes,
ok@dest.example.test,+4915112345003,Delivered,yes,yes
calm@dest.example.test,+4915112345004,Forged At,yes,yes
late@tempfail.example.test,+4915112345005,Deferred,yes,yes
EOF
t_check "contact import" nf_ctl -c "$CONF" contact import "$NF_D/contacts.csv"
chown -R nobody "$DBDIR"

# ---- processes --------------------------------------------------------------------
KANNEL_PASSWORD=fbpass bash "$UP" "$KD" >"$NF_D/kannel-up.log" 2>&1 ||
	t_bail "Kannel did not start: $(cat "$NF_D/kannel-up.log")"
sink_start sink "$SINK" || t_bail "smtp-sink did not start on $SINK"
sink_start rsink "$RSINK" -f rcpt -B "550 5.1.1 Recipient address rejected: User unknown" ||
	t_bail "rejecting smtp-sink did not start on $RSINK"
sink_start tsink "$TSINK" -r rcpt -b "450 4.2.0 Mailbox busy, try later" ||
	t_bail "tempfailing smtp-sink did not start on $TSINK"
cat >"$NF_D/transport" <<EOF
$BD notifilter:
reject.example.test smtp:[127.0.0.1]:$RSINK
tempfail.example.test smtp:[127.0.0.1]:$TSINK
EOF
PF_LISTENERS=$PORT PF_SINK_PORT=$SINK
PF_SMTPD_MILTERS=unix:$RUN/nf.sock PF_NONSMTPD_MILTERS=unix:$RUN/nf.sock
PF_MAIN_EXTRA="transport_maps = texthash:$NF_D/transport
relay_domains = $BD
notifilter_destination_recipient_limit = 1"
PF_MASTER_EXTRA=$(nf_pipe_ingest "$CONF")
pf_create "$PF" || t_bail "could not write the Postfix config in $PF"
pf_start "$PF" || t_bail "Postfix did not start (log: $PF/log/maillog)"
nf_wait 5 test -s "$PF/log/maillog"
nf_daemon_start nf "$CONF" || t_bail "notifilter did not start (log: $NF_D/nf.log)"
if nf_wait_port "$RPORT" 10 2>/dev/null; then
	t_ok "the daemon listens for receipts on 127.0.0.1:$RPORT"
else
	t_nok "the daemon listens for receipts on 127.0.0.1:$RPORT"
	t_diag "$(grep -i 'receipt\|error' "$NF_D/nf.log" | tail -5)"
fi
echo "# setup: $(nf_since "$T0") s"

# ---- helpers -------------------------------------------------------------------------
q() { nf_sql "$DB" "$@" 2>&1; }
sms_to() { grep -c "Got message [0-9]*: <NOTIF $1 " "$KD/fakesmsc.log" 2>/dev/null; }
has_sms() { [ "$(sms_to "$1")" -ge 1 ]; }
has_reports() { [ "$(q "SELECT count(*) FROM report_recipients WHERE address = lower(?)" "$1")" -ge "${2:-1}" ]; }
row_state() { q "SELECT state FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1" "$1"; }
row_final() { case $(row_state "$1") in sent | failed | skipped | cancelled | uncertain) return 0 ;; esac; return 1; }
trace() { nf_ctl -c "$CONF" trace "$1" 2>&1; }
has_receipt() { trace "$1" | grep -q "delivered: kannel status 1"; }
rcpt_status() { q "SELECT status FROM recipients WHERE address = ? ORDER BY id DESC LIMIT 1" "$1"; }
# rawsend FROM RCPT FILE: the message in FILE by SMTP, as a remote MTA would
rawsend() { nf_rawsend "$PORT" mx.evil.example "$@"; }
# dsn RCPT_TO FINAL_RECIPIENT: a Postfix-like 550 5.1.1 DSN
dsn() { nf_dsn550 mx.example.test "$@"; }

# ==== the notifications ======================================================================

T1=$(nf_now)
for r in yes@reject.example.test nocons@reject.example.test ok@dest.example.test \
	calm@dest.example.test late@tempfail.example.test; do
	out=$(smtpc -s "fb-${r%%@*}" "$PORT" "$APP" "$r")
	t_like "notification to $r queued" "$out" $'\nDATA 250 '
done

# ==== 550 -> DSN -> ingest -> SMS ==============================================================

nf_wait 30 has_reports yes@reject.example.test
t_check "the 550's DSN came back through the pipe and was ingested" has_reports yes@reject.example.test
if nf_wait 30 has_sms +4915112345001; then
	t_ok "SMS for yes@reject.example.test reached the fake SMSC ($(nf_since "$T1") s after sending the mail)"
else
	t_nok "SMS for yes@reject.example.test reached the fake SMSC"
	t_diag "outbox: $(q "SELECT state, attempts, answer FROM outbox WHERE recipient = 'yes@reject.example.test'")"
	t_diag "fakesmsc: $(grep 'Got message' "$KD/fakesmsc.log" | tail -3)"
	t_diag "daemon: $(grep -i 'fallback\|kannel' "$NF_D/nf.log" | tail -5)"
fi
t_like "the SMS text comes from FallbackTemplate ({subject})" \
	"$(grep "<NOTIF +4915112345001 " "$KD/fakesmsc.log" | head -1)" '<NOTIF \+4915112345001 text Notice: fb-yes>'
t_is "the outbox row is sent, through kannel" \
	"$(q "SELECT state || '|' || channel || '|' || driver FROM outbox WHERE recipient = 'yes@reject.example.test'")" "sent|sms|kannel"

# the SMSC's delivery report comes back through smsbox's dlr_url
nf_wait 15 has_receipt yes@reject.example.test
t_check "the DLR reached the receipt listener: 'delivered: kannel status 1' in the trace" \
	has_receipt yes@reject.example.test
t_like "the outbox row's receipt column says delivered" \
	"$(q "SELECT receipt FROM outbox WHERE recipient = 'yes@reject.example.test'")" '^delivered: kannel status 1'
tr=$(trace yes@reject.example.test)
t_like "the trace has the bounce, the fallback and the receipt, in that order" \
	"$(tr '\n' ' ' <<<"$tr")" 'bounce.*fallback.*receipt'
t_like "the trace by phone shows the same receipt" "$(trace +4915112345001)" 'delivered: kannel status 1'

# the same DSN again (a report delivered twice): still exactly one SMS
tokY=$(q "SELECT token FROM outbox WHERE recipient = 'yes@reject.example.test'")
dsn "bounce+$tokY@$BD" yes@reject.example.test >"$NF_D/again.eml"
nf_ctl -c "$CONF" ingest --sender= --recipient="bounce+$tokY@$BD" <"$NF_D/again.eml" >/dev/null 2>&1
t_is "the duplicate DSN was ingested (exit 0)" "$?" 0
nf_wait 10 has_reports yes@reject.example.test 2

# ==== no consent ================================================================================

nf_wait 30 has_reports nocons@reject.example.test
nf_wait 10 row_final nocons@reject.example.test
t_like "no phone consent: the outbox row is skipped (or none was made)" \
	"$(row_state nocons@reject.example.test)" '^(skipped|)$'

# ==== FallbackAfter: deferred gets one, delivered none ==========================================

t_is "the delivered notification's recipient has status sent (MailLog)" "$(rcpt_status ok@dest.example.test)" sent
nf_wait 30 has_sms +4915112345005
t_check "deferred past FallbackAfter ${FALLBACK_AFTER}s: SMS sent (the positive control)" has_sms +4915112345005

# ==== forged DSNs about a delivered recipient ======================================================

bad=${tokY%?}x; [ "$bad" = "$tokY" ] && bad=${tokY%?}y
dsn "postmaster@$BD" calm@dest.example.test >"$NF_D/forged1.eml"
dsn "bounce+$bad@$BD" calm@dest.example.test >"$NF_D/forged2.eml"
for i in 1 2; do
	t_like "forged DSN $i sent by SMTP" "$(rawsend '' "$(sed -n 's/^To: //p' "$NF_D/forged$i.eml")" "$NF_D/forged$i.eml" 2>&1)" SENT
done
nf_wait 30 has_reports calm@dest.example.test 2
t_is "forged DSNs recorded unauthenticated" \
	"$(q "SELECT group_concat(outcome, ' ') FROM report_recipients WHERE address = 'calm@dest.example.test'")" \
	"unauthenticated unauthenticated"

# give every pending decision time to go wrong: two FallbackAfter periods
sleep $((2 * FALLBACK_AFTER))
t_is "exactly one SMS to +4915112345001 (bounce, duplicate DSN and all)" "$(sms_to +4915112345001)" 1
t_is "no SMS without phone consent (+4915112345002)" "$(sms_to +4915112345002)" 0
t_is "no SMS when the email was delivered (+4915112345003)" "$(sms_to +4915112345003)" 0
t_is "no SMS for forged DSNs (+4915112345004)" "$(sms_to +4915112345004)" 0
t_is "exactly one SMS for the deferred one (+4915112345005)" "$(sms_to +4915112345005)" 1
t_is "one outbox row per failed or overdue notification, none for the others" \
	"$(q "SELECT count(*) FROM outbox WHERE recipient IN ('yes@reject.example.test', 'late@tempfail.example.test')")|$(q "SELECT count(*) FROM outbox WHERE recipient IN ('ok@dest.example.test', 'calm@dest.example.test')")" "2|0"

# ==== shutdown ====================================================================================

pf_stop "$PF"
nf_stop_rc nf
t_is "notifilter exits 0 on SIGTERM" "$NF_STOP_RC" "nf=0"
t_check "no sanitizer report in the daemon's log" bash -c "! grep -E 'Sanitizer|runtime error:' '$NF_D/nf.log'"
echo "# total: $(nf_since "$T0") s"
t_done
