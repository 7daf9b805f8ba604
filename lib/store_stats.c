/*
 * store_stats.c - the figures of `notifilterctl report` and `digest`
 * (issue 6), in the SQLite backend of store.h: what the milter decided,
 * what became of the recipients of the messages it recorded, which
 * reports came back and why, per destination domain, category and
 * sender, the recipients that fail most, and the fallbacks by channel.
 *
 * Complaints: counted per recipient a complaint names (or intake
 * attributed it to), plus one per message for a complaint whose recipient
 * the reporter redacted and that intake could not attribute (U_CTE); the
 * latter is in a destination domain's row only when everything the
 * message reached is in that domain.
 *
 * Consistency: every statement runs inside one read transaction
 * (nf_tx_read), so the figures of one report are one snapshot even while
 * the milter and intake write.
 *
 * Cost: a report must not read the whole history.  reports has an index
 * on time; messages, events and outbox have none on their time columns
 * (schema step 4), but their rowids grow in the order the rows were
 * written, and the rows we count are written when they happen: messages
 * by the milter at end of message, decision events by the milter as it
 * decides, outbox rows by the scheduler as it falls back.  So the first
 * rowid of the window is found by bisection on the rowid (about
 * log2(rows) single-row lookups, first_id(); for events only decision
 * rows are probed) and every statement reads a rowid range: "SEARCH ...
 * USING INTEGER PRIMARY KEY (rowid>?)".  The bisection looks for the
 * first row written within NF_STATS_SLACK seconds before `since` and the
 * statements then test the time column exactly, so rows written up to
 * that much out of time order (the milter's threads, clock steps) are
 * still counted right; rows written with much older times (a hand-made
 * import) may be missed by a short window.  Indexes on messages(created),
 * events(kind, time) and outbox(created) would make this exact; joins
 * use the tables' unique and address indexes.  tests/unit/t_stats.c
 * checks every statement's plan.
 *
 * Bounds: lists are cut in SQL (LIMIT) to the caller's top N, and the
 * number left out comes from a window count over the groups; grouping
 * happens in SQLite's temporary b-trees, never in unbounded C arrays.
 * Strings are copied with nf_st_col-like bounded copies; a longer value
 * (only a hand-edited database has one) is cut with a visible mark.
 *
 * Failures: NF_STORE_BUSY / NF_STORE_ERR with s->err, from the first
 * statement that failed; *out then holds what was read so far and must
 * still be freed with nf_stats_free.
 */
#include "store_sqlite.h"

#include <stdlib.h>
#include <string.h>

/* seconds of disorder between rowid order and time order tolerated */
#define NF_STATS_SLACK 3600

/* ---- statements ---------------------------------------------------------- */

/*
 * The recipients of the messages recorded in the window, one row each,
 * with their outcome o (exclusive: refused, spam, delivered, bounced,
 * expired, deferred, pending) and c = 1 when an authenticated complaint
 * names them.  A spam-filter rejection wins over the MTA's status: a
 * remote that accepted and then bounced for spam did not deliver.
 * ?1 first rowid, ?2 since, ?3 until.
 */
#define W_CTE \
	"WITH w AS (SELECT m.id AS mid, m.token AS token," \
	" m.sender AS sender, m.category AS category," \
	" +r.address AS address, r.updated AS updated, r.dsn AS dsn," \
	" lower(substr(r.address, instr(r.address, '@') + 1)) AS domain," \
	" CASE WHEN r.decision IN ('rejected', 'dropped') THEN 'refused'" \
	" WHEN EXISTS (SELECT 1 FROM report_recipients x" \
	"  WHERE x.address = lower(r.address) AND x.token = lower(m.token)" \
	"  AND x.authenticated AND x.policy = 'spam') THEN 'spam'" \
	" WHEN r.status IN ('sent', 'delivered', 'relayed') THEN 'delivered'" \
	" WHEN r.status = 'bounced' THEN 'bounced'" \
	" WHEN r.status = 'expired' THEN 'expired'" \
	" WHEN r.status = 'deferred' THEN 'deferred'" \
	" ELSE 'pending' END AS o," \
	" EXISTS (SELECT 1 FROM report_recipients x" \
	"  WHERE x.address = lower(r.address) AND x.token = lower(m.token)" \
	"  AND x.authenticated AND x.policy = 'complaint') AS c" \
	" FROM messages m JOIN recipients r ON r.message_id = m.id" \
	" WHERE m.id >= ?1 AND m.created >= ?2 AND m.created < ?3) "

