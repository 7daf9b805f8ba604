#!/bin/sh
# notifilterctl report [--since D] [--format text|json|csv|html]: a store
# filled the way production fills it -- messages and deliveries recorded
# through the store API (tests/ctl/mkmsg), decision events, and real
# `notifilterctl ingest` of DSNs and an ARF signed with this test's key
# (tests/report/mktoken), plus a corpus report that cannot authenticate --
# then the figures checked in every format, hostile values escaped, the
# CSV read by python3's csv module and the JSON by its json module.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

CORPUS=${NF_CORPUS:-$top_srcdir/../shared/corpus/bounces}
tracking_setup

mk() {
	if "$MKMSG" "$DB" "$@" > "$T/mk.out" 2>&1; then
		tap 0 "setup: mkmsg $1 $2"
	else
		tap 1 "setup: mkmsg $*"
		sed 's/^/#   /' "$T/mk.out"
	fi
}
NOW=$(date +%s)
at() { echo $((NOW - $1)); }
tok() { "$MKTOKEN" "$T/secret" "$1" "$2"; }

# dsn RCPT STATUS DIAG TOKEN: a Postfix-style DSN returning TOKEN's message
dsn() {
	cat <<EOF
From: MAILER-DAEMON@mta.example.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="BND"

--BND
Content-Type: text/plain; charset=us-ascii

<$1>: host mx said: $3

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.example.test

Final-Recipient: rfc822; $1
Action: failed
Status: $2
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; $3

--BND
Content-Type: text/rfc822-headers

From: noreply@shop.example
To: $1
Subject: Your order
X-Notifilter-ID: $4

--BND--
EOF
}
ingest() {	# ingest FILE ENVELOPE-RECIPIENT
	"$CTL" -c "$CONF" ingest --sender= "--recipient=$2" < "$1" \
	    > "$T/ing.out" 2>&1
}

# ---- the store ----------------------------------------------------------
EVIL_ADDR='"<script>alert(1)</script>"@evil.example'
EVIL_CAT='<img src=x onerror=alert(2)>'
CSV_CAT='=HYPERLINK("http://evil.example/","x"), spring'
T1=$(tok 1 "$(at 3000)") T2=$(tok 2 "$(at 2000)") T3=$(tok 3 "$(at 691200)")
check "[ \${#T1} -eq 33 ] && [ \${#T2} -eq 33 ]" "setup: tokens made with the test key"

# rows are written in time order, as the milter writes them
mk message token=$T3 qid=Q3 sender=old@shop.example "category=$CSV_CAT" \
    time=$(at 691200) 'rcpt=old@gmail.com|allowed|default-consent-yes||1'
mk delivery qid=Q3 to=old@gmail.com status=bounced dsn=5.1.1 time=$(at 691000)
mk event kind=decision qid=Q1 to=a@gmail.com rule=default-consent-yes \
    'detail=verdict=allow action=allowed message=accepted path=smtp' time=$(at 3001)
mk event kind=decision qid=Q1 to=d@gmail.com rule=suppressed \
    'detail=verdict=block action=rejected message=accepted path=smtp' time=$(at 3001)
mk event kind=decision qid=Q2 to=m@gmail.com rule=consent-revoked \
    'detail=verdict=block action=monitored message=accepted path=nonsmtp' time=$(at 2001)
mk message token=$T1 qid=Q1 sender=noreply@shop.example category=shipping \
    'subject=<script>alert(3)</script> order' time=$(at 3000) \
    'rcpt=a@gmail.com|allowed|default-consent-yes||1' \
    'rcpt=b@gmail.com|allowed|default-consent-yes||1' \
    'rcpt=c@yahoo.com|allowed|default-consent-yes||1'
mk message token=$T2 qid=Q2 sender=news@shop.example "category=$EVIL_CAT" \
    time=$(at 2000) 'rcpt=a@gmail.com|allowed|consent-granted||1' \
    "rcpt=$EVIL_ADDR|allowed|default-consent-yes||1" \
    'rcpt=d2@yahoo.com|allowed|default-consent-yes||1'
