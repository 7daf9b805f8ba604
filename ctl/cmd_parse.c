/*
 * cmd_parse.c - `notifilterctl parse [--json] FILE...`: what a report says.
 *
 * Reads each file (raw message, any line ends), runs the report parser of
 * lib/report.h and prints one result per recipient: JSON Lines per
 * DESIGN.md with --json, else a readable table.  Needs no config and no
 * store.  An unreadable file is named on stderr and skipped; the exit
 * status is then 66 (EX_NOINPUT) after the other files were done.  A file
 * that is not a report prints nothing with --json ("not a report" in the
 * table).
 *
 * Speed (issue 4's benchmark parses the corpus with this command): the
 * JSON Lines are written straight to stdout by json_str() below rather than
 * built as jansson objects, byte for byte what json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) printed; files are read with read(2) into one
 * buffer (no extra read() to meet the end of a regular file); one report
 * object is reset and reused for all files; stdout is flushed before
 * anything goes to stderr (so that the two
 * stay in order) and at the end, not after every file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ctl.h"
#include "report.h"

int nf_cmd_parse(struct nf_ctl *ctl, int argc, char **argv);

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: notifilterctl parse [--json] FILE...\n"
	    "  Parse bounce, delay, success, auto-reply and complaint (ARF) messages\n"
	    "  and print one line per recipient: action, status, reason, hard/soft,\n"
	    "  the server's diagnostic, the remote MTA and the tracking token.\n"
	    "  --json   JSON Lines: file, recipient, action, status, reason, hard,\n"
	    "           diagnostic, remote_mta, token\n");
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is
 * not one: no overlong forms, no surrogates, nothing above U+10FFFF (the
 * rules of RFC 3629, which jansson applied when it printed these lines). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], v;
	size_t k, j;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, v = c & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (j = 1; j < k; j++) {
		if (s[j] < 0x80 || s[j] > 0xbf)
			return 0;
		v = (v << 6) | (s[j] & 0x3f);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) ||
	    (k == 3 && v < 0x800) || (k == 4 && v < 0x10000))
		return 0;
	return k;
}

/* Print s as a JSON string: a byte that does not start valid UTF-8 becomes
 * '?', a control character a space (a diagnostic is one line), '"' and '\'
 * are escaped.  Runs of plain bytes go out with one fwrite. */
static void
json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)s), i = 0, run = 0;

	putc('"', f);
	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		const char *rep = NULL;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			run++;
			i++;
			continue;
		}
		k = c < 0x80 ? 1 : utf8_seq(s + i, n - i);
		if (k > 1) {
			run += k;
			i += k;
			continue;
		}
		rep = k == 0 ? "?" : c < 0x20 ? " " : c == '"' ? "\\\"" : "\\\\";
		if (run)
			fwrite(s + i - run, 1, run, f);
		run = 0;
		fputs(rep, f);
		i++;
	}
	if (run)
		fwrite(s + n - run, 1, run, f);
	putc('"', f);
}

/* One JSON Lines object per recipient, fields in DESIGN.md's order. */
static void
print_json(const char *file, const struct nf_report *r, const struct nf_report_rcpt *x)
{
	FILE *f = stdout;

	fputs("{\"file\":", f);
	json_str(f, file);
	fputs(",\"recipient\":", f);
	json_str(f, x->recipient);
	fputs(",\"action\":", f);
	json_str(f, x->action);
	fputs(",\"status\":", f);
	json_str(f, x->status);
	fputs(",\"reason\":", f);
	json_str(f, x->reason);
	fputs(x->hard ? ",\"hard\":true,\"diagnostic\":" : ",\"hard\":false,\"diagnostic\":", f);
	json_str(f, x->diagnostic);
	fputs(",\"remote_mta\":", f);
	json_str(f, x->remote_mta);
	fputs(",\"token\":", f);
	json_str(f, nf_report_token(r));
	fputs("}\n", f);
}

