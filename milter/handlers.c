/*
 * handlers.c - what the milter does at each protocol step, for
 * notification traffic (Senders) only.
 *
 * CONNECT tells the two Postfix paths apart; MAIL decides whether the
 * message is notification traffic at all (everything else is accepted at
 * once, unrecorded, so Postfix skips the remaining steps); RCPT decides
 * each distinct recipient once, through one store lookup and lib/policy;
 * HEADER keeps the few header values the record needs (ctx.c, bounded);
 * EOM applies removals or discards the message, then tags it; ABORT and
 * CLOSE end the message.  Every first decision is buffered in the message
 * and becomes an event when the message ends (ctx.c).
 *
 * Tagging (EOM, Mode enforce, a message with at least one allowed
 * recipient, BounceDomain and SecretFile set): a fresh token (tag.c);
 * X-Notifilter-ID copies the application wrote are removed and ours is
 * added; the envelope sender becomes the VERP address; with RequestDSN each
 * allowed recipient whose client gave no NOTIFY is removed and re-added
 * with NOTIFY=SUCCESS,FAILURE,DELAY and ORCPT.  Every copy of every control
 * header is removed, last to first, also when tagging is off.  Monitor mode
 * makes no edit but still records the message (applied = 0).  Mail with a
 * null sender is never touched (Postfix's own bounces pass here when
 * internal_mail_filter_classes includes bounce).  Any edit the MTA refuses
 * tempfails the message, so nothing leaves half-tagged.
 *
 * The non-SMTP path (sendmail(1) -> pickup -> cleanup, and mail Postfix
 * generates itself) cannot reject or tempfail a recipient: Postfix calls
 * that a configuration error and leaves the file in maildrop for ever.
 * So there blocked recipients are removed at EOM, a message left with none
 * is discarded, and a store failure tempfails the whole message at EOM
 * (it stays in maildrop and is retried).  The path is recognised at
 * CONNECT/MAIL, which run in smtpd for SMTP mail (at EOM {daemon_name}
 * comes from cleanup for both paths, so it cannot be used there):
 *   - {daemon_name} equals NonSmtpdName (Postfix cleanup run
 *     with -o milter_macro_daemon_name=nonsmtpd), or
 *   - Postfix's emulated session: CONNECT from "localhost" at a loopback
 *     address and a MAIL argument without angle brackets (smtpd always
 *     passes the client's "<...>"; cleanup passes the bare address).
 * A mistake in the second rule can only turn a 550 into a removal, never
 * a removal into an impossible reject.
 *
 * Failure: out of memory and store errors are mapped to a temporary
 * failure (or OnStoreError accept); nothing here exits or asserts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "ctx.h"
#include "log.h"
#include "milter.h"
#include "phone.h"
#include "policy.h"
#include "tag.h"

#define NF_REPLY_MAX 1200

/* Protocol steps notifilter does not need: Postfix then skips them.
 * Headers are needed (the record and the control headers). */
#define NF_SKIP_STEPS (SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOBODY | \
	SMFIP_NOUNKNOWN | SMFIP_NODATA)

static struct nf_conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

sfsistat
nf_handle_negotiate(SMFICTX *ctx, struct nf_conf *conf, unsigned long f0,
    unsigned long f1, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	*pf0 = f0 & NF_MILTER_EDITS;
	if (!(f0 & SMFIF_DELRCPT))
		nf_warn("the MTA does not allow recipient removal: drop and "
		    "non-SMTP decisions will tempfail their messages");
	if ((f0 & NF_MILTER_EDITS) != NF_MILTER_EDITS && conf != NULL &&
	    conf->mode != NF_MODE_MONITOR)
		nf_warn("the MTA does not offer every edit notifilter makes "
		    "(offered 0x%lx, needs 0x%lx: headers, sender, recipients "
		    "with parameters; Postfix >= 3.0): policed messages whose "
		    "edits it refuses will be tempfailed", f0 & NF_MILTER_EDITS,
		    (unsigned long)NF_MILTER_EDITS);
	*pf1 = f1 & NF_SKIP_STEPS;
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		/* ask only for the macros used; this replaces the MTA's
		 * default lists for these stages */
		*pf0 |= SMFIF_SETSYMLIST;
		if (smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_ENVFROM, "i") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS)
			nf_warn("could not request the macro lists; using the MTA's defaults");
	}
	return SMFIS_CONTINUE;
}

