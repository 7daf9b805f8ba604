/*
 * t_maillog.c - table-driven tests of lib/maillog.c: which log lines are
 * delivery status lines, and what is read from them.
 *
 * The lines come from a real Postfix 3.7 run (tests/mta, recipes) and from
 * the formats Postfix's delivery agents write (smtp, lmtp, local, virtual,
 * pipe, error, discard, qmgr), in both timestamp forms.  Each case checks
 * every field, so a parser change that shifts one shows which.
 */
#include <stdlib.h>
#include <string.h>

#include "maillog.h"
#include "tap.h"

struct dcase {
	const char *name;
	const char *line;
	const char *program, *qid, *status, *to, *orig_to, *from, *relay,
	    *dsn, *diag;
	int has_rcpt, diag_cut;
};

static const struct dcase deliveries[] = {
	{ "smtp sent (real Postfix 3.7 line)",
	  "Nov 23 11:32:13 mta postfix/smtp[2036]: 743E4A7C124: to=<dsn1@dest.example.test>, relay=127.0.0.1[127.0.0.1]:11126, delay=0.08, delays=0.06/0.02/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
	  "smtp", "743E4A7C124", "sent", "dsn1@dest.example.test", "", "",
	  "127.0.0.1[127.0.0.1]:11126", "2.0.0", "250 2.0.0 Ok", 1, 0 },
	{ "smtp bounced, nested parentheses (real)",
	  "Nov 23 11:32:19 mta postfix/smtp[3371]: 5131FA7C14A: to=<u7@reject.example.test>, relay=127.0.0.1[127.0.0.1]:11127, delay=0.07, delays=0.05/0.01/0/0.01, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 Recipient address rejected: User unknown (in reply to RCPT TO command))",
	  "smtp", "5131FA7C14A", "bounced", "u7@reject.example.test", "", "",
	  "127.0.0.1[127.0.0.1]:11127", "5.1.1",
	  "host 127.0.0.1[127.0.0.1] said: 550 5.1.1 Recipient address rejected: User unknown (in reply to RCPT TO command)", 1, 0 },
	{ "smtp deferred 450 (real)",
	  "Nov 23 11:32:20 mta postfix/smtp[3822]: 7931AA7C15D: to=<u7c@tempfail.example.test>, relay=127.0.0.1[127.0.0.1]:11129, delay=0.07, delays=0.05/0.01/0/0.01, dsn=4.2.0, status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.2.0 Mailbox busy, try later (in reply to RCPT TO command))",
	  "smtp", "7931AA7C15D", "deferred", "u7c@tempfail.example.test", "", "",
	  "127.0.0.1[127.0.0.1]:11129", "4.2.0",
	  "host 127.0.0.1[127.0.0.1] said: 450 4.2.0 Mailbox busy, try later (in reply to RCPT TO command)", 1, 0 },
	{ "pipe sent (real)",
	  "Nov 23 11:32:13 mta postfix/pipe[2124]: D62C3A7C12C: to=<bounce+C5CDAA7C129@bounces.example.test>, relay=bounceintake, delay=0.02, delays=0/0.01/0/0.01, dsn=2.0.0, status=sent (delivered via bounceintake service)",
	  "pipe", "D62C3A7C12C", "sent", "bounce+C5CDAA7C129@bounces.example.test",
	  "", "", "bounceintake", "2.0.0", "delivered via bounceintake service", 1, 0 },
	{ "orig_to, queued as",
	  "Nov 23 11:00:00 host postfix/smtp[123]: 4XyZ1234AB: to=<a@b>, orig_to=<c@d>, relay=mx.example[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 123)",
	  "smtp", "4XyZ1234AB", "sent", "a@b", "c@d", "", "mx.example[192.0.2.1]:25",
	  "2.0.0", "250 2.0.0 Ok: queued as 123", 1, 0 },
	{ "RFC 3339 stamp, long queue id",
	  "2026-11-23T11:00:00.123456+00:00 host postfix/smtp[123]: 4Mq1ZH4jYCz9sWl: to=<Jane.Doe@Example.COM>, relay=mx1.example.com[198.51.100.7]:25, delay=0.52, delays=0.01/0.01/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 OK 1700000000 x12-20020a05)",
	  "smtp", "4Mq1ZH4jYCz9sWl", "sent", "Jane.Doe@Example.COM", "", "",
	  "mx1.example.com[198.51.100.7]:25", "2.0.0",
	  "250 2.0.0 OK 1700000000 x12-20020a05", 1, 0 },
	{ "RFC 3339 with Z, instance prefix postfix-out",
	  "2026-11-23T11:00:00Z mx2 postfix-out/smtp[9]: 3F2A1B0C9D: to=<u@example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.org[203.0.113.5]:25: Connection timed out)",
	  "smtp", "3F2A1B0C9D", "deferred", "u@example.org", "", "", "none", "4.4.1",
	  "connect to mx.example.org[203.0.113.5]:25: Connection timed out", 1, 0 },
	{ "syslog_name with a service: postfix/relay/smtp",
	  "Nov 23 11:00:01 mx postfix/relay/smtp[77]: 8A1B2C3D4E: to=<x@relay.example>, relay=10.0.0.2[10.0.0.2]:25, conn_use=2, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 ok)",
	  "smtp", "8A1B2C3D4E", "sent", "x@relay.example", "", "",
	  "10.0.0.2[10.0.0.2]:25", "2.0.0", "250 ok", 1, 0 },
	{ "lmtp to dovecot",
	  "Nov  3 09:05:07 mail postfix/lmtp[4242]: 1C2D3E4F5A: to=<user@example.net>, relay=mail.example.net[private/dovecot-lmtp], delay=0.06, delays=0.02/0.01/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 <user@example.net> kHg8Lq1dZWVKEAAA Saved)",
	  "lmtp", "1C2D3E4F5A", "sent", "user@example.net", "", "",
	  "mail.example.net[private/dovecot-lmtp]", "2.0.0",
	  "250 2.0.0 <user@example.net> kHg8Lq1dZWVKEAAA Saved", 1, 0 },
	{ "local with orig_to alias",
	  "Nov 23 11:00:02 mx postfix/local[501]: 9F8E7D6C5B: to=<root@mx.example.test>, orig_to=<postmaster>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
	  "local", "9F8E7D6C5B", "sent", "root@mx.example.test", "postmaster", "",
	  "local", "2.0.0", "delivered to mailbox", 1, 0 },
	{ "virtual to maildir",
	  "Nov 23 11:00:03 mx postfix/virtual[502]: 0A1B2C3D4E: to=<a@virt.example>, relay=virtual, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (delivered to maildir)",
	  "virtual", "0A1B2C3D4E", "sent", "a@virt.example", "", "", "virtual",
	  "2.0.0", "delivered to maildir", 1, 0 },
	{ "error agent bounce",
	  "Nov 23 11:00:04 mx postfix/error[503]: 5E6F7A8B9C: to=<x@nx.example>, relay=none, delay=0.1, delays=0.1/0/0/0, dsn=5.0.0, status=bounced (User unknown in virtual alias table)",
	  "error", "5E6F7A8B9C", "bounced", "x@nx.example", "", "", "none", "5.0.0",
	  "User unknown in virtual alias table", 1, 0 },
	{ "retry service name",
	  "Nov 23 11:00:05 mx postfix/retry[504]: 5E6F7A8B9D: to=<y@nx.example>, relay=none, delay=3600, delays=3600/0/0/0, dsn=4.4.3, status=deferred (delivery temporarily suspended: Host or domain name not found. Name service error for name=nx.example type=MX: Host not found, try again)",
	  "retry", "5E6F7A8B9D", "deferred", "y@nx.example", "", "", "none", "4.4.3",
	  "delivery temporarily suspended: Host or domain name not found. Name service error for name=nx.example type=MX: Host not found, try again", 1, 0 },
	{ "discard",
	  "Nov 23 11:00:06 mx postfix/discard[505]: 6A7B8C9D0E: to=<z@sink.example>, relay=none, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (sink.example)",
	  "discard", "6A7B8C9D0E", "sent", "z@sink.example", "", "", "none", "2.0.0",
	  "sink.example", 1, 0 },
	{ "qmgr: message expired, no recipient",
	  "Nov 23 11:00:07 mx postfix/qmgr[506]: 7B8C9D0E1F: from=<bounce+abc123@bounces.example.test>, status=expired, returned to sender",
	  "qmgr", "7B8C9D0E1F", "expired", "", "", "bounce+abc123@bounces.example.test",
	  "", "", "", 0, 0 },
	{ "qmgr: force-expired (postsuper -e)",
	  "2026-11-23T11:00:08.5+01:00 mx postfix/qmgr[506]: 4Mq1ZH4jYCz9sWm: from=<>, status=force-expired, returned to sender",
	  "qmgr", "4Mq1ZH4jYCz9sWm", "expired", "", "", "", "", "", "", 0, 0 },
	{ "qmgr: deferred, destination suspended",
	  "Nov 23 11:00:09 mx postfix/qmgr[506]: 8C9D0E1F2A: to=<q@dead.example>, relay=none, delay=120, delays=120/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to dead.example[192.0.2.9]:25: Connection refused)",
	  "qmgr", "8C9D0E1F2A", "deferred", "q@dead.example", "", "", "none", "4.4.1",
	  "delivery temporarily suspended: connect to dead.example[192.0.2.9]:25: Connection refused", 1, 0 },
	{ "quoted local part with comma, blank and >",
	  "Nov 23 11:00:10 mx postfix/smtp[507]: 9D0E1F2A3B: to=<\"a, b>c\"@example.com>, orig_to=<\"x\\\"y\"@example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)",
	  "smtp", "9D0E1F2A3B", "sent", "\"a, b>c\"@example.com",
	  "\"x\\\"y\"@example.com", "", "mx.example.com[192.0.2.3]:25", "2.0.0",
	  "250 ok", 1, 0 },
	{ "unbalanced parenthesis inside the reply",
	  "Nov 23 11:00:11 mx postfix/smtp[508]: 0E1F2A3B4C: to=<s@example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (host mx.example.com[192.0.2.3] said: 550 5.7.1 :-( spam (in reply to end of DATA command))",
	  "smtp", "0E1F2A3B4C", "bounced", "s@example.com", "", "",
	  "mx.example.com[192.0.2.3]:25", "5.7.1",
	  "host mx.example.com[192.0.2.3] said: 550 5.7.1 :-( spam (in reply to end of DATA command)", 1, 0 },
	{ "line cut before the closing parenthesis",
	  "Nov 23 11:00:12 mx postfix/smtp[509]: 1F2A3B4C5D: to=<t@example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.3] said: 550 5.1.1 <t@exa",
	  "smtp", "1F2A3B4C5D", "bounced", "t@example.com", "", "",
	  "mx.example.com[192.0.2.3]:25", "5.1.1",
	  "host mx.example.com[192.0.2.3] said: 550 5.1.1 <t@exa", 1, 1 },
	{ "balanced diagnostic followed by syslog junk",
	  "Nov 23 11:00:13 mx postfix/smtp[510]: 2A3B4C5D6E: to=<v@example.com>, relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to x[192.0.2.4]:25: Connection refused) #012",
	  "smtp", "2A3B4C5D6E", "deferred", "v@example.com", "", "", "none", "4.4.1",
	  "connect to x[192.0.2.4]:25: Connection refused", 1, 0 },
	{ "soft_bounce = yes",
	  "Nov 23 11:00:14 mx postfix/smtp[511]: 3B4C5D6E7F: to=<w@example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=SOFTBOUNCE (host mx.example.com[192.0.2.3] said: 550 5.1.1 no such user (in reply to RCPT TO command))",
	  "smtp", "3B4C5D6E7F", "deferred", "w@example.com", "", "",
	  "mx.example.com[192.0.2.3]:25", "5.1.1",
	  "host mx.example.com[192.0.2.3] said: 550 5.1.1 no such user (in reply to RCPT TO command)", 1, 0 },
	{ "CRLF line end",
	  "Nov 23 11:00:15 mx postfix/smtp[512]: 4C5D6E7F8A: to=<crlf@example.com>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (x)\r\n",
	  "smtp", "4C5D6E7F8A", "deferred", "crlf@example.com", "", "", "none", "4.4.1",
	  "x", 1, 0 },
	{ "no delay fields, empty diagnostic",
	  "Nov 23 11:00:16 mx postfix/smtp: 5D6E7F8A9B: to=<nd@example.com>, status=sent ()",
	  "smtp", "5D6E7F8A9B", "sent", "nd@example.com", "", "", "", "", "", 1, 0 },
};

