/*
 * report_rcpt.c - one result per recipient of a report (see report_int.h).
 *
 * Adds results (one per address, at most max_rcpts), reads them out of a
 * DSN's per-recipient records (Action and Status normalised; without a
 * Diagnostic-Code, the text's paragraph about the address), and
 * nf_rp_finalize() fills status, reply, reason, hard and action with
 * classify.c, the author's templates and the refusing provider's codes
 * (report_mta.c).  The free-text and other non-DSN sources that also add
 * results are in report_kind.c.
 *
 * Ownership: results and their strings belong to the report (report.c
 * frees them); the lower-cased error section is cached in it.  Failure:
 * out of memory sets r->nomem (the caller stops and push/finish return -1);
 * a recipient beyond max_rcpts sets NF_REPORT_CUT_RCPTS, never silently.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "dsn.h"
#include "heur.h"
#include "report_int.h"
#include "report_mta.h"

/* First address in a header value, lower case, into dst; 1 when found. */
int
nf_rp_first_addr(const char *v, size_t len, char *dst)
{
	size_t alen;
	const char *a = nf_heur_find_addr(v, v + len, &alen);

	dst[0] = '\0';
	if (a == NULL)
		return 0;
	nf_heur_addr_copy(dst, a, alen);
	return 1;
}

/* An address a DSN field names explicitly may have a domain of one label
 * (a host of the reporting site: "user@mailhub"), which free text could
 * not tell from noise; 1 when v is such an address alone. */
static int
dsn_addr(const char *v, char *dst)
{
	size_t n, i, at = 0, nat = 0;

	if (nf_rp_first_addr(v, strlen(v), dst))
		return 1;
	while (*v == ' ' || *v == '<')
		v++;
	n = strcspn(v, " >\t\r\n");
	if (n == 0 || n >= NF_HEUR_ADDR_MAX || v[n + strspn(v + n, " >\t\r\n")] != '\0')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '@') {
			at = i;
			nat++;
		} else if (!(isalnum(c) || strchr(".-_+=", c) != NULL)) {
			return 0;
		}
	}
	if (nat != 1 || at == 0 || at + 1 == n)
		return 0;
	nf_heur_addr_copy(dst, v, n);
	return 1;
}

struct result *
nf_rp_add_result(struct nf_report *r, const char *addr)
{
	struct result *res;
	size_t i;

	for (i = 0; i < r->nres; i++)
		if (strcmp(r->res[i].recipient, addr) == 0)
			return NULL;	/* one result per recipient */
	if (r->nres >= r->lim.max_rcpts) {
		r->flags |= NF_REPORT_CUT_RCPTS;
		return NULL;
	}
	res = realloc(r->res, (r->nres + 1) * sizeof(*r->res));
	if (res == NULL) {
		r->nomem = 1;
		return NULL;
	}
	r->res = res;
	res = &r->res[r->nres++];
	memset(res, 0, sizeof(*res));
	snprintf(res->recipient, sizeof(res->recipient), "%s", addr);
	res->pub.action = "";
	res->pub.feedback_type = "";
	return res;
}

char *
nf_rp_dup_str(struct nf_report *r, const char *s)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		r->nomem = 1;
	return d;
}

/* The callers look for words in a bounded prefix of a header or a
 * diagnostic: what does not fit in dst is left out on purpose. */
void
nf_rp_lower_copy(char *dst, size_t dstlen, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < dstlen; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[i] = '\0';
}

/* A word a field's value begins with (after blanks, any case) and what
 * it stands for: an Action (norm_action) or a reason (category_reason). */
struct stem {
	const char *word;
	const char *action;
	int reason;
};

static const struct stem *
lead_stem(const char *v, const struct stem *t, size_t n)
{
	size_t i;

	while (*v == ' ')
		v++;
	for (i = 0; i < n; i++)
		if (strncasecmp(v, t[i].word, strlen(t[i].word)) == 0)
			return &t[i];
	return NULL;
}

