#!/bin/bash
# t-intake.sh - report intake end to end inside a real Postfix (TAP):
# notifications tagged by notifilter, bounced or complained about by
# loopback next hops, their reports delivered by Postfix through a pipe(8)
# transport into `notifilterctl ingest`, and what that changes.
#
# One throwaway Postfix and one notifilter (unix socket, smtpd and
# non_smtpd milters).  Next hops (transport map):
#   everything else        smtp-sink "sink"                          SINK_PORT
#   reject.example.test    smtp-sink, 550 5.1.1 at RCPT              SINK_PORT+1
#   spam.example.test      smtp-sink, 554 5.7.1 after the message    SINK_PORT+2
#   tempfail.example.test  smtp-sink, 450 4.2.0 at RCPT (expires:    SINK_PORT+3
#                          maximal_queue_lifetime = 4s)
#   bounces.example.test   pipe(8) "notifilter" -> notifilterctl ingest, as
#                          user nobody (contrib/postfix-intake.cf's entry)
# Paths proved: 550 5.1.1 -> suppressed -> next one blocked; 4xx then
# expired, twice (SoftBounceLimit 2) -> counted, then suppressed; 554 5.7.1
# spam -> recipient bounced, never suppressed; an ARF sent by SMTP to the
# complaints address -> email consent revoked; ARF complaints whose
# recipient the reporter redacted (no Original-Rcpt-To, To: hidden) ->
# attributed through the token to a one-recipient notification (consent
# revoked), recorded against a two-recipient one (an "unattributed"
# complaint on both timelines, no consent changed); forged DSNs (no token, made-up
# token, altered token) -> recorded unauthenticated, nothing changes; the
# store locked (tests/tools/dblock.py) -> ingest exits 75, Postfix defers,
# and the report is processed on Postfix's own retry once it is released.
#
# env: SMTPD_PORT (10365), SINK_PORT (first of 4, default 10375), KEEP=1
#      keeps the work dir (also kept when a test fails), NOTIFILTER /
#      NOTIFILTERCTL (default: the build tree's).
# Skips (1..0 # SKIP) when Postfix, its tools, python3 or the programs are
# missing, or when not run as root.
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

PORT=${SMTPD_PORT:-10365}
SINK=${SINK_PORT:-10375}
RSINK=$((SINK + 1)) SSINK=$((SINK + 2)) TSINK=$((SINK + 3))
APP=app@notify.example.test
DEST=dest.example.test
BD=bounces.example.test
VERP_RE="^X-Mail-Args: <bounce\+([A-Za-z0-9]+)@$BD>"

miss=$(nf_missing_tools)
[ -z "$miss" ] || t_skip_all "missing:$miss (apt-get install postfix python3)"
[ -x "$NOTIFILTER" ] || t_skip_all "$NOTIFILTER not built (make notifilter)"
[ -x "$NOTIFILTERCTL" ] || t_skip_all "$NOTIFILTERCTL not built (make notifilterctl)"
[ "$(id -u)" = 0 ] || t_skip_all "a throwaway Postfix instance needs root"

T0=$(nf_now)
nf_ports_free "$PORT" "$SINK" "$RSINK" "$SSINK" "$TSINK" || t_bail "ports busy: set SMTPD_PORT / SINK_PORT"
nf_init intake
PF=$NF_D/pf
RUN=$NF_D/run
DBDIR=$NF_D/db
DB=$DBDIR/store.db
CONF=$NF_D/notifilter.conf
mkdir -p "$RUN" "$DBDIR" && chmod 755 "$RUN"

# ---- configuration --------------------------------------------------------
# The pipe runs as nobody: it must read the config and the key, and write
# the store (file, -wal, -shm and their directory).  The daemon is root.
head -c 32 /dev/urandom >"$NF_D/secret" && chmod 600 "$NF_D/secret" && chown nobody "$NF_D/secret"
cat >"$CONF" <<EOF
# t-intake.sh
Socket unix:$RUN/nf.sock
UMask 000
PidFile $RUN/nf.pid
Database $DB
Senders $APP
BounceDomain $BD
SecretFile $NF_D/secret
RequestDSN yes
SoftBounceLimit 2
SoftBounceWindow 1d
SyslogFacility none
LogLevel debug
EOF
chmod 644 "$CONF"
printf '%s\n' "email,name,consent_email" "angry@$DEST,Angry Reader,yes" >"$NF_D/contacts.csv"
t_check "contact import" nf_ctl -c "$CONF" contact import "$NF_D/contacts.csv"
chown -R nobody "$DBDIR"

