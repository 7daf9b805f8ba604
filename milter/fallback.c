/*
 * fallback.c - the daemon's fallback threads (see fallback.h): a scheduler
 * and N dispatchers around the durable outbox (lib/store_outbox.c), the
 * policy of lib/fallback.c and the drivers of channels/.
 *
 * Who decides what: the scheduler alone reads triggers, writes outbox rows
 * and claims due rows, so limits and quiet hours are decided by one thread
 * inside one transaction per batch, with no race between dispatchers.
 * A claim re-reads the recipient's delivery status in that transaction
 * (cancelled if the email was confirmed meanwhile), checks expiry, the
 * phone's consent and suppression once more (skipped: they may have
 * changed while the row waited), quiet
 * hours, FallbackMaxPerPhone (skipped) and FallbackMaxPerHour (held until
 * the hour window frees), then marks the row 'sending' (attempts + 1,
 * sent_time) and commits before any request is made.  The dispatchers
 * send and hand the answer back; the scheduler commits it (sent, retry:
 * back to pending with backoff and jitter until FallbackExpiry, or
 * failed), all answers that came in together in one transaction.  One
 * writer is on purpose: with every dispatcher writing its own answer,
 * SQLite's busy waits (sleeps of 1-50 ms on a lock) set the pace, not
 * the providers (measured against the loopback stub: ~200 messages/s
 * with a writer per dispatcher, ~1300/s with one).
 *
 * Restart safety: only as many rows are claimed as dispatchers are free,
 * so a row in 'sending' is, nearly always, a request in flight.  On start,
 * rows left in 'sending' by a killed daemon go back to pending for drivers
 * that carry the row's idempotency key (twilio, webhook: the provider
 * drops the duplicate), and become 'uncertain' for the others (kannel,
 * vonage): they are never resent without a person deciding, because the
 * message may have gone out.
 *
 * Threads and memory: the scheduler has the only store handle; each
 * dispatcher has its own struct nf_http and touches no store.  Jobs are copies of outbox rows in a
 * fixed ring (no allocation per message).  The configuration is taken per
 * poll from state.c, so a reload applies to the next decision.
 *
 * Failures: a store that is busy or failing makes the scheduler log and try
 * again at the next poll (nothing is half-written: each step is one
 * transaction); answers it could not record are kept and recorded at the
 * next turn, and no new row is claimed meanwhile; killed before that, the
 * rows are in 'sending' and the restart rule above applies.
 *
 * Files: this one opens the channels, keeps the channel table and starts
 * and stops the threads; fallback_scan.c makes the new rows,
 * fallback_claim.c claims rows and makes the scheduler's other state
 * changes, fallback_sched.c is the scheduler thread and fallback_disp.c
 * the dispatchers; fallback_int.h is what they share.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fallback.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fallback_int.h"
#include "fallback_send.h"
#include "log.h"

int64_t
nf_fbd_now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t
nf_fbd_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct fb_chan *
nf_fbd_chan_of_kind(const struct nf_fallback *f, const char *kind)
{
	size_t i;

	for (i = 0; i < f->nchans; i++)
		if (strcmp(f->chans[i].kind, kind) == 0)
			return &f->chans[i];
	return NULL;
}

/* The channel for a row: its own driver when still configured, else the
 * first of its kind. */
const struct fb_chan *
nf_fbd_chan_for_row(const struct nf_fallback *f, const struct nf_fb_row *r)
{
	size_t i;

	for (i = 0; i < f->nchans; i++)
		if (strcmp(f->chans[i].kind, r->channel) == 0 &&
		    strcmp(f->chans[i].driver, r->driver) == 0)
			return &f->chans[i];
	return nf_fbd_chan_of_kind(f, r->channel);
}

/* ---- opening --------------------------------------------------------------- */

int
nf_fallback_open(const struct nf_conf *conf, struct nf_fallback **out,
    struct nf_buf *err)
{
	struct nf_fallback *f;
	size_t i;

	*out = NULL;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		nf_buf_puts(err, "out of memory");
		return -1;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->room, NULL);
	f->rnd = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
	    0x9e3779b97f4a7c15ULL;
	if (nf_fbsend_open(conf, &f->set, err) != 0) {
		nf_fallback_stop(f, 0);
		return -1;
	}
	for (i = 0; i < nf_fbsend_count(f->set) && i < 16; i++) {
		struct fb_chan *c = &f->chans[f->nchans++];

		c->idx = i;
		snprintf(c->kind, sizeof c->kind, "%s",
		    nf_fbsend_kind(f->set, i));
		snprintf(c->driver, sizeof c->driver, "%s",
		    nf_fbsend_driver(f->set, i));
	}
	*out = f;
	return 0;
}

