/*
 * fallback.h - the daemon's fallback threads (issue 5): one scheduler that
 * finds failed or overdue notification recipients in the store, writes
 * their outbox rows and claims due rows, and N dispatchers that send the
 * claimed rows through the channel drivers and record the answers.
 *
 * Start-up (main.c): nf_fallback_open() while still root and before
 * detaching (it opens every Channel line, reading the secret files, so a
 * bad channel stops the start with file:line, exit 78); then, after the
 * privilege drop and the store pool, nf_fallback_start(); at shutdown
 * nf_fallback_stop().  nf_chan_global_init() must have run before.
 */
#ifndef NF_MILTER_FALLBACK_H
#define NF_MILTER_FALLBACK_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct nf_fallback;

/* Open the channels of `conf`.  0 with *out set (also when there are no
 * channels: then the threads only keep the outbox in order), or -1 with
 * "FILE:LINE: Channel KIND DRIVER: reason" in err. */
int nf_fallback_open(const struct nf_conf *conf, struct nf_fallback **out,
    struct nf_buf *err);

/*
 * Start the scheduler and `dispatchers` dispatcher threads (each opens its
 * own store handle on `database`).  The threads take the configuration in
 * force (nf_milter_conf_get) at every poll, so a reload changes limits,
 * template, quiet hours and FallbackAfter; the channels stay those opened
 * at start.  0, or -1 with a message in err (nothing left running).
 */
int nf_fallback_start(struct nf_fallback *f, const char *database,
    int busy_ms, int dispatchers, char *err, size_t errlen);

/*
 * Stop: no new claims; each dispatcher finishes the request it is in
 * (bounded by the channel time-outs) and records it; rows claimed but not
 * yet sent go back to pending.  Waits at most about wait_ms beyond the
 * request in flight.  Closes the channels and frees f (NULL is fine).
 */
void nf_fallback_stop(struct nf_fallback *f, int wait_ms);

/* 1 when the Channel lines of a and b differ (a reload says that those
 * take effect at the next start). */
int nf_fallback_channels_differ(const struct nf_conf *a,
    const struct nf_conf *b);

#endif
