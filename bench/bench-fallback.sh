#!/bin/bash
# bench-fallback.sh - the fallback's speed (make bench-fallback):
#
#  1. latency: with the daemon running, LAT_N failing DSNs (default 200)
#     are ingested one after the other (`notifilterctl ingest`, a new
#     process each, LAT_GAP_MS apart, default 50); for each, the time from
#     the start of its ingest to the provider's request arriving at a
#     loopback HTTP stub (webhook channel).  p50, p99, max.  Goal p99 < 1 s.
#  2. throughput: THR_N failures (default 1000) are ingested while the
#     daemon is stopped; then it starts and its scheduler and dispatchers
#     send them all; rate = requests / (last - first arrival at the stub).
#     Goal >= 500 messages/s.  Baseline in the same run: a plain Python
#     http.client sending the same number of webhook-sized POSTs to the
#     same stub over as many kept-alive connections as the daemon has
#     dispatchers; the ratio daemon/baseline is printed.
#
# No MTA is involved: bench/fallback/fbprep records the notifications as
# the milter would (contacts with phones and SMS consent, messages with
# real tokens) and writes the DSN Postfix would return for each.  The
# provider stub is bench/fallback/stub.py (asyncio); the measuring is
# bench/fallback/drive.py.  Ports: BENCH_FB_STUB_PORT (11090); the daemon's
# milter socket is a unix socket in the work dir.  The work dir is removed
# at the end (KEEP=1 keeps it).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/mta/lib.sh"
B=$top_srcdir/bench/fallback
PREP=$top_builddir/bench/fallback/fbprep
SPORT=${BENCH_FB_STUB_PORT:-11090}
LAT_N=${LAT_N:-200}
LAT_GAP_MS=${LAT_GAP_MS:-50}
THR_N=${THR_N:-1000}
CONNS=${CONNS:-8}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

die() { echo "bench-fallback: $*" >&2; exit 1; }
for p in "$NOTIFILTER" "$NOTIFILTERCTL" "$PREP"; do
	[ -x "$p" ] || die "$p not built (make bench-fallback builds it)"
done
"$NF_PY" -c 'import asyncio, http.client' 2>/dev/null || die "python3 is needed"
nf_ports_free "$SPORT" || die "set BENCH_FB_STUB_PORT to a free port"
NF_KEEP_ON_FAIL=0
nf_init bench-fb
mkdir -p "$NF_D/run" "$NF_D/lat" "$NF_D/thr"
head -c 32 /dev/urandom >"$NF_D/secret" && chmod 600 "$NF_D/secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$NF_D/hook.key" && chmod 600 "$NF_D/hook.key"
CONF=$NF_D/notifilter.conf
cat >"$CONF" <<EOF
Socket unix:$NF_D/run/nf.sock
PidFile $NF_D/run/nf.pid
Database $NF_D/store.db
Senders app@notify.example.test
BounceDomain bounces.example.test
SecretFile $NF_D/secret
DefaultPhoneConsent no
FallbackChannels sms
FallbackMaxPerPhone 10
FallbackMaxPerHour 1000000
Channel sms webhook url=http://127.0.0.1:$SPORT/hook secret_file=$NF_D/hook.key
SyslogFacility none
LogLevel warn
EOF

nf_spawn stub "$NF_PY" "$B/stub.py" "$SPORT" 900
nf_wait_port "$SPORT" 10 || die "the stub did not start: $(cat "$NF_D/stub.log")"
reset_stub() { curl -s --max-time 5 -X POST "http://127.0.0.1:$SPORT/_reset" >/dev/null; }

echo "bench-fallback: preparing $LAT_N + $THR_N notifications and their DSNs"
"$PREP" "$CONF" "$LAT_N" "$NF_D/lat" 0 || die "fbprep failed"
"$PREP" "$CONF" "$THR_N" "$NF_D/thr" 100000 || die "fbprep failed"

# ---- 1. latency ---------------------------------------------------------------
nf_daemon_start nf "$CONF" || die "notifilter did not start: $(tail -5 "$NF_D/nf.log")"
reset_stub
T0=$(nf_now)
"$NF_PY" "$B/drive.py" ingest "$NOTIFILTERCTL" "$CONF" "$NF_D/lat" 0 "$LAT_N" \
	"$LAT_GAP_MS" "$NF_D/lat/starts.json" || die "ingest failed"
read -r n p50 p99 max missing < <("$NF_PY" "$B/drive.py" latency "$SPORT" "$NF_D/lat/starts.json" 30)
echo
echo "latency, ingest of a failing DSN -> provider request ($n reports, one every ${LAT_GAP_MS} ms, $(nf_since "$T0") s):"
printf '  p50 %s s   p99 %s s   max %s s   missing %s   (goal: p99 < 1 s)\n' "$p50" "$p99" "$max" "$missing"
nf_stop_rc nf

# ---- 2. throughput ---------------------------------------------------------------
echo
echo "throughput: ingesting $THR_N failing DSNs with the daemon stopped ..."
"$NF_PY" "$B/drive.py" ingest "$NOTIFILTERCTL" "$CONF" "$NF_D/thr" 100000 "$THR_N" 0 \
	"$NF_D/thr/starts.json" || die "ingest failed"
reset_stub
T1=$(nf_now)
nf_daemon_start nf "$CONF" || die "notifilter did not start: $(tail -5 "$NF_D/nf.log")"
read -r cnt span rate < <("$NF_PY" "$B/drive.py" rate "$SPORT" "$THR_N" 120)
total=$(nf_since "$T1")
nf_stop_rc nf
sent=$(nf_sql "$NF_D/store.db" "SELECT count(*) FROM outbox WHERE state = 'sent'")
reset_stub
read -r rcnt rspan rrate < <("$NF_PY" "$B/drive.py" raw "$SPORT" "$THR_N" "$CONNS")
echo "  notifilter: $cnt requests in $span s (first to last) = $rate msg/s; $total s from"
echo "              daemon start to the last request; outbox rows sent: $sent of $((LAT_N + THR_N))"
echo "  baseline:   python http.client, $CONNS kept-alive connections: $rcnt requests in $rspan s = $rrate req/s"
awk -v a="$rate" -v b="$rrate" 'BEGIN { if (b > 0 && a != "-") printf "  ratio notifilter/baseline: %.2f   (goal: >= 500 msg/s)\n", a / b }'
[ "${KEEP:-0}" = 1 ] && echo "work dir: $NF_D"
exit 0
