/*
 * t_mime.c - the MIME push parser: line ends, nesting, encodings, limits.
 *
 * Each case pushes a message (whole, and again one byte at a time, since
 * the result must not depend on chunking) and compares a transcript of the
 * events with the expected one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "tap.h"

static int
record(void *ctx, int ev, const struct nf_mime_part *p, const char *name,
    const char *v, size_t len)
{
	struct nf_buf *b = ctx;

	switch (ev) {
	case NF_MIME_HEADER:
		nf_buf_printf(b, "H%u:%s=%.*s|", p->depth, name, (int)len, v);
		break;
	case NF_MIME_BODY:
		nf_buf_printf(b, "B%u:%s/%u|", p->depth, p->type, p->in_message);
		break;
	case NF_MIME_LINE:
		/* P: a line of a multipart's epilogue, L: any other */
		nf_buf_printf(b, "%c%u:%.*s|", p->epilogue ? 'P' : 'L', p->depth, (int)len, v);
		break;
	case NF_MIME_END:
		nf_buf_printf(b, "E%u|", p->depth);
		break;
	}
	return 0;
}

static char *
run(const char *msg, size_t len, size_t chunk, const struct nf_mime_limits *lim,
    unsigned *flags)
{
	struct nf_buf b;
	struct nf_mime_handler h;
	struct nf_mime *m;
	size_t i;

	nf_buf_init(&b, 1 << 20);
	h.fn = record;
	h.ctx = &b;
	m = nf_mime_new(lim, &h);
	if (m == NULL)
		return NULL;
	for (i = 0; i < len; i += chunk)
		nf_mime_push(m, msg + i, len - i < chunk ? len - i : chunk);
	nf_mime_finish(m);
	if (flags)
		*flags = nf_mime_flags(m);
	nf_mime_free(m);
	{
		char *s = nf_buf_steal(&b);

		return s ? s : strdup("");
	}
}

static char *
run2(const char *msg, size_t chunk)
{
	struct nf_buf b;
	struct nf_mime_handler h;
	struct nf_mime *m;
	size_t i, len = strlen(msg);
	char *out;

	nf_buf_init(&b, 1 << 20);
	h.fn = record;
	h.ctx = &b;
	m = nf_mime_new(NULL, &h);
	for (i = 0; i < len; i += chunk)
		nf_mime_push(m, msg + i, len - i < chunk ? len - i : chunk);
	nf_mime_finish(m);
	nf_mime_free(m);
	out = strdup(nf_buf_cstr(&b));
	nf_buf_free(&b);
	return out;
}

static void
check(const char *name, const char *msg, const char *want)
{
	char *whole = run2(msg, strlen(msg) + 1), *bytes = run2(msg, 1);

	is_str(whole, want, "%s", name);
	is_str(bytes, want, "%s (one byte at a time)", name);
	free(whole);
	free(bytes);
}

