#!/bin/bash
# t-fallback.sh - the fallback end to end inside the real daemon: a DSN
# ingested by `notifilterctl ingest` for a message the store recorded
# makes exactly one provider request (webhook or twilio, played by the
# loopback stub), and none without consent, after delivery, for a forged
# DSN, over the limits, or twice; 500/429 are retried until success; 400
# fails with the answer recorded; quiet hours hold; the timeline shows
# every step.  Prints TAP.
STUB_PORT=11001
. "$(dirname "$0")/lib.sh"

stub_start
write_conf "FallbackMaxPerPhone 2" "FallbackAfter 4s" "FallbackChannels sms, whatsapp"
ctl contact add ann@example.test --phone +4915100000001 >/dev/null
ctl consent grant ann@example.test sms >/dev/null
ctl contact add bob@example.test --phone +4915100000002 >/dev/null
ctl contact add cid@example.test --phone +4915100000003 >/dev/null
ctl consent grant cid@example.test sms >/dev/null
ctl consent revoke cid@example.test sms >/dev/null
ctl contact add dan@example.test --phone +4915100000004 >/dev/null
ctl consent grant dan@example.test whatsapp >/dev/null
for who in eve:5 fay:6 gus:7 hal:8 ivy:9; do
	ctl contact add "${who%:*}@example.test" --phone "+491510000000${who#*:}" >/dev/null
	ctl consent grant "${who%:*}@example.test" sms >/dev/null
done
daemon_start

# 1. a failure makes exactly one request, with the right content
stub_script '[{"status": 200, "body": "{\"id\": \"hook-1\"}"}]'
t1=$(new_msg 1 ann@example.test)
ingest_dsn ann@example.test "$t1"
is "$?" 0 "ingest of the DSN exits 0"
wait_requests 1 5; is "$(stub_count)" 1 "one request at the provider"
is "$(stub_field 0 'r["path"]')" /hook "it went to the webhook (sms)"
is "$(stub_field 0 'json.loads(r["body"])["to"]')" +4915100000001 "to the contact's phone"
is "$(stub_field 0 'json.loads(r["body"])["text"]')" "Your invoice 1" "the text is FallbackTemplate {subject}"
is "$(stub_field 0 'r["headers"]["idempotency-key"]')" "$(outbox "$t1" idem_key)" "the row's idempotency key is sent"
wait_state "$t1" sent 5; is "$(outbox "$t1" state)" sent "the row is sent"
is "$(outbox "$t1" provider_id)" hook-1 "the provider id is recorded"
is "$(sql "SELECT group_concat(rule, ' ') FROM events WHERE kind='fallback' AND token='$t1' ORDER BY id")" \
    "queued sending sent" "the timeline has queued, sending, sent"
ctl trace ann@example.test > "$T/trace1" 2>&1
grep -q "fallback" "$T/trace1" && ok "trace shows the fallback" || { not_ok "trace shows the fallback"; sed 's/^/#   /' "$T/trace1"; }

# 2. the same DSN again: still one request
ingest_dsn ann@example.test "$t1"
sleep 1
is "$(stub_count)" 1 "the same failure reported twice: still one request"
is "$(sql "SELECT count(*) FROM outbox WHERE token='$t1'")" 1 "one outbox row for the pair"

# 3. no consent: no record (DefaultPhoneConsent no), and revoked
t3=$(DSNREQ=0 new_msg 3 bob@example.test)
ingest_dsn bob@example.test "$t3"
wait_state "$t3" skipped 5; is "$(outbox "$t3" state)" skipped "no consent record: skipped"
case "$(outbox "$t3" answer)" in *"no consent"*) ok "the reason says no consent";; *) not_ok "the reason says no consent"; echo "#   $(outbox "$t3" answer)";; esac
t4=$(DSNREQ=0 new_msg 4 cid@example.test)
ingest_dsn cid@example.test "$t4"
wait_state "$t4" skipped 5; is "$(outbox "$t4" state)" skipped "consent revoked: skipped"
case "$(outbox "$t4" answer)" in *"consent revoked"*) ok "the reason says consent revoked";; *) not_ok "the reason says consent revoked"; echo "#   $(outbox "$t4" answer)";; esac
sleep 0.5
is "$(stub_count)" 1 "no request without consent"

