/*
 * t_report.c - the report API end to end on small hand-made messages:
 * kinds, recipients, token sources, Message-ID, ARF fields, auto-replies,
 * free-text bounces and non-reports; each pushed whole and byte by byte.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report.h"
#include "tap.h"

static struct nf_report *
parse(const char *msg, size_t chunk, const char *env_rcpt)
{
	struct nf_report *r = nf_report_new(NULL);
	size_t i, len = strlen(msg);

	if (r == NULL)
		return NULL;
	if (env_rcpt)
		nf_report_envelope(r, "", env_rcpt);
	for (i = 0; i < len; i += chunk)
		nf_report_push(r, msg + i, len - i < chunk ? len - i : chunk);
	nf_report_finish(r);
	return r;
}

static const char dsn[] =
	"From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
	"To: bounce+TOKEN123@bounce.example.net\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
	"\n--B\nContent-Type: text/plain\n\n"
	"<gone@example.com>: host mx.example.com[192.0.2.9] said: 550 5.1.1\n"
	"    <gone@example.com>: Recipient address rejected: User unknown (in reply\n"
	"    to RCPT TO command)\n"
	"\n--B\nContent-Type: message/delivery-status\n\n"
	"Reporting-MTA: dns; mx.example.org\n\n"
	"Final-Recipient: rfc822; Gone@Example.com\nAction: failed\nStatus: 5.1.1\n"
	"Remote-MTA: dns; mx.example.com\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: Recipient address\n"
	"    rejected: User unknown\n"
	"\n--B\nContent-Type: text/rfc822-headers\n\n"
	"Message-ID: <m1@app.example.net>\nX-Notifilter-ID: HDRTOKEN\nTo: gone@example.com\n"
	"--B--\n";

static const char arf[] =
	"From: feedback@provider.example\nTo: abuse@example.net\nSubject: complaint\n"
	"Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n"
	"\n--A\nContent-Type: text/plain\n\nThis is an abuse report.\n"
	"--A\nContent-Type: message/feedback-report\n\n"
	"Feedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\n"
	"Original-Mail-From: <bounce+T9@bounce.example.net>\n"
	"Original-Rcpt-To: <User@Provider.example>\nSource-IP: 192.0.2.7\n"
	"Arrival-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	"--A\nContent-Type: message/rfc822\n\n"
	"From: app@example.net\nTo: user@provider.example\nX-Notifilter-ID: ARFTOK\n"
	"Message-ID: <m2@app.example.net>\n\nhello\n--A--\n";

static const char qmail[] =
	"From: MAILER-DAEMON@mx.example.org\nTo: app@example.net\nSubject: failure notice\n\n"
	"Hi. This is the qmail-send program at mx.example.org.\n"
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	"<full@example.com>:\n"
	"192.0.2.1 does not like recipient.\n"
	"Remote host said: 552 5.2.2 Mailbox full\n"
	"Giving up on 192.0.2.1.\n\n"
	"--- Below this line is a copy of the message.\n\n"
	"Return-Path: <app@example.net>\nX-Notifilter-ID: QTOK\nMessage-ID: <m3@app>\n"
	"To: full@example.com\n\nbody\n";

static const char vacation[] =
	"From: Someone <someone@example.com>\nTo: app@example.net\n"
	"Subject: Out of Office: your message\nAuto-Submitted: auto-replied\n\n"
	"I am away until Monday.\n";

static const char notreport[] =
	"From: friend@example.com\nTo: me@example.net\nSubject: lunch?\n\n"
	"Write to bob@example.org, he said 550 people come.\n";

int
main(void)
{
	size_t chunk;

	for (chunk = 1; chunk <= 4096; chunk *= 4096) {
		struct nf_report *r = parse(dsn, chunk, NULL);
		const struct nf_report_rcpt *x;

		is_str(nf_report_kind_name(nf_report_kind(r)), "dsn", "DSN kind (chunk %zu)", chunk);
		is_int(nf_report_count(r), 1, "one recipient");
		x = nf_report_get(r, 0);
		is_str(x ? x->recipient : "", "gone@example.com", "recipient lower case");
		is_str(x ? x->status : "", "5.1.1", "status");
		is_str(x ? x->reply : "", "550", "reply code from the diagnostic");
		is_str(x ? x->reason : "", "userunknown", "reason");
		ok(x && x->hard, "hard bounce");
		is_str(x ? x->action : "", "failed", "action");
		is_str(x ? x->remote_mta : "", "mx.example.com", "remote MTA without type");
		is_str(nf_report_token(r), "TOKEN123", "token from the VERP To: header");
		is_str(nf_report_message_id(r), "m1@app.example.net", "returned Message-ID");
		ok(nf_report_get(r, 1) == NULL, "no second result");
		nf_report_free(r);

		r = parse(dsn, chunk, "bounce+ENVTOK@bounce.example.net");
		is_str(nf_report_token(r), "ENVTOK", "envelope recipient wins for the token");
		nf_report_free(r);

		r = parse(arf, chunk, NULL);
		x = nf_report_get(r, 0);
		is_str(nf_report_kind_name(nf_report_kind(r)), "arf", "ARF kind");
		is_str(x ? x->recipient : "", "user@provider.example", "Original-Rcpt-To");
		is_str(x ? x->action : "", "complaint", "complaint action");
		is_str(x ? x->reason : "", "feedback", "feedback reason");
		is_str(x ? x->feedback_type : "", "abuse", "feedback type");
		ok(x && !x->hard, "complaint is not hard");
		is_str(nf_report_token(r), "ARFTOK", "token from X-Notifilter-ID of the returned message");
		is_str(nf_report_arf_field(r, "source-ip"), "192.0.2.7", "Source-IP");
		is_str(nf_report_arf_field(r, "original-mail-from"), "<bounce+T9@bounce.example.net>",
		    "Original-Mail-From");
		is_str(nf_report_arf_field(r, "arrival-date"), "Mon, 1 Jan 2024 00:00:00 +0000",
		    "Arrival-Date");
		nf_report_free(r);

		r = parse(qmail, chunk, NULL);
		x = nf_report_get(r, 0);
		is_str(nf_report_kind_name(nf_report_kind(r)), "heuristic", "qmail: free text");
		is_str(x ? x->recipient : "", "full@example.com", "qmail recipient");
		is_str(x ? x->reason : "", "mailboxfull", "qmail reason");
		is_str(x ? x->status : "", "5.2.2", "qmail status");
		is_str(nf_report_token(r), "QTOK", "token quoted in the text copy");
		is_str(nf_report_message_id(r), "m3@app", "Message-ID quoted in the text copy");
		nf_report_free(r);

		r = parse(vacation, chunk, NULL);
		x = nf_report_get(r, 0);
		is_str(nf_report_kind_name(nf_report_kind(r)), "autoreply", "auto-reply kind");
		is_str(x ? x->reason : "", "vacation", "vacation reason");
		is_str(x ? x->action : "", "delivered", "an auto-reply means delivered");
		is_str(x ? x->recipient : "", "someone@example.com", "auto-reply sender");
		nf_report_free(r);

		r = parse(notreport, chunk, NULL);
		is_int(nf_report_count(r), 0, "an ordinary message reports nothing");
		is_str(nf_report_kind_name(nf_report_kind(r)), "none", "kind none");
		is_str(nf_report_token(r), "", "no token");
		nf_report_free(r);
	}
	{	/* a free-text notice that puts the reason before the address */
		static const char pre[] =
		    "From: MAILER-DAEMON@mx.example.org\n"
		    "Subject: Undeliverable mail\n"
		    "\n"
		    "Mailbox does not exist: nobody@example.net\n"
		    "\n"
		    "Original message follows.\n";
		/* PowerMTA's own verdict names the reason */
		static const char pmta[] =
		    "From: postmaster@mta.example.org\n"
		    "Subject: Delivery report\n"
		    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
		    "\n--B\nContent-Type: message/delivery-status\n\n"
		    "Reporting-MTA: dns; mta.example.org\n\n"
		    "Final-Recipient: rfc822; gone@example.net\n"
		    "Action: failed\n"
		    "Status: 5.2.1\n"
		    "Diagnostic-Code: smtp; 550 5.2.1 <gone@example.net>... User Unknown\n"
		    "X-PowerMTA-BounceCategory: bad-mailbox\n"
		    "\n--B--\n";
		struct nf_report *r = parse(pre, 4096, NULL);
		const struct nf_report_rcpt *x = nf_report_get(r, 0);

		is_str(x ? x->recipient : "", "nobody@example.net", "reason-first line: recipient");
		is_str(x ? x->diagnostic : "", "Mailbox does not exist:", "reason-first line: its words");
		nf_report_free(r);
		r = parse(pmta, 4096, NULL);
		x = nf_report_get(r, 0);
		is_str(x ? x->reason : "", "userunknown", "PowerMTA bad-mailbox beats 5.2.1");
		ok(x && x->hard, "PowerMTA bad-mailbox is hard");
		nf_report_free(r);
	}
	{	/* limits hold: many recipients are cut and flagged */
		struct nf_report_limits lim = { .mime = { 8192, 16384, 500, 16, 1 << 20 },
			.max_rcpts = 3, .max_text = 4096 };
		struct nf_report *r = nf_report_new(&lim);
		char line[128];
		int i;

		nf_report_push(r, "Content-Type: message/delivery-status\n\n", 39);
		for (i = 0; i < 10; i++) {
			snprintf(line, sizeof(line), "Final-Recipient: rfc822; u%d@example.com\n"
			    "Action: failed\nStatus: 5.0.0\n\n", i);
			nf_report_push(r, line, strlen(line));
		}
		nf_report_finish(r);
		is_int(nf_report_count(r), 3, "at most max_rcpts results");
		ok(nf_report_flags(r) & NF_REPORT_CUT_RCPTS, "cut recipients flagged");
		nf_report_free(r);
	}
	return tap_done();
}
