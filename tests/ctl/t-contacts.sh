#!/bin/sh
# notifilterctl frame (help, usage errors, config errors) and contact
# add / show / remove.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

# --- the frame ---------------------------------------------------------------
run_nc --help
is_rc 0 "--help exits 0"
has "$T/out" "contact import" "--help lists contact import"
run_nc -V
is_rc 0 "-V exits 0"
has "$T/out" "notifilterctl " "-V prints the version"
run_nc
is_rc 64 "no command: 64"
run_nc frobnicate
is_rc 64 "unknown command: 64"
has "$T/err" 'unknown command "frobnicate"' "unknown command is named"
run_nc contact
is_rc 64 "contact without subcommand: 64"
run_nc contact --help
is_rc 0 "contact --help: 0"
has "$T/out" "notifilterctl contact show" "contact --help lists show"
run_nc contact frob
is_rc 64 "unknown subcommand: 64"
for c in "contact add" "contact import" "contact show" "contact remove" \
    "consent grant" "consent revoke" "suppress add" "suppress remove" \
    "suppress list"; do
	# shellcheck disable=SC2086
	run_nc -c /nonexistent/x.conf $c --help
	is_rc 0 "$c --help works without a config"
	has "$T/out" "usage: notifilterctl [-c FILE] $c" "$c --help prints usage"
done
run_nc -q
is_rc 64 "unknown global option: 64"
run_nc -c
is_rc 64 "-c without FILE: 64"

# --- config errors --------------------------------------------------------------
run_nc -c "$T/missing.conf" contact show a@example.com
is_rc 78 "missing config: 78"
has "$T/err" "$T/missing.conf" "missing config: names the path"
has "$T/err" "use -c FILE" "missing config: says use -c FILE"
defconf=$("$CTL" --help | sed -n 's/.*config file (default \(.*\))$/\1/p')
check "[ -n '$defconf' ]" "--help names the default config file"
if [ -n "$defconf" ] && [ ! -e "$defconf" ]; then
	run_nc contact show a@example.com
	is_rc 78 "default config missing: 78"
	has "$T/err" "$defconf" "default config missing: names the default path"
fi
printf 'Database %s\nNoSuchKey 1\n' "$DB" > "$T/bad.conf"
run_nc -c "$T/bad.conf" contact show a@example.com
is_rc 78 "config with an unknown key: 78"
has "$T/err" "bad.conf:2" "config error names file:line"

# --- contact add -------------------------------------------------------------
run contact add
is_rc 64 "contact add without EMAIL: 64"
run contact add a@example.com b@example.com
is_rc 64 "contact add with two EMAILs: 64"
run contact add a@example.com --bogus
is_rc 64 "contact add --bogus: 64"
has "$T/err" "--bogus" "unknown option is named"
run contact add a@example.com --phone
is_rc 64 "--phone without value: 64"
run contact add 'Jane@Example.COM' --phone '0151 1234567' --name 'Jane Doe'
is_rc 0 "contact add with national phone and name"
has "$T/out" "jane@example.com" "add prints the normalised email"
has "$T/out" "+491511234567" "add prints the E.164 phone (DefaultCountry 49)"
run contact add jane@example.com
is_rc 65 "duplicate email: 65"
has "$T/err" "jane@example.com" "duplicate email is named"
run contact add other@example.com --phone +491511234567
is_rc 65 "duplicate phone: 65"
has "$T/err" "belongs to contact jane@example.com" "duplicate phone names the existing contact"
run contact add 'not an address'
is_rc 65 "bad email: 65"
has "$T/err" "not a valid email" "bad email explained"
run contact add bad@example.com --phone 12ab
is_rc 65 "bad phone: 65"
has "$T/err" "not a valid phone" "bad phone explained"
run contact show bad@example.com
is_rc 1 "contact with a bad phone was not added"
run contact add bob@gmial.com
is_rc 0 "typo domain is still added"
has "$T/err" "warning: gmial.com looks like a typo of gmail.com (did you mean bob@gmail.com?)" "typo hint shown"
run contact add 'x@example.com' --name "$(printf 'a\tb')"
is_rc 65 "name with a control character: 65"
run contact add 'x@example.com' --name "$(printf 'a\377b')"
is_rc 65 "name that is not UTF-8: 65"
has "$T/err" "not valid UTF-8" "bad UTF-8 explained"
run contact add 'x@example.com' --name "$(printf '%0300d' 0)"
is_rc 65 "name of 300 bytes: 65"
run contact add 'Zoe@Bücher.example' --name 'Zoë'
is_rc 0 "IDN domain and UTF-8 name"
has "$T/out" "zoe@xn--bcher-kva.example" "IDN domain stored as A-label"
run contact add 'nophone@example.com'
is_rc 0 "contact without phone"

# --- contact show ------------------------------------------------------------
run contact show JANE@example.com
is_rc 0 "show by email (any case)"
has "$T/out" "email:   jane@example.com" "show: email"
has "$T/out" "phone:   +491511234567" "show: phone"
has "$T/out" "name:    Jane Doe" "show: name"
has "$T/out" "none (the configured default applies)" "show: consent none"
has "$T/out" "suppressed: no" "show: not suppressed"
run contact show '+49 151 1234567'
is_rc 0 "show by phone"
has "$T/out" "jane@example.com" "show by phone finds jane"
run contact show 01511234567
is_rc 0 "show by national phone"
run contact show jane@example.com --json
is_rc 0 "show --json"
json_ok "$T/out" "show --json is valid JSON"
is_eq "$(pyq "$T/out" 'j["email"], j["phone"], j["name"], j["consent"]["sms"]["state"], j["suppressed"]')" \
    "('jane@example.com', '+491511234567', 'Jane Doe', 'none', False)" "show --json fields"
run contact show nophone@example.com --json
json_ok "$T/out" "show --json without phone is valid JSON"
is_eq "$(pyq "$T/out" 'j["phone"]')" "None" "missing phone is null"
run contact show nobody@example.com
is_rc 1 "show unknown: 1"
has "$T/err" "no contact with email nobody@example.com" "show unknown explained"
run contact show +4930123456
is_rc 1 "show unknown phone: 1"
run contact show nonsense
is_rc 65 "show neither email nor phone: 65"
run contact show
is_rc 64 "show without key: 64"

# --- contact remove ------------------------------------------------------------
run contact remove +491511234567
is_rc 0 "remove by phone"
run contact show jane@example.com
is_rc 1 "removed contact is gone"
run contact remove jane@example.com
is_rc 1 "remove again: 1"
check "! cat '$DB'* | grep -aq 'Jane Doe'" "the removed name is not left in the database files"
check "! cat '$DB'* | grep -aq '491511234567'" "the removed phone is not left in the database files"
run contact add jane2@example.com --phone +491511234567
is_rc 0 "the phone of a removed contact is free again"
run contact remove
is_rc 64 "remove without key: 64"

done_testing
