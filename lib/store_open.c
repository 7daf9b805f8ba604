/*
 * store_open.c - opening a store file safely, and its versioned schema
 * (SQLite backend of store.h).
 *
 * Ownership: a file is ours when its application_id is NF_APP_ID.  We
 * create the schema only in an empty file, migrate only our own files, and
 * refuse (NF_STORE_SCHEMA, nothing written) a file that is not SQLite, an
 * SQLite file of another program, or one written by a newer notifilter.
 * The first 16 bytes are checked before SQLite reads or writes the file,
 * because SQLite would turn an empty-looking file into a database; the
 * journal mode is set only after the file is known to be ours.  They are
 * read through the connection's own descriptor, never a second one: POSIX
 * drops every lock a process holds on a file when it closes any descriptor
 * of it, so an open()/close() here took the locks of the process's other
 * handles away; another process's sqlite3 then believed itself the last
 * user, deleted the -wal file at its exit, and our later commits went into
 * that deleted file (reported written, seen by nobody).
 *
 * Schema: migrations[] holds one step per version; all pending steps and
 * the new user_version are applied in one IMMEDIATE transaction, re-checked
 * under the lock, so two processes starting at once migrate once.  Later
 * milestones (tracking: step 2; bounces, fallback) append steps that add
 * tables and columns; they never edit a released step.
 *
 * email_policy is the milter's hot-path table (see store_lookup.c);
 * triggers keep it in step with contacts, consent and suppressions inside
 * the writing transaction, whoever writes (ctl, import, the milter, a
 * hand-run sqlite3 session).
 */
#include "store_sqlite.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "NFLT": marks a file as notifilter's (PRAGMA application_id). */
#define NF_APP_ID 0x4e464c54

/*
 * Memory: 2 MiB of page cache per handle, no mmap.  Measured with
 * bench/bench_policy (1,000,000 contacts, one thread, CPU time): mmap of
 * the file is about 1.5x faster per lookup, but every page it touches
 * counts in the daemon's RSS (goal < 30 MB) and the hot table alone is
 * ~40 MB at that size; without it the lookups still make ~900,000
 * decisions/s.  Override at build time (-DNF_CACHE_KIB, -DNF_MMAP_BYTES)
 * to trade memory for speed.
 */
#ifndef NF_CACHE_KIB
#define NF_CACHE_KIB 2048
#endif
#ifndef NF_MMAP_BYTES
#define NF_MMAP_BYTES 0LL
#endif

/*
 * WAL: checkpoint every NF_WAL_PAGES pages (SQLite's default is 1000)
 * and cut the -wal file back to NF_WAL_LIMIT bytes when it restarts.  The
 * daemon's writer commits a group of messages at a time and rewrites the
 * same index pages group after group; a checkpoint copies each changed
 * page once however often it changed, so checkpointing a fourth as often
 * copies fewer pages.  Measured (bench/bench-postfix.sh, 5,000 tagged and
 * recorded messages): the daemon wrote 56 MB instead of 64 MB (-13 %);
 * the writer thread's CPU moved by 2-4 us/msg, within the noise.  Bound:
 * with 4 KiB pages the -wal file reaches about NF_WAL_PAGES x 4 KiB
 * (16 MiB) plus one commit group before a checkpoint (17.8 MB seen at
 * peak in that run, 7.6 MB with the default), and once a checkpoint has
 * let it restart it is cut back to NF_WAL_LIMIT, so a burst does not leave
 * a bigger file behind.  Only a reader holding one snapshot for a long time
 * (a long notifilterctl export) keeps it growing, with any setting.
 */
#ifndef NF_WAL_PAGES
#define NF_WAL_PAGES 4000
#endif
#ifndef NF_WAL_LIMIT
#define NF_WAL_LIMIT (24LL * 1024 * 1024)
#endif

/* ---- schema -------------------------------------------------------------- */

