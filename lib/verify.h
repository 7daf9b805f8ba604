/*
 * verify.h - is a report really from whom it says?  DKIM (libopendkim) over
 * the whole report and SPF (libspf2) of the client that delivered it, for
 * ARF complaints and ComplaintAuth.
 *
 * DNS: by default the system resolver.  A caller may instead give a fixed
 * set of TXT records (struct nf_verify_dns.zone); then no DNS query is
 * made at all and every other name does not exist.  That is how the unit
 * tests run with no network, and how an administrator could pin keys; it
 * is an input like any other, not a test mode.
 */
#ifndef NF_VERIFY_H
#define NF_VERIFY_H

#include <stddef.h>

struct nf_verify_txt {
	const char *name;	/* "sel._domainkey.example.org", "example.org" */
	const char *txt;	/* the record's text, strings joined */
};

struct nf_verify_dns {
	const struct nf_verify_txt *zone;	/* NULL: the system resolver */
	size_t nzone;
	unsigned timeout;	/* seconds per DNS query (DKIM keys); 0: 5 */
};

#define NF_VERIFY_WORD 16
#define NF_VERIFY_TEXT 256

/* Results use RFC 8601 words; "" means not checked. */
struct nf_verify_result {
	char dkim[NF_VERIFY_WORD];	/* pass fail none temperror permerror */
	char dkim_domain[NF_VERIFY_TEXT];	/* d= of the signature judged */
	char dkim_pass[NF_VERIFY_TEXT];	/* d= of every passing signature,
					 * lower case, space-separated */
	char dkim_detail[NF_VERIFY_TEXT];
	char spf[NF_VERIFY_WORD];	/* pass fail softfail neutral none
					 * temperror permerror */
	char spf_detail[NF_VERIFY_TEXT];
};

/*
 * Verify the DKIM signatures of the raw message msg[len] (any line ends).
 * Sets out->dkim ("none" when unsigned) and, for a signature that was
 * judged, its domain and a detail line; out->dkim_pass lists the domain of
 * every signature that passed (a report may carry several, and the one
 * judged need not be the reporter's).  Returns 0, or -1 when the library
 * could not run (out->dkim is then "temperror" with the reason).
 */
int nf_verify_dkim(const struct nf_verify_dns *dns, const char *msg,
    size_t len, struct nf_verify_result *out);

/*
 * SPF (RFC 7208) of client address `ip` (IPv4 or IPv6 text) for the
 * MAIL FROM `sender` (empty: the null sender, checked as postmaster@helo)
 * and `helo`.  Without an ip, or with neither sender domain nor helo,
 * out->spf stays "" (not checked) and 0 is returned.  -1 when libspf2
 * could not run or the address is not an IP (out->spf "temperror" or
 * "permerror" with the reason).
 */
int nf_verify_spf(const struct nf_verify_dns *dns, const char *ip,
    const char *helo, const char *sender, struct nf_verify_result *out);

#endif
