#!/bin/sh
# bench/bench-parse.sh - parse throughput of notifilter's report parser against
# Sisimai 4.25 (Debian libsisimai-perl) on the same corpus files, same run.
#
# usage: bench/bench-parse.sh            (from the build directory; `make bench`)
# env:   NF_CORPUS   the bounce corpus (default $top_srcdir/../shared/corpus/bounces)
#        PARSE       the parser command (default: notifilterctl parse if it has
#                    the subcommand, else tests/unit/parse_driver)
#        ROUNDS      how many times each side parses the whole set (default 5)
# Prints files/s for both and the ratio; the issue's goal is >= 30x.
# Sisimai gets the files one by one in one Perl process, as the labels were made.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$here/..}
corpus=${NF_CORPUS:-$top/../shared/corpus/bounces}
rounds=${ROUNDS:-5}
builddir=$(cd "${top_builddir:-.}" && pwd)

if [ ! -d "$corpus/maildir" ]; then
	echo "bench-parse: corpus not found at $corpus (set NF_CORPUS); skipped"
	exit 0
fi
if [ -z "${PARSE:-}" ]; then
	if "$builddir/notifilterctl" parse --help >/dev/null 2>&1; then
		PARSE="$builddir/notifilterctl parse"
	else
		PARSE="$builddir/tests/unit/parse_driver"
	fi
fi
list=$(mktemp /tmp/nf-bench.XXXXXX)
(cd "$corpus" && find maildir to-be-debugged-because -type f -name '*.eml' | sort) >"$list"
n=$(wc -l <"$list")

# one process per side; the file list repeated ROUNDS times.  CPU time (user +
# system, from /usr/bin/time when present) is the fair measure on a shared or
# throttled machine; wall-clock time is printed too.
args=$(mktemp /tmp/nf-bench-args.XXXXXX)
trap 'rm -f "$list" "$args" "$args.t1" "$args.t2"' EXIT
i=0
while [ $i -lt "$rounds" ]; do cat "$list"; i=$((i + 1)); done >"$args"
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %e:%U:%S -o"

if [ -n "$timer" ]; then
	(cd "$corpus" && xargs -n 100000 -s 2000000 $timer "$args.t1" $PARSE --json <"$args" >/dev/null)
else
	s0=$(date +%s.%N)
	(cd "$corpus" && xargs $PARSE --json <"$args" >/dev/null)
	echo "$(echo "$(date +%s.%N) - $s0" | bc):0:0" >"$args.t1"
fi || { echo "bench-parse: $PARSE failed" >&2; exit 1; }

if ! perl -MSisimai -e 1 2>/dev/null; then
	echo "notifilter: $n files x $rounds: $(cat "$args.t1") (wall:user:sys s)"
	echo "bench-parse: Sisimai not installed (apt-get install libsisimai-perl); no ratio"
	exit 0
fi
script='my @files = map { chomp; $_ } <STDIN>;
	for my $f (@files) { my $v = Sisimai->make($f, "delivered" => 1, "vacation" => 1); }'
if [ -n "$timer" ]; then
	(cd "$corpus" && $timer "$args.t2" perl -MSisimai -e "$script" <"$args" >/dev/null 2>&1)
else
	s0=$(date +%s.%N)
	(cd "$corpus" && perl -MSisimai -e "$script" <"$args" >/dev/null 2>&1)
	echo "$(echo "$(date +%s.%N) - $s0" | bc):0:0" >"$args.t2"
fi

awk -v n="$n" -v r="$rounds" -v a="$(tail -n 1 "$args.t1")" -v b="$(tail -n 1 "$args.t2")" 'BEGIN {
	split(a, x, ":"); split(b, y, ":");
	files = n * r;
	ocpu = x[2] + x[3]; scpu = y[2] + y[3];
	printf "corpus: %d files, parsed %d times by each side\n", n, r;
	printf "notifilter parse: %9.0f files/s CPU, %9.0f files/s wall (%.2f s CPU, %.2f s wall)\n",
	    (ocpu > 0 ? files / ocpu : 0), files / x[1], ocpu, x[1];
	printf "Sisimai 4.25.15:  %9.0f files/s CPU, %9.0f files/s wall (%.2f s CPU, %.2f s wall)\n",
	    (scpu > 0 ? files / scpu : 0), files / y[1], scpu, y[1];
	if (ocpu > 0 && scpu > 0)
		printf "ratio: %.1fx by CPU time, %.1fx by wall time (goal >= 30x)\n", scpu / ocpu, y[1] / x[1];
	else
		printf "ratio: %.1fx by wall time (goal >= 30x)\n", y[1] / x[1];
}'
