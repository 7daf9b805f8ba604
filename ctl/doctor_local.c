/*
 * doctor_local.c - doctor's checks of what is on this host: the daemon's
 * user (UserID), the required settings, SecretFile, the store and MailLog.
 *
 * Each check adds result lines to the struct nf_doc and never prints or
 * exits.  SecretFile goes through lib/secret.c's own loader, so doctor
 * refuses exactly what the daemon refuses, with the same message; doctor
 * adds what the loader allows on purpose but an administrator should know
 * (group-readable by a group that is not the daemon's).  The store is
 * looked at read-only (lib/store_check.c): nothing is created or migrated.
 * A current store is also asked whether SecretFile still keys the hashes
 * of erased contacts ("erasure-key"): if it changed since they were
 * erased, their suppressions silently stopped blocking anything.
 * Access "by the daemon's user" is judged from owners and mode bits, since
 * the daemon reopens the config, the key, the log and the database after
 * it has dropped privileges (reload, log rotation, WAL files).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "secret.h"
#include "store.h"
#include "store_check.h"

/* above this size quick_check (O(N)) replaces integrity_check (O(N log N)) */
#define DOC_QUICK_ABOVE ((int64_t)256 * 1024 * 1024)
#define DOC_BUSY_MS 5000

static int
in_groups(const struct nf_doc *d, gid_t g)
{
	int i;

	if (g == d->gid)
		return 1;
	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i] == g)
			return 1;
	return 0;
}

/* Mode bits `want` (R_OK W_OK X_OK) for the daemon's user on sb. */
static int
bits_allow(const struct nf_doc *d, const struct stat *sb, int want)
{
	mode_t m = sb->st_mode;
	int shift;

	if (d->uid == 0)
		return 1;
	if (sb->st_uid == d->uid)
		shift = 6;
	else if (in_groups(d, sb->st_gid))
		shift = 3;
	else
		shift = 0;
	if ((want & R_OK) && !(m & (S_IROTH << shift)))
		return 0;
	if ((want & W_OK) && !(m & (S_IWOTH << shift)))
		return 0;
	if ((want & X_OK) && !(m & (S_IXOTH << shift)))
		return 0;
	return 1;
}

static const char *
want_word(int want)
{
	if (want == (W_OK | X_OK))
		return "write to";
	if (want & W_OK)
		return "write";
	if (want & X_OK)
		return "enter";
	return "read";
}

