/*
 * ctl.c - what notifilterctl's subcommands share: the lazily loaded config
 * and store, the mapping of store results to exit codes, key parsing, times
 * and JSON output.
 *
 * struct nf_ctl owns the config and the store it opens; nf_ctl_close()
 * releases both.  Functions here print their own error message (what
 * happened, what to do) to stderr and return the sysexits code for main()
 * to exit with.  Nothing here prints a secret: the config's secret keys are
 * file names, and we never print config values except Database.  The
 * erasure key derived from SecretFile lives in the store (process-wide);
 * the file's bytes are freed (wiped) as soon as it is derived.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "addr.h"
#include "ctl.h"
#include "ctl_erase.h"
#include "phone.h"
#include "secret.h"

/* used when the config does not say (StoreTimeout) */
#define CTL_BUSY_MS_DEFAULT 5000

int
nf_ctl_conf(struct nf_ctl *ctl, struct nf_conf **out)
{
	struct nf_buf err;
	struct stat st;

	if (ctl->conf != NULL) {
		*out = ctl->conf;
		return NF_EX_OK;
	}
	*out = NULL;
	if (stat(ctl->conf_path, &st) == -1) {
		fprintf(stderr, "notifilterctl: cannot read the config file %s: "
		    "%s; use -c FILE to name the config file\n",
		    ctl->conf_path, strerror(errno));
		return NF_EX_CONFIG;
	}
	nf_buf_init(&err, 4096);
	if (nf_conf_load(ctl->conf_path, &ctl->conf, &err) == -1) {
		fprintf(stderr, "notifilterctl: %s\n",
		    err.len ? nf_buf_cstr(&err) : ctl->conf_path);
		nf_buf_free(&err);
		ctl->conf = NULL;
		return NF_EX_CONFIG;
	}
	nf_buf_free(&err);
	*out = ctl->conf;
	return NF_EX_OK;
}

/* Exit code for a store result; the message is printed by the caller. */
static int
store_exit(int rc)
{
	switch (rc) {
	case NF_STORE_OK:
		return NF_EX_OK;
	case NF_STORE_NOTFOUND:
		return NF_EX_NOTFOUND;
	case NF_STORE_CONFLICT:
		return NF_EX_DATAERR;
	case NF_STORE_BUSY:
		return NF_EX_TEMPFAIL;
	case NF_STORE_SCHEMA:
		return NF_EX_CONFIG;
	case NF_STORE_READONLY:
		return NF_EX_CANTCREAT;
	default:
		return NF_EX_UNAVAILABLE;
	}
}

int
nf_ctl_store(struct nf_ctl *ctl, struct nf_store **out)
{
	struct nf_conf *conf;
	struct stat st;
	char err[1024];
	int rc, busy_ms;

	if (ctl->store != NULL) {
		*out = ctl->store;
		return NF_EX_OK;
	}
	*out = NULL;
	if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
		return rc;
	if (conf->database == NULL || conf->database[0] == '\0') {
		fprintf(stderr, "notifilterctl: %s: no Database is set; add a "
		    "\"Database /path/to/notifilter.db\" line\n", ctl->conf_path);
		return NF_EX_CONFIG;
	}
	if (conf->store_timeout <= 0)
		busy_ms = CTL_BUSY_MS_DEFAULT;
	else if (conf->store_timeout > INT_MAX)
		busy_ms = INT_MAX;
	else
		busy_ms = (int)conf->store_timeout;

	err[0] = '\0';
	rc = nf_store_open(conf->database, NF_STORE_CREATE, busy_ms,
	    &ctl->store, err, sizeof err);
	/* A database we may read but not write still answers show and list;
	 * a write then fails with its own clear message. */
	if (rc == NF_STORE_READONLY && stat(conf->database, &st) == 0) {
		err[0] = '\0';
		rc = nf_store_open(conf->database, NF_STORE_RDONLY, busy_ms,
		    &ctl->store, err, sizeof err);
	}
	if (rc != NF_STORE_OK) {
		ctl->store = NULL;
		if (rc == NF_STORE_BUSY)
			fprintf(stderr, "notifilterctl: database %s is busy, try "
			    "again%s%s\n", conf->database, err[0] ? ": " : "",
			    err);
		else
			fprintf(stderr, "notifilterctl: %s\n", err[0] ? err :
			    "cannot open the database");
		if (rc == NF_STORE_SCHEMA)
			fprintf(stderr, "notifilterctl: the file was not changed; "
			    "check Database in %s\n", ctl->conf_path);
		return store_exit(rc);
	}
	*out = ctl->store;
	return NF_EX_OK;
}

