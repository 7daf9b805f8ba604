#!/bin/bash
# tests/channels/t-kannel.sh - the kannel driver against a REAL Kannel on
# loopback (bearerbox + smsbox + fakesmsc, tests/channels/kannel-up.sh):
# the SMS reaches the fake SMSC with the right sender, number and text in
# GSM-7 and in UCS-2, delivery reports reach dlr_url with the outbox key,
# a wrong password is permanent and never shown, and smsbox down is a retry.
# Skipped (TAP "1..0 # SKIP") only when Kannel is not installed.
# Ports: ADMIN_PORT BOX_PORT FAKE_PORT SENDSMS_PORT (14020/14021/14030/14033).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PATH=$PATH:/usr/sbin:/sbin
PY=${PYTHON3:-python3}
SENDONE=$top_builddir/tests/channels/sendone
UP=$top_srcdir/tests/channels/kannel-up.sh
export ADMIN_PORT=${ADMIN_PORT:-14020} BOX_PORT=${BOX_PORT:-14021}
export FAKE_PORT=${FAKE_PORT:-14030} SENDSMS_PORT=${SENDSMS_PORT:-14033}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

N=0 FAIL=0
t_ok()  { N=$((N + 1)); echo "ok $N - $*"; }
t_nok() { N=$((N + 1)); FAIL=$((FAIL + 1)); echo "not ok $N - $*"; }
t_diag() { local l; while IFS= read -r l; do echo "#   $l"; done <<<"$*"; }
t_is()  { if [ "$2" = "$3" ]; then t_ok "$1"; else t_nok "$1"; t_diag "got:  '$2'"; t_diag "want: '$3'"; fi; }
t_like() { if [[ $2 =~ $3 ]]; then t_ok "$1"; else t_nok "$1"; t_diag "got:  '$2'"; t_diag "want match of /$3/"; fi; }

for b in bearerbox smsbox /usr/lib/kannel/test/fakesmsc; do
	command -v "$b" >/dev/null 2>&1 || { echo "1..0 # SKIP Kannel not installed ($b missing: apt-get install kannel kannel-extras)"; exit 0; }
done
[ -x "$SENDONE" ] || { echo "Bail out! $SENDONE not built (make check builds it)"; exit 1; }

D=$(mktemp -d /tmp/t-kannel.XXXXXX)
STUB_PID=
cleanup() {
	bash "$UP" "$D" stop
	if [ -n "$STUB_PID" ]; then
		kill -TERM "$STUB_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do kill -0 "$STUB_PID" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$STUB_PID" 2>/dev/null
	fi
	[ "${KEEP:-0}" = 1 ] && echo "# kept $D" || rm -rf "$D"
}
trap cleanup EXIT

# DLR receiver: the loopback stub on a free port
setsid "$PY" "$top_srcdir/tests/tools/httpstub.py" --max-seconds 120 >"$D/stub.out" 2>&1 &
STUB_PID=$!
for ((i = 0; i < 100; i++)); do grep -q '^PORT ' "$D/stub.out" && break; sleep 0.05; done
DLR_PORT=$(sed -n 's/^PORT //p' "$D/stub.out")
[ -n "$DLR_PORT" ] || { echo "Bail out! httpstub.py did not start: $(cat "$D/stub.out")"; exit 1; }

t0=$(date +%s.%N)
if ! bash "$UP" "$D" >"$D/up.out" 2>&1; then
	echo "Bail out! Kannel did not start: $(cat "$D/up.out")"; exit 1
fi
echo "# kannel up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"

umask 077
printf 'foobar\n' >"$D/kannel.pw"
printf 'wrongpw\n' >"$D/bad.pw"
URL=http://127.0.0.1:$SENDSMS_PORT/cgi-bin/sendsms
DLR="http://127.0.0.1:$DLR_PORT/dlr?key={key}&status=%d&smsc=%i"
send() {	# PWFILE TO TEXT KEY: sets OUT and RC
	OUT=$("$SENDONE" -t 5000 sms kannel "url=$URL" user=tester "password_file=$1" \
		from=NOTIF "dlr_url=$DLR" -- "$2" "$3" "$4" 2>&1); RC=$?
}
got() {	# wait up to 5 s for a line in fakesmsc.log
	local i
	for ((i = 0; i < 100; i++)); do grep -qF -- "$1" "$D/fakesmsc.log" && return 0; sleep 0.05; done
	return 1
}
check_got() {
	if got "$2"; then t_ok "$1"; else
		t_nok "$1"; t_diag "want a line with: $2"; t_diag "fakesmsc.log: $(grep 'Got message' "$D/fakesmsc.log")"; fi
}

