#!/bin/sh
# tests/golden/t-parse-cli.sh - `parse` command behaviour (through the
# stand-alone driver that runs ctl/cmd_parse.c): exit codes 0/64/66, --help,
# JSON Lines fields in DESIGN.md's order, plain table, a file that is not a
# report, and an unreadable file that does not stop the others.
top_builddir=${top_builddir:-.}
drv=$(cd "$top_builddir" && pwd)/tests/unit/parse_driver
tmp=$(mktemp -d /tmp/nf-parse-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; [ -n "${3:-}" ] && echo "# $3"; fi; }

cat >"$tmp/dsn.eml" <<'MSG'
From: MAILER-DAEMON@mx.example.org
To: bounce+TK1@bounce.example.net
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone@Example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: User unknown
--B--
MSG
printf 'From: a@example.com\nTo: b@example.com\nSubject: hi\n\nhello\n' >"$tmp/plain.eml"

out=$("$drv" --json "$tmp/dsn.eml"); rc=$?
t $rc "--json exits 0" "exit $rc"
want="{\"file\":\"$tmp/dsn.eml\",\"recipient\":\"gone@example.com\",\"action\":\"failed\",\"status\":\"5.1.1\",\"reason\":\"userunknown\",\"hard\":true,\"diagnostic\":\"550 5.1.1 <gone@example.com>: User unknown\",\"remote_mta\":\"mx.example.com\",\"token\":\"TK1\"}"
[ "$out" = "$want" ]; t $? "JSON Lines object, fields in order" "got: $out"
out=$("$drv" --json "$tmp/plain.eml"); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ]; t $? "not a report: no output, exit 0" "exit $rc, output: $out"
out=$("$drv" "$tmp/plain.eml" "$tmp/dsn.eml"); rc=$?
echo "$out" | grep -q "plain.eml: not a report" && echo "$out" | grep -q "gone@example.com .*failed .*5.1.1 .*userunknown .*hard"
t $? "plain table" "got: $out"
out=$("$drv" --json "$tmp/missing.eml" "$tmp/dsn.eml" 2>"$tmp/err"); rc=$?
[ $rc -eq 66 ] && echo "$out" | grep -q gone@example.com && grep -q "missing.eml" "$tmp/err"
t $? "unreadable file: named on stderr, others parsed, exit 66" "exit $rc, stderr: $(cat "$tmp/err")"
"$drv" >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ]; t $? "no FILE: exit 64" "exit $rc"
"$drv" --bogus "$tmp/dsn.eml" >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ]; t $? "unknown option: exit 64" "exit $rc"
out=$("$drv" --help); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "usage: notifilterctl parse"; t $? "--help exits 0 with usage" "exit $rc"
echo "1..$n"
