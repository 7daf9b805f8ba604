#!/bin/bash
# miltertest.sh - notifilter's milter protocol tests against the real daemon.
#
# Starts one notifilter (foreground, unix socket in a temp dir, a fresh
# SQLite store filled through notifilterctl), then runs the .lua scripts
# beside this file with miltertest, switching configurations (*.conf) by
# SIGUSR1 reload.  Also checks: a bad config on reload keeps the old one,
# decisions land in the store as events with the queue id, a broken store
# follows OnStoreError, SIGTERM drains the events and removes the pid file.
# Tagging (tag.conf, tagmon.conf): the header added, every control header
# removed, and -- miltertest has no check for them -- the sender change and
# the recipients re-added with parameters read from the -vv wire trace
# ("cmd e," and "cmd 2,"); the message recorded in the store; a bad
# SecretFile stops the start with 78 and a reload keeps the old key.
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
run_lua() {	# run one script, turn its ok/not ok lines into TAP ($2: -vv)
	local out="$T/$1.out" line
	timeout 60 "$MILTERTEST" ${2:-} -D SOCK="$T/nf.sock" -D DIR="$HERE" -s "$HERE/$1" >"$out" 2>&1
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

# the wire trace of one message in a -vv run: what the milter sent back at
# EOM, as libmilter's letters (h addheader, m chgheader, e chgfrom,
# - delrcpt, 2 addrcpt_par), between the script's "--- message X" and
# "--- end X" markers
eom_ops() {
	sed -n "/^--- message $2\$/,/^--- end $2\$/p" "$T/$1.out" |
		sed -n 's/.*mt_milter_read([0-9]*): cmd \(.\), len.*/\1/p' |
		grep '^[-hme2+i]$' | tr -d '\n'
}
ops_are() {	# script, message, expected letters, what
	local got; got=$(eom_ops "$1" "$2")
	if [ "$got" = "$3" ]; then ok "$4 ($3)"
	else not_ok "$4: EOM edits '$got', want '$3'"; fi
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

# ---- SecretFile at start: missing, world-readable, short -> exit 78 ----
head -c 32 /dev/urandom > "$T/secret"; chmod 600 "$T/secret"
sed "s|@DIR@|$T|g" "$HERE/tagbad.conf" > "$T/tagbad.conf"
rm -f "$T/badsecret"
"$NF" -c "$T/tagbad.conf" -f > "$T/sf.out" 2>&1; rc=$?
check '[ $rc -eq 78 ] && grep -q "badsecret" "$T/sf.out"' \
	"missing SecretFile: exit 78 naming the file (got $rc: $(head -c 200 "$T/sf.out"))"
head -c 32 /dev/urandom > "$T/badsecret"; chmod 644 "$T/badsecret"
"$NF" -c "$T/tagbad.conf" -f > "$T/sf.out" 2>&1; rc=$?
check '[ $rc -eq 78 ] && grep -q "badsecret" "$T/sf.out"' \
	"world-readable SecretFile: exit 78 naming the file (got $rc: $(head -c 200 "$T/sf.out"))"
head -c 8 /dev/urandom > "$T/badsecret"; chmod 600 "$T/badsecret"
"$NF" -c "$T/tagbad.conf" -f > "$T/sf.out" 2>&1; rc=$?
check '[ $rc -eq 78 ] && grep -q "badsecret" "$T/sf.out"' \
	"short SecretFile: exit 78 naming the file (got $rc: $(head -c 200 "$T/sf.out"))"
check '[ ! -e "$T/nf.sock" ]' "a refused SecretFile opens no socket"

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

# ---- tagging ----
check 'reload tag.conf' "reload to tag.conf (tagging on)"
run_lua tag.lua -vv
TOK=$(sed -n 's/^token=\(1[a-z2-7]*\)$/\1/p' "$T/tag.lua.out" | head -1)
check '[ ${#TOK} -eq 33 ]' "tag: token seen in X-Notifilter-ID ($TOK)"
# h: X-Notifilter-ID; e: sender; m x4: 2 categories, fallback, phone;
# - 2: ok@ removed and re-added with NOTIFY (granted@ kept the client's)
ops_are tag.lua QTAG1 -2emmmmh "tag, SMTP: edits at EOM"
check 'grep -q "cmd e, len 66" "$T/tag.lua.out"' \
	"tag: chgfrom carries <nfbounce+TOKEN@bounces.example.test> (66 bytes with NUL)"
ops_are tag.lua QTAG2 -2emh "tag, nonsmtp: edits at EOM"
ops_are tag.lua other "" "tag: other sender: no edits"
# erasure: a suppressed contact erased while the daemon runs stays refused
# (the daemon derives the erasure key from SecretFile, as notifilterctl does)
{
	"$CTL" -c "$T/nf.conf" contact add gone@dest.example.test --phone +4915112340001 &&
	"$CTL" -c "$T/nf.conf" suppress add gone@dest.example.test --reason userunknown &&
	"$CTL" -c "$T/nf.conf" contact remove gone@dest.example.test
} > "$T/erase.log" 2>&1
check '[ $? -eq 0 ]' "erase a suppressed contact with notifilterctl ($(tail -1 "$T/erase.log"))"
check '[ "$(sql "SELECT count(*) FROM email_policy WHERE email LIKE '"'gone@%'"'")" = 0 ] && [ "$(sql "SELECT count(*) FROM erased")" -ge 1 ]' \
	"the store keeps no clear row for it, only a hash"
sleep 0.05	# past the lookup snapshot (NF_STORE_SNAPSHOT_MS)
run_lua erased.lua
check 'reload tagmon.conf' "reload to tagmon.conf (monitor, tagging configured)"
run_lua tagmon.lua -vv
ops_are tagmon.lua QTAGM "" "tag monitor: no edits at all"
msg_count() { sql "SELECT count(*) FROM messages WHERE $1"; }
wait_msgs() {	# the writer commits asynchronously: wait for $2 rows matching $1
	for _ in $(seq 50); do
		[ "$(msg_count "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
wait_msgs "queue_id='QTAGM'" 1
check '[ "$(msg_count "token='"'$TOK'"' AND queue_id='"'QTAG1'"' AND sender='"'app@example.test'"' AND verp='"'nfbounce+$TOK@bounces.example.test'"' AND category='"'billing'"' AND fallback_text='"'Your invoice is ready'"' AND phone_hint='"'+4915112345678'"' AND phone_hint_valid=1 AND applied=1 AND header_from='"'App <app@example.test>'"' AND message_id='"'<qtag1@example.test>'"'")" = 1 ]' \
	"tag: message recorded with token, queue id, sender, VERP, headers, category, fallback, phone"
check '[ "$(sql "SELECT count(*) FROM recipients r JOIN messages m ON r.message_id=m.id WHERE m.queue_id='"'QTAG1'"' AND ((r.address='"'ok@dest.example.test'"' AND r.dsn_requested=1) OR (r.address='"'granted@dest.example.test'"' AND r.dsn_requested=1) OR (r.address='"'supp@dest.example.test'"' AND r.decision='"'rejected'"'))")" = 3 ]' \
	"tag: recipients recorded with decisions and DSN requested"
check '[ "$(sql "SELECT count(*) FROM events WHERE kind='"'decision'"' AND token='"'$TOK'"'")" = 3 ]' \
	"tag: the message's decision events carry the token"
check '[ "$(msg_count "queue_id='"'QTAGM'"' AND applied=0 AND verp IS NULL")" = 1 ]' \
	"tag monitor: message recorded with applied = 0, no VERP"
check '[ "$(msg_count "queue_id='"'QTAGNULL'"' OR sender LIKE '"'%else.test'"'")" = 0 ]' \
	"tag: null-sender and other mail not recorded"
# ---- store error: the lookup table is renamed away, then back ----
check 'reload enforce.conf' "reload to enforce.conf"
check 'sqlite3 -cmd ".timeout 5000" "$T/nf.db" "ALTER TABLE email_policy RENAME TO email_policy_gone"' \
	"store broken for lookups (if this fails the schema changed: update this test)"
run_lua storeerr-tempfail.lua
check 'reload storeaccept.conf' "reload to OnStoreError accept"
run_lua storeerr-accept.lua
check 'sqlite3 -cmd ".timeout 5000" "$T/nf.db" "ALTER TABLE email_policy_gone RENAME TO email_policy"' "store repaired"
check 'grep -q "OnStoreError tempfail" "$T/daemon.log"' "store error logged"

# a reload whose SecretFile is bad keeps the running configuration and key
head -c 32 /dev/urandom > "$T/badsecret"; chmod 644 "$T/badsecret"
check 'reload tagmon.conf' "reload to tagmon.conf again (after the store error)"
check 'reload tagbad.conf' "SIGUSR1 with a world-readable SecretFile"
check 'grep -q "reload failed, keeping the running configuration and key: .*badsecret" "$T/daemon.log"' \
	"bad SecretFile on reload: logged, old key kept"
run_lua tagmon.lua -vv
ops_are tagmon.lua QTAGM "" "after a failed reload: still monitor (the old config)"
check 'wait_msgs "queue_id='"'QTAGM'"'" 2' "after the store error: the next message is recorded"


# ---- SIGTERM: drain the writer, remove the pid file ----
kill -TERM "$PID"
for _ in $(seq 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
check '! kill -0 $PID 2>/dev/null' "SIGTERM stops the daemon within 15 s"
wait "$PID" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ]' "exit status 0 after SIGTERM (got $rc)"
PID=
check '[ ! -e "$T/nf.pid" ]' "pid file removed"
check 'grep -q "events: .* 0 lost; messages: [1-9][0-9]* recorded, 0 lost" "$T/daemon.log"' "no event or message lost at shutdown"
said=$(sed -n 's/.*messages: \([0-9]*\) recorded.*/\1/p' "$T/daemon.log" | tail -1)
check '[ "$(msg_count 1)" = "$said" ]' \
	"every message the daemon recorded is in the store (store has $(msg_count 1), daemon said $said)"
check 'grep -q "tagging is off: BounceDomain and SecretFile are not set" "$T/daemon.log"' \
	"start without BounceDomain/SecretFile: logged that tagging is off"
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