int
nf_doc_user_may(const struct nf_doc *d, const char *path, int want,
    char *why, size_t len)
{
	char dir[PATH_MAX];
	struct stat sb;
	size_t i, plen = strlen(path);

	if (plen == 0 || plen >= sizeof dir) {
		snprintf(why, len, "%s: path too long", path);
		return -1;
	}
	/* search permission on each directory above the file */
	for (i = 1; i < plen; i++) {
		if (path[i] != '/' || path[0] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (stat(dir, &sb) != 0)
			break;	/* the final stat names the problem */
		if (!bits_allow(d, &sb, X_OK)) {
			snprintf(why, len, "user %s cannot enter directory %s "
			    "(owner %ld, group %ld, mode %04o)", d->user, dir,
			    (long)sb.st_uid, (long)sb.st_gid,
			    (unsigned)(sb.st_mode & 07777));
			return 0;
		}
	}
	if (stat(path, &sb) != 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!bits_allow(d, &sb, want)) {
		snprintf(why, len, "user %s cannot %s %s (owner %ld, group %ld, "
		    "mode %04o)", d->user, want_word(want), path,
		    (long)sb.st_uid, (long)sb.st_gid,
		    (unsigned)(sb.st_mode & 07777));
		return 0;
	}
	return 1;
}

/* ---- UserID ------------------------------------------------------------- */

/* Mirrors the daemon's lookup (milter/main.c): "user" or "user:group". */
int
nf_doc_check_user(struct nf_doc *d)
{
	const char *spec = d->conf->user_id, *colon;
	struct passwd *pw;
	struct group *gr;
	size_t ulen;
	int n;

	if (spec == NULL || spec[0] == '\0') {
		nf_doc_add(d, NF_DOC_WARN, "user", NULL, "UserID is not set: the "
		    "daemon keeps the user it was started as (root, under "
		    "systemd)");
		nf_doc_hint(d, "create a system user (`adduser --system --group "
		    "notifilter`) and add \"UserID notifilter\" to %s",
		    d->conf_path);
		return 0;
	}
	colon = strchr(spec, ':');
	ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (ulen == 0 || ulen >= sizeof d->user) {
		nf_doc_add(d, NF_DOC_FAIL, "user", NULL, "UserID \"%s\" is not "
		    "user or user:group", spec);
		nf_doc_hint(d, "fix UserID in %s", d->conf_path);
		return -1;
	}
	memcpy(d->user, spec, ulen);
	d->user[ulen] = '\0';
	if ((pw = getpwnam(d->user)) == NULL) {
		nf_doc_add(d, NF_DOC_FAIL, "user", NULL, "UserID names user %s, "
		    "who does not exist: the daemon will not start", d->user);
		nf_doc_hint(d, "create it (`adduser --system --group %s`) or fix "
		    "UserID in %s", d->user, d->conf_path);
		return -1;
	}
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			nf_doc_add(d, NF_DOC_FAIL, "user", NULL, "UserID names "
			    "group %s, which does not exist: the daemon will not "
			    "start", colon + 1);
			nf_doc_hint(d, "create the group or fix UserID in %s",
			    d->conf_path);
			return -1;
		}
		d->gid = gr->gr_gid;
	}
	n = NF_DOC_GROUPS_MAX;
	if (getgrouplist(d->user, d->gid, d->groups, &n) < 0)
		n = NF_DOC_GROUPS_MAX;	/* more than we keep: the first ones */
	d->ngroups = n;
	d->have_user = 1;
	nf_doc_add(d, NF_DOC_PASS, "user", NULL, "the daemon runs as %s (uid "
	    "%ld, gid %ld)", d->user, (long)d->uid, (long)d->gid);
	return 0;
}

/* ---- required settings --------------------------------------------------- */

void
nf_doc_check_settings(struct nf_doc *d)
{
	const struct nf_conf *c = d->conf;
	size_t i;

	if (c->nsenders == 0) {
		nf_doc_add(d, NF_DOC_WARN, "senders", NULL, "Senders is not set: "
		    "no mail is policed, notifilter passes everything");
		nf_doc_hint(d, "add the envelope senders of your notifications "
		    "to %s, e.g. \"Senders noreply@example.com, *@notify."
		    "example.com\"", d->conf_path);
	} else {
		char list[256] = "";
		size_t used = 0;

		for (i = 0; i < c->nsenders && used < sizeof list; i++) {
			int n = snprintf(list + used, sizeof list - used, "%s%s",
			    i ? ", " : "", c->senders[i]);
			if (n < 0 || (size_t)n >= sizeof list - used) {
				snprintf(list + sizeof list - 5, 5, "...");
				break;
			}
			used += (size_t)n;
		}
		nf_doc_add(d, NF_DOC_PASS, "senders", NULL, "%zu pattern%s: %s",
		    c->nsenders, c->nsenders == 1 ? "" : "s", list);
	}
	if (c->bounce_domain == NULL || c->bounce_domain[0] == '\0') {
		nf_doc_add(d, NF_DOC_FAIL, "bounce-domain", NULL, "BounceDomain "
		    "is not set: notification mail is not tagged, so bounces "
		    "and complaints cannot be matched to it");
		nf_doc_hint(d, "add \"BounceDomain bounce.example.com\" (a domain "
		    "whose MX is this host) to %s", d->conf_path);
	} else
		nf_doc_add(d, NF_DOC_PASS, "bounce-domain", NULL, "%s",
		    c->bounce_domain);
	if (c->support_address == NULL || c->support_address[0] == '\0') {
		nf_doc_add(d, NF_DOC_WARN, "support-address", NULL,
		    "SupportAddress is not set: no daily digest is mailed");
		nf_doc_hint(d, "add \"SupportAddress support@example.com\" to %s",
		    d->conf_path);
	} else
		nf_doc_add(d, NF_DOC_PASS, "support-address", NULL, "the digest "
		    "goes to %s", c->support_address);
}

