/*
 * t_csv.c - unit tests for lib/csv.c.
 *
 * Each table row is an input (with an explicit length, so it may hold NUL
 * bytes) and the transcript a reader must produce: one item per call,
 * "LINE:[f1|f2]" for a record, "LINE:!message" for a malformed one, with
 * control characters inside fields shown as \n, \r, \t.  A transcript says
 * at once what differed: fields, field counts, line numbers, resync.
 * Then buffer-boundary cases and a throughput check on 100,000 rows.
 */
#include "csv.h"
#include "tap.h"

#include <stdlib.h>
#include <time.h>

struct csv_case {
	const char *name;
	const char *in;
	size_t len;		/* 0: strlen(in) */
	size_t max_field, max_fields;
	const char *want;
};

#define S(lit) lit, sizeof(lit) - 1	/* a literal with its NULs */

static const struct csv_case cases[] = {
	{ "simple", S("a,b,c\n1,2,3\n"), 64, 8, "1:[a|b|c] 2:[1|2|3]" },
	{ "no final newline", S("a,b\n1,2"), 64, 8, "1:[a|b] 2:[1|2]" },
	{ "empty input", S(""), 64, 8, "" },
	{ "BOM only", S("\xef\xbb\xbf"), 64, 8, "" },
	{ "BOM then header", S("\xef\xbb\xbf" "email,phone\r\nx@y.z,+49\r\n"),
	    64, 8, "1:[email|phone] 2:[x@y.z|+49]" },
	{ "BOM not at start is data",
	    S("a\n\xef\xbb\xbf" "b\n"), 64, 8, "1:[a] 2:[\xef\xbb\xbf" "b]" },
	{ "CRLF and a blank CRLF line", S("a,b\r\n\r\nc,d\r\n"), 64, 8,
	    "1:[a|b] 3:[c|d]" },
	{ "bare CR line ends", S("a,b\rc,d\r"), 64, 8, "1:[a|b] 2:[c|d]" },
	{ "blank and space-only lines skipped", S("\n\n  \t\na\n\n"), 64, 8,
	    "4:[a]" },
	{ "quoted newline keeps line count",
	    S("name,note\n\"x\",\"line1\nline2\"\nnext,row\n"), 64, 8,
	    "1:[name|note] 2:[x|line1\\nline2] 4:[next|row]" },
	{ "quoted CRLF kept, counted once",
	    S("\"x\r\ny\r\nz\",1\r\nnext,2\r\n"), 64, 8,
	    "1:[x\\r\\ny\\r\\nz|1] 4:[next|2]" },
	{ "doubled quotes", S("\"a \"\"b\"\" c\",d\n"), 64, 8,
	    "1:[a \"b\" c|d]" },
	{ "quoted comma", S("\"a,b\",c\n"), 64, 8, "1:[a,b|c]" },
	{ "empty fields", S(",,\na,\n,b\n"), 64, 8, "1:[||] 2:[a|] 3:[|b]" },
	{ "quoted empty field is a record", S("\"\"\n"), 64, 8, "1:[]" },
	{ "spaces around a quoted field", S("a, \"b\" ,c\n"), 64, 8,
	    "1:[a|b|c]" },
	{ "unquoted spaces kept", S(" a , b \n"), 64, 8, "1:[ a | b ]" },
	{ "missing and extra columns",
	    S("email,phone,name\nx@y.z\nx@y.z,1,2,3\n"), 64, 8,
	    "1:[email|phone|name] 2:[x@y.z] 3:[x@y.z|1|2|3]" },
	{ "valid UTF-8, 2 to 4 bytes",
	    S("\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80\n"), 64, 8,
	    "1:[\xc3\xa9|\xe2\x82\xac|\xf0\x9f\x98\x80]" },
	/* malformed rows: each named, then reading goes on */
	{ "NUL byte", S("a,b\nc\0d,e\nf,g\n"), 64, 8,
	    "1:[a|b] 2:!NUL byte in the input (is the file binary or UTF-16? "
	    "save it as UTF-8 text) 3:[f|g]" },
	{ "NUL in a quoted field on its second line",
	    S("\"a\nb\0c\",d\nnext\n"), 64, 8,
	    "1:!NUL byte in the input (is the file binary or UTF-16? save it "
	    "as UTF-8 text) 3:[next]" },
	{ "unterminated quote", S("a,b\n\"c,d\ne,f\n"), 64, 8,
	    "1:[a|b] 2:!unterminated quoted field 1: the quote opened on line 2 "
	    "is never closed" },
	{ "unterminated after a doubled quote", S("x,\"abc\"\""), 64, 8,
	    "1:!unterminated quoted field 2: the quote opened on line 1 is "
	    "never closed" },
	{ "quote inside an unquoted field", S("ab\"c,d\ne,f\n"), 64, 8,
	    "1:!'\"' inside an unquoted field 1 (quote the whole field and "
	    "double the quote: \"a \"\"b\"\" c\") 2:[e|f]" },
	{ "text after a closing quote", S("\"a\"b,c\nd\n"), 64, 8,
	    "1:!text after the closing quote of field 1 (a quote inside a "
	    "quoted field is written \"\") 2:[d]" },
	{ "invalid UTF-8 found at end of line (no extra skip)",
	    S("ok,\xc3\xa9\nbad,\xe9t\xe9\nnext\n"), 64, 8,
	    "1:[ok|\xc3\xa9] 2:!invalid UTF-8 in field 2, byte 1 (save the "
	    "file as UTF-8) 3:[next]" },
	{ "invalid UTF-8 found at a comma", S("\xff,x\nnext\n"), 64, 8,
	    "1:!invalid UTF-8 in field 1, byte 1 (save the file as UTF-8) "
	    "2:[next]" },
	{ "invalid UTF-8 on the last line without newline", S("a\nb\xff"), 64,
	    8, "1:[a] 2:!invalid UTF-8 in field 1, byte 2 (save the file as "
	    "UTF-8)" },
	{ "overlong UTF-8", S("a\xc0\xaf\n"), 64, 8,
	    "1:!invalid UTF-8 in field 1, byte 2 (save the file as UTF-8)" },
	{ "UTF-8 surrogate", S("\xed\xa0\x80\n"), 64, 8,
	    "1:!invalid UTF-8 in field 1, byte 1 (save the file as UTF-8)" },
	{ "UTF-8 above U+10FFFF", S("\xf4\x90\x80\x80\n"), 64, 8,
	    "1:!invalid UTF-8 in field 1, byte 1 (save the file as UTF-8)" },
	{ "truncated UTF-8 sequence", S("ab\xe2\x82,c\n"), 64, 8,
	    "1:!invalid UTF-8 in field 1, byte 3 (save the file as UTF-8)" },
	{ "field at the limit", S("abcd,\"ef\"\"g\"\n"), 4, 8,
	    "1:[abcd|ef\"g]" },
	{ "field over the limit", S("abcde,x\ny\n"), 4, 8,
	    "1:!field 1 longer than 4 bytes 2:[y]" },
	{ "quoted field over the limit", S("x,\"abcde\"\ny\n"), 4, 8,
	    "1:!field 2 longer than 4 bytes 2:[y]" },
	{ "runaway quote hits the limit",
	    S("a,\"b\nc\nd\ne\nf\ng,h\n"), 6, 8,
	    "1:!field 2 longer than 6 bytes (is the quote opened on line 1 "
	    "never closed?) 5:[f] 6:[g|h]" },
	{ "fields at the limit", S("a,b,c,d\n"), 64, 4, "1:[a|b|c|d]" },
	{ "too many fields", S("a,b,c,d\na,b,c,d,e\nx\n"), 64, 4,
	    "1:[a|b|c|d] 2:!more than 4 fields 3:[x]" },
	{ "too many empty fields", S(",,,,,,,,,,\nx\n"), 64, 4,
	    "1:!more than 4 fields 2:[x]" },
	{ "every bad row reported",
	    S("h\n\"a\"x\nok1\nb\0\nok2\n\xff\nok3\n"), 64, 4,
	    "1:[h] 2:!text after the closing quote of field 1 (a quote inside "
	    "a quoted field is written \"\") 3:[ok1] 4:!NUL byte in the input "
	    "(is the file binary or UTF-16? save it as UTF-8 text) 5:[ok2] "
	    "6:!invalid UTF-8 in field 1, byte 1 (save the file as UTF-8) "
	    "7:[ok3]" },
	{ "UTF-16 LE", S("\xff\xfe" "a\0,\0b\0\n\0"), 64, 8,
	    "1:!the file is UTF-16; save it as UTF-8" },
	{ "UTF-16 BE", S("\xfe\xff\0a\0,\0b\0\n"), 64, 8,
	    "1:!the file is UTF-16; save it as UTF-8" },
};

