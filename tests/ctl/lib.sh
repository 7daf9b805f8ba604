# tests/ctl/lib.sh - sourced by tests/ctl/t-*.sh: TAP output, a scratch
# directory with a config, and helpers that run the built notifilterctl.
#
#   run ARGS...            notifilterctl -c $CONF ARGS; sets $rc, $T/out, $T/err
#   is_rc WANT DESC        the last run exited WANT
#   has FILE PATTERN DESC  FILE contains the fixed string PATTERN
#   hasnt FILE PATTERN DESC
#   check COND-CMD DESC    any shell command as a test
#   json_ok FILE DESC      FILE is valid JSON (python3)
#   pyq FILE EXPR          print a python expression over the JSON in FILE (as j)
#   done_testing
set -u
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PYTHON3:=python3}"
[ -n "$PYTHON3" ] || PYTHON3=python3
CTL="$top_builddir/notifilterctl"
T=$(mktemp -d "${TMPDIR:-/tmp}/nf-ctl.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
CONF="$T/notifilter.conf"
DB="$T/db"
printf 'Database %s\nDefaultCountry 49\n' "$DB" > "$CONF"
tap_n=0
tap_failed=0

if [ ! -x "$CTL" ]; then
	echo "1..0 # SKIP $CTL is not built"
	exit 0
fi

run() {
	"$CTL" -c "$CONF" "$@" > "$T/out" 2> "$T/err"
	rc=$?
}

# run_nc ARGS...: without -c (the caller gives it, or tests its absence)
run_nc() {
	"$CTL" "$@" > "$T/out" 2> "$T/err"
	rc=$?
}

tap() {	# tap OK(0/1) DESC
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

show_last() {
	sed 's/^/#   stdout: /' "$T/out" | head -20
	sed 's/^/#   stderr: /' "$T/err" | head -20
}

is_rc() {
	if [ "$rc" -eq "$1" ]; then
		tap 0 "$2"
	else
		tap 1 "$2"
		echo "#   exit code $rc, want $1"
		show_last
	fi
}

has() {
	if grep -qF -- "$2" "$1"; then
		tap 0 "$3"
	else
		tap 1 "$3"
		echo "#   $(basename "$1") lacks: $2"
		sed 's/^/#   | /' "$1" | head -20
	fi
}

hasnt() {
	if grep -qF -- "$2" "$1"; then
		tap 1 "$3"
		echo "#   $(basename "$1") should not contain: $2"
		grep -F -- "$2" "$1" | sed 's/^/#   | /' | head -5
	else
		tap 0 "$3"
	fi
}

check() {
	if eval "$1"; then
		tap 0 "$2"
	else
		tap 1 "$2"
		echo "#   failed: $1"
	fi
}

json_ok() {
	if "$PYTHON3" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" \
	    2> "$T/json.err"; then
		tap 0 "$2"
	else
		tap 1 "$2"
		sed 's/^/#   /' "$T/json.err"
		sed 's/^/#   | /' "$1" | head -20
	fi
}

pyq() {
	"$PYTHON3" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

# is_eq GOT WANT DESC
is_eq() {
	if [ "$1" = "$2" ]; then
		tap 0 "$3"
	else
		tap 1 "$3"
		echo "#   got  '$1'"
		echo "#   want '$2'"
	fi
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# arf RCPT TOKEN: an unsigned ARF abuse complaint (from fbl@isp.example.net
# to complaints@$BD) about TOKEN's message to RCPT
arf() {
	cat <<EOF
From: fbl@isp.example.net
To: complaints@$BD
Subject: FW: Your order
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
	boundary="ARF"

--ARF
Content-Type: text/plain

This is an email abuse report.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: test/1.0
Version: 1
Original-Rcpt-To: $1

--ARF
Content-Type: message/rfc822

From: noreply@shop.example
To: $1
Subject: Your order
X-Notifilter-ID: $2

Hello.

--ARF--
EOF
}

# tracking_setup: for suites that record messages and ingest reports:
# skip unless tests/ctl/mkmsg and tests/report/mktoken are built; then a
# SecretFile and BounceDomain ($BD) in $CONF.  Sets MKMSG, MKTOKEN, BD.
tracking_setup() {
	MKMSG="$top_builddir/tests/ctl/mkmsg"
	MKTOKEN="$top_builddir/tests/report/mktoken"
	for p in "$MKMSG" "$MKTOKEN"; do
		if [ ! -x "$p" ]; then
			echo "1..0 # SKIP $p is not built (make check builds it)"
			exit 0
		fi
	done
	BD=bounces.example.test
	head -c 32 /dev/urandom > "$T/secret" && chmod 600 "$T/secret"
	printf 'SecretFile %s\nBounceDomain %s\n' "$T/secret" "$BD" >> "$CONF"
}
