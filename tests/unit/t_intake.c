/*
 * t_intake.c - unit tests of report intake (lib/intake.h, the store calls
 * of lib/store_report.c): reports built here as text, parsed by the real
 * parser, applied to a real store in a temporary directory.
 *
 * Table-driven: each case is a report (DSN, ARF, auto-reply, forged ...)
 * about a message recorded with a real token, and what must follow:
 * authenticated or not, the outcome per recipient, suppressed or not,
 * email consent, recipient status.  Then the soft-bounce limit, the busy
 * store (nothing written, BUSY returned: `ingest` exits 75), the policy
 * table on its own, a recipient's timeline, and complaints whose recipient
 * the reporter redacted (attributed through the token to a message's only
 * recipient, or recorded against a message of several, revoking nothing).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conf.h"
#include "intake.h"
#include "report.h"
#include "store.h"
#include "tap.h"
#include "token.h"

static char tmpdir[] = "/tmp/t_intake.XXXXXX";
static char dbpath[600];
static struct nf_secret *key, *otherkey;
static struct nf_store *st;
static int64_t now;
static uint64_t next_id = 1000;

#define BD "bounces.example.test"
#define DEST "dest.example.test"

/* ---- helpers ---------------------------------------------------------- */

static struct nf_secret *
load_key(const char *name, const char *bytes)
{
	char p[700];
	struct nf_secret *s = NULL;
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	if ((f = fopen(p, "w")) == NULL)
		return NULL;
	fputs(bytes, f);
	fclose(f);
	chmod(p, 0600);
	if (nf_secret_load(p, &s, NULL) != 0)
		return NULL;
	return s;
}

/* Record a message to `rcpts` (NULL-terminated); its token in tok.  With
 * `verdicts` (one per recipient) the recipients have those verdicts and
 * no DSN request, else all are allowed with DSN requested. */
static int
record_with(const char *qid, const char *const *rcpts,
    const char *const *verdicts, char *tok)
{
	struct nf_message_in m;
	struct nf_recipient_in r[8];
	char verp[300];
	size_t n = 0;

	if (nf_token_make(key, next_id++, now, tok, NF_TOKEN_SIZE) != 0)
		return -1;
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	memset(&m, 0, sizeof m);
	m.token = tok;
	m.queue_id = qid;
	m.sender = "app@notify.example.test";
	m.verp = verp;
	m.subject = "Your invoice";
	m.applied = 1;
	m.time = now - 60;
	memset(r, 0, sizeof r);
	for (; rcpts[n] != NULL && n < 8; n++) {
		r[n].address = rcpts[n];
		r[n].verdict = verdicts ? verdicts[n] : "allowed";
		r[n].rule = "default-consent-yes";
		r[n].dsn_requested = verdicts == NULL;
	}
	return nf_store_message_add(st, &m, r, n);
}

static int
record_message(const char *qid, const char *const *rcpts, char *tok)
{
	return record_with(qid, rcpts, NULL, tok);
}

/* A Postfix-style DSN about `rcpt`, with the returned message's
 * X-Notifilter-ID `xid` ("" for none). */
static char *
dsn(const char *rcpt, const char *action, const char *status,
    const char *diag, const char *xid)
{
	char *b = malloc(8192);

	snprintf(b, 8192,
	    "From: MAILER-DAEMON@mta.example.test (Mail Delivery System)\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"BND\"\n"
	    "Message-Id: <20260101.DSN@mta.example.test>\n\n"
	    "This is a MIME-encapsulated message.\n\n"
	    "--BND\n"
	    "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"
	    "I'm sorry to have to inform you that your message could not\n"
	    "be delivered to one or more recipients.\n\n"
	    "<%s>: host 127.0.0.1 said: %s\n\n"
	    "--BND\n"
	    "Content-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mta.example.test\n"
	    "X-Postfix-Queue-ID: 4ABCDEF\n"
	    "Arrival-Date: Thu,  1 Jan 2026 10:00:00 +0000 (UTC)\n\n"
	    "Final-Recipient: rfc822; %s\n"
	    "Original-Recipient: rfc822;%s\n"
	    "Action: %s\n"
	    "Status: %s\n"
	    "Remote-MTA: dns; 127.0.0.1\n"
	    "Diagnostic-Code: smtp; %s\n\n"
	    "--BND\n"
	    "Content-Description: Undelivered Message Headers\n"
	    "Content-Type: text/rfc822-headers\n\n"
	    "From: app@notify.example.test\n"
	    "To: %s\n"
	    "Subject: Your invoice\n"
	    "%s%s%s"
	    "Message-ID: <orig@notify.example.test>\n\n"
	    "--BND--\n",
	    rcpt, diag, rcpt, rcpt, action, status, diag, rcpt,
	    xid[0] ? "X-Notifilter-ID: " : "", xid, xid[0] ? "\n" : "");
	return b;
}

/* An ARF report (RFC 5965) about `rcpt`. */
static char *
arf(const char *rcpt, const char *type, const char *xid)
{
	char *b = malloc(8192);

	snprintf(b, 8192,
	    "From: fbl@isp.example.net\n"
	    "To: complaints@" BD "\n"
	    "Subject: FW: Your invoice\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    "\tboundary=\"ARF\"\n\n"
	    "--ARF\n"
	    "Content-Type: text/plain\n\n"
	    "This is an email abuse report.\n\n"
	    "--ARF\n"
	    "Content-Type: message/feedback-report\n\n"
	    "Feedback-Type: %s\n"
	    "User-Agent: test/1.0\n"
	    "Version: 1\n"
	    "Original-Rcpt-To: %s\n"
	    "Source-IP: 192.0.2.1\n\n"
	    "--ARF\n"
	    "Content-Type: message/rfc822\n\n"
	    "From: app@notify.example.test\n"
	    "To: %s\n"
	    "Subject: Your invoice\n"
	    "X-Notifilter-ID: %s\n"
	    "Message-ID: <orig2@notify.example.test>\n\n"
	    "Your invoice is ready.\n\n"
	    "--ARF--\n", type, rcpt, rcpt, xid);
	return b;
}

static struct nf_report *
parse(const char *msg, const char *sender, const char *rcpt)
{
	struct nf_report *r = nf_report_new(NULL);

	if (r == NULL)
		return NULL;
	nf_report_envelope(r, sender, rcpt);
	nf_report_push(r, msg, strlen(msg));
	nf_report_finish(r);
	return r;
}

