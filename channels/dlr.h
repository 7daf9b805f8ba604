/*
 * dlr.h - reading providers' delivery receipts (issue 5): what a Kannel
 * DLR callback, a Twilio status callback, a Vonage delivery receipt or a
 * webhook provider's receipt says, after checking the signature of those
 * that carry one.  No I/O and no store: milter/receipt.c receives the
 * HTTP request and records the result; this file knows the providers.
 *
 * Paths (the first segment of the request path chooses the provider):
 *   /kannel   GET (or POST form): key, status (Kannel's %d), optional
 *             smsc (%i) and answer (%A); unsigned (protect by network)
 *   /twilio   POST form: MessageSid, MessageStatus, ErrorCode; optional
 *             key in the query; X-Twilio-Signature required
 *   /vonage   GET, POST form or POST JSON: messageId, status, err-code,
 *             client-ref; unsigned (both ids must agree with the row)
 *   /webhook  POST JSON {"id", "idempotency_key", "status", "code"};
 *             X-Notifilter-Signature: sha256=HEX required
 */
#ifndef NF_DLR_H
#define NF_DLR_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

#define NF_DLR_ID_MAX 128
#define NF_DLR_KEY_MAX 72
#define NF_DLR_STATUS_MAX 32
#define NF_DLR_DETAIL_MAX 240

/* What a request amounts to; each maps to one HTTP status. */
enum nf_dlr_rc {
	NF_DLR_OK = 0,		/* a receipt: record it (200, or 404 if no row) */
	NF_DLR_BAD,		/* 400: fields missing or unreadable */
	NF_DLR_FORBIDDEN,	/* 403: signature missing or wrong */
	NF_DLR_NOPATH,		/* 404: no such provider path, or not configured */
	NF_DLR_METHOD		/* 405: a method this provider does not use */
};

/* The verification material of the configured channels (secrets are read
 * from their files when opened, wiped when freed). */
struct nf_dlr_keys;

/* 0 with *out set, or -1 with one line in err naming the channel's line
 * and what to fix (a secret file that cannot be read). */
int nf_dlr_keys_open(const struct nf_conf *conf, struct nf_dlr_keys **out,
    struct nf_buf *err);
void nf_dlr_keys_free(struct nf_dlr_keys *k);

struct nf_dlr_req {
	const char *method;		/* "GET", "POST" */
	const char *target;		/* request target: /path?query */
	const char *host;		/* Host header, or NULL */
	const char *content_type;	/* or NULL */
	const char *body;		/* may contain NULs; body_len counts */
	size_t body_len;
	const char *twilio_sig;		/* X-Twilio-Signature, or NULL */
	const char *webhook_sig;	/* X-Notifilter-Signature, or NULL */
};

struct nf_dlr {
	const char *driver;			/* "kannel" ... (static) */
	char provider_id[NF_DLR_ID_MAX];	/* "" when the receipt has none */
	char key[NF_DLR_KEY_MAX];		/* idempotency key, or "" */
	char status[NF_DLR_STATUS_MAX];		/* "delivered" "failed" ... */
	int final;				/* no later receipt replaces it */
	char detail[NF_DLR_DETAIL_MAX];		/* "delivered: kannel status 1 ..." */
};

/*
 * Read one request.  NF_DLR_OK fills *out (at least one of provider_id
 * and key is set); otherwise `why` (one line, never a secret) says what
 * was wrong, for the answer body and the debug log.
 */
enum nf_dlr_rc nf_dlr_parse(const struct nf_dlr_keys *k,
    const struct nf_dlr_req *q, struct nf_dlr *out, char *why, size_t whylen);

int nf_dlr_http_status(enum nf_dlr_rc rc);	/* 200 400 403 404 405 */

/* Twilio's X-Twilio-Signature of `url` and the form `body` (NULL for a
 * GET) under `token`, base64, into out[outlen >= 32].  0 or -1.  For tests
 * and for checking a setup by hand. */
int nf_dlr_twilio_sign(const char *token, const char *url, const char *body,
    size_t body_len, char *out, size_t outlen);

#endif
