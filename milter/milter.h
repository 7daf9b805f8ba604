/*
 * milter.h - what the parts of the notifilter daemon share.
 *
 * main.c starts things in order; callbacks.c is the libmilter surface;
 * handlers.c makes the per-recipient decisions with lib/policy and applies
 * the end-of-message edits that tag.c computes; ctx.c holds per-connection
 * and per-message state (headers included); writer.c records decisions and
 * messages on its own thread; state.c holds the current configuration and
 * key; storeio.c is the only part that touches the store (the callback
 * tests replace it with a fake).
 */
#ifndef NF_MILTER_H
#define NF_MILTER_H

#include <libmilter/mfapi.h>

#include "buf.h"
#include "conf.h"
#include "secret.h"
#include "store.h"

/* {daemon_name} that marks Postfix's non-SMTP path (cleanup with
 * -o milter_macro_daemon_name=nonsmtpd); see handlers.c. */

/* ---- state.c: the configuration and the key in force ------------------ */

/* A new reference to the current configuration (never NULL once set). */
struct nf_conf *nf_milter_conf_get(void);
/* Install `c` (the caller's reference passes to the holder) and drop the
 * holder's reference to the previous one.  NULL releases it (shutdown).
 * The key in force is left as it is. */
void nf_milter_conf_set(struct nf_conf *c);

/* The SecretFile key, reference-counted like the configuration so that a
 * reload never changes the key under a message being tagged. */
struct nf_milter_key;

/* Load the key named by c->secret_file.  Returns 0 with *out set, or 0
 * with *out NULL when SecretFile is not set; -1 with *out NULL and `err`
 * holding the loader's one-line message (path, problem, fix). */
int nf_milter_key_load(const struct nf_conf *c, struct nf_milter_key **out,
    struct nf_buf *err);
struct nf_milter_key *nf_milter_key_ref(struct nf_milter_key *k);
void nf_milter_key_unref(struct nf_milter_key *k);	/* NULL is fine */
const struct nf_secret *nf_milter_key_secret(const struct nf_milter_key *k);
/* Install a configuration and its key together (both references pass to
 * the holder); either may be NULL (shutdown). */
void nf_milter_state_set(struct nf_conf *c, struct nf_milter_key *k);
/* New references to both, taken together (so they always match). */
void nf_milter_state_get(struct nf_conf **c, struct nf_milter_key **k);
/* NULL when c tags policed mail; else what is missing, in words an
 * administrator can act on ("BounceDomain and SecretFile are not set"). */
const char *nf_milter_tag_off_reason(const struct nf_conf *c);

/* ---- writer.c: the record writer thread -------------------------------- */

struct nf_writer;

/* One queued item: a message's decision events, and -- for a tagged or
 * monitored message -- the message record with its recipients, written
 * together in one transaction.  One allocation (nf_witem_new); every
 * pointer points into it.  Owned by the queue once pushed. */
struct nf_witem {
	const struct nf_message_in *msg;	/* NULL: events only */
	const struct nf_recipient_in *rcpt;
	size_t nrcpt;
	const struct nf_event *ev;
	size_t nev;
};

/* Start the thread.  capacity bounds the queue (items); batch bounds a
 * commit group (items).  Returns 0, or -1 (thread could not start). */
int nf_writer_start(size_t capacity, size_t batch, struct nf_writer **out);
/* Queue n items, taking ownership of all of them whatever happens.
 * Waits up to wait_ms for room while the queue is full.  Returns the
 * number of items that could NOT be queued (0 = all queued); those were
 * freed and counted as lost, and the caller logs what that means for its
 * message. */
size_t nf_writer_push(struct nf_writer *w, struct nf_witem **it, size_t n,
    int wait_ms);
/* Wait until every item queued before the call is written (or counted
 * lost), asking the writer not to linger; at most wait_ms.  0, or -1 on
 * timeout.  NULL is fine (0). */
int nf_writer_sync(struct nf_writer *w, int wait_ms);
/* Stop accepting, write everything queued (retrying a busy store for up
 * to drain_ms), and join the thread.  The struct stays valid (pushes after
 * this fail) until nf_writer_free. */
void nf_writer_stop(struct nf_writer *w, int drain_ms);
void nf_writer_free(struct nf_writer *w);
/* Counts: events, and message records apart. */
struct nf_writer_stats {
	unsigned long long queued, written, lost, batches, retries;
	unsigned long long msgs_written, msgs_lost;
};
void nf_writer_stats(struct nf_writer *w, struct nf_writer_stats *out);

/* The writer the handlers send to (set by main.c or a test). */
void nf_milter_set_writer(struct nf_writer *w);
struct nf_writer *nf_milter_get_writer(void);

/* ---- storeio.c: lookups and record writes through a pool --------------- */

int nf_milter_store_open(const char *path, int busy_ms, size_t max_handles,
    char *err, size_t errlen);
void nf_milter_store_close(void);
/* One recipient's state; returns an enum nf_store_rc (OK or a failure). */
int nf_milter_store_lookup(const char *email, struct nf_email_state *out);
/* Write n items in ONE transaction (group commit); each message record in
 * its own savepoint inside it.  A message whose token already exists is
 * logged and counted in *dup (its events are still written).  Returns an
 * enum nf_store_rc; on anything but OK nothing was written. */
int nf_milter_store_items(struct nf_witem *const *it, size_t n, size_t *dup);

/* ---- callbacks.c -------------------------------------------------------- */

/* The edits notifilter may make at end of message (asked for at
 * registration and in negotiation). */
#define NF_MILTER_EDITS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | \
	SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT)

/* The filter description to pass to smfi_register. */
struct smfiDesc nf_milter_desc(void);

/* ---- handlers.c (called by callbacks.c) -------------------------------- */

sfsistat nf_handle_negotiate(SMFICTX *ctx, struct nf_conf *conf,
    unsigned long f0, unsigned long f1, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3);
sfsistat nf_handle_connect(SMFICTX *ctx, struct nf_conf *conf,
    const char *host, const _SOCK_ADDR *sa);
sfsistat nf_handle_mail(SMFICTX *ctx, struct nf_conf *conf,
    struct nf_milter_key *key, char **argv);
sfsistat nf_handle_rcpt(SMFICTX *ctx, char **argv);
sfsistat nf_handle_header(SMFICTX *ctx, const char *name, const char *value);
sfsistat nf_handle_eom(SMFICTX *ctx);
sfsistat nf_handle_abort(SMFICTX *ctx);
sfsistat nf_handle_close(SMFICTX *ctx);

#endif
