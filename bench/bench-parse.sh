#!/bin/sh
# bench/bench-parse.sh - parse throughput of notifilter's report parser against
# Sisimai 4.25 (Debian libsisimai-perl) on the same corpus files, same run.
#
# usage: bench/bench-parse.sh            (from the build directory; `make bench`)
# env:   NF_CORPUS   the bounce corpus (default $top_srcdir/../shared/corpus/bounces)
#        PARSE       the parser command (default: tests/unit/parse_driver, the
#                    same code as `notifilterctl parse`, which make has just
#                    rebuilt; notifilterctl parse when that is newer)
#        ROUNDS      how many times each side parses the whole set (default 10)
#        TRIES       how many times each side is measured (default 3); the
#                    fastest try of each side counts
#
# What is measured, the same on both sides: ONE process per side is given the
# whole file list (every corpus message, sorted) ROUNDS times over and parses
# every file; its CPU time (user + system, the child's and its children's,
# from getrusage) includes the process start, reading the files and parsing.
# notifilter also writes its JSON Lines (to a file); Sisimai is measured two
# ways: building its result objects only (Sisimai->make with delivered and
# vacation on, as the labels were made), which errs in Sisimai's favour, and
# like for like, printing its JSON for every file (Sisimai->dump, the JSON
# its own command line prints).  Both ratios are printed; the like-for-like
# one is the comparison of the same work (parse and print JSON per file).
# CPU time is the figure that counts on a shared 2-core machine: wall time
# depends on what else runs; it is printed too.  The tries alternate between
# the sides so that a busy moment does not hit only one of them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$here/..}
corpus=${NF_CORPUS:-$top/../shared/corpus/bounces}
rounds=${ROUNDS:-10}
tries=${TRIES:-3}
builddir=$(cd "${top_builddir:-.}" && pwd)

if [ ! -d "$corpus/maildir" ]; then
	echo "bench-parse: corpus not found at $corpus (set NF_CORPUS); skipped"
	exit 0
fi
if [ -z "${PARSE:-}" ]; then
	drv=$builddir/tests/unit/parse_driver
	ctl=$builddir/notifilterctl
	if [ -x "$ctl" ] && { [ ! -x "$drv" ] || [ "$ctl" -nt "$drv" ]; } &&
	    "$ctl" parse --help >/dev/null 2>&1; then
		PARSE="$ctl parse"
	elif [ -x "$drv" ]; then
		PARSE=$drv
	else
		echo "bench-parse: neither $drv nor $ctl built (make tests/unit/parse_driver)" >&2
		exit 1
	fi
fi

