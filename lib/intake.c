/*
 * intake.c - one parsed report applied to the store (see intake.h).
 *
 * Decisions are plain functions of the report and the config
 * (nf_intake_policy here; the token and complaint checks in
 * intake_auth.c); the store calls
 * that follow them all run inside one nf_store_begin/commit, so a busy or
 * failed store leaves nothing half-applied and the MTA can simply retry.
 *
 * Trust: nothing in a report is believed until its token verifies with
 * SecretFile, names a message we recorded, and the reported recipient is
 * one of that message's recipients.  A forged or stray report is still
 * recorded (report row, per-recipient rows and a timeline event with rule
 * "unauthenticated"), because support staff need to see what arrived, but
 * it suppresses nothing and changes no consent.  Soft failures are counted
 * per message (distinct tokens), so one report delivered twice counts once.
 *
 * A complaint that names no recipient (large mailbox providers redact the
 * complaining user's address) is attributed through its token: to the
 * message's only recipient that it reached, whose consent is revoked as
 * for any complaint; a message that reached several gets the complaint on
 * each of their timelines (rule "unattributed") and nobody's consent
 * changes, because nothing says who complained.
 *
 * Owner: the intake engineer.  The parser (report.h) is another module.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "intake.h"
#include "intake_int.h"
#include "token.h"

#define DETAIL_MAX 2048
#define DIAG_SHOW 600		/* bytes of a diagnostic in event text */

/* ---- the reason policy (DESIGN.md "Reason vocabulary") ---------------- */

static const char *const bad_reasons[] = {
	"userunknown", "hostunknown", "hasmoved", NULL
};
/* the address is fine, this message was refused: never suppress */
static const char *const spam_reasons[] = {
	"spamdetected", "blocked", "policyviolation", "rejected", "filtered",
	"securityerror", "contenterror", "virusdetected", "norelaying",
	"syntaxerror", "authfailure", "badreputation", "notcompliantrfc",
	"requireptr", "failedstarttls", "suppressed", "mesgtoobig",
	"emailtoolarge", NULL
};
/* feedback types that are not complaints about the mail */
static const char *const not_complaints[] = {
	"not-spam", "auth-failure", "dmarc", NULL
};

static int
in(const char *const *list, const char *w)
{
	if (w == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcasecmp(*list, w) == 0)
			return 1;
	return 0;
}


int
nf_intake_policy(int kind, const struct nf_report_rcpt *x)
{
	if (x == NULL)
		return NF_POL_OTHER;
	if (nf_intake_eq(x->action, "complaint") || kind == NF_REPORT_ARF)
		return in(not_complaints, x->feedback_type) ? NF_POL_OTHER :
		    NF_POL_COMPLAINT;
	if (kind == NF_REPORT_AUTOREPLY || nf_intake_eq(x->reason, "vacation"))
		return NF_POL_AUTOREPLY;
	if (nf_intake_eq(x->action, "delivered"))
		return NF_POL_DELIVERED;
	if (nf_intake_eq(x->action, "relayed"))
		return NF_POL_RELAYED;
	if (nf_intake_eq(x->action, "expanded"))
		return NF_POL_OTHER;
	if (nf_intake_eq(x->action, "delayed"))
		return NF_POL_DELAYED;
	if (nf_intake_eq(x->reason, "delivered"))
		return NF_POL_DELIVERED;
	/* a final 4.x.x (expired after temporary failures) is soft whatever
	 * the reason: a temporary refusal proves neither a bad address nor a
	 * lasting policy block */
	if (x->status != NULL && x->status[0] == '4' && x->status[1] == '.' &&
	    !nf_intake_eq(x->reason, "feedback"))
		return NF_POL_SOFT;
	/* failed, or a heuristic bounce that names no action */
	if (in(bad_reasons, x->reason) || (nf_intake_eq(x->reason, "notaccept") &&
	    x->hard))
		return NF_POL_BAD;
	if (in(spam_reasons, x->reason))
		return NF_POL_SPAM;
	if (nf_intake_eq(x->reason, "feedback"))
		return NF_POL_COMPLAINT;
	return NF_POL_SOFT;	/* mailboxfull, expired, undefined, ... */
}

