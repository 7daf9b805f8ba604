/*
 * mime.c - bounded push parser for Internet messages (see mime.h).
 *
 * Written here rather than taken from GMime: a bounce parser must read
 * hostile input inside the milter with fixed memory, and the push shape
 * lets the same code serve the milter, the pipe and the fuzzer.
 *
 * Ownership: the parser owns a stack of open entities (at most max_depth),
 * each with one header accumulator and one decode remainder, all nf_bufs
 * with hard maxima; an entry keeps its two buffers when its entity closes,
 * for the next entity at that depth, and they are freed by nf_mime_free()
 * (so memory stays within (max_depth + 1) * (max_header + max_line) plus
 * the line and conversion buffers).  Strings passed to the handler live
 * until it returns.
 * Speed: this is the hot loop of `notifilterctl parse` and of the milter's
 * report intake.  A line that lies whole in the pushed chunk is handed on
 * in place (copied only when it reaches the handler), line ends are found
 * with memchr and each byte is searched once, decoding goes through value
 * tables and local arrays, and the decoded remainder is never rescanned.
 * Whatever the chunking, the events are the same (tests/fuzz/fuzz_mime.c
 * checks it).
 * Failure: only allocation failure is an error (-1); malformed input is
 * read as far as it makes sense (a missing boundary leaves the rest of the
 * message in the current part; a line that is not a header ends a header
 * block; bad base64 characters are skipped).
 */
#include "mime.h"
#include "mime_int.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ent {
	struct nf_mime_part p;
	int in_body;
	int multipart;		/* multipart with a boundary */
	int container;		/* message/rfc822 or rfc822-headers: child parsed */
	int skip;		/* the handler wants no body lines */
	int digest;		/* multipart/digest: default child type */
	size_t nheaders;
	char boundary[80];
	size_t blen;
	struct nf_buf hdr;	/* header field being unfolded */
	struct nf_buf dec;	/* decoded bytes not yet ending a line */
	unsigned b64;		/* base64 bits collected */
	int b64n;		/* number of sextets in b64 */
	size_t dscan;		/* bytes of dec already scanned: no line end there */
	iconv_t cd;		/* charset converter, (iconv_t)-1 when none */
	int outmode;		/* body lines: 0 not yet known, OUT_PLAIN, OUT_CONV */
	int ascii_same;		/* the charset leaves ASCII bytes as they are */
};

enum { OUT_PLAIN = 1, OUT_CONV };

struct nf_mime {
	struct nf_mime_limits lim;
	struct nf_mime_handler h;
	struct ent *ents;	/* max_depth + 1 entries */
	size_t n;		/* open entities */
	size_t nslots;		/* entries set up once: their hdr and dec are
				 * kept when an entity closes, for the next one */
	unsigned nparts;
	struct nf_buf line;	/* raw input line being collected */
	struct nf_buf conv;	/* scratch for charset conversion */
	int cr;			/* last byte was a CR: swallow one LF */
	size_t bytes;
	unsigned flags;
	int stop;		/* handler's stop value, or -1 for nomem */
};

static const struct nf_mime_limits mime_defaults = {
	.max_line = 8192,
	.max_header = 16384,
	.max_headers = 500,
	.max_depth = 16,
	.max_bytes = 32u << 20,
};

static int
emit(struct nf_mime *m, int ev, struct ent *e, const char *name,
    const char *v, size_t len)
{
	int rc;

	if (m->stop)
		return m->stop;
	rc = m->h.fn(m->h.ctx, ev, &e->p, name, v, len);
	if (rc == NF_MIME_SKIP && ev == NF_MIME_BODY) {
		e->skip = 1;
		return 0;
	}
	if (rc)
		m->stop = rc;
	return rc;
}

#define X16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
/* bytes of a header field name: printable ASCII but ':' */
static const unsigned char fname_tab[256] = {
	X16(0), X16(0),
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1,
	X16(1), X16(1), X16(1),
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	X16(0), X16(0), X16(0), X16(0), X16(0), X16(0), X16(0), X16(0)
};
#undef X16

/* The part's type from a constant (all of them fit; cut if one did not). */
static void
set_type(struct ent *e, const char *t)
{
	size_t n = strlen(t);

	if (n >= sizeof(e->p.type))
		n = sizeof(e->p.type) - 1;
	memcpy(e->p.type, t, n);
	e->p.type[n] = '\0';
}

static int
is_text(const struct ent *e)
{
	return strncmp(e->p.type, "text/", 5) == 0;
}

