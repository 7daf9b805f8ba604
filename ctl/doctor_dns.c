/*
 * doctor_dns.c - doctor's DNS checks of BounceDomain: SPF for this host's
 * outbound addresses (evaluated by libspf2, through doctor_resolv.c's
 * layer), DMARC relaxed alignment with each Senders domain and whether
 * those domains publish DMARC, and MX.
 *
 * Organizational domains (DMARC relaxed alignment, RFC 7489 3.2) come
 * from a small built-in public-suffix rule set, not the full Public Suffix
 * List: the last two labels, or three below a listed two-label suffix
 * (co.uk, com.au, ...).  Wildcard and exception rules and the list's
 * private section are not covered; notifilterctl(8) says so.
 *
 * Each check adds result lines; a DNS failure is a warn (run again), what
 * the published records say decides pass, warn or fail.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "doctor_dns.h"

#define DNS_IP_MAX 16		/* outbound addresses checked */
#define DNS_DOMAINS_MAX 32	/* Senders domains checked */

/* ---- organizational domain ---------------------------------------------- */

/* Two-label public suffixes under which registrations sit one level down.
 * Far from the whole list: the common ones, for the alignment check. */
static const char *const two_label_suffixes[] = {
	"ac.uk", "co.uk", "gov.uk", "ltd.uk", "me.uk", "net.uk", "org.uk",
	"plc.uk", "sch.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au",
	"asn.au", "id.au", "co.nz", "net.nz", "org.nz", "govt.nz", "ac.nz",
	"co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr",
	"co.za", "org.za", "com.br", "net.br", "org.br", "gov.br", "com.cn",
	"net.cn", "org.cn", "gov.cn", "com.hk", "com.tw", "com.sg", "com.my",
	"com.mx", "com.ar", "com.tr", "com.ua", "com.pl", "co.in", "net.in",
	"org.in", "co.il", "org.il", "co.id", "com.ph", "com.vn", "co.at",
	"or.at", "com.es", "co.th", "com.sa", "com.eg", "com.ng", "co.ke",
};

int
nf_doc_org_domain(const char *domain, char *out, size_t len)
{
	char low[NS_MAXDNAME];
	const char *last, *prev, *third;
	size_t n, i, k;

	n = strlen(domain);
	while (n > 0 && domain[n - 1] == '.')
		n--;
	if (n >= sizeof low)
		return -1;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	low[n] = '\0';
	/* find the last three label starts */
	last = prev = third = NULL;
	for (i = n; i-- > 0;) {
		if (low[i] != '.')
			continue;
		if (last == NULL)
			last = low + i + 1;
		else if (prev == NULL)
			prev = low + i + 1;
		else {
			third = low + i + 1;
			break;
		}
	}
	if (last == NULL || prev == NULL) {
		/* one or two labels: the domain itself */
		if (n + 1 > len)
			return -1;
		memcpy(out, low, n + 1);
		return 0;
	}
	for (k = 0; k < sizeof two_label_suffixes / sizeof two_label_suffixes[0];
	    k++)
		if (strcmp(prev, two_label_suffixes[k]) == 0) {
			const char *start = third ? third : low;

			if (strlen(start) + 1 > len)
				return -1;
			memcpy(out, start, strlen(start) + 1);
			return 0;
		}
	if (strlen(prev) + 1 > len)
		return -1;
	memcpy(out, prev, strlen(prev) + 1);
	return 0;
}

/* ---- SPF ------------------------------------------------------------- */

