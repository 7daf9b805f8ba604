/*
 * dsn.h - RFC 3464 delivery status fields, pushed one line at a time.
 *
 * Feed the lines of a message/delivery-status part (or of any text that
 * may carry such fields) with nf_dsn_line() and close with nf_dsn_end().
 * Per-message fields are kept once; each group naming a recipient
 * (Final-Recipient or Original-Recipient) becomes one record.  Values are
 * unfolded; every value is held in an nf_buf with a hard cap, and at most
 * `max_rcpts` records are kept (`cut` counts what was dropped).
 */
#ifndef NF_DSN_H
#define NF_DSN_H

#include <stddef.h>

#include "buf.h"

enum nf_dsn_field {
	NF_DSN_FINAL_RCPT, NF_DSN_ORIG_RCPT, NF_DSN_ACTION, NF_DSN_STATUS,
	NF_DSN_REMOTE_MTA, NF_DSN_DIAG, NF_DSN_LAST_ATTEMPT, NF_DSN_WILL_RETRY,
	NF_DSN_CATEGORY,	/* X-PowerMTA-BounceCategory: the sender's own verdict */
	NF_DSN_NFIELDS
};

struct nf_dsn_rcpt {
	struct nf_buf f[NF_DSN_NFIELDS];	/* values, type prefix kept */
};

struct nf_dsn {
	struct nf_buf reporting_mta;
	struct nf_buf arrival_date;
	struct nf_dsn_rcpt *rcpt;
	size_t n, max_rcpts;
	size_t cut;			/* records not kept */
	int cur;			/* record the group fills, -1 none */
	int group_dropped;		/* the current group is past max_rcpts */
	struct nf_buf field;		/* field being unfolded */
	size_t nfields;			/* DSN fields seen at all */
	int nomem;
};

void nf_dsn_init(struct nf_dsn *d, size_t max_rcpts);
/* 0, or -1 when out of memory (the parse goes on with what it has). */
int nf_dsn_line(struct nf_dsn *d, const char *line, size_t len);
/* End of the fields (flushes a pending field). */
int nf_dsn_end(struct nf_dsn *d);
void nf_dsn_free(struct nf_dsn *d);

/* Split a "type; value" field value: returns a pointer to the value part
 * (after the semicolon and blanks) and copies the lower-case type into
 * `type` (cut to typelen-1; "" when there is no "type;" prefix). */
const char *nf_dsn_typed(const char *v, char *type, size_t typelen);

/* Split "Name: value" of one unfolded field; 1 when it is a field.  The
 * name is copied lower case into `name`. */
int nf_dsn_field_split(const char *line, size_t len, char *name, size_t namelen,
    const char **value);

#endif
