#!/bin/bash
# bench-postfix.sh - what notifilter costs Postfix: smtp-source -> Postfix
# (throwaway instance on loopback) -> smtp-sink, all mail notification
# traffic, in four modes measured in the same run:
#   none        no milter
#   null        bench/nullmilter: walks the same milter protocol steps as
#               notifilter and does nothing (the floor for any milter)
#   edits       bench/nullmilter -e: the same, plus the edits tagging
#               requires of any implementation, made at end of message as
#               notifilter makes them (recipients re-added with NOTIFY and
#               ORCPT, a new VERP sender per message, X-Notifilter-ID) and
#               nothing else: no policy, token MAC, store or log follower.
#               null -> edits is what Postfix spends on the edits the issue
#               asks for; edits -> notifilter is notifilter's own work
#   policy      notifilter with policy only (the foundation's measure): the
#               same store and Senders, no BounceDomain/SecretFile/MailLog,
#               so it decides and records but does not tag
#   notifilter  notifilter, a store with 10,000 contacts (the recipient is
#               one of them, consent granted), with tagging and recording
#               on: BounceDomain + SecretFile (VERP sender, X-Notifilter-ID),
#               RequestDSN yes (recipients re-added with NOTIFY/ORCPT), every
#               message recorded, MailLog following Postfix's maillog_file
#   opendkim    OpenDKIM signing (rsa-sha256 2048, key made at run time)
# All milters on unix sockets (over TCP, milters that negotiate no-reply
# steps stall ~40 ms per message: ../shared/recipes §3.6).  Each mode has
# its own smtpd listener with its own smtpd_milters, so nothing is reloaded
# between runs.  Modes are interleaved, REPEATS rounds, and each round
# starts one mode later than the one before (none null edits ..., then null
# edits ... none, ...), so that no mode always runs right after the same
# neighbour (whose daemon may still be finishing its writes) or at the same
# point of a drift in the machine's load; the medians and their ratios
# (also per round) are printed at the end.
#
# A run is the time from smtp-source's first connection until the queue is
# empty (end to end), N messages in SESSIONS parallel sessions; every run
# checks that Postfix logged N "status=sent" deliveries.  Before measuring,
# one message per mode proves that the milter is really in the path (for
# notifilter: the VERP sender, X-Notifilter-ID and NOTIFY reach the sink);
# afterwards the store must hold every message notifilter saw, and the
# share of its recipients with a delivery event from MailLog is printed.
#
# Peak memory (before the throughput runs, so nothing else has raised it):
# RSS_SESSIONS (100) concurrent SMTP sessions (smtp-source -s 100, RSS_N
# messages; -d keeps each session's connection, so Postfix holds 100 smtpd
# processes, each with its own milter connection) through notifilter, then
# through the null milter: VmHWM of each process from /proc/PID/status, the
# most milter connections seen at once (ss -x; the proof of concurrency:
# Debian's libmilter runs a worker pool, so its thread count stays low), and
# the ratio to the goal (< 30 MB).  RSS_N=0 skips it.
#
# CPU time per message, for each run (far steadier than wall time on a
# machine shared with other work): milter_cpu (the milter process, all
# threads; for notifilter also its record writer and MailLog follower
# threads apart), postfix_cpu (the master and every process below it,
# those that exited during the run included) and both_cpu; the summary
# gives their medians and "cpu ratio nullmilter/notifilter", the inverse
# ratio of both_cpu (what a CPU-bound machine's throughput ratio would be,
# load generator and sink aside).  The headline stays the wall-clock
# throughput ratio the issue asks for.
#
# env: N (5000) SESSIONS (20) SIZE (512 bytes) REPEATS (3)
#      RSS_SESSIONS (100) RSS_N (3000) RSS_GOAL_MB (30)
#      MODES ("none null edits policy notifilter opendkim") CONTACTS (10000)
#      SMTPD_PORT (first of 6, default 10525) SINK_PORT (10535)
#      CHECK_PORT (10536) OUT (result file; default bench/out/ in the build
#      tree).  N=500 REPEATS=1 is a quick smoke run.
#      CPU_DETAIL=1 adds each Postfix program's CPU per message;
#      PF_EXTRA (main.cf lines, e.g. 'max_use = 100000' so that no
#      process exits and each is seen by name) is for such breakdowns.
# Needs root, postfix, opendkim, opendkim-tools, python3.  Every wait is
# bounded; everything is stopped by PID on exit.
set -u
. "$(cd "$(dirname "$0")/.." && pwd)/tests/mta/lib.sh"