# ---- processes ------------------------------------------------------------

sink_start sink "$SINK" || t_bail "smtp-sink did not start on $SINK"
sink_start rsink "$RSINK" -f rcpt -B "550 5.1.1 Recipient address rejected: User unknown" ||
	t_bail "rejecting smtp-sink did not start on $RSINK"
sink_start ssink "$SSINK" -f . -B "554 5.7.1 Message rejected: spam content detected" ||
	t_bail "spam-rejecting smtp-sink did not start on $SSINK"
sink_start tsink "$TSINK" -r rcpt -b "450 4.2.0 Mailbox busy, try later" ||
	t_bail "tempfailing smtp-sink did not start on $TSINK"
cat >"$NF_D/transport" <<EOF
$BD notifilter:
reject.example.test smtp:[127.0.0.1]:$RSINK
spam.example.test smtp:[127.0.0.1]:$SSINK
tempfail.example.test smtp:[127.0.0.1]:$TSINK
EOF
PF_LISTENERS=$PORT PF_SINK_PORT=$SINK
PF_SMTPD_MILTERS=unix:$RUN/nf.sock PF_NONSMTPD_MILTERS=unix:$RUN/nf.sock
PF_MAIN_EXTRA="transport_maps = texthash:$NF_D/transport
relay_domains = $BD
maximal_queue_lifetime = 4s
notifilter_destination_recipient_limit = 1"
# the entry of contrib/postfix-intake.cf, with this test's paths
PF_MASTER_EXTRA=$(nf_pipe_ingest "$CONF")
pf_create "$PF" || t_bail "could not write the Postfix config in $PF"
pf_start "$PF" || t_bail "Postfix did not start (log: $PF/log/maillog)"
nf_daemon_start nf "$CONF" || t_bail "notifilter did not start (log: $NF_D/nf.log)"
echo "# setup: $(nf_since "$T0") s"

# ---- helpers --------------------------------------------------------------

reply() { sed -n "s/^RCPT $2 //p" <<<"$1"; }
msgfile() { grep -lxF -- "Subject: $2" "$NF_D/$1"/msg.* 2>/dev/null | head -1; }
verp_token() { [ -n "$1" ] && sed -En "s/$VERP_RE.*/\1/p" "$1" | head -1; }
q() { nf_sql "$DB" "$@" 2>&1; }
# outcome of the newest report about ADDRESS ("" when none)
outcome() { q "SELECT outcome FROM report_recipients WHERE address = lower(?) ORDER BY id DESC LIMIT 1" "$1"; }
nreports() { q "SELECT count(*) FROM report_recipients WHERE address = lower(?)" "$1"; }
is_supp() { q "SELECT count(*) FROM suppressions WHERE address = ? AND channel = 'email'" "$1"; }
has_reports() { [ "$(nreports "$1")" -ge "${2:-1}" ]; }
# rawsend FROM RCPT FILE: the message in FILE, as is, by SMTP
rawsend() { nf_rawsend "$PORT" mx.isp.example.net "$@"; }
# forged_dsn RCPT_TO FINAL_RECIPIENT: a Postfix-like 550 5.1.1 DSN
forged_dsn() { nf_dsn550 mx.evil.example "$@"; }

# ==== send the notifications ===================================================

T1=$(nf_now)
outG=$(smtpc -s int-gone "$PORT" "$APP" "gone@reject.example.test")
outS=$(smtpc -s int-spam "$PORT" "$APP" "spam1@spam.example.test")
outT1=$(smtpc -s int-busy1 "$PORT" "$APP" "busy@tempfail.example.test")
outT2=$(smtpc -s int-busy2 "$PORT" "$APP" "busy@tempfail.example.test")
outA=$(smtpc -s int-angry "$PORT" "$APP" "angry@$DEST" "calm@$DEST")
outR1=$(smtpc -s int-solo "$PORT" "$APP" "solo@$DEST")
outR2=$(smtpc -s int-pair "$PORT" "$APP" "pa@$DEST" "pb@$DEST")
t_like "550 case: notification queued" "$outG" $'\nDATA 250 '
t_like "554 case: notification queued" "$outS" $'\nDATA 250 '
t_like "4xx case: two notifications queued" "$outT1 $outT2" $'\nDATA 250 .*\nDATA 250 '
t_like "complaint case: notification queued" "$outA" $'\nDATA 250 '
t_like "redacted complaint cases: notifications queued" "$outR1 $outR2" $'\nDATA 250 .*\nDATA 250 '

