#!/bin/bash
# t-guard.sh - what may change while a fallback waits, inside the real
# daemon: a row waiting for its retry (after a 429) is not sent once the
# phone's consent is revoked or the phone suppressed meanwhile (skipped,
# with why); and a failure whose events took ids that `contact remove`
# freed (SQLite reuses the ids of erased newest rows) still becomes a row,
# also when the daemon was stopped during the erasure; a row resent after
# kill -9 is not skipped by FallbackMaxPerPhone counting itself.  Prints
# TAP.
STUB_PORT=11010
. "$(dirname "$0")/lib.sh"

stub_start
write_conf "FallbackChannels sms"
for who in ann:1 bob:2 cid:3 dan:4; do
	ctl contact add "${who%:*}@example.test" --phone "+491520000000${who#*:}" >/dev/null
	ctl consent grant "${who%:*}@example.test" sms >/dev/null
done
daemon_start

# 1. consent revoked while the row waits for its retry
stub_script '[{"status": 429, "headers": {"Retry-After": "3"}, "body": "busy"}, {"status": 200, "body": "{\"id\": \"h1\"}"}]'
t1=$(DSNREQ=0 new_msg 1 ann@example.test)
ingest_dsn ann@example.test "$t1"
wait_requests 1 5; is "$(stub_count)" 1 "the first attempt reached the provider"
ctl consent revoke ann@example.test sms >/dev/null
wait_state "$t1" skipped 8; is "$(outbox "$t1" state)" skipped "consent revoked during the backoff: skipped"
case "$(outbox "$t1" answer)" in *"consent revoked"*) ok "the reason says consent revoked";; *) not_ok "the reason says consent revoked"; echo "#   $(outbox "$t1" answer)";; esac
is "$(stub_count)" 1 "no second request after the revocation"

# 2. phone suppressed while the row waits for its retry
stub_reset
stub_script '[{"status": 429, "headers": {"Retry-After": "3"}, "body": "busy"}, {"status": 200, "body": "{\"id\": \"h2\"}"}]'
t2=$(DSNREQ=0 new_msg 2 bob@example.test)
ingest_dsn bob@example.test "$t2"
wait_requests 1 5; is "$(stub_count)" 1 "the first attempt reached the provider"
ctl suppress add +4915200000002 --reason "stop reply" >/dev/null
wait_state "$t2" skipped 8; is "$(outbox "$t2" state)" skipped "phone suppressed during the backoff: skipped"
case "$(outbox "$t2" answer)" in *suppressed*) ok "the reason says suppressed";; *) not_ok "the reason says suppressed"; echo "#   $(outbox "$t2" answer)";; esac
is "$(stub_count)" 1 "no second request to a suppressed phone"

# 3. ids reused after `contact remove`, the daemon stopped meanwhile:
# cid's events are the newest; erasing them frees their ids, and dan's
# failure, recorded while the daemon is down, takes them
stub_reset
stub_script '[{"status": 200, "body": "{\"id\": \"h3\"}"}]'
t3=$(DSNREQ=0 new_msg 3 cid@example.test)
for _ in 1 2 3 4 5 6; do ingest_dsn cid@example.test "$t3"; done
wait_state "$t3" sent 5
daemon_stop
stub_reset
stub_script '[{"status": 200, "body": "{\"id\": \"h4\"}"}]'
ctl contact remove cid@example.test >/dev/null 2>&1
t4=$(DSNREQ=0 new_msg 4 dan@example.test)
ingest_dsn dan@example.test "$t4"
w=$(sql "SELECT value FROM state WHERE key='fallback.events'")
e=$(sql "SELECT max(id) FROM events WHERE kind='bounce' AND token='$t4'")
[ -n "$e" ] && [ "$e" -le "${w%%:*}" ] && ok "dan's failure took an id at or below the watermark ($e <= ${w%%:*})" ||
    not_ok "dan's failure took an id at or below the watermark (got '$e', watermark '$w'): the test does not test"
daemon_start
wait_requests 1 5; is "$(stub_count)" 1 "the failure recorded under a reused id is sent"
wait_state "$t4" sent 5; is "$(outbox "$t4" state)" sent "its row is sent"

# 4. the same while the daemon runs
stub_reset
stub_script '[{"status": 200, "body": "{\"id\": \"h5\"}"}]'
ctl contact add eve@example.test --phone +4915200000005 >/dev/null
ctl consent grant eve@example.test sms >/dev/null
ctl contact add fay@example.test --phone +4915200000006 >/dev/null
ctl consent grant fay@example.test sms >/dev/null
t5=$(DSNREQ=0 new_msg 5 eve@example.test)
for _ in 1 2 3 4 5 6; do ingest_dsn eve@example.test "$t5"; done
wait_requests 1 5; wait_state "$t5" sent 5
stub_reset
stub_script '[{"status": 200, "body": "{\"id\": \"h6\"}"}]'
ctl contact remove eve@example.test >/dev/null 2>&1
t6=$(DSNREQ=0 new_msg 6 fay@example.test)
ingest_dsn fay@example.test "$t6"
wait_requests 1 5; is "$(stub_count)" 1 "a failure right after an erasure is sent (daemon running)"

# 5. a row interrupted by kill -9 counts once against FallbackMaxPerPhone:
# with a limit of 1 the resend after the restart is the same message, not
# a second one over the limit
daemon_stop
write_conf "FallbackChannels sms" "FallbackMaxPerPhone 1"
ctl contact add gus@example.test --phone +4915200000007 >/dev/null
ctl consent grant gus@example.test sms >/dev/null
daemon_start
stub_reset
stub_script '[{"status": 200, "delay": 6, "body": "{\"id\": \"late\"}"}]'
t7=$(DSNREQ=0 new_msg 7 gus@example.test)
ingest_dsn gus@example.test "$t7"
wait_requests 1 5; is "$(outbox "$t7" state)" sending "gus's row is in flight"
kill -KILL "$PID"; wait "$PID" 2>/dev/null; PID=
stub_script '[{"status": 200, "body": "{\"id\": \"again\"}"}]'
daemon_start
wait_state "$t7" sent 8; is "$(outbox "$t7" state)" sent "after the restart it is resent (not skipped by its own count)"
is "$(outbox "$t7" answer)" 'HTTP 200: {"id": "again"}' "the provider's second answer is recorded"

done_testing
