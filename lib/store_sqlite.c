/*
 * store_sqlite.c - the SQLite backend of store.h: every SQL statement the
 * calls run, error mapping, the statement cache, transactions and the
 * helpers every lib/store_*.c file binds and reads with.  The milter's
 * hot-path lookup and the read snapshot it shares are in store_lookup.c.
 * Opening a file and its schema are in store_open.c, row logic in
 * store_rows.c (contacts, consent, suppressions, events) and store_track.c
 * (messages, deliveries, trace, state), the backend-independent pool and
 * names in store_common.c.
 *
 * nf_st_get, nf_st_fresh and nf_st_prep end store_lookup.c's read
 * snapshot first, so other calls read and write current data; only the
 * hot path uses nf_st_cached, which keeps it.
 *
 * Failures: SQLite codes map to NF_STORE_BUSY (BUSY, LOCKED),
 * NF_STORE_CONFLICT (UNIQUE / PRIMARY KEY), NF_STORE_READONLY (READONLY) and
 * NF_STORE_ERR; s->err names the file, the operation and what to do.
 */
#include "store_sqlite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- statements ---------------------------------------------------------- */

#define CONTACT_COLS "id, email, phone, name, created, updated"
#define SUPPRESS_COLS "id, address, channel, reason, source, evidence, time"
#define EVENT_COLS "time, kind, queue_id, token, address, rule, detail"
/*
 * The "tagged" and "queued" events of a recorded recipient are not stored
 * (two rows fewer per recipient on the milter's hot path): timelines make
 * them from the messages and recipients rows, with the text, columns and
 * place the stored ones had.  Place: at the message's time, right after
 * the message's decision events (written just before it, in its
 * transaction), else right before the first later event of its token;
 * then per recipient row, tagged before queued.  Columns: EVENT_COLS and
 * the sort keys k1 (an event's id) and k2 (0 for a stored event).  A
 * refused recipient ("rejected", "dropped") never had them; a recipient
 * whose tagged event is stored (written before this change) keeps the
 * stored ones.  Rows and events erased with a contact go together.
 */
#define SYNTH_COLS "SELECT m.created, k.kind, m.queue_id, m.token," \
	" r.address, r.rule," \
	" CASE WHEN k.q = 1 THEN CASE WHEN m.queue_id IS NULL" \
	"  THEN 'queued (the MTA gave no queue id)'" \
	"  ELSE 'queued as ' || m.queue_id END" \
	" WHEN NOT m.applied THEN 'monitor: recorded, not tagged'" \
	" ELSE CASE WHEN m.verp IS NULL THEN 'envelope sender unchanged'" \
	"  ELSE 'VERP sender ' || m.verp END" \
	"  || '; X-Notifilter-ID: ' || m.token || '; DSN '" \
	"  || CASE WHEN r.dsn_requested" \
	"  THEN 'requested (NOTIFY=SUCCESS,FAILURE,DELAY)'" \
	"  ELSE 'not requested' END END," \
	" coalesce((SELECT max(d.id) FROM events d WHERE d.token = m.token" \
	"  AND d.kind = 'decision'), (SELECT min(d.id) - 1 FROM events d" \
	"  WHERE d.token = m.token), 9223372036854775807)," \
	" 2 * r.id + k.q" \
	" FROM recipients r JOIN messages m ON m.id = r.message_id" \
	" CROSS JOIN (SELECT 'tagged' AS kind, 0 AS q" \
	"  UNION ALL SELECT 'queued', 1) k"
#define SYNTH_WHERE "coalesce(r.decision, '') NOT IN ('rejected', 'dropped')" \
	" AND NOT EXISTS (SELECT 1 FROM events o WHERE o.token = m.token" \
	"  AND o.kind = 'tagged' AND o.address = r.address)"
#define MESSAGE_COLS "id, token, queue_id, sender, verp, header_from," \
	" subject, message_id, category, fallback_text, phone_hint," \
	" phone_hint_valid, applied, created"

