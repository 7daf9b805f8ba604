/*
 * mime_int.h - shared by the MIME parser (mime.c) and its text tools
 * (mime_text.c); not part of the library's interface.
 */
#ifndef NF_MIME_INT_H
#define NF_MIME_INT_H

#include <iconv.h>
#include <stddef.h>

#include "buf.h"

/* Byte values of hex digits and of base64 letters, -1 for any other byte
 * (mime_text.c).  Lookups rather than branches: decoding runs per byte. */
extern const signed char nf_mime_hex_tab[256];
extern const signed char nf_mime_b64_tab[256];

static inline int
nf_mime_hexval(int c)
{
	return nf_mime_hex_tab[(unsigned char)c];
}

static inline int
nf_mime_b64val(int c)
{
	return nf_mime_b64_tab[(unsigned char)c];
}

/* s[n] lower-cased into dst[dstlen], cut to fit, always terminated. */
void nf_mime_lower_copy(char *dst, size_t dstlen, const char *s, size_t n);
/* "" and the names of US-ASCII and UTF-8 (lower case): nothing to convert */
int nf_mime_charset_plain(const char *cs);
/* a stateless charset whose bytes 0x00-0x7f are ASCII (lower case) */
int nf_mime_charset_keeps_ascii(const char *cs);
/* 1 when s[n] holds only ASCII bytes */
int nf_mime_is_ascii(const char *s, size_t n);
/* s[len] through the open descriptor cd, appended to out; bytes it cannot
 * convert become '?'.  An nf_buf status. */
int nf_mime_conv_with(iconv_t cd, const char *in, size_t len, struct nf_buf *out);

#endif
