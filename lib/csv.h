/*
 * csv.h - RFC 4180 reader with line numbers, bounded.
 */
#ifndef NF_CSV_H
#define NF_CSV_H

#include <stddef.h>
#include <stdio.h>

struct nf_csv;   /* opaque */

/* Read from fp (not owned). max_field/max_fields bound memory (e.g. 4096 and
 * 64): at most max_fields * (max_field + 1) bytes per record plus a 64 KiB
 * read buffer. Returns NULL (errno set) when out of memory or a bound is 0
 * or absurd. */
struct nf_csv *nf_csv_new(FILE *fp, size_t max_field, size_t max_fields);
void nf_csv_free(struct nf_csv *c);

/* Next record. Returns 1 with a record, 0 at end of input, -1 on a malformed
 * record (unterminated quote, field too long, too many fields, NUL byte,
 * invalid UTF-8) with nf_csv_error() describing it; after -1 the reader
 * resynchronises at the next line so the caller can report every bad row.
 * *line = the physical line number where the record started (1-based), also
 * on -1. A UTF-8 BOM at the start is skipped; LF and CRLF line ends (a bare
 * CR ends a line too); quoted fields may hold commas, "" and newlines (line
 * counting stays right); blank lines (empty or only spaces and tabs) are
 * skipped; spaces between a separator and a quoted field are ignored;
 * fields are NUL-terminated and valid until the next call. A read error or
 * a UTF-16 file is reported once as -1 and then ends the input (0). */
int nf_csv_next(struct nf_csv *c, char ***fields, size_t *nfields, long *line);
const char *nf_csv_error(const struct nf_csv *c);

#endif