const char *
nf_intake_policy_name(int p)
{
	static const char *const names[] = {
		[NF_POL_OTHER] = "other", [NF_POL_BAD] = "bad",
		[NF_POL_SOFT] = "soft", [NF_POL_SPAM] = "spam",
		[NF_POL_COMPLAINT] = "complaint",
		[NF_POL_DELIVERED] = "delivered", [NF_POL_RELAYED] = "relayed",
		[NF_POL_DELAYED] = "delayed", [NF_POL_AUTOREPLY] = "autoreply",
	};

	if (p < 0 || (size_t)p >= sizeof names / sizeof names[0])
		return "other";
	return names[p];
}

/* ---- small text helpers ------------------------------------------------ */

static const char *
nz(const char *v)
{
	return v != NULL ? v : "";
}


/* See intake_int.h. */
void
nf_intake_cat(char *out, size_t size, size_t *used, const char *fmt, ...)
{
	static const char mark[] = "...[cut]";
	va_list ap;
	int n;

	if (*used + sizeof mark >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= size - *used) {
		memcpy(out + size - sizeof mark, mark, sizeof mark);
		*used = size - 1;
		return;
	}
	*used += (size_t)n;
}

/* The diagnostic for people: at most DIAG_SHOW bytes, cut visibly, and
 * never in the middle of a UTF-8 sequence. */
static void
cat_diag(char *out, size_t size, size_t *used, const char *diag)
{
	size_t n = strlen(nz(diag));

	if (n == 0)
		return;
	if (n <= DIAG_SHOW) {
		nf_intake_cat(out, size, used, "; %s", diag);
		return;
	}
	n = DIAG_SHOW;
	while (n > 0 && ((unsigned char)diag[n] & 0xc0) == 0x80)
		n--;
	nf_intake_cat(out, size, used, "; %.*s...[cut]", (int)n, diag);
}

/* The report's start as printable UTF-8 text: NULs, other control bytes
 * (but tab, CR, LF) and broken sequences become '?'.  Caller frees. */
static char *
excerpt_of(const struct nf_intake_raw *raw)
{
	size_t n, i = 0, o = 0;
	char *d;

	if (raw == NULL || raw->data == NULL)
		return NULL;
	n = raw->len < NF_STORE_EXCERPT_MAX ? raw->len : NF_STORE_EXCERPT_MAX;
	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)raw->data[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ?
		    3 : (c >> 3) == 30 ? 4 : 0, j;
		int good = k > 0 && i + k <= n;

		for (j = 1; good && j < k; j++)
			if (((unsigned char)raw->data[i + j] >> 6) != 2)
				good = 0;
		if (!good || (k == 1 && c < 0x20 && c != '\t' && c != '\r' &&
		    c != '\n') || c == 0x7f) {
			d[o++] = '?';
			i++;
			continue;
		}
		memcpy(d + o, raw->data + i, k);
		o += k;
		i += k;
	}
	d[o] = '\0';
	return d;
}

/* ---- actions ----------------------------------------------------------- */

struct act {
	struct nf_store *s;
	const char *why;	/* how the recipient was found, or NULL */
	const struct nf_intake_conf *conf;
	const struct nf_message *m;
	const struct nf_report_rcpt *x;
	const char *token;
	const char *addr;	/* as the message recorded it */
	int64_t now;
	char *detail;		/* DETAIL_MAX */
	size_t used;
};

/* "token T; status S; diagnostic" for a suppression, cut to fit. */
static void
evidence(const struct act *a, char *out, size_t size, const char *pre)
{
	size_t used = 0;

	out[0] = '\0';
	if (pre != NULL)
		nf_intake_cat(out, size, &used, "%s; ", pre);
	nf_intake_cat(out, size, &used, "token %s; status %s", a->token,
	    nf_intake_opt(a->x->status) ? a->x->status : "none");
	cat_diag(out, size, &used, a->x->diagnostic);
}

