/*
 * csv.c - RFC 4180 reader with line numbers and hard memory bounds.
 *
 * Contract: the reader owns its read buffer and the current record; the
 * FILE stays the caller's.  Fields handed out point into the record and die
 * at the next call.  Memory per reader is bounded by max_fields *
 * (max_field + 1) plus one read buffer, whatever the input.  A malformed
 * record is -1 with a message, after which reading goes on from the next
 * physical line, so an import can name every bad row; only a read error or
 * a UTF-16 file ends the input early.
 *
 * Hand-written rather than libcsv: the reader is small, and what this
 * project needs from it (the physical line a record started on, resync after
 * a bad row, UTF-8 and NUL checks, per-field and per-record bounds) is most
 * of the code anyway.  Leniency beyond RFC 4180, each because spreadsheets
 * and hand-edited files produce it: a UTF-8 BOM, bare LF or CR line ends,
 * blank lines, spaces around a quoted field.
 */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CSV_READ_SIZE 65536
#define CSV_EOF (-1)

struct nf_csv {
	FILE *fp;
	unsigned char *buf;		/* read buffer */
	size_t bpos, blen;
	int eof;			/* fp gave EOF or an error */
	int done;			/* fatal error reported: input ends */
	int started;			/* BOM / UTF-16 check done */
	long line;			/* physical line of the next byte */
	size_t max_field, max_fields;
	char *rec;			/* fields, each NUL-terminated */
	size_t rlen, rcap, rmax;
	size_t *off;			/* field starts in rec */
	char **ptrs;			/* handed out: max_fields + 1 */
	char err[256];
};