static const char *
norm_action(const char *v)
{
	static const struct stem t[] = {
		{ "fail", "failed", NF_REASON_NONE }, { "delay", "delayed", NF_REASON_NONE },
		{ "deliver", "delivered", NF_REASON_NONE }, { "relay", "relayed", NF_REASON_NONE },
		{ "expand", "expanded", NF_REASON_NONE }, { "expire", "failed", NF_REASON_NONE },
	};
	const struct stem *st = lead_stem(v, t, sizeof(t) / sizeof(t[0]));

	return st ? st->action : "";
}

/* Status value "5.1.1 (extra)" -> "5.1.1" when well formed. */
static void
norm_status(const char *v, char *dst, size_t dstlen)
{
	char tmp[64];
	size_t n = strcspn(v, " \t;(");

	dst[0] = '\0';
	if (n >= sizeof(tmp))
		return;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (nf_classify_find_status(tmp, dst, dstlen) && strcmp(dst, tmp) != 0)
		dst[0] = '\0';
}

const char *
nf_rp_text_of(const struct nf_report *r, size_t *len)
{
	if (r->text.len == 0 && r->html.len > 0) {
		*len = r->html.len;
		return nf_buf_cstr(&r->html);
	}
	*len = r->text.len;
	return nf_buf_cstr(&r->text);
}

/* The command the whole error section names (a transcript's ">>> DATA"),
 * worked out once per report. */
const char *
nf_rp_section_lc(struct nf_report *r)
{
	size_t tlen, n, i;
	const char *text;

	if (r->sect_lc != NULL)
		return r->sect_lc;
	text = nf_rp_text_of(r, &tlen);
	n = r->elen < tlen ? r->elen : tlen;
	if (n > 16384)
		n = 16384;
	if ((r->sect_lc = malloc(n + 1)) == NULL) {
		r->nomem = 1;
		return "";
	}
	for (i = 0; i < n; i++)
		r->sect_lc[i] = (char)tolower((unsigned char)text[i]);
	r->sect_lc[n] = '\0';
	return r->sect_lc;
}

static int
section_command(struct nf_report *r)
{
	if (r->sect_cmd >= 0)
		return r->sect_cmd;
	r->sect_cmd = nf_classify_command_strict(nf_rp_section_lc(r));
	return r->sect_cmd;
}

/* A reason the author's template (report_mta.c) names for this result:
 * in the server's answer, else in the error section. */
static int
author_hint(struct nf_report *r, const char *lc_diag)
{
	int h;

	if (r->mta == NF_MTA_NONE)
		return NF_REASON_NONE;
	/* au's spam filter marks what it refused */
	if (r->mta == NF_MTA_EZWEB && (r->mta_sig & NF_MTA_SIG_EZWEB_NG))
		return NF_REASON_FILTERED;
	if ((h = nf_mta_hint(r->mta, lc_diag)) != NF_REASON_NONE)
		return h;
	return nf_mta_hint(r->mta, nf_rp_section_lc(r));
}


/* The server a free-text diagnostic names ("host mx.example.org
 * [192.0.2.1]: 550 ...", "host: smtp.example.org (192.0.2.1) reason:"),
 * lower case, or "". */
static void
diag_host(const char *diag, char *dst, size_t dstlen)
{
	const char *p;

	dst[0] = '\0';
	for (p = diag; (p = strstr(p, "host")) != NULL; p += 4) {
		const char *h = p + 4;
		size_t n, i;
		int dot = 0;

		if ((p > diag && isalnum((unsigned char)p[-1])) || (*h != ' ' && *h != ':'))
			continue;
		h += strspn(h, ": ");
		for (n = 0; isalnum((unsigned char)h[n]) || h[n] == '.' || h[n] == '-'; n++)
			dot |= h[n] == '.';
		if (!dot || n >= dstlen ||
		    (strncmp(h + n, " [", 2) != 0 && strncmp(h + n, " (", 2) != 0))
			continue;
		for (i = 0; i < n; i++)
			dst[i] = (char)tolower((unsigned char)h[i]);
		dst[n] = '\0';
		return;
	}
}

