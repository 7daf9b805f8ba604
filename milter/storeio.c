/*
 * storeio.c - the daemon's only door to the store: a pool of handles
 * (one SQLite connection per concurrent user, never shared at once) for
 * the RCPT lookups and the record writer (decision events and tagged
 * messages, many per transaction).
 *
 * Kept apart so that the callback tests can link a fake in its place and
 * make the store fail on demand.  Failure: every call returns an enum
 * nf_store_rc; a handle that failed with an I/O error is closed rather
 * than reused.  The pool is opened once by main() before any callback
 * runs and closed after the last one.
 */
#include <stdio.h>

#include "log.h"
#include "milter.h"

static struct nf_store_pool *pool;

int
nf_milter_store_open(const char *path, int busy_ms, size_t max_handles,
    char *err, size_t errlen)
{
	struct nf_store *s;
	int rc;

	rc = nf_store_pool_new(path, busy_ms, max_handles, &pool, err, errlen);
	if (rc != NF_STORE_OK)
		return rc;
	/* open one handle now, so a bad file is reported at start and not
	 * at the first recipient */
	rc = nf_store_pool_get(pool, &s);
	if (rc != NF_STORE_OK) {
		snprintf(err, errlen, "%s: cannot open the store (error %d)",
		    path, rc);
		nf_store_pool_free(pool);
		pool = NULL;
		return rc;
	}
	nf_store_pool_put(pool, s, 0);
	return NF_STORE_OK;
}

void
nf_milter_store_close(void)
{
	if (pool != NULL)
		nf_store_pool_free(pool);
	pool = NULL;
}

int
nf_milter_store_lookup(const char *email, struct nf_email_state *out)
{
	struct nf_store *s;
	int rc;

	if (pool == NULL)
		return NF_STORE_ERR;
	rc = nf_store_pool_get(pool, &s);
	if (rc != NF_STORE_OK)
		return rc;
	rc = nf_store_email_state(s, email, out);
	if (rc == NF_STORE_NOTFOUND) {
		/* the contract says no row is OK; be tolerant anyway */
		out->has_contact = 0;
		out->email_consent = NF_CONSENT_NONE;
		out->suppressed = 0;
		out->suppress_reason[0] = '\0';
		rc = NF_STORE_OK;
	}
	if (rc != NF_STORE_OK)
		nf_warn("store lookup failed: %s", nf_store_errmsg(s));
	nf_store_pool_put(pool, s, rc == NF_STORE_ERR);
	return rc;
}

int
nf_milter_store_items(struct nf_witem *const *it, size_t n, size_t *dup)
{
	struct nf_store *s;
	size_t i;
	int rc, began;

	*dup = 0;
	if (pool == NULL)
		return NF_STORE_ERR;
	rc = nf_store_pool_get(pool, &s);
	if (rc != NF_STORE_OK)
		return rc;
	rc = nf_store_begin(s);
	began = rc == NF_STORE_OK;
	for (i = 0; rc == NF_STORE_OK && i < n; i++) {
		/* decisions first: a timeline ties within a second and then
		 * keeps write order, which must read decided, tagged, queued */
		if (it[i]->nev > 0)
			rc = nf_store_event_add_many(s, it[i]->ev, it[i]->nev);
		if (rc == NF_STORE_OK && it[i]->msg != NULL) {
			rc = nf_store_message_add(s, it[i]->msg, it[i]->rcpt,
			    it[i]->nrcpt);
			if (rc == NF_STORE_CONFLICT) {
				/* 64 random bits repeated: the mail already
				 * left with this token; keep the first record */
				nf_err("message %s: token %s is already recorded "
				    "for another message; this one is not "
				    "recorded (its decisions are)",
				    it[i]->msg->queue_id ? it[i]->msg->queue_id :
				    "(no queue id)", it[i]->msg->token);
				(*dup)++;
				rc = NF_STORE_OK;
			}
		}
	}
	if (rc == NF_STORE_OK) {
		rc = nf_store_commit(s);	/* undoes itself when it fails */
		began = 0;
	}
	if (rc != NF_STORE_OK) {
		nf_warn("store: writing %zu messages' records failed: %s", n,
		    nf_store_errmsg(s));
		if (began)	/* may say SQLite undid it already: fine */
			(void)nf_store_rollback(s);
		*dup = 0;
	}
	nf_store_pool_put(pool, s, rc == NF_STORE_ERR);
	return rc;
}
