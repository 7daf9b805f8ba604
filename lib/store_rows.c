/*
 * store_rows.c - what each store.h call does with rows, for the SQLite
 * backend: contacts, consent, suppressions and the event log.  The SQL text
 * lives in store_sqlite.c; this file binds parameters and reads columns.
 *
 * Every write runs in its own transaction (a SAVEPOINT inside the caller's
 * nf_store_begin), so a failed call leaves nothing behind, and every write
 * to contacts, consent or suppressions appends its event ("contact",
 * "consent", "suppress") in that same transaction: no caller can forget it,
 * and the timeline never shows a change that did not happen.
 *
 * Inputs are checked for the sizes in store.h (a string that fills its
 * array without a NUL is refused, never cut); event text from callers is
 * unbounded, so a field longer than EV_TEXT_MAX is stored cut with a
 * visible "[cut]" mark rather than losing the event.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EV_TEXT_MAX 4096

static const char *const consent_word[] = { NULL, "granted", "revoked" };

static int
check_str(struct nf_store *s, const char *v, size_t size, const char *what)
{
	if (memchr(v, '\0', size) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: %s is longer than %zu "
		    "bytes: shorten it", s->path, what, size - 1);
	return NF_STORE_OK;
}

static int
check_channel(struct nf_store *s, enum nf_channel ch)
{
	if ((unsigned)ch >= NF_CH_COUNT)
		return nf_st_error(s, NF_STORE_ERR, "%s: unknown channel %d",
		    s->path, (int)ch);
	return NF_STORE_OK;
}

/* Bind event text, cut (visibly) when longer than EV_TEXT_MAX. */
static int
bind_event_text(sqlite3_stmt *st, int i, const char *v)
{
	return nf_st_bind_cut(st, i, v, EV_TEXT_MAX);
}

int
nf_st_event_put(struct nf_store *s, const struct nf_event *ev,
    int64_t contact_id)
{
	sqlite3_stmt *st = nf_st_get(s, NF_ST_EVENT_INSERT);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	if (ev->kind == NULL || ev->kind[0] == '\0')
		return nf_st_error(s, NF_STORE_ERR, "%s: an event needs a kind",
		    s->path);
	sqlite3_bind_int64(st, 1, ev->time ? ev->time : (int64_t)time(NULL));
	rc = bind_event_text(st, 2, ev->kind);
	if (rc == SQLITE_OK)
		rc = bind_event_text(st, 3, ev->queue_id);
	if (rc == SQLITE_OK)
		rc = bind_event_text(st, 4, ev->token);
	if (rc == SQLITE_OK)
		rc = bind_event_text(st, 5, ev->address);
	if (rc == SQLITE_OK)
		rc = bind_event_text(st, 6, ev->rule);
	if (rc == SQLITE_OK)
		rc = bind_event_text(st, 7, ev->detail);
	if (contact_id > 0)
		sqlite3_bind_int64(st, 8, contact_id);
	else
		sqlite3_bind_null(st, 8);
	return nf_st_done(s, st, rc, "recording an event");
}

static int
note(struct nf_store *s, int64_t t, const char *kind, const char *address,
    const char *detail, int64_t contact_id)
{
	struct nf_event ev = { .time = t, .kind = kind, .detail = detail,
	    .address = (address && address[0]) ? address : NULL };

	return nf_st_event_put(s, &ev, contact_id);
}

/* ---- contacts ------------------------------------------------------------ */

