/*
 * follow_file.c - the MailLog follower's reading of the file, like
 * `tail -F`, and its saved position.  What a line means and how it is
 * recorded is follow.c's (nf_follow_take_line, nf_follow_commit); the
 * struct both share is in follow_int.h.
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
 * Failure: an unreadable file is logged once and looked for again every
 * poll; a store failure while taking lines rewinds the buffer to the last
 * commit, so the position saved never runs ahead of what was recorded.
 * The directory scan for a rotated file is bounded (DIR_SCAN_MAX).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "follow_int.h"
#include "log.h"
#include "maillog.h"
#include "store.h"

#define DIR_SCAN_MAX 4096	/* entries looked at for a rotated file */

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
	char b[NF_FOLLOW_FP_BYTES];
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

/* ---- the saved position ------------------------------------------------ */

void
nf_follow_file_state(struct nf_follow *f, int64_t pos, char *out,
    size_t len)
{
	size_t n = pos < NF_FOLLOW_FP_BYTES ? (size_t)pos : NF_FOLLOW_FP_BYTES;

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

/* Read the saved position; 0, or -1 when the store cannot answer. */
int
nf_follow_file_load(struct nf_follow *f)
{
	char val[NF_FOLLOW_STATE_MAX];
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
		return nf_follow_store_failed(f, rc,
		    "reading the saved position");
	f->state_loaded = 1;
	p = strstr(val, " path=");
	if (sscanf(val, "v1 ino=%llu off=%lld fpn=%zu fp=%" SCNx64, &ino, &off,
	    &fpn, &fp) != 4 || p == NULL || off < 0 ||
	    fpn > NF_FOLLOW_FP_BYTES) {
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
			f->rot_seen_ms = nf_follow_mono_ms() - f->grace_ms;
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

void
nf_follow_file_open(struct nf_follow *f)
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

/* ---- lines ----------------------------------------------------------- */

/*
 * Process the complete lines in buf[0, have).  Commits every batch_max
 * delivery lines and at the end; on a store failure, rewinds to the last
 * commit (the buffer is dropped and read again next time).  0, or -1.
 */
int
nf_follow_file_take(struct nf_follow *f)
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
		} else if (nf_follow_take_line(f, f->buf + start, len) != 0)
			goto rewind;
		start = (size_t)(nl - f->buf) + 1;
		if (f->in_tx && f->tx_lines >= f->batch_max) {
			if (nf_follow_commit(f, f->pos + (int64_t)start) != 0)
				goto rewind;
			good = start;
			good_skip = f->skipping;
			good_st = f->st;
		}
	}
	if (f->in_tx && nf_follow_commit(f, f->pos + (int64_t)start) != 0)
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
int
nf_follow_file_read(struct nf_follow *f)
{
	ssize_t n;

	do
		n = pread(f->fd, f->buf + f->have, NF_FOLLOW_BUF_SIZE - f->have,
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
int
nf_follow_file_check(struct nf_follow *f, int read_nothing)
{
	struct stat fst = { 0 }, pst;
	int64_t seen = f->pos + (int64_t)f->have;
	size_t n = seen < NF_FOLLOW_FP_BYTES ? (size_t)seen :
	    NF_FOLLOW_FP_BYTES;
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
		return nf_follow_commit(f, 0) != 0 ? -1 : 1;
	}
	if (stat(f->path, &pst) != 0)
		return 0;	/* renamed, not yet recreated: read the old one */
	if (pst.st_ino == f->ino && pst.st_dev == f->dev) {
		f->rot_seen_ms = 0;
		return 0;
	}
	if (f->rot_seen_ms == 0)
		f->rot_seen_ms = nf_follow_mono_ms();
	if (!read_nothing || nf_follow_mono_ms() - f->rot_seen_ms < f->grace_ms)
		return 0;
	/* the old file is done: its partial last line is a line too */
	if (f->have > 0 && !f->skipping) {
		f->buf[f->have++] = '\n';
		if (nf_follow_file_take(f) != 0)
			return -1;
	}
	close(f->fd);
	f->fd = -1;
	f->st.rotations++;
	nf_follow_file_open(f);
	if (f->fd < 0)
		return 0;
	nf_info("MailLog %s: rotated; reading the new file", f->path);
	return nf_follow_commit(f, 0) != 0 ? -1 : 1;
}
