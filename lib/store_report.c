/*
 * store_report.c - report intake in the SQLite backend of store.h (issue
 * 4): the reports `notifilterctl ingest` received, what each said per
 * recipient and what intake did about it, the soft-failure count that
 * turns repeated soft bounces into a suppression, the recipient status
 * a bounce sets, and the recipients a message reached (to attribute a
 * complaint whose recipient the reporter redacted).  Tables: schema step 3 in store_open.c.
 *
 * Statements: the SQL text is in this file, as constants, because the
 * shared statement cache (store_sqlite.c) is another engineer's; intake
 * runs once per report in a short-lived process, so preparing a statement
 * per call costs nothing that matters.  Every statement binds its values.
 *
 * Bounds: values from mail (diagnostic, remote MTA, excerpt, envelope)
 * are stored cut with the visible NF_ST_CUT_MARK (nf_st_bind_cut), never
 * refused: a report must be recorded whatever it contains.
 *
 * Failures: nf_store_report_add is one transaction (a SAVEPOINT inside the
 * caller's nf_store_begin, where intake puts its whole work), so a failed
 * call leaves nothing; NF_STORE_BUSY is passed up for the caller's 75.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORD_MAX 64		/* kind, action, status, reason, policy ... */

static const char sql_report_insert[] =
	"INSERT INTO reports(time, kind, token, token_valid, message_id,"
	" authenticated, auth_detail, env_sender, env_recipient, client_ip,"
	" helo, dkim, dkim_domain, spf, returned_message_id, size, flags,"
	" excerpt) VALUES (?1, ?2, lower(?3), ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
static const char sql_rcpt_insert[] =
	"INSERT INTO report_recipients(report_id, time, address, token,"
	" authenticated, action, status, reason, hard, diagnostic, remote_mta,"
	" feedback_type, policy, outcome) VALUES (?1, ?2, lower(?3), lower(?4),"
	" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
/* distinct messages: a report delivered twice counts once */
static const char sql_soft_count[] =
	"SELECT count(DISTINCT token) FROM report_recipients"
	" WHERE address = lower(?1) AND time >= ?2 AND policy = 'soft'"
	" AND authenticated AND token IS NOT NULL"
	" AND (?3 IS NULL OR token <> lower(?3))";
static const char sql_rcpt_of[] =
	"SELECT id, status, address FROM recipients WHERE message_id = ?1"
	" AND lower(address) = lower(?2) ORDER BY id LIMIT 1";
/* who can have read the message: not refused, not failed */
static const char sql_reached[] =
	"SELECT address FROM recipients WHERE message_id = ?1"
	" AND coalesce(decision, '') NOT IN ('rejected', 'dropped',"
	" 'tempfailed', 'deferred')"
	" AND coalesce(status, '') NOT IN ('bounced', 'expired')"
	" ORDER BY id";
static const char sql_rcpt_status[] =
	"UPDATE recipients SET status = ?2, dsn = ?3, relay = ?4,"
	" diagnostic = ?5, updated = ?6 WHERE id = ?1";

static const char *
opt(const char *v)
{
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* A statement of its own, finalized by the caller. */
static sqlite3_stmt *
prep(struct nf_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	nf_store_release(s);	/* read and write current data */
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		nf_st_fail(s, rc, "preparing a report statement");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int
bind_word(sqlite3_stmt *st, int i, const char *v)
{
	return nf_st_bind_cut(st, i, opt(v), WORD_MAX);
}

static int
insert_report(struct nf_store *s, const struct nf_report_in *r, int64_t t,
    int64_t *id)
{
	sqlite3_stmt *st = prep(s, sql_report_insert);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	rc = sqlite3_bind_int64(st, 1, t);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 2, r->kind ? r->kind : "none");
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 3, opt(r->token), NF_STORE_TOKEN_MAX + 16);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, r->token_valid != 0);
	if (rc == SQLITE_OK)
		rc = r->message > 0 ? sqlite3_bind_int64(st, 5, r->message) :
		    sqlite3_bind_null(st, 5);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 6, r->authenticated != 0);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 7, opt(r->auth_detail),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 8, opt(r->env_sender),
		    NF_STORE_EMAIL_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 9, opt(r->env_recipient),
		    NF_STORE_EMAIL_MAX - 1);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 10, r->client_ip);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 11, opt(r->helo), NF_STORE_EMAIL_MAX - 1);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 12, r->dkim);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 13, opt(r->dkim_domain),
		    NF_STORE_EMAIL_MAX - 1);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 14, r->spf);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 15, opt(r->returned_message_id),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 16, r->size);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 17, (int64_t)r->flags);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 18, opt(r->excerpt),
		    NF_STORE_EXCERPT_MAX);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "recording a report");
	*id = sqlite3_last_insert_rowid(s->db);
	return NF_STORE_OK;
}

