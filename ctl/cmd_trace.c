/*
 * cmd_trace.c - notifilterctl trace EMAIL|PHONE|TOKEN [--json]: what
 * happened to every notification for one contact (or to one message), for
 * a support agent asking "why did customer X get nothing?".
 *
 * The key is detected by its shape: a token ("1" and 32 base32 characters,
 * any case; only the format is checked, no secret is needed), a phone (starts
 * with '+', '(' or a digit; DefaultCountry completes national numbers), else
 * an email address.  A key that is none of them exits 64 saying why; a key
 * the store knows nothing about exits 1.
 *
 * This file gathers the timeline: the store's nf_store_trace() gives the
 * events in time order; they are grouped per message (by token, and by
 * queue id for events recorded before the message had a token), and each
 * message is looked up for its From and Subject.  Events tied to no
 * message (contact, consent, suppress) form a history.  What the events
 * mean is read in trace_verdict.c; trace_text.c and trace_json.c print.
 *
 * The number of events read is capped (NF_TRACE_EVENTS_MAX) and a cut is
 * reported.  Memory belongs to struct nf_trace and is freed by tr_free().
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "ctl_erase.h"
#include "phone.h"
#include "trace.h"

/* our callback's "stop", apart from the NF_STORE_* results */
#define TR_STOP 100

static const char usage_line[] = "EMAIL|PHONE|TOKEN [--json]";

const char nf_cmd_trace_doc[] =
    "what happened to every notification for a contact, or to one message\n"
    "\n"
    "  KEY is a message token (\"1\" and 32 letters a-z and digits 2-7, any\n"
    "  case), a phone number (+CC..., or national with DefaultCountry), or an\n"
    "  email address.  A contact's phone and email give the same timeline:\n"
    "  both addresses, and messages whose phone hint is the phone.\n"
    "  Text: the contact (consent per channel, suppressions), then each\n"
    "  message with its steps (time UTC, step, outcome, evidence) and one\n"
    "  verdict line per recipient (\"=> ...\"), then the contact's history.\n"
    "\n"
    "  Exit status: 0 shown, 1 nothing is known about KEY, 64 KEY is not a\n"
    "  token, phone number or email address, 69/75 store failed/busy.\n"
    "\n"
    "  --json prints one object (times \"YYYY-MM-DDTHH:MM:SSZ\" in UTC;\n"
    "  absent values are null):\n"
    "    key           the normalised key (token in lower case, E.164, email)\n"
    "    kind_of_key   \"email\" | \"phone\" | \"token\"\n"
    "    contact       null, or {email, phone, name, created, updated,\n"
    "                  consent: {email|sms|whatsapp|viber:\n"
    "                            {state, source, time}}}\n"
    "    suppressed    true if the key or the contact's addresses are\n"
    "    suppressions  [{address, channel, reason, source, evidence, time}]\n"
    "    messages      [{token, queue_id, time, sender, verp, from, subject,\n"
    "                  subject_decoded, message_id, category, applied,\n"
    "                  recorded, recipients: [{address, outcome, verdict,\n"
    "                  fallback}], events: [EVENT]}]\n"
    "                  outcome: delivered relayed deferred bounced expired\n"
    "                  blocked queued tagged allowed not-queued unknown\n"
    "                  fallback: null, or {step, time, sent_time,\n"
    "                  provider_id, receipt, receipt_time}\n"
    "    events        [EVENT] of no message (contact, consent, suppress)\n"
    "    truncated     true when events past the first 20000 were left out\n"
    "    EVENT         {time, kind, outcome, address, queue_id, token, rule,\n"
    "                  detail}; kind: decision tagged queued delivery bounce\n"
    "                  complaint report fallback contact consent suppress,\n"
    "                  or a newer kind (shown as it is); a fallback's rule\n"
    "                  is its step: queued held sending sent retry failed\n"
    "                  skipped cancelled uncertain receipt\n"
    "\n"
    "  An erased contact (contact remove) is known only by keyed hashes:\n"
    "  with SecretFile set, its suppressions show as erased:HASH.";

