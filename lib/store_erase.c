/*
 * store_erase.c - erasing a contact (issue 6) in the SQLite backend of
 * store.h: one transaction that deletes or blanks, across the tables,
 * every row naming the contact's email or phone (outbox, reports, events,
 * suppressions; store_rows.c does the contact's own rows), and keeps its
 * suppressions and revocations as keyed hashes in table `erased`.  The
 * key and the hash (and why hashes) are in store_erase_key.c; the erased
 * rows' later life (a contact added again, the fallback's check,
 * `suppress list|remove`) in store_erase_table.c.  The hot-path lookup of
 * erased rows is in store_lookup.c (nf_st_erased_match), next to the one
 * it follows.
 *
 * Ownership: every function works on the caller's handle; the contact
 * read for the erasure is on the heap and wiped before it is freed.
 *
 * Spellings: records are matched on the store key (lower case, domain in
 * A-labels) and, for an IDN domain, on its U-label form too, which an
 * SMTPUTF8 MTA's logs and reports use (u_form()).
 *
 * Failures: the erasure is one transaction (a SAVEPOINT inside the
 * caller's): a failure leaves everything as it was.  It refuses, changing
 * nothing, when it would have to keep a hash and no key is set.  Statements
 * are prepared per call: erasure is a rare administrator's command, and
 * its scans of the event and report text (which may name an address
 * anywhere) cost more than any preparing.
 */
#include "store_erase_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <idn2.h>
#include <openssl/crypto.h>

#define KEEP_MAX 8		/* email + 3 phone channels, and room */

/* ---- statements ------------------------------------------------------------ */

static const char sql_sup_of[] =
	"SELECT address, channel, reason FROM suppressions"
	" WHERE address = ?1 OR address = ?2";
static const char sql_sup_delete[] =
	"DELETE FROM suppressions WHERE address = ?1 OR address = ?2";
static const char sql_revoked[] =
	"SELECT channel FROM consent WHERE contact_id = ?1 AND state = 'revoked'";
static const char sql_erased_put[] =
	"INSERT INTO erased(hash, channel, reason, time) VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT(hash, channel) DO UPDATE SET reason = excluded.reason,"
	" time = excluded.time";
static const char sql_outbox_delete[] =
	"DELETE FROM outbox WHERE lower(recipient) = lower(?1)"
	" OR recipient = ?2 OR phone = ?2";
/* report rows about the address (the trigger on contacts does the same
 * when a contact goes; a bare recipient has no contact row) */
static const char sql_report_blank[] =
	"UPDATE reports SET excerpt = NULL, env_recipient = NULL"
	" WHERE id IN (SELECT report_id FROM report_recipients"
	" WHERE address = lower(?1))";
static const char sql_report_rcpt_delete[] =
	"DELETE FROM report_recipients WHERE address = lower(?1)";
/* text that may name the address anywhere: candidates by instr(), then
 * checked in C for whole-address boundaries (see mentions()) */
static const char sql_events_scan[] =
	"SELECT id, address, detail FROM events"
	" WHERE instr(lower(address), ?1) > 0 OR instr(lower(detail), ?1) > 0";
static const char sql_event_delete[] = "DELETE FROM events WHERE id = ?1";
static const char sql_reports_scan[] =
	"SELECT id, env_recipient, excerpt FROM reports"
	" WHERE instr(lower(env_recipient), ?1) > 0"
	" OR instr(lower(excerpt), ?1) > 0";
static const char sql_report_blank_id[] =
	"UPDATE reports SET excerpt = NULL, env_recipient = NULL WHERE id = ?1";
static const char sql_rr_scan[] =
	"SELECT id, diagnostic, remote_mta FROM report_recipients"
	" WHERE instr(lower(diagnostic), ?1) > 0";
static const char sql_rr_blank_id[] =
	"UPDATE report_recipients SET diagnostic = NULL WHERE id = ?1";

sqlite3_stmt *
nf_er_prep(struct nf_store *s, const char *sql)
{
	return nf_st_prep(s, sql, "preparing an erasure statement");
}

/* Run a prepared statement with bound parameters to its end; adds the
 * rows it changed to *rows (if not NULL); finalizes it. */
int
nf_er_run(struct nf_store *s, sqlite3_stmt *st, int64_t *rows,
    const char *what)
{
	int rc;

	if (st == NULL)
		return NF_STORE_ERR;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, what);
	if (rows != NULL)
		*rows += sqlite3_changes(s->db);
	return NF_STORE_OK;
}

static int
bind2(sqlite3_stmt *st, const char *a, const char *b)
{
	if (st == NULL)
		return SQLITE_ERROR;
	nf_st_bind_opt(st, 1, a);
	return nf_st_bind_opt(st, 2, b);
}