static int
insert_rcpt(struct nf_store *s, int64_t id, const struct nf_report_in *r,
    const struct nf_report_rcpt_in *x, int64_t t)
{
	sqlite3_stmt *st = prep(s, sql_rcpt_insert);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	rc = nf_st_bind_cut(st, 3, opt(x->address), NF_STORE_EMAIL_MAX - 1);
	/* the token ties counts to messages only when it was verified */
	if (rc == SQLITE_OK)
		rc = r->token_valid ? nf_st_bind_cut(st, 4, opt(r->token),
		    NF_STORE_TOKEN_MAX) : sqlite3_bind_null(st, 4);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, r->authenticated != 0 &&
		    (x->outcome == NULL ||
		    strcmp(x->outcome, "unauthenticated") != 0));
	if (rc == SQLITE_OK)
		rc = bind_word(st, 6, x->action);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 7, x->status);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 8, x->reason);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 9, x->hard != 0);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 10, opt(x->diagnostic),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 11, opt(x->remote_mta),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 12, x->feedback_type);
	if (rc == SQLITE_OK)
		rc = bind_word(st, 13, x->policy ? x->policy : "other");
	if (rc == SQLITE_OK)
		rc = bind_word(st, 14, x->outcome ? x->outcome : "recorded");
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "recording a reported recipient");
	return NF_STORE_OK;
}

/* The timeline kind of a recipient's policy. */
static const char *
event_kind(const char *policy)
{
	if (policy == NULL)
		return "report";
	if (strcmp(policy, "bad") == 0 || strcmp(policy, "soft") == 0 ||
	    strcmp(policy, "spam") == 0)
		return "bounce";
	if (strcmp(policy, "complaint") == 0)
		return "complaint";
	return "report";
}