static struct nf_intake_conf conf_default = {
	NULL, "bounce", BD, 3, 7 * 86400, 0, NULL, 0
};

/* Parse msg and apply it; rc of nf_intake_apply. */
static int
apply(struct nf_store *s, const struct nf_intake_conf *conf, const char *msg,
    const char *env_rcpt, const struct nf_intake_auth *auth,
    struct nf_intake_result *res)
{
	struct nf_intake_env env = { "", env_rcpt, NULL, NULL };
	struct nf_intake_raw raw = { msg, strlen(msg), (int64_t)strlen(msg), 0 };
	struct nf_report *r = parse(msg, "", env_rcpt);
	int rc;

	if (r == NULL)
		return -1;
	rc = nf_intake_apply(s, conf, &env, r, auth, &raw, now, res);
	nf_report_free(r);
	return rc;
}

static int
suppressed(const char *addr, char *reason, size_t len)
{
	struct nf_email_state es;

	if (nf_store_email_state(st, addr, &es) != NF_STORE_OK)
		return -1;
	if (reason)
		snprintf(reason, len, "%s", es.suppress_reason);
	nf_store_release(st);
	return es.suppressed;
}

static int
consent_of(const char *addr)
{
	struct nf_email_state es;

	if (nf_store_email_state(st, addr, &es) != NF_STORE_OK)
		return -1;
	nf_store_release(st);
	return (int)es.email_consent;
}