/*
 * The messages of w about which an authenticated complaint arrived that
 * names no recipient and that intake could not attribute (outcome
 * "unattributed": the message reached several recipients, or none), one
 * row per message however often it was reported: nd, the number of
 * destination domains among the recipients it reached (as intake counts
 * them: not refused, bounced, expired or rejected as spam), domain, that
 * domain when nd is 1, and seen, 1 when one of its recipients already
 * counts in the rate's base (delivered or named by a complaint).  Found
 * per recipient row through reports(token) and the report's rows
 * (report_recipients(report_id)): both indexed.
 */
#define U_REACHED "o IN ('delivered', 'deferred', 'pending')"
#define U_CTE \
	", u AS (SELECT mid," \
	" count(DISTINCT CASE WHEN " U_REACHED " THEN domain END) AS nd," \
	" max(CASE WHEN " U_REACHED " THEN domain END) AS domain," \
	" max(o <> 'refused' AND (o = 'delivered' OR c)) AS seen FROM w" \
	" WHERE EXISTS (SELECT 1 FROM reports p JOIN report_recipients x" \
	"  ON x.report_id = p.id WHERE p.token = lower(w.token)" \
	"  AND x.authenticated AND x.policy = 'complaint'" \
	"  AND x.outcome = 'unattributed' AND coalesce(x.address, '') = '')" \
	" GROUP BY mid) "

/* the counters of one group of w, then the number of groups; "reached"
 * (delivered, or shown delivered by a complaint about it) is the
 * complaint rate's denominator, so the rate never passes 100 % when
 * delivery status is unknown (no MailLog, no success DSN) */
#define W_COUNTS \
	" count(*), sum(o = 'delivered'), sum(o = 'deferred')," \
	" sum(o = 'bounced'), sum(o = 'expired'), sum(o = 'spam')," \
	" sum(o = 'pending'), sum(c), sum(o = 'delivered' OR c)," \
	" count(*) OVER ()"