static int
suppress(struct act *a, const char *pre)
{
	struct nf_suppression sup;

	memset(&sup, 0, sizeof sup);
	snprintf(sup.address, sizeof sup.address, "%s", a->addr);
	sup.channel = NF_CH_EMAIL;
	snprintf(sup.reason, sizeof sup.reason, "%s", nf_intake_opt(a->x->reason) ?
	    a->x->reason : "undefined");
	snprintf(sup.source, sizeof sup.source, "dsn");
	evidence(a, sup.evidence, sizeof sup.evidence, pre);
	sup.time = a->now;
	return nf_store_suppress_add(a->s, &sup);
}

/* The recipient's delivery status: through the delivery record (a
 * "delivery" event, as the MailLog follower writes) when the message has
 * a queue id, else on the row alone. */
static int
set_status(struct act *a, const char *status)
{
	struct nf_delivery_in d = {
		.queue_id = a->m->queue_id, .address = a->addr,
		.status = status, .dsn = nf_intake_opt(a->x->status),
		.relay = nf_intake_opt(a->x->remote_mta),
		.diagnostic = nf_intake_opt(a->x->diagnostic), .source = "dsn",
		.time = a->now,
	};
	int rc = NF_STORE_NOTFOUND;

	if (nf_intake_opt(a->m->queue_id))
		rc = nf_store_delivery_add(a->s, &d);
	if (rc == NF_STORE_NOTFOUND)
		rc = nf_store_recipient_status(a->s, a->m->id, a->addr, status,
		    d.dsn, d.relay, d.diagnostic, a->now);
	return rc == NF_STORE_NOTFOUND ? NF_STORE_OK : rc;
}

/* Revoke email consent; a contact is created when there is none. */
static int
revoke(struct act *a)
{
	struct nf_contact *c = malloc(sizeof *c);
	char source[NF_STORE_TEXT_MAX];
	int rc;

	if (c == NULL)
		return NF_STORE_ERR;
	snprintf(source, sizeof source, "complaint:%s", a->token);
	rc = nf_store_contact_find(a->s, a->addr, c);
	if (rc == NF_STORE_OK) {
		if (c->consent[NF_CH_EMAIL].state != NF_CONSENT_REVOKED)
			rc = nf_store_consent_set(a->s, c->id, NF_CH_EMAIL,
			    NF_CONSENT_REVOKED, source, a->now);
	} else if (rc == NF_STORE_NOTFOUND) {
		memset(c, 0, sizeof *c);
		snprintf(c->email, sizeof c->email, "%s", a->addr);
		c->consent[NF_CH_EMAIL].state = NF_CONSENT_REVOKED;
		snprintf(c->consent[NF_CH_EMAIL].source,
		    sizeof c->consent[NF_CH_EMAIL].source, "%s", source);
		c->consent[NF_CH_EMAIL].time = a->now;
		rc = nf_store_contact_add(a->s, c);
	}
	free(c);
	return rc;
}

/* What the report said, for the timeline: "failed 5.1.1 userunknown
 * (hard)" and the diagnostic. */
static void
said(struct act *a)
{
	const struct nf_report_rcpt *x = a->x;

	nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "%s%s%s %s%s",
	    nf_intake_opt(x->action) ? x->action : "failed",
	    nf_intake_opt(x->status) ? " " : "",
	    nz(x->status), nf_intake_opt(x->reason) ? x->reason : "undefined",
	    x->hard ? " (hard)" : "");
	if (nf_intake_opt(x->feedback_type))
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, " feedback-type %s",
		    x->feedback_type);
	if (nf_intake_opt(x->remote_mta))
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, " from %s", x->remote_mta);
	cat_diag(a->detail, DETAIL_MAX, &a->used, x->diagnostic);
}

/*
 * Decide what to do for one authentic recipient (the soft count is read
 * here, before this report is recorded): *outcome, *slot, the start of the
 * timeline text, and *do_supp for a soft failure that reaches the limit.
 */
