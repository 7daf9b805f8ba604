#!/bin/bash
# demo.sh - notifilter in a real Postfix, in about ten seconds (make demo).
#
# Starts, on 127.0.0.1 only and under one temporary directory: a throwaway
# Postfix instance (its own config, queue and log; /etc/postfix is never
# touched), an smtp-sink standing in for the Internet, and notifilter with
# the example contacts in contrib/demo/contacts.csv.  Then an application
# sends notifications to a consented, a suppressed, an opted-out and an
# unknown recipient, one ordinary mail from a sender that is not
# notification traffic, and one notification through /usr/sbin/sendmail;
# and a table shows, for each recipient, the SMTP answer, whether the mail
# reached the sink, and the decision notifilter recorded.  Then what the
# sink got for alice (the VERP envelope sender, X-Notifilter-ID, NOTIFY)
# and `notifilterctl trace alice@example.net`.  Last, the report intake:
# mail for closed.example.com goes to a second smtp-sink that refuses every
# recipient with 550 5.1.1, and mail for the BounceDomain to a pipe(8)
# transport running `notifilterctl ingest` (contrib/postfix-intake.cf, as
# tests/mta/t-intake.sh); one notification to frank@closed.example.com
# bounces, Postfix's DSN comes back to the VERP sender and is ingested, and
# the demo shows the suppression, the next notification refused, and the
# trace.  Last, the SMS fallback: Kannel on loopback (bearerbox, smsbox and
# Kannel's fake SMS centre, as tests/channels/kannel-up.sh starts it) is the
# kannel Channel; a notification to gina@closed.example.com (phone and SMS
# consent in contrib/demo/contacts.csv) bounces, and the demo shows the SMS
# the fake SMS centre received, the delivery report that came back to the
# daemon's receipt listener, and gina's trace.  Without Kannel installed
# (kannel, kannel-extras) that part is skipped.  Everything is stopped and
# removed at the end (KEEP=1 keeps the directory and logs).
#
# Needs root (Postfix) and the packages from contrib/install-deps.sh; uses
# the test harness in tests/mta/lib.sh and the Python helpers in tests/tools.
# env: DEMO_SMTPD_PORT (10625) DEMO_SINK_PORT (10626) DEMO_REJECT_PORT (10627)
#      DEMO_KANNEL_PORT (first of five: Kannel admin, box, fake SMSC, sendsms,
#      and the receipt listener; 10628-10632) KEEP=1
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${top_srcdir:=$SRC}"
: "${top_builddir:=$SRC}"
. "$top_srcdir/tests/mta/lib.sh"

PORT=${DEMO_SMTPD_PORT:-10625}
SINKP=${DEMO_SINK_PORT:-10626}
REJP=${DEMO_REJECT_PORT:-10627}
BD=bounces.shop.example		# BounceDomain in contrib/demo/notifilter.conf.in
GONE=frank@closed.example.com	# his mailbox no longer exists (550 5.1.1)
APP=noreply@shop.example	# the shop's notification sender (Senders)
HR=hr@shop.example		# an ordinary sender of the same company
GINA=gina@closed.example.com	# bounces too, but has a phone and SMS consent
KP=${DEMO_KANNEL_PORT:-10628}
export ADMIN_PORT=$KP BOX_PORT=$((KP + 1)) FAKE_PORT=$((KP + 2)) SENDSMS_PORT=$((KP + 3))
RECEIPT_PORT=$((KP + 4))
KANNEL_UP=$top_srcdir/tests/channels/kannel-up.sh
HAVE_KANNEL=1
for b in bearerbox smsbox /usr/lib/kannel/test/fakesmsc curl; do
	command -v "$b" >/dev/null 2>&1 || HAVE_KANNEL=0
done

die() { echo "demo: $*" >&2; exit 1; }
miss=$(nf_missing_tools)
[ -z "$miss" ] || die "missing:$miss - run contrib/install-deps.sh as root first"
[ "$(id -u)" = 0 ] || die "run as root: the demo starts its own Postfix instance"
[ -x "$NOTIFILTER" ] && [ -x "$NOTIFILTERCTL" ] ||
	die "build first: ./configure && make (looked for $NOTIFILTER and $NOTIFILTERCTL)"

nf_ports_free "$PORT" "$SINKP" "$REJP" ||
	die "set DEMO_SMTPD_PORT / DEMO_SINK_PORT / DEMO_REJECT_PORT to free ports"
if [ $HAVE_KANNEL = 1 ]; then
	nf_ports_free "$ADMIN_PORT" "$BOX_PORT" "$FAKE_PORT" "$SENDSMS_PORT" "$RECEIPT_PORT" ||
		die "set DEMO_KANNEL_PORT to the first of five free ports"
