/*
 * report_html.c - `notifilterctl report --format html` and the HTML part
 * of the digest: ONE self-contained page (inline CSS, inline SVG bar
 * charts, no script, no external asset, no web font), readable in any
 * browser and in mail clients that show HTML.
 *
 * Charts: recipients by outcome; spam-filter rejection and complaint
 * rates per destination domain against their limits; fallbacks per
 * channel by state.  Each outcome has one fixed colour (the OUTCOME_*
 * constants below); tests/report/t-html.sh looks for them in a
 * screenshot, so change both together.
 *
 * Escaping: every string that may come from mail (addresses, domains,
 * senders, categories, reasons, the host name) goes through esc(), which
 * writes & < > " ' as entities and C0 controls as U+FFFD, so a hostile
 * Subject or address can add no markup, in text, attributes or SVG.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "report_out.h"

#define C_DELIVERED "#2e9e44"
#define C_DEFERRED "#e8a317"
#define C_BOUNCED "#d62d20"
#define C_EXPIRED "#8e1b10"
#define C_SPAM "#7b3fb8"
#define C_PENDING "#8a94a6"
#define C_BLOCKED "#2c3e50"
#define C_COMPLAINT "#e6550d"

#define LABEL_CP 30		/* code points of a chart label before "…" */
#define CHART_W 930
#define BAR_X 230		/* bars start after the label column */
#define BAR_W 450		/* longest bar */

/* s with HTML's five special characters as entities; C0 controls but tab
 * and newline as U+FFFD (they have no business in a page). */
static void
esc(FILE *fp, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				fputs("&#xFFFD;", fp);
			else
				fputc(*p, fp);
		}
	}
}