static void
spf_one(struct nf_doc *d, struct nf_doc_dns *c, SPF_server_t *srv,
    const char *ip)
{
	const char *bd = d->conf->bounce_domain;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_result_t r;
	char sender[512], detail[300] = "";
	int v6 = strchr(ip, ':') != NULL, i;

	snprintf(sender, sizeof sender, "%s@%s", d->conf->verp_prefix &&
	    d->conf->verp_prefix[0] ? d->conf->verp_prefix : "bounce", bd);
	if ((req = SPF_request_new(srv)) == NULL) {
		nf_doc_add(d, NF_DOC_WARN, "spf", ip, "libspf2 could not start "
		    "(out of memory?)");
		nf_doc_hint(d, "run doctor again");
		return;
	}
	if ((v6 ? SPF_request_set_ipv6_str(req, ip) :
	    SPF_request_set_ipv4_str(req, ip)) != SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, sender) != 0) {
		SPF_request_free(req);
		nf_doc_add(d, NF_DOC_FAIL, "spf", ip, "libspf2 refused address "
		    "%s or sender %s", ip, sender);
		nf_doc_hint(d, "check --outbound-ip and BounceDomain in %s",
		    d->conf_path);
		return;
	}
	SPF_request_query_mailfrom(req, &resp);
	r = resp ? SPF_response_result(resp) : SPF_RESULT_TEMPERROR;
	for (i = 0; resp && i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);

		if (e == NULL)
			continue;
		/* libspf2 1.2.10 calls a failed lookup of the record itself
		 * invalid (permerror); RFC 7208 4.4 says temperror */
		if (SPF_error_code(e) == SPF_E_DNS_ERROR &&
		    (r == SPF_RESULT_PERMERROR || r == SPF_RESULT_INVALID))
			r = SPF_RESULT_TEMPERROR;
		if (detail[0] == '\0' && SPF_error_message(e) != NULL)
			snprintf(detail, sizeof detail, ": %s",
			    SPF_error_message(e));
	}
	if (resp != NULL && SPF_response_errcode(resp) == SPF_E_DNS_ERROR &&
	    (r == SPF_RESULT_PERMERROR || r == SPF_RESULT_INVALID))
		r = SPF_RESULT_TEMPERROR;
	switch (r) {
	case SPF_RESULT_PASS:
		nf_doc_add(d, NF_DOC_PASS, "spf", ip, "pass: %s may send for %s",
		    ip, bd);
		break;
	case SPF_RESULT_FAIL:
		nf_doc_add(d, NF_DOC_FAIL, "spf", ip, "fail: the SPF record of %s "
		    "forbids %s, so receivers may reject notification mail sent "
		    "from it", bd, ip);
		nf_doc_hint(d, "add %s:%s to the SPF record (TXT) of %s", v6 ?
		    "ip6" : "ip4", ip, bd);
		break;
	case SPF_RESULT_SOFTFAIL:
	case SPF_RESULT_NEUTRAL:
		nf_doc_add(d, NF_DOC_WARN, "spf", ip, "%s: the SPF record of %s "
		    "does not authorize %s", r == SPF_RESULT_SOFTFAIL ?
		    "softfail" : "neutral", bd, ip);
		nf_doc_hint(d, "add %s:%s to the SPF record (TXT) of %s", v6 ?
		    "ip6" : "ip4", ip, bd);
		break;
	case SPF_RESULT_NONE:
		nf_doc_add(d, NF_DOC_WARN, "spf", ip, "none: %s publishes no SPF "
		    "record", bd);
		nf_doc_hint(d, "publish %s. TXT \"v=spf1 %s:%s -all\"", bd,
		    v6 ? "ip6" : "ip4", ip);
		break;
	case SPF_RESULT_TEMPERROR:
		nf_doc_add(d, NF_DOC_WARN, "spf", ip, "temperror: a DNS lookup "
		    "failed through %s%s", c->server, detail);
		nf_doc_hint(d, "check this host's DNS (or --resolver) and run "
		    "doctor again");
		break;
	default:
		nf_doc_add(d, NF_DOC_FAIL, "spf", ip, "permerror: the SPF record "
		    "of %s is broken%s", bd, detail);
		nf_doc_hint(d, "fix the TXT record \"v=spf1 ...\" of %s (one "
		    "record, at most 10 DNS mechanisms)", bd);
		break;
	}
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
}