static const char schema_v1[] =
	"CREATE TABLE contacts ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT UNIQUE CHECK (email <> ''),"
	" phone TEXT UNIQUE CHECK (phone <> ''),"
	" name TEXT CHECK (name <> ''),"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" CHECK (email IS NOT NULL OR phone IS NOT NULL));"
	"CREATE TABLE consent ("
	" contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	" channel TEXT NOT NULL CHECK (channel IN ('email','sms','whatsapp','viber')),"
	" state TEXT NOT NULL CHECK (state IN ('granted','revoked')),"
	" source TEXT,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY (contact_id, channel)) WITHOUT ROWID;"
	"CREATE TABLE suppressions ("
	" id INTEGER PRIMARY KEY,"
	" address TEXT NOT NULL CHECK (address <> ''),"
	" channel TEXT NOT NULL CHECK (channel IN ('email','sms','whatsapp','viber')),"
	" reason TEXT,"
	" source TEXT,"
	" evidence TEXT,"
	" time INTEGER NOT NULL,"
	" UNIQUE (address, channel));"
	"CREATE INDEX suppressions_time ON suppressions(time);"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" token TEXT NOT NULL UNIQUE,"
	" queue_id TEXT,"
	" sender TEXT,"
	" header_from TEXT,"
	" subject TEXT,"
	" message_id TEXT,"
	" category TEXT,"
	" fallback_text TEXT,"
	" phone_hint TEXT,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX messages_queue_id ON messages(queue_id);"
	"CREATE TABLE recipients ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" address TEXT NOT NULL,"
	" decision TEXT,"
	" rule TEXT,"
	" reason TEXT,"
	" status TEXT,"
	" updated INTEGER NOT NULL,"
	" UNIQUE (message_id, address));"
	"CREATE INDEX recipients_address ON recipients(address);"
	/* append-only: nothing updates a row; erasure deletes them */
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" queue_id TEXT,"
	" token TEXT,"
	" address TEXT,"
	" rule TEXT,"
	" detail TEXT,"
	" contact_id INTEGER);"	/* no FK: the event outlives nothing */
	"CREATE INDEX events_address_time ON events(address, time);"
	"CREATE INDEX events_contact ON events(contact_id)"
	" WHERE contact_id IS NOT NULL;"
	/* consent: 0 none, 1 granted, 2 revoked (enum nf_consent) */
	"CREATE TABLE email_policy ("
	" email TEXT PRIMARY KEY,"
	" contact_id INTEGER,"
	" consent INTEGER NOT NULL DEFAULT 0,"
	" suppressed INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT) WITHOUT ROWID;"
	"CREATE TRIGGER contacts_ai AFTER INSERT ON contacts"
	" WHEN NEW.email IS NOT NULL BEGIN"
	" INSERT INTO email_policy(email, contact_id) VALUES (NEW.email, NEW.id)"
	"  ON CONFLICT(email) DO UPDATE SET contact_id = excluded.contact_id,"
	"  consent = 0;"
	" END;"
	"CREATE TRIGGER contacts_au AFTER UPDATE OF email ON contacts"
	" WHEN OLD.email IS NOT NEW.email BEGIN"
	" UPDATE email_policy SET contact_id = NULL, consent = 0"
	"  WHERE email = OLD.email;"
	" DELETE FROM email_policy WHERE email = OLD.email AND suppressed = 0;"
	" INSERT INTO email_policy(email, contact_id, consent)"
	"  SELECT NEW.email, NEW.id, coalesce((SELECT CASE state"
	"   WHEN 'granted' THEN 1 WHEN 'revoked' THEN 2 ELSE 0 END FROM consent"
	"   WHERE contact_id = NEW.id AND channel = 'email'), 0)"
	"  WHERE NEW.email IS NOT NULL"
	"  ON CONFLICT(email) DO UPDATE SET contact_id = excluded.contact_id,"
	"  consent = excluded.consent;"
	" END;"
	"CREATE TRIGGER contacts_ad AFTER DELETE ON contacts"
	" WHEN OLD.email IS NOT NULL BEGIN"
	" UPDATE email_policy SET contact_id = NULL, consent = 0"
	"  WHERE email = OLD.email;"
	" DELETE FROM email_policy WHERE email = OLD.email AND suppressed = 0;"
	" END;"
	"CREATE TRIGGER consent_ai AFTER INSERT ON consent"
	" WHEN NEW.channel = 'email' BEGIN"
	" UPDATE email_policy SET consent = CASE NEW.state WHEN 'granted' THEN 1"
	"  WHEN 'revoked' THEN 2 ELSE 0 END"
	"  WHERE email = (SELECT email FROM contacts WHERE id = NEW.contact_id);"
	" END;"
	"CREATE TRIGGER consent_au AFTER UPDATE ON consent"
	" WHEN NEW.channel = 'email' BEGIN"
	" UPDATE email_policy SET consent = CASE NEW.state WHEN 'granted' THEN 1"
	"  WHEN 'revoked' THEN 2 ELSE 0 END"
	"  WHERE email = (SELECT email FROM contacts WHERE id = NEW.contact_id);"
	" END;"
	"CREATE TRIGGER consent_ad AFTER DELETE ON consent"
	" WHEN OLD.channel = 'email' BEGIN"
	" UPDATE email_policy SET consent = 0"
	"  WHERE email = (SELECT email FROM contacts WHERE id = OLD.contact_id);"
	" END;"
	"CREATE TRIGGER suppressions_ai AFTER INSERT ON suppressions"
	" WHEN NEW.channel = 'email' BEGIN"
	" INSERT INTO email_policy(email, suppressed, reason)"
	"  VALUES (NEW.address, 1, NEW.reason)"
	"  ON CONFLICT(email) DO UPDATE SET suppressed = 1,"
	"  reason = excluded.reason;"
	" END;"
	"CREATE TRIGGER suppressions_au AFTER UPDATE ON suppressions BEGIN"
	" UPDATE email_policy SET suppressed = 0, reason = NULL"
	"  WHERE OLD.channel = 'email' AND email = OLD.address;"
	" DELETE FROM email_policy WHERE OLD.channel = 'email'"
	"  AND email = OLD.address AND contact_id IS NULL AND suppressed = 0;"
	" INSERT INTO email_policy(email, suppressed, reason)"
	"  SELECT NEW.address, 1, NEW.reason WHERE NEW.channel = 'email'"
	"  ON CONFLICT(email) DO UPDATE SET suppressed = 1,"
	"  reason = excluded.reason;"
	" END;"
	"CREATE TRIGGER suppressions_ad AFTER DELETE ON suppressions"
	" WHEN OLD.channel = 'email' BEGIN"
	" UPDATE email_policy SET suppressed = 0, reason = NULL"
	"  WHERE email = OLD.address;"
	" DELETE FROM email_policy WHERE email = OLD.address"
	"  AND contact_id IS NULL AND suppressed = 0;"
	" END;";