mk delivery qid=Q1 to=a@gmail.com status=sent time=$(at 2990)
mk delivery qid=Q1 to=b@gmail.com status=sent time=$(at 2990)
mk delivery qid=Q1 to=c@yahoo.com status=bounced dsn=5.1.1 time=$(at 2990)
mk delivery qid=Q2 to=a@gmail.com status=sent time=$(at 1990)
mk delivery qid=Q2 "to=$EVIL_ADDR" status=bounced dsn=5.1.1 time=$(at 1990)
mk delivery qid=Q2 to=d2@yahoo.com status=deferred dsn=4.2.2 time=$(at 1990)
mk delivery qid=Q3 to=old@gmail.com status=bounced dsn=5.1.1 time=$(at 691000)

dsn b@gmail.com 5.7.1 '554 5.7.1 Message rejected: spam content detected' "$T1" > "$T/spam.eml"
dsn c@yahoo.com 5.1.1 '550 5.1.1 <c@yahoo.com>: Recipient address rejected: User unknown' "$T1" > "$T/unknown.eml"
arf a@gmail.com "$T2" > "$T/arf.eml"
ingest "$T/spam.eml" "bounce+$T1@$BD"
check "[ $? -eq 0 ]" "setup: ingest a spam-filter DSN"
ingest "$T/unknown.eml" "bounce+$T1@$BD"
check "[ $? -eq 0 ]" "setup: ingest a user-unknown DSN"
ingest "$T/arf.eml" "complaints@$BD"
check "[ $? -eq 0 ]" "setup: ingest an ARF complaint"
have_corpus=0
if [ -f "$CORPUS/maildir/bsd/arf-01.eml" ]; then
	have_corpus=1
	ingest "$CORPUS/maildir/bsd/arf-01.eml" "complaints@$BD"
	check "[ $? -eq 0 ]" "setup: ingest a corpus ARF (no token of ours)"
fi

# ---- text -----------------------------------------------------------------
run report
is_rc 0 "report (text)"
has "$T/out" "window " "text names the window"
has "$T/out" "Recipients of the 2 messages recorded" "2 messages in the last 24h"
check "grep -Eq '^  delivered +2 ' '$T/out'" "text: 2 delivered"
check "grep -Eq '^  rejected by spam filters +1$' '$T/out'" "text: 1 rejected by spam filters"
check "grep -Eq '^  bounced +2$' '$T/out'" "text: 2 bounced"
check "grep -Eq '^  deferred \(still trying\) +1$' '$T/out'" "text: 1 deferred"
check "grep -Eq '^  complained +1$' '$T/out'" "text: 1 complaint"
check "grep -Eq '^  blocked +1$' '$T/out'" "text: 1 blocked"
check "grep -Eq '^    suppressed +1$' '$T/out'" "text: blocked by rule suppressed"
check "grep -Eq '^  monitor mode, would block +1$' '$T/out'" "text: 1 monitored"
has "$T/out" "complaint rate 50.00% of delivered: !! AT OR OVER 0.3%" "text flags the complaint rate"
has "$T/out" "the large mailbox" "text says whose threshold 0.3% is"
check "grep -Eq '^  gmail.com +3 +2 +0 +1 +1 +33.33% +50.00% !!$' '$T/out'" "text: gmail.com row, flagged"
has "$T/out" "userunknown" "text: reason userunknown"
has "$T/out" "b@gmail.com" "text: failing recipient b"
check "! grep -q \"$(printf '\033')\" '$T/out'" "no raw escape in text"
w=$(awk '{ if (length($0) > m) { m = length($0); l = $0 } } END { print m + 0; print l > "/dev/stderr" }' "$T/out" 2>"$T/wide")
check "[ $w -le 80 ]" "text fits 80 columns (widest: $w: $(cat "$T/wide"))"

# ---- json -----------------------------------------------------------------
run report --format json
is_rc 0 "report --format json"
json_ok "$T/out" "json parses"
is_eq "$(pyq "$T/out" '(j["messages"], j["recipients"]["total"], j["recipients"]["delivered"], j["recipients"]["spam_rejected"], j["recipients"]["bounced"], j["recipients"]["deferred"], j["recipients"]["complaints"])')" \
    "(2, 6, 2, 1, 2, 1, 1)" "json: messages and recipients by outcome"
is_eq "$(pyq "$T/out" '(j["decisions"]["allowed"], j["decisions"]["blocked"], j["decisions"]["monitored"], j["decisions"]["blocked_by_rule"]["rows"])')" \
    "(1, 1, 1, [{'rule': 'suppressed', 'count': 1}])" "json: decisions"
