#!/bin/bash
# notifilterctl digest [--since D] [--to ADDRESS]: the report mailed through
# the real /usr/sbin/sendmail of a throwaway Postfix on loopback
# (MAIL_CONFIG points sendmail(1) at it, recipes 2.6), relayed to
# smtp-sink; the received message is read with python3's email module:
# multipart/alternative with a text and an HTML part, the headers a mail
# needs, and the numbers of the store in both parts.  Then the failures:
# sendmail failing, missing or hanging past --timeout (75), no
# SupportAddress (78), a bad --to (64).
#
# env: DIGEST_PORT (smtpd, default 11100; smtp-sink on the next port),
#      KEEP=1 keeps the work dir.  Skips (1..0 # SKIP) without root,
#      Postfix or the programs.
set -u
. "$(cd "$(dirname "$0")/../mta" && pwd)/lib.sh"

PORT=${DIGEST_PORT:-11100}
SINK=$((PORT + 1))
MKMSG=$top_builddir/tests/ctl/mkmsg

miss=$(nf_missing_tools)
[ -z "$miss" ] || t_skip_all "missing:$miss (apt-get install postfix python3)"
[ -x "$NOTIFILTERCTL" ] || t_skip_all "$NOTIFILTERCTL not built (make notifilterctl)"
[ -x "$MKMSG" ] || t_skip_all "$MKMSG not built (make check builds it)"
[ "$(id -u)" = 0 ] || t_skip_all "a throwaway Postfix instance needs root"

nf_ports_free "$PORT" "$SINK" || t_bail "ports busy: set DIGEST_PORT"
nf_init digest
PF=$NF_D/pf
DB=$NF_D/store.db
CONF=$NF_D/notifilter.conf
cat >"$CONF" <<EOF
Database $DB
SupportAddress support@example.test
EOF

# ---- a store: two messages, three recipients --------------------------------
NOW=$(date +%s)
mk() { "$MKMSG" "$DB" "$@" >"$NF_D/mk.out" 2>&1 || t_diag "mkmsg $*: $(cat "$NF_D/mk.out")"; }
mk message token=1d000000000000000000000000000001 qid=D1 sender=noreply@shop.example \
    category=invoice time=$((NOW - 600)) 'rcpt=ann@gmail.com|allowed|default-consent-yes||1' \
    'rcpt=bob@web.de|allowed|default-consent-yes||1'
mk message token=1d000000000000000000000000000002 qid=D2 sender=noreply@shop.example \
    category=invoice time=$((NOW - 500)) 'rcpt=cid@gmail.com|allowed|default-consent-yes||1'
mk delivery qid=D1 to=ann@gmail.com status=sent time=$((NOW - 590))
mk delivery qid=D1 to=bob@web.de status=bounced dsn=5.1.1 time=$((NOW - 590))
mk delivery qid=D2 to=cid@gmail.com status=sent time=$((NOW - 490))
t_is "setup: the store's figures" \
    "$(nf_ctl -c "$CONF" report --format json | "$NF_PY" -c 'import json,sys; j=json.load(sys.stdin)["recipients"]; print(j["delivered"], j["bounced"])')" \
    "2 1"

# ---- Postfix relaying everything to smtp-sink --------------------------------
sink_start sink "$SINK" || t_bail "smtp-sink did not start on $SINK"
PF_LISTENERS=$PORT PF_SINK_PORT=$SINK
pf_create "$PF" || t_bail "could not write the Postfix config in $PF"
pf_start "$PF" || t_bail "Postfix did not start (log: $PF/log/maillog)"
export MAIL_CONFIG=$PF/etc
unset NF_SENDMAIL

