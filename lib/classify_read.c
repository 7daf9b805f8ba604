/*
 * classify_read.c - reading a bounce diagnostic for the classifier: the
 * phrases of classify_tab.c that occur in it, the enhanced status code
 * and the SMTP reply code it quotes, and the SMTP command it says the
 * failure happened at.  classify.c weighs what is found here.
 *
 * The phrases are found in one pass with a first-byte index, built once
 * (pthread_once) from the table and never changed after: the only global
 * state, so every function here is pure and safe from any thread.  The
 * caller owns every text and buffer; nothing is allocated.  Nothing here
 * fails: a text that holds no phrase, code or command gives empty marks,
 * 0 or NF_CMD_NONE; a code that does not fit the caller's buffer is not
 * found.  Texts longer than NF_CLASSIFY_MAXTEXT are judged by their first
 * bytes where a copy is needed (nf_classify_match).
 */
#include "config.h"

#include "classify_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

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
	/* the first (up to) 4 literal bytes of each phrase in bucket order,
	 * as a little-endian word and its mask: one compare rejects almost
	 * every phrase of a bucket before phrase_at() looks closer */
	uint32_t head[MAX_PHRASES], mask[MAX_PHRASES];
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
	for (k = 0; k < ix.first[256]; k++) {
		const char *p = nf_classify_phrases[ix.order[k]].s;
		size_t j, m = ix.pre[ix.order[k]] < 4 ? ix.pre[ix.order[k]] : 4;

		ix.head[k] = ix.mask[k] = 0;
		for (j = 0; j < m; j++) {
			ix.head[k] |= (uint32_t)(unsigned char)p[j] << (8 * j);
			ix.mask[k] |= (uint32_t)0xff << (8 * j);
		}
	}
}

/* t[pos..pos+4) as a little-endian word, zeros past n */
static uint32_t
word_at(const char *t, size_t pos, size_t n)
{
	uint32_t w = 0;
	size_t j;

	for (j = 0; j < 4 && pos + j < n; j++)
		w |= (uint32_t)(unsigned char)t[pos + j] << (8 * j);
	return w;
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

/* One pass over t: every reason some phrase of which occurs, as bit sets
 * by weight (classify.h).  With only >= 0 the search is for that reason
 * alone. */
static void
scan(const char *t, size_t n, int only, struct nf_classify_marks *m)
{
	size_t pos;

	pthread_once(&ix_once, ix_build);
	memset(m, 0, sizeof(*m));
	for (pos = 0; pos < n; pos++) {
		unsigned char c = (unsigned char)t[pos];
		size_t k;
		uint32_t w;

		if (!isalnum(c) || (pos > 0 && isalnum((unsigned char)t[pos - 1])))
			continue;	/* phrases start words */
		if (ix.first[c] == ix.first[c + 1])
			continue;
		w = word_at(t, pos, n);
		for (k = ix.first[c]; k < ix.first[c + 1]; k++) {
			size_t i = ix.order[k];
			const struct nf_classify_phrase *p;
			unsigned long bit, *set;

			if ((w & ix.mask[k]) != ix.head[k])
				continue;	/* the first bytes differ */
			p = &nf_classify_phrases[i];
			bit = 1UL << p->reason;
			if (only >= 0 && p->reason != only)
				continue;
			set = p->weight == 0 ? &m->veto : p->weight == 1 ? &m->weak :
			    p->weight == 2 ? &m->strong : &m->outright;
			if ((*set & bit) == 0 && phrase_at(i, t, pos, n))
				*set |= bit;
		}
	}
	m->strong |= m->outright;
	m->strong &= ~m->veto;
	m->weak &= ~m->veto;
}

void
nf_classify_marks(const char *lc, size_t n, struct nf_classify_marks *m)
{
	scan(lc, n, -1, m);
}

int
nf_classify_match(int reason, const char *text)
{
	char d[NF_CLASSIFY_MAXTEXT + 1];
	struct nf_classify_marks m;
	size_t n = nf_cls_lower_copy(d, text);

	if (reason <= NF_REASON_NONE || reason >= NF_REASON_COUNT)
		return 0;
	scan(d, n, reason, &m);
	return ((m.strong | m.weak) & (1UL << reason)) != 0;
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
	const char *p, *best[5] = { NULL, NULL, NULL, NULL, NULL };
	size_t blen[5] = { 0, 0, 0, 0, 0 }, n;
	int lvl;

	if (dstlen == 0)
		return 0;
	dst[0] = '\0';
	/* preference: "#5.1.1", "550 5.1.1", a 4/5 code with a subject and a
	 * detail (5.7.1 says more than 5.1.0 or 5.0.0), any 4/5 code, then a
	 * 2.x.y code; the first of each kind in the text.  One pass notes
	 * the first code of every kind (this runs on every line that might
	 * hold a code) */
	for (p = text; *p; p++) {
		if (*p == '4' || *p == '5') {
			if ((n = code_at(text, p, is45)) == 0)
				continue;
			if (p > text && p[-1] == '#') {
				best[0] = p;
				blen[0] = n;
				break;	/* nothing is preferred to it */
			}
			if (best[1] == NULL && p - text >= 4 && (p[-1] == ' ' || p[-1] == '-') &&
			    isdigit((unsigned char)p[-2]) && isdigit((unsigned char)p[-3]) &&
			    isdigit((unsigned char)p[-4])) {
				best[1] = p;
				blen[1] = n;
			}
			if (best[2] == NULL &&
			    !(p[2] == '0' || (p[4] == '0' && !isdigit((unsigned char)p[5])))) {
				best[2] = p;
				blen[2] = n;
			}
			if (best[3] == NULL) {
				best[3] = p;
				blen[3] = n;
			}
		} else if (*p == '2' && best[4] == NULL && (n = code_at(text, p, is2)) != 0) {
			best[4] = p;
			blen[4] = n;
		}
	}
	for (lvl = 0; lvl < 5 && best[lvl] == NULL; lvl++)
		;
	if (lvl == 5 || blen[lvl] >= dstlen)
		return 0;
	memcpy(dst, best[lvl], blen[lvl]);
	dst[blen[lvl]] = '\0';
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

/* words of a text and the SMTP command they name */
struct cmd_word {
	const char *s;
	int cmd;
};

/* The command whose name starts at p, or NONE. */
static int
cmd_name(const char *p)
{
	static const struct cmd_word t[] = {
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
	static const struct cmd_word plain[] = {
		{ "rcpt to", NF_CMD_RCPT }, { "smtp:rcpt", NF_CMD_RCPT },
		{ "[rcpt_to]", NF_CMD_RCPT }, { "does not like recipient", NF_CMD_RCPT },
		{ "but sender was rejected", NF_CMD_MAIL },
		{ "but my name was rejected", NF_CMD_EHLO },
		{ "refused to talk to me", NF_CMD_CONN },
		{ "does not like sender", NF_CMD_MAIL },
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
