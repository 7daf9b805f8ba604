/*
 * channel.h - send one text message through one configured provider
 * ("Channel KIND DRIVER key=value ..." in notifilter.conf).
 *
 * The fallback dispatcher is the only caller.  It opens every configured
 * channel once at start (secrets are read then, so a bad file stops the
 * start with the config line), keeps one struct nf_http per dispatcher
 * thread, and for each outbox row calls nf_channel_send(), which answers
 * one of three things:
 *
 *   NF_CHAN_OK         the provider took the message (provider_id set when
 *                      it gave one);
 *   NF_CHAN_RETRY      try again later: no answer (time-out, refused or
 *                      dropped connection), HTTP 408/429/5xx, or a
 *                      provider-level "busy"; retry_after > 0 when the
 *                      provider said how long to wait (Retry-After), else -1;
 *   NF_CHAN_PERMANENT  this message will never go through this channel as it
 *                      is (other 4xx, rejected number, bad credentials, a
 *                      redirect, a TLS certificate that does not verify).
 *
 * Every result carries a short one-line answer text for the outbox record
 * and the trace, e.g. "HTTP 400 twilio 21211: The 'To' number ... is not a
 * valid phone number".  Secrets never appear in it (they are masked even if
 * a provider echoes them back).
 *
 * Thread-safety: an open struct nf_channel is read-only and may be shared by
 * threads; a struct nf_http belongs to one thread at a time (it holds the
 * libcurl handle and its kept-alive connections).  nf_chan_global_init()
 * must run once in main() before any thread starts.
 */
#ifndef NF_CHANNEL_H
#define NF_CHANNEL_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

enum nf_chan_status { NF_CHAN_OK = 0, NF_CHAN_RETRY, NF_CHAN_PERMANENT };

#define NF_CHAN_ID_MAX 128	/* provider message ids are 16..64 chars */
#define NF_CHAN_ANSWER_MAX 240	/* one line for the record */

struct nf_chan_msg {
	const char *to;			/* E.164 with '+', e.g. "+4915112345678" */
	const char *text;		/* UTF-8, already cut to its segment limit */
	const char *ref;		/* the notification's token, for the receiver; may be NULL */
	const char *idempotency_key;	/* stable per outbox row, [A-Za-z0-9._-]{1,64} */
};

struct nf_chan_result {
	enum nf_chan_status status;
	long retry_after;		/* seconds the provider asked for, or -1 */
	long http_status;		/* 0 when no HTTP answer came */
	char provider_id[NF_CHAN_ID_MAX];	/* "" when none */
	char answer[NF_CHAN_ANSWER_MAX];	/* never secret, never empty */
	double seconds;			/* wall time of the request */
};

/* Network limits of every request; 0 fields take the defaults. */
struct nf_chan_opts {
	long connect_timeout_ms;	/* default 5000 */
	long timeout_ms;		/* whole request, default 15000 */
	size_t max_answer;		/* bytes of answer body kept, default 65536 */
	const char *ca_file;		/* extra CA bundle (tests), or NULL */
};

struct nf_channel;
struct nf_http;

/* Once per process, before threads: 0, or -1 if libcurl cannot start. */
int nf_chan_global_init(void);
void nf_chan_global_cleanup(void);

/*
 * Check the options of `cc` against its driver and read its secret files.
 * Returns 0 with *out set, or -1 with *out NULL and one line in `err` that
 * names the driver and what to fix (the caller adds file and line, which it
 * has in cc->line).  `opts` may be NULL.
 */
int nf_channel_open(const struct nf_conf_channel *cc,
    const struct nf_chan_opts *opts, struct nf_channel **out, struct nf_buf *err);
void nf_channel_close(struct nf_channel *ch);	/* wipes secrets; NULL is fine */
const char *nf_channel_kind(const struct nf_channel *ch);	/* "sms" ... */
const char *nf_channel_driver(const struct nf_channel *ch);	/* "kannel" ... */

/* Is `name` a driver this build knows?  (for doctor and config checks) */
int nf_channel_driver_known(const char *name);

/* One libcurl handle with its connection cache, for one thread. */
struct nf_http *nf_http_new(void);
void nf_http_free(struct nf_http *h);

/*
 * Send `m` through `ch` using `h`.  Always fills *res (status and answer);
 * returns the status as well.  Bad arguments (no "to", no text, a key that
 * is not [A-Za-z0-9._-]{1,64}) are NF_CHAN_PERMANENT without any request.
 * Blocks for at most about connect + total time-out.
 */
enum nf_chan_status nf_channel_send(const struct nf_channel *ch, struct nf_http *h,
    const struct nf_chan_msg *m, struct nf_chan_result *res);

const char *nf_chan_status_name(enum nf_chan_status s);	/* "ok" "retry" "permanent" */

#endif