/* One value from the database (read-only, its own connection). */
static char *
sql1(const char *sql, const char *p1)
{
	static char out[4][1024];
	static int k;
	sqlite3 *db;
	sqlite3_stmt *s;

	k = (k + 1) % 4;
	out[k][0] = '\0';
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return strcpy(out[k], "(open failed)");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (p1)
			sqlite3_bind_text(s, 1, p1, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			snprintf(out[k], sizeof out[k], "%s",
			    (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	} else
		snprintf(out[k], sizeof out[k], "(sql error: %s)",
		    sqlite3_errmsg(db));
	sqlite3_close(db);
	return out[k];
}

/* ---- the table ---------------------------------------------------------- */

enum tokwhere { T_VERP, T_HEADER, T_NONE, T_FORGED, T_ALTERED, T_OTHERKEY,
	T_UNKNOWN_MSG };

struct tcase {
	const char *name;
	const char *rcpt;		/* reported recipient */
	int in_message;			/* rcpt is one of the message's */
	int arf;			/* 0 DSN, 1 ARF */
	const char *action, *status, *diag, *fbtype;
	enum tokwhere tok;
	int auth;			/* want authenticated */
	const char *outcome;		/* want, for the recipient */
	int supp;			/* want suppressed afterwards */
	const char *supp_reason;
	int consent;			/* want email consent afterwards */
	const char *status_after;	/* want recipients.status ("" none) */
};

static const struct tcase cases[] = {
	{ "success DSN", "ok1@" DEST, 1, 0, "delivered", "2.0.0",
	    "250 2.0.0 Ok: queued", "", T_VERP, 1, "delivered", 0, "",
	    NF_CONSENT_NONE, "delivered" },
	{ "relayed DSN", "ok2@" DEST, 1, 0, "relayed", "2.0.0",
	    "250 2.0.0 Ok", "", T_VERP, 1, "relayed", 0, "",
	    NF_CONSENT_NONE, "relayed" },
	{ "delayed DSN", "slow@" DEST, 1, 0, "delayed", "4.2.0",
	    "450 4.2.0 Mailbox busy, try later", "", T_VERP, 1, "deferred", 0,
	    "", NF_CONSENT_NONE, "deferred" },
	{ "550 5.1.1 user unknown", "gone@" DEST, 1, 0, "failed", "5.1.1",
	    "550 5.1.1 <gone@" DEST ">: Recipient address rejected: User "
	    "unknown in local recipient table", "", T_VERP, 1, "suppressed",
	    1, "userunknown", NF_CONSENT_NONE, "bounced" },
	{ "550 5.1.1 with the token only in X-Notifilter-ID", "gone2@" DEST,
	    1, 0, "failed", "5.1.1", "550 5.1.1 User unknown", "", T_HEADER, 1,
	    "suppressed", 1, "userunknown", NF_CONSENT_NONE, "bounced" },
	{ "554 5.7.1 spam: never suppressed", "strict@" DEST, 1, 0, "failed",
	    "5.7.1", "554 5.7.1 Message rejected as spam by Content Filtering",
	    "", T_VERP, 1, "undelivered", 0, "", NF_CONSENT_NONE, "bounced" },
	{ "ARF abuse: consent revoked", "angry@" DEST, 1, 1, NULL, NULL, NULL,
	    "abuse", T_VERP, 1, "consent-revoked", 0, "", NF_CONSENT_REVOKED,
	    "" },
	{ "ARF opt-out: consent revoked", "optout@" DEST, 1, 1, NULL, NULL,
	    NULL, "opt-out", T_HEADER, 1, "consent-revoked", 0, "",
	    NF_CONSENT_REVOKED, "" },
	{ "ARF not-spam: recorded only", "happy@" DEST, 1, 1, NULL, NULL, NULL,
	    "not-spam", T_VERP, 1, "recorded", 0, "", NF_CONSENT_NONE, "" },
	{ "forged DSN, no token", "victim1@" DEST, 1, 0, "failed", "5.1.1",
	    "550 5.1.1 User unknown", "", T_NONE, 0, "unauthenticated", 0, "",
	    NF_CONSENT_NONE, "" },
	{ "forged DSN, made-up token", "victim2@" DEST, 1, 0, "failed",
	    "5.1.1", "550 5.1.1 User unknown", "", T_FORGED, 0,
	    "unauthenticated", 0, "", NF_CONSENT_NONE, "" },
	{ "DSN with an altered token", "victim3@" DEST, 1, 0, "failed",
	    "5.1.1", "550 5.1.1 User unknown", "", T_ALTERED, 0,
	    "unauthenticated", 0, "", NF_CONSENT_NONE, "" },
	{ "token signed with another key", "victim4@" DEST, 1, 0, "failed",
	    "5.1.1", "550 5.1.1 User unknown", "", T_OTHERKEY, 0,
	    "unauthenticated", 0, "", NF_CONSENT_NONE, "" },
	{ "valid but old token of an unknown message", "victim5@" DEST, 1, 0,
	    "failed", "5.1.1", "550 5.1.1 User unknown", "", T_UNKNOWN_MSG, 0,
	    "unauthenticated", 0, "", NF_CONSENT_NONE, "" },
	{ "recipient not in the message", "stranger@" DEST, 0, 0, "failed",
	    "5.1.1", "550 5.1.1 User unknown", "", T_VERP, 1,
	    "unauthenticated", 0, "", NF_CONSENT_NONE, "" },
	{ "forged ARF, no token", "victim6@" DEST, 1, 1, NULL, NULL, NULL,
	    "abuse", T_NONE, 0, "unauthenticated", 0, "", NF_CONSENT_NONE, "" },
};

static void
flip(char *tok)
{
	size_t n = strlen(tok);

	/* change one character of the MAC part, keep the alphabet */
	tok[n - 2] = tok[n - 2] == 'a' ? 'b' : 'a';
}

static void
run_case(const struct tcase *c)
{
	const char *rcpts[3] = { NULL, NULL, NULL };
	char tok[NF_TOKEN_SIZE], use[NF_TOKEN_SIZE + 8], verp[300], reason[600];
	struct nf_intake_result res;
	const char *want_out = c->outcome ? c->outcome : "(none)";
	const char *want_st = c->status_after ? c->status_after : "";
	char *msg;
	int rc;

	rcpts[0] = c->in_message ? c->rcpt : "someone-else@" DEST;
	rcpts[1] = "cc@" DEST;
	if (record_message("QID", rcpts, tok) != NF_STORE_OK) {
		ok(0, "%s: message recorded (%s)", c->name, nf_store_errmsg(st));
		return;
	}
	snprintf(use, sizeof use, "%s", tok);
	if (c->tok == T_FORGED)
		snprintf(use, sizeof use, "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	else if (c->tok == T_ALTERED)
		flip(use);
	else if (c->tok == T_OTHERKEY)
		nf_token_make(otherkey, next_id - 1, now, use, sizeof use);
	else if (c->tok == T_UNKNOWN_MSG)	/* made before the in-flight window */
		nf_token_make(key, 999999999, now - NF_INTAKE_INFLIGHT_SECS - 86400,
		    use, sizeof use);
	snprintf(verp, sizeof verp, "bounce+%s@" BD, use);
	if (c->arf)
		msg = arf(c->rcpt, c->fbtype, c->tok == T_NONE ? "" :
		    c->tok == T_HEADER ? use : "");
	else
		msg = dsn(c->rcpt, c->action, c->status, c->diag,
		    c->tok == T_HEADER ? use : "");
	rc = apply(st, &conf_default, msg,
	    c->tok == T_NONE || c->tok == T_HEADER ? (c->arf ?
	    "complaints@" BD : "postmaster@" BD) : verp, NULL, &res);
	free(msg);
	is_int(rc, NF_STORE_OK, "%s: applied", c->name);
	is_int(res.authenticated, c->auth, "%s: authenticated %d (%s)",
	    c->name, c->auth, res.why);
	is_int(res.n, 1, "%s: one recipient read", c->name);
	is_str(sql1("SELECT outcome FROM report_recipients WHERE address = ?1 "
	    "ORDER BY id DESC LIMIT 1", c->rcpt), want_out,
	    "%s: outcome %s", c->name, want_out);
	is_int(suppressed(c->rcpt, reason, sizeof reason), c->supp,
	    "%s: %ssuppressed", c->name, c->supp ? "" : "not ");
	if (c->supp)
		is_str(reason, c->supp_reason, "%s: suppression reason",
		    c->name);
	is_int(consent_of(c->rcpt), c->consent, "%s: email consent %s",
	    c->name, nf_consent_name(c->consent));
	is_str(sql1("SELECT ifnull(r.status, '') FROM recipients r JOIN "
	    "messages m ON m.id = r.message_id WHERE m.token = lower(?1) AND "
	    "r.address = 'cc@" DEST "'", tok), "",
	    "%s: the other recipient is untouched", c->name);
	if (c->in_message)
		is_str(sql1("SELECT ifnull(r.status, '') FROM recipients r JOIN "
		    "messages m ON m.id = r.message_id WHERE m.token = lower(?1)"
		    " AND r.address = '' || (SELECT address FROM "
		    "report_recipients ORDER BY id DESC LIMIT 1)", tok),
		    want_st, "%s: recipient status \"%s\"", c->name,
		    want_st);
}

/*
 * A bounce that arrives before its message is recorded (the daemon's writer
 * commits a few ms after end of message; a next hop that refuses at once is
 * faster) must not be thrown away as unauthenticated: BUSY, nothing
 * written, and the same report counts once the record is there.
 */
static void
in_flight(void)
{
	const char *rcpts[] = { "early@" DEST, NULL };
	char tok[NF_TOKEN_SIZE], verp[300], *msg, before[32];
	struct nf_intake_result res;
	char *n;

	/* the token the daemon would have made, its record not written yet */
	if (nf_token_make(key, next_id + 1000, now, tok, NF_TOKEN_SIZE) != 0) {
		ok(0, "in flight: token made");
		return;
	}
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	n = sql1("SELECT count(*) FROM reports", NULL);
	snprintf(before, sizeof before, "%s", n ? n : "");
	msg = dsn("early@" DEST, "failed", "5.1.1", "550 5.1.1 User unknown", "");
	is_int(apply(st, &conf_default, msg, verp, NULL, &res), NF_STORE_BUSY,
	    "in flight: a fresh token naming no recorded message is BUSY");
	ok(res.in_flight, "in flight: flagged as a record still on its way (%s)",
	    res.why);
	is_str(sql1("SELECT count(*) FROM reports", NULL), before,
	    "in flight: nothing of the report was written");
	is_int(suppressed("early@" DEST, NULL, 0), 0,
	    "in flight: nothing suppressed yet");
	{
		/* now the daemon's record lands, with that very token */
		struct nf_message_in m;
		struct nf_recipient_in r;

		memset(&m, 0, sizeof m);
		memset(&r, 0, sizeof r);
		m.token = tok;
		m.queue_id = "QEARLY";
		m.sender = "app@notify.example.test";
		m.verp = verp;
		m.applied = 1;
		m.time = now;
		r.address = rcpts[0];
		r.verdict = "allowed";
		r.rule = "default-consent-yes";
		is_int(nf_store_message_add(st, &m, &r, 1), NF_STORE_OK,
		    "in flight: the message record arrives");
	}
	is_int(apply(st, &conf_default, msg, verp, NULL, &res), NF_STORE_OK,
	    "in flight: the MTA's next delivery of the report is applied");
	ok(res.authenticated && !res.in_flight, "in flight: now authenticated");
	is_int(suppressed("early@" DEST, NULL, 0), 1,
	    "in flight: and the address is suppressed");
	free(msg);
}

/* ---- soft bounces --------------------------------------------------------- */

static void
soft_limit(void)
{
	const char *rcpts[] = { "full@" DEST, NULL };
	char tok[NF_TOKEN_SIZE], verp[300], *msg;
	struct nf_intake_result res;
	int i;

	for (i = 1; i <= 3; i++) {
		record_message("QSOFT", rcpts, tok);
		snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
		msg = dsn("full@" DEST, "failed", "5.2.2",
		    "552 5.2.2 Mailbox full, quota exceeded", "");
		is_int(apply(st, &conf_default, msg, verp, NULL, &res),
		    NF_STORE_OK, "soft %d: applied", i);
		is_int(suppressed("full@" DEST, NULL, 0), i >= 3,
		    "soft %d of SoftBounceLimit 3: %s", i, i >= 3 ?
		    "suppressed" : "not yet suppressed");
		is_int(res.by_outcome[i >= 3 ? NF_OUT_SUPPRESSED :
		    NF_OUT_COUNTED], 1, "soft %d: outcome %s", i, i >= 3 ?
		    "suppressed" : "counted");
		if (i == 2) {
			/* the same report again: one message counts once */
			is_int(apply(st, &conf_default, msg, verp, NULL, &res),
			    NF_STORE_OK, "soft 2 again: applied");
			is_int(suppressed("full@" DEST, NULL, 0), 0,
			    "soft 2 delivered twice counts once");
		}
		free(msg);
	}
	is_str(sql1("SELECT reason FROM suppressions WHERE address = ?1",
	    "full@" DEST), "mailboxfull", "soft: suppressed with the reason");
	ok(strstr(sql1("SELECT evidence FROM suppressions WHERE address = ?1",
	    "full@" DEST), "3 soft failures") != NULL,
	    "soft: the evidence says how many (%s)", sql1("SELECT evidence "
	    "FROM suppressions WHERE address = ?1", "full@" DEST));

	/* old ones fall out of the window */
	record_message("QOLD", (const char *[]){ "old@" DEST, NULL }, tok);
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	msg = dsn("old@" DEST, "failed", "4.4.7", "450 4.2.0 Mailbox busy", "");
	for (i = 0; i < 2; i++) {
		struct nf_intake_env env = { "", verp, NULL, NULL };
		struct nf_intake_raw raw = { msg, strlen(msg), 1, 0 };
		struct nf_report *r = parse(msg, "", verp);

		nf_intake_apply(st, &conf_default, &env, r, NULL, &raw,
		    now - 8 * 86400 - i, &res);
		nf_report_free(r);
		record_message("QOLD", (const char *[]){ "old@" DEST, NULL },
		    tok);
		snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	}
	is_int(apply(st, &conf_default, msg, verp, NULL, &res), NF_STORE_OK,
	    "window: applied");
	is_int(suppressed("old@" DEST, NULL, 0), 0,
	    "window: two soft failures 8 days ago do not count (7d)");
	free(msg);
}

/* ---- ComplaintAuth ---------------------------------------------------------- */

static void
complaint_auth(void)
{
	struct nf_intake_conf c = conf_default;
	struct nf_intake_auth none = { "none", NULL, NULL, NULL };
	struct nf_intake_auth pass = { "pass", "isp.example.net", "pass",
	    NULL };
	const char *r1[] = { "ca1@" DEST, NULL }, *r2[] = { "ca2@" DEST, NULL };
	char tok[NF_TOKEN_SIZE], verp[300], *msg;
	struct nf_intake_result res;

	c.secret = key;
	c.complaint_auth = NF_AUTH_DKIM | NF_AUTH_SPF;
	record_message("QCA", r1, tok);
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	msg = arf("ca1@" DEST, "abuse", "");
	is_int(apply(st, &c, msg, verp, &none, &res), NF_STORE_OK,
	    "ComplaintAuth dkim,spf, DKIM none: applied");
	free(msg);
	is_int(consent_of("ca1@" DEST), NF_CONSENT_NONE,
	    "ComplaintAuth dkim,spf, DKIM none: consent unchanged");
	ok(strstr(sql1("SELECT detail FROM events WHERE address = ?1 AND "
	    "kind = 'complaint'", "ca1@" DEST), "ComplaintAuth") != NULL,
	    "ComplaintAuth: the event says why (%s)", sql1("SELECT detail "
	    "FROM events WHERE address = ?1 AND kind = 'complaint'",
	    "ca1@" DEST));

	record_message("QCA", r2, tok);
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	msg = arf("ca2@" DEST, "abuse", "");
	is_int(apply(st, &c, msg, verp, &pass, &res), NF_STORE_OK,
	    "ComplaintAuth dkim,spf, both pass: applied");
	free(msg);
	is_int(consent_of("ca2@" DEST), NF_CONSENT_REVOKED,
	    "ComplaintAuth dkim,spf, both pass: consent revoked");
	is_str(sql1("SELECT dkim || '/' || spf || '/' || dkim_domain FROM "
	    "reports ORDER BY id DESC LIMIT 1", NULL), "pass/pass/isp.example.net",
	    "DKIM and SPF results recorded on the report");
	is_str(sql1("SELECT source FROM consent c JOIN contacts k ON k.id = "
	    "c.contact_id WHERE k.email = ?1", "ca2@" DEST),
	    sql1("SELECT 'complaint:' || token FROM reports ORDER BY id DESC "
	    "LIMIT 1", NULL), "consent source is complaint:TOKEN");
}

/* ---- ComplaintDomains ----------------------------------------------------------- */

/* One complaint about a fresh message to `who` with `auth`: did it revoke
 * consent?  *why gets the event's detail. */
static int
complaint_revokes(const struct nf_intake_conf *c, const char *who,
    const struct nf_intake_auth *auth, char *why, size_t len)
{
	const char *r[] = { who, NULL };
	char tok[NF_TOKEN_SIZE], verp[300], *msg;
	struct nf_intake_result res;

	record_message("QCD", r, tok);
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	msg = arf(who, "abuse", "");
	if (apply(st, c, msg, verp, auth, &res) != NF_STORE_OK) {
		free(msg);
		return -1;
	}
	free(msg);
	snprintf(why, len, "%s", sql1("SELECT detail FROM events WHERE "
	    "address = ?1 AND kind = 'complaint' ORDER BY id DESC LIMIT 1", who));
	return consent_of(who) == NF_CONSENT_REVOKED;
}

static void
complaint_domains(void)
{
	static char *const fbl[] = { "isp.example.net", "feedback.example.org" };
	struct nf_intake_conf c = conf_default;
	/* the judged signature is the attacker's; the provider's also passed */
	struct nf_intake_auth both = { "pass", "attacker.example.com", NULL,
		"attacker.example.com isp.example.net" };
	struct nf_intake_auth stranger = { "pass", "attacker.example.com", NULL,
		"attacker.example.com" };
	struct nf_intake_auth lookalike = { "pass", "evilisp.example.net", NULL,
		"evilisp.example.net" };
	struct nf_intake_auth below = { "pass", "fbl.isp.example.net", NULL,
		"fbl.isp.example.net" };
	/* no list from verify: the judged signature counts when it passed */
	struct nf_intake_auth judged = { "pass", "Feedback.Example.ORG", NULL,
		NULL };
	struct nf_intake_auth failed = { "fail", "isp.example.net", NULL, "" };
	char why[512];

	c.secret = key;
	c.complaint_domains = fbl;
	c.ncomplaint_domains = 2;
	is_int(complaint_revokes(&c, "cd1@" DEST, &stranger, why, sizeof why), 0,
	    "ComplaintDomains: another domain's passing signature changes nothing");
	ok(strstr(why, "ComplaintDomains") != NULL &&
	    strstr(why, "attacker.example.com") != NULL,
	    "ComplaintDomains: the timeline says why (%s)", why);
	is_int(complaint_revokes(&c, "cd2@" DEST, &lookalike, why, sizeof why), 0,
	    "ComplaintDomains: a name that only ends like a listed one is not it");
	is_int(complaint_revokes(&c, "cd3@" DEST, &failed, why, sizeof why), 0,
	    "ComplaintDomains: a failing signature of a listed domain is not enough");
	is_int(complaint_revokes(&c, "cd4@" DEST, NULL, why, sizeof why), 0,
	    "ComplaintDomains: no DKIM result at all changes nothing");
	is_int(complaint_revokes(&c, "cd5@" DEST, &both, why, sizeof why), 1,
	    "ComplaintDomains: the provider's passing signature among others counts");
	is_int(complaint_revokes(&c, "cd6@" DEST, &below, why, sizeof why), 1,
	    "ComplaintDomains: a subdomain of a listed domain counts");
	is_int(complaint_revokes(&c, "cd7@" DEST, &judged, why, sizeof why), 1,
	    "ComplaintDomains: the judged signature's domain, any case, counts");
	c.ncomplaint_domains = 0;
	is_int(complaint_revokes(&c, "cd8@" DEST, &stranger, why, sizeof why), 1,
	    "no ComplaintDomains: any complaint with a valid token counts");
}

/* ---- busy store: nothing written, BUSY for exit 75 -------------------------- */

static void
busy(void)
{
	const char *rcpts[] = { "busy@" DEST, NULL };
	char tok[NF_TOKEN_SIZE], verp[300], e[512], *msg, before[64];
	struct nf_intake_result res;
	struct nf_store *s2 = NULL, *s3 = NULL;

	record_message("QBUSY", rcpts, tok);
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok);
	msg = dsn("busy@" DEST, "failed", "5.1.1", "550 5.1.1 User unknown", "");
	snprintf(before, sizeof before, "%s", sql1("SELECT count(*) FROM "
	    "reports", NULL));
	if (nf_store_open(dbpath, 0, 2000, &s2, e, sizeof e) != NF_STORE_OK ||
	    nf_store_open(dbpath, 0, 100, &s3, e, sizeof e) != NF_STORE_OK) {
		ok(0, "busy: open two more handles (%s)", e);
		free(msg);
		return;
	}
	is_int(nf_store_begin(s2), NF_STORE_OK, "busy: another writer holds "
	    "the store");
	is_int(apply(s3, &conf_default, msg, verp, NULL, &res), NF_STORE_BUSY,
	    "busy: intake answers NF_STORE_BUSY (ingest exits 75)");
	is_str(sql1("SELECT count(*) FROM reports", NULL), before,
	    "busy: no report row written");
	is_int(suppressed("busy@" DEST, NULL, 0), 0, "busy: nothing suppressed");
	nf_store_rollback(s2);
	is_int(apply(s3, &conf_default, msg, verp, NULL, &res), NF_STORE_OK,
	    "busy: the retry goes through");
	is_int(suppressed("busy@" DEST, NULL, 0), 1,
	    "busy: and the retry suppresses");
	free(msg);
	nf_store_close(s2);
	nf_store_close(s3);
}

/* ---- other inputs ----------------------------------------------------------- */

static void
odd_inputs(void)
{
	static const char plain[] = "From: someone@example.org\n"
	    "Subject: hello\n\nJust a note, not a bounce.\n";
	static const char vacation[] = "From: away@" DEST "\n"
	    "To: bounce+x@" BD "\nSubject: Out of office\n"
	    "Auto-Submitted: auto-replied\n\nI am away until Monday.\n";
	struct nf_intake_result res;
	char bin[300];
	size_t i;

	is_int(apply(st, &conf_default, plain, "postmaster@" BD, NULL, &res),
	    NF_STORE_OK, "not a report: applied");
	is_int(res.kind, NF_REPORT_NONE, "not a report: kind none");
	is_str(sql1("SELECT kind || '/' || authenticated || '/' || "
	    "(excerpt LIKE 'From: someone%') FROM reports ORDER BY id DESC "
	    "LIMIT 1", NULL), "none/0/1", "not a report: recorded with an "
	    "excerpt");
	is_int(apply(st, &conf_default, vacation, "bounce+x@" BD, NULL, &res),
	    NF_STORE_OK, "auto-reply: applied");
	diag("auto-reply parsed as %s with %zu recipients",
	    nf_report_kind_name(res.kind), res.n);
	is_int(res.by_outcome[NF_OUT_SUPPRESSED] + res.by_outcome[NF_OUT_COUNTED],
	    0, "auto-reply: never a failure");

	/* control bytes and broken UTF-8 are kept printable in the excerpt */
	memcpy(bin, "Subject: x\n\n", 12);
	for (i = 12; i < sizeof bin - 1; i++)
		bin[i] = (char)(i * 37 % 255 + 1);
	bin[sizeof bin - 1] = '\0';
	is_int(apply(st, &conf_default, bin, "", NULL, &res), NF_STORE_OK,
	    "binary junk: applied");
	is_str(sql1("SELECT length(excerpt) > 100 FROM reports ORDER BY id DESC"
	    " LIMIT 1", NULL), "1", "binary junk: excerpt recorded");
}

/* ---- the policy table -------------------------------------------------------- */

static void
policy_table(void)
{
	static const struct {
		int kind;
		const char *action, *reason, *fb;
		int hard;
		const char *want;
		const char *status;
	} t[] = {
		{ NF_REPORT_DSN, "failed", "userunknown", "", 1, "bad", NULL },
		{ NF_REPORT_DSN, "failed", "hostunknown", "", 1, "bad", NULL },
		{ NF_REPORT_DSN, "failed", "hasmoved", "", 1, "bad", NULL },
		{ NF_REPORT_DSN, "failed", "notaccept", "", 1, "bad", NULL },
		{ NF_REPORT_DSN, "failed", "notaccept", "", 0, "soft", NULL },
		{ NF_REPORT_DSN, "failed", "mailboxfull", "", 0, "soft", NULL },
		{ NF_REPORT_DSN, "failed", "expired", "", 0, "soft", NULL },
		{ NF_REPORT_DSN, "failed", "undefined", "", 0, "soft", NULL },
		{ NF_REPORT_DSN, "failed", "spamdetected", "", 0, "spam", NULL },
		{ NF_REPORT_DSN, "failed", "blocked", "", 0, "spam", NULL },
		{ NF_REPORT_DSN, "failed", "policyviolation", "", 0, "spam", NULL },
		{ NF_REPORT_DSN, "failed", "securityerror", "", 0, "spam", NULL },
		{ NF_REPORT_DSN, "failed", "virusdetected", "", 0, "spam", NULL },
		{ NF_REPORT_DSN, "delivered", "delivered", "", 0, "delivered", NULL },
		{ NF_REPORT_DSN, "relayed", "delivered", "", 0, "relayed", NULL },
		{ NF_REPORT_DSN, "delayed", "mailboxfull", "", 0, "delayed", NULL },
		{ NF_REPORT_DSN, "expanded", "delivered", "", 0, "other", NULL },
		{ NF_REPORT_AUTOREPLY, "failed", "vacation", "", 0, "autoreply", NULL },
		{ NF_REPORT_HEURISTIC, "failed", "vacation", "", 0, "autoreply", NULL },
		{ NF_REPORT_ARF, "complaint", "feedback", "abuse", 0, "complaint", NULL },
		{ NF_REPORT_ARF, "complaint", "feedback", "fraud", 0, "complaint", NULL },
		{ NF_REPORT_ARF, "complaint", "feedback", "not-spam", 0, "other", NULL },
		{ NF_REPORT_ARF, "complaint", "feedback", "auth-failure", 0,
		    "other", NULL },
		/* a final 4.x.x (expired) is soft whatever the reason says */
		{ NF_REPORT_DSN, "failed", "filtered", "", 0, "soft", "4.2.0" },
		{ NF_REPORT_DSN, "failed", "userunknown", "", 0, "soft", "4.1.1" },
		{ NF_REPORT_DSN, "failed", "filtered", "", 0, "spam", "5.2.0" },
		{ NF_REPORT_DSN, "failed", "userunknown", "", 1, "bad", "5.1.1" },
	};
	struct nf_report_rcpt x;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&x, 0, sizeof x);
		x.action = t[i].action;
		x.reason = t[i].reason;
		x.feedback_type = t[i].fb;
		x.hard = t[i].hard;
		x.status = t[i].status ? t[i].status : "";
		is_str(nf_intake_policy_name(nf_intake_policy(t[i].kind, &x)),
		    t[i].want, "policy: %s %s %s%s%s%s -> %s", t[i].action,
		    x.status, t[i].reason, t[i].hard ? " hard" : "",
		    t[i].fb[0] ? " " : "", t[i].fb, t[i].want);
	}
}

