#!/bin/sh
# notifilterctl trace EMAIL|PHONE|TOKEN [--json]: a store built with
# notifilterctl and tests/ctl/mkmsg (messages, deliveries, raw events).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

MKMSG="$top_builddir/tests/ctl/mkmsg"
if [ ! -x "$MKMSG" ]; then
	echo "1..0 # SKIP $MKMSG is not built (make check builds it)"
	exit 0
fi

# mk WHAT ARGS...: record through the store API; a failure is a test
mk() {
	if "$MKMSG" "$DB" "$@" > "$T/mk.out" 2>&1; then
		tap 0 "setup: mkmsg $1 $2"
	else
		tap 1 "setup: mkmsg $*"
		sed 's/^/#   /' "$T/mk.out"
	fi
}

# flat FILE: FILE with its folded lines joined (into $T/flat), so a check
# does not depend on where the 80-column folding fell
flat() {
	awk '/^     +[^ ]/ && NR > 1 { sub(/^ +/, ""); line = line " " $0; next }
	    { if (NR > 1) print line; line = $0 } END { print line }' "$1" \
	    > "$T/flat"
}

# width FILE: the longest line in code points
width() {
	"$PYTHON3" -c 'import sys; print(max([len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8", errors="replace")] or [0]))' "$1"
}

T1=1abcdefghijklmnopqrstuvwxyz234567	# 3 recipients
T2=1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb	# jane, queued only
T3=1ccccccccccccccccccccccccccccccc2	# a stranger's subject
T4=1dddddddddddddddddddddddddddddddd	# monitor mode
T5=1eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee	# phone hint is jane's
T0=1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz	# never recorded
T0AM=1700000000				# 2023-11-14T22:13:20Z
at() { echo $((T0AM + $1)); }
ALLOW='verdict=allow action=allowed message=accepted path=smtp sender=noreply@shop.example reason=no consent on record; DefaultEmailConsent is yes'

# ---- the store -------------------------------------------------------------
run contact add jane@example.com --phone '0151 2345678' --name 'Jane Doe'
is_rc 0 "setup: jane with a national phone"
run consent grant jane@example.com email
is_rc 0 "setup: jane grants email"
run contact add bob@example.com
is_rc 0 "setup: bob"
run suppress add bob@example.com --reason userunknown
is_rc 0 "setup: bob suppressed"
run contact add quiet@example.com --name 'No Mail'
is_rc 0 "setup: a contact with no messages"

# message 1: decisions for four recipients (bob rejected), three kept
for who in jane carol dave; do
	mk event kind=decision qid=4AAA1 to=$who@example.com \
	    rule=default-consent-yes "detail=$ALLOW" time=$(at 0)
done
mk event kind=decision qid=4AAA1 to=bob@example.com rule=suppressed \
    'detail=verdict=block action=rejected message=accepted path=smtp sender=noreply@shop.example reason=recipient is on the suppression list (userunknown)' \
    time=$(at 0)
mk message token=$T1 qid=4AAA1 sender=noreply@shop.example \
    verp=bounce+$T1@bounce.example 'from=Shop <noreply@shop.example>' \
    'subject=Your order 1234 has shipped' 'msgid=<m1@shop.example>' \
    category=shipping time=$(at 1) \
    'rcpt=jane@example.com|allowed|consent-granted||1' \
    'rcpt=carol@example.com|allowed|default-consent-yes||1' \
    'rcpt=dave@example.com|allowed|default-consent-yes||1'
mk delivery qid=4AAA1 to=jane@example.com status=sent dsn=2.0.0 \
    'relay=mx.example.net[192.0.2.10]:25' 'diag=250 2.0.0 Ok: queued as 99' \
    time=$(at 5)
mk delivery qid=4AAA1 to=carol@example.com status=deferred dsn=4.2.2 \
    'relay=mx.example.net[192.0.2.10]:25' 'diag=452 4.2.2 Mailbox full' \
    time=$(at 6)
mk delivery qid=4AAA1 to=dave@example.com status=bounced dsn=5.1.1 \
    'relay=mx.example.net[192.0.2.10]:25' 'diag=550 5.1.1 No such user' \
    time=$(at 7)
# a kind trace does not know yet (issue 6 adds more)
mk event kind=carrier-pigeon token=$T1 qid=4AAA1 to=jane@example.com \
    rule=landed 'detail=on the roof' time=$(at 9)

# message 2: jane, queued, no delivery status yet
mk event kind=decision qid=4BBB2 to=jane@example.com rule=consent-granted \
    "detail=$ALLOW" time=$(at 100)
