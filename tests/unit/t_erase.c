/*
 * t_erase.c - unit tests of erasure (store.h "erasure", lib/store_erase.c):
 * the erasure key and hashes, what `contact remove` erases in every table,
 * what it keeps as keyed hashes, that the freed bytes are gone from the
 * database and its -wal file, and that the hot-path lookups (email_state,
 * phone_suppressed) still block an erased suppressed address.
 *
 * Works in a temporary directory under /tmp, removed at the end.  SQLite is
 * used directly only to add rows other areas write (outbox) and to look at
 * what the store left.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "store.h"
#include "tap.h"

static char tmpdir[] = "/tmp/t_erase.XXXXXX";
static char dbpath[600];

#define JANE "jane.doe@example.com"
#define JANE_PHONE "+491512345678"
#define SUBJECT "Your secret parcel 4711 is here"
#define NAME "Jane Q. Doe"

static const unsigned char key1[] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[] = "fedcba9876543210fedcba9876543210";

static long long
raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		diag("raw_int(%s): %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int
raw_exec(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;
	int rc = sqlite3_open(dbpath, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		diag("raw_exec: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

/* How many times `needle` occurs in the file (0 when it does not exist). */
static long
count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t n = strlen(needle), len, i;
	char *buf;
	long hits = 0;
	struct stat sb;

	if (f == NULL)
		return 0;
	if (fstat(fileno(f), &sb) != 0 || (buf = malloc((size_t)sb.st_size +
	    1)) == NULL) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			hits++;
	free(buf);
	return hits;
}

/* In the database and its -wal and -shm files together. */
static long
count_in_db(const char *needle)
{
	char p[700];
	long n = count_in_file(dbpath, needle);

	snprintf(p, sizeof p, "%s-wal", dbpath);
	n += count_in_file(p, needle);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	return n + count_in_file(p, needle);
}

static void
set_sup(struct nf_suppression *sup, const char *addr, enum nf_channel ch,
    const char *reason)
{
	memset(sup, 0, sizeof *sup);
	snprintf(sup->address, sizeof sup->address, "%s", addr);
	sup->channel = ch;
	snprintf(sup->reason, sizeof sup->reason, "%s", reason);
	snprintf(sup->source, sizeof sup->source, "test");
	snprintf(sup->evidence, sizeof sup->evidence, "queue 4ABC");
}

static void
add_contact(struct nf_store *s, struct nf_contact *c, const char *email,
    const char *phone, const char *name)
{
	memset(c, 0, sizeof *c);
	snprintf(c->email, sizeof c->email, "%s", email);
	snprintf(c->phone, sizeof c->phone, "%s", phone);
	snprintf(c->name, sizeof c->name, "%s", name);
	if (nf_store_contact_add(s, c) != NF_STORE_OK)
		diag("contact_add %s: %s", email, nf_store_errmsg(s));
}

static void
event(struct nf_store *s, const char *kind, const char *token,
    const char *addr, const char *rule, const char *detail)
{
	struct nf_event ev = { .time = 1700000000, .kind = kind,
	    .token = token, .address = addr, .rule = rule, .detail = detail };

	if (nf_store_event_add(s, &ev) != NF_STORE_OK)
		diag("event_add: %s", nf_store_errmsg(s));
}

/* ---- the key ---------------------------------------------------------------- */

