#!/bin/sh
# tests/golden/t-parse-golden.sh - `parse --json` output for a sample of the
# bounce corpus (one file per format, plus CRLF and bare-CR copies and a
# non-bounce) must equal tests/golden/parse-sample.jsonl byte for byte.
# After an intended change, regenerate with tests/golden/regen.sh BUILDDIR, i.e.:
#   cd $NF_CORPUS && $top_builddir/tests/unit/parse_driver --json \
#       $(cat $top_srcdir/tests/golden/parse-sample.list) > $top_srcdir/tests/golden/parse-sample.jsonl
# and review the diff.  Skips when the corpus is absent.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
top_builddir=$(cd "$top_builddir" && pwd)
corpus=${NF_CORPUS:-$top_srcdir/../shared/corpus/bounces}
list=$top_srcdir/tests/golden/parse-sample.list
want=$top_srcdir/tests/golden/parse-sample.jsonl
drv=$top_builddir/tests/unit/parse_driver

if [ ! -d "$corpus/maildir" ]; then
	echo "1..0 # SKIP corpus not found at $corpus (set NF_CORPUS)"
	exit 0
fi
got=$(mktemp /tmp/nf-golden.XXXXXX)
trap 'rm -f "$got"' EXIT
(cd "$corpus" && "$drv" --json $(cat "$list")) >"$got"
rc=$?
echo "1..2"
if [ $rc -eq 0 ]; then echo "ok 1 - parse --json exits 0"; else echo "not ok 1 - parse --json exited $rc"; fi
if cmp -s "$want" "$got"; then
	echo "ok 2 - output equals tests/golden/parse-sample.jsonl ($(wc -l <"$want") lines)"
else
	echo "not ok 2 - output differs from tests/golden/parse-sample.jsonl:"
	diff "$want" "$got" | head -n 40 | sed 's/^/# /'
fi
