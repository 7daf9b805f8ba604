/*
 * classify.c - reason, hard/soft and code finding for bounce diagnostics.
 *
 * The decision (nf_classify) weighs three kinds of evidence, each of them
 * notifilter's own reading of the standards and of what servers write:
 *   - phrases of the server's text (the hand-written table in
 *     classify_tab.c), found in one pass with a first-byte index;
 *   - the enhanced status code, by its RFC 3463 subject and detail;
 *   - the SMTP command the failure happened at and the reply code (a 5xx
 *     to RCPT TO is about the recipient, to MAIL FROM about the sender,
 *     at the greeting or HELO about the sending host, after DATA about
 *     the message).
 * A phrase that names a reason clearly (weight >= 2) decides; a status
 * code whose detail names a reason (X.1.1, X.2.2, ...) comes next; general
 * words and general codes only when nothing better is there.
 *
 * Everything here is a pure function of its arguments: no allocation, no
 * global state but the phrase index built once, safe from any thread.
 * Texts longer than NF_CLASSIFY_MAXTEXT are judged by their first bytes.
 */
#include "config.h"

#include "classify.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NF_CLASSIFY_MAXTEXT 2048

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

/*
 * The phrase index: for every first byte, the phrases that start with it,
 * with the literal lengths around the gap worked out once.
 */
#define MAX_PHRASES 1024
struct phrase_ix {
	unsigned short first[257];	/* bucket b = order[first[b] .. first[b+1]) */
	unsigned short order[MAX_PHRASES];
	unsigned char pre[MAX_PHRASES];	/* bytes before '*' (or all) */
	unsigned char suf[MAX_PHRASES];	/* bytes after '*', 0 = no gap */
	size_t n;
};
static struct phrase_ix ix;
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;

static void
ix_build(void)
{
	size_t i, k = 0;
	unsigned b;

	ix.n = nf_classify_nphrases < MAX_PHRASES ? nf_classify_nphrases : MAX_PHRASES;
	for (i = 0; i < ix.n; i++) {
		const char *s = nf_classify_phrases[i].s, *star = strchr(s, '*');

		ix.pre[i] = (unsigned char)(star ? (size_t)(star - s) : strlen(s));
		ix.suf[i] = (unsigned char)(star ? strlen(star + 1) : 0);
	}
	/* counting sort by first byte, table order kept within a bucket */
	for (b = 0; b < 256; b++) {
		ix.first[b] = (unsigned short)k;
		for (i = 0; i < ix.n; i++)
			if ((unsigned char)nf_classify_phrases[i].s[0] == b)
				ix.order[k++] = (unsigned short)i;
	}
	ix.first[256] = (unsigned short)k;
}

/* Does phrase i match at t[pos..n)? */
static int
phrase_at(size_t i, const char *t, size_t pos, size_t n)
{
	const char *s = nf_classify_phrases[i].s;
	size_t pre = ix.pre[i], suf = ix.suf[i], lim;
	const char *g;

	if (pos + pre > n || memcmp(t + pos, s, pre) != 0)
		return 0;
	if (suf == 0)
		return 1;
	pos += pre;
	lim = n - pos < NF_CLASSIFY_GAP + suf ? n - pos : NF_CLASSIFY_GAP + suf;
	g = memmem(t + pos, lim, s + pre + 1, suf);
	return g != NULL && g > t + pos;	/* the gap holds something */
}

/* One pass over t: the heaviest phrase, the earliest among equals.  With
 * only >= 0 the search is for that reason alone. */
static void
scan(const char *t, size_t n, int only, struct nf_classify_hit *hit)
{
	size_t pos;

	pthread_once(&ix_once, ix_build);
	hit->reason = NF_REASON_NONE;
	hit->weight = 0;
	hit->pos = 0;
	for (pos = 0; pos < n; pos++) {
		unsigned char c = (unsigned char)t[pos];
		size_t k;

		if (!isalnum(c) || (pos > 0 && isalnum((unsigned char)t[pos - 1])))
			continue;	/* phrases start words */
		for (k = ix.first[c]; k < ix.first[c + 1]; k++) {
			size_t i = ix.order[k];
			const struct nf_classify_phrase *p = &nf_classify_phrases[i];

			if (p->weight <= hit->weight || (only >= 0 && p->reason != only))
				continue;
			if (phrase_at(i, t, pos, n)) {
				hit->reason = p->reason;
				hit->weight = p->weight;
				hit->pos = pos;
			}
		}
	}
}