/*
 * Version 2 (issue 3, tracking): what the milter records at end of message
 * and what the MTA later reports per recipient; the MailLog follower's
 * durable position (state); trace by token and by phone hint.  Columns
 * are added, never changed: a version-1 file keeps every row, and rows
 * written before this step read as applied, hint invalid, no DSN asked.
 */
static const char schema_v2[] =
	"ALTER TABLE messages ADD COLUMN verp TEXT;"
	"ALTER TABLE messages ADD COLUMN applied INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE messages ADD COLUMN phone_hint_valid INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE recipients ADD COLUMN dsn_requested INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE recipients ADD COLUMN dsn TEXT;"
	"ALTER TABLE recipients ADD COLUMN relay TEXT;"
	"ALTER TABLE recipients ADD COLUMN diagnostic TEXT;"
	/* messages(queue_id) exists since version 1: deliveries use it */
	"CREATE INDEX messages_phone_hint ON messages(phone_hint)"
	" WHERE phone_hint IS NOT NULL;"
	"CREATE INDEX events_token_time ON events(token, time)"
	" WHERE token IS NOT NULL;"
	"CREATE TABLE state ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL) WITHOUT ROWID;";

/*
 * Version 3 (issue 4, report intake; rows written by store_report.c): each
 * report ingested, authenticated or not, and what it said per recipient
 * with what intake did.  Soft failures are counted from
 * report_recipients (address, time).  Erasing a contact erases the report
 * rows about its email and the excerpts of those reports (trigger), so
 * store_rows.c needs no change; suppressions stay, as for version 1.
 */
