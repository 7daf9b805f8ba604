/*
 * report.h - bounce, delay, success, auto-reply and complaint reports.
 *
 * The public face of the parser.  Push the raw message in any chunks
 * (milter body callback, pipe, fuzzer), finish, then read one result per
 * recipient the report names:
 *
 *   struct nf_report *r = nf_report_new(NULL);
 *   nf_report_envelope(r, sender, rcpt);        optional, before finish
 *   nf_report_push(r, buf, n); ...              any number of times
 *   nf_report_finish(r);
 *   for (i = 0; i < nf_report_count(r); i++) use(nf_report_get(r, i));
 *   nf_report_free(r);                          or nf_report_reset(r), next
 *
 * Memory is bounded by the limits whatever the input; no I/O is done.
 * Strings in results belong to the report and live until nf_report_free().
 */
#ifndef NF_REPORT_H
#define NF_REPORT_H

#include <stddef.h>

#include "mime.h"

enum nf_report_kind {
	NF_REPORT_NONE = 0,	/* not a report: nothing to act on */
	NF_REPORT_DSN,		/* RFC 3464 delivery status notification */
	NF_REPORT_ARF,		/* RFC 5965 feedback (complaint) report */
	NF_REPORT_AUTOREPLY,	/* RFC 3834 auto-reply, vacation notice */
	NF_REPORT_HEURISTIC	/* a bounce in a non-standard text format */
};

struct nf_report_limits {
	struct nf_mime_limits mime;
	size_t max_rcpts;	/* results kept */
	size_t max_text;	/* bytes of human-readable text kept */
};

struct nf_report_rcpt {
	const char *recipient;	/* lower case */
	const char *action;	/* failed delayed delivered relayed expanded complaint */
	const char *status;	/* "5.1.1" or "" */
	const char *reply;	/* "550" or "" */
	const char *reason;	/* Sisimai's vocabulary (classify.h) */
	int hard;		/* the address itself is bad */
	const char *diagnostic;	/* the server's answer, one line */
	const char *remote_mta;	/* "" when unknown */
	const char *feedback_type;	/* ARF Feedback-Type, or "" */
};

struct nf_report;

/* NULL = default limits.  NULL when out of memory. */
struct nf_report *nf_report_new(const struct nf_report_limits *lim);
/* The envelope of the report as the MTA delivered it, when known (either
 * may be NULL): the recipient is the VERP address that carries the token. */
int nf_report_envelope(struct nf_report *r, const char *sender, const char *rcpt);
/* 0, or -1 when out of memory (the report is then unusable). */
int nf_report_push(struct nf_report *r, const char *data, size_t len);
int nf_report_finish(struct nf_report *r);

int nf_report_kind(const struct nf_report *r);
const char *nf_report_kind_name(int kind);
size_t nf_report_count(const struct nf_report *r);
const struct nf_report_rcpt *nf_report_get(const struct nf_report *r, size_t i);
/* Candidate tracking token: from the VERP recipient (envelope, else the To:
 * header), else X-Notifilter-ID of the returned message; "" when none. */
const char *nf_report_token(const struct nf_report *r);
/* Message-ID of the returned message (without <>), "" when unknown. */
const char *nf_report_message_id(const struct nf_report *r);
/* ARF details: "" when not a complaint or not given. */
const char *nf_report_arf_field(const struct nf_report *r, const char *name);
/* NF_MIME_CUT_* flags and NF_REPORT_CUT_* below: what the limits cut. */
#define NF_REPORT_CUT_RCPTS 0x100
#define NF_REPORT_CUT_TEXT  0x200
unsigned nf_report_flags(const struct nf_report *r);
/* Ready r for the next message, as nf_report_new() with the same limits
 * would, but keeping its buffers' allocations (a caller that parses many
 * messages in a row saves the set-up; memory stays within the limits).
 * The previous results are gone.  0, or -1 when out of memory (r must then
 * be freed). */
int nf_report_reset(struct nf_report *r);
void nf_report_free(struct nf_report *r);

#endif
