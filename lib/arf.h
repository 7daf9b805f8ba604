/*
 * arf.h - RFC 5965 feedback report fields, pushed one line at a time.
 *
 * Feed the lines of a message/feedback-report part; the fields a complaint
 * handler needs are kept (each under a hard cap), Original-Rcpt-To and
 * Removal-Recipient up to NF_ARF_MAX_RCPTS times.
 */
#ifndef NF_ARF_H
#define NF_ARF_H

#include <stddef.h>

#include "buf.h"

#define NF_ARF_MAX_RCPTS 32

struct nf_arf {
	struct nf_buf feedback_type;	/* lower case: abuse, fraud, opt-out ... */
	struct nf_buf user_agent;
	struct nf_buf original_mail_from;
	struct nf_buf source_ip;
	struct nf_buf arrival_date;	/* Arrival-Date or Received-Date */
	struct nf_buf reported_domain;
	struct nf_buf auth_results;
	struct nf_buf rcpt[NF_ARF_MAX_RCPTS];	/* Original-Rcpt-To / Removal-Recipient */
	size_t nrcpt;
	size_t nfields;			/* ARF fields seen */
	struct nf_buf field;
	int nomem;
};

void nf_arf_init(struct nf_arf *a);
int nf_arf_line(struct nf_arf *a, const char *line, size_t len);
int nf_arf_end(struct nf_arf *a);
void nf_arf_free(struct nf_arf *a);

#endif
