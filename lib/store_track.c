/*
 * store_track.c - tracking in the SQLite backend of store.h (issue 3): the
 * messages the milter tagged and their recipients, delivery reports from
 * the MTA's log or DSNs, the timeline for `notifilterctl trace`, the
 * daemon's small durable state, and the tracking part of erasure.  SQL
 * text lives in store_sqlite.c; this file binds parameters and reads
 * columns.
 *
 * Bounds: keys (token, queue id, recipient and VERP addresses) must fit
 * their NF_STORE_*_MAX and are refused, never cut, because a cut key would
 * name something else.  Values taken from mail (sender, header From,
 * Subject, Message-ID, fallback text, category, phone hint, reason, the
 * remote's diagnostic) are stored cut to the size nf_message holds, ending
 * in NF_ST_CUT_MARK ("...[cut]"), so a 100 kB Subject is recorded, visibly
 * shortened, rather than losing the message.
 *
 * Events: a recorded recipient that was not refused ("rejected" or
 * "dropped" verdicts are recorded as rows only: their decision event says
 * all) has a "tagged" and a "queued" event carrying the token.  They are
 * not written: the timeline statements make them from the messages and
 * recipients rows (store_sqlite.c, SYNTH_COLS), so recording a message
 * costs no event row.  Every event's token is stored lower case (see
 * NF_ST_EVENT_INSERT), so the milter's decision events and the MTA's
 * reports meet under one token whatever case the MTA gave it back in.
 * Ties in time sort by insertion order, and the made events of a message
 * come right after its "decision" events: a writer that wants "decided"
 * before "tagged" inside one second appends the decision events first.
 *
 * Failures: every write is one transaction (a SAVEPOINT inside the
 * caller's nf_store_begin), so a failed call leaves nothing.  A delivery
 * for mail that is not ours answers NF_STORE_NOTFOUND without starting a
 * write, because the MTA's log is mostly other mail; so does a report that
 * names no recipient (a whole message expired) when none is left open.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATE_KEY_MAX 256	/* bytes, without the NUL */
#define STATE_VALUE_MAX 4096
#define WORD_MAX 32		/* status and dsn words in event detail */

