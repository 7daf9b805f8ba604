/*
 * vonage.c - SMS through Vonage's (formerly Nexmo's) SMS API.
 *
 * Config: key (API key), secret_file (API secret), from (number or
 * alphanumeric sender), optional base_url (default https://rest.nexmo.com).
 *
 * Request: POST {base_url}/sms/json, form-encoded api_key, api_secret,
 * from, to (E.164 digits without '+', as Vonage writes numbers), text,
 * type ("unicode" when sms_text.c says UCS-2, else "text") and client-ref
 * (the idempotency key: it comes back in delivery receipts).  The SMS API
 * has no idempotency header.
 *
 * Answer: HTTP 200 with {"message-count": "N", "messages": [{"status": "0",
 * "message-id": ..., "error-text": ...}, ...]}, one entry per part.  All
 * parts "0" is ok, provider id = the first part's message-id.  Otherwise
 * the first failing part decides, by Vonage's status code:
 *   1 throttled, 5 internal error, 10 too many binds          retry
 *   9 partner quota exceeded (out of credit)                  retry: a
 *     top-up within FallbackExpiry lets the message through
 *   everything else (2 missing, 3 invalid params, 4 invalid credentials,
 *   6 invalid message, 7 number barred, 8 account barred, 11 HTTP not
 *   enabled, 12 too long, 15 invalid sender, 29 non-whitelisted, ...)  permanent
 * A failure after earlier parts were accepted is permanent whatever the
 * code: retrying would send those parts twice.  HTTP errors and unparseable
 * 2xx answers follow channel.c.
 */
#include "config.h"

#include "channel_int.h"
#include "sms_text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VONAGE_DEFAULT_BASE "https://rest.nexmo.com"

struct vonage {
	char *key, *secret, *from, *url;
};

static void
vonage_free(struct vonage *v)
{
	if (v == NULL)
		return;
	free(v->key);
	nf_chan_cred_free(v->secret);
	free(v->from);
	free(v->url);
	free(v);
}

static int
vonage_open(struct nf_channel *ch, const struct nf_conf_channel *cc, struct nf_buf *err)
{
	struct vonage *v = calloc(1, sizeof(*v));
	const char *base = nf_conf_channel_get(cc, "base_url");
	struct nf_buf url, why;

	nf_buf_init(&url, 2048);
	nf_buf_init(&why, 512);
	if (v == NULL || nf_chan_strdup_opt(&v->key, cc, "key") != 0 ||
	    nf_chan_strdup_opt(&v->from, cc, "from") != 0) {
		nf_buf_puts(err, "vonage: out of memory");
		goto fail;
	}
	if (v->key == NULL || v->from == NULL) {
		nf_buf_puts(err, "vonage: key=, secret_file= and from= are required");
		goto fail;
	}
	if (nf_chan_url_join(&url, base ? base : VONAGE_DEFAULT_BASE, "sms/json", &why) != 0) {
		nf_buf_printf(err, "vonage: %s", nf_buf_cstr(&why));
		goto fail;
	}
	v->url = nf_buf_steal(&url);
	if ((v->secret = nf_chan_cred_opt("vonage", cc, "secret_file", err)) == NULL)
		goto fail;
	nf_buf_free(&why);
	ch->priv = v;
	return 0;
fail:
	nf_buf_free(&url);
	nf_buf_free(&why);
	vonage_free(v);
	return -1;
}

static void
vonage_close(struct nf_channel *ch)
{
	vonage_free(ch->priv);
	ch->priv = NULL;
}

static int
vonage_code_transient(long code)
{
	return code == 1 || code == 5 || code == 9 || code == 10;
}

/* Vonage sends numbers as strings; tolerate integers too. */
static long
json_code(json_t *v)
{
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v))
		return strtol(json_string_value(v), NULL, 10);
	return -1;
}

static void
vonage_read_answer(const struct nf_http_resp *r, const char *const *secrets,
    struct nf_chan_result *res)
{
	json_t *root, *msgs, *part, *v;
	json_error_t jerr;
	size_t i, n;