/* A complete decoded body line of entity e, converted to UTF-8 if text.
 * Whether lines need converting is found once per entity, at its first
 * body line (type and charset are final by then). */
static int
body_out(struct nf_mime *m, struct ent *e, const char *s, size_t n)
{
	if (e->outmode == 0) {
		e->outmode = OUT_PLAIN;
		if (is_text(e) && !nf_mime_charset_plain(e->p.charset)) {
			e->cd = iconv_open("UTF-8", e->p.charset);
			if (e->cd != (iconv_t)-1)
				e->outmode = OUT_CONV;
			e->ascii_same = nf_mime_charset_keeps_ascii(e->p.charset);
		}
	}
	if (e->outmode == OUT_CONV && !(e->ascii_same && nf_mime_is_ascii(s, n))) {
		nf_buf_reset(&m->conv);
		if (nf_mime_conv_with(e->cd, s, n, &m->conv) == NF_BUF_NOMEM)
			return m->stop = -1;
		return emit(m, NF_MIME_LINE, e, NULL, nf_buf_cstr(&m->conv), m->conv.len);
	}
	if (s[n] != '\0') {
		/* the handler gets NUL-terminated lines */
		nf_buf_reset(&m->conv);
		if (nf_buf_append(&m->conv, s, n) == NF_BUF_NOMEM)
			return m->stop = -1;
		s = nf_buf_cstr(&m->conv);
	}
	return emit(m, NF_MIME_LINE, e, NULL, s, n);
}

/* Emit the complete lines held in e->dec, keep the rest.  The bytes kept
 * were scanned already and hold no line end (e->dscan of them): a long
 * soft-broken or base64 line is scanned once, not once per input line. */
static int
dec_lines(struct nf_mime *m, struct ent *e, int flush)
{
	size_t i, start = 0;
	char *d = e->dec.data;

	if (d == NULL)
		return 0;
	i = e->dscan;
	while (i < e->dec.len && !m->stop) {
		/* the next CR or LF, by memchr rather than byte by byte */
		size_t rest = e->dec.len - i;
		const char *lf = memchr(d + i, '\n', rest);
		const char *cr = memchr(d + i, '\r', lf ? (size_t)(lf - (d + i)) : rest);
		const char *x = cr ? cr : lf;
		char save;

		if (x == NULL)
			break;
		i = (size_t)(x - d);
		save = d[i];
		d[i] = '\0';
		body_out(m, e, d + start, i - start);
		d[i] = save;
		if (d[i] == '\r' && i + 1 < e->dec.len && d[i + 1] == '\n')
			i++;
		start = ++i;
	}
	if (flush && start < e->dec.len && !m->stop) {
		body_out(m, e, d + start, e->dec.len - start);
		start = e->dec.len;
	}
	if (start > 0) {
		memmove(d, d + start, e->dec.len - start);
		e->dec.len -= start;
		d[e->dec.len] = '\0';
	}
	/* a decoded "line" longer than a line may be: pass it on in pieces */
	if (e->dec.len >= m->lim.max_line && !m->stop) {
		m->flags |= NF_MIME_CUT_LINE;
		body_out(m, e, d, e->dec.len);
		nf_buf_reset(&e->dec);
	}
	e->dscan = e->dec.len;
	return m->stop;
}

static int
dec_append(struct nf_mime *m, struct ent *e, const char *s, size_t n)
{
	if (nf_buf_append(&e->dec, s, n) == NF_BUF_NOMEM)
		return m->stop = -1;
	return 0;
}

