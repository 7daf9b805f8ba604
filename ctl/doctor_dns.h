/*
 * doctor_dns.h - doctor's resolver (doctor_resolv.c), shared with the DNS
 * checks (doctor_dns.c).  One struct nf_doc_dns holds a private resolver
 * state (res_ninit, optionally pointed at --resolver) and the libspf2 DNS
 * layer that asks through it.  Answers are bounded: DNS_MSG_MAX bytes per
 * message, NF_DOC_RR_MAX records kept, NF_DOC_TXT_MAX bytes per TXT record.
 */
#ifndef NF_DOCTOR_DNS_H
#define NF_DOCTOR_DNS_H

#include <resolv.h>

#include <spf2/spf.h>

#include "doctor.h"

#define NF_DOC_RR_MAX 32
#define NF_DOC_TXT_MAX 4096

struct nf_doc_ans {
	int herr;			/* NETDB_SUCCESS, HOST_NOT_FOUND, ... */
	int ttl;
	int n;
	char *rr[NF_DOC_RR_MAX];	/* A/AAAA address, "PREF NAME", TXT, name */
};

struct nf_doc_dns {
	struct __res_state res;
	int res_ok;
	unsigned char *msg;		/* the answer buffer */
	SPF_dns_server_t layer;		/* libspf2 asks through this */
	char server[200];		/* "the system resolver" or IP:PORT,
					 * then what went wrong with it */
	long timeout_s;			/* per try */
	int dead;			/* timed out once: ask no more */
};

/* Set up c (zeroed by the caller) from the system's resolver config and
 * d's --resolver and --timeout.  0, or -1 with why[len] set; either way
 * nf_doc_dns_close() releases it. */
int nf_doc_dns_open(struct nf_doc_dns *c, const struct nf_doc *d, char *why,
    size_t len);
void nf_doc_dns_close(struct nf_doc_dns *c);
/*
 * One query: the records of `type` in the answer section, as text (a CNAME
 * chain the server followed is skipped; a record that cannot be parsed is
 * left out).  Returns a->herr: NETDB_SUCCESS with a->n > 0, NO_DATA,
 * HOST_NOT_FOUND, TRY_AGAIN (no answer) or NO_RECOVERY.  Free with
 * nf_doc_ans_free().  Once the server has let a query time out (every
 * try), later queries answer TRY_AGAIN at once: a hanging DNS server
 * then costs doctor one query's time-out, not one per check.
 */
int nf_doc_dns_query(struct nf_doc_dns *c, const char *name, int type,
    struct nf_doc_ans *a);
void nf_doc_ans_free(struct nf_doc_ans *a);
/* What a herr value means, for a result line. */
const char *nf_doc_herr_text(int herr);

#endif
