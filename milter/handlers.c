/*
 * handlers.c - what the milter does at each protocol step, for
 * notification traffic (Senders) only.
 *
 * CONNECT tells the two Postfix paths apart; MAIL decides whether the
 * message is notification traffic at all (everything else is accepted at
 * once, unrecorded, so Postfix skips the remaining steps); RCPT decides
 * each distinct recipient once, through one store lookup and lib/policy;
 * EOM applies removals or discards the message; ABORT and CLOSE end the
 * message.  Every first decision is buffered in the message and becomes an
 * event when the message ends (ctx.c).
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
#include "policy.h"

#define NF_REPLY_MAX 1200

/* Protocol steps notifilter does not need: Postfix then skips them. */
#define NF_SKIP_STEPS (SMFIP_NOHELO | SMFIP_NOHDRS | SMFIP_NOEOH | \
	SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA)

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
	(void)conf;
	*pf0 = f0 & SMFIF_DELRCPT;
	if (!(f0 & SMFIF_DELRCPT))
		nf_warn("the MTA does not allow recipient removal: drop and "
		    "non-SMTP decisions will tempfail their messages");
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
nf_handle_mail(SMFICTX *ctx, struct nf_conf *conf, char **argv)
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
	c->msg = nf_msg_new(conf, sender, nonsmtp);
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
		nf_warn("%s: tempfailing the message: some recipients could not "
		    "be checked (non-SMTP submission stays queued and is retried)",
		    m->qid[0] ? m->qid : "NOQUEUE");
		nf_conn_end_msg(c, "tempfailed");
		return SMFIS_TEMPFAIL;
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
