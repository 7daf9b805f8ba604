/*
 * t_stats.c - nf_store_stats (lib/store_stats.c): the figures of report
 * and digest from a store filled through the store API (messages,
 * deliveries, reports, decision events) plus outbox rows written with
 * SQL (the outbox API is another module's), and the query plan of every
 * statement: no full scan of a table, only index and rowid searches.
 *
 * Runs in its own temporary directory, removed at the end.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

#define T0 1700000000LL

static char dir[] = "/tmp/nf-t_stats.XXXXXX";
static char path[256];

static void
msg(struct nf_store *s, const char *token, const char *qid,
    const char *sender, const char *category, int64_t t,
    const char *const *rcpt, const char *const *verdict, size_t n)
{
	struct nf_message_in m;
	struct nf_recipient_in r[8];
	size_t i;

	memset(&m, 0, sizeof m);
	memset(r, 0, sizeof r);
	m.token = token;
	m.queue_id = qid;
	m.sender = sender;
	m.category = category;
	m.subject = "s";
	m.applied = 1;
	m.time = t;
	for (i = 0; i < n && i < 8; i++) {
		r[i].address = rcpt[i];
		r[i].verdict = verdict ? verdict[i] : "allowed";
		r[i].rule = "default-consent-yes";
		r[i].reason = "";
	}
	if (nf_store_message_add(s, &m, r, n) != NF_STORE_OK)
		printf("# message_add %s: %s\n", token, nf_store_errmsg(s));
}

static void
dlv(struct nf_store *s, const char *qid, const char *to, const char *status,
    int64_t t)
{
	struct nf_delivery_in d;

	memset(&d, 0, sizeof d);
	d.queue_id = qid;
	d.address = to;
	d.status = status;
	d.dsn = strcmp(status, "sent") == 0 ? "2.0.0" : "5.1.1";
	d.source = "maillog";
	d.time = t;
	if (nf_store_delivery_add(s, &d) != NF_STORE_OK)
		printf("# delivery %s %s: %s\n", qid, to, nf_store_errmsg(s));
}

/* one report with one recipient */
static void
rep(struct nf_store *s, const char *token, int auth, const char *addr,
    const char *reason, const char *policy, int64_t t)
{
	struct nf_report_in r;
	struct nf_report_rcpt_in x;

	memset(&r, 0, sizeof r);
	memset(&x, 0, sizeof x);
	r.kind = strcmp(policy, "complaint") == 0 ? "arf" : "dsn";
	r.token = token;
	r.token_valid = auth;
	r.authenticated = auth;
	r.time = t;
	x.address = addr;
	x.action = "failed";
	x.reason = reason;
	x.policy = policy;
	x.outcome = auth ? "recorded" : "unauthenticated";
	x.detail = "test";
	if (nf_store_report_add(s, &r, &x, 1, NULL) != NF_STORE_OK)
		printf("# report_add: %s\n", nf_store_errmsg(s));
}

/* one report row as intake writes it for a complaint that names no
 * recipient (address NULL or ""), with intake's outcome */
static void
rep_blank(struct nf_store *s, const char *token, int auth, const char *addr,
    const char *outcome, int64_t t)
{
	struct nf_report_in r;
	struct nf_report_rcpt_in x;

	memset(&r, 0, sizeof r);
	memset(&x, 0, sizeof x);
	r.kind = "arf";
	r.token = token;
	r.token_valid = auth;
	r.authenticated = auth;
	r.time = t;
	x.address = addr;
	x.action = "complaint";
	x.reason = "feedback";
	x.policy = "complaint";
	x.outcome = outcome;
	x.detail = "test: recipient redacted";
	if (nf_store_report_add(s, &r, &x, 1, NULL) != NF_STORE_OK)
		printf("# report_add (blank): %s\n", nf_store_errmsg(s));
}

static void
decision(struct nf_store *s, const char *to, const char *rule,
    const char *detail, int64_t t)
{
	struct nf_event e;

	memset(&e, 0, sizeof e);
	e.time = t;
	e.kind = "decision";
	e.queue_id = "Q";
	e.address = to;
	e.rule = rule;
	e.detail = detail;
	if (nf_store_event_add(s, &e) != NF_STORE_OK)
		printf("# event_add: %s\n", nf_store_errmsg(s));
}

static int
exec(sqlite3 *db, const char *q)
{
	char *err = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK) {
		printf("# sql: %s: %s\n", q, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static const struct nf_stats_row *
find(const struct nf_stats_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->row[i].key, key) == 0)
			return &l->row[i];
	return NULL;
}

