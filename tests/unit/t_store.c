/*
 * t_store.c - unit tests of the store (store.h) on its SQLite backend.
 *
 * Each test works in its own temporary directory under /tmp (mkdtemp),
 * removed at the end.  SQLite is used directly only to make files the
 * store must refuse (foreign, newer) and to look at what it wrote.
 *
 * Read-only files: root ignores file modes, so when run as root the
 * chmod tests run in a forked child that has dropped to uid/gid 65534
 * (nobody); the child's answers come back through its exit status.  The
 * NF_STORE_RDONLY open flag is tested as well, which works for any user.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "tap.h"

static char tmpdir[] = "/tmp/t_store.XXXXXX";
static char err[1024];

static const char *
path_of(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, name);
	return p[i];
}

static struct nf_store *
open_new(const char *name)
{
	struct nf_store *s = NULL;
	int rc = nf_store_open(path_of(name), NF_STORE_CREATE, 2000, &s, err,
	    sizeof err);

	if (rc != NF_STORE_OK)
		diag("open %s: rc %d: %s", name, rc, err);
	return s;
}

/* Run SQL on a file directly (tests only); returns the SQLite code. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
set_contact(struct nf_contact *c, const char *email, const char *phone,
    const char *name)
{
	memset(c, 0, sizeof *c);
	snprintf(c->email, sizeof c->email, "%s", email);
	snprintf(c->phone, sizeof c->phone, "%s", phone);
	snprintf(c->name, sizeof c->name, "%s", name);
}

static void
set_sup(struct nf_suppression *sup, const char *addr, enum nf_channel ch,
    const char *reason, int64_t t)
{
	memset(sup, 0, sizeof *sup);
	snprintf(sup->address, sizeof sup->address, "%s", addr);
	sup->channel = ch;
	snprintf(sup->reason, sizeof sup->reason, "%s", reason);
	snprintf(sup->source, sizeof sup->source, "test");
	snprintf(sup->evidence, sizeof sup->evidence, "ev-%s", reason);
	sup->time = t;
}

/* ---- names ---------------------------------------------------------------- */

static void
test_names(void)
{
	static const struct { const char *name; int ch; } t[] = {
		{ "email", NF_CH_EMAIL }, { "sms", NF_CH_SMS },
		{ "whatsapp", NF_CH_WHATSAPP }, { "viber", NF_CH_VIBER },
		{ "fax", -1 }, { "", -1 }, { "EMAIL", -1 },
	};
	enum nf_channel ch;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		int r = nf_channel_parse(t[i].name, &ch);

		is_int(r == 0 ? (int)ch : -1, t[i].ch, "channel parse \"%s\"",
		    t[i].name);
		if (t[i].ch >= 0)
			is_str(nf_channel_name(ch), t[i].name, "channel name %d",
			    t[i].ch);
	}
	is_str(nf_channel_name(NF_CH_COUNT), "unknown", "channel name out of "
	    "range");
	is_str(nf_consent_name(NF_CONSENT_NONE), "none", "consent none");
	is_str(nf_consent_name(NF_CONSENT_GRANTED), "granted", "consent granted");
	is_str(nf_consent_name(NF_CONSENT_REVOKED), "revoked", "consent revoked");
}

/* ---- opening ------------------------------------------------------------- */

static void
test_open(void)
{
	struct nf_store *s;
	struct nf_contact c;
	struct stat sb1, sb2;
	const char *p;
	int rc, v = 0;
	FILE *fp;

	/* new file: created at the current schema, marked as ours, WAL */
	s = open_new("new.db");
	ok(s != NULL, "create a new store");
	if (s == NULL)
		return;
	is_int(nf_store_schema_version(s, &v), NF_STORE_OK, "schema version");
	is_int(v, NF_STORE_SCHEMA_VERSION, "new store has the current schema");
	set_contact(&c, "keep@example.com", "", "Keep");
	is_int(nf_store_contact_add(s, &c), NF_STORE_OK, "add before reopen");
	nf_store_close(s);
	p = path_of("new.db");
	is_int(raw_int(p, "PRAGMA application_id"), 0x4e464c54,
	    "application_id marks the file as notifilter's");
	is_str(raw_int(p, "SELECT count(*) FROM pragma_journal_mode WHERE "
	    "journal_mode = 'wal'") == 1 ? "wal" : "other", "wal",
	    "journal mode is WAL");

	/* reopen: no migration, data kept */
	rc = nf_store_open(p, NF_STORE_CREATE, 2000, &s, err, sizeof err);
	is_int(rc, NF_STORE_OK, "reopen an existing store (%s)", err);
	if (rc == NF_STORE_OK) {
		is_int(nf_store_contact_find(s, "keep@example.com", &c),
		    NF_STORE_OK, "data survives a reopen");
		nf_store_close(s);
	}

	/* missing file without CREATE, missing directory */
	rc = nf_store_open(path_of("absent.db"), 0, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_ERR, "missing file without CREATE");
	ok(s == NULL, "no handle on failure");
	ok(access(path_of("absent.db"), F_OK) != 0, "missing file not created");
	rc = nf_store_open(path_of("nodir/x.db"), NF_STORE_CREATE, 100, &s,
	    err, sizeof err);
	is_int(rc, NF_STORE_ERR, "missing directory");
	ok(strstr(err, "nodir does not exist") != NULL, "message names the "
	    "missing directory: %s", err);

	/* a text file: refused, untouched */
	p = path_of("text.db");
	fp = fopen(p, "w");
	fputs("this is not a database, it is somebody's notes\n", fp);
	fclose(fp);
	stat(p, &sb1);
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_SCHEMA, "a non-SQLite file is refused");
	ok(strstr(err, "is not a notifilter database (file is not SQLite): "
	    "move it away or set Database to another path") != NULL &&
	    strstr(err, p) != NULL, "message says what to do: %s", err);
	stat(p, &sb2);
	ok(sb1.st_size == sb2.st_size && sb1.st_mtime == sb2.st_mtime,
	    "the non-SQLite file is unchanged");
	ok(access(path_of("text.db-wal"), F_OK) != 0, "no WAL made beside it");

	/* a directory where the file should be */
	rc = nf_store_open(tmpdir, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_SCHEMA, "a directory is refused");

	/* a foreign SQLite database: refused, nothing migrated */
	p = path_of("foreign.db");
	raw_exec(p, "CREATE TABLE accounts(x); INSERT INTO accounts VALUES (1)");
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_SCHEMA, "a foreign SQLite file is refused");
	ok(strstr(err, "another program") != NULL, "message says whose: %s",
	    err);
	is_int(raw_int(p, "SELECT count(*) FROM sqlite_schema"), 1,
	    "the foreign file got no tables");
	is_int(raw_int(p, "PRAGMA user_version"), 0, "nor a version");
	is_int(raw_int(p, "PRAGMA application_id"), 0, "nor our mark");
	is_int(raw_int(p, "SELECT count(*) FROM pragma_journal_mode WHERE "
	    "journal_mode = 'wal'"), 0, "nor a journal mode change");

	/* a foreign file with a version but no tables is not ours either */
	p = path_of("foreign2.db");
	raw_exec(p, "PRAGMA user_version = 3");
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_SCHEMA, "foreign user_version without our mark");

	/* a newer schema, written by a newer notifilter */
	p = path_of("newer.db");
	s = open_new("newer.db");
	nf_store_close(s);
	raw_exec(p, "PRAGMA user_version = 99");
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_SCHEMA, "a newer schema is refused");
	ok(strstr(err, "version 99") && strstr(err, "newer notifilter"),
	    "message names the version and says why: %s", err);
	is_int(raw_int(p, "PRAGMA user_version"), 99, "newer file untouched");

	/* an empty file: created with CREATE, refused without */
	p = path_of("empty.db");
	close(open(p, O_CREAT | O_WRONLY, 0644));
	rc = nf_store_open(p, 0, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_SCHEMA, "empty file without CREATE");
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_OK, "empty file with CREATE becomes a store (%s)",
	    err);
	if (rc == NF_STORE_OK)
		nf_store_close(s);

	/* an older schema is migrated forward: simulate version 0 of ours */
	p = path_of("old.db");
	raw_exec(p, "PRAGMA application_id = 1313229908");
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_OK, "our file at version 0 is migrated (%s)", err);
	if (rc == NF_STORE_OK) {
		nf_store_schema_version(s, &v);
		is_int(v, NF_STORE_SCHEMA_VERSION, "migrated to current");
		nf_store_close(s);
	}
}