/* esc() of at most LABEL_CP code points of s, then "…" if it was longer */
static void
esc_short(FILE *fp, const char *s)
{
	char buf[LABEL_CP * 4 + 1];
	size_t i = 0, cp = 0;

	if (s == NULL)
		s = "";
	while (s[i] != '\0' && cp < LABEL_CP) {
		size_t k = 1;

		while ((s[i + k] & 0xc0) == 0x80 && k < 4)
			k++;
		if (i + k >= sizeof buf)
			break;
		i += k;
		cp++;
	}
	memcpy(buf, s, i);
	buf[i] = '\0';
	esc(fp, buf);
	if (s[i] != '\0')
		fputs("&#8230;", fp);
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,"
    "sans-serif;margin:0;background:#f4f5f7;color:#1d2330}"
    "main{max-width:1000px;margin:0 auto;padding:24px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;"
    "border-bottom:2px solid #d8dce3;padding-bottom:4px}"
    ".meta{color:#5a6272;margin:0 0 18px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px}"
    ".card{background:#fff;border-radius:8px;padding:12px 16px;min-width:"
    "150px;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    ".card b{display:block;font-size:26px}.card span{color:#5a6272}"
    ".alert{background:#fdecea;border-left:6px solid #c0392b;padding:10px "
    "14px;margin:16px 0;border-radius:4px}"
    ".okay{background:#eaf6ec;border-left:6px solid #5cb85c;padding:10px "
    "14px;margin:16px 0;border-radius:4px}"
    "table{border-collapse:collapse;background:#fff;width:100%;font-size:"
    "14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "th,td{padding:6px 10px;border-bottom:1px solid #e6e8ec;text-align:"
    "right}th{background:#eef0f4}"
    "td.k,th.k{text-align:left;overflow-wrap:anywhere;min-width:9em}"
    "tr.flag td{background:#fdecea}"
    ".chart{background:#fff;border-radius:8px;padding:8px;box-shadow:0 1px "
    "2px rgba(0,0,0,.08)}"
    ".muted{color:#5a6272}svg text{font-size:13px;fill:#1d2330}";

static void
card(FILE *fp, const char *label, int64_t n, const char *note)
{
	fprintf(fp, "<div class=\"card\"><b>%lld</b><span>%s</span>%s</div>\n",
	    (long long)n, label, note);
}

/* One horizontal bar: label (escaped), bar of colour, the count. */
static void
bar(FILE *fp, int y, const char *label, int64_t n, int64_t max,
    const char *colour, const char *text)
{
	int w = max > 0 ? (int)((double)n / (double)max * BAR_W + 0.5) : 0;

	if (n > 0 && w < 2)
		w = 2;	/* a non-zero count stays visible */
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", BAR_X - 8,
	    y + 15);
	esc_short(fp, label);
	fprintf(fp, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" "
	    "fill=\"%s\"><title>", BAR_X, y, w, colour);
	esc(fp, label);
	fprintf(fp, ": %s</title></rect><text x=\"%d\" y=\"%d\">%s</text>\n",
	    text, BAR_X + w + 6, y + 15, text);
}

static void
outcome_chart(FILE *fp, const struct nf_stats *st)
{
	const struct {
		const char *label, *colour;
		int64_t n;
	} o[] = {
		{ "delivered", C_DELIVERED, st->delivered },
		{ "deferred", C_DEFERRED, st->deferred },
		{ "bounced", C_BOUNCED, st->bounced },
		{ "expired", C_EXPIRED, st->expired },
		{ "rejected by spam filters", C_SPAM, st->spam },
		{ "pending", C_PENDING, st->pending },
		{ "blocked by policy", C_BLOCKED, st->blocked },
	};
	size_t i, n = sizeof o / sizeof o[0];
	int64_t max = 0;
	char t[32];

	for (i = 0; i < n; i++)
		if (o[i].n > max)
			max = o[i].n;
	fprintf(fp, "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%d\" height=\"%zu\" role=\"img\" aria-label=\""
	    "recipients by outcome\">\n", CHART_W, n * 30 + 10);
	for (i = 0; i < n; i++) {
		snprintf(t, sizeof t, "%lld", (long long)o[i].n);
		bar(fp, 6 + (int)i * 30, o[i].label, o[i].n, max, o[i].colour,
		    t);
	}
	fputs("</svg></div>\n", fp);
}

/* Spam-rejection and complaint rate per domain, with the limits drawn. */
static void
domain_chart(FILE *fp, const struct nf_stats *st)
{
	const struct nf_stats_list *l = &st->domains;
	double max = NF_STATS_SPAM_LIMIT * 1.5;
	char a[32], b[32], t[96];
	size_t i;
	int h, x;

	if (l->n == 0)
		return;
	for (i = 0; i < l->n; i++) {
		if (l->row[i].spam_rate > max)
			max = l->row[i].spam_rate;
		if (l->row[i].complaint_rate > max)
			max = l->row[i].complaint_rate;
	}
	h = (int)l->n * 50 + 40;
	fprintf(fp, "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"rates "
	    "per destination domain\">\n", CHART_W, h);
	for (i = 0; i < l->n; i++) {
		const struct nf_stats_row *r = &l->row[i];
		int y = 8 + (int)i * 50;
		int w1 = (int)(r->spam_rate / max * BAR_W + 0.5);
		int w2 = (int)(r->complaint_rate / max * BAR_W + 0.5);

		if (r->spam > 0 && w1 < 2)
			w1 = 2;
		if (r->complaints > 0 && w2 < 2)
			w2 = 2;
		fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		    BAR_X - 8, y + 24);
		esc_short(fp, r->key);
		fprintf(fp, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" "
		    "height=\"18\" fill=\"" C_SPAM "\"/><text x=\"%d\" y=\"%d\">"
		    "spam %s%s</text>\n", BAR_X, y, w1, BAR_X + w1 + 6, y + 14,
		    nf_report_pct(r->spam_rate, a, sizeof a),
		    r->spam_flag ? " !" : "");
		fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" "
		    "fill=\"" C_COMPLAINT "\"/><text x=\"%d\" y=\"%d\">"
		    "complaints %s%s</text>\n", BAR_X, y + 21, w2, BAR_X + w2 + 6,
		    y + 35, nf_report_pct(r->complaint_rate, b, sizeof b),
		    r->complaint_flag ? " !" : "");
	}
	/* the limits: dashed lines, named in the legend below the bars */
	x = BAR_X + (int)(NF_STATS_COMPLAINT_LIMIT / max * BAR_W + 0.5);
	snprintf(t, sizeof t, "red dashes: 0.3%% complaint limit");
	fprintf(fp, "<line x1=\"%d\" y1=\"2\" x2=\"%d\" y2=\"%d\" stroke=\"#c0392b\""
	    " stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
	    x, x, h - 34, BAR_X, h - 20, t);
	x = BAR_X + (int)(NF_STATS_SPAM_LIMIT / max * BAR_W + 0.5);
	fprintf(fp, "<line x1=\"%d\" y1=\"2\" x2=\"%d\" y2=\"%d\" stroke=\"#555\""
	    " stroke-dasharray=\"2 3\"/><text x=\"%d\" y=\"%d\">grey dots: 1%% "
	    "spam-rejection alert level; purple: spam-filter rejections, "
	    "orange: complaints</text>\n", x, x, h - 34, BAR_X, h - 6);
	fputs("</svg></div>\n", fp);
}

