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
 * Headers: only From, Subject, Message-ID and the X-Notifilter-* control
 * headers are looked at; each kept value is unfolded (CR and LF removed,
 * as RFC 5322 unfolding does), trimmed, and bounded to
 * NF_STORE_HEADER_MAX bytes -- a longer one keeps its first bytes (never
 * half a UTF-8 character) and "...[cut]", and the cut is logged.  Bytes are
 * otherwise kept as given (8-bit, encoded words).  The first non-empty
 * copy wins; every copy is counted so that all can be removed.
 *
 * Decision events are buffered here, not sent at RCPT, because Postfix
 * gives the queue id only from DATA on (sometimes from the 2nd RCPT); they
 * go to the writer when the message ends, whichever way it ends, in one
 * item with the message record when the message was tagged.
 * Failure: out of memory is returned to the caller (which tempfails);
 * records the writer cannot take are counted and logged, never dropped
 * silently.
 */
#include "ctx.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "milter.h"

/* The end of a header value cut for the record (the store marks its own
 * cuts the same way). */
#define NF_CUT_MARK "...[cut]"

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

static const char *const hdr_names[NF_HDR_COUNT] = {
	[NF_HDR_FROM] = "From",
	[NF_HDR_SUBJECT] = "Subject",
	[NF_HDR_MSGID] = "Message-ID",
	[NF_HDR_CATEGORY] = "X-Notifilter-Category",
	[NF_HDR_FALLBACK] = "X-Notifilter-Fallback-Text",
	[NF_HDR_PHONE] = "X-Notifilter-Phone",
	[NF_HDR_ID] = "X-Notifilter-ID",
};

const char *
nf_hdr_name(enum nf_hdr_id id)
{
	return id < NF_HDR_COUNT ? hdr_names[id] : "";
}

