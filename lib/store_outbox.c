/*
 * store_outbox.c - the fallback outbox in the SQLite backend of store.h
 * (issue 5): finding recipients whose email failed or is overdue, the
 * outbox rows (one per token and recipient), their state changes, each
 * with its timeline event in the same transaction, and the counts the
 * rate limits need.  Table and indexes: schema step 4 in store_open.c.
 *
 * Statements: the SQL is in this file as constants, prepared per call
 * (the shared statement cache in store_sqlite.c is another area's); the
 * daemon's scheduler and dispatchers call these a few times per message,
 * where a prepare costs tens of microseconds.  Every value is bound.
 *
 * Finding work cheaply at millions of rows: failures are found from the
 * events written since a watermark (event ids only grow: SQLite has one
 * writer at a time, so ids are handed out in commit order), overdue
 * recipients from recipient ids since another watermark; each poll reads
 * only what is new.  The recipient's status is read again at that moment,
 * so a report that was not authenticated (it sets no status) or a
 * delivery confirmed since never produces a trigger.  Joins are written
 * as CROSS JOIN to keep that order (events first) whatever SQLite guesses.
 *
 * Failures: every write is one transaction, or a SAVEPOINT inside the
 * caller's nf_store_begin (the scheduler claims several rows in one), so
 * a failed call leaves nothing.  A state change names the state the row
 * must be in and answers NF_STORE_NOTFOUND when it is no longer there
 * (cancelled meanwhile): the caller then leaves it alone.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char sql_failures[] =
	"SELECT e.id, e.time, e.rule, e.detail, m.id, m.token, r.address,"
	" coalesce(r.status, '')"
	" FROM events e CROSS JOIN messages m CROSS JOIN recipients r"
	" WHERE e.id > ?1 AND e.kind IN ('delivery', 'bounce')"
	" AND e.token IS NOT NULL AND m.token = e.token AND m.applied = 1"
	" AND r.message_id = m.id AND lower(r.address) = lower(e.address)"
	" AND r.decision = 'allowed' AND r.status IN ('bounced', 'expired')"
	" AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.token = m.token"
	"  AND o.recipient = r.address)"
	" ORDER BY e.id LIMIT ?2";
static const char sql_max_event[] =
	"SELECT coalesce(max(id), 0) FROM events";
static const char sql_overdue[] =
	"SELECT r.id, m.created, m.id, m.token, r.address,"
	" coalesce(r.status, ''), r.dsn_requested, m.applied,"
	" coalesce(r.decision, ''),"
	" EXISTS (SELECT 1 FROM outbox o WHERE o.token = m.token"
	"  AND o.recipient = r.address)"
	" FROM recipients r CROSS JOIN messages m"
	" WHERE r.id > ?1 AND m.id = r.message_id ORDER BY r.id LIMIT ?2";
/* Where to start: the last row before the first one recorded at or after
 * ?1 (a row that exists, so that its fingerprint can be checked; 0 when
 * there is none), or the last row when nothing is that recent. */
static const char sql_cursor_events[] =
	"SELECT CASE WHEN f IS NULL"
	" THEN (SELECT coalesce(max(id), 0) FROM events)"
	" ELSE (SELECT coalesce(max(id), 0) FROM events WHERE id < f) END"
	" FROM (SELECT (SELECT id FROM events WHERE time >= ?1 ORDER BY id"
	" LIMIT 1) AS f)";
static const char sql_cursor_rcpts[] =
	"SELECT CASE WHEN f IS NULL"
	" THEN (SELECT coalesce(max(id), 0) FROM recipients)"
	" ELSE (SELECT coalesce(max(id), 0) FROM recipients WHERE id < f) END"
	" FROM (SELECT (SELECT r.id FROM recipients r CROSS JOIN messages m"
	" WHERE m.id = r.message_id AND m.created >= ?1 ORDER BY r.id LIMIT 1)"
	" AS f)";
