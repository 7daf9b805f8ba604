/*
 * follow.c - the MailLog follower: reads the MTA's log like `tail -F` and
 * turns Postfix's delivery status lines into the store's delivery rows and
 * "delivery" events (nf_store_delivery_add), for mail the milter recorded.
 *
 * Who owns what: one thread (or a test calling nf_follow_step) owns the
 * whole struct nf_follow; the only shared parts are the stop flag and the
 * published counters.  It has a store pool of its own with one handle, so
 * it never takes a handle a milter callback is waiting for.
 *
 * The file:
 *   - only complete lines are read; a line longer than NF_MAILLOG_LINE_MAX
 *     is skipped and counted, whatever its length.
 *   - rotation by rename: when the path names another inode, the old file
 *     is read to its end and, once it has been quiet for a grace period
 *     (the MTA may write a last line before it reopens), the new file is
 *     read from its start.  A partial last line of the old file is taken
 *     as a line.
 *   - truncation (copytruncate): a file shorter than the position is read
 *     again from 0.  Lines written between the copy and the truncation are
 *     lost to every reader; that is copytruncate's nature.
 *   - a file that does not exist (yet): checked again every poll, logged
 *     once; the same for a file the daemon's user may not read.
 *
 * The position (inode, offset, and a hash of the file's first bytes that
 * tells a recycled inode apart) is kept in the store under the state key
 * "maillog", written in the same transaction as the deliveries of the
 * lines before it: after a restart each line is applied exactly once.
 * The very first run starts at the end of the file (old log lines are not
 * about mail the milter saw).  A restart after a rotation finishes the old
 * file first when it is still beside the new one (same inode, any name),
 * else reads the new file from its start.
 *
 * Pending lines: a delivery line may be read before the milter's writer
 * has recorded its message (Postfix delivers in tens of milliseconds; the
 * writer commits in groups).  A NOTFOUND line therefore waits in a bounded
 * list (pending_max lines and pending_bytes_max bytes, oldest dropped
 * first) and is retried with a growing interval until pending_ms have
 * passed, then dropped silently: it is most likely mail that is not ours.
 * Pending lines live in memory only; nf_follow_stop tries them all once
 * more (main() stops the follower after the writer has drained).
 *
 * Failure: the store busy or failing makes the step roll back to the last
 * commit and read the same lines again later; the position in the store
 * never runs ahead of what was recorded.  Every loop is bounded in time
 * (a step works at most ~200 ms) and count.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "follow.h"
#include "log.h"
#include "maillog.h"
#include "store.h"

#define BUF_SIZE (64 * 1024)	/* > NF_MAILLOG_LINE_MAX + 1 */
#define STEP_MS 200		/* work per step, so a stop is seen soon */
#define FINAL_MS 500		/* the last step at stop */
#define SAVE_MS 5000		/* position-only saves at most this often */
#define FP_BYTES 256		/* bytes hashed to recognise a file */
#define BUSY_MAX_MS 250		/* the follower's own SQLite busy timeout */
#define DIR_SCAN_MAX 4096	/* entries looked at for a rotated file */
#define STATE_MAX 4400

struct pend {
	int64_t first_ms, next_ms;	/* monotonic */
	int64_t time;			/* of the log line, Unix seconds */
	unsigned tries;
	int done;			/* recorded in the open transaction */
	char *qid, *to, *orig_to, *status, *dsn, *relay, *diag;
	size_t size;
	/* the strings follow the struct */
};

struct pvec {
	struct pend **v;
	size_t n, cap, bytes;
};

struct nf_follow {
	char *path, *key;
	int poll_ms, pending_ms, grace_ms;
	size_t pending_max, pending_bytes_max, batch_max;
	struct nf_store_pool *pool;
	struct nf_store *s;		/* borrowed for one step */

