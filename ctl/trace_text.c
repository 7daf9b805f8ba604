/*
 * trace_text.c - the text output of `notifilterctl trace` (see trace.h):
 * the contact (consent per channel, suppressions), then each message with
 * its steps (time UTC, step, outcome, evidence) and one verdict line per
 * recipient, then the contact's history; folded to NF_TRACE_WIDTH columns.
 *
 * Everything printed comes partly from strangers (Subject, the remote
 * MTA's reply), so every string goes through nf_text_clean() (textout.h)
 * before it reaches the terminal.  Reads the struct nf_trace, never
 * changes it; a line cut at NF_TRACE_TEXT_MAX says "[cut]".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "textout.h"
#include "trace.h"

/* The step column: a verb for the steps we know, else the kind itself. */
static const char *
step_of(const struct nf_trace_event *e)
{
	if (strcmp(e->kind, "decision") == 0)
		return "decided";
	return e->kind;
}

/* Is addr worth naming on a line?  Not when it is the key or the traced
 * contact's own email or phone: then every line would repeat it. */
static int
other_address(const struct nf_trace *tr, const char *addr)
{
	if (addr == NULL)
		return 0;
	if (tr->kind == NF_TRACE_TOKEN)
		return 1;
	if (strcmp(addr, tr->key) == 0)
		return 0;
	return tr->contact == NULL || (strcmp(addr, tr->contact->email) != 0 &&
	    strcmp(addr, tr->contact->phone) != 0);
}

/* Evidence for the text output (not yet cleaned).  The sender is left out
 * when the message heading shows it (with_sender 0). */
static void
evidence_of(const struct nf_trace *tr, const struct nf_trace_event *e,
    int with_sender, struct nf_buf *b)
{
	char sender[NF_STORE_EMAIL_MAX], path[32], outcome[32];
	char reason[NF_STORE_TEXT_MAX];

	if (other_address(tr, e->address))
		nf_buf_printf(b, "%s%s", e->address,
		    strcmp(e->kind, "queued") == 0 ? " " : ": ");
	if (strcmp(e->kind, "decision") == 0 && e->detail &&
	    nf_trace_kv(e->detail, "reason", 1, reason, sizeof reason)) {
		nf_trace_kv(e->detail, "sender", 0, sender, sizeof sender);
		nf_trace_kv(e->detail, "path", 0, path, sizeof path);
		nf_trace_kv(e->detail, "message", 0, outcome, sizeof outcome);
		nf_buf_printf(b, "%s%s%s", e->rule ? e->rule : "",
		    e->rule && reason[0] ? ": " : "", reason);
		if (sender[0] && with_sender)
			nf_buf_printf(b, "; sender %s", sender);
		if (path[0])
			nf_buf_printf(b, "; via %s", strcmp(path, "nonsmtp")
			    == 0 ? "sendmail(1)" : strcmp(path, "smtp") == 0 ?
			    "SMTP" : path);
		if (outcome[0] && strcmp(outcome, "accepted") != 0)
			nf_buf_printf(b, "; message %s", outcome);
		return;
	}
	if (strcmp(e->kind, "queued") == 0 && e->queue_id && e->detail &&
	    strncmp(e->detail, "queued as ", 10) == 0 &&
	    strcmp(e->detail + 10, e->queue_id) == 0)
		return;		/* the outcome column says it */
	if (e->rule && strcmp(e->kind, "decision") == 0)
		nf_buf_printf(b, "%s%s", e->rule, e->detail ? ": " : "");
	if (e->detail)
		nf_buf_puts(b, e->detail);
}

/* ---- printing ----------------------------------------------------------- */

static void
print_clean(const char *label, const char *s)
{
	struct nf_buf b;

	nf_buf_init(&b, NF_TRACE_TEXT_MAX);
	nf_text_clean(&b, s);
	if (label == NULL)	/* a heading: flush left */
		nf_text_wrap(stdout, nf_buf_cstr(&b), 0, 2, NF_TRACE_WIDTH);
	else {
		printf("%-11s", label);
		nf_text_wrap(stdout, nf_buf_cstr(&b), 11, 11,
		    NF_TRACE_WIDTH);
	}
	nf_buf_free(&b);
}

