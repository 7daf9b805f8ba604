/*
 * trace_json.c - `notifilterctl trace --json`: one object, documented in
 * nf_cmd_trace_doc (cmd_trace.c).  Strings from strangers are made valid
 * UTF-8 by nf_text_json() (textout.h), so the document always parses.
 *
 * Reads the struct nf_trace, never changes it.  Out of memory while
 * building gives NF_EX_SOFTWARE through nf_ctl_json_print(NULL).
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "textout.h"
#include "trace.h"

static const char *const keykind_name[] = { "email", "phone", "token" };

static json_t *
json_event(const struct nf_trace_event *e)
{
	char ob[64];
	json_t *o = json_object();

	json_object_set_new(o, "time", nf_text_json_time(e->time));
	json_object_set_new(o, "kind", nf_text_json(e->kind));
	json_object_set_new(o, "outcome", nf_text_json(nf_trace_outcome(e, ob,
	    sizeof ob)));
	json_object_set_new(o, "address", nf_text_json(e->address));
	json_object_set_new(o, "queue_id", nf_text_json(e->queue_id));
	json_object_set_new(o, "token", nf_text_json(e->token));
	json_object_set_new(o, "rule", nf_text_json(e->rule));
	json_object_set_new(o, "detail", nf_text_json(e->detail));
	return o;
}

/* null, or {step, time, sent_time, provider_id, receipt, receipt_time}:
 * the recipient's fallback as its verdict read it. */
static json_t *
json_fallback(const struct nf_trace_verdict *v)
{
	const struct nf_trace_event *f = v->fallback, *s = v->fallback_sent;
	const struct nf_trace_event *r = v->receipt;
	char pid[128];
	json_t *o;

	if (f == NULL && r == NULL)
		return json_null();
	o = json_object();
	json_object_set_new(o, "step", f ? nf_text_json(f->rule) : json_null());
	json_object_set_new(o, "time", f ? nf_text_json_time(f->time) :
	    json_null());
	json_object_set_new(o, "sent_time", s ? nf_text_json_time(s->time) :
	    json_null());
	json_object_set_new(o, "provider_id", s && nf_trace_provider_id(
	    s->detail, pid, sizeof pid) ? nf_text_json(pid) : json_null());
	json_object_set_new(o, "receipt", r ? nf_text_json(r->detail) :
	    json_null());
	json_object_set_new(o, "receipt_time", r ? nf_text_json_time(r->time) :
	    json_null());
	return o;
}

static json_t *
json_contact(const struct nf_contact *c)
{
	json_t *o, *cons;
	int ch;

	if (c == NULL)
		return json_null();
	cons = json_object();
	for (ch = 0; ch < NF_CH_COUNT; ch++) {
		const struct nf_consent_rec *r = &c->consent[ch];
		json_t *x = json_object();

		json_object_set_new(x, "state", json_string(
		    nf_consent_name(r->state)));
		json_object_set_new(x, "source", r->state == NF_CONSENT_NONE ?
		    json_null() : nf_text_json(r->source));
		json_object_set_new(x, "time", r->state == NF_CONSENT_NONE ?
		    json_null() : nf_text_json_time(r->time));
		json_object_set_new(cons, nf_channel_name(ch), x);
	}
	o = json_object();
	json_object_set_new(o, "email", nf_text_json_opt(c->email));
	json_object_set_new(o, "phone", nf_text_json_opt(c->phone));
	json_object_set_new(o, "name", nf_text_json_opt(c->name));
	json_object_set_new(o, "created", nf_text_json_time(c->created));
	json_object_set_new(o, "updated", nf_text_json_time(c->updated));
	json_object_set_new(o, "consent", cons);
	return o;
}

