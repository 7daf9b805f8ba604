/*
 * tag.c - what tagging at end of message writes, as plain data: the token
 * and VERP sender of a message, and the ESMTP parameters a recipient is
 * re-added with to ask for delivery reports.  No libmilter here; handlers.c
 * applies the result and tests check it directly.
 *
 * Failure: every function returns a status and never truncates; a caller
 * that gets -1 must not tag the message (it tempfails it).
 */
#include "tag.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

int
nf_tag_make(const struct nf_conf *conf, const struct nf_secret *secret,
    int64_t now, char *token, size_t toklen, char *verp, size_t verplen,
    const char **why)
{
	char prefix[65];
	uint64_t id;
	size_t i, n;

	*why = NULL;
	if (toklen > 0)
		token[0] = '\0';
	if (verp != NULL && verplen > 0)
		verp[0] = '\0';
	id = nf_token_new_msgid();
	if (id == 0) {
		*why = "the random number generator failed (libcrypto not seeded)";
		return -1;
	}
	if (nf_token_make(secret, id, now, token, toklen) != 0) {
		*why = "the token could not be made (libcrypto HMAC failed)";
		return -1;
	}
	if (verp == NULL)
		return 0;
	/* MTAs may lower-case local parts; a lower-case prefix survives */
	n = strlen(conf->verp_prefix);
	if (n >= sizeof(prefix)) {
		*why = "VerpPrefix is longer than a local part allows";
		return -1;
	}
	for (i = 0; i <= n; i++)
		prefix[i] = (char)tolower((unsigned char)conf->verp_prefix[i]);
	if (nf_token_verp(prefix, token, conf->bounce_domain, verp,
	    verplen) != 0) {
		*why = "VerpPrefix+token@BounceDomain is not a valid address "
		    "(check VerpPrefix and BounceDomain)";
		return -1;
	}
	return 0;
}

/* RFC 3461 section 4: xtext leaves "!".."~" except '+' and '=' as they
 * are and writes everything else as +XX (upper-case hex). */
static int
xtext(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p >= 33 && *p <= 126 && *p != '+' && *p != '=') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outlen)
				return -1;
			snprintf(out + o, 4, "+%02X", *p);
			o += 3;
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

int
nf_tag_dsn_args(const char *rcpt_arg, const char *client_orcpt, char *out,
    size_t outlen)
{
	char addr[NF_TAG_ARGS_MAX], enc[NF_TAG_ARGS_MAX];
	size_t n = strlen(rcpt_arg);
	int w;

	if (client_orcpt != NULL)	/* the client's own ORCPT stays */
		w = snprintf(out, outlen, "NOTIFY=SUCCESS,FAILURE,DELAY %s",
		    client_orcpt);
	else {
		if (n >= 2 && rcpt_arg[0] == '<' && rcpt_arg[n - 1] == '>') {
			rcpt_arg++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof(addr))
			return -1;
		memcpy(addr, rcpt_arg, n);
		addr[n] = '\0';
		if (xtext(addr, enc, sizeof(enc)) != 0)
			return -1;
		w = snprintf(out, outlen,
		    "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;%s", enc);
	}
	if (w < 0 || (size_t)w >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}
