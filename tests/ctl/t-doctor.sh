#!/bin/bash
# t-doctor.sh - notifilterctl doctor: every check's pass, warn and fail,
# the hints, --json, and the exit status.
#
# Starts (all on 127.0.0.1, ports 11150-11154, each overridable):
#   unbound   an authoritative-only DNS server with tests/doctor/test.zone
#             (no recursion, no root hints), asked through --resolver;
#   notifilter (the real daemon, foreground, unix socket in the scratch
#             directory) for the milter socket check;
#   listen.py a TCP listener that greets like SMTP (a port that is not a
#             milter) and one that accepts silently (a provider's port).
# Every process is remembered by PID and stopped by the EXIT trap.  Skips
# (TAP 1..0) only when unbound is missing; runs as root (chown to nobody
# for the UserID checks).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

UNBOUND=${UNBOUND:-$(command -v unbound || echo /usr/sbin/unbound)}
if [ ! -x "$UNBOUND" ]; then
	echo "1..0 # SKIP unbound is not installed (apt-get install unbound)"
	exit 0
fi
DNS_PORT=${NF_DOCTOR_DNS_PORT:-11150}
SMTP_PORT=${NF_DOCTOR_SMTP_PORT:-11151}	# listen.py smtp: not a milter
HTTP_PORT=${NF_DOCTOR_HTTP_PORT:-11152}	# listen.py accept: a provider
DEAD_PORT=${NF_DOCTOR_DEAD_PORT:-11153}	# nothing listens (TCP)
DEAD_DNS=${NF_DOCTOR_DEAD_DNS:-11154}	# nothing answers DNS
HANG_DNS=${NF_DOCTOR_HANG_DNS:-11155}	# listen.py hang: reads, never answers
NF="$top_builddir/notifilter"
HERE="$top_srcdir/tests/doctor"

PIDS=()
cleanup() {
	local p i alive
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 100; i++)); do
		alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
chmod 755 "$T"

# spawn NAME CMD...: in its own session, output in $T/NAME.log
spawn() {
	local name=$1
	shift
	setsid "$@" > "$T/$name.log" 2>&1 < /dev/null &
	PIDS+=($!)
	LAST_PID=$!
}
# stop PID: SIGTERM, up to 10 s, then SIGKILL
stop() {
	local i
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}
listening() {	# listening tcp|udp PORT
	if command -v ss > /dev/null 2>&1; then
		[ -n "$(ss -Hln --"$1" "sport = :$2" 2>/dev/null)" ]
		return
	fi
	# no ss: connect (tcp), or ask for the root's NS and wait for any answer
	"$PYTHON3" - "$1" "$2" <<-'EOF' 2> /dev/null
	import socket, sys
	kind, port = sys.argv[1], int(sys.argv[2])
	if kind == "tcp":
	    socket.create_connection(("127.0.0.1", port), 0.5).close()
	else:
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.settimeout(0.5)
	    s.sendto(bytes.fromhex("1234010000010000000000000000020001"), ("127.0.0.1", port))
	    s.recv(512)
	EOF
}
wait_for() {	# wait_for SECONDS CMD...
	local i
	for ((i = 0; i < $1 * 10; i++)); do "${@:2}" && return 0; sleep 0.1; done
	return 1
}

for p in "tcp $SMTP_PORT" "tcp $HTTP_PORT" "tcp $DEAD_PORT" "udp $DNS_PORT" \
    "tcp $DNS_PORT" "udp $DEAD_DNS" "udp $HANG_DNS" "tcp $HANG_DNS"; do
	# shellcheck disable=SC2086
	if listening $p; then
		echo "Bail out! 127.0.0.1 port $p is already in use (ss -lnp); set NF_DOCTOR_*_PORT"
		exit 1
	fi
done

# ---- the loopback DNS server and the listeners --------------------------
sed -e "s|@DIR@|$T|g" -e "s|@PORT@|$DNS_PORT|g" -e "s|@ZONE@|$HERE/test.zone|g" \
	"$HERE/unbound.conf.in" > "$T/unbound.conf"
spawn unbound "$UNBOUND" -d -c "$T/unbound.conf"
if ! wait_for 10 listening udp "$DNS_PORT"; then
	echo "Bail out! unbound did not listen on 127.0.0.1:$DNS_PORT within 10 s:"
	sed 's/^/# /' "$T/unbound.log"
	exit 1
