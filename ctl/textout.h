/*
 * textout.h - printing text that came partly from strangers (a Subject, a
 * remote MTA's reply) on a terminal and in JSON, for notifilterctl's
 * reading commands (trace, and the report and digest to come).
 *
 * Terminal: nf_text_clean() escapes what a terminal would act on rather
 * than show, then nf_text_wrap() folds the cleaned text to a width.
 * JSON: nf_text_json() makes any byte string a valid JSON string.
 * Nothing here reads or writes the store; none of it exits.
 */
#ifndef NF_TEXTOUT_H
#define NF_TEXTOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "buf.h"

/* Length of the valid UTF-8 sequence at p (n >= 1 bytes left), or 0 when
 * p does not start one; *cp gets the code point.  Overlong forms,
 * surrogates and code points past U+10FFFF are invalid. */
size_t nf_text_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* 1 for a code point a terminal acts on rather than shows: C0 controls,
 * DEL, C1 controls, and the bidirectional overrides and isolates (U+202A..
 * U+202E, U+2066..U+2069) that can make a line read backwards. */
int nf_text_unsafe(uint32_t cp);

/* Append s to b, safe for a terminal: an unsafe code point as \u{XXXX}, a
 * byte that is not UTF-8 as \xNN, a tab as one space.  Returns the
 * NF_BUF_* result of the appends (NF_BUF_TRUNC: b's max was reached and
 * b->truncated is set; the caller decides how to show the cut). */
int nf_text_clean(struct nf_buf *b, const char *s);

/* Columns the n bytes at s take on a terminal: one per code point (wide
 * characters are rare in this output and counted as one). */
size_t nf_text_cols(const char *s, size_t n);

/*
 * Print already-cleaned text s to fp starting at column col, folding at
 * spaces so no line passes `width` columns; continuation lines start with
 * `indent` spaces.  Runs of spaces inside a line are kept (they align
 * columns); at a fold they are dropped.  A word longer than a whole line
 * is broken at a code point boundary.  Ends with a newline.  Write errors
 * are left to the caller's ferror(fp).
 */
void nf_text_wrap(FILE *fp, const char *s, size_t col, size_t indent,
    size_t width);

/* A new JSON string of s (NULL gives JSON null): bytes that are not UTF-8
 * become U+FFFD, so a stranger's 8-bit header cannot make the
 * document invalid.  Null also when out of memory. */
json_t *nf_text_json(const char *s);
/* The same, but "" is absent too (null). */
json_t *nf_text_json_opt(const char *s);
/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC); 0 is absent (null). */
json_t *nf_text_json_time(int64_t t);

#endif