int
nf_fallback_channels_differ(const struct nf_conf *a, const struct nf_conf *b)
{
	size_t i, j;

	if (a->nchannels != b->nchannels)
		return 1;
	for (i = 0; i < a->nchannels; i++) {
		const struct nf_conf_channel *x = &a->channels[i];
		const struct nf_conf_channel *y = &b->channels[i];

		if (strcmp(x->kind, y->kind) != 0 ||
		    strcmp(x->driver, y->driver) != 0 || x->nkv != y->nkv)
			return 1;
		for (j = 0; j < x->nkv; j++)
			if (strcmp(x->kv[j].key, y->kv[j].key) != 0 ||
			    strcmp(x->kv[j].value, y->kv[j].value) != 0)
				return 1;
	}
	return 0;
}

/* ---- start and stop ---------------------------------------------------------- */

int
nf_fallback_start(struct nf_fallback *f, const char *database, int busy_ms,
    int dispatchers, char *err, size_t errlen)
{
	int i;

	if (dispatchers < 1)
		dispatchers = 1;
	if (dispatchers > FB_DISPATCH_MAX)
		dispatchers = FB_DISPATCH_MAX;
	f->busy_ms = busy_ms > 0 ? busy_ms : 2000;
	f->cap = (size_t)dispatchers;
	f->ring = calloc(f->cap, sizeof *f->ring);
	f->dcap = 4 * (size_t)dispatchers;
	f->done = calloc(f->dcap, sizeof *f->done);
	f->database = strdup(database);
	if (f->ring == NULL || f->done == NULL || f->database == NULL) {
		snprintf(err, errlen, "fallback: out of memory");
		return -1;
	}
	for (i = 0; i < dispatchers; i++) {
		if (pthread_create(&f->disp[i], NULL, nf_fbd_disp_main, f) != 0)
			break;
		f->ndisp++;
	}
	if (f->ndisp < dispatchers ||
	    pthread_create(&f->sched, NULL, nf_fbd_sched_main, f) != 0) {
		snprintf(err, errlen, "fallback: cannot start its threads: %s",
		    strerror(errno));
		atomic_store(&f->stop, 1);
		atomic_store(&f->sched_stop, 1);
		pthread_mutex_lock(&f->lock);
		pthread_cond_broadcast(&f->work);
		pthread_cond_broadcast(&f->room);
		pthread_mutex_unlock(&f->lock);
		for (i = 0; i < f->ndisp; i++)
			pthread_join(f->disp[i], NULL);
		f->ndisp = 0;
		return -1;
	}
	f->sched_started = 1;
	nf_info("fallback: %zu channel(s), %d dispatcher(s)", f->nchans,
	    f->ndisp);
	return 0;
}

/* Join with a deadline; 0 joined, -1 still running (left behind). */
static int
join_by(pthread_t t, int64_t deadline_ms)
{
	struct timespec ts;
	int64_t ms = deadline_ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms -= nf_fbd_mono_ms();
	if (ms < 0)
		ms = 0;
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0 ? 0 : -1;
}

void
nf_fallback_stop(struct nf_fallback *f, int wait_ms)
{
	int64_t deadline = nf_fbd_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int i, left = 0;

	if (f == NULL)
		return;
	/* dispatchers first (each finishes its request), then the
	 * scheduler, which records their last answers */
	atomic_store(&f->stop, 1);
	pthread_mutex_lock(&f->lock);
	pthread_cond_broadcast(&f->work);
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < f->ndisp; i++)
		if (join_by(f->disp[i], deadline) != 0)
			left++;
	atomic_store(&f->sched_stop, 1);
	pthread_mutex_lock(&f->lock);
	pthread_cond_broadcast(&f->room);
	pthread_mutex_unlock(&f->lock);
	if (f->sched_started && join_by(f->sched, deadline + 3000) != 0)
		left++;
	if (left > 0) {
		/* a request still in flight: its row stays 'sending' and the
		 * next start handles it; the threads die with the process */
		nf_warn("fallback: %d thread(s) still in a request at "
		    "shutdown; their rows are handled at the next start", left);
		return;
	}
	nf_fbsend_close(f->set);
	free(f->ring);
	free(f->done);
	free(f->database);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->work);
	pthread_cond_destroy(&f->room);
	free(f);
}