static int
body_line(struct nf_mime *m, struct ent *e, const char *l, size_t n)
{
	size_t i;

	if (e->skip)
		return 0;	/* unwanted */
	if (e->p.enc == NF_MIME_QP) {
		size_t end = n;
		int soft = 0;

		char out[1024];
		size_t o = 0;

		while (end > 0 && (l[end - 1] == ' ' || l[end - 1] == '\t'))
			end--;
		if (end > 0 && l[end - 1] == '=') {
			soft = 1;
			end--;
		}
		/* decoded into a local array, appended in pieces; the text
		 * between two '=' is copied as a run */
		i = 0;
		while (i < end && !m->stop) {
			const char *eq = memchr(l + i, '=', end - i);
			size_t run = eq ? (size_t)(eq - (l + i)) : end - i;
			int h1, h2;

			while (run > 0 && !m->stop) {
				size_t take = run < sizeof(out) - o ? run : sizeof(out) - o;

				memcpy(out + o, l + i, take);
				o += take;
				i += take;
				run -= take;
				if (o == sizeof(out)) {
					dec_append(m, e, out, o);
					o = 0;
				}
			}
			if (eq == NULL || m->stop)
				break;
			/* l[i] is '=' */
			if (i + 2 < end && (h1 = nf_mime_hexval(l[i + 1])) >= 0 &&
			    (h2 = nf_mime_hexval(l[i + 2])) >= 0) {
				out[o++] = (char)(h1 * 16 + h2);
				i += 3;
			} else {
				out[o++] = '=';
				i++;
			}
			if (o == sizeof(out)) {
				dec_append(m, e, out, o);
				o = 0;
			}
		}
		if (!soft && !m->stop)
			out[o++] = '\n';	/* o < sizeof(out) here */
		if (o && !m->stop)
			dec_append(m, e, out, o);
		return dec_lines(m, e, 0);
	}
	if (e->p.enc == NF_MIME_BASE64) {
		char out[768];
		size_t o = 0;

		for (i = 0; i < n && !m->stop; i++) {
			int v;

			/* four good characters on a quantum boundary: the usual
			 * case, decoded at once */
			if (e->b64n == 0 && i + 4 <= n && o + 3 <= sizeof(out)) {
				int a = nf_mime_b64val(l[i]), b = nf_mime_b64val(l[i + 1]);
				int c = nf_mime_b64val(l[i + 2]), d = nf_mime_b64val(l[i + 3]);

				if ((a | b | c | d) >= 0) {
					unsigned q = (unsigned)a << 18 | (unsigned)b << 12 |
					    (unsigned)c << 6 | (unsigned)d;

					out[o++] = (char)(q >> 16);
					out[o++] = (char)(q >> 8);
					out[o++] = (char)q;
					i += 3;
					if (o + 3 > sizeof(out)) {
						dec_append(m, e, out, o);
						o = 0;
					}
					continue;
				}
			}
			v = nf_mime_b64val(l[i]);
			if (v < 0)
				continue;
			e->b64 = (e->b64 << 6) | (unsigned)v;
			if (++e->b64n == 4) {
				out[o++] = (char)(e->b64 >> 16);
				out[o++] = (char)(e->b64 >> 8);
				out[o++] = (char)e->b64;
				e->b64 = 0;
				e->b64n = 0;
				if (o + 3 > sizeof(out)) {
					dec_append(m, e, out, o);
					o = 0;
				}
			}
		}
		if (o && !m->stop)
			dec_append(m, e, out, o);
		return dec_lines(m, e, 0);
	}
	return body_out(m, e, l, n);
}

static void
ent_init(struct nf_mime *m, struct ent *e, unsigned depth, unsigned in_message,
    const char *deftype)
{
	size_t slot = (size_t)(e - m->ents);
	struct nf_buf hdr, dec;

	/* an entry used before keeps its two buffers' allocations (emptied;
	 * their maxima do not change): no malloc per entity */
	if (slot < m->nslots) {
		hdr = e->hdr;
		dec = e->dec;
		nf_buf_reset(&hdr);
		nf_buf_reset(&dec);
	} else {
		nf_buf_init(&hdr, m->lim.max_header);
		nf_buf_init(&dec, m->lim.max_line + 4);
		m->nslots = slot + 1;
	}
	memset(e, 0, sizeof(*e));
	e->hdr = hdr;
	e->dec = dec;
	e->p.depth = depth;
	e->p.in_message = in_message;
	e->p.index = m->nparts++;
	set_type(e, deftype);
	e->cd = (iconv_t)-1;
}

/* An entity closes: its converter goes, its buffers stay with the entry. */
static void
ent_release(struct ent *e)
{
	if (e->cd != (iconv_t)-1)
		iconv_close(e->cd);
	e->cd = (iconv_t)-1;
}

static int header_done(struct nf_mime *m, struct ent *e);

static int
pop(struct nf_mime *m)
{
	struct ent *e = &m->ents[m->n - 1];

	if (!e->in_body) {
		/* ended inside its header block (a boundary came first) */
		header_done(m, e);
		e->in_body = 1;
		if (e->p.headers_only)
			set_type(e, "text/plain");
		emit(m, NF_MIME_BODY, e, NULL, NULL, 0);
	}
	if (e->in_body && e->p.enc == NF_MIME_BASE64 && e->b64n >= 2) {
		char o[2] = { (char)(e->b64 >> 4), 0 };

		if (e->b64n == 3) {
			o[0] = (char)(e->b64 >> 10);
			o[1] = (char)(e->b64 >> 2);
		}
		dec_append(m, e, o, (size_t)e->b64n - 1);
	}
	if (e->in_body)
		dec_lines(m, e, 1);
	emit(m, NF_MIME_END, e, NULL, NULL, 0);
	ent_release(e);
	m->n--;
	return m->stop;
}