mk message token=$T2 qid=4BBB2 sender=noreply@shop.example \
    'subject==?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=' time=$(at 101) \
    'rcpt=jane@example.com|allowed|consent-granted||1'

# message 3: a subject and a diagnostic with terminal escapes and 8-bit bytes
esc=$(printf '\033[31mRED\033[0m \377')
mk message token=$T3 qid=4CCC3 sender=noreply@shop.example \
    "subject=Alert $esc" time=$(at 200) 'rcpt=erin@example.com|allowed|default-consent-yes||0'
mk delivery qid=4CCC3 to=erin@example.com status=bounced dsn=5.7.1 \
    relay=mx.evil.example "diag=550 $esc $(printf '\342\200\256')gnp.exe" \
    time=$(at 201)

# message 4: monitor mode, the decision would have blocked
mk event kind=decision qid=4DDD4 to=frank@example.com rule=consent-revoked \
    'detail=verdict=block action=monitored message=accepted path=nonsmtp sender=noreply@shop.example reason=recipient has revoked consent to email notifications' \
    time=$(at 300)
mk message token=$T4 qid=4DDD4 sender=noreply@shop.example applied=0 \
    time=$(at 301) 'rcpt=frank@example.com|monitored|consent-revoked||0'
mk delivery qid=4DDD4 to=frank@example.com status=sent relay=mx.example.org \
    time=$(at 302)

# message 5: to zoe, with jane's phone as fallback hint
mk message token=$T5 qid=4EEE5 sender=noreply@shop.example phone=+491512345678 \
    time=$(at 400) 'rcpt=zoe@example.com|allowed|default-consent-yes||1'

# ---- email key -------------------------------------------------------------
run trace jane@example.com
is_rc 0 "trace jane"
has "$T/out" "trace of jane@example.com (email address)" "header names the key and its kind"
has "$T/out" "Jane Doe, email jane@example.com, phone +491512345678" "contact line"
has "$T/out" "email     granted" "consent per channel"
has "$T/out" "sms       none" "a channel with no record"
has "$T/out" "suppressed no" "not suppressed"
has "$T/out" "  token    $T1" "message 1 has the token"
has "$T/out" "message 1 of 3: 2023-11-14T22:13:21Z, queue 4AAA1" "message 1 heading: time and queue id"
has "$T/out" "Shop <noreply@shop.example>" "From shown"
has "$T/out" "Your order 1234 has shipped" "Subject shown"
has "$T/out" "2023-11-14T22:13:20Z  decided   allowed" "decision step: time, step, outcome"
has "$T/out" "delivery  sent" "delivery step"
has "$T/out" "=> delivered to mx.example.net[192.0.2.10]:25 at 2023-11-14T22:13:25Z" "verdict: delivered"
has "$T/out" "=> queued as 4BBB2, no delivery status yet" "verdict: queued, no status"
has "$T/out" "Grüße aus München" "encoded-word subject decoded"
has "$T/out" "carrier-pigeon" "an unknown event kind is shown as it is"
has "$T/out" "on the roof" "with its detail"
hasnt "$T/out" "carol@" "jane's trace has none of carol's events"
hasnt "$T/out" "dave@" "nor dave's"
hasnt "$T/out" "bob@" "nor bob's"
has "$T/out" "=> zoe@example.com: queued as 4EEE5" "an email key covers messages whose phone hint is jane's phone"
has "$T/out" "history" "history section"
has "$T/out" "contact added" "history has the contact event"
has "$T/out" "email consent granted" "history has the consent event"
w=$(width "$T/out")
check "[ '$w' -le 80 ]" "text fits 80 columns (widest line: $w)"
check "awk '/token +$T1/{a=NR} /token +$T2/{b=NR} END{exit !(a && b && a < b)}' '$T/out'" \
    "messages in time order"

run trace jane@example.com --json
is_rc 0 "trace jane --json"
json_ok "$T/out" "--json is valid JSON"
is_eq "$(pyq "$T/out" 'j["key"], j["kind_of_key"], j["contact"]["name"], j["contact"]["phone"], j["contact"]["consent"]["email"]["state"], j["suppressed"]')" \
    "('jane@example.com', 'email', 'Jane Doe', '+491512345678', 'granted', False)" \
    "--json key, kind_of_key, contact"
is_eq "$(pyq "$T/out" '[(m["token"], m["queue_id"]) for m in j["messages"]]')" \
    "[('$T1', '4AAA1'), ('$T2', '4BBB2'), ('$T5', '4EEE5')]" "--json three messages (the last by phone hint), in order"
