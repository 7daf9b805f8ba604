/*
 * report_int.h - internals shared by report.c (life cycle, routing of
 * mime.c events, accessors), report_rcpt.c (recipient results) and
 * report_kind.c (the report's kind, the non-DSN sources, finish).  Not
 * installed; not for use outside those three files.
 */
#ifndef NF_REPORT_INT_H
#define NF_REPORT_INT_H

#include <stddef.h>

#include "arf.h"
#include "buf.h"
#include "classify.h"
#include "dsn.h"
#include "heur.h"
#include "mime.h"
#include "report.h"

struct result {
	struct nf_report_rcpt pub;
	char recipient[NF_HEUR_ADDR_MAX];
	char status[16];
	char reply[4];
	char *diag;
	char *remote_mta;
};

struct nf_report {
	struct nf_report_limits lim;
	struct nf_mime *mime;
	/* the report's own headers */
	struct nf_buf from, to, subject, return_path, auto_submitted, x_failed;
	struct nf_buf precedence;
	int autoreply_hdr;	/* X-Autoreply, X-Autorespond, ... */
	int multipart_report;
	/* the first returned message's headers */
	long ret_entity;
	int ret_done;
	struct nf_buf ret_msgid, ret_token, ret_to, ret_from;
	/* parts */
	struct nf_dsn dsn;	/* message/delivery-status */
	struct nf_dsn tdsn;	/* DSN fields written into the text */
	struct nf_dsn ndsn;	/* a DSN inside the returned message (a bounce of a bounce) */
	struct nf_arf arf;
	struct nf_buf text, html;
	/* envelope */
	struct nf_buf env_sender, env_rcpt;
	/* results */
	struct result *res;
	size_t nres;
	struct nf_buf token, msgid;
	size_t elen;		/* error section of the text (heur.h) */
	int sect_cmd;		/* SMTP command the error section names, -1 not yet */
	long line_part;		/* index of the part line_kind is for, -1 none */
	int line_kind;		/* what that part's body lines feed (LK_*) */
	char *sect_lc;		/* the error section, lower case, NULL not yet */
	unsigned mta_sig;	/* header signals of the author (report_mta.h) */
	/* classify.c's answers for texts already seen: recipients of one
	 * report mostly share their diagnostic and their context */
	struct nf_classify_memo memo;
	int mta;		/* enum nf_mta */
	int kind;
	int finished;
	unsigned flags;
	int nomem;
};

/* report_rcpt.c */

/* First address in a header value, lower case, into dst
 * (NF_HEUR_ADDR_MAX bytes); 1 when found. */
int nf_rp_first_addr(const char *v, size_t len, char *dst);
/* A new, empty result for addr; NULL when addr has one already, when
 * max_rcpts is reached (NF_REPORT_CUT_RCPTS) or out of memory (r->nomem). */
struct result *nf_rp_add_result(struct nf_report *r, const char *addr);
/* A copy of s ("" for NULL) for a result (freed with the report); NULL
 * sets r->nomem. */
char *nf_rp_dup_str(struct nf_report *r, const char *s);
/* s in lower case into dst (dstlen > 0 bytes), as much as fits. */
void nf_rp_lower_copy(char *dst, size_t dstlen, const char *s);
/* The report's text part, else its HTML part as text. */
const char *nf_rp_text_of(const struct nf_report *r, size_t *len);
/* The error section, lower case, worked out once per report ("" when out
 * of memory). */
const char *nf_rp_section_lc(struct nf_report *r);
/* Fill status, reply, reason, hard and action of res from its diagnostic,
 * the format's hint and context (the text about it, may be ""). */
void nf_rp_finalize(struct nf_report *r, struct result *res, const char *diag_type,
    int hint, const char *context);
/* One result per recipient record of d; how many were added. */
int nf_rp_from_dsn(struct nf_report *r, struct nf_dsn *d);

#endif
