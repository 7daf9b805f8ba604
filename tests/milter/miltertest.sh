#!/bin/bash
# miltertest.sh - notifilter's milter protocol tests against the real daemon.
#
# Starts one notifilter (foreground, unix socket in a temp dir, a fresh
# SQLite store filled through notifilterctl), then runs the .lua scripts
# beside this file with miltertest, switching configurations (*.conf) by
# SIGUSR1 reload.  Also checks: a bad config on reload keeps the old one,
# decisions land in the store as events with the queue id, a broken store
# follows OnStoreError, SIGTERM drains the events and removes the pid file.
# Prints TAP.  Needs: miltertest, $top_builddir/notifilter, notifilterctl,
# sqlite3 (read-only queries of the event log, and to break the store).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
MILTERTEST=${MILTERTEST:-$(command -v miltertest || true)}
HERE="$top_srcdir/tests/milter"
NF="$top_builddir/notifilter"
CTL="${NOTIFILTERCTL:-$top_builddir/notifilterctl}"

n=0; failed=0
ok()     { n=$((n+1)); echo "ok $n - $1"; }
not_ok() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; }
check()  { if eval "$1"; then ok "$2"; else not_ok "$2"; fi; }

for need in "$MILTERTEST" "$NF" "$CTL" "$(command -v sqlite3 || true)"; do
	if [ -z "$need" ] || [ ! -x "$need" ]; then
		echo "1..0 # SKIP needs miltertest, notifilter, notifilterctl and sqlite3 (missing: ${need:-a tool})"
		exit 0
	fi
done

T=$(mktemp -d /tmp/nf-miltertest.XXXXXX)
chmod 755 "$T"
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PID" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