	if (res->status != NF_CHAN_OK)
		return;		/* HTTP errors: the generic text says enough */
	root = json_loadb(nf_buf_cstr(&r->body), r->body.len, 0, &jerr);
	if (root == NULL || !json_is_object(root) ||
	    !json_is_array(msgs = json_object_get(root, "messages")) ||
	    (n = json_array_size(msgs)) == 0) {
		json_decref(root);
		nf_chan_answer(res, secrets, "HTTP %ld vonage: answer without messages[], "
		    "taken as accepted", r->status);
		return;
	}
	for (i = 0; i < n; i++) {
		long code;
		const char *text = "";

		part = json_array_get(msgs, i);
		code = json_code(json_object_get(part, "status"));
		if (code == 0) {
			if (i == 0 && json_is_string(v = json_object_get(part, "message-id")))
				nf_chan_set_id(res, json_string_value(v));
			continue;
		}
		if (json_is_string(v = json_object_get(part, "error-text")))
			text = json_string_value(v);
		if (i > 0) {
			res->status = NF_CHAN_PERMANENT;
			nf_chan_answer(res, secrets, "HTTP %ld vonage status %ld on part %zu of %zu "
			    "after earlier parts were accepted: %s", r->status, code, i + 1, n, text);
		} else {
			res->status = vonage_code_transient(code) ? NF_CHAN_RETRY : NF_CHAN_PERMANENT;
			nf_chan_answer(res, secrets, "HTTP %ld vonage status %ld: %s",
			    r->status, code, text);
		}
		json_decref(root);
		return;
	}
	nf_chan_answer(res, secrets, "HTTP %ld vonage: %zu part%s accepted", r->status, n,
	    n == 1 ? "" : "s");
	json_decref(root);
}

static void
vonage_send(const struct nf_channel *ch, struct nf_http *h,
    const struct nf_chan_msg *m, struct nf_chan_result *res)
{
	const struct vonage *vo = ch->priv;
	struct nf_http_req q;
	struct nf_http_resp r;
	struct nf_sms_info info;
	struct nf_buf form;

	memset(&q, 0, sizeof(q));
	nf_buf_init(&form, 64 * 1024);
	q.secrets[0] = vo->secret;
	if (nf_sms_measure(m->text, strlen(m->text), &info) != 0) {
		nf_chan_answer(res, NULL, "not sent: the text is not valid UTF-8");
		goto out;
	}
	if (nf_chan_form_add(&form, "api_key", vo->key) != NF_BUF_OK ||
	    nf_chan_form_add(&form, "api_secret", vo->secret) != NF_BUF_OK ||
	    nf_chan_form_add(&form, "from", vo->from) != NF_BUF_OK ||
	    nf_chan_form_add(&form, "to", m->to[0] == '+' ? m->to + 1 : m->to) != NF_BUF_OK ||
	    nf_chan_form_add(&form, "text", m->text) != NF_BUF_OK ||
	    nf_chan_form_add(&form, "type", info.coding == NF_SMS_UCS2 ? "unicode" : "text") != NF_BUF_OK ||
	    nf_chan_form_add(&form, "client-ref", m->idempotency_key) != NF_BUF_OK) {
		nf_chan_answer(res, NULL, "not sent: the text is too long for a request");
		goto out;
	}
	q.method = "POST";
	q.url = vo->url;
	q.content_type = "application/x-www-form-urlencoded";
	q.body = nf_buf_cstr(&form);
	q.body_len = form.len;

	nf_http_perform(h, &ch->opts, &q, &r);
	nf_chan_classify(&r, q.secrets, res);
	if (r.outcome == NF_HTTP_ANSWERED)
		vonage_read_answer(&r, q.secrets, res);
	nf_http_resp_free(&r);
out:
	/* the form held the secret */
	if (form.data != NULL)
		memset(form.data, 0, form.len);
	nf_buf_free(&form);
}

const struct nf_chan_driver nf_chan_driver_vonage = {
	"vonage", vonage_open, vonage_close, vonage_send,
};