static json_t *
json_message(const struct nf_trace *tr, const struct nf_trace_msg *m)
{
	const struct nf_message *in = m->info;
	json_t *o = json_object(), *evs, *rc;
	struct nf_trace_verdict v;
	const char **addr;
	struct nf_buf d;
	size_t j, n;

	json_object_set_new(o, "token", nf_text_json(m->token));
	json_object_set_new(o, "queue_id", nf_text_json(m->queue_id));
	json_object_set_new(o, "time", nf_text_json_time(in ? in->time :
	    m->nev ? tr->ev[m->ev[0]].time : 0));
	json_object_set_new(o, "sender", in ? nf_text_json_opt(in->sender) :
	    json_null());
	json_object_set_new(o, "verp", in ? nf_text_json_opt(in->verp) :
	    json_null());
	json_object_set_new(o, "from", in ? nf_text_json_opt(in->header_from) :
	    json_null());
	json_object_set_new(o, "subject", in ? nf_text_json_opt(in->subject) :
	    json_null());
	if (in && in->subject[0]) {
		nf_buf_init(&d, NF_TRACE_TEXT_MAX);
		if (nf_mime_decode_words(in->subject, strlen(in->subject), &d)
		    == NF_BUF_NOMEM)
			json_object_set_new(o, "subject_decoded", json_null());
		else
			json_object_set_new(o, "subject_decoded",
			    nf_text_json(nf_buf_cstr(&d)));
		nf_buf_free(&d);
	} else
		json_object_set_new(o, "subject_decoded", json_null());
	json_object_set_new(o, "message_id", in ?
	    nf_text_json_opt(in->message_id) : json_null());
	json_object_set_new(o, "category", in ? nf_text_json_opt(in->category) :
	    json_null());
	json_object_set_new(o, "applied", in ? json_boolean(in->applied) :
	    json_null());
	json_object_set_new(o, "recorded", json_boolean(in != NULL));
	rc = json_array();
	if ((n = nf_trace_recipients(tr, m, &addr)) == 0) {
		json_decref(rc);
		json_decref(o);
		return NULL;
	}
	for (j = 0; j < n; j++) {
		nf_trace_verdict(tr, m, addr[j], &v);
		json_array_append_new(rc, json_pack("{s:o, s:s, s:o, s:o}",
		    "address", nf_text_json(addr[j]), "outcome", v.outcome,
		    "verdict", nf_text_json(nf_buf_cstr(&v.text)),
		    "fallback", json_fallback(&v)));
		nf_buf_free(&v.text);
	}
	free(addr);
	json_object_set_new(o, "recipients", rc);
	evs = json_array();
	for (j = 0; j < m->nev; j++)
		json_array_append_new(evs, json_event(&tr->ev[m->ev[j]]));
	json_object_set_new(o, "events", evs);
	return o;
}

int
nf_trace_json(const struct nf_trace *tr)
{
	json_t *root = json_object(), *msgs, *evs, *sups, *x;
	size_t i;

	json_object_set_new(root, "key", json_string(tr->key));
	json_object_set_new(root, "kind_of_key",
	    json_string(keykind_name[tr->kind]));
	json_object_set_new(root, "contact", json_contact(tr->contact));
	sups = json_array();
	for (i = 0; i < tr->nsup; i++) {
		const struct nf_suppression *s = &tr->sup[i];

		json_array_append_new(sups, json_pack("{s:o, s:s, s:o, s:o, "
		    "s:o, s:o}", "address", nf_text_json(s->address),
		    "channel", nf_channel_name(s->channel),
		    "reason", nf_text_json(s->reason),
		    "source", nf_text_json(s->source),
		    "evidence", nf_text_json_opt(s->evidence),
		    "time", nf_text_json_time(s->time)));
	}
	json_object_set_new(root, "suppressed", json_boolean(tr->nsup > 0));
	json_object_set_new(root, "suppressions", sups);
	msgs = json_array();
	for (i = 0; i < tr->nmsg; i++) {
		if ((x = json_message(tr, &tr->msg[i])) == NULL) {
			json_decref(msgs);
			json_decref(root);
			return nf_ctl_json_print(NULL);
		}
		json_array_append_new(msgs, x);
	}
	json_object_set_new(root, "messages", msgs);
	evs = json_array();
	for (i = 0; i < tr->nloose; i++)
		json_array_append_new(evs, json_event(&tr->ev[tr->loose[i]]));
	json_object_set_new(root, "events", evs);
	json_object_set_new(root, "truncated", json_boolean(tr->cut));
	return nf_ctl_json_print(root);
}