is_eq "$(pyq "$T/out" 'sorted(set(e["address"] for e in j["messages"][0]["events"]))')" \
    "['jane@example.com']" "--json: only jane's events in the 3-recipient message"
is_eq "$(pyq "$T/out" '[e["kind"] for e in j["messages"][0]["events"]]')" \
    "['decision', 'tagged', 'queued', 'delivery', 'carrier-pigeon']" \
    "--json message 1 steps in order"
is_eq "$(pyq "$T/out" '(lambda m: (m["sender"], m["from"], m["subject"], m["message_id"], m["category"], m["verp"], m["recorded"], m["applied"]))(j["messages"][0])')" \
    "('noreply@shop.example', 'Shop <noreply@shop.example>', 'Your order 1234 has shipped', '<m1@shop.example>', 'shipping', 'bounce+$T1@bounce.example', True, True)" \
    "--json message fields"
is_eq "$(pyq "$T/out" '[(r["address"], r["outcome"]) for m in j["messages"] for r in m["recipients"]]')" \
    "[('jane@example.com', 'delivered'), ('jane@example.com', 'queued'), ('zoe@example.com', 'queued')]" "--json verdicts"
is_eq "$(pyq "$T/out" '(lambda e: (e["time"], e["outcome"], e["rule"], "relay=mx.example.net" in e["detail"]))(j["messages"][0]["events"][3])')" \
    "('2023-11-14T22:13:25Z', 'sent', 'sent', True)" "--json delivery event"
is_eq "$(pyq "$T/out" 'j["messages"][1]["subject_decoded"]')" "Grüße aus München" \
    "--json subject_decoded"
is_eq "$(pyq "$T/out" 'sorted(set(e["kind"] for e in j["events"])), j["truncated"]')" \
    "(['consent', 'contact'], False)" "--json events not tied to a message"

# ---- a blocked recipient ----------------------------------------------------
run trace bob@example.com
is_rc 0 "trace bob"
has "$T/out" "suppressed email bob@example.com: userunknown since" "header: suppressed, with reason"
has "$T/out" "=> blocked: suppressed (userunknown); rejected at 2023-11-14T22:13:20Z" \
    "verdict: blocked by the suppression"
run trace bob@example.com --json
json_ok "$T/out" "bob --json valid"
is_eq "$(pyq "$T/out" 'j["suppressed"], j["suppressions"][0]["reason"], j["messages"][0]["token"], j["messages"][0]["queue_id"], j["messages"][0]["recorded"], j["messages"][0]["recipients"][0]["outcome"]')" \
    "(True, 'userunknown', None, '4AAA1', False, 'blocked')" "bob --json: blocked, grouped by queue id"

# ---- phone key ---------------------------------------------------------------
run trace '0151 2345678'
is_rc 0 "trace a phone written nationally"
has "$T/out" "trace of +491512345678 (phone number)" "normalised with DefaultCountry"
has "$T/out" "Jane Doe" "the phone finds jane"
run trace '+49 151 2345678' --json
json_ok "$T/out" "phone --json valid"
is_eq "$(pyq "$T/out" 'j["key"], j["kind_of_key"], j["contact"]["email"]')" \
    "('+491512345678', 'phone', 'jane@example.com')" "phone --json key and contact"
is_eq "$(pyq "$T/out" '[m["token"] for m in j["messages"]]')" "['$T1', '$T2', '$T5']" \
    "a phone covers the contact's email messages and its phone hints"
run trace +491512345678
has "$T/out" "=> zoe@example.com: queued as 4EEE5" "another recipient is named on its lines"
hasnt "$T/out" "=> jane@example.com" "the contact's own address is not repeated"

# ---- token key ---------------------------------------------------------------
UT1=$(printf '%s' "$T1" | tr a-z A-Z)
run trace "$UT1"
is_rc 0 "trace a token in upper case"
has "$T/out" "trace of $T1 (message token)" "token lower-cased"
has "$T/out" "=> jane@example.com: delivered to mx.example.net" "verdict per recipient: jane"
has "$T/out" "=> carol@example.com: deferred at 2023-11-14T22:13:26Z, dsn 4.2.2" "carol deferred"
has "$T/out" "=> dave@example.com: bounced at 2023-11-14T22:13:27Z, dsn 5.1.1" "dave bounced"
hasnt "$T/out" "contact    " "no contact header for a token"
run trace "$UT1" --json
json_ok "$T/out" "token --json valid"
is_eq "$(pyq "$T/out" 'j["key"], j["kind_of_key"], j["contact"], len(j["messages"])')" \
    "('$T1', 'token', None, 1)" "token --json header"
