/*
 * classify.c - the decision: reason and hard/soft for bounce diagnostics.
 *
 * The decision (nf_classify) weighs three kinds of evidence, each of them
 * notifilter's own reading of the standards and of what servers write:
 *   - phrases of the server's text (the hand-written table in
 *     classify_tab.c), found by classify_read.c in one pass;
 *   - the enhanced status code, by its RFC 3463 subject and detail;
 *   - the SMTP command the failure happened at and the reply code (a 5xx
 *     to RCPT TO is about the recipient, to MAIL FROM about the sender,
 *     at the greeting or HELO about the sending host, after DATA about
 *     the message).
 * A phrase that names a reason clearly (weight >= 2) decides; a status
 * code whose detail names a reason (X.1.1, X.2.2, ...) comes next; general
 * words and general codes only when nothing better is there.  Finding
 * phrases, codes and commands in a text is classify_read.c's; this file
 * names the reasons, reads a status code's meaning and decides.
 *
 * Everything here is a pure function of its arguments: no global state,
 * safe from any thread.  The only allocation is the copies a caller's
 * struct nf_classify_memo keeps; when one fails the answer is worked out
 * again, never wrong.  Texts longer than NF_CLASSIFY_MAXTEXT are judged
 * by their first bytes.
 */
#include "config.h"

#include "classify_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const reason_names[NF_REASON_COUNT] = {
	"", "blocked", "contenterror", "delivered", "exceedlimit", "expired",
	"feedback", "filtered", "hasmoved", "hostunknown", "mailboxfull",
	"mailererror", "mesgtoobig", "networkerror", "norelaying", "notaccept",
	"onhold", "policyviolation", "rejected", "securityerror", "spamdetected",
	"suspend", "syntaxerror", "systemerror", "systemfull", "toomanyconn",
	"undefined", "userunknown", "vacation", "virusdetected",
};

const char *
nf_reason_name(int r)
{
	if (r <= NF_REASON_NONE || r >= NF_REASON_COUNT)
		return "undefined";
	return reason_names[r];
}