/* ---- a timeline --------------------------------------------------------------- */

static int
collect(const struct nf_event *ev, void *arg)
{
	char *s = arg;
	size_t n = strlen(s);

	snprintf(s + n, 1024 - n, "%s%s/%s", n ? " " : "", ev->kind,
	    ev->rule ? ev->rule : "");
	return 0;
}

static void
timeline(void)
{
	char got[1024] = "";

	nf_store_event_each(st, "gone@" DEST, collect, got);
	ok(strstr(got, "bounce/suppressed suppress/ delivery/bounced") != NULL,
	    "timeline of a hard bounce: the bounce, then the suppression and "
	    "the status (%s)", got);
	got[0] = '\0';
	nf_store_event_each(st, "angry@" DEST, collect, got);
	ok(strstr(got, "complaint/consent-revoked") != NULL &&
	    strstr(got, "consent/") != NULL,
	    "timeline of a complaint has it and the consent change (%s)", got);
	got[0] = '\0';
	nf_store_event_each(st, "victim2@" DEST, collect, got);
	/* tagged and queued when the message was sent, then only the report */
	is_str(got, "tagged/default-consent-yes queued/default-consent-yes "
	    "bounce/unauthenticated", "a forged report: one event, nothing "
	    "else");
	is_int(nf_store_suppress_remove(st, "gone@" DEST, NF_CH_EMAIL),
	    NF_STORE_OK, "suppress remove reverses a bounce suppression");
	is_int(suppressed("gone@" DEST, NULL, 0), 0, "and it is gone");
}