/* What identifies the row a watermark names (see row_mark) */
static const char sql_event_mark[] =
	"SELECT time, kind, token, address FROM events WHERE id = ?1";
static const char sql_rcpt_mark[] =
	"SELECT message_id, address FROM recipients WHERE id = ?1";
static const char sql_insert[] =
	"INSERT INTO outbox(message_id, token, recipient, phone, channel,"
	" driver, trigger, trigger_detail, state, text, encoding, segments,"
	" attempts, due, expires, idem_key, answer, created, updated)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13,"
	" ?14, ?15, ?16, ?17, ?17) ON CONFLICT DO NOTHING";
#define ROW_COLS \
	"o.id, coalesce(o.message_id, 0), o.token, o.recipient, o.phone," \
	" o.channel, o.driver, o.trigger, o.state, o.text, o.encoding," \
	" o.segments, o.attempts, o.due, o.expires, coalesce(o.sent_time, 0)," \
	" o.created, o.idem_key, o.provider_id, o.answer," \
	" coalesce(r.status, '')" \
	" FROM outbox o LEFT JOIN recipients r ON r.message_id = o.message_id" \
	" AND r.address = o.recipient"
static const char sql_due[] =
	"SELECT " ROW_COLS " WHERE o.state IN ('pending', 'held')"
	" AND o.due <= ?1 ORDER BY o.due, o.id LIMIT ?2";
static const char sql_confirmed[] =
	"SELECT " ROW_COLS " WHERE o.state IN ('pending', 'held')"
	" AND r.status IN ('sent', 'delivered', 'relayed') LIMIT ?1";
static const char sql_in_state[] =
	"SELECT " ROW_COLS " WHERE o.state = ?1 ORDER BY o.due, o.id LIMIT ?2";
static const char sql_find[] =
	"SELECT " ROW_COLS " WHERE o.token = lower(?1) AND o.recipient = ?2";
static const char sql_step[] =
	"UPDATE outbox SET state = ?3,"
	" due = CASE WHEN ?4 > 0 THEN ?4 ELSE due END,"
	" attempts = attempts + ?5,"
	" sent_time = CASE ?6 WHEN 1 THEN ?7 WHEN -1 THEN NULL"
	"  ELSE sent_time END,"
	" provider_id = coalesce(?8, provider_id),"
	" answer = coalesce(?9, answer), updated = ?7"
	" WHERE id = ?1 AND state = ?2 RETURNING token, recipient";
static const char sql_count_phone[] =
	"SELECT count(*) FROM outbox WHERE phone = ?1 AND sent_time >= ?2";
static const char sql_count_all[] =
	"SELECT count(*) FROM outbox WHERE sent_time >= ?1";
static const char sql_sent_nth[] =
	"SELECT sent_time FROM outbox WHERE sent_time >= ?1"
	" ORDER BY sent_time LIMIT 1 OFFSET ?2";

