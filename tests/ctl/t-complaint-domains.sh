#!/bin/sh
# ComplaintDomains through `notifilterctl ingest`: a complaint with a
# valid token but no DKIM signature of a listed feedback provider is
# recorded, shown as not accepted, and leaves consent alone; the same
# complaint without the key revokes consent.  (Which signatures pass is
# lib/verify's, tested with real keys in t_verify; the rule itself with
# every shape of signer in t_intake.)  No DNS: the reports are unsigned.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

tracking_setup
echo "ComplaintDomains isp.example.net, fbl.example.org" >> "$CONF"
NOW=$(date +%s)
TA=$("$MKTOKEN" "$T/secret" 1 "$NOW") TB=$("$MKTOKEN" "$T/secret" 2 "$NOW")
check "[ \${#TA} -eq 33 ] && [ \${#TB} -eq 33 ]" "setup: tokens made with the test key"
for m in "A a@mail.example" "B b@mail.example"; do
	set -- $m
	eval tk=\$T$1
	"$MKMSG" "$DB" message "token=$tk" "qid=Q$1" sender=noreply@shop.example \
	    "time=$NOW" "rcpt=$2|allowed|default-consent-yes||1" > "$T/mk.out" 2>&1
	check "[ $? -eq 0 ]" "setup: message Q$1 to $2 recorded"
done

consent() {	# the email consent row of ADDRESS, or "none"
	"$PYTHON3" - "$DB" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = db.execute("SELECT c.state FROM consent c JOIN contacts k ON k.id = c.contact_id "
               "WHERE k.email = ? AND c.channel = 'email'", (sys.argv[2],)).fetchone()
print(r[0] if r else "none")
PY
}

arf a@mail.example "$TA" > "$T/a.eml"
run ingest --sender= "--recipient=complaints@$BD" < "$T/a.eml"
is_rc 0 "unsigned complaint, ComplaintDomains set: ingest exits 0"
has "$T/out" "1 unauthenticated, nothing changed" "ingest: the complaint changed nothing"
has "$T/out" "DKIM none" "ingest: and no signature passed"
check "[ \"\$(consent a@mail.example)\" != revoked ]" "consent of a@mail.example is not revoked"
run trace a@mail.example --json
has "$T/out" "ComplaintDomains needs a passing DKIM signature by one of isp.example.net, fbl.example.org" \
    "the timeline shows the complaint and which signers it wanted"
has "$T/out" "passing signatures: none" "... and that none passed"

grep -v '^ComplaintDomains' "$CONF" > "$T/c2" && cp "$T/c2" "$CONF"
arf b@mail.example "$TB" > "$T/b.eml"
run ingest --sender= "--recipient=complaints@$BD" < "$T/b.eml"
is_rc 0 "without ComplaintDomains: ingest exits 0"
check "[ \"\$(consent b@mail.example)\" = revoked ]" "without ComplaintDomains the complaint revokes consent"
done_testing
