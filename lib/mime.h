/*
 * mime.h - bounded push parser for Internet messages (RFC 5322 + MIME).
 *
 * The caller pushes bytes in any chunk sizes (a milter body callback, a
 * pipe, a fuzzer) and the parser calls one handler function with events:
 * a header field of some entity, the start of an entity's body, one decoded
 * body line, the end of an entity.  It does no I/O and keeps at most one
 * line, and one header field and one decoding remainder per level of
 * nesting, each under a hard cap; what does not fit is cut and counted in
 * the flags.  The events do not depend on how the input is cut into pushes.
 *
 * Understood: multipart types (nested, any boundary), message/rfc822 and
 * message/global (the enclosed message is parsed as an entity of its own),
 * text/rfc822-headers (its body is parsed as a header block), the
 * preamble and epilogue of a multipart (body lines of the multipart
 * entity itself; `epilogue` tells which),
 * quoted-printable and base64 bodies, LF, CRLF and bare-CR line ends, and
 * text charsets (body lines of text parts reach the handler in UTF-8,
 * converted with iconv; bytes iconv cannot convert are replaced by '?').
 */
#ifndef NF_MIME_H
#define NF_MIME_H

#include <stddef.h>

#include "buf.h"

enum nf_mime_ev {
	NF_MIME_HEADER = 1,	/* name, value (unfolded, raw) */
	NF_MIME_BODY,		/* the header block of the entity ended */
	NF_MIME_LINE,		/* value = one decoded body line, no line end */
	NF_MIME_END		/* the entity ended */
};

enum nf_mime_enc { NF_MIME_IDENTITY = 0, NF_MIME_QP, NF_MIME_BASE64 };

struct nf_mime_part {
	unsigned depth;		/* 0 = the message itself */
	unsigned in_message;	/* enclosing message/rfc822 or rfc822-headers entities */
	unsigned index;		/* entities seen before this one, in order */
	int enc;		/* enum nf_mime_enc */
	int headers_only;	/* a text/rfc822-headers block */
	int epilogue;		/* multipart: its lines now come after its close
				 * delimiter (the epilogue), not before its first
				 * part (the preamble) */
	char type[64];		/* lower case, e.g. "text/plain" */
	char charset[40];	/* lower case, "" when none */
	char report_type[40];	/* report-type= of multipart/report, lower case */
};

struct nf_mime_limits {
	size_t max_line;	/* longest line kept whole (longer ones are split) */
	size_t max_header;	/* longest unfolded header field */
	size_t max_headers;	/* header fields per entity */
	size_t max_depth;	/* nesting of entities */
	size_t max_bytes;	/* input bytes looked at; the rest is ignored */
};

/* flags from nf_mime_flags(): something was cut */
#define NF_MIME_CUT_LINE	0x01
#define NF_MIME_CUT_HEADER	0x02
#define NF_MIME_CUT_HEADERS	0x04
#define NF_MIME_CUT_DEPTH	0x08
#define NF_MIME_CUT_BYTES	0x10

/* The handler returns 0 to go on, non-zero to stop the parse (that value is
 * returned by nf_mime_push/finish), except NF_MIME_SKIP returned for
 * NF_MIME_BODY: then the entity's body lines are neither decoded nor passed
 * on (entities nested in it are still parsed and reported).  `name` is set only for NF_MIME_HEADER;
 * `value`/`len` for NF_MIME_HEADER and NF_MIME_LINE (NUL-terminated). */
#define NF_MIME_SKIP 0x5c1b

struct nf_mime_handler {
	int (*fn)(void *ctx, int ev, const struct nf_mime_part *part,
	    const char *name, const char *value, size_t len);
	void *ctx;
};

struct nf_mime;

/* NULL limits = defaults.  Returns NULL when out of memory. */
struct nf_mime *nf_mime_new(const struct nf_mime_limits *lim,
    const struct nf_mime_handler *h);
/* 0, a handler's stop value, or -1 when out of memory. */
int nf_mime_push(struct nf_mime *m, const char *data, size_t len);
/* Flush the last line and close every open entity. */
int nf_mime_finish(struct nf_mime *m);
unsigned nf_mime_flags(const struct nf_mime *m);
/* Ready m for the next message (same limits and handler), as if new: open
 * entities are closed without events, flags and counts cleared; the buffers
 * keep their allocations (still within the limits). */
void nf_mime_reset(struct nf_mime *m);
void nf_mime_free(struct nf_mime *m);

/* Decode RFC 2047 encoded words in a header value into `out` (UTF-8);
 * text that is not an encoded word is copied.  NF_BUF_* status. */
int nf_mime_decode_words(const char *in, size_t len, struct nf_buf *out);
/* Append `len` bytes in `charset` to `out` as UTF-8 (copy when the charset
 * is empty, ASCII or UTF-8, or unknown to iconv).  NF_BUF_* status. */
int nf_mime_to_utf8(const char *charset, const char *in, size_t len,
    struct nf_buf *out);
/* Find parameter `param` (lower case) of a structured header value such as
 * Content-Type, unquoted, into dst (cut to dstlen-1).  1 found, 0 not. */
int nf_mime_param(const char *value, const char *param, char *dst, size_t dstlen);

#endif