static const char *
opt(const char *v)
{
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* A statement of its own, finalized by the caller. */
static sqlite3_stmt *
prep(struct nf_store *s, const char *sql)
{
	return nf_st_prep(s, sql, "preparing an outbox statement");
}

/* Copy column i, cutting (visibly) what would not fit: for texts the
 * store wrote itself from mail, a cut is better than refusing the row. */
static void
col_cut(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	size_t keep;
	int cut;

	dst[0] = '\0';
	if (v == NULL || len == 0)
		return;
	keep = nf_st_cut_len(v, len - 1, &cut);
	memcpy(dst, v, keep);
	dst[keep] = '\0';
	if (cut && keep + sizeof NF_ST_CUT_MARK <= len)
		memcpy(dst + keep, NF_ST_CUT_MARK, sizeof NF_ST_CUT_MARK);
}

/* One integer from a one-row statement with up to one bound int64. */
static int
query_int(struct nf_store *s, const char *sql, int nargs, int64_t a,
    const char *b, int64_t *out, const char *what)
{
	sqlite3_stmt *st = prep(s, sql);
	int rc;

	*out = 0;
	if (st == NULL)
		return NF_STORE_ERR;
	if (b != NULL) {
		sqlite3_bind_text(st, 1, b, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a);
	} else if (nargs > 0)
		sqlite3_bind_int64(st, 1, a);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return nf_st_fail(s, rc, what);
	return NF_STORE_OK;
}

/* ---- finding triggers ---------------------------------------------------- */

/*
 * The fingerprint of row `id` of the events (sql_event_mark) or recipients
 * (sql_rcpt_mark) table: FNV-1a over its identifying columns, in
 * [1, INT64_MAX]; -1 when there is no such row, 0 for id 0.  Why: the ids
 * of both tables are rowids without AUTOINCREMENT, so when `contact
 * remove` erases the newest rows SQLite hands their ids out again, and a
 * watermark "id N" then silently covers rows it never saw.  A watermark
 * that keeps its row's fingerprint notices.
 */
static int
row_mark(struct nf_store *s, const char *sql, int64_t id, int64_t *mark)
{
	uint64_t h = 1469598103934665603ULL;
	sqlite3_stmt *st;
	int rc, i, n;

	*mark = 0;
	if (id <= 0)
		return NF_STORE_OK;
	if ((st = prep(s, sql)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_count(st);
		for (i = 0; i < n; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);

			for (; v != NULL && *v; v++)
				h = (h ^ *v) * 1099511628211ULL;
			h = (h ^ 0x1f) * 1099511628211ULL;	/* separator */
		}
		*mark = (int64_t)(h & (uint64_t)INT64_MAX);
		if (*mark == 0)
			*mark = 1;
	} else if (rc == SQLITE_DONE)
		*mark = -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "reading the row of a watermark");
	return NF_STORE_OK;
}

/* Inside the caller's snapshot: is `w` still the row it was?  When not
 * (erased, or erased and its id handed out again), *from is where to look
 * again from (the cursor of `since`) and *rewound 1. */
static int
mark_check(struct nf_store *s, const struct nf_fb_watermark *w,
    const char *mark_sql, const char *cursor_sql, int64_t since,
    int64_t *from, int *rewound)
{
	int64_t m = 0;
	int rc;

	*from = w->id;
	if (w->id <= 0)
		return NF_STORE_OK;
	if ((rc = row_mark(s, mark_sql, w->id, &m)) != NF_STORE_OK)
		return rc;
	if (m != -1 && (w->mark < 0 || m == w->mark))
		return NF_STORE_OK;	/* unknown mark (older state): exists */
	*rewound = 1;
	rc = query_int(s, cursor_sql, 1, since, NULL, from,
	    "finding where to look again after an erasure");
	if (rc == NF_STORE_OK && *from > w->id)
		*from = w->id;
	return rc;
}

/* The failures after event id `after`, in the caller's snapshot. */
static int
failures_in(struct nf_store *s, int64_t after, size_t max,
    struct nf_fb_candidate *out, size_t *n, int64_t *next)
{
	sqlite3_stmt *st;
	int64_t last = after, top = 0;
	int rc;

