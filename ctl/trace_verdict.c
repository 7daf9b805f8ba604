/*
 * trace_verdict.c - what the events of a `notifilterctl trace` timeline
 * say (see trace.h): the fields of an event's detail, the word for its
 * outcome, and per recipient of a message one verdict line that both the
 * text and the JSON output show.
 *
 * Reads the struct nf_trace that cmd_trace.c built and never changes it.
 * Event kinds not known here count for nothing in a verdict; they are
 * still shown as steps by the printers.  A verdict's text is an nf_buf
 * bounded by NF_TRACE_TEXT_MAX; the caller frees it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Value of `key=` in a detail "k1=v1 k2=v2 reason=free text": up to the
 * next space, or to the end when `rest` (the last, free-text field).
 * Copied into out (cut to outlen-1); 1 found, 0 not. */
int
nf_trace_kv(const char *detail, const char *key, int rest, char *out,
    size_t outlen)
{
	size_t kl = strlen(key), n;
	const char *p = detail;

	out[0] = '\0';
	if (detail == NULL)
		return 0;
	while ((p = strstr(p, key)) != NULL) {
		if ((p == detail || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			n = rest ? strlen(p) : strcspn(p, " ");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 1;
		}
		p += kl;
	}
	return 0;
}

/* The word after `lead` in text ("email consent granted (..." with lead
 * "consent " gives "granted"), into buf; NULL when absent. */
static const char *
word_after(const char *text, const char *lead, char *buf, size_t len)
{
	const char *p = text ? strstr(text, lead) : NULL;
	size_t n;

	if (p == NULL || len == 0)
		return NULL;
	p += strlen(lead);
	n = strcspn(p, " :;,()");
	if (n == 0)
		return NULL;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* The word in the outcome column: the decision's action, the delivery
 * status, the queue id; for other kinds their rule; for the history
 * (contact, consent, suppress: no rule) what their text says was done. */
const char *
nf_trace_outcome(const struct nf_trace_event *e, char *buf, size_t len)
{
	const char *w;

	if (strcmp(e->kind, "decision") == 0) {
		if (nf_trace_kv(e->detail, "action", 0, buf, len) ||
		    nf_trace_kv(e->detail, "verdict", 0, buf, len))
			return buf;
		return e->rule ? e->rule : "-";
	}
	if (strcmp(e->kind, "tagged") == 0)	/* rule is the decision's */
		return e->detail && strncmp(e->detail, "monitor", 7) == 0 ?
		    "monitor" : "applied";
	if (strcmp(e->kind, "queued") == 0)
		return e->queue_id ? e->queue_id : "no-qid";
	if (strcmp(e->kind, "delivery") == 0 && e->rule == NULL &&
	    nf_trace_kv(e->detail, "status", 0, buf, len))
		return buf;
	if (e->rule != NULL)
		return e->rule;
	w = NULL;
	if (strcmp(e->kind, "consent") == 0)
		w = word_after(e->detail, "consent ", buf, len);
	else if (strcmp(e->kind, "suppress") == 0)
		w = e->detail && strncmp(e->detail, "erased address", 14) == 0 ?
		    "lifted" : word_after(e->detail, "suppression ", buf, len);
	else if (strcmp(e->kind, "contact") == 0)
		w = e->detail && strstr(e->detail, " erased") ? "erased" :
		    word_after(e->detail, "contact ", buf, len);
	return w ? w : "-";
}

/* The diagnostic of a delivery event: what follows "(" up to the last
 * ")" (delivery_detail in store_track.c puts it last), cut to len-1. */
static const char *
diag_of(const char *detail, char *buf, size_t len)
{
	const char *p = detail ? strchr(detail, '(') : NULL;
	const char *e = p ? strrchr(p, ')') : NULL;
	size_t n;

	if (p == NULL || e == NULL || e <= p + 1 || len == 0)
		return NULL;
	n = (size_t)(e - p - 1);
	if (n >= len)
		n = len - 1;
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	return buf;
}

/* "provider id X" in a fallback step's text, into buf; NULL when none. */
const char *
nf_trace_provider_id(const char *detail, char *buf, size_t len)
{
	const char *w = word_after(detail, "provider id ", buf, len);

	return w && strcmp(w, "(none") != 0 ? w : NULL;
}

/*
 * Sum up what happened to `addr` in message m (events of other recipients
 * are skipped; events with no address apply to all).  The last delivery
 * status wins over the pipeline steps; a block wins over everything, since
 * a blocked recipient has no delivery; complaints and fallbacks are added
 * after, because they happen on top of a delivery or its failure.
 */
void
nf_trace_verdict(const struct nf_trace *tr, const struct nf_trace_msg *m,
    const char *addr, struct nf_trace_verdict *v)
{
	const struct nf_trace_event *dec = NULL, *del = NULL, *bnc = NULL;
	const struct nf_trace_event *cpl = NULL, *fb = NULL, *tag = NULL;
	const struct nf_trace_event *q = NULL, *fbsent = NULL, *fbrcpt = NULL;
	char action[32], reason[NF_STORE_TEXT_MAX], tb[NF_CTL_TIME_MAX];
	char word[64], relay[NF_STORE_TEXT_MAX], dsn[32], mout[32];
	char diag[NF_TRACE_DIAG_MAX], pid[128];
	const char *status, *paren;
	size_t i;

	for (i = 0; i < m->nev; i++) {
		const struct nf_trace_event *e = &tr->ev[m->ev[i]];

		if (addr && e->address && strcmp(e->address, addr) != 0)
			continue;
		if (strcmp(e->kind, "decision") == 0)
			dec = e;
		else if (strcmp(e->kind, "delivery") == 0)
			del = e;
		else if (strcmp(e->kind, "bounce") == 0)
			bnc = e;
		else if (strcmp(e->kind, "complaint") == 0)
			cpl = e;
		else if (strcmp(e->kind, "fallback") == 0) {
			/* a receipt is about the step before it */
			if (e->rule && strcmp(e->rule, "receipt") == 0)
				fbrcpt = e;
			else
				fb = e;
			if (e->rule && strcmp(e->rule, "sent") == 0)
				fbsent = e;
		}
		else if (strcmp(e->kind, "tagged") == 0)
			tag = e;
		else if (strcmp(e->kind, "queued") == 0)
			q = e;
	}
	nf_buf_init(&v->text, NF_TRACE_TEXT_MAX);
	v->fallback = fb;
	v->fallback_sent = fbsent;
	v->receipt = fbrcpt;
	action[0] = reason[0] = mout[0] = '\0';
	if (dec) {
		if (!nf_trace_kv(dec->detail, "action", 0, action,
		    sizeof action))
			nf_trace_kv(dec->detail, "verdict", 0, action,
			    sizeof action);
		nf_trace_kv(dec->detail, "reason", 1, reason, sizeof reason);
		nf_trace_kv(dec->detail, "message", 0, mout, sizeof mout);
	}
	if (strcmp(action, "rejected") == 0 || strcmp(action, "dropped") == 0 ||
	    strcmp(action, "block") == 0) {
		v->outcome = "blocked";
		nf_buf_printf(&v->text, "blocked: %s", dec->rule ? dec->rule :
		    "policy");
		/* "recipient is on the suppression list (userunknown)": the
		 * word in parentheses is what the agent needs */
		paren = strrchr(reason, '(');
		if (paren && reason[strlen(reason) - 1] == ')')
			nf_buf_printf(&v->text, " %s", paren);
		nf_buf_printf(&v->text, "; %s at %s",
		    strcmp(action, "block") == 0 ? "refused" : action,
		    nf_ctl_time(dec->time, tb, sizeof tb));
		return;
	}
	if (strcmp(action, "monitored") == 0) {
		nf_buf_printf(&v->text, "monitor mode let it pass (would be "
		    "blocked: %s); ", dec->rule ? dec->rule : "policy");
	}
	if (del) {
		status = del->rule;
		if (status == NULL && nf_trace_kv(del->detail, "status", 0,
		    word, sizeof word))
			status = word;
		if (status == NULL)
			status = "unknown";
		nf_trace_kv(del->detail, "relay", 0, relay, sizeof relay);
		nf_trace_kv(del->detail, "dsn", 0, dsn, sizeof dsn);
		nf_ctl_time(del->time, tb, sizeof tb);
		if (strcmp(status, "sent") == 0) {
			v->outcome = "delivered";
			nf_buf_printf(&v->text, "delivered to %s at %s",
			    relay[0] ? relay : "the next hop", tb);
		} else if (strcmp(status, "delivered") == 0) {
			v->outcome = "delivered";
			nf_buf_printf(&v->text, "delivered (confirmed by DSN) "
			    "at %s", tb);
		} else if (strcmp(status, "relayed") == 0) {
			v->outcome = "relayed";
			nf_buf_printf(&v->text, "relayed to %s at %s; that hop "
			    "sends no further reports",
			    relay[0] ? relay : "the next hop", tb);
		} else if (strcmp(status, "deferred") == 0) {
			v->outcome = "deferred";
			nf_buf_printf(&v->text, "deferred at %s%s%s", tb,
			    dsn[0] ? ", dsn " : "", dsn);
			if (diag_of(del->detail, diag, sizeof diag))
				nf_buf_printf(&v->text, " (%s)", diag);
			nf_buf_puts(&v->text, "; the MTA keeps retrying");
		} else if (strcmp(status, "bounced") == 0) {
			v->outcome = "bounced";
			nf_buf_printf(&v->text, "bounced at %s%s%s%s%s", tb,
			    dsn[0] ? ", dsn " : "", dsn,
			    relay[0] ? " from " : "", relay);
			if (diag_of(del->detail, diag, sizeof diag))
				nf_buf_printf(&v->text, ": %s", diag);
		} else if (strcmp(status, "expired") == 0) {
			v->outcome = "expired";
			nf_buf_printf(&v->text, "expired at %s: the MTA gave up "
			    "retrying", tb);
		} else {
			v->outcome = "unknown";
			nf_buf_printf(&v->text, "delivery status %s at %s",
			    status, tb);
		}
	} else if (bnc) {
		const char *said = bnc->detail ? strstr(bnc->detail, ": ") :
		    NULL;

		v->outcome = "bounced";
		nf_buf_printf(&v->text, "bounced (report) at %s%s%s",
		    nf_ctl_time(bnc->time, tb, sizeof tb),
		    bnc->rule ? ": " : "", bnc->rule ? bnc->rule : "");
		/* what the report said: "failed 5.1.1 userunknown ..." */
		if (said != NULL && said[2] != '\0')
			nf_buf_printf(&v->text, " (%.*s%s)",
			    NF_TRACE_DIAG_MAX, said + 2,
			    strlen(said + 2) > NF_TRACE_DIAG_MAX ? "..." : "");
	} else if (q) {
		v->outcome = "queued";
		nf_buf_printf(&v->text, "queued%s%s, no delivery status yet",
		    q->queue_id ? " as " : "", q->queue_id ? q->queue_id : "");
	} else if (tag) {
		v->outcome = "tagged";
		nf_buf_printf(&v->text, "tagged at %s, not queued yet",
		    nf_ctl_time(tag->time, tb, sizeof tb));
	} else if (dec && mout[0] && strcmp(mout, "accepted") != 0) {
		v->outcome = "not-queued";
		nf_buf_printf(&v->text, "allowed, but the message was %s before "
		    "it was queued (%s)", mout,
		    nf_ctl_time(dec->time, tb, sizeof tb));
	} else if (dec) {
		v->outcome = "allowed";
		nf_buf_printf(&v->text, "allowed at %s; no tagging or queueing "
		    "recorded yet", nf_ctl_time(dec->time, tb, sizeof tb));
	} else {
		v->outcome = "unknown";
		nf_buf_puts(&v->text, "no decision recorded for it");
	}
	if (bnc && del)
		nf_buf_printf(&v->text, "; bounce report at %s",
		    nf_ctl_time(bnc->time, tb, sizeof tb));
	if (cpl)
		nf_buf_printf(&v->text, "; complaint at %s%s%s%s",
		    nf_ctl_time(cpl->time, tb, sizeof tb), cpl->rule ? " (" : "",
		    cpl->rule ? cpl->rule : "", cpl->rule ? ")" : "");
	if (fb) {
		nf_buf_printf(&v->text, "; fallback %s at %s",
		    fb->rule ? fb->rule : "recorded",
		    nf_ctl_time(fb->time, tb, sizeof tb));
		if (fbsent && fbsent != fb)
			nf_buf_printf(&v->text, " (sent at %s)",
			    nf_ctl_time(fbsent->time, tb, sizeof tb));
		if (fbsent && nf_trace_provider_id(fbsent->detail, pid,
		    sizeof pid))
			nf_buf_printf(&v->text, ", provider id %s", pid);
	}
	if (fbrcpt)
		nf_buf_printf(&v->text, "; receipt at %s: %s",
		    nf_ctl_time(fbrcpt->time, tb, sizeof tb),
		    fbrcpt->detail ? fbrcpt->detail : "(no detail)");
}

/* Recipients of m in order of first appearance; NULL entry for a message
 * whose events name none.  Returns the count (0 on out of memory). */
size_t
nf_trace_recipients(const struct nf_trace *tr, const struct nf_trace_msg *m,
    const char ***out)
{
	const char **a;
	size_t i, j, n = 0;

	if ((a = calloc(m->nev + 1, sizeof *a)) == NULL)
		return 0;
	for (i = 0; i < m->nev; i++) {
		const char *ad = tr->ev[m->ev[i]].address;

		if (ad == NULL)
			continue;
		for (j = 0; j < n && strcmp(a[j], ad) != 0; j++)
			;
		if (j == n)
			a[n++] = ad;
	}
	if (n == 0)
		n = 1;		/* a[0] = NULL: one verdict for all */
	*out = a;
	return n;
}
