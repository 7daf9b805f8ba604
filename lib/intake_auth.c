/*
 * intake_auth.c - may a report speak for a message?  The token: the
 * candidates in order of trust (VERP envelope recipient, the parser's
 * token, an ARF Original-Mail-From), the first that verifies with
 * SecretFile, and its recorded message.  For complaints, what
 * ComplaintAuth and ComplaintDomains ask of the report's DKIM and SPF
 * results (lib/verify.c makes them; the caller passes them in).
 *
 * Pure decisions: nothing here writes to the store (the lookup of the
 * token's message only reads).  Failure: a store error is returned as is;
 * every "no" comes with a reason for the timeline in the caller's buffer.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "intake.h"
#include "intake_int.h"
#include "token.h"

/* ---- authentication ---------------------------------------------------- */

/* Candidate tokens in order of trust in where they were found. */
struct cands {
	char v[3][72];
	size_t n;
};

static void
add_cand(struct cands *c, const char *t)
{
	size_t i;

	if (nf_intake_opt(t) == NULL || c->n >= 3 ||
	    strlen(t) >= sizeof c->v[0])
		return;
	for (i = 0; i < c->n; i++)
		if (strcasecmp(c->v[i], t) == 0)
			return;
	snprintf(c->v[c->n++], sizeof c->v[0], "%s", t);
}

static void
candidates(const struct nf_intake_conf *conf, const struct nf_intake_env *env,
    const struct nf_report *r, struct cands *c)
{
	char t[72];
	const char *omf;
	int verp = nf_intake_opt(conf->bounce_domain) &&
	    nf_intake_opt(conf->verp_prefix);

	memset(c, 0, sizeof *c);
	if (verp && env != NULL && nf_intake_opt(env->recipient) &&
	    nf_token_from_verp(env->recipient, conf->verp_prefix,
	    conf->bounce_domain, t, sizeof t) == 0)
		add_cand(c, t);
	add_cand(c, nf_report_token(r));
	omf = nf_report_arf_field(r, "Original-Mail-From");
	if (verp && nf_intake_opt(omf) &&
	    nf_token_from_verp(omf, conf->verp_prefix, conf->bounce_domain, t,
	    sizeof t) == 0)
		add_cand(c, t);
}

/*
 * Pick the token: the first candidate that verifies, else the first one
 * (recorded with its failure).  Then look its message up.  Returns a store
 * failure, BUSY with out->in_flight for a recent token whose message is not
 * recorded yet, or OK with out->authenticated and out->why set.
 */
int
nf_intake_authenticate(struct nf_store *s, const struct nf_intake_conf *conf,
    const struct nf_intake_env *env, const struct nf_report *r,
    int64_t now, struct nf_message *m, struct nf_intake_result *out)
{
	struct cands c;
	int64_t created = 0;
	size_t i;
	int rc;

	candidates(conf, env, r, &c);
	out->token_rc = NF_TOKEN_EMALFORMED;
	if (c.n == 0) {
		snprintf(out->why, sizeof out->why, "no tracking token in the "
		    "envelope recipient or the report");
		return NF_STORE_OK;
	}
	snprintf(out->token, sizeof out->token, "%s", c.v[0]);
	if (conf->secret == NULL) {
		snprintf(out->why, sizeof out->why, "no SecretFile to verify "
		    "token %s with", out->token);
		return NF_STORE_OK;
	}
	for (i = 0; i < c.n; i++) {
		rc = nf_token_verify(conf->secret, c.v[i], NULL, &created);
		if (i == 0)
			out->token_rc = rc;
		if (rc == NF_TOKEN_OK) {
			out->token_rc = rc;
			snprintf(out->token, sizeof out->token, "%s", c.v[i]);
			break;
		}
	}
	if (out->token_rc != NF_TOKEN_OK) {
		snprintf(out->why, sizeof out->why, "token %.40s does not "
		    "verify: %s", out->token, nf_token_strerror(out->token_rc));
		return NF_STORE_OK;
	}
	rc = nf_store_message_find(s, out->token, m);
	if (rc == NF_STORE_NOTFOUND && now - created <= NF_INTAKE_INFLIGHT_SECS) {
		/* the daemon may not have committed its record yet */
		out->in_flight = 1;
		snprintf(out->why, sizeof out->why, "token %s verifies but its "
		    "message is not recorded yet (still on its way from the "
		    "milter?)", out->token);
		return NF_STORE_BUSY;
	}
	if (rc == NF_STORE_NOTFOUND) {
		snprintf(out->why, sizeof out->why, "token %s verifies but names "
		    "no recorded message", out->token);
		return NF_STORE_OK;
	}
	if (rc != NF_STORE_OK)
		return rc;
	out->message = m->id;
	out->authenticated = 1;
	snprintf(out->why, sizeof out->why, "token %s verified; message #%lld "
	    "known", out->token, (long long)m->id);
	return NF_STORE_OK;
}