/* Read the contact columns of the current row and its consent rows. */
static int
load_contact(struct nf_store *s, sqlite3_stmt *st, struct nf_contact *c)
{
	sqlite3_stmt *cs;
	enum nf_channel ch;
	const char *w;
	int rc, r;

	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	rc = nf_st_col(s, st, 1, c->email, sizeof c->email, "email");
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 2, c->phone, sizeof c->phone, "phone");
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 3, c->name, sizeof c->name, "name");
	c->created = sqlite3_column_int64(st, 4);
	c->updated = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (rc != NF_STORE_OK)
		return rc;
	if ((cs = nf_st_get(s, NF_ST_CONSENT_OF)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(cs, 1, c->id);
	while ((r = sqlite3_step(cs)) == SQLITE_ROW) {
		if (nf_channel_parse((const char *)sqlite3_column_text(cs, 0),
		    &ch) != 0)
			continue;	/* CHECK forbids it; a later channel */
		w = (const char *)sqlite3_column_text(cs, 1);
		if (w && strcmp(w, "granted") == 0)
			c->consent[ch].state = NF_CONSENT_GRANTED;
		else if (w && strcmp(w, "revoked") == 0)
			c->consent[ch].state = NF_CONSENT_REVOKED;
		else
			continue;
		rc = nf_st_col(s, cs, 2, c->consent[ch].source,
		    sizeof c->consent[ch].source, "consent source");
		c->consent[ch].time = sqlite3_column_int64(cs, 3);
		if (rc != NF_STORE_OK)
			break;
	}
	sqlite3_reset(cs);
	if (rc != NF_STORE_OK)
		return rc;
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return nf_st_fail(s, r, "reading consent");
	return NF_STORE_OK;
}

/* Find by id (key NULL) or by email / '+'phone. */
static int
find_contact(struct nf_store *s, int64_t id, const char *key,
    struct nf_contact *c)
{
	enum nf_st which = key == NULL ? NF_ST_CONTACT_BY_ID :
	    key[0] == '+' ? NF_ST_CONTACT_BY_PHONE : NF_ST_CONTACT_BY_EMAIL;
	sqlite3_stmt *st = nf_st_get(s, which);
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	if (key == NULL)
		sqlite3_bind_int64(st, 1, id);
	else
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return load_contact(s, st, c);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && key != NULL)
		return nf_st_error(s, NF_STORE_NOTFOUND, "no contact with %s %s",
		    key[0] == '+' ? "phone" : "email", key);
	if (rc == SQLITE_DONE)
		return nf_st_error(s, NF_STORE_NOTFOUND, "no contact #%lld",
		    (long long)id);
	return nf_st_fail(s, rc, "looking up a contact");
}

/* After a UNIQUE failure on contacts: say which key belongs to whom. */
static int
conflict(struct nf_store *s, const struct nf_contact *c)
{
	struct nf_contact *other = malloc(sizeof *other);
	int rc = NF_STORE_CONFLICT;

	if (other == NULL)
		return nf_st_error(s, NF_STORE_CONFLICT, "%s: the email or the "
		    "phone belongs to another contact", s->path);
	if (c->email[0] && find_contact(s, 0, c->email, other) ==
	    NF_STORE_OK && other->id != c->id)
		nf_st_error(s, rc, "email %s already belongs to contact #%lld",
		    c->email, (long long)other->id);
	else if (c->phone[0] && find_contact(s, 0, c->phone, other) ==
	    NF_STORE_OK && other->id != c->id)
		nf_st_error(s, rc, "phone %s already belongs to contact #%lld",
		    c->phone, (long long)other->id);
	else
		nf_st_error(s, rc, "%s: the email or the phone belongs to "
		    "another contact", s->path);
	free(other);
	return rc;
}

/* Run the INSERT or UPDATE of a contact: email, phone, name and the time
 * are bound from parameter `first` on (UPDATE's id comes before them).
 * A UNIQUE failure is told as whose key it is. */
static int
contact_write(struct nf_store *s, sqlite3_stmt *st, int first,
    const struct nf_contact *c, int64_t now, const char *what)
{
	int rc;

	nf_st_bind_opt(st, first, c->email);
	nf_st_bind_opt(st, first + 1, c->phone);
	nf_st_bind_opt(st, first + 2, c->name);
	rc = sqlite3_bind_int64(st, first + 3, now);
	rc = nf_st_done(s, st, rc, what);
	return rc == NF_STORE_CONFLICT ? conflict(s, c) : rc;
}

static int
check_contact(struct nf_store *s, const struct nf_contact *c)
{
	enum nf_channel ch;
	int rc;

	if ((rc = check_str(s, c->email, sizeof c->email, "email")) ||
	    (rc = check_str(s, c->phone, sizeof c->phone, "phone")) ||
	    (rc = check_str(s, c->name, sizeof c->name, "name")))
		return rc;
	if (c->email[0] == '\0' && c->phone[0] == '\0')
		return nf_st_error(s, NF_STORE_ERR, "%s: a contact needs an "
		    "email address or a phone number", s->path);
	for (ch = 0; ch < NF_CH_COUNT; ch++) {
		if ((unsigned)c->consent[ch].state > NF_CONSENT_REVOKED)
			return nf_st_error(s, NF_STORE_ERR, "%s: bad consent "
			    "state %d", s->path, (int)c->consent[ch].state);
		if ((rc = check_str(s, c->consent[ch].source,
		    sizeof c->consent[ch].source, "consent source")))
			return rc;
	}
	return NF_STORE_OK;
}