	/* the top first: whatever commits after it waits for the next poll */
	rc = query_int(s, sql_max_event, 0, 0, NULL, &top,
	    "reading the newest event id");
	if (rc == NF_STORE_OK && (st = prep(s, sql_failures)) == NULL)
		rc = NF_STORE_ERR;
	if (rc == NF_STORE_OK) {
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
			struct nf_fb_candidate *c = &out[*n];
			const char *rule, *detail;

			/* one snapshot: no row past the top can show up */
			if (sqlite3_column_int64(st, 0) > top)
				break;
			memset(c, 0, sizeof *c);
			last = sqlite3_column_int64(st, 0);
			c->time = sqlite3_column_int64(st, 1);
			rule = (const char *)sqlite3_column_text(st, 2);
			detail = (const char *)sqlite3_column_text(st, 3);
			snprintf(c->detail, sizeof c->detail, "%s%s%s",
			    rule ? rule : "", rule && detail ? ": " : "",
			    detail ? detail : "");
			c->message = sqlite3_column_int64(st, 4);
			col_cut(st, 5, c->token, sizeof c->token);
			col_cut(st, 6, c->recipient, sizeof c->recipient);
			col_cut(st, 7, c->status, sizeof c->status);
			(*n)++;
		}
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? NF_STORE_OK :
		    nf_st_fail(s, rc, "looking for failed recipients");
		sqlite3_finalize(st);
	}
	if (rc == NF_STORE_OK)
		*next = *n >= max ? last : top;	/* top < after: erased */
	return rc;
}

int
nf_store_fb_failures(struct nf_store *s, int64_t after, size_t max,
    struct nf_fb_candidate *out, size_t *n, int64_t *next)
{
	struct nf_tx tx;
	int rc;