int
main(void)
{
	static const struct {
		const char *name, *msg, *want;
	} cases[] = {
		{ "plain LF", "Subject: x\n\nhello\nworld\n",
		  "H0:Subject=x|B0:text/plain/0|L0:hello|L0:world|E0|" },
		{ "CRLF", "Subject: x\r\n\r\nhello\r\nworld\r\n",
		  "H0:Subject=x|B0:text/plain/0|L0:hello|L0:world|E0|" },
		{ "bare CR", "Subject: x\r\rhello\rworld\r",
		  "H0:Subject=x|B0:text/plain/0|L0:hello|L0:world|E0|" },
		{ "folded header", "Subject: a\n  b\n\nx\n",
		  "H0:Subject=a  b|B0:text/plain/0|L0:x|E0|" },
		{ "mbox From line", "From a@b Mon\nTo: c\n\nx\n",
		  "H0:To=c|B0:text/plain/0|L0:x|E0|" },
		{ "multipart",
		  "Content-Type: multipart/mixed; boundary=\"b1\"\n\npre\n--b1\n\none\n"
		  "--b1\nContent-Type: text/html\n\n<p>\n--b1--\nepi\n",
		  "H0:Content-Type=multipart/mixed; boundary=\"b1\"|B0:multipart/mixed/0|"
		  "L0:pre|B1:text/plain/0|L1:one|E1|H1:Content-Type=text/html|B1:text/html/0|"
		  "L1:<p>|E1|P0:epi|E0|" },
		{ "epilogue of a nested multipart, then the outer one's",
		  "Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\n"
		  "Content-Type: multipart/alternative; boundary=\"i\"\n\n--i\n\na\n--i--\n"
		  "inner epi\n--o--\nouter epi\n",
		  "H0:Content-Type=multipart/mixed; boundary=\"o\"|B0:multipart/mixed/0|"
		  "H1:Content-Type=multipart/alternative; boundary=\"i\"|B1:multipart/alternative/0|"
		  "B2:text/plain/0|L2:a|E2|P1:inner epi|E1|P0:outer epi|E0|" },
		{ "nested rfc822",
		  "Content-Type: multipart/report; boundary=b\n\n--b\n"
		  "Content-Type: message/rfc822\n\nTo: z\nMessage-ID: <1@x>\n\nbody\n--b--\n",
		  "H0:Content-Type=multipart/report; boundary=b|B0:multipart/report/0|"
		  "H1:Content-Type=message/rfc822|B1:message/rfc822/0|H2:To=z|"
		  "H2:Message-ID=<1@x>|B2:text/plain/1|L2:body|E2|E1|E0|" },
		{ "rfc822-headers",
		  "Content-Type: multipart/report; boundary=b\n\n--b\n"
		  "Content-Type: text/rfc822-headers\n\nTo: z\nX-Notifilter-ID: t1\n--b--\n",
		  "H0:Content-Type=multipart/report; boundary=b|B0:multipart/report/0|"
		  "H1:Content-Type=text/rfc822-headers|B1:text/rfc822-headers/0|H2:To=z|"
		  "H2:X-Notifilter-ID=t1|B2:text/plain/1|E2|E1|E0|" },
		{ "quoted-printable",
		  "Content-Transfer-Encoding: quoted-printable\n\na=3Db=\nc\nd=C3=A9\n",
		  "H0:Content-Transfer-Encoding=quoted-printable|B0:text/plain/0|L0:a=bc|"
		  "L0:d\xc3\xa9|E0|" },
		{ "base64", "Content-Transfer-Encoding: base64\n\naGVsbG8K\nd29y\nbGQ=\n",
		  "H0:Content-Transfer-Encoding=base64|B0:text/plain/0|L0:hello|L0:world|E0|" },
		{ "latin1 to utf-8",
		  "Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n",
		  "H0:Content-Type=text/plain; charset=iso-8859-1|B0:text/plain/0|"
		  "L0:caf\xc3\xa9|E0|" },
		{ "missing close boundary",
		  "Content-Type: multipart/mixed; boundary=q\n\n--q\n\nlast\n",
		  "H0:Content-Type=multipart/mixed; boundary=q|B0:multipart/mixed/0|"
		  "B1:text/plain/0|L1:last|E1|E0|" },
		{ "no header block", "just text\n",
		  "B0:text/plain/0|L0:just text|E0|" },
		{ "empty", "", "B0:text/plain/0|E0|" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i].name, cases[i].msg, cases[i].want);

	{	/* RFC 2047 */
		struct nf_buf b;

		nf_buf_init(&b, 256);
		nf_mime_decode_words("=?UTF-8?B?44Gr44KD44KT?= =?iso-8859-1?Q?caf=E9_x?= end", 54, &b);
		is_str(nf_buf_cstr(&b), "\xe3\x81\xab\xe3\x82\x83\xe3\x82\x93" "caf\xc3\xa9 x end",
		    "encoded words, adjacent words joined");
		nf_buf_free(&b);
		nf_buf_init(&b, 256);
		nf_mime_decode_words("=?bogus", 7, &b);
		is_str(nf_buf_cstr(&b), "=?bogus", "broken encoded word kept as text");
		nf_buf_free(&b);
	}
	{	/* limits: long line split, depth capped, bytes capped */
		struct nf_mime_limits lim = { .max_line = 100, .max_header = 200,
			.max_headers = 2, .max_depth = 2, .max_bytes = 100000 };
		char *msg = malloc(5000), *out;
		unsigned flags = 0;

		memset(msg, 'a', 5000);
		memcpy(msg, "A: 1\nB: 2\nC: 3\n\n", 16);
		out = run(msg, 5000, 77, &lim, &flags);
		ok(out != NULL && strstr(out, "H0:C=") == NULL, "header count capped");
		ok(flags & NF_MIME_CUT_LINE, "long line reported as cut");
		ok(flags & NF_MIME_CUT_HEADERS, "header count cut reported");
		free(out);
		lim.max_bytes = 10;
		out = run(msg, 5000, 5000, &lim, &flags);
		ok(flags & NF_MIME_CUT_BYTES, "byte limit reported");
		free(out);
		free(msg);
	}
	{
		char v[64];

		ok(nf_mime_param("multipart/report; report-type=delivery-status;\tboundary=\"a b\"",
		    "boundary", v, sizeof(v)) && strcmp(v, "a b") == 0, "quoted parameter");
		ok(!nf_mime_param("text/plain", "charset", v, sizeof(v)), "missing parameter");
	}
	return tap_done();
}