static int
sa_is_loopback(const _SOCK_ADDR *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}

sfsistat
nf_handle_connect(SMFICTX *ctx, struct nf_conf *conf, const char *host,
    const _SOCK_ADDR *sa)
{
	struct nf_conn *c = conn_of(ctx);
	const char *dn;

	if (c == NULL) {
		c = nf_conn_new();
		if (c == NULL) {
			nf_err("out of memory at connect: tempfailing the connection");
			return SMFIS_TEMPFAIL;
		}
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			nf_conn_free(c);
			return SMFIS_TEMPFAIL;
		}
	}
	if (conf == NULL || conf->nsenders == 0)
		return SMFIS_ACCEPT;	/* nothing is policed: stay out of the way */
	dn = smfi_getsymval(ctx, "{daemon_name}");
	c->nonsmtp_name = dn != NULL &&
	    strcasecmp(dn, conf->nonsmtpd_name) == 0;
	c->local_emul = host != NULL && strcasecmp(host, "localhost") == 0 &&
	    sa_is_loopback(sa);
	return SMFIS_CONTINUE;
}

sfsistat
nf_handle_mail(SMFICTX *ctx, struct nf_conf *conf, struct nf_milter_key *key,
    char **argv)
{
	struct nf_conn *c = conn_of(ctx);
	const char *sender = argv != NULL && argv[0] != NULL ? argv[0] : "";
	int nonsmtp;

	if (c == NULL) {
		/* CONNECT was not seen (cannot happen with Postfix); decide
		 * with what MAIL alone says */
		c = nf_conn_new();
		if (c == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
			nf_conn_free(c);
			return SMFIS_TEMPFAIL;
		}
	}
	/* a message the MTA never ended (no ABORT): end it now */
	nf_conn_end_msg(c, "aborted");
	if (conf == NULL || !nf_policy_is_notification(conf, sender))
		return SMFIS_ACCEPT;
	nonsmtp = c->nonsmtp_name || (c->local_emul && sender[0] != '<');
	c->msg = nf_msg_new(conf, key, sender, nonsmtp);
	if (c->msg == NULL) {
		nf_err("out of memory at MAIL: tempfailing the message");
		return SMFIS_TEMPFAIL;
	}
	c->nmsg++;
	nf_msg_set_qid(c->msg, smfi_getsymval(ctx, "i"));
	return SMFIS_CONTINUE;
}

/* smfi_setreply text: printable ASCII only, and '%' doubled (libmilter
 * ignores a text with a lone '%'). */
static void
reply_text(char *out, size_t outlen, const char *fmt_head, const char *reason)
{
	size_t o = 0;
	const char *parts[3] = { fmt_head, reason, "; see notifilterctl trace" };
	size_t k;

	for (k = 0; k < 3; k++) {
		const unsigned char *p = (const unsigned char *)parts[k];

		for (; *p != '\0' && o + 3 < outlen; p++) {
			if (*p == '%') {
				out[o++] = '%';
				out[o++] = '%';
			} else
				out[o++] = (*p < 0x20 || *p > 0x7e) ? '?' : (char)*p;
		}
	}
	out[o] = '\0';
}

static sfsistat
reply_and(SMFICTX *ctx, const char *rcode, const char *xcode,
    const char *reason, sfsistat rc)
{
	char text[NF_REPLY_MAX];

	reply_text(text, sizeof(text), "notifilter: ", reason);
	if (smfi_setreply(ctx, (char *)rcode, (char *)xcode, text) != MI_SUCCESS)
		nf_warn("smfi_setreply %s %s failed; the MTA's default text is used",
		    rcode, xcode);
	return rc;
}

static sfsistat
reject_rcpt(SMFICTX *ctx, const struct nf_rcpt *r)
{
	return reply_and(ctx, "550", "5.7.1", r->reason ? r->reason :
	    "recipient blocked by policy", SMFIS_REJECT);
}

static sfsistat
tempfail_rcpt(SMFICTX *ctx)
{
	return reply_and(ctx, "451", "4.3.0",
	    "cannot check the recipient against the consent and suppression "
	    "store now; try again later", SMFIS_TEMPFAIL);
}

