# shellcheck shell=bash
# tests/mta/lib.sh - harness for running notifilter inside a real, throwaway
# Postfix on loopback.  Sourced (bash) by tests/mta/t-*.sh, contrib/demo.sh
# and bench/bench-postfix.sh.
#
# What it owns: one work directory ($NF_D, from mktemp), every process it
# starts (Postfix instances, smtp-sink, milters), and their removal.  Every
# process is started with setsid and remembered by PID; nf_cleanup (run from
# the EXIT trap that nf_init installs) stops Postfix, then sends SIGTERM to
# all remembered PIDs at once, waits for them (libmilter needs up to ~5 s)
# and sends SIGKILL to what is left.  Nothing is ever killed by name.
#
# Every wait is bounded: helpers poll a condition every 0.05-0.1 s and give
# up after a stated number of seconds, returning 1 with a message on stderr.
# Ports are the caller's choice (each suite takes its own range, all
# overridable by environment), and everything listens on 127.0.0.1 only.
#
# Facts this relies on (../shared/recipes/README.md, measured on Debian 12,
# Postfix 3.7): Postfix re-reads main.cf until its mtime is ~2 s old, so
# config files are backdated after each write; the master exits 1-1.8 s
# after SIGTERM; smtp-sink needs -u as root; milter sockets must be writable
# by user postfix; a reload is only safe on an empty queue.

# ---- environment --------------------------------------------------------

NF_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$NF_LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PATH=$PATH:/usr/sbin:/sbin
export PATH
NF_PY=${PYTHON3:-$(command -v python3 || echo python3)}
NF_TOOLS=$top_srcdir/tests/tools
NOTIFILTER=${NOTIFILTER:-$top_builddir/notifilter}
NOTIFILTERCTL=${NOTIFILTERCTL:-$top_builddir/notifilterctl}
NF_POSTFIX=${POSTFIX:-$(command -v postfix || echo /usr/sbin/postfix)}

NF_D=
NF_PIDS=()
declare -A NF_PIDNAME=()
NF_PF_DIRS=()

# ---- TAP ----------------------------------------------------------------

T_N=0
T_FAIL=0
t_ok()   { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
t_nok()  { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
t_diag() { local l; while IFS= read -r l; do echo "#   $l"; done <<<"$*"; }

# t_check DESC CMD...: pass when CMD succeeds; on failure show its output.
t_check() {
	local d=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	if [ $rc = 0 ]; then t_ok "$d"; return 0; fi
	t_nok "$d"
	t_diag "command failed (exit $rc): $*"
	[ -n "$out" ] && t_diag "$out"
	return 1
}
# t_is DESC GOT WANT
t_is() {
	if [ "$2" = "$3" ]; then t_ok "$1"; return 0; fi
	t_nok "$1"; t_diag "got:  '$2'"; t_diag "want: '$3'"; return 1
}
# t_like DESC GOT ERE
t_like() {
	if [[ $2 =~ $3 ]]; then t_ok "$1"; return 0; fi
	t_nok "$1"; t_diag "got:  '$2'"; t_diag "want match of /$3/"; return 1
}
t_skip_all() { echo "1..0 # SKIP $*"; exit 0; }
t_bail()     { echo "Bail out! $*"; T_FAIL=$((T_FAIL + 1)); exit 1; }
t_done()     { echo "1..$T_N"; [ "$T_FAIL" = 0 ]; exit $?; }

# ---- time ---------------------------------------------------------------

nf_now() { date +%s.%N; }
nf_since() { awk -v a="$1" -v b="$(nf_now)" 'BEGIN { printf "%.2f", b - a }'; }

# nf_wait SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
nf_wait() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# ---- work dir and processes ---------------------------------------------

# nf_init NAME: make the work dir and install the cleanup trap.
nf_init() {
	NF_D=$(mktemp -d "/tmp/nf-$1.XXXXXX") || t_bail "mktemp failed"
	chmod 755 "$NF_D"	# user postfix must traverse it (sockets, sinks)
	trap nf_cleanup EXIT
	trap 'exit 130' INT TERM
}

# nf_spawn NAME CMD...: start CMD in its own session, output to NF_D/NAME.log.
nf_spawn() {
	local name=$1
	shift
	setsid "$@" >>"$NF_D/$name.log" 2>&1 </dev/null &
	NF_PIDS+=($!)
	NF_PIDNAME[$!]=$name
	NF_LAST_PID=$!
}

# nf_stop_pids PID...: SIGTERM all at once, wait up to 8 s, then SIGKILL.
nf_stop_pids() {
	local p i alive
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 160; i++)); do
		alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && return 0
		sleep 0.05
	done
	for p in "$@"; do
		if kill -0 "$p" 2>/dev/null; then
			echo "# ${NF_PIDNAME[$p]:-pid} $p did not stop in 8 s after SIGTERM; SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null
		fi
	done
}

