/*
 * report_kind.c - what a report is, and its recipients when it is no DSN.
 *
 * nf_report_finish() ends the parse, finds the tracking token and the
 * returned Message-ID, then decides the kind in a fixed order: ARF, DSN,
 * an Amazon SES notification (JSON), the fml list manager's notice, a
 * complaint in no standard form, an auto-reply, DSN fields written into
 * the text, and a free-text bounce (heur.c) with, as last resorts, the DSN
 * of a returned bounce and the returned message's To:.
 *
 * Ownership: reads the report's buffers and adds results through
 * report_rcpt.c; the report owns everything.  Failure: out of memory sets
 * r->nomem and nf_report_finish() returns -1; what the limits cut is in
 * nf_report_flags().
 */
#include "config.h"

#include "report.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arf.h"
#include "classify.h"
#include "dsn.h"
#include "heur.h"
#include "report_int.h"
#include "report_mta.h"

static int
local_is(const char *addr, const char *const *names)
{
	const char *at = strchr(addr, '@');
	size_t n = at ? (size_t)(at - addr) : strlen(addr), i;

	for (i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncmp(addr, names[i], n) == 0)
			return 1;
	return 0;
}

static const char *const daemon_names[] = {
	"mailer-daemon", "postmaster", "mail-daemon", "mailer_daemon", "mailerdaemon",
	"mdaemon", "mailadmin", "mail.daemon", "post_master", NULL,
};

