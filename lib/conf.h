/*
 * conf.h - notifilter's configuration: one table of keys drives parsing,
 * the dump (-n) and the man page check.
 *
 * The file format is OpenDKIM's: one "Key value" per line, '#' starts a
 * comment, keys are case-insensitive, a repeated key replaces the earlier
 * value except for repeatable keys (Channel).  Unknown keys and bad values
 * are errors that name the file and line.
 *
 * A loaded struct nf_conf is immutable and reference-counted, so that a
 * reload (SIGUSR1) can swap in a new one while callbacks still hold the old.
 */
#ifndef NF_CONF_H
#define NF_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#ifndef NF_SYSCONFDIR
#define NF_SYSCONFDIR "/etc"
#endif
#define NF_CONF_DEFAULT_PATH NF_SYSCONFDIR "/notifilter/notifilter.conf"

/* the values index conf.c's two_words table: keep the order */
enum nf_mode { NF_MODE_ENFORCE = 0, NF_MODE_MONITOR };
enum nf_blocked_action { NF_BLOCKED_REJECT = 0, NF_BLOCKED_DROP };
enum nf_store_error_action { NF_ONSTORE_TEMPFAIL = 0, NF_ONSTORE_ACCEPT };

/* ComplaintAuth bits */
#define NF_AUTH_DKIM 0x1
#define NF_AUTH_SPF  0x2

struct nf_conf_kv {
	char *key;
	char *value;
};

struct nf_conf_channel {
	char *kind;		/* "sms", "whatsapp", "viber" */
	char *driver;		/* "kannel", "twilio", "vonage", "webhook" */
	struct nf_conf_kv *kv;
	size_t nkv;
	int line;		/* where it was defined, for later errors */
};

struct nf_conf {
	int refs;		/* atomic; see nf_conf_ref/unref */
	char *path;

	char *socket;
	char *database;
	enum nf_mode mode;
	char **senders;		/* patterns: a@b, *@b, *@*.b (lower case) */
	size_t nsenders;
	char *bounce_domain;	/* NULL if unset */
	char *secret_file;
	int default_email_consent;	/* 1 yes, 0 no */
	int default_phone_consent;
	enum nf_blocked_action blocked_recipient;
	enum nf_store_error_action on_store_error;
	int request_dsn;
	char *mail_log;
	int64_t fallback_after;		/* seconds */
	char **fallback_channels;
	size_t nfallback_channels;
	char *support_address;
	char *user_id;
	char *default_country;		/* digits of the calling code, e.g. "49" */
	int64_t soft_bounce_limit;
	int64_t soft_bounce_window;	/* seconds */
	int complaint_auth;		/* NF_AUTH_* bits */
	char **complaint_domains;	/* lower case; none: any signer */
	size_t ncomplaint_domains;
	char *fallback_template;
	int64_t fallback_max_per_phone;
	int64_t fallback_max_per_hour;
	int64_t fallback_max_segments;
	int64_t fallback_expiry;	/* seconds */
	struct nf_conf_channel *channels;
	size_t nchannels;

	/* extensions to DESIGN.md's table (documented in notifilter.conf(5)) */
	char *pid_file;
	int log_level;			/* enum nf_log_level */
	int syslog_facility;		/* LOG_MAIL ... or -1 for none */
	char *verp_prefix;		/* <prefix>+<token>@BounceDomain */
	int umask;			/* for a unix socket */
	int64_t store_timeout;		/* milliseconds: SQLite busy timeout */
	char *nonsmtpd_name;		/* {daemon_name} of Postfix's non-SMTP path */
	char *receipt_listen;		/* ReceiptListen: provider receipts (issue 5) */
	char *fallback_quiet_hours;	/* FallbackQuietHours "21:00-08:00", or NULL */
	int quiet_start, quiet_end;	/* ... as minutes of the day; -1 when unset */
	char *fallback_time_zone;	/* FallbackTimeZone (IANA name), or NULL: the system's */
};

/*
 * Load `path`.  On success returns 0 and *out holds a conf with refs = 1.
 * On failure returns -1 and `err` holds "path:line: reason" (or
 * "path: reason" for errors that have no line); *out is NULL.
 */
int nf_conf_load(const char *path, struct nf_conf **out, struct nf_buf *err);
/* A conf with every default, as if the file were empty. */
struct nf_conf *nf_conf_defaults(void);
struct nf_conf *nf_conf_ref(struct nf_conf *c);
void nf_conf_unref(struct nf_conf *c);

/* Print every key with its effective value, in file syntax (for -n). */
void nf_conf_dump(const struct nf_conf *c, FILE *fp);

/* Iterate the key table (for the man page check and --help). */
struct nf_conf_keyinfo {
	const char *name;
	const char *type;	/* "string", "bool", "duration", ... */
	const char *def;	/* default as written in the file, or NULL */
	const char *help;
};
const struct nf_conf_keyinfo *nf_conf_keys(size_t *n);

/* "30s" "15m" "2h" "7d" or a bare number of seconds. 0 ok, -1 bad. */
int nf_conf_parse_duration(const char *s, int64_t *seconds);
/* Find a channel option; NULL if absent. */
const char *nf_conf_channel_get(const struct nf_conf_channel *ch,
    const char *key);

#endif
