/*
 * t_report.c - the report API end to end on small hand-made messages:
 * kinds, recipients, token sources, Message-ID, ARF fields, auto-replies,
 * free-text bounces and non-reports; each pushed whole and byte by byte.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "report.h"
#include "report_mta.h"
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


/* One DSN for `rcpt` with this Diagnostic-Code and Remote-MTA ("" none). */
static struct nf_report *
dsn_for(const char *rcpt, const char *status, const char *diag, const char *mta)
{
	char msg[2048];

	snprintf(msg, sizeof(msg),
	    "From: MAILER-DAEMON@out.example.com\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
	    "\n--B\nContent-Type: text/plain\n\nI'm sorry.\n"
	    "\n--B\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; out.example.com\n\n"
	    "Final-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n%s%s%s"
	    "Diagnostic-Code: smtp; %s\n\n--B--\n",
	    rcpt, status, mta[0] ? "Remote-MTA: dns; " : "", mta, mta[0] ? "\n" : "", diag);
	return parse(msg, 4096, NULL);
}

static void
expect(struct nf_report *r, const char *rcpt, const char *reason, int hard, const char *what)
{
	const struct nf_report_rcpt *x = r && nf_report_count(r) ? nf_report_get(r, 0) : NULL;

	is_str(x ? x->recipient : "(none)", rcpt, "%s: recipient", what);
	is_str(x ? x->reason : "(none)", reason, "%s: reason", what);
	is_int(x ? x->hard : -1, hard, "%s: hard", what);
	nf_report_free(r);
}

/* The author's templates and the providers' code schemes (report_mta.c),
 * on messages written for the test in each format's shape. */
