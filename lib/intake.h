/*
 * intake.h - apply one parsed report (lib/report.h) to the store: decide
 * whether it is authentic, what each reported recipient's outcome means
 * under DESIGN.md's reason policy, and record it all in one transaction.
 *
 * Used by `notifilterctl ingest` (ctl/cmd_ingest.c).  No I/O but the
 * store's; DKIM and SPF results come in from lib/verify.h, already made.
 */
#ifndef NF_INTAKE_H
#define NF_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "secret.h"
#include "store.h"

/* What the reason policy makes of one reported recipient. */
enum nf_intake_policy {
	NF_POL_OTHER = 0,	/* recorded only (expanded, not-spam, ...) */
	NF_POL_BAD,		/* the address is bad: suppress it */
	NF_POL_SOFT,		/* count; suppress after SoftBounceLimit */
	NF_POL_SPAM,		/* spam filter / policy: never suppress */
	NF_POL_COMPLAINT,	/* revoke email consent */
	NF_POL_DELIVERED,
	NF_POL_RELAYED,
	NF_POL_DELAYED,
	NF_POL_AUTOREPLY	/* vacation: not a failure */
};

/* The policy for one result of a report of kind `kind` (enum
 * nf_report_kind).  Pure: the table that DESIGN.md's policy becomes. */
int nf_intake_policy(int kind, const struct nf_report_rcpt *x);
/* "bad", "soft", "spam", "complaint", "delivered", ... */
const char *nf_intake_policy_name(int policy);

struct nf_intake_conf {
	const struct nf_secret *secret;	/* SecretFile; NULL: nothing verifies */
	const char *verp_prefix;	/* VerpPrefix */
	const char *bounce_domain;	/* BounceDomain (NULL: VERP not read) */
	int64_t soft_limit;		/* SoftBounceLimit (<= 0: never) */
	int64_t soft_window;		/* SoftBounceWindow, seconds */
	int complaint_auth;		/* NF_AUTH_* bits of conf.h */
	char *const *complaint_domains;	/* ComplaintDomains, lower case */
	size_t ncomplaint_domains;	/* 0: any signer will do */
};

/* The report's envelope as the MTA gave it; each may be NULL or "". */
struct nf_intake_env {
	const char *sender, *recipient, *client_ip, *helo;
};

/* DKIM and SPF results (lib/verify.h words); NULL: not checked. */
struct nf_intake_auth {
	const char *dkim;		/* "pass" "fail" "none" "temperror" ... */
	const char *dkim_domain;	/* d= of the passing signature */
	const char *spf;		/* "pass" "fail" "softfail" ... */
	const char *dkim_pass;		/* d= of every passing signature,
					 * space-separated (verify.h) */
};

/* The raw report, for the excerpt and the size. */
struct nf_intake_raw {
	const char *data;
	size_t len;		/* bytes in data */
	int64_t size;		/* bytes the MTA gave (>= len when cut) */
	int cut;		/* more than the read limit came: not all parsed */
};

struct nf_intake_result {
	int kind;			/* enum nf_report_kind */
	char token[72];			/* the candidate used ("" if none) */
	int token_rc;			/* nf_token_verify() result */
	int64_t message;		/* message id it named (0: none) */
	int authenticated;
	int in_flight;			/* token verifies, is recent, and its
					 * message is not recorded yet: the
					 * caller retries later (nothing written) */
	char why[256];			/* one line: why (not) authenticated */
	size_t n;			/* recipients recorded */
	size_t by_outcome[8];		/* indexed by NF_OUT_* */
	int64_t report_id;
};

/* outcomes counted in by_outcome */
enum {
	NF_OUT_SUPPRESSED = 0, NF_OUT_COUNTED, NF_OUT_UNDELIVERED,
	NF_OUT_REVOKED, NF_OUT_STATUS, NF_OUT_RECORDED, NF_OUT_UNAUTH,
	NF_OUT_UNATTRIBUTED,	/* a complaint about a message of several
				 * recipients that names none: recorded
				 * against the message, no consent changed */
	NF_OUT_COUNT_
};

/*
 * The kind intake acts on: the parser's, except that a feedback report
 * which names no recipient (Original-Rcpt-To missing and the returned
 * message's To: hidden, as large mailbox providers send complaints) is a
 * complaint (NF_REPORT_ARF), not "not a report".  ingest checks DKIM and
 * SPF for that kind.
 */
int nf_intake_kind(const struct nf_report *r);

/*
 * Apply parsed report `r` (finished) inside one store transaction: record
 * the report, and act for each recipient that the report may speak for.
 * Authentic means: a candidate token (VERP recipient, then the parser's
 * token, then an ARF Original-Mail-From VERP) verifies with conf->secret,
 * names a recorded message, and the recipient is one of that message's;
 * complaints also need what complaint_auth asks (DKIM and/or SPF "pass")
 * and, with complaint_domains, a passing DKIM signature whose d= is one of
 * those domains or below one (auth->dkim_pass, else auth->dkim_domain when
 * auth->dkim is "pass").
 * Anything else is recorded as "unauthenticated" and changes nothing.
 *
 * Returns NF_STORE_OK, or the store's failure (BUSY, ERR, ...) with
 * nothing of the report written: the caller tempfails (exit 75).
 */
int nf_intake_apply(struct nf_store *s, const struct nf_intake_conf *conf,
    const struct nf_intake_env *env, const struct nf_report *r,
    const struct nf_intake_auth *auth, const struct nf_intake_raw *raw,
    int64_t now, struct nf_intake_result *out);

/* reports.flags bit: the MTA gave more than NF_INTAKE_READ_MAX bytes */
#define NF_INTAKE_CUT_INPUT 0x10000

/*
 * A report can arrive before the daemon's writer has recorded its message
 * (a next hop that refuses at once, Postfix's bounce a few ms later).  A
 * token that verifies and was made at most this long ago, naming no
 * recorded message, makes nf_intake_apply return NF_STORE_BUSY with
 * out->in_flight set and nothing written; an older one is recorded as
 * unauthenticated (its record is gone, not late).
 */
#define NF_INTAKE_INFLIGHT_SECS (2 * 86400)

/* Input limit of `ingest` (bytes parsed; the rest is read and dropped). */
#define NF_INTAKE_READ_MAX (10 * 1024 * 1024)

#endif