void
nf_classify_scan(const char *lc, size_t n, struct nf_classify_hit *hit)
{
	scan(lc, n, -1, hit);
}

/* lower-case copy of at most NF_CLASSIFY_MAXTEXT bytes */
static size_t
lower_copy(char *d, const char *s)
{
	size_t n;

	for (n = 0; s[n] && n < NF_CLASSIFY_MAXTEXT; n++)
		d[n] = (char)tolower((unsigned char)s[n]);
	d[n] = '\0';
	return n;
}

int
nf_classify_match(int reason, const char *text)
{
	char d[NF_CLASSIFY_MAXTEXT + 1];
	struct nf_classify_hit h;
	size_t n = lower_copy(d, text);

	scan(d, n, reason, &h);
	return h.reason == reason && reason != NF_REASON_NONE;
}

/*
 * RFC 3463: class.subject.detail.  The subject says what the trouble is
 * about (1 address, 2 mailbox, 3 mail system, 4 network and routing, 5
 * protocol, 6 content, 7 security and policy); some details name a reason
 * outright.  Codes outside the RFC that providers use widely follow their
 * published meaning (RFC 7293, 7372, 7505 and later registrations).
 */
int
nf_classify_code(const char *status, int *strong)
{
	static const struct {
		int subject, detail, reason, strong;
	} t[] = {
		{ 1, 0, NF_REASON_USERUNKNOWN, 0 },	/* other address status */
		{ 1, 1, NF_REASON_USERUNKNOWN, 1 },	/* bad destination mailbox */
		{ 1, 2, NF_REASON_HOSTUNKNOWN, 1 },	/* bad destination system */
		{ 1, 3, NF_REASON_USERUNKNOWN, 0 },	/* bad mailbox syntax */
		{ 1, 4, NF_REASON_USERUNKNOWN, 0 },	/* ambiguous mailbox */
		{ 1, 6, NF_REASON_HASMOVED, 1 },	/* mailbox has moved */
		{ 1, 7, NF_REASON_REJECTED, 1 },	/* bad sender mailbox syntax */
		{ 1, 8, NF_REASON_REJECTED, 1 },	/* bad sender system */
		{ 1, 10, NF_REASON_NOTACCEPT, 1 },	/* null MX (RFC 7505) */
		{ 2, 0, NF_REASON_FILTERED, 0 },	/* other mailbox status */
		{ 2, 1, NF_REASON_SUSPEND, 0 },		/* mailbox disabled */
		{ 2, 2, NF_REASON_MAILBOXFULL, 1 },	/* mailbox full */
		{ 2, 3, NF_REASON_EXCEEDLIMIT, 0 },	/* over the mailbox's length limit */
		{ 2, 4, NF_REASON_SYSTEMERROR, 0 },	/* list expansion problem */
		{ 3, 0, NF_REASON_SYSTEMERROR, 0 },
		{ 3, 1, NF_REASON_SYSTEMFULL, 1 },	/* mail system full */
		{ 3, 2, NF_REASON_NOTACCEPT, 0 },	/* not accepting messages */
		{ 3, 3, NF_REASON_SYSTEMERROR, 0 },
		{ 3, 4, NF_REASON_MESGTOOBIG, 1 },	/* message too big for system */
		{ 3, 5, NF_REASON_SYSTEMERROR, 0 },
		{ 4, 0, NF_REASON_NETWORKERROR, 0 },
		{ 4, 1, NF_REASON_NETWORKERROR, 0 },	/* no answer from host */
		{ 4, 2, NF_REASON_NETWORKERROR, 0 },	/* bad connection */
		{ 4, 3, NF_REASON_SYSTEMERROR, 0 },	/* directory server failure */
		{ 4, 4, NF_REASON_HOSTUNKNOWN, 0 },	/* unable to route */
		{ 4, 5, NF_REASON_TOOMANYCONN, 0 },	/* congestion */
		{ 4, 6, NF_REASON_NETWORKERROR, 1 },	/* routing loop */
		{ 4, 7, NF_REASON_EXPIRED, 0 },		/* delivery time expired */
		{ 5, 1, NF_REASON_SYNTAXERROR, 0 },	/* invalid command */
		{ 5, 2, NF_REASON_SYNTAXERROR, 0 },	/* syntax error */
		{ 5, 3, NF_REASON_EXCEEDLIMIT, 0 },	/* too many recipients */
		{ 5, 4, NF_REASON_SYNTAXERROR, 0 },	/* invalid arguments */
		{ 5, 5, NF_REASON_SYSTEMERROR, 0 },	/* wrong protocol version */
		{ 5, 6, NF_REASON_SECURITYERROR, 0 },
		{ 6, 0, NF_REASON_CONTENTERROR, 0 },
		{ 6, 1, NF_REASON_CONTENTERROR, 0 },	/* media not supported */
		{ 6, 2, NF_REASON_CONTENTERROR, 0 },	/* conversion prohibited */
		{ 6, 3, NF_REASON_CONTENTERROR, 0 },
		{ 6, 4, NF_REASON_CONTENTERROR, 0 },
		{ 6, 5, NF_REASON_CONTENTERROR, 0 },
		{ 6, 6, NF_REASON_CONTENTERROR, 0 },
		{ 6, 7, NF_REASON_CONTENTERROR, 0 },	/* non-ASCII addresses */
		{ 6, 8, NF_REASON_CONTENTERROR, 0 },
		{ 6, 9, NF_REASON_CONTENTERROR, 0 },
		{ 6, 10, NF_REASON_CONTENTERROR, 0 },
		{ 7, 0, NF_REASON_SECURITYERROR, 0 },
		{ 7, 1, NF_REASON_SECURITYERROR, 0 },	/* delivery not authorized */
		{ 7, 2, NF_REASON_POLICYVIOLATION, 0 },	/* list expansion prohibited */
		{ 7, 3, NF_REASON_SECURITYERROR, 0 },
		{ 7, 4, NF_REASON_SECURITYERROR, 0 },
		{ 7, 5, NF_REASON_SECURITYERROR, 0 },
		{ 7, 6, NF_REASON_SECURITYERROR, 0 },
		{ 7, 7, NF_REASON_SECURITYERROR, 0 },
		{ 7, 8, NF_REASON_SECURITYERROR, 1 },	/* bad credentials */
		{ 7, 9, NF_REASON_SECURITYERROR, 0 },	/* mechanism too weak */
		{ 7, 10, NF_REASON_SECURITYERROR, 1 },	/* encryption needed */
		{ 7, 11, NF_REASON_SECURITYERROR, 1 },	/* encryption required */
		{ 7, 12, NF_REASON_SECURITYERROR, 1 },	/* password transition */
		{ 7, 13, NF_REASON_SUSPEND, 1 },	/* user account disabled */
		{ 7, 14, NF_REASON_SECURITYERROR, 0 },	/* trust relationship */
		{ 7, 15, NF_REASON_SECURITYERROR, 0 },
		{ 7, 17, NF_REASON_HASMOVED, 1 },	/* mailbox owner changed */
		{ 7, 18, NF_REASON_HASMOVED, 1 },	/* domain owner changed */
		{ 7, 19, NF_REASON_SECURITYERROR, 0 },
		{ 7, 20, NF_REASON_SECURITYERROR, 0 },	/* DKIM, SPF (RFC 7372) */
		{ 7, 21, NF_REASON_SECURITYERROR, 0 },
		{ 7, 22, NF_REASON_SECURITYERROR, 0 },
		{ 7, 23, NF_REASON_SECURITYERROR, 0 },
		{ 7, 24, NF_REASON_SECURITYERROR, 0 },
		{ 7, 25, NF_REASON_BLOCKED, 1 },	/* reverse DNS failed */
		{ 7, 26, NF_REASON_SECURITYERROR, 0 },	/* several checks failed */
		{ 7, 27, NF_REASON_REJECTED, 1 },	/* sender has null MX */
		{ 7, 28, NF_REASON_TOOMANYCONN, 0 },	/* mail flood */
	};
	int subject, detail;
	char *e;
	size_t i;

	*strong = 0;
	if (status == NULL || (status[0] != '4' && status[0] != '5') || status[1] != '.' ||
	    !isdigit((unsigned char)status[2]))
		return NF_REASON_NONE;
	subject = (int)strtol(status + 2, &e, 10);
	if (*e != '.' || !isdigit((unsigned char)e[1]))
		return NF_REASON_NONE;
	detail = (int)strtol(e + 1, NULL, 10);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].subject == subject && t[i].detail == detail) {
			*strong = t[i].strong;
			return t[i].reason;
		}
	/* details past the registry: the subject still tells the kind */
	switch (subject) {
	case 1: return NF_REASON_USERUNKNOWN;
	case 4: return NF_REASON_NETWORKERROR;
	case 6: return NF_REASON_CONTENTERROR;
	case 7: return NF_REASON_SECURITYERROR;
	default: return NF_REASON_NONE;
	}
}