static int
decide(struct act *a, int pol, const char **outcome, int *slot, int *do_supp,
    int64_t *count)
{
	int64_t n = 0;
	int rc = NF_STORE_OK;

	*do_supp = 0;
	switch (pol) {
	case NF_POL_BAD:
		*outcome = "suppressed";
		*slot = NF_OUT_SUPPRESSED;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "bad address, suppressed: ");
		break;
	case NF_POL_SOFT:
		rc = nf_store_soft_count(a->s, a->addr, a->now -
		    a->conf->soft_window, a->token, &n);
		n++;	/* this one */
		*count = n;
		if (a->conf->soft_limit > 0 && n >= a->conf->soft_limit) {
			*do_supp = 1;
			*outcome = "suppressed";
			*slot = NF_OUT_SUPPRESSED;
			nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "soft failure %lld "
			    "of %lld within the window, suppressed: ",
			    (long long)n, (long long)a->conf->soft_limit);
		} else {
			*outcome = "counted";
			*slot = NF_OUT_COUNTED;
			nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "soft failure %lld "
			    "of %lld within the window, counted: ",
			    (long long)n, (long long)a->conf->soft_limit);
		}
		break;
	case NF_POL_SPAM:
		*outcome = "undelivered";
		*slot = NF_OUT_UNDELIVERED;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "refused by a spam filter or "
		    "policy (address kept; not delivered): ");
		break;
	case NF_POL_COMPLAINT:
		*outcome = "consent-revoked";
		*slot = NF_OUT_REVOKED;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "complaint, email consent "
		    "revoked%s%s%s: ", a->why ? " (" : "", nz(a->why),
		    a->why ? ")" : "");
		break;
	case NF_POL_DELIVERED:
	case NF_POL_RELAYED:
		*outcome = pol == NF_POL_DELIVERED ? "delivered" : "relayed";
		*slot = NF_OUT_STATUS;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "success report: ");
		break;
	case NF_POL_DELAYED:
		*outcome = "deferred";
		*slot = NF_OUT_STATUS;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "delay report: ");
		break;
	case NF_POL_AUTOREPLY:
		*outcome = "recorded";
		*slot = NF_OUT_RECORDED;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used,
		    "auto-reply (not a failure): ");
		break;
	default:
		*outcome = "recorded";
		*slot = NF_OUT_RECORDED;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "recorded: ");
	}
	said(a);
	return rc;
}

/* Do what decide() chose, after the report's own event is written, so the
 * timeline reads "bounce" before "suppress" and "delivery". */
static int
perform(struct act *a, int pol, int do_supp, int64_t count)
{
	char pre[160];
	int rc = NF_STORE_OK;

	switch (pol) {
	case NF_POL_BAD:
		rc = suppress(a, NULL);
		if (rc == NF_STORE_OK)
			rc = set_status(a, "bounced");
		break;
	case NF_POL_SOFT:
		if (do_supp) {
			snprintf(pre, sizeof pre, "%lld soft failures within "
			    "%llds (SoftBounceLimit %lld)", (long long)count,
			    (long long)a->conf->soft_window,
			    (long long)a->conf->soft_limit);
			rc = suppress(a, pre);
		}
		if (rc == NF_STORE_OK)
			rc = set_status(a, nf_intake_eq(a->x->reason, "expired") ?
			    "expired" : "bounced");
		break;
	case NF_POL_SPAM:
		rc = set_status(a, "bounced");
		break;
	case NF_POL_COMPLAINT:
		rc = revoke(a);
		break;
	case NF_POL_DELIVERED:
		rc = set_status(a, "delivered");
		break;
	case NF_POL_RELAYED:
		rc = set_status(a, "relayed");
		break;
	case NF_POL_DELAYED:
		rc = set_status(a, "deferred");
		break;
	default:
		break;
	}
	return rc;
}

/* ---- apply ------------------------------------------------------------- */

int
nf_intake_kind(const struct nf_report *r)
{
	int k = nf_report_kind(r);

	if (k == NF_REPORT_NONE && nf_report_count(r) == 0 &&
	    nf_intake_opt(nf_report_arf_field(r, "feedback-type")) != NULL)
		return NF_REPORT_ARF;
	return k;
}

static const char *
kind_word(int kind)
{
	switch (kind) {
	case NF_REPORT_DSN: return "dsn";
	case NF_REPORT_ARF: return "arf";
	case NF_REPORT_AUTOREPLY: return "autoreply";
	case NF_REPORT_HEURISTIC: return "heuristic";
	default: return "none";
	}
}