fi
NF_KEEP_ON_FAIL=0
nf_init demo
KD=$NF_D/kannel
# Kannel's processes belong to kannel-up.sh: stop them, then lib.sh's cleanup
trap 'rc=$?; [ $HAVE_KANNEL = 1 ] && bash "$KANNEL_UP" "$KD" stop >/dev/null 2>&1; (exit $rc); nf_cleanup' EXIT
PF=$NF_D/postfix
DB=$NF_D/db/notifilter.db
mkdir -p "$NF_D/run" "$NF_D/db" && chmod 755 "$NF_D/run"
sed -e "s|@DIR@|$NF_D|g" -e "s|@SMS_PORT@|$SENDSMS_PORT|g" -e "s|@RECEIPT_PORT@|$RECEIPT_PORT|g" \
	"$top_srcdir/contrib/demo/notifilter.conf.in" >"$NF_D/notifilter.conf"
# without Kannel: no channel, no receipt listener (the rest runs the same)
[ $HAVE_KANNEL = 1 ] || sed -i -e 's/^Channel /#Channel /' -e 's/^ReceiptListen /#ReceiptListen /' "$NF_D/notifilter.conf"
# Kannel's sendsms password, for the channel's password_file (mode 600)
printf 'demo-sms\n' >"$NF_D/kannel.pw" && chmod 600 "$NF_D/kannel.pw"
chmod 644 "$NF_D/notifilter.conf"
# the key for the tracking tokens' HMAC (SecretFile): random, mode 600,
# owned by nobody, the user the intake pipe runs `notifilterctl ingest` as
head -c 32 /dev/urandom >"$NF_D/secret" && chmod 600 "$NF_D/secret" && chown nobody "$NF_D/secret"
CONF=$NF_D/notifilter.conf
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '==> %s\n' "$*"; }

# The SMS gateway: Kannel on loopback, with fakesmsc as the SMS centre
# (what it "sends" appears in $KD/fakesmsc.log).
demo_sms_gateway_start() {
	[ $HAVE_KANNEL = 1 ] || return 0
	KANNEL_PASSWORD=demo-sms bash "$KANNEL_UP" "$KD" >"$NF_D/kannel-up.log" 2>&1 ||
		die "Kannel did not start: $(cat "$NF_D/kannel-up.log")"
	echo "      Kannel on 127.0.0.1:$SENDSMS_PORT (sendsms), its fake SMS centre connected"
}

say "work directory $NF_D"
say "contacts: notifilterctl contact import contrib/demo/contacts.csv"
sed 's/^/      /' "$top_srcdir/contrib/demo/contacts.csv"
nf_ctl -c "$CONF" contact import "$top_srcdir/contrib/demo/contacts.csv" | sed 's/^/      /'
[ "${PIPESTATUS[0]}" = 0 ] || die "contact import failed"
say "carol's mailbox bounced: notifilterctl suppress add carol@example.net --reason ..."
nf_ctl -c "$CONF" suppress add carol@example.net --reason "hard bounce: 550 5.1.1 user unknown" |
	sed 's/^/      /'
[ "${PIPESTATUS[0]}" = 0 ] || die "suppress add failed"
# the intake pipe (user nobody) writes the store: file, -wal, -shm, directory
chown -R nobody "$NF_D/db"

say "starting smtp-sink (the Internet) on 127.0.0.1:$SINKP, a refusing one on 127.0.0.1:$REJP, Postfix on 127.0.0.1:$PORT, notifilter"
sink_start sink "$SINKP" || die "smtp-sink did not start"
# frank's mail server: refuses every recipient (the report-intake section)
sink_start rsink "$REJP" -f rcpt -B "550 5.1.1 Recipient address rejected: User unknown" ||
	die "the rejecting smtp-sink did not start on 127.0.0.1:$REJP"
demo_sms_gateway_start
PF_LISTENERS=$PORT PF_SINK_PORT=$SINKP
PF_SMTPD_MILTERS=unix:$NF_D/run/notifilter.sock PF_NONSMTPD_MILTERS=unix:$NF_D/run/notifilter.sock
# Report intake (contrib/postfix-intake.cf): mail for the BounceDomain goes
# to the pipe "notifilter", one recipient per run; frank's domain to rsink.
printf '%s\n' "$BD notifilter:" "${GONE#*@} smtp:[127.0.0.1]:$REJP" >"$NF_D/transport"
PF_MAIN_EXTRA="transport_maps = texthash:$NF_D/transport
relay_domains = $BD
notifilter_destination_recipient_limit = 1"
PF_MASTER_EXTRA="notifilter unix - n n - - pipe
  flags=Rq user=nobody null_sender= argv=$NOTIFILTERCTL -c $CONF ingest --sender=\${sender} --recipient=\${recipient} --client-ip=\${client_address} --helo=\${client_helo}"
