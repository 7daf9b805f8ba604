/*
 * t_policy.c - table-driven tests of lib/policy.c: which senders are
 * notification traffic, and every path of the per-recipient decision
 * (suppressed, revoked, granted, both defaults, store error both ways).
 *
 * The configuration is built by hand (no file, no conf.c) so that only
 * the policy functions are under test.
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

struct sender_case {
	const char *patterns;	/* '|'-separated list, NULL = no Senders */
	const char *sender;
	int want;
};

static const struct sender_case sender_cases[] = {
	/* exact a@b */
	{ "app@example.test", "app@example.test", 1 },
	{ "app@example.test", "<app@example.test>", 1 },
	{ "app@example.test", "APP@Example.TEST", 1 },
	{ "app@example.test", "<APP@EXAMPLE.TEST>", 1 },
	{ "app@example.test", "app@example.test.", 1 },
	{ "app@example.test", "other@example.test", 0 },
	{ "app@example.test", "app@sub.example.test", 0 },
	{ "app@example.test", "xapp@example.test", 0 },
	{ "app@example.test", "app@example.testx", 0 },
	{ "app@example.test", "<@relay.test:app@example.test>", 1 },
	/* *@b */
	{ "*@example.test", "anyone@example.test", 1 },
	{ "*@example.test", "<Anyone@EXAMPLE.test>", 1 },
	{ "*@example.test", "anyone@sub.example.test", 0 },
	{ "*@example.test", "anyone@badexample.test", 0 },
	{ "*@example.test", "\"a@b\"@example.test", 1 },
	/* *@*.b */
	{ "*@*.example.test", "x@mail.example.test", 1 },
	{ "*@*.example.test", "x@a.b.example.test", 1 },
	{ "*@*.EXAMPLE.test", "x@MAIL.example.TEST", 1 },
	{ "*@*.example.test", "x@example.test", 0 },
	{ "*@*.example.test", "x@badexample.test", 0 },
	{ "*@*.example.test", "x@.example.test", 0 },
	/* null sender and junk never match */
	{ "*@example.test", "<>", 0 },
	{ "*@example.test", "", 0 },
	{ "*@*", "<>", 0 },
	{ "*@*", "", 0 },
	{ "*@example.test", "@example.test", 0 },
	{ "*@example.test", "<@example.test>", 0 },
	{ "*@example.test", "nobody@", 0 },
	{ "*@example.test", "postmaster", 0 },
	{ "*@*", "postmaster", 1 },
	/* several patterns: any one matches */
	{ "a@one.test|*@two.test|*@*.three.test", "a@one.test", 1 },
	{ "a@one.test|*@two.test|*@*.three.test", "z@two.test", 1 },
	{ "a@one.test|*@two.test|*@*.three.test", "z@x.three.test", 1 },
	{ "a@one.test|*@two.test|*@*.three.test", "b@one.test", 0 },
	{ "a@one.test|*@two.test|*@*.three.test", "z@three.test", 0 },
	/* no Senders configured: nothing is policed */
	{ NULL, "app@example.test", 0 },
	{ NULL, "<>", 0 },
};

/* Build a conf whose Senders are the '|'-separated patterns. */
static void
conf_with_senders(struct nf_conf *c, char *store, size_t storelen,
    char **vec, size_t nvec, const char *patterns)
{
	char *p, *save = NULL;

	memset(c, 0, sizeof(*c));
	c->default_email_consent = 1;
	if (patterns == NULL)
		return;
	snprintf(store, storelen, "%s", patterns);
	for (p = strtok_r(store, "|", &save); p != NULL && c->nsenders < nvec;
	    p = strtok_r(NULL, "|", &save))
		vec[c->nsenders++] = p;
	c->senders = vec;
}

static void
test_senders(void)
{
	size_t i;

	for (i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]); i++) {
		const struct sender_case *t = &sender_cases[i];
		struct nf_conf c;
		char store[256];
		char *vec[8];

		conf_with_senders(&c, store, sizeof(store), vec, 8, t->patterns);
		is_int(nf_policy_is_notification(&c, t->sender), t->want,
		    "Senders %s: sender \"%s\" -> %s",
		    t->patterns ? t->patterns : "(none)", t->sender,
		    t->want ? "notification" : "not notification");
	}
	ok(nf_policy_is_notification(NULL, "a@b") == 0, "NULL conf -> 0");
	{
		struct nf_conf c;
		char store[64];
		char *vec[2];

		conf_with_senders(&c, store, sizeof(store), vec, 2, "*@b.test");
		ok(nf_policy_is_notification(&c, NULL) == 0,
		    "NULL sender -> 0");
	}
}