t1=$(date +%s.%N)
send "$D/kannel.pw" +15551234567 "Your code is 1234" out-1
t_is "GSM-7 text: sendone exits 0 (ok)" "$RC" 0
t_like "GSM-7 text: ok, HTTP 202, Kannel's answer recorded" "$OUT" '^status=ok http=202 retry_after=-1 id= answer=HTTP 202: 0: Accepted for delivery$'
check_got "GSM-7 text reaches the fake SMSC (from, to, text)" "<NOTIF +15551234567 text Your code is 1234>"
echo "# sendsms -> fakesmsc: $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }') s"

send "$D/kannel.pw" +15550000002 "Grüße: €5 [ok] {x}" out-2
t_is "GSM-7 with extension chars: ok" "$RC" 0
check_got "GSM-7 extension chars arrive intact" "<NOTIF +15550000002 text Grüße: €5 [ok] {x}>"

send "$D/kannel.pw" +15550000003 "Привет 😀" out-3
t_is "UCS-2 text: ok" "$RC" 0
# UTF-16BE, as fakesmsc prints it (URL-escaped): the emoji is one surrogate pair
check_got "UCS-2 text arrives as UCS-2 with the surrogate pair" \
	"<NOTIF +15550000003 ucs-2 %04%1F%04%40%048%042%045%04B%00+%D8%3D%DE%00>"

# delivery reports: smsbox calls dlr_url with {key} replaced
dlr_seen() {	# KEY STATUS
	local i
	for ((i = 0; i < 100; i++)); do
		curl -s --max-time 2 "http://127.0.0.1:$DLR_PORT/_stub/log" | grep -qF "\"/dlr?key=$1&status=$2&smsc=FAKE\"" && return 0
		sleep 0.05
	done
	return 1
}
if dlr_seen out-1 8; then t_ok "DLR 8 (SMSC ack) reaches dlr_url with the outbox key"; else
	t_nok "DLR 8 (SMSC ack) reaches dlr_url with the outbox key"
	t_diag "stub log: $(curl -s "http://127.0.0.1:$DLR_PORT/_stub/log" | head -c 600)"; fi
if dlr_seen out-1 1; then t_ok "DLR 1 (delivered) reaches dlr_url with the outbox key"; else
	t_nok "DLR 1 (delivered) reaches dlr_url with the outbox key"; fi

send "$D/bad.pw" +15551234567 "never" out-4
t_is "wrong password: exit 2 (permanent)" "$RC" 2
t_like "wrong password: HTTP 403 recorded" "$OUT" '^status=permanent http=403 .*Authorization failed'
case $OUT in *wrongpw*) t_nok "wrong password never shown"; t_diag "$OUT" ;; *) t_ok "wrong password never shown" ;; esac
if grep -q 'wrongpw\|foobar' "$D/access.log" 2>/dev/null; then
	t_nok "password not in Kannel's access log (sent in a header, not the URL)"
else t_ok "password not in Kannel's access log (sent in a header, not the URL)"; fi

send "$D/kannel.pw" 12ab "x" out-5
t_is "bad number: permanent before any request" "$RC" 2

# smsbox down: connection refused -> retry
kill -TERM "$(cat "$D/smsbox.pid")"
for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$SENDSMS_PORT") 2>/dev/null || break; sleep 0.05; done
send "$D/kannel.pw" +15551234567 "later" out-6
t_is "smsbox down: exit 1 (retry)" "$RC" 1
t_like "smsbox down: no HTTP answer recorded" "$OUT" '^status=retry http=0 retry_after=-1 id= answer=no answer: '

echo "1..$N"
[ "$FAIL" = 0 ]