/* Per recipient: what decide() chose, for perform() after recording. */
struct planned {
	int act;		/* 1: authentic, perform() it */
	int unattributed;	/* 1: a complaint event per reached recipient */
	int pol, do_supp;
	int64_t count;
	char addr[NF_STORE_EMAIL_MAX];	/* as the message recorded it */
};

/* Timeline events of an unattributed complaint: at most this many
 * recipients get one (the report row says how many there were). */
#define ATTR_MAX 1000

struct work {
	struct nf_message m;
	const struct nf_report_rcpt **xs;	/* the results acted on */
	struct nf_report_rcpt blank;	/* a complaint that names nobody */
	char (*reached)[NF_STORE_EMAIL_MAX];	/* ATTR_MAX, when needed */
	size_t nreached;	/* recipients the message reached, in all */
	int attributed;		/* a recipientless complaint was handled */
	struct nf_report_rcpt_in *rows;
	struct planned *plan;
	char *details;		/* n * DETAIL_MAX */
	char *excerpt;
	char why[256];
};

static void
work_free(struct work *w)
{
	if (w == NULL)
		return;
	free(w->rows);
	free(w->plan);
	free(w->xs);
	free(w->reached);
	free(w->details);
	free(w->excerpt);
	free(w);
}

static void
act_init(struct act *a, struct nf_store *s, const struct nf_intake_conf *conf,
    const struct nf_report *r, struct work *w, size_t i, int64_t now,
    const struct nf_intake_result *out)
{
	memset(a, 0, sizeof *a);
	a->s = s;
	a->conf = conf;
	a->m = &w->m;
	(void)r;
	a->x = w->xs[i];
	a->token = out->token;
	a->addr = w->plan[i].addr;
	a->now = now;
	a->detail = w->details + i * DETAIL_MAX;
}

/*
 * An authentic report result that names no recipient.  A complaint that
 * ComplaintAuth accepts is attributed through the message: its only
 * reached recipient is acted on as if named (decide() fills the rest), or,
 * when it reached several (or none), the complaint is recorded against the
 * message with *outcome "unattributed" and nobody's consent changes.
 * Anything else is recorded.  Returns a store failure or OK.
 */
static int
no_recipient(struct nf_store *s, const struct nf_intake_conf *conf,
    const struct nf_intake_auth *auth, struct work *w, size_t i, int pol,
    struct act *a, const char **outcome, int *slot,
    const struct nf_intake_result *out)
{
	struct planned *td = &w->plan[i];
	char why[320];
	int rc;

	if (pol != NF_POL_COMPLAINT || w->attributed) {
		*outcome = "recorded";
		*slot = NF_OUT_RECORDED;
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "recorded (the report names "
		    "no recipient%s): ", w->attributed ? "; its complaint is "
		    "already counted" : "");
		said(a);
		return NF_STORE_OK;
	}
	if (!nf_intake_complaint_ok(conf, auth, w->why, sizeof w->why)) {
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used, "complaint not accepted (%s), "
		    "nothing changed: ", w->why);
		said(a);
		return NF_STORE_OK;
	}
	w->attributed = 1;
	if (w->reached == NULL &&
	    (w->reached = calloc(ATTR_MAX, sizeof *w->reached)) == NULL)
		return NF_STORE_ERR;
	rc = nf_store_message_reached(s, w->m.id, w->reached, ATTR_MAX,
	    &w->nreached);
	if (rc != NF_STORE_OK)
		return rc;
	if (w->nreached == 1) {
		int64_t count = 0;

		snprintf(td->addr, sizeof td->addr, "%s", w->reached[0]);
		w->rows[i].address = td->addr;
		td->act = 1;
		td->pol = pol;
		snprintf(why, sizeof why, "recipient redacted by the reporter; "
		    "attributed through token %s, the message's only "
		    "recipient", out->token);
		a->why = why;
		rc = decide(a, pol, outcome, slot, &td->do_supp, &count);
		a->why = NULL;
		return rc;
	}
	td->unattributed = 1;
	*outcome = "unattributed";
	*slot = NF_OUT_UNATTRIBUTED;
	if (w->nreached == 0)
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used,
		    "complaint about message #%lld (token %s), recipient "
		    "redacted by the reporter; the message "
		    "reached none of its recipients (refused or bounced), so "
		    "nobody's email consent was changed: ", (long long)w->m.id,
		    out->token);
	else
		nf_intake_cat(a->detail, DETAIL_MAX, &a->used,
		    "complaint about message #%lld (token %s), recipient "
		    "redacted by the reporter; the message "
		    "reached %zu recipients and nothing says which one "
		    "complained, so nobody's email consent was changed (a "
		    "complaint event is on each one's timeline%s): ",
		    (long long)w->m.id, out->token, w->nreached,
		    w->nreached > ATTR_MAX ? ", the first 1000 of them" : "");
	said(a);
	return NF_STORE_OK;
}