struct decide_case {
	const char *name;
	int suppressed;
	const char *suppress_reason;
	enum nf_consent consent;
	int default_yes;
	int store_error;		/* pass st = NULL */
	enum nf_store_error_action on_err;
	enum nf_verdict want_verdict;
	const char *want_rule;
	const char *want_reason_part;	/* must occur in the reason */
};

static const struct decide_case decide_cases[] = {
	{ "suppressed, no contact", 1, "userunknown", NF_CONSENT_NONE, 1, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_SUPPRESSED,
	  "suppression list (userunknown)" },
	{ "suppressed beats granted", 1, "hasmoved", NF_CONSENT_GRANTED, 1, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_SUPPRESSED,
	  "(hasmoved)" },
	{ "suppressed, empty reason", 1, "", NF_CONSENT_NONE, 1, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_SUPPRESSED,
	  "recipient is on the suppression list" },
	{ "revoked", 0, "", NF_CONSENT_REVOKED, 1, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_REVOKED,
	  "revoked consent" },
	{ "revoked with default no", 0, "", NF_CONSENT_REVOKED, 0, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_REVOKED,
	  "revoked" },
	{ "granted", 0, "", NF_CONSENT_GRANTED, 1, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_ALLOW, NF_RULE_GRANTED, "granted" },
	{ "granted beats default no", 0, "", NF_CONSENT_GRANTED, 0, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_ALLOW, NF_RULE_GRANTED, "granted" },
	{ "no record, default yes", 0, "", NF_CONSENT_NONE, 1, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_ALLOW, NF_RULE_DEFAULT_YES,
	  "DefaultEmailConsent is yes" },
	{ "no record, default no", 0, "", NF_CONSENT_NONE, 0, 0,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_DEFAULT_NO,
	  "DefaultEmailConsent is no" },
	{ "store error, OnStoreError tempfail", 0, "", NF_CONSENT_NONE, 1, 1,
	  NF_ONSTORE_TEMPFAIL, NF_VERDICT_BLOCK, NF_RULE_STORE_ERROR,
	  "could not answer" },
	{ "store error, OnStoreError accept", 0, "", NF_CONSENT_NONE, 0, 1,
	  NF_ONSTORE_ACCEPT, NF_VERDICT_ALLOW, NF_RULE_STORE_ERROR,
	  "OnStoreError accept" },
};

static void
test_decide(void)
{
	size_t i;

	for (i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		const struct decide_case *t = &decide_cases[i];
		struct nf_conf c;
		struct nf_email_state st;
		struct nf_decision d;

		memset(&c, 0, sizeof(c));
		c.default_email_consent = t->default_yes;
		c.on_store_error = t->on_err;
		memset(&st, 0, sizeof(st));
		st.has_contact = t->consent != NF_CONSENT_NONE;
		st.email_consent = t->consent;
		st.suppressed = t->suppressed;
		snprintf(st.suppress_reason, sizeof(st.suppress_reason), "%s",
		    t->suppress_reason);
		memset(&d, 0x5a, sizeof(d));
		nf_policy_decide(&c, t->store_error ? NULL : &st, &d);
		is_int(d.verdict, t->want_verdict, "%s: verdict", t->name);
		is_str(d.rule, t->want_rule, "%s: rule", t->name);
		if (!ok(strstr(d.reason, t->want_reason_part) != NULL,
		    "%s: reason mentions \"%s\"", t->name, t->want_reason_part))
			diag("reason was \"%s\"", d.reason);
	}
}

/* A suppression reason as long as the store allows must not overflow the
 * decision's reason and must be cut visibly, not silently. */
static void
test_long_reason(void)
{
	struct nf_conf c;
	struct nf_email_state st;
	struct nf_decision d;
	size_t len;

	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	st.suppressed = 1;
	memset(st.suppress_reason, 'x', sizeof(st.suppress_reason) - 1);
	st.suppress_reason[sizeof(st.suppress_reason) - 1] = '\0';
	nf_policy_decide(&c, &st, &d);
	len = strlen(d.reason);
	ok(len < sizeof(d.reason), "long reason fits (%zu < %zu)", len,
	    sizeof(d.reason));
	ok(len >= 4 && strcmp(d.reason + len - 4, "...)") == 0,
	    "long reason ends with a visible cut marker: ...%s",
	    len >= 8 ? d.reason + len - 8 : d.reason);
	is_int(d.verdict, NF_VERDICT_BLOCK, "long reason: still blocked");
}

int
main(void)
{
	test_senders();
	test_decide();
	test_long_reason();
	return tap_done();
}