	*n = 0;
	*next = after;
	if (max == 0)
		return NF_STORE_OK;
	if ((rc = nf_tx_read(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = failures_in(s, after, max, out, n, next);
	return nf_tx_end(s, &tx, rc);
}

int
nf_store_fb_failures_at(struct nf_store *s, const struct nf_fb_watermark *after,
    int64_t since, size_t max, struct nf_fb_candidate *out, size_t *n,
    struct nf_fb_watermark *next, int *rewound)
{
	struct nf_tx tx;
	int64_t from = after->id;
	int rc;

	*n = 0;
	*next = *after;
	*rewound = 0;
	if (max == 0)
		return NF_STORE_OK;
	if ((rc = nf_tx_read(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = mark_check(s, after, sql_event_mark, sql_cursor_events, since,
	    &from, rewound);
	if (rc == NF_STORE_OK)
		rc = failures_in(s, from, max, out, n, &next->id);
	if (rc == NF_STORE_OK)
		rc = row_mark(s, sql_event_mark, next->id, &next->mark);
	return nf_tx_end(s, &tx, rc);
}

/* Overdue recipients after recipient id `after`, in the caller's
 * snapshot (or statement by statement outside one). */
static int
overdue_in(struct nf_store *s, int64_t after, int64_t cutoff, int any_dsn,
    size_t max, struct nf_fb_candidate *out, size_t *n, int64_t *next)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prep(s, sql_overdue)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct nf_fb_candidate *c = &out[*n];
		const char *status = (const char *)sqlite3_column_text(st, 5);
		const char *decision = (const char *)sqlite3_column_text(st, 8);
		int64_t created = sqlite3_column_int64(st, 1);

		if (created > cutoff)
			break;	/* not due yet, nor (mostly) anything after */
		*next = sqlite3_column_int64(st, 0);
		if (sqlite3_column_int(st, 7) != 1 ||
		    strcmp(decision ? decision : "", "allowed") != 0 ||
		    (status != NULL && status[0] != '\0' &&
		    strcmp(status, "deferred") != 0) ||
		    (!any_dsn && sqlite3_column_int(st, 6) == 0) ||
		    sqlite3_column_int(st, 9) != 0)
			continue;
		memset(c, 0, sizeof *c);
		c->time = created;
		c->message = sqlite3_column_int64(st, 2);
		col_cut(st, 3, c->token, sizeof c->token);
		col_cut(st, 4, c->recipient, sizeof c->recipient);
		col_cut(st, 5, c->status, sizeof c->status);
		snprintf(c->detail, sizeof c->detail, "no delivery "
		    "confirmation (status %s)", c->status[0] ? c->status :
		    "none");
		(*n)++;
	}
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? NF_STORE_OK :
	    nf_st_fail(s, rc, "looking for overdue recipients");
	sqlite3_finalize(st);
	return rc;
}

int
nf_store_fb_overdue(struct nf_store *s, int64_t after, int64_t cutoff,
    int any_dsn, size_t max, struct nf_fb_candidate *out, size_t *n,
    int64_t *next)
{
	*n = 0;
	*next = after;
	if (max == 0)
		return NF_STORE_OK;
	nf_store_release(s);
	return overdue_in(s, after, cutoff, any_dsn, max, out, n, next);
}

int
nf_store_fb_overdue_at(struct nf_store *s, const struct nf_fb_watermark *after,
    int64_t since, int64_t cutoff, int any_dsn, size_t max,
    struct nf_fb_candidate *out, size_t *n, struct nf_fb_watermark *next,
    int *rewound)
{
	struct nf_tx tx;
	int64_t from = after->id;
	int rc;

	*n = 0;
	*next = *after;
	*rewound = 0;
	if (max == 0)
		return NF_STORE_OK;
	if ((rc = nf_tx_read(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = mark_check(s, after, sql_rcpt_mark, sql_cursor_rcpts, since,
	    &from, rewound);
	next->id = from;
	if (rc == NF_STORE_OK)
		rc = overdue_in(s, from, cutoff, any_dsn, max, out, n,
		    &next->id);
	if (rc == NF_STORE_OK)
		rc = row_mark(s, sql_rcpt_mark, next->id, &next->mark);
	return nf_tx_end(s, &tx, rc);
}

int
nf_store_fb_cursor_start(struct nf_store *s, int64_t since, int64_t *events,
    int64_t *recipients)
{
	struct nf_tx tx;
	int rc;

	if ((rc = nf_tx_read(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = query_int(s, sql_cursor_events, 1, since, NULL, events,
	    "finding where to start reading events");
	if (rc == NF_STORE_OK)
		rc = query_int(s, sql_cursor_rcpts, 1, since, NULL, recipients,
		    "finding where to start reading recipients");
	return nf_tx_end(s, &tx, rc);
}

/* ---- rows ---------------------------------------------------------------- */

static int
put_event(struct nf_store *s, int64_t t, const char *token,
    const char *recipient, const char *rule, const char *detail)
{
	struct nf_event ev = { 0 };

	ev.time = t;
	ev.kind = "fallback";
	ev.token = opt(token);
	ev.address = opt(recipient);
	ev.rule = rule;
	ev.detail = opt(detail);
	return nf_st_event_put(s, &ev, 0);
}

int
nf_store_fb_add(struct nf_store *s, const struct nf_fb_new *r)
{
	sqlite3_stmt *st;
	struct nf_tx tx;
	int64_t t;
	int rc, b;

	if (r == NULL || opt(r->token) == NULL || opt(r->recipient) == NULL ||
	    opt(r->state) == NULL || opt(r->trigger) == NULL ||
	    opt(r->idem_key) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: an outbox row needs "
		    "token, recipient, state, trigger and key", s->path);
	t = r->time ? r->time : (int64_t)time(NULL);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	if ((st = prep(s, sql_insert)) == NULL)
		return nf_tx_end(s, &tx, NF_STORE_ERR);
	b = r->message > 0 ? sqlite3_bind_int64(st, 1, r->message) :
	    sqlite3_bind_null(st, 1);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 2, r->token, NF_STORE_TOKEN_MAX - 1);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 3, r->recipient, NF_STORE_EMAIL_MAX - 1);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 4, r->phone);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 5, r->channel);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 6, r->driver);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 7, r->trigger);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 8, opt(r->trigger_detail),
		    NF_STORE_TEXT_MAX - 1);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 9, r->state);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 10, opt(r->text),
		    NF_STORE_FB_TEXT_MAX - 1);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 11, r->encoding);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int(st, 12, r->segments);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int64(st, 13, r->due);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int64(st, 14, r->expires);
	if (b == SQLITE_OK)
		b = nf_st_bind_opt(st, 15, r->idem_key);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 16, opt(r->answer), NF_STORE_TEXT_MAX - 1);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int64(st, 17, t);
	rc = b == SQLITE_OK ? sqlite3_step(st) : b;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		rc = nf_st_fail(s, rc, "adding an outbox row");
	else if (sqlite3_changes(s->db) == 0)
		rc = nf_st_error(s, NF_STORE_CONFLICT, "%s: the fallback for "
		    "%s of %s exists already", s->path, r->recipient, r->token);
	else
		rc = put_event(s, t, r->token, r->recipient,
		    strcmp(r->state, "pending") == 0 ? "queued" : r->state,
		    r->event_detail);
	return nf_tx_end(s, &tx, rc);
}

