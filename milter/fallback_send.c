/*
 * fallback_send.c - the set of channels the fallback dispatchers send
 * through (see fallback_send.h for why this is apart from fallback.c).
 * Opens each Channel line once with the channel library; the set is
 * read-only afterwards and shared by the dispatcher threads (an open
 * struct nf_channel is, per channel.h); each thread brings its own
 * struct nf_http.  Closing wipes the secrets (nf_channel_close).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fallback_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

#define FBSEND_MAX 16	/* NF_CONF_CHANNELS_MAX */

struct nf_fbsend {
	struct nf_channel *ch[FBSEND_MAX];
	size_t n;
};

int
nf_fbsend_global_init(void)
{
	return nf_chan_global_init();
}

int
nf_fbsend_open(const struct nf_conf *conf, struct nf_fbsend **out,
    struct nf_buf *err)
{
	/* short enough that a stop (SIGTERM) waits a bounded time */
	struct nf_chan_opts opts = { .connect_timeout_ms = 3000,
	    .timeout_ms = 10000 };
	struct nf_fbsend *set;
	struct nf_buf why;
	size_t i;

	*out = NULL;
	if ((set = calloc(1, sizeof *set)) == NULL) {
		nf_buf_puts(err, "out of memory");
		return -1;
	}
	nf_buf_init(&why, 1024);
	for (i = 0; i < conf->nchannels && i < FBSEND_MAX; i++) {
		const struct nf_conf_channel *cc = &conf->channels[i];

		nf_buf_reset(&why);
		if (nf_channel_open(cc, &opts, &set->ch[set->n], &why) != 0) {
			nf_buf_printf(err, "%s:%d: Channel %s %s: %s",
			    conf->path ? conf->path : "config", cc->line,
			    cc->kind, cc->driver, nf_buf_cstr(&why));
			nf_buf_free(&why);
			nf_fbsend_close(set);
			return -1;
		}
		set->n++;
	}
	nf_buf_free(&why);
	*out = set;
	return 0;
}

void
nf_fbsend_close(struct nf_fbsend *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		nf_channel_close(set->ch[i]);
	free(set);
}

size_t
nf_fbsend_count(const struct nf_fbsend *set)
{
	return set ? set->n : 0;
}

const char *
nf_fbsend_kind(const struct nf_fbsend *set, size_t i)
{
	return i < set->n ? nf_channel_kind(set->ch[i]) : "";
}

const char *
nf_fbsend_driver(const struct nf_fbsend *set, size_t i)
{
	return i < set->n ? nf_channel_driver(set->ch[i]) : "";
}

struct nf_http *
nf_fbsend_http_new(void)
{
	return nf_http_new();
}

void
nf_fbsend_http_free(struct nf_http *h)
{
	nf_http_free(h);
}

int
nf_fbsend_send(const struct nf_fbsend *set, size_t i, struct nf_http *h,
    const char *to, const char *text, const char *ref, const char *key,
    struct nf_fbsend_result *res)
{
	struct nf_chan_msg m = { to, text, ref, key };
	struct nf_chan_result r;

	memset(res, 0, sizeof *res);
	if (i >= set->n) {
		res->status = NF_FBSEND_PERMANENT;
		res->retry_after = -1;
		snprintf(res->answer, sizeof res->answer, "not sent: no such "
		    "channel");
		return res->status;
	}
	nf_channel_send(set->ch[i], h, &m, &r);
	res->status = r.status == NF_CHAN_OK ? NF_FBSEND_OK :
	    r.status == NF_CHAN_RETRY ? NF_FBSEND_RETRY : NF_FBSEND_PERMANENT;
	res->retry_after = r.retry_after;
	res->http_status = r.http_status;
	res->seconds = r.seconds;
	snprintf(res->provider_id, sizeof res->provider_id, "%s",
	    r.provider_id);
	snprintf(res->answer, sizeof res->answer, "%s", r.answer);
	return res->status;
}
