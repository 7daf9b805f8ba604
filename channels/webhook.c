/*
 * webhook.c - a signed JSON POST, for WhatsApp, Viber or any provider
 * reached through the site's own relay.
 *
 * Config: url, secret_file (an HMAC key: lib/secret.c's rules, 16+ bytes).
 *
 * Request: POST url, Content-Type application/json, body
 *   {"to":"+49...","text":"...","channel":"whatsapp","ref":"TOKEN"|null,
 *    "idempotency_key":"..."}
 * (keys in that order, compact, UTF-8), with
 *   X-Notifilter-Signature: sha256=<lower-case hex HMAC-SHA256 of the exact
 *                           body bytes, keyed by the secret file's bytes>
 *   Idempotency-Key: <the same key as in the body>
 * A receiver verifies the signature over the raw body before parsing it
 * and drops a key it has seen.
 *
 * Answer: channel.c's classification by HTTP status.  A 2xx JSON body with
 * "id" (string or integer) gives the provider id; any other 2xx body is
 * fine and gives none.
 */
#include "config.h"

#include "channel_int.h"
#include "secret.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct webhook {
	char *url;
	struct nf_secret *key;
};

static void
webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	free(w->url);
	nf_secret_free(w->key);
	free(w);
}

static int
webhook_open(struct nf_channel *ch, const struct nf_conf_channel *cc, struct nf_buf *err)
{
	struct webhook *w = calloc(1, sizeof(*w));
	const char *path = nf_conf_channel_get(cc, "secret_file");
	struct nf_buf why;

	nf_buf_init(&why, 1024);
	if (w == NULL || nf_chan_strdup_opt(&w->url, cc, "url") != 0) {
		nf_buf_puts(err, "webhook: out of memory");
		goto fail;
	}
	if (w->url == NULL || path == NULL) {
		nf_buf_puts(err, "webhook: url= and secret_file= are required");
		goto fail;
	}
	if (nf_chan_url_check(w->url) != 0) {
		nf_buf_printf(err, "webhook: url '%s' is not an http:// or https:// URL", w->url);
		goto fail;
	}
	if (nf_secret_load(path, &w->key, &why) != 0) {
		nf_buf_printf(err, "webhook: %s", nf_buf_cstr(&why));
		goto fail;
	}
	nf_buf_free(&why);
	ch->priv = w;
	return 0;
fail:
	nf_buf_free(&why);
	webhook_free(w);
	return -1;
}

static void
webhook_close(struct nf_channel *ch)
{
	webhook_free(ch->priv);
	ch->priv = NULL;
}

/* "sha256=" + 64 hex digits into out (at least 72 bytes); 0 or -1 */
static int
webhook_sign(const struct nf_secret *key, const char *body, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	const unsigned char *k;
	size_t klen;

	k = nf_secret_key(key, &klen);
	if (HMAC(EVP_sha256(), k, (int)klen, (const unsigned char *)body, len,
	    mac, &maclen) == NULL || maclen != 32)
		return -1;
	memcpy(out, "sha256=", 7);
	for (i = 0; i < maclen; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[7 + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[7 + 2 * maclen] = '\0';
	return 0;
}

static void
webhook_read_answer(const struct nf_http_resp *r, struct nf_chan_result *res)
{
	json_t *root, *v;
	json_error_t jerr;
	char num[32];

	if (res->status != NF_CHAN_OK || r->body.len == 0)
		return;
	root = json_loadb(nf_buf_cstr(&r->body), r->body.len, 0, &jerr);
	if (root == NULL)
		return;
	v = json_is_object(root) ? json_object_get(root, "id") : NULL;
	if (json_is_string(v)) {
		nf_chan_set_id(res, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		nf_chan_set_id(res, num);
	}
	json_decref(root);
}

static void
webhook_send(const struct nf_channel *ch, struct nf_http *h,
    const struct nf_chan_msg *m, struct nf_chan_result *res)
{
	const struct webhook *w = ch->priv;
	char h_sig[128], h_idem[128], sig[80];
	struct nf_http_req q;
	struct nf_http_resp r;
	json_t *obj;
	char *body = NULL;

	memset(&q, 0, sizeof(q));
	obj = json_pack("{s:s, s:s, s:s, s:s?, s:s}", "to", m->to, "text", m->text,
	    "channel", ch->kind, "ref", m->ref, "idempotency_key", m->idempotency_key);
	if (obj == NULL ||
	    (body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(obj);
		nf_chan_answer(res, NULL, "not sent: could not build the JSON body (text or ref not UTF-8?)");
		return;
	}
	json_decref(obj);
	if (webhook_sign(w->key, body, strlen(body), sig) != 0) {
		free(body);
		res->status = NF_CHAN_RETRY;
		nf_chan_answer(res, NULL, "not sent: HMAC-SHA256 failed (libcrypto)");
		return;
	}
	snprintf(h_sig, sizeof(h_sig), "X-Notifilter-Signature: %s", sig);
	snprintf(h_idem, sizeof(h_idem), "Idempotency-Key: %s", m->idempotency_key);
	q.headers[0] = h_sig;
	q.headers[1] = h_idem;
	q.method = "POST";
	q.url = w->url;
	q.content_type = "application/json";
	q.body = body;
	q.body_len = strlen(body);

	nf_http_perform(h, &ch->opts, &q, &r);
	nf_chan_classify(&r, q.secrets, res);
	if (r.outcome == NF_HTTP_ANSWERED)
		webhook_read_answer(&r, res);
	nf_http_resp_free(&r);
	free(body);
}

const struct nf_chan_driver nf_chan_driver_webhook = {
	"webhook", webhook_open, webhook_close, webhook_send,
};