struct transcript {
	char s[80000];		/* room for one 64 KiB field */
	size_t n;
};

static int
ends_with(const struct transcript *t, const char *suffix)
{
	size_t k = strlen(suffix);

	return t->n >= k && strcmp(t->s + t->n - k, suffix) == 0;
}

static void
tr_putc(struct transcript *t, char ch)
{
	if (t->n + 1 < sizeof(t->s))
		t->s[t->n++] = ch;
	t->s[t->n] = '\0';
}

static void
tr_puts(struct transcript *t, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			tr_puts(t, "\\n");
		else if (*s == '\r')
			tr_puts(t, "\\r");
		else if (*s == '\t')
			tr_puts(t, "\\t");
		else
			tr_putc(t, *s);
	}
}

/* Read all of `in` and write the transcript; bounded to 100 calls. */
static void
run(const char *in, size_t len, size_t max_field, size_t max_fields,
    struct transcript *t)
{
	/* fmemopen refuses a zero size: read an empty file instead */
	FILE *fp = len > 0 ? fmemopen((void *)(uintptr_t)in, len, "r") :
	    fopen("/dev/null", "r");
	struct nf_csv *c;
	char **f, num[32];
	size_t nf, i;
	long line;
	int rc, calls;

	t->n = 0;
	t->s[0] = '\0';
	if (fp == NULL || (c = nf_csv_new(fp, max_field, max_fields)) == NULL) {
		tr_puts(t, "(could not open)");
		if (fp != NULL)
			fclose(fp);
		return;
	}
	for (calls = 0; calls < 100; calls++) {
		rc = nf_csv_next(c, &f, &nf, &line);
		if (rc == 0)
			break;
		if (t->n > 0)
			tr_putc(t, ' ');
		snprintf(num, sizeof(num), "%ld:", line);
		tr_puts(t, num);
		if (rc < 0) {
			tr_putc(t, '!');
			tr_puts(t, nf_csv_error(c));
			if (f != NULL || nf != 0)
				tr_puts(t, "(fields not cleared)");
			continue;
		}
		tr_putc(t, '[');
		for (i = 0; i < nf; i++) {
			if (i > 0)
				tr_putc(t, '|');
			tr_puts(t, f[i]);
		}
		tr_putc(t, ']');
		if (f[nf] != NULL)
			tr_puts(t, "(no NULL after the last field)");
	}
	if (calls == 100)
		tr_puts(t, " (reader did not end)");
	/* once ended, it stays ended */
	if (nf_csv_next(c, &f, &nf, &line) != 0)
		tr_puts(t, " (read past the end)");
	nf_csv_free(c);
	fclose(fp);
}

