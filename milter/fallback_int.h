/*
 * fallback_int.h - what the parts of the daemon's fallback threads share,
 * and nothing else includes: fallback.c (opening, the channel table, start
 * and stop), fallback_scan.c (new outbox rows from triggers, behind
 * watermarks), fallback_claim.c (the claim with its re-checks and limits,
 * and the scheduler's other state changes), fallback_sched.c (the
 * scheduler thread) and fallback_disp.c (the dispatcher threads).  The
 * public API is fallback.h; the design is in fallback.c's top comment.
 *
 * Ownership: struct nf_fallback is fallback.c's; its ring, done list,
 * counters and rnd are under its lock.  The store handle and the
 * functions taking a struct nf_store are the scheduler thread's alone.
 */
#ifndef NF_FALLBACK_INT_H
#define NF_FALLBACK_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "fallback.h"
#include "store.h"
#include "../lib/fallback.h"

#define FB_SCAN_MAX 256		/* triggers handled per poll and kind */
#define FB_DISPATCH_MAX 32	/* dispatcher threads at most */

struct fb_chan {
	size_t idx;		/* in the nf_fbsend set */
	char kind[16];
	char driver[16];
};

/* A claimed row on its way to a dispatcher, and back with the answer
 * (the change to record, without pointers: jobs are copied). */
struct fb_job {
	struct nf_fb_row row;
	const struct fb_chan *chan;
	char to[NF_STORE_FB_WORD_MAX], rule[NF_STORE_FB_WORD_MAX];
	int64_t due, time;
	int sent_time;
	char provider_id[NF_STORE_FB_ID_MAX];
	char answer[NF_STORE_TEXT_MAX];
	char detail[2048];
};

struct nf_fallback {
	struct nf_fbsend *set;
	struct fb_chan chans[16];
	size_t nchans;
	char *database;
	int busy_ms;

	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job was queued, or stop */
	pthread_cond_t room;		/* a job was taken */
	struct fb_job *ring;		/* claimed, for the dispatchers */
	size_t cap, head, count;
	struct fb_job *done;		/* answered, for the scheduler to record */
	size_t dcap, dcount;
	int busy_dispatchers;		/* in a request now */
	atomic_int stop;		/* no new claims, dispatchers end */
	atomic_int sched_stop;		/* the scheduler ends (after them) */

	pthread_t sched;
	pthread_t disp[FB_DISPATCH_MAX];
	int ndisp, sched_started;
	uint64_t rnd;			/* xorshift state, under lock */
};

/* Where the trigger scans stand (fallback_scan.c); the scheduler's. */
struct fb_cursor {
	struct nf_fb_watermark events, rcpts;
	int loaded;
};

/* fallback.c: clocks and the channel table (filled at open, then only
 * read). */
int64_t nf_fbd_now_s(void);
int64_t nf_fbd_mono_ms(void);
const struct fb_chan *nf_fbd_chan_of_kind(const struct nf_fallback *f,
    const char *kind);
const struct fb_chan *nf_fbd_chan_for_row(const struct nf_fallback *f,
    const struct nf_fb_row *r);

/* fallback_scan.c: one poll for new triggers (cand has 2 * FB_SCAN_MAX
 * entries); an NF_STORE_* status, nothing written on failure. */
int nf_fbd_scan(struct nf_fallback *f, struct nf_store *s,
    const struct nf_conf *c, struct fb_cursor *cur,
    struct nf_fb_candidate *cand);

/* fallback_claim.c: the scheduler's state changes, each one transaction;
 * an NF_STORE_* status (nf_fbd_unclaim is best effort). */
int nf_fbd_sweep(struct nf_store *s, struct nf_fb_row *rows, size_t max);
int nf_fbd_claim(struct nf_fallback *f, struct nf_store *s,
    const struct nf_conf *c, struct nf_fb_row *rows, size_t max,
    struct fb_job *jobs, size_t *njobs);
int nf_fbd_recover(struct nf_store *s, struct nf_fb_row *rows, size_t max);
void nf_fbd_unclaim(struct nf_store *s, struct fb_job *jobs, size_t n);

/* The thread bodies (arg: the struct nf_fallback). */
void *nf_fbd_sched_main(void *arg);	/* fallback_sched.c */
void *nf_fbd_disp_main(void *arg);	/* fallback_disp.c */

#endif