/* This host's addresses: not loopback, not link-local, interface up. */
static size_t
own_addresses(char ips[][INET6_ADDRSTRLEN], size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0, k;
	char buf[INET6_ADDRSTRLEN];

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)i->ifa_addr;

			if ((ntohl(s->sin_addr.s_addr) >> 24) == 127 ||
			    (ntohl(s->sin_addr.s_addr) >> 16) == 0xa9fe)
				continue;
			inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)i->ifa_addr;

			if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr) ||
			    IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
		} else
			continue;
		for (k = 0; k < n && strcmp(ips[k], buf) != 0; k++)
			;
		if (k == n)
			snprintf(ips[n++], INET6_ADDRSTRLEN, "%s", buf);
	}
	freeifaddrs(ifa);
	return n;
}

static void
spf_quiet(const char *file, int line, const char *msg)
{
	(void)file; (void)line; (void)msg;
}

static void
check_spf(struct nf_doc *d, struct nf_doc_dns *c)
{
	char ips[DNS_IP_MAX][INET6_ADDRSTRLEN];
	SPF_server_t *srv;
	size_t n = 0, i;
	struct in6_addr a6;
	struct in_addr a4;

	if (d->opts.noutbound > 0) {
		for (i = 0; i < d->opts.noutbound && n < DNS_IP_MAX; i++) {
			if (inet_pton(AF_INET, d->opts.outbound[i], &a4) != 1 &&
			    inet_pton(AF_INET6, d->opts.outbound[i], &a6) != 1)
				continue;	/* cmd_doctor.c refused it already */
			snprintf(ips[n++], INET6_ADDRSTRLEN, "%s",
			    d->opts.outbound[i]);
		}
	} else
		n = own_addresses(ips, DNS_IP_MAX);
	if (n == 0) {
		nf_doc_add(d, NF_DOC_WARN, "spf", NULL, "this host has no "
		    "address other than loopback: SPF not checked");
		nf_doc_hint(d, "give the address notification mail leaves from "
		    "with --outbound-ip IP (repeatable)");
		return;
	}
	/* libspf2 prints its warnings; doctor reports results instead */
	SPF_warning_handler = spf_quiet;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
	if ((srv = SPF_server_new_dns(&c->layer, 0)) == NULL) {
		nf_doc_add(d, NF_DOC_WARN, "spf", NULL, "libspf2 could not start "
		    "(out of memory?)");
		nf_doc_hint(d, "run doctor again");
		return;
	}
	for (i = 0; i < n; i++)
		spf_one(d, c, srv, ips[i]);
	SPF_server_free(srv);
}

/* ---- MX ------------------------------------------------------------- */

static void
check_mx(struct nf_doc *d, struct nf_doc_dns *c)
{
	const char *bd = d->conf->bounce_domain;
	struct nf_doc_ans a;
	char list[512] = "";
	size_t used = 0;
	int i, n;

	nf_doc_dns_query(c, bd, ns_t_mx, &a);
	if (a.herr == NETDB_SUCCESS && a.n == 1 &&
	    strcmp(strchr(a.rr[0], ' ') + 1, ".") == 0) {
		nf_doc_add(d, NF_DOC_FAIL, "mx", bd, "null MX (RFC 7505): %s "
		    "accepts no mail, so bounces and complaints cannot come back, "
		    "and receivers may refuse mail from it", bd);
		nf_doc_hint(d, "replace the MX of %s with one that points at this "
		    "host's MTA", bd);
	} else if (a.herr == NETDB_SUCCESS) {
		for (i = 0; i < a.n && used < sizeof list; i++) {
			n = snprintf(list + used, sizeof list - used, "%s%s",
			    i ? ", " : "", a.rr[i]);
			if (n < 0 || (size_t)n >= sizeof list - used)
				break;
			used += (size_t)n;
		}
		nf_doc_add(d, NF_DOC_PASS, "mx", bd, "%s", list);
	} else if (a.herr == NO_DATA) {
		nf_doc_add(d, NF_DOC_WARN, "mx", bd, "%s has no MX record: "
		    "reports cannot come back (unless its A record is an MTA)",
		    bd);
		nf_doc_hint(d, "publish %s. MX 10 <the host that runs this MTA>",
		    bd);
	} else if (a.herr == HOST_NOT_FOUND) {
		nf_doc_add(d, NF_DOC_FAIL, "mx", bd, "%s does not exist in DNS: "
		    "receivers refuse mail whose envelope sender domain does not "
		    "exist, and reports cannot come back", bd);
		nf_doc_hint(d, "create %s in DNS with an MX (and SPF) record, or "
		    "fix BounceDomain in %s", bd, d->conf_path);
	} else {
		nf_doc_add(d, NF_DOC_WARN, "mx", bd, "MX lookup through %s: %s",
		    c->server, nf_doc_herr_text(a.herr));
		nf_doc_hint(d, "check this host's DNS (or --resolver) and run "
		    "doctor again");
	}
	nf_doc_ans_free(&a);
}