/* ---- read-only ----------------------------------------------------------- */

/* In a child (as nobody when root): what a write to `path` answers. */
static int
child_write(const char *path, int expect_open)
{
	struct nf_store *s;
	struct nf_suppression sup;
	pid_t pid = fork();
	int status, rc;

	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 ||
		    setuid(65534) != 0))
			_exit(100);
		rc = nf_store_open(path, NF_STORE_CREATE, 200, &s, err,
		    sizeof err);
		if (rc != expect_open) {
			fprintf(stderr, "# child open: rc %d: %s\n", rc, err);
			_exit(101);
		}
		if (rc != NF_STORE_OK)
			_exit(strstr(err, path) ? 50 + rc : 102);
		set_sup(&sup, "ro@example.com", NF_CH_EMAIL, "test", 0);
		rc = nf_store_suppress_add(s, &sup);
		if (rc == NF_STORE_READONLY &&
		    strstr(nf_store_errmsg(s), path) == NULL)
			rc = 103;
		nf_store_close(s);
		_exit(rc);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_readonly(void)
{
	struct nf_store *s;
	struct nf_suppression sup;
	struct nf_email_state st;
	char dir[600];
	const char *p;
	int rc;

	/* NF_STORE_RDONLY: reads answer, writes say READONLY with the path */
	p = path_of("ro.db");
	s = open_new("ro.db");
	nf_store_close(s);
	rc = nf_store_open(p, NF_STORE_RDONLY, 100, &s, err, sizeof err);
	is_int(rc, NF_STORE_OK, "open read-only (%s)", err);
	if (rc == NF_STORE_OK) {
		is_int(nf_store_email_state(s, "a@example.com", &st),
		    NF_STORE_OK, "read-only handle answers lookups");
		set_sup(&sup, "a@example.com", NF_CH_EMAIL, "x", 0);
		is_int(nf_store_suppress_add(s, &sup), NF_STORE_READONLY,
		    "write on a read-only handle");
		ok(strstr(nf_store_errmsg(s), p) != NULL, "message names the "
		    "file: %s", nf_store_errmsg(s));
		nf_store_close(s);
	}

	/* file mode 0444 in a writable directory */
	snprintf(dir, sizeof dir, "%s/rodir", tmpdir);
	mkdir(dir, 0777);
	chmod(dir, 0777);
	chmod(tmpdir, 0755);
	p = path_of("rodir/file.db");
	rc = nf_store_open(p, NF_STORE_CREATE, 100, &s, err, sizeof err);
	nf_store_close(s);
	chmod(p, 0444);
	if (geteuid() == 0)
		diag("running as root: read-only checks run as uid 65534");
	is_int(child_write(p, NF_STORE_OK), NF_STORE_READONLY,
	    "write to a 0444 file gives READONLY naming the file");

	/* and a directory that is read-only too, with no -wal/-shm left
	 * (a read-only reader may leave them; then reads work as above) */
	unlink(path_of("rodir/file.db-wal"));
	unlink(path_of("rodir/file.db-shm"));
	chmod(dir, 0555);
	rc = child_write(p, NF_STORE_READONLY);
	is_int(rc, 50 + NF_STORE_READONLY, "0444 file in a 0555 directory: "
	    "READONLY at open, naming the file");

	/* creating a store in a read-only directory */
	is_int(child_write(path_of("rodir/new.db"), NF_STORE_READONLY),
	    50 + NF_STORE_READONLY, "create in a read-only directory");
	chmod(dir, 0755);
	chmod(p, 0644);
}

