/*
 * ctx.h - per-connection and per-message state of the milter.
 *
 * A struct nf_conn lives from CONNECT to CLOSE (smfi_setpriv).  A struct
 * nf_msg lives from MAIL to EOM/ABORT (or CLOSE, which may be the only
 * callback that comes) and exists only for notification traffic.  The one
 * way a message ends is nf_conn_end_msg(): it sends the message's decision
 * events to the writer, with the queue id if one was seen, and -- when the
 * message was tagged (or would have been, in monitor mode) -- the message
 * record with its token, in one writer item; then it frees the message.
 */
#ifndef NF_MILTER_CTX_H
#define NF_MILTER_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "phone.h"
#include "policy.h"
#include "store.h"
#include "token.h"

#define NF_QID_MAX 64		/* Postfix long queue ids are ~20 chars */
#define NF_MSG_MAX_RCPT 20000	/* beyond this, recipients are tempfailed */
#define NF_SENDER_MAX 300	/* kept for events; longer senders are cut visibly */

/* The headers whose values are kept (bounded) for the record; the
 * control headers (from NF_HDR_CATEGORY on) are also counted so that every
 * copy can be removed at end of message.  X-Notifilter-ID copies that the
 * application wrote are counted too: a tagged message carries only ours. */
enum nf_hdr_id {
	NF_HDR_FROM = 0,
	NF_HDR_SUBJECT,
	NF_HDR_MSGID,
	NF_HDR_CATEGORY,	/* first control header */
	NF_HDR_FALLBACK,
	NF_HDR_PHONE,
	NF_HDR_ID,		/* X-Notifilter-ID (counted, never kept) */
	NF_HDR_COUNT
};
#define NF_HDR_FIRST_CONTROL NF_HDR_CATEGORY
#define NF_HDR_LAST_CONTROL NF_HDR_PHONE

struct nf_hdrval {
	char *value;		/* first non-empty copy, unfolded, trimmed, bounded */
	unsigned long copies;	/* every copy seen, empty ones included */
	size_t full_len;	/* length of the kept copy before any cut */
	int cut;		/* value was cut: its first bytes, then "...[cut]" */
};

/* The header's name as written in mail, and its id (NF_HDR_COUNT if the
 * name is none of ours). */
const char *nf_hdr_name(enum nf_hdr_id id);
enum nf_hdr_id nf_hdr_lookup(const char *name);

enum nf_rcpt_action {
	NF_ACT_UNDECIDED = 0,	/* unparsable address: passed through */
	NF_ACT_ALLOWED,
	NF_ACT_MONITORED,	/* blocked, but Mode monitor changes nothing */
	NF_ACT_REJECTED,	/* 550 at RCPT */
	NF_ACT_DROPPED,		/* smfi_delrcpt at EOM */
	NF_ACT_TEMPFAILED,	/* 4xx at RCPT (store error) */
	NF_ACT_DEFERRED		/* whole message tempfailed at EOM (store error, non-SMTP) */
};

const char *nf_action_name(enum nf_rcpt_action a);

struct nf_rcpt {
	char *arg;		/* as the MTA sent it, for smfi_delrcpt */
	char *key;		/* normalised address, NULL if unparsable */
	char *reason;		/* the decision's reason text */
	const char *rule;	/* NF_RULE_* or NULL when undecided */
	uint32_t hash;		/* of key, to find repeats fast */
	int64_t time;
	enum nf_verdict verdict;
	enum nf_rcpt_action action;
	int repeat;		/* same key as an earlier recipient: no event */
	int client_notify;	/* the client gave NOTIFY= for it (kept as is) */
	int client_success;	/* ... and it asks for success reports */
	int dsn_readded;	/* re-added with our NOTIFY/ORCPT at EOM */
	char *client_orcpt;	/* the client's ORCPT=... argument, or NULL */
};

struct nf_milter_key;

struct nf_msg {
	struct nf_conf *conf;	/* a reference held for the whole message */
	int nonsmtp;		/* sendmail(1)/pickup path: never reject */
	char sender[NF_SENDER_MAX];
	char qid[NF_QID_MAX];	/* "" until the MTA tells */
	struct nf_rcpt *rcpt;
	size_t nrcpt, cap;
	size_t nkept;		/* recipients that stay in the message */
	size_t ndropped;	/* recipients to remove at EOM */
	int tempfail_eom;	/* non-SMTP store error: tempfail the message */
	struct nf_milter_key *key;	/* SecretFile key taken at MAIL, or NULL */
	struct nf_hdrval hdr[NF_HDR_COUNT];
	/* set at EOM when the message is recorded (tagged, or monitored) */
	int record;
	int applied;		/* the edits were made (0 in monitor mode) */
	int64_t tag_time;
	char token[NF_TOKEN_SIZE];
	char verp[NF_TOKEN_VERP_MAX + 1];	/* "" when not changed */
	char phone[NF_PHONE_MAX + 1];	/* E.164 of X-Notifilter-Phone */
	int phone_valid;
};

struct nf_conn {
	int nonsmtp_name;	/* {daemon_name} said non-SMTP */
	int local_emul;		/* CONNECT looked like Postfix's emulation */
	unsigned long nmsg;	/* messages seen (for logs) */
	struct nf_msg *msg;
};

struct nf_conn *nf_conn_new(void);
/* Ends any open message (outcome "closed") and frees the connection. */
void nf_conn_free(struct nf_conn *c);

/* Start a message; takes its own references to conf and key (key may be
 * NULL: tagging off).  NULL on no memory. */
struct nf_msg *nf_msg_new(struct nf_conf *conf, struct nf_milter_key *key,
    const char *sender, int nonsmtp);
/* Take one header (any name; only ours are kept).  Bounded: a value is
 * kept up to NF_STORE_HEADER_MAX bytes, a longer one is cut with "..." and
 * the cut logged.  Returns 0, or -1 on no memory. */
int nf_msg_header(struct nf_msg *m, const char *name, const char *value);
/* Remember the queue id (first non-empty value wins). */
void nf_msg_set_qid(struct nf_msg *m, const char *qid);
/* Find an earlier recipient with the same key, or NULL. */
struct nf_rcpt *nf_msg_find(const struct nf_msg *m, const char *key,
    uint32_t hash);
/* Append a recipient record (arg and key copied; key may be NULL).
 * NULL on no memory or past NF_MSG_MAX_RCPT. */
struct nf_rcpt *nf_msg_add(struct nf_msg *m, const char *arg,
    const char *key, uint32_t hash);
int nf_rcpt_set_reason(struct nf_rcpt *r, const char *reason);
/* Remember the client's NOTIFY/ORCPT RCPT parameters (argv after the
 * address; NULL-terminated).  Returns 0, or -1 on no memory. */
int nf_rcpt_set_esmtp(struct nf_rcpt *r, char **args);
uint32_t nf_key_hash(const char *key);

/*
 * End the connection's current message, if any: every first decision
 * becomes a "decision" event (with `outcome` for the whole message:
 * "accepted", "discarded", "tempfailed", "aborted", "closed") sent to the
 * writer -- together with the message record when m->record is set and
 * the outcome is "accepted" -- then the message is freed.  Returns the
 * number of events (plus 1 for a message record) the writer could not
 * take (0 normally); they are logged here.
 */
size_t nf_conn_end_msg(struct nf_conn *c, const char *outcome);

#endif
