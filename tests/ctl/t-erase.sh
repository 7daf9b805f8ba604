#!/bin/sh
# notifilterctl contact remove: erasure (issue 6).  A contact with messages,
# deliveries, a bounce report, fallback steps, an outbox row, a suppression
# and a revoked consent is erased while another process holds the database
# open (as the daemon does, so the -wal file stays); then neither the
# database nor its -wal holds the email, the phone, the name or the Subject
# of a message to it (strings(1)), and the milter's lookup (the same store
# call, through tests/ctl/mkmsg with the SecretFile key) still refuses the
# address.  suppress list/remove and trace show the erased entries by hash.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

MKMSG="$top_builddir/tests/ctl/mkmsg"
if [ ! -x "$MKMSG" ]; then
	echo "1..0 # SKIP $MKMSG is not built (make check builds it)"
	exit 0
fi

mk() {
	if "$MKMSG" "$DB" "$@" > "$T/mk.out" 2>&1; then
		tap 0 "setup: mkmsg $1 $2"
	else
		tap 1 "setup: mkmsg $*"
		sed 's/^/#   /' "$T/mk.out"
	fi
}

# in_files NEEDLE: how many printable strings of the database, its -wal and
# -shm contain NEEDLE (strings(1) when installed, else grep -a)
in_files() {
	for f in "$DB" "$DB-wal" "$DB-shm"; do
		[ -f "$f" ] || continue
		if command -v strings > /dev/null 2>&1; then
			strings -a "$f"
		else
			tr -c '[:print:]' '\n' < "$f"
		fi
	done | grep -cF -- "$1"
}

KEY="$T/secret.key"
head -c 32 /dev/urandom > "$KEY"
chmod 600 "$KEY"
NOKEY_CONF="$T/nokey.conf"
cp "$CONF" "$NOKEY_CONF"
printf 'SecretFile %s\n' "$KEY" >> "$CONF"

JANE=jane.erase@example.com
PHONE=+491517778889
DIGITS=491517778889
SUBJ='Your parcel 4711 for Jane is delayed'
T1=1jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj
T2=1mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm

# ---- a contact with a history ------------------------------------------------
run contact add $JANE --phone $PHONE --name 'Jane Erasable'
is_rc 0 "setup: jane"
run contact add max@example.com --name 'Max Stays'
is_rc 0 "setup: max"
run consent revoke $PHONE sms
is_rc 0 "setup: jane revokes sms"
mk event kind=decision qid=4ER1 to=$JANE rule=default-consent-yes \
    'detail=verdict=allow action=allowed reason=no consent on record' \
    time=1700000000
mk message token=$T1 qid=4ER1 sender=noreply@shop.example \
    "subject=$SUBJ" 'from=Shop <noreply@shop.example>' phone=$PHONE \
    time=1700000001 "rcpt=$JANE|allowed|default-consent-yes||1"
mk delivery qid=4ER1 to=$JANE status=bounced dsn=5.1.1 relay=mx.example.com \
    "diag=550 5.1.1 <$JANE>: unknown user" time=1700000002
mk report token=$T1 to=$JANE "excerpt=Final-Recipient: rfc822; $JANE" \
    "diag=550 5.1.1 <$JANE> unknown" time=1700000003
mk event kind=fallback token=$T1 to=$JANE rule=sent \
    "detail=sms to $PHONE via kannel, provider id k-77" time=1700000004
mk event kind=fallback token=$T1 to=$JANE rule=receipt \
    "detail=delivered: kannel status 1 for $DIGITS" time=1700000005
mk message token=$T2 qid=4ER2 sender=noreply@shop.example \
    'subject=Newsletter for all' time=1700000010 \
    "rcpt=$JANE|allowed|default-consent-yes||0" \
    'rcpt=max@example.com|allowed|default-consent-yes||0'