is_eq "$(pyq "$T/out" '[(r["address"], r["outcome"]) for r in j["messages"][0]["recipients"]]')" \
    "[('jane@example.com', 'delivered'), ('carol@example.com', 'deferred'), ('dave@example.com', 'bounced')]" \
    "token --json: three recipients, each its verdict"

# ---- monitor mode ------------------------------------------------------------
run trace frank@example.com
is_rc 0 "trace a monitored recipient"
has "$T/out" "monitored" "decision outcome monitored"
has "$T/out" "via sendmail(1)" "the sendmail path is named"
has "$T/out" "monitor: recorded, mail" "heading says monitor mode"
has "$T/out" "=> monitor mode let it pass (would be blocked: consent-revoked); delivered to" \
    "verdict: monitor mode, then delivered"
run trace frank@example.com --json
is_eq "$(pyq "$T/out" '(lambda m: (m["applied"], m["recipients"][0]["outcome"], m["events"][1]["outcome"]))(j["messages"][0])')" \
    "(False, 'delivered', 'monitor')" "--json monitor: applied false, tagged outcome monitor"

# ---- every step of one notification: bounce, report, suppression, fallback ----
T6=1ffffffffffffffffffffffffffffffff	# bounced, fell back to SMS
T7=1gggggggggggggggggggggggggggggggg	# delivered, then a complaint
T8=1hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh	# fallback skipped / cancelled / uncertain
run contact add fb@example.com --phone +4915199990000 --name 'Fiona Back'
is_rc 0 "setup: fiona"
run consent grant +4915199990000 sms
is_rc 0 "setup: fiona grants sms"
mk event kind=decision qid=4FFF6 to=fb@example.com rule=default-consent-yes \
    "detail=$ALLOW" time=$(at 500)
mk message token=$T6 qid=4FFF6 sender=noreply@shop.example \
    'subject=Your code is 1234' time=$(at 501) \
    'rcpt=fb@example.com|allowed|default-consent-yes||1'
mk delivery qid=4FFF6 to=fb@example.com status=bounced dsn=5.1.1 \
    'relay=mx.fb.example[192.0.2.20]:25' 'diag=550 5.1.1 <fb@example.com>: mailbox unknown' \
    time=$(at 502)
mk event kind=bounce token=$T6 to=fb@example.com rule=suppressed \
    'detail=bad address, suppressed: failed 5.1.1 userunknown (hard) from mx.fb.example (550 5.1.1 mailbox unknown)' \
    time=$(at 503)
mk event kind=suppress to=fb@example.com \
    'detail=email suppression added: reason userunknown; source dsn; evidence '$T6 \
    time=$(at 503)
i=0
for step in queued held sending retry sending sent receipt; do
	case $step in
	queued) d='trigger bounced (5.1.1 userunknown); sms via kannel to +4915199990000 (contact); 1 segment gsm7' ;;
	held) d='quiet hours: held until 07:00' ;;
	sending) d='attempt via kannel' ;;
	retry) d='attempt 1 via kannel: 503 Service Unavailable; next attempt in 30s' ;;
	sent) d='sent via sms kannel to +4915199990000: provider id k-4711; 1 segment gsm7; 202 Accepted (0.012s)' ;;
	receipt) d='delivered: kannel status 1' ;;
	esac
	i=$((i + 1))
	mk event kind=fallback token=$T6 to=fb@example.com rule=$step "detail=$d" \
	    time=$(at $((510 + i * 10)))
done
mk event kind=decision qid=4GGG7 to=fb@example.com rule=default-consent-yes \
    "detail=$ALLOW" time=$(at 600)
mk message token=$T7 qid=4GGG7 sender=noreply@shop.example \
    'subject=Weekly offers' time=$(at 601) \
    'rcpt=fb@example.com|allowed|default-consent-yes||1'
mk delivery qid=4GGG7 to=fb@example.com status=sent dsn=2.0.0 \
    relay=mx.fb.example time=$(at 602)
mk event kind=complaint token=$T7 to=fb@example.com rule=consent-revoked \
    'detail=complaint, email consent revoked: abuse feedback-type abuse from fbl.example' \
    time=$(at 700)
mk event kind=report token=$T7 to=fb@example.com rule=recorded \
    'detail=auto-reply (not a failure): autoreply' time=$(at 701)