pf_create "$PF" && pf_start "$PF" || die "Postfix did not start (log: $PF/log/maillog)"
# Postfix first: notifilter follows its maillog_file (MailLog)
nf_wait 5 test -s "$PF/log/maillog"
nf_daemon_start notifilter "$CONF" || die "notifilter did not start; see above"
echo "      smtpd_milters = non_smtpd_milters = unix:$NF_D/run/notifilter.sock (milter_protocol 6, milter_default_action tempfail)"

# ---- send ---------------------------------------------------------------------
ROWS=()	# "n|from|to|contact|how"
send() { # n from to contact-label
	local out
	out=$(smtpc -s "demo-$1" "$PORT" "$2" "$3")
	echo "$out" >"$NF_D/reply-$1"
	ROWS+=("$1|$2|$3|$4|smtp")
}
say "the shop sends notifications by SMTP (and HR sends one ordinary mail)"
send 1 "$APP" alice@example.net "consent granted"
send 2 "$APP" carol@example.net "suppressed (bounce)"
send 3 "$APP" bob@example.net "opted out (email)"
send 4 "$APP" erin@example.org "no record"
send 5 "$HR" bob@example.net "opted out (email)"
say "and one notification to alice and bob through /usr/sbin/sendmail"
printf 'From: %s\nSubject: demo-6\n\nYour parcel is on its way.\n' "$APP" |
	pf_sendmail "$PF" "$APP" alice@example.net bob@example.net
echo "sendmail exit $?" >"$NF_D/reply-6"
ROWS+=("6|$APP|alice@example.net|consent granted|sendmail")
ROWS+=("6|$APP|bob@example.net|opted out (email)|sendmail")
pf_wait_empty "$PF" 20 >/dev/null || echo "demo: the queue did not empty in 20 s; results may be incomplete" >&2
# decisions are written by notifilter's event thread: wait for the 6 expected
ndecisions() { [ "$(nf_sql "$DB" "SELECT COUNT(*) FROM events WHERE kind='decision'" 2>/dev/null)" -ge "$1" ]; }
nf_wait 10 ndecisions 6

# ---- report -------------------------------------------------------------------
delivered() { # n address -> yes/no
	local f
	for f in $(sink_files sink "Subject: demo-$1"); do
		grep -q "^X-Rcpt-Args: <$2>" "$f" && { echo yes; return; }
	done
	echo no
}
decision() { # n address
	local row
	row=$(nf_sql "$DB" "SELECT rule FROM events WHERE kind='decision' AND address = ? ORDER BY id" "$2" |
		sed -n "${3}p")
	case $row in
	'') echo "none (not notification traffic)" ;;
	consent-granted | default-consent-yes) echo "allowed: $row" ;;
	*) echo "blocked: $row" ;;
	esac
}
declare -A seen=()
line() { printf '%-2s %-22s %-19s %-20s %-24s %-9s %s\n' "$@"; }
echo
line "#" "from" "to" "contact" "answer" "at sink" "decision recorded"
line "--" "----------------------" "-------------------" "--------------------" "------------------------" "---------" "-----------------------------"
reasons=()
for r in "${ROWS[@]}"; do
	IFS='|' read -r n from to label how <<<"$r"
	if [ "$how" = smtp ]; then
		a=$(sed -n "s/^RCPT $to //p" "$NF_D/reply-$n")
		ans="RCPT ${a%% *} ${a#* }"; ans=${ans:0:14}
		[[ $a == 2* ]] || reasons+=("#$n $to: $a")
		[[ $a == 2* ]] && ans="$ans, queued"
	else
		ans="sendmail: $(sed 's/sendmail //' "$NF_D/reply-$n")"
	fi
	if [ "$from" = "$APP" ]; then
		seen[$to]=$((${seen[$to]:-0} + 1))
		d=$(decision "$n" "$to" "${seen[$to]}")
	else
		d="none (not notification traffic)"
	fi
	[ "$how" = sendmail ] && [[ $d == blocked* ]] && d="$d, removed"
	line "$n" "$from" "$to" "$label" "$ans" "$(delivered "$n" "$to")" "$d"