tmp=$(mktemp -d /tmp/nf-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
(cd "$corpus" && find maildir to-be-debugged-because -type f -name '*.eml' | sort) >"$tmp/list"
n=$(wc -l <"$tmp/list")
if [ "$n" -eq 0 ]; then
	echo "bench-parse: no *.eml files under $corpus/maildir" >&2
	exit 1
fi
i=0
while [ $i -lt "$rounds" ]; do cat "$tmp/list"; i=$((i + 1)); done >"$tmp/args"

have_sisimai=1
perl -MSisimai -e 1 2>/dev/null || have_sisimai=0
# Sisimai's side: the same list on stdin, one Sisimai->make per file; the
# number of records goes to fd 3 so that the run can be checked.
sisimai='my @files = map { chomp; $_ } <STDIN>; my $n = 0;
for my $f (@files) { my $v = Sisimai->make($f, "delivered" => 1, "vacation" => 1); $n += scalar @$v if $v; }
open(my $o, ">&=", 3) or die; print $o "$n\n";'
# like for like: the JSON of every file printed, as notifilter prints its own
sisimai_json='my @files = map { chomp; $_ } <STDIN>; binmode STDOUT;
for my $f (@files) { my $j = Sisimai->dump($f, "delivered" => 1, "vacation" => 1); print $j, "\n" if defined $j; }'

# run ARGS-FILE OUT STDIN-FILE CMD...: CPU and wall time of CMD (with cwd the
# corpus) as "wall user sys" on stdout; CMD's stdout goes to OUT.
# python3 gives microseconds (wait4); /usr/bin/time only hundredths.
py=${PYTHON3:-python3}
command -v "$py" >/dev/null 2>&1 || py=
measure() {
	out=$1 in=$2
	shift 2
	if [ -n "$py" ]; then
		(cd "$corpus" && "$py" -c '
import os, sys, time
out, inp, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    fi = os.open(inp, os.O_RDONLY)
    fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fc = os.open(out + ".n", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fe = os.open("/dev/null", os.O_WRONLY)
    os.dup2(fi, 0); os.dup2(fo, 1); os.dup2(fe, 2); os.dup2(fc, 3)
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
    sys.stderr.write("bench-parse: %s failed (status %d)\n" % (argv[0], status))
    sys.exit(1)
print("%.6f %.6f %.6f" % (wall, ru.ru_utime, ru.ru_stime))
' "$out" "$in" "$@")
	elif [ -x /usr/bin/time ]; then
		(cd "$corpus" && /usr/bin/time -f '%e %U %S' -o "$out.t" "$@" <"$in" >"$out" 3>"$out.n" 2>/dev/null) &&
		    cat "$out.t"
	else
		echo "bench-parse: neither python3 nor /usr/bin/time to measure CPU time" >&2
		return 1
	fi
}

best_o= best_s= best_j=
t=0
while [ $t -lt "$tries" ]; do
	# ours: xargs hands the list on as arguments (one process unless the list
	# is longer than the argument limit; its children's time is counted)
	r=$(measure "$tmp/o.out" "$tmp/args" xargs $PARSE --json) || exit 1
	best_o=$(echo "$r $best_o" | awk '{ if ($4 == "" || $2 + $3 < $5 + $6) print $1, $2, $3; else print $4, $5, $6 }')
	if [ $have_sisimai = 1 ]; then
		r=$(measure "$tmp/s.out" "$tmp/args" perl -MSisimai -e "$sisimai") || exit 1
		best_s=$(echo "$r $best_s" | awk '{ if ($4 == "" || $2 + $3 < $5 + $6) print $1, $2, $3; else print $4, $5, $6 }')
		r=$(measure "$tmp/j.out" "$tmp/args" perl -MSisimai -e "$sisimai_json") || exit 1
		best_j=$(echo "$r $best_j" | awk '{ if ($4 == "" || $2 + $3 < $5 + $6) print $1, $2, $3; else print $4, $5, $6 }')
	fi
	t=$((t + 1))
done
ores=$(wc -l <"$tmp/o.out")
sres=$(cat "$tmp/s.out.n" 2>/dev/null || echo 0)

echo "bench-parse: $n corpus files, each side one process parsing all of them $rounds times; best of $tries tries"
echo "  notifilter: $PARSE --json (with JSON output)"
[ $have_sisimai = 1 ] && echo "  Sisimai:    perl, Sisimai $(perl -MSisimai -e 'print $Sisimai::VERSION'): Sisimai->make per file (no output), and Sisimai->dump per file (JSON printed)"
awk -v n="$n" -v r="$rounds" -v a="$best_o" -v b="$best_s" -v c="$best_j" -v ores="$ores" -v sres="$sres" 'BEGIN {
	split(a, x, " "); split(b, y, " ");
	files = n * r;
	ocpu = x[2] + x[3]; scpu = y[2] + y[3];
	printf "  results per round: notifilter %d recipients, Sisimai %d records\n", ores / r, sres / r;
	printf "notifilter parse: %9.0f files/s CPU, %9.0f files/s wall (%.3f s CPU = %.3f user + %.3f sys, %.3f s wall)\n",
	    (ocpu > 0 ? files / ocpu : 0), (x[1] > 0 ? files / x[1] : 0), ocpu, x[2], x[3], x[1];
	if (b == "") {
		print "bench-parse: Sisimai not installed (apt-get install libsisimai-perl); no ratio";
		exit 0;
	}
	printf "Sisimai %s:  %9.0f files/s CPU, %9.0f files/s wall (%.3f s CPU = %.3f user + %.3f sys, %.3f s wall)\n",
	    "4.25", (scpu > 0 ? files / scpu : 0), (y[1] > 0 ? files / y[1] : 0), scpu, y[2], y[3], y[1];
	split(c, z, " "); jcpu = z[2] + z[3];
	printf "Sisimai %s, JSON printed: %9.0f files/s CPU (%.3f s CPU = %.3f user + %.3f sys, %.3f s wall)\n",
	    "4.25", (jcpu > 0 ? files / jcpu : 0), jcpu, z[2], z[3], z[1];
	if (ocpu > 0 && scpu > 0 && jcpu > 0) {
		printf "ratio, like for like (both print JSON): %.1fx by CPU time (goal >= 30x); %.1fx by wall time\n", jcpu / ocpu, z[1] / x[1];
		printf "ratio, Sisimai printing nothing: %.1fx by CPU time; %.1fx by wall time\n", scpu / ocpu, y[1] / x[1];
	} else
		printf "ratio: %.1fx by wall time (CPU time not measurable here; goal >= 30x)\n", y[1] / x[1];
}'