static int
row_from(struct nf_store *s, sqlite3_stmt *st, struct nf_fb_row *o)
{
	(void)s;
	memset(o, 0, sizeof *o);
	o->id = sqlite3_column_int64(st, 0);
	o->message = sqlite3_column_int64(st, 1);
	col_cut(st, 2, o->token, sizeof o->token);
	col_cut(st, 3, o->recipient, sizeof o->recipient);
	col_cut(st, 4, o->phone, sizeof o->phone);
	col_cut(st, 5, o->channel, sizeof o->channel);
	col_cut(st, 6, o->driver, sizeof o->driver);
	col_cut(st, 7, o->trigger, sizeof o->trigger);
	col_cut(st, 8, o->state, sizeof o->state);
	col_cut(st, 9, o->text, sizeof o->text);
	col_cut(st, 10, o->encoding, sizeof o->encoding);
	o->segments = sqlite3_column_int(st, 11);
	o->attempts = sqlite3_column_int(st, 12);
	o->due = sqlite3_column_int64(st, 13);
	o->expires = sqlite3_column_int64(st, 14);
	o->sent_time = sqlite3_column_int64(st, 15);
	o->created = sqlite3_column_int64(st, 16);
	col_cut(st, 17, o->idem_key, sizeof o->idem_key);
	col_cut(st, 18, o->provider_id, sizeof o->provider_id);
	col_cut(st, 19, o->answer, sizeof o->answer);
	col_cut(st, 20, o->rstatus, sizeof o->rstatus);
	return NF_STORE_OK;
}

/* Run a row query: bind (a, b) as the statement wants, collect rows. */
static int
rows(struct nf_store *s, const char *sql, const char *text, int64_t num,
    int64_t limit, struct nf_fb_row *out, size_t max, size_t *n,
    const char *what)
{
	sqlite3_stmt *st;
	int rc, i = 1;

	*n = 0;
	if (sqlite3_get_autocommit(s->db))
		nf_store_release(s);
	if ((st = prep(s, sql)) == NULL)
		return NF_STORE_ERR;
	if (text != NULL)
		sqlite3_bind_text(st, i++, text, -1, SQLITE_STATIC);
	if (num >= 0)
		sqlite3_bind_int64(st, i++, num);
	if (limit >= 0)
		sqlite3_bind_int64(st, i++, limit);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		row_from(s, st, &out[(*n)++]);
	if (*n >= max)
		rc = SQLITE_DONE;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, what);
	return NF_STORE_OK;
}

int
nf_store_fb_due(struct nf_store *s, int64_t now, size_t max,
    struct nf_fb_row *out, size_t *n)
{
	return rows(s, sql_due, NULL, now, (int64_t)max, out, max, n,
	    "reading due fallbacks");
}

int
nf_store_fb_confirmed(struct nf_store *s, size_t max, struct nf_fb_row *out,
    size_t *n)
{
	return rows(s, sql_confirmed, NULL, (int64_t)max, -1, out, max, n,
	    "reading fallbacks whose email was delivered");
}

int
nf_store_fb_in_state(struct nf_store *s, const char *state, size_t max,
    struct nf_fb_row *out, size_t *n)
{
	return rows(s, sql_in_state, state ? state : "", -1, (int64_t)max, out,
	    max, n, "reading fallbacks by state");
}

