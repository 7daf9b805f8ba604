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
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* jansson takes UTF-8 only: replace bytes that are not valid UTF-8. */
static char *
utf8_clean(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0;
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;
		size_t j;
		int good = k > 0 && i + k <= n;

		for (j = 1; good && j < k; j++)
			if (((unsigned char)s[i + j] >> 6) != 2)
				good = 0;
		if (!good || (k == 1 && c < 0x20)) {
			d[o++] = k == 1 && c < 0x20 ? ' ' : '?';
			i++;
			continue;
		}
		memcpy(d + o, s + i, k);
		o += k;
		i += k;
	}
	d[o] = '\0';
	return d;
}

static int
set_str(json_t *o, const char *key, const char *v)
{
	char *c = utf8_clean(v ? v : "");
	int rc;

	if (c == NULL)
		return -1;
	rc = json_object_set_new(o, key, json_string(c));
	free(c);
	return rc;
}

static int
print_json(const char *file, const struct nf_report *r, const struct nf_report_rcpt *x)
{
	json_t *o = json_object();
	char *s;
	int rc = 0;

	if (o == NULL)
		return -1;
	if (set_str(o, "file", file) || set_str(o, "recipient", x->recipient) ||
	    set_str(o, "action", x->action) || set_str(o, "status", x->status) ||
	    set_str(o, "reason", x->reason) ||
	    json_object_set_new(o, "hard", json_boolean(x->hard)) ||
	    set_str(o, "diagnostic", x->diagnostic) ||
	    set_str(o, "remote_mta", x->remote_mta) ||
	    set_str(o, "token", nf_report_token(r)))
		rc = -1;
	if (rc == 0 && (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL) {
		printf("%s\n", s);
		free(s);
	} else
		rc = -1;
	json_decref(o);
	return rc;
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

/* Parse one file; 0, NF_EX_NOINPUT (reported), or NF_EX_SOFTWARE. */
static int
parse_file(const char *path, int json)
{
	FILE *f = fopen(path, "rb");
	struct nf_report *r;
	char buf[65536];
	size_t n, i;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "notifilterctl parse: %s: %s (skipped; check the path "
		    "and its permissions)\n", path, strerror(errno));
		return NF_EX_NOINPUT;
	}
	r = nf_report_new(NULL);
	if (r == NULL) {
		fclose(f);
		fprintf(stderr, "notifilterctl parse: %s: out of memory\n", path);
		return NF_EX_SOFTWARE;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (nf_report_push(r, buf, n) < 0)
			break;
	if (ferror(f)) {
		fprintf(stderr, "notifilterctl parse: %s: read error: %s (skipped)\n", path,
		    strerror(errno));
		rc = NF_EX_NOINPUT;
	}
	fclose(f);
	if (rc == 0 && nf_report_finish(r) < 0) {
		fprintf(stderr, "notifilterctl parse: %s: out of memory\n", path);
		rc = NF_EX_SOFTWARE;
	}
	if (rc == 0) {
		if (json) {
			for (i = 0; i < nf_report_count(r); i++)
				if (print_json(path, r, nf_report_get(r, i)) < 0) {
					fprintf(stderr, "notifilterctl parse: %s: out of memory\n", path);
					rc = NF_EX_SOFTWARE;
					break;
				}
		} else
			print_plain(path, r);
	}
	nf_report_free(r);
	return rc;
}

int
nf_cmd_parse(struct nf_ctl *ctl, int argc, char **argv)
{
	int json = 0, i, rc = NF_EX_OK, files = 0, opts = 1;

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
		int r;

		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		r = parse_file(argv[i], json);
		if (r == NF_EX_SOFTWARE)
			rc = r;
		else if (r != 0 && rc == NF_EX_OK)
			rc = r;
		fflush(stdout);
	}
	return rc;
}
