/*
 * policy.h - the decisions notifilter makes about outbound mail, as pure
 * functions of the configuration and what the store answered.
 *
 * No I/O, no libmilter: the milter collects facts, the store answers one
 * lookup, and these functions decide.  Unit-tested in tests/unit/t_policy.c.
 */
#ifndef NF_POLICY_H
#define NF_POLICY_H

#include "conf.h"
#include "store.h"

enum nf_verdict { NF_VERDICT_ALLOW = 0, NF_VERDICT_BLOCK = 1 };

/* Rule names: stable words, recorded in events and shown by trace. */
#define NF_RULE_SUPPRESSED	"suppressed"
#define NF_RULE_REVOKED		"consent-revoked"
#define NF_RULE_GRANTED		"consent-granted"
#define NF_RULE_DEFAULT_YES	"default-consent-yes"
#define NF_RULE_DEFAULT_NO	"default-consent-no"
#define NF_RULE_STORE_ERROR	"store-error"

struct nf_decision {
	enum nf_verdict verdict;
	const char *rule;		/* one of NF_RULE_* (static) */
	char reason[NF_STORE_TEXT_MAX];	/* text for the reply and the event */
};

/*
 * Is mail from this envelope sender notification traffic?  Matches the
 * Senders patterns: "a@b" exactly, "*@b" any local part at b, "*@*.b" any
 * local part at any subdomain of b.  Case-insensitive; angle brackets and a
 * null sender ("" or "<>") never match.  Returns 1 or 0.
 */
int nf_policy_is_notification(const struct nf_conf *conf, const char *sender);

/*
 * Decide for one email recipient, in this order: suppressed -> block;
 * email consent revoked -> block; granted -> allow; no record ->
 * DefaultEmailConsent.  Always fills *out.
 */
void nf_policy_decide(const struct nf_conf *conf,
    const struct nf_email_state *st, struct nf_decision *out);

#endif