# nf_stop NAME_OR_PID: stop one spawned process and forget it.
nf_stop() {
	local p=$1 q keep=()
	for q in "${NF_PIDS[@]}"; do
		[ "${NF_PIDNAME[$q]}" = "$1" ] && p=$q
	done
	nf_stop_pids "$p"
	for q in "${NF_PIDS[@]}"; do [ "$q" != "$p" ] && keep+=("$q"); done
	NF_PIDS=("${keep[@]}")
}

# nf_stop_rc NAME...: stop these spawned processes together (SIGTERM, up to
# 8 s, then SIGKILL) and set NF_STOP_RC to "NAME=EXIT ..." (137 = needed
# SIGKILL).  Call it in the main shell, not in $(...): only the shell that
# started a process can collect its exit status.
nf_stop_rc() {
	NF_STOP_RC=
	local n q pids=() names=() i
	for n in "$@"; do
		for q in "${NF_PIDS[@]}"; do
			[ "${NF_PIDNAME[$q]}" = "$n" ] && { pids+=("$q"); names+=("$n"); }
		done
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	nf_stop_pids "${pids[@]}" 2>/dev/null
	for ((i = 0; i < ${#pids[@]}; i++)); do
		wait "${pids[$i]}" 2>/dev/null
		NF_STOP_RC="$NF_STOP_RC${NF_STOP_RC:+ }${names[$i]}=$?"
	done
	local keep=()
	for q in "${NF_PIDS[@]}"; do [[ " ${pids[*]} " == *" $q "* ]] || keep+=("$q"); done
	NF_PIDS=("${keep[@]}")
}

nf_cleanup() {
	local rc=$? d
	trap - EXIT
	for d in "${NF_PF_DIRS[@]}"; do pf_stop "$d" >/dev/null 2>&1; done
	[ ${#NF_PIDS[@]} -gt 0 ] && nf_stop_pids "${NF_PIDS[@]}"
	if [ -n "$NF_D" ] && [ -d "$NF_D" ]; then
		if [ "${KEEP:-0}" = 1 ] || { [ "$T_FAIL" != 0 ] && [ "${NF_KEEP_ON_FAIL:-1}" = 1 ]; }; then
			echo "# work dir kept: $NF_D" >&2
		else
			rm -rf "$NF_D"
		fi
	fi
	exit $rc
}

# nf_port_listening PORT
nf_port_listening() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}
# nf_wait_port PORT SECONDS
nf_wait_port() {
	nf_wait "$2" nf_port_listening "$1" && return 0
	echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2
	return 1
}

# nf_ports_free PORT...: fail (naming the first busy one) if any is taken,
# so that a test never talks to a stranger that happens to listen there.
nf_ports_free() {
	local p
	for p in "$@"; do
		if nf_port_listening "$p"; then
			echo "127.0.0.1:$p is already in use (a leftover instance? see ss -ltnp); choose other ports by environment" >&2
			return 1
		fi
	done
}

# ---- smtp-sink ----------------------------------------------------------

# sink_start NAME PORT [smtp-sink options...]: dumps each message into
# NF_D/NAME/ (one file per delivery, X-Rcpt-Args lines list the recipients).
sink_start() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$NF_D/$name" && chown nobody "$NF_D/$name"
	nf_spawn "$name" smtp-sink -u nobody "$@" -d "$NF_D/$name/msg." "127.0.0.1:$port" 256
	nf_wait_port "$port" 10
}
# sink_files NAME TEXT: files of sink NAME containing the fixed string.
sink_files() { grep -lF -- "$2" "$NF_D/$1"/msg.* 2>/dev/null; }
# sink_rcpts NAME LINE: recipients delivered in messages that have LINE as
# a whole line (e.g. "Subject: x"), sorted, one per line.
sink_rcpts() {
	local f
	grep -lxF -- "$2" "$NF_D/$1"/msg.* 2>/dev/null | while read -r f; do
		sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$f"
	done | sort
}

# ---- Postfix instance ---------------------------------------------------

# pf_create DIR: a throwaway instance in DIR.  Uses:
#   PF_LISTENERS   "PORT" or "PORT=MILTERS" words: one smtpd per word,
#                  MILTERS (comma list) overriding smtpd_milters for it
#   PF_SINK_PORT   where everything is relayed
#   PF_SMTPD_MILTERS, PF_NONSMTPD_MILTERS   (default: none)
#   PF_MILTER_DEFAULT_ACTION (tempfail)
#   PF_MAIN_EXTRA  more main.cf 'name = value' lines (newline-separated;
#                  they replace the defaults written here)
#   PF_MASTER_EXTRA  more master.cf lines (e.g. from pf_intake_service)
pf_create() {
	local D=$1 l port m
	mkdir -p "$D/etc" "$D/queue" "$D/data" "$D/log" || return 1
	chmod 755 "$D"
	chown postfix "$D/data"
	cat >"$D/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $D/queue
data_directory = $D/data
mail_owner = postfix
setgid_group = postdrop
default_privs = nobody
myhostname = mta.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [127.0.0.1]:$PF_SINK_PORT
smtp_dns_support_level = disabled
smtp_host_lookup = native
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = $D/log/maillog
maillog_file_prefixes = $D/log
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
bounce_queue_lifetime = 1d
delay_warning_time = 0h
smtp_connect_timeout = 5s
smtpd_milters = ${PF_SMTPD_MILTERS:-}
non_smtpd_milters = ${PF_NONSMTPD_MILTERS:-}
milter_protocol = 6
milter_default_action = ${PF_MILTER_DEFAULT_ACTION:-tempfail}
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s
internal_mail_filter_classes =
EOF
	# postconf -e replaces a parameter set above instead of adding a
	# second line (Postfix warns "overriding earlier entry" on those)
	if [ -n "${PF_MAIN_EXTRA:-}" ]; then
		local extra=()
		readarray -t extra <<<"$PF_MAIN_EXTRA"
		postconf -c "$D/etc" -e "${extra[@]}" || return 1
	fi
	: >"$D/etc/master.cf"
	for l in $PF_LISTENERS; do
		port=${l%%=*}
		if [ "$l" != "$port" ]; then
			m=${l#*=}
			echo "127.0.0.1:$port inet n - n - - smtpd -o smtpd_milters=$m" >>"$D/etc/master.cf"
		else
			echo "127.0.0.1:$port inet n - n - - smtpd" >>"$D/etc/master.cf"
		fi
	done
	# cleanup names itself "nonsmtpd" so the milter can tell sendmail(1)
	# mail from SMTP mail (recipes §3.3); no chroot anywhere
	cat >>"$D/etc/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
  -o milter_macro_daemon_name=nonsmtpd
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	[ -n "${PF_MASTER_EXTRA:-}" ] && printf '%s\n' "$PF_MASTER_EXTRA" >>"$D/etc/master.cf"
	pf_backdate "$D"
}

# The 2-second trap: backdate so Postfix does not wait for the file to settle.
pf_backdate() { touch -d '1 minute ago' "$1/etc/main.cf" "$1/etc/master.cf"; }

# pf_start DIR: start and wait for every smtpd listener.
pf_start() {
	local D=$1 l out
	if ! out=$("$NF_POSTFIX" -c "$D/etc" start 2>&1); then
		echo "postfix -c $D/etc start failed: $out" >&2
		tail -5 "$D/log/maillog" >&2 2>/dev/null
		return 1
	fi
	NF_PF_DIRS+=("$D")
	for l in $PF_LISTENERS; do nf_wait_port "${l%%=*}" 10 || return 1; done
}

pf_master_pid() { tr -d ' \n' <"$1/queue/pid/master.pid" 2>/dev/null; }

# pf_stop DIR: SIGTERM the master and wait (bounded) until it has gone.
pf_stop() {
	local D=$1 pid i
	pid=$(pf_master_pid "$D")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "# postfix master $pid still alive after 10 s; SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null
}

# pf_set DIR 'name = value'...: change parameters and reload.  Only on an
# empty queue (a reload during deliveries leaves files behind, recipes §2.5).
pf_set() {
	local D=$1
	shift
	postconf -c "$D/etc" -e "$@" || return 1
	pf_backdate "$D"
	if [ -n "$(pf_master_pid "$D")" ]; then
		"$NF_POSTFIX" -c "$D/etc" reload >/dev/null 2>&1 || return 1
		sleep 0.5	# let master replace the running services
	fi
}

pf_queue_empty() { [ -z "$(postqueue -c "$1/etc" -j 2>/dev/null)" ]; }
# pf_wait_empty DIR SECONDS
pf_wait_empty() {
	nf_wait "${2:-15}" pf_queue_empty "$1" && return 0
	echo "queue of $1 not empty after ${2:-15} s:" >&2
	postqueue -c "$1/etc" -p >&2
	return 1
}
# pf_queued DIR ADDRESS: is a message for ADDRESS in the queue (any state)?
pf_queued() { postqueue -c "$1/etc" -j 2>/dev/null | grep -qF "\"address\": \"$2\""; }
# pf_sendmail DIR SENDER RCPT...: submit stdin through sendmail(1).
pf_sendmail() {
	local D=$1 from=$2
	shift 2
	timeout 20 sendmail -C "$D/etc" -f "$from" -- "$@"
}
pf_purge() {
	postsuper -c "$1/etc" -d ALL >/dev/null 2>&1
	postsuper -c "$1/etc" -d ALL maildrop >/dev/null 2>&1
}

# ---- bounce intake (pipe transport for the BounceDomain) -----------------

# intake_setup NAME: copy tests/mta/bounce-intake.sh into NF_D (user nobody
# must be able to run it, and the source tree may not be readable by
# nobody) and make NF_D/NAME/, where it saves each message it gets.
# Sets INTAKE_DIR and INTAKE_CMD.
intake_setup() {
	INTAKE_DIR=$NF_D/$1
	INTAKE_CMD=$NF_D/bin/bounce-intake.sh
	mkdir -p "$INTAKE_DIR" "$NF_D/bin" || return 1
	chmod 1777 "$INTAKE_DIR"
	cp "$NF_LIB_DIR/bounce-intake.sh" "$INTAKE_CMD" && chmod 755 "$NF_D/bin" "$INTAKE_CMD"
}
# pf_intake_service NAME: the master.cf lines of a pipe(8) service NAME
# that runs the intake as nobody (null_sender= keeps a DSN's sender empty;
# R adds Return-Path).  Use in PF_MASTER_EXTRA after intake_setup.
pf_intake_service() {
	printf '%s unix - n n - - pipe\n  flags=Rq user=nobody null_sender= argv=%s %s ${sender} ${recipient} ${original_recipient} ${queue_id}\n' \
		"$1" "$INTAKE_CMD" "$INTAKE_DIR"
}
# intake_files TEXT: saved messages containing the fixed string.
intake_files() { grep -lF -- "$1" "$INTAKE_DIR"/msg.* 2>/dev/null; }
# intake_count: how many messages the intake has saved.
intake_count() { find "$INTAKE_DIR" -name 'msg.*' -type f 2>/dev/null | wc -l; }

# ---- notifilter ---------------------------------------------------------

# nf_conf_socket CONF: the unix socket path from its Socket line.
nf_conf_socket() {
	sed -n 's/^[Ss]ocket[[:space:]]\{1,\}\(unix\|local\)://p' "$1" | tail -1
}

# nf_daemon_start NAME CONF: notifilter -f in the background; waits until
# its unix socket exists.  Output goes to NF_D/NAME.log.
nf_daemon_start() {
	local name=$1 conf=$2 sock
	sock=$(nf_conf_socket "$conf")
	rm -f "$sock"
	nf_spawn "$name" "$NOTIFILTER" -c "$conf" -f
	local pid=$NF_LAST_PID
	if ! nf_wait 10 test -S "$sock"; then
		echo "notifilter '$name' did not create $sock within 10 s; its log:" >&2
		tail -20 "$NF_D/$name.log" >&2
		return 1
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "notifilter '$name' exited; its log:" >&2
		tail -20 "$NF_D/$name.log" >&2
		return 1
	fi
}

nf_ctl() { "$NOTIFILTERCTL" "$@"; }

# nf_sql DB 'SELECT ...' [PARAM...]: read-only query, rows as a|b|c.
nf_sql() { "$NF_PY" "$NF_TOOLS/sqlq.py" "$@"; }

# smtpc PORT FROM RCPT... (see tests/tools/smtpc.py)
smtpc() { "$NF_PY" "$NF_TOOLS/smtpc.py" "$@"; }

# ---- report intake through Postfix (t-intake.sh, t-fallback.sh) ------------
# nf_pipe_ingest CONF: master.cf's "notifilter" pipe into `notifilterctl
# ingest`, the entry of contrib/postfix-intake.cf with this test's paths
nf_pipe_ingest() {
	printf '%s\n  %s\n' "notifilter unix - n n - - pipe" \
	    "flags=Rq user=nobody null_sender= argv=$NOTIFILTERCTL -c $1 ingest --sender=\${sender} --recipient=\${recipient} --client-ip=\${client_address} --helo=\${client_helo}"
}
# nf_rawsend PORT HELO FROM RCPT FILE: FILE as is, by SMTP to 127.0.0.1,
# as a remote MTA named HELO would; prints SENT
nf_rawsend() {
	"$NF_PY" - "$@" <<'EOF'
import smtplib, sys
port, helo, sender, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
with open(path, 'rb') as f:
    data = f.read()
s = smtplib.SMTP('127.0.0.1', port, local_hostname=helo, timeout=30)
s.sendmail(sender, [rcpt], data)
s.quit()
print('SENT')
EOF
}
# nf_dsn550 HOST RCPT_TO FINAL_RECIPIENT: a Postfix-like 550 5.1.1 DSN
# written by mail server HOST
nf_dsn550() {
	cat <<EOF
From: MAILER-DAEMON@$1 (Mail Delivery System)
To: $2
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; $1

Final-Recipient: rfc822; $3
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <$3>: User unknown

--B--
EOF
}

# nf_have_tools: the external programs every MTA suite needs, or a reason.
nf_missing_tools() {
	local t miss=
	[ -x "$NF_POSTFIX" ] || miss="$miss postfix"
	for t in postconf postqueue postsuper sendmail smtp-sink; do
		command -v "$t" >/dev/null 2>&1 || miss="$miss $t"
	done
	"$NF_PY" -c 'import sqlite3, smtplib' >/dev/null 2>&1 || miss="$miss python3(sqlite3,smtplib)"
	echo "$miss"
}