static const char *const st_sql[NF_ST_COUNT] = {
	[NF_ST_BEGIN] = "BEGIN IMMEDIATE",
	[NF_ST_BEGIN_READ] = "BEGIN",
	[NF_ST_COMMIT] = "COMMIT",
	[NF_ST_ROLLBACK] = "ROLLBACK",
	[NF_ST_SAVEPOINT] = "SAVEPOINT nf",
	[NF_ST_RELEASE] = "RELEASE nf",
	[NF_ST_ROLLBACK_TO] = "ROLLBACK TO nf",
	[NF_ST_EMAIL_STATE] = "SELECT contact_id IS NOT NULL, consent,"
	    " suppressed, reason FROM email_policy WHERE email = ?1",
	[NF_ST_CONTACT_INSERT] = "INSERT INTO contacts(email, phone, name,"
	    " created, updated) VALUES (?1, ?2, ?3, ?4, ?4)",
	[NF_ST_CONTACT_UPDATE] = "UPDATE contacts SET email = ?2, phone = ?3,"
	    " name = ?4, updated = ?5 WHERE id = ?1",
	[NF_ST_CONTACT_TOUCH] = "UPDATE contacts SET updated = ?2 WHERE id = ?1",
	[NF_ST_CONTACT_BY_ID] = "SELECT " CONTACT_COLS " FROM contacts"
	    " WHERE id = ?1",
	[NF_ST_CONTACT_BY_EMAIL] = "SELECT " CONTACT_COLS " FROM contacts"
	    " WHERE email = ?1",
	[NF_ST_CONTACT_BY_PHONE] = "SELECT " CONTACT_COLS " FROM contacts"
	    " WHERE phone = ?1",
	[NF_ST_CONTACT_DELETE] = "DELETE FROM contacts WHERE id = ?1",
	[NF_ST_CONTACT_COUNT] = "SELECT count(*) FROM contacts",
	[NF_ST_CONSENT_OF] = "SELECT channel, state, source, time FROM consent"
	    " WHERE contact_id = ?1",
	[NF_ST_CONSENT_GET] = "SELECT state FROM consent"
	    " WHERE contact_id = ?1 AND channel = ?2",
	[NF_ST_CONSENT_UPSERT] = "INSERT INTO consent(contact_id, channel,"
	    " state, source, time) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT(contact_id, channel) DO UPDATE SET"
	    " state = excluded.state, source = excluded.source,"
	    " time = excluded.time",
	[NF_ST_CONSENT_DELETE] = "DELETE FROM consent"
	    " WHERE contact_id = ?1 AND channel = ?2",
	[NF_ST_CONSENT_DELETE_ALL] = "DELETE FROM consent WHERE contact_id = ?1",
	[NF_ST_SUPPRESS_UPSERT] = "INSERT INTO suppressions(address, channel,"
	    " reason, source, evidence, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT(address, channel) DO UPDATE SET"
	    " reason = excluded.reason, source = excluded.source,"
	    " evidence = excluded.evidence, time = excluded.time",
	[NF_ST_SUPPRESS_FIND] = "SELECT " SUPPRESS_COLS " FROM suppressions"
	    " WHERE address = ?1 AND channel = ?2",
	[NF_ST_SUPPRESS_DELETE] = "DELETE FROM suppressions"
	    " WHERE address = ?1 AND channel = ?2",
	[NF_ST_SUPPRESS_ALL] = "SELECT " SUPPRESS_COLS " FROM suppressions"
	    " ORDER BY time, id",
	/* tokens are case-free: kept lower case, so any spelling finds them */
	[NF_ST_EVENT_INSERT] = "INSERT INTO events(" EVENT_COLS ", contact_id)"
	    " VALUES (?1, ?2, ?3, lower(?4), ?5, ?6, ?7, ?8)",
	[NF_ST_EVENT_OF] = "SELECT " EVENT_COLS " FROM ("
	    "SELECT " EVENT_COLS ", id AS k1, 0 AS k2 FROM events"
	    " WHERE address = ?1"
	    " UNION ALL " SYNTH_COLS " WHERE r.address = ?1 AND " SYNTH_WHERE
	    ") ORDER BY time, k1, k2",
	[NF_ST_EVENT_ERASE] = "DELETE FROM events WHERE contact_id = ?1"
	    " OR address = ?2 OR address = ?3",
	/* ---- tracking (store_track.c) ---- */
	[NF_ST_MESSAGE_INSERT] = "INSERT INTO messages(token, queue_id,"
	    " sender, verp, header_from, subject, message_id, category,"
	    " fallback_text, phone_hint, phone_hint_valid, applied, created)"
	    " VALUES (lower(?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	    " ?13)",
	/* a recipient named twice in one message is one row */
	[NF_ST_RECIPIENT_INSERT] = "INSERT INTO recipients(message_id, address,"
	    " decision, rule, reason, dsn_requested, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(message_id, address) DO NOTHING",
	[NF_ST_MESSAGE_BY_TOKEN] = "SELECT " MESSAGE_COLS " FROM messages"
	    " WHERE token = lower(?1)",
	/* messages_queue_id, then the few recipients of that message; a
	 * queue id the MTA reused names the newest message */
	[NF_ST_DELIVERY_FIND] = "SELECT r.id, r.address, r.status, m.token"
	    " FROM messages m JOIN recipients r ON r.message_id = m.id"
	    " WHERE m.queue_id = ?1 AND lower(r.address) = lower(?2)"
	    " ORDER BY m.id DESC LIMIT 1",
	/* a report that names no recipient (qmgr's expiry): the recipients
	 * of the newest message with that queue id, one at a time after
	 * row id ?2, so the caller may write between two steps */
	[NF_ST_DELIVERY_OPEN] = "SELECT r.id, r.address, r.status, m.token,"
	    " r.decision FROM messages m JOIN recipients r"
	    " ON r.message_id = m.id"
	    " WHERE m.id = (SELECT id FROM messages WHERE queue_id = ?1"
	    "  ORDER BY id DESC LIMIT 1) AND r.id > ?2"
	    " ORDER BY r.id LIMIT 1",
	[NF_ST_DELIVERY_UPDATE] = "UPDATE recipients SET status = ?2,"
	    " dsn = ?3, relay = ?4, diagnostic = ?5, updated = ?6 WHERE id = ?1",
	[NF_ST_STATE_GET] = "SELECT value FROM state WHERE key = ?1",
	[NF_ST_STATE_SET] = "INSERT INTO state(key, value) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* each OR term has its own index (address, contact_id, token) */
	[NF_ST_TRACE_PHONE] = "SELECT " EVENT_COLS " FROM ("
	    "SELECT " EVENT_COLS ", id AS k1, 0 AS k2 FROM events"
	    " WHERE address = ?1"
	    " OR address = (SELECT email FROM contacts WHERE phone = ?1)"
	    " OR contact_id = (SELECT id FROM contacts WHERE phone = ?1)"
	    " OR token IN (SELECT token FROM messages WHERE phone_hint = ?1"
	    "  AND phone_hint_valid)"
	    " UNION ALL " SYNTH_COLS
	    " WHERE (r.address = ?1"
	    "  OR r.address = (SELECT email FROM contacts WHERE phone = ?1)"
	    "  OR r.message_id IN (SELECT id FROM messages"
	    "   WHERE phone_hint = ?1 AND phone_hint_valid))"
	    " AND " SYNTH_WHERE
	    ") ORDER BY time, k1, k2",
	[NF_ST_TRACE_TOKEN] = "SELECT " EVENT_COLS " FROM ("
	    "SELECT " EVENT_COLS ", id AS k1, 0 AS k2 FROM events"
	    " WHERE token = lower(?1)"
	    " UNION ALL " SYNTH_COLS " WHERE m.token = lower(?1) AND "
	    SYNTH_WHERE
	    ") ORDER BY time, k1, k2",
	/* erasure: the personal fields of messages that went to nobody else */
	[NF_ST_ERASE_MESSAGES] = "UPDATE messages SET header_from = NULL,"
	    " subject = NULL, fallback_text = NULL, phone_hint = NULL"
	    " WHERE id IN (SELECT message_id FROM recipients WHERE address = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM recipients o"
	    "  WHERE o.message_id = messages.id AND o.address <> ?1)",
	[NF_ST_ERASE_HINTS] = "UPDATE messages SET phone_hint = NULL"
	    " WHERE phone_hint = ?1",
	[NF_ST_ERASE_RECIPIENTS] = "DELETE FROM recipients WHERE address = ?1",
	[NF_ST_USER_VERSION] = "PRAGMA user_version",
	/* erased contacts (store_erase.c): asked on the hot path only for
	 * an address email_policy does not know */
	[NF_ST_ERASED_ANY] = "SELECT EXISTS (SELECT 1 FROM erased)",
	[NF_ST_ERASED_FIND] = "SELECT reason FROM erased"
	    " WHERE hash = ?1 AND channel = ?2",
};