/* ---- whole-address matching ------------------------------------------------ */

/* Characters that may continue an address or a number on either side, so
 * "jane@example.com" is not found inside "mary.jane@example.com" nor
 * "+4915112" inside "+49151123". */
static int
addr_char(int c)
{
	return c != '\0' && (isalnum(c) || c >= 0x80 ||
	    strchr("!#$%&'*+/?^_`{|}~.-", c) != NULL);
}

/* Does text name needle (lower case) as a whole address or number? */
static int
mentions(const char *text, const char *needle, int digits)
{
	size_t n = strlen(needle), i, tl;
	int before, after;

	if (text == NULL || n == 0)
		return 0;
	tl = strlen(text);
	for (i = 0; i + n <= tl; i++) {
		if (digits ? strncmp(text + i, needle, n) != 0 :
		    strncasecmp(text + i, needle, n) != 0)
			continue;
		before = i > 0 ? (unsigned char)text[i - 1] : ' ';
		after = (unsigned char)text[i + n];
		if (digits) {
			if (!isdigit(before) && !isdigit(after))
				return 1;
			continue;
		}
		/* a sentence's full stop after the address is no part of it */
		if (after == '.' && !addr_char((unsigned char)text[i + n + 1]))
			after = ' ';
		if (!addr_char(before) && (after == '\0' || !addr_char(after)))
			return 1;
	}
	return 0;
}

/*
 * Rows of one scan (sql: id and two text columns, needle bound as ?1)
 * whose text names the needle: each is erased with `act` (id bound as ?1).
 */
static int
scan(struct nf_store *s, const char *sql, const char *act,
    const char *needle, int digits, int64_t *rows, const char *what)
{
	sqlite3_stmt *st, *del;
	int64_t *ids = NULL, *more;
	size_t n = 0, cap = 0, i;
	int rc;

	if ((st = nf_er_prep(s, sql)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_text(st, 1, needle, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!mentions((const char *)sqlite3_column_text(st, 1), needle,
		    digits) && !mentions((const char *)sqlite3_column_text(st,
		    2), needle, digits))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((more = realloc(ids, cap * sizeof *ids)) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = more;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return nf_st_fail(s, rc, what);
	}
	/* deleting while the scan steps would be undefined: after it */
	for (i = 0, rc = NF_STORE_OK; i < n && rc == NF_STORE_OK; i++) {
		if ((del = nf_er_prep(s, act)) == NULL) {
			rc = NF_STORE_ERR;
			break;
		}
		sqlite3_bind_int64(del, 1, ids[i]);
		rc = nf_er_run(s, del, rows, what);
	}
	free(ids);
	return rc;
}

/* ---- what is kept ---------------------------------------------------------- */

struct keep {
	const char *addr;		/* the contact's email or phone */
	enum nf_channel ch;
	char reason[NF_STORE_TEXT_MAX];
};

/* Add or, for a suppression, overrule a revocation of the same pair. */
static void
keep_add(struct keep *k, size_t *n, const char *addr, enum nf_channel ch,
    const char *reason, int suppression)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (k[i].ch == ch && strcmp(k[i].addr, addr) == 0) {
			if (suppression)
				snprintf(k[i].reason, sizeof k[i].reason, "%s",
				    reason);
			return;
		}
	if (*n == KEEP_MAX)
		return;		/* one row per channel: cannot happen */
	k[*n].addr = addr;
	k[*n].ch = ch;
	snprintf(k[*n].reason, sizeof k[*n].reason, "%s", reason);
	(*n)++;
}

static int
collect_keep(struct nf_store *s, int64_t contact, const char *email,
    const char *phone, struct keep *k, size_t *n)
{
	sqlite3_stmt *st;
	enum nf_channel ch;
	const char *a, *r;
	int rc;

	*n = 0;
	if ((st = nf_er_prep(s, sql_sup_of)) == NULL)
		return NF_STORE_ERR;
	bind2(st, email, phone);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a = (const char *)sqlite3_column_text(st, 0);
		r = (const char *)sqlite3_column_text(st, 2);
		if (a == NULL || nf_channel_parse((const char *)
		    sqlite3_column_text(st, 1), &ch) != 0)
			continue;
		/* the reason is the suppression's word, never an address */
		keep_add(k, n, strcmp(a, email) == 0 ? email : phone, ch,
		    r && r[0] ? r : "suppressed", 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "reading suppressions to erase");
	if (contact == 0)
		return NF_STORE_OK;
	if ((st = nf_er_prep(s, sql_revoked)) == NULL)
		return NF_STORE_ERR;
	sqlite3_bind_int64(st, 1, contact);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nf_channel_parse((const char *)sqlite3_column_text(st, 0),
		    &ch) != 0)
			continue;
		a = ch == NF_CH_EMAIL ? email : phone;
		if (a[0] != '\0')
			keep_add(k, n, a, ch, NF_STORE_ERASED_REVOKED, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return nf_st_fail(s, rc, "reading consent to erase");
	return NF_STORE_OK;
}

static int
write_keep(struct nf_store *s, const struct keep *k, size_t n, int64_t now,
    int64_t *rows)
{
	char hash[NF_STORE_HASH_MAX];
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (nf_store_erase_hash(k[i].addr, hash, sizeof hash) != 0)
			return nf_st_error(s, NF_STORE_ERR, "%s: cannot compute "
			    "the erasure hash", s->path);
		if ((st = nf_er_prep(s, sql_erased_put)) == NULL)
			return NF_STORE_ERR;
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, nf_channel_name(k[i].ch), -1,
		    SQLITE_STATIC);
		nf_st_bind_cut(st, 3, k[i].reason, NF_STORE_TEXT_MAX - 1);
		sqlite3_bind_int64(st, 4, now);
		if ((rc = nf_er_run(s, st, rows, "keeping an erased "
		    "address")) != NF_STORE_OK)
			return rc;
	}
	if (n == 0)
		return NF_STORE_OK;
	/* the first rows record which key wrote them (see key_check) */
	return nf_er_key_note(s);
}