fi
spawn smtp "$PYTHON3" "$HERE/listen.py" "$SMTP_PORT" smtp 300
spawn provider "$PYTHON3" "$HERE/listen.py" "$HTTP_PORT" accept 300
spawn hang "$PYTHON3" "$HERE/listen.py" "$HANG_DNS" hang 300
wait_for 10 listening tcp "$SMTP_PORT" && wait_for 10 listening tcp "$HTTP_PORT" &&
    wait_for 10 listening udp "$HANG_DNS" ||
	{ echo "Bail out! listen.py did not start"; cat "$T"/smtp.log "$T"/provider.log; exit 1; }

# ---- files and configurations ---------------------------------------------
mkdir -p "$T/db" "$T/keys"
chmod 755 "$T/db" "$T/keys"
printf '0123456789abcdef0123456789abcdef\n' > "$T/keys/secret"
chmod 600 "$T/keys/secret"
printf 'kannel-password\n' > "$T/keys/kannel.pw"
chmod 600 "$T/keys/kannel.pw"
: > "$T/mail.log"
chmod 644 "$T/mail.log"

# the good configuration; mkconf FILE [LINE...]: each "Key value" LINE
# replaces the line of that key in place (the loader refuses a repeated
# key), other keys and Channel lines are appended (Channel at line 11)
mkconf() {
	local f=$1
	shift
	cat > "$f" <<-EOF
	Socket unix:$T/nf.sock
	Database $T/db/nf.db
	PidFile $T/nf.pid
	SyslogFacility none
	BounceDomain bounce.example.test
	Senders noreply@example.test, *@*.notify.example.test
	SecretFile $T/keys/secret
	SupportAddress support@example.test
	MailLog $T/mail.log
	Channel sms kannel url=http://127.0.0.1:$HTTP_PORT/cgi-bin/sendsms user=u password_file=$T/keys/kannel.pw
	EOF
	local l k
	for l in "$@"; do
		k=${l%% *}
		if [ "$k" != Channel ] && grep -q "^$k " "$f"; then
			L=$l awk -v k="$k" '$1 == k { print ENVIRON["L"]; next } { print }' \
				"$f" > "$f.new" && mv "$f.new" "$f"
		else
			printf '%s\n' "$l" >> "$f"
		fi
	done
}
mkconf "$CONF"
CHAN="sms/kannel:10"	# the channel's subject: kind/driver:line
DNS_OPTS=(--resolver "127.0.0.1:$DNS_PORT" --timeout 2)
doc() { run doctor "${DNS_OPTS[@]}" "$@"; }
# line STATUS CHECK[ SUBJECT] DESC: the text output has that result line
line() { has "$T/out" "$1  $2:" "$3"; }
noline() { hasnt "$T/out" "  $1:" "$2"; }
# hint_of CHECK[ SUBJECT]: the hint of that line ("" if none)
hint_of() { grep -F "  $1:" "$T/out" | head -1 | sed -n 's/.* -- hint: //p'; }
with_conf() {	# with_conf LINE... : run doctor with the good config plus LINEs
	local c=$T/variant.conf
	mkconf "$c" "$@"
	"$CTL" -c "$c" doctor "${DNS_OPTS[@]}" --outbound-ip 192.0.2.10 > "$T/out" 2> "$T/err"
	rc=$?
}

# ---- usage ----------------------------------------------------------------
run doctor --bogus
is_rc 64 "an unknown option is a usage error"
run doctor --outbound-ip 300.1.1.1
is_rc 64 "--outbound-ip must be an IP address"
run doctor --timeout 0
is_rc 64 "--timeout must be positive"
run doctor --resolver 127.0.0.1:99999
is_rc 64 "--resolver must be IP[:PORT]"
run doctor extra
is_rc 64 "doctor takes no arguments"

# ---- config that does not load ----------------------------------------------
printf 'Socket unix:/x\nNoSuchKey 1\n' > "$T/bad.conf"
"$CTL" -c "$T/bad.conf" doctor > "$T/out" 2> "$T/err"; rc=$?
is_rc 1 "a config that does not load exits 1"
line fail config "the config is a fail line"
has "$T/out" "$T/bad.conf:2:" "the fail names file and line"
is_eq "$(grep -c '^\(pass\|warn\|fail\)  ' "$T/out")" 1 "nothing else is checked without a config"
"$CTL" -c "$T/missing.conf" doctor --json > "$T/out" 2> "$T/err"; rc=$?
is_rc 1 "a missing config exits 1"
json_ok "$T/out" "--json on a missing config is valid JSON"
is_eq "$(pyq "$T/out" 'j["fail"], j["checks"][0]["check"], j["checks"][0]["status"]')" \
	"(1, 'config', 'fail')" "--json: one config fail"