/* Lines that must not be taken, each for its own reason. */
static const char *const others[] = {
	"Nov 23 11:32:13 mta postfix/qmgr[1843]: 743E4A7C124: from=<bounce+743E4A7C124@bounces.example.test>, size=377, nrcpt=3 (queue active)",
	"Nov 23 11:32:13 mta postfix/qmgr[1843]: 743E4A7C124: removed",
	"Nov 23 11:32:13 mta postfix/smtpd[1897]: 743E4A7C124: client=localhost[127.0.0.1]",
	"Nov 23 11:32:13 mta postfix/cleanup[1900]: 743E4A7C124: message-id=<20261123113213.1@example.test>",
	"Nov 23 11:32:13 mta postfix/smtpd[1897]: 743E4A7C124: milter-reject: RCPT from localhost[127.0.0.1]: 550 5.7.1 recipient is on the suppression list; from=<app@example.test> to=<blocked1@dest.example.test> proto=ESMTP helo=<client.example.test>",
	"Nov 23 11:32:25 mta postfix/smtpd[4094]: NOQUEUE: milter-reject: MAIL from localhost[127.0.0.1]: 451 4.7.1 Service unavailable - try again later; from=<app@example.test> proto=ESMTP helo=<client.example.test>",
	"Nov 23 11:32:13 mta postfix/bounce[2118]: C5CDAA7C129: sender non-delivery notification: D62C3A7C12C",
	"Nov 23 11:32:11 mta postfix/master[1841]: daemon started -- version 3.7.11, configuration /tmp/pfit/etc",
	"Nov 23 11:32:13 mta postfix/pickup[1842]: 8DD0CA7C128: uid=0 from=<app@example.test>",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<probe@example.org>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<probe@example.org>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=undeliverable (550 5.1.1 no)",
	"Nov 23 11:00:00 mx postfix/smtpd[9]: 3F2A1B0C9D: to=<x@example.org>, relay=none, dsn=2.0.0, status=sent (fake)",
	"Nov 23 11:00:00 mx postfix/qmgr[9]: 3F2A1B0C9D: to=<x@example.org>, relay=none, dsn=2.0.0, status=sent (qmgr never says sent)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading",
	"Nov 23 11:00:00 mx postfix/smtp[9]: connect to mx.example.org[192.0.2.1]:25: Connection refused",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: lost connection with mx.example.org[192.0.2.1] while receiving the initial server greeting",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: host mx.example.org[192.0.2.1] said: 421 4.7.0 try again later (in reply to MAIL FROM command)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<>, relay=none, dsn=5.0.0, status=bounced (empty recipient)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, relay=none, dsn=5.0, status=bounced (bad dsn)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b, relay=none, dsn=2.0.0, status=sent",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, relay=none, dsn=2.0.0, status=sent, returned to sender",
	"Nov 23 11:00:00 mx postfix/qmgr[9]: 3F2A1B0C9D: from=<a@b>, status=sent, returned to sender",
	"Nov 23 11:00:00 mx postfix/qmgr[9]: 3F2A1B0C9D: from=<a@b>, size=3, status=expired, returned to sender",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: orig_to=<a@b>, to=<c@d>, status=sent (x)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2: to=<a@b>, status=sent (short qid)",
	"Nov 23 11:00:00 mx postfix/smtp[9] 3F2A1B0C9D: to=<a@b>, status=sent (no colon after tag)",
	"Nov 23 11:00:00 mx postfix/smtp[]: 3F2A1B0C9D: to=<a@b>, status=sent (empty pid)",
	"Nov 23 25:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, status=sent (hour 25)",
	"Foo 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, status=sent (month)",
	"2026-13-23T11:00:00Z mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, status=sent (month 13)",
	"2026-11-23T11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, status=sent (no zone)",
	"2026-11-23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, status=sent (blank for T)",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, relay=none, dsn=2.0.0",
	"Nov 23 11:00:00 mx postfix/smtp[9]: 3F2A1B0C9D: to=<a@b>, status=Sent (case)",
	"Nov 23 11:00:00",
	"",
	"garbage",
};

