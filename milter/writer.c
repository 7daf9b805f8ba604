/*
 * writer.c - the record writer thread: decision events and message records
 * go from the MTA's threads into a bounded queue and from there into the
 * store, many messages per transaction (group commit), so that no callback
 * ever waits for SQLite.
 *
 * Group commit: one transaction costs about the same whether it holds one
 * message or fifty (its index pages are shared), so a writer that wakes to
 * a short queue waits for more before writing -- while more keep coming,
 * up to NF_WRITER_LINGER_MS -- unless a full group is already there, someone waits for the records
 * (nf_writer_sync: the MailLog follower, before it looks up the messages
 * of the delivery lines it has just read) or the daemon is stopping.  That
 * only delays when a record becomes visible; nothing queued is lost more
 * easily (the queue is drained at stop exactly as before), and producers
 * wake the writer only when it sleeps on an empty queue or a group is
 * complete, not once per message.
 *
 * Ownership: nf_writer_push takes every item it is given; the queue owns
 * them until they are written or counted as lost.  An item is one message's
 * worth (its decision events and, when it was tagged, the message record
 * with its recipients): it is written whole or not at all.  Bounds: the
 * queue holds at most `capacity` items; a producer finding it full waits
 * (up to its wait_ms) for the writer to make room and is told how many did
 * not fit, so the loss is logged and the caller can tempfail its message.
 * Failure: a busy store is retried with a growing pause while the daemon
 * runs.  Any other failure of a group is retried item by item, so one item
 * the store refuses cannot hold back the others; an item refused
 * NF_WRITER_MAX_ERRS times on its own is logged and counted as lost.  At
 * shutdown nf_writer_stop drains the queue, retrying for up to drain_ms,
 * and logs whatever it still could not write.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"	/* _GNU_SOURCE: pthread_setname_np */
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "milter.h"

#define NF_WRITER_MAX_ERRS 5
/* How long a short queue waits to become a bigger group: while items keep
 * coming (one at least every NF_WRITER_QUIET_MS), up to
 * NF_WRITER_LINGER_MS.  A lone message is written after the quiet time,
 * as soon as before; at a few hundred messages a second a group holds a
 * hundred or so.  The follower's sync ends a wait early, and `notifilterctl
 * ingest` waits up to 2 s for a record in flight, far longer. */
#define NF_WRITER_QUIET_MS 20
#define NF_WRITER_LINGER_MS 200

struct nf_writer {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;	/* writer waits for items or stop */
	pthread_cond_t nonfull;		/* producers wait for room */
	pthread_cond_t synced;		/* nf_writer_sync waits for a group */
	pthread_t thread;
	struct nf_witem **ring;
	size_t cap, head, count;	/* ring buffer: head = oldest */
	size_t batch;
	size_t fill;			/* write at once from this many on */
	int idle;			/* the writer waits on an empty queue */
	int flush;			/* someone waits: write without lingering */
	unsigned long long pushed;	/* items queued, ever */
	unsigned long long done;	/* ... and written or counted lost */
	struct nf_witem **bbuf;		/* the group being written */
	int stopping;			/* no more pushes; drain and exit */
	int joined;
	int drain_ms;
	struct nf_writer_stats st;
};

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

static void
count_items(struct nf_witem *const *it, size_t n, unsigned long long *nev,
    unsigned long long *nmsg)
{
	size_t i;

	*nev = *nmsg = 0;
	for (i = 0; i < n; i++) {
		*nev += it[i]->nev;
		*nmsg += it[i]->msg != NULL;
	}
}

/* Write one group (freeing its items whatever happens); on a busy store
 * retry with a pause that grows from 50 ms to 2 s.  Gives up only when
 * stopping and drain_ms has passed, or for a lone item the store keeps
 * refusing with an error other than busy. */
static void
writer_commit(struct nf_writer *w, struct nf_witem **batch, size_t n)
{
	struct timespec t0;
	unsigned long long nev, nmsg;
	int pause_ms = 50, rc, logged = 0, errs = 0;
	size_t i, dup;

	count_items(batch, n, &nev, &nmsg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		dup = 0;
		rc = nf_milter_store_items(batch, n, &dup);
		if (rc == NF_STORE_OK)
			break;
		pthread_mutex_lock(&w->lock);
		w->st.retries++;
		if (w->stopping && ms_since(&t0) >= w->drain_ms) {
			w->st.lost += nev;
			w->st.msgs_lost += nmsg;
			pthread_mutex_unlock(&w->lock);
			nf_err("could not record %llu decision events and %llu "
			    "messages at shutdown (store error %d); they are lost, "
			    "see the store's log", nev, nmsg, rc);
			goto out;
		}
		pthread_mutex_unlock(&w->lock);
		if (rc != NF_STORE_BUSY && n > 1) {
			/* maybe one item the store refuses: write them alone */
			for (i = 0; i < n; i++)
				writer_commit(w, &batch[i], 1);
			return;
		}
		if (rc != NF_STORE_BUSY && ++errs >= NF_WRITER_MAX_ERRS) {
			pthread_mutex_lock(&w->lock);
			w->st.lost += nev;
			w->st.msgs_lost += nmsg;
			pthread_mutex_unlock(&w->lock);
			nf_err("the store refused a record %d times (error %d): "
			    "%llu decision events and %llu message records of "
			    "message %s are lost; see the store's log",
			    errs, rc, nev, nmsg, batch[0]->nev > 0 &&
			    batch[0]->ev[0].queue_id ? batch[0]->ev[0].queue_id :
			    "(no queue id)");
			goto out;
		}
		if (!logged) {
			nf_warn("record writer: the store could not take %zu "
			    "messages (error %d); retrying", n, rc);
			logged = 1;
		}
		nanosleep(&(struct timespec){ pause_ms / 1000,
		    (long)(pause_ms % 1000) * 1000000L }, NULL);
		if (pause_ms < 2000)
			pause_ms *= 2;
	}
	pthread_mutex_lock(&w->lock);
	w->st.written += nev;
	w->st.msgs_written += nmsg - dup;
	w->st.msgs_lost += dup;
	w->st.batches++;
	pthread_mutex_unlock(&w->lock);
	if (logged)
		nf_info("record writer: the store is answering again");
out:
	for (i = 0; i < n; i++)
		free(batch[i]);
}