# ---- before the daemon ever ran: store missing, socket silent ---------------
doc --outbound-ip 192.0.2.10
is_rc 0 "warnings alone exit 0"
line pass config "config loads"
line warn user "UserID unset is a warning"
line pass senders "Senders set"
line pass bounce-domain "BounceDomain set"
line pass support-address "SupportAddress set"
line pass secret-file "SecretFile fine"
line warn store "a store that does not exist yet is a warning"
check '[ ! -e "$T/db/nf.db" ]' "doctor did not create the store"
line warn socket "socket missing: the daemon is not running"
has "$T/out" "notifilter is not running" "the socket warning says why"
line pass maillog "MailLog readable"
line pass "spf 192.0.2.10" "SPF pass for an authorized IP"
line pass "dmarc-align example.test" "BounceDomain aligned with example.test"
line pass "dmarc-record example.test" "example.test publishes DMARC"
has "$T/out" "_dmarc.example.test: p=reject" "the policy found is named"
line pass "dmarc-align notify.example.test" "*@*.notify.example.test: aligned"
line pass "dmarc-record notify.example.test" "notify.example.test: DMARC of its organizational domain"
line pass "mx bounce.example.test" "BounceDomain has an MX"
has "$T/out" "10 mx.example.test" "the MX is listed"
line pass "channel $CHAN" "the channel's options and secret are fine"
line pass "channel-reach $CHAN" "the provider's port is reachable"
has "$T/out" "connected to 127.0.0.1 port $HTTP_PORT" "reachability names address and port"
has "$T/out" "doctor: " "a summary line ends the output"
# every warn and fail line has a hint, no pass line has one
check '! grep -E "^(warn|fail)  " "$T/out" | grep -vq " -- hint: "' "every warn has a hint"
check '! grep -E "^pass  " "$T/out" | grep -q " -- hint: "' "no pass line has a hint"

doc --outbound-ip 192.0.2.10 --json
is_rc 0 "--json: exit 0 as well"
json_ok "$T/out" "--json is valid JSON"
is_eq "$(pyq "$T/out" 'j["fail"] == 0 and j["pass"] + j["warn"] == len(j["checks"])')" True \
	"--json counts match the checks"
is_eq "$(pyq "$T/out" 'all((c["hint"] is None) == (c["status"] == "pass") for c in j["checks"])')" True \
	"--json: hints exactly on warn and fail"
is_eq "$(pyq "$T/out" '[c["subject"] for c in j["checks"] if c["check"] == "spf"]')" "['192.0.2.10']" \
	"--json: the subject of the SPF check is the IP"

# ---- the daemon running: socket pass, store pass ----------------------------
if [ -x "$NF" ]; then
	spawn daemon "$NF" -c "$CONF" -f
	DPID=$LAST_PID
	if wait_for 10 test -S "$T/nf.sock"; then
		doc --outbound-ip 192.0.2.10
		is_rc 0 "with the daemon running: exit 0"
		line pass socket "a milter answers on the socket"
		has "$T/out" "protocol version 6" "the milter's protocol version is shown"
		line pass store "the store opens"
		line pass store-schema "the schema is current"
		line pass store-integrity "integrity_check ok"
		check 'kill -0 $DPID' "the daemon survived doctor's connection"
		stop "$DPID"
	else
		tap 1 "notifilter did not create its socket in 10 s"
		sed 's/^/#   /' "$T/daemon.log" | tail -10
	fi
else
	echo "ok $((tap_n += 1)) # SKIP $NF is not built (socket check against a daemon)"
fi

# ---- socket: not a milter, nothing listening ------------------------------
with_conf "Socket inet:$SMTP_PORT@127.0.0.1"
is_rc 1 "something else on the milter port: exit 1"
line fail socket "an SMTP server is not a milter"
has "$T/out" "not the milter protocol" "the fail says what answered"
with_conf "Socket inet:$DEAD_PORT@127.0.0.1"
line warn socket "nothing listening on inet: a warning"
has "$T/out" "nothing listens on 127.0.0.1:$DEAD_PORT" "the warning names the port"
with_conf "Socket inet:$HTTP_PORT@127.0.0.1"
line fail socket "a port that accepts and never answers is not a milter"
has "$T/out" "no answer to the milter option negotiation" "the fail says nothing answered"
printf 'x' > "$T/notsock"
with_conf "Socket unix:$T/notsock"
line fail socket "a regular file at the socket path is a fail"