static void
check_delivery(const struct dcase *t)
{
	struct nf_maillog_rec r;
	int rc = nf_maillog_parse(t->line, strlen(t->line), &r);

	is_int(rc, NF_MAILLOG_DELIVERY, "%s: a delivery line", t->name);
	if (rc != NF_MAILLOG_DELIVERY)
		return;
	is_str(r.program, t->program, "%s: program", t->name);
	is_str(r.queue_id, t->qid, "%s: queue id", t->name);
	is_str(nf_maillog_status_name(r.status), t->status, "%s: status", t->name);
	is_int(r.has_rcpt, t->has_rcpt, "%s: has_rcpt", t->name);
	is_str(r.to, t->to, "%s: to", t->name);
	is_str(r.orig_to, t->orig_to, "%s: orig_to", t->name);
	is_str(r.from, t->from, "%s: from", t->name);
	is_str(r.relay, t->relay, "%s: relay", t->name);
	is_str(r.dsn, t->dsn, "%s: dsn", t->name);
	is_str(r.diag, t->diag, "%s: diagnostic", t->name);
	is_int(r.diag_cut, t->diag_cut, "%s: diag_cut", t->name);
}

/* Header fields and timestamps of two cases, read field by field. */
static void
check_header_fields(void)
{
	struct nf_maillog_rec r;
	const char *l1 = deliveries[0].line, *l2 = deliveries[5].line;

	nf_maillog_parse(l1, strlen(l1), &r);
	is_str(r.host, "mta", "classic: host");
	is_str(r.tag, "postfix/smtp", "classic: tag");
	is_int(r.pid, 2036, "classic: pid");
	ok(r.ts.year == 0 && r.ts.mon == 11 && r.ts.mday == 23 && r.ts.hour == 11 &&
	    r.ts.min == 32 && r.ts.sec == 13 && !r.ts.has_tz,
	    "classic: stamp fields %d-%d-%d %d:%d:%d tz %d", r.ts.year, r.ts.mon,
	    r.ts.mday, r.ts.hour, r.ts.min, r.ts.sec, r.ts.has_tz);
	nf_maillog_parse(l2, strlen(l2), &r);
	is_str(r.host, "host", "rfc3339: host");
	ok(r.ts.year == 2026 && r.ts.usec == 123456 && r.ts.has_tz &&
	    r.ts.tz_min == 0, "rfc3339: year %d usec %ld tz %d/%d", r.ts.year,
	    r.ts.usec, r.ts.has_tz, r.ts.tz_min);
	l1 = deliveries[15].line;
	nf_maillog_parse(l1, strlen(l1), &r);
	is_int(r.ts.tz_min, 60, "rfc3339 +01:00 is 60 minutes east");
	is_int(r.ts.usec, 500000, "fraction .5 is 500000 us");
	is_str(r.status_word, "force-expired", "status word kept as logged");
	l1 = deliveries[8].line;
	nf_maillog_parse(l1, strlen(l1), &r);
	is_int(r.ts.mday, 3, "space-padded day \"Nov  3\"");
}