/* ---- contacts, consent ----------------------------------------------------- */

static void
test_contacts(struct nf_store *s, const char *path)
{
	struct nf_contact c, d, e;
	int64_t n = -1;
	enum nf_channel ch;

	set_contact(&c, "jane@example.com", "+4915112345678", "Jane Doe");
	c.consent[NF_CH_EMAIL].state = NF_CONSENT_GRANTED;
	snprintf(c.consent[NF_CH_EMAIL].source, NF_STORE_TEXT_MAX, "import:a:2");
	c.consent[NF_CH_SMS].state = NF_CONSENT_REVOKED;
	snprintf(c.consent[NF_CH_SMS].source, NF_STORE_TEXT_MAX, "ctl");
	c.consent[NF_CH_SMS].time = 1000;
	is_int(nf_store_contact_add(s, &c), NF_STORE_OK, "add a contact");
	ok(c.id > 0 && c.created > 0 && c.updated == c.created,
	    "id and times set (%lld)", (long long)c.id);
	is_int(c.consent[NF_CH_SMS].time, 1000, "given consent time kept");

	is_int(nf_store_contact_find(s, "jane@example.com", &d), NF_STORE_OK,
	    "find by email");
	is_int(d.id, c.id, "same id");
	is_str(d.phone, "+4915112345678", "phone read back");
	is_str(d.name, "Jane Doe", "name read back");
	is_int(d.consent[NF_CH_EMAIL].state, NF_CONSENT_GRANTED, "email consent");
	is_str(d.consent[NF_CH_EMAIL].source, "import:a:2", "consent source");
	is_int(d.consent[NF_CH_SMS].state, NF_CONSENT_REVOKED, "sms consent");
	is_int(d.consent[NF_CH_WHATSAPP].state, NF_CONSENT_NONE, "no whatsapp");
	is_int(d.consent[NF_CH_WHATSAPP].time, 0, "no time for none");
	is_int(nf_store_contact_find(s, "+4915112345678", &d), NF_STORE_OK,
	    "find by phone");
	is_int(d.id, c.id, "same contact by phone");
	is_int(nf_store_contact_find(s, "nobody@example.com", &d),
	    NF_STORE_NOTFOUND, "unknown email");
	is_int(nf_store_contact_find(s, "+1555", &d), NF_STORE_NOTFOUND,
	    "unknown phone");
	is_int(nf_store_contact_find(s, "", &d), NF_STORE_NOTFOUND, "empty key");

	/* conflicts, each named */
	set_contact(&d, "jane@example.com", "", "Other");
	is_int(nf_store_contact_add(s, &d), NF_STORE_CONFLICT, "same email");
	ok(strstr(nf_store_errmsg(s), "email jane@example.com already belongs")
	    != NULL, "conflict names the email: %s", nf_store_errmsg(s));
	set_contact(&d, "other@example.com", "+4915112345678", "Other");
	is_int(nf_store_contact_add(s, &d), NF_STORE_CONFLICT, "same phone");
	ok(strstr(nf_store_errmsg(s), "phone +4915112345678 already belongs")
	    != NULL, "conflict names the phone: %s", nf_store_errmsg(s));
	is_int(nf_store_contact_find(s, "other@example.com", &e),
	    NF_STORE_NOTFOUND, "a refused add leaves nothing");

	/* absent values are NULL: two contacts without phone are fine */
	set_contact(&d, "nophone1@example.com", "", "");
	is_int(nf_store_contact_add(s, &d), NF_STORE_OK, "no phone (1)");
	set_contact(&e, "nophone2@example.com", "", "");
	is_int(nf_store_contact_add(s, &e), NF_STORE_OK, "no phone (2)");
	set_contact(&e, "", "+4930123456", "");
	is_int(nf_store_contact_add(s, &e), NF_STORE_OK, "phone only");
	is_int(raw_int(path, "SELECT count(*) FROM contacts WHERE phone = '' "
	    "OR email = '' OR name = ''"), 0, "no empty strings stored");
	set_contact(&e, "", "", "Nobody");
	is_int(nf_store_contact_add(s, &e), NF_STORE_ERR, "neither email nor "
	    "phone is refused");
	set_contact(&e, "x@example.com", "", "");
	memset(e.name, 'n', sizeof e.name);
	is_int(nf_store_contact_add(s, &e), NF_STORE_ERR, "unterminated name "
	    "is refused, not cut");

	is_int(nf_store_contact_count(s, &n), NF_STORE_OK, "count");
	is_int(n, 4, "four contacts");

	/* update: email change moves the hot-path row along */
	d.consent[NF_CH_EMAIL].state = NF_CONSENT_REVOKED;
	snprintf(d.email, sizeof d.email, "renamed@example.com");
	snprintf(d.name, sizeof d.name, "Renamed");
	is_int(nf_store_contact_update(s, &d), NF_STORE_OK, "update");
	is_int(nf_store_contact_find(s, "nophone1@example.com", &e),
	    NF_STORE_NOTFOUND, "old email gone");
	is_int(nf_store_contact_find(s, "renamed@example.com", &e), NF_STORE_OK,
	    "new email found");
	is_str(e.name, "Renamed", "new name");
	is_int(e.consent[NF_CH_EMAIL].state, NF_CONSENT_REVOKED, "new consent");
	snprintf(d.email, sizeof d.email, "jane@example.com");
	is_int(nf_store_contact_update(s, &d), NF_STORE_CONFLICT, "update into "
	    "another contact's email");
	is_int(nf_store_contact_find(s, "renamed@example.com", &e), NF_STORE_OK,
	    "refused update changed nothing");
	e.id = 999999;
	is_int(nf_store_contact_update(s, &e), NF_STORE_NOTFOUND, "update of "
	    "an unknown id");

	/* consent_set */
	is_int(nf_store_consent_set(s, c.id, NF_CH_VIBER, NF_CONSENT_GRANTED,
	    "ctl", 2000), NF_STORE_OK, "grant viber");
	is_int(nf_store_consent_set(s, c.id, NF_CH_SMS, NF_CONSENT_NONE, "ctl",
	    0), NF_STORE_OK, "clear sms");
	nf_store_contact_find(s, "jane@example.com", &d);
	is_int(d.consent[NF_CH_VIBER].state, NF_CONSENT_GRANTED, "viber set");
	is_int(d.consent[NF_CH_VIBER].time, 2000, "viber time");
	is_int(d.consent[NF_CH_SMS].state, NF_CONSENT_NONE, "sms cleared");
	is_int(nf_store_consent_set(s, 999999, NF_CH_EMAIL, NF_CONSENT_GRANTED,
	    "ctl", 0), NF_STORE_NOTFOUND, "consent of an unknown contact");
	ch = (enum nf_channel)7;
	is_int(nf_store_consent_set(s, c.id, ch, NF_CONSENT_GRANTED, "ctl", 0),
	    NF_STORE_ERR, "consent on an unknown channel");
}