N=${N:-5000} S=${SESSIONS:-20} SIZE=${SIZE:-512} R=${REPEATS:-3}
RSS_S=${RSS_SESSIONS:-100} RSS_N=${RSS_N:-3000} RSS_GOAL_MB=${RSS_GOAL_MB:-30}
BD=bounces.example.test
MODES=${MODES:-none null edits policy notifilter opendkim}
CONTACTS=${CONTACTS:-10000}
BASE=${SMTPD_PORT:-10525} SINK=${SINK_PORT:-10535} CHECK=${CHECK_PORT:-10536}
NULLMILTER=${NULLMILTER:-$top_builddir/bench/nullmilter}
APP=app@notify.example.test
RCPT=rcpt@dest.example.test
mkdir -p "$top_builddir/bench/out"
OUT=${OUT:-$top_builddir/bench/out/bench-postfix-$(date +%Y%m%d-%H%M%S).txt}

die() { echo "bench-postfix.sh: $*" >&2; exit 1; }
miss=$(nf_missing_tools)
[ -z "$miss" ] || die "missing:$miss (apt-get install postfix python3)"
command -v smtp-source >/dev/null || die "smtp-source missing (package postfix)"
[ "$(id -u)" = 0 ] || die "needs root (a throwaway Postfix instance)"
for m in $MODES; do
	case $m in
	none) ;;
	null|edits) [ -x "$NULLMILTER" ] || die "$NULLMILTER not built (make bench/nullmilter)" ;;
	notifilter|policy) [ -x "$NOTIFILTER" ] && [ -x "$NOTIFILTERCTL" ] ||
		die "notifilter/notifilterctl not built (make notifilter notifilterctl)" ;;
	opendkim) command -v opendkim >/dev/null && command -v opendkim-genkey >/dev/null ||
		die "opendkim missing (apt-get install opendkim opendkim-tools)" ;;
	*) die "unknown mode '$m' (none null edits policy notifilter opendkim)" ;;
	esac
done

nf_ports_free "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 3)) $((BASE + 4)) $((BASE + 5)) "$SINK" "$CHECK" ||
	die "set SMTPD_PORT / SINK_PORT / CHECK_PORT to free ports"
NF_KEEP_ON_FAIL=0
nf_init bench
PF=$NF_D/pf RUN=$NF_D/run
mkdir -p "$RUN" && chmod 755 "$RUN"
port_of() { # mode -> its smtpd port
	case $1 in none) echo "$BASE" ;; null) echo $((BASE + 1)) ;;
	notifilter) echo $((BASE + 2)) ;; opendkim) echo $((BASE + 3)) ;;
	policy) echo $((BASE + 4)) ;; edits) echo $((BASE + 5)) ;; esac
}
log() { echo "$*" | tee -a "$OUT"; }

log "# bench-postfix $(date -Is) N=$N sessions=$S size=$SIZE repeats=$R modes='$MODES' nproc=$(nproc)"
log "# $(grep -m1 'model name' /proc/cpuinfo) | $(postconf -d mail_version 2>/dev/null)"
# does the machine give two real cores? (1 vs 2 parallel busy loops)
spin() { timeout 20 bash -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'; }
t=$(nf_now); spin; t1=$(nf_since "$t")
t=$(nf_now); spin & spin & wait; t2=$(nf_since "$t")
log "# calibration: 1 spin ${t1}s, 2 parallel ${t2}s -> effective cores $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.2f", 2*a/b}')"