static const char schema_v3[] =
	"CREATE TABLE reports ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" token TEXT,"
	" token_valid INTEGER NOT NULL DEFAULT 0,"
	" message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
	" authenticated INTEGER NOT NULL DEFAULT 0,"
	" auth_detail TEXT,"
	" env_sender TEXT,"
	" env_recipient TEXT,"
	" client_ip TEXT,"
	" helo TEXT,"
	" dkim TEXT,"
	" dkim_domain TEXT,"
	" spf TEXT,"
	" returned_message_id TEXT,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" excerpt TEXT);"
	"CREATE INDEX reports_time ON reports(time);"
	"CREATE INDEX reports_token ON reports(token) WHERE token IS NOT NULL;"
	"CREATE TABLE report_recipients ("
	" id INTEGER PRIMARY KEY,"
	" report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
	" time INTEGER NOT NULL,"
	" address TEXT,"
	" token TEXT,"
	" authenticated INTEGER NOT NULL DEFAULT 0,"
	" action TEXT,"
	" status TEXT,"
	" reason TEXT,"
	" hard INTEGER NOT NULL DEFAULT 0,"
	" diagnostic TEXT,"
	" remote_mta TEXT,"
	" feedback_type TEXT,"
	" policy TEXT NOT NULL,"
	" outcome TEXT NOT NULL);"
	"CREATE INDEX report_recipients_address ON report_recipients(address,"
	" time);"
	"CREATE INDEX report_recipients_report ON report_recipients(report_id);"
	"CREATE TRIGGER contacts_ad_reports AFTER DELETE ON contacts"
	" WHEN OLD.email IS NOT NULL BEGIN"
	" UPDATE reports SET excerpt = NULL, env_recipient = NULL"
	"  WHERE id IN (SELECT report_id FROM report_recipients"
	"  WHERE address = lower(OLD.email));"
	" DELETE FROM report_recipients WHERE address = lower(OLD.email);"
	" END;";

/*
 * Version 4 (issue 5 fallback, issue 6 erasure).
 *
 * outbox: one row per (notification, recipient) that fell back, so a
 * second trigger for the same pair cannot make a second SMS (UNIQUE);
 * idem_key is stable for the row's life and goes to providers that accept
 * one, so a restart that finds a row in state 'sending' can resend it
 * without a double.  States: pending (waiting for due), held (quiet hours
 * or a rate limit: due says when to look again), sending (claimed by a
 * dispatcher; the request may be in flight), sent, failed (permanent or
 * expired), cancelled (delivery confirmed first), skipped (no consent, no
 * phone, suppressed, over a limit for good), uncertain (killed mid-request
 * on a driver that takes no idempotency key: never sent again without a
 * person deciding).  Receipts (DLR, status callbacks) find their row by
 * provider_id.  sent_time is when the request that put the message out,
 * or may have, was made: set when a row is claimed ('sending'), kept by
 * 'sent' and 'uncertain', cleared by a retry or a permanent failure; so
 * FallbackMaxPerPhone and FallbackMaxPerHour count every message that may
 * have reached a phone, in-flight ones included.  outbox_due serves both
 * the scheduler's "due pending/held rows" and the restart's "rows left in
 * sending" (state first, then due).
 *
 * erased: what `contact remove` keeps of an erased contact: keyed hashes
 * (HMAC-SHA256 under a key derived from SecretFile) of its email and
 * phone, with the channel they were suppressed on, so an erased address
 * stays suppressed without being stored in clear.
 */
static const char schema_v4[] =
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
	" token TEXT NOT NULL,"
	" recipient TEXT NOT NULL,"
	" phone TEXT,"
	" channel TEXT CHECK (channel IN ('sms','whatsapp','viber')),"
	" driver TEXT,"
	" trigger TEXT NOT NULL,"
	" trigger_detail TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('pending','held','sending',"
	"  'sent','failed','cancelled','skipped','uncertain')),"
	" text TEXT,"
	" encoding TEXT,"
	" segments INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" due INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" idem_key TEXT NOT NULL UNIQUE,"
	" provider_id TEXT,"
	" answer TEXT,"
	" receipt TEXT,"
	" sent_time INTEGER,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" UNIQUE (token, recipient));"
	"CREATE INDEX outbox_due ON outbox(state, due);"
	"CREATE INDEX outbox_phone_sent ON outbox(phone, sent_time)"
	" WHERE sent_time IS NOT NULL;"
	"CREATE INDEX outbox_sent ON outbox(sent_time)"
	" WHERE sent_time IS NOT NULL;"
	"CREATE INDEX outbox_provider_id ON outbox(provider_id)"
	" WHERE provider_id IS NOT NULL;"
	"CREATE INDEX outbox_recipient ON outbox(recipient);"
	"CREATE TABLE erased ("
	" hash TEXT NOT NULL,"
	" channel TEXT NOT NULL CHECK (channel IN ('email','sms','whatsapp',"
	"  'viber')),"
	" reason TEXT,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY (hash, channel)) WITHOUT ROWID;";