/* ---- suppressions ---------------------------------------------------------- */

struct walk {
	int n, stop_at;
	char seen[8][300];
};

static int
walk_sup(const struct nf_suppression *sup, void *arg)
{
	struct walk *w = arg;

	if (w->n < 8)
		snprintf(w->seen[w->n], sizeof w->seen[0], "%s/%s",
		    sup->address, nf_channel_name(sup->channel));
	w->n++;
	return w->n == w->stop_at ? 42 : 0;
}

static void
test_suppress(struct nf_store *s)
{
	struct nf_suppression sup, got;
	struct walk w;

	set_sup(&sup, "bounced@example.com", NF_CH_EMAIL, "userunknown", 300);
	is_int(nf_store_suppress_add(s, &sup), NF_STORE_OK, "suppress");
	set_sup(&sup, "+4915100000001", NF_CH_SMS, "stop", 100);
	is_int(nf_store_suppress_add(s, &sup), NF_STORE_OK, "suppress a phone");
	set_sup(&sup, "older@example.com", NF_CH_EMAIL, "hostunknown", 200);
	is_int(nf_store_suppress_add(s, &sup), NF_STORE_OK, "suppress another");

	is_int(nf_store_suppress_find(s, "bounced@example.com", NF_CH_EMAIL,
	    &got), NF_STORE_OK, "find");
	is_str(got.reason, "userunknown", "reason");
	is_str(got.source, "test", "source");
	is_str(got.evidence, "ev-userunknown", "evidence");
	is_int(got.time, 300, "time");
	is_int(got.channel, NF_CH_EMAIL, "channel");
	is_int(nf_store_suppress_find(s, "bounced@example.com", NF_CH_SMS, &got),
	    NF_STORE_NOTFOUND, "other channel is not suppressed");

	/* refresh: same key, new fields, still one row */
	set_sup(&sup, "bounced@example.com", NF_CH_EMAIL, "hasmoved", 400);
	is_int(nf_store_suppress_add(s, &sup), NF_STORE_OK, "refresh");
	nf_store_suppress_find(s, "bounced@example.com", NF_CH_EMAIL, &got);
	is_str(got.reason, "hasmoved", "refreshed reason");
	is_int(got.time, 400, "refreshed time");

	memset(&w, 0, sizeof w);
	is_int(nf_store_suppress_each(s, walk_sup, &w), 0, "walk all");
	is_int(w.n, 3, "three suppressions");
	is_str(w.seen[0], "+4915100000001/sms", "oldest first");
	is_str(w.seen[1], "older@example.com/email", "then the next");
	is_str(w.seen[2], "bounced@example.com/email", "refreshed is newest");
	memset(&w, 0, sizeof w);
	w.stop_at = 2;
	is_int(nf_store_suppress_each(s, walk_sup, &w), 42, "walk stops with "
	    "the callback's value");
	is_int(w.n, 2, "after two");

	is_int(nf_store_suppress_remove(s, "older@example.com", NF_CH_EMAIL),
	    NF_STORE_OK, "remove");
	is_int(nf_store_suppress_remove(s, "older@example.com", NF_CH_EMAIL),
	    NF_STORE_NOTFOUND, "remove again");
	is_int(nf_store_suppress_find(s, "older@example.com", NF_CH_EMAIL, &got),
	    NF_STORE_NOTFOUND, "removed is gone");
	set_sup(&sup, "", NF_CH_EMAIL, "x", 0);
	is_int(nf_store_suppress_add(s, &sup), NF_STORE_ERR, "empty address");
}

/* ---- the hot path: every combination ----------------------------------- */