# 4. FallbackChannels order: no sms consent, whatsapp granted -> twilio
stub_script '[{"status": 201, "body": "{\"sid\": \"SM0042\", \"status\": \"queued\"}"}]'
t5=$(DSNREQ=0 new_msg 5 dan@example.test)
ingest_dsn dan@example.test "$t5"
wait_requests 2 5; is "$(stub_count)" 2 "a request for the whatsapp fallback"
is "$(stub_field 1 'r["path"]')" /tw/2010-04-01/Accounts/AC0123/Messages.json "it went to twilio's Messages API"
is "$(stub_field 1 'r["headers"].get("i-twilio-idempotency-token")')" "$(outbox "$t5" idem_key)" "twilio gets the idempotency key"
wait_state "$t5" sent 5; is "$(outbox "$t5" "channel || ' ' || driver || ' ' || provider_id")" "whatsapp twilio SM0042" "channel, driver and provider id recorded"

# 5. forged DSNs: a bad token, and a recipient the message did not have
t6=$(DSNREQ=0 new_msg 6 eve@example.test)
bad=${t6%?}; [ "${t6: -1}" = a ] && bad="${bad}b" || bad="${bad}a"
ingest_dsn eve@example.test "$bad"
is "$?" 0 "a forged DSN is ingested (exit 0)"
ingest_dsn ivy@example.test "$t6"
sleep 1
is "$(sql "SELECT count(*) FROM outbox WHERE recipient IN ('eve@example.test','ivy@example.test')")" 0 "a forged DSN makes no outbox row"
is "$(stub_count)" 2 "a forged DSN makes no request"

# 6. FallbackAfter: confirmed in time -> nothing; not confirmed -> timeout
t7=$(new_msg 7 ann@example.test)
t8=$(new_msg 8 eve@example.test)
"$MKMSG" "$DB" delivery qid=Q8 to=eve@example.test status=sent dsn=2.0.0 >/dev/null
stub_script '[{"status": 200, "body": "{\"id\": \"hook-7\"}"}]'
wait_requests 3 10; is "$(stub_count)" 3 "the unconfirmed message falls back after FallbackAfter"
wait_state "$t7" sent 5; is "$(outbox "$t7" trigger)" timeout "its trigger is timeout"
is "$(sql "SELECT count(*) FROM outbox WHERE token='$t8'")" 0 "the confirmed message does not fall back"

# 7. FallbackMaxPerPhone 2: ann had two, the third is skipped
t9=$(DSNREQ=0 new_msg 9 ann@example.test)
ingest_dsn ann@example.test "$t9"
wait_state "$t9" skipped 5; is "$(outbox "$t9" state)" skipped "over FallbackMaxPerPhone: skipped"
case "$(outbox "$t9" answer)" in *FallbackMaxPerPhone*) ok "the reason names FallbackMaxPerPhone";; *) not_ok "the reason names FallbackMaxPerPhone"; echo "#   $(outbox "$t9" answer)";; esac
is "$(stub_count)" 3 "no request over the limit"

# 8. 500, then 429 with Retry-After, then success
stub_script '[{"status": 500, "body": "oops"}, {"status": 429, "headers": {"Retry-After": "1"}, "body": "slow down"}, {"status": 200, "body": "{\"id\": \"hook-10\"}"}]'
t10=$(DSNREQ=0 new_msg 10 fay@example.test)
ingest_dsn fay@example.test "$t10"
wait_state "$t10" sent 15; is "$(outbox "$t10" state)" sent "retried until the provider took it"
is "$(stub_count)" 6 "three requests: 500, 429, 200"
is "$(outbox "$t10" attempts)" 3 "three attempts recorded"
is "$(sql "SELECT group_concat(rule, ' ') FROM events WHERE kind='fallback' AND token='$t10' ORDER BY id")" \
    "queued sending retry sending retry sending sent" "the timeline shows each retry"
is "$(stub_field 3 'r["headers"]["idempotency-key"]')" "$(stub_field 5 'r["headers"]["idempotency-key"]')" "every retry carries the same key"