/* ---- SecretFile --------------------------------------------------------- */

void
nf_doc_check_secret(struct nf_doc *d)
{
	const char *path = d->conf->secret_file;
	struct nf_secret *s = NULL;
	struct nf_buf err;
	struct stat sb;
	char why[512];
	size_t klen = 0;
	struct group *gr;

	memset(&sb, 0, sizeof sb);
	if (path == NULL || path[0] == '\0') {
		nf_doc_add(d, NF_DOC_FAIL, "secret-file", NULL, "SecretFile is not "
		    "set: notification mail is not tagged, so bounces and "
		    "complaints cannot be matched to it");
		nf_doc_hint(d, "`head -c 32 /dev/urandom > /etc/notifilter/secret "
		    "&& chmod 600 /etc/notifilter/secret`, then add \"SecretFile "
		    "/etc/notifilter/secret\" to %s", d->conf_path);
		return;
	}
	nf_buf_init(&err, 2048);
	if (nf_secret_load(path, &s, &err) != 0) {
		nf_doc_add(d, NF_DOC_FAIL, "secret-file", NULL, "%s",
		    err.len ? nf_buf_cstr(&err) : path);
		nf_doc_hint(d, "the daemon refuses to start until this is fixed "
		    "(SecretFile in %s)", d->conf_path);
		nf_buf_free(&err);
		return;
	}
	nf_buf_free(&err);
	nf_secret_key(s, &klen);
	nf_secret_free(s);
	if (d->have_user && nf_doc_user_may(d, path, R_OK, why, sizeof why)
	    != 1) {
		nf_doc_add(d, NF_DOC_FAIL, "secret-file", NULL, "%s: a reload "
		    "(SIGUSR1) rereads the key after the daemon became %s, and "
		    "would fail", why, d->user);
		nf_doc_hint(d, "`chown %s %s && chmod 600 %s` (or root:%s and "
		    "mode 0640)", d->user, path, path, d->user);
		return;
	}
	/* the loader allows group-read (root:notifilter 0640); by another
	 * group it hands the key to more users than need it */
	if (stat(path, &sb) == 0 && (sb.st_mode & S_IRGRP) &&
	    !(d->have_user && sb.st_gid == d->gid)) {
		gr = getgrgid(sb.st_gid);
		nf_doc_add(d, NF_DOC_WARN, "secret-file", NULL, "%s (%zu bytes) "
		    "is readable by group %s, which is not the daemon's group",
		    path, klen, gr ? gr->gr_name : "?");
		nf_doc_hint(d, "`chmod 600 %s` (or `chgrp` it to the group of "
		    "UserID)", path);
		return;
	}
	nf_doc_add(d, NF_DOC_PASS, "secret-file", NULL, "%s: %zu-byte key, "
	    "mode %04o", path, klen, (unsigned)(sb.st_mode & 07777));
}

/* ---- store --------------------------------------------------------------- */

static void check_erasure_key(struct nf_doc *d, const char *db);

static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

static void
store_access(struct nf_doc *d, const char *db, int exists)
{
	char dir[PATH_MAX], side[PATH_MAX + 8], why[512];
	static const char *const sfx[] = { "-wal", "-shm" };
	size_t i;
	int r;

	if (!d->have_user)
		return;
	dir_of(db, dir, sizeof dir);
	r = nf_doc_user_may(d, dir, W_OK | X_OK, why, sizeof why);
	if (r == 1 && exists)
		r = nf_doc_user_may(d, db, R_OK | W_OK, why, sizeof why);
	for (i = 0; r == 1 && exists && i < 2; i++) {
		snprintf(side, sizeof side, "%s%s", db, sfx[i]);
		if (access(side, F_OK) == 0)
			r = nf_doc_user_may(d, side, R_OK | W_OK, why, sizeof why);
	}
	if (r == 1) {
		nf_doc_add(d, NF_DOC_PASS, "store-access", NULL, "user %s can "
		    "write %s and its directory", d->user, db);
		return;
	}
	nf_doc_add(d, NF_DOC_FAIL, "store-access", NULL, "%s: the daemon "
	    "cannot record decisions (SQLite also writes -wal and -shm files "
	    "beside the database)", why);
	nf_doc_hint(d, "`chown -R %s %s` (the directory of Database), or set "
	    "Database in %s to a place %s owns", d->user, dir, d->conf_path,
	    d->user);
}