static void
authors_and_providers(void)
{
	unsigned sig = 0;

	/* McAfee's X-NAI-Header alone is stamped on any mail it touched */
	nf_mta_header(&sig, "X-NAI-Header", " Modified by McAfee Email Gateway", 33);
	is_int(nf_mta_family(sig), NF_MTA_NONE, "McAfee header alone is no author");
	nf_mta_header(&sig, "Subject", "Delivery Status", 15);
	is_int(nf_mta_family(sig), NF_MTA_MCAFEE, "McAfee header + its subject");
	is_int(nf_mta_hint(NF_MTA_MCAFEE, "550 unknown user ann@example.net"),
	    NF_REASON_USERUNKNOWN, "McAfee: unknown user");
	is_int(nf_mta_hint(NF_MTA_NONE, "550 unknown user ann@example.net"), NF_REASON_NONE,
	    "no author, no template hint");
	is_int(nf_mta_hint(NF_MTA_IMAIL, "delivery failed 12 attempts: x"), NF_REASON_EXPIRED,
	    "IMail: a gap in a template phrase");

	/* IMail: the same words a generic notice leaves to the SMTP stage */
	expect(parse("From: postmaster@mail.example.org\n"
	    "X-Mailer: <SMTP32 v8.15>\n"
	    "Subject: Undeliverable Mail\n\n"
	    "Invalid final delivery userid: bob@example.org\n\n"
	    "Original message follows.\n", 4096, NULL),
	    "bob@example.org", "userunknown", 1, "IMail final delivery userid");
	/* Exchange 5.5 IMS: the hexadecimal code is the verdict */
	expect(parse("From: System Administrator <postmaster@corp.example.com>\n"
	    "X-MS-Embedded-Report: \n"
	    "Subject: Undeliverable: hello\n\n"
	    "Your message\n\n  To: carol@corp.example.com\n  Subject: hello\n\n"
	    "did not reach the following recipient(s):\n\n"
	    "carol@corp.example.com on Mon, 3 Mar 2003 10:00:00 +0100\n"
	    "    The recipient name is not recognized\n"
	    "    MSEXCH:IMS:Corp:Site:MAIL1 0 (000C05A6) Unknown Recipient\n", 4096, NULL),
	    "carol@corp.example.com", "userunknown", 1, "Exchange IMS 000C05A6");
	/* fml: the list refused the post; the list is the recipient */
	expect(parse("From: cats-admin@lists.example.org\n"
	    "Subject: You dan@example.net are not member (cats ML)\n"
	    "X-MLServer: fml [fml 4.0.3 release]\n"
	    "Message-ID: <200101010000.FMLAAA0001.cats@lists.example.org>\n\n"
	    "You are not a member of this mailing list <cats@lists.example.org>.\n\n"
	    "Original mail as follows:\n\nFrom: dan@example.net\n", 4096, NULL),
	    "cats@lists.example.org", "rejected", 0, "fml not a member");

	/* Orange / La Poste: the code names the case, on their domains */
	expect(dsn_for("erin@orange.fr", "5.1.1",
	    "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]", ""),
	    "erin@orange.fr", "mailboxfull", 0, "Orange OFR_417");
	expect(dsn_for("erin@laposte.net", "5.5.0",
	    "550 5.5.0 Le compte du destinataire est bloque. LPN007_420", ""),
	    "erin@laposte.net", "suspend", 0, "La Poste LPN007_420");
	/* the same words elsewhere are left to the generic reading */
	expect(dsn_for("erin@example.org", "5.1.1",
	    "550 5.1.1 unknown user. OFR_417 [417]", ""),
	    "erin@example.org", "userunknown", 1, "an Orange code off Orange");
	/* Cox, Spectrum, GoDaddy (by the remote host), Mimecast */
	expect(dsn_for("fred@cox.net", "5.7.1",
	    "554 5.7.1 mx.cox.net rejected due to reputation AUP#CXBL", ""),
	    "fred@cox.net", "blocked", 0, "Cox AUP#CXBL");
	expect(dsn_for("gina@charter.net", "4.7.0",
	    "421 4.7.0 too many messages AUP#I-1410", ""),
	    "gina@charter.net", "toomanyconn", 0, "Spectrum AUP#I-1410 range");
	expect(dsn_for("hank@example.biz", "5.1.1",
	    "550 5.1.1 <hank@example.biz> This IP has sent too many messages this hour. IB504",
	    "smtp.secureserver.net"),
	    "hank@example.biz", "toomanyconn", 0, "GoDaddy IB504 beats 5.1.1");
	expect(dsn_for("ivy@example.co.uk", "5.0.0",
	    "554 Host network not allowed - see the provider's documentation",
	    "eu-smtp-1.mimecast.com"),
	    "ivy@example.co.uk", "policyviolation", 0, "Mimecast 554 host network");
	/* the server a free-text diagnostic names picks the provider */
	expect(parse("From: Mail Delivery System <Mailer-Daemon@relay.example.org>\n"
	    "Subject: Mail delivery failed: returning message to sender\n\n"
	    "A message that you sent could not be delivered to one or more of its\n"
	    "recipients. This is a permanent error. The following address(es) failed:\n\n"
	    "  lea@example.fr\n"
	    "    SMTP error from remote mail server after end of data:\n"
	    "    host smtp-in.orange.fr [192.0.2.9]: 550 5.2.0 Mail rejected. OFR_506 [506]\n\n"
	    "------ This is a copy of the message, including all the headers. ------\n",
	    4096, NULL), "lea@example.fr", "spamdetected", 0, "Orange host in the diagnostic");
	/* James lists the envelope, which names no failing command */
	expect(parse("From: postmaster@james.example.net\n"
	    "Subject: [BOUNCE]\n\n"
	    "Error: Invalid user address\n\nError message below:\n"
	    "550 - Requested action not taken: no such user here\n\n"
	    "Message details:\n  Subject: hi\n  MAIL FROM: me@example.com\n"
	    "  RCPT TO: 5550100@sms.example.net\n", 4096, NULL),
	    "5550100@sms.example.net", "filtered", 0, "James envelope listing");
	/* a DSN field may name a host of one label */
	expect(dsn_for("jack@mailhub", "5.1.1", "550 5.1.1 user unknown", ""),
	    "jack@mailhub", "userunknown", 1, "dotless Final-Recipient");
	/* X-Failed-Recipients that the text does not name: the text's list */
	expect(parse("From: Mail Delivery System <Mailer-Daemon@relay.example.org>\n"
	    "X-Failed-Recipients: kim@old.example.org\n"
	    "Subject: Mail delivery failed: returning message to sender\n\n"
	    "A message that you sent could not be delivered to one or more of its\n"
	    "recipients. This is a permanent error. The following address(es) failed:\n\n"
	    "  kim@new.example.org\n"
	    "    SMTP error from remote mail server after RCPT TO:<kim@new.example.org>:\n"
	    "    host mx.new.example.org [192.0.2.7]: 550 5.1.1 No such user\n\n"
	    "------ This is a copy of the message, including all the headers. ------\n",
	    4096, NULL), "kim@new.example.org", "userunknown", 1,
	    "X-Failed-Recipients not in the text");
}

