/*
 * report_text.c - `notifilterctl report` as text for a support agent: the
 * window, what the milter decided, what became of the recipients, the
 * complaint and spam-filter rates against their limits, then the top
 * lists (domains, reasons, categories, senders, failing recipients) and
 * the fallbacks.  Fits 80 columns; a key too long for its column gets a
 * line of its own, its numbers on the next.
 *
 * Keys come from mail (addresses, categories, reasons): each goes through
 * nf_text_clean (textout.h), so nothing a terminal would act on reaches it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "report_out.h"
#include "textout.h"

#define KEY_COLS 26		/* the key column of the tables */
#define CLEAN_MAX 1024		/* bytes of one cleaned key */

/* s cleaned for a terminal into out[len] ("[cut]" when it did not fit) */
static const char *
clean(const char *s, char *out, size_t len)
{
	struct nf_buf b;

	nf_buf_init(&b, CLEAN_MAX);
	nf_text_clean(&b, s);
	snprintf(out, len, "%s%s", nf_buf_cstr(&b), b.truncated ? "[cut]" :
	    "");
	nf_buf_free(&b);
	return out;
}

/* "  key" padded to the key column, or on a line of its own when longer */
static void
key_col(FILE *fp, const char *key, int width)
{
	char k[CLEAN_MAX + 8];
	size_t cols;

	clean(key, k, sizeof k);
	cols = nf_text_cols(k, strlen(k));
	if (cols > (size_t)width)
		fprintf(fp, "  %s\n  %*s", k, width, "");
	else
		fprintf(fp, "  %s%*s", k, width - (int)cols, "");
}

static void
line(FILE *fp, const char *label, int64_t n, const char *extra)
{
	fprintf(fp, "  %-*s %8lld%s%s\n", KEY_COLS, label, (long long)n,
	    extra[0] ? "  " : "", extra);
}

static void
more(FILE *fp, int64_t n)
{
	if (n > 0)
		fprintf(fp, "  ... and %lld more\n", (long long)n);
}

static void
group_table(FILE *fp, const char *title, const char *keyname,
    const struct nf_stats_list *l, int rates)
{
	char a[32], b[32];
	size_t i;

	fprintf(fp, "\n%s\n", title);
	if (l->n == 0) {
		fprintf(fp, "  (none)\n");
		return;
	}
	fprintf(fp, "  %-*s %6s %6s %6s %5s %5s", KEY_COLS, keyname, "rcpts",
	    "deliv", "bounce", "spam", "compl");
	if (rates)
		fprintf(fp, " %7s %7s", "spam%", "compl%");
	fputc('\n', fp);
	for (i = 0; i < l->n; i++) {
		const struct nf_stats_row *r = &l->row[i];

		key_col(fp, r->key, KEY_COLS);
		fprintf(fp, " %6lld %6lld %6lld %5lld %5lld",
		    (long long)r->total, (long long)r->delivered,
		    (long long)(r->bounced + r->expired), (long long)r->spam,
		    (long long)r->complaints);
		if (rates)
			fprintf(fp, " %7s %7s%s", nf_report_pct(r->spam_rate, a,
			    sizeof a), nf_report_pct(r->complaint_rate, b,
			    sizeof b), r->spam_flag || r->complaint_flag ?
			    " !!" : "");
		fputc('\n', fp);
	}
	more(fp, l->more);
}

static void
rates_text(FILE *fp, const struct nf_stats *st)
{
	char pct[32];

	fprintf(fp, "\nRates\n");
	fprintf(fp, "  complaint rate %s of delivered: %s\n",
	    nf_report_pct(st->complaint_rate, pct, sizeof pct),
	    st->complaint_flag ? "!! AT OR OVER 0.3%" : "under 0.3%, fine");
	fprintf(fp, "    (a complaint counts as a delivery; 0.3%% is the "
	    "complaint rate\n    the large mailbox providers publish as the "
	    "limit senders must stay under)\n");
	if (st->complaints_unattributed > 0)
		fprintf(fp, "    (%lld of the complaints are not attributed to a "
		    "recipient: each counts\n    as one complaint, and as one "
		    "delivery when none of its message's\n    recipients shows "
		    "one; base %lld)\n", (long long)st->complaints_unattributed,
		    (long long)st->reached);
	fprintf(fp, "  spam-filter rejection rate %s of recipients: %s\n",
	    nf_report_pct(st->spam_rate, pct, sizeof pct),
	    st->spam_flag ? "!! AT OR OVER 1%" : "under 1%, fine");
	fprintf(fp, "    (1%% is notifilter's own alert level)\n");
}

