/*
 * kannel.c - SMS through Kannel's smsbox sendsms HTTP interface.
 *
 * Config: url (the sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms),
 * user, password_file, optional from (else Kannel's global-sender) and
 * dlr_url.  The request is Kannel's POST form: the text is the body
 * (text/plain; charset=UTF-8) and everything else travels in X-Kannel-*
 * headers, so the password is never in a URL (Kannel's access log, proxy
 * logs).  X-Kannel-Coding is 0 (GSM-7) or 2 (UCS-2) as sms_text.c decides;
 * Kannel converts the UTF-8 body to either.
 *
 * Delivery receipts: with dlr_url set, X-Kannel-DLR-Url carries it with
 * "{key}" replaced by the message's idempotency key (so a receipt names its
 * outbox row) and X-Kannel-DLR-Mask is 27 (delivered 1, failed 2, SMSC ack
 * 8, SMSC reject 16; not "buffered").  Kannel's own %d (status), %i (smsc),
 * %p (phone) escapes pass through untouched.
 *
 * Answers (observed on Kannel 1.4.5, ../shared/recipes §6): 202 with
 * "0: Accepted for delivery" or "3: Queued for later delivery" is ok (a
 * down SMSC link is still 202: Kannel queues); 403 wrong credentials and
 * 400 bad request are permanent; 5xx and no answer (smsbox down) retry.
 * Kannel 1.4 returns no message id, so provider_id stays empty.
 */
#include "config.h"

#include "channel_int.h"
#include "sms_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KANNEL_DLR_MASK "27"

struct kannel {
	char *url, *user, *password, *from, *dlr_url;
};

static int
header_value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v == 0x7f)
			return 0;
	return 1;
}

static void
kannel_free(struct kannel *k)
{
	if (k == NULL)
		return;
	free(k->url);
	free(k->user);
	nf_chan_cred_free(k->password);
	free(k->from);
	free(k->dlr_url);
	free(k);
}

static int
kannel_open(struct nf_channel *ch, const struct nf_conf_channel *cc, struct nf_buf *err)
{
	struct kannel *k = calloc(1, sizeof(*k));
	const char *pw = nf_conf_channel_get(cc, "password_file");

	if (k == NULL || nf_chan_strdup_opt(&k->url, cc, "url") != 0 ||
	    nf_chan_strdup_opt(&k->user, cc, "user") != 0 ||
	    nf_chan_strdup_opt(&k->from, cc, "from") != 0 ||
	    nf_chan_strdup_opt(&k->dlr_url, cc, "dlr_url") != 0) {
		nf_buf_puts(err, "kannel: out of memory");
		goto fail;
	}
	if (k->url == NULL || k->user == NULL || pw == NULL) {
		nf_buf_puts(err, "kannel: url=, user= and password_file= are required");
		goto fail;
	}
	if (nf_chan_url_check(k->url) != 0) {
		nf_buf_printf(err, "kannel: url '%s' is not an http:// or https:// URL", k->url);
		goto fail;
	}
	if (k->dlr_url != NULL && nf_chan_url_check(k->dlr_url) != 0) {
		nf_buf_printf(err, "kannel: dlr_url '%s' is not an http:// or https:// URL", k->dlr_url);
		goto fail;
	}
	if (!header_value_ok(k->user) || (k->from != NULL && !header_value_ok(k->from))) {
		nf_buf_puts(err, "kannel: user= and from= must be printable text");
		goto fail;
	}
	if ((k->password = nf_chan_cred_opt("kannel", cc, "password_file", err)) == NULL)
		goto fail;
	ch->priv = k;
	return 0;
fail:
	kannel_free(k);
	return -1;
}

static void
kannel_close(struct nf_channel *ch)
{
	kannel_free(ch->priv);
	ch->priv = NULL;
}

static void
kannel_send(const struct nf_channel *ch, struct nf_http *h,
    const struct nf_chan_msg *m, struct nf_chan_result *res)
{
	const struct kannel *k = ch->priv;
	char h_user[1100], h_pw[1100], h_to[64], h_from[256], h_coding[32];
	struct nf_http_req q;
	struct nf_http_resp r;
	struct nf_sms_info info;
	struct nf_buf dlr, hdlr;
	size_t nh = 0;

	memset(&q, 0, sizeof(q));
	nf_buf_init(&dlr, 4096);
	nf_buf_init(&hdlr, 4200);
	q.secrets[0] = k->password;
	if (nf_sms_measure(m->text, strlen(m->text), &info) != 0) {
		nf_chan_answer(res, NULL, "not sent: the text is not valid UTF-8");
		goto out;
	}
	if (snprintf(h_user, sizeof(h_user), "X-Kannel-Username: %s", k->user) >= (int)sizeof(h_user) ||
	    snprintf(h_pw, sizeof(h_pw), "X-Kannel-Password: %s", k->password) >= (int)sizeof(h_pw) ||
	    snprintf(h_to, sizeof(h_to), "X-Kannel-To: %s", m->to) >= (int)sizeof(h_to) ||
	    (k->from != NULL &&
	    snprintf(h_from, sizeof(h_from), "X-Kannel-From: %s", k->from) >= (int)sizeof(h_from))) {
		nf_chan_answer(res, NULL, "not sent: user, from or phone number too long for a header");
		goto out;
	}
	snprintf(h_coding, sizeof(h_coding), "X-Kannel-Coding: %d",
	    info.coding == NF_SMS_UCS2 ? 2 : 0);
	q.headers[nh++] = h_user;
	q.headers[nh++] = h_pw;
	q.headers[nh++] = h_to;
	if (k->from != NULL)
		q.headers[nh++] = h_from;
	q.headers[nh++] = h_coding;
	if (k->dlr_url != NULL) {
		if (nf_chan_url_with_key(&dlr, k->dlr_url, m->idempotency_key) != 0 ||
		    nf_buf_printf(&hdlr, "X-Kannel-DLR-Url: %s", nf_buf_cstr(&dlr)) != NF_BUF_OK) {
			nf_chan_answer(res, NULL, "not sent: dlr_url too long");
			goto out;
		}
		q.headers[nh++] = "X-Kannel-DLR-Mask: " KANNEL_DLR_MASK;
		q.headers[nh++] = nf_buf_cstr(&hdlr);
	}
	q.method = "POST";
	q.url = k->url;
	q.content_type = "text/plain; charset=UTF-8";
	q.body = m->text;
	q.body_len = strlen(m->text);

	nf_http_perform(h, &ch->opts, &q, &r);
	nf_chan_classify(&r, q.secrets, res);
	nf_http_resp_free(&r);
out:
	nf_buf_free(&dlr);
	nf_buf_free(&hdlr);
}

const struct nf_chan_driver nf_chan_driver_kannel = {
	"kannel", kannel_open, kannel_close, kannel_send,
};