mk message token=$T8 qid=4HHH8 sender=noreply@shop.example \
    'subject=Three more' time=$(at 800) \
    'rcpt=s1@example.com|allowed|default-consent-yes||1' \
    'rcpt=s2@example.com|allowed|default-consent-yes||1' \
    'rcpt=s3@example.com|allowed|default-consent-yes||1' \
    'rcpt=s4@example.com|allowed|default-consent-yes||1'
mk event kind=fallback token=$T8 to=s1@example.com rule=skipped \
    'detail=trigger timeout (not confirmed in 15m); not sent: no phone' time=$(at 900)
mk event kind=fallback token=$T8 to=s2@example.com rule=cancelled \
    'detail=email delivery confirmed first' time=$(at 901)
mk event kind=fallback token=$T8 to=s3@example.com rule=uncertain \
    'detail=the daemon stopped during the request; not resent' time=$(at 902)
mk event kind=fallback token=$T8 to=s4@example.com rule=failed \
    'detail=refused by kannel (permanent): 400 bad number' time=$(at 903)

run trace fb@example.com
is_rc 0 "trace a contact with every kind of step"
flat "$T/out"
has "$T/flat" "delivery  bounced    dsn=5.1.1 relay=mx.fb.example[192.0.2.20]:25" \
    "delivery step: status, dsn, remote MTA"
has "$T/flat" "mailbox unknown" "with the remote's diagnostic"
has "$T/flat" "bounce    suppressed bad address, suppressed: failed 5.1.1" \
    "bounce report step: what intake did and what the report said"
for step in queued held sending retry sent receipt; do
	check "grep -Eq '^  [0-9TZ:-]+  fallback  $step ' '$T/flat'" "fallback step $step: time, step, evidence"
done
has "$T/flat" "provider id k-4711" "the provider's id is shown"
has "$T/flat" "delivered: kannel status 1" "the receipt is shown"
check "awk '/fallback  queued/{a=NR} /fallback  sent/{b=NR} /fallback  receipt/{c=NR} END{exit !(a && b && c && a < b && b < c)}' '$T/flat'" \
    "fallback steps in time order"
has "$T/flat" "=> bounced at 2023-11-14T22:21:42Z, dsn 5.1.1 from mx.fb.example[192.0.2.20]:25: 550 5.1.1" \
    "verdict: bounced, with dsn, remote MTA and diagnostic"
has "$T/flat" "; fallback sent at 2023-11-14T22:22:50Z, provider id k-4711; receipt at 2023-11-14T22:23:00Z: delivered: kannel status 1" \
    "verdict: the fallback, its provider id and its receipt"
has "$T/flat" "complaint consent-revoked complaint, email consent revoked" "complaint step"
has "$T/flat" "; complaint at 2023-11-14T22:25:00Z (consent-revoked)" "verdict: delivered, then a complaint"
has "$T/flat" "report    recorded   auto-reply" "another report kind is shown"
has "$T/flat" "suppress  added      email suppression added: reason userunknown" \
    "suppression step with its outcome"
has "$T/flat" "contact   added      contact added" "history: contact outcome"
has "$T/flat" "consent   granted    sms consent granted" "history: consent outcome"
w=$(width "$T/out")
check "[ '$w' -le 80 ]" "text fits 80 columns (widest line: $w)"

run trace fb@example.com --json
json_ok "$T/out" "--json valid"
is_eq "$(pyq "$T/out" '[e["kind"] + ":" + (e["rule"] or "") for m in j["messages"] if m["token"] == "'$T6'" for e in m["events"]]')" \
    "['decision:default-consent-yes', 'tagged:default-consent-yes', 'queued:default-consent-yes', 'delivery:bounced', 'bounce:suppressed', 'fallback:queued', 'fallback:held', 'fallback:sending', 'fallback:retry', 'fallback:sending', 'fallback:sent', 'fallback:receipt']" \
    "--json: every step of the bounced message, in order"
is_eq "$(pyq "$T/out" '[(r["outcome"], r["fallback"]["step"], r["fallback"]["provider_id"], r["fallback"]["receipt"], r["fallback"]["sent_time"]) for m in j["messages"] if m["token"] == "'$T6'" for r in m["recipients"]]')" \
    "[('bounced', 'sent', 'k-4711', 'delivered: kannel status 1', '2023-11-14T22:22:50Z')]" \
    "--json: the recipient's fallback summary"
