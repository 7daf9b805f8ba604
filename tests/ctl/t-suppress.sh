#!/bin/sh
# notifilterctl suppress add | remove | list
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

run suppress list
is_rc 0 "list of an empty store"
has "$T/out" "no suppressions" "empty list says so"
run suppress list --json
json_ok "$T/out" "empty list --json is valid"
is_eq "$(pyq "$T/out" 'len(j)')" "0" "empty list --json is []"

run suppress add Bad@Example.com
is_rc 0 "suppress an email"
has "$T/out" "suppressed bad@example.com on email (reason: manual)" "default reason manual"
run suppress add '+49 151 2345678' --reason 'asked by phone'
is_rc 0 "suppress a phone"
has "$T/out" "on sms whatsapp viber" "a phone is suppressed on every phone channel"
run suppress add 030123456 --channel sms
is_rc 0 "suppress a national phone on sms only"
run suppress list
is_rc 0 "list"
has "$T/out" "bad@example.com" "list shows the email"
has "$T/out" "asked by phone" "list shows the reason"
check "grep -c '^+491512345678 ' '$T/out' | grep -qx 3" "list shows the phone on three channels"
check "grep -c '^+4930123456 ' '$T/out' | grep -qx 1" "--channel sms gave one row"
run suppress list --json
is_rc 0 "list --json"
json_ok "$T/out" "list --json is valid JSON"
is_eq "$(pyq "$T/out" 'len(j), sorted(set(e["channel"] for e in j)), j[0]["source"], j[0]["reason"]')" \
    "(5, ['email', 'sms', 'viber', 'whatsapp'], 'ctl', 'manual')" "list --json content"

run suppress add bad@example.com --reason again
is_rc 0 "suppressing again refreshes"
run suppress list --json
is_eq "$(pyq "$T/out" 'len(j), [e["reason"] for e in j if e["address"] == "bad@example.com"]')" \
    "(5, ['again'])" "refresh keeps one row, with the new reason"

run suppress add bad@example.com --channel sms
is_rc 64 "email with channel sms: 64"
run suppress add +491512345678 --channel email
is_rc 64 "phone with channel email: 64"
run suppress add +491512345678 --channel fax
is_rc 64 "unknown channel: 64"
run suppress add 'x@'
is_rc 65 "bad address: 65"
run suppress add
is_rc 64 "no address: 64"
run suppress add a@example.com --reason ''
is_rc 65 "empty reason: 65"

run contact add bad@example.com --phone +491512345678
is_rc 0 "a contact may be added for a suppressed address"
run contact show bad@example.com
has "$T/out" "suppressed:" "show lists suppressions"
check "! grep -q 'suppressed: no' '$T/out'" "show does not say 'suppressed: no'"
run contact show bad@example.com --json
is_eq "$(pyq "$T/out" 'j["suppressed"], len(j["suppressions"])')" "(True, 4)" "show --json: suppressed on email + 3 phone channels"

run suppress remove bad@example.com
is_rc 0 "remove the email suppression"
run suppress remove bad@example.com
is_rc 1 "remove it again: 1"
has "$T/err" "is not suppressed" "not suppressed explained"
run suppress remove +491512345678 --channel viber
is_rc 0 "remove one phone channel"
run suppress remove +491512345678
is_rc 0 "remove the other phone channels"
has "$T/out" "(2 channels)" "two channels were left"
run suppress list --json
is_eq "$(pyq "$T/out" '[e["address"] for e in j]')" "['+4930123456']" "one suppression left"
if [ -w /dev/full ]; then
	"$CTL" -c "$CONF" suppress list > /dev/full 2> "$T/err"
	rc=$?
	is_rc 74 "output that cannot be written: 74"
	has "$T/err" "writing the output" "write error explained"
fi
run suppress list extra
is_rc 64 "list with an argument: 64"

done_testing