is_eq "$(pyq "$T/out" '(j["rates"]["complaint"], j["rates"]["complaint_limit"], j["rates"]["complaint_flagged"], round(j["rates"]["spam_rejection"], 3), j["rates"]["spam_rejection_flagged"])')" \
    "(0.5, 0.003, True, 0.167, True)" "json: rates and flags"
is_eq "$(pyq "$T/out" '[(d["domain"], d["recipients"], d["delivered"], d["spam_rejected"], d["complaints"], d["complaint_flagged"]) for d in j["domains"]["rows"]]')" \
    "[('gmail.com', 3, 2, 1, 1, True), ('yahoo.com', 2, 0, 0, 0, False), ('evil.example', 1, 0, 0, 0, False)]" \
    "json: domains, largest first"
is_eq "$(pyq "$T/out" 'sorted((r["reason"], r["policy"]) for r in j["reports"]["reasons"]["rows"] if r["policy"] in ("bad", "complaint"))')" \
    "[('feedback', 'complaint'), ('userunknown', 'bad')]" "json: bad-address and complaint reasons"
is_eq "$(pyq "$T/out" '[r["policy"] for r in j["reports"]["reasons"]["rows"]].count("spam")')" \
    "1" "json: one spam-filter reason"
is_eq "$(pyq "$T/out" 'j["reports"]["unauthenticated"] >= '$have_corpus)" "True" \
    "json: the corpus report counted as unauthenticated"
is_eq "$(pyq "$T/out" 'sorted(c["category"] for c in j["categories"]["rows"])')" \
    "['$EVIL_CAT', 'shipping']" "json: categories, hostile one kept as text"
is_eq "$(pyq "$T/out" 'sorted(f["address"] for f in j["failing_recipients"]["rows"])')" \
    "['\"<script>alert(1)</script>\"@evil.example', 'b@gmail.com', 'c@yahoo.com']" "json: failing recipients"
is_eq "$(pyq "$T/out" 'sorted(j.keys())')" \
    "['categories', 'decisions', 'domains', 'failing_recipients', 'fallbacks', 'host', 'messages', 'rates', 'recipients', 'reports', 'senders', 'window']" \
    "json: top-level keys"

run report --format json --since 30d
is_eq "$(pyq "$T/out" '(j["messages"], j["window"]["seconds"], j["window"]["since_arg"])')" \
    "(3, 2592000, '30d')" "--since 30d includes the 8-day-old message"

# ---- csv ------------------------------------------------------------------
run report --format csv --since 30d
is_rc 0 "report --format csv"
"$PYTHON3" - "$T/out" > "$T/csv.txt" 2>&1 <<'EOF'
import csv, sys
raw = open(sys.argv[1], newline='', encoding='utf-8').read()
assert '\r\n' in raw and '\n' not in raw.replace('\r\n', ''), 'lines must end in CRLF'
rows = [r for r in csv.reader(raw.splitlines(True)) if r]
heads = {}
sect = {}
for r in rows:
    if r[0] == 'section':
        cur = r
        continue
    assert len(r) == len(cur), 'row %r has %d fields, header %d' % (r, len(r), len(cur))
    sect.setdefault(r[0], []).append(dict(zip(cur, r)))
summary = {d['metric']: d['value'] for d in sect['summary']}
print('summary', summary['messages'], summary['delivered'], summary['bounced'], summary['complaint_flagged'])
print('sections', sorted(sect))
for d in sect['categories']:
    print('category', d['category'])
dom = [d for d in sect['domains'] if d['domain'] == 'gmail.com'][0]
print('gmail', dom['recipients'], dom['delivered'], dom['bounced'], dom['spam_rejected'], dom['complaints'])
EOF
has "$T/csv.txt" "summary 3 2 3 1" "csv: summary metrics (30 days)"
has "$T/csv.txt" "sections ['blocked_rules', 'categories', 'domains', 'failing_recipients', 'reasons', 'senders', 'summary']" \
    "csv: one table per section, with a section column"
has "$T/csv.txt" "category $EVIL_CAT" "csv: the hostile category read back whole"
has "$T/csv.txt" "category '$CSV_CAT" \
    "csv: formula neutralised (leading '), its quotes and comma read back"