# the 550 and 554 reports come within a second; the 450s expire after 4 s
nf_wait 30 has_reports "gone@reject.example.test"
nf_wait 30 has_reports "spam1@spam.example.test"
nf_wait 40 has_reports "busy@tempfail.example.test" 2
pf_wait_empty "$PF" 20 >/dev/null
echo "# notifications bounced and reports ingested in $(nf_since "$T1") s"

fG=$(msgfile rsink int-gone)
tokA=$(verp_token "$(msgfile sink int-angry)")
t_like "the notifications carry a VERP sender (milter tagging)" "$tokA" '^[a-z0-9]{8,}$'
pipe_ok=$(grep -c 'relay=notifilter, .*status=sent (delivered via notifilter service (ingest: dsn report' "$PF/log/maillog")
t_like "Postfix delivered the reports through the pipe (status=sent)" "$pipe_ok" '^([4-9]|[1-9][0-9])$'
t_is "no pipe delivery bounced (only exit 0 or 75)" \
	"$(grep -c 'relay=notifilter, .*status=bounced' "$PF/log/maillog")" 0

# ==== 550 5.1.1: suppressed, the next notification is blocked =================

t_is "550 5.1.1: report authenticated, address suppressed" "$(outcome gone@reject.example.test)" suppressed
t_is "550 5.1.1: suppression reason and source" \
	"$(q "SELECT reason || '|' || source FROM suppressions WHERE address = 'gone@reject.example.test'")" \
	"userunknown|dsn"
t_like "550 5.1.1: the evidence keeps the token, status and diagnostic" \
	"$(q "SELECT evidence FROM suppressions WHERE address = 'gone@reject.example.test'")" \
	'token [a-z0-9]+; status 5\.1\.1; 550 5\.1\.1'
t_is "550 5.1.1: the recipient is marked bounced" \
	"$(q "SELECT status FROM recipients WHERE address = 'gone@reject.example.test'")" bounced
t_like "550 5.1.1: the timeline has the bounce, then the suppression and the delivery status" \
	"$(q "SELECT group_concat(kind || '/' || ifnull(rule, ''), ' ') FROM (SELECT kind, rule FROM events WHERE address = 'gone@reject.example.test' ORDER BY time, id)")" \
	'bounce/suppressed suppress/ delivery/bounced'
out=$(smtpc -s int-gone-2 "$PORT" "$APP" "gone@reject.example.test")
t_like "550 5.1.1: the next notification to it is refused (550 5.7.1)" "$(reply "$out" gone@reject.example.test)" '^550 5\.7\.1 '

# ==== 4xx then expired, twice: counted, then suppressed =========================

t_is "4xx expired: two reports, the first counted, the second suppressed (SoftBounceLimit 2)" \
	"$(q "SELECT group_concat(outcome, ' ') FROM (SELECT outcome FROM report_recipients WHERE address = 'busy@tempfail.example.test' ORDER BY id)")" \
	"counted suppressed"
t_like "4xx expired: the reports are soft failures" \
	"$(q "SELECT group_concat(DISTINCT policy) FROM report_recipients WHERE address = 'busy@tempfail.example.test'")" '^soft$'
t_like "4xx expired: the suppression says it came from repeated soft failures" \
	"$(q "SELECT evidence FROM suppressions WHERE address = 'busy@tempfail.example.test'")" '^2 soft failures'
out=$(smtpc -s int-busy-3 "$PORT" "$APP" "busy@tempfail.example.test")
t_like "4xx expired: the next notification is refused (550 5.7.1)" "$(reply "$out" busy@tempfail.example.test)" '^550 5\.7\.1 '

# ==== 554 5.7.1 spam: undelivered, never suppressed ============================

