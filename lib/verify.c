/*
 * verify.c - DKIM and SPF checks of a report (see verify.h), by
 * libopendkim and libspf2; nothing here is hand-written crypto or SPF.
 *
 * Each call sets up and tears down its own library handles: `ingest` runs
 * once per report, and no state outlives the call.  A fixed zone replaces
 * DNS through each library's own hook: dkim_set_key_lookup() for keys and
 * libspf2's zone layer with no layer below (SPF_dns_zone_new(NULL, ...)).
 *
 * Failures: any library failure is a result ("temperror"/"permerror" with
 * a detail line), never an abort; the caller records it.  Bounded: DKIM
 * key queries time out after dns->timeout seconds; SPF uses libspf2's
 * limits on DNS mechanisms (10) and the resolver's own timeouts, and the
 * caller runs both in a child process with an overall deadline.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <opendkim/dkim.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#include "verify.h"

static void
word(char *dst, const char *w)
{
	snprintf(dst, NF_VERIFY_WORD, "%s", w);
}

/* ---- DKIM ---------------------------------------------------------------- */

/* Key lookup from the fixed zone (user context of the DKIM handle). */
static DKIM_CBSTAT
zone_key(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	const struct nf_verify_dns *dns = dkim_get_user_context(dkim);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const char *dom = (const char *)dkim_sig_getdomain(sig);
	char name[600];
	size_t i;
	int n;

	if (dns == NULL || sel == NULL || dom == NULL)
		return DKIM_CBSTAT_ERROR;
	n = snprintf(name, sizeof name, "%s._domainkey.%s", sel, dom);
	if (n < 0 || (size_t)n >= sizeof name)
		return DKIM_CBSTAT_NOTFOUND;
	for (i = 0; i < dns->nzone; i++) {
		if (strcasecmp(dns->zone[i].name, name) != 0)
			continue;
		if (strlen(dns->zone[i].txt) >= buflen)
			return DKIM_CBSTAT_ERROR;
		memcpy(buf, dns->zone[i].txt, strlen(dns->zone[i].txt) + 1);
		return DKIM_CBSTAT_CONTINUE;
	}
	return DKIM_CBSTAT_NOTFOUND;
}

/* The d= of every signature that passed, lower case, each once, separated
 * by spaces; a domain that no longer fits is left out (the list only ever
 * grants, so a shorter one errs on the side of refusing). */
static void
passing_domains(DKIM *d, char *out, size_t size)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0, i;
	size_t used = 0;

	out[0] = '\0';
	if (dkim_getsiglist(d, &sigs, &nsigs) != DKIM_STAT_OK || sigs == NULL)
		return;
	for (i = 0; i < nsigs && i < 64; i++) {
		const char *dom = (const char *)dkim_sig_getdomain(sigs[i]);
		char low[NF_VERIFY_TEXT], *hit;
		size_t n, k;

		if (dom == NULL || !DKIM_SIG_CHECK(sigs[i]))
			continue;
		n = strlen(dom);
		if (n == 0 || n >= sizeof low)
			continue;
		for (k = 0; k <= n; k++)
			low[k] = (char)tolower((unsigned char)dom[k]);
		for (hit = strstr(out, low); hit != NULL; hit = strstr(hit + 1, low))
			if ((hit == out || hit[-1] == ' ') &&
			    (hit[n] == ' ' || hit[n] == '\0'))
				break;
		if (hit != NULL)
			continue;	/* listed already */
		if (used + (used > 0) + n + 1 > size)
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s",
		    used > 0 ? " " : "", low);
	}
}

/* RFC 8601 word for the signature libopendkim judged. */
static const char *
dkim_word(DKIM_STAT st, DKIM_SIGINFO *sig)
{
	if (st == DKIM_STAT_NOSIG)
		return "none";
	if (sig != NULL && DKIM_SIG_CHECK(sig))
		return "pass";
	if (sig != NULL) {
		switch (dkim_sig_geterror(sig)) {
		case DKIM_SIGERROR_KEYFAIL:
			return "temperror";
		case DKIM_SIGERROR_NOKEY:
		case DKIM_SIGERROR_DNSSYNTAX:
			return "permerror";
		default:
			break;
		}
	}
	switch (st) {
	case DKIM_STAT_OK:
		return sig != NULL ? "fail" : "none";
	case DKIM_STAT_BADSIG:
	case DKIM_STAT_REVOKED:
		return "fail";
	case DKIM_STAT_NOKEY:
	case DKIM_STAT_SYNTAX:
		return "permerror";
	default:
		return "temperror";
	}
}

int
nf_verify_dkim(const struct nf_verify_dns *dns, const char *msg, size_t len,
    struct nf_verify_result *out)
{
	DKIM_LIB *lib;
	DKIM *d = NULL;
	DKIM_SIGINFO *sig;
	DKIM_STAT st;
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
	uint64_t timeout = dns && dns->timeout ? dns->timeout : 5;
	const char *dom;
	int rc = 0;