int
nf_ctl_store_fail(struct nf_ctl *ctl, int rc, const char *what)
{
	const char *msg;

	if (rc == NF_STORE_OK)
		return NF_EX_OK;
	msg = ctl->store ? nf_store_errmsg(ctl->store) : NULL;
	if (msg == NULL || msg[0] == '\0')
		msg = "no details";
	switch (rc) {
	case NF_STORE_NOTFOUND:
		fprintf(stderr, "notifilterctl: %s: not found\n", what);
		break;
	case NF_STORE_BUSY:
		fprintf(stderr, "notifilterctl: %s: database is busy, try again "
		    "(%s)\n", what, msg);
		break;
	case NF_STORE_READONLY:
		fprintf(stderr, "notifilterctl: %s: the database cannot be "
		    "written (%s); check the permissions of the file and its "
		    "directory\n", what, msg);
		break;
	default:
		fprintf(stderr, "notifilterctl: %s: %s\n", what, msg);
		break;
	}
	return store_exit(rc);
}

void
nf_ctl_close(struct nf_ctl *ctl)
{
	if (ctl->store != NULL) {
		nf_store_close(ctl->store);
		ctl->store = NULL;
	}
	if (ctl->conf != NULL) {
		nf_conf_unref(ctl->conf);
		ctl->conf = NULL;
	}
}

void
nf_ctl_help(const struct nf_ctl_cmd *cmd, FILE *fp)
{
	fprintf(fp, "usage: notifilterctl [-c FILE] %s%s%s %s\n  %s\n",
	    cmd->group ? cmd->group : "", cmd->group ? " " : "", cmd->name,
	    cmd->usage, cmd->summary);
}

int
nf_ctl_usage(struct nf_ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "notifilterctl: ");
	if (ctl->cmd != NULL)
		fprintf(stderr, "%s%s%s: ", ctl->cmd->group ? ctl->cmd->group : "",
		    ctl->cmd->group ? " " : "", ctl->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctl->cmd != NULL)
		nf_ctl_help(ctl->cmd, stderr);
	return NF_EX_USAGE;
}

int
nf_ctl_key(struct nf_ctl *ctl, const char *in, char *out, size_t outlen,
    int *is_phone)
{
	struct nf_conf *conf;
	const char *why = NULL;
	int rc;

	*is_phone = 0;
	if (strchr(in, '@') != NULL) {
		if (nf_addr_normalize(in, out, outlen, &why) == 0)
			return NF_EX_OK;
		fprintf(stderr, "notifilterctl: \"%s\" is not a valid email "
		    "address: %s\n", in, why ? why : "bad syntax");
		return NF_EX_DATAERR;
	}
	if (in[0] == '+' || in[0] == '(' || (in[0] >= '0' && in[0] <= '9')) {
		if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
			return rc;
		*is_phone = 1;
		if (nf_phone_normalize(in, conf->default_country, out, outlen,
		    &why) == 0)
			return NF_EX_OK;
		fprintf(stderr, "notifilterctl: \"%s\" is not a valid phone "
		    "number: %s\n", in, why ? why : "bad syntax");
		return NF_EX_DATAERR;
	}
	fprintf(stderr, "notifilterctl: \"%s\" is neither an email address "
	    "nor a phone number (write phones as +CC...)\n", in);
	return NF_EX_DATAERR;
}