/* Where consent events on ch go: the address that channel reaches. */
static const char *
consent_address(const char *email, const char *phone, enum nf_channel ch)
{
	if (ch == NF_CH_EMAIL)
		return email[0] ? email : phone;
	return phone[0] ? phone : email;
}

/* Write (or delete, for NONE) one consent row and its event. */
static int
consent_put(struct nf_store *s, int64_t id, const char *email,
    const char *phone, enum nf_channel ch, enum nf_consent state,
    enum nf_consent was, const char *source, int64_t t)
{
	sqlite3_stmt *st;
	char detail[1024];
	int rc;

	st = nf_st_get(s, state == NF_CONSENT_NONE ? NF_ST_CONSENT_DELETE :
	    NF_ST_CONSENT_UPSERT);
	if (st == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, nf_channel_name(ch), -1, SQLITE_STATIC);
	if (state != NF_CONSENT_NONE) {
		sqlite3_bind_text(st, 3, consent_word[state], -1,
		    SQLITE_STATIC);
		nf_st_bind_opt(st, 4, source);
		sqlite3_bind_int64(st, 5, t);
	}
	if ((rc = nf_st_done(s, st, SQLITE_OK, "writing consent")) !=
	    NF_STORE_OK)
		return rc;
	snprintf(detail, sizeof detail, "%s consent %s (was %s; source %s)",
	    nf_channel_name(ch), nf_consent_name(state), nf_consent_name(was),
	    source && source[0] ? source : "unknown");
	return note(s, t, "consent", consent_address(email, phone, ch), detail,
	    id);
}

int
nf_store_contact_add(struct nf_store *s, struct nf_contact *c)
{
	struct nf_tx tx;
	sqlite3_stmt *st;
	enum nf_channel ch;
	int64_t now = (int64_t)time(NULL), id = 0, t[NF_CH_COUNT];
	char detail[1024];
	int rc;

	if ((rc = check_contact(s, c)) != NF_STORE_OK)
		return rc;
	if ((st = nf_st_get(s, NF_ST_CONTACT_INSERT)) == NULL)
		return NF_STORE_ERR;
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = contact_write(s, st, 1, c, now, "adding a contact");
	if (rc != NF_STORE_OK)
		return nf_tx_end(s, &tx, rc);
	id = sqlite3_last_insert_rowid(s->db);
	snprintf(detail, sizeof detail, "contact added (email %s, phone %s, "
	    "name %s)", c->email[0] ? c->email : "none",
	    c->phone[0] ? c->phone : "none", c->name[0] ? c->name : "none");
	rc = note(s, now, "contact", c->email[0] ? c->email : c->phone, detail,
	    id);
	for (ch = 0; ch < NF_CH_COUNT && rc == NF_STORE_OK; ch++) {
		t[ch] = c->consent[ch].time ? c->consent[ch].time : now;
		if (c->consent[ch].state != NF_CONSENT_NONE)
			rc = consent_put(s, id, c->email, c->phone, ch,
			    c->consent[ch].state, NF_CONSENT_NONE,
			    c->consent[ch].source, t[ch]);
	}
	/* an erased address keeps being blocked once it is a contact again */
	if (rc == NF_STORE_OK)
		rc = nf_st_erased_restore(s, id, c->email, c->phone);
	rc = nf_tx_end(s, &tx, rc);
	if (rc != NF_STORE_OK)
		return rc;
	c->id = id;
	c->created = c->updated = now;
	for (ch = 0; ch < NF_CH_COUNT; ch++)
		c->consent[ch].time = c->consent[ch].state == NF_CONSENT_NONE ?
		    0 : t[ch];
	return NF_STORE_OK;
}

/* "email a -> b, name x -> y": what an update changed, for its event. */
static void
describe_change(char *out, size_t len, const struct nf_contact *old,
    const struct nf_contact *c)
{
	size_t n = 0;

	out[0] = '\0';
#define CHANGED(f) \
	if (strcmp(old->f, c->f) != 0 && n < len) \
		n += (size_t)snprintf(out + n, len - n, "%s%s %s -> %s", \
		    n ? ", " : "", #f, old->f[0] ? old->f : "none", \
		    c->f[0] ? c->f : "none");
	CHANGED(email)
	CHANGED(phone)
	CHANGED(name)
#undef CHANGED
}