enum {
	Q_MSG_MAX, Q_MSG_AT, Q_EV_MAX, Q_EV_AT, Q_OB_MAX, Q_OB_AT,
	Q_DECISIONS, Q_MESSAGES, Q_OUTCOMES, Q_DOMAINS, Q_CATEGORIES,
	Q_SENDERS, Q_FAILING, Q_REPORTS, Q_REASONS, Q_FALLBACKS,
	Q_UNATTRIBUTED, Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_MSG_MAX] = "SELECT max(id) FROM messages",
	[Q_MSG_AT] = "SELECT id, created FROM messages WHERE id >= ?1"
	    " ORDER BY id LIMIT 1",
	[Q_EV_MAX] = "SELECT max(id) FROM events",
	/* decisions only: the MailLog follower catching up after a stop
	 * writes delivery events with old times among new rows, while the
	 * milter writes its decisions in the order it makes them */
	[Q_EV_AT] = "SELECT id, time FROM events WHERE id >= ?1"
	    " AND kind = 'decision' ORDER BY id LIMIT 1",
	[Q_OB_MAX] = "SELECT max(id) FROM outbox",
	[Q_OB_AT] = "SELECT id, created FROM outbox WHERE id >= ?1"
	    " ORDER BY id LIMIT 1",
	/* "verdict=block action=monitored ..." is monitor mode letting
	 * through what it would have blocked */
	[Q_DECISIONS] = "SELECT CASE WHEN detail LIKE 'verdict=block%'"
	    " THEN CASE WHEN instr(detail, ' action=monitored ') > 0"
	    " THEN 'monitored' ELSE 'blocked' END ELSE 'allowed' END,"
	    " coalesce(rule, 'unknown'), count(*) FROM events"
	    " WHERE id >= ?1 AND time >= ?2 AND time < ?3 AND kind = 'decision'"
	    " GROUP BY 1, 2 ORDER BY 3 DESC, 2",
	[Q_MESSAGES] = "SELECT count(*) FROM messages"
	    " WHERE id >= ?1 AND created >= ?2 AND created < ?3",
	[Q_OUTCOMES] = W_CTE "SELECT o, count(*), sum(c) FROM w GROUP BY o",
	/* then the unattributed complaints about messages that reached only
	 * this domain, and how many of those add to the rate's base */
	[Q_DOMAINS] = W_CTE U_CTE ", ud AS (SELECT domain AS d,"
	    " count(*) AS n, sum(NOT seen) AS unseen FROM u WHERE nd = 1"
	    " GROUP BY domain), g AS (SELECT domain," W_COUNTS " FROM w"
	    " WHERE o <> 'refused' GROUP BY domain)"
	    " SELECT g.*, coalesce(ud.n, 0), coalesce(ud.unseen, 0)"
	    " FROM g LEFT JOIN ud ON ud.d = g.domain ORDER BY 2 DESC, 1"
	    " LIMIT ?4",
	[Q_CATEGORIES] = W_CTE "SELECT coalesce(category, '(none)'),"
	    W_COUNTS " FROM w WHERE o <> 'refused' GROUP BY 1"
	    " ORDER BY 2 DESC, 1 LIMIT ?4",
	[Q_SENDERS] = W_CTE "SELECT coalesce(nullif(sender, ''), '<>'),"
	    W_COUNTS " FROM w WHERE o <> 'refused' GROUP BY 1"
	    " ORDER BY 2 DESC, 1 LIMIT ?4",
	/* the bare dsn is taken from the row of max(updated) (SQLite) */
	[Q_FAILING] = W_CTE "SELECT address, count(*), max(updated),"
	    " coalesce((SELECT x.reason FROM report_recipients x"
	    "  WHERE x.address = lower(w.address) AND x.authenticated"
	    "  AND x.policy IN ('bad', 'soft', 'spam')"
	    "  ORDER BY x.time DESC LIMIT 1), 'dsn ' || dsn, ''),"
	    " sum(o = 'bounced'), sum(o = 'expired'), sum(o = 'spam'),"
	    " count(*) OVER () FROM w"
	    " WHERE o IN ('bounced', 'expired', 'spam') GROUP BY address"
	    " ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?4",
	[Q_REPORTS] = "SELECT count(*), coalesce(sum(NOT rr.authenticated), 0)"
	    " FROM reports r JOIN report_recipients rr ON rr.report_id = r.id"
	    " WHERE r.time >= ?1 AND r.time < ?2",
	/* recipients, not report rows: the same report delivered twice, or
	 * a DSN sent again, names the same (token, address) */
	[Q_REASONS] = "SELECT coalesce(rr.reason, 'undefined'), rr.policy,"
	    " count(DISTINCT coalesce(rr.token, '') || ' ' ||"
	    " coalesce(rr.address, '')), count(*) OVER ()"
	    " FROM reports r JOIN report_recipients rr ON rr.report_id = r.id"
	    " WHERE r.time >= ?1 AND r.time < ?2 AND rr.authenticated"
	    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ?3",
	[Q_FALLBACKS] = "SELECT coalesce(channel, 'none'), state, count(*),"
	    " coalesce(sum(segments), 0) FROM outbox"
	    " WHERE id >= ?1 AND created >= ?2 AND created < ?3 GROUP BY 1, 2"
	    " ORDER BY 1, 2",
	[Q_UNATTRIBUTED] = W_CTE U_CTE "SELECT count(*),"
	    " coalesce(sum(nd = 1), 0), coalesce(sum(NOT seen), 0) FROM u",
};