/* ---- the erasure ------------------------------------------------------------- */

/*
 * The address with its domain in U-labels ("jane@bücher.de" for the key
 * "jane@xn--bcher-kva.de") into out[len]: an SMTPUTF8 MTA logs and reports
 * the address as the application wrote it, and the parser keeps that
 * form.  0, or -1 when the key has no A-label or no other form.
 */
static int
u_form(const char *email, char *out, size_t len)
{
	const char *at = strrchr(email, '@');
	char *u = NULL;
	int n;

	if (at == NULL || strstr(at, "xn--") == NULL ||
	    idn2_to_unicode_8z8z(at + 1, &u, 0) != IDN2_OK || u == NULL)
		return -1;
	n = snprintf(out, len, "%.*s@%s", (int)(at - email), email, u);
	idn2_free(u);
	if (n < 0 || (size_t)n >= len || strcmp(out, email) == 0)
		return -1;
	return 0;
}

/* The records about one spelling of an email address. */
static int
erase_email_records(struct nf_store *s, const char *email, int64_t *rows)
{
	char needle[NF_STORE_EMAIL_MAX * 2];
	sqlite3_stmt *st;
	size_t i;
	int rc;

	st = nf_er_prep(s, sql_report_blank);
	if (st != NULL)
		nf_st_bind_opt(st, 1, email);
	if ((rc = nf_er_run(s, st, rows, "erasing report excerpts")) !=
	    NF_STORE_OK)
		return rc;
	st = nf_er_prep(s, sql_report_rcpt_delete);
	if (st != NULL)
		nf_st_bind_opt(st, 1, email);
	if ((rc = nf_er_run(s, st, rows, "erasing report rows")) != NF_STORE_OK)
		return rc;
	for (i = 0; email[i] && i + 1 < sizeof needle; i++)
		needle[i] = (char)tolower((unsigned char)email[i]);
	needle[i] = '\0';
	if ((rc = scan(s, sql_events_scan, sql_event_delete, needle, 0,
	    rows, "erasing events naming the address")) ||
	    (rc = scan(s, sql_reports_scan, sql_report_blank_id, needle,
	    0, rows, "erasing report excerpts naming the address")) ||
	    (rc = scan(s, sql_rr_scan, sql_rr_blank_id, needle, 0, rows,
	    "erasing diagnostics naming the address")))
		return rc;
	return NF_STORE_OK;
}

/* Everything but the contact's own rows (store_rows.c does those). */
static int
erase_records(struct nf_store *s, const char *email, const char *phone,
    int64_t *rows)
{
	char uform[NF_STORE_EMAIL_MAX * 2];
	sqlite3_stmt *st;
	int rc;

	st = nf_er_prep(s, sql_outbox_delete);
	bind2(st, email, phone);
	if ((rc = nf_er_run(s, st, rows, "erasing outbox rows")) != NF_STORE_OK)
		return rc;
	if (email[0] != '\0') {
		if ((rc = erase_email_records(s, email, rows)) != NF_STORE_OK)
			return rc;
		if (u_form(email, uform, sizeof uform) == 0 &&
		    (rc = erase_email_records(s, uform, rows)) != NF_STORE_OK)
			return rc;
	}
	if (phone[0] != '\0') {
		/* the digits: text may write the number without its '+' */
		const char *d = phone[0] == '+' ? phone + 1 : phone;

		if ((rc = scan(s, sql_events_scan, sql_event_delete, d, 1, rows,
		    "erasing events naming the phone")) ||
		    (rc = scan(s, sql_reports_scan, sql_report_blank_id, d, 1,
		    rows, "erasing report excerpts naming the phone")))
			return rc;
	}
	st = nf_er_prep(s, sql_sup_delete);
	bind2(st, email, phone);
	return nf_er_run(s, st, rows, "erasing suppressions");
}

