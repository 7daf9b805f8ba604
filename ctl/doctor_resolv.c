/*
 * doctor_resolv.c - the resolver behind doctor's DNS checks (doctor_dns.h).
 *
 * One resolver state for everything: a private struct __res_state set up
 * by res_ninit() (the system's /etc/resolv.conf), then, with --resolver
 * IP[:PORT], pointed at that one server (IPv4 in nsaddr_list, IPv6 in
 * glibc's extension slots, as res_nclose expects); per-try time-out and
 * tries come from --timeout.  libspf2 asks through a DNS layer of our own
 * (its SPF_dns_server_t is public): the layer queries with res_nquery() on
 * that state, parses the answer with libresolv's ns_parserr()/dn_expand(),
 * and hands libspf2 a record set built with its own SPF_dns_rr_* calls.
 * This is needed because libspf2's resolv layer keeps a private per-thread
 * state initialised from /etc/resolv.conf that nothing outside can point
 * elsewhere.  Answers are bounded and never trusted beyond their lengths;
 * nothing here prints or exits.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_dns.h"

/* a DNS message is at most 64 KiB (TCP length field) */
#define DNS_MSG_MAX 65536

void
nf_doc_ans_free(struct nf_doc_ans *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->rr[i]);
	a->n = 0;
}

static int
ans_push(struct nf_doc_ans *a, const char *s)
{
	if (a->n >= NF_DOC_RR_MAX)
		return 0;	/* more records than any check needs */
	if ((a->rr[a->n] = strdup(s)) == NULL)
		return -1;
	a->n++;
	return 0;
}

/* TXT rdata: the character-strings joined (RFC 7208 3.3, RFC 7489 6.6.3). */
static int
txt_join(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0, l;

	while (i < len) {
		l = p[i++];
		if (l > len - i || o + l >= outlen)
			return -1;
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	/* a NUL inside would hide the rest from every string function */
	return strlen(out) == o ? 0 : -1;
}

/* See doctor_dns.h. */
int
nf_doc_dns_query(struct nf_doc_dns *c, const char *name, int type,
    struct nf_doc_ans *a)
{
	char text[NF_DOC_TXT_MAX], host[NS_MAXDNAME];
	const unsigned char *rd;
	ns_msg msg;
	ns_rr rr;
	int len, i, cnt;

	memset(a, 0, sizeof *a);
	a->herr = NO_RECOVERY;
	if (!c->res_ok)
		return a->herr;
	if (c->dead) {
		a->herr = TRY_AGAIN;
		return a->herr;
	}
	errno = 0;
	len = res_nquery(&c->res, name, ns_c_in, type, c->msg, DNS_MSG_MAX);
	if (len < 0) {
		int e = errno;

		a->herr = c->res.res_h_errno;
		if (a->herr == NETDB_SUCCESS || a->herr == NETDB_INTERNAL)
			a->herr = TRY_AGAIN;
		/* glibc: ETIMEDOUT = no server answered any try (a SERVFAIL
		 * or a refused port is an answer of sorts, and quick) */
		if (a->herr == TRY_AGAIN && e == ETIMEDOUT) {
			size_t n = strlen(c->server);

			c->dead = 1;
			snprintf(c->server + n, sizeof c->server - n, ", which "
			    "did not answer within %ld s (%d tries; later "
			    "lookups were not tried)", c->timeout_s,
			    c->res.retry);
		}
		return a->herr;
	}
	if (len > DNS_MSG_MAX)
		len = DNS_MSG_MAX;
	if (ns_initparse(c->msg, len, &msg) != 0) {
		a->herr = NO_RECOVERY;
		return a->herr;
	}
	cnt = ns_msg_count(msg, ns_s_an);
	a->ttl = 3600;
	for (i = 0; i < cnt; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			break;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		a->ttl = (int)ns_rr_ttl(rr);
		text[0] = '\0';
		switch (type) {
		case ns_t_a:
			if (ns_rr_rdlen(rr) != 4 ||
			    !inet_ntop(AF_INET, rd, text, sizeof text))
				continue;
			break;
		case ns_t_aaaa:
			if (ns_rr_rdlen(rr) != 16 ||
			    !inet_ntop(AF_INET6, rd, text, sizeof text))
				continue;
			break;
		case ns_t_mx:
			if (ns_rr_rdlen(rr) < 3 || dn_expand(ns_msg_base(msg),
			    ns_msg_end(msg), rd + 2, host, sizeof host) < 0)
				continue;
			snprintf(text, sizeof text, "%u %s",
			    (unsigned)ns_get16(rd), host[0] ? host : ".");
			break;
		case ns_t_ptr:
			if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd, host,
			    sizeof host) < 0)
				continue;
			snprintf(text, sizeof text, "%s", host);
			break;
		case ns_t_txt:
			if (txt_join(rd, ns_rr_rdlen(rr), text, sizeof text) != 0)
				continue;
			break;
		default:
			continue;
		}
		if (ans_push(a, text) != 0) {
			nf_doc_ans_free(a);
			a->herr = NO_RECOVERY;
			return a->herr;
		}
	}
	a->herr = a->n > 0 ? NETDB_SUCCESS : NO_DATA;
	return a->herr;
}