static void *
writer_main(void *arg)
{
	struct nf_writer *w = arg;
	struct nf_witem **batch = w->bbuf;
	struct timespec dl;
	size_t n;

	/* a name for top -H and per-thread CPU figures; failure is harmless */
	(void)pthread_setname_np(pthread_self(), "nf-writer");
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->count == 0 && !w->stopping) {
			w->idle = 1;
			pthread_cond_wait(&w->nonempty, &w->lock);
		}
		w->idle = 0;
		if (w->count == 0 && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		if (w->count < w->fill && !w->stopping && !w->flush) {
			/* let a group gather (see the top); producers do not
			 * wake a lingering writer, each quiet period does */
			struct timespec t0;
			size_t before;
			int turns;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			for (turns = 0; turns < NF_WRITER_LINGER_MS /
			    NF_WRITER_QUIET_MS; turns++) {
				before = w->count;
				deadline_after(&dl, NF_WRITER_QUIET_MS);
				while (w->count < w->fill && !w->stopping &&
				    !w->flush && pthread_cond_timedwait(
				    &w->nonempty, &w->lock, &dl) != ETIMEDOUT)
					;
				if (w->count >= w->fill || w->stopping ||
				    w->flush || w->count == before ||
				    ms_since(&t0) >= NF_WRITER_LINGER_MS)
					break;
			}
		}
		for (n = 0; n < w->batch && w->count > 0; n++) {
			batch[n] = w->ring[w->head];
			w->ring[w->head] = NULL;
			w->head = (w->head + 1) % w->cap;
			w->count--;
		}
		if (w->count == 0)
			w->flush = 0;	/* every waiter's items are in hand */
		pthread_cond_broadcast(&w->nonfull);
		pthread_mutex_unlock(&w->lock);
		writer_commit(w, batch, n);
		pthread_mutex_lock(&w->lock);
		w->done += n;
		pthread_cond_broadcast(&w->synced);
		pthread_mutex_unlock(&w->lock);
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
	/* a full queue must not wait out the linger: its producers do */
	w->fill = w->batch < w->cap ? w->batch : w->cap;
	w->ring = calloc(w->cap, sizeof(*w->ring));
	w->bbuf = calloc(w->batch, sizeof(*w->bbuf));
	if (w->ring == NULL || w->bbuf == NULL) {
		free(w->ring);
		free(w->bbuf);
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->nonempty, NULL);
	pthread_cond_init(&w->nonfull, NULL);
	pthread_cond_init(&w->synced, NULL);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		nf_err("cannot start the record writer thread: %s", strerror(rc));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->nonempty);
		pthread_cond_destroy(&w->nonfull);
		pthread_cond_destroy(&w->synced);
		free(w->ring);
		free(w->bbuf);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

size_t
nf_writer_push(struct nf_writer *w, struct nf_witem **it, size_t n,
    int wait_ms)
{
	struct timespec dl;
	unsigned long long nev, nmsg;
	size_t i = 0, lost;
	int timed_out = 0;

	deadline_after(&dl, wait_ms);
	pthread_mutex_lock(&w->lock);
	while (i < n && !w->stopping) {
		if (w->count == w->cap) {
			if (timed_out)
				break;
			pthread_cond_signal(&w->nonempty);	/* a group is ready */
			if (pthread_cond_timedwait(&w->nonfull, &w->lock,
			    &dl) == ETIMEDOUT)
				timed_out = 1;
			continue;
		}
		w->ring[(w->head + w->count) % w->cap] = it[i];
		w->count++;
		w->pushed++;
		w->st.queued += it[i]->nev;
		i++;
	}
	lost = n - i;
	count_items(it + i, lost, &nev, &nmsg);
	w->st.lost += nev;
	w->st.msgs_lost += nmsg;
	/* wake the writer only when it waits for a first item or a group is
	 * complete; while it lingers, its own deadline wakes it */
	if (i > 0 && (w->idle || w->count >= w->fill))
		pthread_cond_signal(&w->nonempty);
	pthread_mutex_unlock(&w->lock);
	for (; i < n; i++)
		free(it[i]);
	return lost;
}

int
nf_writer_sync(struct nf_writer *w, int wait_ms)
{
	struct timespec dl;
	unsigned long long want;
	int rc = 0;

	if (w == NULL)
		return 0;
	deadline_after(&dl, wait_ms);
	pthread_mutex_lock(&w->lock);
	want = w->pushed;
	if (w->count > 0) {	/* queued, not yet in the writer's hands */
		w->flush = 1;
		pthread_cond_signal(&w->nonempty);
	}
	/* done only grows, and the writer (or stop's drain) reaches every
	 * item: bounded by wait_ms all the same */
	while (w->done < want && !w->joined && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w->synced, &w->lock, &dl);
	rc = w->done >= want ? 0 : -1;
	pthread_mutex_unlock(&w->lock);
	return rc;
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
	pthread_cond_destroy(&w->synced);
	free(w->ring);
	free(w->bbuf);
	free(w);
}

void
nf_writer_stats(struct nf_writer *w, struct nf_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->st;
	pthread_mutex_unlock(&w->lock);
}