/* Is the code at t[a..b) part of a dotted number such as an IP address? */
static int
in_dotted(const char *t, const char *a, const char *b)
{
	if (a > t + 1 && a[-1] == '.' && isdigit((unsigned char)a[-2]))
		return 1;
	if (b[0] == '.' && isdigit((unsigned char)b[1]))
		return 1;
	return 0;
}

static int
word_edge(const char *t, const char *p)
{
	return p == t || !isalnum((unsigned char)p[-1]);
}

/* A code x.y.z at p: returns its length or 0. */
static size_t
code_at(const char *t, const char *p, int first_ok(int))
{
	const char *q = p;

	if (!first_ok((unsigned char)*q) || q[1] != '.' || !isdigit((unsigned char)q[2]))
		return 0;
	if (!word_edge(t, p))
		return 0;
	q += 2;
	while (isdigit((unsigned char)*q) && q - p < 4)
		q++;
	if (*q != '.' || !isdigit((unsigned char)q[1]))
		return 0;
	q++;
	while (isdigit((unsigned char)*q) && q - p < 10)
		q++;
	if (isalnum((unsigned char)*q))
		return 0;
	if (in_dotted(t, p, q))
		return 0;
	return (size_t)(q - p);
}

static int
is45(int c)
{
	return c == '4' || c == '5';
}