"$PYTHON3" - "$DB" "$T1" "$JANE" "$PHONE" "$SUBJ" <<'EOF'
import sqlite3, sys
db, tok, rcpt, phone, text = sys.argv[1:]
c = sqlite3.connect(db)
c.execute("INSERT INTO outbox(token, recipient, phone, channel, trigger,"
          " state, text, due, expires, idem_key, created, updated)"
          " VALUES (?, ?, ?, 'sms', 'bounced', 'sent', ?, 1, 2, 'k1', 1, 1)",
          (tok, rcpt, phone, text))
c.commit()
EOF
tap $? "setup: an outbox row (as the fallback writes it)"
run suppress add $JANE --reason userunknown
is_rc 0 "setup: jane suppressed"

# another process holds the database open, as the daemon does: the -wal
# file then outlives notifilterctl, and must not keep old pages
"$PYTHON3" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM contacts").fetchall()
sys.stdout.write("open\n"); sys.stdout.flush(); time.sleep(120)' "$DB" \
    > "$T/holder.out" 2>&1 &
HOLDER=$!
trap 'kill $HOLDER 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ "$i" -lt 50 ] && ! grep -q open "$T/holder.out"; do
	sleep 0.1; i=$((i + 1))
done
check "grep -q open '$T/holder.out'" "setup: a second process holds the database"
check "[ \$(in_files '$JANE') -gt 0 ] && [ \$(in_files '$SUBJ') -gt 0 ] && [ \$(in_files '$DIGITS') -gt 0 ]" \
    "before: the email, the phone and the subject are in the files"

# ---- without SecretFile: refused, nothing changed ------------------------------
"$CTL" -c "$NOKEY_CONF" contact remove $JANE > "$T/out" 2> "$T/err"
rc=$?
is_rc 78 "no SecretFile: erasure refused (78)"
has "$T/err" "SecretFile" "the refusal names SecretFile"
has "$T/err" "was not erased" "and says nothing was erased"
run contact show $JANE
is_rc 0 "the contact is still there"

# ---- erasure ----------------------------------------------------------------------
run contact remove $PHONE
is_rc 0 "contact remove by phone"
has "$T/out" "erased contact $PHONE" "says what was erased"
has "$T/out" "kept as keyed hashes" "says what was kept"
check "grep -Eq '^  email +erased:[0-9a-f]{8}  userunknown' '$T/out'" "email suppression kept as erased:HASH"
check "grep -Eq '^  sms +erased:[0-9a-f]{8}  consent-revoked' '$T/out'" "sms revocation kept as erased:HASH"
hasnt "$T/err" "warning" "no warning (the WAL was emptied)"
check "[ -f '$DB-wal' ]" "the -wal file is still there (held open)"
is_eq "$(in_files "$JANE")" 0 "strings: the email is in neither the database nor its -wal"
is_eq "$(in_files "$DIGITS")" 0 "strings: nor the phone"
is_eq "$(in_files "$SUBJ")" 0 "strings: nor the Subject of the message to it"
is_eq "$(in_files 'Jane Erasable')" 0 "strings: nor the name"
check "[ \$(in_files 'Newsletter for all') -gt 0 ]" "a message also to max keeps its Subject"
check "[ \$(in_files 'Max Stays') -gt 0 ]" "max is untouched"

# ---- still refused ------------------------------------------------------------------
"$MKMSG" "$DB" decide to=$JANE key="$KEY" > "$T/out" 2>&1
has "$T/out" "block suppressed: recipient is on the suppression list (erased contact: userunknown)" \
    "the milter's lookup still refuses the erased address"
"$MKMSG" "$DB" decide to=max@example.com key="$KEY" > "$T/out" 2>&1
has "$T/out" "allow" "another address is allowed"
"$MKMSG" "$DB" phone to=$PHONE channel=sms key="$KEY" > "$T/out" 2>&1
has "$T/out" "suppressed" "the phone stays blocked on sms (revoked before)"
"$MKMSG" "$DB" phone to=$PHONE channel=viber key="$KEY" > "$T/out" 2>&1
has "$T/out" "not suppressed" "and free on viber (nothing before)"
"$MKMSG" "$DB" decide to=$JANE > "$T/out" 2>&1
has "$T/out" "allow" "without the key nothing matches (the daemon must set it)"