/* A header value with its encoded words decoded, for reading. */
static void
print_header(const char *label, const char *raw)
{
	struct nf_buf d;

	nf_buf_init(&d, NF_TRACE_TEXT_MAX);
	if (nf_mime_decode_words(raw, strlen(raw), &d) == NF_BUF_NOMEM)
		print_clean(label, raw);
	else
		print_clean(label, nf_buf_cstr(&d));
	nf_buf_free(&d);
}

static void
text_event(const struct nf_trace *tr, const struct nf_trace_event *e,
    int with_sender, const char *indent)
{
	char tb[NF_CTL_TIME_MAX], ob[64];
	struct nf_buf raw, ev, line;

	nf_buf_init(&raw, NF_TRACE_TEXT_MAX);
	nf_buf_init(&ev, NF_TRACE_TEXT_MAX);
	nf_buf_init(&line, NF_TRACE_TEXT_MAX);
	evidence_of(tr, e, with_sender, &raw);
	nf_text_clean(&ev, nf_buf_cstr(&raw));
	if (raw.truncated)
		nf_buf_puts(&ev, " [cut]");
	nf_buf_printf(&line, "%s%s  ", indent, nf_ctl_time(e->time, tb,
	    sizeof tb));
	nf_buf_reset(&raw);
	nf_text_clean(&raw, step_of(e));
	nf_buf_printf(&line, "%-9s ", nf_buf_cstr(&raw));
	nf_buf_reset(&raw);
	nf_text_clean(&raw, nf_trace_outcome(e, ob, sizeof ob));
	nf_buf_printf(&line, "%-10s", nf_buf_cstr(&raw));
	if (ev.len == 0) {
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		printf("%s\n", nf_buf_cstr(&line));
	} else {
		/* a long step or outcome pushes the evidence right */
		printf("%s ", nf_buf_cstr(&line));
		nf_text_wrap(stdout, nf_buf_cstr(&ev), nf_text_cols(line.data,
		    line.len) + 1, strlen(indent) + 22, NF_TRACE_WIDTH);
	}
	nf_buf_free(&raw);
	nf_buf_free(&ev);
	nf_buf_free(&line);
}

static void
text_header(const struct nf_trace *tr)
{
	const struct nf_contact *c = tr->contact;
	char tb[NF_CTL_TIME_MAX], line[1024];
	size_t i;
	int ch;

	printf("trace of %s (%s)\n", tr->key, tr->kind == NF_TRACE_TOKEN ?
	    "message token" : tr->kind == NF_TRACE_PHONE ? "phone number" :
	    "email address");
	if (tr->kind == NF_TRACE_TOKEN)
		return;
	if (c == NULL)
		printf("contact    none on record: the configured default "
		    "consent applies\n");
	else {
		struct nf_buf b;

		nf_buf_init(&b, NF_TRACE_TEXT_MAX);
		if (c->name[0])
			nf_buf_printf(&b, "%s, ", c->name);
		nf_buf_printf(&b, "email %s, phone %s",
		    c->email[0] ? c->email : "none",
		    c->phone[0] ? c->phone : "none");
		print_clean("contact", nf_buf_cstr(&b));
		nf_buf_free(&b);
		for (ch = 0; ch < NF_CH_COUNT; ch++) {
			const struct nf_consent_rec *r = &c->consent[ch];

			if (r->state == NF_CONSENT_NONE)
				snprintf(line, sizeof line, "%-9s none "
				    "(default applies)", nf_channel_name(ch));
			else
				snprintf(line, sizeof line, "%-9s %-8s %s "
				    "(%s)", nf_channel_name(ch),
				    nf_consent_name(r->state),
				    nf_ctl_time(r->time, tb, sizeof tb),
				    r->source);
			print_clean(ch == 0 ? "consent" : "", line);
		}
	}
	if (tr->nsup == 0)
		printf("suppressed no\n");
	for (i = 0; i < tr->nsup; i++) {
		const struct nf_suppression *s = &tr->sup[i];
		struct nf_buf b;

		nf_buf_init(&b, NF_TRACE_TEXT_MAX);
		nf_buf_printf(&b, "%s %s: %s since %s (source %s%s%s)",
		    nf_channel_name(s->channel), s->address,
		    s->reason[0] ? s->reason : "no reason given",
		    nf_ctl_time(s->time, tb, sizeof tb),
		    s->source[0] ? s->source : "unknown",
		    s->evidence[0] ? ", evidence " : "", s->evidence);
		print_clean(i == 0 ? "suppressed" : "", nf_buf_cstr(&b));
		nf_buf_free(&b);
	}
}