/* "" counts as absent, as nf_st_bind_opt does. */
static const char *
opt(const char *v)
{
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* A key that must fit `size` (with its NUL): refused, never cut. */
static int
check_key(struct nf_store *s, const char *v, size_t size, const char *what)
{
	if (v != NULL && strlen(v) >= size)
		return nf_st_error(s, NF_STORE_ERR, "%s: %s is %zu bytes, "
		    "longer than the %zu a store key may have: nothing was "
		    "recorded", s->path, what, strlen(v), size - 1);
	return NF_STORE_OK;
}

/* A refused recipient is a row (its decision is evidence) but was never
 * tagged nor queued. */
static int
refused(const char *verdict)
{
	return verdict != NULL && (strcmp(verdict, "rejected") == 0 ||
	    strcmp(verdict, "dropped") == 0);
}

/* ---- messages ------------------------------------------------------------ */

static int
check_message(struct nf_store *s, const struct nf_message_in *m,
    const struct nf_recipient_in *r, size_t nr)
{
	size_t i;
	int rc;

	if (m == NULL || opt(m->token) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: a message needs a "
		    "token to be recorded", s->path);
	if (nr > 0 && r == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: %zu recipients but "
		    "no list", s->path, nr);
	if ((rc = check_key(s, m->token, NF_STORE_TOKEN_MAX, "token")) ||
	    (rc = check_key(s, m->queue_id, NF_STORE_QID_MAX, "queue id")) ||
	    (rc = check_key(s, m->verp, NF_STORE_EMAIL_MAX, "VERP sender")))
		return rc;
	for (i = 0; i < nr; i++) {
		if (opt(r[i].address) == NULL)
			return nf_st_error(s, NF_STORE_ERR, "%s: recipient %zu "
			    "of message %s has no address", s->path, i + 1,
			    m->token);
		if ((rc = check_key(s, r[i].address, NF_STORE_EMAIL_MAX,
		    "recipient address")))
			return rc;
	}
	return NF_STORE_OK;
}

static int
insert_message(struct nf_store *s, const struct nf_message_in *m, int64_t t,
    int64_t *id)
{
	sqlite3_stmt *st = nf_st_get(s, NF_ST_MESSAGE_INSERT);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	rc = sqlite3_bind_text(st, 1, m->token, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_opt(st, 2, m->queue_id);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 3, opt(m->sender),
		    NF_STORE_EMAIL_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_opt(st, 4, m->verp);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 5, opt(m->header_from),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 6, opt(m->subject),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 7, opt(m->message_id),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 8, opt(m->category),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 9, opt(m->fallback_text),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 10, opt(m->phone_hint),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 11, m->phone_hint_valid != 0 &&
		    opt(m->phone_hint) != NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 12, m->applied != 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 13, t);
	if ((rc = nf_st_done(s, st, rc, "recording a message")) !=
	    NF_STORE_OK) {
		if (rc == NF_STORE_CONFLICT)
			nf_st_error(s, rc, "%s: message %s is already recorded",
			    s->path, m->token);
		return rc;
	}
	*id = sqlite3_last_insert_rowid(s->db);
	return NF_STORE_OK;
}

/* One recipient row; a recipient the message already named keeps its
 * first row. */
static int
insert_recipient(struct nf_store *s, int64_t msg, const struct nf_recipient_in
    *r, int64_t t)
{
	sqlite3_stmt *st = nf_st_get(s, NF_ST_RECIPIENT_INSERT);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, msg);
	rc = sqlite3_bind_text(st, 2, r->address, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 3, opt(r->verdict),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 4, opt(r->rule), NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 5, opt(r->reason),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 6, r->dsn_requested != 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, t);
	return nf_st_done(s, st, rc, "recording a recipient");
}

int
nf_store_message_add(struct nf_store *s, const struct nf_message_in *m,
    const struct nf_recipient_in *r, size_t nr)
{
	struct nf_message_in lm;
	struct nf_tx tx;
	int64_t t, id = 0;
	char token[NF_STORE_TOKEN_MAX];
	size_t i;
	int rc;

	if ((rc = check_message(s, m, r, nr)) != NF_STORE_OK)
		return rc;
	/* one spelling everywhere, the detail text included */
	for (i = 0; m->token[i] != '\0'; i++)
		token[i] = (m->token[i] >= 'A' && m->token[i] <= 'Z') ?
		    (char)(m->token[i] - 'A' + 'a') : m->token[i];
	token[i] = '\0';
	lm = *m;
	lm.token = token;
	m = &lm;
	t = m->time ? m->time : (int64_t)time(NULL);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = insert_message(s, m, t, &id);
	/* no events: timelines make "tagged" and "queued" from these rows
	 * (store_sqlite.c, SYNTH_COLS), which saves two writes a recipient */
	for (i = 0; i < nr && rc == NF_STORE_OK; i++)
		rc = insert_recipient(s, id, &r[i], t);
	return nf_tx_end(s, &tx, rc);
}