	out->dkim[0] = out->dkim_domain[0] = out->dkim_detail[0] = '\0';
	out->dkim_pass[0] = '\0';
	if ((lib = dkim_init(NULL, NULL)) == NULL) {
		word(out->dkim, "temperror");
		snprintf(out->dkim_detail, sizeof out->dkim_detail,
		    "libopendkim could not start (out of memory?)");
		return -1;
	}
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof flags);
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &timeout,
	    sizeof timeout);
	if (dns != NULL && dns->zone != NULL)
		dkim_set_key_lookup(lib, zone_key);
	d = dkim_verify(lib, (const unsigned char *)"ingest", NULL, &st);
	if (d == NULL) {
		word(out->dkim, "temperror");
		snprintf(out->dkim_detail, sizeof out->dkim_detail,
		    "libopendkim: %s", dkim_getresultstr(st));
		dkim_close(lib);
		return -1;
	}
	dkim_set_user_context(d, (void *)dns);
	st = dkim_chunk(d, (u_char *)msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(d, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	sig = dkim_getsignature(d);
	word(out->dkim, dkim_word(st, sig));
	passing_domains(d, out->dkim_pass, sizeof out->dkim_pass);
	if (sig != NULL && (dom = (const char *)dkim_sig_getdomain(sig)) != NULL)
		snprintf(out->dkim_domain, sizeof out->dkim_domain, "%s", dom);
	if (sig != NULL && !DKIM_SIG_CHECK(sig))
		snprintf(out->dkim_detail, sizeof out->dkim_detail, "%s%s%s",
		    dkim_getresultstr(st), dkim_sig_geterror(sig) ? ": " : "",
		    dkim_sig_geterror(sig) ? dkim_sig_geterrorstr(
		    dkim_sig_geterror(sig)) : "");
	else if (st != DKIM_STAT_OK)
		snprintf(out->dkim_detail, sizeof out->dkim_detail, "%s",
		    dkim_getresultstr(st));
	if (strcmp(out->dkim, "temperror") == 0 && sig == NULL &&
	    st != DKIM_STAT_NOSIG)
		rc = -1;
	dkim_free(d);
	dkim_close(lib);
	return rc;
}

/* ---- SPF ----------------------------------------------------------------- */

static SPF_dns_server_t *
zone_layer(const struct nf_verify_dns *dns)
{
	SPF_dns_server_t *z = SPF_dns_zone_new(NULL, "notifilter-zone", 0);
	size_t i;

	if (z == NULL)
		return NULL;
	for (i = 0; i < dns->nzone; i++)
		if (SPF_dns_zone_add_str(z, dns->zone[i].name, ns_t_txt,
		    NETDB_SUCCESS, dns->zone[i].txt) != SPF_E_SUCCESS) {
			SPF_dns_free(z);
			return NULL;
		}
	return z;
}

/* RFC 7208 words; libspf2's "(invalid)" is a record it could not compile,
 * which RFC 7208 calls permerror. */
static const char *
spf_word(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS: return "pass";
	case SPF_RESULT_FAIL: return "fail";
	case SPF_RESULT_SOFTFAIL: return "softfail";
	case SPF_RESULT_NEUTRAL: return "neutral";
	case SPF_RESULT_NONE: return "none";
	case SPF_RESULT_TEMPERROR: return "temperror";
	default: return "permerror";
	}
}

int
nf_verify_spf(const struct nf_verify_dns *dns, const char *ip,
    const char *helo, const char *sender, struct nf_verify_result *out)
{
	SPF_dns_server_t *z = NULL;
	SPF_server_t *srv;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	const char *at;
	int v6, rc = 0;

	out->spf[0] = out->spf_detail[0] = '\0';
	if (ip == NULL || ip[0] == '\0')
		return 0;
	at = sender ? strrchr(sender, '@') : NULL;
	if ((at == NULL || at[1] == '\0') && (helo == NULL || helo[0] == '\0'))
		return 0;
	v6 = strchr(ip, ':') != NULL;
	if ((v6 && inet_pton(AF_INET6, ip, &a6) != 1) ||
	    (!v6 && inet_pton(AF_INET, ip, &a4) != 1)) {
		word(out->spf, "permerror");
		snprintf(out->spf_detail, sizeof out->spf_detail, "client "
		    "address \"%.64s\" is not an IP address", ip);
		return -1;
	}
	if (dns != NULL && dns->zone != NULL) {
		if ((z = zone_layer(dns)) == NULL)
			goto fail;
		srv = SPF_server_new_dns(z, 0);
	} else
		srv = SPF_server_new(SPF_DNS_CACHE, 0);
	if (srv == NULL)
		goto fail;
	if ((req = SPF_request_new(srv)) == NULL) {
		SPF_server_free(srv);
		goto fail;
	}
	if ((v6 ? SPF_request_set_ipv6_str(req, ip) :
	    SPF_request_set_ipv4_str(req, ip)) != SPF_E_SUCCESS ||
	    (helo && helo[0] && SPF_request_set_helo_dom(req, helo) !=
	    SPF_E_SUCCESS) ||
	    (at != NULL && at[1] != '\0' &&
	    SPF_request_set_env_from(req, sender) != 0)) {
		word(out->spf, "permerror");
		snprintf(out->spf_detail, sizeof out->spf_detail, "libspf2 "
		    "refused the sender or HELO name");
		rc = -1;
	} else {
		SPF_request_query_mailfrom(req, &resp);
		if (resp != NULL) {
			word(out->spf, spf_word(SPF_response_result(resp)));
			snprintf(out->spf_detail, sizeof out->spf_detail,
			    "%s for %s from %s", out->spf, at && at[1] ?
			    at + 1 : helo, ip);
		} else {
			word(out->spf, "temperror");
			snprintf(out->spf_detail, sizeof out->spf_detail,
			    "libspf2 gave no answer");
			rc = -1;
		}
	}
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	SPF_server_free(srv);
	if (z != NULL)
		SPF_dns_free(z);
	return rc;
fail:
	if (z != NULL)
		SPF_dns_free(z);
	word(out->spf, "temperror");
	snprintf(out->spf_detail, sizeof out->spf_detail, "libspf2 could not "
	    "start (out of memory?)");
	return -1;
}