int
nf_trace_text(const struct nf_trace *tr)
{
	char tb[NF_CTL_TIME_MAX];
	struct nf_trace_verdict v;
	const char **addr;
	size_t i, j, n;

	text_header(tr);
	for (i = 0; i < tr->nmsg; i++) {
		const struct nf_trace_msg *m = &tr->msg[i];
		const struct nf_message *in = m->info;
		struct nf_buf h;
		int64_t t = in ? in->time : m->nev ? tr->ev[m->ev[0]].time : 0;

		nf_buf_init(&h, NF_TRACE_TEXT_MAX);
		nf_buf_printf(&h, "message %zu of %zu: %s, queue %s", i + 1,
		    tr->nmsg, t ? nf_ctl_time(t, tb, sizeof tb) : "(no time)",
		    m->queue_id ? m->queue_id : "unknown");
		putchar('\n');
		print_clean(NULL, nf_buf_cstr(&h));
		nf_buf_free(&h);
		print_clean("  token", m->token ? m->token : "none (not "
		    "tagged)");
		if (in) {
			if (in->header_from[0])
				print_header("  from", in->header_from);
			if (in->sender[0])
				print_clean("  sender", in->sender);
			print_header("  subject", in->subject[0] ? in->subject :
			    "(none)");
			if (in->category[0])
				print_clean("  category", in->category);
			if (!in->applied)
				print_clean("  mode", "monitor: recorded, mail "
				    "left unchanged");
		} else if (m->token)
			printf("  (message not recorded in the store)\n");
		for (j = 0; j < m->nev; j++)
			text_event(tr, &tr->ev[m->ev[j]], in == NULL ||
			    in->sender[0] == '\0', "  ");
		if ((n = nf_trace_recipients(tr, m, &addr)) == 0) {
			fprintf(stderr, "notifilterctl trace: out of memory\n");
			return NF_EX_SOFTWARE;
		}
		for (j = 0; j < n; j++) {
			struct nf_buf b;

			nf_trace_verdict(tr, m, addr[j], &v);
			nf_buf_init(&b, NF_TRACE_TEXT_MAX);
			nf_buf_puts(&b, "=> ");
			if (addr[j] && (n > 1 || other_address(tr, addr[j])))
				nf_buf_printf(&b, "%s: ", addr[j]);
			nf_buf_puts(&b, nf_buf_cstr(&v.text));
			nf_buf_reset(&v.text);
			nf_text_clean(&v.text, nf_buf_cstr(&b));
			printf("  ");
			nf_text_wrap(stdout, nf_buf_cstr(&v.text), 2, 5,
			    NF_TRACE_WIDTH);
			nf_buf_free(&b);
			nf_buf_free(&v.text);
		}
		free(addr);
	}
	if (tr->nmsg == 0)
		printf("\nno messages recorded%s\n",
		    tr->kind == NF_TRACE_TOKEN ? " with this token" :
		    " for this contact");
	if (tr->nloose > 0) {
		printf("\nhistory\n");
		for (i = 0; i < tr->nloose; i++)
			text_event(tr, &tr->ev[tr->loose[i]], 1, "  ");
	}
	if (tr->cut)
		printf("\n(cut: only the first %d events are shown)\n",
		    NF_TRACE_EVENTS_MAX);
	return NF_EX_OK;
}
