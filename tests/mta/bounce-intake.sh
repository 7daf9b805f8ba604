#!/bin/sh
# bounce-intake.sh - Postfix pipe(8) target for the BounceDomain in the MTA
# tests (runs as user nobody).  Saves each message it is given, so a test
# can read the DSNs that reached the VERP address; the ingest into the
# store (notifilterctl ingest) replaces it in a later milestone.
#
# argv: OUTDIR SENDER RECIPIENT ORIGINAL_RECIPIENT QUEUE_ID; message on stdin.
# Appends one line per call to OUTDIR/intake.log:
#   <time> OK sender=<...> rcpt=<...> orig=<...> qid=... file=OUTDIR/msg.XXXXXX
# If OUTDIR/tempfail exists it exits 75 (EX_TEMPFAIL: Postfix defers and
# retries).  It never exits with another non-zero code on purpose: Postfix
# bounces a pipe's other failures to the null sender, where the report is
# lost (../shared/recipes §4), so a failure to save is also 75.
out=$1
shift
if [ -e "$out/tempfail" ]; then
	echo "$(date +%s.%N) TEMPFAIL sender=<$1> rcpt=<$2> orig=<$3> qid=$4" >>"$out/intake.log"
	echo "intake not ready" >&2	# pipe(8) puts this in the deferral reason
	exit 75
fi
f=$(mktemp "$out/msg.XXXXXX") || { echo "intake: cannot create a file in $out" >&2; exit 75; }
if ! cat >"$f"; then
	rm -f "$f"
	echo "intake: cannot write $f" >&2
	exit 75
fi
echo "$(date +%s.%N) OK sender=<$1> rcpt=<$2> orig=<$3> qid=$4 file=$f" >>"$out/intake.log"
exit 0
