/*
 * report_csv.c - `notifilterctl report --format csv`: one table per
 * section, each with its own header line whose first column is
 * "section", every row starting with the section's name, and an empty
 * line between tables (so `grep ^domains,` or a csv reader grouping on
 * the first column both work).  Sections: summary (metric,value),
 * blocked_rules, reasons, domains, categories, senders,
 * failing_recipients, fallbacks.
 *
 * RFC 4180: CRLF line ends; a field with a comma, a quote, CR or LF is
 * quoted and its quotes doubled.  Values from mail that start with = + -
 * @ or a tab or CR get a leading apostrophe, so a spreadsheet shows them
 * as text instead of running them as a formula (CSV injection); counts
 * never start with those.  Bytes are passed through as they are (the
 * store holds UTF-8 as received).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "report_out.h"

#define EOL "\r\n"

/* Would a spreadsheet take a cell starting with c as a formula? */
static int
formula_start(char c)
{
	return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

/* One text field, quoted as needed. */
static void
field(FILE *fp, const char *s)
{
	const char *p;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL && !formula_start(s[0])) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	if (formula_start(s[0]))
		fputc('\'', fp);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
num(FILE *fp, int64_t n)
{
	fprintf(fp, ",%lld", (long long)n);
}

static void
rate(FILE *fp, double r)
{
	fprintf(fp, ",%.6f", r);
}

static void
metric(FILE *fp, const char *name, int64_t n)
{
	fprintf(fp, "summary,%s,%lld" EOL, name, (long long)n);
}

static void
metric_rate(FILE *fp, const char *name, double r)
{
	fprintf(fp, "summary,%s,%.6f" EOL, name, r);
}

/* a table of grouped rows; `unattr`: with the column only domains fill
 * (complaints not attributed to a recipient, already in "complaints") */
static void
groups(FILE *fp, const char *section, const char *keyname,
    const struct nf_stats_list *l, int unattr)
{
	size_t i;

	fprintf(fp, EOL "section,%s,recipients,delivered,deferred,bounced,"
	    "expired,spam_rejected,pending,complaints,spam_rejection_rate,"
	    "complaint_rate,spam_flagged,complaint_flagged%s" EOL, keyname,
	    unattr ? ",complaints_unattributed" : "");
	for (i = 0; i < l->n; i++) {
		const struct nf_stats_row *r = &l->row[i];

		fprintf(fp, "%s,", section);
		field(fp, r->key);
		num(fp, r->total);
		num(fp, r->delivered);
		num(fp, r->deferred);
		num(fp, r->bounced);
		num(fp, r->expired);
		num(fp, r->spam);
		num(fp, r->pending);
		num(fp, r->complaints);
		rate(fp, r->spam_rate);
		rate(fp, r->complaint_rate);
		num(fp, r->spam_flag);
		num(fp, r->complaint_flag);
		if (unattr)
			num(fp, r->unattributed);
		fputs(EOL, fp);
	}
}

static void
summary(FILE *fp, const struct nf_stats *st, const struct nf_report_meta *m)
{
	char t[NF_CTL_TIME_MAX];

	fputs("section,metric,value" EOL, fp);
	fputs("summary,host,", fp);
	field(fp, m->host);
	fputs(EOL "summary,since,", fp);
	fputs(nf_ctl_time(st->since, t, sizeof t), fp);
	fputs(EOL "summary,until,", fp);
	fputs(nf_ctl_time(st->until, t, sizeof t), fp);
	fputs(EOL, fp);
	metric(fp, "allowed", st->allowed);
	metric(fp, "blocked", st->blocked);
	metric(fp, "monitored", st->monitored);
	metric(fp, "messages", st->messages);
	metric(fp, "recipients", st->recipients);
	metric(fp, "delivered", st->delivered);
	metric(fp, "deferred", st->deferred);
	metric(fp, "bounced", st->bounced);
	metric(fp, "expired", st->expired);
	metric(fp, "spam_rejected", st->spam);
	metric(fp, "pending", st->pending);
	metric(fp, "refused", st->refused);
	metric(fp, "complaints", st->complaints);
	metric(fp, "complaints_unattributed", st->complaints_unattributed);
	metric(fp, "complaints_unattributed_in_domains",
	    st->complaints_unattributed_domain);
	metric_rate(fp, "complaint_rate", st->complaint_rate);
	metric(fp, "complaint_base", st->reached);
	metric_rate(fp, "complaint_limit", NF_STATS_COMPLAINT_LIMIT);
	metric(fp, "complaint_flagged", st->complaint_flag);
	metric_rate(fp, "spam_rejection_rate", st->spam_rate);
	metric_rate(fp, "spam_rejection_limit", NF_STATS_SPAM_LIMIT);
	metric(fp, "spam_rejection_flagged", st->spam_flag);
	metric(fp, "reports", st->reports);
	metric(fp, "reports_unauthenticated", st->reports_unauth);
	metric(fp, "fallbacks", st->fallbacks);
	metric(fp, "fallbacks_sent", st->fb_sent);
	metric(fp, "fallbacks_failed", st->fb_failed);
	metric(fp, "fallbacks_skipped", st->fb_skipped);
	metric(fp, "fallbacks_waiting", st->fb_held);
	metric(fp, "segments", st->segments);
	metric(fp, "blocked_rules_more", st->blocked_rules.more);
	metric(fp, "reasons_more", st->reasons.more);
	metric(fp, "domains_more", st->domains.more);
	metric(fp, "categories_more", st->categories.more);
	metric(fp, "senders_more", st->senders.more);
	metric(fp, "failing_recipients_more", st->failing.more);
}

int
nf_report_csv(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m)
{
	char t[NF_CTL_TIME_MAX];
	size_t i;

	summary(fp, st, m);

	fputs(EOL "section,rule,count" EOL, fp);
	for (i = 0; i < st->blocked_rules.n; i++) {
		fputs("blocked_rules,", fp);
		field(fp, st->blocked_rules.row[i].key);
		num(fp, st->blocked_rules.row[i].total);
		fputs(EOL, fp);
	}
	fputs(EOL "section,reason,policy,count" EOL, fp);
	for (i = 0; i < st->reasons.n; i++) {
		fputs("reasons,", fp);
		field(fp, st->reasons.row[i].key);
		fputc(',', fp);
		field(fp, st->reasons.row[i].detail);
		num(fp, st->reasons.row[i].total);
		fputs(EOL, fp);
	}
	groups(fp, "domains", "domain", &st->domains, 1);
	groups(fp, "categories", "category", &st->categories, 0);
	groups(fp, "senders", "sender", &st->senders, 0);

	fputs(EOL "section,address,failures,bounced,expired,spam_rejected,"
	    "last,reason" EOL, fp);
	for (i = 0; i < st->failing.n; i++) {
		const struct nf_stats_row *r = &st->failing.row[i];

		fputs("failing_recipients,", fp);
		field(fp, r->key);
		num(fp, r->total);
		num(fp, r->bounced);
		num(fp, r->expired);
		num(fp, r->spam);
		fprintf(fp, ",%s,", nf_ctl_time(r->last, t, sizeof t));
		field(fp, r->detail);
		fputs(EOL, fp);
	}

	fputs(EOL "section,channel,total,sent,failed,skipped,held,pending,"
	    "sending,cancelled,uncertain,segments" EOL, fp);
	for (i = 0; i < st->nchannel; i++) {
		const struct nf_stats_channel *c = &st->channel[i];

		fputs("fallbacks,", fp);
		field(fp, c->channel);
		num(fp, c->total);
		num(fp, c->sent);
		num(fp, c->failed);
		num(fp, c->skipped);
		num(fp, c->held);
		num(fp, c->pending);
		num(fp, c->sending);
		num(fp, c->cancelled);
		num(fp, c->uncertain);
		num(fp, c->segments);
		fputs(EOL, fp);
	}
	return 0;
}
