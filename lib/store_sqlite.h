/*
 * store_sqlite.h - internals shared by the SQLite backend's files only
 * (store_sqlite.c: SQL text, errors, the statement cache, transactions;
 * store_lookup.c: the hot path and its read snapshot;
 * store_open.c: opening and the schema; store_rows.c and store_track.c:
 * what each store.h call does with rows).  Nothing outside
 * lib/store_*.c includes this header.
 *
 * Every statement the backend runs is a constant in store_sqlite.c (the
 * schema's DDL in store_open.c),
 * named here by an enum nf_st value and prepared once per handle on first
 * use; callers bind parameters, never build SQL from data.
 */
#ifndef NF_STORE_SQLITE_H
#define NF_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

enum nf_st {
	NF_ST_BEGIN, NF_ST_BEGIN_READ, NF_ST_COMMIT, NF_ST_ROLLBACK,
	NF_ST_SAVEPOINT, NF_ST_RELEASE, NF_ST_ROLLBACK_TO,
	NF_ST_EMAIL_STATE,
	NF_ST_CONTACT_INSERT, NF_ST_CONTACT_UPDATE, NF_ST_CONTACT_TOUCH,
	NF_ST_CONTACT_BY_ID, NF_ST_CONTACT_BY_EMAIL, NF_ST_CONTACT_BY_PHONE,
	NF_ST_CONTACT_DELETE, NF_ST_CONTACT_COUNT,
	NF_ST_CONSENT_OF, NF_ST_CONSENT_GET, NF_ST_CONSENT_UPSERT,
	NF_ST_CONSENT_DELETE, NF_ST_CONSENT_DELETE_ALL,
	NF_ST_SUPPRESS_UPSERT, NF_ST_SUPPRESS_FIND, NF_ST_SUPPRESS_DELETE,
	NF_ST_SUPPRESS_ALL,
	NF_ST_EVENT_INSERT, NF_ST_EVENT_OF, NF_ST_EVENT_ERASE,
	NF_ST_MESSAGE_INSERT, NF_ST_RECIPIENT_INSERT, NF_ST_MESSAGE_BY_TOKEN,
	NF_ST_DELIVERY_FIND, NF_ST_DELIVERY_OPEN, NF_ST_DELIVERY_UPDATE,
	NF_ST_STATE_GET, NF_ST_STATE_SET,
	NF_ST_TRACE_PHONE, NF_ST_TRACE_TOKEN,
	NF_ST_ERASE_MESSAGES, NF_ST_ERASE_HINTS, NF_ST_ERASE_RECIPIENTS,
	NF_ST_USER_VERSION,
	NF_ST_ERASED_ANY, NF_ST_ERASED_FIND,
	NF_ST_COUNT
};

struct nf_store {
	sqlite3 *db;
	char *path;
	int flags;		/* NF_STORE_* open flags */
	int busy_ms;
	int target;		/* schema version to migrate to on open */
	int depth;		/* nf_store_begin nesting; 0 = none open */
	int snap;		/* email_state's read snapshot is open */
	int64_t snap_until;	/* ... until this CLOCK_MONOTONIC ns */
	int erased_seen;	/* in this snapshot: 0 not asked, 1 erased is
				 * empty, 2 it has rows (store_erase.c) */
	sqlite3_stmt *st[NF_ST_COUNT];
	char err[1024];
};

/* Tests only: create a new store file at the older schema `version`
 * (the real steps, stopped early), so the step to the current one can be
 * tested on a file as an older notifilter left it. */
int nf_st_create_old(const char *path, int version, char *err,
    size_t errlen);

/* A statement from the cache, reset and with no bindings; NULL on error
 * (then s->err says why).  Ends email_state's read snapshot first, so
 * every other call reads and writes current data. */
sqlite3_stmt *nf_st_get(struct nf_store *s, enum nf_st id);
/* The same, without ending the read snapshot: for the hot path and for
 * ending the snapshot itself (store_lookup.c). */
sqlite3_stmt *nf_st_cached(struct nf_store *s, enum nf_st id);
/* Tests only: the SQL text of statement `id` (to check its query plan);
 * NULL for an id out of range. */
const char *nf_st_sql(enum nf_st id);
/* A fresh statement the caller finalizes: for walks whose callback may use
 * the same handle again (re-entrancy). */
sqlite3_stmt *nf_st_fresh(struct nf_store *s, enum nf_st id);

/* A fresh statement for the constant SQL text of one area's own file
 * (store_report.c, store_outbox.c ...), finalized by the caller; ends
 * email_state's read snapshot first.  NULL on error, with s->err saying
 * "PATH: preparing WHAT: ...". */
sqlite3_stmt *nf_st_prep(struct nf_store *s, const char *sql,
    const char *what);

/* Map an SQLite result code to enum nf_store_rc and, for failures, write
 * "PATH: WHAT: sqlite's message (and what to do)" to s->err. */
