/*
 * textout.c - terminal and JSON output of text that came partly from
 * strangers (see textout.h): escaping, folding to a width, valid JSON
 * strings.
 *
 * Written by hand rather than with iconv or libunistring: the job is not
 * converting charsets but deciding, per code point, what a terminal may
 * see, and showing what it may not as readable escapes; that is a few
 * dozen lines of UTF-8 decoding.  The caller owns every buffer and stream;
 * a JSON value returned is the caller's reference.  Failures: a full
 * nf_buf is reported by its result code, out of memory in JSON gives null.
 */
#include "config.h"

#include <string.h>

#include "ctl.h"
#include "textout.h"

size_t
nf_text_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
nf_text_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

int
nf_text_clean(struct nf_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;
	int r, rc = NF_BUF_OK;

	while (n > 0) {
		len = nf_text_utf8_seq(p, n, &c);
		if (len == 0) {
			r = nf_buf_printf(b, "\\x%02X", p[0]);
			len = 1;
		} else if (c == '\t')
			r = nf_buf_putc(b, ' ');
		else if (nf_text_unsafe(c))
			r = nf_buf_printf(b, "\\u{%04X}", (unsigned)c);
		else
			r = nf_buf_append(b, p, len);
		if (r != NF_BUF_OK && rc != NF_BUF_NOMEM)
			rc = r;
		p += len;
		n -= len;
	}
	return rc;
}

size_t
nf_text_cols(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/*
 * Word by word: `gap` is the run of spaces before the word, kept when the
 * word stays on this line.  A word that does not fit moves to a new line,
 * unless the line is still empty (bol): then it is longer than any line
 * and is cut at `room` code points instead, so the loop always advances.
 */
void
nf_text_wrap(FILE *fp, const char *s, size_t col, size_t indent,
    size_t width)
{
	const char *w, *e;
	size_t gap, wc, room, take, k;
	int bol = 1;		/* nothing printed on this line yet */

	while (*s == ' ')
		s++;
	while (*s) {
		for (gap = 0; s[gap] == ' '; gap++)
			;
		w = s + gap;
		if (*w == '\0')
			break;
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		wc = nf_text_cols(w, (size_t)(e - w));
		if (!bol && col + gap + wc > width) {
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
			bol = 1;
		}
		if (!bol) {
			fprintf(fp, "%*s", (int)gap, "");
			col += gap;
		}
		room = width > col ? width - col : 1;
		if (wc <= room || !bol) {
			fwrite(w, 1, (size_t)(e - w), fp);
			col += wc;
			s = e;
		} else {
			for (take = 0, k = 0; w + take < e && k < room; k++) {
				take++;
				while (w + take < e &&
				    ((unsigned char)w[take] & 0xc0) == 0x80)
					take++;
			}
			fwrite(w, 1, take, fp);
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
			s = w + take;
			continue;
		}
		bol = 0;
	}
	fputc('\n', fp);
}

json_t *
nf_text_json(const char *s)
{
	const unsigned char *p;
	struct nf_buf b;
	json_t *j;
	size_t n, len;
	uint32_t c;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	/* each bad byte becomes 3: 4 * n never cuts */
	nf_buf_init(&b, 4 * strlen(s) + 16);
	p = (const unsigned char *)s;
	n = strlen(s);
	while (n > 0) {
		len = nf_text_utf8_seq(p, n, &c);
		if (len == 0 || c == 0) {
			nf_buf_puts(&b, "\xef\xbf\xbd");
			len = 1;
		} else
			nf_buf_append(&b, p, len);
		p += len;
		n -= len;
	}
	j = json_string(nf_buf_cstr(&b));
	nf_buf_free(&b);
	return j ? j : json_null();
}

json_t *
nf_text_json_opt(const char *s)
{
	return (s == NULL || s[0] == '\0') ? json_null() : nf_text_json(s);
}

json_t *
nf_text_json_time(int64_t t)
{
	char tb[NF_CTL_TIME_MAX];

	return t ? json_string(nf_ctl_time(t, tb, sizeof tb)) : json_null();
}
