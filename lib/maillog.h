/*
 * maillog.h - read one line of the MTA's log: is it a delivery status, and
 * what does it say?
 *
 * Postfix logs one line per recipient and delivery attempt, e.g.
 *
 *   Nov 23 11:00:00 mx postfix/smtp[123]: 4XyZ1234AB: to=<a@b>,
 *     orig_to=<c@d>, relay=mx.example[192.0.2.1]:25, delay=1.2,
 *     delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok)
 *
 * (one line in the file), and qmgr logs a message that expired with no
 * recipient named:  "QID: from=<s@x>, status=expired, returned to sender".
 * The timestamp may be classic syslog ("Nov 23 11:00:00", local time, no
 * year) or RFC 3339 ("2026-11-23T11:00:00.123456+00:00", rsyslog's file
 * format).  nf_maillog_parse recognises exactly these lines; everything
 * else in the log is "not a delivery line".
 *
 * No I/O, no allocation, no global state: the same function serves the
 * daemon's follower, the unit tests and the fuzzer.  Every field has a
 * hard size; a line whose address, relay, host or queue id does not fit is
 * not taken (it cannot be one of ours: stored addresses are at most 254
 * octets), and only the diagnostic is cut, visibly ("..." and diag_cut).
 */
#ifndef NF_MAILLOG_H
#define NF_MAILLOG_H

#include <stddef.h>
#include <stdint.h>

#define NF_MAILLOG_LINE_MAX 8192	/* longer lines are not looked at */
#define NF_MAILLOG_QID_MAX 64		/* = NF_STORE_QID_MAX */
#define NF_MAILLOG_ADDR_MAX 512		/* as logged (quoted forms included) */
#define NF_MAILLOG_HOST_MAX 256
#define NF_MAILLOG_TAG_MAX 128
#define NF_MAILLOG_PROG_MAX 16
#define NF_MAILLOG_RELAY_MAX 300
#define NF_MAILLOG_DSN_MAX 16
#define NF_MAILLOG_DIAG_MAX 1000	/* diagnostic text kept, without NUL */

enum nf_maillog_rc {
	NF_MAILLOG_DELIVERY = 0,	/* *out is filled */
	NF_MAILLOG_OTHER = 1		/* not a delivery line; *out undefined */
};

enum nf_maillog_status {
	NF_MAILLOG_SENT = 1,
	NF_MAILLOG_DEFERRED,	/* also Postfix's SOFTBOUNCE (soft_bounce = yes) */
	NF_MAILLOG_BOUNCED,
	NF_MAILLOG_EXPIRED	/* "expired" and "force-expired" (postsuper -e) */
};

/* The timestamp as written.  year is 0 in the classic syslog form, which
 * has none; has_tz is 0 there too (the time is the MTA host's local
 * time). */
struct nf_maillog_ts {
	int year, mon, mday, hour, min, sec;	/* mon 1..12 */
	long usec;				/* 0 when not written */
	int has_tz;
	int tz_min;				/* offset east of UTC, minutes */
};

struct nf_maillog_rec {
	struct nf_maillog_ts ts;
	char host[NF_MAILLOG_HOST_MAX];
	char tag[NF_MAILLOG_TAG_MAX];		/* "postfix/submission/smtp" */
	char program[NF_MAILLOG_PROG_MAX];	/* its last part: "smtp" */
	long pid;				/* -1 when the tag had none */
	char queue_id[NF_MAILLOG_QID_MAX];
	enum nf_maillog_status status;
	char status_word[NF_MAILLOG_PROG_MAX];	/* as logged: "sent", "SOFTBOUNCE" */
	/* has_rcpt = 0 only for qmgr's "from=<...>, status=expired, returned
	 * to sender", which is about the whole message: to and orig_to are
	 * "" then, and from holds the envelope sender. */
	int has_rcpt;
	char to[NF_MAILLOG_ADDR_MAX];		/* without the <> */
	char orig_to[NF_MAILLOG_ADDR_MAX];	/* "" when not logged */
	char from[NF_MAILLOG_ADDR_MAX];		/* only in the expired form */
	char relay[NF_MAILLOG_RELAY_MAX];	/* "" when not logged */
	char dsn[NF_MAILLOG_DSN_MAX];		/* "2.0.0"; "" when not logged */
	char diag[NF_MAILLOG_DIAG_MAX + 1];	/* text inside the ( ), or "" */
	int diag_cut;	/* diag was longer than NF_MAILLOG_DIAG_MAX (it ends in
			 * "...") or the line ended before its ")" */
};

/*
 * Parse one log line (`len` bytes, a trailing "\n" or "\r\n" allowed; it
 * need not be NUL-terminated).  NF_MAILLOG_DELIVERY when it is a delivery
 * status line of a Postfix delivery agent (smtp, lmtp, local, virtual,
 * pipe, error, retry, discard) or queue manager, under any syslog_name
 * prefix; NF_MAILLOG_OTHER for every other line, including lines longer
 * than NF_MAILLOG_LINE_MAX, lines with a NUL byte, NOQUEUE lines, address
 * verification probes (status=deliverable/undeliverable) and lines whose
 * fields do not fit the sizes above.
 */
int nf_maillog_parse(const char *line, size_t len, struct nf_maillog_rec *out);

/*
 * Unix time of a parsed timestamp.  With a zone offset the answer is
 * exact.  The classic form is local time without a year: the year is the
 * one that puts the time nearest before `now` (a line from December read
 * in January belongs to last year), allowing a day of clock skew into the
 * future.  Returns 0, or -1 when the fields are not a valid time.
 */
int nf_maillog_time(const struct nf_maillog_ts *ts, int64_t now, int64_t *out);

/* "sent", "deferred", "bounced", "expired" (the store's vocabulary). */
const char *nf_maillog_status_name(enum nf_maillog_status st);

#endif
