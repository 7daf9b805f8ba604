/*
 * store_receipt.c - providers' delivery receipts in the SQLite backend of
 * store.h (issue 5): find the outbox row a receipt names, keep its latest
 * receipt, and put the receipt in the contact's timeline.  Table: outbox
 * (schema step 4 in store_open.c; rows are written by store_outbox.c).
 *
 * Statements: SQL text lives here as constants, prepared per call as in
 * store_report.c (receipts are rare: a few per fallback message).  Every
 * statement binds its values.
 *
 * Trust: a receipt comes from the network.  It changes only the receipt
 * column and the timeline, never the row's state, and only for a row whose
 * ids and driver all agree with it, so a receipt cannot resend, cancel or
 * touch another provider's message.  Text is stored cut (nf_st_bind_cut).
 *
 * Failures: one transaction (a SAVEPOINT inside a caller's); NF_STORE_BUSY
 * is passed up so the listener answers 503 and the provider retries.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECEIPT_TEXT_MAX 240

static const char sql_by_provider[] =
	"SELECT id, token, recipient, idem_key, driver, provider_id, receipt"
	" FROM outbox WHERE provider_id = ?1 ORDER BY id DESC LIMIT 1";
static const char sql_by_key[] =
	"SELECT id, token, recipient, idem_key, driver, provider_id, receipt"
	" FROM outbox WHERE idem_key = ?1";
static const char sql_set_receipt[] =
	"UPDATE outbox SET receipt = ?2, updated = ?3 WHERE id = ?1";

struct row {
	int64_t id;
	char token[NF_STORE_TOKEN_MAX + 16];
	char recipient[NF_STORE_EMAIL_MAX];
	char key[128];
	char driver[32];
	char provider_id[160];
	char receipt[NF_STORE_TEXT_MAX];
};

static const char *
opt(const char *v)
{
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static sqlite3_stmt *
prep(struct nf_store *s, const char *sql)
{
	return nf_st_prep(s, sql, "preparing a receipt statement");
}

/* Column i as text into dst ("" for NULL); a value that does not fit is
 * cut (these are for comparing and for the event only). */
static void
col(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

static int
find(struct nf_store *s, const char *sql, const char *value, struct row *r)
{
	sqlite3_stmt *st = prep(s, sql);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		col(st, 1, r->token, sizeof(r->token));
		col(st, 2, r->recipient, sizeof(r->recipient));
		col(st, 3, r->key, sizeof(r->key));
		col(st, 4, r->driver, sizeof(r->driver));
		col(st, 5, r->provider_id, sizeof(r->provider_id));
		col(st, 6, r->receipt, sizeof(r->receipt));
		rc = NF_STORE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = NF_STORE_NOTFOUND;
	} else {
		rc = nf_st_fail(s, rc, "looking up an outbox row for a receipt");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Is the stored receipt text final?  It starts with its status word. */
static int
stored_final(const char *receipt)
{
	static const char *const fin[] = { "delivered", "failed", "undelivered",
	    "rejected", "expired", "read", "canceled", "cancelled", NULL };
	size_t n = strcspn(receipt, ":");

	for (size_t i = 0; fin[i] != NULL; i++)
		if (strlen(fin[i]) == n && strncmp(fin[i], receipt, n) == 0)
			return 1;
	return 0;
}

/* The row r names, or NOTFOUND with the reason in s->err. */
static int
locate(struct nf_store *s, const struct nf_receipt_in *r, struct row *row)
{
	const char *pid = opt(r->provider_id), *key = opt(r->idem_key);
	int rc = NF_STORE_NOTFOUND;

	memset(row, 0, sizeof(*row));
	if (pid != NULL)
		rc = find(s, sql_by_provider, pid, row);
	if (rc == NF_STORE_NOTFOUND && key != NULL)
		rc = find(s, sql_by_key, key, row);
	if (rc != NF_STORE_OK) {
		if (rc == NF_STORE_NOTFOUND)
			nf_st_error(s, rc, "no outbox row has provider id '%s' or key '%s'",
			    pid ? pid : "", key ? key : "");
		return rc;
	}
	if (key != NULL && strcmp(row->key, key) != 0)
		return nf_st_error(s, NF_STORE_NOTFOUND, "outbox row #%lld has another "
		    "key than the receipt says", (long long)row->id);
	if (pid != NULL && row->provider_id[0] != '\0' &&
	    strcmp(row->provider_id, pid) != 0)
		return nf_st_error(s, NF_STORE_NOTFOUND, "outbox row #%lld has another "
		    "provider id than the receipt says", (long long)row->id);
	if (opt(r->driver) != NULL && row->driver[0] != '\0' &&
	    strcmp(row->driver, r->driver) != 0)
		return nf_st_error(s, NF_STORE_NOTFOUND, "outbox row #%lld went through "
		    "%s, not %s", (long long)row->id, row->driver, r->driver);
	return NF_STORE_OK;
}

int
nf_store_receipt_add(struct nf_store *s, const struct nf_receipt_in *r,
    int64_t *outbox_id)
{
	struct row row;
	struct nf_event ev;
	struct nf_tx tx;
	sqlite3_stmt *st;
	int64_t t;
	int rc, brc;

	if (r == NULL || opt(r->status) == NULL ||
	    (opt(r->provider_id) == NULL && opt(r->idem_key) == NULL))
		return nf_st_error(s, NF_STORE_ERR, "%s: receipt_add without a status "
		    "or an id", s->path);
	t = r->time ? r->time : (int64_t)time(NULL);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = locate(s, r, &row);
	if (rc == NF_STORE_OK && (r->final || !stored_final(row.receipt))) {
		if ((st = prep(s, sql_set_receipt)) == NULL) {
			rc = NF_STORE_ERR;
		} else {
			sqlite3_bind_int64(st, 1, row.id);
			brc = nf_st_bind_cut(st, 2, opt(r->detail) ? r->detail : r->status,
			    RECEIPT_TEXT_MAX);
			if (brc == SQLITE_OK)
				brc = sqlite3_bind_int64(st, 3, t);
			if (brc == SQLITE_OK)
				brc = sqlite3_step(st);
			sqlite3_finalize(st);
			rc = brc == SQLITE_DONE ? NF_STORE_OK :
			    nf_st_fail(s, brc, "recording a receipt");
		}
	}
	if (rc == NF_STORE_OK) {
		memset(&ev, 0, sizeof(ev));
		ev.time = t;
		ev.kind = "fallback";
		ev.rule = "receipt";
		ev.token = opt(row.token);
		ev.address = opt(row.recipient);
		ev.detail = opt(r->detail) ? r->detail : r->status;
		rc = nf_st_event_put(s, &ev, 0);
	}
	rc = nf_tx_end(s, &tx, rc);
	if (rc == NF_STORE_OK && outbox_id != NULL)
		*outbox_id = row.id;
	return rc;
}