static void
test_table(void)
{
	static struct transcript t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(cases[i].in, cases[i].len, cases[i].max_field,
		    cases[i].max_fields, &t);
		is_str(t.s, cases[i].want, "%s", cases[i].name);
	}
}

/* A CRLF split exactly across the 64 KiB read buffer, and a doubled quote
 * split the same way: the line count must not see an extra line. */
static void
test_boundaries(void)
{
	const size_t B = 65536;
	char *in = malloc(B + 64);
	static struct transcript t;
	size_t n;

	if (in == NULL)
		abort();
	/* "a," + x... with '\r' at index B-1 and '\n' at B */
	memcpy(in, "a,", 2);
	memset(in + 2, 'x', B - 3);
	n = B - 1;
	memcpy(in + n, "\r\nb,c\r\n", 7);
	n += 7;
	run(in, n, B, 4, &t);
	ok(strncmp(t.s, "1:[a|xxx", 8) == 0 && ends_with(&t, "xx] 2:[b|c]"),
	    "CRLF split across the read buffer ends one line (tail \"%s\")",
	    t.n > 20 ? t.s + t.n - 20 : t.s);

	/* "\"" + x... + "\"\"" with the two quotes on either side of B */
	in[0] = '"';
	memset(in + 1, 'x', B - 2);
	n = B - 1;
	memcpy(in + n, "\"\"y\",z\nnext\n", 12);
	n += 12;
	run(in, n, B + 8, 4, &t);
	ok(strncmp(t.s, "1:[xxx", 6) == 0 && ends_with(&t, "xx\"y|z] 2:[next]"),
	    "doubled quote split across the read buffer (tail \"%s\")",
	    t.n > 20 ? t.s + t.n - 20 : t.s);
	free(in);
}