static int
is2(int c)
{
	return c == '2';
}

int
nf_classify_find_status(const char *text, char *dst, size_t dstlen)
{
	const char *p, *best = NULL;
	size_t blen = 0, n;
	int pass;

	if (dstlen == 0)
		return 0;
	dst[0] = '\0';
	/* preference: "#5.1.1", "550 5.1.1", any 4/5 code, then a 2.x.y code */
	for (pass = 0; pass < 4 && best == NULL; pass++) {
		for (p = text; *p; p++) {
			if (pass == 0 && !(p > text && p[-1] == '#'))
				continue;
			if (pass == 1 && !(p - text >= 4 && (p[-1] == ' ' || p[-1] == '-') &&
			    isdigit((unsigned char)p[-2]) && isdigit((unsigned char)p[-3]) &&
			    isdigit((unsigned char)p[-4])))
				continue;
			n = code_at(text, p, pass == 3 ? is2 : is45);
			if (n) {
				best = p;
				blen = n;
				break;
			}
		}
	}
	if (best == NULL || blen >= dstlen)
		return 0;
	memcpy(dst, best, blen);
	dst[blen] = '\0';
	return 1;
}

int
nf_classify_find_reply(const char *text, char *dst, size_t dstlen)
{
	const char *p;

	if (dstlen < 4)
		return 0;
	dst[0] = '\0';
	for (p = text; *p; p++) {
		if (!word_edge(text, p) || !isdigit((unsigned char)p[0]) ||
		    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
		    isalnum((unsigned char)p[3]))
			continue;
		if (p[3] == '.' || (p > text && (p[-1] == '.' || p[-1] == '-' ||
		    p[-1] == '/' || p[-1] == ':' || p[-1] == '+')))
			continue;	/* part of an address, a date, a time */
		if (!((is45(p[0]) && p[1] >= '0' && p[1] <= '5') ||
		    (p[0] == '2' && p[1] == '5' && p[2] >= '0' && p[2] <= '3')))
			continue;
		memcpy(dst, p, 3);
		dst[3] = '\0';
		return 1;
	}
	return 0;
}

/* The command whose name starts at p, or NONE. */
static int
cmd_name(const char *p)
{
	static const struct {
		const char *s;
		int cmd;
	} t[] = {
		{ "rcpt", NF_CMD_RCPT }, { "mail from", NF_CMD_MAIL },
		{ "end of data", NF_CMD_DATA }, { "data", NF_CMD_DATA },
		{ "ehlo", NF_CMD_EHLO }, { "helo", NF_CMD_EHLO }, { "lhlo", NF_CMD_EHLO },
		{ "the helo", NF_CMD_EHLO }, { "initial connection", NF_CMD_CONN },
		{ "connect", NF_CMD_CONN }, { "greeting", NF_CMD_CONN },
		{ "banner", NF_CMD_CONN }, { "message", NF_CMD_DATA },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strncmp(p, t[i].s, strlen(t[i].s)) == 0)
			return t[i].cmd;
	return NF_CMD_NONE;
}