static void
test_email_state(struct nf_store *s)
{
	static const struct {
		const char *email;
		int contact;		/* add a contact first */
		enum nf_consent consent;
		int suppress;
		int want_contact;
		enum nf_consent want_consent;
		int want_suppressed;
	} t[] = {
		{ "u0@state.test", 0, 0, 0, 0, NF_CONSENT_NONE, 0 },
		{ "u1@state.test", 0, 0, 1, 0, NF_CONSENT_NONE, 1 },
		{ "u2@state.test", 1, NF_CONSENT_NONE, 0, 1, NF_CONSENT_NONE, 0 },
		{ "u3@state.test", 1, NF_CONSENT_NONE, 1, 1, NF_CONSENT_NONE, 1 },
		{ "u4@state.test", 1, NF_CONSENT_GRANTED, 0, 1,
		    NF_CONSENT_GRANTED, 0 },
		{ "u5@state.test", 1, NF_CONSENT_GRANTED, 1, 1,
		    NF_CONSENT_GRANTED, 1 },
		{ "u6@state.test", 1, NF_CONSENT_REVOKED, 0, 1,
		    NF_CONSENT_REVOKED, 0 },
		{ "u7@state.test", 1, NF_CONSENT_REVOKED, 1, 1,
		    NF_CONSENT_REVOKED, 1 },
	};
	struct nf_contact c;
	struct nf_suppression sup;
	struct nf_email_state st;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (t[i].contact) {
			set_contact(&c, t[i].email, "", "");
			c.consent[NF_CH_EMAIL].state = t[i].consent;
			if (nf_store_contact_add(s, &c) != NF_STORE_OK)
				diag("add %s: %s", t[i].email,
				    nf_store_errmsg(s));
		}
		if (t[i].suppress) {
			set_sup(&sup, t[i].email, NF_CH_EMAIL, "userunknown", 0);
			nf_store_suppress_add(s, &sup);
		}
		/* a phone suppression of the same text must not count */
		set_sup(&sup, t[i].email, NF_CH_SMS, "stop", 0);
		nf_store_suppress_add(s, &sup);
		memset(&st, 0x55, sizeof st);
		is_int(nf_store_email_state(s, t[i].email, &st), NF_STORE_OK,
		    "state of %s", t[i].email);
		is_int(st.has_contact, t[i].want_contact, "%s has_contact",
		    t[i].email);
		is_int(st.email_consent, t[i].want_consent, "%s consent",
		    t[i].email);
		is_int(st.suppressed, t[i].want_suppressed, "%s suppressed",
		    t[i].email);
		is_str(st.suppress_reason, t[i].want_suppressed ?
		    "userunknown" : "", "%s reason", t[i].email);
	}

	/* the denormalised row follows every later write */
	nf_store_contact_find(s, "u4@state.test", &c);
	nf_store_consent_set(s, c.id, NF_CH_EMAIL, NF_CONSENT_REVOKED, "arf", 0);
	nf_store_email_state(s, "u4@state.test", &st);
	is_int(st.email_consent, NF_CONSENT_REVOKED, "revoke is seen at once");
	nf_store_consent_set(s, c.id, NF_CH_EMAIL, NF_CONSENT_NONE, "ctl", 0);
	nf_store_email_state(s, "u4@state.test", &st);
	is_int(st.email_consent, NF_CONSENT_NONE, "cleared consent is none");
	/* erasure keeps a suppression only as a keyed hash: no key, no
	 * erasure (tests/unit/t_erase.c tests the rest) */
	is_int(nf_store_contact_remove(s, "u7@state.test"), NF_STORE_ERR,
	    "erasing a suppressed contact needs the erasure key");
	nf_store_erase_key_set((const unsigned char *)"t_store erasure key",
	    19);
	is_int(nf_store_contact_remove(s, "u7@state.test"), NF_STORE_OK,
	    "erased with the key (%s)", nf_store_errmsg(s));
	nf_store_email_state(s, "u7@state.test", &st);
	ok(!st.has_contact && st.email_consent == NF_CONSENT_NONE &&
	    st.suppressed, "removed contact: suppression stays, rest goes");
	nf_store_erase_key_set(NULL, 0);
	nf_store_suppress_remove(s, "u1@state.test", NF_CH_EMAIL);
	nf_store_email_state(s, "u1@state.test", &st);
	ok(!st.has_contact && !st.suppressed, "unsuppressed: nothing left");
	nf_store_suppress_remove(s, "u5@state.test", NF_CH_EMAIL);
	nf_store_email_state(s, "u5@state.test", &st);
	ok(st.has_contact && st.email_consent == NF_CONSENT_GRANTED &&
	    !st.suppressed, "unsuppressed contact keeps its consent");
	set_sup(&sup, "u6@state.test", NF_CH_EMAIL, "mailboxfull", 0);
	nf_store_suppress_add(s, &sup);
	nf_store_email_state(s, "u6@state.test", &st);
	is_str(st.suppress_reason, "mailboxfull", "refreshed reason on the hot "
	    "path");
}

/* ---- events and erasure -------------------------------------------------- */

struct evlog {
	int n;
	char line[16][160];
};

static int
walk_ev(const struct nf_event *ev, void *arg)
{
	struct evlog *l = arg;

	if (l->n < 16)
		snprintf(l->line[l->n], sizeof l->line[0], "%lld %s %s %s %s",
		    (long long)ev->time, ev->kind, ev->rule ? ev->rule : "-",
		    ev->queue_id ? ev->queue_id : "-",
		    ev->detail ? ev->detail : "-");
	l->n++;
	return 0;
}

