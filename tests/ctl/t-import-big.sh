#!/bin/sh
# contact import of 100,000 rows: must finish (the goal is well under 10 s;
# the only assertion is a generous 60 s so a slow CI machine does not fail).
# The times are printed as TAP comments.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

ROWS=100000
awk -v n=$ROWS 'BEGIN {
	print "email,phone,name,consent_email,consent_sms"
	for (i = 1; i <= n; i++)
		printf "user%d@example.com,+4915%09d,User %d,yes,%s\n", i, i, i, (i % 2 ? "no" : "")
}' > "$T/big.csv"
check "[ \$(wc -l < '$T/big.csv') -eq $((ROWS + 1)) ]" "generated $ROWS rows"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
under() { awk -v t="$1" -v m="$2" 'BEGIN { exit !(t < m) }'; }

t0=$(now)
run contact import "$T/big.csv" --dry-run
t1=$(now)
is_rc 0 "dry run of $ROWS rows"
echo "# dry run of $ROWS rows: $(elapsed "$t0" "$t1") s"
hasnt "$T/err" "checked 10000 rows" "no progress line when stderr is not a terminal"
if command -v script >/dev/null 2>&1; then
	# script(1) gives the command a terminal; its output is the terminal's
	script -qc "'$CTL' -c '$CONF' contact import '$T/big.csv' --dry-run" \
	    /dev/null > "$T/tty" 2>&1 < /dev/null
	if grep -q "would import" "$T/tty"; then
		has "$T/tty" "big.csv: checked 10000 rows" "a progress line when stderr is a terminal"
	else
		echo "ok $((tap_n + 1)) # SKIP script(1) could not give a terminal"
		tap_n=$((tap_n + 1))
	fi
else
	echo "ok $((tap_n + 1)) # SKIP script(1) is not installed"
	tap_n=$((tap_n + 1))
fi

t0=$(now)
run contact import "$T/big.csv"
t1=$(now)
secs=$(elapsed "$t0" "$t1")
is_rc 0 "import of $ROWS rows"
has "$T/out" "imported $ROWS contacts ($ROWS added, 0 merged)" "all rows imported"
echo "# import of $ROWS rows into an empty store: $secs s"
check "under $secs 60" "import finished within 60 s ($secs s)"

run contact show user77777@example.com --json
is_eq "$(pyq "$T/out" 'j["phone"], j["name"], j["consent"]["email"]["state"], j["consent"]["sms"]["state"]')" \
    "('+4915000077777', 'User 77777', 'granted', 'revoked')" "a row from the middle is right"

t0=$(now)
run contact import "$T/big.csv"
t1=$(now)
is_rc 65 "importing the same rows again without --merge: 65"
check "[ \$(grep -c 'belongs to' '$T/err') -eq $((ROWS * 2)) ]" \
    "every row reported (email and phone)"
echo "# refused re-import of $ROWS rows: $(elapsed "$t0" "$t1") s"

t0=$(now)
run contact import "$T/big.csv" --merge
t1=$(now)
secs=$(elapsed "$t0" "$t1")
is_rc 0 "merge of $ROWS rows into existing contacts"
has "$T/out" "($((0)) added, $ROWS merged)" "all rows merged"
echo "# merge of $ROWS rows: $secs s"
check "under $secs 60" "merge finished within 60 s ($secs s)"

done_testing