static void
failing_text(FILE *fp, const struct nf_stats_list *l)
{
	char tb[NF_CTL_TIME_MAX], k[CLEAN_MAX + 8];
	size_t i;

	fprintf(fp, "\nTop failing recipients\n");
	if (l->n == 0) {
		fprintf(fp, "  (none)\n");
		return;
	}
	fprintf(fp, "  %-*s %5s  %-20s  %s\n", KEY_COLS, "address", "fails",
	    "last", "reason");
	for (i = 0; i < l->n; i++) {
		key_col(fp, l->row[i].key, KEY_COLS);
		fprintf(fp, " %5lld  %-20s  %s\n", (long long)l->row[i].total,
		    nf_ctl_time(l->row[i].last, tb, sizeof tb),
		    clean(l->row[i].detail, k, sizeof k));
	}
	more(fp, l->more);
}

static void
fallback_text(FILE *fp, const struct nf_stats *st)
{
	size_t i;

	fprintf(fp, "\nFallbacks (made in the window)\n");
	if (st->nchannel == 0) {
		fprintf(fp, "  (none)\n");
		return;
	}
	fprintf(fp, "  %-9s %6s %6s %7s %7s %9s %9s %8s\n", "channel", "sent",
	    "failed", "skipped", "waiting", "cancelled", "uncertain",
	    "segments");
	for (i = 0; i < st->nchannel; i++) {
		const struct nf_stats_channel *c = &st->channel[i];

		fprintf(fp, "  %-9s %6lld %6lld %7lld %7lld %9lld %9lld %8lld\n",
		    c->channel, (long long)c->sent, (long long)c->failed,
		    (long long)c->skipped,
		    (long long)(c->held + c->pending + c->sending),
		    (long long)c->cancelled, (long long)c->uncertain,
		    (long long)c->segments);
	}
	fprintf(fp, "  (waiting: pending, held by quiet hours or a rate "
	    "limit, or being sent)\n");
}

int
nf_report_text(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m)
{
	char t1[NF_CTL_TIME_MAX], t2[NF_CTL_TIME_MAX], pct[32], ex[96], k[300];
	size_t i;

	fprintf(fp, "notifilter report for %s\n", clean(m->host, k, sizeof k));
	fprintf(fp, "window %s .. %s (last %s, UTC)\n",
	    nf_ctl_time(st->since, t1, sizeof t1),
	    nf_ctl_time(st->until, t2, sizeof t2), clean(m->since_arg, k,
	    sizeof k));

	fprintf(fp, "\nDecisions at the MTA (recipients)\n");
	line(fp, "allowed", st->allowed, "");
	line(fp, "blocked", st->blocked, "");
	for (i = 0; i < st->blocked_rules.n; i++) {
		char lab[KEY_COLS + 1];

		snprintf(lab, sizeof lab, "  %s", clean(st->blocked_rules.row[i]
		    .key, k, sizeof k));
		line(fp, lab, st->blocked_rules.row[i].total, "");
	}
	more(fp, st->blocked_rules.more);
	line(fp, "monitor mode, would block", st->monitored, "");

	fprintf(fp, "\nRecipients of the %lld messages recorded\n",
	    (long long)st->messages);
	line(fp, "total", st->recipients, "");
	snprintf(ex, sizeof ex, "%s", st->recipients ? nf_report_pct(
	    (double)st->delivered / (double)st->recipients, pct, sizeof pct) :
	    "");
	line(fp, "delivered", st->delivered, ex);
	line(fp, "deferred (still trying)", st->deferred, "");
	line(fp, "bounced", st->bounced, "");
	line(fp, "expired (gave up)", st->expired, "");
	line(fp, "rejected by spam filters", st->spam, "");
	line(fp, "pending (no status yet)", st->pending, "");
	line(fp, "complained", st->complaints, "");
	line(fp, "  not attributed to one", st->complaints_unattributed,
	    "");
	if (st->complaints_unattributed > 0)
		fprintf(fp, "    (complaints not attributed to a recipient: "
		    "the reporter redacted who\n    complained and the message "
		    "reached several; one per message, in\n    the total; %lld "
		    "of them also in their destination domain's row)\n",
		    (long long)st->complaints_unattributed_domain);

	rates_text(fp, st);
	group_table(fp, "Destination domains", "domain", &st->domains, 1);

	fprintf(fp, "\nBounce and complaint reasons (reports received)\n");
	if (st->reasons.n == 0)
		fprintf(fp, "  (none)\n");
	for (i = 0; i < st->reasons.n; i++) {
		key_col(fp, st->reasons.row[i].key, KEY_COLS);
		fprintf(fp, " %8lld  %s\n", (long long)st->reasons.row[i].total,
		    clean(st->reasons.row[i].detail, k, sizeof k));
	}
	more(fp, st->reasons.more);
	fprintf(fp, "  reports not authenticated (ignored): %lld of %lld\n",
	    (long long)st->reports_unauth, (long long)st->reports);

	group_table(fp, "Categories", "category", &st->categories, 0);
	group_table(fp, "Senders", "sender", &st->senders, 0);
	failing_text(fp, &st->failing);
	fallback_text(fp, st);
	return 0;
}
