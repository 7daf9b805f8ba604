/*
 * classify_int.h - what the two halves of the classifier share and
 * nobody else needs: classify_read.c (reading a text: phrases, codes,
 * the SMTP command) and classify.c (the decision).  Not installed, not
 * for callers outside lib/classify*.c; the interface is classify.h.
 */
#ifndef NF_CLASSIFY_INT_H
#define NF_CLASSIFY_INT_H

#include <ctype.h>
#include <stddef.h>

#include "classify.h"

/* Texts longer than this are judged by their first bytes. */
#define NF_CLASSIFY_MAXTEXT 2048

/* lower-case copy of at most NF_CLASSIFY_MAXTEXT bytes; d holds
 * NF_CLASSIFY_MAXTEXT + 1.  Inline: it runs over every diagnostic. */
static inline size_t
nf_cls_lower_copy(char *d, const char *s)
{
	size_t n;

	for (n = 0; s[n] && n < NF_CLASSIFY_MAXTEXT; n++)
		d[n] = (char)tolower((unsigned char)s[n]);
	d[n] = '\0';
	return n;
}

#endif
