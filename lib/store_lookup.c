/*
 * store_lookup.c - the milter's hot path in the SQLite backend of store.h:
 * nf_store_email_state, the erased-address check it falls back to
 * (nf_st_erased_match, also asked by store_erase_table.c), and the
 * short-lived read snapshot they share (nf_store_release ends it;
 * nf_store_idle says whether a handle holds nothing else open).  The SQL
 * text and the statement cache are store_sqlite.c's; this file alone
 * writes the snap, snap_until and erased_seen fields of struct nf_store.
 *
 * email_policy (see store_open.c) is a denormalised WITHOUT ROWID table
 * keyed by the email address, holding contact, email consent and
 * suppression together, so nf_store_email_state is one B-tree descent.
 * Starting a read transaction (a WAL read lock, two fcntl calls and an
 * fstat) costs as much as that descent, so lookups share a read snapshot
 * for at most NF_STORE_SNAPSHOT_MS; any other call ends it first.
 *
 * Failures: a snapshot that cannot start costs speed only (each lookup is
 * then its own transaction); a failed lookup returns the NF_STORE_* code of
 * nf_st_fail, with s->err saying why, and drops the snapshot so the next
 * lookup starts afresh.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- the read snapshot --------------------------------------------------- */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
nf_store_release(struct nf_store *s)
{
	sqlite3_stmt *st;

	if (s == NULL)
		return;
	s->erased_seen = 0;	/* known for one snapshot only */
	if (!s->snap)
		return;
	s->snap = 0;
	if (sqlite3_get_autocommit(s->db))
		return;
	/* a read transaction: COMMIT cannot lose anything */
	if ((st = nf_st_cached(s, NF_ST_COMMIT)) != NULL) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	/* if the COMMIT did not end it, ROLLBACK must: a snapshot left open
	 * would turn the next writer's BEGIN into an error and its COMMIT
	 * into a no-op */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
nf_store_idle(struct nf_store *s)
{
	/* the snapshot is a deferred BEGIN: autocommit is off while it lasts */
	return s->depth == 0 && (s->snap || sqlite3_get_autocommit(s->db));
}

/*
 * Keep (or start) the read snapshot for email_state: a deferred BEGIN whose
 * first step takes the WAL read lock; it is ended when it grows older than
 * NF_STORE_SNAPSHOT_MS, and by any other call (nf_st_get).  Inside the
 * caller's own transaction there is nothing to do.
 */
static void
snapshot(struct nf_store *s)
{
	int64_t now = mono_ns();
	sqlite3_stmt *st;

	if (s->snap && now < s->snap_until)
		return;
	nf_store_release(s);
	if (NF_STORE_SNAPSHOT_MS <= 0 || !sqlite3_get_autocommit(s->db))
		return;
	if ((st = nf_st_cached(s, NF_ST_BEGIN_READ)) == NULL)
		return;		/* then each lookup is its own transaction */
	if (sqlite3_step(st) == SQLITE_DONE) {
		s->snap = 1;
		s->snap_until = now + (int64_t)NF_STORE_SNAPSHOT_MS * 1000000;
	}
	sqlite3_reset(st);
}

/* ---- the milter's hot path ----------------------------------------------- */

static int erased_email(struct nf_store *s, const char *email,
    struct nf_email_state *out);

/*
 * One B-tree descent in email_policy, inside the short-lived snapshot.  A
 * failed lookup drops the snapshot, so the next one starts afresh.
 */
int
nf_store_email_state(struct nf_store *s, const char *email,
    struct nf_email_state *out)
{
	sqlite3_stmt *st;
	const unsigned char *reason;
	int rc, n, row = 0;

	out->has_contact = 0;
	out->email_consent = NF_CONSENT_NONE;
	out->suppressed = 0;
	out->suppress_reason[0] = '\0';
	if (s->depth == 0)
		snapshot(s);
	if ((st = s->st[NF_ST_EMAIL_STATE]) == NULL &&
	    (st = nf_st_cached(s, NF_ST_EMAIL_STATE)) == NULL) {
		nf_store_release(s);
		return NF_STORE_ERR;
	}
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->has_contact = sqlite3_column_int(st, 0);
		n = sqlite3_column_int(st, 1);
		out->email_consent = (n == NF_CONSENT_GRANTED ||
		    n == NF_CONSENT_REVOKED) ? (enum nf_consent)n :
		    NF_CONSENT_NONE;
		out->suppressed = sqlite3_column_int(st, 2) != 0;
		if (out->suppressed &&
		    (reason = sqlite3_column_text(st, 3)) != NULL)
			/* writes bound reasons to this size; a longer one
			 * (edited by hand) is cut, the decision stands */
			snprintf(out->suppress_reason,
			    sizeof out->suppress_reason, "%s",
			    (const char *)reason);
		rc = SQLITE_DONE;
		row = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = nf_st_fail(s, rc, "looking up a recipient");
		nf_store_release(s);
		return rc;
	}
	/* a known address never reaches here: its row says all */
	if (!row && nf_store_erase_key_ready())
		return erased_email(s, email, out);
	return NF_STORE_OK;
}