struct nf_migration {
	int version;		/* user_version after this step */
	const char *sql;	/* constant DDL, run with sqlite3_exec */
};

static const struct nf_migration migrations[] = {
	{ 1, schema_v1 },
	{ 2, schema_v2 },
	{ 3, schema_v3 },
	{ 4, schema_v4 },
};

_Static_assert(sizeof migrations / sizeof migrations[0] ==
    NF_STORE_SCHEMA_VERSION, "one migration step per schema version");

/* ---- opening ------------------------------------------------------------- */

static int __attribute__((format(printf, 4, 5)))
open_error(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Directory part of path, in dir[len] ("." when there is none). */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, len, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		n = len - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
}

/*
 * Look at the path before SQLite opens it: missing (and may we create it?),
 * not a regular file, not readable.  No descriptor is opened (see the top
 * comment); the content is checked by magic_check.  NF_STORE_OK to go on.
 */
static int
precheck(const char *path, int flags, char *err, size_t errlen)
{
	char dir[4096];
	struct stat sb;

	if (stat(path, &sb) != 0) {
		if (errno != ENOENT)
			return open_error(err, errlen, NF_STORE_ERR, "%s: %s: "
			    "check the path and the permissions of its "
			    "directories", path, strerror(errno));
		dir_of(path, dir, sizeof dir);
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return open_error(err, errlen, NF_STORE_ERR, "%s: "
			    "directory %s does not exist: create it (writable "
			    "by the notifilter user) or set Database to "
			    "another path", path, dir);
		if (!(flags & NF_STORE_CREATE) || (flags & NF_STORE_RDONLY))
			return open_error(err, errlen, NF_STORE_ERR, "%s: no "
			    "such database: start notifilter once to create "
			    "it, or set Database to the right path", path);
		if (access(dir, W_OK | X_OK) != 0)
			return open_error(err, errlen, NF_STORE_READONLY,
			    "%s: cannot create the database: directory %s is "
			    "not writable by uid %ld: change its owner or mode",
			    path, dir, (long)geteuid());
		return NF_STORE_OK;
	}
	if (!S_ISREG(sb.st_mode))
		return open_error(err, errlen, NF_STORE_SCHEMA, "%s is not a "
		    "notifilter database (not a regular file): set Database "
		    "to a file path", path);
	if (access(path, R_OK) != 0)
		return open_error(err, errlen, NF_STORE_ERR, "%s: cannot read: "
		    "%s: check its owner and mode", path, strerror(errno));
	return NF_STORE_OK;
}

/*
 * Is the file SQLite (or empty, which SQLite makes a new database)?  Read
 * through the connection's own descriptor, which SQLite closes without
 * dropping the locks of the process's other handles; nothing is read or
 * written through SQLite before this says yes.
 */
static int
magic_check(struct nf_store *s)
{
	static const char magic[16] = "SQLite format 3";
	sqlite3_file *f = NULL;
	sqlite3_int64 size = 0;
	char head[16];
	int rc;

	rc = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f);
	if (rc != SQLITE_OK || f == NULL || f->pMethods == NULL)
		return nf_st_error(s, NF_STORE_ERR, "%s: cannot read: SQLite "
		    "opened no file (code %d): check its owner and mode",
		    s->path, rc);
	rc = f->pMethods->xFileSize(f, &size);
	if (rc == SQLITE_OK && size == 0)
		return NF_STORE_OK;
	if (rc == SQLITE_OK)
		rc = f->pMethods->xRead(f, head, sizeof head, 0);
	if (rc == SQLITE_OK && memcmp(head, magic, sizeof head) == 0)
		return NF_STORE_OK;
	if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ)
		return nf_st_error(s, NF_STORE_SCHEMA, "%s is not a notifilter "
		    "database (file is not SQLite): move it away or set "
		    "Database to another path", s->path);
	return nf_st_error(s, NF_STORE_ERR, "%s: cannot read: %s: check its "
	    "owner and mode", s->path, sqlite3_errstr(rc));
}

struct header {
	int app_id, version, objects;
};

