#!/bin/sh
# tests/fuzz/run.sh - run the report parser's libFuzzer targets, seeded from
# the bounce corpus, each for FUZZ_SECONDS (default 60).
#
# usage: tests/fuzz/run.sh [BUILDDIR]   (a tree configured with
#        CC=clang ./configure --enable-fuzzing; default: the current dir)
# env:   FUZZ_SECONDS, NF_CORPUS (default $top_srcdir/../shared/corpus/bounces),
#        FUZZ_TARGETS (default "fuzz_mime fuzz_dsn fuzz_arf"), FUZZ_WORK (kept
#        corpus and crash files; default a fresh directory under /tmp)
# Exit 0 when no target crashed, leaked or hung; 1 otherwise (the crash file
# and libFuzzer's report name what happened).
set -u
builddir=${1:-.}
here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$here/../..}
corpus=${NF_CORPUS:-$top/../shared/corpus/bounces}
secs=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"fuzz_mime fuzz_dsn fuzz_arf"}
work=${FUZZ_WORK:-$(mktemp -d /tmp/nf-fuzz.XXXXXX)}
fail=0

for t in $targets; do
	bin=$builddir/tests/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built (configure with CC=clang --enable-fuzzing, then make $t)" >&2
		exit 1
	fi
	mkdir -p "$work/$t/corpus" "$work/$t/seeds" "$work/$t/artifacts"
	if [ -d "$corpus/maildir" ]; then
		# seeds: every corpus message (names flattened)
		find "$corpus" -name '*.eml' | while read -r f; do
			cp "$f" "$work/$t/seeds/$(echo "$f" | tr / _)"
		done
	else
		echo "run.sh: no corpus at $corpus: fuzzing from an empty seed set" >&2
	fi
	echo "== $t for ${secs}s (work dir $work/$t)"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	    -detect_leaks=1 -print_final_stats=1 \
	    -artifact_prefix="$work/$t/artifacts/" \
	    "$work/$t/corpus" "$work/$t/seeds" >"$work/$t/log" 2>&1
	rc=$?
	tail -n 12 "$work/$t/log"
	if [ $rc -ne 0 ] || ls "$work/$t/artifacts" | grep -q .; then
		echo "FAIL: $t (exit $rc); artifacts in $work/$t/artifacts, log $work/$t/log"
		fail=1
	else
		echo "ok: $t"
	fi
done
exit $fail
