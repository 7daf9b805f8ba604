#!/bin/sh
# notifilterctl contact import: header handling, BOM and CRLF, every bad row
# reported with its line, all or nothing, --dry-run, --merge.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

# --- a good file: BOM, CRLF, header in any case and order, quoted comma ------
printf '\357\273\277Phone,EMAIL,Name,consent_email,Consent_SMS\r\n' > "$T/good.csv"
printf '0151 1234567,jane@example.com,"Doe, Jane",yes,no\r\n' >> "$T/good.csv"
printf '+44 20 7946 0958,john@example.org,John,granted,\r\n' >> "$T/good.csv"
printf ',mary@gmial.com,Mary,,TRUE\r\n' >> "$T/good.csv"
printf '+4915199999999,,Phone Only,,1\r\n' >> "$T/good.csv"
printf '\r\n' >> "$T/good.csv"

run contact import "$T/good.csv" --dry-run
is_rc 0 "dry run of a good file"
has "$T/out" "would import 4 contacts (4 added, 0 merged)" "dry run says what would happen"
check "[ ! -e '$DB' ] || { \"$CTL\" -c '$CONF' contact show jane@example.com >/dev/null 2>&1; [ \$? -eq 1 ]; }" \
    "dry run wrote no contact"

run contact import "$T/good.csv"
is_rc 0 "import a good file (BOM, CRLF, mixed-case header)"
has "$T/out" "imported 4 contacts (4 added, 0 merged)" "import summary"
has "$T/err" "good.csv:4: warning: gmial.com looks like a typo of gmail.com (did you mean mary@gmail.com?)" \
    "typo hint with file and line"
run contact show jane@example.com --json
is_rc 0 "imported contact found"
is_eq "$(pyq "$T/out" 'j["phone"], j["name"], j["consent"]["email"]["state"], j["consent"]["sms"]["state"], j["consent"]["viber"]["state"], j["consent"]["email"]["source"]')" \
    "('+491511234567', 'Doe, Jane', 'granted', 'revoked', 'none', 'import:good.csv:2')" \
    "imported fields and consent (source names file and line)"
run contact show +4915199999999
is_rc 0 "phone-only row imported"
run contact show +442079460958
has "$T/out" "john@example.org" "international phone kept its country"

# --- a file full of problems: all reported, nothing imported -----------------
db_before=$(sha "$DB")
cat > "$T/bad.csv" <<'CSV'
email,phone,name,consent_sms
new1@example.com,+4915100000001,New One,yes
broken-address,+4915100000002,,
new3@example.com,12,,
new4@example.com,+4915100000004
new5@example.com,+4915100000005,Five,no,extra
new1@example.com,+4915100000006,,
new7@example.com,+4915100000001,,
jane@example.com,,,
,,Nobody,
new10@example.com,,,maybe
"new11@example.com,+4915100000011,unterminated
CSV
run contact import "$T/bad.csv"
is_rc 65 "a file with bad rows: 65"
has "$T/err" 'bad.csv:3: bad email "broken-address"' "bad email: line 3"
has "$T/err" 'bad.csv:4: bad phone "12"' "bad phone: line 4"
has "$T/err" "bad.csv:5: 2 fields, but the header has 4 (missing columns" "missing column: line 5"
has "$T/err" "bad.csv:6: 5 fields, but the header has 4 (extra columns" "extra column: line 6"
has "$T/err" "bad.csv:7: duplicate: email new1@example.com is already on line 2" "duplicate email: line 7"
has "$T/err" "bad.csv:8: duplicate: phone +4915100000001 is already on line 2" "duplicate phone: line 8"
has "$T/err" "bad.csv:9: email jane@example.com belongs to an existing contact (use --merge" "existing contact: line 9"
has "$T/err" "bad.csv:10: neither an email nor a phone" "no key: line 10"
has "$T/err" 'bad.csv:11: bad consent_sms value "maybe"' "bad consent value: line 11"
has "$T/err" "bad.csv:12:" "unterminated quote: line 12"
has "$T/err" "nothing imported" "says nothing was imported"
hasnt "$T/err" "bad.csv:2:" "the good row is not reported"
run contact show new1@example.com
is_rc 1 "the good row of a bad file was not imported"
is_eq "$(sha "$DB")" "$db_before" "a failed import leaves the database file unchanged"