/* application_id, user_version and how many schema objects: one snapshot. */
static int
read_header(struct nf_store *s, struct header *h)
{
	static const char sql[] = "SELECT (SELECT application_id FROM "
	    "pragma_application_id), (SELECT user_version FROM "
	    "pragma_user_version), (SELECT count(*) FROM sqlite_schema)";
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			h->app_id = sqlite3_column_int(st, 0);
			h->version = sqlite3_column_int(st, 1);
			h->objects = sqlite3_column_int(st, 2);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		return NF_STORE_OK;
	if ((rc & 0xff) == SQLITE_NOTADB)
		return nf_st_error(s, NF_STORE_SCHEMA, "%s is not a notifilter "
		    "database (file is not SQLite): move it away or set "
		    "Database to another path", s->path);
	if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN)
		return nf_st_error(s, NF_STORE_READONLY, "%s: cannot read the "
		    "database: %s; it is in WAL mode and its -wal/-shm files "
		    "must be creatable: make the file and its directory "
		    "writable by uid %ld", s->path, sqlite3_errmsg(s->db),
		    (long)geteuid());
	return nf_st_fail(s, rc, "reading the schema version");
}

/* Refuse what is not ours; 1 in *migrate when steps are pending. */
static int
classify(struct nf_store *s, const struct header *h, int *migrate)
{
	*migrate = 0;
	if (h->app_id == NF_APP_ID || (h->app_id == 0 && h->version == 0 &&
	    h->objects == 0)) {
		if (h->version > NF_STORE_SCHEMA_VERSION)
			return nf_st_error(s, NF_STORE_SCHEMA, "%s has schema "
			    "version %d, but this notifilter knows only up to "
			    "version %d: a newer notifilter wrote it; run that "
			    "version, or set Database to another path", s->path,
			    h->version, NF_STORE_SCHEMA_VERSION);
		*migrate = h->version < s->target;
		return NF_STORE_OK;
	}
	return nf_st_error(s, NF_STORE_SCHEMA, "%s is not a notifilter "
	    "database (an SQLite file of another program: application_id "
	    "0x%08x, user_version %d, %d schema objects): notifilter will not "
	    "change it; set Database to another path", s->path,
	    (unsigned)h->app_id, h->version, h->objects);
}

/* Apply all pending steps in one IMMEDIATE transaction. */
static int
migrate(struct nf_store *s)
{
	struct header h;
	char *msg = NULL, sql[96];
	int rc, pending, v;
	size_t i;

	rc = nf_st_exec(s, NF_ST_BEGIN, "locking the database to migrate it");
	if (rc != NF_STORE_OK)
		return rc;
	/* another process may have migrated while we waited for the lock */
	rc = read_header(s, &h);
	if (rc == NF_STORE_OK)
		rc = classify(s, &h, &pending);
	if (rc != NF_STORE_OK || !pending) {
		nf_st_exec(s, rc == NF_STORE_OK ? NF_ST_COMMIT : NF_ST_ROLLBACK,
		    "ending the migration");
		return rc;
	}
	v = h.version;
	for (i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
		if (migrations[i].version <= v ||
		    migrations[i].version > s->target)
			continue;
		if (sqlite3_exec(s->db, migrations[i].sql, NULL, NULL, &msg) !=
		    SQLITE_OK)
			goto fail;
	}
	/* integers from our own constants, not data: PRAGMA takes no binding */
	snprintf(sql, sizeof sql, "PRAGMA application_id = %d; "
	    "PRAGMA user_version = %d", NF_APP_ID, s->target);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return nf_st_exec(s, NF_ST_COMMIT, "committing the migration");
fail:
	rc = nf_st_map(sqlite3_errcode(s->db));
	nf_st_error(s, rc == NF_STORE_OK ? NF_STORE_ERR : rc, "%s: migrating "
	    "the schema from version %d to %d failed, nothing was changed: %s",
	    s->path, v, s->target, msg ? msg : "unknown error");
	sqlite3_free(msg);
	nf_st_exec(s, NF_ST_ROLLBACK, "undoing the migration");
	return rc == NF_STORE_OK ? NF_STORE_ERR : rc;
}