/* ---- errors -------------------------------------------------------------- */

int
nf_st_error(struct nf_store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return rc;
}

int
nf_st_map(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return NF_STORE_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return NF_STORE_BUSY;
	case SQLITE_READONLY:
		return NF_STORE_READONLY;
	case SQLITE_CONSTRAINT:
		if (sqlite_rc == SQLITE_CONSTRAINT_UNIQUE ||
		    sqlite_rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return NF_STORE_CONFLICT;
		return NF_STORE_ERR;
	default:
		return NF_STORE_ERR;
	}
}

int
nf_st_fail(struct nf_store *s, int sqlite_rc, const char *what)
{
	int rc = nf_st_map(sqlite_rc);
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(sqlite_rc);

	switch (rc) {
	case NF_STORE_BUSY:
		nf_st_error(s, rc, "%s: %s: %s (still locked by another "
		    "process after %d ms): retry later", s->path, what, msg,
		    s->busy_ms);
		break;
	case NF_STORE_READONLY:
		if (s->flags & NF_STORE_RDONLY)
			nf_st_error(s, rc, "%s: %s: %s: the store was opened "
			    "read-only", s->path, what, msg);
		else
			nf_st_error(s, rc, "%s: %s: %s: the file or its "
			    "directory cannot be written: make both writable "
			    "by uid %ld", s->path, what, msg, (long)geteuid());
		break;
	default:
		nf_st_error(s, rc, "%s: %s: %s (sqlite code %d)", s->path, what,
		    msg, sqlite_rc);
	}
	return rc;
}