/* Is signing domain d (lower case) one of the list or below one? */
static int
domain_listed(const struct nf_intake_conf *conf, const char *d, size_t n)
{
	size_t i, k;

	for (i = 0; i < conf->ncomplaint_domains; i++) {
		k = strlen(conf->complaint_domains[i]);
		if (n >= k && strncasecmp(d + n - k, conf->complaint_domains[i],
		    k) == 0 && (n == k || d[n - k - 1] == '.'))
			return 1;
	}
	return 0;
}

/* The domains of the report's passing DKIM signatures, space-separated:
 * auth->dkim_pass, else the judged signature's domain when it passed;
 * NULL when none passed (or DKIM was not checked). */
static const char *
passing_signers(const struct nf_intake_auth *auth)
{
	if (auth == NULL)
		return NULL;
	if (auth->dkim_pass != NULL && auth->dkim_pass[0] != '\0')
		return auth->dkim_pass;
	if (nf_intake_eq(auth->dkim, "pass") && auth->dkim_domain != NULL &&
	    auth->dkim_domain[0] != '\0')
		return auth->dkim_domain;
	return NULL;
}

/* Did a feedback provider of ComplaintDomains sign the report (one of
 * the signers, a space-separated list, or NULL)? */
static int
provider_signed(const struct nf_intake_conf *conf, const char *signers)
{
	const char *p;
	size_t n;

	for (p = signers; p != NULL && *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0 && domain_listed(conf, p, n))
			return 1;
	}
	return 0;
}

/* Does a complaint carry what ComplaintAuth and ComplaintDomains ask?
 * 1 yes; 0 with why. */
int
nf_intake_complaint_ok(const struct nf_intake_conf *conf,
    const struct nf_intake_auth *auth, char *why, size_t len)
{
	const char *dkim = auth ? auth->dkim : NULL;
	const char *spf = auth ? auth->spf : NULL;
	const char *signers = passing_signers(auth);

	if ((conf->complaint_auth & NF_AUTH_DKIM) && !nf_intake_eq(dkim, "pass")) {
		snprintf(why, len, "ComplaintAuth needs a passing DKIM signature "
		    "on the report; DKIM: %s", dkim ? dkim : "not checked");
		return 0;
	}
	if ((conf->complaint_auth & NF_AUTH_SPF) && !nf_intake_eq(spf, "pass")) {
		snprintf(why, len, "ComplaintAuth needs SPF pass for the "
		    "reporting client; SPF: %s", spf ? spf : "not checked (no "
		    "client address or sender)");
		return 0;
	}
	if (conf->ncomplaint_domains > 0 && !provider_signed(conf, signers)) {
		char names[200];
		size_t i, used = 0;

		names[0] = '\0';
		for (i = 0; i < conf->ncomplaint_domains; i++)
			nf_intake_cat(names, sizeof names, &used, "%s%s",
			    i ? ", " : "", conf->complaint_domains[i]);
		snprintf(why, len, "ComplaintDomains needs a passing DKIM "
		    "signature by %s%s (or a subdomain); passing signatures: "
		    "%s", conf->ncomplaint_domains > 1 ? "one of " : "", names,
		    signers ? signers : "none");
		return 0;
	}
	return 1;
}