void
nf_doc_check_store(struct nf_doc *d)
{
	const char *db = d->conf->database;
	struct nf_store_health h;
	char err[1024], dir[PATH_MAX];
	struct stat sb;
	int rc;

	if (db == NULL || db[0] == '\0') {
		nf_doc_add(d, NF_DOC_FAIL, "store", NULL, "Database is not set");
		nf_doc_hint(d, "add \"Database /var/lib/notifilter/notifilter.db\" "
		    "to %s", d->conf_path);
		return;
	}
	rc = nf_store_health(db, DOC_BUSY_MS, d->opts.full ? -1 :
	    DOC_QUICK_ABOVE, &h, err, sizeof err);
	if (rc != NF_STORE_OK) {
		nf_doc_add(d, rc == NF_STORE_BUSY ? NF_DOC_WARN : NF_DOC_FAIL,
		    "store", NULL, "%s", err);
		nf_doc_hint(d, "%s", rc == NF_STORE_BUSY ? "run doctor again "
		    "when the database is less busy" : rc == NF_STORE_SCHEMA ?
		    "point Database at notifilter's own file" : "fix the file's "
		    "owner and mode, or Database, and run doctor again");
		return;
	}
	if (!h.exists) {
		dir_of(db, dir, sizeof dir);
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			nf_doc_add(d, NF_DOC_FAIL, "store", NULL, "%s does not "
			    "exist, nor does its directory %s: the daemon cannot "
			    "create it", db, dir);
			nf_doc_hint(d, "`mkdir -p %s` (owned by the UserID user) or "
			    "fix Database in %s", dir, d->conf_path);
			return;
		}
		nf_doc_add(d, NF_DOC_WARN, "store", NULL, "%s does not exist "
		    "yet: the daemon creates it at its first start", db);
		nf_doc_hint(d, "start notifilter once, or check that Database in "
		    "%s names the file in use", d->conf_path);
		store_access(d, db, 0);
		return;
	}
	if (h.empty) {
		nf_doc_add(d, NF_DOC_WARN, "store", NULL, "%s is empty: the "
		    "daemon creates the schema at its next start", db);
		nf_doc_hint(d, "start notifilter once");
		store_access(d, db, 1);
		return;
	}
	nf_doc_add(d, NF_DOC_PASS, "store", NULL, "%s opens (%lld bytes)", db,
	    (long long)h.bytes);
	if (h.version > NF_STORE_SCHEMA_VERSION) {
		nf_doc_add(d, NF_DOC_FAIL, "store-schema", NULL, "schema version "
		    "%d is newer than this notifilter knows (%d): a newer "
		    "version wrote it, and this one will refuse it", h.version,
		    NF_STORE_SCHEMA_VERSION);
		nf_doc_hint(d, "install the notifilter that wrote it, or set "
		    "Database to another file");
	} else if (h.version < NF_STORE_SCHEMA_VERSION) {
		nf_doc_add(d, NF_DOC_WARN, "store-schema", NULL, "schema version "
		    "%d is older than %d: it will be migrated by the daemon at "
		    "its next start", h.version, NF_STORE_SCHEMA_VERSION);
		nf_doc_hint(d, "back up %s, then restart notifilter", db);
	} else
		nf_doc_add(d, NF_DOC_PASS, "store-schema", NULL, "schema "
		    "version %d (current)", h.version);
	if (h.intact)
		nf_doc_add(d, NF_DOC_PASS, "store-integrity", NULL, "PRAGMA %s: "
		    "ok", h.quick ? "quick_check" : "integrity_check");
	else {
		nf_doc_add(d, NF_DOC_FAIL, "store-integrity", NULL, "PRAGMA %s "
		    "found damage: %s", h.quick ? "quick_check" :
		    "integrity_check", h.problems[0] ? h.problems : "no details");
		nf_doc_hint(d, "stop notifilter, copy %s aside, and rebuild it "
		    "with `sqlite3 %s .recover | sqlite3 NEW.db`, then point "
		    "Database at NEW.db", db, db);
	}
	store_access(d, db, 1);
	/* the erased table and its key check exist from version 4 on */
	if (h.intact && h.version == NF_STORE_SCHEMA_VERSION)
		check_erasure_key(d, db);
}