# 9. 400: failed at once, the answer recorded
stub_script '[{"status": 400, "body": "{\"error\": \"bad number\"}"}]'
t11=$(DSNREQ=0 new_msg 11 gus@example.test)
ingest_dsn gus@example.test "$t11"
wait_state "$t11" failed 5; is "$(outbox "$t11" state)" failed "HTTP 400: failed"
case "$(outbox "$t11" answer)" in *400*) ok "the provider's answer is recorded";; *) not_ok "the provider's answer is recorded"; echo "#   $(outbox "$t11" answer)";; esac
sleep 0.5
is "$(stub_count)" 7 "a 400 is not retried"

# 10. FallbackMaxPerHour reached (by reload): held
n=$(sql "SELECT count(*) FROM outbox WHERE sent_time >= strftime('%s','now') - 3600")
write_conf "FallbackMaxPerPhone 2" "FallbackAfter 4s" "FallbackChannels sms, whatsapp" "FallbackMaxPerHour $n"
reload && ok "reload with FallbackMaxPerHour $n" || not_ok "reload with FallbackMaxPerHour $n"
t12=$(DSNREQ=0 new_msg 12 hal@example.test)
ingest_dsn hal@example.test "$t12"
wait_state "$t12" held 5; is "$(outbox "$t12" state)" held "over FallbackMaxPerHour: held"
case "$(outbox "$t12" answer)" in *FallbackMaxPerHour*) ok "the reason names FallbackMaxPerHour";; *) not_ok "the reason names FallbackMaxPerHour"; echo "#   $(outbox "$t12" answer)";; esac
is "$(stub_count)" 7 "no request over the hourly limit"

# 11. quiet hours (UTC, around now): held until they end; a delivery
# confirmed meanwhile cancels the row
h=$(date -u +%H); h=$((10#$h)); e=$(( (h + 2) % 24 ))
q=$(printf '%02d:00-%02d:00' "$h" "$e")
write_conf "FallbackMaxPerPhone 2" "FallbackAfter 4s" "FallbackChannels sms, whatsapp" \
    "FallbackQuietHours $q" "FallbackTimeZone UTC"
reload && ok "reload with FallbackQuietHours $q UTC" || not_ok "reload with FallbackQuietHours $q UTC"
t13=$(DSNREQ=0 new_msg 13 ivy@example.test)
ingest_dsn ivy@example.test "$t13"
wait_state "$t13" held 5; is "$(outbox "$t13" state)" held "inside quiet hours: held"
want=$(date -u -d "$( [ "$e" -lt "$h" ] && echo tomorrow || echo today ) $(printf '%02d:00' "$e")" +%s)
is "$(outbox "$t13" due)" "$want" "held until the quiet hours end"
"$MKMSG" "$DB" delivery qid=Q13 to=ivy@example.test status=delivered dsn=2.0.0 >/dev/null
wait_state "$t13" cancelled 5; is "$(outbox "$t13" state)" cancelled "a delivery confirmed meanwhile cancels it"
is "$(stub_count)" 7 "nothing sent in quiet hours or after delivery"

# 12. a bad time zone stops a reload with file:line
write_conf "FallbackTimeZone Mars/Olympus"
kill -USR1 "$PID"; sleep 0.5
grep -q "nf.conf:[0-9]*: bad value 'Mars/Olympus' for FallbackTimeZone" "$T/daemon.log" && ok "a bad FallbackTimeZone is refused with file:line" || { not_ok "a bad FallbackTimeZone is refused with file:line"; tail -3 "$T/daemon.log" | sed 's/^/#   /'; }

write_conf "FallbackMaxPerPhone 2" "FallbackAfter 4s" "FallbackChannels sms, whatsapp"

# 13. the timeline by phone (the store keeps the phone in clear)
ctl trace +4915100000006 > "$T/trace6" 2>&1
grep -q "retry" "$T/trace6" && grep -q "+4915100000006" "$T/trace6" && ok "trace by phone shows the retries" || { not_ok "trace by phone shows the retries"; sed 's/^/#   /' "$T/trace6" | tail -20; }

done_testing