# ---- Postfix first (MailLog follows its maillog_file), then the milters ------
sock_of() { # mode -> milter socket
	case $1 in null) echo "$RUN/null.sock" ;; notifilter) echo "$RUN/notifilter.sock" ;;
	policy) echo "$RUN/policy.sock" ;; edits) echo "$RUN/edits.sock" ;;
	opendkim) echo "$RUN/odk/opendkim.sock" ;; esac
}
listeners="$BASE"
for m in $MODES; do
	[ "$m" = none ] || listeners="$listeners $(port_of "$m")=unix:$(sock_of "$m")"
done
# the measuring sink writes no files; the check sink dumps what it gets
nf_spawn sink smtp-sink -u nobody "127.0.0.1:$SINK" 256
nf_wait_port "$SINK" 10 || die "smtp-sink did not start on $SINK"
sink_start check "$CHECK" || die "check sink did not start on $CHECK"
PF_LISTENERS=$listeners PF_SINK_PORT=$SINK
# 100 smtpd processes for the RSS phase, plus room for the other services
PF_MAIN_EXTRA="transport_maps = inline:{ check.example.test=smtp:[127.0.0.1]:$CHECK }
default_process_limit = $((RSS_S + 50))${PF_EXTRA:+
$PF_EXTRA}"
pf_create "$PF" || die "pf_create failed"
pf_start "$PF" || die "Postfix did not start (log $PF/log/maillog)"
nf_wait 5 test -s "$PF/log/maillog"

declare -A MPID=()	# mode -> milter PID, for its CPU time per message
for m in $MODES; do
	case $m in
	null)
		nf_spawn nullmilter "$NULLMILTER" -p "unix:$RUN/null.sock" -m 000
		MPID[null]=$NF_LAST_PID
		nf_wait 10 test -S "$RUN/null.sock" || die "nullmilter did not start: $(cat "$NF_D/nullmilter.log")" ;;
	edits)
		nf_spawn edits "$NULLMILTER" -p "unix:$RUN/edits.sock" -m 000 -e "$BD"
		MPID[edits]=$NF_LAST_PID
		nf_wait 10 test -S "$RUN/edits.sock" || die "nullmilter -e did not start: $(cat "$NF_D/edits.log")" ;;
	notifilter)
		head -c 32 /dev/urandom >"$NF_D/secret" && chmod 600 "$NF_D/secret"
		cat >"$NF_D/notifilter.conf" <<EOF
Socket unix:$RUN/notifilter.sock
UMask 000
PidFile $RUN/notifilter.pid
Database $NF_D/bench.db
Senders $APP
BounceDomain $BD
SecretFile $NF_D/secret
RequestDSN yes
MailLog $PF/log/maillog
SyslogFacility none
EOF
		{
			echo "email,name,consent_email"
			echo "$RCPT,Bench Recipient,yes"
			for ((i = 1; i < CONTACTS; i++)); do echo "c$i@contacts.example.test,Contact $i,yes"; done
		} >"$NF_D/contacts.csv"
		nf_ctl -c "$NF_D/notifilter.conf" contact import "$NF_D/contacts.csv" >/dev/null ||
			die "contact import failed"
		for i in 1 2 3 4 5; do
			nf_ctl -c "$NF_D/notifilter.conf" suppress add "blocked$i@dest.example.test" --reason bench >/dev/null ||
				die "suppress add failed"
		done
		nf_daemon_start notifilter "$NF_D/notifilter.conf" || die "notifilter did not start"
		MPID[notifilter]=$NF_LAST_PID ;;
	policy)
		cat >"$NF_D/policy.conf" <<EOF
Socket unix:$RUN/policy.sock
UMask 000
PidFile $RUN/policy.pid
Database $NF_D/policy.db
Senders $APP
SyslogFacility none
EOF
		{
			echo "email,name,consent_email"
			echo "$RCPT,Bench Recipient,yes"
			for ((i = 1; i < CONTACTS; i++)); do echo "c$i@contacts.example.test,Contact $i,yes"; done
		} >"$NF_D/policy.csv"
		nf_ctl -c "$NF_D/policy.conf" contact import "$NF_D/policy.csv" >/dev/null ||
			die "contact import failed (policy)"
		nf_ctl -c "$NF_D/policy.conf" suppress add "blocked1@dest.example.test" --reason bench >/dev/null ||
			die "suppress add failed (policy)"
		nf_daemon_start policy "$NF_D/policy.conf" || die "notifilter (policy) did not start"
		MPID[policy]=$NF_LAST_PID ;;
	opendkim)
		mkdir -p "$NF_D/dkim" "$RUN/odk" && chown opendkim "$RUN/odk"
		opendkim-genkey -b 2048 -d notify.example.test -s bench -D "$NF_D/dkim" || die "opendkim-genkey failed"
		chown opendkim "$NF_D/dkim/bench.private"; chmod 600 "$NF_D/dkim/bench.private"
		cat >"$NF_D/dkim/opendkim.conf" <<EOF