/* ---- DMARC -------------------------------------------------------------- */

struct dmarc_rec {
	int found;		/* 1 record, 0 none, -1 lookup failed, 2 several */
	char at[NS_MAXDNAME + 8];	/* where it was found */
	char p[32], aspf[8];
	int herr;
};

/* Value of tag `tag` in a DMARC record into out ("" if absent). */
static void
dmarc_tag(const char *rec, const char *tag, char *out, size_t len)
{
	const char *p = rec, *e;
	size_t tl = strlen(tag), n;

	out[0] = '\0';
	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncasecmp(p, tag, tl) == 0) {
			const char *v = p + tl;

			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				e = strchr(v, ';');
				n = e ? (size_t)(e - v) : strlen(v);
				while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
					n--;
				if (n >= len)
					n = len - 1;
				memcpy(out, v, n);
				out[n] = '\0';
				return;
			}
		}
		p = strchr(p, ';');
	}
}

static void
dmarc_at(struct nf_doc_dns *c, const char *domain, struct dmarc_rec *r)
{
	char name[NS_MAXDNAME + 8];
	struct nf_doc_ans a;
	int i, hits = 0, which = -1;

	snprintf(name, sizeof name, "_dmarc.%s", domain);
	nf_doc_dns_query(c, name, ns_t_txt, &a);
	r->herr = a.herr;
	if (a.herr != NETDB_SUCCESS && a.herr != NO_DATA &&
	    a.herr != HOST_NOT_FOUND) {
		r->found = -1;
		nf_doc_ans_free(&a);
		return;
	}
	for (i = 0; i < a.n; i++) {
		const char *t = a.rr[i];

		while (*t == ' ')
			t++;
		/* RFC 7489 6.4: v=DMARC1 comes first */
		if (strncmp(t, "v=DMARC1", 8) == 0 && (t[8] == ';' ||
		    t[8] == ' ' || t[8] == '\0')) {
			hits++;
			which = i;
		}
	}
	if (hits >= 1) {
		r->found = hits == 1 ? 1 : 2;
		snprintf(r->at, sizeof r->at, "%s", name);
		dmarc_tag(a.rr[which], "p", r->p, sizeof r->p);
		dmarc_tag(a.rr[which], "aspf", r->aspf, sizeof r->aspf);
	}
	nf_doc_ans_free(&a);
}