/* The complaint event on each reached recipient's timeline. */
static int
unattributed_events(struct nf_store *s, const struct work *w,
    const struct nf_intake_result *out, int64_t now)
{
	char detail[600];
	struct nf_event ev;
	size_t i, n = w->nreached < ATTR_MAX ? w->nreached : ATTR_MAX;
	int rc = NF_STORE_OK;

	snprintf(detail, sizeof detail, "complaint about message #%lld (token "
	    "%s) that reached %zu recipients, this one among them; the "
	    "reporter redacted who complained, so it is not attributed and "
	    "nobody's email consent was changed (report #%lld)",
	    (long long)w->m.id, out->token, w->nreached,
	    (long long)out->report_id);
	for (i = 0; i < n && rc == NF_STORE_OK; i++) {
		memset(&ev, 0, sizeof ev);
		ev.time = now;
		ev.kind = "complaint";
		ev.token = out->token;
		ev.address = w->reached[i];
		ev.rule = "unattributed";
		ev.detail = detail;
		rc = nf_store_event_add(s, &ev);
	}
	return rc;
}

/* One recipient: the row to record, and what to do when it is authentic. */
static int
one(struct nf_store *s, const struct nf_intake_conf *conf,
    const struct nf_intake_auth *auth, const struct nf_report *r,
    struct work *w, size_t i, int64_t now, struct nf_intake_result *out)
{
	struct nf_report_rcpt_in *row = &w->rows[i];
	struct planned *td = &w->plan[i];
	struct act a;
	const struct nf_report_rcpt *x;
	int pol, rc = NF_STORE_OK, slot = NF_OUT_UNAUTH;
	const char *outcome = "unauthenticated";

	act_init(&a, s, conf, r, w, i, now, out);
	x = a.x;
	pol = nf_intake_policy(out->kind, x);
	a.detail[0] = '\0';
	row->address = x->recipient;
	row->action = x->action;
	row->status = x->status;
	row->reason = x->reason;
	row->diagnostic = x->diagnostic;
	row->remote_mta = x->remote_mta;
	row->feedback_type = x->feedback_type;
	row->hard = x->hard;
	row->policy = nf_intake_policy_name(pol);
	row->detail = a.detail;

	if (!out->authenticated) {
		nf_intake_cat(a.detail, DETAIL_MAX, &a.used, "unauthenticated %s report "
		    "(%s), nothing changed: ", kind_word(out->kind), out->why);
	} else if (nf_intake_opt(x->recipient) == NULL) {
		rc = no_recipient(s, conf, auth, w, i, pol, &a, &outcome, &slot,
		    out);
		row->outcome = outcome;
		out->by_outcome[slot]++;
		return rc;
	} else if ((rc = nf_store_recipient_of(s, w->m.id, x->recipient,
	    td->addr, sizeof td->addr)) == NF_STORE_NOTFOUND) {
		rc = NF_STORE_OK;
		nf_intake_cat(a.detail, DETAIL_MAX, &a.used, "unauthenticated: %s is not a "
		    "recipient of message %s, nothing changed: ",
		    nz(x->recipient), out->token);
	} else if (rc != NF_STORE_OK) {
		return rc;
	} else if (pol == NF_POL_COMPLAINT &&
	    !nf_intake_complaint_ok(conf, auth, w->why, sizeof w->why)) {
		nf_intake_cat(a.detail, DETAIL_MAX, &a.used, "complaint not accepted (%s), "
		    "nothing changed: ", w->why);
	} else {
		td->act = 1;
		td->pol = pol;
		rc = decide(&a, pol, &outcome, &slot, &td->do_supp, &td->count);
		row->outcome = outcome;
		out->by_outcome[slot]++;
		return rc;
	}
	said(&a);
	row->outcome = outcome;
	out->by_outcome[slot]++;
	return rc;
}