	int fd;
	dev_t dev;
	ino_t ino;
	int64_t pos;			/* file offset of buf[0] */
	char *buf;
	size_t have;
	int skipping;			/* inside an overlong line */
	int64_t rot_seen_ms;		/* 0: the path names our file */
	int open_errno;			/* last open failure logged, 0 none */
	int started;			/* first position chosen */
	uint64_t fp;
	size_t fp_n;

	int state_loaded, have_saved;
	unsigned long long saved_ino;
	int64_t saved_pos;
	size_t saved_fp_n;
	uint64_t saved_fp;
	char *saved_path;
	int dirty;			/* position moved since the last save */
	int64_t last_save_ms;

	struct pvec pend, newp;		/* pending; tentative (open tx) */
	int in_tx;
	size_t tx_lines;

	int fails;			/* store failures in a row */
	int broken;			/* the handle failed (not just busy) */
	struct nf_maillog_rec rec;	/* the line being taken (3 KiB) */
	int64_t fail_logged_ms;

	struct nf_follow_stats st;	/* the follower's own counters */
	pthread_mutex_t mu;		/* guards pub, and the wait */
	pthread_cond_t cv;
	struct nf_follow_stats pub;
	pthread_t th;
	int running;
	atomic_int stop;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a, 64 bits: not for security, only to tell two files apart. */
static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Hash of the first n bytes of fd; -1 when they cannot be read. */
static int
fingerprint(int fd, size_t n, uint64_t *out)
{
	char b[FP_BYTES];
	ssize_t r;

	if (n > sizeof(b))
		n = sizeof(b);
	do
		r = pread(fd, b, n, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0 || (size_t)r != n)
		return -1;
	*out = fnv(b, n);
	return 0;
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

static struct pend *
pend_new(const struct nf_delivery_in *d, const char *orig_to, int64_t now)
{
	const char *f[] = { d->queue_id, d->address, orig_to ? orig_to : "",
	    d->status, d->dsn ? d->dsn : "", d->relay ? d->relay : "",
	    d->diagnostic ? d->diagnostic : "" };
	size_t i, n = sizeof(struct pend);
	struct pend *p;
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
	p->size = n;
	p->time = d->time;
	p->first_ms = now;
	p->next_ms = now + 250;
	return p;
}

static int
pvec_push(struct pvec *v, struct pend *p)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		struct pend **nv = realloc(v->v, nc * sizeof(*nv));

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
pvec_clear(struct pvec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	v->n = 0;
	v->bytes = 0;
}

/* Drop entries marked done or dropped (next_ms < 0), keeping order. */
static void
pvec_compact(struct pvec *v)
{
	size_t i, j = 0;

	for (i = 0; i < v->n; i++) {
		struct pend *p = v->v[i];

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
		struct pend *p = f->newp.v[i];

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

static int
store_failed(struct nf_follow *f, int rc, const char *what)
{
	int64_t now = mono_ms();

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

static void
state_value(struct nf_follow *f, int64_t pos, char *out, size_t len)
{
	size_t n = pos < FP_BYTES ? (size_t)pos : FP_BYTES;

	/* the hash may cover fewer bytes than n, never more than pos */
	if ((f->fp_n > (size_t)pos || f->fp_n < n) && f->fd >= 0 &&
	    fingerprint(f->fd, n, &f->fp) == 0)
		f->fp_n = n;
	if (snprintf(out, len, "v1 ino=%llu off=%" PRId64 " fpn=%zu "
	    "fp=%016" PRIx64 " path=%s", (unsigned long long)f->ino, pos,
	    f->fp_n, f->fp, f->path) >= (int)len)
		snprintf(out, len, "v1 ino=%llu off=%" PRId64 " fpn=%zu "
		    "fp=%016" PRIx64 " path=", (unsigned long long)f->ino, pos,
		    f->fp_n, f->fp);
}

static int
tx_begin(struct nf_follow *f)
{
	int rc;

	if (f->in_tx)
		return 0;
	if ((rc = nf_store_begin(f->s)) != NF_STORE_OK)
		return store_failed(f, rc, "a transaction");
	f->in_tx = 1;
	f->tx_lines = 0;
	return 0;
}

/* Save the position `pos` and commit what the transaction holds. */
static int
tx_commit(struct nf_follow *f, int64_t pos)
{
	char val[STATE_MAX];
	int rc;

	if (tx_begin(f) != 0)
		return -1;
	state_value(f, pos, val, sizeof(val));
	if ((rc = nf_store_state_set(f->s, f->key, val)) != NF_STORE_OK)
		return store_failed(f, rc, "saving the position");
	if ((rc = nf_store_commit(f->s)) != NF_STORE_OK)
		return store_failed(f, rc, "committing");
	f->in_tx = 0;
	f->tx_lines = 0;
	f->dirty = 0;
	f->fails = 0;
	f->last_save_ms = mono_ms();
	pend_adopt(f);
	return 0;
}

/* Read the saved position; 0, or -1 when the store cannot answer. */
static int
state_load(struct nf_follow *f)
{
	char val[STATE_MAX];
	unsigned long long ino;
	long long off;
	size_t fpn;
	uint64_t fp;
	const char *p;
	int rc;

	rc = nf_store_state_get(f->s, f->key, val, sizeof(val));
	if (rc == NF_STORE_NOTFOUND) {
		f->state_loaded = 1;
		return 0;
	}
	if (rc != NF_STORE_OK)
		return store_failed(f, rc, "reading the saved position");
	f->state_loaded = 1;
	p = strstr(val, " path=");
	if (sscanf(val, "v1 ino=%llu off=%lld fpn=%zu fp=%" SCNx64, &ino, &off,
	    &fpn, &fp) != 4 || p == NULL || off < 0 || fpn > FP_BYTES) {
		nf_warn("MailLog %s: saved position \"%.80s\" is not understood: "
		    "starting at the end of the file", f->path, val);
		return 0;
	}
	free(f->saved_path);
	if ((f->saved_path = strdup(p + 6)) == NULL)
		return 0;
	f->have_saved = 1;
	f->saved_ino = ino;
	f->saved_pos = off;
	f->saved_fp_n = fpn;
	f->saved_fp = fp;
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

static void
open_failed(struct nf_follow *f, int err, const char *why)
{
	if (f->open_errno == err)
		return;
	f->open_errno = err;
	if (err == ENOENT)
		nf_info("MailLog %s does not exist (yet): looking for it every "
		    "%d ms", f->path, f->poll_ms);
	else
		nf_err("MailLog %s: %s%s: delivery status is not read until "
		    "this is fixed (checked every %d ms)", f->path, why,
		    err == EACCES ? " (the daemon runs as UserID: let that user "
		    "read the file, e.g. through the log file's group)" : "",
		    f->poll_ms);
}

static int
open_path(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		int e = errno;

		close(fd);
		errno = S_ISREG(st->st_mode) ? e : EINVAL;
		return -1;
	}
	return fd;
}

/* The file that had inode `ino` beside the path (rotated while we were
 * stopped: maillog.1, maillog-20261123, ...), opened; -1 if none. */
static int
find_rotated(struct nf_follow *f, unsigned long long ino, struct stat *out)
{
	char dir[4096], cand[4096 + 256];
	const char *slash = strrchr(f->path, '/');
	struct dirent *de;
	DIR *d;
	int n = 0, fd = -1;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - f->path) >= sizeof(dir))
		return -1;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == f->path ? 1 :
		    (int)(slash - f->path), f->path);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while (fd < 0 && n++ < DIR_SCAN_MAX && (de = readdir(d)) != NULL) {
		struct stat st;

		if ((unsigned long long)de->d_ino != ino)
			continue;
		if (snprintf(cand, sizeof(cand), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(cand))
			continue;
		if ((fd = open_path(cand, &st)) >= 0 &&
		    (unsigned long long)st.st_ino == ino) {
			*out = st;
			nf_info("MailLog %s was rotated while notifilter was "
			    "stopped: reading %s from offset %" PRId64 " first",
			    f->path, cand, f->saved_pos);
		} else if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	closedir(d);
	return fd;
}

/* Where to start in a file opened for the first time since the start. */
static void
first_position(struct nf_follow *f, const struct stat *st)
{
	uint64_t fp;

	f->started = 1;
	f->dirty = 1;
	if (!f->have_saved || f->saved_path == NULL ||
	    strcmp(f->saved_path, f->path) != 0) {
		f->pos = st->st_size;
		nf_info("MailLog %s: first run, reading from its end (offset "
		    "%" PRId64 "); later starts resume where the last one "
		    "stopped", f->path, f->pos);
		return;
	}
	if ((unsigned long long)st->st_ino == f->saved_ino) {
		if (st->st_size >= f->saved_pos && (f->saved_fp_n == 0 ||
		    (fingerprint(f->fd, f->saved_fp_n, &fp) == 0 &&
		    fp == f->saved_fp))) {
			f->pos = f->saved_pos;
			f->dirty = 0;
			nf_info("MailLog %s: resuming at offset %" PRId64,
			    f->path, f->pos);
			return;
		}
		f->pos = 0;
		nf_info("MailLog %s was truncated or replaced while notifilter "
		    "was stopped: reading it from the start", f->path);
		return;
	}
	{
		struct stat ost;
		int ofd = find_rotated(f, f->saved_ino, &ost);

		if (ofd >= 0 && ost.st_size >= f->saved_pos &&
		    (f->saved_fp_n == 0 || (fingerprint(ofd, f->saved_fp_n,
		    &fp) == 0 && fp == f->saved_fp))) {
			close(f->fd);
			f->fd = ofd;
			f->dev = ost.st_dev;
			f->ino = ost.st_ino;
			f->pos = f->saved_pos;
			/* nobody writes the old file: switch once it is read */
			f->rot_seen_ms = mono_ms() - f->grace_ms;
			return;
		}
		if (ofd >= 0)
			close(ofd);
	}
	f->pos = 0;
	nf_info("MailLog %s was rotated while notifilter was stopped and the "
	    "old file is not beside it (compressed or removed): reading the "
	    "new file from its start", f->path);
}

static void
open_log(struct nf_follow *f)
{
	struct stat st;

	f->fd = open_path(f->path, &st);
	if (f->fd < 0) {
		int e = errno;

		open_failed(f, e, e == EINVAL ? "not a regular file" :
		    strerror(e));
		/* no file and nothing saved for it: when it appears, all of
		 * it is new */
		if (!f->started && e == ENOENT && !(f->have_saved &&
		    f->saved_path != NULL && strcmp(f->saved_path, f->path) == 0))
			f->started = 1;
		return;
	}
	if (f->open_errno != 0)
		nf_info("MailLog %s: opened", f->path);
	f->open_errno = 0;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->have = 0;
	f->skipping = 0;
	f->rot_seen_ms = 0;
	f->fp_n = 0;
	f->fp = 0;
	if (!f->started)
		first_position(f, &st);
	else {
		f->pos = 0;	/* a new file (rotated, or it appeared) */
		f->dirty = 1;
	}
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
 * recipient before Postfix rewrote it (aliases, virtual, canonical). */
static int
record(struct nf_follow *f, struct nf_delivery_in *d, const char *to,
    const char *orig_to)
{
	char a[NF_ADDR_MAX + 1];
	const char *tries[2] = { to, orig_to };
	int i, rc = NF_STORE_NOTFOUND;

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
static int
take_line(struct nf_follow *f, const char *line, size_t len)
{
	struct nf_maillog_rec *rec = &f->rec;
	struct nf_delivery_in d;
	int64_t t, now = (int64_t)time(NULL);
	int rc;

	f->st.lines++;
	if (nf_maillog_parse(line, len, rec) != NF_MAILLOG_DELIVERY)
		return 0;
	f->st.deliveries++;
	if (!rec->has_rcpt) {
		/* qmgr's "status=expired, returned to sender" names no
		 * recipient; the store records per recipient */
		f->st.message_expired++;
		nf_debug("MailLog: %s expired (no recipient named): not "
		    "recorded", rec->queue_id);
		return 0;
	}
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
	rc = record(f, &d, rec->to, rec->orig_to);
	if (rc == NF_STORE_OK) {
		f->st.recorded++;
		return 0;
	}
	if (rc == NF_STORE_NOTFOUND) {
		struct pend *p;

		d.address = rec->to;
		p = pend_new(&d, rec->orig_to, mono_ms());
		if (p == NULL || pvec_push(&f->newp, p) != 0) {
			free(p);
			f->st.pending_dropped++;
		}
		return 0;
	}
	return store_failed(f, rc, "recording a delivery");
}

/*
 * Process the complete lines in buf[0, have).  Commits every batch_max
 * delivery lines and at the end; on a store failure, rewinds to the last
 * commit (the buffer is dropped and read again next time).  0, or -1.
 */
static int
take_buffer(struct nf_follow *f)
{
	size_t start = 0, good = 0, rest;
	int good_skip = f->skipping;
	struct nf_follow_stats good_st = f->st;
	char *nl;

	while ((nl = memchr(f->buf + start, '\n', f->have - start)) != NULL) {
		size_t len = (size_t)(nl - (f->buf + start));

		if (f->skipping) {
			f->skipping = 0;
			f->st.overlong++;
			f->st.lines++;
		} else if (len > NF_MAILLOG_LINE_MAX) {
			f->st.overlong++;
			f->st.lines++;
		} else if (take_line(f, f->buf + start, len) != 0)
			goto rewind;
		start = (size_t)(nl - f->buf) + 1;
		if (f->in_tx && f->tx_lines >= f->batch_max) {
			if (tx_commit(f, f->pos + (int64_t)start) != 0)
				goto rewind;
			good = start;
			good_skip = f->skipping;
			good_st = f->st;
		}
	}
	if (f->in_tx && tx_commit(f, f->pos + (int64_t)start) != 0)
		goto rewind;
	rest = f->have - start;
	if (f->skipping || rest > NF_MAILLOG_LINE_MAX) {
		/* an overlong line: forget its bytes, find its end later */
		f->skipping = 1;
		start = f->have;
		rest = 0;
	}
	if (start > 0) {
		memmove(f->buf, f->buf + start, rest);
		f->pos += (int64_t)start;
		f->have = rest;
		f->dirty = 1;
	}
	return 0;
rewind:
	f->pos += (int64_t)good;
	f->have = 0;
	f->skipping = good_skip;
	f->st = good_st;
	f->st.store_retries++;
	return -1;
}

/* Read more of the file.  1 read something, 0 at its end, -1 error. */
static int
read_more(struct nf_follow *f)
{
	ssize_t n;

	do
		n = pread(f->fd, f->buf + f->have, BUF_SIZE - f->have,
		    (off_t)(f->pos + (int64_t)f->have));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		nf_err("MailLog %s: read: %s: opening it again", f->path,
		    strerror(errno));
		close(f->fd);
		f->fd = -1;
		return -1;
	}
	f->have += (size_t)n;
	return n > 0;
}

/*
 * At the end of the file: has it been truncated, or has the path moved on
 * to a new file?  Returns 1 when the follower switched file or position
 * (read again), 0 otherwise, -1 on a store failure.
 */
static int
check_file(struct nf_follow *f, int read_nothing)
{
	struct stat fst = { 0 }, pst;
	int64_t seen = f->pos + (int64_t)f->have;
	size_t n = seen < FP_BYTES ? (size_t)seen : FP_BYTES;
	uint64_t h;
	int cut = 0;

	/* shorter than what was read, or its first bytes changed (truncated
	 * and already written past the old offset again) */
	if (fstat(f->fd, &fst) == 0 && fst.st_size < seen)
		cut = 1;
	else if (f->fp_n > 0 && fingerprint(f->fd, f->fp_n, &h) == 0 &&
	    h != f->fp)
		cut = 1;
	else if (f->fp_n < n && fingerprint(f->fd, n, &h) == 0) {
		f->fp = h;
		f->fp_n = n;
	}
	if (cut) {
		nf_info("MailLog %s: truncated or rewritten (size %lld, offset "
		    "%" PRId64 "): reading it from the start", f->path,
		    (long long)fst.st_size, seen);
		f->st.truncations++;
		f->pos = 0;
		f->have = 0;
		f->skipping = 0;
		f->fp_n = 0;
		f->dirty = 1;
		return tx_commit(f, 0) != 0 ? -1 : 1;
	}
	if (stat(f->path, &pst) != 0)
		return 0;	/* renamed, not yet recreated: read the old one */
	if (pst.st_ino == f->ino && pst.st_dev == f->dev) {
		f->rot_seen_ms = 0;
		return 0;
	}
	if (f->rot_seen_ms == 0)
		f->rot_seen_ms = mono_ms();
	if (!read_nothing || mono_ms() - f->rot_seen_ms < f->grace_ms)
		return 0;
	/* the old file is done: its partial last line is a line too */
	if (f->have > 0 && !f->skipping) {
		f->buf[f->have++] = '\n';
		if (take_buffer(f) != 0)
			return -1;
	}
	close(f->fd);
	f->fd = -1;
	f->st.rotations++;
	open_log(f);
	if (f->fd < 0)
		return 0;
	nf_info("MailLog %s: rotated; reading the new file", f->path);
	return tx_commit(f, 0) != 0 ? -1 : 1;
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
	int64_t now = mono_ms();
	size_t i, tried = 0;
	int rc;

	for (i = 0; i < f->pend.n && tried < 16 * f->batch_max; i++) {
		struct pend *p = f->pend.v[i];
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
		rc = record(f, &d, p->to, p->orig_to);
		if (rc == NF_STORE_OK)
			p->done = 1;
		else if (rc != NF_STORE_NOTFOUND) {
			store_failed(f, rc, "recording a delivery");
			goto fail;
		} else if (all || now - p->first_ms >= f->pending_ms) {
			p->next_ms = -1;	/* not ours: dropped */
			f->st.not_ours++;
		} else {
			int64_t step = (int64_t)250 << (p->tries < 4 ? p->tries : 4);

			p->tries++;
			p->next_ms = now + step;
			if (p->next_ms > p->first_ms + f->pending_ms)
				p->next_ms = p->first_ms + f->pending_ms;
		}
		if (++f->tx_lines >= f->batch_max) {
			if (nf_store_commit(f->s) != NF_STORE_OK) {
				store_failed(f, NF_STORE_ERR, "committing");
				goto fail;
			}
			f->in_tx = 0;
			f->tx_lines = 0;
			settle(f);
			i = (size_t)-1;	/* compaction moved entries: rescan */
			now = mono_ms();
		}
	}
	if (f->in_tx) {
		if (nf_store_commit(f->s) != NF_STORE_OK) {
			store_failed(f, NF_STORE_ERR, "committing");
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
	int64_t t0 = mono_ms();
	int rc = 0, more = 0, got, read_any = 0, broken = 0;

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
	if (!f->state_loaded && state_load(f) != 0) {
		rc = -1;
		goto out;
	}
	if (f->fd < 0)
		open_log(f);
	while (f->fd >= 0) {
		if (mono_ms() - t0 >= (final ? FINAL_MS : STEP_MS) ||
		    (!final && atomic_load(&f->stop))) {
			more = 1;
			break;
		}
		got = read_more(f);
		if (got > 0) {
			read_any = 1;
			if (take_buffer(f) != 0) {
				rc = -1;
				goto out;
			}
			continue;
		}
		if (got < 0)
			break;
		got = check_file(f, !read_any);
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
	    (final || mono_ms() - f->last_save_ms >= SAVE_MS) &&
	    tx_commit(f, f->pos) != 0)
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
	    (f->buf = malloc(BUF_SIZE + 1)) == NULL ||
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
