#!/bin/bash
# t-restart.sh - restart safety of the fallback: the daemon killed (-9)
# while the loopback provider holds a request open.  A webhook row (the
# driver sends an idempotency key) is sent again after the restart with
# the same key; a vonage row (no idempotency key) becomes 'uncertain' and
# is never sent again by itself.  Also: SIGTERM with a request in flight
# stops the daemon in bounded time, and logs above debug mask phones.
# Prints TAP.
STUB_PORT=11002
LOGLEVEL=info
. "$(dirname "$0")/lib.sh"

stub_start
write_conf
ctl contact add ann@example.test --phone +4915100000011 >/dev/null
ctl consent grant ann@example.test sms >/dev/null
ctl contact add bob@example.test --phone +4915100000012 >/dev/null
ctl consent grant bob@example.test sms >/dev/null
ctl contact add cid@example.test --phone +4915100000013 >/dev/null
ctl consent grant cid@example.test sms >/dev/null
daemon_start

# 1. webhook: killed mid-request, resent with the same key
stub_script '[{"status": 200, "delay": 6, "body": "{\"id\": \"late\"}"}]'
t1=$(DSNREQ=0 new_msg 1 ann@example.test)
ingest_dsn ann@example.test "$t1"
wait_requests 1 5; is "$(stub_count)" 1 "the request is at the provider"
is "$(outbox "$t1" state)" sending "the row is 'sending' while it is in flight"
kill -KILL "$PID"; wait "$PID" 2>/dev/null; PID=
stub_script '[{"status": 200, "body": "{\"id\": \"again\"}"}]'
daemon_start
wait_requests 2 10; is "$(stub_count)" 2 "after the restart the webhook row is sent again"
is "$(stub_field 1 'r["headers"]["idempotency-key"]')" "$(stub_field 0 'r["headers"]["idempotency-key"]')" "with the same idempotency key"
wait_state "$t1" sent 5; is "$(outbox "$t1" state)" sent "the row ends sent"
case "$(sql "SELECT detail FROM events WHERE kind='fallback' AND token='$t1' AND rule='retry'")" in
*"same idempotency key"*) ok "the timeline says why it was resent";;
*) not_ok "the timeline says why it was resent";;
esac
sleep 6	# the first (held) answer arrives now and must change nothing
is "$(stub_count)" 2 "no third request"

# 2. SIGTERM while a request hangs: the daemon stops in bounded time,
# the row stays 'sending' and is resent (same key) at the next start
stub_script '[{"status": 200, "delay": 30, "body": "{}"}]'
t2=$(DSNREQ=0 new_msg 2 bob@example.test)
ingest_dsn bob@example.test "$t2"
wait_requests 3 5
start=$(date +%s)
daemon_stop
took=$(( $(date +%s) - start ))
[ "$took" -le 8 ] && ok "SIGTERM with a request in flight: stopped in ${took}s" || not_ok "SIGTERM with a request in flight: stopped in ${took}s (want <= 8)"
is "$(outbox "$t2" state)" sending "the interrupted row stays 'sending'"
grep -q '+4915100000012' "$T/daemon.log" && not_ok "the log masks phones at LogLevel info" || ok "the log masks phones at LogLevel info"
stub_reset
stub_script '[{"status": 200, "body": "{\"id\": \"b2\"}"}]'
daemon_start
wait_state "$t2" sent 10; is "$(outbox "$t2" state)" sent "resent after the restart"

# 3. vonage (no idempotency key): killed mid-request -> uncertain
daemon_stop
write_conf \
    "Channel sms vonage key=k1 secret_file=$T/vonage.secret from=Shop base_url=http://127.0.0.1:$STUB_PORT/vo"
# the vonage line comes after the webhook one: make it the sms channel
sed -i '/^Channel sms webhook/d' "$CONF"
daemon_start
stub_reset
stub_script '[{"status": 200, "delay": 6, "body": "{\"message-count\": \"1\", \"messages\": [{\"status\": \"0\", \"message-id\": \"V1\"}]}"}]'
t3=$(DSNREQ=0 new_msg 3 cid@example.test)
ingest_dsn cid@example.test "$t3"
wait_requests 1 5; is "$(stub_field 0 'r["path"]')" /vo/sms/json "the request is at vonage"
kill -KILL "$PID"; wait "$PID" 2>/dev/null; PID=
stub_script '[{"status": 200, "body": "{\"message-count\": \"1\", \"messages\": [{\"status\": \"0\", \"message-id\": \"V2\"}]}"}]'
daemon_start
wait_state "$t3" uncertain 5; is "$(outbox "$t3" state)" uncertain "the vonage row becomes uncertain"
sleep 1.5
is "$(stub_count)" 1 "and is not sent again"
grep -q 'fallback uncertain' "$T/daemon.log" && ok "the log warns about it" || not_ok "the log warns about it"
ctl trace cid@example.test > "$T/trace3" 2>&1
grep -q "uncertain" "$T/trace3" && grep -q "not resent" "$T/trace3" && ok "trace shows the uncertain step" || { not_ok "trace shows the uncertain step"; tail -12 "$T/trace3" | sed 's/^/#   /'; }

# 4. a bad channel stops the start with file:line, exit 78
daemon_stop
write_conf "Channel viber webhook url=http://127.0.0.1:$STUB_PORT/v secret_file=$T/missing.key"
"$NF" -c "$CONF" -f > "$T/bad.log" 2>&1
is "$?" 78 "a Channel with a missing secret file: exit 78"
grep -q "nf.conf:[0-9]*: Channel viber webhook" "$T/bad.log" && ok "the message names file:line and the channel" || { not_ok "the message names file:line and the channel"; sed 's/^/#   /' "$T/bad.log"; }

done_testing