/* ---- erasure key -------------------------------------------------------- */

#define DOC_ERASED_SHOW 3	/* erased names quoted in the hint */

struct erased_count {
	int64_t n;
	char first[DOC_ERASED_SHOW][NF_STORE_ERASED_SHOW + 1];
};

static int
erased_one(const struct nf_erased *e, void *arg)
{
	struct erased_count *c = arg;

	if (c->n < DOC_ERASED_SHOW)
		snprintf(c->first[c->n], sizeof c->first[0], "%.*s",
		    NF_STORE_ERASED_SHOW, e->hash);
	c->n++;
	return 0;
}

/*
 * Does SecretFile still key the erased rows?  Erasure keeps a keyed hash
 * of each suppressed address; a new SecretFile makes every such hash
 * unmatchable, so the erased addresses are allowed again without any
 * message.  nf_store_erase_key_check compares the current key with the
 * check value the first erasure stored.  Read-only, like the rest.
 */
static void
check_erasure_key(struct nf_doc *d, const char *db)
{
	const char *path = d->conf->secret_file;
	struct erased_count c;
	struct nf_secret *sec = NULL;
	struct nf_store *s = NULL;
	const unsigned char *k;
	struct nf_buf err;
	char e[1024], list[DOC_ERASED_SHOW * (NF_STORE_ERASED_SHOW + 16)];
	size_t klen = 0, used = 0;
	int rc, match = 1, i;

	memset(&c, 0, sizeof c);
	if (nf_store_open(db, NF_STORE_RDONLY, DOC_BUSY_MS, &s, e, sizeof e)
	    != NF_STORE_OK) {
		nf_doc_add(d, NF_DOC_WARN, "erasure-key", NULL, "cannot open %s "
		    "to compare SecretFile with its erased entries: %s", db, e);
		nf_doc_hint(d, "run doctor again when the store opens");
		return;
	}
	rc = nf_store_erased_each(s, erased_one, &c);
	if (rc != NF_STORE_OK) {
		nf_doc_add(d, NF_DOC_WARN, "erasure-key", NULL, "cannot list the "
		    "erased entries of %s: %s", db, nf_store_errmsg(s));
		nf_doc_hint(d, "run doctor again when the database is less busy");
		nf_store_close(s);
		return;
	}
	if (c.n == 0) {
		nf_doc_add(d, NF_DOC_PASS, "erasure-key", NULL, "no erased "
		    "contacts: nothing depends on SecretFile staying the same");
		nf_store_close(s);
		return;
	}
	nf_buf_init(&err, 1024);
	if (path == NULL || path[0] == '\0' ||
	    nf_secret_load(path, &sec, &err) != 0) {
		nf_doc_add(d, NF_DOC_WARN, "erasure-key", NULL, "%lld erased "
		    "entries are kept as hashes keyed by SecretFile, which %s, "
		    "so doctor cannot tell whether they still block anything",
		    (long long)c.n, path == NULL || path[0] == '\0' ?
		    "is not set" : "cannot be read (see secret-file)");
		nf_doc_hint(d, "fix SecretFile in %s (the very file in use when "
		    "the contacts were erased) and run doctor again",
		    d->conf_path);
		nf_buf_free(&err);
		nf_store_close(s);
		return;
	}
	nf_buf_free(&err);
	k = nf_secret_key(sec, &klen);
	rc = nf_store_erase_key_set(k, klen);
	nf_secret_free(sec);
	if (rc != 0) {
		nf_doc_add(d, NF_DOC_WARN, "erasure-key", NULL, "cannot derive "
		    "the erasure key from %s (crypto library failure)", path);
		nf_doc_hint(d, "run doctor again; if it persists, check the "
		    "OpenSSL installation");
		nf_store_close(s);
		return;
	}
	if ((rc = nf_store_erase_key_check(s, &match)) != NF_STORE_OK) {
		nf_doc_add(d, NF_DOC_WARN, "erasure-key", NULL, "cannot compare "
		    "SecretFile with the erased entries of %s: %s", db,
		    nf_store_errmsg(s));
		nf_doc_hint(d, "run doctor again when the database is less busy");
		nf_store_close(s);
		nf_store_erase_key_set(NULL, 0);
		return;
	}
	nf_store_close(s);
	nf_store_erase_key_set(NULL, 0);	/* doctor needs it no more */
	if (match) {
		nf_doc_add(d, NF_DOC_PASS, "erasure-key", NULL, "SecretFile "
		    "keys the erased entries (%lld; their addresses stay "
		    "suppressed)", (long long)c.n);
		return;
	}
	list[0] = '\0';
	for (i = 0; i < DOC_ERASED_SHOW && i < c.n; i++) {
		int w = snprintf(list + used, sizeof list - used, "%s`suppress "
		    "remove erased:%s`", i ? ", " : "", c.first[i]);

		if (w < 0 || (size_t)w >= sizeof list - used)
			break;
		used += (size_t)w;
	}
	nf_doc_add(d, NF_DOC_FAIL, "erasure-key", NULL, "%s is not the "
	    "SecretFile the erased entries (%lld) were made with: they match no "
	    "address any more, so the erased contacts' suppressions and "
	    "revoked consent no longer block anything", path, (long long)c.n);
	nf_doc_hint(d, "restore the old SecretFile (and restart notifilter), "
	    "or accept that those erased entries (%lld) no longer block anything "
	    "and remove them with `notifilterctl suppress remove erased:HASH` "
	    "(`suppress list` shows them; %s%s)", (long long)c.n, list,
	    c.n > DOC_ERASED_SHOW ? ", ..." : "");
}

