/*
 * classify.h - SMTP reply code + enhanced status + diagnostic text -> reason.
 *
 * Reasons are Sisimai's names (../shared/corpus/bounces/REASONS.md), so that
 * results compare with the labelled corpus; the decision is notifilter's
 * own: a reason the report format states, then a clear phrase of the
 * server's text, then the enhanced status code (RFC 3463 subject and
 * detail), then the SMTP command the failure happened at and the reply
 * code, then the action.
 */
#ifndef NF_CLASSIFY_H
#define NF_CLASSIFY_H

#include <stddef.h>

enum nf_reason {
	NF_REASON_NONE = 0,
	NF_REASON_BLOCKED, NF_REASON_CONTENTERROR, NF_REASON_DELIVERED,
	NF_REASON_EXCEEDLIMIT, NF_REASON_EXPIRED, NF_REASON_FEEDBACK,
	NF_REASON_FILTERED, NF_REASON_HASMOVED, NF_REASON_HOSTUNKNOWN,
	NF_REASON_MAILBOXFULL, NF_REASON_MAILERERROR, NF_REASON_MESGTOOBIG,
	NF_REASON_NETWORKERROR, NF_REASON_NORELAYING, NF_REASON_NOTACCEPT,
	NF_REASON_ONHOLD, NF_REASON_POLICYVIOLATION, NF_REASON_REJECTED,
	NF_REASON_SECURITYERROR, NF_REASON_SPAMDETECTED, NF_REASON_SUSPEND,
	NF_REASON_SYNTAXERROR, NF_REASON_SYSTEMERROR, NF_REASON_SYSTEMFULL,
	NF_REASON_TOOMANYCONN, NF_REASON_UNDEFINED, NF_REASON_USERUNKNOWN,
	NF_REASON_VACATION, NF_REASON_VIRUSDETECTED,
	NF_REASON_COUNT
};

/* SMTP command a failure happened at, as far as the report tells */
enum nf_smtp_cmd {
	NF_CMD_NONE = 0, NF_CMD_CONN, NF_CMD_EHLO, NF_CMD_MAIL, NF_CMD_RCPT,
	NF_CMD_DATA
};

struct nf_classify_in {
	const char *status;	/* "5.1.1" or "" */
	const char *reply;	/* "550" or "" */
	const char *diag;	/* diagnostic text, any case */
	const char *diag_type;	/* "SMTP", "X-Unix", ... or "" */
	const char *action;	/* "failed", "delayed", ... or "" */
	int command;		/* enum nf_smtp_cmd */
	int hint;		/* reason the report format states, or NONE */
};

/* One phrase of the hand-written table (classify_tab.c): lower-case text
 * that must start at a word boundary; one '*' stands for a gap of up to
 * NF_CLASSIFY_GAP characters.  weight: 3 names the reason outright, 2 is
 * clear evidence weighed with the code and the SMTP stage, 1 a general
 * word (the weak set), 0 a veto against the reason. */
struct nf_classify_phrase {
	const char *s;
	unsigned char reason;
	unsigned char weight;
};
#define NF_CLASSIFY_GAP 40
extern const struct nf_classify_phrase nf_classify_phrases[];
extern const size_t nf_classify_nphrases;

/* The reasons whose phrases occur in a lower-case text, as bit sets
 * (bit 1 << reason), by the weight of the phrases found.  One pass,
 * whatever the table's size. */
struct nf_classify_marks {
	unsigned long strong;	/* weight >= 2, vetoed reasons removed */
	unsigned long weak;	/* weight 1 */
	unsigned long outright;	/* weight 3 */
	unsigned long veto;	/* weight 0 */
};
void nf_classify_marks(const char *lc, size_t n, struct nf_classify_marks *m);

const char *nf_reason_name(int reason);
/* NF_REASON_NONE when the name is unknown */
int nf_reason_from_name(const char *name);
/* The reason, never NONE (UNDEFINED when nothing is known). */
int nf_classify(const struct nf_classify_in *in);
/* Does the text (any case) carry a phrase of `reason`? */
int nf_classify_match(int reason, const char *text);
/* 1 for a reason that says little on its own (none, undefined, onhold,
 * systemerror, securityerror, networkerror, hostunknown, userunknown):
 * one a status code or a format names is weighed against the words. */
int nf_classify_vague(int reason);
/* 1 when this reason with this status/reply makes the address bad. */
int nf_classify_hard(int reason, const char *status, const char *reply);
/* Reason of an enhanced status code by RFC 3463, or NONE; *strong is set
 * to 1 when the code alone names the reason well (X.1.1, X.2.2 ...). */
int nf_classify_code(const char *status, int *strong);
/* Find an enhanced status code ("5.1.1") in text; 1 found.  Skips strings
 * that are part of an IPv4 address or a version number. */
int nf_classify_find_status(const char *text, char *dst, size_t dstlen);
/* Find an SMTP reply code (2xx 4xx 5xx at a word start); 1 found. */
int nf_classify_find_reply(const char *text, char *dst, size_t dstlen);
/* The SMTP command a (lower-case) text says the failure happened at. */
int nf_classify_command(const char *lc);
/* The same from explicit words only ("in reply to RCPT TO", a transcript's
 * ">>> DATA"), for long texts where a command named in passing misleads. */
int nf_classify_command_strict(const char *lc);

/* A caller's memory of recent answers, for a report whose recipients
 * share one diagnostic or one context text: the phrase marks of the last
 * few diagnostics and the commands of the last few texts, each kept with
 * a copy of its text and reused only for the same text, so the answers
 * are those of nf_classify() and nf_classify_command().  Zero it before
 * the first use, free it with nf_classify_memo_free(); without memory to
 * keep a copy the answer is simply worked out again. */
#define NF_CLASSIFY_MEMO 4
struct nf_classify_memo {
	struct {
		char *text;	/* lower-case copy, NULL = empty slot */
		size_t n;
		struct nf_classify_marks marks;
	} m[NF_CLASSIFY_MEMO];
	struct {
		char *text;
		size_t n;
		int cmd;
	} c[NF_CLASSIFY_MEMO];
	unsigned next_m, next_c;
};
int nf_classify_memo(const struct nf_classify_in *in, struct nf_classify_memo *memo);
int nf_classify_command_memo(const char *lc, struct nf_classify_memo *memo);
void nf_classify_memo_free(struct nf_classify_memo *memo);

#endif