/* PRAGMA secure_delete: read (0, 1, 2 = fast) or set. */
static int
secure_delete(struct nf_store *s, int set)
{
	static const char *const sql[] = {
		"PRAGMA secure_delete = 0", "PRAGMA secure_delete = 1",
		"PRAGMA secure_delete = FAST"
	};
	sqlite3_stmt *st;
	int v = -1;

	if (set >= 0 && set <= 2)
		return sqlite3_exec(s->db, sql[set], NULL, NULL, NULL) ==
		    SQLITE_OK ? set : -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA secure_delete", -1, &st, NULL)
	    != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
nf_store_contact_erase(struct nf_store *s, const char *key,
    struct nf_erase_result *out)
{
	struct nf_erase_result local;
	struct nf_contact *c;
	struct keep k[KEEP_MAX];
	struct nf_tx tx;
	const char *email, *phone;
	int64_t now = (int64_t)time(NULL);
	size_t nk = 0;
	int rc, outer, was;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof *out);
	if (key == NULL || key[0] == '\0')
		return nf_st_error(s, NF_STORE_NOTFOUND, "%s: empty contact key",
		    s->path);
	if ((c = calloc(1, sizeof *c)) == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: out of memory",
		    s->path);
	nf_store_release(s);
	outer = !sqlite3_get_autocommit(s->db);
	was = secure_delete(s, -1);
	if (secure_delete(s, 1) != 1) {
		free(c);
		return nf_st_fail(s, sqlite3_errcode(s->db), "turning "
		    "secure_delete on");
	}
	if ((rc = nf_tx_write(s, &tx)) != NF_STORE_OK)
		goto out;
	rc = nf_store_contact_find(s, key, c);
	if (rc == NF_STORE_NOTFOUND) {
		/* no contact: still erase what records name the address */
		memset(c, 0, sizeof *c);
		snprintf(key[0] == '+' ? c->phone : c->email, key[0] == '+' ?
		    sizeof c->phone : sizeof c->email, "%s", key);
		rc = NF_STORE_OK;
	}
	if (rc != NF_STORE_OK)
		goto end;
	out->contact_id = c->id;
	email = c->email;
	phone = c->phone;
	if ((rc = collect_keep(s, c->id, email, phone, k, &nk)) != NF_STORE_OK)
		goto end;
	if (nk > 0 && !nf_store_erase_key_ready()) {
		out->need_key = 1;
		rc = nf_st_error(s, NF_STORE_ERR, "%s: %s has %zu suppression or "
		    "revocation%s that must outlive the erasure as keyed hashes, "
		    "but no erasure key is set (SecretFile): nothing was erased",
		    s->path, key, nk, nk == 1 ? "" : "s");
		goto end;
	}
	if ((rc = write_keep(s, k, nk, now, &out->rows)) != NF_STORE_OK ||
	    (rc = erase_records(s, email, phone, &out->rows)) != NF_STORE_OK)
		goto end;
	out->kept = (int)nk;
	rc = nf_st_erase_contact_rows(s, c, nk, &out->rows);
	if (rc == NF_STORE_OK && c->id == 0 && out->rows == (int64_t)nk)
		rc = nf_st_error(s, NF_STORE_NOTFOUND, "nothing is known about "
		    "%s", key);
end:
	rc = nf_tx_end(s, &tx, rc);
	if (rc == NF_STORE_OK && !outer) {
		int nlog = 0, nckpt = 0;
		int r = sqlite3_wal_checkpoint_v2(s->db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, &nlog, &nckpt);

		out->checkpointed = r == SQLITE_OK;
		if (!out->checkpointed)
			snprintf(out->checkpoint_err, sizeof out->checkpoint_err,
			    "%s (another process is reading: the old pages stay "
			    "in %s-wal until the next checkpoint)",
			    sqlite3_errmsg(s->db), s->path);
	}
out:
	if (was >= 0 && was != 1)
		secure_delete(s, was);
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
	return rc;
}