/* ---- MailLog ------------------------------------------------------------- */

void
nf_doc_check_maillog(struct nf_doc *d)
{
	const char *log = d->conf->mail_log;
	char why[512];
	struct stat sb;
	int fd;

	if (log == NULL || log[0] == '\0') {
		nf_doc_add(d, NF_DOC_WARN, "maillog", NULL, "MailLog is not set: "
		    "delivery status (sent, deferred, bounced) is known only "
		    "from DSNs, and FallbackAfter cannot see deliveries");
		nf_doc_hint(d, "add \"MailLog /var/log/mail.log\" (the MTA's log "
		    "file) to %s", d->conf_path);
		return;
	}
	fd = open(log, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		nf_doc_add(d, NF_DOC_FAIL, "maillog", NULL, "%s cannot be read: "
		    "%s", log, strerror(errno));
		nf_doc_hint(d, "check MailLog in %s: Postfix logs to "
		    "/var/log/mail.log through syslog, or to its maillog_file",
		    d->conf_path);
		return;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		nf_doc_add(d, NF_DOC_FAIL, "maillog", NULL, "%s is not a regular "
		    "file", log);
		nf_doc_hint(d, "point MailLog in %s at the MTA's log file",
		    d->conf_path);
		return;
	}
	close(fd);
	if (d->have_user && nf_doc_user_may(d, log, R_OK, why, sizeof why)
	    != 1) {
		nf_doc_add(d, NF_DOC_FAIL, "maillog", NULL, "%s: the daemon "
		    "follows the log after it became %s", why, d->user);
		nf_doc_hint(d, "add %s to the log's group (Debian: `adduser %s "
		    "adm`) or make the log readable by it", d->user, d->user);
		return;
	}
	nf_doc_add(d, NF_DOC_PASS, "maillog", NULL, "%s is readable (%lld "
	    "bytes)", log, (long long)sb.st_size);
}