has "$T/csv.txt" "gmail 4 2 1 1 1" "csv: gmail.com row (30 days)"
hasnt "$T/csv.txt" "Error" "csv: the reader raised nothing"
hasnt "$T/csv.txt" "Traceback" "csv: no traceback"

# ---- html -----------------------------------------------------------------
run report --format html
is_rc 0 "report --format html"
has "$T/out" "<!DOCTYPE html>" "html: a document"
has "$T/out" "<svg" "html: inline SVG charts"
hasnt "$T/out" "<script" "html: no script element, none from the hostile values"
hasnt "$T/out" "<img" "html: the hostile category adds no element"
has "$T/out" "&lt;img src=x onerror=alert(2)&gt;" "html: the hostile category escaped"
has "$T/out" "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;@evil.example" "html: the hostile address escaped"
hasnt "$T/out" "src=\"http" "html: no external asset"
hasnt "$T/out" "href=\"http" "html: no external link"
hasnt "$T/out" "@import" "html: no imported style"
has "$T/out" "the large mailbox" "html says whose threshold 0.3% is"
has "$T/out" "#2e9e44" "html: the delivered colour"
"$PYTHON3" - "$T/out" > "$T/html.txt" 2>&1 <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = set(); self.stack = []; self.bad = []
    def handle_starttag(self, t, a):
        self.tags.add(t)
        for k, v in a:
            if k.startswith('on'):
                self.bad.append((t, k))
p = P()
p.feed(open(sys.argv[1], encoding='utf-8').read())
print('tags', sorted(p.tags & {'script', 'img', 'iframe', 'object', 'svg', 'table'}))
print('handlers', p.bad)
EOF
has "$T/html.txt" "tags ['svg', 'table']" "html parses to svg and tables, nothing else dangerous"
has "$T/html.txt" "handlers []" "html: no event-handler attributes"

# ---- complaints whose recipient the reporter redacted ----------------------
# A store of its own (the figures above stay as they are).  Real `ingest`
# of ARFs without Original-Rcpt-To and with the To: hidden, as large
# mailbox providers send them: T5's message reached two recipients in one
# domain (ingested twice: one complaint), T6's two in two domains, T7's
# only one (intake attributes that one to its recipient).
UDB=$T/u.db
printf 'Database %s\nSecretFile %s\nBounceDomain %s\n' "$UDB" "$T/secret" "$BD" > "$T/u.conf"
mku() {
	if "$MKMSG" "$UDB" "$@" > "$T/mk.out" 2>&1; then
		tap 0 "setup (redacted): mkmsg $1 $2"
	else
		tap 1 "setup (redacted): mkmsg $*"
		sed 's/^/#   /' "$T/mk.out"
	fi
}
# redacted TOKEN: an abuse complaint about TOKEN's message naming nobody
redacted() {
	cat <<EOF
From: fbl@isp.example.net
To: complaints@$BD
Subject: Complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
	boundary="ARF"

--ARF
Content-Type: text/plain

A user of ours complained about this message; the address is redacted.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: BigMailbox-FBL/2.0
Version: 1

--ARF
Content-Type: text/rfc822-headers

From: noreply@shop.example
To: undisclosed-recipients:;
Subject: Your order
X-Notifilter-ID: $1

--ARF--
EOF
}
T5=$(tok 5 "$(at 1500)") T6=$(tok 6 "$(at 1400)") T7=$(tok 7 "$(at 1300)")
mku message token=$T5 qid=Q5 sender=news@shop.example category=news \
    time=$(at 1500) 'rcpt=p@hot.example|allowed|default-consent-yes||1' \
    'rcpt=q@hot.example|allowed|default-consent-yes||1'
mku message token=$T6 qid=Q6 sender=news@shop.example category=news \
    time=$(at 1400) 'rcpt=r@one.example|allowed|default-consent-yes||1' \
    'rcpt=s@two.example|allowed|default-consent-yes||1'
mku message token=$T7 qid=Q7 sender=news@shop.example category=news \
    time=$(at 1300) 'rcpt=v@hot.example|allowed|default-consent-yes||1'
