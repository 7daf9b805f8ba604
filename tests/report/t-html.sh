#!/bin/sh
# The HTML report rendered by a real browser: headless Chromium takes a
# screenshot of `notifilterctl report --format html` (a store with every
# outcome, a flagged domain and fallbacks on two channels) and
# tests/report/pngcheck.py reads the PNG with zlib only: readable, not
# blank, every chart colour of ctl/report_html.c present, the page a
# plausible height.  An empty store's page is the control: it has none of
# the bar colours, so the colour checks can fail.
# Skips (TAP) when chromium is not installed: apt-get install chromium.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

MKMSG="$top_builddir/tests/ctl/mkmsg"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
	echo "1..0 # SKIP chromium is not installed (apt-get install chromium)"
	exit 0
fi
if [ ! -x "$MKMSG" ]; then
	echo "1..0 # SKIP $MKMSG is not built (make check builds it)"
	exit 0
fi

# colours of ctl/report_html.c: delivered deferred bounced expired spam
# pending blocked complaint
BG=f4f5f7
COLOURS="2e9e44 e8a317 d62d20 8e1b10 7b3fb8 8a94a6 2c3e50 e6550d"

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

# shot HTML PNG [HEIGHT]: screenshot of the page, 1200 x 2000 (or HEIGHT)
shot() {
	rm -f "$2"
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --user-data-dir="$T/profile" \
	    --screenshot="$2" --window-size=1200,${3:-2000} "file://$1" \
	    > "$T/chromium.log" 2>&1
	[ -s "$2" ] || { sed 's/^/#   chromium: /' "$T/chromium.log" | tail -5; return 1; }
}
val() { sed -n "s/^$1 //p" "$2"; }

# ---- a store with every outcome ----------------------------------------
i=0
for st in sent sent sent sent deferred deferred bounced bounced expired none; do
	i=$((i + 1))
	tok=$(printf '1h%031d' "$i")
	mk message token=$tok qid=Q$i sender=noreply@shop.example \
	    category=shipping time=$(at $((5000 - i))) \
	    "rcpt=u$i@d$((i % 3)).example|allowed|default-consent-yes||1"
	[ "$st" = none ] || mk delivery qid=Q$i to=u$i@d$((i % 3)).example \
	    status=$st time=$(at $((4000 - i)))
done
mk event kind=decision qid=Q99 to=x@d1.example rule=suppressed \
    'detail=verdict=block action=rejected message=accepted' time=$(at 3000)
# spam rejection and complaint reports, outbox rows: what intake and the
# scheduler would have written (their own suites test how)
"$PYTHON3" - "$DB" "$NOW" > "$T/py.out" 2>&1 <<'EOF'
import sqlite3, sys
db, now = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
db.execute("UPDATE recipients SET status = 'bounced' WHERE address = 'u3@d0.example'")
for addr, tok, pol, reason in (('u3@d0.example', '1h%031d' % 3, 'spam', 'spamdetected'),
                               ('u1@d1.example', '1h%031d' % 1, 'complaint', 'feedback')):
    rid = db.execute("INSERT INTO reports(time, kind, token, token_valid, authenticated) VALUES (?, 'dsn', ?, 1, 1)",
                     (now - 100, tok)).lastrowid
    db.execute("INSERT INTO report_recipients(report_id, time, address, token, authenticated, reason, policy, outcome)"
               " VALUES (?, ?, ?, ?, 1, ?, ?, 'recorded')", (rid, now - 100, addr, tok, reason, pol))
n = 0
for ch, state, k in (('sms', 'sent', 3), ('sms', 'failed', 1), ('sms', 'skipped', 1), ('sms', 'held', 1),
                     ('whatsapp', 'sent', 2), ('whatsapp', 'failed', 1)):
    for _ in range(k):
        n += 1
        db.execute("INSERT INTO outbox(token, recipient, phone, channel, trigger, state, segments, due, expires,"
                   " idem_key, created, updated) VALUES (?, 'r', '+4915100', ?, 'failure', ?, 1, 0, 0, ?, ?, ?)",
                   ('t%d' % n, ch, state, 'k%d' % n, now - 50, now - 50))
db.commit()
print('done')
EOF
has "$T/py.out" "done" "setup: reports and outbox rows"

run report --format html
is_rc 0 "report --format html"
cp "$T/out" "$T/report.html"
run report --format json
is_eq "$(pyq "$T/out" '(j["recipients"]["delivered"], j["recipients"]["deferred"], j["recipients"]["bounced"], j["recipients"]["expired"], j["recipients"]["spam_rejected"], j["recipients"]["pending"], j["decisions"]["blocked"], j["recipients"]["complaints"], j["fallbacks"]["total"])')" \
    "(3, 2, 2, 1, 1, 1, 1, 1, 9)" "setup: the store has every outcome"

# ---- the filled page ----------------------------------------------------
if shot "$T/report.html" "$T/report.png"; then
	tap 0 "chromium rendered the report"
else
	tap 1 "chromium rendered the report"
fi
"$PYTHON3" "$top_srcdir/tests/report/pngcheck.py" "$T/report.png" $BG $COLOURS > "$T/png.txt" 2>&1
sed 's/^/# /' "$T/png.txt"
is_eq "$(val size "$T/png.txt")" "1200 2000" "PNG decoded: 1200 x 2000"
c=$(val content "$T/png.txt")
check "awk 'BEGIN { exit !(\"$c\" + 0 > 0.08) }'" "not blank: $c of the pixels are content"
n=$(val colours "$T/png.txt")
check "[ \"\${n:-0}\" -gt 50 ]" "many colours ($n): text, charts, tables"
# the height: a second, taller window shows where the page ends
shot "$T/report.html" "$T/tall.png" 4000
"$PYTHON3" "$top_srcdir/tests/report/pngcheck.py" "$T/tall.png" $BG > "$T/tall.txt" 2>&1
b=$(val bottom "$T/tall.txt")
check "[ \"\${b:-0}\" -gt 1200 ] && [ \"\${b:-0}\" -lt 3600 ]" \
    "page height plausible: the page ends at ${b}px (1200 to 3600 expected)"
for col in $COLOURS; do
	px=$(sed -n "s/^colour $col //p" "$T/png.txt")
	check "[ \"\${px:-0}\" -ge 40 ]" "chart colour #$col present ($px pixels)"
done

# ---- the control: an empty store's page has no bars ------------------------
printf 'Database %s\n' "$T/empty.db" > "$T/empty.conf"
"$CTL" -c "$T/empty.conf" report --format html > "$T/empty.html" 2> "$T/err"
shot "$T/empty.html" "$T/empty.png"
tap $? "chromium rendered the empty report"
"$PYTHON3" "$top_srcdir/tests/report/pngcheck.py" "$T/empty.png" $BG $COLOURS > "$T/epng.txt" 2>&1
c=$(val content "$T/epng.txt")
check "awk 'BEGIN { exit !(\"$c\" + 0 > 0.02) }'" "the empty page is not blank either ($c)"
for col in 2e9e44 d62d20 7b3fb8; do
	px=$(sed -n "s/^colour $col //p" "$T/epng.txt")
	check "[ \"\${px:-1}\" -eq 0 ]" "control: no #$col bar on the empty page ($px pixels)"
done

done_testing
