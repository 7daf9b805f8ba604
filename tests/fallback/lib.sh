# tests/fallback/lib.sh - sourced by tests/fallback/t-*.sh: TAP helpers, a
# scratch directory, the loopback HTTP stub (tests/tools/httpstub.py)
# playing the providers, the real daemon with a webhook (sms) and a twilio
# (whatsapp) channel pointed at it, messages recorded with tests/ctl/mkmsg
# under valid tokens (fbtoken), and failures made by the real
# `notifilterctl ingest` of a DSN.
#
# Ports: the caller sets STUB_PORT (from 11000-11049, this suite's range).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${PYTHON3:=python3}"
[ -n "$PYTHON3" ] || PYTHON3=python3
NF="$top_builddir/notifilter"
CTL="$top_builddir/notifilterctl"
MKMSG="$top_builddir/tests/ctl/mkmsg"
FBTOKEN="$top_builddir/tests/fallback/fbtoken"
STUB="$top_srcdir/tests/tools/httpstub.py"
BD=bounce.example.test

tap_n=0
tap_failed=0
ok()     { tap_n=$((tap_n+1)); echo "ok $tap_n - $1"; }
not_ok() { tap_n=$((tap_n+1)); tap_failed=$((tap_failed+1)); echo "not ok $tap_n - $1"; }
is() {	# is GOT WANT DESC
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; echo "#   got '$1', want '$2'"; fi
}
done_testing() {
	if [ -f "$T/daemon.log" ] && grep -q -E 'Sanitizer|runtime error' "$T/daemon.log"; then
		not_ok "no sanitizer report in the daemon's log"
		grep -E -A8 'Sanitizer|runtime error' "$T/daemon.log" | head -30 | sed 's/^/#   /'
	fi
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

for need in "$NF" "$CTL" "$MKMSG" "$FBTOKEN"; do
	if [ ! -x "$need" ]; then
		echo "1..0 # SKIP $need is not built"
		exit 0
	fi
done
for tool in sqlite3 "$PYTHON3" curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP needs $tool"
		exit 0
	fi
done

T=$(mktemp -d /tmp/nf-fallback.XXXXXX) || exit 99
chmod 755 "$T"
DB="$T/nf.db"
CONF="$T/nf.conf"
PID=
STUB_PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PID" 2>/dev/null
	fi
	[ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

: > "$T/daemon.log"
head -c 32 /dev/urandom > "$T/secret"; chmod 600 "$T/secret"
head -c 32 /dev/urandom > "$T/hook.key"; chmod 600 "$T/hook.key"
printf 'twilio-token-123456\n' > "$T/twilio.token"; chmod 600 "$T/twilio.token"
printf 'vonage-secret-123456\n' > "$T/vonage.secret"; chmod 600 "$T/vonage.secret"

# write_conf [EXTRA LINES...]: the daemon's configuration
write_conf() {
	{
		echo "Socket unix:$T/nf.sock"
		echo "Database $DB"
		echo "PidFile $T/nf.pid"
		echo "SyslogFacility none"
		echo "LogLevel ${LOGLEVEL:-debug}"
		echo "Senders app@shop.example.test"
		echo "BounceDomain $BD"
		echo "SecretFile $T/secret"
		echo "DefaultCountry 49"
		echo "DefaultPhoneConsent no"
		echo "Channel sms webhook url=http://127.0.0.1:$STUB_PORT/hook secret_file=$T/hook.key"
		echo "Channel whatsapp twilio account=AC0123 token_file=$T/twilio.token from=+15550001111 base_url=http://127.0.0.1:$STUB_PORT/tw"
		for l in "$@"; do echo "$l"; done
	} > "$CONF"
}

ctl() { "$CTL" -c "$CONF" "$@"; }
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

stub_start() {
	"$PYTHON3" "$STUB" --port "$STUB_PORT" --max-seconds 600 > "$T/stub.out" 2>&1 &
	STUB_PID=$!
	for _ in $(seq 50); do grep -q '^PORT' "$T/stub.out" 2>/dev/null && return 0; sleep 0.1; done
	echo "Bail out! the HTTP stub did not start on port $STUB_PORT"
	exit 1
}
stub_script() { curl -s -X POST --data-binary "$1" "http://127.0.0.1:$STUB_PORT/_stub/script" >/dev/null; }
stub_reset()  { curl -s -X POST "http://127.0.0.1:$STUB_PORT/_stub/reset" >/dev/null; }
stub_log()    { curl -s "http://127.0.0.1:$STUB_PORT/_stub/log"; }
stub_count()  { stub_log | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# stub_field I EXPR: python expression over request I (as r) of the log
stub_field() {
	stub_log | "$PYTHON3" -c "import json,sys; l=json.load(sys.stdin); r=l[$1] if len(l)>$1 else None; print($2 if r else '')"
}
# wait_requests N [SECONDS]: until the stub saw at least N requests
wait_requests() {
	local i
	for i in $(seq $((${2:-10} * 10))); do
		[ "$(stub_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

daemon_start() {	# the log is appended to: sanitizer reports of every run stay
	local before
	before=$(grep -c ' started' "$T/daemon.log" 2>/dev/null)
	"$NF" -c "$CONF" -f >> "$T/daemon.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c ' started' "$T/daemon.log")" -gt "${before:-0}" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "Bail out! the daemon did not start:"
	sed 's/^/#   /' "$T/daemon.log"
	exit 1
}
daemon_stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	for _ in $(seq 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	wait "$PID" 2>/dev/null
	PID=
}
reload() {
	local before
	before=$(grep -c 'configuration reloaded' "$T/daemon.log")
	kill -USR1 "$PID"
	for _ in $(seq 50); do
		[ "$(grep -c 'configuration reloaded' "$T/daemon.log")" -gt "$before" ] && return 0
		sleep 0.1
	done
	return 1
}

# new_msg N RCPT [mkmsg args...]: record message number N to RCPT (DSN
# asked unless DSNREQ=0) under a valid token; prints the token
msgno=100
new_msg() {
	local n=$1 rcpt=$2 tok
	shift 2
	tok=$("$FBTOKEN" "$T/secret" "$n") || return 1
	"$MKMSG" "$DB" message "token=$tok" "qid=Q$n" sender=app@shop.example.test \
	    "verp=bounce+$tok@$BD" "from=\"Shop\" <app@shop.example.test>" \
	    "subject=Your invoice $n" "rcpt=$rcpt|allowed|default|x|${DSNREQ:-1}" "$@" >/dev/null || return 1
	echo "$tok"
}

# dsn RCPT TOKEN [STATUS]: a Postfix-style failure DSN for RCPT
dsn() {
	local st=${3:-5.1.1}
	cat <<MSG
From: MAILER-DAEMON@mta.example.test (Mail Delivery System)
To: bounce+$2@$BD
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BND"
Message-Id: <dsn.$2@mta.example.test>

--BND
Content-Type: text/plain; charset=us-ascii

<$1>: host 127.0.0.1 said: 550 $st rejected

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.example.test

Final-Recipient: rfc822; $1
Original-Recipient: rfc822;$1
Action: failed
Status: $st
Remote-MTA: dns; 127.0.0.1
Diagnostic-Code: smtp; 550 $st rejected

--BND
Content-Type: text/rfc822-headers

From: app@shop.example.test
To: $1
Subject: Your invoice
X-Notifilter-ID: $2

--BND--
MSG
}
# ingest_dsn RCPT TOKEN [STATUS]: through the real pipe entry point
ingest_dsn() {
	dsn "$@" | ctl ingest --sender "" --recipient "bounce+$2@$BD" > "$T/ingest.out" 2>&1
}
# outbox TOKEN COLUMN: a column of the outbox row of TOKEN
outbox() { sql "SELECT $2 FROM outbox WHERE token = '$1'"; }
# wait_state TOKEN STATE [SECONDS]
wait_state() {
	local i
	for i in $(seq $((${3:-10} * 10))); do
		[ "$(outbox "$1" state)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