for a in Q5:p@hot.example Q5:q@hot.example Q6:r@one.example Q6:s@two.example Q7:v@hot.example; do
	mku delivery qid=${a%%:*} to=${a#*:} status=sent time=$(at 1200)
done
n=0
for t in "$T5" "$T5" "$T6" "$T7"; do
	n=$((n + 1))
	redacted "$t" > "$T/redacted.eml"
	"$CTL" -c "$T/u.conf" ingest --sender= "--recipient=complaints@$BD" \
	    < "$T/redacted.eml" > "$T/ing.out" 2>&1
	check "[ $? -eq 0 ]" "setup (redacted): ingest complaint $n, naming nobody"
done
check "grep -q 'consent revoked' '$T/ing.out'" "setup (redacted): the one-recipient complaint is attributed ($(tr '\n' ' ' < "$T/ing.out"))"

"$CTL" -c "$T/u.conf" report > "$T/out" 2> "$T/err"; rc=$?
is_rc 0 "redacted: report (text)"
check "grep -Eq '^  complained +3$' '$T/out'" "redacted, text: 3 complaints (1 attributed + 2 not)"
check "grep -Eq '^    not attributed to one +2$' '$T/out'" "redacted, text: 2 not attributed to a recipient (T5 once)"
has "$T/out" "1 of them also in their destination domain's row" "redacted, text: one of them in its domain"
has "$T/out" "complaint rate 60.00% of delivered" "redacted, text: rate 3 of the 5 delivered"
has "$T/out" "as one complaint, and as one delivery" "redacted, text: says how they count"
check "grep -Eq '^  hot.example +3 +3 +0 +0 +2 +0.00% +66.67% !!$' '$T/out'" "redacted, text: hot.example has T5's complaint"
check "grep -Eq '^  one.example +1 +1 +0 +0 +0 ' '$T/out'" "redacted, text: one.example has none of T6's"
w=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/out")
check "[ $w -le 80 ]" "redacted, text fits 80 columns ($w)"

"$CTL" -c "$T/u.conf" report --format json > "$T/out" 2> "$T/err"; rc=$?
is_rc 0 "redacted: report --format json"
is_eq "$(pyq "$T/out" '(j["recipients"]["complaints"], j["recipients"]["complaints_unattributed"], j["recipients"]["complaints_unattributed_in_domains"], j["rates"]["complaint"], j["rates"]["complaint_base"])')" \
    "(3, 2, 1, 0.6, 5)" "redacted, json: total, not attributed, in domains, rate, base"
is_eq "$(pyq "$T/out" '[(d["domain"], d["complaints"], d["complaints_unattributed"]) for d in j["domains"]["rows"]]')" \
    "[('hot.example', 2, 1), ('one.example', 0, 0), ('two.example', 0, 0)]" "redacted, json: per domain"

"$CTL" -c "$T/u.conf" report --format csv > "$T/out" 2> "$T/err"; rc=$?
is_rc 0 "redacted: report --format csv"
has "$T/out" "summary,complaints_unattributed,2" "redacted, csv: summary metric"
has "$T/out" "summary,complaint_base,5" "redacted, csv: the rate's base"
check "grep -q '^domains,hot.example,3,3,0,0,0,0,0,2,.*,1.$' '$T/out'" "redacted, csv: hot.example row, last column 1 not attributed"

"$CTL" -c "$T/u.conf" report --format html > "$T/out" 2> "$T/err"; rc=$?
is_rc 0 "redacted: report --format html"
has "$T/out" "include 2 not attributed to a recipient" "redacted, html: says how many and why"

# ---- empty store, usage ---------------------------------------------------
printf 'Database %s\n' "$T/empty.db" > "$T/empty.conf"
"$CTL" -c "$T/empty.conf" report --format json > "$T/out" 2> "$T/err"; rc=$?
is_rc 0 "an empty store reports"
is_eq "$(pyq "$T/out" '(j["messages"], j["recipients"]["total"], j["rates"]["complaint"], j["domains"]["rows"])')" \
    "(0, 0, 0.0, [])" "... with zeros"
for f in text csv html; do
	"$CTL" -c "$T/empty.conf" report --format $f > "$T/out" 2> "$T/err"; rc=$?
	is_rc 0 "an empty store: --format $f"
done
run report --format xml
is_rc 64 "--format xml: 64"
has "$T/err" "give text, json, csv or html" "says which formats"
run report --since soon
is_rc 64 "--since soon: 64"
has "$T/err" "is not a duration" "says why"
run report extra
is_rc 64 "a stray argument: 64"
run report --help
is_rc 0 "--help"

done_testing
