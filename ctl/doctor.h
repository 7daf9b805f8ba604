/*
 * doctor.h - what the parts of `notifilterctl doctor` share.
 *
 * A check adds one result line (pass, warn or fail) with the check's name,
 * an optional subject (an IP, a domain, a channel), a message and, for warn
 * and fail, a hint that says what to change and where.  cmd_doctor.c runs
 * the checks in order and prints the lines as text or JSON; the exit status
 * is 1 when any line is a fail.  The checks live in doctor_local.c (config,
 * secret, store, MailLog, user), doctor_net.c (milter socket, channels) and
 * doctor_dns.c (SPF, DMARC, MX); none of them exits or prints.  This
 * header does not include store.h: channel.h (doctor_net.c) has a struct
 * of the same name as store.h's enum nf_channel.
 */
#ifndef NF_DOCTOR_H
#define NF_DOCTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

enum nf_doc_status { NF_DOC_PASS = 0, NF_DOC_WARN, NF_DOC_FAIL };

struct nf_doc_opts {
	int json;
	int full;			/* --full: integrity_check whatever the size */
	const char *resolver;		/* --resolver IP[:PORT], or NULL */
	const char **outbound;		/* --outbound-ip values */
	size_t noutbound;
	long timeout_ms;		/* per DNS try and per connect */
};

struct nf_doc_line {
	enum nf_doc_status status;
	char *check;
	char *subject;			/* NULL when the check has none */
	char *msg;
	char *hint;			/* NULL for pass lines */
};

#define NF_DOC_GROUPS_MAX 64

struct nf_doc {
	struct nf_doc_opts opts;
	const char *conf_path;
	const struct nf_conf *conf;	/* NULL when the config did not load */
	struct nf_doc_line *lines;
	size_t n, cap;
	int oom;			/* a line could not be stored */
	/* the user the daemon runs as (UserID), for access checks */
	int have_user;
	uid_t uid;
	gid_t gid;
	gid_t groups[NF_DOC_GROUPS_MAX];
	int ngroups;
	char user[64];
};

/* Add a result line; msg is printf-formatted.  Never fails visibly: out
 * of memory sets d->oom, which the caller reports. */
void nf_doc_add(struct nf_doc *d, enum nf_doc_status st, const char *check,
    const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Set the hint of the line added last. */
void nf_doc_hint(struct nf_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * May the daemon's user (UserID) do `want` (R_OK, W_OK, X_OK bits) on
 * `path`, including search permission on every directory above it?
 * Judged from owners and mode bits (ACLs are not read); root may do
 * anything.  1 yes; 0 no, with the reason in why[len]; -1 when the path
 * cannot be examined (why says so).  Only meaningful when d->have_user.
 */
int nf_doc_user_may(const struct nf_doc *d, const char *path, int want,
    char *why, size_t len);

/* doctor_local.c */
int nf_doc_check_user(struct nf_doc *d);	/* resolves UserID first */
/* Senders, BounceDomain, SupportAddress */
void nf_doc_check_settings(struct nf_doc *d);
void nf_doc_check_secret(struct nf_doc *d);
void nf_doc_check_store(struct nf_doc *d);
void nf_doc_check_maillog(struct nf_doc *d);

/* doctor_net.c */
void nf_doc_check_socket(struct nf_doc *d);
void nf_doc_check_channels(struct nf_doc *d);

/* doctor_dns.c */
void nf_doc_check_dns(struct nf_doc *d);
/* 1 when `spec` is a --resolver value: IP, IP:PORT, [IPv6]:PORT, IPv6. */
int nf_doc_resolver_ok(const char *spec);
/* The organizational domain of `domain` (lower case, no trailing dot) by
 * a small built-in public-suffix rule set (see doctor_dns.c).  0, or -1
 * when out does not have room. */
int nf_doc_org_domain(const char *domain, char *out, size_t len);

#endif