/* Bounds: the line limit, a long diagnostic, a NUL, an overlong address,
 * a line given without its NUL terminator. */
static void
check_bounds(void)
{
	static const char head[] = "Nov 23 11:00:00 mx postfix/smtp[1]: "
	    "ABCDEF1234: to=<a@example.com>, relay=none, dsn=5.0.0, status=bounced (";
	struct nf_maillog_rec r;
	char *big = malloc(NF_MAILLOG_LINE_MAX + 64);
	size_t n;

	if (big == NULL) {
		ok(0, "malloc");
		return;
	}
	/* a diagnostic of 3000 bytes is cut to NF_MAILLOG_DIAG_MAX with "..." */
	n = strlen(head);
	memcpy(big, head, n);
	memset(big + n, 'x', 3000);
	n += 3000;
	big[n++] = ')';
	is_int(nf_maillog_parse(big, n, &r), NF_MAILLOG_DELIVERY, "3000-byte diagnostic: taken");
	is_int(strlen(r.diag), NF_MAILLOG_DIAG_MAX, "diagnostic cut to %d bytes", NF_MAILLOG_DIAG_MAX);
	ok(r.diag_cut && strcmp(r.diag + NF_MAILLOG_DIAG_MAX - 3, "...") == 0,
	    "cut diagnostic ends in \"...\" and is flagged (cut=%d)", r.diag_cut);

	/* exactly the line limit is read; one byte more is not */
	n = strlen(head);
	memset(big + n, 'y', NF_MAILLOG_LINE_MAX - n - 1);
	big[NF_MAILLOG_LINE_MAX - 1] = ')';
	is_int(nf_maillog_parse(big, NF_MAILLOG_LINE_MAX, &r), NF_MAILLOG_DELIVERY,
	    "a line of exactly %d bytes is read", NF_MAILLOG_LINE_MAX);
	big[NF_MAILLOG_LINE_MAX - 1] = 'y';
	big[NF_MAILLOG_LINE_MAX] = ')';
	is_int(nf_maillog_parse(big, NF_MAILLOG_LINE_MAX + 1, &r), NF_MAILLOG_OTHER,
	    "a line of %d bytes is not", NF_MAILLOG_LINE_MAX + 1);
	/* ... but a newline does not count */
	big[NF_MAILLOG_LINE_MAX - 1] = ')';
	big[NF_MAILLOG_LINE_MAX] = '\n';
	is_int(nf_maillog_parse(big, NF_MAILLOG_LINE_MAX + 1, &r), NF_MAILLOG_DELIVERY,
	    "its newline is not counted");

	/* an embedded NUL */
	n = (size_t)snprintf(big, 512, "%sok)", head);
	big[40] = '\0';
	is_int(nf_maillog_parse(big, n, &r), NF_MAILLOG_OTHER, "a NUL inside: not taken");

	/* an address longer than the field */
	n = (size_t)snprintf(big, 128, "Nov 23 11:00:00 mx postfix/smtp[1]: ABCDEF1234: to=<");
	memset(big + n, 'a', NF_MAILLOG_ADDR_MAX);
	n += NF_MAILLOG_ADDR_MAX;
	n += (size_t)snprintf(big + n, 128, "@x>, status=sent (ok)");
	is_int(nf_maillog_parse(big, n, &r), NF_MAILLOG_OTHER,
	    "an address of %d octets: not taken", NF_MAILLOG_ADDR_MAX + 2);

	/* length, not NUL, ends the line: a prefix of a good line */
	n = strlen(deliveries[0].line);
	memcpy(big, deliveries[0].line, n);
	memcpy(big + n, " (junk past len)", 17);
	is_int(nf_maillog_parse(big, n, &r), NF_MAILLOG_DELIVERY, "reads len bytes, not to the NUL");
	is_str(r.diag, "250 2.0.0 Ok", "diagnostic of the unterminated line");
	free(big);
}