static void
test_key(void)
{
	char h1[NF_STORE_HASH_MAX], h2[NF_STORE_HASH_MAX], h3[NF_STORE_HASH_MAX];
	size_t i, hex = 0;

	ok(!nf_store_erase_key_ready(), "no key at start");
	is_int(nf_store_erase_hash(JANE, h1, sizeof h1), -1, "no hash "
	    "without a key");
	is_int(nf_store_erase_key_set(key1, sizeof key1 - 1), 0, "set a key");
	ok(nf_store_erase_key_ready(), "key ready");
	is_int(nf_store_erase_hash(JANE, h1, sizeof h1), 0, "hash");
	for (i = 0; h1[i]; i++)
		hex += (h1[i] >= '0' && h1[i] <= '9') ||
		    (h1[i] >= 'a' && h1[i] <= 'f');
	ok(strlen(h1) == 64 && hex == 64, "64 lower-case hex digits: %s", h1);
	is_int(nf_store_erase_hash(JANE, h2, 64), -1, "a short buffer is "
	    "refused");
	nf_store_erase_hash(JANE, h2, sizeof h2);
	is_str(h2, h1, "the same address gives the same hash");
	{
		/* the reference: HMAC(HMAC(secret, label), address) */
		unsigned char dk[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
		unsigned int dl = 0, ml = 0, j;
		char ref[NF_STORE_HASH_MAX];

		HMAC(EVP_sha256(), key2, (int)sizeof key2 - 1,
		    (const unsigned char *)NF_STORE_ERASE_LABEL,
		    strlen(NF_STORE_ERASE_LABEL), dk, &dl);
		nf_store_erase_key_set(key2, sizeof key2 - 1);
		HMAC(EVP_sha256(), dk, (int)dl, (const unsigned char *)JANE,
		    strlen(JANE), mac, &ml);
		for (j = 0; j < ml; j++)
			snprintf(ref + 2 * j, 3, "%02x", mac[j]);
		nf_store_erase_hash(JANE, h2, sizeof h2);
		is_str(h2, ref, "the hash is HMAC-SHA256(HMAC-SHA256(secret, "
		    "label), address)");
		nf_store_erase_key_set(key1, sizeof key1 - 1);
	}
	nf_store_erase_hash("jane.doe@example.org", h2, sizeof h2);
	ok(strcmp(h1, h2) != 0, "another address, another hash");
	nf_store_erase_key_set(key2, sizeof key2 - 1);
	nf_store_erase_hash(JANE, h3, sizeof h3);
	ok(strcmp(h1, h3) != 0, "another key, another hash");
	nf_store_erase_key_set(NULL, 0);
	ok(!nf_store_erase_key_ready(), "key forgotten");
}

/* ---- a full erasure ------------------------------------------------------------ */

struct list {
	int n;
	char hashes[8][NF_STORE_HASH_MAX];
	char what[8][NF_STORE_TEXT_MAX + 16];
};

static int
list_fn(const struct nf_erased *e, void *arg)
{
	struct list *l = arg;

	if (l->n < 8) {
		snprintf(l->hashes[l->n], sizeof l->hashes[l->n], "%s", e->hash);
		snprintf(l->what[l->n], sizeof l->what[l->n], "%s %s",
		    nf_channel_name(e->channel), e->reason);
	}
	l->n++;
	return 0;
}

static int
has_what(const struct list *l, const char *what)
{
	int i;

	for (i = 0; i < l->n && i < 8; i++)
		if (strcmp(l->what[i], what) == 0)
			return 1;
	return 0;
}

static void
setup_jane(struct nf_store *s)
{
	static const struct nf_recipient_in to_jane[] = {
		{ JANE, "allowed", "default-consent-yes", NULL, 1 },
	};
	static const struct nf_recipient_in to_both[] = {
		{ JANE, "allowed", "default-consent-yes", NULL, 1 },
		{ "max@example.com", "allowed", "default-consent-yes", NULL, 1 },
	};
	struct nf_message_in m;
	struct nf_contact c, max;
	struct nf_suppression sup;
	struct nf_delivery_in d;
	struct nf_report_in r;
	struct nf_report_rcpt_in rr;

	add_contact(s, &c, JANE, JANE_PHONE, NAME);
	add_contact(s, &max, "max@example.com", "", "Max");
	nf_store_consent_set(s, c.id, NF_CH_SMS, NF_CONSENT_REVOKED, "ctl", 0);
	nf_store_consent_set(s, c.id, NF_CH_EMAIL, NF_CONSENT_GRANTED, "web",
	    0);
	set_sup(&sup, JANE, NF_CH_EMAIL, "userunknown");
	nf_store_suppress_add(s, &sup);
	set_sup(&sup, JANE_PHONE, NF_CH_WHATSAPP, "manual");
	nf_store_suppress_add(s, &sup);

	event(s, "decision", NULL, JANE, "default-consent-yes",
	    "verdict=allow action=allowed reason=no consent on record");
	memset(&m, 0, sizeof m);
	m.token = "1erasejaneaaaaaaaaaaaaaaaaaaaaaaa";
	m.queue_id = "4JANE1";
	m.sender = "noreply@shop.example";
	m.header_from = "Shop <noreply@shop.example>";
	m.subject = SUBJECT;
	m.fallback_text = "Parcel for " NAME;
	m.phone_hint = JANE_PHONE;
	m.phone_hint_valid = 1;
	m.applied = 1;
	m.time = 1700000001;
	if (nf_store_message_add(s, &m, to_jane, 1) != NF_STORE_OK)
		diag("message_add: %s", nf_store_errmsg(s));
	memset(&d, 0, sizeof d);
	d.queue_id = "4JANE1";
	d.address = JANE;
	d.status = "bounced";
	d.dsn = "5.1.1";
	d.relay = "mx.example.com";
	d.diagnostic = "550 5.1.1 <" JANE ">: no such user";
	d.source = "maillog";
	d.time = 1700000002;
	nf_store_delivery_add(s, &d);
	m.token = "1erasebothaaaaaaaaaaaaaaaaaaaaaaa";
	m.queue_id = "4BOTH1";
	m.subject = "Newsletter for everyone";
	m.fallback_text = NULL;
	m.phone_hint = NULL;
	m.phone_hint_valid = 0;
	nf_store_message_add(s, &m, to_both, 2);

	/* a bounce report naming jane */
	memset(&r, 0, sizeof r);
	memset(&rr, 0, sizeof rr);
	r.kind = "dsn";
	r.token = "1erasejaneaaaaaaaaaaaaaaaaaaaaaaa";
	r.env_recipient = "bounce+x@bounce.example";
	r.excerpt = "Final-Recipient: rfc822; " JANE "\r\nStatus: 5.1.1\r\n";
	r.time = 1700000003;
	rr.address = JANE;
	rr.action = "failed";
	rr.status = "5.1.1";
	rr.reason = "userunknown";
	rr.diagnostic = "550 no such user " JANE;
	rr.policy = "bad";
	rr.outcome = "suppressed";
	rr.detail = "userunknown: suppressed";
	if (nf_store_report_add(s, &r, &rr, 1, NULL) != NF_STORE_OK)
		diag("report_add: %s", nf_store_errmsg(s));
	/* events of others that name jane in their text */
	event(s, "note", NULL, "max@example.com", NULL,
	    "max forwarded to " JANE ".");
	event(s, "note", NULL, "max@example.com", NULL,
	    "called 0049 151 2345678, then 491512345678");
	event(s, "note", NULL, "max@example.com", NULL, "max stays");
	/* a fallback step on jane's phone */
	event(s, "fallback", "1erasejaneaaaaaaaaaaaaaaaaaaaaaaa", JANE_PHONE,
	    "sent", "sms to " JANE_PHONE " via kannel, provider id 77");
	/* outbox rows (written by the fallback area) */
	raw_exec("INSERT INTO outbox(token, recipient, phone, channel, trigger,"
	    " state, text, due, expires, idem_key, created, updated) VALUES"
	    " ('1erasejaneaaaaaaaaaaaaaaaaaaaaaaa', '" JANE "', '" JANE_PHONE
	    "', 'sms', 'bounce', 'sent', '" SUBJECT "', 1, 2, 'k1', 1, 1),"
	    " ('1erasebothaaaaaaaaaaaaaaaaaaaaaaa', 'max@example.com', NULL,"
	    " 'sms', 'bounce', 'skipped', 'x', 1, 2, 'k2', 1, 1)");
}

static void
test_erase(void)
{
	struct nf_erase_result res;
	struct nf_email_state es;
	struct nf_contact c;
	struct nf_erased e;
	struct list l;
	struct nf_store *s = NULL;
	char err[1024], pre[16];
	int rc, yes, n, match;

	snprintf(dbpath, sizeof dbpath, "%s/erase.db", tmpdir);
	rc = nf_store_open(dbpath, NF_STORE_CREATE, 2000, &s, err, sizeof err);
	if (rc != NF_STORE_OK) {
		ok(0, "open: %s", err);
		return;
	}
	setup_jane(s);
	ok(count_in_db(SUBJECT) > 0 && count_in_db(JANE) > 0,
	    "setup: the subject and the address are in the files");

	/* without a key: refused, nothing changed */
	nf_store_erase_key_set(NULL, 0);
	rc = nf_store_contact_erase(s, JANE, &res);
	is_int(rc, NF_STORE_ERR, "erasure refused without a key");
	ok(res.need_key, "need_key says why");
	ok(strstr(nf_store_errmsg(s), "SecretFile") != NULL, "message names "
	    "SecretFile: %s", nf_store_errmsg(s));
	is_int(nf_store_contact_find(s, JANE, &c), NF_STORE_OK, "the contact "
	    "is still there");
	is_int(raw_int("SELECT count(*) FROM erased"), 0, "no hash kept");

	nf_store_erase_key_set(key1, sizeof key1 - 1);
	rc = nf_store_contact_erase(s, JANE_PHONE, &res);
	is_int(rc, NF_STORE_OK, "erase by phone (%s)", nf_store_errmsg(s));
	ok(res.contact_id > 0, "a contact was erased");
	is_int(res.kept, 3, "three hashes kept: email suppressed, sms revoked, "
	    "whatsapp suppressed");
	ok(res.checkpointed, "checkpointed (%s)", res.checkpoint_err);
	ok(res.rows > 10, "rows changed: %lld", (long long)res.rows);

	/* what is left in the tables */
	is_int(raw_int("SELECT count(*) FROM contacts WHERE email = '" JANE "'"),
	    0, "contact row gone");
	is_int(raw_int("SELECT count(*) FROM suppressions"), 0, "suppressions "
	    "in clear gone");
	is_int(raw_int("SELECT count(*) FROM outbox WHERE recipient = '" JANE
	    "' OR phone = '" JANE_PHONE "'"), 0, "outbox rows to jane gone");
	is_int(raw_int("SELECT count(*) FROM outbox"), 1, "max's outbox row "
	    "stays");
	is_int(raw_int("SELECT count(*) FROM report_recipients"), 0, "report "
	    "rows about jane gone");
	is_int(raw_int("SELECT count(*) FROM reports WHERE excerpt IS NOT NULL"),
	    0, "report excerpt blanked");
	is_int(raw_int("SELECT count(*) FROM reports"), 1, "the report itself "
	    "is still counted");
	is_int(raw_int("SELECT count(*) FROM events WHERE kind = 'note'"), 1,
	    "events of others naming jane's address or number go, the rest "
	    "stays");
	is_int(raw_int("SELECT count(*) FROM events WHERE kind = 'fallback'"), 0,
	    "fallback events on her phone gone");
	is_int(raw_int("SELECT count(*) FROM messages WHERE subject = '" SUBJECT
	    "'"), 0, "the subject of her message is gone");
	is_int(raw_int("SELECT count(*) FROM messages WHERE subject = "
	    "'Newsletter for everyone'"), 1, "a message also to max keeps its "
	    "subject");
	is_int(raw_int("SELECT count(*) FROM erased"), 3, "three erased rows");
	is_int(raw_int("SELECT count(*) FROM erased WHERE hash LIKE '%@%' OR "
	    "reason LIKE '%@%' OR reason LIKE '%4915%' OR length(hash) <> 64"),
	    0, "erased rows hold no address, only 64-digit hashes");

	/* nothing left in the files */
	is_int(count_in_db(JANE), 0, "the email is in neither the database "
	    "nor its -wal");
	is_int(count_in_db("491512345678"), 0, "nor the phone");
	is_int(count_in_db(SUBJECT), 0, "nor the subject");
	is_int(count_in_db(NAME), 0, "nor the name");

	/* still blocked */
	is_int(nf_store_email_state(s, JANE, &es), NF_STORE_OK, "email_state");
	ok(es.suppressed && !es.has_contact, "erased address still suppressed");
	is_str(es.suppress_reason, "erased contact: userunknown", "with its "
	    "reason");
	is_int(nf_store_phone_suppressed(s, JANE_PHONE, NF_CH_WHATSAPP, &yes),
	    NF_STORE_OK, "phone_suppressed");
	is_int(yes, 1, "whatsapp: suppressed before, still");
	nf_store_phone_suppressed(s, JANE_PHONE, NF_CH_SMS, &yes);
	is_int(yes, 1, "sms: consent revoked before, blocked still");
	nf_store_phone_suppressed(s, JANE_PHONE, NF_CH_VIBER, &yes);
	is_int(yes, 0, "viber: nothing before, nothing now");
	nf_store_phone_suppressed(s, "+491519999999", NF_CH_SMS, &yes);
	is_int(yes, 0, "another phone is not suppressed");
	nf_store_email_state(s, "someone@example.com", &es);
	ok(!es.suppressed && es.email_consent == NF_CONSENT_NONE, "an unknown "
	    "address is not blocked");
	nf_store_email_state(s, "max@example.com", &es);
	ok(!es.suppressed && es.has_contact, "max unchanged");

	/* the erased rows, for suppress list and remove */
	memset(&l, 0, sizeof l);
	is_int(nf_store_erased_each(s, list_fn, &l), NF_STORE_OK, "erased_each");
	is_int(l.n, 3, "three rows listed");
	ok(has_what(&l, "email userunknown") && has_what(&l, "sms "
	    NF_STORE_ERASED_REVOKED) && has_what(&l, "whatsapp manual"),
	    "channels and reasons listed");
	is_int(nf_store_erased_find(s, JANE, NF_CH_EMAIL, &e), NF_STORE_OK,
	    "erased_find by the clear address");
	is_int(nf_store_erased_find(s, JANE, NF_CH_VIBER, &e), NF_STORE_NOTFOUND,
	    "not on viber");
	is_int(nf_store_erase_key_check(s, &match), NF_STORE_OK, "key check");
	is_int(match, 1, "the key matches the one that wrote the rows");

	/* another key: no match, and the check says so */
	nf_store_erase_key_set(key2, sizeof key2 - 1);
	nf_store_email_state(s, JANE, &es);
	ok(!es.suppressed, "under another key the hash does not match");
	nf_store_erase_key_check(s, &match);
	is_int(match, 0, "key check tells the key changed");
	nf_store_erase_key_set(key1, sizeof key1 - 1);

	/* remove by prefix */
	nf_store_erased_find(s, JANE, NF_CH_EMAIL, &e);
	snprintf(pre, sizeof pre, "%.7s", e.hash);
	is_int(nf_store_erased_remove(s, pre, NF_CH_COUNT, &n),
	    NF_STORE_NOTFOUND, "7 hex digits are too few");
	is_int(nf_store_erased_remove(s, "zzzzzzzz", NF_CH_COUNT, &n),
	    NF_STORE_NOTFOUND, "not hex");
	snprintf(pre, sizeof pre, "%.8s", e.hash);
	pre[0] = (char)(pre[0] >= 'a' ? pre[0] - 32 : pre[0]);
	is_int(nf_store_erased_remove(s, pre, NF_CH_EMAIL, &n), NF_STORE_OK,
	    "remove erased:%s on email (%s)", pre, nf_store_errmsg(s));
	is_int(n, 1, "one row");
	nf_store_email_state(s, JANE, &es);
	ok(!es.suppressed, "no longer suppressed");
	is_int(raw_int("SELECT count(*) FROM events WHERE kind = 'suppress' AND "
	    "detail LIKE 'erased address erased:%no longer suppressed on email%'"),
	    1, "an event records it without the address");
	is_int(nf_store_erased_remove(s, pre, NF_CH_EMAIL, &n),
	    NF_STORE_NOTFOUND, "remove again: not found");

	/* erasing again: nothing known */
	is_int(nf_store_contact_erase(s, JANE, &res), NF_STORE_NOTFOUND,
	    "erasing again: nothing known (%s)", nf_store_errmsg(s));
	nf_store_close(s);
}

/* ---- revoked email, no contact, a caller's transaction ------------------------- */

static void
test_more(void)
{
	struct nf_erase_result res;
	struct nf_email_state es;
	struct nf_suppression sup;
	struct nf_contact c;
	struct nf_store *s = NULL;
	char err[1024];
	int rc;

	snprintf(dbpath, sizeof dbpath, "%s/more.db", tmpdir);
	rc = nf_store_open(dbpath, NF_STORE_CREATE, 2000, &s, err, sizeof err);
	if (rc != NF_STORE_OK) {
		ok(0, "open: %s", err);
		return;
	}
	nf_store_erase_key_set(key1, sizeof key1 - 1);
	/* empty erased table: an unknown address costs no hash */
	nf_store_email_state(s, "bob@example.com", &es);
	ok(!es.suppressed, "nothing erased yet");

	add_contact(s, &c, "bob@example.com", "", "Bob");
	nf_store_consent_set(s, c.id, NF_CH_EMAIL, NF_CONSENT_REVOKED,
	    "complaint:1abc", 0);
	is_int(nf_store_contact_erase(s, "bob@example.com", &res), NF_STORE_OK,
	    "erase bob, who complained");
	is_int(res.kept, 1, "one hash kept (email revoked)");
	nf_store_email_state(s, "bob@example.com", &es);
	ok(!es.suppressed && es.email_consent == NF_CONSENT_REVOKED &&
	    !es.has_contact, "an erased revocation reads as revoked");

	/* a suppressed address that never was a contact */
	set_sup(&sup, "stranger@example.net", NF_CH_EMAIL, "hasmoved");
	nf_store_suppress_add(s, &sup);
	event(s, "decision", NULL, "stranger@example.net", "suppressed",
	    "verdict=block");
	rc = nf_store_contact_erase(s, "stranger@example.net", &res);
	is_int(rc, NF_STORE_OK, "erase an address with no contact (%s)",
	    nf_store_errmsg(s));
	ok(res.contact_id == 0 && res.kept == 1, "no contact, one hash kept");
	nf_store_email_state(s, "stranger@example.net", &es);
	ok(es.suppressed, "still suppressed");
	is_int(raw_int("SELECT count(*) FROM events WHERE address = "
	    "'stranger@example.net' OR detail LIKE '%stranger%'"), 0,
	    "its events are gone");
	is_int(nf_store_contact_erase(s, "nobody@example.net", &res),
	    NF_STORE_NOTFOUND, "an address nothing knows: not found");

	/* whole addresses and numbers only */
	add_contact(s, &c, "ann@example.com", "+4930123456", "Ann");
	event(s, "note", NULL, "x@example.com", NULL, "to mary.ann@example.com");
	event(s, "note", NULL, "x@example.com", NULL, "to ann@example.community");
	event(s, "note", NULL, "x@example.com", NULL, "to ann+tag@example.com");
	event(s, "note", NULL, "x@example.com", NULL, "called 49301234567");
	event(s, "note", NULL, "x@example.com", NULL, "called 14930123456");
	event(s, "note", NULL, "x@example.com", NULL, "to <ANN@example.com>");
	event(s, "note", NULL, "x@example.com", NULL, "to=ann@example.com;");
	event(s, "note", NULL, "x@example.com", NULL, "sms 4930123456 sent");
	is_int(nf_store_contact_erase(s, "ann@example.com", &res), NF_STORE_OK,
	    "erase ann");
	is_int(raw_int("SELECT count(*) FROM events WHERE kind = 'note'"), 5,
	    "5 events naming longer addresses or numbers stay");
	is_int(raw_int("SELECT count(*) FROM events WHERE kind = 'note' AND "
	    "(detail LIKE '%<ANN@%' OR detail LIKE '%=ann@%' OR detail LIKE "
	    "'% 4930123456 %')"), 0, "the 3 naming hers (any case) go");

	/* bob (erased: revoked) and the stranger (erased: suppressed) come
	 * back as contacts: blocked as before, in clear, the hash gone */
	add_contact(s, &c, "bob@example.com", "", "Bob again");
	nf_store_email_state(s, "bob@example.com", &es);
	ok(es.has_contact && es.email_consent == NF_CONSENT_REVOKED,
	    "a returning contact's erased revocation is restored");
	add_contact(s, &c, "stranger@example.net", "", "");
	nf_store_email_state(s, "stranger@example.net", &es);
	ok(es.has_contact && es.suppressed && strcmp(es.suppress_reason,
	    "hasmoved") == 0, "a returning address's erased suppression is "
	    "restored (%s)", es.suppress_reason);
	is_int(raw_int("SELECT count(*) FROM erased"), 0, "their erased rows "
	    "are gone");

	/* inside the caller's transaction: no checkpoint, rolled back whole */
	add_contact(s, &c, "tx@example.com", "", "Tx");
	is_int(nf_store_begin(s), NF_STORE_OK, "begin");
	is_int(nf_store_contact_erase(s, "tx@example.com", &res), NF_STORE_OK,
	    "erase inside a transaction");
	ok(!res.checkpointed, "no checkpoint inside the caller's transaction");
	is_int(nf_store_rollback(s), NF_STORE_OK, "roll back");
	is_int(nf_store_contact_find(s, "tx@example.com", &c), NF_STORE_OK,
	    "the contact is back");
	is_int(nf_store_contact_remove(s, "tx@example.com"), NF_STORE_OK,
	    "contact_remove is the erasure");
	is_int(nf_store_contact_find(s, "tx@example.com", &c),
	    NF_STORE_NOTFOUND, "gone");
	nf_store_close(s);
}

/* ---- an erased address must not come back unblocked ------------------------- */

static void
test_comeback(void)
{
	struct nf_erase_result res;
	struct nf_email_state es;
	struct nf_suppression sup;
	struct nf_contact c, p;
	struct nf_store *s = NULL;
	char err[1024];
	int rc;

	snprintf(dbpath, sizeof dbpath, "%s/back.db", tmpdir);
	rc = nf_store_open(dbpath, NF_STORE_CREATE, 2000, &s, err, sizeof err);
	if (rc != NF_STORE_OK) {
		ok(0, "open: %s", err);
		return;
	}
	nf_store_erase_key_set(key1, sizeof key1 - 1);
	set_sup(&sup, "back@example.com", NF_CH_EMAIL, "userunknown");
	nf_store_suppress_add(s, &sup);
	add_contact(s, &c, "back@example.com", "", "Back");
	is_int(nf_store_contact_erase(s, "back@example.com", &res), NF_STORE_OK,
	    "erase back@ (suppressed)");

	/* a phone-only contact given the erased email by an update (contact
	 * import --merge) */
	add_contact(s, &p, "", "+4930555111", "Phone only");
	snprintf(p.email, sizeof p.email, "back@example.com");
	rc = nf_store_contact_update(s, &p);
	is_int(rc, NF_STORE_OK, "update a contact to the erased email (%s)",
	    rc ? nf_store_errmsg(s) : "ok");
	nf_store_email_state(s, "back@example.com", &es);
	ok(es.has_contact && es.suppressed, "the erased email given to a "
	    "contact by an update stays suppressed (has_contact %d, "
	    "suppressed %d)", es.has_contact, es.suppressed);

	/* without the key nothing can tell whether an address was erased:
	 * adding it would bypass its erased row, so it is refused */
	set_sup(&sup, "gone@example.com", NF_CH_EMAIL, "hasmoved");
	nf_store_suppress_add(s, &sup);
	is_int(nf_store_contact_erase(s, "gone@example.com", &res), NF_STORE_OK,
	    "erase gone@ (suppressed, no contact)");
	nf_store_erase_key_set(NULL, 0);
	memset(&c, 0, sizeof c);
	snprintf(c.email, sizeof c.email, "gone@example.com");
	rc = nf_store_contact_add(s, &c);
	is_int(rc, NF_STORE_ERR, "without the key, adding a contact while "
	    "erased rows exist is refused");
	ok(strstr(nf_store_errmsg(s), "SecretFile") != NULL, "and the message "
	    "names SecretFile: %s", nf_store_errmsg(s));
	is_int(nf_store_contact_find(s, "gone@example.com", &c),
	    NF_STORE_NOTFOUND, "nothing was added");
	nf_store_erase_key_set(key1, sizeof key1 - 1);
	nf_store_email_state(s, "gone@example.com", &es);
	ok(es.suppressed, "the daemon (with the key) still blocks it");
	nf_store_close(s);
}

/* ---- an IDN address: reports and logs may name it in U-labels ----------------- */

#define IDN_A "jane@xn--bcher-kva.de"
#define IDN_U "jane@b\303\274cher.de"

static void
test_idn(void)
{
	struct nf_erase_result res;
	struct nf_report_in r;
	struct nf_report_rcpt_in rr;
	struct nf_contact c;
	struct nf_store *s = NULL;
	char err[1024];
	int rc;

	snprintf(dbpath, sizeof dbpath, "%s/idn.db", tmpdir);
	rc = nf_store_open(dbpath, NF_STORE_CREATE, 2000, &s, err, sizeof err);
	if (rc != NF_STORE_OK) {
		ok(0, "open: %s", err);
		return;
	}
	nf_store_erase_key_set(key1, sizeof key1 - 1);
	/* the store key is the A-label form (addr.c); an SMTPUTF8 MTA logs
	 * and reports the address as the application wrote it */
	add_contact(s, &c, IDN_A, "", "Jane Umlaut");
	event(s, "delivery", NULL, IDN_A, "bounced",
	    "status=bounced (host mx said: 550 5.1.1 <" IDN_U ">: unknown)");
	memset(&r, 0, sizeof r);
	memset(&rr, 0, sizeof rr);
	r.kind = "dsn";
	r.token = "1eraseidnaaaaaaaaaaaaaaaaaaaaaaaa";
	r.env_recipient = "bounce+x@bounce.example";
	r.excerpt = "Final-Recipient: utf-8; " IDN_U "\r\nStatus: 5.1.1\r\n";
	r.time = 1700000003;
	rr.address = IDN_U;
	rr.action = "failed";
	rr.status = "5.1.1";
	rr.reason = "userunknown";
	rr.diagnostic = "550 5.1.1 <" IDN_U ">: unknown user";
	rr.policy = "bad";
	rr.outcome = "unauthenticated";
	rr.detail = "x";
	if (nf_store_report_add(s, &r, &rr, 1, NULL) != NF_STORE_OK)
		diag("report_add: %s", nf_store_errmsg(s));
	ok(count_in_db(IDN_U) > 0, "before: the U-label form is in the file");
	is_int(nf_store_contact_erase(s, IDN_A, &res), NF_STORE_OK,
	    "erase the IDN contact (%s)", nf_store_errmsg(s));
	is_int(raw_int("SELECT count(*) FROM report_recipients"), 0,
	    "its report rows (U-label address) are gone");
	is_int(raw_int("SELECT count(*) FROM events WHERE kind = 'delivery'"),
	    0, "its delivery event is gone");
	is_int(count_in_db(IDN_U), 0, "the U-label form is in neither the "
	    "database nor its -wal");
	nf_store_close(s);
}

static void
rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[700];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_key();
	test_erase();
	test_more();
	test_comeback();
	test_idn();
	nf_store_erase_key_set(NULL, 0);
	if (getenv("T_ERASE_KEEP") != NULL)	/* to look at the files */
		diag("files kept in %s", tmpdir);
	else
		rmtree(tmpdir);
	return tap_done();
}
