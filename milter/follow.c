/*
 * follow.c - the MailLog follower: reads the MTA's log like `tail -F`
 * (follow_file.c) and turns Postfix's delivery status lines into the
 * store's delivery rows and "delivery" events (nf_store_delivery_add), for
 * mail the milter recorded.  This file holds what a line means, the
 * transactions, the waiting list, the steps and the thread.
 *
 * Who owns what: one thread (or a test calling nf_follow_step) owns the
 * whole struct nf_follow (follow_int.h); the only shared parts are the
 * stop flag and the published counters.  It has a store pool of its own
 * with one handle, so it never takes a handle a milter callback is
 * waiting for.
 *
 * Lines: a delivery line names a queue id and a recipient (as delivered,
 * and as the milter saw it: orig_to).  qmgr's "status=expired, returned
 * to sender" names no recipient: it is about the whole message and is
 * recorded for every recipient of it still without a final status.
 *
 * Pending lines: a delivery line may be read before a writer has
 * recorded its message (Postfix delivers in tens of milliseconds; writers
 * commit in groups; another daemon may share the store).  A NOTFOUND line
 * therefore waits in a bounded list (pending_max lines and
 * pending_bytes_max bytes, oldest dropped first) and is retried with a
 * growing interval (from 250 ms, or from 1 s when this process's writer
 * is synced first, see below) until pending_ms have passed, then dropped
 * silently: it is most likely mail that is not ours.
 * Pending lines live in memory only; nf_follow_stop tries them all once
 * more (main() stops the follower after the writer has drained).
 *
 * Writer first: before the lines a step has read are looked up, the
 * daemon's record writer is asked to commit what it holds
 * (nf_writer_sync), so a delivery line finds its message at once instead
 * of waiting in the list, and the writer may gather large groups.  Every
 * message a delivery line names ended (and was queued for the writer)
 * before Postfix delivered it.  Linked without the writer (tests), the
 * step skips this.
 *
 * Failure: the store busy or failing makes the step roll back to the last
 * commit and read the same lines again later; the position in the store
 * never runs ahead of what was recorded.  Every loop is bounded in time
 * (a step works at most ~200 ms) and count.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "follow.h"
#include "follow_int.h"
#include "log.h"
#include "maillog.h"
#include "store.h"

#define STEP_MS 200		/* work per step, so a stop is seen soon */
#define FINAL_MS 500		/* the last step at stop */
#define SAVE_MS 5000		/* position-only saves at most this often */
#define BUSY_MAX_MS 250		/* the follower's own SQLite busy timeout */
#define SYNC_MS 1000		/* longest wait for the record writer */

/* The daemon's record writer (milter/state.c, milter/writer.c).  Weak: a
 * follower linked without them (tests/unit/t_follow) sees NULL here. */
struct nf_writer;
extern struct nf_writer *nf_milter_get_writer(void) __attribute__((weak));
extern int nf_writer_sync(struct nf_writer *w, int wait_ms)
    __attribute__((weak));

/* Is the daemon's writer linked in (and running)? */
static int
have_writer(void)
{
	return nf_milter_get_writer != NULL && nf_writer_sync != NULL &&
	    nf_milter_get_writer() != NULL;
}

/* Let the writer commit the messages the lines just read may name. */
static void
writer_sync(void)
{
	/* on a timeout the lines wait in the pending list, as before */
	if (have_writer())
		(void)nf_writer_sync(nf_milter_get_writer(), SYNC_MS);
}

int64_t
nf_follow_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- pending lines ----------------------------------------------------- */

static char *
put_str(char **at, const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = *at;

	memcpy(r, s, n);
	*at += n;
	return r;
}

/* A waiting copy of d; d->address NULL: the line names no recipient. */
static struct nf_follow_pend *
pend_new(const struct nf_delivery_in *d, const char *orig_to, int64_t now)
{
	const char *f[] = { d->queue_id, d->address ? d->address : "",
	    orig_to ? orig_to : "",
	    d->status, d->dsn ? d->dsn : "", d->relay ? d->relay : "",
	    d->diagnostic ? d->diagnostic : "" };
	size_t i, n = sizeof(struct nf_follow_pend);
	struct nf_follow_pend *p;
	char *at;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		n += strlen(f[i]) + 1;
	if ((p = calloc(1, n)) == NULL)
		return NULL;
	at = (char *)(p + 1);
	p->qid = put_str(&at, f[0]);
	p->to = put_str(&at, f[1]);
	p->orig_to = put_str(&at, f[2]);
	p->status = put_str(&at, f[3]);
	p->dsn = put_str(&at, f[4]);
	p->relay = put_str(&at, f[5]);
	p->diag = put_str(&at, f[6]);
	p->whole = d->address == NULL;
	p->size = n;
	p->time = d->time;
	p->first_ms = now;
	p->next_ms = now + 250;
	return p;
}