t_is "554 5.7.1: outcome undelivered (spam/policy)" "$(outcome spam1@spam.example.test)" undelivered
t_is "554 5.7.1: policy spam" "$(q "SELECT policy FROM report_recipients WHERE address = 'spam1@spam.example.test'")" spam
t_is "554 5.7.1: not suppressed" "$(is_supp spam1@spam.example.test)" 0
t_is "554 5.7.1: the recipient is marked bounced" \
	"$(q "SELECT status FROM recipients WHERE address = 'spam1@spam.example.test'")" bounced
out=$(smtpc -s int-spam-2 "$PORT" "$APP" "spam1@spam.example.test")
t_like "554 5.7.1: the next notification is still accepted" "$(reply "$out" spam1@spam.example.test)" '^250 '

# ==== ARF complaint by SMTP to the complaints address ===========================

cat >"$NF_D/arf.eml" <<EOF
From: fbl@isp.example.net
To: complaints@$BD
Subject: FW: int-angry
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain

This is an email abuse report for an email message received from IP
127.0.0.1.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeISP-FBL/1.0
Version: 1
Original-Mail-From: <bounce+$tokA@$BD>
Original-Rcpt-To: <angry@$DEST>
Source-IP: 127.0.0.1
Arrival-Date: Thu, 1 Jan 2026 10:00:00 +0000

--ARF
Content-Type: message/rfc822

From: $APP
To: angry@$DEST
Subject: int-angry
X-Notifilter-ID: $tokA
Message-ID: <angry@notify.example.test>

notification body
--ARF--
EOF
t_like "ARF: sent by SMTP to complaints@$BD" "$(rawsend fbl@isp.example.net "complaints@$BD" "$NF_D/arf.eml" 2>&1)" SENT
nf_wait 20 has_reports "angry@$DEST"
t_is "ARF: outcome consent-revoked" "$(outcome "angry@$DEST")" consent-revoked
t_like "ARF: the contact's email consent is revoked, source complaint:TOKEN" \
	"$(nf_ctl -c "$CONF" contact show "angry@$DEST" --json 2>&1 | tr -d ' \n')" \
	"revoked.*complaint:$tokA"
t_like "ARF: kind arf, authenticated, with the DKIM and SPF results recorded" \
	"$(q "SELECT kind || '|' || authenticated || '|' || ifnull(dkim, '-') || '|' || ifnull(spf, '-') || '|' || ifnull(client_ip, '') FROM reports WHERE kind = 'arf' ORDER BY id DESC LIMIT 1")" \
	'^arf\|1\|none\|[a-z]+\|127\.0\.0\.1$'
t_is "ARF: the other recipient of that message is untouched" "$(nreports "calm@$DEST")" 0
out=$(smtpc -s int-angry-2 "$PORT" "$APP" "angry@$DEST")
t_like "ARF: the next notification to the complainer is refused (550 5.7.1)" "$(reply "$out" "angry@$DEST")" '^550 5\.7\.1 '

# ==== ARF complaints whose recipient the reporter redacted =======================

tokS=$(verp_token "$(msgfile sink int-solo)")
tokP=$(verp_token "$(msgfile sink int-pair)")
t_like "redacted: both notifications carry a token" "$tokS $tokP" '^[a-z0-9]{8,} [a-z0-9]{8,}$'
# redacted_arf SUBJECT TOKEN [ORIGINAL-MAIL-FROM]: a complaint in the shape
# large mailbox providers send: no Original-Rcpt-To, the returned
# message's To: hidden, our X-Notifilter-ID kept
redacted_arf() {
	cat <<EOF
From: fbl@isp.example.net
To: complaints@$BD
Subject: Complaint about $1
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain

A user of ours complained about this message.  The recipient address is
redacted.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: BigMailbox-FBL/2.0
Version: 1
${3:+Original-Mail-From: <$3>
}Source-IP: 127.0.0.1

--ARF
Content-Type: text/rfc822-headers

From: $APP
To: undisclosed-recipients:;
Subject: $1
X-Notifilter-ID: $2
Message-ID: <$1@notify.example.test>

--ARF--
EOF
}
complaints() { [ "$(q "SELECT count(*) FROM events WHERE address = lower(?) AND kind = 'complaint'" "$1")" -ge 1 ]; }
redacted_arf int-solo "$tokS" >"$NF_D/arf-solo.eml"
redacted_arf int-pair "$tokP" "bounce+$tokP@$BD" >"$NF_D/arf-pair.eml"
t_like "redacted, one recipient: ARF sent by SMTP" "$(rawsend fbl@isp.example.net "complaints@$BD" "$NF_D/arf-solo.eml" 2>&1)" SENT
t_like "redacted, two recipients: ARF sent by SMTP" "$(rawsend fbl@isp.example.net "complaints@$BD" "$NF_D/arf-pair.eml" 2>&1)" SENT
nf_wait 20 complaints "solo@$DEST"
nf_wait 20 complaints "pb@$DEST"

