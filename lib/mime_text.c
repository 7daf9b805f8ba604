/*
 * mime_text.c - the text tools of the MIME parser (see mime.h): header
 * parameters, charset conversion to UTF-8 and RFC 2047 encoded words,
 * plus the byte-value tables body decoding shares (mime_int.h).  No parser
 * state here: each function reads its arguments and appends to a caller's
 * nf_buf.  Failure: only allocation failure is an error; bytes a charset
 * cannot convert become '?', an unknown charset is copied as it is, and a
 * malformed encoded word is left as written.
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

/* Value tables, indexed by the byte: -1 where the byte is not a digit of
 * that alphabet.  Lookups rather than branches: decoding runs per byte. */
#define X16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
const signed char nf_mime_hex_tab[256] = {
	X16(-1), X16(-1), X16(-1),
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	X16(-1),
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1)
};
const signed char nf_mime_b64_tab[256] = {
	X16(-1), X16(-1),
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1), X16(-1)
};

#undef X16

void
nf_mime_lower_copy(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t i;

	if (n >= dstlen)
		n = dstlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[n] = '\0';
}

int
nf_mime_param(const char *v, const char *param, char *dst, size_t dstlen)
{
	size_t plen = strlen(param);
	const char *s = v;

	while ((s = strchr(s, ';')) != NULL) {
		const char *k, *val;
		size_t n = 0;

		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		k = s;
		if (strncasecmp(k, param, plen) != 0)
			continue;
		val = k + plen;
		while (*val == ' ' || *val == '\t')
			val++;
		if (*val != '=')
			continue;
		val++;
		while (*val == ' ' || *val == '\t')
			val++;
		if (*val == '"') {
			val++;
			while (val[n] && val[n] != '"' && n + 1 < dstlen) {
				if (val[n] == '\\' && val[n + 1])
					val++;
				dst[n] = val[n];
				n++;
			}
		} else {
			while (val[n] && val[n] != ';' && val[n] != ' ' &&
			    val[n] != '\t' && n + 1 < dstlen) {
				dst[n] = val[n];
				n++;
			}
		}
		dst[n] = '\0';
		return 1;
	}
	return 0;
}

int
nf_mime_charset_plain(const char *cs)
{
	return cs[0] == '\0' || strcmp(cs, "us-ascii") == 0 ||
	    strcmp(cs, "utf-8") == 0 || strcmp(cs, "utf8") == 0 ||
	    strcmp(cs, "ascii") == 0;
}

/* Charsets whose bytes 0x00-0x7f are ASCII and that keep no state
 * (unlike ISO-2022-JP or UTF-7, whose escapes are ASCII bytes too): an
 * ASCII line in one of them converts to itself, without iconv.  Not
 * windows-1258: glibc composes its diacritics, holding a character back. */
int
nf_mime_charset_keeps_ascii(const char *cs)
{
	return strncmp(cs, "iso-8859-", 9) == 0 ||
	    (strncmp(cs, "windows-125", 11) == 0 && cs[11] >= '0' && cs[11] <= '7' &&
	    cs[12] == '\0');
}

int
nf_mime_is_ascii(const char *s, size_t n)
{
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= (unsigned char)s[i];
	return acc < 0x80;
}

/* Convert with an open descriptor; undecodable bytes become '?'. */
int
nf_mime_conv_with(iconv_t cd, const char *in, size_t len, struct nf_buf *out)
{
	char tmp[1024];
	char *ip = (char *)in;
	size_t il = len;
	int rc = NF_BUF_OK;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof(tmp);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		int e = errno;

		if (op > tmp && (rc = nf_buf_append(out, tmp, (size_t)(op - tmp))) != NF_BUF_OK)
			return rc;
		if (r == (size_t)-1 && e != E2BIG) {
			/* EILSEQ or EINVAL: replace one byte and go on */
			if ((rc = nf_buf_putc(out, '?')) != NF_BUF_OK)
				return rc;
			ip++;
			il--;
		}
	}
	{
		char *op = tmp;
		size_t ol = sizeof(tmp);

		iconv(cd, NULL, NULL, &op, &ol);
		if (op > tmp)
			rc = nf_buf_append(out, tmp, (size_t)(op - tmp));
	}
	return rc;
}