static int
pvec_push(struct nf_follow_pvec *v, struct nf_follow_pend *p)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		struct nf_follow_pend **nv = realloc(v->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n++] = p;
	v->bytes += p->size;
	return 0;
}

static void
pvec_clear(struct nf_follow_pvec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	v->n = 0;
	v->bytes = 0;
}

/* Drop entries marked done or dropped (next_ms < 0), keeping order. */
static void
pvec_compact(struct nf_follow_pvec *v)
{
	size_t i, j = 0;

	for (i = 0; i < v->n; i++) {
		struct nf_follow_pend *p = v->v[i];

		if (p->done || p->next_ms < 0) {
			v->bytes -= p->size;
			free(p);
		} else
			v->v[j++] = p;
	}
	v->n = j;
}

/* Move the tentative entries of a committed transaction into the pending
 * list, dropping the oldest pending ones when it is full. */
static void
pend_adopt(struct nf_follow *f)
{
	size_t i, drop = 0;

	for (i = 0; i < f->newp.n; i++) {
		struct nf_follow_pend *p = f->newp.v[i];

		while (drop < f->pend.n && (f->pend.n - drop >= f->pending_max ||
		    f->pend.bytes > f->pending_bytes_max)) {
			f->pend.v[drop]->next_ms = -1;
			f->pend.bytes -= f->pend.v[drop]->size;
			f->pend.v[drop]->size = 0;
			drop++;
		}
		if (f->pend.n - drop >= f->pending_max ||
		    pvec_push(&f->pend, p) != 0) {
			free(p);
			f->st.pending_dropped++;
		}
	}
	f->newp.n = 0;
	f->newp.bytes = 0;
	if (drop > 0) {
		f->st.pending_dropped += drop;
		pvec_compact(&f->pend);
	}
}

/* ---- the store --------------------------------------------------------- */

int
nf_follow_store_failed(struct nf_follow *f, int rc, const char *what)
{
	int64_t now = nf_follow_mono_ms();

	if (f->in_tx)
		nf_store_rollback(f->s);
	f->in_tx = 0;
	f->tx_lines = 0;
	pvec_clear(&f->newp);
	f->st.store_retries++;
	f->fails++;
	if (rc != NF_STORE_BUSY)
		f->broken = 1;
	if (f->fails == 1 || now - f->fail_logged_ms >= 60000) {
		nf_log(f->fails == 1 ? NF_LOG_WARN : NF_LOG_ERR, "MailLog %s: "
		    "%s failed: %s (%d attempt%s): will retry; the position "
		    "stays at what was recorded", f->path, what,
		    nf_store_errmsg(f->s), f->fails, f->fails == 1 ? "" : "s");
		f->fail_logged_ms = now;
	}
	return -1;
}


static int
tx_begin(struct nf_follow *f)
{
	int rc;

	if (f->in_tx)
		return 0;
	if ((rc = nf_store_begin(f->s)) != NF_STORE_OK)
		return nf_follow_store_failed(f, rc, "a transaction");
	f->in_tx = 1;
	f->tx_lines = 0;
	return 0;
}

/* Save the position `pos` and commit what the transaction holds. */
int
nf_follow_commit(struct nf_follow *f, int64_t pos)
{
	char val[NF_FOLLOW_STATE_MAX];
	int rc;

	if (tx_begin(f) != 0)
		return -1;
	nf_follow_file_state(f, pos, val, sizeof(val));
	if ((rc = nf_store_state_set(f->s, f->key, val)) != NF_STORE_OK)
		return nf_follow_store_failed(f, rc, "saving the position");
	if ((rc = nf_store_commit(f->s)) != NF_STORE_OK)
		return nf_follow_store_failed(f, rc, "committing");
	f->in_tx = 0;
	f->tx_lines = 0;
	f->dirty = 0;
	f->fails = 0;
	f->last_save_ms = nf_follow_mono_ms();
	pend_adopt(f);
	return 0;
}

/* ---- lines ------------------------------------------------------------- */

/* The address as the milter stored it, when it can be normalised. */
static const char *
norm_addr(const char *in, char *out, size_t len)
{
	const char *why;

	if (in[0] != '\0' && nf_addr_normalize(in, out, len, &why) == 0)
		return out;
	return in;
}

