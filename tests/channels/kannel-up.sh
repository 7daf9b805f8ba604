#!/bin/bash
# tests/channels/kannel-up.sh DIR [stop]
# A throwaway Kannel on loopback: bearerbox + a fake SMSC link + smsbox, and
# Kannel's fakesmsc (from kannel-extras) playing the SMS centre.  Writes
# DIR/kannel.conf, starts the three processes with setsid (PIDs in
# DIR/*.pid) and waits, bounded, until the SMSC link is online.  Messages
# the gateway delivers appear in DIR/fakesmsc.log as
#   "... Got message N: <FROM TO text|ucs-2 TEXT>".
# "stop" ends them by PID (SIGTERM, then SIGKILL after 5 s).
# Ports (all 127.0.0.1) come from the environment; the defaults stay clear
# of Kannel's packaged 13000-13013 and of ../shared/recipes (14000-14013).
# Sendsms user "tester", password from $KANNEL_PASSWORD (default foobar).
# Adapted from ../shared/recipes/kannel/kannel-up.sh (measured there:
# ready in ~0.2 s, stop ~3 s).
set -eu
D=${1:?usage: kannel-up.sh DIR [stop]}
ADMIN_PORT=${ADMIN_PORT:-14020} BOX_PORT=${BOX_PORT:-14021}
FAKE_PORT=${FAKE_PORT:-14030} SENDSMS_PORT=${SENDSMS_PORT:-14033}
FAKESMSC=${FAKESMSC:-/usr/lib/kannel/test/fakesmsc}
PATH=$PATH:/usr/sbin:/sbin

stop_pid() {
	local p i
	p=$(cat "$1" 2>/dev/null) || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
	kill -KILL "$p" 2>/dev/null
	echo "kannel-up.sh: $1 needed SIGKILL" >&2
}
if [ "${2:-}" = stop ]; then
	for b in smsbox fakesmsc bearerbox; do stop_pid "$D/$b.pid"; done
	exit 0
fi

mkdir -p "$D"
cat >"$D/kannel.conf" <<CONF
group = core
admin-port = $ADMIN_PORT
admin-interface = 127.0.0.1
admin-password = adminpw
status-password = statuspw
admin-allow-ip = "127.0.0.1"
smsbox-port = $BOX_PORT
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "$D/bearerbox.log"
log-level = 1
access-log = "$D/access.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = FAKE
our-host = 127.0.0.1
port = $FAKE_PORT
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $BOX_PORT
sendsms-port = $SENDSMS_PORT
sendsms-interface = 127.0.0.1
global-sender = 12345
log-file = "$D/smsbox.log"
log-level = 1

group = sendsms-user
username = tester
password = ${KANNEL_PASSWORD:-foobar}
max-messages = 3
concatenation = true

group = sms-service
keyword = default
text = "mo ignored"
catch-all = true
CONF

wait_port() {	# PORT SECONDS
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "kannel-up.sh: nothing listens on 127.0.0.1:$1 after $2 s; see $D/*.log" >&2
	return 1
}
setsid bearerbox "$D/kannel.conf" >"$D/bearerbox.out" 2>&1 &
echo $! >"$D/bearerbox.pid"
wait_port "$FAKE_PORT" 15
# -m 0: send no mobile-originated message, stay connected, log every MT
setsid "$FAKESMSC" -H 127.0.0.1 -r "$FAKE_PORT" -m 0 "100 200 text unused" \
	>"$D/fakesmsc.log" 2>&1 &
echo $! >"$D/fakesmsc.pid"
setsid smsbox "$D/kannel.conf" >"$D/smsbox.out" 2>&1 &
echo $! >"$D/smsbox.pid"
wait_port "$SENDSMS_PORT" 15
# smsbox listens before bearerbox has the SMSC link online: poll the status
for ((i = 0; i < 300; i++)); do
	curl -s --max-time 2 "http://127.0.0.1:$ADMIN_PORT/status.txt?password=statuspw" |
		grep -q 'FAKE.*online' && exit 0
	sleep 0.05
done
echo "kannel-up.sh: the fake SMSC link is not online after 15 s; see $D/bearerbox.log" >&2
exit 1
