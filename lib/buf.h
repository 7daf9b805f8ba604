/*
 * buf.h - growable byte buffer with a hard upper bound.
 *
 * Every copy of untrusted data in notifilter goes through a struct nf_buf.
 * A buffer never grows past its `max`; an append that does not fit keeps
 * what fits, sets `truncated`, and returns NF_BUF_TRUNC so the caller can
 * report it.  Data is always NUL-terminated (the NUL is not counted in len
 * and does not count against max).  Allocation failure is reported as
 * NF_BUF_NOMEM; the buffer stays valid.
 */
#ifndef NF_BUF_H
#define NF_BUF_H

#include <stdarg.h>
#include <stddef.h>

enum nf_buf_rc { NF_BUF_OK = 0, NF_BUF_TRUNC = -1, NF_BUF_NOMEM = -2 };

struct nf_buf {
	char *data;		/* NUL-terminated, or NULL before the first append */
	size_t len;		/* bytes held, without the NUL */
	size_t cap;		/* bytes allocated, including room for the NUL */
	size_t max;		/* hard limit on len */
	int truncated;		/* set once any append was cut */
};

void nf_buf_init(struct nf_buf *b, size_t max);
int nf_buf_append(struct nf_buf *b, const void *p, size_t n);
int nf_buf_puts(struct nf_buf *b, const char *s);
int nf_buf_putc(struct nf_buf *b, int c);
int nf_buf_printf(struct nf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int nf_buf_vprintf(struct nf_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Empty the buffer, keep the allocation; clears `truncated`. */
void nf_buf_reset(struct nf_buf *b);
/* Release the allocation; the buffer may be reused after nf_buf_init. */
void nf_buf_free(struct nf_buf *b);
/* Always a valid C string ("" for an empty buffer). */
const char *nf_buf_cstr(const struct nf_buf *b);
/* Hand the allocation to the caller (NUL-terminated, may be NULL if empty)
 * and leave the buffer empty. */
char *nf_buf_steal(struct nf_buf *b);

#endif