Syslog                  no
Background              no
Socket                  local:$RUN/odk/opendkim.sock
UMask                   000
Mode                    s
Domain                  notify.example.test
Selector                bench
KeyFile                 $NF_D/dkim/bench.private
Canonicalization        relaxed/simple
SignatureAlgorithm      rsa-sha256
InternalHosts           127.0.0.1
UserID                  opendkim
PidFile                 $RUN/odk/pid
RequireSafeKeys         false
EOF
		nf_spawn opendkim opendkim -x "$NF_D/dkim/opendkim.conf" -f
		MPID[opendkim]=$NF_LAST_PID
		nf_wait 10 test -S "$RUN/odk/opendkim.sock" || die "opendkim did not start: $(cat "$NF_D/opendkim.log")" ;;
	esac
done

# ---- is each milter really in the path? -------------------------------------
for m in $MODES; do
	p=$(port_of "$m")
	out=$(smtpc -s "check-$m" "$p" "$APP" "probe-$m@check.example.test" "blocked1@dest.example.test")
	pf_wait_empty "$PF" 10 >/dev/null
	f=$(sink_files check "Subject: check-$m" | head -1)
	case $m in
	notifilter)
		[[ $out == *"RCPT blocked1@dest.example.test 550 "* ]] && [ -n "$f" ] ||
			die "notifilter is not in the path: $out"
		grep -Eq "^X-Mail-Args: <bounce\+[A-Za-z0-9]+@$BD>" "$f" && grep -q '^X-Notifilter-ID: ' "$f" &&
			grep -q '^X-Rcpt-Args: <probe-notifilter@check.example.test>.*NOTIFY=SUCCESS,FAILURE,DELAY' "$f" ||
			die "notifilter does not tag (VERP sender, X-Notifilter-ID, NOTIFY) - see $f: $(head -3 "$f")"
		log "# check notifilter: suppressed recipient refused; allowed one delivered with VERP sender, X-Notifilter-ID, NOTIFY" ;;
	edits)	# no policy: both recipients pass, both re-added
		[ -n "$f" ] && grep -Eq "^X-Mail-Args: <bounce\+1[a-z2-7]{32}@$BD>" "$f" &&
			grep -Eq '^X-Notifilter-ID: 1[a-z2-7]{32}$' "$f" &&
			grep -q '^X-Rcpt-Args: <probe-edits@check.example.test>.*NOTIFY=SUCCESS,FAILURE,DELAY' "$f" ||
			die "nullmilter -e does not make the edits (VERP sender, X-Notifilter-ID, NOTIFY) - see ${f:-no file}: $out"
		log "# check edits: delivered with VERP sender, X-Notifilter-ID, NOTIFY and ORCPT" ;;
	policy)
		[[ $out == *"RCPT blocked1@dest.example.test 550 "* ]] && [ -n "$f" ] ||
			die "notifilter (policy) is not in the path: $out"
		log "# check policy: suppressed recipient refused; allowed one delivered" ;;
	opendkim)
		grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=notify.example.test;' "${f:-/dev/null}" &&
			log "# check opendkim: DKIM-Signature present" || die "opendkim did not sign (see $f)" ;;
	*)
		[ -n "$f" ] && log "# check $m: delivered" || die "mode $m: probe message not delivered: $out" ;;
	esac
done
grep -q 'warning: milter' "$PF/log/maillog" && die "Postfix logged milter warnings: $(grep 'warning: milter' "$PF/log/maillog" | head -3)"