const char *
nf_stats_sql(size_t i)
{
	return i < Q_COUNT ? sql[i] : NULL;
}

/* ---- helpers -------------------------------------------------------------- */

static sqlite3_stmt *
prep(struct nf_store *s, int q)
{
	return nf_st_prep(s, sql[q], "preparing a report statement");
}

/* Column i as text into dst[len]; a longer value keeps its start (whole
 * UTF-8 sequences) and ends in NF_ST_CUT_MARK, so a reader sees the cut. */
static void
col_text(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	size_t n, mark = sizeof NF_ST_CUT_MARK - 1;
	int cut = 0;

	if (v == NULL) {
		dst[0] = '\0';
		return;
	}
	n = nf_st_cut_len(v, len - 1, &cut);
	memcpy(dst, v, n);
	if (cut && n + mark < len) {
		memcpy(dst + n, NF_ST_CUT_MARK, mark);
		n += mark;
	}
	dst[n] = '\0';
}

/* Step st to the end with fn(row) per row; finalizes st. */
static int
each_row(struct nf_store *s, sqlite3_stmt *st,
    void (*fn)(sqlite3_stmt *, struct nf_stats *), struct nf_stats *out,
    const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, what);
	return NF_STORE_OK;
}

/*
 * The first rowid of the window of a table whose rowids follow time: the
 * smallest id whose row has time >= bound, by bisection over [0, max+1)
 * with one indexed lookup per step (ids may have gaps: each probe takes
 * the first existing id at or after the middle).  An empty table gives
 * max+1 = 1, which selects nothing.
 */
static int
first_id(struct nf_store *s, int qmax, int qat, int64_t bound, int64_t *id)
{
	sqlite3_stmt *st;
	int64_t lo = 0, hi = 0, mid, pid, pt;
	int rc, guard;

	if ((st = prep(s, qmax)) == NULL)
		return NF_STORE_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		hi = sqlite3_column_int64(st, 0) + 1;	/* NULL reads as 0 */
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return nf_st_fail(s, rc, "finding the report window");
	if ((st = prep(s, qat)) == NULL)
		return NF_STORE_ERR;
	/* 64-bit ids: at most 64 halvings; the guard bounds a corrupt file */
	for (guard = 0; lo < hi && guard < 80; guard++) {
		mid = lo + (hi - lo) / 2;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mid);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {	/* nothing at or after mid */
			hi = mid;
			continue;
		}
		if (rc != SQLITE_ROW)
			break;
		pid = sqlite3_column_int64(st, 0);
		pt = sqlite3_column_int64(st, 1);
		if (pt >= bound)
			hi = mid;
		else
			lo = pid + 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "finding the report window");
	*id = lo;
	return NF_STORE_OK;
}

static int
list_alloc(struct nf_stats_list *l, size_t top)
{
	l->row = calloc(top, sizeof *l->row);
	return l->row != NULL ? 0 : -1;
}

/* Keep one more row in l (the statement's LIMIT keeps n <= top); the
 * total count of groups is in column `ngroups`. */
static struct nf_stats_row *
list_take(struct nf_stats_list *l, size_t top, sqlite3_stmt *st, int ngroups)
{
	struct nf_stats_row *r;
	int64_t all = sqlite3_column_int64(st, ngroups);

	if (l->n >= top)
		return NULL;
	r = &l->row[l->n++];
	l->more = all > (int64_t)l->n ? all - (int64_t)l->n : 0;
	return r;
}

static double
ratio(int64_t a, int64_t b)
{
	if (b > 0)
		return (double)a / (double)b;
	return a > 0 ? 1.0 : 0.0;
}

/* The rates and flags of a row counted from w. */
static void
rates(struct nf_stats_row *r)
{
	r->spam_rate = ratio(r->spam, r->total);
	r->complaint_rate = ratio(r->complaints, r->reached);
	r->spam_flag = r->spam > 0 && r->spam_rate >= NF_STATS_SPAM_LIMIT;
	r->complaint_flag = r->complaints > 0 &&
	    r->complaint_rate >= NF_STATS_COMPLAINT_LIMIT;
}