int
nf_reason_from_name(const char *name)
{
	int i;

	for (i = 1; i < NF_REASON_COUNT; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return NF_REASON_NONE;
}

/* Reasons that say little on their own: a status code or a format that
 * names one of them is checked again against the server's words. */
int
nf_classify_vague(int r)
{
	switch (r) {
	case NF_REASON_NONE: case NF_REASON_UNDEFINED: case NF_REASON_ONHOLD:
	case NF_REASON_SYSTEMERROR: case NF_REASON_SECURITYERROR:
	case NF_REASON_NETWORKERROR: case NF_REASON_HOSTUNKNOWN:
	case NF_REASON_USERUNKNOWN:
		return 1;
	default:
		return 0;
	}
}

/*
 * RFC 3463: class.subject.detail.  The subject says what the trouble is
 * about (1 address, 2 mailbox, 3 mail system, 4 network and routing, 5
 * protocol, 6 content, 7 security and policy); the detail narrows it.
 * The reading follows the registry's wording as bounce analysers
 * (Sisimai among them) use it, so that results compare with the corpus:
 * X.2.1 "mailbox disabled, not accepting messages" is read as a
 * recipient-side refusal (filtered), a transient X.7.1 as a refusal of
 * the sending host (blocked), a transient X.4.1 "no answer" as a queue
 * that gave up (expired).  Codes the class does not register (5.4.1 is
 * used, 4.3.0 is not) are left to the text.
 */
struct code_reason {
	char cls;
	unsigned char subject, detail, reason;
};

static const struct code_reason code_tab[] = {
	{ '2', 1, 5, NF_REASON_DELIVERED },	/* destination address valid */
	{ '4', 1, 6, NF_REASON_HASMOVED },	/* mailbox has moved */
	{ '4', 1, 7, NF_REASON_REJECTED },	/* bad sender mailbox syntax */
	{ '4', 1, 8, NF_REASON_REJECTED },	/* bad sender system */
	{ '4', 1, 9, NF_REASON_SYSTEMERROR },	/* relayed to a non-compliant mailer */
	{ '4', 2, 1, NF_REASON_SUSPEND },	/* mailbox disabled (for now) */
	{ '4', 2, 2, NF_REASON_MAILBOXFULL },
	{ '4', 2, 3, NF_REASON_EXCEEDLIMIT },	/* over an administrative length limit */
	{ '4', 2, 4, NF_REASON_FILTERED },	/* list expansion problem */
	{ '4', 3, 1, NF_REASON_SYSTEMFULL },
	{ '4', 3, 2, NF_REASON_NOTACCEPT },
	{ '4', 3, 3, NF_REASON_SYSTEMERROR },
	{ '4', 3, 5, NF_REASON_SYSTEMERROR },	/* incorrectly configured */
	{ '4', 4, 1, NF_REASON_EXPIRED },	/* no answer from host */
	{ '4', 4, 2, NF_REASON_NETWORKERROR },	/* bad connection */
	{ '4', 4, 4, NF_REASON_NETWORKERROR },	/* unable to route */
	{ '4', 4, 5, NF_REASON_SYSTEMFULL },	/* congestion */
	{ '4', 4, 6, NF_REASON_NETWORKERROR },	/* routing loop */
	{ '4', 4, 7, NF_REASON_EXPIRED },	/* delivery time expired */
	{ '4', 5, 3, NF_REASON_SYSTEMERROR },
	{ '4', 5, 5, NF_REASON_SYSTEMERROR },
	{ '4', 6, 0, NF_REASON_CONTENTERROR },
	{ '4', 6, 2, NF_REASON_CONTENTERROR },
	{ '4', 6, 5, NF_REASON_CONTENTERROR },
	{ '4', 7, 1, NF_REASON_BLOCKED },	/* not authorized (for now): the host */
	{ '4', 7, 2, NF_REASON_BLOCKED },
	{ '4', 7, 5, NF_REASON_SECURITYERROR },
	{ '4', 7, 6, NF_REASON_SECURITYERROR },
	{ '4', 7, 7, NF_REASON_SECURITYERROR },
	{ '4', 7, 12, NF_REASON_SECURITYERROR },
	{ '4', 7, 15, NF_REASON_SECURITYERROR },
	{ '4', 7, 16, NF_REASON_MESGTOOBIG },
	{ '4', 7, 24, NF_REASON_SECURITYERROR },
	{ '4', 7, 25, NF_REASON_BLOCKED },	/* reverse DNS failed */
	{ '5', 1, 0, NF_REASON_USERUNKNOWN },
	{ '5', 1, 1, NF_REASON_USERUNKNOWN },	/* bad destination mailbox */
	{ '5', 1, 2, NF_REASON_HOSTUNKNOWN },	/* bad destination system */
	{ '5', 1, 3, NF_REASON_USERUNKNOWN },	/* bad mailbox syntax */
	{ '5', 1, 4, NF_REASON_FILTERED },	/* ambiguous */
	{ '5', 1, 6, NF_REASON_HASMOVED },
	{ '5', 1, 7, NF_REASON_REJECTED },
	{ '5', 1, 8, NF_REASON_REJECTED },
	{ '5', 1, 9, NF_REASON_SYSTEMERROR },
	{ '5', 1, 10, NF_REASON_NOTACCEPT },	/* null MX (RFC 7505) */
	{ '5', 2, 0, NF_REASON_FILTERED },
	{ '5', 2, 1, NF_REASON_FILTERED },	/* not accepting messages */
	{ '5', 2, 2, NF_REASON_MAILBOXFULL },
	{ '5', 2, 3, NF_REASON_EXCEEDLIMIT },
	{ '5', 2, 4, NF_REASON_FILTERED },
	{ '5', 3, 0, NF_REASON_SYSTEMERROR },
	{ '5', 3, 1, NF_REASON_SYSTEMFULL },
	{ '5', 3, 2, NF_REASON_NOTACCEPT },
	{ '5', 3, 3, NF_REASON_SYSTEMERROR },
	{ '5', 3, 4, NF_REASON_MESGTOOBIG },
	{ '5', 3, 5, NF_REASON_SYSTEMERROR },
	{ '5', 4, 0, NF_REASON_NETWORKERROR },
	{ '5', 4, 3, NF_REASON_SYSTEMERROR },	/* directory server failure */
	{ '5', 4, 4, NF_REASON_HOSTUNKNOWN },	/* unable to route */
	{ '5', 5, 3, NF_REASON_TOOMANYCONN },	/* too many recipients */
	{ '5', 5, 4, NF_REASON_SYSTEMERROR },
	{ '5', 5, 5, NF_REASON_SYSTEMERROR },
	{ '5', 5, 6, NF_REASON_SECURITYERROR },
	{ '5', 6, 0, NF_REASON_CONTENTERROR },
	{ '5', 6, 1, NF_REASON_CONTENTERROR },
	{ '5', 6, 2, NF_REASON_CONTENTERROR },
	{ '5', 6, 3, NF_REASON_CONTENTERROR },
	{ '5', 6, 5, NF_REASON_CONTENTERROR },
	{ '5', 6, 6, NF_REASON_CONTENTERROR },
	{ '5', 6, 7, NF_REASON_CONTENTERROR },	/* non-ASCII addresses */
	{ '5', 6, 8, NF_REASON_CONTENTERROR },
	{ '5', 6, 9, NF_REASON_CONTENTERROR },
	{ '5', 7, 0, NF_REASON_SECURITYERROR },
	{ '5', 7, 1, NF_REASON_SECURITYERROR },	/* delivery not authorized */
	{ '5', 7, 2, NF_REASON_SECURITYERROR },
	{ '5', 7, 3, NF_REASON_SECURITYERROR },
	{ '5', 7, 4, NF_REASON_SECURITYERROR },
	{ '5', 7, 5, NF_REASON_SECURITYERROR },
	{ '5', 7, 6, NF_REASON_SECURITYERROR },
	{ '5', 7, 7, NF_REASON_SECURITYERROR },
	{ '5', 7, 8, NF_REASON_SECURITYERROR },	/* bad credentials */
	{ '5', 7, 9, NF_REASON_SECURITYERROR },
	{ '5', 7, 10, NF_REASON_SECURITYERROR },	/* encryption needed */
	{ '5', 7, 11, NF_REASON_SECURITYERROR },
	{ '5', 7, 13, NF_REASON_SUSPEND },	/* user account disabled */
	{ '5', 7, 14, NF_REASON_SECURITYERROR },
	{ '5', 7, 15, NF_REASON_SECURITYERROR },
	{ '5', 7, 16, NF_REASON_MESGTOOBIG },
	{ '5', 7, 17, NF_REASON_HASMOVED },	/* mailbox owner changed */
	{ '5', 7, 18, NF_REASON_HASMOVED },	/* domain owner changed */
	{ '5', 7, 19, NF_REASON_SECURITYERROR },
	{ '5', 7, 20, NF_REASON_SECURITYERROR },	/* DKIM, SPF (RFC 7372) */
	{ '5', 7, 21, NF_REASON_SECURITYERROR },
	{ '5', 7, 22, NF_REASON_SECURITYERROR },
	{ '5', 7, 23, NF_REASON_SECURITYERROR },
	{ '5', 7, 24, NF_REASON_SECURITYERROR },
	{ '5', 7, 25, NF_REASON_BLOCKED },
	{ '5', 7, 26, NF_REASON_SECURITYERROR },
	{ '5', 7, 27, NF_REASON_NOTACCEPT },
};

int
nf_classify_code(const char *status, int *strong)
{
	long subject, detail;
	char *e;
	size_t i;

	*strong = 0;
	if (status == NULL || (status[0] != '2' && status[0] != '4' && status[0] != '5') ||
	    status[1] != '.' || !isdigit((unsigned char)status[2]))
		return NF_REASON_NONE;
	subject = strtol(status + 2, &e, 10);
	if (*e != '.' || !isdigit((unsigned char)e[1]))
		return NF_REASON_NONE;
	detail = strtol(e + 1, &e, 10);
	if (*e != '\0')
		return NF_REASON_NONE;
	for (i = 0; i < sizeof(code_tab) / sizeof(code_tab[0]); i++)
		if (code_tab[i].cls == status[0] && code_tab[i].subject == subject &&
		    code_tab[i].detail == detail) {
			*strong = !nf_classify_vague(code_tab[i].reason);
			return code_tab[i].reason;
		}
	return NF_REASON_NONE;
}

int
nf_classify_hard(int reason, const char *status, const char *reply)
{
	switch (reason) {
	case NF_REASON_USERUNKNOWN:
	case NF_REASON_HOSTUNKNOWN:
	case NF_REASON_HASMOVED:
		return 1;
	case NF_REASON_NOTACCEPT:
		if (status && status[0] == '4')
			return 0;
		if ((status == NULL || status[0] == '\0') && reply && reply[0] == '4')
			return 0;
		return 1;
	default:
		return 0;
	}
}

#define B(r) (1UL << NF_REASON_##r)

/* What the staged decision below looks at, worked out once. */
struct evidence {
	unsigned long m;	/* reasons whose clear phrases occur */
	unsigned long weak;	/* reasons only general words point at */
	int code;		/* reason of the status code, NONE */
	int has_status;
	int cmd;
	int hint;		/* a vague reason the format named, or NONE */
	const char *st;
};

/*
 * Stage 1: the reasons about the recipient and the sending host, in the
 * order in which one explains a refusal better than the next.  Each test
 * combines the status code, the server's words and the SMTP command:
 *   - "no such user" proves an unknown address only where the server
 *     answered RCPT TO, or with an address status (X.1.1); the same words
 *     after DATA, or in a notice that does not say when, are a filter of
 *     the recipient's (a forward, an alias, a rule) refusing the message;
 *   - a spam verdict counts only after the recipients were accepted;
 *   - a relay refusal at the greeting is about the host, not relaying.
 */
static int
stage_recipient(const struct evidence *e)
{
	unsigned long m = e->m;
	int c = e->code, cmd = e->cmd;
	int early = cmd == NF_CMD_CONN || cmd == NF_CMD_EHLO;

	if (e->has_status && (c == NF_REASON_MAILBOXFULL || (m & B(MAILBOXFULL))))
		return NF_REASON_MAILBOXFULL;
	if (c == NF_REASON_MESGTOOBIG || (c != NF_REASON_EXCEEDLIMIT && (m & B(MESGTOOBIG))))
		return NF_REASON_MESGTOOBIG;
	if (e->has_status && (c == NF_REASON_EXCEEDLIMIT || (m & B(EXCEEDLIMIT))))
		return NF_REASON_EXCEEDLIMIT;
	if (e->has_status && (m & B(SUSPEND)))
		return NF_REASON_SUSPEND;
	if (m & B(HASMOVED))
		return NF_REASON_HASMOVED;
	if (!early && (m & B(NORELAYING)) && e->hint != NF_REASON_SECURITYERROR &&
	    e->hint != NF_REASON_SYSTEMERROR)
		return NF_REASON_NORELAYING;
	/* an address status in reply to MAIL FROM is about the sender */
	if (cmd == NF_CMD_MAIL && (c == NF_REASON_USERUNKNOWN || c == NF_REASON_HOSTUNKNOWN) &&
	    e->hint == NF_REASON_NONE)
		return NF_REASON_REJECTED;
	if (e->hint == NF_REASON_USERUNKNOWN)
		return NF_REASON_USERUNKNOWN;
	if (c == NF_REASON_USERUNKNOWN) {
		if (!(m & (B(NORELAYING) | B(BLOCKED) | B(MAILBOXFULL) | B(HASMOVED) |
		    B(REJECTED) | B(NOTACCEPT))))
			return NF_REASON_USERUNKNOWN;
	} else if (cmd == NF_CMD_RCPT && c != NF_REASON_SUSPEND && (m & B(USERUNKNOWN)))
		return NF_REASON_USERUNKNOWN;
	if (c != NF_REASON_SUSPEND && (m & (B(USERUNKNOWN) | B(FILTERED))) &&
	    (c == NF_REASON_FILTERED || (cmd != NF_CMD_RCPT && cmd != NF_CMD_MAIL)))
		return NF_REASON_FILTERED;
	if (c == NF_REASON_REJECTED)
		return NF_REASON_REJECTED;
	if (m & B(REJECTED)) {
		if (cmd == NF_CMD_MAIL)
			return NF_REASON_REJECTED;
		if (cmd == NF_CMD_DATA) {
			if (c != NF_REASON_USERUNKNOWN)
				return NF_REASON_REJECTED;
		} else if (c == NF_REASON_NONE || c == NF_REASON_ONHOLD ||
		    c == NF_REASON_SECURITYERROR || c == NF_REASON_SYSTEMERROR)
			return NF_REASON_REJECTED;
	}
	if (e->hint == NF_REASON_HOSTUNKNOWN)
		return NF_REASON_HOSTUNKNOWN;
	if (c == NF_REASON_HOSTUNKNOWN ? !(m & B(NETWORKERROR)) : (m & B(HOSTUNKNOWN)) != 0)
		return NF_REASON_HOSTUNKNOWN;
	if (e->has_status && (c == NF_REASON_SPAMDETECTED || ((m & B(SPAMDETECTED)) &&
	    !early && cmd != NF_CMD_MAIL && cmd != NF_CMD_RCPT)))
		return NF_REASON_SPAMDETECTED;
	if (c == NF_REASON_TOOMANYCONN || (m & B(TOOMANYCONN)))
		return NF_REASON_TOOMANYCONN;
	if (c == NF_REASON_BLOCKED || (m & B(BLOCKED)))
		return NF_REASON_BLOCKED;
	return NF_REASON_NONE;
}

/*
 * Stage 2: a telling status code; else the words for the message, the
 * receiving system and the network; else the code's class and the
 * diagnostic's type; else where the dialogue broke off.
 */
static int
stage_other(const struct evidence *e, const struct nf_classify_in *in, int smtp)
{
	static const int order[] = {
		NF_REASON_MAILBOXFULL, NF_REASON_SPAMDETECTED, NF_REASON_POLICYVIOLATION,
		NF_REASON_VIRUSDETECTED, NF_REASON_NORELAYING, NF_REASON_SECURITYERROR,
		NF_REASON_SYSTEMERROR, NF_REASON_NETWORKERROR, NF_REASON_SUSPEND,
		NF_REASON_EXPIRED, NF_REASON_CONTENTERROR, NF_REASON_SYSTEMFULL,
		NF_REASON_NOTACCEPT, NF_REASON_MAILERERROR,
	};
	const char *rp = in->reply ? in->reply : "";
	const char *act = in->action ? in->action : "";
	const char *dt = in->diag_type ? in->diag_type : "";
	int r = e->code;
	size_t i;

	if (r != NF_REASON_NONE && !nf_classify_vague(r) &&
	    r != NF_REASON_EXPIRED && smtp)
		return r;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (e->m & (1UL << order[i]))
			return order[i];
	if (r != NF_REASON_NONE)
		return r;
	if ((e->st[0] == '4' || e->st[0] == '5') && e->st[1] == '.' && e->st[3] == '.') {
		if (e->st[2] == '6')
			return NF_REASON_CONTENTERROR;
		if (e->st[2] == '7')
			return NF_REASON_SECURITYERROR;
	}
	if (strcasecmp(dt, "x-unix") == 0 || strcasecmp(dt, "x-postfix") == 0)
		return NF_REASON_MAILERERROR;
	/* 500-507: the server did not understand the command */
	if ((rp[0] == '4' || rp[0] == '5') && rp[1] == '0' && rp[2] >= '0' && rp[2] <= '7')
		return NF_REASON_SYNTAXERROR;
	if (strcmp(act, "delayed") == 0 || strcmp(act, "expired") == 0)
		return NF_REASON_EXPIRED;
	if (e->cmd == NF_CMD_EHLO || e->cmd == NF_CMD_CONN)
		return NF_REASON_BLOCKED;
	return NF_REASON_NONE;
}

/* Is text[0..n) the text of a slot (NULL-safe)? */
static int
same_text(const char *slot, size_t slot_n, const char *text, size_t n)
{
	return slot != NULL && slot_n == n && memcmp(slot, text, n) == 0;
}

static char *
copy_text(const char *text, size_t n)
{
	char *c = malloc(n + 1);

	if (c != NULL) {
		memcpy(c, text, n);
		c[n] = '\0';
	}
	return c;
}

/* The marks of the lower-case text d[0..n), from the memo when it has
 * them (memo may be NULL). */
static void
marks_of(const char *d, size_t n, struct nf_classify_marks *m, struct nf_classify_memo *memo)
{
	unsigned i;
	char *c;

	if (memo != NULL)
		for (i = 0; i < NF_CLASSIFY_MEMO; i++)
			if (same_text(memo->m[i].text, memo->m[i].n, d, n)) {
				*m = memo->m[i].marks;
				return;
			}
	nf_classify_marks(d, n, m);
	if (memo != NULL && (c = copy_text(d, n)) != NULL) {
		i = memo->next_m++ % NF_CLASSIFY_MEMO;
		free(memo->m[i].text);
		memo->m[i].text = c;
		memo->m[i].n = n;
		memo->m[i].marks = *m;
	}
}

int
nf_classify_command_memo(const char *lc, struct nf_classify_memo *memo)
{
	size_t n = strlen(lc);
	unsigned i;
	int cmd;
	char *c;

	for (i = 0; i < NF_CLASSIFY_MEMO; i++)
		if (same_text(memo->c[i].text, memo->c[i].n, lc, n))
			return memo->c[i].cmd;
	cmd = nf_classify_command(lc);
	if ((c = copy_text(lc, n)) != NULL) {
		i = memo->next_c++ % NF_CLASSIFY_MEMO;
		free(memo->c[i].text);
		memo->c[i].text = c;
		memo->c[i].n = n;
		memo->c[i].cmd = cmd;
	}
	return cmd;
}

void
nf_classify_memo_free(struct nf_classify_memo *memo)
{
	unsigned i;

	for (i = 0; i < NF_CLASSIFY_MEMO; i++) {
		free(memo->m[i].text);
		free(memo->c[i].text);
	}
	memset(memo, 0, sizeof(*memo));
}

int
nf_classify(const struct nf_classify_in *in)
{
	return nf_classify_memo(in, NULL);
}

int
nf_classify_memo(const struct nf_classify_in *in, struct nf_classify_memo *memo)
{
	char d[NF_CLASSIFY_MAXTEXT + 1];
	const char *st = in->status ? in->status : "";
	const char *dt = in->diag_type ? in->diag_type : "";
	const char *act = in->action ? in->action : "";
	struct evidence e;
	struct nf_classify_marks marks;
	int r, strong, smtp;
	size_t n;

	if (in->hint == NF_REASON_FEEDBACK || in->hint == NF_REASON_VACATION ||
	    in->hint == NF_REASON_DELIVERED)
		return in->hint;
	/* a reason the report format names in so many words */
	if (in->hint != NF_REASON_NONE && !nf_classify_vague(in->hint))
		return in->hint;
	if (st[0] == '2')
		return NF_REASON_DELIVERED;
	n = nf_cls_lower_copy(d, in->diag ? in->diag : "");
	marks_of(d, n, &marks, memo);
	e.m = marks.strong;
	e.weak = marks.weak;
	e.code = nf_classify_code(st, &strong);
	e.has_status = st[0] != '\0';
	e.cmd = in->command;
	e.hint = in->hint;
	/* words that name the reason outright count as if the format had
	 * named it: a clear reason decides, a vague one is weighed below */
	if (e.hint == NF_REASON_NONE && marks.outright != 0) {
		for (r = 1; r < NF_REASON_COUNT; r++)
			if ((marks.outright & (1UL << r)) && !nf_classify_vague(r))
				return r;
		for (r = 1; r < NF_REASON_COUNT && e.hint == NF_REASON_NONE; r++)
			if (marks.outright & (1UL << r))
				e.hint = r;
	}
	e.st = st;
	/* Postfix writes X-Postfix for its own failures, but a remote
	 * server's reply quoted in it is still an SMTP answer */
	smtp = dt[0] == '\0' || strcasecmp(dt, "smtp") == 0 ||
	    (strcasecmp(dt, "x-postfix") == 0 && in->reply && in->reply[0] != '\0');
	if (smtp && (r = stage_recipient(&e)) != NF_REASON_NONE)
		return r;
	if (e.hint != NF_REASON_NONE && e.hint != NF_REASON_UNDEFINED)
		return e.hint;
	if ((r = stage_other(&e, in, smtp)) != NF_REASON_NONE)
		return r;
	if (strcmp(act, "delayed") == 0)
		return NF_REASON_EXPIRED;
	/* a failure the text does not explain (or the text was not found:
	 * the report still says something failed) */
	if (d[0] != '\0' || st[0] != '\0' || strcmp(act, "failed") == 0)
		return NF_REASON_ONHOLD;
	return NF_REASON_UNDEFINED;
}
