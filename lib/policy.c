/*
 * policy.c - which mail is notification traffic, and what happens to one
 * recipient of it (see policy.h).
 *
 * Pure functions: the caller owns the configuration and the store answer;
 * nothing here allocates, logs or blocks, so the milter can call it on the
 * MTA's thread and the benchmark can call it a million times.  Inputs are
 * untrusted strings from the SMTP envelope: they are only read, never
 * copied, and every length is bounded by the input itself.  The reason text
 * is built into the caller's fixed buffer; when an administrator's
 * suppression reason is too long it is cut with a visible "..." marker.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The address inside an envelope argument: "<a@b>" -> "a@b", and a source
 * route "<@relay:a@b>" -> "a@b".  Sets *len; returns a pointer into s. */
static const char *
policy_strip(const char *s, size_t *len)
{
	const char *e;
	const char *colon;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > s && *s == '<') {
		s++;
		if (e > s && e[-1] == '>')
			e--;
	}
	if (e > s && *s == '@') {
		colon = memchr(s, ':', (size_t)(e - s));
		if (colon != NULL)
			s = colon + 1;
	}
	*len = (size_t)(e - s);
	return s;
}

/* Case-insensitive comparison of a counted string with a C string. */
static int
policy_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

/* Does domain (counted, no trailing dot) match the domain half of a
 * pattern: "*" anything, "*.b" a strict subdomain of b, else exactly. */
static int
policy_domain_match(const char *d, size_t dlen, const char *pat)
{
	size_t plen = strlen(pat);

	if (plen > 0 && pat[plen - 1] == '.')
		plen--;		/* "*@example.com." means example.com */
	if (plen == 1 && pat[0] == '*')
		return 1;
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		/* ".b" must end the domain and something must precede it */
		size_t slen = plen - 1;
		return dlen > slen &&
		    strncasecmp(d + dlen - slen, pat + 1, slen) == 0;
	}
	return dlen == plen && strncasecmp(d, pat, plen) == 0;
}

static int
policy_pattern_match(const char *local, size_t llen, const char *dom,
    size_t dlen, const char *pat)
{
	const char *at = strrchr(pat, '@');
	size_t plen;

	if (at == NULL) {
		/* a bare domain in the list: treat like "*@domain" */
		return policy_domain_match(dom, dlen, pat);
	}
	plen = (size_t)(at - pat);
	if (!(plen == 1 && pat[0] == '*')) {
		if (plen != llen || strncasecmp(local, pat, plen) != 0)
			return 0;
	}
	return policy_domain_match(dom, dlen, at + 1);
}

/*
 * The sender is split at its last '@' (a quoted local part may hold one).
 * A sender with no '@' (e.g. "postmaster" or a bare local name from
 * sendmail -f) has no domain, so it can only match a pattern whose domain
 * is "*"; the null sender never matches, so bounces are never policed.
 */
int
nf_policy_is_notification(const struct nf_conf *conf, const char *sender)
{
	const char *addr, *at, *dom;
	size_t len, llen, dlen, i;

	if (conf == NULL || sender == NULL || conf->nsenders == 0)
		return 0;
	addr = policy_strip(sender, &len);
	if (len == 0)
		return 0;
	at = NULL;
	for (i = len; i > 0; i--)
		if (addr[i - 1] == '@') {
			at = addr + i - 1;
			break;
		}
	if (at != NULL) {
		llen = (size_t)(at - addr);
		dom = at + 1;
		dlen = len - llen - 1;
	} else {
		llen = len;
		dom = addr + len;
		dlen = 0;
	}
	if (dlen > 0 && dom[dlen - 1] == '.')
		dlen--;
	if (at != NULL && (llen == 0 || dlen == 0))
		return 0;	/* "@b" or "a@" is not an address */
	for (i = 0; i < conf->nsenders; i++) {
		const char *pat = conf->senders[i];

		if (pat == NULL || *pat == '\0')
			continue;
		if (at == NULL) {
			/* only "*@*" or "*" can cover a domainless sender */
			if (policy_eq("*@*", 3, pat) || policy_eq("*", 1, pat))
				return 1;
			continue;
		}
		if (policy_pattern_match(addr, llen, dom, dlen, pat))
			return 1;
	}
	return 0;
}

/* "recipient is on the suppression list (why)", cutting `why` visibly
 * when the whole would not fit the reason buffer. */
static void
policy_suppressed_text(char *out, size_t outlen, const char *why)
{
	static const char head[] = "recipient is on the suppression list";
	size_t room, wlen;

	if (why == NULL || *why == '\0') {
		snprintf(out, outlen, "%s", head);
		return;
	}
	wlen = strnlen(why, NF_STORE_TEXT_MAX);
	/* head + " (" + why + ")" + NUL */
	room = outlen - (sizeof(head) - 1) - 2 - 1 - 1;
	if (wlen <= room)
		snprintf(out, outlen, "%s (%.*s)", head, (int)wlen, why);
	else
		snprintf(out, outlen, "%s (%.*s...)", head, (int)(room - 3),
		    why);
}

/*
 * Order matters: a suppression (a hard bounce, an administrator's entry)
 * overrides even a granted consent, because consent cannot make a dead
 * mailbox deliverable.  st == NULL means the store could not answer; the
 * verdict then follows OnStoreError (accept -> allow, tempfail -> block,
 * and the caller turns that block into a temporary failure).
 */
void
nf_policy_decide(const struct nf_conf *conf, const struct nf_email_state *st,
    struct nf_decision *out)
{
	out->reason[0] = '\0';
	if (st == NULL) {
		out->rule = NF_RULE_STORE_ERROR;
		if (conf != NULL && conf->on_store_error == NF_ONSTORE_ACCEPT) {
			out->verdict = NF_VERDICT_ALLOW;
			snprintf(out->reason, sizeof(out->reason),
			    "the store could not answer; OnStoreError accept lets the recipient through");
		} else {
			out->verdict = NF_VERDICT_BLOCK;
			snprintf(out->reason, sizeof(out->reason),
			    "the store could not answer; try again later");
		}
		return;
	}
	if (st->suppressed) {
		out->verdict = NF_VERDICT_BLOCK;
		out->rule = NF_RULE_SUPPRESSED;
		policy_suppressed_text(out->reason, sizeof(out->reason),
		    st->suppress_reason);
		return;
	}
	if (st->email_consent == NF_CONSENT_REVOKED) {
		out->verdict = NF_VERDICT_BLOCK;
		out->rule = NF_RULE_REVOKED;
		snprintf(out->reason, sizeof(out->reason),
		    "recipient has revoked consent to email notifications");
		return;
	}
	if (st->email_consent == NF_CONSENT_GRANTED) {
		out->verdict = NF_VERDICT_ALLOW;
		out->rule = NF_RULE_GRANTED;
		snprintf(out->reason, sizeof(out->reason),
		    "recipient has granted consent to email notifications");
		return;
	}
	if (conf != NULL && !conf->default_email_consent) {
		out->verdict = NF_VERDICT_BLOCK;
		out->rule = NF_RULE_DEFAULT_NO;
		snprintf(out->reason, sizeof(out->reason),
		    "no consent on record and DefaultEmailConsent is no");
	} else {
		out->verdict = NF_VERDICT_ALLOW;
		out->rule = NF_RULE_DEFAULT_YES;
		snprintf(out->reason, sizeof(out->reason),
		    "no consent on record; DefaultEmailConsent is yes");
	}
}