static void
test_empty(void)
{
	struct nf_store *s;
	struct nf_stats st;
	char err[512];

	snprintf(path, sizeof path, "%s/empty.db", dir);
	if (nf_store_open(path, NF_STORE_CREATE, 1000, &s, err, sizeof err)) {
		ok(0, "open empty store: %s", err);
		return;
	}
	is_int(nf_store_stats(s, T0 - 86400, T0, 0, &st), NF_STORE_OK,
	    "an empty store gives figures");
	ok(st.messages == 0 && st.recipients == 0 && st.allowed == 0 &&
	    st.reports == 0 && st.fallbacks == 0 && st.domains.n == 0 &&
	    st.complaint_rate == 0.0 && !st.complaint_flag,
	    "... all zeros, no rows, nothing flagged");
	is_int(st.top, NF_STATS_TOP_DEFAULT, "top 0 means the default");
	nf_stats_free(&st);
	nf_store_close(s);
}

static void
fill(struct nf_store *s)
{
	static const char *const r1[] = { "a@gmail.com", "b@gmail.com",
	    "c@yahoo.com", "d@gmail.com" };
	static const char *const v1[] = { "allowed", "allowed", "allowed",
	    "rejected" };
	static const char *const r2[] = { "a@gmail.com", "e@web.de" };
	static const char *const r3[] = { "old@gmail.com" };
	static const char *const r4[] = { "f@gmail.com" };
	char tok[64];
	int i;

	/* 300 old messages, a day before the window: must not count */
	for (i = 0; i < 300; i++) {
		snprintf(tok, sizeof tok, "1old%029d", i);
		msg(s, tok, NULL, "old@shop.example", "old", T0 - 3 * 86400 + i,
		    r3, NULL, 1);
	}
	/* the window: (T0 - 86400, T0] */
	msg(s, "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QA", "noreply@shop.example",
	    "shipping", T0 - 1000, r1, v1, 4);
	msg(s, "1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "QB", "news@shop.example",
	    NULL, T0 - 900, r2, NULL, 2);
	/* written later but stamped 30 min before the start: out of order
	 * within the slack, so it is found and left out by its time */
	msg(s, "1ccccccccccccccccccccccccccccccc2", "QC", "x@shop.example",
	    "late", T0 - 86400 - 1800, r3, NULL, 1);
	/* written in order inside the window but stamped 30 min before its
	 * neighbour: counted */
	msg(s, "1dddddddddddddddddddddddddddddddd", "QD", "noreply@shop.example",
	    "shipping", T0 - 2700, r4, NULL, 1);
	dlv(s, "QA", "a@gmail.com", "sent", T0 - 990);
	dlv(s, "QA", "b@gmail.com", "bounced", T0 - 990);
	dlv(s, "QA", "c@yahoo.com", "deferred", T0 - 990);
	dlv(s, "QB", "a@gmail.com", "sent", T0 - 890);
	dlv(s, "QB", "e@web.de", "expired", T0 - 890);
	dlv(s, "QD", "f@gmail.com", "sent", T0 - 2600);
	/* b bounced for spam (authenticated), a complained about QA; a
	 * forged report counts only as unauthenticated */
	rep(s, "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "b@gmail.com",
	    "spamdetected", "spam", T0 - 980);
	rep(s, "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "a@gmail.com", "feedback",
	    "complaint", T0 - 500);
	rep(s, NULL, 0, "a@gmail.com", "userunknown", "bad", T0 - 400);
	rep(s, "1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, "e@web.de", "expired",
	    "soft", T0 - 880);
	/* an old report, out of the window */
	rep(s, "1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, "e@web.de", "mailboxfull",
	    "soft", T0 - 5 * 86400);

	decision(s, "a@gmail.com", "default-consent-yes",
	    "verdict=allow action=allowed message=accepted", T0 - 1001);
	decision(s, "d@gmail.com", "suppressed",
	    "verdict=block action=rejected message=accepted", T0 - 1001);
	decision(s, "z@gmail.com", "suppressed",
	    "verdict=block action=dropped message=accepted", T0 - 1001);
	decision(s, "y@gmail.com", "consent-revoked",
	    "verdict=block action=rejected message=accepted", T0 - 1001);
	decision(s, "m@gmail.com", "consent-revoked",
	    "verdict=block action=monitored message=accepted", T0 - 1001);
	decision(s, "o@gmail.com", "suppressed",
	    "verdict=block action=rejected message=accepted", T0 - 3 * 86400);
}

