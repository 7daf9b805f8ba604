/*
 * store_erase_table.c - the rows of table `erased` after an erasure
 * (store_erase.c) wrote them, in the SQLite backend of store.h (issue 6):
 * an erased address added again as a contact gets its suppression or
 * revoked consent back in clear (nf_st_erased_restore, for contact add and
 * import); the fallback's check of a phone number, which also sees erased
 * numbers (nf_store_phone_suppressed); and the rows for `suppress
 * list|remove` (nf_store_erased_each, _find, _remove).  A row is found by
 * the keyed hash of its address (store_erase_key.c), never by the address.
 * The hot-path lookup of erased rows is in store_lookup.c
 * (nf_st_erased_match), next to the one it follows.
 *
 * Ownership: every function works on the caller's handle; the struct
 * nf_erased a walk passes to its callback is valid during the call only.
 *
 * Failures: NF_STORE_* results with s->err saying why.  Without a key no
 * address is found (NF_STORE_NOTFOUND), and restoring refuses
 * (NF_STORE_ERR) when erased rows exist.  A removal is one transaction (a
 * SAVEPOINT inside the caller's): a failure leaves everything as it was.
 * Statements are prepared per call (nf_er_prep), as in store_erase.c.
 */
#include "store_erase_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char sql_erased_all[] =
	"SELECT hash, channel, reason, time FROM erased ORDER BY time, hash";
static const char sql_erased_prefix[] =
	"SELECT DISTINCT hash FROM erased WHERE substr(hash, 1, ?2) = ?1"
	" AND (?3 IS NULL OR channel = ?3) LIMIT 2";
static const char sql_erased_delete[] =
	"DELETE FROM erased WHERE hash = ?1 AND (?2 IS NULL OR channel = ?2)";

/* ---- a contact added again ---------------------------------------------------- */

/*
 * An erased address that becomes a contact again gets its email_policy row
 * back, and the hot path reads erased rows only for addresses without one:
 * so the erased rows of its email and phone turn back into what they were
 * (a suppression, a revoked consent), now that the address is stored in
 * clear anyway, and go.  Without a key nothing can be matched: then,
 * when erased rows exist, the call refuses (NF_STORE_ERR), since adding
 * the address would bypass its erased row.  email or phone may be NULL
 * or "" (not changed).
 */
int
nf_st_erased_restore(struct nf_store *s, int64_t contact, const char *email,
    const char *phone)
{
	static const char sql_any[] = "SELECT EXISTS (SELECT 1 FROM erased)";
	static const char sql_del[] = "DELETE FROM erased WHERE hash = ?1"
	    " AND channel = ?2";
	struct nf_suppression sup;
	struct nf_erased e;
	sqlite3_stmt *st;
	enum nf_channel ch;
	const char *addr;
	int rc, any = 0;

	if ((email == NULL || email[0] == '\0') &&
	    (phone == NULL || phone[0] == '\0'))
		return NF_STORE_OK;
	if ((st = nf_er_prep(s, sql_any)) == NULL)
		return NF_STORE_ERR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		any = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return nf_st_fail(s, rc, "looking up erased addresses");
	/*
	 * Without the key nothing tells whether this address was erased; and
	 * once it has an email_policy row the hot path no longer looks at
	 * erased rows, so adding it would silently lift an erased
	 * suppression.  Refuse (the caller's transaction rolls back).
	 */
	if (any && !nf_store_erase_key_ready())
		return nf_st_error(s, NF_STORE_ERR, "%s: the database keeps "
		    "erased addresses as keyed hashes, and without the erasure "
		    "key (SecretFile) it cannot tell whether %s was one of "
		    "them: nothing was changed; run notifilterctl with a "
		    "configuration whose SecretFile it can read", s->path,
		    email != NULL && email[0] != '\0' ? email : phone);
	for (ch = 0; any && ch < NF_CH_COUNT; ch++) {
		addr = ch == NF_CH_EMAIL ? email : phone;
		if (addr == NULL || addr[0] == '\0')
			continue;
		rc = nf_store_erased_find(s, addr, ch, &e);
		if (rc == NF_STORE_NOTFOUND)
			continue;
		if (rc != NF_STORE_OK)
			return rc;
		if (strcmp(e.reason, NF_STORE_ERASED_REVOKED) == 0)
			rc = nf_store_consent_set(s, contact, ch,
			    NF_CONSENT_REVOKED, "erasure: revoked before the "
			    "contact was erased", 0);
		else {
			memset(&sup, 0, sizeof sup);
			snprintf(sup.address, sizeof sup.address, "%s", addr);
			sup.channel = ch;
			memcpy(sup.reason, e.reason, sizeof sup.reason);
			snprintf(sup.source, sizeof sup.source, "erasure");
			snprintf(sup.evidence, sizeof sup.evidence, "suppressed "
			    "before the contact was erased");
			sup.time = e.time;
			rc = nf_store_suppress_add(s, &sup);
		}
		if (rc != NF_STORE_OK)
			return rc;
		if ((st = nf_er_prep(s, sql_del)) == NULL)
			return NF_STORE_ERR;
		sqlite3_bind_text(st, 1, e.hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, nf_channel_name(ch), -1, SQLITE_STATIC);
		if ((rc = nf_er_run(s, st, NULL, "restoring an erased "
		    "address")) != NF_STORE_OK)
			return rc;
	}
	return NF_STORE_OK;
}

/* ---- the milter's and the fallback's checks -------------------------------- */

int
nf_store_phone_suppressed(struct nf_store *s, const char *phone,
    enum nf_channel ch, int *yes)
{
	struct nf_suppression sup;
	int rc;