/* ---- complaints whose recipient the reporter redacted ------------------- */

/* An ARF report that names no recipient: no Original-Rcpt-To, the
 * returned message's To: hidden, as large mailbox providers send them.
 * The token comes from X-Notifilter-ID `xid` and/or the Original-Mail-From
 * VERP `omf` ("" for none). */
static char *
arf_redacted(const char *xid, const char *omf)
{
	char *b = malloc(8192);

	snprintf(b, 8192,
	    "From: fbl@isp.example.net\n"
	    "To: complaints@" BD "\n"
	    "Subject: Complaint about message from 192.0.2.9\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    "\tboundary=\"ARF\"\n\n"
	    "--ARF\n"
	    "Content-Type: text/plain\n\n"
	    "A user complained about this message.\n\n"
	    "--ARF\n"
	    "Content-Type: message/feedback-report\n\n"
	    "Feedback-Type: abuse\n"
	    "User-Agent: BigMailbox-FBL/2.0\n"
	    "Version: 1\n"
	    "%s%s%s"
	    "Source-IP: 192.0.2.9\n\n"
	    "--ARF\n"
	    "Content-Type: text/rfc822-headers\n\n"
	    "From: app@notify.example.test\n"
	    "To: undisclosed-recipients:;\n"
	    "Subject: Your invoice\n"
	    "%s%s%s"
	    "Message-ID: <redacted@notify.example.test>\n\n"
	    "--ARF--\n",
	    omf[0] ? "Original-Mail-From: <" : "", omf, omf[0] ? ">\n" : "",
	    xid[0] ? "X-Notifilter-ID: " : "", xid, xid[0] ? "\n" : "");
	return b;
}

