/*
 * cmd_report.c - notifilterctl report [--since DURATION] [--format
 * text|json|csv|html] [--top N]: what happened to notifications in the
 * last DURATION (default 24h), for a support agent or a script.
 *
 * The figures come from nf_store_stats (lib/store_stats.c), one read
 * snapshot; this file parses the options, reads them and hands them to
 * one renderer (report_text.c, report_json.c, report_csv.c,
 * report_html.c).  nf_report_load is shared with `digest`.
 *
 * Exit status: 0 shown (an empty store shows zeros), 64 bad options, the
 * store's 69/75/78 when it cannot be read, 74 when stdout fails.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "report_out.h"

const char *
nf_report_pct(double rate, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f%%", rate * 100.0);
	return buf;
}

void
nf_report_headline(const struct nf_stats *st, char *buf, size_t len)
{
	char pct[32];

	snprintf(buf, len, "%lld delivered, %lld bounced, %lld spam-rejected, "
	    "%lld blocked, complaints %s%s", (long long)st->delivered,
	    (long long)(st->bounced + st->expired), (long long)st->spam,
	    (long long)st->blocked, nf_report_pct(st->complaint_rate, pct,
	    sizeof pct), st->complaint_flag ? " (over 0.3%!)" : "");
}

int
nf_report_load(struct nf_ctl *ctl, const char *since_arg, struct nf_stats *st)
{
	struct nf_store *s;
	int64_t secs = 0, now;
	int rc;

	memset(st, 0, sizeof *st);
	if (nf_conf_parse_duration(since_arg, &secs) != 0)
		return nf_ctl_usage(ctl, "--since %s is not a duration: write "
		    "it as 30m, 24h, 7d or 2w", since_arg);
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	/* [since, until) with until after the current second: what was
	 * written a moment ago counts, and the next run's window starts
	 * where this one ended (a row is never in two digests) */
	now = (int64_t)time(NULL) + 1;
	rc = nf_store_stats(s, now - secs, now, 0, st);
	if (rc != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "reading the report figures");
	return NF_EX_OK;
}

/* This host's name for the page (gethostname; "localhost" if none). */
static void
host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0 || buf[0] == '\0')
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

int
nf_cmd_report(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_report_meta meta;
	struct nf_stats st;
	enum nf_report_format fmt = NF_REPORT_TEXT;
	const char *since = "24h";
	char host[256];
	int ch, rc;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			since = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = NF_REPORT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				fmt = NF_REPORT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				fmt = NF_REPORT_CSV;
			else if (strcmp(optarg, "html") == 0)
				fmt = NF_REPORT_HTML;
			else
				return nf_ctl_usage(ctl, "--format %s: give "
				    "text, json, csv or html", optarg);
			break;
		default:
			return nf_ctl_badopt(ctl, ch, argv, optind);
		}
	}
	if (optind < argc)
		return nf_ctl_usage(ctl, "unexpected argument \"%s\"",
		    argv[optind]);
	rc = nf_report_load(ctl, since, &st);
	if (rc == NF_EX_OK) {
		host_name(host, sizeof host);
		meta.host = host;
		meta.since_arg = since;
		switch (fmt) {
		case NF_REPORT_JSON:
			if (nf_report_json(stdout, &st, &meta) != 0) {
				fprintf(stderr, "notifilterctl report: out of "
				    "memory building JSON\n");
				rc = NF_EX_SOFTWARE;
			}
			break;
		case NF_REPORT_CSV:
			nf_report_csv(stdout, &st, &meta);
			break;
		case NF_REPORT_HTML:
			nf_report_html(stdout, &st, &meta);
			break;
		default:
			nf_report_text(stdout, &st, &meta);
		}
	}
	nf_stats_free(&st);
	return rc;
}