/* Interpret a finished header field of the top entity and pass it on. */
static int
header_done(struct nf_mime *m, struct ent *e)
{
	char *h = e->hdr.data, *colon, *v;
	size_t nlen, vlen;

	if (h == NULL || e->hdr.len == 0)
		return 0;
	if (e->hdr.truncated)
		m->flags |= NF_MIME_CUT_HEADER;
	colon = memchr(h, ':', e->hdr.len);
	if (colon == NULL)
		goto out;
	nlen = (size_t)(colon - h);
	while (nlen > 0 && (h[nlen - 1] == ' ' || h[nlen - 1] == '\t'))
		nlen--;
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	vlen = e->hdr.len - (size_t)(v - h);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		v[--vlen] = '\0';
	h[nlen] = '\0';
	if (++e->nheaders > m->lim.max_headers) {
		m->flags |= NF_MIME_CUT_HEADERS;
		goto out;
	}
	if (strcasecmp(h, "content-type") == 0 && !e->p.headers_only) {
		size_t tl = strcspn(v, "; \t");

		nf_mime_lower_copy(e->p.type, sizeof(e->p.type), v, tl);
		if (strchr(e->p.type, '/') == NULL)
			set_type(e, "text/plain");
		if (nf_mime_param(v, "charset", e->p.charset, sizeof(e->p.charset)))
			nf_mime_lower_copy(e->p.charset, sizeof(e->p.charset), e->p.charset,
			    strlen(e->p.charset));
		if (nf_mime_param(v, "report-type", e->p.report_type, sizeof(e->p.report_type)))
			nf_mime_lower_copy(e->p.report_type, sizeof(e->p.report_type),
			    e->p.report_type, strlen(e->p.report_type));
		if (!nf_mime_param(v, "boundary", e->boundary, sizeof(e->boundary)))
			e->boundary[0] = '\0';
		e->blen = strlen(e->boundary);
	} else if (strcasecmp(h, "content-transfer-encoding") == 0 && !e->p.headers_only) {
		if (strncasecmp(v, "quoted-printable", 16) == 0)
			e->p.enc = NF_MIME_QP;
		else if (strncasecmp(v, "base64", 6) == 0)
			e->p.enc = NF_MIME_BASE64;
		else
			e->p.enc = NF_MIME_IDENTITY;
	}
	emit(m, NF_MIME_HEADER, e, h, v, vlen);
out:
	nf_buf_reset(&e->hdr);
	return m->stop;
}

static int
push_child(struct nf_mime *m, const char *deftype, int headers_only)
{
	struct ent *parent = &m->ents[m->n - 1];
	struct ent *c;

	if (m->n > m->lim.max_depth) {
		m->flags |= NF_MIME_CUT_DEPTH;
		return 0;
	}
	c = &m->ents[m->n];
	ent_init(m, c, parent->p.depth + 1,
	    parent->p.in_message + (parent->container ? 1 : 0), deftype);
	c->p.headers_only = headers_only;
	m->n++;
	return 1;
}

static int
headers_end(struct nf_mime *m, struct ent *e)
{
	const char *t = e->p.type;

	e->in_body = 1;
	if (e->p.headers_only) {
		/* the header block of a text/rfc822-headers part: the rest is text */
		set_type(e, "text/plain");
		e->p.enc = NF_MIME_IDENTITY;
	}
	if (strncmp(t, "multipart/", 10) == 0) {
		if (e->blen > 0) {
			e->multipart = 1;
			e->digest = strcmp(t, "multipart/digest") == 0;
		} else
			set_type(e, "text/plain");
	}
	emit(m, NF_MIME_BODY, e, NULL, NULL, 0);
	if (m->stop)
		return m->stop;
	if (!e->multipart && e->p.enc == NF_MIME_IDENTITY &&
	    (strcmp(t, "message/rfc822") == 0 || strcmp(t, "message/global") == 0 ||
	    strcmp(t, "text/rfc822-headers") == 0 ||
	    strcmp(t, "message/rfc822-headers") == 0 ||
	    strcmp(t, "text/rfc822-header") == 0)) {
		int ho = strstr(t, "headers") != NULL || strstr(t, "header") != NULL;

		e->container = 1;
		if (!push_child(m, "text/plain", ho))
			e->container = 0;
	}
	return m->stop;
}