t_is "redacted, one recipient: attributed to the only recipient, consent revoked" \
	"$(outcome "solo@$DEST")" consent-revoked
t_like "redacted, one recipient: the contact's email consent is revoked, source complaint:TOKEN" \
	"$(nf_ctl -c "$CONF" contact show "solo@$DEST" --json 2>&1 | tr -d ' \n')" \
	"revoked.*complaint:$tokS"
t_like "redacted, one recipient: trace shows the complaint and how it was attributed (--json: unwrapped)" \
	"$(nf_ctl -c "$CONF" trace "solo@$DEST" --json 2>&1)" \
	"recipient redacted by the reporter; attributed through token $tokS, the message's only recipient"
t_is "redacted, one recipient: the pipe's summary says so (as for the named complaint before)" \
	"$(grep -cE 'relay=notifilter, .*status=sent .*ingest: arf report #[0-9]+, authenticated, 1 recipient: 1 email consent revoked' "$PF/log/maillog")" 2
out=$(smtpc -s int-solo-2 "$PORT" "$APP" "solo@$DEST")
t_like "redacted, one recipient: the next notification to it is refused (550 5.7.1)" "$(reply "$out" "solo@$DEST")" '^550 5\.7\.1 '

t_is "redacted, two recipients: recorded as one unattributed complaint naming nobody" \
	"$(q "SELECT group_concat(ifnull(x.address, '(null)') || ' ' || x.outcome || ' ' || x.authenticated, ',') FROM report_recipients x JOIN reports r ON r.id = x.report_id WHERE r.token = lower(?) AND r.kind = 'arf'" "$tokP")" \
	"(null) unattributed 1"
t_is "redacted, two recipients: a complaint event on each recipient's timeline" \
	"$(q "SELECT group_concat(address || '/' || rule, ' ') FROM (SELECT address, rule FROM events WHERE token = lower(?) AND kind = 'complaint' AND address IS NOT NULL ORDER BY address)" "$tokP")" \
	"pa@$DEST/unattributed pb@$DEST/unattributed"
t_is "redacted, two recipients: nobody's consent changed" \
	"$(q "SELECT count(*) FROM events WHERE kind = 'consent' AND address IN ('pa@$DEST', 'pb@$DEST')")" 0
t_like "redacted, two recipients: trace of a recipient shows the complaint and says nothing changed" \
	"$(nf_ctl -c "$CONF" trace "pa@$DEST" --json 2>&1)" \
	"unattributed.*nobody's email consent was changed"
t_like "redacted, two recipients: the pipe's summary says so" \
	"$(grep 'relay=notifilter, .*status=sent' "$PF/log/maillog")" \
	'ingest: arf report #[0-9]+, authenticated, 1 recipient: 1 complaint not attributed'
out=$(smtpc -s int-pair-2 "$PORT" "$APP" "pa@$DEST" "pb@$DEST")
t_like "redacted, two recipients: the next notification still reaches both" \
	"$(reply "$out" "pa@$DEST") $(reply "$out" "pb@$DEST")" '^250 .* 250 '

# ==== forged DSNs change nothing ================================================

tokG=$(q "SELECT r.token FROM reports r JOIN report_recipients x ON x.report_id = r.id WHERE x.address = 'gone@reject.example.test' LIMIT 1")
bad=${tokA%?}x; [ "$bad" = "$tokA" ] && bad=${tokA%?}y
forged_dsn "postmaster@$BD" "calm@$DEST" >"$NF_D/forged1.eml"
forged_dsn "bounce+1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@$BD" "calm@$DEST" >"$NF_D/forged2.eml"
forged_dsn "bounce+$bad@$BD" "calm@$DEST" >"$NF_D/forged3.eml"
for i in 1 2 3; do
	t_like "forged DSN $i sent by SMTP" "$(rawsend '' "$(sed -n 's/^To: //p' "$NF_D/forged$i.eml")" "$NF_D/forged$i.eml" 2>&1)" SENT
