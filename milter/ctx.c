/*
 * ctx.c - per-connection and per-message state (see ctx.h).
 *
 * Ownership: the connection owns its current message; the message owns
 * its recipient records and one reference to the configuration it started
 * with, so a reload in the middle of a message never changes the rules
 * halfway.  Everything is on the heap (libmilter threads have small
 * stacks) and bounded: a message keeps at most NF_MSG_MAX_RCPT recipients,
 * each no longer than the MTA's own line limits.
 *
 * Decision events are buffered here, not sent at RCPT, because Postfix
 * gives the queue id only from DATA on (sometimes from the 2nd RCPT); they
 * go to the writer when the message ends, whichever way it ends.
 * Failure: out of memory is returned to the caller (which tempfails);
 * events the writer cannot take are counted and logged, never dropped
 * silently.
 */
#include "ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "milter.h"

/* How long a message end may wait for room in a full writer queue. */
#define NF_PUSH_WAIT_MS 2000

const char *
nf_action_name(enum nf_rcpt_action a)
{
	switch (a) {
	case NF_ACT_UNDECIDED:	return "undecided";
	case NF_ACT_ALLOWED:	return "allowed";
	case NF_ACT_MONITORED:	return "monitored";
	case NF_ACT_REJECTED:	return "rejected";
	case NF_ACT_DROPPED:	return "dropped";
	case NF_ACT_TEMPFAILED:	return "tempfailed";
	case NF_ACT_DEFERRED:	return "deferred";
	}
	return "unknown";
}

/* FNV-1a: cheap, and only used to skip most string compares. */
uint32_t
nf_key_hash(const char *key)
{
	uint32_t h = 2166136261u;

	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h;
}

struct nf_conn *
nf_conn_new(void)
{
	return calloc(1, sizeof(struct nf_conn));
}

void
nf_conn_free(struct nf_conn *c)
{
	if (c == NULL)
		return;
	nf_conn_end_msg(c, "closed");
	free(c);
}

struct nf_msg *
nf_msg_new(struct nf_conf *conf, const char *sender, int nonsmtp)
{
	struct nf_msg *m = calloc(1, sizeof(*m));
	size_t len;

	if (m == NULL)
		return NULL;
	m->conf = nf_conf_ref(conf);
	m->nonsmtp = nonsmtp;
	len = strlen(sender);
	if (len < sizeof(m->sender))
		memcpy(m->sender, sender, len + 1);
	else	/* an over-long sender is cut with a visible mark */
		snprintf(m->sender, sizeof(m->sender), "%.*s...",
		    (int)sizeof(m->sender) - 4, sender);
	return m;
}

void
nf_msg_set_qid(struct nf_msg *m, const char *qid)
{
	if (m == NULL || qid == NULL || *qid == '\0' || m->qid[0] != '\0')
		return;
	if (strlen(qid) >= sizeof(m->qid)) {
		nf_warn("queue id longer than %zu characters ignored",
		    sizeof(m->qid) - 1);
		return;
	}
	strcpy(m->qid, qid);
}

struct nf_rcpt *
nf_msg_find(const struct nf_msg *m, const char *key, uint32_t hash)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++) {
		const struct nf_rcpt *r = &m->rcpt[i];

		if (r->hash == hash && r->key != NULL && !r->repeat &&
		    strcmp(r->key, key) == 0)
			return (struct nf_rcpt *)r;
	}
	return NULL;
}

struct nf_rcpt *
nf_msg_add(struct nf_msg *m, const char *arg, const char *key, uint32_t hash)
{
	struct nf_rcpt *r;

	if (m->nrcpt >= NF_MSG_MAX_RCPT)
		return NULL;
	if (m->nrcpt == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		struct nf_rcpt *n;

		if (ncap > NF_MSG_MAX_RCPT)
			ncap = NF_MSG_MAX_RCPT;
		n = realloc(m->rcpt, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		m->rcpt = n;
		m->cap = ncap;
	}
	r = &m->rcpt[m->nrcpt];
	memset(r, 0, sizeof(*r));
	r->arg = strdup(arg);
	r->key = key ? strdup(key) : NULL;
	if (r->arg == NULL || (key != NULL && r->key == NULL)) {
		free(r->arg);
		free(r->key);
		return NULL;
	}
	r->hash = hash;
	m->nrcpt++;
	return r;
}

int
nf_rcpt_set_reason(struct nf_rcpt *r, const char *reason)
{
	free(r->reason);
	r->reason = strdup(reason);
	return r->reason ? 0 : -1;
}

static void
msg_free(struct nf_msg *m)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++) {
		free(m->rcpt[i].arg);
		free(m->rcpt[i].key);
		free(m->rcpt[i].reason);
	}
	free(m->rcpt);
	nf_conf_unref(m->conf);
	free(m);
}

/* The event detail: everything trace needs to explain the decision. */
static char *
msg_detail(const struct nf_msg *m, const struct nf_rcpt *r,
    const char *outcome)
{
	const char *verdict = r->verdict == NF_VERDICT_BLOCK ? "block" : "allow";
	const char *path = m->nonsmtp ? "nonsmtp" : "smtp";
	const char *sender = m->sender[0] ? m->sender : "<>";
	const char *reason = r->reason ? r->reason : "";
	int n;
	char *s;

#define NF_DETAIL_FMT "verdict=%s action=%s message=%s path=%s sender=%s reason=%s"
	n = snprintf(NULL, 0, NF_DETAIL_FMT, verdict, nf_action_name(r->action),
	    outcome, path, sender, reason);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	snprintf(s, (size_t)n + 1, NF_DETAIL_FMT, verdict, nf_action_name(r->action),
	    outcome, path, sender, reason);
#undef NF_DETAIL_FMT
	return s;
}

size_t
nf_conn_end_msg(struct nf_conn *c, const char *outcome)
{
	struct nf_msg *m;
	struct nf_wevent **ev;
	struct nf_writer *w;
	size_t i, n = 0, lost = 0, want = 0;

	if (c == NULL || (m = c->msg) == NULL)
		return 0;
	c->msg = NULL;
	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpt[i].rule != NULL && !m->rcpt[i].repeat)
			want++;
	if (want == 0) {
		msg_free(m);
		return 0;
	}
	ev = calloc(want, sizeof(*ev));
	for (i = 0; ev != NULL && i < m->nrcpt; i++) {
		const struct nf_rcpt *r = &m->rcpt[i];
		char *detail;

		if (r->rule == NULL || r->repeat)
			continue;
		detail = msg_detail(m, r, outcome);
		if (detail == NULL)
			continue;
		ev[n] = nf_wevent_new(r->time, m->qid[0] ? m->qid : NULL,
		    r->key, r->rule, detail);
		free(detail);
		if (ev[n] != NULL)
			n++;
	}
	lost = want - n;	/* events we could not even build (no memory) */
	w = nf_milter_get_writer();
	if (n > 0) {
		if (w != NULL)
			lost += nf_writer_push(w, ev, n, NF_PUSH_WAIT_MS);
		else {
			for (i = 0; i < n; i++)
				free(ev[i]);
			lost += n;
		}
	}
	free(ev);
	if (lost > 0)
		nf_err("%zu of %zu decision events of message %s (%s) were not "
		    "recorded: the event writer is %s; check the store and the "
		    "log above", lost, want, m->qid[0] ? m->qid : "(no queue id)",
		    outcome, w ? "overloaded or stopped" : "not running");
	msg_free(m);
	return lost;
}
