#!/bin/sh
# notifilterctl consent grant | revoke
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

run contact add jane@example.com --phone +4915112345678
is_rc 0 "setup: add jane"

run consent grant jane@example.com email sms
is_rc 0 "grant email sms"
has "$T/out" "granted consent of jane@example.com on email sms" "grant confirms"
run contact show jane@example.com --json
json_ok "$T/out" "show --json valid after grant"
is_eq "$(pyq "$T/out" 'j["consent"]["email"]["state"], j["consent"]["email"]["source"], j["consent"]["sms"]["state"], j["consent"]["viber"]["state"]')" \
    "('granted', 'ctl', 'granted', 'none')" "email and sms granted by ctl, viber untouched"
check "pyq '$T/out' 'j[\"consent\"][\"email\"][\"time\"]' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$'" \
    "consent time is an ISO 8601 UTC time"

run consent revoke +4915112345678 sms whatsapp
is_rc 0 "revoke by phone"
run contact show jane@example.com
has "$T/out" "sms       revoked  source ctl" "show: sms revoked"
has "$T/out" "whatsapp  revoked" "show: whatsapp revoked"
has "$T/out" "email     granted" "show: email still granted"

run consent revoke jane@example.com email fax
is_rc 64 "unknown channel: 64"
has "$T/err" 'unknown channel "fax"' "unknown channel named"
run contact show jane@example.com
has "$T/out" "email     granted" "a command with an unknown channel changed nothing"

run consent grant jane@example.com
is_rc 64 "no channel: 64"
run consent grant
is_rc 64 "no arguments: 64"
run consent grant nobody@example.com email
is_rc 1 "unknown contact: 1"
has "$T/err" "contact add" "unknown contact: says to add it first"
run consent grant 'bad@' email
is_rc 65 "bad address: 65"
run consent grant jane@example.com email email
is_rc 0 "a channel named twice is fine"

done_testing
