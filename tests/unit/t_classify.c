/*
 * t_classify.c - reason, hard/soft and code finding, table-driven.
 */
#include "config.h"

#include <string.h>

#include "classify.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		const char *status, *reply, *diag, *action;
		int command;
		const char *want;
		int hard;
	} t[] = {
		{ "5.1.1", "550", "550 5.1.1 <a@b.c>... User Unknown", "failed", NF_CMD_RCPT, "userunknown", 1 },
		{ "5.2.2", "552", "552 5.2.2 Mailbox full", "failed", NF_CMD_RCPT, "mailboxfull", 0 },
		{ "5.0.0", "550", "550 Mailbox quota exceeded", "failed", NF_CMD_NONE, "mailboxfull", 0 },
		{ "5.0.0", "522", "522 Delivery failed: over quota", "failed", NF_CMD_NONE, "mailboxfull", 0 },
		{ "5.1.2", "550", "550 5.1.2 Host unknown", "failed", NF_CMD_NONE, "hostunknown", 1 },
		{ "5.7.1", "554", "554 5.7.1 Message rejected as spam by Content Filtering", "failed", NF_CMD_DATA, "spamdetected", 0 },
		/* at RCPT TO a spam word waits until no recipient reason fits */
		{ "5.7.1", "550", "550 5.7.1 Relaying denied, this looks like spam", "failed", NF_CMD_RCPT, "norelaying", 0 },
		{ "5.7.1", "550", "550 5.7.1 Client host rejected: blocked using zen.spamhaus.org", "failed", NF_CMD_RCPT, "blocked", 0 },
		{ "4.4.7", "", "Message expired", "delayed", NF_CMD_NONE, "expired", 0 },
		{ "5.3.4", "552", "552 5.3.4 Message size exceeds fixed limit", "failed", NF_CMD_DATA, "mesgtoobig", 0 },
		{ "5.0.0", "552", "552 Message too large", "failed", NF_CMD_DATA, "exceedlimit", 0 },
		{ "5.7.1", "550", "550 5.7.1 Relaying denied", "failed", NF_CMD_RCPT, "norelaying", 0 },
		{ "5.1.1", "550", "550 5.1.1 <a@b.c>: Relay access denied", "failed", NF_CMD_RCPT, "norelaying", 0 },
		{ "2.0.0", "250", "250 2.0.0 OK", "delivered", NF_CMD_NONE, "delivered", 0 },
		{ "5.0.0", "", "", "failed", NF_CMD_NONE, "onhold", 0 },
		{ "", "", "", "", NF_CMD_NONE, "undefined", 0 },
		{ "5.0.0", "", "some words nobody knows", "failed", NF_CMD_NONE, "onhold", 0 },
		{ "5.1.10", "556", "556 5.1.10 Host does not accept mail", "failed", NF_CMD_NONE, "notaccept", 1 },
		{ "4.3.2", "421", "421 4.3.2 System not accepting network messages", "delayed", NF_CMD_CONN, "notaccept", 0 },
		{ "5.2.1", "550", "550 5.2.1 This mailbox is disabled", "failed", NF_CMD_RCPT, "suspend", 0 },
		{ "5.7.1", "554", "554 5.7.1 Virus detected in the message", "failed", NF_CMD_DATA, "virusdetected", 0 },
		/* no telling words: the stage alone proves nothing but at the greeting */
		{ "5.0.0", "550", "550 Requested action not taken", "failed", NF_CMD_RCPT, "onhold", 0 },
		{ "5.0.0", "554", "554 Requested action not taken", "failed", NF_CMD_CONN, "blocked", 0 },
		{ "5.0.0", "501", "501 Requested action not taken", "failed", NF_CMD_NONE, "syntaxerror", 0 },
		{ "", "", "", "delayed", NF_CMD_NONE, "expired", 0 },
		/* "user unknown" proves a bad address at RCPT TO or with X.1.1 */
		{ "5.0.0", "550", "550 <a@b.c>: User unknown", "failed", NF_CMD_RCPT, "userunknown", 1 },
		{ "5.0.0", "550", "550 <a@b.c>: User unknown", "failed", NF_CMD_DATA, "filtered", 0 },
		{ "5.0.0", "550", "550 <a@b.c>: User unknown", "failed", NF_CMD_NONE, "filtered", 0 },
		{ "5.2.1", "550", "550 5.2.1 <a@b.c>: User unknown", "failed", NF_CMD_NONE, "filtered", 0 },
		{ "5.1.1", "550", "550 5.1.1 <a@b.c>: User unknown", "failed", NF_CMD_DATA, "userunknown", 1 },
		/* ... and words only a directory lookup writes prove it anywhere */
		{ "5.0.0", "", "The recipient name is not recognized", "failed", NF_CMD_NONE, "userunknown", 1 },
		/* an address status in reply to MAIL FROM is the sender's */
		{ "5.1.0", "553", "553 5.1.0 <s@b.c>... address invalid", "failed", NF_CMD_MAIL, "rejected", 0 },
		{ "5.0.0", "550", "550 Sender address rejected: Domain not found", "failed", NF_CMD_RCPT, "rejected", 0 },
		/* veto: a rejected recipient address is not the sender's */
		{ "5.0.0", "550", "550 <a@b.c>: Recipient address rejected: go away", "failed", NF_CMD_RCPT, "blocked", 0 },
		{ "4.7.1", "450", "450 4.7.1 try later", "delayed", NF_CMD_RCPT, "blocked", 0 },
		{ "4.4.0", "", "Host or domain name not found", "", NF_CMD_NONE, "hostunknown", 1 },
		{ "5.7.1", "550", "550 5.7.1 Too many connections from your host", "failed", NF_CMD_CONN, "toomanyconn", 0 },
		{ "5.7.1", "550", "550 5.7.1 Sender address rejected: Domain not found", "failed", NF_CMD_RCPT, "rejected", 0 },
		{ "5.7.26", "550", "550 5.7.26 message fails the DMARC policy of the domain", "failed", NF_CMD_DATA, "policyviolation", 0 },
		{ "5.7.1", "530", "530 5.7.1 Authentication required", "failed", NF_CMD_MAIL, "securityerror", 0 },
		{ "4.4.7", "", "connect to mx.example.org: Connection timed out", "failed", NF_CMD_NONE, "expired", 0 },
		{ "4.4.1", "", "Sorry, I wasn't able to establish an SMTP connection. I'm not going to try again; this message has been in the queue too long.", "failed", NF_CMD_NONE, "networkerror", 0 },
		{ "4.2.2", "450", "450 4.2.2 Mailbox full; retry timeout exceeded", "failed", NF_CMD_RCPT, "mailboxfull", 0 },
	};
	size_t i;
	char buf[16];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nf_classify_in in = { t[i].status, t[i].reply, t[i].diag, "smtp",
			t[i].action, t[i].command, NF_REASON_NONE };
		int r = nf_classify(&in);

		is_str(nf_reason_name(r), t[i].want, "reason of \"%s\"", t[i].diag);
		is_int(nf_classify_hard(r, t[i].status, t[i].reply), t[i].hard,
		    "hard for \"%s\"", t[i].diag);
	}
	ok(nf_classify_find_status("host 192.0.2.1 said: 550 5.1.1 unknown", buf, sizeof(buf)) &&
	    strcmp(buf, "5.1.1") == 0, "status found after reply code");
	ok(!nf_classify_find_status("from 10.4.5.1 and 5.1.1.1", buf, sizeof(buf)),
	    "IPv4 addresses are not status codes");
	ok(nf_classify_find_status("(#5.1.1) no mailbox", buf, sizeof(buf)) && strcmp(buf, "5.1.1") == 0,
	    "qmail style #5.1.1");
	ok(nf_classify_find_reply("host [192.0.2.1] said: 554 denied", buf, sizeof(buf)) &&
	    strcmp(buf, "554") == 0, "reply code found, not an octet");
	ok(!nf_classify_find_reply("at 12:55:00 on 2024-05-01", buf, sizeof(buf)), "no reply code in a date");
	is_int(nf_classify_command("... (in reply to rcpt to command)"), NF_CMD_RCPT, "RCPT command");
	is_int(nf_classify_command("after end of data"), NF_CMD_DATA, "DATA command");
	is_int(nf_classify_command("smtp error from remote mail server after rcpt to:<a@b.c>"),
	    NF_CMD_RCPT, "Exim's after RCPT TO");
	is_int(nf_classify_command(">>> mail from:<a@b.c>\n<<< 250 ok\n>>> data\n<<< 554 no"),
	    NF_CMD_DATA, "transcript: the last command before the error");
	is_int(nf_classify_command_strict("rcpt to:<a@b.c> was named in passing"), NF_CMD_NONE,
	    "strict mode ignores a command named in passing");
	{
		int strong;

		is_int(nf_classify_code("5.1.1", &strong), NF_REASON_USERUNKNOWN, "5.1.1 is a bad mailbox");
		is_int(strong, 0, "5.1.1 is weighed with the words (a relay refusal wins)");
		is_int(nf_classify_code("5.2.2", &strong), NF_REASON_MAILBOXFULL, "5.2.2 is a full mailbox");
		is_int(strong, 1, "5.2.2 names the reason outright");
		is_int(nf_classify_code("5.7.1", &strong), NF_REASON_SECURITYERROR, "5.7.1 is security/policy");
		is_int(strong, 0, "5.7.1 alone is only a hint");
		is_int(nf_classify_code("4.7.1", &strong), NF_REASON_BLOCKED,
		    "a transient 4.7.1 refuses the sending host");
		is_int(nf_classify_code("5.2.1", &strong), NF_REASON_FILTERED,
		    "5.2.1 is a recipient-side refusal");
		is_int(nf_classify_code("5.4.312", &strong), NF_REASON_NONE,
		    "an unregistered detail is left to the text");
		is_int(nf_classify_code("9.9.9", &strong), NF_REASON_NONE, "not a status code");
	}
	ok(nf_classify_match(NF_REASON_MAILBOXFULL, "552 Mailbox of bob is FULL"), "gap phrase, any case");
	ok(!nf_classify_match(NF_REASON_REJECTED, "550 Recipient address rejected: nope"),
	    "a veto phrase cancels the reason");
	ok(nf_classify_find_status("5.1.0 - Unknown address error 550-'5.7.1 <a@b.c>... denied",
	    buf, sizeof(buf)) && strcmp(buf, "5.7.1") == 0, "a code with subject and detail is preferred");
	is_int(nf_classify_command("192.0.2.1 does not like recipient. remote host said: 550"),
	    NF_CMD_RCPT, "qmail's 'does not like recipient' is RCPT TO");
	is_int(nf_classify_command("connected to 192.0.2.1 but sender was rejected."),
	    NF_CMD_MAIL, "qmail's 'sender was rejected' is MAIL FROM");
	ok(!nf_classify_match(NF_REASON_BLOCKED, "the verbally unblockedness"), "phrases start at a word");
	is_int(nf_reason_from_name("userunknown"), NF_REASON_USERUNKNOWN, "name lookup");
	is_int(nf_reason_from_name("nonsense"), NF_REASON_NONE, "unknown name");
	/* the one-pass code finder keeps the preference order */
	{
		static const struct {
			const char *text, *want;
		} ps[] = {
			{ "2.0.0 ok, 4.0.0 later, 550 5.1.0 x, 5.2.2 full, #5.7.1 no", "5.7.1" },
			{ "2.0.0 ok, 4.0.0 later, 5.2.2 full, 550 5.1.0 x", "5.1.0" },
			{ "2.0.0 ok, 4.0.0 later, 5.1.0 x, 5.2.2 full", "5.2.2" },
			{ "2.0.0 ok, then 4.0.0 later", "4.0.0" },
			{ "delivered: 2.1.5 ok", "2.1.5" },
			{ "nothing here 1.2.3 or 10.4.5.1", "" },
		};
		size_t k;

		for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			int f = nf_classify_find_status(ps[k].text, buf, sizeof(buf));

			is_str(f ? buf : "", ps[k].want, "preferred status code in: %s", ps[k].text);
		}
	}
	/* a memo gives the answers worked out without it, for repeated and
	 * for new texts, beyond the number of slots */
	{
		static const char *const diags[] = {
			"550 5.1.1 <a@b.c>: Recipient address rejected: User unknown",
			"552 5.2.2 mailbox full", "554 5.7.1 message refused as spam",
			"421 4.4.2 connection timed out", "550 5.1.1 <a@b.c>: Recipient address rejected: User unknown",
			"550 relaying denied", "552 5.2.2 mailbox full", "", "smtp; 550 no such user here",
		};
		struct nf_classify_memo memo;
		size_t k, round;
		int same = 1, cmd_same = 1;

		memset(&memo, 0, sizeof(memo));
		for (round = 0; round < 2; round++)
			for (k = 0; k < sizeof(diags) / sizeof(diags[0]); k++) {
				struct nf_classify_in in = { "", "", diags[k], "smtp", "failed",
					(int)(k % 3) == 0 ? NF_CMD_RCPT : NF_CMD_NONE, NF_REASON_NONE };
				const char *lc = k % 2 ? "after rcpt to:<a@b.c>" : ">>> data\n<<< 554 no";

				if (nf_classify_memo(&in, &memo) != nf_classify(&in)) {
					same = 0;
					diag("memo differs for: %s", diags[k]);
				}
				if (nf_classify_command_memo(lc, &memo) != nf_classify_command(lc))
					cmd_same = 0;
			}
		ok(same, "nf_classify_memo answers as nf_classify");
		ok(cmd_same, "nf_classify_command_memo answers as nf_classify_command");
		nf_classify_memo_free(&memo);
		ok(memo.m[0].text == NULL && memo.c[0].text == NULL, "memo freed and emptied");
	}
	return tap_done();
}