static void
test_events(struct nf_store *s, const char *path)
{
	struct nf_event ev[3] = {
		{ 500, "decision", "Q2", "tok2", "ev@example.com", "suppressed",
		    "second" },
		{ 100, "decision", "Q1", "tok1", "ev@example.com", "consent-granted",
		    "first" },
		{ 500, "decision", "Q3", NULL, "ev@example.com", "default-consent-yes",
		    "third" },
	};
	struct nf_event big = { 600, "decision", NULL, NULL, "ev@example.com",
	    NULL, NULL };
	struct nf_contact c;
	struct evlog l;
	char *detail;
	long long id;

	is_int(nf_store_event_add(s, &ev[0]), NF_STORE_OK, "add an event");
	is_int(nf_store_event_add_many(s, ev + 1, 2), NF_STORE_OK, "add many");
	detail = malloc(10000);
	memset(detail, 'x', 9999);
	detail[9999] = '\0';
	big.detail = detail;
	is_int(nf_store_event_add(s, &big), NF_STORE_OK, "an oversized detail "
	    "is kept, cut");
	free(detail);
	memset(&l, 0, sizeof l);
	is_int(nf_store_event_each(s, "ev@example.com", walk_ev, &l), 0, "walk");
	is_int(l.n, 4, "four events");
	is_str(l.line[0], "100 decision consent-granted Q1 first", "time order");
	is_str(l.line[1], "500 decision suppressed Q2 second", "ties in "
	    "insertion order");
	is_str(l.line[2], "500 decision default-consent-yes Q3 third", "third");
	is_int(raw_int(path, "SELECT length(detail) FROM events WHERE time = 600"
	    " AND detail LIKE '%...[cut]'"), 4096, "cut visibly at 4096 bytes");
	ev[0].kind = NULL;
	is_int(nf_store_event_add(s, &ev[0]), NF_STORE_ERR, "event without "
	    "a kind");

	/* with erased rows in the store and no key, a new contact could be
	 * an erased address coming back unblocked: refused, nothing written */
	set_contact(&c, "tl@example.com", "+4917000000001", "Tim Line");
	is_int(nf_store_contact_add(s, &c), NF_STORE_ERR,
	    "adding a contact with erased rows and no erasure key is refused");
	ok(strstr(nf_store_errmsg(s), "SecretFile") != NULL,
	    "and the message names SecretFile: %s", nf_store_errmsg(s));
	nf_store_erase_key_set((const unsigned char *)"t_store erasure key",
	    19);

	/* writes record their own events */
	set_contact(&c, "tl@example.com", "+4917000000001", "Tim Line");
	c.consent[NF_CH_EMAIL].state = NF_CONSENT_GRANTED;
	snprintf(c.consent[NF_CH_EMAIL].source, NF_STORE_TEXT_MAX, "ctl");
	nf_store_contact_add(s, &c);
	nf_store_consent_set(s, c.id, NF_CH_SMS, NF_CONSENT_GRANTED, "web", 0);
	memset(&l, 0, sizeof l);
	nf_store_event_each(s, "tl@example.com", walk_ev, &l);
	is_int(l.n, 2, "contact + email consent on the email timeline");
	ok(l.n >= 2 && strstr(l.line[0], " contact ") &&
	    strstr(l.line[1], "email consent granted (was none; source ctl)"),
	    "timeline says what changed: [%s] [%s]", l.line[0], l.line[1]);
	memset(&l, 0, sizeof l);
	nf_store_event_each(s, "+4917000000001", walk_ev, &l);
	ok(l.n == 1 && strstr(l.line[0], "sms consent granted (was none; "
	    "source web)"), "sms consent on the phone's timeline (%d)", l.n);

	/* erasure */
	ev[0].kind = "decision";
	ev[0].address = "tl@example.com";
	nf_store_event_add(s, &ev[0]);
	id = c.id;
	is_int(nf_store_contact_remove(s, "+4917000000001"), NF_STORE_OK,
	    "remove by phone");
	is_int(nf_store_contact_find(s, "tl@example.com", &c),
	    NF_STORE_NOTFOUND, "contact gone");
	memset(&l, 0, sizeof l);
	nf_store_event_each(s, "tl@example.com", walk_ev, &l);
	is_int(l.n, 0, "email timeline erased");
	memset(&l, 0, sizeof l);
	nf_store_event_each(s, "+4917000000001", walk_ev, &l);
	is_int(l.n, 0, "phone timeline erased");
	is_int(raw_int(path, "SELECT count(*) FROM consent WHERE contact_id NOT "
	    "IN (SELECT id FROM contacts)"), 0, "no orphan consent rows");
	is_int(raw_int(path, "SELECT count(*) FROM events WHERE detail LIKE "
	    "'%Tim Line%' OR detail LIKE '%tl@example.com%'"), 0,
	    "no personal data left in events");
	ok(raw_int(path, "SELECT count(*) FROM events WHERE address IS NULL AND "
	    "detail LIKE 'contact #% erased%'") >= 1, "the erasure is recorded "
	    "without personal data (contact #%lld)", id);
	is_int(nf_store_contact_remove(s, "tl@example.com"), NF_STORE_NOTFOUND,
	    "remove again");
}

/* ---- transactions, busy ---------------------------------------------------- */