static void
fill_outbox(void)
{
	sqlite3 *db;
	char q[512];
	static const struct {
		const char *ch, *state;
		int seg;
		long long t;
	} ob[] = {
		{ "sms", "sent", 2, T0 - 800 }, { "sms", "sent", 1, T0 - 700 },
		{ "sms", "failed", 1, T0 - 600 }, { "sms", "held", 1, T0 - 500 },
		{ NULL, "skipped", 0, T0 - 400 },
		{ "whatsapp", "sent", 1, T0 - 300 },
		{ "sms", "sent", 3, T0 - 4 * 86400 },	/* old: not counted */
	};
	size_t i;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		ok(0, "open for outbox rows");
		return;
	}
	sqlite3_busy_timeout(db, 2000);
	for (i = 0; i < sizeof ob / sizeof ob[0]; i++) {
		/* rows are written in time order except the old one: put it
		 * first by id */
		snprintf(q, sizeof q, "INSERT INTO outbox(id, token, recipient,"
		    " phone, channel, trigger, state, segments, due, expires,"
		    " idem_key, created, updated) VALUES (%zu, 't%zu',"
		    " 'r@x.example', '+4915100000', %s%s%s, 'failure', '%s', %d,"
		    " 0, 0, 'k%zu', %lld, %lld)",
		    i == 6 ? (size_t)1 : i + 2, i, ob[i].ch ? "'" : "",
		    ob[i].ch ? ob[i].ch : "NULL", ob[i].ch ? "'" : "",
		    ob[i].state, ob[i].seg, i, ob[i].t, ob[i].t);
		exec(db, q);
	}
	sqlite3_close(db);
}