int
nf_st_erased_match(struct nf_store *s, const char *key, enum nf_channel ch,
    char *reason, size_t len, int *found)
{
	char hash[NF_STORE_HASH_MAX];
	const unsigned char *r;
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (len > 0)
		reason[0] = '\0';
	if (key == NULL || key[0] == '\0' || !nf_store_erase_key_ready())
		return NF_STORE_OK;
	if (s->erased_seen == 0) {
		if ((st = nf_st_cached(s, NF_ST_ERASED_ANY)) == NULL)
			return NF_STORE_ERR;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			s->erased_seen = sqlite3_column_int(st, 0) ? 2 : 1;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return nf_st_fail(s, rc, "looking up erased contacts");
		/* outside a snapshot nothing keeps the answer true */
		if (!s->snap && s->depth == 0 && sqlite3_get_autocommit(s->db)) {
			rc = s->erased_seen;
			s->erased_seen = 0;
			if (rc == 1)
				return NF_STORE_OK;
		} else if (s->erased_seen == 1)
			return NF_STORE_OK;
	} else if (s->erased_seen == 1)
		return NF_STORE_OK;
	if (nf_store_erase_hash(key, hash, sizeof hash) != 0)
		return NF_STORE_OK;	/* the key went away meanwhile */
	if ((st = nf_st_cached(s, NF_ST_ERASED_FIND)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, nf_channel_name(ch), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		r = sqlite3_column_text(st, 0);
		if (len > 0)
			snprintf(reason, len, "%s", r ? (const char *)r : "");
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "looking up erased contacts");
	return NF_STORE_OK;
}

/*
 * An address erased with its contact (store_erase.c) is blocked as it was
 * before: a revoked consent reads as revoked, a suppression as suppressed
 * with its reason marked "erased contact", so trace shows why.
 */
static int
erased_email(struct nf_store *s, const char *email, struct nf_email_state *out)
{
	char reason[NF_STORE_TEXT_MAX];
	int rc, found;

	rc = nf_st_erased_match(s, email, NF_CH_EMAIL, reason, sizeof reason,
	    &found);
	if (rc != NF_STORE_OK) {
		nf_store_release(s);
		return rc;
	}
	if (!found)
		return NF_STORE_OK;
	if (strcmp(reason, NF_STORE_ERASED_REVOKED) == 0) {
		out->email_consent = NF_CONSENT_REVOKED;
		return NF_STORE_OK;
	}
	out->suppressed = 1;
	/* reason is bounded by the erased row's writer; a hand-edited longer
	 * one is cut, the block stands */
	snprintf(out->suppress_reason, sizeof out->suppress_reason,
	    "erased contact: %.*s", (int)(sizeof out->suppress_reason - 32),
	    reason[0] ? reason : "suppressed");
	return NF_STORE_OK;
}