int
nf_store_contact_update(struct nf_store *s, struct nf_contact *c)
{
	struct nf_contact *old;
	struct nf_tx tx;
	sqlite3_stmt *st;
	enum nf_channel ch;
	int64_t now = (int64_t)time(NULL), t;
	char detail[1024], change[900];
	int rc;

	if ((rc = check_contact(s, c)) != NF_STORE_OK)
		return rc;
	if ((st = nf_st_get(s, NF_ST_CONTACT_UPDATE)) == NULL)
		return NF_STORE_ERR;
	if ((old = malloc(sizeof *old)) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		goto out;
	if ((rc = find_contact(s, c->id, NULL, old)) != NF_STORE_OK)
		goto end;
	sqlite3_bind_int64(st, 1, c->id);
	if ((rc = contact_write(s, st, 2, c, now, "updating a contact")) !=
	    NF_STORE_OK)
		goto end;
	describe_change(change, sizeof change, old, c);
	if (change[0]) {
		snprintf(detail, sizeof detail, "contact updated: %s", change);
		rc = note(s, now, "contact", c->email[0] ? c->email : c->phone,
		    detail, c->id);
	}
	for (ch = 0; ch < NF_CH_COUNT && rc == NF_STORE_OK; ch++) {
		if (c->consent[ch].state == old->consent[ch].state)
			continue;	/* keep when and where it was given */
		t = c->consent[ch].time ? c->consent[ch].time : now;
		rc = consent_put(s, c->id, c->email, c->phone, ch,
		    c->consent[ch].state, old->consent[ch].state,
		    c->consent[ch].source, t);
	}
	/* a new email or phone may be an erased one: blocked as before, as
	 * in contact_add (its email_policy row would hide the erased row) */
	if (rc == NF_STORE_OK)
		rc = nf_st_erased_restore(s, c->id,
		    strcmp(old->email, c->email) != 0 ? c->email : NULL,
		    strcmp(old->phone, c->phone) != 0 ? c->phone : NULL);
end:
	rc = nf_tx_end(s, &tx, rc);
	if (rc == NF_STORE_OK) {
		c->created = old->created;
		c->updated = now;
	}
out:
	free(old);
	return rc;
}

int
nf_store_contact_find(struct nf_store *s, const char *key,
    struct nf_contact *out)
{
	struct nf_tx tx;
	int rc;

	if (key == NULL || key[0] == '\0')
		return nf_st_error(s, NF_STORE_NOTFOUND, "%s: empty contact key",
		    s->path);
	if ((rc = nf_tx_read(s, &tx)) != NF_STORE_OK)
		return rc;
	rc = find_contact(s, 0, key, out);
	/* ending a read by rolling back (rc != OK) is harmless */
	return nf_tx_end(s, &tx, rc);
}

/*
 * Erasure (store_erase.c runs it; this is the part about the contact's own
 * rows): its tracking data (recipient rows, and the personal fields of
 * messages sent to it alone: see nf_st_erase_tracking), every event tied to
 * it (by id, or by its email or phone), its consent rows and the contact.
 * What is left is an event that says a contact number was erased, with no
 * personal data.  Suppressions were turned into keyed hashes before.
 */
int
nf_st_erase_contact_rows(struct nf_store *s, const struct nf_contact *c,
    size_t kept, int64_t *rows)
{
	static const enum nf_st del[] = {
		NF_ST_CONSENT_DELETE_ALL, NF_ST_CONTACT_DELETE
	};
	sqlite3_stmt *st;
	char detail[256];
	int64_t before = sqlite3_total_changes64(s->db);
	size_t i;
	int rc;

	if ((rc = nf_st_erase_tracking(s, c->email, c->phone)) != NF_STORE_OK)
		return rc;
	if ((st = nf_st_get(s, NF_ST_EVENT_ERASE)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, c->id);
	nf_st_bind_opt(st, 2, c->email);
	nf_st_bind_opt(st, 3, c->phone);
	if ((rc = nf_st_done(s, st, SQLITE_OK, "erasing events")) !=
	    NF_STORE_OK)
		return rc;
	/* explicit, so erasure does not depend on foreign_keys being on */
	for (i = 0; c->id > 0 && i < sizeof del / sizeof del[0]; i++) {
		if ((st = nf_st_get(s, del[i])) == NULL)
			return NF_STORE_ERR;
		sqlite3_bind_int64(st, 1, c->id);
		if ((rc = nf_st_done(s, st, SQLITE_OK, "erasing a contact")) !=
		    NF_STORE_OK)
			return rc;
	}
	/* triggers' rows count too (email_policy, report rows) */
	*rows += sqlite3_total_changes64(s->db) - before;
	if (c->id > 0)
		snprintf(detail, sizeof detail, "contact #%lld erased with its "
		    "consent, events, message records, reports and outbox rows; "
		    "%zu suppression%s or revocation%s kept as keyed hashes",
		    (long long)c->id, kept, kept == 1 ? "" : "s",
		    kept == 1 ? "" : "s");
	else
		snprintf(detail, sizeof detail, "records about an address with "
		    "no contact erased (events, message records, reports, "
		    "outbox rows); %zu suppression%s kept as keyed hashes", kept,
		    kept == 1 ? "" : "s");
	return note(s, 0, "contact", NULL, detail, 0);
}

int
nf_store_contact_remove(struct nf_store *s, const char *key)
{
	return nf_store_contact_erase(s, key, NULL);
}

int
nf_store_contact_count(struct nf_store *s, int64_t *n)
{
	return nf_st_query_int(s, NF_ST_CONTACT_COUNT, n, "counting contacts");
}

/* ---- consent ------------------------------------------------------------- */

int
nf_store_consent_set(struct nf_store *s, int64_t contact_id,
    enum nf_channel ch, enum nf_consent state, const char *source,
    int64_t t)
{
	struct nf_contact *c;
	struct nf_tx tx;
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_channel(s, ch)) != NF_STORE_OK)
		return rc;
	if ((unsigned)state > NF_CONSENT_REVOKED)
		return nf_st_error(s, NF_STORE_ERR, "%s: bad consent state %d",
		    s->path, (int)state);
	if (source && strlen(source) >= NF_STORE_TEXT_MAX)
		return nf_st_error(s, NF_STORE_ERR, "%s: consent source is "
		    "longer than %d bytes", s->path, NF_STORE_TEXT_MAX - 1);
	if (t == 0)
		t = (int64_t)time(NULL);
	if ((c = malloc(sizeof *c)) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		goto out;
	rc = find_contact(s, contact_id, NULL, c);
	if (rc == NF_STORE_OK)
		rc = consent_put(s, contact_id, c->email, c->phone, ch, state,
		    c->consent[ch].state, source, t);
	if (rc == NF_STORE_OK) {
		if ((st = nf_st_get(s, NF_ST_CONTACT_TOUCH)) == NULL) {
			rc = NF_STORE_ERR;
		} else {
			sqlite3_bind_int64(st, 1, contact_id);
			sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			rc = rc == SQLITE_DONE ? NF_STORE_OK :
			    nf_st_fail(s, rc, "updating a contact");
		}
	}
	rc = nf_tx_end(s, &tx, rc);
out:
	free(c);
	return rc;
}

/* ---- suppressions -------------------------------------------------------- */

static int
load_suppression(struct nf_store *s, sqlite3_stmt *st,
    struct nf_suppression *out)
{
	enum nf_channel ch = NF_CH_EMAIL;
	int rc;

	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	rc = nf_st_col(s, st, 1, out->address, sizeof out->address, "address");
	nf_channel_parse((const char *)sqlite3_column_text(st, 2), &ch);
	out->channel = ch;
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 3, out->reason, sizeof out->reason,
		    "suppression reason");
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 4, out->source, sizeof out->source,
		    "suppression source");
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 5, out->evidence, sizeof out->evidence,
		    "suppression evidence");
	out->time = sqlite3_column_int64(st, 6);
	return rc;
}