static void
test_figures(void)
{
	struct nf_store *s;
	struct nf_stats st;
	const struct nf_stats_row *r;
	char err[512];

	snprintf(path, sizeof path, "%s/full.db", dir);
	if (nf_store_open(path, NF_STORE_CREATE, 1000, &s, err, sizeof err)) {
		ok(0, "open store: %s", err);
		return;
	}
	fill(s);
	fill_outbox();
	is_int(nf_store_stats(s, T0 - 86400, T0, 3, &st), NF_STORE_OK,
	    "stats of a filled store");
	is_int(st.messages, 3, "3 messages in the window (old and early left "
	    "out, one out of order counted)");
	is_int(st.recipients, 6, "6 recipients allowed through");
	is_int(st.refused, 1, "1 recipient row refused");
	is_int(st.delivered, 3, "delivered");
	is_int(st.spam, 1, "spam-filter rejection wins over 'bounced'");
	is_int(st.bounced, 0, "no other bounce");
	is_int(st.expired, 1, "expired");
	is_int(st.deferred, 1, "deferred");
	is_int(st.pending, 0, "pending");
	is_int(st.complaints, 1, "one complaint");
	ok(st.complaint_rate > 0.33 && st.complaint_rate < 0.34 &&
	    st.complaint_flag, "complaint rate 1/3, flagged (%f)",
	    st.complaint_rate);
	is_int(st.allowed, 1, "decisions: allowed");
	is_int(st.blocked, 3, "decisions: blocked (old one left out)");
	is_int(st.monitored, 1, "decisions: monitored");
	is_int(st.blocked_rules.n, 2, "two blocking rules");
	if (st.blocked_rules.n == 2) {
		is_str(st.blocked_rules.row[0].key, "suppressed",
		    "largest rule first");
		is_int(st.blocked_rules.row[0].total, 2, "... with 2");
	}
	is_int(st.domains.n, 3, "3 domains");
	r = find(&st.domains, "gmail.com");
	ok(r != NULL, "gmail.com listed");
	if (r != NULL) {
		is_int(r->total, 4, "gmail.com: 4 recipients");
		is_int(r->delivered, 3, "gmail.com: 3 delivered");
		is_int(r->spam, 1, "gmail.com: 1 spam rejection");
		is_int(r->complaints, 1, "gmail.com: 1 complaint");
		ok(r->spam_flag && r->complaint_flag, "gmail.com flagged");
		is_str(st.domains.row[0].key, "gmail.com", "largest first");
	}
	r = find(&st.domains, "web.de");
	ok(r != NULL && r->expired == 1 && !r->complaint_flag,
	    "web.de: 1 expired, not flagged");
	r = find(&st.categories, "shipping");
	ok(r != NULL && r->total == 4, "category shipping: 4 recipients");
	ok(find(&st.categories, "(none)") != NULL, "no category as (none)");
	r = find(&st.senders, "news@shop.example");
	ok(r != NULL && r->total == 2, "sender news@: 2 recipients");
	is_int(st.failing.n, 2, "2 failing recipients");
	r = find(&st.failing, "b@gmail.com");
	ok(r != NULL && r->spam == 1, "b@gmail.com failing by spam");
	if (r != NULL)
		is_str(r->detail, "spamdetected", "... with its reason");
	r = find(&st.failing, "e@web.de");
	if (r != NULL)
		is_str(r->detail, "expired", "e@web.de: latest reason in window "
		    "or not, from its reports");
	is_int(st.reports, 4, "4 report recipients in the window");
	is_int(st.reports_unauth, 1, "1 unauthenticated");
	is_int(st.reasons.n, 3, "3 authenticated reasons");
	ok(find(&st.reasons, "userunknown") == NULL,
	    "a forged report gives no reason");
	r = find(&st.reasons, "spamdetected");
	ok(r != NULL && r->total == 1 && strcmp(r->detail, "spam") == 0,
	    "reason spamdetected, policy spam");
	is_int(st.fallbacks, 6, "6 fallbacks in the window");
	is_int(st.fb_sent, 3, "3 sent");
	is_int(st.fb_failed, 1, "1 failed");
	is_int(st.fb_skipped, 1, "1 skipped");
	is_int(st.fb_held, 1, "1 held");
	is_int(st.segments, 4, "4 segments sent");
	is_int(st.nchannel, 3, "channels: sms, whatsapp, none");
	nf_stats_free(&st);

	/* top 1: lists cut, the rest counted */
	is_int(nf_store_stats(s, T0 - 86400, T0, 1, &st), NF_STORE_OK, "top 1");
	ok(st.domains.n == 1 && st.domains.more == 2,
	    "domains cut to 1, 2 more (n %zu more %lld)", st.domains.n,
	    (long long)st.domains.more);
	ok(st.blocked_rules.n == 1 && st.blocked_rules.more == 1,
	    "rules cut to 1, 1 more");
	nf_stats_free(&st);

	/* a window with no rows after the last one */
	is_int(nf_store_stats(s, T0 + 10, T0 + 20, 5, &st), NF_STORE_OK,
	    "a window after everything");
	ok(st.messages == 0 && st.allowed == 0 && st.fallbacks == 0 &&
	    st.reports == 0, "... is empty");
	nf_stats_free(&st);
	/* a window holding everything */
	is_int(nf_store_stats(s, 0, T0, 60, &st), NF_STORE_OK, "all time");
	is_int(st.messages, 304, "all 304 messages");
	is_int(st.top, NF_STATS_TOP_MAX, "top cut to the maximum");
	nf_stats_free(&st);
	nf_store_close(s);
}

/* Each statement's plan: every table read by an index or rowid search. */
static void
test_plans(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char q[8192];
	size_t i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		ok(0, "open for plans");
		return;
	}
	for (i = 0; nf_stats_sql(i) != NULL; i++) {
		char bad[512] = "";
		int rc;

		snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", nf_stats_sql(i));
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			ok(0, "statement %zu prepares: %s", i, sqlite3_errmsg(db));
			continue;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(st, 3);

			/* "SCAN w", "SCAN u", "SCAN g" (and "SCAN ud") and
			 * "SCAN (subquery-N)" read a result of the
			 * statement's own (its CTEs: the window's
			 * recipients, the messages with an unattributed
			 * complaint, the groups; the groups a window count
			 * runs over); "SCAN x" and "SCAN x USING INDEX"
			 * would read a whole table.  No table of the schema
			 * has one of those names. */
			if (getenv("NF_SHOW_PLANS") != NULL)
				printf("#   %zu: %s\n", i, d ? d : "");
			if (d != NULL && strncmp(d, "SCAN ", 5) == 0 &&
			    strcmp(d, "SCAN w") != 0 &&
			    strcmp(d, "SCAN u") != 0 &&
			    strcmp(d, "SCAN ud") != 0 &&
			    strcmp(d, "SCAN g") != 0 &&
			    strncmp(d, "SCAN (subquery-", 15) != 0 &&
			    bad[0] == '\0')
				snprintf(bad, sizeof bad, "%s", d);
		}
		sqlite3_finalize(st);
		if (!ok(bad[0] == '\0', "statement %zu: no full scan", i))
			printf("#   plan step: %s\n#   sql: %.200s\n", bad,
			    nf_stats_sql(i));
	}
	ok(i >= 17, "all %zu statements checked", i);
	sqlite3_close(db);
}

