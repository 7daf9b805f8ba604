/*
 * fallback_disp.c - the dispatcher threads: each takes a claimed row from
 * the ring, sends it through its channel (fallback_send.c) and turns the
 * provider's answer into the row's next state (sent; pending again with
 * backoff and jitter until FallbackExpiry; failed), which it hands back to
 * the scheduler to record.  See fallback.c for the design.
 *
 * Ownership: a dispatcher has its own struct nf_http and its job copy and
 * touches no store; the ring, the done list, the busy count and the
 * jitter's random state are shared under f->lock.
 *
 * Failure: a request that fails is an answer like any other (retry or
 * permanent, decided by the driver); out of memory at start ends that
 * dispatcher (logged: one fewer until a restart).  At stop each
 * dispatcher finishes the request it is in.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "fallback_int.h"
#include "fallback_send.h"
#include "log.h"

static uint32_t
fb_random(struct nf_fallback *f)
{
	uint64_t x;

	pthread_mutex_lock(&f->lock);
	x = f->rnd;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->rnd = x;
	pthread_mutex_unlock(&f->lock);
	return (uint32_t)(x >> 16);
}

/* Turn the provider's answer into the row's next state, in j. */
static void
answer_to_step(struct nf_fallback *f, struct fb_job *j,
    const struct nf_fbsend_result *res)
{
	const struct nf_fb_row *r = &j->row;
	char mask[NF_LOG_MASK_MAX], mrcpt[NF_LOG_MASK_MAX];
	int64_t now = nf_fbd_now_s(), wait;

	j->time = now;
	j->due = 0;
	j->sent_time = 0;
	snprintf(j->answer, sizeof j->answer, "%s", res->answer);
	snprintf(j->provider_id, sizeof j->provider_id, "%s", res->status ==
	    NF_FBSEND_OK ? res->provider_id : "");
	nf_log_mask(r->phone, mask, sizeof mask);
	nf_log_mask(r->recipient, mrcpt, sizeof mrcpt);
	switch (res->status) {
	case NF_FBSEND_OK:
		snprintf(j->to, sizeof j->to, "sent");
		snprintf(j->rule, sizeof j->rule, "sent");
		snprintf(j->detail, sizeof j->detail, "sent via %s %s to %s: "
		    "provider id %s; %d segment%s %s; %s (%.3fs)", r->channel,
		    j->chan->driver, r->phone, res->provider_id[0] ?
		    res->provider_id : "(none given)", r->segments,
		    r->segments == 1 ? "" : "s", r->encoding, res->answer,
		    res->seconds);
		nf_info("fallback sent: %s of %s via %s to %s, provider id %s",
		    mrcpt, r->token, j->chan->driver, mask,
		    res->provider_id[0] ? res->provider_id : "none");
		return;
	case NF_FBSEND_RETRY:
		wait = nf_fb_backoff(r->attempts, res->retry_after,
		    fb_random(f));
		j->sent_time = -1;
		if (now + wait < r->expires) {
			snprintf(j->to, sizeof j->to, "pending");
			snprintf(j->rule, sizeof j->rule, "retry");
			j->due = now + wait;
			snprintf(j->detail, sizeof j->detail, "attempt %d via %s: "
			    "%s; next attempt in %llds%s", r->attempts,
			    j->chan->driver, res->answer, (long long)wait,
			    res->retry_after > 0 ? " (the provider's "
			    "Retry-After)" : "");
			return;
		}
		snprintf(j->to, sizeof j->to, "failed");
		snprintf(j->rule, sizeof j->rule, "failed");
		snprintf(j->detail, sizeof j->detail, "gave up after %d "
		    "attempt%s via %s: FallbackExpiry reached; last answer: %s",
		    r->attempts, r->attempts == 1 ? "" : "s", j->chan->driver,
		    res->answer);
		nf_warn("fallback failed: %s of %s via %s to %s: FallbackExpiry "
		    "reached: %s", mrcpt, r->token, j->chan->driver, mask,
		    res->answer);
		return;
	default:
		j->sent_time = -1;
		snprintf(j->to, sizeof j->to, "failed");
		snprintf(j->rule, sizeof j->rule, "failed");
		snprintf(j->detail, sizeof j->detail, "refused by %s "
		    "(permanent): %s", j->chan->driver, res->answer);
		nf_warn("fallback failed: %s of %s via %s to %s: %s", mrcpt,
		    r->token, j->chan->driver, mask, res->answer);
	}
}

/*
 * A dispatcher: takes a claimed row, makes the request, hands the answer
 * back to the scheduler, which records it (record_all in
 * fallback_sched.c).  It touches no store: the request is all it waits
 * for.
 */
void *
nf_fbd_disp_main(void *arg)
{
	struct nf_fallback *f = arg;
	struct nf_http *h = nf_fbsend_http_new();
	struct fb_job *j = malloc(sizeof *j);
	struct nf_fbsend_result *res = malloc(sizeof *res);

	if (h == NULL || j == NULL || res == NULL) {
		nf_err("fallback dispatcher: out of memory; one dispatcher "
		    "less until a restart");
		goto out;
	}
	for (;;) {
		pthread_mutex_lock(&f->lock);
		while (f->count == 0 && !atomic_load(&f->stop))
			pthread_cond_wait(&f->work, &f->lock);
		if (atomic_load(&f->stop)) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		*j = f->ring[f->head];
		f->head = (f->head + 1) % f->cap;
		f->count--;
		f->busy_dispatchers++;
		pthread_mutex_unlock(&f->lock);

		nf_fbsend_send(f->set, j->chan->idx, h, j->row.phone,
		    j->row.text, j->row.token, j->row.idem_key, res);
		answer_to_step(f, j, res);

		pthread_mutex_lock(&f->lock);
		/* the scheduler claims nothing while answers wait, so there
		 * is always room; the wait is a guard, bounded by stop */
		while (f->dcount >= f->dcap && !atomic_load(&f->sched_stop))
			pthread_cond_wait(&f->room, &f->lock);
		if (f->dcount < f->dcap)
			f->done[f->dcount++] = *j;
		f->busy_dispatchers--;
		pthread_cond_broadcast(&f->room);
		pthread_mutex_unlock(&f->lock);
	}
out:
	nf_fbsend_http_free(h);
	free(j);
	free(res);
	return NULL;
}