enum nf_hdr_id
nf_hdr_lookup(const char *name)
{
	int k;

	/* most headers start with none of f, s, m, x: one compare */
	switch (name[0]) {
	case 'f': case 'F':
		return strcasecmp(name, "From") == 0 ? NF_HDR_FROM : NF_HDR_COUNT;
	case 's': case 'S':
		return strcasecmp(name, "Subject") == 0 ? NF_HDR_SUBJECT :
		    NF_HDR_COUNT;
	case 'm': case 'M':
		return strcasecmp(name, "Message-ID") == 0 ? NF_HDR_MSGID :
		    NF_HDR_COUNT;
	case 'x': case 'X':
		if (strncasecmp(name, "X-Notifilter-", 13) != 0)
			return NF_HDR_COUNT;
		for (k = NF_HDR_FIRST_CONTROL; k < NF_HDR_COUNT; k++)
			if (strcasecmp(name, hdr_names[k]) == 0)
				return (enum nf_hdr_id)k;
		return NF_HDR_COUNT;
	default:
		return NF_HDR_COUNT;
	}
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
nf_msg_header(struct nf_msg *m, const char *name, const char *value)
{
	enum nf_hdr_id id = nf_hdr_lookup(name);
	struct nf_hdrval *h;
	const char *p;
	size_t eff = 0, n = 0, keep, o;

	if (id == NF_HDR_COUNT)
		return 0;
	h = &m->hdr[id];
	h->copies++;
	if (h->value != NULL || id == NF_HDR_ID || value == NULL)
		return 0;	/* the first non-empty copy wins */
	while (is_wsp((unsigned char)*value))
		value++;
	/* eff: bytes kept after unfolding, up to the last non-blank one */
	for (p = value; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		n++;
		if (*p != ' ' && *p != '\t')
			eff = n;
	}
	if (eff == 0)
		return 0;	/* empty: ignored, a later copy may count */
	keep = eff;
	if (eff > NF_STORE_HEADER_MAX) {
		/* find where the kept part ends, without splitting a UTF-8
		 * sequence: back off over continuation bytes */
		size_t want = NF_STORE_HEADER_MAX - (sizeof(NF_CUT_MARK) - 1),
		    seen = 0;
		const char *cutp = value;

		for (p = value; *p != '\0' && seen < want; p++)
			if (*p != '\r' && *p != '\n')
				seen++;
		cutp = p;
		keep = seen;
		while (keep > 0 && ((unsigned char)*cutp & 0xc0) == 0x80) {
			do
				cutp--;
			while (*cutp == '\r' || *cutp == '\n');
			keep--;
		}
	}
	h->value = malloc(keep + sizeof(NF_CUT_MARK));
	if (h->value == NULL)
		return -1;
	for (p = value, o = 0; o < keep; p++)
		if (*p != '\r' && *p != '\n')
			h->value[o++] = *p;
	if (keep < eff) {
		memcpy(h->value + o, NF_CUT_MARK, sizeof(NF_CUT_MARK));
		h->cut = 1;
		nf_info("%s: header %s of %zu bytes: the record keeps its first "
		    "%zu bytes and \"%s\"", m->qid[0] ? m->qid : "NOQUEUE",
		    hdr_names[id], eff, keep, NF_CUT_MARK);
	} else
		h->value[o] = '\0';
	h->full_len = eff;
	return 0;
}

/* Does a NOTIFY= value (comma list, RFC 3461) name SUCCESS? */
static int
notify_has_success(const char *v)
{
	while (*v != '\0') {
		size_t n = strcspn(v, ",");

		if (n == 7 && strncasecmp(v, "SUCCESS", 7) == 0)
			return 1;
		v += n;
		if (*v == ',')
			v++;
	}
	return 0;
}

int
nf_rcpt_set_esmtp(struct nf_rcpt *r, char **args)
{
	size_t i;

	for (i = 0; args != NULL && args[i] != NULL; i++) {
		const char *a = args[i];

		if (strncasecmp(a, "NOTIFY=", 7) == 0) {
			r->client_notify = 1;
			r->client_success = notify_has_success(a + 7);
		} else if (strncasecmp(a, "ORCPT=", 6) == 0 &&
		    r->client_orcpt == NULL) {
			r->client_orcpt = strdup(a);
			if (r->client_orcpt == NULL)
				return -1;
		}
	}
	return 0;
}

struct nf_msg *
nf_msg_new(struct nf_conf *conf, struct nf_milter_key *key,
    const char *sender, int nonsmtp)
{
	struct nf_msg *m = calloc(1, sizeof(*m));
	size_t len;

	if (m == NULL)
		return NULL;
	m->conf = nf_conf_ref(conf);
	m->key = nf_milter_key_ref(key);
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
		free(m->rcpt[i].client_orcpt);
	}
	for (i = 0; i < NF_HDR_COUNT; i++)
		free(m->hdr[i].value);
	free(m->rcpt);
	nf_conf_unref(m->conf);
	nf_milter_key_unref(m->key);
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

/*
 * One writer item in one allocation, built in two passes over the same
 * code: the first (base NULL) measures, the second copies.  Structs are
 * placed at aligned offsets, strings packed after them.
 */
struct arena {
	char *base;
	size_t used;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	size_t al = alignof(max_align_t);
	void *p;

	a->used = (a->used + al - 1) & ~(al - 1);
	p = a->base != NULL ? a->base + a->used : NULL;
	a->used += n;
	return p;
}

static const char *
arena_str(struct arena *a, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = a->base != NULL ? a->base + a->used : NULL;
	if (p != NULL)
		memcpy(p, s, n);
	a->used += n;
	return p;
}

#define PUT(obj, field, str) do { \
	const char *v_ = arena_str(a, (str)); \
	if ((obj) != NULL) (obj)->field = v_; } while (0)

/* "<a@b>" -> "a@b" into out (which holds at least NF_SENDER_MAX). */
static void
strip_angle(const char *s, char *out, size_t len)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		snprintf(out, len, "%.*s", (int)(n - 2), s + 1);
	else
		snprintf(out, len, "%s", s);
}