# ---- SPF: pass, neutral, softfail, fail, permerror, none, temperror ---------
doc --outbound-ip 192.0.2.11 --outbound-ip 2001:db8::10 --outbound-ip 192.0.2.30 \
	--outbound-ip 192.0.2.40 --outbound-ip 192.0.2.99
is_rc 1 "an IP that SPF forbids: exit 1"
line pass "spf 192.0.2.11" "SPF pass through an a: mechanism (A lookup)"
line pass "spf 2001:db8::10" "SPF pass for IPv6"
line warn "spf 192.0.2.30" "SPF neutral is a warning"
line warn "spf 192.0.2.40" "SPF softfail is a warning"
line fail "spf 192.0.2.99" "SPF fail is a fail"
is_eq "$(hint_of 'spf 192.0.2.99')" "add ip4:192.0.2.99 to the SPF record (TXT) of bounce.example.test" \
	"the SPF hint says what to add where"
with_conf "BounceDomain badspf.example.test"
line fail "spf 192.0.2.10" "a broken SPF record: permerror is a fail"
has "$T/out" "permerror" "permerror is named"
with_conf "BounceDomain nomx.example.test"
line pass "spf 192.0.2.10" "SPF pass for nomx.example.test"
line warn "mx nomx.example.test" "no MX is a warning"
has "$T/out" "reports cannot come back" "the MX warning says why it matters"
with_conf "BounceDomain nullmx.example.test"
line fail "mx nullmx.example.test" "a null MX is a fail"
with_conf "BounceDomain missing.example.test"
line fail "mx missing.example.test" "a BounceDomain that does not exist is a fail"
line warn "spf 192.0.2.10" "no SPF record is a warning"
has "$T/out" "none: missing.example.test publishes no SPF record" "SPF none is named"
run doctor --resolver "127.0.0.1:$DEAD_DNS" --timeout 1 --outbound-ip 192.0.2.10
line warn "spf 192.0.2.10" "no DNS answer: SPF temperror is a warning"
has "$T/out" "temperror" "temperror is named"
line warn "mx bounce.example.test" "no DNS answer: MX is a warning"
has "$T/out" "through 127.0.0.1:$DEAD_DNS" "the DNS warning names the server asked"
# a DNS server that takes the questions and never answers: after the
# first time-out the other lookups are not waited for one by one (3 IPs
# and 4 sender domains would be 8 lookups of 2 x --timeout each)
mkconf "$T/hang.conf" "Senders noreply@example.test, a@b.test, c@d.test, e@f.test"
t0=$(date +%s)
"$CTL" -c "$T/hang.conf" doctor --resolver "127.0.0.1:$HANG_DNS" --timeout 1 \
    --outbound-ip 192.0.2.10 --outbound-ip 192.0.2.11 --outbound-ip 192.0.2.12 \
    > "$T/out" 2> "$T/err"
t1=$(date +%s)
check "[ $((t1 - t0)) -le 6 ]" "a hanging DNS server costs about one time-out, not one per lookup ($((t1 - t0)) s)"
line warn "spf 192.0.2.12" "the last IP's SPF is a warning (no DNS answer)"
line warn "mx bounce.example.test" "and MX too"
has "$T/out" "did not answer within" "the warning says the server did not answer in time"
run doctor "${DNS_OPTS[@]}"
check 'grep -q "^\(pass\|warn\|fail\)  spf" "$T/out"' "without --outbound-ip this host's addresses are checked (or their absence)"

# ---- DMARC: misaligned, strict, no record, public suffixes ----------------
with_conf "Senders noreply@example.test, x@shop.test, a@strict.example.test"
is_rc 1 "a misaligned sender domain: exit 1"
line fail "dmarc-align shop.test" "another organizational domain is not aligned"
is_eq "$(hint_of 'dmarc-align shop.test' | cut -d' ' -f1-8)" \
	"set BounceDomain to a subdomain of shop.test (e.g." "the alignment hint names the domain to use"
line warn "dmarc-record shop.test" "a sender domain without DMARC is a warning"
has "$T/out" "_dmarc.shop.test. TXT" "the DMARC hint shows the record to publish"
line fail "dmarc-align strict.example.test" "aspf=s with another BounceDomain is a fail"
line pass "dmarc-record strict.example.test" "strict.example.test's own record is found"
with_conf "BounceDomain bounce.brand.co.uk" "Senders a@brand.co.uk, b@other.co.uk"
line pass "dmarc-align brand.co.uk" "co.uk is a public suffix: brand.co.uk aligns"
line fail "dmarc-align other.co.uk" "co.uk is a public suffix: other.co.uk does not"

