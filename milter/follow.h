/*
 * follow.h - the MailLog follower: a thread of the daemon that reads the
 * MTA's log like `tail -F` and records delivery status lines in the store
 * (see follow.c for the whole contract).
 *
 * main() calls nf_follow_start_conf() once the store is ready and
 * nf_follow_stop() after the event writer has drained.  The tests drive a
 * follower without its thread: nf_follow_new, nf_follow_step, ...,
 * nf_follow_stop, which also saves the position.
 */
#ifndef NF_FOLLOW_H
#define NF_FOLLOW_H

#include <stddef.h>

#include "conf.h"

struct nf_follow_opts {
	const char *path;		/* the log file (MailLog) */
	const char *database;		/* the store (Database) */
	int busy_ms;			/* SQLite busy timeout (at most 250 is used) */
	int poll_ms;			/* between looks at the file; 0: 250 */
	size_t pending_max;		/* lines waiting for their message; 0: 10000 */
	size_t pending_bytes_max;	/* and their bytes; 0: 4 MiB */
	int pending_ms;			/* how long a line waits; 0: 15000 */
	size_t batch_max;		/* delivery lines per transaction; 0: 256 */
	const char *state_key;		/* store state key; NULL: "maillog" */
};

struct nf_follow_stats {
	unsigned long long lines;	/* complete lines read */
	unsigned long long deliveries;	/* delivery lines seen */
	unsigned long long recorded;	/* ... that changed a recorded recipient */
	unsigned long long not_ours;	/* ... dropped after waiting pending_ms */
	unsigned long long pending_dropped;	/* ... dropped: pending list full */
	unsigned long long message_expired;	/* qmgr expiry lines: no recipient
						 * named, all open ones meant */
	unsigned long long overlong;	/* lines longer than 8 KiB, skipped */
	unsigned long long rotations, truncations;
	unsigned long long store_retries;	/* batches retried: store busy/failed */
	size_t pending;			/* lines waiting now */
};

struct nf_follow;

/* A follower with no thread and no file opened yet.  0, or -1 with a
 * reason in err (out of memory, bad options, store pool). */
int nf_follow_new(const struct nf_follow_opts *o, struct nf_follow **out,
    char *err, size_t errlen);
/* One look at the file: read the new complete lines (a bounded amount),
 * record them, retry pending lines that are due.  Returns 1 when more data
 * is waiting (call again soon), 0 when caught up, -1 when the store could
 * not be used (nothing lost: the same lines are read again next time). */
int nf_follow_step(struct nf_follow *f);
/* Run nf_follow_step every poll_ms on a thread of its own. 0 or -1. */
int nf_follow_run(struct nf_follow *f);
/* Stop the thread (if any) within about a second, read what is complete,
 * try every pending line once more, save the position, and free `f`.
 * Logs the counters.  NULL is allowed. */
void nf_follow_stop(struct nf_follow *f);
void nf_follow_stats(struct nf_follow *f, struct nf_follow_stats *out);

/* For main(): a running follower of c->mail_log with the defaults, or
 * NULL when MailLog is not set or the thread could not start (logged). */
struct nf_follow *nf_follow_start_conf(const struct nf_conf *c);

#endif
