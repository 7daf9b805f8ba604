/*
 * follow_int.h - what the two halves of the MailLog follower share, and
 * nothing else includes: follow.c (recording, the waiting list, steps and
 * the thread) and follow_file.c (reading the file like `tail -F` and its
 * saved position).  The public API is follow.h.
 *
 * One thread owns the whole struct nf_follow (see follow.c); these
 * functions are called only by that thread.
 */
#ifndef NF_FOLLOW_INT_H
#define NF_FOLLOW_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "follow.h"
#include "maillog.h"
#include "store.h"

#define NF_FOLLOW_BUF_SIZE (64 * 1024)	/* > NF_MAILLOG_LINE_MAX + 1 */
#define NF_FOLLOW_FP_BYTES 256		/* bytes hashed to recognise a file */
#define NF_FOLLOW_STATE_MAX 4400	/* the saved position's text */

/* A delivery line waiting for its message to be recorded. */
struct nf_follow_pend {
	int64_t first_ms, next_ms;	/* monotonic */
	int64_t time;			/* of the log line, Unix seconds */
	unsigned tries;
	int done;			/* recorded in the open transaction */
	int whole;			/* no recipient named: all of them */
	char *qid, *to, *orig_to, *status, *dsn, *relay, *diag;
	size_t size;
	/* the strings follow the struct */
};

struct nf_follow_pvec {
	struct nf_follow_pend **v;
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

	/* pending; tentative (added in the open transaction) */
	struct nf_follow_pvec pend, newp;
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

/* ---- follow.c: recording ---- */

int64_t nf_follow_mono_ms(void);
/* Roll back, count and log a store failure (rc: NF_STORE_*); returns -1. */
int nf_follow_store_failed(struct nf_follow *f, int rc, const char *what);
/* Save the position `pos` and commit what the transaction holds: 0 or -1. */
int nf_follow_commit(struct nf_follow *f, int64_t pos);
/* One complete line (without its newline).  0, or -1: store failure. */
int nf_follow_take_line(struct nf_follow *f, const char *line, size_t len);

/* ---- follow_file.c: the file and its position ---- */

/* The saved position's text for `pos` in the current file. */
void nf_follow_file_state(struct nf_follow *f, int64_t pos, char *out,
    size_t len);
/* Read the saved position once; 0, or -1 when the store cannot answer. */
int nf_follow_file_load(struct nf_follow *f);
/* Open the path (f->fd stays -1 when it cannot be, logged once) and
 * choose where to read it from. */
void nf_follow_file_open(struct nf_follow *f);
/* Read more of the file.  1 read something, 0 at its end, -1 error. */
int nf_follow_file_read(struct nf_follow *f);
/* Take the complete lines in the buffer (committing in batches).  0, or
 * -1 on a store failure (rewound to the last commit). */
int nf_follow_file_take(struct nf_follow *f);
/* At the end of the file: truncated, or rotated?  1 switched file or
 * position (read again), 0 nothing to do, -1 store failure. */
int nf_follow_file_check(struct nf_follow *f, int read_nothing);

#endif