struct nf_csv *
nf_csv_new(FILE *fp, size_t max_field, size_t max_fields)
{
	struct nf_csv *c;

	if (fp == NULL || max_field == 0 || max_fields == 0 ||
	    max_field > SIZE_MAX / 4 || max_fields > SIZE_MAX / 4 /
	    sizeof(char *) ||
	    max_fields > SIZE_MAX / (max_field + 1)) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fp = fp;
	c->line = 1;
	c->max_field = max_field;
	c->max_fields = max_fields;
	c->rmax = max_fields * (max_field + 1);
	c->rcap = c->rmax < 1024 ? c->rmax : 1024;
	c->buf = malloc(CSV_READ_SIZE);
	c->rec = malloc(c->rcap);
	c->off = malloc(max_fields * sizeof(*c->off));
	c->ptrs = malloc((max_fields + 1) * sizeof(*c->ptrs));
	if (c->buf == NULL || c->rec == NULL || c->off == NULL ||
	    c->ptrs == NULL) {
		nf_csv_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void
nf_csv_free(struct nf_csv *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c->rec);
	free(c->off);
	free(c->ptrs);
	free(c);
}

const char *
nf_csv_error(const struct nf_csv *c)
{
	return c != NULL ? c->err : "no CSV reader";
}

static void __attribute__((format(printf, 2, 3)))
csv_fail(struct nf_csv *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Refill the read buffer; 0 at end of input.  A read error is remembered
 * in err and ends the input. */
static int
csv_fill(struct nf_csv *c)
{
	size_t n;

	if (c->eof)
		return 0;
	n = fread(c->buf, 1, CSV_READ_SIZE, c->fp);
	c->bpos = 0;
	c->blen = n;
	if (n == 0) {
		c->eof = 1;
		if (ferror(c->fp)) {
			csv_fail(c, "read error: %s", strerror(errno));
			c->done = 2;	/* report once, then end */
		}
		return 0;
	}
	return 1;
}

static inline int
csv_getc(struct nf_csv *c)
{
	if (c->bpos == c->blen && !csv_fill(c))
		return CSV_EOF;
	return c->buf[c->bpos++];
}

static inline int
csv_peek(struct nf_csv *c)
{
	if (c->bpos == c->blen && !csv_fill(c))
		return CSV_EOF;
	return c->buf[c->bpos];
}

/* After a malformed record: drop the rest of the physical line, quotes or
 * not, so one bad row costs one row. */
static void
csv_skip_line(struct nf_csv *c)
{
	int ch;

	while ((ch = csv_getc(c)) != CSV_EOF) {
		if (ch == '\n') {
			c->line++;
			return;
		}
		if (ch == '\r') {
			if (csv_peek(c) == '\n')
				c->bpos++;
			c->line++;
			return;
		}
	}
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * Returns the offset of the first bad byte, or n. */
static size_t
csv_utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char b = s[i];
		size_t k, len;
		unsigned char lo = 0x80, hi = 0xbf;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			len = 2;
		else if (b >= 0xe0 && b <= 0xef) {
			len = 3;
			if (b == 0xe0)
				lo = 0xa0;
			else if (b == 0xed)
				hi = 0x9f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			len = 4;
			if (b == 0xf0)
				lo = 0x90;
			else if (b == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (i + len > n)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return i;
		i += len;
	}
	return n;
}

/* Append one byte to the current record.  The field and field-count
 * checks keep rlen within rmax; growth doubles up to it. */
static int
csv_put(struct nf_csv *c, char ch)
{
	if (c->rlen == c->rcap) {
		size_t ncap = c->rcap > c->rmax / 2 ? c->rmax : c->rcap * 2;
		char *n;

		if (ncap <= c->rlen || (n = realloc(c->rec, ncap)) == NULL) {
			csv_fail(c, "out of memory reading the record");
			return -1;
		}
		c->rec = n;
		c->rcap = ncap;
	}
	c->rec[c->rlen++] = ch;
	return 0;
}

enum csv_state {
	CSV_FIELD_START,	/* nothing of the field read yet */
	CSV_UNQUOTED,
	CSV_QUOTED,
	CSV_AFTER_QUOTE,	/* just read a '"' inside a quoted field */
	CSV_TRAILING,		/* spaces after the closing quote */
};

/* Close the field that started at c->off[*nf]: UTF-8 check, NUL. */
static int
csv_end_field(struct nf_csv *c, size_t *nf)
{
	size_t start = c->off[*nf], bad;

	bad = csv_utf8_bad((const unsigned char *)c->rec + start,
	    c->rlen - start);
	if (bad != c->rlen - start) {
		csv_fail(c, "invalid UTF-8 in field %zu, byte %zu (save the "
		    "file as UTF-8)", *nf + 1, bad + 1);
		return -1;
	}
	if (csv_put(c, '\0') < 0)
		return -1;
	(*nf)++;
	return 0;
}

/* Start the next field after a ','. */
static int
csv_new_field(struct nf_csv *c, size_t nf)
{
	if (nf >= c->max_fields) {
		csv_fail(c, "more than %zu fields", c->max_fields);
		return -1;
	}
	c->off[nf] = c->rlen;
	return 0;
}

/* A record that is one unquoted field of only spaces and tabs. */
static int
csv_is_blank(const struct nf_csv *c, size_t nf, int quoted)
{
	size_t i;

	if (nf != 1 || quoted)
		return 0;
	for (i = 0; c->rec[i] != '\0'; i++)
		if (c->rec[i] != ' ' && c->rec[i] != '\t')
			return 0;
	return 1;
}

/*
 * One pass of the state machine over one record.  Returns 1 with a record,
 * 0 at end of input, -1 on error with *at_eol telling whether the line the
 * error was found on is already consumed (so resync must not skip another).
 */
static int
csv_record(struct nf_csv *c, size_t *nfp, int *quoted_any, int *at_eol)
{
	enum csv_state st = CSV_FIELD_START;
	size_t nf = 0;
	long quote_line = 0;
	int ch, any = 0;

	*at_eol = 0;
	*quoted_any = 0;
	c->rlen = 0;
	c->off[0] = 0;
	for (;;) {
		ch = csv_getc(c);
		if (ch == '\0') {
			csv_fail(c, "NUL byte in the input (is the file binary "
			    "or UTF-16? save it as UTF-8 text)");
			return -1;
		}
		switch (st) {
		case CSV_FIELD_START:
		case CSV_UNQUOTED:
			if (ch == ',') {
				if (csv_end_field(c, &nf) < 0 ||
				    csv_new_field(c, nf) < 0)
					return -1;
				st = CSV_FIELD_START;
				any = 1;
				continue;
			}
			if (ch == '\n' || ch == '\r' || ch == CSV_EOF)
				goto end_record;
			if (ch == '"') {
				size_t i;

				/* `a, "b"`: spaces before a quote are padding */
				for (i = c->off[nf]; i < c->rlen; i++)
					if (c->rec[i] != ' ' && c->rec[i] != '\t')
						break;
				if (i < c->rlen) {
					csv_fail(c, "'\"' inside an unquoted "
					    "field %zu (quote the whole field and "
					    "double the quote: \"a \"\"b\"\" c\")",
					    nf + 1);
					return -1;
				}
				c->rlen = c->off[nf];
				st = CSV_QUOTED;
				*quoted_any = 1;
				quote_line = c->line;
				any = 1;
				continue;
			}
			break;
		case CSV_QUOTED:
			if (ch == CSV_EOF) {
				if (c->done)
					return -1;	/* read error */
				csv_fail(c, "unterminated quoted field %zu: the "
				    "quote opened on line %ld is never closed",
				    nf + 1, quote_line);
				*at_eol = 1;
				return -1;
			}
			if (ch == '"') {
				st = CSV_AFTER_QUOTE;
				continue;
			}
			if (ch == '\n')
				c->line++;
			else if (ch == '\r' && csv_peek(c) != '\n')
				c->line++;
			break;
		case CSV_AFTER_QUOTE:
		case CSV_TRAILING:
			if (ch == '"' && st == CSV_AFTER_QUOTE) {
				st = CSV_QUOTED;	/* "" is one quote */
				break;
			}
			if (ch == ',') {
				if (csv_end_field(c, &nf) < 0 ||
				    csv_new_field(c, nf) < 0)
					return -1;
				st = CSV_FIELD_START;
				continue;
			}
			if (ch == '\n' || ch == '\r' || ch == CSV_EOF)
				goto end_record;
			if (ch == ' ' || ch == '\t') {
				st = CSV_TRAILING;
				continue;
			}
			csv_fail(c, "text after the closing quote of field %zu "
			    "(a quote inside a quoted field is written \"\")",
			    nf + 1);
			return -1;
		}
		/* a data byte of the current field */
		if (c->rlen - c->off[nf] >= c->max_field) {
			if (st == CSV_QUOTED && quote_line != c->line)
				csv_fail(c, "field %zu longer than %zu bytes "
				    "(is the quote opened on line %ld never "
				    "closed?)", nf + 1, c->max_field,
				    quote_line);
			else
				csv_fail(c, "field %zu longer than %zu bytes",
				    nf + 1, c->max_field);
			return -1;
		}
		if (csv_put(c, (char)ch) < 0)
			return -1;
		if (st == CSV_FIELD_START)
			st = CSV_UNQUOTED;
		any = 1;
	}

end_record:
	if (ch == CSV_EOF && c->done)
		return -1;	/* read error: never hand out half a record */
	if (ch == CSV_EOF && !any && c->rlen == 0 && nf == 0)
		return 0;
	if (ch == '\r' && csv_peek(c) == '\n')
		c->bpos++;
	if (ch != CSV_EOF) {
		c->line++;
		*at_eol = 1;
	}
	if (csv_end_field(c, &nf) < 0)
		return -1;
	*nfp = nf;
	return 1;
}

int
nf_csv_next(struct nf_csv *c, char ***fields, size_t *nfields, long *line)
{
	size_t nf = 0, i;
	int rc, quoted, at_eol;
	long start;

	*fields = NULL;
	*nfields = 0;
	if (c->done)
		return 0;
	if (!c->started) {
		c->started = 1;
		if (csv_fill(c) && c->blen >= 2 &&
		    ((c->buf[0] == 0xff && c->buf[1] == 0xfe) ||
		    (c->buf[0] == 0xfe && c->buf[1] == 0xff))) {
			csv_fail(c, "the file is UTF-16; save it as UTF-8");
			*line = 1;
			c->done = 1;
			return -1;
		}
		if (c->blen >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
			c->bpos = 3;
	}
	for (;;) {
		start = c->line;
		*line = start;
		rc = csv_record(c, &nf, &quoted, &at_eol);
		if (rc < 0) {
			if (c->done == 2)
				c->done = 1;	/* read error: end after this */
			else if (!at_eol)
				csv_skip_line(c);
			return -1;
		}
		if (rc == 0)
			return 0;
		if (!csv_is_blank(c, nf, quoted))
			break;
	}
	for (i = 0; i < nf; i++)
		c->ptrs[i] = c->rec + c->off[i];
	c->ptrs[nf] = NULL;
	*fields = c->ptrs;
	*nfields = nf;
	return 1;
}
