/*
 * report_json.c - `notifilterctl report --format json`: one object with
 * stable keys (documented in man/notifilterctl.8; scripts rely on them,
 * so keys are only ever added).  Counts are integers, rates are numbers
 * between 0 and 1, times are "YYYY-MM-DDTHH:MM:SSZ" (UTC).  Strings from
 * mail go through nf_text_json, so invalid UTF-8 cannot break the
 * document.  Every list is {"rows": [...], "more": N}.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "report_out.h"
#include "textout.h"

#define I(v) json_integer((json_int_t)(v))

static json_t *
group_row(const struct nf_stats_row *r, const char *keyname)
{
	json_t *o;

	o = json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:f s:f s:b s:b}",
	    keyname, nf_text_json(r->key), "recipients", I(r->total),
	    "delivered", I(r->delivered), "deferred", I(r->deferred),
	    "bounced", I(r->bounced), "expired", I(r->expired),
	    "spam_rejected", I(r->spam), "pending", I(r->pending),
	    "complaints", I(r->complaints), "spam_rejection_rate",
	    r->spam_rate, "complaint_rate", r->complaint_rate,
	    "spam_flagged", r->spam_flag, "complaint_flagged",
	    r->complaint_flag);
	/* only a domain's row can hold them (see store.h) */
	if (o != NULL && strcmp(keyname, "domain") == 0 &&
	    json_object_set_new(o, "complaints_unattributed",
	    I(r->unattributed)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
list(const struct nf_stats_list *l, json_t *(*fn)(const struct nf_stats_row *,
    const char *), const char *keyname)
{
	json_t *rows = json_array();
	size_t i;

	for (i = 0; rows != NULL && i < l->n; i++)
		if (json_array_append_new(rows, fn(&l->row[i], keyname)) != 0) {
			json_decref(rows);
			return NULL;
		}
	return json_pack("{s:o s:o}", "rows", rows, "more", I(l->more));
}

static json_t *
rule_row(const struct nf_stats_row *r, const char *keyname)
{
	return json_pack("{s:o s:o}", keyname, nf_text_json(r->key), "count",
	    I(r->total));
}

static json_t *
reason_row(const struct nf_stats_row *r, const char *keyname)
{
	return json_pack("{s:o s:o s:o}", keyname, nf_text_json(r->key),
	    "policy", nf_text_json(r->detail), "count", I(r->total));
}

static json_t *
failing_row(const struct nf_stats_row *r, const char *keyname)
{
	return json_pack("{s:o s:o s:o s:o s:o s:o s:o}", keyname,
	    nf_text_json(r->key), "failures", I(r->total), "bounced",
	    I(r->bounced), "expired", I(r->expired), "spam_rejected",
	    I(r->spam), "last", nf_text_json_time(r->last), "reason",
	    nf_text_json(r->detail));
}

static json_t *
fallbacks(const struct nf_stats *st)
{
	json_t *ch = json_array();
	size_t i;

	for (i = 0; ch != NULL && i < st->nchannel; i++) {
		const struct nf_stats_channel *c = &st->channel[i];

		if (json_array_append_new(ch, json_pack("{s:o s:o s:o s:o s:o "
		    "s:o s:o s:o s:o s:o s:o}", "channel", nf_text_json(c->channel),
		    "total", I(c->total), "sent", I(c->sent), "failed",
		    I(c->failed), "skipped", I(c->skipped), "held", I(c->held),
		    "pending", I(c->pending), "sending", I(c->sending),
		    "cancelled", I(c->cancelled), "uncertain", I(c->uncertain),
		    "segments", I(c->segments))) != 0) {
			json_decref(ch);
			return NULL;
		}
	}
	return json_pack("{s:o s:o s:o s:o s:o s:o s:o}", "total",
	    I(st->fallbacks), "sent", I(st->fb_sent), "failed",
	    I(st->fb_failed), "skipped", I(st->fb_skipped), "waiting",
	    I(st->fb_held), "segments", I(st->segments), "channels", ch);
}

int
nf_report_json(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m)
{
	json_t *o;
	int rc;

	/* json_pack steals each "o" and fails as a whole (freeing them) when
	 * one is NULL, so an out-of-memory anywhere gives NULL here */
	o = json_pack("{s:o s:{s:o s:o s:o s:o} s:{s:o s:o s:o s:o} s:o "
	    "s:{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o} "
	    "s:{s:f s:o s:f s:b s:f s:f s:b} "
	    "s:o s:{s:o s:o s:o} s:o s:o s:o s:o}",
	    "host", nf_text_json(m->host),
	    "window", "since", nf_text_json_time(st->since), "until",
	    nf_text_json_time(st->until), "seconds", I(st->until - st->since),
	    "since_arg", nf_text_json(m->since_arg),
	    "decisions", "allowed", I(st->allowed), "blocked", I(st->blocked),
	    "monitored", I(st->monitored), "blocked_by_rule",
	    list(&st->blocked_rules, rule_row, "rule"),
	    "messages", I(st->messages),
	    "recipients", "total", I(st->recipients), "delivered",
	    I(st->delivered), "deferred", I(st->deferred), "bounced",
	    I(st->bounced), "expired", I(st->expired), "spam_rejected",
	    I(st->spam), "pending", I(st->pending), "refused", I(st->refused),
	    "complaints", I(st->complaints), "complaints_unattributed",
	    I(st->complaints_unattributed),
	    "complaints_unattributed_in_domains",
	    I(st->complaints_unattributed_domain),
	    "rates", "complaint", st->complaint_rate, "complaint_base",
	    I(st->reached), "complaint_limit",
	    NF_STATS_COMPLAINT_LIMIT, "complaint_flagged", st->complaint_flag,
	    "spam_rejection", st->spam_rate, "spam_rejection_limit",
	    NF_STATS_SPAM_LIMIT, "spam_rejection_flagged", st->spam_flag,
	    "domains", list(&st->domains, group_row, "domain"),
	    "reports", "recipients", I(st->reports), "unauthenticated",
	    I(st->reports_unauth), "reasons", list(&st->reasons, reason_row,
	    "reason"),
	    "categories", list(&st->categories, group_row, "category"),
	    "senders", list(&st->senders, group_row, "sender"),
	    "failing_recipients", list(&st->failing, failing_row, "address"),
	    "fallbacks", fallbacks(st));
	if (o == NULL)
		return -1;
	rc = json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	fputc('\n', fp);
	return rc == 0 ? 0 : -1;
}
