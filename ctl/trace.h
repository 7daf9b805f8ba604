/*
 * trace.h - what the files of `notifilterctl trace` share (private to
 * them): the timeline as cmd_trace.c gathers it from the store, grouped
 * per message; its reading (trace_verdict.c); its two printers
 * (trace_text.c, trace_json.c).
 *
 * cmd_trace.c owns a struct nf_trace and everything it points to; the
 * other files only read it.  Event strings are NULL when absent, never "".
 */
#ifndef NF_TRACE_H
#define NF_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctl.h"

/* A contact with more events than this is cut (and says so): a timeline
 * nobody can read is worth less than bounded memory. */
#define NF_TRACE_EVENTS_MAX 20000
#define NF_TRACE_WIDTH 80
#define NF_TRACE_TEXT_MAX 16384	/* one line of evidence after escaping */

enum nf_trace_keykind { NF_TRACE_EMAIL, NF_TRACE_PHONE, NF_TRACE_TOKEN };

struct nf_trace_event {
	int64_t time;
	char *kind, *queue_id, *token, *address, *rule, *detail;
};

struct nf_trace_msg {
	char *token, *queue_id;		/* borrowed from an event; NULL unknown */
	struct nf_message *info;	/* NULL when not recorded */
	size_t *ev;			/* indices into tr.ev */
	size_t nev, cap;
};

struct nf_trace {
	enum nf_trace_keykind kind;
	char key[NF_CTL_KEY_MAX];
	struct nf_trace_event *ev;
	size_t nev, cap;
	int cut;		/* events past NF_TRACE_EVENTS_MAX left out */
	int oom;
	struct nf_trace_msg *msg;
	size_t nmsg, capm;
	size_t *loose;			/* events tied to no message */
	size_t nloose;
	struct nf_contact *contact;	/* NULL when none */
	struct nf_suppression *sup;
	size_t nsup;
};

/* What happened to one recipient of one message, in a line. */
struct nf_trace_verdict {
	const char *outcome;	/* a word from the --help list */
	struct nf_buf text;	/* the caller frees it */
	/* the recipient's fallback: its last step (not a receipt), its
	 * "sent" step, its last receipt; NULL when none */
	const struct nf_trace_event *fallback, *fallback_sent, *receipt;
};

#define NF_TRACE_DIAG_MAX 200	/* bytes of a diagnostic in a verdict */

/* ---- trace_verdict.c: what the events say ---- */

/* Value of `key=` in a detail "k1=v1 k2=v2 reason=free text": up to the
 * next space, or to the end when `rest` (the last, free-text field).
 * Copied into out (cut to outlen-1); 1 found, 0 not. */
int nf_trace_kv(const char *detail, const char *key, int rest, char *out,
    size_t outlen);
/* The word in the outcome column (buf may be used to hold it). */
const char *nf_trace_outcome(const struct nf_trace_event *e, char *buf,
    size_t len);
/* The provider's message id in a fallback step's text ("provider id X"),
 * copied into buf; NULL when it names none. */
const char *nf_trace_provider_id(const char *detail, char *buf, size_t len);
/* The verdict for recipient addr of m (NULL: the message as a whole);
 * v->text is initialised here. */
void nf_trace_verdict(const struct nf_trace *tr, const struct nf_trace_msg *m,
    const char *addr, struct nf_trace_verdict *v);
/* Recipients of m in order of first appearance, in a malloc'd array the
 * caller frees; a single NULL entry for a message whose events name none.
 * Returns the count (0 on out of memory). */
size_t nf_trace_recipients(const struct nf_trace *tr,
    const struct nf_trace_msg *m, const char ***out);

/* ---- the printers: an NF_EX_* code ---- */

int nf_trace_text(const struct nf_trace *tr);
int nf_trace_json(const struct nf_trace *tr);

#endif