# ---- settings ---------------------------------------------------------------
printf 'Socket unix:%s/nf.sock\nDatabase %s/db/nf.db\n' "$T" "$T" > "$T/min.conf"
"$CTL" -c "$T/min.conf" doctor "${DNS_OPTS[@]}" > "$T/out" 2> "$T/err"; rc=$?
is_rc 1 "a minimal config fails"
line warn senders "no Senders is a warning"
line fail bounce-domain "no BounceDomain is a fail"
line fail secret-file "no SecretFile is a fail"
line warn support-address "no SupportAddress is a warning"
line warn maillog "no MailLog is a warning"
line warn channel "no Channel is a warning"
noline spf "no DNS checks without BounceDomain"

# ---- SecretFile ---------------------------------------------------------------
chmod 644 "$T/keys/secret"
doc --outbound-ip 192.0.2.10
is_rc 1 "a world-readable secret: exit 1"
line fail secret-file "a world-readable secret is a fail"
has "$T/out" "chmod 600 $T/keys/secret" "the fail says how to fix it (secret.c's message)"
chmod 640 "$T/keys/secret"
doc --outbound-ip 192.0.2.10
line warn secret-file "readable by a group that is not the daemon's: warning"
chmod 600 "$T/keys/secret"
printf 'short' > "$T/keys/short"
chmod 600 "$T/keys/short"
with_conf "SecretFile $T/keys/short"
line fail secret-file "a short key is a fail"
has "$T/out" "at least 16" "the fail says how long a key must be"
with_conf "SecretFile $T/keys/none"
line fail secret-file "a missing secret file is a fail"

# ---- UserID: the daemon's user and what it can reach ------------------------
if [ "$(id -u)" != 0 ] || ! id nobody > /dev/null 2>&1; then
	echo "ok $((tap_n += 1)) # SKIP UserID checks need root and user nobody"
else
with_conf "UserID no-such-user-nf"
line fail user "a UserID that does not exist is a fail"
with_conf "UserID nobody"
line pass user "UserID nobody exists"
line fail secret-file "root's 0600 key: nobody cannot read it on reload"
line pass maillog "a 0644 log is readable by nobody"
line fail store-access "nobody cannot write the store's directory"
line fail "channel $CHAN" "nobody cannot read the channel's password_file"
chown nobody "$T/keys/secret" "$T/keys/kannel.pw"
chown -R nobody "$T/db"
chmod 600 "$T/mail.log"
chown nobody "$T/mail.log"
with_conf "UserID nobody"
line pass secret-file "nobody's own key passes"
line pass store-access "nobody can write the store's directory"
line pass maillog "nobody's own log passes"
line pass "channel $CHAN" "nobody can read the channel's secret"
chown root "$T/mail.log"
with_conf "UserID nobody"
line fail maillog "a root 0600 MailLog is unreadable for nobody"
chown root "$T/keys/secret" "$T/keys/kannel.pw"
chown -R root "$T/db"
chmod 644 "$T/mail.log"
fi

# ---- MailLog ------------------------------------------------------------------
with_conf "MailLog $T/no-such.log"
line fail maillog "a missing MailLog is a fail"

# ---- store: older, newer, damaged, not ours, empty ------------------------------
mkstore() {	# mkstore PATH: a current store made by notifilterctl
	printf 'Database %s\n' "$1" > "$T/mk.conf"
	"$CTL" -c "$T/mk.conf" contact add someone@example.test > /dev/null 2>&1
}
setver() {	# setver PATH VERSION
	"$PYTHON3" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version=%d" % int(sys.argv[2])); c.commit(); c.close()' "$1" "$2"
}
getver() {
	"$PYTHON3" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$1"
}
mkstore "$T/old.db"
setver "$T/old.db" 3
with_conf "Database $T/old.db"
line warn store-schema "an older schema is a warning"
has "$T/out" "will be migrated by the daemon" "the warning says the daemon migrates it"
is_eq "$(getver "$T/old.db")" 3 "doctor did not migrate it"
mkstore "$T/new.db"
setver "$T/new.db" 99
with_conf "Database $T/new.db"
is_rc 1 "a newer schema: exit 1"
line fail store-schema "a newer schema is a fail"
mkstore "$T/bad.db"
"$PYTHON3" - "$T/bad.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE junk(x)")
c.executemany("INSERT INTO junk VALUES (randomblob(300))", [()] * 3000)
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
# overwrite page 40 (of ~250) with garbage: the b-tree there is broken
with open(sys.argv[1], "r+b") as f:
    f.seek(39 * 4096)
    f.write(b"\x0d" + b"\xa5" * 4095)