int
nf_store_suppress_find(struct nf_store *s, const char *address,
    enum nf_channel ch, struct nf_suppression *out)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_channel(s, ch)) != NF_STORE_OK)
		return rc;
	if ((st = nf_st_get(s, NF_ST_SUPPRESS_FIND)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nf_channel_name(ch), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = load_suppression(s, st, out);
	else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "%s is not suppressed "
		    "on %s", address, nf_channel_name(ch));
	else
		rc = nf_st_fail(s, rc, "looking up a suppression");
	sqlite3_reset(st);
	return rc;
}

int
nf_store_suppress_add(struct nf_store *s, const struct nf_suppression *sup)
{
	struct nf_suppression *old;
	struct nf_tx tx;
	sqlite3_stmt *st;
	int64_t t = sup->time ? sup->time : (int64_t)time(NULL);
	char detail[2048];
	int rc, existed;

	if ((rc = check_channel(s, sup->channel)) ||
	    (rc = check_str(s, sup->address, sizeof sup->address, "address")) ||
	    (rc = check_str(s, sup->reason, sizeof sup->reason, "reason")) ||
	    (rc = check_str(s, sup->source, sizeof sup->source, "source")) ||
	    (rc = check_str(s, sup->evidence, sizeof sup->evidence,
	    "evidence")))
		return rc;
	if (sup->address[0] == '\0')
		return nf_st_error(s, NF_STORE_ERR, "%s: empty address to "
		    "suppress", s->path);
	if ((st = nf_st_get(s, NF_ST_SUPPRESS_UPSERT)) == NULL)
		return NF_STORE_ERR;
	if ((old = malloc(sizeof *old)) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		goto out;
	rc = nf_store_suppress_find(s, sup->address, sup->channel, old);
	if (rc != NF_STORE_OK && rc != NF_STORE_NOTFOUND)
		goto end;
	existed = rc == NF_STORE_OK;
	sqlite3_bind_text(st, 1, sup->address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nf_channel_name(sup->channel), -1,
	    SQLITE_STATIC);
	nf_st_bind_opt(st, 3, sup->reason);
	nf_st_bind_opt(st, 4, sup->source);
	nf_st_bind_opt(st, 5, sup->evidence);
	sqlite3_bind_int64(st, 6, t);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		rc = nf_st_fail(s, rc, "adding a suppression");
		goto end;
	}
	snprintf(detail, sizeof detail, "%s suppression %s: reason %s; source "
	    "%s; evidence %s", nf_channel_name(sup->channel), existed ?
	    "refreshed" : "added", sup->reason[0] ? sup->reason : "none",
	    sup->source[0] ? sup->source : "unknown",
	    sup->evidence[0] ? sup->evidence : "none");
	rc = note(s, t, "suppress", sup->address, detail, 0);
end:
	rc = nf_tx_end(s, &tx, rc);
out:
	free(old);
	return rc;
}