is_eq "$(pyq "$T/out" '[(r["outcome"], r["fallback"]) for m in j["messages"] if m["token"] == "'$T7'" for r in m["recipients"]]')" \
    "[('delivered', None)]" "--json: fallback null when none"
is_eq "$(pyq "$T/out" '[(e["kind"], e["outcome"]) for e in j["events"]]')" \
    "[('suppress', 'added'), ('contact', 'added'), ('consent', 'granted')]" \
    "--json history: each with its outcome"

run trace $T8
is_rc 0 "trace a message whose fallbacks did not send"
flat "$T/out"
for x in s1:skipped s2:cancelled s3:uncertain s4:failed; do
	has "$T/flat" "=> ${x%%:*}@example.com: queued as 4HHH8, no delivery status yet; fallback ${x#*:} at" \
	    "verdict names fallback ${x#*:}"
done
run trace $T8 --json
is_eq "$(pyq "$T/out" '[r["fallback"]["step"] for r in j["messages"][0]["recipients"]]')" \
    "['skipped', 'cancelled', 'uncertain', 'failed']" "--json fallback steps per recipient"

# ---- a cut timeline -----------------------------------------------------------
mk event kind=consent to=many@example.com 'detail=email consent granted' \
    time=$(at 0) count=20005
run trace many@example.com
is_rc 0 "a timeline past the cap"
has "$T/out" "(cut: only the first 20000 events are shown)" "the cut is said"
run trace many@example.com --json
is_eq "$(pyq "$T/out" 'j["truncated"], len(j["events"])')" "(True, 20000)" "--json truncated"

# ---- strangers' bytes -------------------------------------------------------
run trace $T3
is_rc 0 "trace a message with escapes in Subject and diagnostic"
check "! grep -q \"$(printf '\033')\" '$T/out'" "no raw ESC reaches the terminal"
check "! grep -q \"$(printf '\342\200\256')\" '$T/out'" "no bidi override reaches the terminal"
has "$T/out" '\u{001B}[31mRED' "ESC shown escaped"
has "$T/out" '\xFF' "an 8-bit byte shown escaped"
run trace $T3 --json
json_ok "$T/out" "--json valid despite 8-bit bytes"
is_eq "$(pyq "$T/out" 'j["messages"][0]["subject"]')" "Alert $(printf '\033')[31mRED$(printf '\033')[0m �" \
    "--json keeps the subject, invalid bytes as U+FFFD"

# ---- no messages, nothing known, bad keys -------------------------------------
run trace quiet@example.com
is_rc 0 "a contact with no messages"
has "$T/out" "no messages recorded for this contact" "says so"
has "$T/out" "No Mail" "still shows the contact"
run trace quiet@example.com --json
is_eq "$(pyq "$T/out" 'j["messages"], j["contact"]["name"]')" "([], 'No Mail')" \
    "--json messages [] for a contact with no messages"

run trace nobody@example.com
is_rc 1 "unknown email: 1"
has "$T/err" "nothing is known about nobody@example.com" "not found explained"
run trace $T0
is_rc 1 "unknown token: 1"
has "$T/err" "nothing is known about $T0" "unknown token explained"
run trace +4930999999
is_rc 1 "unknown phone: 1"

run trace bob
is_rc 64 "a word that is no key: 64"
has "$T/err" "is not a valid email address" "why"
run trace 1abc
is_rc 64 "a short token: 64"
has "$T/err" "a token has 33 characters" "why"
run trace 1abcdefghijklmnopqrstuvwxyz2345678
is_rc 64 "a token too long: 64"
run trace 1abcdefghijklmnopqrstuvwxyz234560
is_rc 64 "a token with a 0: 64"
has "$T/err" "digits 2-7" "why"
run trace '+49 12'
is_rc 64 "a bad phone: 64"
has "$T/err" "is not a valid phone number" "why"
run trace 'x@'
is_rc 64 "a bad email: 64"
run trace
is_rc 64 "no key: 64"
run trace a@example.com b@example.com
is_rc 64 "two keys: 64"
run trace --frob jane@example.com
is_rc 64 "unknown option: 64"
has "$T/err" "unknown option --frob" "option named"
run trace --help
is_rc 0 "--help"
has "$T/out" "kind_of_key" "--help documents the JSON fields"
has "$T/out" "recipients: [{address, outcome, verdict," "--help documents verdicts"
has "$T/out" "provider_id, receipt, receipt_time}" "--help documents the fallback summary"
has "$T/out" "skipped cancelled uncertain receipt" "--help lists the fallback steps"

done_testing