/* ---- rows ------------------------------------------------------------------ */

static void
row_decision(sqlite3_stmt *st, struct nf_stats *out)
{
	const char *v = (const char *)sqlite3_column_text(st, 0);
	int64_t n = sqlite3_column_int64(st, 2);
	struct nf_stats_list *l = &out->blocked_rules;

	if (v != NULL && strcmp(v, "blocked") == 0) {
		out->blocked += n;
		/* rows come largest first: the first `top` are the top */
		if (l->n < out->top) {
			col_text(st, 1, l->row[l->n].key, sizeof l->row[0].key);
			l->row[l->n++].total = n;
		} else
			l->more++;
	} else if (v != NULL && strcmp(v, "monitored") == 0)
		out->monitored += n;
	else
		out->allowed += n;
}

static void
row_outcome(sqlite3_stmt *st, struct nf_stats *out)
{
	static const struct {
		const char *o;
		size_t off;
	} map[] = {
		{ "refused", offsetof(struct nf_stats, refused) },
		{ "spam", offsetof(struct nf_stats, spam) },
		{ "delivered", offsetof(struct nf_stats, delivered) },
		{ "bounced", offsetof(struct nf_stats, bounced) },
		{ "expired", offsetof(struct nf_stats, expired) },
		{ "deferred", offsetof(struct nf_stats, deferred) },
		{ "pending", offsetof(struct nf_stats, pending) },
	};
	const char *o = (const char *)sqlite3_column_text(st, 0);
	int64_t n = sqlite3_column_int64(st, 1);
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].o, o) == 0)
			*(int64_t *)((char *)out + map[i].off) += n;
	if (strcmp(o, "refused") != 0) {
		out->recipients += n;
		out->complaints += sqlite3_column_int64(st, 2);
		/* a complaint proves delivery (see W_COUNTS) */
		out->reached += strcmp(o, "delivered") == 0 ? n :
		    sqlite3_column_int64(st, 2);
	}
}

/* a grouped row of w: key, W_COUNTS; NULL when past the top (the
 * caller adds its own columns, then calls rates()) */
static struct nf_stats_row *
row_group(struct nf_stats_list *l, sqlite3_stmt *st, size_t top)
{
	struct nf_stats_row *r = list_take(l, top, st, 10);

	if (r == NULL)
		return NULL;
	col_text(st, 0, r->key, sizeof r->key);
	r->total = sqlite3_column_int64(st, 1);
	r->delivered = sqlite3_column_int64(st, 2);
	r->deferred = sqlite3_column_int64(st, 3);
	r->bounced = sqlite3_column_int64(st, 4);
	r->expired = sqlite3_column_int64(st, 5);
	r->spam = sqlite3_column_int64(st, 6);
	r->pending = sqlite3_column_int64(st, 7);
	r->complaints = sqlite3_column_int64(st, 8);
	r->reached = sqlite3_column_int64(st, 9);
	return r;
}

/* W_COUNTS, then the domain's unattributed complaints and the deliveries
 * they prove (see U_CTE) */
static void
row_domain(sqlite3_stmt *st, struct nf_stats *out)
{
	struct nf_stats_row *r = row_group(&out->domains, st, out->top);

	if (r == NULL)
		return;
	r->unattributed = sqlite3_column_int64(st, 11);
	r->complaints += r->unattributed;
	r->reached += sqlite3_column_int64(st, 12);
	rates(r);
}

static void
row_category(sqlite3_stmt *st, struct nf_stats *out)
{
	struct nf_stats_row *r = row_group(&out->categories, st, out->top);

	if (r != NULL)
		rates(r);
}

static void
row_sender(sqlite3_stmt *st, struct nf_stats *out)
{
	struct nf_stats_row *r = row_group(&out->senders, st, out->top);

	if (r != NULL)
		rates(r);
}

/* Q_UNATTRIBUTED: how many, how many of them in a domain's row, and the
 * deliveries they prove (see U_CTE) */