# ---- suppress list / trace / remove -------------------------------------------
run suppress list
is_rc 0 "suppress list"
check "grep -Eq '^erased:[0-9a-f]{8} +email +userunknown +erasure' '$T/out'" "lists the erased email by hash"
check "grep -Eq '^erased:[0-9a-f]{8} +sms +consent-revoked +erasure' '$T/out'" "and the erased sms revocation"
hasnt "$T/out" "$JANE" "no clear address in the list"
run suppress list --json
json_ok "$T/out" "suppress list --json"
is_eq "$(pyq "$T/out" 'sorted((x["channel"], x["erased"], x["address"].startswith("erased:"), len(x["address"])) for x in j)')" \
    "[('email', True, True, 15), ('sms', True, True, 15)]" "--json: erased rows, named by 8 hex digits"
run trace $JANE
is_rc 0 "trace of the erased address"
check "grep -Eq 'suppressed email erased:[0-9a-f]{8}: userunknown' '$T/out'" "trace says it is suppressed as an erased address"
has "$T/out" "no messages recorded" "and knows no message"
run trace $T2
has "$T/out" "=> max@example.com" "the shared message keeps max's steps"
hasnt "$T/out" "$JANE" "but none of jane's"
run contact remove $JANE
is_rc 1 "erasing again: nothing known (1)"
run suppress list
h=$(sed -n 's/^\(erased:[0-9a-f]\{8\}\) *email .*/\1/p' "$T/out" | head -1)
run suppress remove "$(echo "$h" | cut -c1-10)"
is_rc 64 "suppress remove with too few hex digits: 64"
run suppress remove "$h"
is_rc 0 "suppress remove $h"
has "$T/out" "$h is no longer suppressed (1 channel)" "says so"
"$MKMSG" "$DB" decide to=$JANE key="$KEY" > "$T/out" 2>&1
has "$T/out" "allow" "the address is allowed again"
run suppress remove $PHONE --channel sms
is_rc 0 "suppress remove PHONE lifts its erased row (SecretFile set)"
"$MKMSG" "$DB" phone to=$PHONE channel=sms key="$KEY" > "$T/out" 2>&1
has "$T/out" "not suppressed" "the phone is free again"

# ---- an address that never was a contact ------------------------------------------
run suppress add stranger@example.net --reason hasmoved
mk event kind=decision to=stranger@example.net rule=suppressed \
    'detail=verdict=block action=rejected reason=recipient is on the suppression list (hasmoved)' \
    time=1700000100
run contact remove stranger@example.net
is_rc 0 "erase an address with no contact"
has "$T/out" "no contact" "says there was no contact"
"$MKMSG" "$DB" decide to=stranger@example.net key="$KEY" > "$T/out" 2>&1
has "$T/out" "block suppressed" "still refused"
run contact remove nobody@example.net
is_rc 1 "an address nothing knows: 1"
run contact add stranger@example.net
is_rc 0 "the erased address becomes a contact again"
run contact show stranger@example.net
has "$T/out" "email     stranger@example.net  reason hasmoved, source erasure" \
    "its suppression is back, in clear (the address is stored again anyway)"
run suppress list
check "! grep -Eq '^erased:[0-9a-f]{8} +email +hasmoved' '$T/out'" "and its erased entry is gone"

# ---- an erased address that comes back through a CSV import --------------------------
run suppress add returner@example.net --reason userunknown
run contact remove returner@example.net
is_rc 0 "erase another address"
printf 'email,name\nreturner@example.net,Re Turner\n' > "$T/back.csv"
run contact import "$T/back.csv"
is_rc 0 "import it again"
run contact show returner@example.net
has "$T/out" "reason userunknown, source erasure" \
    "an import restores its suppression too, as contact add does"
"$MKMSG" "$DB" decide to=returner@example.net key="$KEY" > "$T/out" 2>&1
has "$T/out" "block suppressed" "and it is still refused"

kill $HOLDER 2>/dev/null
wait $HOLDER 2>/dev/null
done_testing