static void
log_decision(const struct nf_msg *m, const struct nf_rcpt *r)
{
	char masked[NF_LOG_MASK_MAX];
	enum nf_log_level lvl = r->action == NF_ACT_ALLOWED ? NF_LOG_DEBUG :
	    NF_LOG_INFO;

	if (nf_log_get_level() < lvl)
		return;
	nf_log(lvl, "%s: %s %s rule=%s path=%s (%s)",
	    m->qid[0] ? m->qid : "NOQUEUE", nf_action_name(r->action),
	    nf_log_mask(r->key ? r->key : r->arg, masked, sizeof(masked)),
	    r->rule ? r->rule : "-", m->nonsmtp ? "nonsmtp" : "smtp",
	    r->reason ? r->reason : "");
}

/* Apply a decision already made for r (first time or repeat). */
static sfsistat
rcpt_apply(SMFICTX *ctx, struct nf_msg *m, struct nf_rcpt *r, int store_failed)
{
	const struct nf_conf *conf = m->conf;

	if (conf->mode == NF_MODE_MONITOR) {
		r->action = r->verdict == NF_VERDICT_BLOCK ? NF_ACT_MONITORED :
		    NF_ACT_ALLOWED;
		m->nkept++;
		return SMFIS_CONTINUE;
	}
	if (r->verdict == NF_VERDICT_ALLOW) {
		r->action = NF_ACT_ALLOWED;
		m->nkept++;
		return SMFIS_CONTINUE;
	}
	if (store_failed) {
		if (m->nonsmtp) {
			r->action = NF_ACT_DEFERRED;
			m->tempfail_eom = 1;
			m->nkept++;
			return SMFIS_CONTINUE;
		}
		r->action = NF_ACT_TEMPFAILED;
		return tempfail_rcpt(ctx);
	}
	if (m->nonsmtp || conf->blocked_recipient == NF_BLOCKED_DROP) {
		r->action = NF_ACT_DROPPED;
		m->ndropped++;
		return SMFIS_CONTINUE;
	}
	r->action = NF_ACT_REJECTED;
	return reject_rcpt(ctx, r);
}

/* Past NF_MSG_MAX_RCPT or out of memory: the recipient cannot be
 * tracked, so it must not pass unchecked. */
static sfsistat
rcpt_untracked(SMFICTX *ctx, struct nf_msg *m)
{
	nf_warn("%s: recipient could not be tracked (over %d recipients or "
	    "out of memory): %s", m->qid[0] ? m->qid : "NOQUEUE",
	    NF_MSG_MAX_RCPT, m->nonsmtp ? "the message will be tempfailed" :
	    "tempfailing it");
	if (m->nonsmtp) {
		m->tempfail_eom = 1;
		return SMFIS_CONTINUE;
	}
	return reply_and(ctx, "452", "4.5.3",
	    "too many recipients to check in one message; send the rest "
	    "in another", SMFIS_TEMPFAIL);
}