# --- header problems ----------------------------------------------------------
printf 'email,phone,fax\na@example.com,,1\n' > "$T/h1.csv"
run contact import "$T/h1.csv"
is_rc 65 "unknown column: 65"
has "$T/err" 'h1.csv:1: unknown column "fax"' "unknown column named with line"
printf 'name,consent_email\nX,yes\n' > "$T/h2.csv"
run contact import "$T/h2.csv"
is_rc 65 "no email or phone column: 65"
has "$T/err" "needs an email or a phone column" "no key column explained"
printf 'email,Email\na@example.com,b@example.com\n' > "$T/h3.csv"
run contact import "$T/h3.csv"
is_rc 65 "a column twice: 65"
has "$T/err" 'column "email" appears twice' "duplicate column explained"
: > "$T/empty.csv"
run contact import "$T/empty.csv"
is_rc 65 "empty file: 65"
has "$T/err" "the file is empty" "empty file explained"
run contact import "$T/none.csv"
is_rc 66 "missing file: 66"
has "$T/err" "none.csv" "missing file named"
run contact import
is_rc 64 "no file: 64"
run contact import "$T/good.csv" --frob
is_rc 64 "unknown option: 64"
printf 'email\nonly@example.com\n' > "$T/one.csv"
run contact import - < "$T/one.csv"
is_rc 0 "import from standard input"
has "$T/out" "imported 1 contact (1 added, 0 merged)" "stdin import summary"

# --- --merge ----------------------------------------------------------------
cat > "$T/m1.csv" <<'CSV'
email,phone,name,consent_sms,consent_whatsapp
jane@example.com,,Jane Merged,yes,
newbie@example.com,+4915199999999,,,no
CSV
run contact import "$T/m1.csv"
is_rc 65 "existing contacts without --merge: 65"
has "$T/err" "m1.csv:2: email jane@example.com belongs to an existing contact" "line 2 refused"
has "$T/err" "m1.csv:3: phone +4915199999999 belongs to the existing contact +4915199999999" "line 3 refused"
db_before=$(sha "$DB")
run contact import "$T/m1.csv" --merge --dry-run
is_rc 0 "--merge --dry-run"
has "$T/out" "m1.csv:2: would merge into the existing contact with email jane@example.com" "dry run names the merge"
has "$T/out" "would import 2 contacts (0 added, 2 merged)" "dry run summary"
is_eq "$(sha "$DB")" "$db_before" "--dry-run leaves the database file unchanged"
run contact import "$T/m1.csv" --merge
is_rc 0 "--merge"
has "$T/out" "imported 2 contacts (0 added, 2 merged)" "merge summary"
run contact show jane@example.com --json
is_eq "$(pyq "$T/out" 'j["name"], j["phone"], j["consent"]["sms"]["state"], j["consent"]["email"]["state"]')" \
    "('Jane Merged', '+491511234567', 'granted', 'granted')" \
    "merge replaced the name and sms consent, kept phone and email consent"
run contact show +4915199999999 --json
is_eq "$(pyq "$T/out" 'j["email"], j["name"], j["consent"]["whatsapp"]["state"]')" \
    "('newbie@example.com', 'Phone Only', 'revoked')" "merge by phone filled the email"

printf 'email,phone\njane@example.com,+442079460958\n' > "$T/m2.csv"
run contact import "$T/m2.csv" --merge
is_rc 65 "email of one contact and phone of another: 65 even with --merge"
has "$T/err" "m2.csv:2: email jane@example.com and phone +442079460958 belong to two different contacts (the phone to john@example.org); cannot merge two contacts" \
    "two-contact merge explained"
printf 'email,phone\njane@example.com,\n,+491511234567\n' > "$T/m3.csv"
run contact import "$T/m3.csv" --merge
is_rc 65 "two rows merging into one contact: 65"
has "$T/err" "m3.csv:3: merges into the same existing contact as line 2" "same-target merge explained"

done_testing