/* delivery_add for `to`, then (NOTFOUND) for orig_to: the milter saw the
 * recipient before Postfix rewrote it (aliases, virtual, canonical).  A
 * `whole` line names no recipient: the store applies it to every recipient
 * of the message that has no final status yet. */
static int
record(struct nf_follow *f, struct nf_delivery_in *d, const char *to,
    const char *orig_to, int whole)
{
	char a[NF_ADDR_MAX + 1];
	const char *tries[2] = { to, orig_to };
	int i, rc = NF_STORE_NOTFOUND;

	if (whole) {
		d->address = NULL;
		rc = nf_store_delivery_add(f->s, d);
		if (rc == NF_STORE_OK && nf_log_get_level() >= NF_LOG_DEBUG)
			nf_debug("MailLog: %s (every open recipient): %s "
			    "recorded", d->queue_id, d->status);
		return rc;
	}
	for (i = 0; i < 2 && rc == NF_STORE_NOTFOUND; i++) {
		if (tries[i] == NULL || tries[i][0] == '\0')
			continue;
		d->address = norm_addr(tries[i], a, sizeof(a));
		if (strlen(d->address) >= NF_STORE_EMAIL_MAX)
			continue;	/* cannot be a stored recipient */
		rc = nf_store_delivery_add(f->s, d);
	}
	if (rc == NF_STORE_OK && nf_log_get_level() >= NF_LOG_DEBUG)
		nf_debug("MailLog: %s to %s: %s recorded", d->queue_id,
		    d->address, d->status);
	return rc;
}

/* One complete line (without its newline).  0, or -1: store failure. */
int
nf_follow_take_line(struct nf_follow *f, const char *line, size_t len)
{
	struct nf_maillog_rec *rec = &f->rec;
	struct nf_delivery_in d;
	int64_t t, now = (int64_t)time(NULL);
	int rc;

	f->st.lines++;
	/* most lines are not delivery lines, and every delivery line has
	 * ", status=": a scan is cheaper than the parser's 3 KiB record */
	if (memmem(line, len, ", status=", 9) == NULL ||
	    nf_maillog_parse(line, len, rec) != NF_MAILLOG_DELIVERY)
		return 0;
	f->st.deliveries++;
	/* qmgr's "status=expired, returned to sender" names no recipient:
	 * it is about every recipient still waiting in the queue */
	if (!rec->has_rcpt)
		f->st.message_expired++;
	if (strlen(rec->queue_id) >= NF_STORE_QID_MAX)
		return 0;
	if (nf_maillog_time(&rec->ts, now, &t) != 0)
		t = now;
	memset(&d, 0, sizeof(d));
	d.queue_id = rec->queue_id;
	d.status = nf_maillog_status_name(rec->status);
	d.dsn = rec->dsn;
	d.relay = rec->relay;
	d.diagnostic = rec->diag;
	d.source = "maillog";
	d.time = t;
	if (tx_begin(f) != 0)
		return -1;
	f->tx_lines++;
	rc = record(f, &d, rec->to, rec->orig_to, !rec->has_rcpt);
	if (rc == NF_STORE_OK) {
		f->st.recorded++;
		return 0;
	}
	if (rc == NF_STORE_NOTFOUND) {
		struct nf_follow_pend *p;

		d.address = rec->has_rcpt ? rec->to : NULL;
		p = pend_new(&d, rec->orig_to, nf_follow_mono_ms());
		if (p == NULL || pvec_push(&f->newp, p) != 0) {
			free(p);
			f->st.pending_dropped++;
		}
		return 0;
	}
	return nf_follow_store_failed(f, rc, "recording a delivery");
}

/* After a commit: count what it recorded, drop what is finished. */
static void
settle(struct nf_follow *f)
{
	size_t i;

	for (i = 0; i < f->pend.n; i++)
		if (f->pend.v[i]->done)
			f->st.recorded++;
	pvec_compact(&f->pend);
}

