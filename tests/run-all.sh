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
run_build _build --enable-werror
run_build _build-asan --enable-werror --enable-sanitizers

if [ -x tests/fuzz/run.sh ] && command -v clang >/dev/null; then
	echo "=== fuzz targets (${FUZZ_SECONDS:-60}s each)"
	if tests/fuzz/run.sh; then pass=$((pass + 1)); else fail=$((fail + 1)); status=1; fi
fi

[ "$fail" -eq 0 ] || status=1
echo "${pass} passed, ${fail} failed"
exit $status