static int
tune(struct nf_store *s, int writable)
{
	char sql[384];
	char *msg = NULL;
	int rc;

	if (writable) {
		/* persistent in the file; only the first open changes it */
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL,
		    NULL, &msg);
		if (rc != SQLITE_OK)
			goto fail;
	}
	/* secure_delete: deleted and overwritten content is zeroed, so what
	 * `contact remove` erases, and the older versions of rows the daemon
	 * updates, do not linger in free pages.  Debian builds SQLite with it
	 * on already; saying it here keeps other builds the same. */
	snprintf(sql, sizeof sql, "PRAGMA synchronous = NORMAL; "
	    "PRAGMA secure_delete = ON; "
	    "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
	    "PRAGMA cache_size = -%d; PRAGMA mmap_size = %lld; "
	    "PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %lld",
	    NF_CACHE_KIB, NF_MMAP_BYTES, NF_WAL_PAGES, NF_WAL_LIMIT);
	rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		goto fail;
	return NF_STORE_OK;
fail:
	rc = nf_st_fail(s, rc, "setting up the connection");
	sqlite3_free(msg);
	return rc;
}

static void
store_free(struct nf_store *s)
{
	size_t i;

	if (s == NULL)
		return;
	nf_store_release(s);
	for (i = 0; i < NF_ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(s->db);
	}
	free(s->path);
	free(s);
}

static int
store_open(const char *path, int flags, int busy_ms, int target,
    struct nf_store **out, char *err, size_t errlen)
{
	struct nf_store *s;
	struct header h;
	int rc, oflags, pending, writable;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (path == NULL || path[0] == '\0')
		return open_error(err, errlen, NF_STORE_ERR, "no database "
		    "path: set Database in the configuration");
	rc = precheck(path, flags, err, errlen);
	if (rc != NF_STORE_OK)
		return rc;
	s = calloc(1, sizeof *s);
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		return open_error(err, errlen, NF_STORE_ERR, "%s: out of "
		    "memory", path);
	}
	s->flags = flags;
	s->target = target;
	s->busy_ms = busy_ms < 0 ? 0 : busy_ms;
	if (flags & NF_STORE_RDONLY)
		oflags = SQLITE_OPEN_READONLY;
	else
		oflags = SQLITE_OPEN_READWRITE |
		    ((flags & NF_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	/* a handle is used by one thread at a time: no SQLite mutexes */
	oflags |= SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = nf_st_fail(s, rc, "opening");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);

	rc = magic_check(s);
	if (rc == NF_STORE_OK)
		rc = read_header(s, &h);
	if (rc == NF_STORE_OK)
		rc = classify(s, &h, &pending);
	if (rc != NF_STORE_OK)
		goto fail;
	writable = !(flags & NF_STORE_RDONLY) &&
	    !sqlite3_db_readonly(s->db, "main");
	if (pending && h.version == 0 && !(flags & NF_STORE_CREATE)) {
		rc = nf_st_error(s, NF_STORE_SCHEMA, "%s is empty, not yet a "
		    "notifilter database: start notifilter once to create "
		    "it", path);
		goto fail;
	}
	if (pending && !writable) {
		rc = nf_st_error(s, (flags & NF_STORE_RDONLY) ? NF_STORE_SCHEMA
		    : NF_STORE_READONLY, "%s has schema version %d and needs "
		    "migrating to %d, but it is %s", path, h.version,
		    target, (flags & NF_STORE_RDONLY) ?
		    "opened read-only: open it once read-write (start "
		    "notifilter)" : "read-only: make the file and its "
		    "directory writable by the notifilter user");
		goto fail;
	}
	rc = tune(s, writable);
	if (rc == NF_STORE_OK && pending)
		rc = migrate(s);
	if (rc != NF_STORE_OK)
		goto fail;
	s->err[0] = '\0';
	*out = s;
	return NF_STORE_OK;
fail:
	open_error(err, errlen, rc, "%s", s->err[0] ? s->err : "unknown error");
	store_free(s);
	return rc;
}

int
nf_store_open(const char *path, int flags, int busy_ms, struct nf_store **out,
    char *err, size_t errlen)
{
	return store_open(path, flags, busy_ms, NF_STORE_SCHEMA_VERSION, out,
	    err, errlen);
}

int
nf_st_create_old(const char *path, int version, char *err, size_t errlen)
{
	struct nf_store *s;
	int rc;

	if (version < 1 || version > NF_STORE_SCHEMA_VERSION)
		return open_error(err, errlen, NF_STORE_ERR, "no schema "
		    "version %d to create", version);
	rc = store_open(path, NF_STORE_CREATE, 1000, version, &s, err,
	    errlen);
	if (rc == NF_STORE_OK)
		store_free(s);
	return rc;
}

void
nf_store_close(struct nf_store *s)
{
	store_free(s);
}