/* A report reset after one message reads the next exactly as a fresh one:
 * same kind, token, flags and results, nothing left from before (the
 * earlier message is an ARF with a token, a cut line and an HTML part). */
/* Robustness of the generic readers: a second DSN after the report's
 * close delimiter, a display name that is itself an address, and a
 * failure listed without an address or a code. */
static void
appended_and_listed(void)
{
	static const char two[] =
	    "From: MAILER-DAEMON@relay.example.com\n"
	    "Subject: Delivery Status Notification\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"X1\"\n"
	    "\n--X1\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; relay.example.com\n\n"
	    "Final-Recipient: rfc822; first@example.net\nAction: failed\nStatus: 5.1.1\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 no such user\n"
	    "\n--X1--\n\n"
	    "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
	    "From: MAILER-DAEMON@relay.example.com\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"Y2\"\n"
	    "\n--Y2\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; relay.example.com\n\n"
	    "Final-Recipient: rfc822; second@example.net\nAction: failed\nStatus: 5.2.2\n"
	    "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\n"
	    "\n--Y2--\n";
	static const char epilogue_text[] =
	    "From: MAILER-DAEMON@relay.example.com\n"
	    "Content-Type: multipart/mixed; boundary=\"Z3\"\n"
	    "\n--Z3\nContent-Type: text/plain\n\nhello\n--Z3--\n"
	    "Final-Recipient: rfc822; nobody@example.net\nAction: failed\n";
	static const char named[] =
	    "From: Mail Delivery System <mailer-daemon@mx.example.org>\n"
	    "Subject: Mail failure - malformed recipient address\n"
	    "\nA message that you sent contained recipient addresses that were "
	    "incorrectly constructed:\n\n"
	    "  ann@example.org <bob@example.com>: malformed address: <bob@example.com> may "
	    "not follow ann@example.org\n\n"
	    "------ This is a copy of your message, including all the headers. ------\n\n"
	    "To: ann@example.org <bob@example.com>\nSubject: hi\n\nhi\n";
	static const char listed[] =
	    "From: Mail Delivery System <mailer-daemon@mx.example.org>\n"
	    "Subject: Mail delivery failed: returning message to sender\n"
	    "X-Failed-Recipients: carol@example.com\n"
	    "\nThis message was created automatically by mail delivery software.\n\n"
	    "A message that you sent could not be delivered to one or more of its\n"
	    "recipients. This is a permanent error. The following address(es) failed:\n\n"
	    "  pipe to |/usr/local/bin/filter\n    generated by carol-filter\n"
	    "    mailbox is full: retry timeout exceeded\n\n"
	    "------ This is a copy of the message, including all the headers. ------\n\n"
	    "Subject: hi\n\nhi\n";
	static const char bulleted[] =
	    "From: Mail Delivery System <mailer-daemon@mx.example.org>\n"
	    "Subject: Mail delivery failed\n"
	    "X-Failed-Recipients: dave@example.com\n"
	    "\nYour message could not be posted. Some of the possible reasons:\n\n"
	    "  * mailbox is full\n\nThanks.\n";
	size_t chunk;

	for (chunk = 1; chunk <= 4096; chunk *= 4096) {
		struct nf_report *r = parse(two, chunk, NULL);
		const struct nf_report_rcpt *a = nf_report_get(r, 0), *b = nf_report_get(r, 1);

		is_int(nf_report_count(r), 2, "appended DSN: both recipients (chunk %zu)", chunk);
		is_str(a ? a->recipient : "", "first@example.net", "appended DSN: the first");
		is_str(a ? a->reason : "", "userunknown", "appended DSN: first reason");
		is_str(b ? b->recipient : "", "second@example.net", "appended DSN: the second");
		is_str(b ? b->reason : "", "mailboxfull", "appended DSN: second reason");
		nf_report_free(r);
	}
	/* only the epilogue of a multipart/report is read for status fields */
	expect(parse(epilogue_text, 4096, NULL), "(none)", "(none)", -1,
	    "epilogue of a plain multipart");
	expect(parse(named, 4096, NULL), "bob@example.com", "onhold", 0,
	    "address as display name: the angle address");
	{
		struct nf_report *r = parse(listed, 4096, NULL);
		const struct nf_report_rcpt *x = nf_report_get(r, 0);

		is_str(x ? x->diagnostic : "", "pipe to |/usr/local/bin/filter generated by "
		    "carol-filter mailbox is full: retry timeout exceeded",
		    "failure listed under an address lead-in: its lines are the diagnostic");
		expect(r, "carol@example.com", "mailboxfull", 0, "failure listed without code");
	}
	{
		struct nf_report *r = parse(bulleted, 4096, NULL);
		const struct nf_report_rcpt *x = nf_report_get(r, 0);

		is_str(x ? x->diagnostic : "", "", "a list under other words is not a diagnostic");
		nf_report_free(r);
	}
}