static int
command_of(const char *lc, int loose)
{
	/* words that put the failure at the command that follows them */
	static const char *const lead[] = {
		"in reply to ", "in response to ", "response to ", "after ",
		"while sending ", "while performing ", "during ", "reply to ",
		"smtp command\n", "smtp command:", "smtp command ", "command:",
	};
	static const struct {
		const char *s;
		int cmd;
	} plain[] = {
		{ "rcpt to", NF_CMD_RCPT }, { "smtp:rcpt", NF_CMD_RCPT },
		{ "rcpt command", NF_CMD_RCPT }, { "mail from", NF_CMD_MAIL },
		{ "smtp:mail", NF_CMD_MAIL }, { "smtp:data", NF_CMD_DATA },
		{ "data command", NF_CMD_DATA }, { "final data", NF_CMD_DATA },
		{ "ehlo ", NF_CMD_EHLO }, { "helo ", NF_CMD_EHLO },
	};
	const char *p, *first_err, *last = NULL, *best = NULL;
	size_t i;
	int cmd = NF_CMD_NONE;

	/* "... (in reply to RCPT TO command)", "after end of data" */
	for (i = 0; i < sizeof(lead) / sizeof(lead[0]); i++) {
		size_t k = strlen(lead[i]);

		for (p = lc; (p = strstr(p, lead[i])) != NULL; p += k) {
			int c = cmd_name(p + k);

			if (c == NF_CMD_NONE && strncmp(p + k, "the ", 4) == 0)
				c = cmd_name(p + k + 4);
			if (c == NF_CMD_NONE && p[k] == ' ')
				c = cmd_name(p + k + strspn(p + k, " "));
			if (c != NF_CMD_NONE && (best == NULL || p < best)) {
				best = p;
				cmd = c;
			}
		}
	}
	if (cmd != NF_CMD_NONE)
		return cmd;
	/* a session transcript: the last command sent before the first error */
	first_err = NULL;
	for (p = lc; (p = strstr(p, "<<< ")) != NULL; p += 4)
		if (p[4] == '4' || p[4] == '5') {
			first_err = p;
			break;
		}
	for (p = lc; (p = strstr(p, ">>> ")) != NULL; p += 4) {
		if (first_err && p > first_err)
			break;
		last = p + 4;
	}
	if (last && (cmd = cmd_name(last)) != NF_CMD_NONE)
		return cmd;
	if (!loose)
		return NF_CMD_NONE;
	/* else the first command the text names */
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		p = strstr(lc, plain[i].s);
		if (p && (best == NULL || p < best)) {
			best = p;
			cmd = plain[i].cmd;
		}
	}
	return cmd;
}

int
nf_classify_command(const char *lc)
{
	return command_of(lc, 1);
}