/* Fill status, reply, reason, hard and action from what the result has. */
void
nf_rp_finalize(struct nf_report *r, struct result *res, const char *diag_type, int hint,
    const char *context)
{
	char st[16], lc[2048];
	struct nf_classify_in in;
	const char *diag = res->diag ? res->diag : "";
	int reason;

	if (strcasecmp(diag_type, "x-unix") != 0 &&
	    nf_classify_find_status(diag, st, sizeof(st))) {
		/* a precise code in the server's words beats the DSN's Status */
		if ((st[0] == '4' || st[0] == '5') && st[2] >= '1' && st[2] <= '9' &&
		    st[4] >= '1' && st[4] <= '9' && st[5] == '\0')
			snprintf(res->status, sizeof(res->status), "%s", st);
		else if (res->status[0] == '\0' || (strcmp(res->status + 1, ".0.0") == 0 &&
		    strcmp(st + 1, ".0.0") != 0))
			/* the server's code says more than a Status of X.0.0 */
			snprintf(res->status, sizeof(res->status), "%s", st);
	}
	if (strcasecmp(diag_type, "x-unix") != 0)
		nf_classify_find_reply(diag, res->reply, sizeof(res->reply));
	nf_rp_lower_copy(lc, sizeof(lc), diag);
	if (hint == NF_REASON_NONE)
		hint = author_hint(r, lc);
	if (hint == NF_REASON_NONE)
		hint = nf_heur_hint(lc);
	if (hint == NF_REASON_NONE && diag[0] == '\0' && context && context[0]) {
		/* nothing from the server: the bounce's own words may say why */
		char lc3[4096];

		nf_rp_lower_copy(lc3, sizeof(lc3), context);
		hint = nf_heur_hint(lc3);
	}
	in.status = res->status;
	in.reply = res->reply;
	in.diag = diag;
	in.diag_type = diag_type;
	in.action = res->pub.action;
	in.command = nf_classify_command_memo(lc, &r->memo);
	/* James lists the envelope ("MAIL FROM: ...", "RCPT TO: ...") under
	 * its message details: names of commands, not where it failed */
	if (in.command == NF_CMD_NONE && context && context[0] && r->mta != NF_MTA_JAMES) {
		/* the text part often names the command the diagnostic leaves out */
		char lc2[2048];

		nf_rp_lower_copy(lc2, sizeof(lc2), context);
		in.command = nf_classify_command_memo(lc2, &r->memo);
	}
	if (in.command == NF_CMD_NONE && r->mta != NF_MTA_JAMES)
		in.command = section_command(r);
	in.hint = hint;
	reason = nf_classify_memo(&in, &r->memo);
	if (nf_classify_vague(hint) && strcmp(res->pub.action, "delivered") != 0) {
		/* the refusing provider's own code scheme, unless the format
		 * named a clear reason */
		const char *at = strrchr(res->recipient, '@');
		char host[256];
		int pr;

		if (res->remote_mta == NULL || res->remote_mta[0] == '\0')
			diag_host(diag, host, sizeof(host));
		else
			snprintf(host, sizeof(host), "%s", res->remote_mta);
		pr = nf_rhost_reason(host, at ? at + 1 : "", diag, res->status, res->reply,
		    in.command);

		if (pr != NF_REASON_NONE)
			reason = pr;
	}
	if (strcmp(res->pub.action, "delivered") == 0 && reason != NF_REASON_VACATION)
		reason = NF_REASON_DELIVERED;
	res->pub.reason = nf_reason_name(reason);
	res->pub.hard = nf_classify_hard(reason, res->status, res->reply);
	if (res->pub.action[0] == '\0') {
		if (reason == NF_REASON_DELIVERED || reason == NF_REASON_VACATION)
			res->pub.action = "delivered";
		else if (reason == NF_REASON_FEEDBACK)
			res->pub.action = "complaint";
		else if (reason == NF_REASON_EXPIRED && res->status[0] == '4')
			res->pub.action = "delayed";
		else
			res->pub.action = "failed";
	}
	(void)r;
}

static int
diag_names_command(struct nf_report *r, const char *diag)
{
	char lc[2048];

	nf_rp_lower_copy(lc, sizeof(lc), diag);
	return nf_classify_command_memo(lc, &r->memo) != NF_CMD_NONE;
}

/* PowerMTA's own verdict on a failed recipient (X-PowerMTA-BounceCategory,
 * its documented category names), as a reason the format states. */
