/*
 * store_check.c - read-only health of a store file (store_check.h), for
 * `notifilterctl doctor`.
 *
 * Contract: nothing here creates, migrates or writes the database.  The
 * file is opened with SQLITE_OPEN_READONLY on its own connection (doctor
 * holds no other handle of it, so the POSIX lock caveat of store_open.c
 * does not apply), the header is read the way store_open.c reads it
 * (application_id, user_version, number of schema objects, one snapshot),
 * and PRAGMA integrity_check or, for big files, quick_check runs in that
 * read transaction.  A daemon writing at the same time is fine: SQLite
 * checks a consistent snapshot.
 *
 * The one side effect SQLite may have: a WAL database opened while no
 * other process has it open gets fresh -wal and -shm files.  Made by root,
 * they would lock the daemon's user out, so after closing, files that did
 * not exist before are chowned to the database file's owner and group.
 *
 * Failures: NF_STORE_SCHEMA for "not SQLite" and "another program's
 * SQLite file", NF_STORE_BUSY when locked past busy_ms, NF_STORE_ERR for
 * the rest; err[] names the path, what happened and what to do.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_check.h"

/* store_open.c's mark of a notifilter file ("NFLT") */
#define CHECK_APP_ID 0x4e464c54

static const char header_sql[] = "SELECT (SELECT application_id FROM "
    "pragma_application_id), (SELECT user_version FROM pragma_user_version), "
    "(SELECT count(*) FROM sqlite_schema)";
/* at most 20 problems are listed: the first few say what is wrong */
static const char integrity_sql[] = "PRAGMA integrity_check(20)";
static const char quick_sql[] = "PRAGMA quick_check(20)";

static int __attribute__((format(printf, 4, 5)))
check_error(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return NF_STORE_BUSY;
	case SQLITE_NOTADB:
		return NF_STORE_SCHEMA;
	default:
		return NF_STORE_ERR;
	}
}

/* Append one problem line to h->problems, visibly cut when full. */
static void
add_problem(struct nf_store_health *h, const char *line)
{
	size_t have = strlen(h->problems), room = sizeof h->problems - have;
	int n;

	if (room <= 1)
		return;
	n = snprintf(h->problems + have, room, "%s%s", have ? "; " : "", line);
	if (n < 0 || (size_t)n >= room)
		memcpy(h->problems + sizeof h->problems - 5, "...", 4);
}

static int
run_check(sqlite3 *db, struct nf_store_health *h, const char *path,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int rc, rows = 0;

	rc = sqlite3_prepare_v2(db, h->quick ? quick_sql : integrity_sql, -1,
	    &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		rows++;
		if (rows == 1 && v != NULL && strcmp(v, "ok") == 0)
			h->intact = 1;
		else
			add_problem(h, v ? v : "(no text)");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return NF_STORE_OK;
	/* a corrupt file may make the check itself fail: that is its answer */
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
		h->intact = 0;
		add_problem(h, sqlite3_errmsg(db));
		return NF_STORE_OK;
	}
	return check_error(err, errlen, map_rc(rc), "%s: the %s could not run: "
	    "%s%s", path, h->quick ? "quick_check" : "integrity_check",
	    sqlite3_errmsg(db), map_rc(rc) == NF_STORE_BUSY ? " (the "
	    "database is busy: try again)" : "");
}

/* Give -wal/-shm files made by this check to the database's owner. */
static void
fix_owner(const char *path, const struct stat *db, const int had[2])
{
	static const char *const sfx[2] = { "-wal", "-shm" };
	char side[4200];
	struct stat sb;
	int i, n;

	if (geteuid() != 0 || db->st_uid == 0)
		return;
	for (i = 0; i < 2; i++) {
		n = snprintf(side, sizeof side, "%s%s", path, sfx[i]);
		if (n < 0 || (size_t)n >= sizeof side || had[i])
			continue;
		if (lstat(side, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_uid == 0)
			/* best effort: the daemon says so if it cannot open it */
			if (chown(side, db->st_uid, db->st_gid) != 0)
				continue;
	}
}

static void
side_files(const char *path, int had[2])
{
	char side[4200];
	int n;

	n = snprintf(side, sizeof side, "%s-wal", path);
	had[0] = n > 0 && (size_t)n < sizeof side && access(side, F_OK) == 0;
	n = snprintf(side, sizeof side, "%s-shm", path);
	had[1] = n > 0 && (size_t)n < sizeof side && access(side, F_OK) == 0;
}

int
nf_store_health(const char *path, int busy_ms, int64_t quick_above,
    struct nf_store_health *h, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc, app = 0, objects = 0, had[2];

	memset(h, 0, sizeof *h);
	if (errlen > 0)
		err[0] = '\0';
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return NF_STORE_OK;
		return check_error(err, errlen, NF_STORE_ERR, "%s: %s: check the "
		    "path and the permissions of its directories", path,
		    strerror(errno));
	}
	h->exists = 1;
	h->bytes = (int64_t)sb.st_size;
	if (!S_ISREG(sb.st_mode))
		return check_error(err, errlen, NF_STORE_SCHEMA, "%s is not a "
		    "regular file: set Database to a file path", path);
	if (sb.st_size == 0) {
		h->empty = 1;
		return NF_STORE_OK;
	}
	side_files(path, had);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		rc = check_error(err, errlen, map_rc(rc), "%s: cannot open: %s: "
		    "check its owner and mode", path, db ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms < 0 ? 0 : busy_ms);
	/* one read transaction: header and check see the same snapshot */
	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, header_sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		app = sqlite3_column_int(st, 0);
		h->version = sqlite3_column_int(st, 1);
		objects = sqlite3_column_int(st, 2);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		if (map_rc(rc) == NF_STORE_SCHEMA)
			rc = check_error(err, errlen, NF_STORE_SCHEMA, "%s is not "
			    "a notifilter database (file is not SQLite): move it "
			    "away or set Database to another path", path);
		else
			rc = check_error(err, errlen, map_rc(rc), "%s: cannot read "
			    "the schema version: %s%s", path, sqlite3_errmsg(db),
			    map_rc(rc) == NF_STORE_BUSY ? " (busy: try again)" :
			    ": check its owner and mode, and that its directory "
			    "lets SQLite make the -shm file");
		goto out;
	}
	if (app == 0 && h->version == 0 && objects == 0) {
		h->empty = 1;
		rc = NF_STORE_OK;
		goto out;
	}
	if (app != CHECK_APP_ID) {
		rc = check_error(err, errlen, NF_STORE_SCHEMA, "%s is not a "
		    "notifilter database (an SQLite file of another program: "
		    "application_id 0x%08x): set Database to another path",
		    path, (unsigned)app);
		goto out;
	}
	h->ours = 1;
	h->quick = quick_above >= 0 && h->bytes > quick_above;
	rc = run_check(db, h, path, err, errlen);
out:
	if (db != NULL) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(db);
		fix_owner(path, &sb, had);
	}
	return rc;
}