/* Try the pending lines that are due (all of them when `all`). */
static int
retry_pending(struct nf_follow *f, int all)
{
	int64_t now = nf_follow_mono_ms();
	size_t i, tried = 0;
	int rc;

	for (i = 0; i < f->pend.n && tried < 16 * f->batch_max; i++) {
		struct nf_follow_pend *p = f->pend.v[i];
		struct nf_delivery_in d;

		if (!all && p->next_ms > now)
			continue;
		if (tx_begin(f) != 0)
			goto fail;
		memset(&d, 0, sizeof(d));
		d.queue_id = p->qid;
		d.status = p->status;
		d.dsn = p->dsn;
		d.relay = p->relay;
		d.diagnostic = p->diag;
		d.source = "maillog";
		d.time = p->time;
		tried++;
		rc = record(f, &d, p->to, p->orig_to, p->whole);
		if (rc == NF_STORE_OK)
			p->done = 1;
		else if (rc != NF_STORE_NOTFOUND) {
			nf_follow_store_failed(f, rc, "recording a delivery");
			goto fail;
		} else if (all || now - p->first_ms >= f->pending_ms) {
			p->next_ms = -1;	/* not ours: dropped */
			f->st.not_ours++;
		} else {
			/* with the writer in this process synced before the
			 * lines were read, a line still waiting can only be for
			 * another process's writer, or not ours at all (most
			 * lines): look again less often */
			int64_t step = (int64_t)(have_writer() ? 1000 : 250) <<
			    (p->tries < 4 ? p->tries : 4);

			p->tries++;
			p->next_ms = now + step;
			if (p->next_ms > p->first_ms + f->pending_ms)
				p->next_ms = p->first_ms + f->pending_ms;
		}
		if (++f->tx_lines >= f->batch_max) {
			if (nf_store_commit(f->s) != NF_STORE_OK) {
				nf_follow_store_failed(f, NF_STORE_ERR,
				    "committing");
				goto fail;
			}
			f->in_tx = 0;
			f->tx_lines = 0;
			settle(f);
			i = (size_t)-1;	/* compaction moved entries: rescan */
			now = nf_follow_mono_ms();
		}
	}
	if (f->in_tx) {
		if (nf_store_commit(f->s) != NF_STORE_OK) {
			nf_follow_store_failed(f, NF_STORE_ERR, "committing");
			goto fail;
		}
		f->in_tx = 0;
		f->tx_lines = 0;
	}
	settle(f);
	return 0;
fail:
	/* undo what the rolled-back transaction claimed */
	for (i = 0; i < f->pend.n; i++)
		f->pend.v[i]->done = 0;
	pvec_compact(&f->pend);
	return -1;
}

/* ---- steps and the thread ---------------------------------------------- */

static void
publish(struct nf_follow *f)
{
	f->st.pending = f->pend.n;
	pthread_mutex_lock(&f->mu);
	f->pub = f->st;
	pthread_mutex_unlock(&f->mu);
}

static int
step(struct nf_follow *f, int final)
{
	int64_t t0 = nf_follow_mono_ms();
	int rc = 0, more = 0, got, read_any = 0, broken = 0, synced = 0;

	if ((rc = nf_store_pool_get(f->pool, &f->s)) != NF_STORE_OK) {
		char buf[512];

		f->s = NULL;
		f->st.store_retries++;
		if (f->fails++ == 0)
			nf_warn("MailLog %s: no store handle: %s: will retry",
			    f->path, nf_store_pool_errmsg(f->pool, buf,
			    sizeof(buf)));
		publish(f);
		return -1;
	}
	rc = 0;
	if (!f->state_loaded && nf_follow_file_load(f) != 0) {
		rc = -1;
		goto out;
	}
	if (f->fd < 0)
		nf_follow_file_open(f);
	while (f->fd >= 0) {
		if (nf_follow_mono_ms() - t0 >= (final ? FINAL_MS : STEP_MS) ||
		    (!final && atomic_load(&f->stop))) {
			more = 1;
			break;
		}
		got = nf_follow_file_read(f);
		if (got > 0) {
			if (!synced) {
				writer_sync();
				synced = 1;
			}
			read_any = 1;
			if (nf_follow_file_take(f) != 0) {
				rc = -1;
				goto out;
			}
			continue;
		}
		if (got < 0)
			break;
		got = nf_follow_file_check(f, !read_any);
		if (got < 0) {
			rc = -1;
			goto out;
		}
		if (got == 0)
			break;
		read_any = 0;	/* a new file or position: read it now */
	}
	if (retry_pending(f, final) != 0) {
		rc = -1;
		goto out;
	}
	if (f->fd >= 0 && f->dirty &&
	    (final || nf_follow_mono_ms() - f->last_save_ms >= SAVE_MS) &&
	    nf_follow_commit(f, f->pos) != 0)
		rc = -1;
out:
	broken = f->broken;
	f->broken = 0;
	nf_store_pool_put(f->pool, f->s, broken);
	f->s = NULL;
	publish(f);
	return rc != 0 ? -1 : more;
}

int
nf_follow_step(struct nf_follow *f)
{
	return step(f, 0);
}

