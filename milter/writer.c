/*
 * writer.c - the event writer thread: decision events go from the MTA's
 * threads into a bounded queue and from there into the store, many per
 * transaction, so that no callback ever waits for a disk write.
 *
 * Ownership: nf_writer_push takes every event it is given; the queue owns
 * them until they are written or counted as lost.  Bounds: the queue holds
 * at most `capacity` events; a producer finding it full waits (up to its
 * wait_ms) for the writer to make room and is told how many did not fit,
 * so the loss is logged and the caller can tempfail its message.
 * Failure: a busy or failing store is retried with a growing pause while
 * the daemon runs; at shutdown nf_writer_stop drains the queue, retrying
 * for up to drain_ms, and logs whatever it still could not write.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "milter.h"

struct nf_writer {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;	/* writer waits for events or stop */
	pthread_cond_t nonfull;		/* producers wait for room */
	pthread_t thread;
	struct nf_wevent **ring;
	size_t cap, head, count;	/* ring buffer: head = oldest */
	size_t batch;
	struct nf_wevent **bbuf;		/* the group being written */
	struct nf_event *ebuf;
	int stopping;			/* no more pushes; drain and exit */
	int joined;
	int drain_ms;
	struct nf_writer_stats st;
};

struct nf_wevent *
nf_wevent_new(int64_t time, const char *queue_id, const char *address,
    const char *rule, const char *detail)
{
	size_t lq = queue_id ? strlen(queue_id) + 1 : 0;
	size_t la = address ? strlen(address) + 1 : 0;
	size_t lr = rule ? strlen(rule) + 1 : 0;
	size_t ld = detail ? strlen(detail) + 1 : 0;
	struct nf_wevent *e = malloc(sizeof(*e) + lq + la + lr + ld);
	char *p;

	if (e == NULL)
		return NULL;
	p = (char *)(e + 1);
	e->time = time;
#define NF_PLACE(field, src, len) do { \
	if (src) { memcpy(p, src, len); e->field = p; p += len; } \
	else e->field = NULL; } while (0)
	NF_PLACE(queue_id, queue_id, lq);
	NF_PLACE(address, address, la);
	NF_PLACE(rule, rule, lr);
	NF_PLACE(detail, detail, ld);
#undef NF_PLACE
	return e;
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Write one group; on a store failure retry with a pause that grows from
 * 50 ms to 2 s.  Gives up only when stopping and drain_ms has passed. */
static void
writer_commit(struct nf_writer *w, struct nf_wevent **batch, size_t n,
    struct nf_event *ev)
{
	struct timespec t0;
	int pause_ms = 50, rc, logged = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		ev[i].time = batch[i]->time;
		ev[i].kind = "decision";
		ev[i].queue_id = batch[i]->queue_id;
		ev[i].token = NULL;
		ev[i].address = batch[i]->address;
		ev[i].rule = batch[i]->rule;
		ev[i].detail = batch[i]->detail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rc = nf_milter_store_events(ev, n);
		if (rc == NF_STORE_OK)
			break;
		pthread_mutex_lock(&w->lock);
		w->st.retries++;
		if (w->stopping && ms_since(&t0) >= w->drain_ms) {
			w->st.lost += n;
			pthread_mutex_unlock(&w->lock);
			nf_err("could not record %zu decision events at shutdown "
			    "(store error %d); they are lost, see the store's log",
			    n, rc);
			goto out;
		}
		pthread_mutex_unlock(&w->lock);
		if (!logged) {
			nf_warn("event writer: the store could not take %zu events "
			    "(error %d); retrying", n, rc);
			logged = 1;
		}
		nanosleep(&(struct timespec){ pause_ms / 1000,
		    (long)(pause_ms % 1000) * 1000000L }, NULL);
		if (pause_ms < 2000)
			pause_ms *= 2;
	}
	pthread_mutex_lock(&w->lock);
	w->st.written += n;
	w->st.batches++;
	pthread_mutex_unlock(&w->lock);
	if (logged)
		nf_info("event writer: the store is answering again");
out:
	for (i = 0; i < n; i++)
		free(batch[i]);
}

static void *
writer_main(void *arg)
{
	struct nf_writer *w = arg;
	struct nf_wevent **batch = w->bbuf;
	struct nf_event *ev = w->ebuf;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->nonempty, &w->lock);
		if (w->count == 0 && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		for (n = 0; n < w->batch && w->count > 0; n++) {
			batch[n] = w->ring[w->head];
			w->ring[w->head] = NULL;
			w->head = (w->head + 1) % w->cap;
			w->count--;
		}
		pthread_cond_broadcast(&w->nonfull);
		pthread_mutex_unlock(&w->lock);
		writer_commit(w, batch, n, ev);
	}
	return NULL;
}

int
nf_writer_start(size_t capacity, size_t batch, struct nf_writer **out)
{
	struct nf_writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL)
		return -1;
	w->cap = capacity ? capacity : 1;
	w->batch = batch ? batch : 1;
	w->ring = calloc(w->cap, sizeof(*w->ring));
	w->bbuf = calloc(w->batch, sizeof(*w->bbuf));
	w->ebuf = calloc(w->batch, sizeof(*w->ebuf));
	if (w->ring == NULL || w->bbuf == NULL || w->ebuf == NULL) {
		free(w->ring);
		free(w->bbuf);
		free(w->ebuf);
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->nonempty, NULL);
	pthread_cond_init(&w->nonfull, NULL);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		nf_err("cannot start the event writer thread: %s", strerror(rc));
		free(w->ring);
		free(w->bbuf);
		free(w->ebuf);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

size_t
nf_writer_push(struct nf_writer *w, struct nf_wevent **ev, size_t n,
    int wait_ms)
{
	struct timespec dl;
	size_t i = 0, lost;
	int timed_out = 0;

	deadline_after(&dl, wait_ms);
	pthread_mutex_lock(&w->lock);
	while (i < n && !w->stopping) {
		if (w->count == w->cap) {
			if (timed_out)
				break;
			if (pthread_cond_timedwait(&w->nonfull, &w->lock,
			    &dl) == ETIMEDOUT)
				timed_out = 1;
			continue;
		}
		w->ring[(w->head + w->count) % w->cap] = ev[i++];
		w->count++;
		w->st.queued++;
	}
	lost = n - i;
	w->st.lost += lost;
	pthread_cond_signal(&w->nonempty);
	pthread_mutex_unlock(&w->lock);
	for (; i < n; i++)
		free(ev[i]);
	return lost;
}

void
nf_writer_stop(struct nf_writer *w, int drain_ms)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	w->drain_ms = drain_ms;
	pthread_cond_broadcast(&w->nonempty);
	pthread_cond_broadcast(&w->nonfull);
	if (w->joined) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	w->joined = 1;
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
}

void
nf_writer_free(struct nf_writer *w)
{
	if (w == NULL)
		return;
	nf_writer_stop(w, 0);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->nonempty);
	pthread_cond_destroy(&w->nonfull);
	free(w->ring);
	free(w->bbuf);
	free(w->ebuf);
	free(w);
}

void
nf_writer_stats(struct nf_writer *w, struct nf_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->st;
	pthread_mutex_unlock(&w->lock);
}
