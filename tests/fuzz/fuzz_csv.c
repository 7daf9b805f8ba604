/*
 * fuzz_csv.c - libFuzzer target for lib/csv.c.
 *
 * The input is a CSV file read through fmemopen, once with generous bounds
 * (4096-byte fields, 64 fields) and once with tight ones (8 bytes, 3
 * fields) so the "too long" and "too many" paths and the resync after them
 * run.  Checks besides the sanitizers: fields respect the bounds, line
 * numbers start at 1 and never go back, an error has a message, and the
 * reader ends: no more calls than bytes + 2 (every record or error uses at
 * least one byte).  A broken property aborts.
 *   ./tests/fuzz/fuzz_csv -max_total_time=60 tests/fuzz/seeds/csv
 */
#include "csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, long line, size_t calls)
{
	fprintf(stderr, "fuzz_csv: %s (line %ld, call %zu)\n", what, line, calls);
	abort();
}

static void
read_all(const uint8_t *data, size_t size, size_t max_field, size_t max_fields)
{
	struct nf_csv *c;
	char **fields;
	size_t nfields, i, calls = 0;
	long line, last = 0;
	FILE *fp;
	int rc;

	/* fmemopen refuses a zero size; an empty file is tested by /dev/null */
	fp = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (fp == NULL)
		return;
	if ((c = nf_csv_new(fp, max_field, max_fields)) == NULL) {
		fclose(fp);
		return;
	}
	for (;;) {
		line = 0;
		rc = nf_csv_next(c, &fields, &nfields, &line);
		if (++calls > size + 2)
			fail("reader does not end", line, calls);
		if (rc == 0)
			break;
		if (rc != 1 && rc != -1)
			fail("return value not 1, 0 or -1", line, calls);
		if (line < 1 || line < last)
			fail("line number not >= 1 or went back", line, calls);
		last = line;
		if (rc == -1) {
			const char *e = nf_csv_error(c);

			if (e == NULL || e[0] == '\0')
				fail("-1 without a message", line, calls);
			continue;
		}
		if (nfields < 1 || nfields > max_fields)
			fail("field count outside 1..max_fields", line, calls);
		for (i = 0; i < nfields; i++)
			if (fields[i] == NULL || strlen(fields[i]) > max_field)
				fail("field NULL or longer than max_field", line, calls);
	}
	nf_csv_free(c);
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	read_all(data, size, 4096, 64);
	read_all(data, size, 8, 3);
	return 0;
}