static void
test_new(void)
{
	FILE *fp = fopen("/dev/null", "r");

	ok(nf_csv_new(fp, 0, 8) == NULL, "max_field 0 refused");
	ok(nf_csv_new(fp, 8, 0) == NULL, "max_fields 0 refused");
	ok(nf_csv_new(fp, (size_t)-1 / 2, (size_t)-1 / 2) == NULL,
	    "absurd bounds refused, no overflow");
	ok(nf_csv_new(NULL, 8, 8) == NULL, "NULL FILE refused");
	nf_csv_free(NULL);
	ok(1, "nf_csv_free(NULL) is a no-op");
	if (fp != NULL)
		fclose(fp);
}

/* 100,000 contact rows (CRLF, quoted names with commas and quotes) must
 * read in well under a second. */
static void
test_throughput(void)
{
	const long rows = 100000;
	FILE *fp = tmpfile();
	struct nf_csv *c;
	struct timespec t0, t1;
	char **f;
	size_t nf;
	long i, line, got = 0, bad = 0, lastline = 0;
	char lastname[64] = "";
	double secs;
	int rc;

	if (fp == NULL) {
		ok(0, "tmpfile for the throughput check");
		return;
	}
	fputs("\xef\xbb\xbf" "email,phone,name,email_consent,sms_consent\r\n", fp);
	for (i = 0; i < rows; i++)
		fprintf(fp, "user%06ld@example.com,+4915112%06ld,"
		    "\"Doe, John \"\"J%ld\"\"\",yes,no\r\n", i, i, i);
	rewind(fp);
	c = nf_csv_new(fp, 4096, 64);
	if (c == NULL) {
		ok(0, "reader for the throughput check");
		fclose(fp);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rows + 10; i++) {
		rc = nf_csv_next(c, &f, &nf, &line);
		if (rc == 0)
			break;
		if (rc < 0 || nf != 5)
			bad++;
		got++;
		lastline = line;
		if (rc > 0 && nf > 2)
			snprintf(lastname, sizeof(lastname), "%s", f[2]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(got, rows + 1, "header and %ld rows read", rows);
	is_int(bad, 0, "every row has 5 fields");
	is_int(lastline, rows + 1, "last row on line %ld", rows + 1);
	is_str(lastname, "Doe, John \"J99999\"", "last row's quoted name decoded");
	diag("csv: %ld rows in %.3f s (%.0f rows/s)", rows, secs,
	    secs > 0 ? (double)rows / secs : 0.0);
	ok(secs < 1.0, "100,000 rows in under a second (took %.3f s)", secs);
	nf_csv_free(c);
	fclose(fp);
}

int
main(void)
{
	test_table();
	test_boundaries();
	test_new();
	test_throughput();
	return tap_done();
}