int
nf_store_suppress_remove(struct nf_store *s, const char *address,
    enum nf_channel ch)
{
	struct nf_suppression *old;
	struct nf_tx tx;
	sqlite3_stmt *st;
	char detail[1024];
	int rc;

	if ((rc = check_channel(s, ch)) != NF_STORE_OK)
		return rc;
	if ((old = malloc(sizeof *old)) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		goto out;
	if ((rc = nf_store_suppress_find(s, address, ch, old)) != NF_STORE_OK)
		goto end;
	if ((st = nf_st_get(s, NF_ST_SUPPRESS_DELETE)) == NULL) {
		rc = NF_STORE_ERR;
		goto end;
	}
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nf_channel_name(ch), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = nf_st_fail(s, rc, "removing a suppression");
		goto end;
	}
	snprintf(detail, sizeof detail, "%s suppression removed (was: reason "
	    "%s)", nf_channel_name(ch), old->reason[0] ? old->reason : "none");
	rc = note(s, 0, "suppress", address, detail, 0);
end:
	rc = nf_tx_end(s, &tx, rc);
out:
	free(old);
	return rc;
}

int
nf_store_suppress_each(struct nf_store *s,
    int (*fn)(const struct nf_suppression *, void *), void *arg)
{
	struct nf_suppression *sup;
	sqlite3_stmt *st;
	int rc, r = 0;

	if ((sup = malloc(sizeof *sup)) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	if ((st = nf_st_fresh(s, NF_ST_SUPPRESS_ALL)) == NULL) {
		free(sup);
		return NF_STORE_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = load_suppression(s, st, sup)) != NF_STORE_OK)
			break;
		if ((r = fn(sup, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = nf_st_fail(s, rc, "listing suppressions");
	sqlite3_finalize(st);
	free(sup);
	return r;
}

/* ---- events -------------------------------------------------------------- */

int
nf_store_event_add(struct nf_store *s, const struct nf_event *ev)
{
	return nf_store_event_add_many(s, ev, 1);
}

int
nf_store_event_add_many(struct nf_store *s, const struct nf_event *ev,
    size_t n)
{
	struct nf_tx tx;
	size_t i;
	int rc;

	if (n == 0)
		return NF_STORE_OK;
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	for (i = 0; i < n && rc == NF_STORE_OK; i++)
		rc = nf_st_event_put(s, &ev[i], 0);
	return nf_tx_end(s, &tx, rc);
}

int
nf_store_event_each(struct nf_store *s, const char *address,
    int (*fn)(const struct nf_event *, void *), void *arg)
{
	sqlite3_stmt *st;

	if ((st = nf_st_fresh(s, NF_ST_EVENT_OF)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	return nf_st_event_walk(s, st, fn, arg, NULL, "reading events");
}