static void
test_tx(struct nf_store *s)
{
	struct nf_contact c;

	is_int(nf_store_commit(s), NF_STORE_ERR, "commit without begin");
	is_int(nf_store_begin(s), NF_STORE_OK, "begin");
	set_contact(&c, "tx1@example.com", "", "");
	nf_store_contact_add(s, &c);
	is_int(nf_store_rollback(s), NF_STORE_OK, "rollback");
	is_int(nf_store_contact_find(s, "tx1@example.com", &c),
	    NF_STORE_NOTFOUND, "rolled back add is gone");

	/* import style: a conflict inside keeps the outer transaction */
	nf_store_begin(s);
	set_contact(&c, "tx2@example.com", "", "");
	nf_store_contact_add(s, &c);
	set_contact(&c, "tx2@example.com", "", "dup");
	is_int(nf_store_contact_add(s, &c), NF_STORE_CONFLICT, "conflict in tx");
	set_contact(&c, "tx3@example.com", "", "");
	is_int(nf_store_contact_add(s, &c), NF_STORE_OK, "tx goes on");
	/* nested: inner rollback undoes only the inner part */
	is_int(nf_store_begin(s), NF_STORE_OK, "nested begin");
	set_contact(&c, "tx4@example.com", "", "");
	nf_store_contact_add(s, &c);
	is_int(nf_store_rollback(s), NF_STORE_OK, "inner rollback");
	is_int(nf_store_commit(s), NF_STORE_OK, "outer commit");
	is_int(nf_store_contact_find(s, "tx2@example.com", &c), NF_STORE_OK,
	    "committed (1)");
	is_str(c.name, "", "the conflicting add left nothing");
	is_int(nf_store_contact_find(s, "tx3@example.com", &c), NF_STORE_OK,
	    "committed (2)");
	is_int(nf_store_contact_find(s, "tx4@example.com", &c),
	    NF_STORE_NOTFOUND, "inner rollback held");
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_busy(const char *path)
{
	struct nf_store *a = NULL, *b = NULL;
	struct nf_suppression sup;
	struct nf_email_state st;
	double t0, dt;
	int rc;

	nf_store_open(path, 0, 2000, &a, err, sizeof err);
	nf_store_open(path, 0, 300, &b, err, sizeof err);
	ok(a && b, "two handles");
	if (!a || !b)
		goto out;
	is_int(nf_store_begin(a), NF_STORE_OK, "first holds a write lock");
	set_sup(&sup, "busy@example.com", NF_CH_EMAIL, "x", 0);
	t0 = mono();
	rc = nf_store_suppress_add(b, &sup);
	dt = mono() - t0;
	is_int(rc, NF_STORE_BUSY, "second handle's write is BUSY");
	ok(dt >= 0.25 && dt < 3.0, "after about busy_ms (%.3f s)", dt);
	ok(strstr(nf_store_errmsg(b), "retry") != NULL, "message: %s",
	    nf_store_errmsg(b));
	is_int(nf_store_email_state(b, "busy@example.com", &st), NF_STORE_OK,
	    "reads go on during the write (WAL)");
	nf_store_rollback(a);
	is_int(nf_store_suppress_add(b, &sup), NF_STORE_OK, "write after the "
	    "lock is gone");
out:
	nf_store_close(a);
	nf_store_close(b);
}

/* email_state's snapshot: at most NF_STORE_SNAPSHOT_MS old, ended by any
 * other call, never a reason for a write to fail */
static void
test_snapshot(const char *path)
{
	struct nf_store *a = NULL, *b = NULL;
	struct nf_suppression sup, got;
	struct nf_email_state st;

	nf_store_open(path, 0, 2000, &a, err, sizeof err);
	nf_store_open(path, 0, 2000, &b, err, sizeof err);
	ok(a && b, "two handles for the snapshot");
	if (!a || !b)
		goto out;
	nf_store_email_state(a, "snap1@example.com", &st);
	set_sup(&sup, "snap1@example.com", NF_CH_EMAIL, "s1", 0);
	nf_store_suppress_add(b, &sup);
	is_int(nf_store_suppress_find(a, "snap1@example.com", NF_CH_EMAIL,
	    &got), NF_STORE_OK, "another call reads current data");
	nf_store_email_state(a, "snap1@example.com", &st);
	ok(st.suppressed, "and the next lookup too");

	nf_store_email_state(a, "snap2@example.com", &st);
	set_sup(&sup, "snap2@example.com", NF_CH_EMAIL, "s2", 0);
	nf_store_suppress_add(b, &sup);
	usleep((NF_STORE_SNAPSHOT_MS + 20) * 1000);
	nf_store_email_state(a, "snap2@example.com", &st);
	ok(st.suppressed, "a lookup sees a change after NF_STORE_SNAPSHOT_MS");

	nf_store_email_state(a, "snap3@example.com", &st);
	set_sup(&sup, "snap3@example.com", NF_CH_EMAIL, "s3", 0);
	nf_store_suppress_add(b, &sup);
	set_sup(&sup, "snap4@example.com", NF_CH_EMAIL, "s4", 0);
	is_int(nf_store_suppress_add(a, &sup), NF_STORE_OK, "a write after a "
	    "lookup on an older snapshot is not refused");
	nf_store_email_state(a, "snap3@example.com", &st);
	is_int(nf_store_begin(a), NF_STORE_OK, "begin after a lookup");
	nf_store_email_state(a, "snap3@example.com", &st);
	ok(st.suppressed, "lookups inside a transaction read it");
	is_int(nf_store_commit(a), NF_STORE_OK, "commit");
	nf_store_email_state(a, "snap3@example.com", &st);
	nf_store_release(a);
	nf_store_release(a);
	ok(1, "release twice is harmless");
out:
	nf_store_close(a);
	nf_store_close(b);
}

/*
 * A lookup that fails (the policy table renamed away under a running
 * daemon) must not leave the handle inside a transaction: writes made on it
 * afterwards were reported as stored and were never committed.
 */
static void
test_failed_lookup(const char *path)
{
	struct nf_store *a = NULL, *b = NULL;
	struct nf_suppression sup, got;
	struct nf_email_state st;
	int rc;

	nf_store_open(path, 0, 500, &a, err, sizeof err);
	ok(a != NULL, "a handle for the failed-lookup case");
	if (a == NULL)
		return;
	nf_store_email_state(a, "fl0@example.com", &st);
	is_int(raw_exec(path, "ALTER TABLE email_policy RENAME TO email_policy_away"),
	    SQLITE_OK, "the policy table is renamed away by another process");
	usleep((NF_STORE_SNAPSHOT_MS + 20) * 1000);	/* past the snapshot */
	rc = nf_store_email_state(a, "fl1@example.com", &st);
	ok(rc == NF_STORE_ERR || rc == NF_STORE_BUSY, "the lookup fails (rc %d)", rc);
	ok(nf_store_idle(a), "the handle is left with no transaction open");
	/* a handle that never prepared the lookup fails earlier, at prepare */
	nf_store_open(path, 0, 500, &b, err, sizeof err);
	rc = b ? nf_store_email_state(b, "fl2@example.com", &st) : -1;
	ok(rc == NF_STORE_ERR || rc == NF_STORE_BUSY, "a fresh handle's lookup fails (rc %d)", rc);
	ok(b && nf_store_idle(b), "and leaves no transaction open either");
	is_int(raw_exec(path, "ALTER TABLE email_policy_away RENAME TO email_policy"),
	    SQLITE_OK, "the table comes back");
	set_sup(&sup, "fl3@example.com", NF_CH_EMAIL, "after", 0);
	is_int(nf_store_suppress_add(a, &sup), NF_STORE_OK, "a write on the first handle");
	set_sup(&sup, "fl4@example.com", NF_CH_EMAIL, "after", 0);
	is_int(b ? nf_store_suppress_add(b, &sup) : -1, NF_STORE_OK, "a write on the second");
	is_int(raw_int(path, "SELECT count(*) FROM suppressions WHERE address IN "
	    "('fl3@example.com', 'fl4@example.com')"),
	    2, "both are committed: another connection sees them");
	is_int(nf_store_suppress_find(a, "fl4@example.com", NF_CH_EMAIL, &got),
	    NF_STORE_OK, "and the handles read each other's");
	nf_store_close(a);
	nf_store_close(b);
}

/*
 * Does any other process hold a lock on the file?  Asked from a forked
 * child (a process never sees its own POSIX locks); the child uses no
 * SQLite, so the parent's state does not matter.  1 yes, 0 no, -1 error.
 */
static int
locked_by_other(const char *path)
{
	struct flock fl;
	pid_t pid;
	int fd, st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
			_exit(2);
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;	/* conflicts with any lock */
		fl.l_whence = SEEK_SET;	/* l_start 0, l_len 0: whole file */
		if (fcntl(fd, F_GETLK, &fl) != 0)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > 1)
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Opening one more handle must not cost the open ones their lock on the
 * file.  POSIX drops every lock a process holds on a file when it closes
 * any descriptor of it; SQLite's own descriptors are closed with care, but
 * a plain open()/close() of the database (to look at its header) dropped
 * them.  Then a sqlite3 session of another process, believing itself the
 * last user, checkpointed and deleted the -wal file at its exit, and the
 * daemon's later commits went into that deleted file: reported as
 * written, seen by nobody (the milter test's "after the store error").
 */
static void
test_open_keeps_locks(const char *path)
{
	struct nf_store *a = NULL, *b = NULL;
	struct nf_suppression sup;

	nf_store_open(path, 0, 500, &a, err, sizeof err);
	ok(a != NULL, "a handle for the lock case");
	if (a == NULL)
		return;
	set_sup(&sup, "lk1@example.com", NF_CH_EMAIL, "lock", 0);
	is_int(nf_store_suppress_add(a, &sup), NF_STORE_OK,
	    "a write: the handle now holds its WAL-mode lock");
	is_int(locked_by_other(path), 1, "another process sees the file locked");
	nf_store_open(path, 0, 500, &b, err, sizeof err);
	ok(b != NULL, "a second handle opens (%s)", err);
	is_int(locked_by_other(path), 1, "after opening a second handle the "
	    "file is still locked (0: the open dropped the process's locks, "
	    "so another process's exit would delete the -wal file in use)");
	nf_store_close(b);	/* as the pool closes a broken handle */
	is_int(locked_by_other(path), 1, "and after closing the second handle");
	nf_store_close(a);
}

/* ---- pool ------------------------------------------------------------------ */

struct worker {
	struct nf_store_pool *pool;
	int id, failures, done;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct nf_store *s;
	struct nf_suppression sup;
	struct nf_email_state st;
	char addr[64];
	int i, rc;

	for (i = 0; i < 200; i++) {
		snprintf(addr, sizeof addr, "w%d-%d@pool.test", w->id, i);
		if (nf_store_pool_get(w->pool, &s) != NF_STORE_OK) {
			w->failures++;
			continue;
		}
		if (i % 10 == 0) {
			set_sup(&sup, addr, NF_CH_EMAIL, "pool", 0);
			rc = nf_store_suppress_add(s, &sup);
		} else
			rc = nf_store_email_state(s, addr, &st);
		if (rc != NF_STORE_OK)
			w->failures++;
		else
			w->done++;
		nf_store_pool_put(w->pool, s, i == 50 && w->id == 0);
	}
	return NULL;
}

static void
test_pool(const char *path)
{
	struct nf_store_pool *p;
	struct nf_store *s1, *s2;
	struct worker w[4];
	pthread_t th[4];
	struct nf_email_state st;
	char msg[1024];
	double t0;
	int i, rc, total = 0, failures = 0;

	rc = nf_store_pool_new(path, 5000, 2, &p, err, sizeof err);
	is_int(rc, NF_STORE_OK, "pool (%s)", err);
	if (rc != NF_STORE_OK)
		return;
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .pool = p, .id = i };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += w[i].done;
		failures += w[i].failures;
	}
	is_int(failures, 0, "no failures from 4 threads on 2 handles");
	is_int(total, 800, "every call answered");
	nf_store_pool_get(p, &s1);
	nf_store_email_state(s1, "w3-190@pool.test", &st);
	ok(st.suppressed, "writes from the threads are visible");
	nf_store_pool_put(p, s1, 0);
	nf_store_pool_free(p);

	/* bounded wait: one handle, borrowed, a second get gives BUSY */
	nf_store_pool_new(path, 200, 1, &p, err, sizeof err);
	is_int(nf_store_pool_get(p, &s1), NF_STORE_OK, "borrow the only one");
	t0 = mono();
	is_int(nf_store_pool_get(p, &s2), NF_STORE_BUSY, "none left: BUSY");
	ok(mono() - t0 >= 0.15, "after waiting about busy_ms");
	ok(strstr(nf_store_pool_errmsg(p, msg, sizeof msg), "busy") != NULL,
	    "pool says why: %s", msg);
	/* a handle returned with an open transaction is not reused as is */
	nf_store_begin(s1);
	nf_store_pool_put(p, s1, 0);
	is_int(nf_store_pool_get(p, &s1), NF_STORE_OK, "get again");
	is_int(nf_store_begin(s1), NF_STORE_OK, "no transaction left open");
	nf_store_rollback(s1);
	nf_store_pool_put(p, s1, 1);
	is_int(nf_store_pool_get(p, &s1), NF_STORE_OK, "a broken handle is "
	    "replaced");
	nf_store_pool_put(p, s1, 0);
	nf_store_pool_free(p);

	rc = nf_store_pool_new(path_of("nodir/p.db"), 100, 2, &p, err,
	    sizeof err);
	ok(rc != NF_STORE_OK && p == NULL, "pool on a bad path fails at once");
}

static void
cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' && rm -rf '%s'", tmpdir,
	    tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
}

int
main(void)
{
	struct nf_store *s;
	const char *main_db;

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_names();
	test_open();
	test_readonly();
	main_db = path_of("main.db");
	s = open_new("main.db");
	ok(s != NULL, "open the main test store");
	if (s != NULL) {
		test_contacts(s, main_db);
		test_suppress(s);
		test_email_state(s);
		test_events(s, main_db);
		test_tx(s);
		nf_store_close(s);
		test_busy(main_db);
		test_snapshot(main_db);
		test_failed_lookup(main_db);
		test_open_keeps_locks(main_db);
		test_pool(main_db);
	}
	cleanup();
	return tap_done();
}