/* Record a message whose recipients have their own verdicts. */
static int
record_verdicts(const char *const *rcpts, const char *const *verdicts,
    char *tok)
{
	return record_with(NULL, rcpts, verdicts, tok);
}

static int
events_of(const char *addr, char *got, size_t len)
{
	got[0] = '\0';
	(void)len;
	return nf_store_event_each(st, addr, collect, got);
}

static void
redacted(void)
{
	const char *one[] = { "solo@" DEST, "refused@" DEST, "failed@" DEST,
	    NULL };
	const char *one_v[] = { "allowed", "rejected", "allowed" };
	const char *two[] = { "pa@" DEST, "pb@" DEST, NULL };
	const char *two_v[] = { "allowed", "monitored" };
	const char *lone[] = { "lone@" DEST, NULL };
	const char *lone_v[] = { "allowed" };
	char tok[NF_TOKEN_SIZE], tok2[NF_TOKEN_SIZE], tok3[NF_TOKEN_SIZE];
	char verp[300], got[1024], want[300], *msg;
	struct nf_intake_result res;
	struct nf_intake_conf c = conf_default;
	struct nf_report *r;

	/* one recipient reached: refused@ was refused by policy, failed@
	 * bounced, so solo@ is the only one who can have complained */
	if (record_verdicts(one, one_v, tok) != NF_STORE_OK) {
		ok(0, "redacted: message recorded (%s)", nf_store_errmsg(st));
		return;
	}
	{
		char mid[32];

		snprintf(mid, sizeof mid, "%s", sql1("SELECT id FROM messages "
		    "WHERE token = lower(?1)", tok));
		is_int(nf_store_recipient_status(st, strtoll(mid, NULL, 10),
		    "failed@" DEST, "bounced", "5.1.1", NULL, NULL, now),
		    NF_STORE_OK, "redacted: failed@ marked bounced");
	}
	msg = arf_redacted(tok, "");
	r = parse(msg, "fbl@isp.example.net", "complaints@" BD);
	ok(r != NULL && nf_intake_kind(r) == NF_REPORT_ARF,
	    "redacted: intake takes an ARF that names no recipient as a "
	    "complaint (kind %s)", r ? nf_report_kind_name(nf_intake_kind(r)) :
	    "?");
	nf_report_free(r);
	is_int(apply(st, &conf_default, msg, "complaints@" BD, NULL, &res),
	    NF_STORE_OK, "redacted, one recipient: applied");
	free(msg);
	is_int(res.kind, NF_REPORT_ARF, "redacted, one recipient: kind arf");
	ok(res.authenticated, "redacted, one recipient: authenticated (%s)",
	    res.why);
	is_int(res.n, 1, "redacted, one recipient: one complaint read");
	is_int(res.by_outcome[NF_OUT_REVOKED], 1,
	    "redacted, one recipient: one consent revoked");
	is_int(consent_of("solo@" DEST), NF_CONSENT_REVOKED,
	    "redacted, one recipient: the only recipient reached loses email "
	    "consent");
	is_int(consent_of("refused@" DEST), NF_CONSENT_NONE,
	    "redacted, one recipient: the refused recipient is untouched");
	is_int(consent_of("failed@" DEST), NF_CONSENT_NONE,
	    "redacted, one recipient: the bounced recipient is untouched");
	is_str(sql1("SELECT ifnull(address, '(null)') || ' ' || outcome || ' ' "
	    "|| policy FROM report_recipients ORDER BY id DESC LIMIT 1", NULL),
	    "solo@" DEST " consent-revoked complaint",
	    "redacted, one recipient: the report row names whom it was "
	    "attributed to");
	snprintf(want, sizeof want, "%%recipient redacted by the reporter; "
	    "attributed through token %s, the message's only recipient%%", tok);
	is_str(sql1("SELECT count(*) FROM events WHERE address = 'solo@" DEST
	    "' AND kind = 'complaint' AND rule = 'consent-revoked' AND "
	    "detail LIKE ?1", want), "1",
	    "redacted, one recipient: the timeline says how it was attributed");
	events_of("solo@" DEST, got, sizeof got);
	ok(strstr(got, "complaint/consent-revoked") != NULL &&
	    strstr(strstr(got, "complaint/consent-revoked"), " consent/") !=
	    NULL,
	    "redacted, one recipient: timeline has the complaint, then the "
	    "consent change (%s)", got);
	is_str(sql1("SELECT count(*) FROM events WHERE address IN ('refused@"
	    DEST "', 'failed@" DEST "') AND kind IN ('complaint', 'consent')",
	    NULL), "0", "redacted, one recipient: nothing in the others' "
	    "timelines");

	/* two recipients reached: recorded against the message, nobody's
	 * consent changes; the token here comes from the VERP sender only */
	if (record_verdicts(two, two_v, tok2) != NF_STORE_OK) {
		ok(0, "redacted: message recorded (%s)", nf_store_errmsg(st));
		return;
	}
	snprintf(verp, sizeof verp, "bounce+%s@" BD, tok2);
	msg = arf_redacted("", verp);
	is_int(apply(st, &conf_default, msg, "complaints@" BD, NULL, &res),
	    NF_STORE_OK, "redacted, two recipients: applied");
	free(msg);
	ok(res.authenticated, "redacted, two recipients: authenticated through "
	    "the VERP sender (%s)", res.why);
	is_int(res.by_outcome[NF_OUT_REVOKED], 0,
	    "redacted, two recipients: no consent revoked");
	is_int(res.by_outcome[NF_OUT_UNATTRIBUTED], 1,
	    "redacted, two recipients: one unattributed complaint");
	is_int(consent_of("pa@" DEST), NF_CONSENT_NONE,
	    "redacted, two recipients: pa@ keeps its consent");
	is_int(consent_of("pb@" DEST), NF_CONSENT_NONE,
	    "redacted, two recipients: pb@ keeps its consent");
	is_str(sql1("SELECT ifnull(address, '(null)') || ' ' || outcome || ' ' "
	    "|| policy || ' ' || authenticated FROM report_recipients ORDER BY "
	    "id DESC LIMIT 1", NULL), "(null) unattributed complaint 1",
	    "redacted, two recipients: the report row names nobody");
	is_str(sql1("SELECT group_concat(address, ' ') FROM (SELECT address "
	    "FROM events WHERE token = lower(?1) AND kind = 'complaint' AND "
	    "rule = 'unattributed' AND address IS NOT NULL AND detail LIKE "
	    "'%nobody''s email consent was changed%' ORDER BY address)", tok2),
	    "pa@" DEST " pb@" DEST, "redacted, two recipients: a complaint "
	    "event on each recipient's timeline, saying nothing changed");
	events_of("pa@" DEST, got, sizeof got);
	ok(strstr(got, "complaint/unattributed") != NULL &&
	    strstr(got, "consent/") == NULL, "redacted, two recipients: pa@'s "
	    "timeline has the complaint and no consent change (%s)", got);

	/* unauthenticated: no token, then a made-up one */
	if (record_verdicts(lone, lone_v, tok3) != NF_STORE_OK) {
		ok(0, "redacted: message recorded (%s)", nf_store_errmsg(st));
		return;
	}
	msg = arf_redacted("", "");
	is_int(apply(st, &conf_default, msg, "complaints@" BD, NULL, &res),
	    NF_STORE_OK, "redacted, no token: applied");
	free(msg);
	ok(!res.authenticated && res.kind == NF_REPORT_ARF && res.n == 1 &&
	    res.by_outcome[NF_OUT_UNAUTH] == 1, "redacted, no token: recorded "
	    "as an unauthenticated complaint (%s)", res.why);
	msg = arf_redacted("1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "");
	is_int(apply(st, &conf_default, msg, "complaints@" BD, NULL, &res),
	    NF_STORE_OK, "redacted, made-up token: applied");
	free(msg);
	ok(!res.authenticated && res.by_outcome[NF_OUT_UNAUTH] == 1,
	    "redacted, made-up token: unauthenticated (%s)", res.why);
	is_int(consent_of("lone@" DEST), NF_CONSENT_NONE,
	    "redacted, unauthenticated: nothing changed");
	is_str(sql1("SELECT ifnull(address, '(null)') || ' ' || outcome FROM "
	    "report_recipients ORDER BY id DESC LIMIT 1", NULL),
	    "(null) unauthenticated", "redacted, unauthenticated: recorded");

	/* ComplaintAuth still applies to an attributed complaint */
	c.complaint_auth = NF_AUTH_DKIM;
	msg = arf_redacted(tok3, "");
	is_int(apply(st, &c, msg, "complaints@" BD, NULL, &res), NF_STORE_OK,
	    "redacted, ComplaintAuth dkim unmet: applied");
	is_int(consent_of("lone@" DEST), NF_CONSENT_NONE,
	    "redacted, ComplaintAuth dkim unmet: consent kept");
	ok(strstr(sql1("SELECT detail FROM events WHERE kind = 'complaint' "
	    "ORDER BY id DESC LIMIT 1", NULL), "ComplaintAuth") != NULL,
	    "redacted, ComplaintAuth dkim unmet: the timeline says why");
	{
		struct nf_intake_auth pass = { "pass", "isp.example.net", NULL,
		    NULL };

		is_int(apply(st, &c, msg, "complaints@" BD, &pass, &res),
		    NF_STORE_OK, "redacted, ComplaintAuth dkim met: applied");
		is_int(consent_of("lone@" DEST), NF_CONSENT_REVOKED,
		    "redacted, ComplaintAuth dkim met: the only recipient's "
		    "consent revoked");
	}
	free(msg);
}

int
main(void)
{
	char e[512];
	size_t i;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	now = (int64_t)time(NULL);
	key = load_key("secret", "0123456789abcdef0123456789abcdef");
	otherkey = load_key("other", "fedcba9876543210fedcba9876543210");
	ok(key != NULL && otherkey != NULL, "test keys loaded");
	conf_default.secret = key;
	snprintf(dbpath, sizeof dbpath, "%s/store.db", tmpdir);
	if (nf_store_open(dbpath, NF_STORE_CREATE, 2000, &st, e, sizeof e) !=
	    NF_STORE_OK) {
		ok(0, "store opened: %s", e);
		return tap_done();
	}
	policy_table();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
	in_flight();
	soft_limit();
	complaint_auth();
	complaint_domains();
	busy();
	odd_inputs();
	timeline();
	redacted();
	nf_store_close(st);
	nf_secret_free(key);
	nf_secret_free(otherkey);
	if (getenv("KEEP") == NULL) {
		char cmd[700];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	} else
		diag("kept %s", tmpdir);
	return tap_done();
}