static int
category_reason(const char *v)
{
	static const struct stem t[] = {
		{ "bad-mailbox", NULL, NF_REASON_USERUNKNOWN },
		{ "bad-domain", NULL, NF_REASON_HOSTUNKNOWN },
		{ "inactive-mailbox", NULL, NF_REASON_SUSPEND },
		{ "quota-issues", NULL, NF_REASON_MAILBOXFULL },
		{ "message-expired", NULL, NF_REASON_EXPIRED },
		{ "spam-related", NULL, NF_REASON_SPAMDETECTED },
		{ "policy-related", NULL, NF_REASON_POLICYVIOLATION },
		{ "virus-related", NULL, NF_REASON_VIRUSDETECTED },
		{ "content-related", NULL, NF_REASON_CONTENTERROR },
		{ "relaying-issues", NULL, NF_REASON_NORELAYING },
		{ "invalid-sender", NULL, NF_REASON_REJECTED },
		{ "no-answer-from-host", NULL, NF_REASON_NETWORKERROR },
		{ "bad-connection", NULL, NF_REASON_NETWORKERROR },
		{ "routing-errors", NULL, NF_REASON_NETWORKERROR },
		{ "bad-configuration", NULL, NF_REASON_SYSTEMERROR },
		{ "protocol-errors", NULL, NF_REASON_SYNTAXERROR },
	};
	const struct stem *st = lead_stem(v, t, sizeof(t) / sizeof(t[0]));

	return st ? st->reason : NF_REASON_NONE;
}

int
nf_rp_from_dsn(struct nf_report *r, struct nf_dsn *d)
{
	size_t i, tlen, n = 0;
	const char *text = nf_rp_text_of(r, &tlen);
	struct nf_buf tmp;

	nf_buf_init(&tmp, 4096);
	for (i = 0; i < d->n && !r->nomem; i++) {
		struct nf_dsn_rcpt *rc = &d->rcpt[i];
		char addr[NF_HEUR_ADDR_MAX], type[32];
		const char *v;
		struct result *res;

		v = nf_dsn_typed(nf_buf_cstr(&rc->f[NF_DSN_FINAL_RCPT]), type, sizeof(type));
		if (!dsn_addr(v, addr)) {
			v = nf_dsn_typed(nf_buf_cstr(&rc->f[NF_DSN_ORIG_RCPT]), type, sizeof(type));
			if (!nf_rp_first_addr(v, strlen(v), addr))
				continue;
		}
		if ((res = nf_rp_add_result(r, addr)) == NULL)
			continue;
		n++;
		res->pub.action = norm_action(nf_buf_cstr(&rc->f[NF_DSN_ACTION]));
		norm_status(nf_buf_cstr(&rc->f[NF_DSN_STATUS]), res->status, sizeof(res->status));
		res->remote_mta = nf_rp_dup_str(r,
		    nf_dsn_typed(nf_buf_cstr(&rc->f[NF_DSN_REMOTE_MTA]), type, sizeof(type)));
		v = nf_dsn_typed(nf_buf_cstr(&rc->f[NF_DSN_DIAG]), type, sizeof(type));
		nf_buf_reset(&tmp);
		if (*v == '\0') {
			/* no Diagnostic-Code: the text part usually says it */
			if (!nf_heur_diag_for(text, tlen, r->elen, addr, &tmp) || !tmp.len)
				nf_heur_diag_any(text, tlen, r->elen, &tmp);
			v = nf_buf_cstr(&tmp);
		}
		res->diag = nf_rp_dup_str(r, v);
		/* the text's paragraph about the address is context for
		 * nf_rp_finalize(): only needed when the diagnostic names no command */
		if (v != nf_buf_cstr(&tmp) && !diag_names_command(r, v)) {
			nf_buf_reset(&tmp);
			nf_heur_diag_for(text, tlen, r->elen, addr, &tmp);
		} else if (v != nf_buf_cstr(&tmp)) {
			nf_buf_reset(&tmp);
		}
		nf_rp_finalize(r, res, type, category_reason(nf_buf_cstr(&rc->f[NF_DSN_CATEGORY])),
		    nf_buf_cstr(&tmp));
	}
	nf_buf_free(&tmp);
	return (int)n;
}