static void
print_plain(const char *file, const struct nf_report *r)
{
	size_t i, n = nf_report_count(r);

	if (n == 0) {
		printf("%s: not a report\n", file);
		return;
	}
	printf("%s: %s, %zu recipient%s%s%s\n", file, nf_report_kind_name(nf_report_kind(r)),
	    n, n == 1 ? "" : "s", nf_report_token(r)[0] ? ", token " : "",
	    nf_report_token(r));
	for (i = 0; i < n; i++) {
		const struct nf_report_rcpt *x = nf_report_get(r, i);

		printf("  %-40s %-9s %-7s %-15s %s\n", x->recipient, x->action,
		    x->status[0] ? x->status : "-", x->reason, x->hard ? "hard" : "soft");
		if (x->diagnostic[0])
			printf("    %.200s\n", x->diagnostic);
	}
}

/* stdout first, so that a message on stderr comes after the lines of the
 * files before it when both go to one place */
static void
complain(const char *path, const char *what, const char *why, const char *hint)
{
	fflush(stdout);
	fprintf(stderr, "notifilterctl parse: %s: %s%s%s%s\n", path, what, why ? ": " : "",
	    why ? why : "", hint);
}

/* Parse one file; 0, NF_EX_NOINPUT (reported), or NF_EX_SOFTWARE.  buf is
 * the caller's read buffer of bufsize bytes; *rp the report, made on first
 * use and reset for each further file (its buffers are reused), freed and
 * set to NULL after an allocation failure. */
static int
parse_file(const char *path, int json, char *buf, size_t bufsize, struct nf_report **rp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct nf_report *r = *rp;
	struct stat st;
	ssize_t n;
	size_t i, got = 0, size = 0;
	int rc = 0;

	if (fd < 0) {
		fflush(stdout);
		fprintf(stderr, "notifilterctl parse: %s: %s (skipped; check the path "
		    "and its permissions)\n", path, strerror(errno));
		return NF_EX_NOINPUT;
	}
	if (r != NULL && nf_report_reset(r) < 0) {
		nf_report_free(r);
		*rp = r = NULL;
	}
	if (r == NULL && (*rp = r = nf_report_new(NULL)) == NULL) {
		close(fd);
		complain(path, "out of memory", NULL, "");
		return NF_EX_SOFTWARE;
	}
	/* a regular file ends at the size fstat gave when a read that reaches
	 * it comes up short: no further read() just to see 0 (a file that grew
	 * past that size is read on to its end) */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		size = (size_t)st.st_size;
	for (;;) {
		n = read(fd, buf, bufsize);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (nf_report_push(r, buf, (size_t)n) < 0)
			break;
		if (size > 0 && got == size && (size_t)n < bufsize)
			break;	/* all of it, and the read came up short: the end */
	}
	if (n < 0) {
		complain(path, "read error", strerror(errno), " (skipped)");
		rc = NF_EX_NOINPUT;
	}
	close(fd);
	if (rc == 0 && nf_report_finish(r) < 0) {
		complain(path, "out of memory", NULL, "");
		rc = NF_EX_SOFTWARE;
	}
	if (rc == 0) {
		if (json) {
			for (i = 0; i < nf_report_count(r); i++)
				print_json(path, r, nf_report_get(r, i));
		} else
			print_plain(path, r);
	}
	if (rc == NF_EX_SOFTWARE) {
		nf_report_free(r);
		*rp = NULL;
	}
	return rc;
}

int
nf_cmd_parse(struct nf_ctl *ctl, int argc, char **argv)
{
	int json = 0, i, rc = NF_EX_OK, files = 0, opts = 1;
	static char buf[65536];	/* read buffer, one for all files */
	struct nf_report *r = NULL;	/* one report, reset for each file */

	(void)ctl;
	for (i = 1; i < argc; i++) {
		if (!opts || argv[i][0] != '-' || argv[i][1] == '\0')
			files++;
		else if (strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return NF_EX_OK;
		} else {
			fprintf(stderr, "notifilterctl parse: unknown option %s\n", argv[i]);
			usage(stderr);
			return NF_EX_USAGE;
		}
	}
	if (files == 0) {
		fprintf(stderr, "notifilterctl parse: no FILE given\n");
		usage(stderr);
		return NF_EX_USAGE;
	}
	opts = 1;
	for (i = 1; i < argc; i++) {
		int st;

		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		st = parse_file(argv[i], json, buf, sizeof(buf), &r);
		if (st == NF_EX_SOFTWARE)
			rc = st;
		else if (st != 0 && rc == NF_EX_OK)
			rc = st;
	}
	nf_report_free(r);
	fflush(stdout);
	return rc;
}