int
nf_mime_to_utf8(const char *charset, const char *in, size_t len, struct nf_buf *out)
{
	char cs[40];
	iconv_t cd;
	int rc;

	nf_mime_lower_copy(cs, sizeof(cs), charset, strlen(charset));
	if (nf_mime_charset_plain(cs))
		return nf_buf_append(out, in, len);
	cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return nf_buf_append(out, in, len);
	rc = nf_mime_conv_with(cd, in, len, out);
	iconv_close(cd);
	return rc;
}


/* One encoded word's text, decoded into raw bytes.  The bytes are
 * collected in a small array and appended in pieces: one append per byte
 * was the cost of this function. */
static int
word_decode(int enc, const char *s, size_t n, struct nf_buf *raw)
{
	char o[512];
	size_t i, k = 0;
	unsigned bits = 0;
	int nb = 0, rc = NF_BUF_OK;

	for (i = 0; i < n && rc == NF_BUF_OK; i++) {
		if (k + 3 > sizeof(o)) {
			rc = nf_buf_append(raw, o, k);
			k = 0;
			if (rc != NF_BUF_OK)
				break;
		}
		if (enc == 'q') {
			int h1, h2;

			if (s[i] == '_')
				o[k++] = ' ';
			else if (s[i] == '=' && i + 2 < n && (h1 = nf_mime_hexval(s[i + 1])) >= 0 &&
			    (h2 = nf_mime_hexval(s[i + 2])) >= 0) {
				o[k++] = (char)(h1 * 16 + h2);
				i += 2;
			} else
				o[k++] = s[i];
		} else {
			int v = nf_mime_b64val(s[i]);

			if (v < 0)
				continue;
			bits = (bits << 6) | (unsigned)v;
			if (++nb == 4) {
				o[k++] = (char)(bits >> 16);
				o[k++] = (char)(bits >> 8);
				o[k++] = (char)bits;
				nb = 0;
				bits = 0;
			}
		}
	}
	if (enc == 'b' && rc == NF_BUF_OK) {
		if (nb == 2)
			o[k++] = (char)(bits >> 4);
		else if (nb == 3) {
			o[k++] = (char)(bits >> 10);
			o[k++] = (char)(bits >> 2);
		}
	}
	if (k > 0 && rc == NF_BUF_OK)
		rc = nf_buf_append(raw, o, k);
	return rc;
}

int
nf_mime_decode_words(const char *in, size_t len, struct nf_buf *out)
{
	size_t i = 0, gap_start = 0;
	int prev_word = 0, rc = NF_BUF_OK;
	struct nf_buf raw;

	nf_buf_init(&raw, out->max);
	while (i < len && rc == NF_BUF_OK) {
		const char *cs, *q1, *q2, *end;
		char charset[40];
		int enc;

		if (!(in[i] == '=' && i + 1 < len && in[i + 1] == '?'))
			goto plain;
		cs = in + i + 2;
		q1 = memchr(cs, '?', len - (size_t)(cs - in));
		if (q1 == NULL || q1 + 2 >= in + len || q1[2] != '?')
			goto plain;
		enc = tolower((unsigned char)q1[1]);
		if (enc != 'q' && enc != 'b')
			goto plain;
		q2 = q1 + 3;
		end = q2;
		while (end + 1 < in + len && !(end[0] == '?' && end[1] == '='))
			end++;
		if (end + 1 >= in + len)
			goto plain;
		nf_mime_lower_copy(charset, sizeof(charset), cs, (size_t)(q1 - cs));
		{
			char *star = strchr(charset, '*');	/* RFC 2231 language */

			if (star)
				*star = '\0';
		}
		/* whitespace between two encoded words is dropped */
		if (!prev_word && gap_start < i)
			rc = nf_buf_append(out, in + gap_start, i - gap_start);
		nf_buf_reset(&raw);
		if (rc == NF_BUF_OK)
			rc = word_decode(enc, q2, (size_t)(end - q2), &raw);
		if (rc == NF_BUF_OK || rc == NF_BUF_TRUNC)
			rc = nf_mime_to_utf8(charset, nf_buf_cstr(&raw), raw.len, out);
		i = (size_t)(end + 2 - in);
		gap_start = i;
		prev_word = 1;
		continue;
plain:
		/* plain text is not appended byte by byte: it stays pending from
		 * gap_start on, like blanks, and goes out with the next encoded
		 * word or at the end; the appended bytes are the same */
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r' && in[i] != '\n')
			prev_word = 0;
		i++;
	}
	if (rc == NF_BUF_OK && !prev_word && gap_start < len)
		rc = nf_buf_append(out, in + gap_start, len - gap_start);
	nf_buf_free(&raw);
	return rc;
}
