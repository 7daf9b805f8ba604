#!/bin/sh
# tests/golden/regen.sh - rewrite tests/golden/parse-sample.jsonl from the
# current parser after an intended change; review `git diff` before keeping it.
# usage: tests/golden/regen.sh BUILDDIR    (NF_CORPUS overrides the corpus path)
set -eu
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:?usage: tests/golden/regen.sh BUILDDIR}" && pwd)
corpus=${NF_CORPUS:-$top_srcdir/../shared/corpus/bounces}
[ -d "$corpus/maildir" ] || { echo "regen.sh: corpus not found at $corpus (set NF_CORPUS)" >&2; exit 1; }
[ -x "$builddir/tests/unit/parse_driver" ] || { echo "regen.sh: build tests/unit/parse_driver in $builddir first" >&2; exit 1; }
out=$top_srcdir/tests/golden/parse-sample.jsonl
(cd "$corpus" && "$builddir/tests/unit/parse_driver" --json $(cat "$top_srcdir/tests/golden/parse-sample.list")) >"$out.new"
mv "$out.new" "$out"
echo "regen.sh: wrote $out ($(wc -l <"$out") lines)"