int
nf_store_message_find(struct nf_store *s, const char *token,
    struct nf_message *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if (opt(token) == NULL)
		return nf_st_error(s, NF_STORE_NOTFOUND, "%s: empty token",
		    s->path);
	if ((st = nf_st_get(s, NF_ST_MESSAGE_BY_TOKEN)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return nf_st_error(s, NF_STORE_NOTFOUND, "no message with token "
		    "%s", token);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return nf_st_fail(s, rc, "looking up a message");
	}
	out->id = sqlite3_column_int64(st, 0);
#define COL(i, f, what) \
	if (rc == NF_STORE_OK) \
		rc = nf_st_col(s, st, i, out->f, sizeof out->f, what)
	rc = NF_STORE_OK;
	COL(1, token, "token");
	COL(2, queue_id, "queue id");
	COL(3, sender, "sender");
	COL(4, verp, "VERP sender");
	COL(5, header_from, "header From");
	COL(6, subject, "Subject");
	COL(7, message_id, "Message-ID");
	COL(8, category, "category");
	COL(9, fallback_text, "fallback text");
	COL(10, phone_hint, "phone hint");
#undef COL
	out->phone_hint_valid = sqlite3_column_int(st, 11);
	out->applied = sqlite3_column_int(st, 12);
	out->time = sqlite3_column_int64(st, 13);
	sqlite3_reset(st);
	return rc;
}

/* ---- state --------------------------------------------------------------- */

int
nf_store_state_get(struct nf_store *s, const char *key, char *val,
    size_t len)
{
	sqlite3_stmt *st;
	const unsigned char *v;
	size_t n;
	int rc;

	if (len > 0)
		val[0] = '\0';
	if (opt(key) == NULL || len == 0)
		return nf_st_error(s, NF_STORE_ERR, "%s: state_get needs a key "
		    "and room for the value", s->path);
	if ((st = nf_st_get(s, NF_ST_STATE_GET)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		n = (size_t)sqlite3_column_bytes(st, 0);
		if (v != NULL && n < len) {
			memcpy(val, v, n + 1);
			rc = NF_STORE_OK;
		} else if (v == NULL)
			rc = NF_STORE_OK;
		else
			rc = nf_st_error(s, NF_STORE_ERR, "%s: state %s holds "
			    "%zu bytes, more than the caller's %zu", s->path,
			    key, n, len - 1);
	} else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "no state %s", key);
	else
		rc = nf_st_fail(s, rc, "reading state");
	sqlite3_reset(st);
	return rc;
}

int
nf_store_state_set(struct nf_store *s, const char *key, const char *val)
{
	sqlite3_stmt *st;
	int rc;

	if (val == NULL)
		val = "";
	if (opt(key) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: state_set needs a key",
		    s->path);
	if (strlen(key) > STATE_KEY_MAX || strlen(val) > STATE_VALUE_MAX)
		return nf_st_error(s, NF_STORE_ERR, "%s: state %.64s: key or "
		    "value too long (at most %d and %d bytes)", s->path, key,
		    STATE_KEY_MAX, STATE_VALUE_MAX);
	/* one statement: atomic on its own, also inside nf_store_begin */
	if ((st = nf_st_get(s, NF_ST_STATE_SET)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
	return nf_st_done(s, st, rc, "writing state");
}

/* ---- deliveries ---------------------------------------------------------- */

static const char *const final_status[] = {
	"sent", "bounced", "expired", "delivered", NULL
};
static const char *const other_status[] = { "deferred", "relayed", NULL };

static int
in_list(const char *const *list, const char *w)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, w) == 0)
			return 1;
	return 0;
}

struct hit {
	int64_t rid;
	char address[NF_STORE_EMAIL_MAX];
	char status[NF_STORE_TEXT_MAX];
	char token[NF_STORE_TOKEN_MAX];
};

/* Columns 0-3 of NF_ST_DELIVERY_FIND and NF_ST_DELIVERY_OPEN. */
static int
hit_from_row(struct nf_store *s, sqlite3_stmt *st, struct hit *h)
{
	int rc;

	h->rid = sqlite3_column_int64(st, 0);
	rc = nf_st_col(s, st, 1, h->address, sizeof h->address,
	    "recipient address");
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 2, h->status, sizeof h->status,
		    "recipient status");
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 3, h->token, sizeof h->token, "token");
	return rc;
}

/* The recipient row a report is about: NOTFOUND when it is not ours. */
static int
find_recipient(struct nf_store *s, const struct nf_delivery_in *d,
    struct hit *h)
{
	sqlite3_stmt *st = nf_st_get(s, NF_ST_DELIVERY_FIND);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, d->queue_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->address, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = hit_from_row(s, st, h);
	else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "no recorded message "
		    "%s to %s", d->queue_id, d->address);
	else
		rc = nf_st_fail(s, rc, "looking up a recipient's message");
	sqlite3_reset(st);
	return rc;
}