int64_t
nf_ctl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
nf_ctl_time(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return out;
	if (strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
	return out;
}

int
nf_ctl_json_print(struct json_t *v)
{
	int rc;

	if (v == NULL) {
		fprintf(stderr, "notifilterctl: out of memory building JSON\n");
		return NF_EX_SOFTWARE;
	}
	rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (rc != 0 || fputc('\n', stdout) == EOF) {
		fprintf(stderr, "notifilterctl: cannot write the output\n");
		return NF_EX_IOERR;
	}
	return NF_EX_OK;
}

int
nf_ctl_typo_warn(const char *prefix, const char *addr)
{
	char suggest[NF_STORE_EMAIL_MAX + 8];
	const char *dom, *sdom, *at;

	if (nf_addr_typo_hint(addr, suggest, sizeof suggest) != 1)
		return 0;
	at = strrchr(addr, '@');
	dom = at ? at + 1 : addr;
	sdom = strrchr(suggest, '@');
	if (sdom != NULL)	/* a whole address was suggested */
		fprintf(stderr, "%swarning: %s looks like a typo of %s (did you "
		    "mean %s?)\n", prefix, dom, sdom + 1, suggest);
	else			/* only the domain */
		fprintf(stderr, "%swarning: %s looks like a typo of %s (did you "
		    "mean %.*s@%s?)\n", prefix, dom, suggest,
		    at ? (int)(at - addr) : 0, addr, suggest);
	return 1;
}

int
nf_ctl_badopt(struct nf_ctl *ctl, int c, char **argv, int optind_now)
{
	const char *opt = optind_now > 0 ? argv[optind_now - 1] : "?";

	if (c == ':')
		return nf_ctl_usage(ctl, "option %s needs a value", opt);
	return nf_ctl_usage(ctl, "unknown option %s", opt);
}

int
nf_ctl_text_ok(const char *s, size_t max, const char **why)
{
	const unsigned char *p;
	json_t *j;

	if (strlen(s) >= max) {
		*why = "is too long";
		return 0;
	}
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			*why = "contains a control character";
			return 0;
		}
	/* jansson refuses invalid UTF-8: the same test --json output meets */
	if ((j = json_string(s)) == NULL) {
		*why = "is not valid UTF-8";
		return 0;
	}
	json_decref(j);
	return 1;
}

/* 0 not tried, 1 no SecretFile, 2 key set: loaded once per process */
static int erase_key_state;

int
nf_ctl_erase_key(struct nf_ctl *ctl, int *have)
{
	struct nf_secret *sec = NULL;
	const unsigned char *k;
	struct nf_conf *conf;
	struct nf_buf err;
	size_t klen = 0;
	int rc;

	*have = 0;
	if (erase_key_state != 0) {
		*have = erase_key_state == 2;
		return NF_EX_OK;
	}
	if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
		return rc;
	if (conf->secret_file == NULL || conf->secret_file[0] == '\0') {
		erase_key_state = 1;
		return NF_EX_OK;
	}
	nf_buf_init(&err, 1024);
	if (nf_secret_load(conf->secret_file, &sec, &err) != 0) {
		fprintf(stderr, "notifilterctl: %s (SecretFile in %s keys the "
		    "hashes of erased addresses)\n", err.len ?
		    nf_buf_cstr(&err) : conf->secret_file, ctl->conf_path);
		nf_buf_free(&err);
		return NF_EX_CONFIG;
	}
	nf_buf_free(&err);
	k = nf_secret_key(sec, &klen);
	rc = nf_store_erase_key_set(k, klen);
	nf_secret_free(sec);
	if (rc != 0) {
		fprintf(stderr, "notifilterctl: cannot derive the erasure key "
		    "from %s (crypto library failure)\n", conf->secret_file);
		return NF_EX_SOFTWARE;
	}
	erase_key_state = 2;
	*have = 1;
	return NF_EX_OK;
}

const char *
nf_ctl_erased_name(const char *hash, char *out, size_t len)
{
	snprintf(out, len, "%s%.*s", NF_CTL_ERASED_PREFIX,
	    NF_STORE_ERASED_SHOW, hash);
	return out;
}