sfsistat
nf_handle_rcpt(SMFICTX *ctx, char **argv)
{
	struct nf_conn *c = conn_of(ctx);
	struct nf_msg *m = c != NULL ? c->msg : NULL;
	const char *arg = argv != NULL && argv[0] != NULL ? argv[0] : "";
	char key[NF_ADDR_MAX + 1];
	const char *why = NULL;
	struct nf_email_state st;
	struct nf_decision d;
	struct nf_rcpt *r, *prev;
	uint32_t h;
	int rc;

	if (m == NULL)
		return SMFIS_CONTINUE;
	if (m->qid[0] == '\0')
		nf_msg_set_qid(m, smfi_getsymval(ctx, "i"));
	if (nf_addr_normalize(arg, key, sizeof(key), &why) != 0) {
		char masked[NF_LOG_MASK_MAX];

		nf_warn("%s: recipient %s not understood (%s): passed through "
		    "undecided", m->qid[0] ? m->qid : "NOQUEUE",
		    nf_log_mask(arg, masked, sizeof(masked)), why ? why : "?");
		if (nf_msg_add(m, arg, NULL, 0) == NULL)
			return rcpt_untracked(ctx, m);
		m->nkept++;
		return SMFIS_CONTINUE;
	}
	h = nf_key_hash(key);
	prev = nf_msg_find(m, key, h);
	r = nf_msg_add(m, arg, key, h);
	if (r == NULL)
		return rcpt_untracked(ctx, m);
	if (argv != NULL && argv[0] != NULL &&
	    nf_rcpt_set_esmtp(r, argv + 1) != 0) {
		r->rule = NULL;
		return rcpt_untracked(ctx, m);
	}
	if (prev != NULL) {
		/* decided once per message: repeat the answer, no new event
		 * (prev may have moved with the realloc: find it again) */
		prev = nf_msg_find(m, key, h);
		r->repeat = 1;
		r->verdict = prev->verdict;
		r->rule = prev->rule;
		r->time = prev->time;
		if (prev->reason != NULL && nf_rcpt_set_reason(r, prev->reason) != 0)
			return rcpt_untracked(ctx, m);
		return rcpt_apply(ctx, m, r,
		    prev->action == NF_ACT_TEMPFAILED ||
		    prev->action == NF_ACT_DEFERRED);
	}
	r->time = (int64_t)time(NULL);
	rc = nf_milter_store_lookup(key, &st);
	nf_policy_decide(m->conf, rc == NF_STORE_OK ? &st : NULL, &d);
	r->verdict = d.verdict;
	r->rule = d.rule;
	if (nf_rcpt_set_reason(r, d.reason) != 0) {
		r->rule = NULL;
		return rcpt_untracked(ctx, m);
	}
	if (rc != NF_STORE_OK) {
		char masked[NF_LOG_MASK_MAX];

		nf_warn("%s: store could not answer for %s (error %d): "
		    "OnStoreError %s", m->qid[0] ? m->qid : "NOQUEUE",
		    nf_log_mask(key, masked, sizeof(masked)), rc,
		    m->conf->on_store_error == NF_ONSTORE_ACCEPT ? "accept" :
		    "tempfail");
	}
	{
		sfsistat ret = rcpt_apply(ctx, m, r, rc != NF_STORE_OK);

		log_decision(m, r);
		return ret;
	}
}

sfsistat
nf_handle_header(SMFICTX *ctx, const char *name, const char *value)
{
	struct nf_conn *c = conn_of(ctx);
	struct nf_msg *m = c != NULL ? c->msg : NULL;

	if (m == NULL || name == NULL)
		return SMFIS_CONTINUE;
	if (nf_msg_header(m, name, value) != 0 && !m->tempfail_eom) {
		nf_err("%s: out of memory keeping header %s: the message will "
		    "be tempfailed", m->qid[0] ? m->qid : "NOQUEUE", name);
		m->tempfail_eom = 1;
	}
	return SMFIS_CONTINUE;
}

static int
sender_is_null(const char *s)
{
	return s[0] == '\0' || strcmp(s, "<>") == 0;
}

/* Remove every copy of one header, last to first (so the indexes of the
 * copies still to go do not move).  0, or -1 when the MTA refused. */
static int
del_copies(SMFICTX *ctx, const struct nf_msg *m, enum nf_hdr_id id)
{
	unsigned long i;

	for (i = m->hdr[id].copies; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)nf_hdr_name(id), (int)i,
		    NULL) != MI_SUCCESS)
			return -1;
	return 0;
}

/* Facts of the headers, for the record and the log. */
static void
eom_header_facts(struct nf_msg *m, const char *qid, int monitor)
{
	const char *why = NULL;
	int k;

	for (k = NF_HDR_FIRST_CONTROL; k <= NF_HDR_LAST_CONTROL; k++)
		if (m->hdr[k].copies > 1)
			nf_info("%s: %s appears %lu times: the first non-empty "
			    "one is recorded%s", qid, nf_hdr_name((enum nf_hdr_id)k),
			    m->hdr[k].copies, monitor ? "" : ", every copy removed");
	if (m->hdr[NF_HDR_PHONE].value == NULL)
		return;
	m->phone_valid = !m->hdr[NF_HDR_PHONE].cut &&
	    nf_phone_normalize(m->hdr[NF_HDR_PHONE].value,
	    m->conf->default_country, m->phone, sizeof(m->phone), &why) == 0;
	if (!m->phone_valid) {
		m->phone[0] = '\0';
		nf_warn("%s: X-Notifilter-Phone is not a valid phone number "
		    "(%s): recorded as given, never used", qid,
		    why ? why : "longer than any phone number");
	}
}