/*
 * For a report that names no recipient: the next recipient after row id
 * *after of the newest message with d's queue id that has no final status
 * and was not refused (never queued, so not the MTA's to report on).
 * *after moves past every row looked at; NOTFOUND when none is left.
 */
static int
next_open(struct nf_store *s, const struct nf_delivery_in *d, int64_t *after,
    struct hit *h)
{
	sqlite3_stmt *st = nf_st_get(s, NF_ST_DELIVERY_OPEN);
	int rc, got = -1;	/* got: NF_STORE_* once a row was taken */

	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, d->queue_id, -1, SQLITE_STATIC);
	/* each turn moves *after on: at most one per recipient row */
	for (;;) {
		sqlite3_bind_int64(st, 2, *after);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			break;
		got = hit_from_row(s, st, h);
		*after = h->rid;
		if (got != NF_STORE_OK || (!in_list(final_status, h->status) &&
		    !refused((const char *)sqlite3_column_text(st, 4))))
			break;
		got = -1;
		sqlite3_reset(st);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (got >= 0)
		return got;	/* an open recipient in *h, or a bad row */
	if (rc == SQLITE_DONE)
		return nf_st_error(s, NF_STORE_NOTFOUND, "no recorded message "
		    "%s with a recipient still waiting for its status",
		    d->queue_id);
	return nf_st_fail(s, rc, "looking up a message's recipients");
}

static int
update_recipient(struct nf_store *s, const struct nf_delivery_in *d,
    int64_t rid, int64_t t)
{
	sqlite3_stmt *st = nf_st_get(s, NF_ST_DELIVERY_UPDATE);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, rid);
	rc = sqlite3_bind_text(st, 2, d->status, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 3, opt(d->dsn), WORD_MAX);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 4, opt(d->relay),
		    NF_STORE_TEXT_MAX - 1);
	if (rc == SQLITE_OK)
		rc = nf_st_bind_cut(st, 5, opt(d->diagnostic),
		    NF_STORE_HEADER_MAX);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, t);
	return nf_st_done(s, st, rc, "recording a delivery status");
}

/* Append "[ ]PRE<v cut to max>POST" to out[size] when v is set; returns
 * the new length. */
static size_t
add_part(char *out, size_t size, size_t used, const char *pre,
    const char *v, size_t max, const char *post)
{
	size_t keep;
	int cut, n;

	if (v == NULL || used >= size)
		return used;
	keep = nf_st_cut_len(v, max, &cut);
	n = snprintf(out + used, size - used, "%s%s%.*s%s%s", used ? " " : "",
	    pre, (int)keep, v, cut ? NF_ST_CUT_MARK : "", post);
	return n < 0 ? used : used + (size_t)n;
}

/* "dsn=2.0.0 relay=mx[192.0.2.1]:25 source=maillog (250 2.0.0 Ok)"; each
 * part bounded, so the buffer always holds them all. */
static void
delivery_detail(char *out, size_t size, const struct nf_delivery_in *d,
    const char *kept)
{
	size_t used = 0;

	out[0] = '\0';
	used = add_part(out, size, used, "dsn=", opt(d->dsn), WORD_MAX, "");
	used = add_part(out, size, used, "relay=", opt(d->relay),
	    NF_STORE_TEXT_MAX - 1, "");
	used = add_part(out, size, used, "source=", opt(d->source), WORD_MAX,
	    "");
	used = add_part(out, size, used, "(", opt(d->diagnostic),
	    NF_STORE_HEADER_MAX, ")");
	if (kept != NULL && used < size)
		snprintf(out + used, size - used, "%sstatus stays %s (a final "
		    "status is not undone by a later deferral)",
		    used ? "; " : "", kept);
}

/* One recipient row: it takes the status (a final one stays against a
 * later deferral) and gets its "delivery" event, saying which. */
