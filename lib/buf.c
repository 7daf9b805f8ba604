/*
 * buf.c - growable byte buffer with a hard upper bound (see buf.h).
 *
 * Growth doubles the allocation, capped at max + 1 so that a buffer near its
 * limit never allocates more than it may hold.  Truncation is sticky: once a
 * caller has lost data, `truncated` stays set until nf_buf_reset().
 * Appends that fit the allocation and the limit take a short path first
 * (the parser appends hundreds of thousands of small pieces per second).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
nf_buf_init(struct nf_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->truncated = 0;
}

/* Make room for `need` more bytes plus the NUL, within max. Returns the
 * number of bytes that can actually be added (<= need). */
static size_t
buf_reserve(struct nf_buf *b, size_t need, int *nomem)
{
	size_t room = b->max - b->len;
	size_t want, ncap;
	char *p;

	*nomem = 0;
	if (need > room)
		need = room;
	want = b->len + need + 1;
	if (want <= b->cap)
		return need;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > ((size_t)-1) / 2 ? want : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if (ncap < want)
		ncap = want;
	p = realloc(b->data, ncap);
	if (p == NULL) {
		*nomem = 1;
		return 0;
	}
	b->data = p;
	b->cap = ncap;
	return need;
}

int
nf_buf_append(struct nf_buf *b, const void *p, size_t n)
{
	int nomem;
	size_t fit;

	/* fits what is allocated (NUL included) and the limit: copy */
	if (n < b->cap - b->len && n <= b->max - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return NF_BUF_OK;
	}
	fit = buf_reserve(b, n, &nomem);

	if (nomem)
		return NF_BUF_NOMEM;
	if (fit)
		memcpy(b->data + b->len, p, fit);
	b->len += fit;
	if (b->data)
		b->data[b->len] = '\0';
	if (fit < n) {
		b->truncated = 1;
		return NF_BUF_TRUNC;
	}
	return NF_BUF_OK;
}

int
nf_buf_puts(struct nf_buf *b, const char *s)
{
	return nf_buf_append(b, s, strlen(s));
}

int
nf_buf_putc(struct nf_buf *b, int c)
{
	char ch = (char)c;

	if (b->len + 1 < b->cap && b->len < b->max) {
		b->data[b->len++] = ch;
		b->data[b->len] = '\0';
		return NF_BUF_OK;
	}
	return nf_buf_append(b, &ch, 1);
}

int
nf_buf_vprintf(struct nf_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n, rc;
	char *big;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return NF_BUF_NOMEM;
	if ((size_t)n < sizeof(small))
		return nf_buf_append(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return NF_BUF_NOMEM;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	rc = nf_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

int
nf_buf_printf(struct nf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = nf_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
nf_buf_reset(struct nf_buf *b)
{
	b->len = 0;
	b->truncated = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
nf_buf_free(struct nf_buf *b)
{
	free(b->data);
	nf_buf_init(b, b->max);
}

const char *
nf_buf_cstr(const struct nf_buf *b)
{
	return b->data ? b->data : "";
}

char *
nf_buf_steal(struct nf_buf *b)
{
	char *p = b->data;

	nf_buf_init(b, b->max);
	return p;
}