/*
 * RequestDSN: remove each allowed recipient whose client gave no NOTIFY
 * and add it back with NOTIFY=SUCCESS,FAILURE,DELAY and ORCPT (one pair of
 * edits per distinct spelling).  0, or -1 with *what naming the edit the
 * MTA refused.
 */
static int
dsn_readd(SMFICTX *ctx, struct nf_msg *m, const char **what)
{
	const char *qid = m->qid[0] ? m->qid : "NOQUEUE";
	size_t i;

	for (i = 0; i < m->nrcpt; i++) {
		struct nf_rcpt *r = &m->rcpt[i];
		const struct nf_rcpt *first = r;
		char args[NF_TAG_ARGS_MAX];

		if (r->action != NF_ACT_ALLOWED)
			continue;
		if (r->repeat) {
			/* the same address again: once is enough, unless
			 * the MTA holds it under another spelling */
			first = nf_msg_find(m, r->key, r->hash);
			if (first == NULL || strcmp(first->arg, r->arg) == 0)
				continue;
		}
		if (first->client_notify)
			continue;	/* the client's own choice stays */
		if (nf_tag_dsn_args(r->arg, first->client_orcpt, args,
		    sizeof(args)) != 0) {
			char masked[NF_LOG_MASK_MAX];

			nf_warn("%s: recipient %s too long to re-add with DSN "
			    "parameters: left as it is", qid,
			    nf_log_mask(r->arg, masked, sizeof(masked)));
			continue;
		}
		*what = "remove a recipient to re-add it with NOTIFY";
		if (smfi_delrcpt(ctx, r->arg) != MI_SUCCESS)
			return -1;
		*what = "re-add a recipient with NOTIFY (smfi_addrcpt_par, "
		    "Postfix >= 3.0)";
		if (smfi_addrcpt_par(ctx, r->arg, args) != MI_SUCCESS)
			return -1;
		r->dsn_readded = 1;
	}
	return 0;
}

/*
 * Tag the message (see the contract at the top).  Returns 0, or -1 when
 * it must be tempfailed (logged here); then m->record is 0.
 */
static int
eom_tag(SMFICTX *ctx, struct nf_msg *m)
{
	const struct nf_conf *conf = m->conf;
	const char *qid = m->qid[0] ? m->qid : "NOQUEUE";
	const char *what = NULL, *why = NULL;
	int monitor = conf->mode == NF_MODE_MONITOR;
	size_t i, nallowed = 0;
	int k;

	eom_header_facts(m, qid, monitor);
	for (i = 0; i < m->nrcpt; i++)
		if (!m->rcpt[i].repeat && (m->rcpt[i].action == NF_ACT_ALLOWED ||
		    m->rcpt[i].action == NF_ACT_MONITORED))
			nallowed++;
	if (nallowed > 0 && m->key != NULL &&
	    nf_milter_tag_off_reason(conf) == NULL) {
		m->tag_time = (int64_t)time(NULL);
		if (nf_tag_make(conf, nf_milter_key_secret(m->key), m->tag_time,
		    m->token, sizeof(m->token), monitor ? NULL : m->verp,
		    sizeof(m->verp), &why) != 0) {
			nf_err("%s: cannot tag the message: %s; tempfailing it",
			    qid, why);
			m->token[0] = m->verp[0] = '\0';
			return -1;
		}
		m->record = 1;
		m->applied = !monitor;
	}
	if (monitor)
		return 0;	/* decide and record; change nothing */
	/*
	 * Order: the same edits, in the order cheapest for Postfix's cleanup.
	 * Recipients first: smfi_delrcpt reads the queue file from its start,
	 * shortest before anything is appended to it, and cleanup's rewrite
	 * client keeps its last answer, which is for the re-added address
	 * when the To: header names it (notifications: one recipient), so
	 * the re-add costs no trivial-rewrite round trip (measured: one
	 * request fewer per message).  Then the sender, then the headers.
	 */
	if (m->record && conf->request_dsn && dsn_readd(ctx, m, &what) != 0)
		goto refused;
	if (m->record) {
		char from[NF_TOKEN_VERP_MAX + 3];

		snprintf(from, sizeof(from), "<%s>", m->verp);
		what = "change the envelope sender (smfi_chgfrom)";
		if (smfi_chgfrom(ctx, from, NULL) != MI_SUCCESS)
			goto refused;
		what = "remove an X-Notifilter-ID header the application wrote";
		if (del_copies(ctx, m, NF_HDR_ID) != 0)
			goto refused;
	}
	what = "remove a control header";
	for (k = NF_HDR_FIRST_CONTROL; k <= NF_HDR_LAST_CONTROL; k++)
		if (del_copies(ctx, m, (enum nf_hdr_id)k) != 0)
			goto refused;
	what = "add the X-Notifilter-ID header";
	if (m->record && smfi_addheader(ctx, (char *)"X-Notifilter-ID",
	    m->token) != MI_SUCCESS)
		goto refused;
	return 0;
refused:
	nf_err("%s: the MTA refused to %s: tempfailing the message", qid, what);
	m->record = 0;
	m->token[0] = m->verp[0] = '\0';
	return -1;
}