done
nf_wait 20 has_reports "calm@$DEST" 3
t_is "forged DSNs (no token, made-up token, altered token): all unauthenticated" \
	"$(q "SELECT group_concat(outcome, ' ') FROM report_recipients WHERE address = 'calm@$DEST'")" \
	"unauthenticated unauthenticated unauthenticated"
t_is "forged DSNs: the address is not suppressed" "$(is_supp "calm@$DEST")" 0
t_like "forged DSNs: the reasons are recorded" \
	"$(q "SELECT group_concat(auth_detail, ' / ') FROM reports WHERE authenticated = 0 AND kind = 'dsn'")" \
	'no tracking token.*does not verify.*does not verify'
out=$(smtpc -s int-calm-2 "$PORT" "$APP" "calm@$DEST")
t_like "forged DSNs: the next notification is still accepted" "$(reply "$out" "calm@$DEST")" '^250 '
[ -n "$tokG" ] && t_ok "token of the 550 report recorded ($tokG)" || t_nok "token of the 550 report recorded"

# ==== the store locked: ingest exits 75, Postfix retries =========================

pf_wait_empty "$PF" 20 >/dev/null
# hold reports for the pipe until the store is locked, so the first
# delivery attempt meets the lock (defer_transports: delivered only on -f)
pf_set "$PF" "defer_transports = notifilter"
out=$(smtpc -s int-locked "$PORT" "$APP" "locked@reject.example.test")
t_like "locked store: notification queued" "$out" $'\nDATA 250 '
dsn_waiting() { postqueue -c "$PF/etc" -j 2>/dev/null | grep -q "\"address\": \"bounce+"; }
nf_wait 20 dsn_waiting
t_check "locked store: the DSN waits for the pipe" dsn_waiting
nf_spawn dblock "$NF_PY" "$NF_TOOLS/dblock.py" "$DB" 90
nf_wait 10 grep -q '^locked' "$NF_D/dblock.log"
t_check "store locked by dblock.py" grep -q '^locked' "$NF_D/dblock.log"
l0=$(wc -l <"$PF/log/maillog")
postqueue -c "$PF/etc" -f
deferred75() { tail -n +"$((l0 + 1))" "$PF/log/maillog" | grep -q 'relay=notifilter, .*status=deferred'; }
nf_wait 40 deferred75
t_check "locked store: ingest exits 75, Postfix defers the report" deferred75
t_like "locked store: the deferral says why" \
	"$(tail -n +"$((l0 + 1))" "$PF/log/maillog" | grep 'relay=notifilter, .*status=deferred' | head -1)" \
	'exit 75|temporary failure'
t_is "locked store: the report is still queued" "$(dsn_waiting && echo queued)" queued
nf_stop dblock
pf_set "$PF" "defer_transports ="
nf_wait 30 has_reports "locked@reject.example.test"
t_is "store released: Postfix's retry delivers the report, address suppressed" \
	"$(outcome locked@reject.example.test)" suppressed
t_check "store released: the queue empties" pf_wait_empty "$PF" 20
t_is "store released: one report recorded (nothing half-applied before)" "$(nreports locked@reject.example.test)" 1

# ==== suppress remove reverses it ===============================================

t_check "suppress remove gone@reject.example.test" nf_ctl -c "$CONF" suppress remove gone@reject.example.test
out=$(smtpc -s int-gone-3 "$PORT" "$APP" "gone@reject.example.test")
t_like "after suppress remove the address gets notifications again" "$(reply "$out" gone@reject.example.test)" '^250 '
pf_wait_empty "$PF" 20 >/dev/null

# ==== shutdown ====================================================================

pf_stop "$PF"
nf_stop_rc nf
t_is "notifilter exits 0 on SIGTERM" "$NF_STOP_RC" "nf=0"
t_check "no sanitizer report in the daemon's log" bash -c "! grep -E 'Sanitizer|runtime error:' '$NF_D/nf.log'"
t_check "no sanitizer report in Postfix's log (ingest's stderr)" bash -c "! grep -E 'Sanitizer|runtime error:' '$PF/log/maillog'"
echo "# total: $(nf_since "$T0") s"
t_done