int
nf_store_report_add(struct nf_store *s, const struct nf_report_in *r,
    const struct nf_report_rcpt_in *rc, size_t n, int64_t *id)
{
	struct nf_event ev;
	struct nf_tx tx;
	int64_t t, rid = 0;
	size_t i;
	int ret;

	if (r == NULL || (n > 0 && rc == NULL))
		return nf_st_error(s, NF_STORE_ERR, "%s: report_add without "
		    "a report", s->path);
	t = r->time ? r->time : (int64_t)time(NULL);
	if ((ret = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return ret;
	ret = insert_report(s, r, t, &rid);
	for (i = 0; i < n && ret == NF_STORE_OK; i++) {
		ret = insert_rcpt(s, rid, r, &rc[i], t);
		if (ret != NF_STORE_OK)
			break;
		memset(&ev, 0, sizeof ev);
		ev.time = t;
		ev.kind = event_kind(rc[i].policy);
		ev.token = r->authenticated && r->token_valid ? opt(r->token) :
		    NULL;
		ev.address = opt(rc[i].address);
		ev.rule = rc[i].outcome ? rc[i].outcome : "recorded";
		ev.detail = rc[i].detail;
		ret = nf_st_event_put(s, &ev, 0);
	}
	ret = nf_tx_end(s, &tx, ret);
	if (ret == NF_STORE_OK && id != NULL)
		*id = rid;
	return ret;
}

int
nf_store_soft_count(struct nf_store *s, const char *address, int64_t since,
    const char *except, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (opt(address) == NULL)
		return NF_STORE_OK;
	if ((st = prep(s, sql_soft_count)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	nf_st_bind_opt(st, 3, except);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return nf_st_fail(s, rc, "counting soft bounces");
	return NF_STORE_OK;
}

/* The recipients row of (message, address): its id, status and the
 * address as recorded (either buffer may be NULL). */
static int
rcpt_find(struct nf_store *s, int64_t message, const char *address,
    int64_t *rid, char *status, size_t slen, char *stored, size_t alen)
{
	sqlite3_stmt *st;
	int rc;

	if (status != NULL && slen > 0)
		status[0] = '\0';
	if (stored != NULL && alen > 0)
		stored[0] = '\0';
	if (message <= 0 || opt(address) == NULL)
		return nf_st_error(s, NF_STORE_NOTFOUND, "no message or no "
		    "address to look up");
	if ((st = prep(s, sql_rcpt_of)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, message);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*rid = sqlite3_column_int64(st, 0);
		rc = NF_STORE_OK;
		if (status != NULL && slen > 0)
			rc = nf_st_col(s, st, 1, status, slen,
			    "recipient status");
		if (rc == NF_STORE_OK && stored != NULL && alen > 0)
			rc = nf_st_col(s, st, 2, stored, alen,
			    "recipient address");
	} else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "%s is not a recipient "
		    "of message #%lld", address, (long long)message);
	else
		rc = nf_st_fail(s, rc, "looking up a recipient");
	sqlite3_finalize(st);
	return rc;
}

int
nf_store_recipient_of(struct nf_store *s, int64_t message,
    const char *address, char *stored, size_t len)
{
	int64_t rid;

	return rcpt_find(s, message, address, &rid, NULL, 0, stored, len);
}

int
nf_store_message_reached(struct nf_store *s, int64_t message,
    char (*addr)[NF_STORE_EMAIL_MAX], size_t max, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = prep(s, sql_reached)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, message);
	/* one row per recipient of one message: as many as it had */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n < max && addr != NULL &&
		    (rc = nf_st_col(s, st, 0, addr[*n], NF_STORE_EMAIL_MAX,
		    "recipient address")) != NF_STORE_OK) {
			sqlite3_finalize(st);
			return rc;
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "listing a message's recipients");
	return NF_STORE_OK;
}

static int
is_final(const char *status)
{
	static const char *const fin[] = { "sent", "bounced", "expired",
	    "delivered", NULL };
	size_t i;

	for (i = 0; fin[i] != NULL; i++)
		if (strcmp(fin[i], status) == 0)
			return 1;
	return 0;
}

int
nf_store_recipient_status(struct nf_store *s, int64_t message,
    const char *address, const char *status, const char *dsn,
    const char *relay, const char *diagnostic, int64_t t)
{
	sqlite3_stmt *st;
	struct nf_tx tx;
	char old[NF_STORE_TEXT_MAX];
	int64_t rid = 0;
	int rc;

	if (opt(status) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: recipient_status "
		    "without a status", s->path);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = rcpt_find(s, message, address, &rid, old, sizeof old, NULL, 0);
	if (rc == NF_STORE_OK && strcmp(status, "deferred") == 0 &&
	    is_final(old))
		return nf_tx_end(s, &tx, NF_STORE_OK);	/* kept */
	if (rc == NF_STORE_OK && (st = prep(s, sql_rcpt_status)) == NULL)
		rc = NF_STORE_ERR;
	else if (rc == NF_STORE_OK) {
		sqlite3_bind_int64(st, 1, rid);
		rc = bind_word(st, 2, status);
		if (rc == SQLITE_OK)
			rc = bind_word(st, 3, dsn);
		if (rc == SQLITE_OK)
			rc = nf_st_bind_cut(st, 4, opt(relay),
			    NF_STORE_TEXT_MAX - 1);
		if (rc == SQLITE_OK)
			rc = nf_st_bind_cut(st, 5, opt(diagnostic),
			    NF_STORE_HEADER_MAX);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 6, t ? t :
			    (int64_t)time(NULL));
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		rc = rc == SQLITE_DONE ? NF_STORE_OK :
		    nf_st_fail(s, rc, "setting a recipient's status");
	}
	return nf_tx_end(s, &tx, rc);
}
