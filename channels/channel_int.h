/*
 * channel_int.h - what a channel driver sees: the driver table entry, the
 * shared HTTP call (http.c), answer classification and the small helpers
 * every driver needs (channel.c).  Not for callers outside channels/.
 *
 * Adding a driver: write channels/NAME.c defining
 *   const struct nf_chan_driver nf_chan_driver_NAME = { "NAME", open, close, send };
 * and add X(NAME) to NF_CHAN_DRIVERS below (the one registration line).
 * The driver's keys must also be known to lib/conf_value.c's table, which
 * checks the config file before channels are opened.
 */
#ifndef NF_CHANNEL_INT_H
#define NF_CHANNEL_INT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "channel.h"
#include "conf.h"

struct nf_chan_driver {
	const char *name;
	/* read cc's options and secrets into ch->priv; -1 with a line in err */
	int (*open)(struct nf_channel *ch, const struct nf_conf_channel *cc,
	    struct nf_buf *err);
	void (*close)(struct nf_channel *ch);	/* wipe and free ch->priv */
	/* one request; fills res (channel.c has set defaults) */
	void (*send)(const struct nf_channel *ch, struct nf_http *h,
	    const struct nf_chan_msg *m, struct nf_chan_result *res);
};

/* The registration list: one X(name) per driver file. */
#define NF_CHAN_DRIVERS \
	X(kannel) \
	X(twilio) \
	X(vonage) \
	X(webhook)

#define X(name) extern const struct nf_chan_driver nf_chan_driver_##name;
NF_CHAN_DRIVERS
#undef X

struct nf_channel {
	const struct nf_chan_driver *drv;
	char *kind;
	struct nf_chan_opts opts;	/* defaults filled in */
	void *priv;
};

/* ---- http.c: the one libcurl setup ---------------------------------- */

#define NF_HTTP_HEADERS_MAX 8
#define NF_HTTP_SECRETS_MAX 4
#define NF_CHAN_RETRY_AFTER_MAX 86400L	/* a longer wait is read as one day */

struct nf_http_req {
	const char *method;		/* "GET" or "POST" */
	const char *url;
	const char *content_type;	/* of the POST body, or NULL */
	const char *body;		/* POST body, or NULL */
	size_t body_len;
	const char *headers[NF_HTTP_HEADERS_MAX + 1];	/* "Name: value", NULL-ended */
	const char *user, *password;	/* HTTP basic auth, or NULL */
	/* strings masked out of every text that leaves http.c, NULL-ended */
	const char *secrets[NF_HTTP_SECRETS_MAX + 1];
};

enum nf_http_outcome {
	NF_HTTP_ANSWERED = 0,	/* a status line came; see status */
	NF_HTTP_TRANSIENT,	/* no answer: refused, time-out, dropped, DNS */
	NF_HTTP_FATAL		/* will not work by waiting: bad URL, TLS verify */
};

struct nf_http_resp {
	enum nf_http_outcome outcome;
	long status;			/* HTTP status, 0 if none */
	long retry_after;		/* parsed Retry-After in seconds, or -1 */
	struct nf_buf body;		/* capped at opts.max_answer */
	char error[160];		/* transport error text, masked; "" if none */
	double seconds;
};

/*
 * Run one request.  Always fills *r (free with nf_http_resp_free) and
 * returns 0; the outcome says what happened.  TLS verification is on,
 * redirects are not followed, signals are not used, only http and https
 * are allowed, and "Expect: 100-continue" is never sent.  The body is
 * kept up to opts->max_answer bytes; the rest is read and dropped so the
 * status still counts (r->body.truncated is then set).
 */
int nf_http_perform(struct nf_http *h, const struct nf_chan_opts *o,
    const struct nf_http_req *q, struct nf_http_resp *r);
void nf_http_resp_free(struct nf_http_resp *r);

/*
 * Retry-After (RFC 9110 10.2.3): delta-seconds or an HTTP-date (IMF-fixdate,
 * RFC 850 or asctime form).  *secs is the wait from `now`, 0 for a date in
 * the past, at most NF_CHAN_RETRY_AFTER_MAX.  0 ok, -1 unreadable.
 */
int nf_http_parse_retry_after(const char *v, time_t now, long *secs);

/* ---- channel.c: classification and helpers --------------------------- */

/*
 * The generic verdict on a transport result: answered 2xx ok; 408, 429 and
 * 5xx retry (with the Retry-After seconds); other statuses permanent;
 * transient transport errors retry; fatal ones permanent.  Sets res's
 * status, retry_after, http_status, seconds and a default answer text
 * ("HTTP 400: <start of the body>", "no answer: <curl error>").
 * Drivers then refine it from the body.
 */
void nf_chan_classify(const struct nf_http_resp *r,
    const char *const *secrets, struct nf_chan_result *res);

/* Set res->answer from a format, as one line of printable text with every
 * secret (and its percent-encoded form) masked as "***". */
void nf_chan_answer(struct nf_chan_result *res, const char *const *secrets,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copy `in` into out[outlen] as one printable line, secrets masked. */
void nf_chan_clean_text(char *out, size_t outlen, const char *in, size_t inlen,
    const char *const *secrets);

/* Set the provider's message id (printable ASCII only; cut ids are refused
 * and left empty, since a wrong id is worse than none).  0 ok, -1 refused. */
int nf_chan_set_id(struct nf_chan_result *res, const char *id);

/* Append name=value, percent-encoded as application/x-www-form-urlencoded
 * (with '&' before all but the first pair).  NF_BUF_* result. */
int nf_chan_form_add(struct nf_buf *b, const char *name, const char *value);
/* Append `s` percent-encoded (RFC 3986 unreserved kept). */
int nf_chan_url_escape(struct nf_buf *b, const char *s);
/* Append the URL template `tmpl` with every "{key}" replaced by `key`
 * (NULL: empty) percent-encoded: kannel's dlr_url, twilio's
 * status_callback, and the receipt reader that must rebuild the latter.
 * 0, or -1 when the buffer's limit was reached. */
int nf_chan_url_with_key(struct nf_buf *out, const char *tmpl,
    const char *key);

/* base + path, with one '/' between; base must be http:// or https://.
 * 0 ok; -1 with a reason in err. */
int nf_chan_url_join(struct nf_buf *out, const char *base, const char *path,
    struct nf_buf *err);
/* 0 if `url` starts with http:// or https:// and has a host. */
int nf_chan_url_check(const char *url);

/*
 * Read a provider credential (password_file, token_file, secret_file) with
 * the checks of lib/secret.c (regular file, not readable by others, not
 * writable by group or others) but no minimum length: passwords are what
 * the provider issued.  One trailing newline is dropped; the value must be
 * 1..1024 bytes of printable ASCII without spaces at either end (it ends up
 * in headers and forms).  Returns a heap string to free with
 * nf_chan_cred_free (which wipes it), or NULL with a line in err naming
 * `key`, the path and the fix; never the content.
 */
char *nf_chan_cred_load(const char *key, const char *path, struct nf_buf *err);
void nf_chan_cred_free(char *s);
/* nf_chan_cred_load of the file named by option `key` of cc; errors are
 * prefixed "DRIVER: ".  NULL on failure (also when the option is absent). */
char *nf_chan_cred_opt(const char *driver, const struct nf_conf_channel *cc,
    const char *key, struct nf_buf *err);

/* Copy a config value for a driver (NULL stays NULL); -1 out of memory. */
int nf_chan_strdup_opt(char **dst, const struct nf_conf_channel *cc,
    const char *key);

#endif