done
echo
if [ ${#reasons[@]} -gt 0 ]; then
	echo "What the refused SMTP clients were told:"
	printf '   %s\n' "${reasons[@]}"
	echo
fi
cat <<EOF
Read the table like this:
 - alice has consent: delivered.  erin has no record: DefaultEmailConsent yes lets it pass.
 - carol is on the suppression list and bob revoked email consent: the shop's
   mail server refuses them at RCPT with 550 5.7.1 and a reason.
 - HR is not in Senders: its mail to bob passes untouched and is not recorded.
 - sendmail(1) submissions cannot be refused per recipient: notifilter removes
   bob at the end of the message and alice still gets hers.
SMS fallback: shown at the end (a notification that bounces goes out by SMS).
EOF

# ---- tracking -------------------------------------------------------------------
f=$(for g in $(sink_files sink "Subject: demo-1"); do grep -l '^X-Rcpt-Args: <alice@example.net>' "$g"; done | head -1)
if [ -n "$f" ]; then
	echo
	say "what the Internet got for alice (smtp-sink's dump of message 1)"
	grep -E '^(X-Mail-Args|X-Rcpt-Args|X-Notifilter-ID|Subject):' "$f" | sed 's/^/      /'
	cat <<'EOF'
      X-Mail-Args is the envelope sender: bounce+<token>@bounces.shop.example, so
      bounces and delivery reports come back to notifilter with the message's identity;
      X-Rcpt-Args shows NOTIFY=SUCCESS,FAILURE,DELAY (RequestDSN yes).
EOF
fi
if nf_ctl -c "$CONF" trace --help >/dev/null 2>&1; then
	# the delivery is read from Postfix's log a moment after it happens
	has_delivery() { nf_ctl -c "$CONF" trace alice@example.net --json 2>/dev/null | grep -q '"kind": *"delivery"'; }
	nf_wait 10 has_delivery
	echo
	say "notifilterctl trace alice@example.net"
	nf_ctl -c "$CONF" trace alice@example.net | sed 's/^/      /'
fi

# ---- report intake --------------------------------------------------------------
# Postfix's own DSN for a refused notification goes to the VERP sender
# bounce+<token>@BounceDomain, i.e. through the pipe into `notifilterctl
# ingest`, which checks the token and suppresses the address.
echo
say "report intake: a bounce comes back and suppresses the address"
cat <<EOF
      Postfix routes $BD to the pipe(8) transport "notifilter"
      (contrib/postfix-intake.cf), run as user nobody:
        notifilterctl -c notifilter.conf ingest --sender=\${sender} --recipient=\${recipient} ...
      and ${GONE#*@} to an smtp-sink on 127.0.0.1:$REJP that answers every RCPT with
        550 5.1.1 Recipient address rejected: User unknown
EOF
q1() { nf_sql "$DB" "$@" 2>/dev/null; }
suppressed() { [ "$(q1 "SELECT COUNT(*) FROM suppressions WHERE address = ? AND channel = 'email'" "$GONE")" -ge 1 ]; }
bounce_logged() { nf_ctl -c "$CONF" trace "$GONE" 2>/dev/null | grep -q 'source=maillog'; }
out=$(smtpc -s demo-7 "$PORT" "$APP" "$GONE")
a=$(sed -n "s/^RCPT $GONE //p" <<<"$out")
echo "      #7 $APP -> $GONE: RCPT $a, DATA $(sed -n 's/^DATA //p' <<<"$out" | cut -c1-3)"
T1=$(nf_now)
if nf_wait 30 suppressed; then
	echo "      Postfix bounced it and delivered its DSN through the pipe; ingested after $(nf_since "$T1") s:"
	q1 "SELECT 'report: ' || r.kind || ', ' || CASE r.authenticated WHEN 1 THEN 'authenticated (token verifies)' ELSE 'NOT authenticated' END || ', ' || x.status || ' -> ' || x.outcome FROM report_recipients x JOIN reports r ON r.id = x.report_id WHERE x.address = ? ORDER BY x.id DESC LIMIT 1" "$GONE" |
		sed 's/^/        /'
	echo "      Postfix's log of the pipe delivery:"
	grep -m1 'relay=notifilter, ' "$PF/log/maillog" | sed -E 's/^.*(to=<)/\1/; s/^/        /' | fold -s -w 88 | sed 's/ *$//; 2,$s/^/          /'
	# the daemon reads status=bounced from the maillog a moment later
	nf_wait 10 bounce_logged
	pf_wait_empty "$PF" 10 >/dev/null
	echo
	say "notifilterctl suppress list"
	nf_ctl -c "$CONF" suppress list | sed 's/^/      /'
	echo
	say "the next notification to $GONE"
	out=$(smtpc -s demo-8 "$PORT" "$APP" "$GONE")
	echo "      #8 $APP -> $GONE: RCPT $(sed -n "s/^RCPT $GONE //p" <<<"$out")"
	# its decision is written by the daemon's event thread
	gone_decisions() { [ "$(q1 "SELECT COUNT(*) FROM events WHERE kind = 'decision' AND address = ?" "$GONE")" -ge 2 ]; }
	nf_wait 10 gone_decisions
	echo
	say "notifilterctl trace $GONE"
	nf_ctl -c "$CONF" trace "$GONE" | sed 's/^/      /'
	cat <<EOF
      Read it like this: decided (no record, DefaultEmailConsent yes lets it
      pass), tagged (VERP sender, X-Notifilter-ID), queued; the next hop said
      550 5.1.1, Postfix bounced it (delivery bounced, source=maillog) and sent
      its DSN to the VERP address; ingest verified the token and recorded the
      bounce (source=dsn) and the suppression; so #8 was refused at RCPT (the
      "decided rejected" line in the history).
EOF
else
	echo "demo: no suppression for $GONE after 30 s; the pipe's result is in $PF/log/maillog:" >&2
	grep 'relay=notifilter' "$PF/log/maillog" | tail -3 >&2
	pf_wait_empty "$PF" 10 >/dev/null
fi

# ---- SMS fallback -----------------------------------------------------------------
if [ $HAVE_KANNEL = 1 ]; then
	echo
	say "SMS fallback: a notification that bounces reaches the customer by SMS"
	cat <<EOF
      notifilter.conf (the parts that matter here):
        FallbackChannels sms; DefaultPhoneConsent no
        Channel sms kannel url=http://127.0.0.1:$SENDSMS_PORT/cgi-bin/sendsms user=tester
          password_file=... from=Shop dlr_url=http://127.0.0.1:$RECEIPT_PORT/kannel?key={key}&status=%d
        ReceiptListen inet:$RECEIPT_PORT@127.0.0.1
      $GINA has the phone +4915123456789 and SMS consent (contacts.csv);
      her mail server refuses her mail like frank's (550 5.1.1).
EOF
	got_sms() { grep -q 'Got message [0-9]*: <Shop +4915123456789 ' "$KD/fakesmsc.log" 2>/dev/null; }
	got_dlr() { [ -n "$(q1 "SELECT receipt FROM outbox WHERE recipient = ? AND receipt LIKE 'delivered%'" "$GINA")" ]; }
	out=$(smtpc -s "Your parcel 4711 is waiting at the depot" "$PORT" "$APP" "$GINA")
	echo "      #9 $APP -> $GINA: RCPT $(sed -n "s/^RCPT $GINA //p" <<<"$out")"
	T2=$(nf_now)
	if nf_wait 30 got_sms; then
		echo "      bounced, DSN ingested, and $(nf_since "$T2") s after sending the mail the fake SMS centre got:"
		grep -m1 'Got message [0-9]*: <Shop +4915123456789 ' "$KD/fakesmsc.log" |
			sed -E 's/^.*(Got message)/\1/; s/^/        /'
		nf_wait 10 got_dlr
		echo "      the outbox row (one per notification and recipient; at most one SMS):"
		q1 "SELECT '        state ' || state || ', ' || channel || ' via ' || driver || ', attempts ' || attempts || ', receipt: ' || ifnull(receipt, '(none yet)') FROM outbox WHERE recipient = ?" "$GINA"
		echo
		say "notifilterctl trace $GINA"
		nf_ctl -c "$CONF" trace "$GINA" | sed 's/^/      /'
		cat <<EOF
      Read it like this: the failed delivery (from Postfix's log, or the DSN
      through ingest, whichever comes first) triggered the fallback; the
      scheduler found gina's phone and SMS consent and queued an SMS from
      FallbackTemplate; a dispatcher sent it through Kannel (sent, HTTP 202);
      Kannel's SMS centre confirmed it and smsbox called the channel's dlr_url,
      so the daemon's receipt listener recorded "delivered: kannel status 1".
EOF
	else
		echo "demo: no SMS for $GINA after 30 s; the outbox says:" >&2
		q1 "SELECT state, answer FROM outbox WHERE recipient = ?" "$GINA" >&2
	fi
	pf_wait_empty "$PF" 10 >/dev/null
else
	echo
	echo "SMS fallback: skipped (Kannel is not installed: apt-get install kannel kannel-extras)."
fi

echo
[ "${KEEP:-0}" = 1 ] && echo "Logs: $PF/log/maillog, $NF_D/notifilter.log, $KD/"
if [ $HAVE_KANNEL = 1 ]; then say "stopping Postfix, notifilter, smtp-sink and Kannel"; else say "stopping Postfix, notifilter and smtp-sink"; fi