static void
row_unattributed(sqlite3_stmt *st, struct nf_stats *out)
{
	out->complaints_unattributed = sqlite3_column_int64(st, 0);
	out->complaints_unattributed_domain = sqlite3_column_int64(st, 1);
	out->complaints += out->complaints_unattributed;
	out->reached += sqlite3_column_int64(st, 2);
}

static void
row_failing(sqlite3_stmt *st, struct nf_stats *out)
{
	struct nf_stats_row *r = list_take(&out->failing, out->top, st, 7);

	if (r == NULL)
		return;
	col_text(st, 0, r->key, sizeof r->key);
	r->total = sqlite3_column_int64(st, 1);
	r->last = sqlite3_column_int64(st, 2);
	col_text(st, 3, r->detail, sizeof r->detail);
	r->bounced = sqlite3_column_int64(st, 4);
	r->expired = sqlite3_column_int64(st, 5);
	r->spam = sqlite3_column_int64(st, 6);
}

static void
row_reason(sqlite3_stmt *st, struct nf_stats *out)
{
	struct nf_stats_row *r = list_take(&out->reasons, out->top, st, 3);

	if (r == NULL)
		return;
	col_text(st, 0, r->key, sizeof r->key);
	col_text(st, 1, r->detail, sizeof r->detail);
	r->total = sqlite3_column_int64(st, 2);
}

static void
row_fallback(sqlite3_stmt *st, struct nf_stats *out)
{
	const char *state = (const char *)sqlite3_column_text(st, 1);
	int64_t n = sqlite3_column_int64(st, 2);
	int64_t seg = sqlite3_column_int64(st, 3);
	struct nf_stats_channel *c = NULL;
	char name[sizeof c->channel];
	size_t i;

	col_text(st, 0, name, sizeof name);
	for (i = 0; i < out->nchannel; i++)
		if (strcmp(out->channel[i].channel, name) == 0)
			c = &out->channel[i];
	if (c == NULL) {
		/* the CHECK allows three channels and NULL: five is room */
		if (out->nchannel == sizeof out->channel / sizeof out->channel[0])
			return;
		c = &out->channel[out->nchannel++];
		memcpy(c->channel, name, sizeof name);
	}
	c->total += n;
	out->fallbacks += n;
	if (state == NULL)
		return;
	if (strcmp(state, "pending") == 0)
		c->pending += n;
	else if (strcmp(state, "held") == 0)
		c->held += n;
	else if (strcmp(state, "sending") == 0)
		c->sending += n;
	else if (strcmp(state, "sent") == 0) {
		c->sent += n;
		c->segments += seg;
	} else if (strcmp(state, "failed") == 0)
		c->failed += n;
	else if (strcmp(state, "cancelled") == 0)
		c->cancelled += n;
	else if (strcmp(state, "skipped") == 0)
		c->skipped += n;
	else if (strcmp(state, "uncertain") == 0)
		c->uncertain += n;
}

/* ---- the call -------------------------------------------------------------- */

/* Run statement q with (first id, since, until[, top]) or (since, until[,
 * top]) bound, feeding each row to fn. */
static int
run(struct nf_store *s, int q, int64_t first, struct nf_stats *out,
    void (*fn)(sqlite3_stmt *, struct nf_stats *), const char *what)
{
	sqlite3_stmt *st = prep(s, q);
	int i = 1, np;

	if (st == NULL)
		return NF_STORE_ERR;
	np = sqlite3_bind_parameter_count(st);
	if (first >= 0)
		sqlite3_bind_int64(st, i++, first);
	sqlite3_bind_int64(st, i++, out->since);
	sqlite3_bind_int64(st, i++, out->until);
	if (i <= np)
		sqlite3_bind_int64(st, i, (int64_t)out->top);
	return each_row(s, st, fn, out, what);
}

static void
row_messages(sqlite3_stmt *st, struct nf_stats *out)
{
	out->messages = sqlite3_column_int64(st, 0);
}