conf() {	# install configuration $1 as the daemon's file
	sed "s|@DIR@|$T|g" "$HERE/$1" > "$T/nf.conf"
}
reloads() { grep -c -E 'configuration reloaded|reload failed' "$T/daemon.log"; }
reload() {	# install $1 and SIGUSR1; wait until the daemon says it reloaded
	local before; before=$(reloads)
	conf "$1"
	kill -USR1 "$PID"
	for _ in $(seq 50); do [ "$(reloads)" -gt "$before" ] && return 0; sleep 0.1; done
	return 1
}
run_lua() {	# run one script, turn its ok/not ok lines into TAP
	local out="$T/$1.out" line
	timeout 60 "$MILTERTEST" -D SOCK="$T/nf.sock" -D DIR="$HERE" -s "$HERE/$1" >"$out" 2>&1
	local rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		esac
	done < "$out"
	if [ $rc -ne 0 ]; then
		not_ok "$1: miltertest exited $rc"
		sed 's/^/# /' "$out" | tail -15
	fi
}
sql() { sqlite3 -readonly "$T/nf.db" "$1" 2>/dev/null; }
# one decision event: address, queue id ('' for none), rule, words in detail
event_is() {
	local got
	got=$(sql "SELECT count(*) FROM events WHERE kind='decision' AND address='$1' AND ifnull(queue_id,'')='$2' AND rule='$3' AND detail LIKE '%$4%'")
	if [ "${got:-0}" -ge 1 ]; then ok "event: $1 $2 $3 $4"
	else not_ok "event: $1 $2 $3 $4 (not found; have:)"
		sql "SELECT queue_id, rule, detail FROM events WHERE address='$1'" | sed 's/^/#   /'
	fi
}
wait_events() {	# the writer commits asynchronously: wait for $1 decisions
	for _ in $(seq 50); do
		[ "$(sql "SELECT count(*) FROM events WHERE kind='decision'")" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- store with the four kinds of recipient ----
conf enforce.conf
{
	"$CTL" -c "$T/nf.conf" suppress add supp@dest.example.test --reason userunknown &&
	"$CTL" -c "$T/nf.conf" contact add revoked@dest.example.test &&
	"$CTL" -c "$T/nf.conf" consent revoke revoked@dest.example.test email &&
	"$CTL" -c "$T/nf.conf" contact add granted@dest.example.test &&
	"$CTL" -c "$T/nf.conf" consent grant granted@dest.example.test email
} > "$T/ctl.log" 2>&1
check '[ $? -eq 0 ]' "store prepared with notifilterctl"

# ---- configuration errors at start ----
sed "s|@DIR@|$T|g" "$HERE/bad.conf" > "$T/bad.conf"
"$NF" -c "$T/bad.conf" -f > "$T/bad.out" 2>&1
rc=$?
check '[ $rc -eq 78 ]' "bad config: exit 78 (got $rc)"
check 'grep -q "bad.conf:3: " "$T/bad.out"' "bad config: message names file:line"
check '"$NF" -c "$T/nf.conf" -n | grep -q "^BlockedRecipient reject"' "-n dumps the config"

# ---- start ----
setsid "$NF" -c "$T/nf.conf" -f > "$T/daemon.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S "$T/nf.sock" ] && break; sleep 0.05; done
check '[ -S "$T/nf.sock" ]' "daemon listens on unix:$T/nf.sock"
check '[ "$(cat "$T/nf.pid" 2>/dev/null)" = "$PID" ]' "pid file holds the daemon's pid"
if [ ! -S "$T/nf.sock" ]; then
	echo "Bail out! notifilter did not start:"
	sed 's/^/# /' "$T/daemon.log"
	exit 1
fi

# ---- enforce (reject) ----
run_lua smtp-reject.lua
run_lua nonsmtp.lua
check 'wait_events 12' "decisions reach the store"
event_is supp@dest.example.test QREJ1 suppressed "action=rejected message=accepted path=smtp"
event_is revoked@dest.example.test QREJ1 consent-revoked "action=rejected"
event_is granted@dest.example.test QREJ1 consent-granted "action=allowed"
event_is ok@dest.example.test QREJ1 default-consent-yes "action=allowed"
event_is supp@dest.example.test QNS1 suppressed "action=dropped message=accepted path=nonsmtp"
event_is revoked@dest.example.test QNS2 consent-revoked "action=dropped message=discarded"
event_is supp@dest.example.test QNS3 suppressed "action=dropped message=accepted path=nonsmtp"
check '[ "$(sql "SELECT count(*) FROM events WHERE detail LIKE '"'"'%someone@else%'"'"' OR address LIKE '"'"'%else.test'"'"'")" = 0 ]' \
	"untouched: mail from other senders is not recorded"
check '[ "$(sql "SELECT count(*) FROM events WHERE queue_id='"'"'QREJ1'"'"' AND address='"'"'supp@dest.example.test'"'"'")" = 1 ]' \
	"a repeated recipient is recorded once per message"

# ---- drop ----
check 'reload drop.conf' "SIGUSR1 reload to drop.conf"
run_lua smtp-drop.lua
# ---- monitor ----
check 'reload monitor.conf' "SIGUSR1 reload to monitor.conf"
run_lua monitor.lua
# ---- bad config on reload: logged with file:line, monitor stays ----
check 'reload bad.conf' "SIGUSR1 with a bad config"
check 'grep -q "reload failed, keeping the running configuration: .*nf.conf:3: " "$T/daemon.log"' \
	"bad reload logged with file:line"
check 'kill -0 $PID' "daemon still running after a bad reload"
run_lua monitor.lua
check 'wait_events 20' "monitor decisions reach the store"
event_is supp@dest.example.test QMON2 suppressed "action=monitored message=accepted"
event_is revoked@dest.example.test QMON1 consent-revoked "action=monitored"

# ---- store error: the lookup table is renamed away, then back ----
check 'reload enforce.conf' "reload to enforce.conf"
check 'sqlite3 -cmd ".timeout 5000" "$T/nf.db" "ALTER TABLE email_policy RENAME TO email_policy_gone"' \
	"store broken for lookups (if this fails the schema changed: update this test)"
run_lua storeerr-tempfail.lua
check 'reload storeaccept.conf' "reload to OnStoreError accept"
run_lua storeerr-accept.lua
check 'sqlite3 -cmd ".timeout 5000" "$T/nf.db" "ALTER TABLE email_policy_gone RENAME TO email_policy"' "store repaired"
check 'grep -q "OnStoreError tempfail" "$T/daemon.log"' "store error logged"

# ---- SIGTERM: drain the writer, remove the pid file ----
kill -TERM "$PID"
for _ in $(seq 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
check '! kill -0 $PID 2>/dev/null' "SIGTERM stops the daemon within 15 s"
wait "$PID" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ]' "exit status 0 after SIGTERM (got $rc)"
PID=
check '[ ! -e "$T/nf.pid" ]' "pid file removed"
check 'grep -q "events: .* 0 lost" "$T/daemon.log"' "no event lost at shutdown"
event_is ok@dest.example.test QSE1 store-error "action=deferred message=tempfailed path=nonsmtp"
event_is supp@dest.example.test QSE2 store-error "action=allowed"
event_is supp@dest.example.test QSE3 store-error "action=allowed message=accepted path=nonsmtp"

echo "1..$n"
if [ $failed -gt 0 ]; then
	echo "# $failed of $n failed; daemon log:"
	tail -20 "$T/daemon.log" | sed 's/^/#   /'
	exit 1
fi
exit 0