EOF
with_conf "Database $T/bad.db"
is_rc 1 "a damaged store: exit 1"
line fail store-integrity "integrity_check finds the damage"
has "$T/out" ".recover" "the hint says how to recover"
printf 'this is not a database, just some text of more than 100 bytes..........................................................\n' > "$T/text.db"
with_conf "Database $T/text.db"
line fail store "a file that is not SQLite is a fail"
: > "$T/empty.db"
with_conf "Database $T/empty.db"
line warn store "an empty file is a warning"
with_conf "Database $T/no-dir/nf.db"
line fail store "a store whose directory is missing is a fail"

# ---- erasure key: SecretFile changed after contacts were erased --------------
# a suppressed contact erased under the good key, then doctor with the
# same store and another SecretFile: every erased hash is unmatchable
printf 'Database %s\nSecretFile %s\n' "$T/er.db" "$T/keys/secret" > "$T/er.conf"
mkstore "$T/clean.db"
with_conf "Database $T/clean.db"
line pass erasure-key "a store without erased contacts: pass"
{ "$CTL" -c "$T/er.conf" contact add gone@example.test &&
  "$CTL" -c "$T/er.conf" suppress add gone@example.test --reason test &&
  "$CTL" -c "$T/er.conf" contact remove gone@example.test; } > "$T/er.out" 2>&1
check "[ $? -eq 0 ]" "setup: a suppressed contact erased ($(tr '\n' ' ' < "$T/er.out"))"
check "\"$CTL\" -c \"$T/er.conf\" suppress list | grep -q '^erased:'" "setup: its suppression is kept as an erased entry"
with_conf "Database $T/er.db"
is_rc 0 "the key the contact was erased with: exit 0"
line pass erasure-key "the same SecretFile keys the erased entries: pass"
printf 'fedcba9876543210fedcba9876543210\n' > "$T/keys/secret2"
chmod 600 "$T/keys/secret2"
with_conf "Database $T/er.db" "SecretFile $T/keys/secret2"
is_rc 1 "a changed SecretFile: exit 1"
line fail erasure-key "a changed SecretFile is a fail"
has "$T/out" "erased entries (1)" "the fail says how many entries no longer match"
t_hint=$(hint_of erasure-key)
check "printf '%s' \"\$t_hint\" | grep -q 'restore the old SecretFile'" "the hint says to restore the old key ($t_hint)"
check "printf '%s' \"\$t_hint\" | grep -Eq 'suppress remove erased:[0-9a-f]{8}'" "the hint names the entry to remove"
with_conf "Database $T/er.db" "SecretFile $T/keys/none"
line warn erasure-key "a SecretFile that cannot be read: warning (cannot compare)"
with_conf "Database $T/er.db"
is_rc 0 "the old SecretFile restored: exit 0"
line pass erasure-key "the old SecretFile restored: pass"

# ---- channels ---------------------------------------------------------------------
with_conf "Channel sms kannel url=http://127.0.0.1:$DEAD_PORT/cgi-bin/sendsms user=u password_file=$T/keys/kannel.pw"
is_rc 1 "an unreachable provider: exit 1"
line fail "channel-reach sms/kannel:11" "nothing listening at the provider's URL is a fail"
has "$T/out" "cannot reach http://127.0.0.1:$DEAD_PORT/" "the fail names the URL"
with_conf "Channel sms kannel url=http://127.0.0.1:$HTTP_PORT/x user=u password_file=$T/keys/nope.pw"
line fail "channel sms/kannel:11" "a missing password_file is a fail"
has "$T/out" "$T/variant.conf:11:" "the channel fail names file and line"
noline "channel-reach sms/kannel:11" "a channel that cannot open is not dialled"
with_conf "Channel whatsapp webhook url=http://127.0.0.1:$HTTP_PORT/hook secret_file=$T/keys/secret"
line warn "channel whatsapp/webhook:11" "a channel not in FallbackChannels is a warning"
line pass "channel-reach whatsapp/webhook:11" "its provider is reachable all the same"

done_testing