static int
deliver_one(struct nf_store *s, const struct nf_delivery_in *d,
    const struct hit *h, int64_t t, char *detail, size_t dsize)
{
	struct nf_event ev = { 0 };
	const char *kept = NULL;
	int rc = NF_STORE_OK;

	if (strcmp(d->status, "deferred") == 0 &&
	    in_list(final_status, h->status))
		kept = h->status;
	else
		rc = update_recipient(s, d, h->rid, t);
	if (rc != NF_STORE_OK)
		return rc;
	delivery_detail(detail, dsize, d, kept);
	ev.time = t;
	ev.kind = "delivery";
	ev.queue_id = d->queue_id;
	ev.token = h->token;
	ev.address = h->address;
	ev.rule = d->status;
	ev.detail = detail;
	return nf_st_event_put(s, &ev, 0);
}

/* A report that names no recipient: every recipient still open. */
static int
deliver_all(struct nf_store *s, const struct nf_delivery_in *d,
    struct hit *h, int64_t t, char *detail, size_t dsize)
{
	struct nf_tx tx;
	int64_t after = 0;
	size_t n = 0;
	int rc;

	/* not ours, or nothing left open: answered with one read */
	if ((rc = next_open(s, d, &after, h)) != NF_STORE_OK)
		return rc;
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	after = 0;	/* again, now under the write lock */
	while ((rc = next_open(s, d, &after, h)) == NF_STORE_OK &&
	    (rc = deliver_one(s, d, h, t, detail, dsize)) == NF_STORE_OK)
		n++;
	if (rc == NF_STORE_NOTFOUND && n > 0)
		rc = NF_STORE_OK;
	return nf_tx_end(s, &tx, rc);
}

int
nf_store_delivery_add(struct nf_store *s, const struct nf_delivery_in *d)
{
	struct nf_tx tx;
	struct hit *h;
	char *detail;
	size_t dsize = NF_STORE_HEADER_MAX + NF_STORE_TEXT_MAX + 4 * WORD_MAX +
	    NF_STORE_TEXT_MAX + 128;
	int64_t t;
	int rc, autocommit;

	if (d == NULL || d->status == NULL ||
	    (!in_list(final_status, d->status) &&
	    !in_list(other_status, d->status)))
		return nf_st_error(s, NF_STORE_ERR, "%s: unknown delivery "
		    "status \"%.32s\": use sent, deferred, bounced, expired, "
		    "delivered or relayed", s->path,
		    d && d->status ? d->status : "(none)");
	/* NULL names every open recipient; "" names nobody */
	if (opt(d->queue_id) == NULL ||
	    (d->address != NULL && d->address[0] == '\0'))
		return nf_st_error(s, NF_STORE_NOTFOUND, "%s: a delivery report "
		    "without queue id, or with an empty recipient, names no "
		    "message", s->path);
	t = d->time ? d->time : (int64_t)time(NULL);
	if ((h = malloc(sizeof *h)) == NULL || (detail = malloc(dsize)) ==
	    NULL) {
		free(h);
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	}
	/* most reports are not ours: answer those with one indexed read */
	nf_store_release(s);
	if (d->address == NULL) {
		rc = deliver_all(s, d, h, t, detail, dsize);
		goto out;
	}
	autocommit = sqlite3_get_autocommit(s->db);
	if ((rc = find_recipient(s, d, h)) != NF_STORE_OK)
		goto out;
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		goto out;
	/* on its own the read above was not under the write lock: repeat it
	 * (inside the caller's IMMEDIATE transaction nothing can change) */
	if (autocommit)
		rc = find_recipient(s, d, h);
	if (rc == NF_STORE_OK)
		rc = deliver_one(s, d, h, t, detail, dsize);
	rc = nf_tx_end(s, &tx, rc);
out:
	free(detail);
	free(h);
	return rc;
}

/* ---- trace --------------------------------------------------------------- */

/* The phone of the contact whose email is `email`, into phone[]: "" when
 * there is no such contact or it has no phone.  NF_STORE_* result. */