/* A complaint proves delivery: recipients with a complaint but no
 * delivery status (no MailLog, no success DSN) must not push the
 * complaint rate past 100 %. */
static void
test_complaint_rate(void)
{
	static const char *const r[] = { "a@x.example", "b@x.example",
	    "c@x.example", "d@x.example" };
	const struct nf_stats_row *d;
	struct nf_store *s;
	struct nf_stats st;
	char err[512];
	int i;

	snprintf(path, sizeof path, "%s/compl.db", dir);
	if (nf_store_open(path, NF_STORE_CREATE, 1000, &s, err, sizeof err)) {
		ok(0, "open: %s", err);
		return;
	}
	msg(s, "1complaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QC1", "n@shop.example",
	    "news", T0 - 100, r, NULL, 4);
	dlv(s, "QC1", "a@x.example", "sent", T0 - 90);
	for (i = 1; i < 4; i++)
		rep(s, "1complaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, r[i], "feedback",
		    "complaint", T0 - 50);
	is_int(nf_store_stats(s, T0 - 3600, T0, 0, &st), NF_STORE_OK, "stats");
	ok(st.delivered == 1 && st.complaints == 3, "1 delivered by status, "
	    "3 complaints (%lld, %lld)", (long long)st.delivered,
	    (long long)st.complaints);
	ok(st.complaint_rate <= 1.0 && st.complaint_rate > 0.74 &&
	    st.complaint_rate < 0.76, "complaint rate 3 of the 4 recipients "
	    "it reached, never over 100 %% (%f)", st.complaint_rate);
	d = find(&st.domains, "x.example");
	ok(d != NULL && d->complaint_rate > 0.74 && d->complaint_rate < 0.76,
	    "the same per domain (%f)", d ? d->complaint_rate : -1.0);
	nf_stats_free(&st);

	/* adjacent windows (one digest after the other) count a message
	 * once: [since, until) */
	msg(s, "1edgeaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QE1", "n@shop.example",
	    "news", T0, r, NULL, 1);
	nf_store_stats(s, T0 - 3600, T0, 0, &st);
	i = (int)st.messages;
	nf_stats_free(&st);
	nf_store_stats(s, T0, T0 + 3600, 0, &st);
	is_int(i + (int)st.messages, 2, "a message at the edge of two "
	    "adjacent windows counts in one of them (%d + %lld)", i,
	    (long long)st.messages);
	nf_stats_free(&st);

	/* the same bounce report delivered twice (a pipe retried, a remote
	 * MTA sending its DSN again): one recipient, one bounce */
	rep(s, "1complaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "a@x.example",
	    "mailboxfull", "soft", T0 - 40);
	rep(s, "1complaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "a@x.example",
	    "mailboxfull", "soft", T0 - 30);
	nf_store_stats(s, T0 - 3600, T0, 0, &st);
	d = find(&st.reasons, "mailboxfull");
	ok(d != NULL && d->total == 1, "a report delivered twice counts once "
	    "among the reasons (%lld)", d ? (long long)d->total : -1LL);
	nf_stats_free(&st);
	nf_store_close(s);
}

/*
 * Complaints whose recipient the reporter redacted and intake could not
 * attribute (outcome "unattributed"): one each per message (token), in
 * the total and the rate; per domain only when all the recipients the
 * message reached are in one domain.  A message none of whose recipients
 * shows as delivered adds one to the rate's base (the complaint proves
 * one delivery), so the rate stays at most 100 %.
 */