const char *
nf_doc_herr_text(int herr)
{
	switch (herr) {
	case HOST_NOT_FOUND:
		return "the name does not exist (NXDOMAIN)";
	case NO_DATA:
		return "no record of that type";
	case TRY_AGAIN:
		return "no answer from the DNS server (time-out or SERVFAIL)";
	default:
		return "the DNS answer could not be used";
	}
}

/* ---- libspf2 layer ---------------------------------------------------- */

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
    int should_cache)
{
	struct nf_doc_dns *c = srv->hook;
	struct nf_doc_ans a;
	SPF_dns_rr_t *rr;
	char name[NS_MAXDNAME];
	const char *txt;
	size_t len;
	int i, k = 0;

	(void)should_cache;
	snprintf(name, sizeof name, "%s", domain ? domain : "");
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		name[len - 1] = '\0';
	switch (type) {
	case ns_t_a: case ns_t_aaaa: case ns_t_mx: case ns_t_txt:
	case ns_t_ptr:
		nf_doc_dns_query(c, name, type, &a);
		break;
	default:	/* type 99 (SPF) and others: none */
		memset(&a, 0, sizeof a);
		a.herr = NO_DATA;
		break;
	}
	rr = SPF_dns_rr_new_init(srv, name, type, a.ttl > 0 ? a.ttl : 60,
	    a.herr);
	if (rr == NULL) {
		nf_doc_ans_free(&a);
		return NULL;
	}
	for (i = 0; i < a.n; i++) {
		switch (type) {
		case ns_t_a:
			if (SPF_dns_rr_buf_realloc(rr, k, sizeof(struct in_addr))
			    != SPF_E_SUCCESS ||
			    inet_pton(AF_INET, a.rr[i], &rr->rr[k]->a) != 1)
				goto bad;
			break;
		case ns_t_aaaa:
			if (SPF_dns_rr_buf_realloc(rr, k, sizeof(struct in6_addr))
			    != SPF_E_SUCCESS ||
			    inet_pton(AF_INET6, a.rr[i], &rr->rr[k]->aaaa) != 1)
				goto bad;
			break;
		default:
			/* libspf2 keeps an MX's host, not its preference */
			txt = a.rr[i];
			if (type == ns_t_mx && (txt = strchr(txt, ' ')) != NULL)
				txt++;
			else if (type == ns_t_mx)
				goto bad;
			if (SPF_dns_rr_buf_realloc(rr, k, strlen(txt) + 1) !=
			    SPF_E_SUCCESS)
				goto bad;
			memcpy(rr->rr[k]->txt, txt, strlen(txt) + 1);
			break;
		}
		k++;
		rr->num_rr = k;
	}
	nf_doc_ans_free(&a);
	return rr;
bad:
	/* what was built so far stands; the rest would be a guess */
	nf_doc_ans_free(&a);
	return rr;
}

/* ---- resolver set-up --------------------------------------------------- */

struct resolver_addr {
	int v6;
	struct in_addr a4;
	struct in6_addr a6;
	unsigned long port;
	char text[INET6_ADDRSTRLEN + 10];	/* "IP:PORT" or "[IPv6]:PORT" */
};