struct tcase {
	const char *name, *stamp;	/* stamp: first fields of a line */
	int64_t now, want;
};

static void
check_times(void)
{
	static const struct tcase tt[] = {
		{ "rfc3339 UTC", "2026-11-23T11:00:00.123456+00:00", 0, 1795431600 },
		{ "rfc3339 +02:00", "2026-11-23T11:00:00+02:00", 0, 1795424400 },
		{ "rfc3339 -01:00", "2026-11-23T11:00:00-01:00", 0, 1795435200 },
		{ "classic, same year (TZ=UTC)", "Nov 23 11:00:00", 1795435200, 1795431600 },
		{ "classic, a day ahead is still this year", "Nov 24 11:00:00", 1795435200, 1795518000 },
		{ "classic, two days ahead is last year", "Nov 25 11:00:00", 1795435200, 1764068400 },
		{ "classic Dec 31 read on Jan 1", "Dec 31 23:59:59", 1798761610, 1798761599 },
		{ "classic Feb 29 in 2027 is 2024's", "Feb 29 10:00:00", 1803859200, 1709200800 },
	};
	size_t i;

	for (i = 0; i < sizeof(tt) / sizeof(tt[0]); i++) {
		char line[512];
		struct nf_maillog_rec r;
		int64_t t = -1;
		int rc, n = snprintf(line, sizeof(line), "%s mx postfix/smtp[1]: "
		    "ABCDE12345: to=<a@b>, status=sent (ok)", tt[i].stamp);

		if (nf_maillog_parse(line, (size_t)n, &r) != NF_MAILLOG_DELIVERY) {
			ok(0, "%s: line not parsed", tt[i].name);
			continue;
		}
		rc = nf_maillog_time(&r.ts, tt[i].now, &t);
		ok(rc == 0 && t == tt[i].want, "%s: rc %d, %lld (want %lld)",
		    tt[i].name, rc, (long long)t, (long long)tt[i].want);
	}
	{
		struct nf_maillog_ts bad = { .year = 2026, .mon = 2, .mday = 30 };
		int64_t t;

		is_int(nf_maillog_time(&bad, 0, &t), -1, "2026-02-30 is not a time");
		bad.year = 0;
		bad.mon = 13;
		is_int(nf_maillog_time(&bad, 0, &t), -1, "month 13 is not a time");
	}
}

int
main(void)
{
	size_t i;

	setenv("TZ", "UTC", 1);
	for (i = 0; i < sizeof(deliveries) / sizeof(deliveries[0]); i++)
		check_delivery(&deliveries[i]);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct nf_maillog_rec r;
		int rc = nf_maillog_parse(others[i], strlen(others[i]), &r);

		if (!ok(rc == NF_MAILLOG_OTHER, "not a delivery line: %.70s", others[i]))
			diag("taken as %s for <%s>", nf_maillog_status_name(r.status), r.to);
	}
	check_header_fields();
	check_bounds();
	check_times();
	return tap_done();
}