static void
test_unattributed(void)
{
	static const char *const r1[] = { "p@hot.example", "q@hot.example" };
	static const char *const r2[] = { "r@one.example", "s@two.example" };
	static const char *const r3[] = { "t@hot.example", "u@hot.example" };
	static const char *const r4[] = { "w@hot.example", "x@hot.example" };
	static const char *const r5[] = { "y@hot.example", "z@cold.example" };
	static const char *const r6[] = { "v@hot.example" };
	const struct nf_stats_row *d;
	struct nf_store *s;
	struct nf_stats st;
	char err[512];

	snprintf(path, sizeof path, "%s/unattr.db", dir);
	if (nf_store_open(path, NF_STORE_CREATE, 1000, &s, err, sizeof err)) {
		ok(0, "open: %s", err);
		return;
	}
	/* U1: both delivered, in one domain; reported twice */
	msg(s, "1unat1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QU1", "n@shop.example",
	    "news", T0 - 500, r1, NULL, 2);
	/* U2: two domains: only in the total */
	msg(s, "1unat2aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QU2", "n@shop.example",
	    "news", T0 - 490, r2, NULL, 2);
	/* U3: no delivery status known (pending), one domain */
	msg(s, "1unat3aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QU3", "n@shop.example",
	    "news", T0 - 480, r3, NULL, 2);
	/* U4: a forged one (not authenticated): not counted */
	msg(s, "1unat4aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QU4", "n@shop.example",
	    "news", T0 - 470, r4, NULL, 2);
	/* U5: z bounced, so the message reached only hot.example */
	msg(s, "1unat5aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QU5", "n@shop.example",
	    "news", T0 - 465, r5, NULL, 2);
	/* a complaint that names its recipient, as before */
	msg(s, "1unat6aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "QU6", "n@shop.example",
	    "news", T0 - 460, r6, NULL, 1);
	dlv(s, "QU1", "p@hot.example", "sent", T0 - 450);
	dlv(s, "QU1", "q@hot.example", "sent", T0 - 450);
	dlv(s, "QU2", "r@one.example", "sent", T0 - 450);
	dlv(s, "QU2", "s@two.example", "sent", T0 - 450);
	dlv(s, "QU4", "w@hot.example", "sent", T0 - 450);
	dlv(s, "QU5", "y@hot.example", "sent", T0 - 450);
	dlv(s, "QU5", "z@cold.example", "bounced", T0 - 450);
	dlv(s, "QU6", "v@hot.example", "sent", T0 - 450);
	rep_blank(s, "1unat1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, NULL,
	    "unattributed", T0 - 300);
	rep_blank(s, "1unat1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "",
	    "unattributed", T0 - 290);
	rep_blank(s, "1unat2aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, NULL,
	    "unattributed", T0 - 280);
	rep_blank(s, "1unat3aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, NULL,
	    "unattributed", T0 - 270);
	rep_blank(s, "1unat4aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, NULL,
	    "unauthenticated", T0 - 260);
	rep_blank(s, "1unat5aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, NULL,
	    "unattributed", T0 - 255);
	rep(s, "1unat6aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "v@hot.example",
	    "feedback", "complaint", T0 - 250);

	is_int(nf_store_stats(s, T0 - 3600, T0, 0, &st), NF_STORE_OK, "stats");
	is_int(st.complaints_unattributed, 4, "4 complaints not attributed to "
	    "a recipient (one per message; the forged one left out)");
	is_int(st.complaints_unattributed_domain, 3, "3 of them in a domain "
	    "(all the recipients their message reached in one domain)");
	is_int(st.complaints, 5, "the complaint total: 1 named + 4 not "
	    "attributed");
	/* base: p q r s w y v delivered (7), plus one for U3, whose
	 * recipients show no delivery */
	is_int(st.reached, 8, "the rate's base: 7 delivered + 1 message "
	    "proven delivered by its complaint");
	ok(st.complaint_rate > 0.62 && st.complaint_rate < 0.63 &&
	    st.complaint_flag, "complaint rate 5/8 (%f)", st.complaint_rate);
	d = find(&st.domains, "hot.example");
	ok(d != NULL, "hot.example listed");
	if (d != NULL) {
		is_int(d->unattributed, 3, "hot.example: U1, U3 and U5");
		is_int(d->complaints, 4, "hot.example: 1 named + 3 not "
		    "attributed");
		is_int(d->reached, 6, "hot.example: 5 delivered + 1 for U3");
		ok(d->complaint_rate > 0.66 && d->complaint_rate < 0.67,
		    "hot.example: rate 4/6 (%f)", d->complaint_rate);
	}
	d = find(&st.domains, "one.example");
	ok(d != NULL && d->complaints == 0 && d->unattributed == 0,
	    "one.example: U2 is in no domain (its message reached two)");
	d = find(&st.domains, "cold.example");
	ok(d != NULL && d->complaints == 0 && d->unattributed == 0,
	    "cold.example: the bounced recipient of U5 gets nothing");
	nf_stats_free(&st);
	nf_store_close(s);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_empty();
	test_figures();
	test_plans();
	test_complaint_rate();
	test_unattributed();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