	*yes = 0;
	if ((unsigned)ch >= NF_CH_COUNT)
		return nf_st_error(s, NF_STORE_ERR, "%s: unknown channel %d",
		    s->path, (int)ch);
	if (phone == NULL || phone[0] == '\0')
		return NF_STORE_OK;
	rc = nf_store_suppress_find(s, phone, ch, &sup);
	if (rc == NF_STORE_OK) {
		*yes = 1;
		return NF_STORE_OK;
	}
	if (rc != NF_STORE_NOTFOUND)
		return rc;
	return nf_st_erased_match(s, phone, ch, NULL, 0, yes);
}

/* ---- erased rows for suppress list|remove ---------------------------------- */

static int
load_erased(struct nf_store *s, sqlite3_stmt *st, struct nf_erased *e)
{
	enum nf_channel ch = NF_CH_EMAIL;
	int rc;

	memset(e, 0, sizeof *e);
	rc = nf_st_col(s, st, 0, e->hash, sizeof e->hash, "erased hash");
	nf_channel_parse((const char *)sqlite3_column_text(st, 1), &ch);
	e->channel = ch;
	if (rc == NF_STORE_OK)
		rc = nf_st_col(s, st, 2, e->reason, sizeof e->reason,
		    "erased reason");
	e->time = sqlite3_column_int64(st, 3);
	return rc;
}

int
nf_store_erased_each(struct nf_store *s,
    int (*fn)(const struct nf_erased *, void *), void *arg)
{
	struct nf_erased e;
	sqlite3_stmt *st;
	int rc, r = 0;

	if ((st = nf_er_prep(s, sql_erased_all)) == NULL)
		return NF_STORE_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = load_erased(s, st, &e)) != NF_STORE_OK)
			break;
		if ((r = fn(&e, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = nf_st_fail(s, rc, "listing erased addresses");
	sqlite3_finalize(st);
	return r;
}

int
nf_store_erased_find(struct nf_store *s, const char *key, enum nf_channel ch,
    struct nf_erased *out)
{
	static const char sql[] = "SELECT hash, channel, reason, time FROM erased"
	    " WHERE hash = ?1 AND channel = ?2";
	char hash[NF_STORE_HASH_MAX];
	sqlite3_stmt *st;
	int rc;

	if ((unsigned)ch >= NF_CH_COUNT)
		return nf_st_error(s, NF_STORE_ERR, "%s: unknown channel %d",
		    s->path, (int)ch);
	if (nf_store_erase_hash(key, hash, sizeof hash) != 0)
		return nf_st_error(s, NF_STORE_NOTFOUND, "no erasure key set");
	if ((st = nf_er_prep(s, sql)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nf_channel_name(ch), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = load_erased(s, st, out);
	else if (rc == SQLITE_DONE)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "not erased on %s",
		    nf_channel_name(ch));
	else
		rc = nf_st_fail(s, rc, "looking up an erased address");
	sqlite3_finalize(st);
	return rc;
}

int
nf_store_erased_remove(struct nf_store *s, const char *hex, enum nf_channel ch,
    int *n)
{
	char pre[NF_STORE_HASH_MAX], hash[NF_STORE_HASH_MAX], detail[256];
	const char *chname = (unsigned)ch < NF_CH_COUNT ? nf_channel_name(ch) :
	    NULL;
	struct nf_event ev;
	struct nf_tx tx;
	sqlite3_stmt *st;
	size_t i, len = hex ? strlen(hex) : 0;
	int rc, found = 0;
	int64_t rows = 0;

	*n = 0;
	if (len < NF_STORE_ERASED_SHOW || len >= sizeof pre)
		return nf_st_error(s, NF_STORE_NOTFOUND, "an erased entry is "
		    "named by %d to 64 hex digits", NF_STORE_ERASED_SHOW);
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)hex[i]))
			return nf_st_error(s, NF_STORE_NOTFOUND, "\"%s\" is not "
			    "hexadecimal", hex);
		pre[i] = (char)tolower((unsigned char)hex[i]);
	}
	pre[len] = '\0';
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		return rc;
	if ((st = nf_er_prep(s, sql_erased_prefix)) == NULL) {
		rc = NF_STORE_ERR;
		goto end;
	}
	sqlite3_bind_text(st, 1, pre, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)len);
	nf_st_bind_opt(st, 3, chname);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (found++ == 0)	/* a hash column is 64 hex digits */
			snprintf(hash, sizeof hash, "%s",
			    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = nf_st_fail(s, rc, "looking up an erased address");
		goto end;
	}
	if (found == 0) {
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "no erased entry erased:%s"
		    "%s%s", pre, chname ? " on " : "", chname ? chname : "");
		goto end;
	}
	if (found > 1) {
		rc = nf_st_error(s, NF_STORE_CONFLICT, "erased:%s names more "
		    "than one erased address: give more of its hex digits (see "
		    "suppress list --json)", pre);
		goto end;
	}
	if ((st = nf_er_prep(s, sql_erased_delete)) == NULL) {
		rc = NF_STORE_ERR;
		goto end;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	nf_st_bind_opt(st, 2, chname);
	if ((rc = nf_er_run(s, st, &rows, "removing an erased address")) !=
	    NF_STORE_OK)
		goto end;
	snprintf(detail, sizeof detail, "erased address erased:%.*s no longer "
	    "suppressed on %s (%lld row%s)", NF_STORE_ERASED_SHOW, hash,
	    chname ? chname : "any channel", (long long)rows,
	    rows == 1 ? "" : "s");
	memset(&ev, 0, sizeof ev);
	ev.kind = "suppress";
	ev.detail = detail;
	rc = nf_st_event_put(s, &ev, 0);
	*n = (int)rows;
end:
	return nf_tx_end(s, &tx, rc);
}