static int
header_line(struct nf_mime *m, struct ent *e, const char *l, size_t n)
{
	if (n == 0) {
		if (header_done(m, e))
			return m->stop;
		return headers_end(m, e);
	}
	if (l[0] == ' ' || l[0] == '\t') {
		if (e->hdr.len > 0) {
			if (nf_buf_append(&e->hdr, l, n) == NF_BUF_NOMEM)
				return m->stop = -1;
			return 0;
		}
		if (e->nheaders > 0)
			return 0;	/* stray continuation: skip */
	} else {
		size_t i;

		/* field name: printable ASCII up to a colon */
		for (i = 0; i < n && fname_tab[(unsigned char)l[i]]; i++)
			;
		if (i > 0 && i < n && l[i] == ':') {
			if (header_done(m, e))
				return m->stop;
			if (nf_buf_append(&e->hdr, l, n) == NF_BUF_NOMEM)
				return m->stop = -1;
			return 0;
		}
		if (i < n && l[i] == ' ' && i > 0) {
			/* "Name : value" */
			size_t j = i;

			while (j < n && l[j] == ' ')
				j++;
			if (j < n && l[j] == ':') {
				if (header_done(m, e))
					return m->stop;
				if (nf_buf_append(&e->hdr, l, n) == NF_BUF_NOMEM)
					return m->stop = -1;
				return 0;
			}
		}
	}
	/* not a header: the header block ended without its blank line */
	if (header_done(m, e) || headers_end(m, e))
		return m->stop;
	e = &m->ents[m->n - 1];
	if (!e->in_body)
		return header_line(m, e, l, n);	/* a container's child: its headers */
	return body_line(m, e, l, n);
}

/* Does line l open or close a part of an enclosing multipart?  Returns the
 * index of that multipart entity and sets *close, or -1. */