int nf_st_fail(struct nf_store *s, int sqlite_rc, const char *what);
/* enum nf_store_rc for an SQLite result code. */
int nf_st_map(int sqlite_rc);
/* Run a cached statement that returns no rows (BEGIN, COMMIT, ...). */
int nf_st_exec(struct nf_store *s, enum nf_st id, const char *what);
/* Set s->err to a formatted message and return rc. */
int nf_st_error(struct nf_store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A write's own transaction: BEGIN IMMEDIATE when none is open, else a
 * SAVEPOINT inside the caller's, so that a failed call leaves nothing and an
 * outer nf_store_begin stays usable.  nf_tx_end commits (rc == OK) or undoes
 * the work and returns the final rc.  A read uses nf_tx_read for one
 * consistent snapshot across its statements.
 */
struct nf_tx {
	int savepoint;
	int active;
};
int nf_tx_write(struct nf_store *s, struct nf_tx *tx);
int nf_tx_read(struct nf_store *s, struct nf_tx *tx);
int nf_tx_end(struct nf_store *s, struct nf_tx *tx, int rc);

/* Bind a string, or NULL for "" / NULL (absent values are NULL in SQL). */
int nf_st_bind_opt(sqlite3_stmt *st, int i, const char *v);
/*
 * Bind v (NULL for NULL) cut to at most max bytes: a longer value keeps
 * its start, whole UTF-8 sequences only, and ends with NF_ST_CUT_MARK, so
 * a reader sees that it was cut.  An SQLite code (SQLITE_NOMEM).
 */
#define NF_ST_CUT_MARK "...[cut]"
int nf_st_bind_cut(sqlite3_stmt *st, int i, const char *v, size_t max);
/* How many bytes of v to keep so that v, or its start plus the mark, fits
 * in max bytes; *cut says whether the mark must follow. */
size_t nf_st_cut_len(const char *v, size_t max, int *cut);
/* Append one event (store_rows.c); contact_id 0 for none. */
int nf_st_event_put(struct nf_store *s, const struct nf_event *ev,
    int64_t contact_id);
/* Erasure of a contact's tracking data (store_track.c): see there. */
int nf_st_erase_tracking(struct nf_store *s, const char *email,
    const char *phone);
/* The rows of contact c (id 0: none, only its email or phone is set)
 * inside nf_store_contact_erase's transaction (store_rows.c): tracking,
 * events, consent, the contact, and one event saying so without personal
 * data (kept: how many hashes were kept).  Adds changed rows to *rows. */
int nf_st_erase_contact_rows(struct nf_store *s, const struct nf_contact *c,
    size_t kept, int64_t *rows);
/* A contact added with an erased email or phone: its erased rows become
 * a suppression or a revoked consent again (store_erase_table.c; inside the
 * adding transaction; nothing without an erasure key). */
int nf_st_erased_restore(struct nf_store *s, int64_t contact,
    const char *email, const char *phone);

/*
 * Erased contacts (store_erase.c): is `key` (a normalised email or an
 * E.164 phone) an erased address on channel ch?  Asked by the hot path
 * only when email_policy has no row, and cheap when the table is empty
 * (answered once per read snapshot).  No key set (nf_store_erase_key_set)
 * means no match.  *found 1 with its reason in reason[len], or 0;
 * NF_STORE_* result.
 */
int nf_st_erased_match(struct nf_store *s, const char *key,
    enum nf_channel ch, char *reason, size_t len, int *found);

/* Copy column i into dst[len]; NF_STORE_ERR (with s->err) if it does not
 * fit, which only a hand-edited database can cause. */
int nf_st_col(struct nf_store *s, sqlite3_stmt *st, int i, char *dst,
    size_t len, const char *what);

/* Finish a statement that returns no rows and whose parameters the
 * caller bound: bind_rc is SQLITE_OK, or the first bind's failure (then
 * it is not run).  Steps it, resets it and clears its bindings (so no
 * pointer of the caller's stays in the cache).  NF_STORE_* result; `what`
 * names the operation in s->err. */
int nf_st_done(struct nf_store *s, sqlite3_stmt *st, int bind_rc,
    const char *what);
/* Run statement `id` (no parameters) for the integer in its first row
 * (count(*), PRAGMA user_version).  NF_STORE_* result; `what` names the
 * operation in s->err. */
int nf_st_query_int(struct nf_store *s, enum nf_st id, int64_t *out,
    const char *what);
/*
 * Step `st`, a fresh statement (nf_st_fresh) with its parameters bound
 * that selects EVENT_COLS, calling fn for each row until fn returns
 * non-zero; finalizes st.  Returns fn's non-zero value, 0, or an
 * NF_STORE_* failure (`what` names the walk in s->err).  *n (if not NULL)
 * counts the rows seen.
 */
int nf_st_event_walk(struct nf_store *s, sqlite3_stmt *st,
    int (*fn)(const struct nf_event *, void *), void *arg, size_t *n,
    const char *what);

#endif
