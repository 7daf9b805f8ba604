/*
 * heur.h - heuristics for bounces that are not RFC 3464 DSNs.
 *
 * qmail, Exim, Gmail, Yahoo, Exchange, DragonFly and many others write the
 * failed recipients and the remote server's answer as free text.  These
 * functions work on the human-readable text of a report (the lines of its
 * text parts, joined by '\n', collected by report.c) and find: where the
 * copy of the returned message starts, which addresses failed, the
 * diagnostic paragraph of each, and headers of the returned message quoted
 * inline.  They allocate nothing but the nf_bufs they are given.
 */
#ifndef NF_HEUR_H
#define NF_HEUR_H

#include <stddef.h>

#include "buf.h"

#define NF_HEUR_ADDR_MAX 320

/* Length of the "error section": the text before the quoted copy of the
 * returned message (or all of it). */
size_t nf_heur_error_len(const char *text, size_t len);

/* Find the next e-mail address in [s, end): returns its start and sets
 * *alen, or NULL.  Local part and domain as RFC 5321 allows in practice;
 * the domain must contain a dot. */
const char *nf_heur_find_addr(const char *s, const char *end, size_t *alen);

/* Copy an address lower case into dst (NF_HEUR_ADDR_MAX bytes). */
void nf_heur_addr_copy(char *dst, const char *a, size_t alen);

struct nf_heur_cb {
	/* 1 when this (lower-case) address is not a failed recipient; `alone`
	 * is 1 when it stands alone at a line start ("<addr>:"), where it is
	 * a recipient even if it also wrote the message */
	int (*excluded)(void *ctx, const char *addr, int alone);
	/* one failed recipient with its diagnostic (may be ""); non-zero stops */
	int (*found)(void *ctx, const char *addr, const char *diag);
	void *ctx;
	size_t max;	/* most recipients to report */
};

/* The functions below take `elen`, the error section's length from
 * nf_heur_error_len(), or NF_HEUR_ELEN to have it computed. */
#define NF_HEUR_ELEN ((size_t)-1)

/* Scan the error section for failed recipients.  Returns how many were
 * reported. */
size_t nf_heur_recipients(const char *text, size_t len, size_t elen,
    const struct nf_heur_cb *cb);

/* The diagnostic paragraph that follows `addr` (lower case) in the error
 * section, into out; 1 when the address was found. */
int nf_heur_diag_for(const char *text, size_t len, size_t elen, const char *addr,
    struct nf_buf *out);

/* The error section's lines that carry an SMTP reply or status code, or a
 * failure phrase, joined into out (when no recipient-specific paragraph
 * exists). */
int nf_heur_diag_any(const char *text, size_t len, size_t elen, struct nf_buf *out);

/* The indented lines listed under a lead-in of the error section that
 * ends in a colon and speaks of addresses or recipients ("The following
 * address(es) failed:"), joined into out:
 * where a notice lists its failures that way but names no code and no
 * known address there (a file or pipe delivery, a rewritten address), the
 * reason is among them.  1 when any was found. */
int nf_heur_diag_indented(const char *text, size_t len, size_t elen,
    struct nf_buf *out);

/* Value of header `name` (lower case, without colon) quoted at the start
 * of a line after the error section; 1 when found. */
int nf_heur_quoted_header(const char *text, size_t len, size_t elen, const char *name,
    struct nf_buf *out);

/* Reason a bounce template names in so many words (qmail, Exim, Gmail ...),
 * as enum nf_reason, or 0.  `lc` is lower-case text. */
int nf_heur_hint(const char *lc);

#endif