# ---- peak memory at RSS_S concurrent SMTP sessions ----------------------------
vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }	# kB or count
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
queued() { find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" "$PF/queue/maildrop" -type f 2>/dev/null | wc -l; }
rss_phase() { # mode
	local m=$1 pid=${MPID[$1]} p t0 sp th maxthr=0 nc maxconn=0 r0 hwm l0 sent i sock
	sock=$(sock_of "$m")
	p=$(port_of "$m")
	r0=$(vm "$pid" VmRSS)
	l0=$(wc -l <"$PF/log/maillog")
	t0=$(nf_now)
	timeout 600 smtp-source -d -s "$RSS_S" -m "$RSS_N" -l "$SIZE" -f "$APP" -t "$RCPT" \
		-M client.example.test "127.0.0.1:$p" &
	sp=$!
	# bounded by smtp-source's own timeout above
	while kill -0 "$sp" 2>/dev/null; do
		th=$(vm "$pid" Threads)
		[ "${th:-0}" -gt "$maxthr" ] && maxthr=$th
		nc=$(ss -xH 2>/dev/null | grep -cF "$sock")
		[ "${nc:-0}" -gt "$maxconn" ] && maxconn=$nc
		sleep 0.05
	done
	wait "$sp" || log "# smtp-source exit $? in rss phase ($m)"
	for ((i = 0; i < 12000; i++)); do [ "$(queued)" = 0 ] && break; sleep 0.05; done
	hwm=$(vm "$pid" VmHWM)
	sent=$(tail -n +"$((l0 + 1))" "$PF/log/maillog" | grep -c 'status=sent')
	log "rss mode=$m sessions=$RSS_S messages=$RSS_N delivered=$sent rss_before=$(mb "$r0")MB peak_rss=$(mb "$hwm")MB max_milter_connections=$maxconn max_threads=$maxthr time=$(nf_since "$t0")s"
	RSS_PEAK[$m]=$hwm
}
declare -A RSS_PEAK=()
if [ "$RSS_N" -gt 0 ]; then
	for m in notifilter null; do
		[[ " $MODES " == *" $m "* ]] && rss_phase "$m"
	done
	if [ -n "${RSS_PEAK[notifilter]:-}" ]; then
		v=$(awk -v k="${RSS_PEAK[notifilter]}" -v g="$RSS_GOAL_MB" 'BEGIN { printf "%.2f", k / 1024 / g }')
		log "rss notifilter peak=$(mb "${RSS_PEAK[notifilter]}")MB at $RSS_S sessions; ratio to goal ${RSS_GOAL_MB}MB = $v (goal < 1: $(awk -v v="$v" 'BEGIN { print (v < 1 ? "met" : "NOT met") }'))${RSS_PEAK[null]:+; nullmilter baseline $(mb "${RSS_PEAK[null]}")MB}"
	fi
fi

# ---- runs ---------------------------------------------------------------------
cpu() { awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6, $9}' /proc/stat; }	# busy idle steal
# CPU time (clock ticks, user + system) used so far by: the milter process
# (all threads), its record writer and MailLog follower threads (by the
# names notifilter gives them; 0 for other milters), and the Postfix
# instance: its master and every process below it, living ones with what
# they reaped, plus what the master reaped of children that have exited.
# So a process that starts and ends inside a run is counted too.
cpu_snap() { # milter-pid postfix-master-pid -> "milter writer follower postfix"
	"$NF_PY" - "${1:-0}" "${2:-0}" <<'PY'
import os, sys
mpid, master = sys.argv[1], int(sys.argv[2])
def fields(path):
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(')') + 2:].split()	# after "pid (comm) "
def ticks(v, kids=False):	# utime stime [cutime cstime]: fields 14-17
    return sum(int(x) for x in v[11:15 if kids else 13])
m = w = fo = 0
if mpid != '0':
    v = fields('/proc/%s/stat' % mpid)
    m = ticks(v) if v else 0
    try:
        for t in os.listdir('/proc/%s/task' % mpid):
            try:
                with open('/proc/%s/task/%s/comm' % (mpid, t)) as f:
                    name = f.read().strip()
            except OSError:
                continue
            if name in ('nf-writer', 'nf-follow'):
                v = fields('/proc/%s/task/%s/stat' % (mpid, t))
                if v and name == 'nf-writer':
                    w += ticks(v)
                elif v:
                    fo += ticks(v)
    except OSError:
        pass
kids, stat = {}, {}
for p in os.listdir('/proc'):
    if p.isdigit():
        v = fields('/proc/%s/stat' % p)
        if v:
            stat[int(p)] = v
            kids.setdefault(int(v[1]), []).append(int(p))
pf, todo, by = 0, [master] if master in stat else [], {}
while todo:	# the tree below the master (a tree: no cycles)
    p = todo.pop()
    pf += ticks(stat[p], kids=True)
    try:
        with open('/proc/%d/comm' % p) as f:
            name = f.read().strip()
    except OSError:
        name = '?'
    by[name] = by.get(name, 0) + ticks(stat[p])
    if p == master:	# what it reaped: processes that have exited
        by['(exited)'] = by.get('(exited)', 0) + ticks(stat[p], kids=True) - ticks(stat[p])
    todo.extend(kids.get(p, []))
print(m, w, fo, pf, ','.join('%s=%d' % kv for kv in sorted(by.items())) or '-')
PY
}
# CPU_DETAIL=1: also each Postfix program's share, per message (processes
# that exit during a run are only seen as "(exited)": PF_EXTRA='max_use =
# 100000' keeps them alive, for a breakdown, not for the figures above)
cpu_detail() { # mode rep snap0 snap1
	awk -v m="$1" -v r="$2" -v a="$3" -v b="$4" -v n="$N" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		k = split(a, x, ","); for (i = 1; i <= k; i++) { split(x[i], y, "="); v0[y[1]] = y[2] }
		k = split(b, x, ","); for (i = 1; i <= k; i++) { split(x[i], y, "="); v1[y[1]] = y[2] }
		out = ""
		for (p in v1) { d = v1[p] - v0[p]; if (d > 0) out = out sprintf(" %s=%.0f", p, 1e6 * d / hz / n) }
		printf "cpu_detail mode=%s rep=%d postfix us/msg:%s\n", m, r, out }' | tee -a "$OUT"
}