const char *
nf_store_errmsg(const struct nf_store *s)
{
	if (s == NULL)
		return "no store handle";
	return s->err[0] ? s->err : "no error";
}

/* ---- statement cache ----------------------------------------------------- */

sqlite3_stmt *
nf_st_cached(struct nf_store *s, enum nf_st id)
{
	int rc;

	if (s->st[id] == NULL) {
		rc = sqlite3_prepare_v3(s->db, st_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL);
		if (rc != SQLITE_OK) {
			nf_st_fail(s, rc, "preparing a statement");
			s->st[id] = NULL;
			return NULL;
		}
	}
	return s->st[id];
}

sqlite3_stmt *
nf_st_get(struct nf_store *s, enum nf_st id)
{
	if (s->snap)
		nf_store_release(s);
	return nf_st_cached(s, id);
}

const char *
nf_st_sql(enum nf_st id)
{
	return (unsigned)id < NF_ST_COUNT ? st_sql[id] : NULL;
}

sqlite3_stmt *
nf_st_fresh(struct nf_store *s, enum nf_st id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (s->snap)
		nf_store_release(s);
	rc = sqlite3_prepare_v2(s->db, st_sql[id], -1, &st, NULL);

	if (rc != SQLITE_OK) {
		nf_st_fail(s, rc, "preparing a statement");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

sqlite3_stmt *
nf_st_prep(struct nf_store *s, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* also forgets what this snapshot knew of the erased table: the
	 * caller may be about to change it */
	nf_store_release(s);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		nf_st_fail(s, rc, what);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int
nf_st_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

size_t
nf_st_cut_len(const char *v, size_t max, int *cut)
{
	size_t n = strlen(v), keep;

	*cut = 0;
	if (n <= max)
		return n;
	*cut = 1;
	if (max < sizeof NF_ST_CUT_MARK - 1)
		return 0;	/* no room for the mark: a caller bug */
	keep = max - (sizeof NF_ST_CUT_MARK - 1);
	while (keep > 0 && ((unsigned char)v[keep] & 0xc0) == 0x80)
		keep--;		/* do not split a UTF-8 sequence */
	return keep;
}

int
nf_st_bind_cut(sqlite3_stmt *st, int i, const char *v, size_t max)
{
	static const char mark[] = NF_ST_CUT_MARK;
	size_t keep;
	char *cut;
	int rc, was_cut;

	if (v == NULL)
		return sqlite3_bind_null(st, i);
	keep = nf_st_cut_len(v, max, &was_cut);
	if (!was_cut)
		return sqlite3_bind_text(st, i, v, (int)keep, SQLITE_STATIC);
	if (max < sizeof mark - 1)
		return SQLITE_MISUSE;
	cut = malloc(keep + sizeof mark);
	if (cut == NULL)
		return SQLITE_NOMEM;
	memcpy(cut, v, keep);
	memcpy(cut + keep, mark, sizeof mark);
	rc = sqlite3_bind_text(st, i, cut, -1, SQLITE_TRANSIENT);
	free(cut);
	return rc;
}

int
nf_st_col(struct nf_store *s, sqlite3_stmt *st, int i, char *dst, size_t len,
    const char *what)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (v == NULL) {
		dst[0] = '\0';
		return NF_STORE_OK;
	}
	if (n >= len) {
		dst[0] = '\0';
		return nf_st_error(s, NF_STORE_ERR, "%s: stored %s is %zu bytes, "
		    "longer than the %zu this notifilter handles (edited by "
		    "hand?): fix or remove that row", s->path, what, n, len - 1);
	}
	memcpy(dst, v, n + 1);
	return NF_STORE_OK;
}

int
nf_st_done(struct nf_store *s, sqlite3_stmt *st, int bind_rc,
    const char *what)
{
	int rc = bind_rc;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, what);
	return NF_STORE_OK;
}

int
nf_st_query_int(struct nf_store *s, enum nf_st id, int64_t *out,
    const char *what)
{
	sqlite3_stmt *st = nf_st_get(s, id);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return nf_st_fail(s, rc, what);
	return NF_STORE_OK;
}

/* The event in the current row of a statement selecting EVENT_COLS; its
 * strings live until the statement steps again. */
static void
event_from_row(sqlite3_stmt *st, struct nf_event *ev)
{
	ev->time = sqlite3_column_int64(st, 0);
	ev->kind = (const char *)sqlite3_column_text(st, 1);
	ev->queue_id = (const char *)sqlite3_column_text(st, 2);
	ev->token = (const char *)sqlite3_column_text(st, 3);
	ev->address = (const char *)sqlite3_column_text(st, 4);
	ev->rule = (const char *)sqlite3_column_text(st, 5);
	ev->detail = (const char *)sqlite3_column_text(st, 6);
}

int
nf_st_event_walk(struct nf_store *s, sqlite3_stmt *st,
    int (*fn)(const struct nf_event *, void *), void *arg, size_t *n,
    const char *what)
{
	struct nf_event ev;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n != NULL)
			(*n)++;
		event_from_row(st, &ev);
		if ((r = fn(&ev, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = nf_st_fail(s, rc, what);
	sqlite3_finalize(st);
	return r;
}

int
nf_st_exec(struct nf_store *s, enum nf_st id, const char *what)
{
	sqlite3_stmt *st = nf_st_get(s, id);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return nf_st_fail(s, rc, what);
	return NF_STORE_OK;
}

/* ---- transactions -------------------------------------------------------- */

int
nf_tx_write(struct nf_store *s, struct nf_tx *tx)
{
	int rc;

	nf_store_release(s);	/* never write from a stale snapshot */
	tx->savepoint = !sqlite3_get_autocommit(s->db);
	tx->active = 0;
	rc = nf_st_exec(s, tx->savepoint ? NF_ST_SAVEPOINT : NF_ST_BEGIN,
	    "starting a write transaction");
	if (rc == NF_STORE_OK)
		tx->active = 1;
	return rc;
}

int
nf_tx_read(struct nf_store *s, struct nf_tx *tx)
{
	int rc;

	/* outside a transaction a SAVEPOINT is a deferred BEGIN: a snapshot */
	nf_store_release(s);
	tx->savepoint = 1;
	tx->active = 0;
	rc = nf_st_exec(s, NF_ST_SAVEPOINT, "starting a read");
	if (rc == NF_STORE_OK)
		tx->active = 1;
	return rc;
}

int
nf_tx_end(struct nf_store *s, struct nf_tx *tx, int rc)
{
	int r;
	char keep[sizeof s->err];

	if (!tx->active)
		return rc;
	tx->active = 0;
	if (rc == NF_STORE_OK) {
		r = nf_st_exec(s, tx->savepoint ? NF_ST_RELEASE : NF_ST_COMMIT,
		    "committing");
		if (r == NF_STORE_OK)
			return NF_STORE_OK;
		rc = r;
	}
	/* keep the first error's text: the undo must not overwrite it */
	memcpy(keep, s->err, sizeof keep);
	if (sqlite3_get_autocommit(s->db))
		;	/* SQLite already rolled the whole transaction back */
	else if (tx->savepoint) {
		nf_st_exec(s, NF_ST_ROLLBACK_TO, "undoing");
		nf_st_exec(s, NF_ST_RELEASE, "undoing");
	} else
		nf_st_exec(s, NF_ST_ROLLBACK, "undoing");
	memcpy(s->err, keep, sizeof keep);
	return rc;
}

int
nf_store_begin(struct nf_store *s)
{
	int rc;

	nf_store_release(s);
	if (s->depth > 0 && sqlite3_get_autocommit(s->db))
		s->depth = 0;	/* an error rolled the outer one back */
	if (s->depth == 0 && !sqlite3_get_autocommit(s->db))
		/* a transaction nobody owns (never ours to keep): end it, so
		 * this one really starts and really commits */
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	rc = nf_st_exec(s, s->depth > 0 ? NF_ST_SAVEPOINT : NF_ST_BEGIN,
	    "starting a transaction");
	if (rc == NF_STORE_OK)
		s->depth++;
	return rc;
}

static int
tx_finish(struct nf_store *s, int commit)
{
	int rc;

	if (s->depth == 0)
		return nf_st_error(s, NF_STORE_ERR, "%s: %s without "
		    "nf_store_begin", s->path, commit ? "commit" : "rollback");
	if (sqlite3_get_autocommit(s->db)) {
		s->depth = 0;
		return nf_st_error(s, NF_STORE_ERR, "%s: the transaction was "
		    "already rolled back by an earlier error: nothing of it "
		    "was stored", s->path);
	}
	if (s->depth > 1) {
		if (!commit)
			rc = nf_st_exec(s, NF_ST_ROLLBACK_TO, "rolling back");
		else
			rc = NF_STORE_OK;
		if (rc == NF_STORE_OK)
			rc = nf_st_exec(s, NF_ST_RELEASE, "committing");
	} else if (commit) {
		rc = nf_st_exec(s, NF_ST_COMMIT, "committing");
		if (rc != NF_STORE_OK) {
			char keep[sizeof s->err];

			memcpy(keep, s->err, sizeof keep);
			if (!sqlite3_get_autocommit(s->db))
				nf_st_exec(s, NF_ST_ROLLBACK, "rolling back");
			memcpy(s->err, keep, sizeof keep);
		}
	} else
		rc = nf_st_exec(s, NF_ST_ROLLBACK, "rolling back");
	s->depth--;
	return rc;
}

int
nf_store_commit(struct nf_store *s)
{
	return tx_finish(s, 1);
}

int
nf_store_rollback(struct nf_store *s)
{
	return tx_finish(s, 0);
}

int
nf_store_schema_version(struct nf_store *s, int *version)
{
	int64_t v = 0;
	int rc = nf_st_query_int(s, NF_ST_USER_VERSION, &v,
	    "reading the schema version");

	if (rc == NF_STORE_OK)
		*version = (int)v;
	return rc;
}