/* Fallbacks per channel: one stacked bar (sent, failed, skipped, waiting) */
static void
fallback_chart(FILE *fp, const struct nf_stats *st)
{
	int64_t max = 0;
	size_t i;

	for (i = 0; i < st->nchannel; i++)
		if (st->channel[i].total > max)
			max = st->channel[i].total;
	fprintf(fp, "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%d\" height=\"%zu\" role=\"img\" aria-label=\""
	    "fallbacks per channel\">\n", CHART_W, st->nchannel * 30 + 36);
	for (i = 0; i < st->nchannel; i++) {
		const struct nf_stats_channel *c = &st->channel[i];
		const struct {
			int64_t n;
			const char *colour;
		} part[] = {
			{ c->sent, C_DELIVERED }, { c->failed, C_BOUNCED },
			{ c->skipped, C_PENDING },
			{ c->held + c->pending + c->sending, C_DEFERRED },
			{ c->cancelled + c->uncertain, C_BLOCKED },
		};
		int y = 6 + (int)i * 30, x = BAR_X;
		size_t k;

		fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		    BAR_X - 8, y + 15);
		esc(fp, c->channel);
		fputs("</text>", fp);
		for (k = 0; k < sizeof part / sizeof part[0]; k++) {
			int w = max > 0 ? (int)((double)part[k].n /
			    (double)max * BAR_W + 0.5) : 0;

			if (part[k].n > 0 && w < 2)
				w = 2;
			fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"20\" fill=\"%s\"/>", x, y, w,
			    part[k].colour);
			x += w;
		}
		fprintf(fp, "<text x=\"%d\" y=\"%d\">%lld sent, %lld failed, "
		    "%lld skipped, %lld waiting</text>\n", x + 6, y + 15,
		    (long long)c->sent, (long long)c->failed,
		    (long long)c->skipped,
		    (long long)(c->held + c->pending + c->sending));
	}
	fprintf(fp, "<text x=\"10\" y=\"%zu\" class=\"muted\">green sent, red "
	    "failed, grey skipped, amber waiting, dark cancelled or uncertain"
	    "</text>\n</svg></div>\n", st->nchannel * 30 + 26);
}