int
nf_intake_apply(struct nf_store *s, const struct nf_intake_conf *conf,
    const struct nf_intake_env *env, const struct nf_report *r,
    const struct nf_intake_auth *auth, const struct nf_intake_raw *raw,
    int64_t now, struct nf_intake_result *out)
{
	struct nf_report_in rep;
	struct work *w;
	size_t i, n = nf_report_count(r);
	int rc;

	memset(out, 0, sizeof *out);
	out->kind = nf_intake_kind(r);
	if (n == 0 && out->kind == NF_REPORT_ARF)
		n = 1;	/* the complaint that names nobody, made below */
	out->n = n;
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (n > 0 && ((w->rows = calloc(n, sizeof *w->rows)) == NULL ||
	    (w->plan = calloc(n, sizeof *w->plan)) == NULL ||
	    (w->xs = calloc(n, sizeof *w->xs)) == NULL ||
	    (w->details = malloc(n * DETAIL_MAX)) == NULL))) {
		work_free(w);
		return NF_STORE_ERR;
	}
	for (i = 0; i < n; i++)
		w->xs[i] = nf_report_get(r, i);
	if (n == 1 && w->xs[0] == NULL) {
		/* what the report says: a complaint, about nobody named */
		w->blank.recipient = "";
		w->blank.action = "complaint";
		w->blank.status = "";
		w->blank.reply = "";
		w->blank.reason = "feedback";
		w->blank.diagnostic = "";
		w->blank.remote_mta = "";
		w->blank.feedback_type = nf_report_arf_field(r,
		    "feedback-type");
		w->xs[0] = &w->blank;
	}
	w->excerpt = excerpt_of(raw);

	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		goto out;
	rc = nf_intake_authenticate(s, conf, env, r, now, &w->m, out);
	for (i = 0; i < n && rc == NF_STORE_OK; i++)
		rc = one(s, conf, auth, r, w, i, now, out);
	if (rc == NF_STORE_OK) {
		memset(&rep, 0, sizeof rep);
		rep.kind = kind_word(out->kind);
		rep.token = nf_intake_opt(out->token);
		rep.token_valid = out->token_rc == NF_TOKEN_OK;
		rep.message = out->message;
		rep.authenticated = out->authenticated;
		rep.auth_detail = out->why;
		if (env != NULL) {
			rep.env_sender = env->sender;
			rep.env_recipient = env->recipient;
			rep.client_ip = env->client_ip;
			rep.helo = env->helo;
		}
		if (auth != NULL) {
			rep.dkim = auth->dkim;
			rep.dkim_domain = auth->dkim_domain;
			rep.spf = auth->spf;
		}
		rep.returned_message_id = nf_report_message_id(r);
		rep.size = raw ? raw->size : 0;
		rep.flags = nf_report_flags(r) | (raw && raw->cut ?
		    NF_INTAKE_CUT_INPUT : 0);
		rep.excerpt = w->excerpt;
		rep.time = now;
		rc = nf_store_report_add(s, &rep, w->rows, n, &out->report_id);
	}
	for (i = 0; i < n && rc == NF_STORE_OK; i++) {
		struct act a;

		if (w->plan[i].unattributed)
			rc = unattributed_events(s, w, out, now);
		if (!w->plan[i].act)
			continue;
		act_init(&a, s, conf, r, w, i, now, out);
		rc = perform(&a, w->plan[i].pol, w->plan[i].do_supp,
		    w->plan[i].count);
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	else
		nf_store_rollback(s);
out:
	work_free(w);
	return rc;
}