static struct nf_witem *
witem_fill(struct arena *a, const struct nf_msg *m, char *const *detail,
    size_t nev, size_t ndecided, int with_msg, const char *sender)
{
	struct nf_witem *it = arena_alloc(a, sizeof(*it));
	struct nf_event *ev = arena_alloc(a, nev * sizeof(*ev));
	struct nf_message_in *mi = with_msg ? arena_alloc(a, sizeof(*mi)) : NULL;
	struct nf_recipient_in *ri = with_msg ?
	    arena_alloc(a, ndecided * sizeof(*ri)) : NULL;
	const char *qid = arena_str(a, m->qid[0] ? m->qid : NULL);
	const char *token = arena_str(a, m->record ? m->token : NULL);
	size_t i, k = 0, e = 0;

	if (it != NULL) {
		it->ev = ev;
		it->nev = nev;
		it->msg = mi;
		it->rcpt = ri;
		it->nrcpt = with_msg ? ndecided : 0;
	}
	for (i = 0; i < m->nrcpt; i++) {
		const struct nf_rcpt *r = &m->rcpt[i];
		struct nf_event *ei;
		struct nf_recipient_in *rr;
		const char *addr;

		if (r->rule == NULL || r->repeat)
			continue;
		addr = arena_str(a, r->key);
		if (detail[k] != NULL) {
			ei = ev != NULL ? &ev[e] : NULL;
			e++;
			if (ei != NULL) {
				ei->time = r->time;
				ei->kind = "decision";
				ei->queue_id = qid;
				ei->token = token;
				ei->address = addr;
				ei->rule = r->rule;
			}
			PUT(ei, detail, detail[k]);
		}
		if (with_msg) {
			rr = ri != NULL ? &ri[k] : NULL;
			if (rr != NULL) {
				rr->address = addr;
				rr->verdict = nf_action_name(r->action);
				rr->rule = r->rule;
				rr->dsn_requested = r->dsn_readded ||
				    (r->client_notify && r->client_success);
			}
			PUT(rr, reason, r->reason ? r->reason : "");
		}
		k++;
	}
	if (mi != NULL) {
		mi->token = token;
		mi->queue_id = qid;
		mi->phone_hint_valid = m->phone_valid;
		mi->applied = m->applied;
		mi->time = m->tag_time;
	}
	if (with_msg) {
		PUT(mi, sender, sender);
		PUT(mi, verp, m->verp[0] ? m->verp : NULL);
		PUT(mi, header_from, m->hdr[NF_HDR_FROM].value);
		PUT(mi, subject, m->hdr[NF_HDR_SUBJECT].value);
		PUT(mi, message_id, m->hdr[NF_HDR_MSGID].value);
		PUT(mi, category, m->hdr[NF_HDR_CATEGORY].value);
		PUT(mi, fallback_text, m->hdr[NF_HDR_FALLBACK].value);
		PUT(mi, phone_hint, m->phone_valid ? m->phone :
		    m->hdr[NF_HDR_PHONE].value);
	}
	return it;
}
#undef PUT

size_t
nf_conn_end_msg(struct nf_conn *c, const char *outcome)
{
	struct nf_msg *m;
	struct nf_witem *it = NULL;
	struct nf_writer *w;
	struct arena a = { NULL, 0 };
	char **detail = NULL;
	char sender[NF_SENDER_MAX];
	size_t i, k = 0, nev = 0, lost = 0, want = 0;
	int with_msg;

	if (c == NULL || (m = c->msg) == NULL)
		return 0;
	c->msg = NULL;
	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpt[i].rule != NULL && !m->rcpt[i].repeat)
			want++;
	with_msg = m->record && strcmp(outcome, "accepted") == 0;
	if (want == 0 && !with_msg) {
		msg_free(m);
		return 0;
	}
	strip_angle(m->sender, sender, sizeof(sender));
	detail = calloc(want ? want : 1, sizeof(*detail));
	for (i = 0; detail != NULL && i < m->nrcpt; i++) {
		const struct nf_rcpt *r = &m->rcpt[i];

		if (r->rule == NULL || r->repeat)
			continue;
		detail[k] = msg_detail(m, r, outcome);
		nev += detail[k] != NULL;
		k++;
	}
	if (detail != NULL) {
		witem_fill(&a, m, detail, nev, want, with_msg, sender);
		a.base = calloc(1, a.used);
		if (a.base != NULL) {
			a.used = 0;
			it = witem_fill(&a, m, detail, nev, want, with_msg, sender);
		}
		for (i = 0; i < k; i++)
			free(detail[i]);
		free(detail);
	}
	if (it == NULL)
		nev = 0;	/* no memory: nothing built */
	lost = want - nev;	/* events we could not even build */
	if (it == NULL && with_msg)
		lost++;
	w = nf_milter_get_writer();
	if (it != NULL) {
		if (w != NULL) {
			if (nf_writer_push(w, &it, 1, NF_PUSH_WAIT_MS) > 0)
				lost += nev + (size_t)with_msg;
		} else {
			free(it);
			lost += nev + (size_t)with_msg;
		}
	}
	if (lost > 0)
		nf_err("%zu of %zu records (decision events%s) of message %s "
		    "(%s) were not recorded: the record writer is %s; check "
		    "the store and the log above", lost,
		    want + (size_t)with_msg, with_msg ? " and the message" : "",
		    m->qid[0] ? m->qid : "(no queue id)", outcome,
		    w ? "overloaded or stopped" : "not running");
	msg_free(m);
	return lost;
}
