/*
 * twilio.c - SMS (and WhatsApp through a "whatsapp:" from) through
 * Twilio's Messages API.
 *
 * Config: account (the Account SID), token_file (the Auth Token), from (a
 * number, "whatsapp:+NUMBER" which makes the recipient "whatsapp:+..." too,
 * or a Messaging Service SID "MG..." which is then sent as
 * MessagingServiceSid), optional base_url (default https://api.twilio.com,
 * changed only for tests and regional edges) and status_callback (the URL
 * of our receipt listener, e.g. https://mx.example/twilio?key={key}: sent
 * as StatusCallback with "{key}" replaced by the outbox row's key, so a
 * status callback names its row even before its MessageSid is recorded;
 * milter/receipt.c checks Twilio's signature over exactly this URL).
 *
 * Request: POST {base_url}/2010-04-01/Accounts/{account}/Messages.json,
 * form-encoded To, From (or MessagingServiceSid), Body; HTTP basic auth
 * account:token; I-Twilio-Idempotency-Token carries the outbox row's key so
 * a request repeated after a crash is not sent twice by Twilio.
 *
 * Answer (JSON, parsed with jansson): 2xx gives "sid" (the provider id) and
 * "status"; a 2xx whose status is "failed" or "undelivered", or which has a
 * non-null error_code, is permanent.  Errors carry {"code", "message"}:
 * the HTTP status decides (see channel.c), refined by Twilio's code where
 * HTTP says too little:
 *   20429 (too many requests)                 retry
 *   21611 (too many messages queued on From)  retry: the queue drains
 *   30001 (queue overflow)                    retry
 * A 2xx that cannot be parsed stays ok (Twilio took it; sending again would
 * duplicate), with no provider id.
 */
#include "config.h"

#include "channel_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWILIO_DEFAULT_BASE "https://api.twilio.com"

struct twilio {
	char *account, *token, *from, *url, *callback;
	int from_is_service;
};

static void
twilio_free(struct twilio *t)
{
	if (t == NULL)
		return;
	free(t->account);
	nf_chan_cred_free(t->token);
	free(t->from);
	free(t->url);
	free(t->callback);
	free(t);
}