/* ---- the key ------------------------------------------------------------ */

/* "notifilterctl trace: why" and the one usage line (not the long --help
 * text, which would bury the reason). */
static int trace_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int
trace_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "notifilterctl trace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: notifilterctl [-c FILE] trace %s\n"
	    "(\"notifilterctl trace --help\" explains the output)\n",
	    usage_line);
	return NF_EX_USAGE;
}

/* 1 if s has the shape of a version-1 token; else 0 with *why. */
static int
token_shape(const char *s, const char **why)
{
	size_t i, n = strlen(s);

	if (s[0] != '1') {
		*why = "a token starts with the version character 1";
		return 0;
	}
	if (n != 33) {
		*why = "a token has 33 characters";
		return 0;
	}
	for (i = 1; i < n; i++) {
		int c = tolower((unsigned char)s[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) {
			*why = "after the 1, a token has only letters and the "
			    "digits 2-7";
			return 0;
		}
	}
	return 1;
}

/* "1", then letters and digits only, with at least one letter: meant as
 * a token (a phone number has no letters, an address has an '@'). */
static int
looks_like_token(const char *s)
{
	int letter = 0;

	if (*s != '1')
		return 0;
	for (; *s; s++) {
		if (isalpha((unsigned char)*s))
			letter = 1;
		else if (!isdigit((unsigned char)*s))
			return 0;
	}
	return letter;
}

static int
parse_key(struct nf_ctl *ctl, const char *in, struct nf_trace *tr)
{
	struct nf_conf *conf;
	const char *why = NULL;
	size_t i;
	int rc;

	if (in[0] == '\0')
		return trace_usage("an empty KEY");
	if (looks_like_token(in)) {
		if (!token_shape(in, &why)) {
			fprintf(stderr, "notifilterctl trace: \"%s\" is not a "
			    "message token: %s\n", in, why);
			return NF_EX_USAGE;
		}
		for (i = 0; in[i]; i++)
			tr->key[i] = (char)tolower((unsigned char)in[i]);
		tr->key[i] = '\0';
		tr->kind = NF_TRACE_TOKEN;
		return NF_EX_OK;
	}
	if (strchr(in, '@') == NULL && (in[0] == '+' || in[0] == '(' ||
	    isdigit((unsigned char)in[0]))) {
		if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
			return rc;
		if (nf_phone_normalize(in, conf->default_country, tr->key,
		    sizeof tr->key, &why) != 0) {
			fprintf(stderr, "notifilterctl trace: \"%s\" is not a "
			    "valid phone number: %s\n", in,
			    why ? why : "bad syntax");
			return NF_EX_USAGE;
		}
		tr->kind = NF_TRACE_PHONE;
		return NF_EX_OK;
	}
	if (nf_addr_normalize(in, tr->key, sizeof tr->key, &why) != 0) {
		fprintf(stderr, "notifilterctl trace: \"%s\" is not a valid "
		    "email address (%s); give an email address, a phone number "
		    "(+CC...) or a message token\n", in, why ? why : "bad syntax");
		return NF_EX_USAGE;
	}
	tr->kind = NF_TRACE_EMAIL;
	return NF_EX_OK;
}

/* ---- collecting and grouping -------------------------------------------- */

static char *
dup_opt(const char *s, int *oom)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

static int
collect(const struct nf_event *e, void *arg)
{
	struct nf_trace *tr = arg;
	struct nf_trace_event *x;

	if (tr->nev >= NF_TRACE_EVENTS_MAX) {
		tr->cut = 1;
		return TR_STOP;
	}
	if (tr->nev == tr->cap) {
		size_t ncap = tr->cap ? tr->cap * 2 : 64;
		struct nf_trace_event *n = realloc(tr->ev, ncap * sizeof *n);

		if (n == NULL) {
			tr->oom = 1;
			return TR_STOP;
		}
		tr->ev = n;
		tr->cap = ncap;
	}
	x = &tr->ev[tr->nev];
	memset(x, 0, sizeof *x);
	x->time = e->time;
	x->kind = dup_opt(e->kind ? e->kind : "unknown", &tr->oom);
	x->queue_id = dup_opt(e->queue_id, &tr->oom);
	x->token = dup_opt(e->token, &tr->oom);
	x->address = dup_opt(e->address, &tr->oom);
	x->rule = dup_opt(e->rule, &tr->oom);
	x->detail = dup_opt(e->detail, &tr->oom);
	tr->nev++;
	if (tr->oom)
		return TR_STOP;
	if (x->token)		/* tokens are compared in lower case */
		for (char *p = x->token; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return 0;
}

static int
msg_push(struct nf_trace_msg *m, size_t i)
{
	if (m->nev == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		size_t *n = realloc(m->ev, ncap * sizeof *n);

		if (n == NULL)
			return -1;
		m->ev = n;
		m->cap = ncap;
	}
	m->ev[m->nev++] = i;
	return 0;
}

static struct nf_trace_msg *
msg_new(struct nf_trace *tr)
{
	struct nf_trace_msg *m;

	if (tr->nmsg == tr->capm) {
		size_t ncap = tr->capm ? tr->capm * 2 : 8;

		m = realloc(tr->msg, ncap * sizeof *m);
		if (m == NULL)
			return NULL;
		tr->msg = m;
		tr->capm = ncap;
	}
	m = &tr->msg[tr->nmsg++];
	memset(m, 0, sizeof *m);
	return m;
}

/*
 * Which message an event belongs to: the one with its token; else, for an
 * event with a queue id, the latest message with that queue id and no
 * other token (decisions are recorded before the token exists, and queue
 * ids are reused after a long time, hence the latest).  NULL: a new one.
 */
static struct nf_trace_msg *
msg_of(struct nf_trace *tr, const struct nf_trace_event *e)
{
	size_t i;

	if (e->token)
		for (i = 0; i < tr->nmsg; i++)
			if (tr->msg[i].token &&
			    strcmp(tr->msg[i].token, e->token) == 0)
				return &tr->msg[i];
	if (e->queue_id)
		for (i = tr->nmsg; i-- > 0;)
			if (tr->msg[i].queue_id &&
			    strcmp(tr->msg[i].queue_id, e->queue_id) == 0 &&
			    (tr->msg[i].token == NULL || e->token == NULL))
				return &tr->msg[i];
	return NULL;
}

static int
group(struct nf_trace *tr)
{
	struct nf_trace_msg *m;
	size_t i;

	if (tr->nev > 0 && (tr->loose = calloc(tr->nev, sizeof *tr->loose))
	    == NULL)
		return -1;
	for (i = 0; i < tr->nev; i++) {
		struct nf_trace_event *e = &tr->ev[i];

		if (e->token == NULL && e->queue_id == NULL) {
			tr->loose[tr->nloose++] = i;
			continue;
		}
		if ((m = msg_of(tr, e)) == NULL && (m = msg_new(tr)) == NULL)
			return -1;
		if (m->token == NULL)
			m->token = e->token;
		if (m->queue_id == NULL)
			m->queue_id = e->queue_id;
		if (msg_push(m, i) == -1)
			return -1;
	}
	return 0;
}

static void
tr_free(struct nf_trace *tr)
{
	size_t i;

	for (i = 0; i < tr->nev; i++) {
		free(tr->ev[i].kind);
		free(tr->ev[i].queue_id);
		free(tr->ev[i].token);
		free(tr->ev[i].address);
		free(tr->ev[i].rule);
		free(tr->ev[i].detail);
	}
	free(tr->ev);
	for (i = 0; i < tr->nmsg; i++) {
		free(tr->msg[i].ev);
		free(tr->msg[i].info);
	}
	free(tr->msg);
	free(tr->loose);
	free(tr->contact);
	free(tr->sup);
}

/* ---- reading the store -------------------------------------------------- */

static int
sup_keep(struct nf_trace *tr, const struct nf_suppression *s)
{
	struct nf_suppression *n;

	n = realloc(tr->sup, (tr->nsup + 1) * sizeof *n);
	if (n == NULL)
		return -1;
	tr->sup = n;
	tr->sup[tr->nsup++] = *s;
	return 0;
}

/* Suppressions of `addr`: the email channel for an address, the three
 * phone channels for a phone.  NF_STORE_* result. */
static int
sup_of(struct nf_store *s, struct nf_trace *tr, const char *addr)
{
	static const enum nf_channel phone_ch[] = {
		NF_CH_SMS, NF_CH_WHATSAPP, NF_CH_VIBER
	};
	struct nf_suppression sup;
	size_t i;
	int rc;

	if (addr == NULL || addr[0] == '\0')
		return NF_STORE_OK;
	if (addr[0] != '+') {
		rc = nf_store_suppress_find(s, addr, NF_CH_EMAIL, &sup);
		if (rc == NF_STORE_OK && sup_keep(tr, &sup) == -1)
			return NF_STORE_ERR;
		return rc == NF_STORE_NOTFOUND ? NF_STORE_OK : rc;
	}
	for (i = 0; i < sizeof phone_ch / sizeof phone_ch[0]; i++) {
		rc = nf_store_suppress_find(s, addr, phone_ch[i], &sup);
		if (rc == NF_STORE_OK && sup_keep(tr, &sup) == -1)
			return NF_STORE_ERR;
		if (rc != NF_STORE_OK && rc != NF_STORE_NOTFOUND)
			return rc;
	}
	return NF_STORE_OK;
}

/*
 * An erased address (contact remove) is known only by its keyed hash: with
 * SecretFile set, the key's erased rows join the suppressions, named
 * "erased:" and the hash's start, so the agent sees why mail to it is
 * refused although nothing else is known.  NF_STORE_* result.
 */
static int
erased_of(struct nf_store *s, struct nf_trace *tr, const char *addr)
{
	struct nf_suppression sup;
	struct nf_erased e;
	enum nf_channel ch;
	int rc;

	for (ch = 0; ch < NF_CH_COUNT; ch++) {
		if ((ch == NF_CH_EMAIL) != (addr[0] != '+'))
			continue;
		rc = nf_store_erased_find(s, addr, ch, &e);
		if (rc == NF_STORE_NOTFOUND)
			continue;
		if (rc != NF_STORE_OK)
			return rc;
		memset(&sup, 0, sizeof sup);
		nf_ctl_erased_name(e.hash, sup.address, sizeof sup.address);
		sup.channel = ch;
		memcpy(sup.reason, e.reason, sizeof sup.reason);
		snprintf(sup.source, sizeof sup.source, "erasure");
		snprintf(sup.evidence, sizeof sup.evidence, "contact erased; "
		    "only a keyed hash of the address is kept");
		sup.time = e.time;
		if (sup_keep(tr, &sup) == -1)
			return NF_STORE_ERR;
	}
	return NF_STORE_OK;
}

static int
load(struct nf_ctl *ctl, struct nf_store *s, struct nf_trace *tr)
{
	size_t i;
	int rc, have_key = 0;

	/* an erased key is known by its hash only (SecretFile keys it); a
	 * SecretFile that cannot be read is said, and the trace goes on */
	if (tr->kind != NF_TRACE_TOKEN &&
	    nf_ctl_erase_key(ctl, &have_key) != NF_EX_OK)
		have_key = 0;
	rc = nf_store_trace(s, tr->key, collect, tr);
	if (tr->oom) {
		fprintf(stderr, "notifilterctl trace: out of memory reading "
		    "%zu events\n", tr->nev);
		return NF_EX_SOFTWARE;
	}
	if (rc == TR_STOP && tr->cut)
		rc = NF_STORE_OK;
	if (rc != NF_STORE_OK && rc != NF_STORE_NOTFOUND)
		return nf_ctl_store_fail(ctl, rc, "reading the timeline");

	if (tr->kind != NF_TRACE_TOKEN) {
		if ((tr->contact = malloc(sizeof *tr->contact)) == NULL)
			goto oom;
		rc = nf_store_contact_find(s, tr->key, tr->contact);
		if (rc == NF_STORE_NOTFOUND) {
			free(tr->contact);
			tr->contact = NULL;
		} else if (rc != NF_STORE_OK)
			return nf_ctl_store_fail(ctl, rc, "looking up the contact");
		if (tr->contact) {
			rc = sup_of(s, tr, tr->contact->email);
			if (rc == NF_STORE_OK)
				rc = sup_of(s, tr, tr->contact->phone);
		} else {
			rc = sup_of(s, tr, tr->key);
			if (rc == NF_STORE_OK && have_key)
				rc = erased_of(s, tr, tr->key);
		}
		if (rc != NF_STORE_OK)
			return nf_ctl_store_fail(ctl, rc,
			    "looking up suppressions");
	}
	if (group(tr) == -1)
		goto oom;
	for (i = 0; i < tr->nmsg; i++) {
		struct nf_trace_msg *m = &tr->msg[i];

		if (m->token == NULL)
			continue;
		if ((m->info = malloc(sizeof *m->info)) == NULL)
			goto oom;
		rc = nf_store_message_find(s, m->token, m->info);
		if (rc == NF_STORE_NOTFOUND) {
			free(m->info);
			m->info = NULL;
		} else if (rc != NF_STORE_OK)
			return nf_ctl_store_fail(ctl, rc, "looking up a message");
		else if (m->queue_id == NULL && m->info->queue_id[0])
			m->queue_id = m->info->queue_id;
	}
	/* A token the events never named may still be a recorded message. */
	if (tr->kind == NF_TRACE_TOKEN && tr->nmsg == 0) {
		struct nf_trace_msg *m;
		struct nf_message *info = malloc(sizeof *info);

		if (info == NULL)
			goto oom;
		rc = nf_store_message_find(s, tr->key, info);
		if (rc == NF_STORE_OK && (m = msg_new(tr)) != NULL) {
			m->info = info;
			m->token = info->token;
			m->queue_id = info->queue_id[0] ? info->queue_id : NULL;
		} else {
			free(info);
			if (rc == NF_STORE_OK)
				goto oom;
			if (rc != NF_STORE_NOTFOUND)
				return nf_ctl_store_fail(ctl, rc,
				    "looking up the message");
		}
	}
	if (tr->nev == 0 && tr->nmsg == 0 && tr->contact == NULL &&
	    tr->nsup == 0) {
		fprintf(stderr, "notifilterctl trace: nothing is known about "
		    "%s\n", tr->key);
		return NF_EX_NOTFOUND;
	}
	return NF_EX_OK;
oom:
	fprintf(stderr, "notifilterctl trace: out of memory\n");
	return NF_EX_SOFTWARE;
}

/* ---- the command -------------------------------------------------------- */

int
nf_cmd_trace(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_store *s;
	struct nf_trace *tr;
	int ch, rc, json = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			return trace_usage("%s %s", ch == ':' ?
			    "option needs a value:" : "unknown option",
			    argv[optind - 1]);
	}
	if (argc - optind != 1)
		return trace_usage("give exactly one KEY");
	if ((tr = calloc(1, sizeof *tr)) == NULL) {
		fprintf(stderr, "notifilterctl trace: out of memory\n");
		return NF_EX_SOFTWARE;
	}
	if ((rc = parse_key(ctl, argv[optind], tr)) == NF_EX_OK &&
	    (rc = nf_ctl_store(ctl, &s)) == NF_EX_OK &&
	    (rc = load(ctl, s, tr)) == NF_EX_OK)
		rc = json ? nf_trace_json(tr) : nf_trace_text(tr);
	tr_free(tr);
	free(tr);
	return rc;
}