static void
reset_reuses(void)
{
	static const char *const msgs[] = { arf, dsn, qmail, vacation, notreport, dsn };
	struct nf_report *reused = nf_report_new(NULL);
	size_t m, i;
	char *big;

	ok(reused != NULL, "reset: report made");
	if (reused == NULL)
		return;
	/* first something that sets cut flags and fills the buffers */
	big = malloc(40000);
	if (big != NULL) {
		memset(big, 'x', 39999);
		big[39999] = '\0';
		nf_report_push(reused, "Subject: delayed\nContent-Type: text/html\n\n<p>", 46);
		nf_report_push(reused, big, 39999);
		nf_report_finish(reused);
		ok(nf_report_flags(reused) != 0, "reset: the first message was cut");
		free(big);
	}
	for (m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		struct nf_report *fresh = parse(msgs[m], 7, NULL);
		const char *msg = msgs[m];
		size_t len = strlen(msg), n;
		int same;

		is_int(nf_report_reset(reused), 0, "reset %zu: returns 0", m);
		for (i = 0; i < len; i += 13)
			nf_report_push(reused, msg + i, len - i < 13 ? len - i : 13);
		nf_report_finish(reused);
		n = nf_report_count(fresh);
		is_int(nf_report_count(reused), n, "reset %zu: count", m);
		is_int(nf_report_kind(reused), nf_report_kind(fresh), "reset %zu: kind", m);
		is_int(nf_report_flags(reused), nf_report_flags(fresh), "reset %zu: flags", m);
		is_str(nf_report_token(reused), nf_report_token(fresh), "reset %zu: token", m);
		is_str(nf_report_message_id(reused), nf_report_message_id(fresh),
		    "reset %zu: message-id", m);
		is_str(nf_report_arf_field(reused, "feedback-type"),
		    nf_report_arf_field(fresh, "feedback-type"), "reset %zu: feedback-type", m);
		same = nf_report_count(reused) == n;
		for (i = 0; same && i < n; i++) {
			const struct nf_report_rcpt *a = nf_report_get(reused, i);
			const struct nf_report_rcpt *b = nf_report_get(fresh, i);

			same = strcmp(a->recipient, b->recipient) == 0 &&
			    strcmp(a->action, b->action) == 0 && strcmp(a->status, b->status) == 0 &&
			    strcmp(a->reason, b->reason) == 0 && a->hard == b->hard &&
			    strcmp(a->diagnostic, b->diagnostic) == 0 &&
			    strcmp(a->remote_mta, b->remote_mta) == 0;
			if (!same)
				diag("reset %zu, result %zu: %s %s %s differs from fresh %s %s %s",
				    m, i, a->recipient, a->reason, a->diagnostic,
				    b->recipient, b->reason, b->diagnostic);
		}
		ok(same, "reset %zu: results as from a fresh report", m);
		nf_report_free(fresh);
	}
	nf_report_free(reused);
}

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
	authors_and_providers();
	reset_reuses();
	appended_and_listed();
	return tap_done();
}