static void
row_reports(sqlite3_stmt *st, struct nf_stats *out)
{
	out->reports = sqlite3_column_int64(st, 0);
	out->reports_unauth = sqlite3_column_int64(st, 1);
}

static int
read_all(struct nf_store *s, struct nf_stats *out)
{
	int64_t mfirst = 0, efirst = 0, ofirst = 0, bound;
	int rc;

	bound = out->since > INT64_MIN + NF_STATS_SLACK ?
	    out->since - NF_STATS_SLACK : out->since;
	rc = first_id(s, Q_MSG_MAX, Q_MSG_AT, bound, &mfirst);
	if (rc == NF_STORE_OK)
		rc = first_id(s, Q_EV_MAX, Q_EV_AT, bound, &efirst);
	if (rc == NF_STORE_OK)
		rc = first_id(s, Q_OB_MAX, Q_OB_AT, bound, &ofirst);
	if (rc == NF_STORE_OK)
		rc = run(s, Q_DECISIONS, efirst, out, row_decision,
		    "counting decisions");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_MESSAGES, mfirst, out, row_messages,
		    "counting messages");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_OUTCOMES, mfirst, out, row_outcome,
		    "counting outcomes");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_UNATTRIBUTED, mfirst, out, row_unattributed,
		    "counting complaints not attributed to a recipient");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_DOMAINS, mfirst, out, row_domain,
		    "counting by domain");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_CATEGORIES, mfirst, out, row_category,
		    "counting by category");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_SENDERS, mfirst, out, row_sender,
		    "counting by sender");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_FAILING, mfirst, out, row_failing,
		    "finding failing recipients");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_REPORTS, -1, out, row_reports,
		    "counting reports");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_REASONS, -1, out, row_reason,
		    "counting bounce reasons");
	if (rc == NF_STORE_OK)
		rc = run(s, Q_FALLBACKS, ofirst, out, row_fallback,
		    "counting fallbacks");
	return rc;
}

int
nf_store_stats(struct nf_store *s, int64_t since, int64_t until, size_t top,
    struct nf_stats *out)
{
	struct nf_tx tx;
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	out->since = since;
	out->until = until;
	out->top = top == 0 ? NF_STATS_TOP_DEFAULT :
	    top > NF_STATS_TOP_MAX ? NF_STATS_TOP_MAX : top;
	if (list_alloc(&out->blocked_rules, out->top) == -1 ||
	    list_alloc(&out->domains, out->top) == -1 ||
	    list_alloc(&out->categories, out->top) == -1 ||
	    list_alloc(&out->senders, out->top) == -1 ||
	    list_alloc(&out->failing, out->top) == -1 ||
	    list_alloc(&out->reasons, out->top) == -1)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory for "
		    "the report", s->path);
	if ((rc = nf_tx_read(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = nf_tx_end(s, &tx, read_all(s, out));
	if (rc != NF_STORE_OK)
		return rc;
	out->spam_rate = ratio(out->spam, out->recipients);
	out->complaint_rate = ratio(out->complaints, out->reached);
	out->spam_flag = out->spam > 0 && out->spam_rate >= NF_STATS_SPAM_LIMIT;
	out->complaint_flag = out->complaints > 0 &&
	    out->complaint_rate >= NF_STATS_COMPLAINT_LIMIT;
	for (i = 0; i < out->nchannel; i++) {
		out->fb_sent += out->channel[i].sent;
		out->fb_failed += out->channel[i].failed;
		out->fb_skipped += out->channel[i].skipped;
		out->fb_held += out->channel[i].held + out->channel[i].pending +
		    out->channel[i].sending;
		out->segments += out->channel[i].segments;
	}
	return NF_STORE_OK;
}

void
nf_stats_free(struct nf_stats *st)
{
	if (st == NULL)
		return;
	free(st->blocked_rules.row);
	free(st->domains.row);
	free(st->categories.row);
	free(st->senders.row);
	free(st->failing.row);
	free(st->reasons.row);
	memset(st, 0, sizeof *st);
}