int
nf_classify_command_strict(const char *lc)
{
	return command_of(lc, 0);
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

/* A reason about the recipient, seen at a command that is not about it. */
static int
by_command(int r, int cmd, int code, int strong)
{
	if (strong && code == r)
		return r;	/* "550 5.1.1 user unknown" after DATA is still unknown */
	if (cmd == NF_CMD_MAIL && (r == NF_REASON_USERUNKNOWN || r == NF_REASON_HOSTUNKNOWN))
		return NF_REASON_REJECTED;
	if (cmd == NF_CMD_DATA && r == NF_REASON_USERUNKNOWN)
		return NF_REASON_FILTERED;
	if ((cmd == NF_CMD_CONN || cmd == NF_CMD_EHLO) &&
	    (r == NF_REASON_USERUNKNOWN || r == NF_REASON_REJECTED))
		return NF_REASON_BLOCKED;
	return r;
}

/* The reason before the adjustments of nf_classify(); *sure is 1 when a
 * clear phrase or a telling status code gave it. */
static int
decide(const struct nf_classify_in *in, const char *d, size_t n, int *sure)
{
	struct nf_classify_hit h;
	const char *st = in->status ? in->status : "";
	const char *rp = in->reply ? in->reply : "";
	int strong, code, cmd = in->command;

	*sure = 1;
	scan(d, n, -1, &h);
	if (h.reason == NF_REASON_VACATION)
		h.reason = NF_REASON_NONE, h.weight = 0;
	code = nf_classify_code(st, &strong);
	if (in->hint != NF_REASON_NONE && in->hint != NF_REASON_UNDEFINED &&
	    in->hint != NF_REASON_ONHOLD && h.weight < 3)
		return by_command(in->hint, cmd, code, strong);
	/* a clear phrase decides, but a code naming a different reason
	 * outright wins over a merely clear one */
	if (h.weight >= 2 && !(strong && h.weight == 2 && code != h.reason &&
	    (code == NF_REASON_MAILBOXFULL || code == NF_REASON_MESGTOOBIG ||
	    code == NF_REASON_HASMOVED || code == NF_REASON_SYSTEMFULL)))
		return by_command(h.reason, cmd, code, strong);
	if (strong)
		return code;
	*sure = 0;
	if (h.weight == 1)
		return by_command(h.reason, cmd, code, strong);
	if (code != NF_REASON_NONE)
		return by_command(code, cmd, code, strong);
	/* no words, no telling code: where the dialogue broke off */
	if (rp[0] == '5' || rp[0] == '4' || st[0] == '5') {
		switch (cmd) {
		case NF_CMD_CONN:
		case NF_CMD_EHLO:
			return NF_REASON_BLOCKED;
		case NF_CMD_MAIL:
			return NF_REASON_REJECTED;
		case NF_CMD_RCPT:
			if (rp[0] != '4')
				return NF_REASON_USERUNKNOWN;
			break;
		case NF_CMD_DATA:
			return NF_REASON_FILTERED;
		default:
			break;
		}
	}
	return NF_REASON_NONE;
}

int
nf_classify(const struct nf_classify_in *in)
{
	char d[NF_CLASSIFY_MAXTEXT + 1];
	const char *st = in->status ? in->status : "";
	const char *rp = in->reply ? in->reply : "";
	const char *dt = in->diag_type ? in->diag_type : "";
	const char *act = in->action ? in->action : "";
	int r, sure, temp;
	size_t n;

	if (in->hint == NF_REASON_FEEDBACK || in->hint == NF_REASON_VACATION ||
	    in->hint == NF_REASON_DELIVERED)
		return in->hint;
	if (st[0] == '2')
		return NF_REASON_DELIVERED;
	n = lower_copy(d, in->diag ? in->diag : "");
	r = decide(in, d, n, &sure);
	temp = st[0] == '4' || (st[0] == '\0' && rp[0] == '4');
	/* a name lookup that may work later is no proof the host is gone */
	if (r == NF_REASON_HOSTUNKNOWN && temp)
		r = NF_REASON_NETWORKERROR;
	/* at MAIL FROM a vague refusal is about the sender */
	if (!sure && in->command == NF_CMD_MAIL && (r == NF_REASON_USERUNKNOWN ||
	    r == NF_REASON_FILTERED || r == NF_REASON_SECURITYERROR ||
	    r == NF_REASON_SYSTEMERROR || r == NF_REASON_ONHOLD))
		r = NF_REASON_REJECTED;
	/* a temporary failure the MTA stopped retrying: it expired */
	if (temp && strcmp(act, "failed") == 0 && (r == NF_REASON_NONE ||
	    (r == NF_REASON_NETWORKERROR && st[2] == '4')))
		r = NF_REASON_EXPIRED;
	/* a delay notice: still queued, the trouble so far is the delay */
	if (strcmp(act, "delayed") == 0 && (r == NF_REASON_NETWORKERROR ||
	    r == NF_REASON_SYSTEMERROR || r == NF_REASON_ONHOLD))
		r = NF_REASON_EXPIRED;
	if (r != NF_REASON_NONE)
		return r;
	if (strcasecmp(dt, "x-unix") == 0)
		return NF_REASON_MAILERERROR;
	if (strcmp(act, "delayed") == 0 || strcmp(act, "expired") == 0)
		return NF_REASON_EXPIRED;
	if (rp[0] && rp[1] == '0' && (rp[0] == '4' || rp[0] == '5') && rp[2] >= '0' && rp[2] <= '4')
		return NF_REASON_SYNTAXERROR;
	/* a failure the text does not explain */
	if (d[0] != '\0' || strcmp(act, "failed") == 0)
		return NF_REASON_ONHOLD;
	return NF_REASON_UNDEFINED;
}