/* "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6.  0, or -1. */
static int
resolver_parse(const char *spec, struct resolver_addr *ra)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *close_br;
	size_t n;
	char *end;

	memset(ra, 0, sizeof *ra);
	ra->port = 53;
	if (spec[0] == '[') {
		if ((close_br = strchr(spec, ']')) == NULL)
			return -1;
		n = (size_t)(close_br - spec - 1);
		if (close_br[1] == ':')
			port = close_br + 2;
		else if (close_br[1] != '\0')
			return -1;
	} else if (strchr(spec, ':') != NULL && strchr(spec, ':') ==
	    strrchr(spec, ':')) {
		port = strchr(spec, ':') + 1;
		n = (size_t)(port - 1 - spec);
	} else
		n = strlen(spec);
	if (n >= sizeof host)
		return -1;
	memcpy(host, spec + (spec[0] == '['), n);
	host[n] = '\0';
	if (port != NULL) {
		errno = 0;
		ra->port = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno ||
		    ra->port == 0 || ra->port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &ra->a4) == 1)
		ra->v6 = 0;
	else if (inet_pton(AF_INET6, host, &ra->a6) == 1)
		ra->v6 = 1;
	else
		return -1;
	snprintf(ra->text, sizeof ra->text, "%s%s%s:%lu", ra->v6 ? "[" : "",
	    host, ra->v6 ? "]" : "", ra->port);
	return 0;
}

int
nf_doc_resolver_ok(const char *spec)
{
	struct resolver_addr ra;

	return resolver_parse(spec, &ra) == 0;
}

/* Point the res state at the one server of --resolver. */
static int
set_resolver(struct nf_doc_dns *c, const char *spec, char *why, size_t len)
{
	struct resolver_addr ra;
	struct sockaddr_in6 *s6;

	if (resolver_parse(spec, &ra) != 0) {
		snprintf(why, len, "--resolver %s is not IP, IP:PORT or "
		    "[IPv6]:PORT", spec);
		return -1;
	}
	memset(&c->res.nsaddr_list[0], 0, sizeof c->res.nsaddr_list[0]);
	if (!ra.v6) {
		c->res.nsaddr_list[0].sin_family = AF_INET;
		c->res.nsaddr_list[0].sin_port = htons((uint16_t)ra.port);
		c->res.nsaddr_list[0].sin_addr = ra.a4;
	} else {
		/* glibc keeps IPv6 servers in the extension, malloc'd, with
		 * sin_family 0 in the IPv4 slot; res_nclose frees them */
		if (c->res._u._ext.nsaddrs[0] == NULL &&
		    (c->res._u._ext.nsaddrs[0] = malloc(sizeof *s6)) == NULL) {
			snprintf(why, len, "out of memory");
			return -1;
		}
		s6 = c->res._u._ext.nsaddrs[0];
		memset(s6, 0, sizeof *s6);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)ra.port);
		s6->sin6_addr = ra.a6;
	}
	c->res.nscount = 1;
	snprintf(c->server, sizeof c->server, "%s", ra.text);
	return 0;
}

int
nf_doc_dns_open(struct nf_doc_dns *c, const struct nf_doc *d, char *why,
    size_t len)
{
	long tries_s;

	/* the caller zeroed c: res_ninit wants that */
	if ((c->msg = malloc(DNS_MSG_MAX)) == NULL) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (res_ninit(&c->res) != 0) {
		snprintf(why, len, "the resolver could not start (res_ninit)");
		return -1;
	}
	c->res_ok = 1;
	snprintf(c->server, sizeof c->server, "the system resolver");
	/* whole seconds per try, two tries: bounded by about 2 x timeout */
	tries_s = (d->opts.timeout_ms + 999) / 1000;
	c->res.retrans = (int)(tries_s < 1 ? 1 : tries_s);
	c->res.retry = 2;
	c->timeout_s = c->res.retrans;
	if (d->opts.resolver != NULL &&
	    set_resolver(c, d->opts.resolver, why, len) != 0)
		return -1;
	c->layer.destroy = NULL;	/* ours, not libspf2's to free */
	c->layer.lookup = layer_lookup;
	c->layer.name = "notifilter-doctor";
	c->layer.hook = c;
	return 0;
}

void
nf_doc_dns_close(struct nf_doc_dns *c)
{
	if (c->res_ok)
		res_nclose(&c->res);
	free(c->msg);
	c->msg = NULL;
	c->res_ok = 0;
}