static void
check_dmarc(struct nf_doc *d, struct nf_doc_dns *c)
{
	const struct nf_conf *conf = d->conf;
	const char *bd = conf->bounce_domain;
	char doms[DNS_DOMAINS_MAX][NS_MAXDNAME];
	char org_bd[NS_MAXDNAME], org[NS_MAXDNAME];
	struct dmarc_rec rec;
	size_t nd = 0, i, k;

	for (i = 0; i < conf->nsenders && nd < DNS_DOMAINS_MAX; i++) {
		const char *at = strrchr(conf->senders[i], '@');
		const char *dom = at ? at + 1 : conf->senders[i];

		if (strncmp(dom, "*.", 2) == 0)
			dom += 2;	/* *@*.b: b and its subdomains */
		if (dom[0] == '\0' || strchr(dom, '*') != NULL)
			continue;
		for (k = 0; k < nd && strcasecmp(doms[k], dom) != 0; k++)
			;
		if (k == nd && strlen(dom) < NS_MAXDNAME)
			snprintf(doms[nd++], NS_MAXDNAME, "%s", dom);
	}
	if (nf_doc_org_domain(bd, org_bd, sizeof org_bd) != 0)
		return;
	for (i = 0; i < nd; i++) {
		const char *dom = doms[i];

		if (nf_doc_org_domain(dom, org, sizeof org) != 0)
			continue;
		memset(&rec, 0, sizeof rec);
		dmarc_at(c, dom, &rec);
		if (rec.found == 0 && strcasecmp(org, dom) != 0)
			dmarc_at(c, org, &rec);	/* RFC 7489 6.6.3 */

		/* alignment of the VERP sender (SPF identity) with From */
		if (strcasecmp(org, org_bd) != 0) {
			nf_doc_add(d, NF_DOC_FAIL, "dmarc-align", dom, "BounceDomain "
			    "%s (organizational domain %s) is not aligned with %s "
			    "(%s): SPF can never pass DMARC for this mail, only "
			    "DKIM can", bd, org_bd, dom, org);
			nf_doc_hint(d, "set BounceDomain to a subdomain of %s (e.g. "
			    "bounce.%s, with MX and SPF) in %s%s", org, org,
			    d->conf_path, nd > 1 ? "; one BounceDomain aligns "
			    "with one organizational domain only" : "");
		} else if (rec.found == 1 && (rec.aspf[0] == 's' ||
		    rec.aspf[0] == 'S') && strcasecmp(dom, bd) != 0) {
			nf_doc_add(d, NF_DOC_FAIL, "dmarc-align", dom, "%s asks for "
			    "strict SPF alignment (aspf=s), and BounceDomain %s is "
			    "not %s", rec.at, bd, dom);
			nf_doc_hint(d, "set aspf=r in %s, or BounceDomain to %s",
			    rec.at, dom);
		} else
			nf_doc_add(d, NF_DOC_PASS, "dmarc-align", dom, "relaxed "
			    "alignment: %s and %s share the organizational domain "
			    "%s", bd, dom, org);

		if (rec.found == 1)
			nf_doc_add(d, NF_DOC_PASS, "dmarc-record", dom, "%s: p=%s",
			    rec.at, rec.p[0] ? rec.p : "(missing)");
		else if (rec.found == 2) {
			nf_doc_add(d, NF_DOC_WARN, "dmarc-record", dom, "%s has "
			    "several v=DMARC1 records, so receivers apply none",
			    rec.at);
			nf_doc_hint(d, "keep one TXT record at %s", rec.at);
		} else if (rec.found == 0) {
			nf_doc_add(d, NF_DOC_WARN, "dmarc-record", dom, "%s publishes "
			    "no DMARC policy (_dmarc.%s%s%s has none)", dom, dom,
			    strcasecmp(org, dom) ? ", _dmarc." : "",
			    strcasecmp(org, dom) ? org : "");
			nf_doc_hint(d, "publish _dmarc.%s. TXT \"v=DMARC1; p=none; "
			    "rua=mailto:dmarc@%s\" and tighten p= later; large "
			    "mailbox providers require a DMARC record from bulk "
			    "senders", org, org);
		} else {
			nf_doc_add(d, NF_DOC_WARN, "dmarc-record", dom, "lookup of "
			    "_dmarc.%s through %s: %s", dom, c->server,
			    nf_doc_herr_text(rec.herr));
			nf_doc_hint(d, "check this host's DNS (or --resolver) and run "
			    "doctor again");
		}
	}
}

void
nf_doc_check_dns(struct nf_doc *d)
{
	struct nf_doc_dns *c;
	char why[256];

	if (d->conf->bounce_domain == NULL || d->conf->bounce_domain[0] == '\0')
		return;		/* bounce-domain already failed */
	if ((c = calloc(1, sizeof *c)) == NULL) {
		d->oom = 1;
		return;
	}
	if (nf_doc_dns_open(c, d, why, sizeof why) != 0) {
		nf_doc_add(d, NF_DOC_WARN, "dns", NULL, "%s: DNS not checked",
		    why);
		nf_doc_hint(d, "fix /etc/resolv.conf or --resolver");
		nf_doc_dns_close(c);
		free(c);
		return;
	}
	check_spf(d, c);
	check_dmarc(d, c);
	check_mx(d, c);
	nf_doc_dns_close(c);
	free(c);
}
