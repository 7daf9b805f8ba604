/*
 * fallback_sched.c - the scheduler thread: it opens the only store handle
 * of the fallback, records the answers the dispatchers hand back (all in
 * one transaction), recovers interrupted rows once, scans for triggers
 * every FB_POLL_MS, sweeps confirmed rows every FB_SWEEP_MS, and claims
 * due rows for idle dispatchers only, putting them in the ring.  See
 * fallback.c for the design.
 *
 * Ownership: the store handle and the candidate, row and job buffers are
 * this thread's; the ring and the done list are shared with the
 * dispatchers under f->lock.
 *
 * Failure: a store that cannot be opened or fails is logged (at most once
 * a minute, or every ten seconds) and tried again; a broken handle is
 * closed and opened anew.  While answers wait to be recorded nothing new
 * is claimed.  Out of memory at start: logged, and no fallback is sent
 * until a restart.  At stop it records the last answers (20 tries) and
 * gives back what no dispatcher took.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fallback_int.h"
#include "log.h"
#include "milter.h"

#define FB_POLL_MS 200		/* trigger scan period */
#define FB_SWEEP_MS 1000	/* cancel-on-delivery sweep period */

static void
sched_wait(struct nf_fallback *f, int64_t until_ms)
{
	struct timespec ts;
	int64_t left = until_ms - nf_fbd_mono_ms();

	if (left <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	/* woken early when a dispatcher finishes (room to claim more) */
	pthread_mutex_lock(&f->lock);
	if (!atomic_load(&f->sched_stop) && f->dcount == 0)
		pthread_cond_timedwait(&f->room, &f->lock, &ts);
	pthread_mutex_unlock(&f->lock);
}

/*
 * Record the answers the dispatchers handed back, all in one transaction:
 * one writer for every result keeps the dispatchers off the write lock
 * (with several writers SQLite's busy waits, not the providers, set the
 * pace).  On failure nothing is recorded and *n stays: tried again.
 */
static int
record_all(struct nf_store *s, struct fb_job *fin, size_t *n)
{
	size_t i;
	int rc;

	if (*n == 0)
		return NF_STORE_OK;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return rc;
	for (i = 0; i < *n && rc == NF_STORE_OK; i++) {
		struct fb_job *j = &fin[i];
		struct nf_fb_step x = { 0 };

		x.id = j->row.id;
		x.from = "sending";
		x.to = j->to;
		x.rule = j->rule;
		x.due = j->due;
		x.sent_time = j->sent_time;
		x.provider_id = j->provider_id[0] ? j->provider_id : NULL;
		x.answer = j->answer;
		x.detail = j->detail;
		x.time = j->time;
		rc = nf_store_fb_step(s, &x);
		if (rc == NF_STORE_NOTFOUND)
			rc = NF_STORE_OK;	/* changed by hand meanwhile */
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		nf_store_rollback(s);
		return rc;
	}
	*n = 0;
	return NF_STORE_OK;
}

/* Move the dispatchers' answers to fin[] (after the *n kept ones). */
static void
take_done(struct nf_fallback *f, struct fb_job *fin, size_t max, size_t *n)
{
	pthread_mutex_lock(&f->lock);
	while (f->dcount > 0 && *n < max)
		fin[(*n)++] = f->done[--f->dcount];
	pthread_cond_broadcast(&f->room);
	pthread_mutex_unlock(&f->lock);
}

void *
nf_fbd_sched_main(void *arg)
{
	struct nf_fallback *f = arg;
	struct nf_fb_candidate *cand = calloc(2 * FB_SCAN_MAX, sizeof *cand);
	struct nf_fb_row *rows = calloc(FB_DISPATCH_MAX * 2 + FB_SCAN_MAX,
	    sizeof *rows);
	struct fb_job *jobs = calloc(FB_DISPATCH_MAX * 2, sizeof *jobs);
	struct fb_job *fin = calloc(FB_DISPATCH_MAX * 4, sizeof *fin);
	struct nf_store *s = NULL;
	struct fb_cursor cur = { 0 };
	char err[1024];
	int64_t next_scan = 0, next_sweep = 0, last_err = 0;
	size_t nfin = 0;
	int recovered = 0, rc;

	if (cand == NULL || rows == NULL || jobs == NULL || fin == NULL) {
		nf_err("fallback scheduler: out of memory; no fallback is "
		    "sent until a restart");
		goto out;
	}
	while (!atomic_load(&f->sched_stop)) {
		struct nf_conf *c;
		size_t free_slots, njobs = 0, i;
		int64_t t = nf_fbd_mono_ms();
		int full = 0, stopping = atomic_load(&f->stop);

		if (s == NULL && nf_store_open(f->database, 0, f->busy_ms, &s,
		    err, sizeof err) != NF_STORE_OK) {
			s = NULL;
			if (t - last_err > 60000) {
				nf_err("fallback scheduler: %s; trying again",
				    err);
				last_err = t;
			}
			sched_wait(f, t + 1000);
			continue;
		}
		c = nf_milter_conf_get();
		take_done(f, fin, FB_DISPATCH_MAX * 4, &nfin);
		rc = record_all(s, fin, &nfin);
		if (rc == NF_STORE_OK && !recovered &&
		    (rc = nf_fbd_recover(s, rows, FB_SCAN_MAX)) == NF_STORE_OK)
			recovered = 1;
		if (rc == NF_STORE_OK && recovered && !stopping &&
		    t >= next_scan) {
			next_scan = t + FB_POLL_MS;
			rc = nf_fbd_scan(f, s, c, &cur, cand);
		}
		if (rc == NF_STORE_OK && recovered && t >= next_sweep) {
			next_sweep = t + FB_SWEEP_MS;
			rc = nf_fbd_sweep(s, rows, FB_SCAN_MAX);
		}
		pthread_mutex_lock(&f->lock);
		free_slots = f->cap - f->count;
		/* claim for idle dispatchers only: a row in 'sending' should
		 * be a request in flight (see fallback.c's top comment) */
		if ((size_t)f->busy_dispatchers + f->count >= (size_t)f->ndisp)
			free_slots = 0;
		else if (free_slots > (size_t)f->ndisp -
		    (size_t)f->busy_dispatchers - f->count)
			free_slots = (size_t)f->ndisp -
			    (size_t)f->busy_dispatchers - f->count;
		pthread_mutex_unlock(&f->lock);
		if (rc == NF_STORE_OK && recovered && !stopping &&
		    nfin == 0 && free_slots > 0 && f->nchans > 0) {
			rc = nf_fbd_claim(f, s, c, rows, free_slots, jobs, &njobs);
			full = njobs == free_slots;
		}
		nf_conf_unref(c);
		if (njobs > 0) {
			pthread_mutex_lock(&f->lock);
			for (i = 0; i < njobs && f->count < f->cap; i++) {
				f->ring[(f->head + f->count) % f->cap] = jobs[i];
				f->count++;
			}
			pthread_cond_broadcast(&f->work);
			pthread_mutex_unlock(&f->lock);
			if (i < njobs)	/* cannot happen: claimed for room */
				nf_fbd_unclaim(s, jobs + i, njobs - i);
		}
		if (rc != NF_STORE_OK) {
			if (t - last_err > 10000) {
				nf_warn("fallback scheduler: %s; trying again",
				    nf_store_errmsg(s));
				last_err = t;
			}
			if (rc == NF_STORE_ERR || rc == NF_STORE_SCHEMA) {
				nf_store_close(s);
				s = NULL;
			}
			sched_wait(f, t + FB_POLL_MS);
			continue;
		}
		/* more may be due: go on as soon as a dispatcher is free */
		sched_wait(f, full ? t + FB_POLL_MS : next_scan);
	}
	/* stopping: the last answers are recorded; what no dispatcher took
	 * goes back to pending */
	if (s != NULL) {
		size_t n;

		take_done(f, fin, FB_DISPATCH_MAX * 4, &nfin);
		for (n = 0; n < 20 && nfin > 0; n++)
			if (record_all(s, fin, &nfin) != NF_STORE_OK)
				usleep(100000);
		if (nfin > 0)
			nf_err("fallback: %zu answer(s) could not be recorded "
			    "at shutdown (%s): those rows stay 'sending' and are "
			    "handled at the next start", nfin,
			    nf_store_errmsg(s));

		pthread_mutex_lock(&f->lock);
		n = f->count;
		for (size_t i = 0; i < n; i++)
			jobs[i] = f->ring[(f->head + i) % f->cap];
		f->count = 0;
		pthread_mutex_unlock(&f->lock);
		nf_fbd_unclaim(s, jobs, n);
	}
out:
	nf_store_close(s);
	free(cand);
	free(rows);
	free(jobs);
	free(fin);
	return NULL;
}
