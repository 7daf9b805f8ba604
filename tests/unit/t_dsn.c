/*
 * t_dsn.c - RFC 3464 and RFC 5965 field parsing, line by line.
 */
#include "config.h"

#include <string.h>

#include "arf.h"
#include "dsn.h"
#include "tap.h"

static void
feed_dsn(struct nf_dsn *d, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		nf_dsn_line(d, p, n);
		p += n + (p[n] == '\n');
	}
	nf_dsn_end(d);
}

int
main(void)
{
	struct nf_dsn d;
	struct nf_arf a;
	char type[32];
	const char *v;

	nf_dsn_init(&d, 8);
	feed_dsn(&d,
	    "Reporting-MTA: dns; mx.example.org\n"
	    "Arrival-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "\n"
	    "Final-Recipient: rfc822; a@example.com\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "Remote-MTA: dns; mx.example.com\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: user\n"
	    "  unknown\n"
	    "\n"
	    "Original-Recipient: rfc822; B@example.com\n"
	    "Final-Recipient: rfc822; b@example.com\n"
	    "Action: delayed\n"
	    "Status: 4.4.1\n");
	is_int(d.n, 2, "two recipient groups");
	is_str(nf_buf_cstr(&d.reporting_mta), "dns; mx.example.org", "Reporting-MTA");
	is_str(nf_buf_cstr(&d.rcpt[0].f[NF_DSN_DIAG]),
	    "smtp; 550 5.1.1 <a@example.com>: user unknown", "Diagnostic-Code unfolded");
	is_str(nf_buf_cstr(&d.rcpt[1].f[NF_DSN_ORIG_RCPT]), "rfc822; B@example.com",
	    "Original-Recipient before Final-Recipient stays in its group");
	is_str(nf_buf_cstr(&d.rcpt[1].f[NF_DSN_ACTION]), "delayed", "second Action");
	nf_dsn_free(&d);
	/* one group, no blank lines, Action first and Original-Recipient after
	 * Final-Recipient (as some providers write it), and PowerMTA's verdict */
	nf_dsn_init(&d, 8);
	feed_dsn(&d,
	    "Reporting-MTA: dns; in.example.net\n"
	    "Action: failed\n"
	    "Final-Recipient: rfc822; c@example.com\n"
	    "Original-Recipient: rfc822; c@example.com\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 no mailbox\n"
	    "Status: 5.1.1\n"
	    "X-PowerMTA-BounceCategory: bad-mailbox\n");
	is_int(d.n, 1, "Original-Recipient after Final-Recipient, before Status: one group");
	is_str(nf_buf_cstr(&d.rcpt[0].f[NF_DSN_STATUS]), "5.1.1", "its Status");
	is_str(nf_buf_cstr(&d.rcpt[0].f[NF_DSN_CATEGORY]), "bad-mailbox", "bounce category kept");
	nf_dsn_free(&d);
	nf_dsn_init(&d, 8);
	feed_dsn(&d,
	    "Final-Recipient: rfc822; a@example.com\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>: user unknown\n");
	v = nf_dsn_typed(nf_buf_cstr(&d.rcpt[0].f[NF_DSN_DIAG]), type, sizeof(type));
	is_str(type, "smtp", "diagnostic type");
	is_str(v, "550 5.1.1 <a@example.com>: user unknown", "diagnostic text");
	v = nf_dsn_typed("no type here; really", type, sizeof(type));
	is_str(type, "", "a value with a space before ';' has no type");
	nf_dsn_free(&d);

	/* no blank line between groups: a repeated Final-Recipient starts one */
	nf_dsn_init(&d, 8);
	feed_dsn(&d, "Final-Recipient: rfc822; a@x.org\nStatus: 5.0.0\n"
	    "Final-Recipient: rfc822; b@x.org\nStatus: 4.0.0\n");
	is_int(d.n, 2, "groups without blank lines");
	nf_dsn_free(&d);

	/* record cap */
	nf_dsn_init(&d, 2);
	feed_dsn(&d, "Final-Recipient: rfc822; a@x.org\n\nFinal-Recipient: rfc822; b@x.org\n\n"
	    "Final-Recipient: rfc822; c@x.org\nAction: failed\n");
	is_int(d.n, 2, "at most max_rcpts records");
	is_int(d.cut, 1, "the dropped record is counted");
	nf_dsn_free(&d);

	nf_arf_init(&a);
	{
		static const char *const lines[] = {
			"Feedback-Type: Abuse", "User-Agent: SomeGenerator/1.0", "Version: 1",
			"Original-Mail-From: <bounce+tok@example.net>",
			"Original-Rcpt-To: <user@example.com>", "Original-Rcpt-To: <u2@example.com>",
			"Source-IP: 192.0.2.1", "Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT",
			"Reported-Domain: example.net",
		};
		size_t i;

		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			nf_arf_line(&a, lines[i], strlen(lines[i]));
		nf_arf_end(&a);
	}
	is_str(nf_buf_cstr(&a.feedback_type), "abuse", "Feedback-Type, lower case");
	is_str(nf_buf_cstr(&a.original_mail_from), "<bounce+tok@example.net>", "Original-Mail-From");
	is_int(a.nrcpt, 2, "two Original-Rcpt-To");
	is_str(nf_buf_cstr(&a.source_ip), "192.0.2.1", "Source-IP");
	is_str(nf_buf_cstr(&a.arrival_date), "Thu, 8 Mar 2005 14:00:00 EDT", "Arrival-Date");
	nf_arf_free(&a);
	return tap_done();
}