static long
boundary_of(struct nf_mime *m, const char *l, size_t n, int *close)
{
	size_t i;

	if (n < 3 || l[0] != '-' || l[1] != '-')
		return -1;
	for (i = m->n; i-- > 0;) {
		struct ent *e = &m->ents[i];
		size_t k;

		if (!e->multipart || !e->in_body || e->blen == 0)
			continue;
		if (n < 2 + e->blen || memcmp(l + 2, e->boundary, e->blen) != 0)
			continue;
		k = 2 + e->blen;
		*close = n >= k + 2 && l[k] == '-' && l[k + 1] == '-';
		if (*close)
			k += 2;
		while (k < n && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (k != n)
			continue;	/* a longer boundary that starts the same */
		return (long)i;
	}
	return -1;
}

static int
line_in(struct nf_mime *m, const char *l, size_t n)
{
	struct ent *e;
	int close = 0;
	long b = boundary_of(m, l, n, &close);

	if (b >= 0) {
		while (m->n > (size_t)b + 1)
			if (pop(m))
				return m->stop;
		e = &m->ents[b];
		if (close) {
			/* what follows is the epilogue: passed on marked as such
			 * (a second report appended after it is still read) */
			e->p.epilogue = 1;
			return 0;
		}
		e->p.epilogue = 0;
		push_child(m, e->digest ? "message/rfc822" : "text/plain", 0);
		return 0;
	}
	e = &m->ents[m->n - 1];
	if (!e->in_body) {
		/* an mbox "From " separator before the first header */
		if (m->n == 1 && e->nheaders == 0 && e->hdr.len == 0 && n >= 5 &&
		    memcmp(l, "From ", 5) == 0)
			return 0;
		return header_line(m, e, l, n);
	}
	if (e->container)
		return 0;	/* child popped at its depth limit */
	return body_line(m, e, l, n);
}

struct nf_mime *
nf_mime_new(const struct nf_mime_limits *lim, const struct nf_mime_handler *h)
{
	struct nf_mime *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->lim = lim ? *lim : mime_defaults;
	if (m->lim.max_line < 80)
		m->lim.max_line = 80;
	if (m->lim.max_depth < 1)
		m->lim.max_depth = 1;
	m->h = *h;
	/* not zeroed: ent_init() sets up each entity when it opens */
	m->ents = malloc((m->lim.max_depth + 1) * sizeof(*m->ents));
	if (m->ents == NULL) {
		free(m);
		return NULL;
	}
	nf_buf_init(&m->line, m->lim.max_line);
	nf_buf_init(&m->conv, m->lim.max_line * 4 + 16);
	ent_init(m, &m->ents[0], 0, 0, "text/plain");
	m->n = 1;
	return m;
}

int
nf_mime_push(struct nf_mime *m, const char *data, size_t len)
{
	size_t i = 0;
	/* the next LF and CR at or after data + i, once searched (NULL: none
	 * in the rest of the chunk); each is searched again only when passed */
	const char *lf = NULL, *cr = NULL;
	int lf_known = 0, cr_known = 0;

	if (m->stop)
		return m->stop;
	if (m->bytes >= m->lim.max_bytes) {
		m->flags |= NF_MIME_CUT_BYTES;
		return 0;
	}
	if (len > m->lim.max_bytes - m->bytes) {
		m->flags |= NF_MIME_CUT_BYTES;
		len = m->lim.max_bytes - m->bytes;
	}
	m->bytes += len;
	while (i < len && !m->stop) {
		const char *p = data + i;
		size_t rest = len - i, k;

		if (m->cr) {
			m->cr = 0;
			if (*p == '\n') {
				i++;
				continue;
			}
		}
		{
			/* the nearest line end (memchr is much faster than a byte
			 * loop); a CR or LF found is kept while it lies ahead, so
			 * every byte of the chunk is searched at most once for each
			 * (input with bare CRs, or with no CR, is not searched to
			 * its end once per line) */
			const char *e;

			if (!lf_known || (lf != NULL && lf < p)) {
				lf = memchr(p, '\n', rest);
				lf_known = 1;
			}
			if (!cr_known || (cr != NULL && cr < p)) {
				cr = memchr(p, '\r', rest);
				cr_known = 1;
			}
			e = cr && (!lf || cr < lf) ? cr : lf;
			k = e ? (size_t)(e - p) : rest;
		}
		if (m->line.len == 0 && k < rest && k < m->lim.max_line) {
			/* a whole line inside the chunk: handed on in place, not
			 * copied (line_in needs no NUL; body_out adds one when the
			 * line is passed on) */
			i += k + 1;
			m->cr = p[k] == '\r';
			line_in(m, p, k);
			continue;
		}
		if (k > 0) {
			size_t room = m->lim.max_line - m->line.len;
			size_t take = k < room ? k : room;

			if (nf_buf_append(&m->line, p, take) == NF_BUF_NOMEM)
				return m->stop = -1;
			if (take < k || m->line.len >= m->lim.max_line) {
				/* overlong line: hand on what we have, go on */
				m->flags |= NF_MIME_CUT_LINE;
				line_in(m, nf_buf_cstr(&m->line), m->line.len);
				nf_buf_reset(&m->line);
				i += take;
				continue;
			}
		}
		i += k;
		if (k == rest)
			break;
		m->cr = p[k] == '\r';
		i++;
		line_in(m, nf_buf_cstr(&m->line), m->line.len);
		nf_buf_reset(&m->line);
	}
	return m->stop;
}

int
nf_mime_finish(struct nf_mime *m)
{
	if (m->line.len > 0 && !m->stop) {
		line_in(m, nf_buf_cstr(&m->line), m->line.len);
		nf_buf_reset(&m->line);
	}
	while (m->n > 0 && !m->stop) {
		struct ent *e = &m->ents[m->n - 1];

		if (!e->in_body && (header_done(m, e) || headers_end(m, e)))
			break;
		e = &m->ents[m->n - 1];
		if (!e->in_body)
			continue;	/* a child just opened: close it next round */
		pop(m);
	}
	return m->stop;
}

unsigned
nf_mime_flags(const struct nf_mime *m)
{
	return m->flags;
}

void
nf_mime_reset(struct nf_mime *m)
{
	while (m->n > 0)
		ent_release(&m->ents[--m->n]);
	nf_buf_reset(&m->line);
	nf_buf_reset(&m->conv);
	m->nparts = 0;
	m->cr = 0;
	m->bytes = 0;
	m->flags = 0;
	m->stop = 0;
	ent_init(m, &m->ents[0], 0, 0, "text/plain");
	m->n = 1;
}

void
nf_mime_free(struct nf_mime *m)
{
	if (m == NULL)
		return;
	while (m->n > 0)
		ent_release(&m->ents[--m->n]);
	while (m->nslots > 0) {
		struct ent *e = &m->ents[--m->nslots];

		nf_buf_free(&e->hdr);
		nf_buf_free(&e->dec);
	}
	nf_buf_free(&m->line);
	nf_buf_free(&m->conv);
	free(m->ents);
	free(m);
}
