#!/bin/bash
# Builds notifilter twice and runs every test suite in each build:
#   1. -Wall -Wextra -Werror           (build dir _build)
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer (_build-asan)
# Then the fuzz targets run briefly when they exist (FUZZ_SECONDS, default 60).
# Prints one closing line "N passed, N failed" (TAP checks of all runs) and
# exits non-zero if anything failed. Run as root from the source tree.
set -u
cd "$(dirname "$0")/.." || exit 70
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 status=0

count() {	# add the PASS/FAIL counts of a build's test-suite.log summary
	local log=$1 p f x e
	[ -f "$log" ] || { fail=$((fail + 1)); return; }
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	x=$(sed -n 's/^# XPASS: *//p' "$log" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0} + ${x:-0} + ${e:-0}))
}

run_build() {	# NAME CONFIGURE-ARGS...
	local name=$1; shift
	echo "=== build $name: configure $*"
	mkdir -p "$top/$name"
	if ! ( cd "$top/$name" && "$top/configure" -q "$@" && make -s -j"$jobs" ); then
		echo "build $name failed"
		status=1 fail=$((fail + 1))
		return
	fi
	# one suite at a time: the MTA suites share loopback ports
	( cd "$top/$name" && make -s -j1 check ) || status=1
	if [ -f "$top/$name/test-suite.log" ]; then
		grep -E '^(# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):)' "$top/$name/test-suite.log" | head -8
		count "$top/$name/test-suite.log"
		# show failures in full, so a CI log alone says what differed
		awk '/^FAIL:|^ERROR:/' "$top/$name/test-suite.log" | head -20
	fi
}

[ -x configure ] || autoreconf -fi || exit 70
if [ -f config.status ]; then
	echo "run-all.sh: this source tree was configured in place; the builds here are out of"
	echo "  tree. Run 'make distclean' in $(pwd) first (or use a fresh clone)." >&2
	exit 78
fi
run_build _build --enable-werror
run_build _build-asan --enable-werror --enable-sanitizers

# fuzz targets: a clang build with libFuzzer; each target runs FUZZ_SECONDS
# (default 60). The report parsers are seeded from the bounce corpus
# (tests/fuzz/run.sh), the others from tests/fuzz/seeds/NAME.
if command -v clang >/dev/null; then
	echo "=== fuzz build (clang, libFuzzer)"
	mkdir -p "$top/_build-fuzz"
	if ( cd "$top/_build-fuzz" && CC=clang "$top/configure" -q --enable-fuzzing &&
	     make -s -j"$jobs" ); then
		for seeds in "$top"/tests/fuzz/seeds/*/; do
			name=$(basename "$seeds")
			bin=$top/_build-fuzz/tests/fuzz/fuzz_$name
			[ -x "$bin" ] || continue
			work=$(mktemp -d /tmp/nf-fuzz-"$name".XXXXXX)
			echo "== fuzz_$name for ${FUZZ_SECONDS:-60}s"
			if "$bin" -max_total_time="${FUZZ_SECONDS:-60}" -timeout=10 -rss_limit_mb=2048 \
			    -print_final_stats=1 -artifact_prefix="$work/" "$work" "$seeds" \
			    >"$work/log" 2>&1 && ! ls "$work" | grep -qE '^(crash|leak|timeout|oom)-'; then
				echo "ok - fuzz_$name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$') runs, no finding"
				pass=$((pass + 1))
				rm -rf "$work"
			else
				echo "not ok - fuzz_$name: see $work/log"; tail -n 30 "$work/log"
				fail=$((fail + 1)) status=1
			fi
		done
		if [ -x tests/fuzz/run.sh ]; then
			if top_srcdir=$top tests/fuzz/run.sh "$top/_build-fuzz"; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1)) status=1
			fi
		fi
	else
		echo "fuzz build failed"; fail=$((fail + 1)) status=1
	fi
fi

[ "$fail" -eq 0 ] || status=1
echo "${pass} passed, ${fail} failed"
exit $status