runone() { # mode rep
	local m=$1 rep=$2 p l0 c0 c1 t0 t1 t2 sent i
	p=$(port_of "$m")
	l0=$(wc -l <"$PF/log/maillog")
	local pid=${MPID[$m]:-} s0 s1
	s0=$(cpu_snap "$pid" "$(pf_master_pid "$PF")")
	c0=$(cpu); t0=$(nf_now)
	timeout 600 smtp-source -s "$S" -m "$N" -l "$SIZE" -f "$APP" -t "$RCPT" \
		-M client.example.test "127.0.0.1:$p" || log "# smtp-source exit $? in mode $m"
	t1=$(nf_now)
	for ((i = 0; i < 12000; i++)); do [ "$(queued)" = 0 ] && break; sleep 0.05; done
	t2=$(nf_now); c1=$(cpu)
	s1=$(cpu_snap "$pid" "$(pf_master_pid "$PF")")
	sent=$(tail -n +"$((l0 + 1))" "$PF/log/maillog" | grep -c 'status=sent')
	set -- $c0 $c1 $s0 $s1	# 3 + 3 + 5 + 5 words
	awk -v m="$m" -v r="$rep" -v n="$N" -v sent="$sent" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
		-v mt="$((${12} - $7))" -v wt="$((${13} - $8))" -v ft="$((${14} - $9))" -v pt="$((${15} - ${10}))" \
		-v hz="$(getconf CLK_TCK)" \
		-v b="$(($4 - $1))" -v id="$(($5 - $2))" -v st="$(($6 - $3))" 'BEGIN {
		ing = t1 - t0; tot = t2 - t0; all = b + id + st; if (all == 0) all = 1
		us = 1e6 / hz / n
		printf "run mode=%-10s rep=%d ingest=%.2fs (%.0f msg/s) end2end=%.2fs (%.0f msg/s) delivered=%d%s cpu_busy=%.0f%% steal=%.1f%% milter_cpu=%.0fus/msg (writer %.0f, follower %.0f) postfix_cpu=%.0fus/msg both_cpu=%.0fus/msg\n",
			m, r, ing, n / ing, tot, n / tot, sent, (sent == n ? "" : " INCOMPLETE"), 100 * b / all, 100 * st / all,
			us * mt, us * wt, us * ft, us * pt, us * (mt + pt) }' |
		tee -a "$OUT"
	[ "${CPU_DETAIL:-0}" = 1 ] && cpu_detail "$m" "$rep" "${11}" "${16}"
	return 0
}
read -r -a MODE_LIST <<<"$MODES"
for ((r = 1; r <= R; r++)); do
	for ((i = 0; i < ${#MODE_LIST[@]}; i++)); do
		runone "${MODE_LIST[$(((r - 1 + i) % ${#MODE_LIST[@]}))]}" "$r"
	done
done

# ---- did notifilter record everything? -----------------------------------------
if [[ " $MODES " == *" notifilter "* ]]; then
	want=$((1 + R * N + (RSS_N > 0 ? RSS_N : 0)))
	nmsg() { nf_sql "$NF_D/bench.db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo 0; }
	ndel() { nf_sql "$NF_D/bench.db" "SELECT COUNT(*) FROM events WHERE kind = 'delivery'" 2>/dev/null || echo 0; }
	# wait until all are in, or nothing has moved for 5 s (at most 60 s)
	settle() { # counter-function
		local i last=-1 same=0 v
		for ((i = 0; i < 120; i++)); do
			v=$($1)
			[ "$v" -ge "$want" ] && return 0
			if [ "$v" = "$last" ]; then same=$((same + 1)); [ $same -ge 10 ] && return 1
			else same=0; last=$v; fi
			sleep 0.5
		done
		return 1
	}
	settle nmsg
	settle ndel
	got=$(nmsg) dl=$(ndel)
	log "recorded messages=$got of $want$([ "$got" = "$want" ] || echo " MISMATCH"); delivery events from MailLog=$dl ($(awk -v a="$dl" -v b="$want" 'BEGIN { printf "%.1f", 100 * a / b }')%)"
fi

# ---- summary ------------------------------------------------------------------
median() { # mode field(end2end|ingest)
	sed -n "s/^run mode=$1 .*$2=[0-9.]*s (\([0-9]*\) msg\/s).*/\1/p" "$OUT" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
log "# medians of $R runs (msg/s; end to end = until the queue is empty):"
declare -A E
for m in $MODES; do
	E[$m]=$(median "$m" end2end)
	log "median mode=$m end2end=${E[$m]} ingest=$(median "$m" ingest)"
done
[ -n "${E[none]:-}" ] && for m in $MODES; do
	[ "$m" = none ] || log "ratio $m/none = $(ratio "${E[$m]}" "${E[none]}")"
done
# the machine's speed drifts (other load): runs next to each other compare
# best, so also give the median of the per-round ratios
round_ratio() { # a b -> median over rounds of a/b (end to end)
	local r va vb
	for ((r = 1; r <= R; r++)); do
		va=$(sed -n "s/^run mode=$1 *rep=$r .*end2end=[0-9.]*s (\([0-9]*\) msg\/s).*/\1/p" "$OUT")
		vb=$(sed -n "s/^run mode=$2 *rep=$r .*end2end=[0-9.]*s (\([0-9]*\) msg\/s).*/\1/p" "$OUT")
		[ -n "$va" ] && [ -n "$vb" ] && ratio "$va" "$vb" && echo
	done | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
# CPU per message is far steadier than wall time on a shared machine: the
# medians of milter, Postfix and both, and the inverse ratio of "both" (the
# throughput ratio a CPU-bound machine would show, generator and sink aside)
cpu_median() { # mode field(milter_cpu|postfix_cpu|both_cpu)
	sed -n "s/^run mode=$1 .* $2=\([0-9]*\)us\/msg.*/\1/p" "$OUT" | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
declare -A CB
for m in $MODES; do
	[ "$m" = none ] && continue
	CB[$m]=$(cpu_median "$m" both_cpu)
	log "median cpu mode=$m milter=$(cpu_median "$m" milter_cpu)us/msg postfix=$(cpu_median "$m" postfix_cpu)us/msg both=${CB[$m]}us/msg"
done
# per round, as for throughput: the load of the machine drifts between rounds
round_cpu_ratio() { # a b -> median over rounds of both_cpu(a) / both_cpu(b)
	local r va vb
	for ((r = 1; r <= R; r++)); do
		va=$(sed -n "s/^run mode=$1 *rep=$r .* both_cpu=\([0-9]*\)us\/msg.*/\1/p" "$OUT")
		vb=$(sed -n "s/^run mode=$2 *rep=$r .* both_cpu=\([0-9]*\)us\/msg.*/\1/p" "$OUT")
		[ -n "$va" ] && [ -n "$vb" ] && [ "$vb" -gt 0 ] && ratio "$va" "$vb" && echo
	done | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
if [ -n "${CB[edits]:-}" ] && [ -n "${CB[null]:-}" ]; then
	log "cpu ratio nullmilter/edits (what Postfix spends on the edits themselves), median of per-round ratios = $(round_cpu_ratio null edits)"
fi
if [ -n "${CB[notifilter]:-}" ] && [ -n "${CB[edits]:-}" ]; then
	log "cpu ratio edits/notifilter (notifilter's own work), median of per-round ratios = $(round_cpu_ratio edits notifilter)"
fi
if [ -n "${CB[notifilter]:-}" ] && [ -n "${CB[null]:-}" ]; then
	log "cpu ratio nullmilter/notifilter, median of per-round ratios = $(round_cpu_ratio null notifilter)"
	log "cpu ratio nullmilter/notifilter (milter + Postfix CPU per message; goal >= 0.95 as for throughput) = $(ratio "${CB[null]}" "${CB[notifilter]}")"
fi
if [ -n "${E[notifilter]:-}" ] && [ -n "${E[null]:-}" ]; then
	log "ratio notifilter/nullmilter, median of per-round ratios = $(round_ratio notifilter null)"
	v=$(ratio "${E[notifilter]}" "${E[null]}")
	log "ratio notifilter/nullmilter = $v (goal >= 0.95: $(awk -v v="$v" 'BEGIN { print (v >= 0.95 ? "met" : "NOT met") }'))"
fi
if [ -n "${E[edits]:-}" ] && [ -n "${E[null]:-}" ]; then
	log "ratio edits/nullmilter (the issue's edits alone, made by a milter that does nothing else), median of per-round ratios = $(round_ratio edits null); overall = $(ratio "${E[edits]}" "${E[null]}")"
fi
if [ -n "${E[notifilter]:-}" ] && [ -n "${E[edits]:-}" ]; then
	log "ratio notifilter/edits (notifilter's own work on top of those edits), median of per-round ratios = $(round_ratio notifilter edits); overall = $(ratio "${E[notifilter]}" "${E[edits]}")"
fi
if [ -n "${E[policy]:-}" ] && [ -n "${E[null]:-}" ]; then
	log "ratio policy/nullmilter, median of per-round ratios = $(round_ratio policy null)"
	v=$(ratio "${E[policy]}" "${E[null]}")
	log "ratio policy/nullmilter = $v (foundation goal >= 0.95: $(awk -v v="$v" 'BEGIN { print (v >= 0.95 ? "met" : "NOT met") }'))"
fi
if [ -n "${E[notifilter]:-}" ] && [ -n "${E[opendkim]:-}" ]; then
	log "ratio notifilter/opendkim, median of per-round ratios = $(round_ratio notifilter opendkim)"
	v=$(ratio "${E[notifilter]}" "${E[opendkim]}")
	log "ratio notifilter/opendkim = $v (goal > 1: $(awk -v v="$v" 'BEGIN { print (v > 1 ? "met" : "NOT met") }'))"
fi
grep -q INCOMPLETE "$OUT" && log "# WARNING: some runs did not deliver every message (see INCOMPLETE above)"
log "# results in $OUT"