static int
alnum_only(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

static int
twilio_open(struct nf_channel *ch, const struct nf_conf_channel *cc, struct nf_buf *err)
{
	struct twilio *t = calloc(1, sizeof(*t));
	const char *base = nf_conf_channel_get(cc, "base_url");
	struct nf_buf url, why;
	char path[160];

	nf_buf_init(&url, 2048);
	nf_buf_init(&why, 512);
	if (t == NULL || nf_chan_strdup_opt(&t->account, cc, "account") != 0 ||
	    nf_chan_strdup_opt(&t->from, cc, "from") != 0 ||
	    nf_chan_strdup_opt(&t->callback, cc, "status_callback") != 0) {
		nf_buf_puts(err, "twilio: out of memory");
		goto fail;
	}
	if (t->account == NULL || t->from == NULL) {
		nf_buf_puts(err, "twilio: account=, token_file= and from= are required");
		goto fail;
	}
	if (!alnum_only(t->account) || strlen(t->account) > 64) {
		nf_buf_printf(err, "twilio: account '%s' is not an Account SID (AC followed "
		    "by 32 hex digits)", t->account);
		goto fail;
	}
	if (t->callback != NULL && nf_chan_url_check(t->callback) != 0) {
		nf_buf_printf(err, "twilio: status_callback '%s' is not an http:// or "
		    "https:// URL", t->callback);
		goto fail;
	}
	t->from_is_service = strncmp(t->from, "MG", 2) == 0 && alnum_only(t->from);
	snprintf(path, sizeof(path), "2010-04-01/Accounts/%s/Messages.json", t->account);
	if (nf_chan_url_join(&url, base ? base : TWILIO_DEFAULT_BASE, path, &why) != 0) {
		nf_buf_printf(err, "twilio: %s", nf_buf_cstr(&why));
		goto fail;
	}
	t->url = nf_buf_steal(&url);
	if ((t->token = nf_chan_cred_opt("twilio", cc, "token_file", err)) == NULL)
		goto fail;
	nf_buf_free(&url);
	nf_buf_free(&why);
	ch->priv = t;
	return 0;
fail:
	nf_buf_free(&url);
	nf_buf_free(&why);
	twilio_free(t);
	return -1;
}

static void
twilio_close(struct nf_channel *ch)
{
	twilio_free(ch->priv);
	ch->priv = NULL;
}

/* Twilio's error codes that mean "later" although HTTP said 4xx. */
static int
twilio_code_transient(long code)
{
	return code == 20429 || code == 21611 || code == 30001;
}

static void
twilio_read_answer(const struct nf_http_resp *r, const char *const *secrets,
    struct nf_chan_result *res)
{
	json_t *root, *v;
	json_error_t jerr;
	const char *status = NULL, *msg = NULL;
	long code = 0;

	root = json_loadb(nf_buf_cstr(&r->body), r->body.len, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return;		/* keep the generic verdict and text */
	}
	if (res->status == NF_CHAN_OK) {
		if (json_is_string(v = json_object_get(root, "sid")))
			nf_chan_set_id(res, json_string_value(v));
		if (json_is_string(v = json_object_get(root, "status")))
			status = json_string_value(v);
		if (json_is_integer(v = json_object_get(root, "error_code")))
			code = (long)json_integer_value(v);
		else if (json_is_string(v = json_object_get(root, "error_code")))
			code = strtol(json_string_value(v), NULL, 10);
		if (json_is_string(v = json_object_get(root, "error_message")))
			msg = json_string_value(v);
		if (code != 0 || (status != NULL &&
		    (strcmp(status, "failed") == 0 || strcmp(status, "undelivered") == 0))) {
			res->status = twilio_code_transient(code) ? NF_CHAN_RETRY : NF_CHAN_PERMANENT;
			nf_chan_answer(res, secrets, "HTTP %ld twilio %s %ld: %s", r->status,
			    status ? status : "error", code, msg ? msg : "");
		} else {
			nf_chan_answer(res, secrets, "HTTP %ld twilio %s", r->status,
			    status ? status : "accepted");
		}
	} else {
		if (json_is_integer(v = json_object_get(root, "code")))
			code = (long)json_integer_value(v);
		if (json_is_string(v = json_object_get(root, "message")))
			msg = json_string_value(v);
		if (code != 0 || msg != NULL)
			nf_chan_answer(res, secrets, "HTTP %ld twilio %ld: %s", r->status, code,
			    msg ? msg : "");
		if (res->status == NF_CHAN_PERMANENT && twilio_code_transient(code))
			res->status = NF_CHAN_RETRY;
	}
	json_decref(root);
}

static void
twilio_send(const struct nf_channel *ch, struct nf_http *h,
    const struct nf_chan_msg *m, struct nf_chan_result *res)
{
	const struct twilio *t = ch->priv;
	char h_idem[128], to[64];
	struct nf_http_req q;
	struct nf_http_resp r;
	struct nf_buf form, cb;

	memset(&q, 0, sizeof(q));
	nf_buf_init(&form, 64 * 1024);
	nf_buf_init(&cb, 8192);
	q.secrets[0] = t->token;
	/* a WhatsApp sender ("whatsapp:+1...") needs a WhatsApp recipient */
	if (strncmp(t->from, "whatsapp:", 9) == 0)
		snprintf(to, sizeof(to), "whatsapp:%s", m->to);
	else
		snprintf(to, sizeof(to), "%s", m->to);
	if (nf_chan_form_add(&form, "To", to) != NF_BUF_OK ||
	    nf_chan_form_add(&form, t->from_is_service ? "MessagingServiceSid" : "From",
	    t->from) != NF_BUF_OK ||
	    nf_chan_form_add(&form, "Body", m->text) != NF_BUF_OK) {
		nf_chan_answer(res, NULL, "not sent: the text is too long for a request");
		goto out;
	}
	if (t->callback != NULL &&
	    (nf_chan_url_with_key(&cb, t->callback, m->idempotency_key) != 0 ||
	    nf_chan_form_add(&form, "StatusCallback", nf_buf_cstr(&cb)) != NF_BUF_OK)) {
		nf_chan_answer(res, NULL, "not sent: status_callback too long");
		goto out;
	}
	snprintf(h_idem, sizeof(h_idem), "I-Twilio-Idempotency-Token: %s", m->idempotency_key);
	q.headers[0] = h_idem;
	q.method = "POST";
	q.url = t->url;
	q.content_type = "application/x-www-form-urlencoded";
	q.body = nf_buf_cstr(&form);
	q.body_len = form.len;
	q.user = t->account;
	q.password = t->token;

	nf_http_perform(h, &ch->opts, &q, &r);
	nf_chan_classify(&r, q.secrets, res);
	if (r.outcome == NF_HTTP_ANSWERED)
		twilio_read_answer(&r, q.secrets, res);
	nf_http_resp_free(&r);
out:
	nf_buf_free(&form);
	nf_buf_free(&cb);
}

const struct nf_chan_driver nf_chan_driver_twilio = {
	"twilio", twilio_open, twilio_close, twilio_send,
};
