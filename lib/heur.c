/*
 * heur.c - free-text bounce heuristics (see heur.h).
 *
 * No format is recognised by name: the rules are the shapes that bounce
 * templates share.  A failed address stands at the start of a line
 * (optionally in <>, optionally after a short lead-in such as
 * "Recipient:"), the server's answer follows in the same paragraph or the
 * next ones, and the copy of the message starts at a marker line
 * ("--- Below this line is a copy of the message.", "----- Original
 * message -----", "Message headers follow.") or at its first Received: or
 * Return-Path: header.  When no address stands at a line start, every
 * address of the error section counts, but only if that section carries an
 * SMTP code: free text without one is not evidence enough.
 *
 * All work is bounded by the length of the text; nothing is allocated
 * except in the nf_bufs the caller passes.
 */
#include "config.h"

#include "heur.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "classify.h"

#define DIAG_MAX_LINES 14
#define DIAG_MAX 1500

struct line {
	const char *s;
	size_t n;
};

static int
next_line(const char **p, const char *end, struct line *l)
{
	const char *nl;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	l->s = *p;
	l->n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl ? nl + 1 : end;
	return 1;
}

static int
blank(const struct line *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

static int
starts_ci(const struct line *l, const char *p)
{
	size_t k = strlen(p);

	return l->n >= k && strncasecmp(l->s, p, k) == 0;
}

static int
is_marker(const struct line *l)
{
	static const char *const phrases[] = {
		"below this line is a copy of the message",
		"this is a copy of the message",
		"message headers follow",
		"original message follows",
		"copy of the original message",
		"the header of the original message",
		"headers of the original message",
		"original message header",
		"following is a copy of the message",
		"unsent message follows",
		"returned message follows",
		"content-type: message/rfc822",
		"content-type: text/rfc822-headers",
	};	/* each holds "copy", "follow", "original" or "content-type" */
	static const char *const dashed[] = {
		"original message", "original mail", "returned message", "rejected message",
		"undelivered message", "message header",
	};
	char lc[256];
	const char *t;
	size_t i, n = l->n < sizeof(lc) - 1 ? l->n : sizeof(lc) - 1;

	if (l->n > 0 && (l->s[0] | 0x20) == 'r' &&
	    (starts_ci(l, "received: ") || starts_ci(l, "return-path:")))
		return 1;
	/* an mbox separator: a copy of the message follows */
	if (l->n > 5 && memcmp(l->s, "From ", 5) == 0 && memchr(l->s, '@', l->n))
		return 1;
	/* markers are short lines that name a message or its headers */
	if (n < 12 || !(memchr(l->s, 'e', n) || memchr(l->s, 'E', n)))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l->s[i];

		lc[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	lc[n] = '\0';
	if (strstr(lc, "message") == NULL && strstr(lc, "mail") == NULL &&
	    strstr(lc, "header") == NULL)
		return 0;
	/* every phrase holds one of these words: most lines hold none */
	if (strstr(lc, "copy") || strstr(lc, "follow") || strstr(lc, "original") ||
	    strstr(lc, "content-type"))
		for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
			if (strstr(lc, phrases[i]))
				return 1;
	t = lc + strspn(lc, " \t");
	/* "Original Message:" alone on its line, a quoted header block follows */
	if (strncmp(t, "original message", 16) == 0 && strlen(t) < 24)
		return 1;
	if (t[0] && (t[0] == '-' || t[0] == '=' || t[0] == '*' || t[0] == '_') && t[1] == t[0])
		for (i = 0; i < sizeof(dashed) / sizeof(dashed[0]); i++)
			if (strstr(t, dashed[i]))
				return 1;
	return 0;
}

size_t
nf_heur_error_len(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	struct line l;

	while (next_line(&p, end, &l))
		if (is_marker(&l))
			return (size_t)(l.s - text);
	return len;
}

/* Where the error part of text[len] ends: at elen when the caller knows
 * it (NF_HEUR_ELEN: not yet), else where nf_heur_error_len finds it. */
static const char *
error_end(const char *text, size_t len, size_t elen)
{
	if (elen == NF_HEUR_ELEN || elen > len)
		elen = nf_heur_error_len(text, len);
	return text + elen;
}

static int
local_ch(int c)
{
	return isalnum(c) || (c != 0 && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static int
domain_ch(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_';
}

const char *
nf_heur_find_addr(const char *s, const char *end, size_t *alen)
{
	const char *at = s;

	while (at < end && (at = memchr(at, '@', (size_t)(end - at))) != NULL) {
		const char *a = at, *b = at + 1;
		int dot = 0;

		if (a > s + 1 && a[-1] == '"') {
			/* a quoted local part: "john..doe"@example.org */
			const char *q = a - 2;

			while (q >= s && *q != '"' && *q != '<' && *q != '\n' && at - q < 128)
				q--;
			if (q >= s && *q == '"' && q + 1 < a - 1)
				a = q;
		}
		if (a == at) {
			while (a > s && local_ch((unsigned char)a[-1]))
				a--;
			/* a leading quote or '=' from "to=<...>" is not part of it,
			 * but an RFC 2047 encoded word ("=?utf-8?b?...?=") is */
			while (a < at && (*a == '\'' || (*a == '=' && a[1] != '?') || *a == '.' ||
			    *a == '/'))
				a++;
		}
		while (b < end && domain_ch((unsigned char)*b)) {
			if (*b == '.')
				dot = 1;
			b++;
		}
		while (b > at + 1 && (b[-1] == '.' || b[-1] == '-'))
			b--;
		if (a < at && b > at + 1 && dot && memchr(at + 1, '.', (size_t)(b - at - 1)) &&
		    (size_t)(b - a) < NF_HEUR_ADDR_MAX) {
			*alen = (size_t)(b - a);
			return a;
		}
		at++;
	}
	return NULL;
}

void
nf_heur_addr_copy(char *dst, const char *a, size_t alen)
{
	size_t i;

	if (alen >= NF_HEUR_ADDR_MAX)
		alen = NF_HEUR_ADDR_MAX - 1;
	for (i = 0; i < alen; i++)
		dst[i] = (char)tolower((unsigned char)a[i]);
	dst[alen] = '\0';
}

/* Does the lead-in (lower case, blanks squeezed) announce a failed
 * address in words: "could not be delivered to:", "unable to deliver
 * message to", "user mailbox exceeds allowed size:", "did not reach the
 * following recipient:"?  Such a lead-in ends in "to", "for" or a colon and
 * names delivery, a recipient or a mailbox.  With a colon, the address
 * must end the line (`tail` = 1): "Reason: text <addr> text" is prose. */
static int
lead_words(const char *lead, size_t n, int tail)
{
	static const char *const words[] = {
		"deliver", "recipient", "reach", "user", "mailbox",
		"unknown", "invalid", "fail", "undeliverable", "bounce", "reject",
	};
	size_t i;

	if (n >= 13 && strncmp(lead, "delivered-to:", 13) == 0)
		return 0;	/* a quoted header, not an announcement */
	if (n > 0 && lead[n - 1] == ':') {
		if (!tail)
			return 0;
	} else if (!(n > 3 && strcmp(lead + n - 3, " to") == 0) &&
	    !(n > 4 && strcmp(lead + n - 4, " for") == 0)) {
		return 0;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(lead, words[i]))
			return 1;
	return 0;
}

/* A lead-in that is an SMTP reply ("550", "554 5.1.1", "<<< 550"), as in a
 * session transcript: "550 <user@example.org>... User unknown". */
static int
lead_code(const char *lead, size_t n)
{
	if (n < 3 || (lead[0] != '4' && lead[0] != '5') || !isdigit((unsigned char)lead[1]) ||
	    !isdigit((unsigned char)lead[2]))
		return 0;
	if (n == 3)
		return 1;
	/* "550 5.1.1" */
	return n == 9 && lead[3] == ' ' && lead[4] == lead[0] && lead[5] == '.' &&
	    isdigit((unsigned char)lead[6]) && lead[7] == '.' && isdigit((unsigned char)lead[8]);
}

/* Is the address the first thing on the line, after an allowed lead-in?
 * Sets addr, alen and rest (the text after the address).  Returns 0 when
 * not, LEAD_STRONG when the address stands alone at the line start (as in
 * "<user@example.org>:" or a bare list), LEAD_PLAIN otherwise. */
#define LEAD_PLAIN 1
#define LEAD_STRONG 2
static int
lead_addr(const struct line *l, const char **addr, size_t *alen, const char **rest)
{
	static const char *const leadins[] = {
		"", "recipient:", "recipient", "recipients:",
		"recipient address:", "original-recipient:", "final-recipient:",
		"rcpt to:", "address:", "failed recipient:", "failed address:",
		"unknown user:", "user:", "mailbox:", "invalid recipient:",
		"addresses:", "delivery to", "could not deliver to",
		"delivery failed for", "e-mail address:", "email address:",
	};
	const char *e = l->s + l->n, *a, *p, *t;
	char lead[72];
	size_t n = 0, i;
	int tail;

	if (l->n < 6 || memchr(l->s, '@', l->n) == NULL)
		return 0;
	a = nf_heur_find_addr(l->s, e, alen);
	if (a == NULL)
		return 0;
	/* lead-in: the text before the address, without blanks and quoting */
	for (p = l->s; p < a; p++) {
		int c = (unsigned char)*p;

		if (c == '<' || c == '"' || c == '(' || c == '[' || c == '*' || c == '-' ||
		    c == '>' || c == '#' || c == '\'')
			continue;
		if (isspace(c) && (n == 0 || lead[n - 1] == ' '))
			continue;
		if (n + 2 >= sizeof(lead))
			return 0;
		lead[n++] = isspace(c) ? ' ' : (char)tolower(c);
	}
	while (n > 0 && lead[n - 1] == ' ')
		n--;
	lead[n] = '\0';
	p = a + *alen;
	/* the address must end the line or be followed by a separator */
	if (p < e && !(*p == '>' || *p == ':' || *p == ' ' || *p == '\t' || *p == ',' ||
	    *p == ';' || *p == '.' || *p == '"' || *p == ')' || *p == '\'' || *p == ']'))
		return 0;
	for (t = p; t < e && (*t == '>' || *t == '.' || *t == ')' || *t == '"' ||
	    isspace((unsigned char)*t)); t++)
		;
	/* "name <mailbox>" where the name itself looks like an address (a
	 * display name copied from the address, "a@example.org
	 * <b@example.net>: ..."): the angle address is the mailbox (RFC 5322
	 * name-addr), the first one only names it (the same address twice
	 * changes nothing) */
	if (t < e && *t == '<' && *alen > 0) {
		size_t blen;
		const char *b = nf_heur_find_addr(t + 1, e, &blen);

		if (b == t + 1 && b + blen < e && b[blen] == '>' &&
		    !(blen == *alen && strncasecmp(a, b, blen) == 0)) {
			a = b;
			*alen = blen;
			p = b + blen;
			for (t = p; t < e && (*t == '>' || *t == '.' || *t == ')' ||
			    *t == '"' || isspace((unsigned char)*t)); t++)
				;
		}
	}
	tail = t == e;
	for (i = 0; i < sizeof(leadins) / sizeof(leadins[0]); i++)
		if (strcmp(lead, leadins[i]) == 0)
			break;
	/* "To: address" counts inside an indented summary (Exchange), not as
	 * a quoted header at the line start */
	if (i == sizeof(leadins) / sizeof(leadins[0]) &&
	    !((strcmp(lead, "to:") == 0 || strcmp(lead, "to") == 0) && l->n > 0 &&
	    (l->s[0] == ' ' || l->s[0] == '\t')) &&
	    !lead_code(lead, n) && !lead_words(lead, n, tail))
		return 0;
	*addr = a;
	*rest = p;
	/* alone at the start: nothing before it, ':' or nothing after it */
	if (n == 0 && (tail || *t == ':'))
		return LEAD_STRONG;
	return LEAD_PLAIN;
}

static int
has_code(const char *s, size_t n)
{
	char buf[512], tmp[16];
	size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1, i;

	/* most lines hold no "4xx"/"5.x.x": look for a 4 or 5 followed by a
	 * digit or a dot before copying and parsing */
	for (i = 0; i + 1 < k; i++)
		if ((s[i] == '4' || s[i] == '5') && (s[i + 1] == '.' ||
		    (s[i + 1] >= '0' && s[i + 1] <= '9')))
			break;
	if (i + 1 >= k)
		return 0;
	memcpy(buf, s, k);
	buf[k] = '\0';
	if (nf_classify_find_status(buf, tmp, sizeof(tmp)) && (tmp[0] == '4' || tmp[0] == '5'))
		return 1;
	if (nf_classify_find_reply(buf, tmp, sizeof(tmp)) && (tmp[0] == '4' || tmp[0] == '5'))
		return 1;
	return 0;
}

static void
diag_add(struct nf_buf *out, const char *s, size_t n)
{
	size_t i;

	/* trim and squeeze blanks so the text reads as one line */
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || out->len >= DIAG_MAX)
		return;
	if (out->len > 0)
		nf_buf_putc(out, ' ');
	for (i = 0; i < n && out->len < DIAG_MAX; i++) {
		int c = (unsigned char)s[i];

		if (isspace(c)) {
			if (out->len > 0 && out->data[out->len - 1] == ' ')
				continue;
			c = ' ';
		}
		nf_buf_putc(out, (char)c);
	}
}

/* Collect the paragraph(s) after a recipient line `l` whose text after the
 * address starts at `rest`. */
static void
collect(const char *p, const char *end, const struct line *l, const char *rest,
    const char *self, size_t selflen, struct nf_buf *out)
{
	struct line n;
	const char *r = rest, *le = l->s + l->n;
	int lines = 0, paragraphs = 0, in_blank = 0;

	const char *q = self, *w;
	int words = 0;

	while (r < le && (*r == '>' || *r == ':' || *r == '.' || *r == ',' || *r == ';' ||
	    *r == '"' || *r == ')' || *r == ' ' || *r == '\t'))
		r++;
	/* "Unknown user: addr": words before the address on its line are
	 * the reason when nothing follows it */
	while (q > l->s && (q[-1] == '<' || q[-1] == ' ' || q[-1] == '\t' || q[-1] == '"'))
		q--;
	for (w = l->s; w < q; w++)
		words += isalpha((unsigned char)*w) != 0;
	if (r >= le && words >= 6)
		diag_add(out, l->s, (size_t)(q - l->s));
	diag_add(out, r, (size_t)(le - r));
	while (lines < DIAG_MAX_LINES && next_line(&p, end, &n)) {
		const char *a, *rr;
		size_t alen;

		if (blank(&n)) {
			if (!in_blank)
				paragraphs++;
			in_blank = 1;
			if (out->len > 0 && has_code(out->data, out->len))
				break;
			if (paragraphs > 3)
				break;
			continue;
		}
		in_blank = 0;
		if (lead_addr(&n, &a, &alen, &rr) && n.s[0] != ' ' && n.s[0] != '\t' &&
		    ((alen != selflen || strncasecmp(a, self, alen) != 0) || !has_code(n.s, n.n)))
			break;	/* the next recipient */
		if (is_marker(&n))
			break;
		diag_add(out, n.s, n.n);
		lines++;
	}
}

static int
section_has_code(const char *text, const char *end)
{
	const char *p = text;
	struct line l;

	while (next_line(&p, end, &l))
		if (has_code(l.s, l.n))
			return 1;
	return 0;
}

size_t
nf_heur_recipients(const char *text, size_t len, size_t elen, const struct nf_heur_cb *cb)
{
	size_t count = 0;
	const char *p, *end;
	struct line l;
	struct nf_buf diag;
	char addr[NF_HEUR_ADDR_MAX];
	int pass, stop = 0;

	end = error_end(text, len, elen);
	elen = (size_t)(end - text);	/* found once, for the calls below */

	nf_buf_init(&diag, DIAG_MAX + 8);
	for (pass = 0; pass < 2 && count == 0 && !stop; pass++) {
		if (pass == 1 && !section_has_code(text, end))
			break;
		p = text;
		while (count < cb->max && !stop && next_line(&p, end, &l)) {
			const char *a, *rest;
			size_t alen;
			int strength = LEAD_PLAIN;

			if (pass == 0) {
				if ((strength = lead_addr(&l, &a, &alen, &rest)) == 0)
					continue;
			} else {
				a = nf_heur_find_addr(l.s, l.s + l.n, &alen);
				if (a == NULL)
					continue;
				rest = a + alen;
			}
			nf_heur_addr_copy(addr, a, alen);
			if (cb->excluded(cb->ctx, addr, strength == LEAD_STRONG))
				continue;
			nf_buf_reset(&diag);
			if (pass == 0) {
				collect(p, end, &l, rest, a, alen, &diag);
				/* a paragraph without any code, in a section
				 * with one (the reply above the address list):
				 * the code lines say more */
				if (!has_code(diag.data ? diag.data : "", diag.len) &&
				    section_has_code(text, end)) {
					nf_buf_reset(&diag);
					nf_heur_diag_any(text, len, elen, &diag);
				}
			} else
				nf_heur_diag_any(text, len, elen, &diag);
			count++;
			stop = cb->found(cb->ctx, addr, nf_buf_cstr(&diag));
		}
	}
	nf_buf_free(&diag);
	return count;
}

int
nf_heur_diag_for(const char *text, size_t len, size_t elen, const char *addr,
    struct nf_buf *out)
{
	const char *p = text, *end;
	struct line l;
	char a[NF_HEUR_ADDR_MAX];

	end = error_end(text, len, elen);

	while (next_line(&p, end, &l)) {
		const char *s = l.s, *le = l.s + l.n, *f;
		size_t alen;

		while ((f = nf_heur_find_addr(s, le, &alen)) != NULL) {
			nf_heur_addr_copy(a, f, alen);
			if (strcmp(a, addr) == 0) {
				collect(p, end, &l, f + alen, f, alen, out);
				return 1;
			}
			s = f + alen;
		}
	}
	return 0;
}

int
nf_heur_diag_any(const char *text, size_t len, size_t elen, struct nf_buf *out)
{
	const char *p = text, *end;
	struct line l;
	int found = 0, lines = 0;

	end = error_end(text, len, elen);

	while (next_line(&p, end, &l) && lines < DIAG_MAX_LINES) {
		if (!has_code(l.s, l.n))
			continue;
		diag_add(out, l.s, l.n);
		found = 1;
		lines++;
	}
	return found;
}

/* Does s[0..n) hold the lower-case word w, in any case? */
static int
has_ci(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, w, k) == 0)
			return 1;
	return 0;
}

int
nf_heur_diag_indented(const char *text, size_t len, size_t elen, struct nf_buf *out)
{
	const char *p = text, *end;
	struct line l;
	int lines = 0, listed = 0;

	end = error_end(text, len, elen);
	while (next_line(&p, end, &l) && lines < DIAG_MAX_LINES) {
		size_t n = l.n;

		if (blank(&l))
			continue;
		if (l.s[0] == ' ' || l.s[0] == '\t') {
			if (listed) {
				diag_add(out, l.s, l.n);
				lines++;
			}
			continue;
		}
		if (lines > 0)
			break;	/* the list ended */
		while (n > 0 && isspace((unsigned char)l.s[n - 1]))
			n--;
		listed = n > 0 && l.s[n - 1] == ':' &&
		    (has_ci(l.s, n, "address") || has_ci(l.s, n, "recipient"));
	}
	return lines > 0;
}

int
nf_heur_quoted_header(const char *text, size_t len, size_t elen, const char *name,
    struct nf_buf *out)
{
	size_t k = strlen(name);
	const char *p, *end = text + len;
	struct line l;

	p = error_end(text, len, elen);

	while (next_line(&p, end, &l)) {
		const char *v;

		if (l.n <= k || strncasecmp(l.s, name, k) != 0 || l.s[k] != ':')
			continue;
		v = l.s + k + 1;
		while (v < l.s + l.n && (*v == ' ' || *v == '\t'))
			v++;
		nf_buf_reset(out);
		nf_buf_append(out, v, (size_t)(l.s + l.n - v));
		while (out->len > 0 && isspace((unsigned char)out->data[out->len - 1]))
			out->data[--out->len] = '\0';
		return out->len > 0;
	}
	return 0;
}

/* Only reasons a template states outright: a queue-lifetime notice
 * ("retry timeout exceeded", "in the queue too long") also carries the
 * server's last answer, which classify.c weighs first, so those are
 * phrases of the table, not hints. */
int
nf_heur_hint(const char *lc)
{
	static const struct {
		const char *s;
		int reason;
	} t[] = {
		{ "i couldn't find any host named", NF_REASON_HOSTUNKNOWN },
		{ "sorry, i couldn't find any host", NF_REASON_HOSTUNKNOWN },
		{ "host or domain name not found", NF_REASON_HOSTUNKNOWN },
		{ "no mx for ", NF_REASON_HOSTUNKNOWN },
		{ "all relevant mx records point to non-existent hosts", NF_REASON_HOSTUNKNOWN },
		/* Google Groups: the group is gone or does not take posts from you */
		{ "groups.google.com/support", NF_REASON_REJECTED },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strstr(lc, t[i].s))
			return t[i].reason;
	return 0;
}