int
nf_store_fb_find(struct nf_store *s, const char *token, const char *recipient,
    struct nf_fb_row *out)
{
	sqlite3_stmt *st;
	int rc;

	if (opt(token) == NULL || opt(recipient) == NULL)
		return nf_st_error(s, NF_STORE_NOTFOUND, "no token or recipient");
	if (sqlite3_get_autocommit(s->db))
		nf_store_release(s);
	if ((st = prep(s, sql_find)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row_from(s, st, out);
	else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "no fallback for %s of "
		    "%s", recipient, token);
	else
		rc = nf_st_fail(s, rc, "reading a fallback");
	sqlite3_finalize(st);
	return rc;
}

int
nf_store_fb_step(struct nf_store *s, const struct nf_fb_step *x)
{
	char token[NF_STORE_TOKEN_MAX], rcpt[NF_STORE_EMAIL_MAX];
	sqlite3_stmt *st;
	struct nf_tx tx;
	int64_t t;
	int rc, b;

	if (x == NULL || opt(x->from) == NULL || opt(x->to) == NULL ||
	    opt(x->rule) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: an outbox step needs "
		    "from, to and rule", s->path);
	t = x->time ? x->time : (int64_t)time(NULL);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	if ((st = prep(s, sql_step)) == NULL)
		return nf_tx_end(s, &tx, NF_STORE_ERR);
	sqlite3_bind_int64(st, 1, x->id);
	b = sqlite3_bind_text(st, 2, x->from, -1, SQLITE_STATIC);
	if (b == SQLITE_OK)
		b = sqlite3_bind_text(st, 3, x->to, -1, SQLITE_STATIC);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int64(st, 4, x->due);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int(st, 5, x->attempt ? 1 : 0);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int(st, 6, x->sent_time);
	if (b == SQLITE_OK)
		b = sqlite3_bind_int64(st, 7, t);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 8, x->provider_id, NF_STORE_FB_ID_MAX - 1);
	if (b == SQLITE_OK)
		b = nf_st_bind_cut(st, 9, x->answer, NF_STORE_TEXT_MAX - 1);
	rc = b == SQLITE_OK ? sqlite3_step(st) : b;
	token[0] = rcpt[0] = '\0';
	if (rc == SQLITE_ROW) {
		col_cut(st, 0, token, sizeof token);
		col_cut(st, 1, rcpt, sizeof rcpt);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? NF_STORE_OK :
		    nf_st_fail(s, rc, "changing a fallback");
	} else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "%s: fallback #%lld is "
		    "no longer %s", s->path, (long long)x->id, x->from);
	else
		rc = nf_st_fail(s, rc, "changing a fallback");
	sqlite3_finalize(st);
	if (rc == NF_STORE_OK)
		rc = put_event(s, t, token, rcpt, x->rule, x->detail);
	return nf_tx_end(s, &tx, rc);
}

/* ---- limits -------------------------------------------------------------- */

int
nf_store_fb_sent_count(struct nf_store *s, const char *phone, int64_t since,
    int64_t *n)
{
	if (sqlite3_get_autocommit(s->db))
		nf_store_release(s);
	if (opt(phone) != NULL)
		return query_int(s, sql_count_phone, 2, since, phone, n,
		    "counting fallbacks to a phone");
	return query_int(s, sql_count_all, 1, since, NULL, n,
	    "counting fallbacks");
}

int
nf_store_fb_sent_nth(struct nf_store *s, int64_t since, int64_t k, int64_t *t)
{
	sqlite3_stmt *st;
	int rc;

	*t = 0;
	if (sqlite3_get_autocommit(s->db))
		nf_store_release(s);
	if ((st = prep(s, sql_sent_nth)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, k < 0 ? 0 : k);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*t = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "reading the rate window");
	return NF_STORE_OK;
}