# digest_file TO: the sink's file with a digest for TO, waited for (20 s)
digest_file() {
	local i f
	for ((i = 0; i < 200; i++)); do
		f=$(grep -lF -- "X-Rcpt-Args: <$1>" "$NF_D/sink"/msg.* 2>/dev/null | head -1)
		[ -n "$f" ] && grep -qi '^Subject: notifilter digest' "$f" && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

# ---- the digest --------------------------------------------------------------
out=$(nf_ctl -c "$CONF" digest 2>&1); rc=$?
t_is "digest through the real sendmail: exit 0" "$rc" 0
[ $rc = 0 ] || t_diag "$out"
f=$(digest_file support@example.test)
if [ -n "$f" ]; then t_ok "the digest reached the sink, for SupportAddress"
else t_nok "the digest reached the sink, for SupportAddress"; t_diag "$(tail -5 "$PF/log/maillog")"; fi

"$NF_PY" - "${f:-/dev/null}" >"$NF_D/mail.txt" 2>&1 <<'EOF'
import email, email.policy, sys
raw = open(sys.argv[1], 'rb').read()
# smtp-sink puts its own X-* lines first; the message follows them
m = email.message_from_bytes(raw, policy=email.policy.default)
print('type', m.get_content_type())
print('from', m['From'])
print('to', m['To'])
print('subject', ' '.join(str(m['Subject']).split()))
print('date', bool(m['Date']) and m['Date'].datetime is not None)
print('msgid', str(m['Message-ID']).startswith('<') and '@' in str(m['Message-ID']))
print('auto', m['Auto-Submitted'])
parts = [p for p in m.iter_parts()]
print('parts', [p.get_content_type() for p in parts])
print('cte', [p['Content-Transfer-Encoding'] for p in parts])
print('charset', [p.get_content_charset() for p in parts])
text = parts[0].get_content()
html = parts[1].get_content()
print('text-delivered', any(l.split()[:1] == ['delivered'] and l.split()[1] == '2' for l in text.splitlines() if l.split()))
print('text-bounced', any(l.split() == ['bounced', '1'] for l in text.splitlines()))
print('html-svg', '<svg' in html and '</html>' in html)
print('html-delivered', '<b>2</b><span>delivered</span>' in html)
print('html-domain', 'gmail.com' in html and 'web.de' in html)
print('lines', max(len(l) for l in raw.split(b'\n')))
EOF
t_like "multipart/alternative" "$(grep '^type ' "$NF_D/mail.txt")" '^type multipart/alternative$'
t_like "From: notifilter@<host>" "$(grep '^from ' "$NF_D/mail.txt")" '^from notifilter <notifilter@[A-Za-z0-9.-]+>$'
t_is "To: SupportAddress" "$(grep '^to ' "$NF_D/mail.txt")" "to support@example.test"
t_like "Subject has the headline numbers" "$(grep '^subject ' "$NF_D/mail.txt")" \
    '^subject notifilter digest .*last 24h: 2 delivered, 1 bounced, 0 spam-rejected, 0 blocked, complaints 0\.00%$'
t_is "Date parses" "$(grep '^date ' "$NF_D/mail.txt")" "date True"
t_is "Message-ID present" "$(grep '^msgid ' "$NF_D/mail.txt")" "msgid True"
t_is "Auto-Submitted: auto-generated" "$(grep '^auto ' "$NF_D/mail.txt")" "auto auto-generated"
t_is "a text part and an HTML part" "$(grep '^parts ' "$NF_D/mail.txt")" "parts ['text/plain', 'text/html']"
t_is "both base64" "$(grep '^cte ' "$NF_D/mail.txt")" "cte ['base64', 'base64']"
t_is "both UTF-8" "$(grep '^charset ' "$NF_D/mail.txt")" "charset ['utf-8', 'utf-8']"
t_is "text part: 2 delivered" "$(grep '^text-delivered ' "$NF_D/mail.txt")" "text-delivered True"
t_is "text part: 1 bounced" "$(grep '^text-bounced ' "$NF_D/mail.txt")" "text-bounced True"
t_is "HTML part: the page with its charts" "$(grep '^html-svg ' "$NF_D/mail.txt")" "html-svg True"
t_is "HTML part: 2 delivered" "$(grep '^html-delivered ' "$NF_D/mail.txt")" "html-delivered True"
t_is "HTML part: the domains" "$(grep '^html-domain ' "$NF_D/mail.txt")" "html-domain True"
l=$(sed -n 's/^lines //p' "$NF_D/mail.txt")
t_like "no line longer than 78 + CRLF (longest $l)" "$l" '^([0-9]|[1-7][0-9]|80)$'
grep -q Traceback "$NF_D/mail.txt" && t_diag "$(cat "$NF_D/mail.txt")"

# ---- --to and --since ----------------------------------------------------------
out=$(nf_ctl -c "$CONF" digest --to Other@Example.TEST --since 2h 2>&1); rc=$?
t_is "digest --to: exit 0" "$rc" 0
f2=$(digest_file other@example.test)
if [ -n "$f2" ] && grep -q '^Subject: notifilter digest .*last 2h' "$f2"; then t_ok "--to goes to ADDRESS (normalised), --since in the Subject"
else t_nok "--to goes to ADDRESS (normalised), --since in the Subject"; t_diag "$out"; fi

# ---- failures --------------------------------------------------------------
out=$(NF_SENDMAIL=/bin/false nf_ctl -c "$CONF" digest 2>&1); rc=$?
t_is "sendmail failing: exit 75" "$rc" 75
t_like "... says so and that nothing was sent" "$out" 'exited with status 1.*NOT sent'
out=$(NF_SENDMAIL=$NF_D/no-such-sendmail nf_ctl -c "$CONF" digest 2>&1); rc=$?
t_is "sendmail missing: exit 75" "$rc" 75
t_like "... names it" "$out" 'could not be started'
printf '#!/bin/sh\nsleep 30\n' >"$NF_D/hang-sendmail"
chmod 755 "$NF_D/hang-sendmail"
t0=$(date +%s)
out=$(NF_SENDMAIL=$NF_D/hang-sendmail nf_ctl -c "$CONF" digest --timeout 2s 2>&1); rc=$?
t1=$(date +%s)
t_is "sendmail hanging: exit 75" "$rc" 75
t_like "... stopped after --timeout ($((t1 - t0)) s)" "$((t1 - t0)) $out" '^[2-6] .*did not finish within 2 s and was stopped.*NOT sent'
out=$(nf_ctl -c "$CONF" digest --timeout 0 2>&1); rc=$?
t_is "--timeout 0: exit 64" "$rc" 64
printf 'Database %s\n' "$DB" >"$NF_D/nosupport.conf"
out=$(nf_ctl -c "$NF_D/nosupport.conf" digest 2>&1); rc=$?
t_is "no SupportAddress and no --to: exit 78" "$rc" 78
t_like "... explains the key" "$out" 'no SupportAddress: add a line "SupportAddress '
out=$(nf_ctl -c "$CONF" digest --to 'a@b.example, c@d.example' 2>&1); rc=$?
t_is "--to with two addresses: exit 64" "$rc" 64
out=$(nf_ctl -c "$CONF" digest --since never 2>&1); rc=$?
t_is "--since never: exit 64" "$rc" 64
n=$(grep -l '^Subject: notifilter digest' "$NF_D/sink"/msg.* 2>/dev/null | wc -l)
t_is "only the two good runs mailed" "$n" 2

t_done