sfsistat
nf_handle_eom(SMFICTX *ctx)
{
	struct nf_conn *c = conn_of(ctx);
	struct nf_msg *m = c != NULL ? c->msg : NULL;
	int tempfail_on_loss;
	size_t i, j;

	if (m == NULL)
		return SMFIS_CONTINUE;
	nf_msg_set_qid(m, smfi_getsymval(ctx, "i"));
	if (m->tempfail_eom) {
		nf_warn("%s: tempfailing the message: some recipients or headers "
		    "could not be checked (it stays queued and is retried)",
		    m->qid[0] ? m->qid : "NOQUEUE");
		nf_conn_end_msg(c, "tempfailed");
		return SMFIS_TEMPFAIL;
	}
	if (sender_is_null(m->sender)) {
		/* not notification traffic by definition; never rewritten */
		nf_conn_end_msg(c, "accepted");
		return SMFIS_ACCEPT;
	}
	if (m->ndropped > 0 && m->nkept == 0) {
		nf_info("%s: every recipient is blocked: message discarded",
		    m->qid[0] ? m->qid : "NOQUEUE");
		nf_conn_end_msg(c, "discarded");
		return SMFIS_DISCARD;
	}
	for (i = 0; i < m->nrcpt; i++) {
		const struct nf_rcpt *r = &m->rcpt[i];
		int seen = 0;

		if (r->action != NF_ACT_DROPPED)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = m->rcpt[j].action == NF_ACT_DROPPED &&
			    strcmp(m->rcpt[j].arg, r->arg) == 0;
		if (seen)
			continue;
		if (smfi_delrcpt(ctx, r->arg) != MI_SUCCESS) {
			nf_err("%s: the MTA refused to remove a blocked recipient: "
			    "tempfailing the message", m->qid[0] ? m->qid : "NOQUEUE");
			nf_conn_end_msg(c, "tempfailed");
			return SMFIS_TEMPFAIL;
		}
	}
	if (eom_tag(ctx, m) != 0) {
		nf_conn_end_msg(c, "tempfailed");
		return SMFIS_TEMPFAIL;
	}
	tempfail_on_loss = m->conf->on_store_error == NF_ONSTORE_TEMPFAIL &&
	    m->conf->mode != NF_MODE_MONITOR;
	if (nf_conn_end_msg(c, "accepted") > 0 && tempfail_on_loss)
		return SMFIS_TEMPFAIL;	/* unrecorded: let the MTA retry */
	return SMFIS_ACCEPT;
}

sfsistat
nf_handle_abort(SMFICTX *ctx)
{
	struct nf_conn *c = conn_of(ctx);

	if (c != NULL && c->msg != NULL) {
		nf_msg_set_qid(c->msg, smfi_getsymval(ctx, "i"));
		nf_conn_end_msg(c, "aborted");
	}
	return SMFIS_CONTINUE;
}

sfsistat
nf_handle_close(SMFICTX *ctx)
{
	struct nf_conn *c = conn_of(ctx);

	if (c != NULL) {
		smfi_setpriv(ctx, NULL);
		nf_conn_free(c);
	}
	return SMFIS_CONTINUE;
}