static void
group_table(FILE *fp, const char *keyname, const struct nf_stats_list *l,
    int rates)
{
	char a[32], b[32];
	size_t i;

	if (l->n == 0) {
		fputs("<p class=\"muted\">none</p>\n", fp);
		return;
	}
	fprintf(fp, "<table><tr><th class=\"k\">%s</th><th>recipients</th>"
	    "<th>delivered</th><th>deferred</th><th>bounced</th><th>expired"
	    "</th><th>spam-rejected</th><th>complaints</th>%s</tr>\n", keyname,
	    rates ? "<th>spam rate</th><th>complaint rate</th>" : "");
	for (i = 0; i < l->n; i++) {
		const struct nf_stats_row *r = &l->row[i];

		fprintf(fp, "<tr%s><td class=\"k\">", rates && (r->spam_flag ||
		    r->complaint_flag) ? " class=\"flag\"" : "");
		esc(fp, r->key);
		fprintf(fp, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>"
		    "%lld</td><td>%lld</td><td>%lld</td><td>%lld</td>",
		    (long long)r->total, (long long)r->delivered,
		    (long long)r->deferred, (long long)r->bounced,
		    (long long)r->expired, (long long)r->spam,
		    (long long)r->complaints);
		if (rates)
			fprintf(fp, "<td>%s%s</td><td>%s%s</td>",
			    nf_report_pct(r->spam_rate, a, sizeof a),
			    r->spam_flag ? " &#9888;" : "",
			    nf_report_pct(r->complaint_rate, b, sizeof b),
			    r->complaint_flag ? " &#9888;" : "");
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	if (l->more > 0)
		fprintf(fp, "<p class=\"muted\">&#8230; and %lld more</p>\n",
		    (long long)l->more);
}

static void
rates_box(FILE *fp, const struct nf_stats *st)
{
	char a[32], b[32];

	fprintf(fp, "<div class=\"%s\"><b>Complaint rate %s</b> of delivered "
	    "recipients (a complaint counts as a delivery): %s. 0.3%% is the complaint rate the large mailbox "
	    "providers publish as the limit senders must stay under.</div>\n",
	    st->complaint_flag ? "alert" : "okay",
	    nf_report_pct(st->complaint_rate, a, sizeof a),
	    st->complaint_flag ? "at or over the 0.3% limit: find the "
	    "category or sender causing it" : "under the 0.3% limit");
	if (st->complaints_unattributed > 0)
		fprintf(fp, "<p class=\"muted\">The %lld complaints include "
		    "%lld not attributed to a recipient: the reporter redacted "
		    "who complained and the message reached several. Each "
		    "counts as one complaint, and as one delivery when none of "
		    "its message's recipients shows one (base: %lld); %lld of "
		    "them are also in their destination domain's row, the "
		    "others' messages reached several domains.</p>\n",
		    (long long)st->complaints,
		    (long long)st->complaints_unattributed,
		    (long long)st->reached,
		    (long long)st->complaints_unattributed_domain);
	fprintf(fp, "<div class=\"%s\"><b>Spam-filter rejection rate %s</b> "
	    "of recipients: %s (1%% is notifilter's own alert level).</div>\n",
	    st->spam_flag ? "alert" : "okay",
	    nf_report_pct(st->spam_rate, b, sizeof b), st->spam_flag ?
	    "at or over 1%: see the domains below" : "under 1%");
}

static void
lists(FILE *fp, const struct nf_stats *st)
{
	char t[NF_CTL_TIME_MAX];
	size_t i;

	fputs("<h2>Bounce and complaint reasons</h2>\n", fp);
	if (st->reasons.n == 0)
		fputs("<p class=\"muted\">none</p>\n", fp);
	else {
		fputs("<table><tr><th class=\"k\">reason</th><th class=\"k\">"
		    "policy</th><th>count</th></tr>\n", fp);
		for (i = 0; i < st->reasons.n; i++) {
			fputs("<tr><td class=\"k\">", fp);
			esc(fp, st->reasons.row[i].key);
			fputs("</td><td class=\"k\">", fp);
			esc(fp, st->reasons.row[i].detail);
			fprintf(fp, "</td><td>%lld</td></tr>\n",
			    (long long)st->reasons.row[i].total);
		}
		fputs("</table>\n", fp);
	}
	fprintf(fp, "<p class=\"muted\">Reports not authenticated (no valid "
	    "token; ignored): %lld of %lld.</p>\n",
	    (long long)st->reports_unauth, (long long)st->reports);
	fputs("<h2>Categories</h2>\n", fp);
	group_table(fp, "category", &st->categories, 0);
	fputs("<h2>Senders</h2>\n", fp);
	group_table(fp, "sender", &st->senders, 0);
	fputs("<h2>Top failing recipients</h2>\n", fp);
	if (st->failing.n == 0)
		fputs("<p class=\"muted\">none</p>\n", fp);
	else {
		fputs("<table><tr><th class=\"k\">address</th><th>failures</th>"
		    "<th>last</th><th class=\"k\">reason</th></tr>\n", fp);
		for (i = 0; i < st->failing.n; i++) {
			fputs("<tr><td class=\"k\">", fp);
			esc(fp, st->failing.row[i].key);
			fprintf(fp, "</td><td>%lld</td><td>%s</td><td class=\"k\">",
			    (long long)st->failing.row[i].total,
			    nf_ctl_time(st->failing.row[i].last, t, sizeof t));
			esc(fp, st->failing.row[i].detail);
			fputs("</td></tr>\n", fp);
		}
		fputs("</table>\n", fp);
	}
}

int
nf_report_html(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m)
{
	char t1[NF_CTL_TIME_MAX], t2[NF_CTL_TIME_MAX], pct[32];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>notifilter report &#8212; ", fp);
	esc(fp, m->host);
	fprintf(fp, "</title><style>%s</style></head>\n<body><main>\n", css);
	fputs("<h1>notifilter report</h1>\n<p class=\"meta\">", fp);
	esc(fp, m->host);
	fprintf(fp, " &#183; %s to %s (last ", nf_ctl_time(st->since, t1,
	    sizeof t1), nf_ctl_time(st->until, t2, sizeof t2));
	esc(fp, m->since_arg);
	fputs(", UTC)</p>\n<div class=\"cards\">\n", fp);
	card(fp, "messages recorded", st->messages, "");
	card(fp, "delivered", st->delivered, "");
	card(fp, "bounced or expired", st->bounced + st->expired, "");
	card(fp, "rejected by spam filters", st->spam, "");
	card(fp, "blocked by policy", st->blocked, "");
	card(fp, "fallbacks sent", st->fb_sent, "");
	fprintf(fp, "<div class=\"card\"><b>%s</b><span>complaint rate</span>"
	    "</div>\n</div>\n", nf_report_pct(st->complaint_rate, pct,
	    sizeof pct));
	rates_box(fp, st);

	fputs("<h2>Recipients by outcome</h2>\n", fp);
	fprintf(fp, "<p class=\"muted\">The %lld recipients of the %lld "
	    "messages recorded in the window, as they stand now; %lld refused "
	    "at the MTA; %lld monitor-mode decisions would have blocked.</p>\n",
	    (long long)st->recipients, (long long)st->messages,
	    (long long)st->refused, (long long)st->monitored);
	outcome_chart(fp, st);
	if (st->blocked_rules.n > 0) {
		fputs("<p>Blocked by rule: ", fp);
		for (i = 0; i < st->blocked_rules.n; i++) {
			fputs(i ? ", " : "", fp);
			esc(fp, st->blocked_rules.row[i].key);
			fprintf(fp, " %lld", (long long)
			    st->blocked_rules.row[i].total);
		}
		fputs(".</p>\n", fp);
	}

	fputs("<h2>Destination domains</h2>\n", fp);
	domain_chart(fp, st);
	group_table(fp, "domain", &st->domains, 1);

	fputs("<h2>Fallbacks</h2>\n", fp);
	fprintf(fp, "<p>%lld made: %lld sent (%lld SMS segments), %lld failed, "
	    "%lld skipped, %lld waiting.</p>\n", (long long)st->fallbacks,
	    (long long)st->fb_sent, (long long)st->segments,
	    (long long)st->fb_failed, (long long)st->fb_skipped,
	    (long long)st->fb_held);
	if (st->nchannel > 0)
		fallback_chart(fp, st);
	lists(fp, st);
	fputs("<p class=\"muted\">Made by notifilterctl report. Outcomes count "
	    "the recipients of messages recorded in the window; reasons and "
	    "fallbacks count what arrived or was made in it.</p>\n"
	    "</main></body></html>\n", fp);
	return 0;
}