static int
phone_of_email(struct nf_store *s, const char *email,
    char phone[NF_STORE_PHONE_MAX])
{
	sqlite3_stmt *st;
	const char *p;
	int rc;

	phone[0] = '\0';
	if ((st = nf_st_get(s, NF_ST_CONTACT_BY_EMAIL)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	/* column 2 of CONTACT_COLS; a phone that would not fit is not one
	 * the store wrote: trace the email alone rather than a cut key */
	if (rc == SQLITE_ROW && (p = (const char *)sqlite3_column_text(st, 2))
	    != NULL && strlen(p) < NF_STORE_PHONE_MAX)
		memcpy(phone, p, strlen(p) + 1);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "looking up the contact's phone");
	return NF_STORE_OK;
}

/*
 * An email of a contact with a phone is traced as that phone: the phone
 * statement already covers the contact's email, its id and the messages
 * whose valid phone hint is the phone, so both keys of one contact give
 * the same timeline from one indexed statement.  The phone is read before
 * the timeline, outside one transaction: a contact edited in between
 * gives the timeline of either its old or its new phone, never a mix.
 */
int
nf_store_trace(struct nf_store *s, const char *key,
    int (*fn)(const struct nf_event *, void *), void *arg)
{
	char phone[NF_STORE_PHONE_MAX];
	struct nf_message *m;
	sqlite3_stmt *st;
	enum nf_st which;
	const char *bind = key;
	size_t n = 0;
	int rc, r = 0;

	if (opt(key) == NULL)
		return nf_st_error(s, NF_STORE_NOTFOUND, "%s: empty trace key",
		    s->path);
	which = key[0] == '+' ? NF_ST_TRACE_PHONE : strchr(key, '@') ?
	    NF_ST_EVENT_OF : NF_ST_TRACE_TOKEN;
	if (which == NF_ST_EVENT_OF) {
		if ((rc = phone_of_email(s, key, phone)) != NF_STORE_OK)
			return rc;
		if (phone[0] != '\0') {
			which = NF_ST_TRACE_PHONE;
			bind = phone;
		}
	}
	/* a statement of its own: fn may use this handle (message_find) */
	if ((st = nf_st_fresh(s, which)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, bind, -1, SQLITE_STATIC);
	r = nf_st_event_walk(s, st, fn, arg, &n, "reading the timeline");
	if (r != 0 || n > 0)
		return r;
	/* no event: a token may still name a message that had none */
	if (which == NF_ST_TRACE_TOKEN && (m = malloc(sizeof *m)) != NULL) {
		rc = nf_store_message_find(s, key, m);
		free(m);
		if (rc != NF_STORE_NOTFOUND)
			return rc;
	}
	return nf_st_error(s, NF_STORE_NOTFOUND, "nothing is known about %s",
	    key);
}

/* ---- erasure ------------------------------------------------------------- */

/*
 * The tracking part of erasing a contact (inside nf_store_contact_remove's
 * transaction): its recipient rows go; messages that went to it alone keep
 * their token, queue id, sender and times (not about the contact) but lose
 * header From, Subject, fallback text and phone hint; any message whose
 * phone hint is the contact's phone loses the hint.  Messages that also went
 * to others keep their headers: they are those recipients' records too.
 * The contact's events (delivery ...) go with its other events in the
 * caller; its "tagged" and "queued", made from the rows, go with them.
 */
int
nf_st_erase_tracking(struct nf_store *s, const char *email, const char *phone)
{
	static const struct {
		enum nf_st id;
		int by_phone;
	} steps[] = {
		{ NF_ST_ERASE_MESSAGES, 0 },	/* before the rows it reads */
		{ NF_ST_ERASE_RECIPIENTS, 0 },
		{ NF_ST_ERASE_HINTS, 1 },
	};
	sqlite3_stmt *st;
	const char *v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		v = steps[i].by_phone ? opt(phone) : opt(email);
		if (v == NULL)
			continue;
		if ((st = nf_st_get(s, steps[i].id)) == NULL)
			return NF_STORE_ERR;
		rc = sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
		if ((rc = nf_st_done(s, st, rc, "erasing message records")) !=
		    NF_STORE_OK)
			return rc;
	}
	return NF_STORE_OK;
}