static void *
follow_main(void *arg)
{
	struct nf_follow *f = arg;

	/* a name for top -H and per-thread CPU figures; failure is harmless */
	(void)pthread_setname_np(pthread_self(), "nf-follow");
	while (!atomic_load(&f->stop)) {
		int r = step(f, 0);
		struct timespec until;
		int ms = r > 0 ? 0 : r < 0 ? 4 * f->poll_ms : f->poll_ms;

		if (ms == 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&f->mu);
		if (!atomic_load(&f->stop))
			pthread_cond_timedwait(&f->cv, &f->mu, &until);
		pthread_mutex_unlock(&f->mu);
	}
	return NULL;
}

int
nf_follow_new(const struct nf_follow_opts *o, struct nf_follow **out,
    char *err, size_t errlen)
{
	struct nf_follow *f;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (o->path == NULL || o->path[0] == '\0' || o->database == NULL) {
		snprintf(err, errlen, "MailLog follower: no file or no store");
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->buf = malloc(NF_FOLLOW_BUF_SIZE + 1)) == NULL ||
	    (f->path = strdup(o->path)) == NULL ||
	    (f->key = strdup(o->state_key ? o->state_key : "maillog")) == NULL) {
		snprintf(err, errlen, "MailLog follower: out of memory");
		goto fail;
	}
	f->fd = -1;
	f->poll_ms = o->poll_ms > 0 ? o->poll_ms : 250;
	f->grace_ms = 4 * f->poll_ms < 1000 ? 4 * f->poll_ms : 1000;
	f->pending_ms = o->pending_ms > 0 ? o->pending_ms : 15000;
	f->pending_max = o->pending_max > 0 ? o->pending_max : 10000;
	f->pending_bytes_max = o->pending_bytes_max > 0 ?
	    o->pending_bytes_max : 4 * 1024 * 1024;
	f->batch_max = o->batch_max > 0 ? o->batch_max : 256;
	rc = nf_store_pool_new(o->database, o->busy_ms > 0 &&
	    o->busy_ms < BUSY_MAX_MS ? o->busy_ms : BUSY_MAX_MS, 1, &f->pool,
	    err, errlen);
	if (rc != NF_STORE_OK)
		goto fail;
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = f;
	return 0;
fail:
	if (f != NULL) {
		free(f->buf);
		free(f->path);
		free(f->key);
		free(f);
	}
	return -1;
}

int
nf_follow_run(struct nf_follow *f)
{
	if (pthread_create(&f->th, NULL, follow_main, f) != 0)
		return -1;
	f->running = 1;
	return 0;
}

void
nf_follow_stats(struct nf_follow *f, struct nf_follow_stats *out)
{
	pthread_mutex_lock(&f->mu);
	*out = f->pub;
	pthread_mutex_unlock(&f->mu);
}

void
nf_follow_stop(struct nf_follow *f)
{
	size_t left;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	atomic_store(&f->stop, 1);
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	if (f->running)
		pthread_join(f->th, NULL);
	f->running = 0;
	left = f->pend.n;
	step(f, 1);
	nf_info("MailLog %s: %llu lines read, %llu delivery lines, %llu "
	    "recorded, %llu not ours, %llu overlong, %llu rotations, %llu "
	    "truncations, %llu store retries%s", f->path, f->st.lines,
	    f->st.deliveries, f->st.recorded, f->st.not_ours, f->st.overlong,
	    f->st.rotations, f->st.truncations, f->st.store_retries,
	    left ? " (lines still waiting for their message at stop were "
	    "tried once more)" : "");
	if (f->fd >= 0)
		close(f->fd);
	pvec_clear(&f->pend);
	pvec_clear(&f->newp);
	free(f->pend.v);
	free(f->newp.v);
	nf_store_pool_free(f->pool);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f->saved_path);
	free(f->buf);
	free(f->path);
	free(f->key);
	free(f);
}

struct nf_follow *
nf_follow_start_conf(const struct nf_conf *c)
{
	struct nf_follow_opts o;
	struct nf_follow *f;
	char err[1024];

	if (c->mail_log == NULL || c->mail_log[0] == '\0')
		return NULL;
	memset(&o, 0, sizeof(o));
	o.path = c->mail_log;
	o.database = c->database;
	o.busy_ms = (int)c->store_timeout;
	if (nf_follow_new(&o, &f, err, sizeof(err)) != 0) {
		nf_err("MailLog %s: cannot follow it: %s", c->mail_log, err);
		return NULL;
	}
	if (nf_follow_run(f) != 0) {
		nf_err("MailLog %s: cannot start the follower thread: delivery "
		    "status is not read from the log", c->mail_log);
		nf_follow_stop(f);
		return NULL;
	}
	nf_info("MailLog %s: following it for delivery status", c->mail_log);
	return f;
}