static int
excluded(void *ctx, const char *addr, int alone)
{
	struct nf_report *r = ctx;
	const struct nf_buf *b[] = { &r->from, &r->env_rcpt, &r->to, &r->return_path,
		&r->env_sender, &r->ret_from };
	char a[NF_HEUR_ADDR_MAX];
	size_t i;

	/* an address alone at a line start is a recipient even when it is a
	 * postmaster or the sender itself (mail to oneself); only the report's
	 * own author and envelope recipient are never recipients */
	if (!alone && local_is(addr, daemon_names))
		return 1;
	for (i = 0; i < (alone ? 2 : sizeof(b) / sizeof(b[0])); i++) {
		const char *s = nf_buf_cstr(b[i]), *e = s + b[i]->len, *f;
		size_t alen;

		while ((f = nf_heur_find_addr(s, e, &alen)) != NULL) {
			nf_heur_addr_copy(a, f, alen);
			if (strcmp(a, addr) == 0)
				return 1;
			s = f + alen;
		}
	}
	return 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* needle is lower case; hay is a header value (looked at up to 1 KiB) */
static int
contains_ci(const char *hay, const char *needle)
{
	char lc[1024];

	nf_rp_lower_copy(lc, sizeof(lc), hay);
	return strstr(lc, needle) != NULL;
}

/* Does the start of the error section say in so many words that mail
 * was not delivered?  For notices whose headers do not (a reply-style
 * subject, a subject in another language, an unusual author). */
static int
body_says_failed(const struct nf_report *r)
{
	static const char *const phrases[] = {
		"could not be delivered", "couldn't be delivered", "was not delivered",
		"undeliverable", "delivery failed", "delivery has failed", "unable to deliver",
		"user unknown", "no such user", "invalid user", "permanent error",
		"not be delivered", NULL,
	};
	char lc[2048];
	size_t tlen, n, i;
	const char *text = nf_rp_text_of(r, &tlen);

	n = r->elen < tlen ? r->elen : tlen;
	if (n > sizeof(lc) - 1)
		n = sizeof(lc) - 1;
	for (i = 0; i < n; i++)
		lc[i] = (char)tolower((unsigned char)text[i]);
	lc[n] = '\0';
	for (i = 0; phrases[i]; i++)
		if (strstr(lc, phrases[i]))
			return 1;
	return 0;
}

static int
is_bounce(const struct nf_report *r)
{
	static const char *const subj[] = {
		"undeliver", "undelivered", "delivery", "failure", "failed", "returned",
		"bounce", "not delivered", "rejected", "error", "could not", "unable",
		"nondeliverable", "non-deliverable", "non remis", "delayed", "warning",
		"problem", "mail system", "no se puede", "unzustellbar", "failure notice",
		"returned mail", "notification", NULL,
	};
	char a[NF_HEUR_ADDR_MAX];
	const char *s = nf_buf_cstr(&r->subject);
	size_t i;

	if (r->multipart_report || r->x_failed.len > 0)
		return 1;
	if (nf_rp_first_addr(nf_buf_cstr(&r->from), r->from.len, a) && local_is(a, daemon_names))
		return 1;
	if (contains_ci(nf_buf_cstr(&r->from), "mailer-daemon") ||
	    contains_ci(nf_buf_cstr(&r->from), "mail delivery"))
		return 1;
	for (i = 0; subj[i]; i++)
		if (contains_ci(s, subj[i]))
			return 1;
	return body_says_failed(r);
}

static int
is_autoreply(const struct nf_report *r)
{
	static const char *const subj[] = {
		"auto:", "automatic reply", "auto reply", "autoreply", "auto-reply",
		"out of office", "out of the office", "vacation", "away from", "abwesenheit",
		"absence", "autosvar", "respuesta autom", "réponse automatique", NULL,
	};
	const char *s = nf_buf_cstr(&r->subject);
	size_t i;

	if (r->autoreply_hdr)
		return 1;
	if (strncasecmp(nf_buf_cstr(&r->auto_submitted), "auto-replied", 12) == 0 && !is_bounce(r))
		return 1;
	if (strncasecmp(nf_buf_cstr(&r->precedence), "auto_reply", 10) == 0)
		return 1;
	for (i = 0; subj[i]; i++)
		if (contains_ci(s, subj[i]))
			return !r->multipart_report;
	return 0;
}

static int
is_complaint(const struct nf_report *r)
{
	static const char *const subj[] = {
		"complaint", "abuse report", "spam report", "reported as spam", NULL,
	};
	const char *s = nf_buf_cstr(&r->subject);
	size_t i;

	if (r->ret_to.len == 0 || r->dsn.n > 0 || r->x_failed.len > 0)
		return 0;
	for (i = 0; subj[i]; i++)
		if (contains_ci(s, subj[i]))
			return 1;
	return 0;
}

static int
heur_found(void *ctx, const char *addr, const char *diag)
{
	struct nf_report *r = ctx;
	struct result *res = nf_rp_add_result(r, addr);

	if (res == NULL)
		return r->nomem;
	res->diag = nf_rp_dup_str(r, diag);
	res->remote_mta = nf_rp_dup_str(r, "");
	if (contains_ci(nf_buf_cstr(&r->subject), "delay") ||
	    contains_ci(nf_buf_cstr(&r->subject), "warning"))
		res->pub.action = "delayed";
	else
		res->pub.action = "failed";	/* a bounce names failed recipients */
	{
		size_t tlen;
		const char *text = nf_rp_text_of(r, &tlen);
		char sect[4096];
		size_t n = r->elen < sizeof(sect) - 1 ? r->elen : sizeof(sect) - 1;

		/* the error section is the context of a free-text bounce */
		memcpy(sect, text, n < tlen ? n : tlen);
		sect[n < tlen ? n : tlen] = 0;
		nf_rp_finalize(r, res, "", NF_REASON_NONE, sect);
	}
	return r->nomem;
}

/* Last resort for a failure notice that names no recipient in its own
 * text (a transcript that only names hosts, "Delivery report
 * unavailable"): the To: of the returned message, attached or quoted after
 * the error section.  Only a single address counts: a list says nothing
 * about which of them failed. */
static void
from_returned_to(struct nf_report *r)
{
	size_t tlen, alen;
	const char *text = nf_rp_text_of(r, &tlen), *s, *e, *f;
	struct nf_buf tmp, diag;
	char addr[NF_HEUR_ADDR_MAX];

	/* a delay warning is no failure; a plain-text notice marked
	 * auto-replied (RFC 3834) rather than auto-generated is a responder's
	 * prose, too loose to guess from (Postfix marks its multipart/report
	 * bounces auto-replied too, so those still count) */
	if (contains_ci(nf_buf_cstr(&r->subject), "delay") ||
	    contains_ci(nf_buf_cstr(&r->subject), "warning") ||
	    (!r->multipart_report &&
	    strncasecmp(nf_buf_cstr(&r->auto_submitted), "auto-replied", 12) == 0))
		return;
	nf_buf_init(&tmp, 1024);
	if (r->ret_to.len > 0)
		nf_buf_append(&tmp, nf_buf_cstr(&r->ret_to), r->ret_to.len);
	else
		nf_heur_quoted_header(text, tlen, r->elen, "to", &tmp);
	s = nf_buf_cstr(&tmp);
	e = s + tmp.len;
	f = nf_heur_find_addr(s, e, &alen);
	if (f != NULL && nf_heur_find_addr(f + alen, e, &alen) == NULL) {
		f = nf_heur_find_addr(s, e, &alen);
		nf_heur_addr_copy(addr, f, alen);
		if (!excluded(r, addr, 1)) {
			nf_buf_init(&diag, 2048);
			if (!nf_heur_diag_any(text, tlen, r->elen, &diag))
				nf_heur_diag_indented(text, tlen, r->elen, &diag);
			heur_found(r, addr, nf_buf_cstr(&diag));
			nf_buf_free(&diag);
		}
	}
	nf_buf_free(&tmp);
}

static void
from_heuristics(struct nf_report *r)
{
	struct nf_heur_cb cb;
	size_t tlen;
	const char *text = nf_rp_text_of(r, &tlen);

	/* Exim and others name the failed addresses in a header; when none
	 * of them occurs in the text (a header rewritten on the way), the
	 * text's own list is taken first */
	if (r->x_failed.len > 0) {
		const char *s = nf_buf_cstr(&r->x_failed), *e = s + r->x_failed.len, *f;
		size_t alen;
		char addr[NF_HEUR_ADDR_MAX];
		struct nf_buf diag;
		int named = 0;

		nf_buf_init(&diag, 4096);
		for (f = s; (f = nf_heur_find_addr(f, e, &alen)) != NULL && !named; f += alen) {
			nf_heur_addr_copy(addr, f, alen);
			nf_buf_reset(&diag);
			named = nf_heur_diag_for(text, tlen, r->elen, addr, &diag);
		}
		if (!named) {
			cb.excluded = excluded;
			cb.found = heur_found;
			cb.ctx = r;
			cb.max = r->lim.max_rcpts;
			nf_heur_recipients(text, tlen, r->elen, &cb);
			if (r->nres > 0 || r->nomem) {
				nf_buf_free(&diag);
				return;
			}
		}
		while ((f = nf_heur_find_addr(s, e, &alen)) != NULL && !r->nomem) {
			nf_heur_addr_copy(addr, f, alen);
			nf_buf_reset(&diag);
			if (!nf_heur_diag_for(text, tlen, r->elen, addr, &diag) || !diag.len)
				nf_heur_diag_any(text, tlen, r->elen, &diag);
			if (diag.len == 0)
				nf_heur_diag_indented(text, tlen, r->elen, &diag);
			heur_found(r, addr, nf_buf_cstr(&diag));
			s = f + alen;
		}
		nf_buf_free(&diag);
		if (r->nres > 0)
			return;
	}
	cb.excluded = excluded;
	cb.found = heur_found;
	cb.ctx = r;
	cb.max = r->lim.max_rcpts;
	nf_heur_recipients(text, tlen, r->elen, &cb);
	/* a notice about a bounce that was itself returned: its recipients */
	if (r->nres == 0 && !r->nomem)
		nf_rp_from_dsn(r, &r->ndsn);
	if (r->nres == 0 && !r->nomem)
		from_returned_to(r);
}

/* The fml list manager's notice that it refused a post: the list's
 * address ends a line in angle brackets ("... of this mailing list
 * <list@example.org>.", "Duplicated Message-ID in <list@example.org>.");
 * its reason is in the body or the subject.  Returns results added. */
static int
from_fml(struct nf_report *r)
{
	size_t tlen, n, alen;
	const char *text = nf_rp_text_of(r, &tlen), *s, *e, *le, *lt, *a;
	char addr[NF_HEUR_ADDR_MAX], lc[512];
	int hint;

	n = r->elen < tlen ? r->elen : tlen;
	hint = nf_mta_hint(NF_MTA_FML, nf_rp_section_lc(r));
	if (hint == NF_REASON_NONE) {
		nf_rp_lower_copy(lc, sizeof(lc), nf_buf_cstr(&r->subject));
		hint = nf_mta_hint(NF_MTA_FML, lc);
	}
	for (s = text, e = text + n; s < e && !r->nomem; s = le + 1) {
		struct result *res;

		if ((le = memchr(s, '\n', (size_t)(e - s))) == NULL)
			le = e;
		if (le - s < 4 || le[-1] != '.' || le[-2] != '>')
			continue;
		for (lt = le - 2; lt > s && *lt != '<'; lt--)
			;
		if (*lt != '<' || (a = nf_heur_find_addr(lt, le - 2, &alen)) == NULL)
			continue;
		nf_heur_addr_copy(addr, a, alen);
		if ((res = nf_rp_add_result(r, addr)) == NULL)
			continue;
		{
			char *d = malloc((size_t)(le - s) + 1);

			if (d == NULL) {
				r->nomem = 1;
				break;
			}
			memcpy(d, s, (size_t)(le - s));
			d[le - s] = '\0';
			res->diag = d;
		}
		res->remote_mta = nf_rp_dup_str(r, "");
		res->pub.action = "failed";
		nf_rp_finalize(r, res, "", hint, "");
	}
	return (int)r->nres;
}

static void
from_arf(struct nf_report *r)
{
	char addr[NF_HEUR_ADDR_MAX];
	size_t i;

	for (i = 0; i < r->arf.nrcpt; i++) {
		struct result *res;

		if (!nf_rp_first_addr(nf_buf_cstr(&r->arf.rcpt[i]), r->arf.rcpt[i].len, addr))
			continue;
		if ((res = nf_rp_add_result(r, addr)) != NULL)
			res->pub.feedback_type = nf_buf_cstr(&r->arf.feedback_type);
	}
	if (r->nres == 0) {
		const char *s = nf_buf_cstr(&r->ret_to), *e = s + r->ret_to.len, *f;
		size_t alen;

		while ((f = nf_heur_find_addr(s, e, &alen)) != NULL) {
			struct result *res;

			nf_heur_addr_copy(addr, f, alen);
			if ((res = nf_rp_add_result(r, addr)) != NULL)
				res->pub.feedback_type = nf_buf_cstr(&r->arf.feedback_type);
			s = f + alen;
		}
	}
	/* a real feedback report that names nobody (providers redact the
	 * complaining address): still one complaint, with recipient "", so
	 * intake can attribute it through the token */
	if (r->nres == 0 && r->arf.nfields > 0) {
		struct result *res = nf_rp_add_result(r, "");

		if (res != NULL)
			res->pub.feedback_type = nf_buf_cstr(&r->arf.feedback_type);
	}
	for (i = 0; i < r->nres; i++) {
		struct result *res = &r->res[i];

		res->diag = nf_rp_dup_str(r, "");
		res->remote_mta = nf_rp_dup_str(r, "");
		res->pub.action = "complaint";
		res->pub.reason = "feedback";
		res->pub.hard = 0;
	}
}

/* Amazon SES event notifications sent by e-mail (SNS): a JSON object
 * whose "notificationType" is "Complaint" (recipients in
 * "complainedRecipients") or "Delivery" (recipients in the "delivery"
 * object's "recipients" list).  Bounces in that form carry the failed
 * addresses and SMTP answers as text and are left to the heuristics.
 * Returns how many results were added. */
static const char *
find_in(const char *s, const char *e, const char *needle)
{
	size_t k = strlen(needle);

	while (s < e && (s = memchr(s, needle[0], (size_t)(e - s))) != NULL) {
		if ((size_t)(e - s) >= k && memcmp(s, needle, k) == 0)
			return s;
		s++;
	}
	return NULL;
}

static int
from_ses_json(struct nf_report *r)
{
	size_t tlen, alen;
	const char *text = nf_rp_text_of(r, &tlen), *e = text + tlen, *t, *list, *le, *f;
	char addr[NF_HEUR_ADDR_MAX], ftype[32] = "";
	int complaint;

	if ((t = find_in(text, e, "\"notificationType\":\"")) == NULL)
		return 0;
	t += 20;
	if (e - t > 9 && memcmp(t, "Complaint", 9) == 0)
		complaint = 1;
	else if (e - t > 8 && memcmp(t, "Delivery", 8) == 0)
		complaint = 0;
	else
		return 0;
	if (complaint) {
		list = find_in(text, e, "\"complainedRecipients\":[");
		if ((f = find_in(text, e, "\"complaintFeedbackType\":\"")) != NULL) {
			size_t i;

			f += 25;
			for (i = 0; f + i < e && f[i] != '"' && i + 1 < sizeof(ftype); i++)
				ftype[i] = (char)tolower((unsigned char)f[i]);
			ftype[i] = '\0';
		}
		if (ftype[0] && nf_buf_puts(&r->arf.feedback_type, ftype) == NF_BUF_NOMEM)
			r->nomem = 1;
	} else {
		const char *d = find_in(text, e, "\"delivery\":{");

		list = d ? find_in(d, e, "\"recipients\":[") : NULL;
	}
	if (list == NULL || (le = memchr(list, ']', (size_t)(e - list))) == NULL)
		return 0;
	for (f = list; (f = nf_heur_find_addr(f, le, &alen)) != NULL; f += alen) {
		struct result *res;

		nf_heur_addr_copy(addr, f, alen);
		if ((res = nf_rp_add_result(r, addr)) == NULL)
			continue;
		res->diag = nf_rp_dup_str(r, "");
		res->remote_mta = nf_rp_dup_str(r, "");
		if (complaint) {
			res->pub.action = "complaint";
			res->pub.reason = "feedback";
			res->pub.feedback_type = nf_buf_cstr(&r->arf.feedback_type);
		} else {
			res->pub.action = "delivered";
			res->pub.reason = "delivered";
			if ((t = find_in(text, e, "\"smtpResponse\":\"")) != NULL) {
				char resp[256];
				size_t i;

				t += 16;
				for (i = 0; t + i < e && t[i] != '"' && i + 1 < sizeof(resp); i++)
					resp[i] = t[i];
				resp[i] = '\0';
				nf_classify_find_status(resp, res->status, sizeof(res->status));
				nf_classify_find_reply(resp, res->reply, sizeof(res->reply));
				free(res->diag);
				res->diag = nf_rp_dup_str(r, resp);
			}
		}
		res->pub.hard = 0;
	}
	if (r->nres > 0)
		r->kind = complaint ? NF_REPORT_ARF : NF_REPORT_DSN;
	return (int)r->nres;
}

static void
from_autoreply(struct nf_report *r)
{
	char addr[NF_HEUR_ADDR_MAX];
	struct result *res;

	if (!nf_rp_first_addr(nf_buf_cstr(&r->from), r->from.len, addr))
		return;
	if ((res = nf_rp_add_result(r, addr)) == NULL)
		return;
	res->diag = nf_rp_dup_str(r, nf_buf_cstr(&r->subject));
	res->remote_mta = nf_rp_dup_str(r, "");
	res->pub.action = "delivered";
	res->pub.reason = "vacation";
	res->pub.hard = 0;
}

/* token: `<prefix>+<token>@domain` of the envelope recipient or To: */
static int
verp_token(struct nf_report *r, const char *v, size_t len)
{
	char addr[NF_HEUR_ADDR_MAX];
	const char *s = v, *e = v + len, *f;
	size_t alen;

	while ((f = nf_heur_find_addr(s, e, &alen)) != NULL) {
		const char *plus = memchr(f, '+', alen), *at = memchr(f, '@', alen);

		if (plus && at && plus < at && at - plus > 1) {
			nf_buf_reset(&r->token);
			nf_buf_append(&r->token, plus + 1, (size_t)(at - plus - 1));
			return 1;
		}
		nf_heur_addr_copy(addr, f, alen);
		s = f + alen;
	}
	return 0;
}

static void
find_token(struct nf_report *r)
{
	size_t tlen;
	const char *text = nf_rp_text_of(r, &tlen);
	struct nf_buf tmp;
	const char *m;

	if (!verp_token(r, nf_buf_cstr(&r->env_rcpt), r->env_rcpt.len) &&
	    !verp_token(r, nf_buf_cstr(&r->to), r->to.len)) {
		if (r->ret_token.len > 0)
			nf_buf_puts(&r->token, nf_buf_cstr(&r->ret_token));
		else
			nf_heur_quoted_header(text, tlen, r->elen, "x-notifilter-id", &r->token);
	}
	nf_buf_init(&tmp, 1024);
	if (r->ret_msgid.len > 0)
		nf_buf_puts(&tmp, nf_buf_cstr(&r->ret_msgid));
	else
		nf_heur_quoted_header(text, tlen, r->elen, "message-id", &tmp);
	m = nf_buf_cstr(&tmp);
	while (*m == ' ' || *m == '<')
		m++;
	nf_buf_append(&r->msgid, m, strcspn(m, "> \t"));
	nf_buf_free(&tmp);
}

int
nf_report_finish(struct nf_report *r)
{
	size_t i;

	if (r->finished)
		return r->nomem ? -1 : 0;
	r->finished = 1;
	if (nf_mime_finish(r->mime) < 0)
		r->nomem = 1;
	r->flags |= nf_mime_flags(r->mime);
	nf_dsn_end(&r->dsn);
	nf_dsn_end(&r->tdsn);
	nf_dsn_end(&r->ndsn);
	nf_arf_end(&r->arf);
	if (r->dsn.cut || r->tdsn.cut)
		r->flags |= NF_REPORT_CUT_RCPTS;
	if (r->nomem)
		return -1;
	{
		size_t tlen;
		const char *text = nf_rp_text_of(r, &tlen);

		r->elen = nf_heur_error_len(text, tlen);
	}
	find_token(r);
	r->mta = nf_mta_family(r->mta_sig);
	if (r->arf.feedback_type.len > 0) {
		r->kind = NF_REPORT_ARF;
		from_arf(r);
	} else if (nf_rp_from_dsn(r, &r->dsn) > 0) {
		r->kind = NF_REPORT_DSN;
	} else if (from_ses_json(r) > 0) {
		/* kind set there */
	} else if (r->mta == NF_MTA_FML && from_fml(r) > 0) {
		r->kind = NF_REPORT_HEURISTIC;
	} else if (is_complaint(r)) {
		/* a complaint that is not in ARF form (an abuse desk forwarding
		 * the message): the recipient is the returned message's To: */
		r->kind = NF_REPORT_ARF;
		if (nf_buf_puts(&r->arf.feedback_type, "abuse") == NF_BUF_NOMEM)
			r->nomem = 1;
		from_arf(r);
	} else if (is_autoreply(r)) {
		r->kind = NF_REPORT_AUTOREPLY;
		from_autoreply(r);
	} else if (is_bounce(r) && nf_rp_from_dsn(r, &r->tdsn) > 0) {
		r->kind = NF_REPORT_DSN;
	} else if (is_bounce(r)) {
		r->kind = NF_REPORT_HEURISTIC;
		from_heuristics(r);
	}
	if (r->nres == 0)
		r->kind = NF_REPORT_NONE;
	for (i = 0; i < r->nres; i++) {
		struct result *res = &r->res[i];

		res->pub.recipient = res->recipient;
		res->pub.status = res->status;
		res->pub.reply = res->reply;
		res->pub.diagnostic = res->diag ? res->diag : "";
		res->pub.remote_mta = res->remote_mta ? res->remote_mta : "";
		if (res->pub.reason == NULL)
			res->pub.reason = "undefined";
		lower(res->recipient);
	}
	return r->nomem ? -1 : 0;
}
