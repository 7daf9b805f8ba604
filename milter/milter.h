/*
 * milter.h - what the parts of the notifilter daemon share.
 *
 * main.c starts things in order; callbacks.c is the libmilter surface;
 * handlers.c makes the per-recipient decisions with lib/policy; ctx.c holds
 * per-connection and per-message state; writer.c records events on its own
 * thread; state.c holds the current configuration; storeio.c is the only
 * part that touches the store (the callback tests replace it with a fake).
 */
#ifndef NF_MILTER_H
#define NF_MILTER_H

#include <libmilter/mfapi.h>

#include "conf.h"
#include "store.h"

/* {daemon_name} that marks Postfix's non-SMTP path (cleanup with
 * -o milter_macro_daemon_name=nonsmtpd); see handlers.c. */

/* ---- state.c: the configuration in force ------------------------------- */

/* A new reference to the current configuration (never NULL once set). */
struct nf_conf *nf_milter_conf_get(void);
/* Install `c` (the caller's reference passes to the holder) and drop the
 * holder's reference to the previous one.  NULL releases it (shutdown). */
void nf_milter_conf_set(struct nf_conf *c);

/* ---- storeio.c: lookups and event writes through a pool ---------------- */

int nf_milter_store_open(const char *path, int busy_ms, size_t max_handles,
    char *err, size_t errlen);
void nf_milter_store_close(void);
/* One recipient's state; returns an enum nf_store_rc (OK or a failure). */
int nf_milter_store_lookup(const char *email, struct nf_email_state *out);
/* Append events in one transaction; returns an enum nf_store_rc. */
int nf_milter_store_events(const struct nf_event *ev, size_t n);

/* ---- writer.c: the event writer thread --------------------------------- */

struct nf_writer;

/* One queued event; allocated with nf_wevent_new, owned by the queue
 * once pushed. */
struct nf_wevent {
	int64_t time;
	const char *queue_id;	/* may be NULL */
	const char *address;
	const char *rule;
	const char *detail;
	/* the strings live in the same allocation, after the struct */
};

struct nf_wevent *nf_wevent_new(int64_t time, const char *queue_id,
    const char *address, const char *rule, const char *detail);

/* Start the thread.  capacity bounds the queue (events); batch bounds a
 * commit group.  Returns 0, or -1 (thread could not start). */
int nf_writer_start(size_t capacity, size_t batch, struct nf_writer **out);
/* Queue n events, taking ownership of all of them whatever happens.
 * Waits up to wait_ms for room while the queue is full.  Returns the
 * number that could NOT be queued (0 = all queued); those were freed and
 * counted as lost, and the caller logs what that means for its message. */
size_t nf_writer_push(struct nf_writer *w, struct nf_wevent **ev, size_t n,
    int wait_ms);
/* Stop accepting, write everything queued (retrying a busy store for up
 * to drain_ms), and join the thread.  The struct stays valid (pushes after
 * this fail) until nf_writer_free. */
void nf_writer_stop(struct nf_writer *w, int drain_ms);
void nf_writer_free(struct nf_writer *w);
struct nf_writer_stats {
	unsigned long long queued, written, lost, batches, retries;
};
void nf_writer_stats(struct nf_writer *w, struct nf_writer_stats *out);

/* The writer the handlers send to (set by main.c or a test). */
void nf_milter_set_writer(struct nf_writer *w);
struct nf_writer *nf_milter_get_writer(void);

/* ---- callbacks.c -------------------------------------------------------- */

/* The filter description to pass to smfi_register. */
struct smfiDesc nf_milter_desc(void);

/* ---- handlers.c (called by callbacks.c) -------------------------------- */

sfsistat nf_handle_negotiate(SMFICTX *ctx, struct nf_conf *conf,
    unsigned long f0, unsigned long f1, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3);
sfsistat nf_handle_connect(SMFICTX *ctx, struct nf_conf *conf,
    const char *host, const _SOCK_ADDR *sa);
sfsistat nf_handle_mail(SMFICTX *ctx, struct nf_conf *conf, char **argv);
sfsistat nf_handle_rcpt(SMFICTX *ctx, char **argv);
sfsistat nf_handle_eom(SMFICTX *ctx);
sfsistat nf_handle_abort(SMFICTX *ctx);
sfsistat nf_handle_close(SMFICTX *ctx);

#endif
