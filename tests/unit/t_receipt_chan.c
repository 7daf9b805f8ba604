/*
 * t_receipt_chan.c - t_receipt.c's door to the channel drivers: channel.h
 * and store.h cannot be included together (struct nf_channel there, enum
 * nf_channel here share C's tag namespace), so the one send the receipt
 * test needs lives in its own file.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "channel.h"

int t_receipt_twilio_send(const char *tokpath, const char *base, const char *callback,
    const char *key, char *id, size_t idlen, char *answer, size_t anslen);

/* Send one SMS through a twilio channel (base_url = base, status_callback =
 * callback) with idempotency key `key`.  0 ok, -1 otherwise; the provider
 * id and the answer text are copied out. */
int
t_receipt_twilio_send(const char *tokpath, const char *base, const char *callback,
    const char *key, char *id, size_t idlen, char *answer, size_t anslen)
{
	struct nf_conf_kv kv[] = { { "account", (char *)"AC0123" },
		{ "token_file", (char *)tokpath }, { "from", (char *)"+15550000000" },
		{ "base_url", (char *)base }, { "status_callback", (char *)callback } };
	struct nf_conf_channel cc = { (char *)"sms", (char *)"twilio", kv, 5, 20 };
	struct nf_chan_msg m = { .to = "+4915112345001", .text = "hello",
		.ref = "tok", .idempotency_key = key };
	struct nf_chan_result res;
	struct nf_channel *ch = NULL;
	struct nf_http *h = NULL;
	struct nf_buf err;
	int rc = -1;

	nf_buf_init(&err, 1024);
	id[0] = answer[0] = '\0';
	if (nf_chan_global_init() != 0 || (h = nf_http_new()) == NULL) {
		snprintf(answer, anslen, "libcurl did not start");
	} else if (nf_channel_open(&cc, NULL, &ch, &err) != 0) {
		snprintf(answer, anslen, "open: %s", nf_buf_cstr(&err));
	} else {
		rc = nf_channel_send(ch, h, &m, &res) == NF_CHAN_OK ? 0 : -1;
		snprintf(id, idlen, "%s", res.provider_id);
		snprintf(answer, anslen, "%s", res.answer);
	}
	nf_channel_close(ch);
	nf_http_free(h);
	nf_buf_free(&err);
	return rc;
}
