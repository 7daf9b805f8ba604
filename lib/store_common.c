/*
 * store_common.c - the parts of store.h that any backend shares: channel
 * and consent names, and the pool of handles for threaded callers.  Only
 * the public store.h API is used here, so a server backend reuses it as is.
 *
 * Pool: a mutex and a condition variable guard a stack of idle handles and
 * a count of all handles (idle + borrowed), never more than max_handles.
 * Handles are opened outside the lock (opening can wait on a busy file).
 * A borrower waits at most the busy timeout for a handle, then gets
 * NF_STORE_BUSY: no wait is unbounded.  A handle put back as broken is
 * closed, and a later get opens a fresh one.  The text of the last failure
 * to open is kept for nf_store_pool_errmsg.
 *
 * The most recently parked handle is lent first, so a busy milter keeps
 * reusing one handle and its short read snapshot (NF_STORE_SNAPSHOT_MS);
 * every get and put ends the snapshots of handles parked longer than that,
 * so idle handles do not hold back checkpoints.
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const channel_names[NF_CH_COUNT] = {
	[NF_CH_EMAIL] = "email",
	[NF_CH_SMS] = "sms",
	[NF_CH_WHATSAPP] = "whatsapp",
	[NF_CH_VIBER] = "viber",
};

const char *
nf_channel_name(enum nf_channel ch)
{
	if ((unsigned)ch >= NF_CH_COUNT)
		return "unknown";
	return channel_names[ch];
}

int
nf_channel_parse(const char *name, enum nf_channel *out)
{
	unsigned i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NF_CH_COUNT; i++)
		if (strcmp(name, channel_names[i]) == 0) {
			*out = (enum nf_channel)i;
			return 0;
		}
	return -1;
}

const char *
nf_consent_name(enum nf_consent c)
{
	switch (c) {
	case NF_CONSENT_NONE:
		return "none";
	case NF_CONSENT_GRANTED:
		return "granted";
	case NF_CONSENT_REVOKED:
		return "revoked";
	}
	return "unknown";
}

/* ---- pool ---------------------------------------------------------------- */

struct nf_store_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *path;
	int busy_ms;
	size_t max;		/* handles that may exist at once */
	size_t total;		/* handles that exist (idle + borrowed) */
	size_t nidle;
	struct nf_store **idle;	/* max slots, most recently parked last */
	struct timespec *parked;	/* when each idle handle came back */
	char err[1024];		/* last open failure */
};

int
nf_store_pool_new(const char *path, int busy_ms, size_t max_handles,
    struct nf_store_pool **out, char *err, size_t errlen)
{
	struct nf_store_pool *p;
	struct nf_store *s;
	int rc;

	*out = NULL;
	if (max_handles == 0)
		max_handles = 1;
	p = calloc(1, sizeof *p);
	if (p == NULL || (p->path = strdup(path)) == NULL ||
	    (p->idle = calloc(max_handles, sizeof *p->idle)) == NULL ||
	    (p->parked = calloc(max_handles, sizeof *p->parked)) == NULL) {
		if (p) {
			free(p->idle);
			free(p->path);
		}
		free(p);
		snprintf(err, errlen, "%s: out of memory", path);
		return NF_STORE_ERR;
	}
	p->busy_ms = busy_ms;
	p->max = max_handles;
	/* open one now, so a bad path or schema stops the start, not a mail */
	rc = nf_store_open(path, NF_STORE_CREATE, busy_ms, &s, err, errlen);
	if (rc != NF_STORE_OK) {
		free(p->parked);
		free(p->idle);
		free(p->path);
		free(p);
		return rc;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		nf_store_close(s);
		free(p->parked);
		free(p->idle);
		free(p->path);
		free(p);
		snprintf(err, errlen, "%s: cannot create a mutex", path);
		return NF_STORE_ERR;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		nf_store_close(s);
		free(p->parked);
		free(p->idle);
		free(p->path);
		free(p);
		snprintf(err, errlen, "%s: cannot create a condition "
		    "variable", path);
		return NF_STORE_ERR;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->parked[0]);
	p->idle[p->nidle++] = s;
	p->total = 1;
	*out = p;
	return NF_STORE_OK;
}

/* With the lock held: end the snapshots of long-parked handles. */
static void
pool_sweep(struct nf_store_pool *p)
{
	struct timespec now;
	long long age_ms;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < p->nidle; i++) {
		age_ms = (long long)(now.tv_sec - p->parked[i].tv_sec) * 1000 +
		    (now.tv_nsec - p->parked[i].tv_nsec) / 1000000;
		if (age_ms >= NF_STORE_SNAPSHOT_MS)
			nf_store_release(p->idle[i]);
	}
}

int
nf_store_pool_get(struct nf_store_pool *p, struct nf_store **out)
{
	struct nf_store *s = NULL;
	struct timespec until;
	char err[sizeof p->err];
	int rc, w = 0;

	*out = NULL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += p->busy_ms / 1000;
	until.tv_nsec += (long)(p->busy_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (p->nidle == 0 && p->total >= p->max && w != ETIMEDOUT)
		w = pthread_cond_timedwait(&p->cv, &p->mu, &until);
	pool_sweep(p);
	if (p->nidle > 0) {
		*out = p->idle[--p->nidle];
		pthread_mutex_unlock(&p->mu);
		return NF_STORE_OK;
	}
	if (p->total >= p->max) {
		snprintf(p->err, sizeof p->err, "%s: all %zu store handles "
		    "stayed busy for %d ms", p->path, p->max, p->busy_ms);
		pthread_mutex_unlock(&p->mu);
		return NF_STORE_BUSY;
	}
	p->total++;		/* reserve the slot, open outside the lock */
	pthread_mutex_unlock(&p->mu);
	rc = nf_store_open(p->path, NF_STORE_CREATE, p->busy_ms, &s, err,
	    sizeof err);
	pthread_mutex_lock(&p->mu);
	if (rc != NF_STORE_OK) {
		p->total--;
		memcpy(p->err, err, sizeof p->err);
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	*out = s;
	return rc;
}

void
nf_store_pool_put(struct nf_store_pool *p, struct nf_store *s, int broken)
{
	int i;

	if (s == NULL)
		return;
	/* a borrower that left a transaction open would block every writer */
	for (i = 0; i < 64 && nf_store_rollback(s) == NF_STORE_OK; i++)
		broken = 1;
	/* and a transaction the store itself lost track of (its own short
	 * read snapshot may stay: the sweep below ends it when it ages) */
	if (!nf_store_idle(s))
		broken = 1;
	if (broken)
		nf_store_close(s);
	pthread_mutex_lock(&p->mu);
	if (broken)
		p->total--;
	else {
		clock_gettime(CLOCK_MONOTONIC, &p->parked[p->nidle]);
		p->idle[p->nidle++] = s;
	}
	pool_sweep(p);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
nf_store_pool_free(struct nf_store_pool *p)
{
	if (p == NULL)
		return;
	while (p->nidle > 0)
		nf_store_close(p->idle[--p->nidle]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->parked);
	free(p->idle);
	free(p->path);
	free(p);
}

const char *
nf_store_pool_errmsg(struct nf_store_pool *p, char *buf, size_t len)
{
	pthread_mutex_lock(&p->mu);
	snprintf(buf, len, "%s", p->err[0] ? p->err : "no error");
	pthread_mutex_unlock(&p->mu);
	return buf;
}
