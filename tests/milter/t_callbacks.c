/*
 * t_callbacks.c - callback sequences against the link-time fake of
 * libmilter (fake_smfi.c): the callbacks are called exactly as libmilter
 * would call them, and every reply, removal and recorded event is checked.
 *
 * Covers: negotiation, SMTP reject / drop, the non-SMTP path (by
 * {daemon_name} and by Postfix's emulated session) with removal and
 * discard, monitor mode, store errors with both OnStoreError values on
 * both paths, repeats decided once, two messages on one connection, abort
 * in the middle, close only, 1,000 recipients, a reload in the middle of a
 * message, and the event writer retrying, overflowing and draining.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ctx.h"
#include "fake_smfi.h"
#include "log.h"
#include "milter.h"
#include "tap.h"

static struct smfiDesc D;
static struct nf_writer *W;
static char tmpdir[] = "/tmp/t_callbacks.XXXXXX";

static const struct fake_addr table[] = {
	{ "ok@dest.example.test", 0, NULL, NF_CONSENT_NONE },
	{ "supp@dest.example.test", 1, "userunknown", NF_CONSENT_NONE },
	{ "revoked@dest.example.test", 0, NULL, NF_CONSENT_REVOKED },
	{ "granted@dest.example.test", 0, NULL, NF_CONSENT_GRANTED },
	{ "suppgranted@dest.example.test", 1, "hasmoved", NF_CONSENT_GRANTED },
	{ "pct@dest.example.test", 1, "100% bad\r\nline", NF_CONSENT_NONE },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static const char *
rc_name(sfsistat rc)
{
	switch (rc) {
	case SMFIS_CONTINUE: return "CONTINUE";
	case SMFIS_REJECT: return "REJECT";
	case SMFIS_DISCARD: return "DISCARD";
	case SMFIS_ACCEPT: return "ACCEPT";
	case SMFIS_TEMPFAIL: return "TEMPFAIL";
	default: return "other";
	}
}

#define is_rc(got, want, ...) do { \
	sfsistat g_ = (got), w_ = (want); \
	if (!ok(g_ == w_, __VA_ARGS__)) \
		diag("got %s, want %s", rc_name(g_), rc_name(w_)); \
} while (0)

/* ---- configuration ---- */

static const char base_conf[] =
	"Socket unix:/tmp/notifilter-test.sock\n"
	"Database /tmp/notifilter-test.db\n"
	"Senders app@example.test, *@notify.example.test\n"
	"SyslogFacility none\n";

static void
use_conf(const char *extra)
{
	char path[256];
	FILE *fp;
	struct nf_conf *c = NULL;
	struct nf_buf err;

	snprintf(path, sizeof(path), "%s/notifilter.conf", tmpdir);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(fp, "%s%s", base_conf, extra ? extra : "");
	fclose(fp);
	nf_buf_init(&err, 1024);
	if (nf_conf_load(path, &c, &err) != 0) {
		printf("Bail out! config did not load: %s\n", nf_buf_cstr(&err));
		exit(1);
	}
	nf_buf_free(&err);
	nf_milter_conf_set(c);
}

/* ---- writer per scenario: stopping it drains every event ---- */

static void
writer_begin(size_t cap)
{
	fake_store_events_clear();
	if (nf_writer_start(cap, 64, &W) != 0) {
		printf("Bail out! writer did not start\n");
		exit(1);
	}
	nf_milter_set_writer(W);
}

static struct nf_writer_stats
writer_end(int drain_ms)
{
	struct nf_writer_stats st;

	nf_writer_stop(W, drain_ms);
	nf_writer_stats(W, &st);
	nf_milter_set_writer(NULL);
	nf_writer_free(W);
	W = NULL;
	return st;
}

static const struct fake_event *
event_for(const char *addr)
{
	size_t n, i;
	const struct fake_event *ev = fake_store_events(&n);

	for (i = 0; i < n; i++)
		if (strcmp(ev[i].addr, addr) == 0)
			return &ev[i];
	return NULL;
}

static size_t
nevents(void)
{
	size_t n;

	fake_store_events(&n);
	return n;
}

/* Check one recorded decision: rule and words in the detail. */
static void
check_event(const char *addr, const char *qid, const char *rule,
    const char *action, const char *message)
{
	const struct fake_event *e = event_for(addr);
	char want[128];

	if (!ok(e != NULL, "event recorded for %s", addr))
		return;
	is_str(e->qid, qid, "event %s: queue id", addr);
	is_str(e->rule, rule, "event %s: rule", addr);
	snprintf(want, sizeof(want), "action=%s ", action);
	if (!ok(strstr(e->detail, want) != NULL, "event %s: %s", addr, want))
		diag("detail: %s", e->detail);
	snprintf(want, sizeof(want), "message=%s ", message);
	if (!ok(strstr(e->detail, want) != NULL, "event %s: %s", addr, want))
		diag("detail: %s", e->detail);
}

/* ---- driving the callbacks ---- */

static sfsistat
do_connect(SMFICTX *ctx, const char *host, const char *ip, const char *dn)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin.sin_addr);
	fake_macros_clear(ctx);
	if (dn != NULL)
		fake_macro(ctx, "{daemon_name}", dn);
	return D.xxfi_connect(ctx, (char *)host, (struct sockaddr *)&sin);
}

/* MAIL with the queue id the MTA knows at that point (NULL: none, as for
 * SMTP; libmilter drops the previous message's later-stage macros). */
static sfsistat
do_mail_qid(SMFICTX *ctx, const char *sender, const char *qid)
{
	char *argv[2] = { (char *)sender, NULL };

	if (qid != NULL)
		fake_macro(ctx, "i", qid);
	else
		fake_macro_del(ctx, "i");
	return D.xxfi_envfrom(ctx, argv);
}

static sfsistat
do_mail(SMFICTX *ctx, const char *sender)
{
	return do_mail_qid(ctx, sender, NULL);
}

static sfsistat
do_rcpt(SMFICTX *ctx, const char *rcpt)
{
	char *argv[3] = { (char *)rcpt, (char *)"NOTIFY=NEVER", NULL };

	return D.xxfi_envrcpt(ctx, argv);
}

/* ---- scenarios ---- */

static void
t_negotiate(void)
{
	SMFICTX *ctx = fake_ctx_new();
	unsigned long f0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT |
	    SMFIF_ADDRCPT | SMFIF_SETSYMLIST | SMFIF_CHGFROM;
	unsigned long f1 = 0x1fffff, p0 = 0, p1 = 0, p2 = 9, p3 = 9;

	is_rc(D.xxfi_negotiate(ctx, f0, f1, 0, 0, &p0, &p1, &p2, &p3),
	    SMFIS_CONTINUE, "negotiate: continue");
	ok(p0 & SMFIF_DELRCPT, "negotiate: asks for SMFIF_DELRCPT");
	ok(!(p0 & (SMFIF_ADDHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT)),
	    "negotiate: asks for no edit it does not make (0x%lx)", p0);
	ok((p1 & (SMFIP_NOHDRS | SMFIP_NOBODY | SMFIP_NOHELO | SMFIP_NOEOH |
	    SMFIP_NODATA | SMFIP_NOUNKNOWN)) == (SMFIP_NOHDRS | SMFIP_NOBODY |
	    SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NODATA | SMFIP_NOUNKNOWN),
	    "negotiate: skips helo, data, headers, eoh, body, unknown (0x%lx)", p1);
	ok(!(p1 & (SMFIP_NOCONNECT | SMFIP_NOMAIL | SMFIP_NORCPT)),
	    "negotiate: keeps connect, mail, rcpt");
	ok(!(p1 & SMFIP_NR_RCPT), "negotiate: no no-reply steps (Nagle stalls over inet)");
	is_str(ctx->symlist[SMFIM_CONNECT], "{daemon_name}", "symlist at connect");
	is_str(ctx->symlist[SMFIM_EOM], "i", "symlist at eom");
	/* an MTA that offers no symlist: no calls */
	ctx->nsymlist = 0;
	D.xxfi_negotiate(ctx, SMFIF_DELRCPT, f1, 0, 0, &p0, &p1, &p2, &p3);
	is_int(ctx->nsymlist, 0, "negotiate: no setsymlist when not offered");
	fake_ctx_free(ctx);
}

/* SMTP, BlockedRecipient reject: every rule once, repeats decided once. */
static void
t_smtp_reject(void)
{
	SMFICTX *ctx = fake_ctx_new();
	unsigned long lookups;

	writer_begin(1024);
	is_rc(do_connect(ctx, "client.example.test", "192.0.2.1", "mta"),
	    SMFIS_CONTINUE, "smtp: connect");
	is_rc(do_mail(ctx, "<app@example.test>"), SMFIS_CONTINUE,
	    "smtp: MAIL from a Senders address continues");
	is_rc(do_rcpt(ctx, "<ok@dest.example.test>"), SMFIS_CONTINUE,
	    "smtp: unknown recipient, DefaultEmailConsent yes -> continue");
	is_int(ctx->nsetreply, 0, "smtp: no reply set for an allowed recipient");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_REJECT,
	    "smtp: suppressed -> reject");
	is_str(ctx->rcode, "550", "smtp: reject code");
	is_str(ctx->xcode, "5.7.1", "smtp: reject enhanced code");
	if (!ok(strstr(ctx->text, "notifilter: recipient is on the suppression "
	    "list (userunknown); see notifilterctl trace") != NULL,
	    "smtp: reject text tells why"))
		diag("text: %s", ctx->text);
	fake_calls_clear(ctx);
	is_rc(do_rcpt(ctx, "<revoked@dest.example.test>"), SMFIS_REJECT,
	    "smtp: consent revoked -> reject");
	ok(strstr(ctx->text, "revoked") != NULL, "smtp: revoked text: %s", ctx->text);
	fake_calls_clear(ctx);
	is_rc(do_rcpt(ctx, "<granted@dest.example.test>"), SMFIS_CONTINUE,
	    "smtp: granted -> continue");
	is_rc(do_rcpt(ctx, "<suppgranted@dest.example.test>"), SMFIS_REJECT,
	    "smtp: suppressed beats granted");
	is_rc(do_rcpt(ctx, "<pct@dest.example.test>"), SMFIS_REJECT,
	    "smtp: suppressed with odd reason text");
	ok(strstr(ctx->text, "100%% bad??line") != NULL,
	    "smtp: reply text has '%%' doubled and no CR/LF: %s", ctx->text);
	fake_calls_clear(ctx);
	lookups = fake_store_lookups();
	fake_macro(ctx, "i", "QID1");
	is_rc(do_rcpt(ctx, "<SUPP@Dest.Example.Test>"), SMFIS_REJECT,
	    "smtp: repeat (other case) of a rejected recipient -> reject again");
	is_str(ctx->rcode, "550", "smtp: repeat gets the same reply");
	is_rc(do_rcpt(ctx, "ok@dest.example.test"), SMFIS_CONTINUE,
	    "smtp: repeat of an allowed recipient -> continue");
	is_int(fake_store_lookups() - lookups, 0,
	    "smtp: repeats are decided once (no new lookup)");
	is_rc(do_rcpt(ctx, "<not an address>"), SMFIS_CONTINUE,
	    "smtp: unparsable recipient passes undecided");
	fake_calls_clear(ctx);
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "smtp: eom -> accept");
	is_int(ctx->ndel, 0, "smtp reject mode: nothing removed at eom");
	is_int(ctx->nsetreply, 0, "smtp: no reply set at eom");
	is_rc(D.xxfi_close(ctx), SMFIS_CONTINUE, "smtp: close");
	ok(ctx->priv == NULL, "smtp: private data released at close");
	writer_end(1000);
	is_int(nevents(), 6, "smtp: one event per distinct decided recipient");
	check_event("ok@dest.example.test", "QID1", "default-consent-yes",
	    "allowed", "accepted");
	check_event("supp@dest.example.test", "QID1", "suppressed", "rejected",
	    "accepted");
	check_event("revoked@dest.example.test", "QID1", "consent-revoked",
	    "rejected", "accepted");
	check_event("granted@dest.example.test", "QID1", "consent-granted",
	    "allowed", "accepted");
	check_event("suppgranted@dest.example.test", "QID1", "suppressed",
	    "rejected", "accepted");
	{
		const struct fake_event *e = event_for("supp@dest.example.test");

		ok(e != NULL && strstr(e->detail, "path=smtp ") &&
		    strstr(e->detail, "verdict=block ") &&
		    strstr(e->detail, "sender=<app@example.test> ") &&
		    e->time > 0, "smtp: event detail has verdict, path, sender, time");
	}
	fake_ctx_free(ctx);
}

/* SMTP, BlockedRecipient drop: removed at eom; all dropped -> discard. */
static void
t_smtp_drop(void)
{
	SMFICTX *ctx = fake_ctx_new();

	use_conf("BlockedRecipient drop\n");
	writer_begin(1024);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	is_rc(do_mail(ctx, "<x@notify.example.test>"), SMFIS_CONTINUE,
	    "drop: *@domain sender is notification traffic");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_CONTINUE,
	    "drop: suppressed -> continue at RCPT");
	is_int(ctx->nsetreply, 0, "drop: no reply set on a path that continues");
	is_rc(do_rcpt(ctx, "<ok@dest.example.test>"), SMFIS_CONTINUE,
	    "drop: allowed -> continue");
	fake_macro(ctx, "i", "QID2");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "drop: eom -> accept");
	is_int(ctx->ndel, 1, "drop: one recipient removed");
	if (ctx->ndel == 1)
		is_str(ctx->del[0], "<supp@dest.example.test>",
		    "drop: removed as the MTA spelled it");
	fake_calls_clear(ctx);
	/* second message on the same connection: every recipient blocked */
	is_rc(do_mail(ctx, "<app@example.test>"), SMFIS_CONTINUE, "drop: 2nd MAIL");
	do_rcpt(ctx, "<supp@dest.example.test>");
	do_rcpt(ctx, "<revoked@dest.example.test>");
	fake_macro(ctx, "i", "QID3");
	is_rc(D.xxfi_eom(ctx), SMFIS_DISCARD,
	    "drop: every recipient blocked -> discard");
	is_int(ctx->ndel, 0, "drop: discard needs no removals");
	/* eom failure to remove -> tempfail */
	fake_calls_clear(ctx);
	do_mail(ctx, "<app@example.test>");
	do_rcpt(ctx, "<supp@dest.example.test>");
	do_rcpt(ctx, "<ok@dest.example.test>");
	ctx->delrcpt_fail = 1;
	fake_macro(ctx, "i", "QID4");
	is_rc(D.xxfi_eom(ctx), SMFIS_TEMPFAIL,
	    "drop: the MTA refusing a removal -> tempfail");
	ctx->delrcpt_fail = 0;
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nevents(), 6, "drop: six decisions recorded over three messages");
	check_event("ok@dest.example.test", "QID2", "default-consent-yes",
	    "allowed", "accepted");
	{
		size_t n, i, disc = 0, tf = 0;
		const struct fake_event *ev = fake_store_events(&n);

		for (i = 0; i < n; i++) {
			if (ev[i].qid && strcmp(ev[i].qid, "QID3") == 0 &&
			    strstr(ev[i].detail, "action=dropped message=discarded"))
				disc++;
			if (ev[i].qid && strcmp(ev[i].qid, "QID4") == 0 &&
			    strstr(ev[i].detail, "message=tempfailed"))
				tf++;
		}
		is_int(disc, 2, "drop: discarded message's recipients recorded as dropped/discarded");
		is_int(tf, 2, "drop: tempfailed message's decisions say so");
	}
	fake_ctx_free(ctx);
	use_conf(NULL);
}

/* sendmail(1) path: never reject; remove; discard when none left. */
static void
t_nonsmtp(const char *label, const char *dn, const char *sender)
{
	SMFICTX *ctx = fake_ctx_new();

	writer_begin(1024);
	do_connect(ctx, "localhost", "127.0.0.1", dn);
	is_rc(do_mail_qid(ctx, sender, "MAILDROP1"), SMFIS_CONTINUE, "%s: MAIL",
	    label);
	is_rc(do_rcpt(ctx, "supp@dest.example.test"), SMFIS_CONTINUE,
	    "%s: suppressed -> continue (a reject is impossible here)", label);
	is_int(ctx->nsetreply, 0, "%s: no reply set", label);
	is_rc(do_rcpt(ctx, "ok@dest.example.test"), SMFIS_CONTINUE,
	    "%s: allowed -> continue", label);
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "%s: eom -> accept", label);
	is_int(ctx->ndel, 1, "%s: blocked recipient removed at eom", label);
	if (ctx->ndel == 1)
		is_str(ctx->del[0], "supp@dest.example.test",
		    "%s: removal names the recipient", label);
	fake_calls_clear(ctx);
	D.xxfi_close(ctx);
	/* a new emulated connection per message, as cleanup does */
	do_connect(ctx, "localhost", "127.0.0.1", dn);
	do_mail_qid(ctx, sender, "MAILDROP2");
	is_rc(do_rcpt(ctx, "revoked@dest.example.test"), SMFIS_CONTINUE,
	    "%s: revoked -> continue", label);
	is_rc(D.xxfi_eom(ctx), SMFIS_DISCARD,
	    "%s: no recipient left -> discard", label);
	D.xxfi_close(ctx);
	writer_end(1000);
	check_event("supp@dest.example.test", "MAILDROP1", "suppressed",
	    "dropped", "accepted");
	check_event("revoked@dest.example.test", "MAILDROP2", "consent-revoked",
	    "dropped", "discarded");
	{
		const struct fake_event *e = event_for("ok@dest.example.test");

		ok(e != NULL && strstr(e->detail, "path=nonsmtp ") != NULL,
		    "%s: events say path=nonsmtp", label);
	}
	fake_ctx_free(ctx);
}

/* SMTP from localhost with <...> stays SMTP (rejects are fine there). */
static void
t_local_smtp(void)
{
	SMFICTX *ctx = fake_ctx_new();

	writer_begin(64);
	do_connect(ctx, "localhost", "127.0.0.1", "mta.example.test");
	do_mail(ctx, "<app@example.test>");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_REJECT,
	    "local SMTP client with <sender>: still rejected at RCPT");
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nevents(), 1, "local SMTP: closed message still recorded");
	check_event("supp@dest.example.test", NULL, "suppressed", "rejected",
	    "closed");
	fake_ctx_free(ctx);
}

static void
t_monitor(void)
{
	SMFICTX *ctx = fake_ctx_new();

	use_conf("Mode monitor\nDefaultEmailConsent no\n");
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_CONTINUE,
	    "monitor: suppressed -> continue");
	is_rc(do_rcpt(ctx, "<ok@dest.example.test>"), SMFIS_CONTINUE,
	    "monitor: default-no -> continue");
	is_rc(do_rcpt(ctx, "<granted@dest.example.test>"), SMFIS_CONTINUE,
	    "monitor: granted -> continue");
	is_int(ctx->nsetreply, 0, "monitor: no reply set");
	fake_macro(ctx, "i", "QIDM");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "monitor: eom accept");
	is_int(ctx->ndel, 0, "monitor: nothing removed");
	D.xxfi_close(ctx);
	/* non-SMTP path too */
	fake_calls_clear(ctx);
	do_connect(ctx, "localhost", "127.0.0.1", "nonsmtpd");
	do_mail(ctx, "app@example.test");
	do_rcpt(ctx, "revoked@dest.example.test");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT,
	    "monitor, non-SMTP: all blocked but accepted, not discarded");
	is_int(ctx->ndel, 0, "monitor, non-SMTP: nothing removed");
	D.xxfi_close(ctx);
	writer_end(1000);
	check_event("supp@dest.example.test", "QIDM", "suppressed", "monitored",
	    "accepted");
	check_event("ok@dest.example.test", "QIDM", "default-consent-no",
	    "monitored", "accepted");
	check_event("granted@dest.example.test", "QIDM", "consent-granted",
	    "allowed", "accepted");
	check_event("revoked@dest.example.test", NULL, "consent-revoked",
	    "monitored", "accepted");
	fake_ctx_free(ctx);
	use_conf(NULL);
}

static void
t_store_error(void)
{
	SMFICTX *ctx = fake_ctx_new();

	/* OnStoreError tempfail (default), SMTP */
	writer_begin(64);
	fake_store_lookup_rc(NF_STORE_BUSY);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	is_rc(do_rcpt(ctx, "<ok@dest.example.test>"), SMFIS_TEMPFAIL,
	    "store busy, tempfail, SMTP: RCPT tempfailed");
	is_str(ctx->rcode, "451", "store busy: 451");
	is_str(ctx->xcode, "4.3.0", "store busy: 4.3.0");
	fake_calls_clear(ctx);
	is_rc(do_rcpt(ctx, "<ok@dest.example.test>"), SMFIS_TEMPFAIL,
	    "store busy: a repeat is tempfailed too");
	fake_macro(ctx, "i", "QIDE1");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT,
	    "store busy, SMTP: eom (other recipients) accept");
	D.xxfi_close(ctx);
	/* non-SMTP: no RCPT tempfail; whole message tempfailed at eom */
	fake_calls_clear(ctx);
	do_connect(ctx, "localhost", "127.0.0.1", "nonsmtpd");
	do_mail_qid(ctx, "app@example.test", "QIDE2");
	is_rc(do_rcpt(ctx, "x@dest.example.test"), SMFIS_CONTINUE,
	    "store error, non-SMTP: RCPT continues");
	is_int(ctx->nsetreply, 0, "store error, non-SMTP: no reply set");
	is_rc(D.xxfi_eom(ctx), SMFIS_TEMPFAIL,
	    "store error, non-SMTP: message tempfailed at eom (stays in maildrop)");
	D.xxfi_close(ctx);
	writer_end(1000);
	check_event("ok@dest.example.test", "QIDE1", "store-error", "tempfailed",
	    "accepted");
	check_event("x@dest.example.test", "QIDE2", "store-error", "deferred",
	    "tempfailed");

	/* OnStoreError accept, both paths */
	use_conf("OnStoreError accept\n");
	writer_begin(64);
	fake_calls_clear(ctx);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	is_rc(do_rcpt(ctx, "<ok@dest.example.test>"), SMFIS_CONTINUE,
	    "store error, accept, SMTP: continue");
	fake_macro(ctx, "i", "QIDE3");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "store error, accept: eom accept");
	D.xxfi_close(ctx);
	do_connect(ctx, "localhost", "127.0.0.1", "nonsmtpd");
	do_mail_qid(ctx, "app@example.test", "QIDE4");
	do_rcpt(ctx, "y@dest.example.test");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT,
	    "store error, accept, non-SMTP: eom accept");
	D.xxfi_close(ctx);
	writer_end(1000);
	check_event("ok@dest.example.test", "QIDE3", "store-error", "allowed",
	    "accepted");
	check_event("y@dest.example.test", "QIDE4", "store-error", "allowed",
	    "accepted");
	fake_store_lookup_rc(NF_STORE_OK);
	use_conf(NULL);
	fake_ctx_free(ctx);
}

/* Non-notification mail: accepted at MAIL, never recorded. */
static void
t_untouched(void)
{
	SMFICTX *ctx = fake_ctx_new();
	unsigned long lookups = fake_store_lookups();

	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	is_rc(do_mail(ctx, "<someone@else.test>"), SMFIS_ACCEPT,
	    "other sender: accepted at MAIL (no further steps)");
	is_rc(do_mail(ctx, "<>"), SMFIS_ACCEPT, "null sender <>: accepted at MAIL");
	D.xxfi_close(ctx);
	do_connect(ctx, "localhost", "127.0.0.1", "nonsmtpd");
	is_rc(do_mail(ctx, ""), SMFIS_ACCEPT,
	    "null sender (non-SMTP bounce): accepted at MAIL");
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nevents(), 0, "untouched mail: no events");
	is_int(fake_store_lookups() - lookups, 0, "untouched mail: no lookups");
	is_int(ctx->nsetreply + ctx->ndel + ctx->nmodify, 0,
	    "untouched mail: no replies or edits");
	/* no Senders at all: the connection is accepted at once */
	{
		struct nf_conf *c = nf_conf_defaults();

		nf_milter_conf_set(c);
		is_rc(do_connect(ctx, "client.example.test", "192.0.2.1", "mta"),
		    SMFIS_ACCEPT, "no Senders: connection accepted at CONNECT");
		D.xxfi_close(ctx);
		use_conf(NULL);
	}
	fake_ctx_free(ctx);
}

static void
t_abort_close(void)
{
	SMFICTX *ctx = fake_ctx_new();

	writer_begin(64);
	/* close only */
	is_rc(D.xxfi_close(ctx), SMFIS_CONTINUE, "close only: continue");
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	is_rc(D.xxfi_close(ctx), SMFIS_CONTINUE, "connect + close: continue");
	ok(ctx->priv == NULL, "connect + close: freed");
	/* abort in the middle, then a second message on the connection */
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt(ctx, "<supp@dest.example.test>");
	fake_macro(ctx, "i", "QIDA");	/* from the 2nd RCPT on */
	do_rcpt(ctx, "<ok@dest.example.test>");
	is_rc(D.xxfi_abort(ctx), SMFIS_CONTINUE, "abort: continue");
	fake_macros_clear(ctx);
	is_rc(D.xxfi_eom(ctx), SMFIS_CONTINUE,
	    "eom after abort without MAIL: nothing to do");
	is_rc(do_mail(ctx, "<app@example.test>"), SMFIS_CONTINUE,
	    "abort: next MAIL on the connection");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_REJECT,
	    "abort: next message decided afresh");
	fake_macro(ctx, "i", "QIDB");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "abort: next message eom");
	D.xxfi_close(ctx);
	/* a MAIL that follows a message the MTA never ended */
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	fake_macros_clear(ctx);
	do_mail(ctx, "<app@example.test>");
	do_rcpt(ctx, "<revoked@dest.example.test>");
	do_mail(ctx, "<app@example.test>");
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nevents(), 4, "abort/close: every decision recorded once");
	{
		size_t n, i, aborted = 0;
		const struct fake_event *ev = fake_store_events(&n);

		for (i = 0; i < n; i++)
			if (ev[i].qid && strcmp(ev[i].qid, "QIDA") == 0 &&
			    strstr(ev[i].detail, "message=aborted"))
				aborted++;
		is_int(aborted, 2, "abort: both decisions recorded with the queue id seen at RCPT");
	}
	check_event("revoked@dest.example.test", NULL, "consent-revoked",
	    "rejected", "aborted");
	fake_ctx_free(ctx);
}

static char many[1000][48];

static void
t_thousand(void)
{
	static struct fake_addr tab[1000];
	SMFICTX *ctx = fake_ctx_new();
	struct timespec t0, t1;
	size_t i, nsup = 0, ok_del = 1;
	double ms;

	for (i = 0; i < 1000; i++) {
		snprintf(many[i], sizeof(many[i]), "u%04zu@dest.example.test", i);
		tab[i].email = many[i];
		tab[i].suppressed = i % 3 == 0;
		tab[i].reason = "userunknown";
		tab[i].consent = NF_CONSENT_NONE;
		nsup += tab[i].suppressed;
	}
	fake_store_set(tab, 1000);
	use_conf("BlockedRecipient drop\n");
	writer_begin(4096);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do_mail(ctx, "<app@example.test>");
	for (i = 0; i < 1000; i++) {
		char arg[64];

		snprintf(arg, sizeof(arg), "<%s>", many[i]);
		if (do_rcpt(ctx, arg) != SMFIS_CONTINUE) {
			ok(0, "1000 rcpt: recipient %zu not continued", i);
			break;
		}
	}
	fake_macro(ctx, "i", "QIDK");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "1000 rcpt: eom accept");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	is_int(ctx->ndel, nsup, "1000 rcpt: every suppressed one removed");
	for (i = 0; i < (size_t)ctx->ndel; i++) {
		char want[64];

		snprintf(want, sizeof(want), "<%s>", many[i * 3]);
		if (strcmp(ctx->del[i], want) != 0) {
			ok_del = 0;
			diag("removal %zu: got %s, want %s", i, ctx->del[i], want);
			break;
		}
	}
	ok(ok_del, "1000 rcpt: removals in order, as spelled");
	ok(ms < 500, "1000 rcpt: one message decided in %.1f ms (< 500)", ms);
	D.xxfi_close(ctx);
	writer_end(2000);
	is_int(nevents(), 1000, "1000 rcpt: 1000 events");
	fake_store_set(table, NTABLE);
	use_conf(NULL);
	fake_ctx_free(ctx);
}

/* A reload between MAIL and RCPT: the message keeps its rules. */
static void
t_reload(void)
{
	SMFICTX *ctx = fake_ctx_new();

	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	use_conf("Mode monitor\n");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_REJECT,
	    "reload mid-message: the message keeps the enforce rules");
	D.xxfi_eom(ctx);
	do_mail(ctx, "<app@example.test>");
	is_rc(do_rcpt(ctx, "<supp@dest.example.test>"), SMFIS_CONTINUE,
	    "reload: the next message uses monitor");
	D.xxfi_close(ctx);
	writer_end(1000);
	use_conf(NULL);
	fake_ctx_free(ctx);
}

/* The writer: a busy store is retried; a full queue is reported and the
 * message tempfailed; stop drains. */
static void
t_writer(void)
{
	SMFICTX *ctx = fake_ctx_new();
	struct nf_writer_stats st;
	size_t i;

	writer_begin(64);
	fake_store_events_fail(3);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt(ctx, "<ok@dest.example.test>");
	fake_macro(ctx, "i", "QIDW");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "writer: eom accept while the store is busy");
	st = writer_end(5000);
	is_int(nevents(), 1, "writer: event written after the store came back");
	ok(st.retries >= 3, "writer: retried %llu times (>= 3)", st.retries);
	is_int(st.lost, 0, "writer: nothing lost");

	/* queue of 2, store down for good: the third event cannot be queued */
	writer_begin(2);
	fake_store_events_fail(-1);
	do_mail(ctx, "<app@example.test>");
	for (i = 0; i < 5; i++) {
		char arg[64];

		snprintf(arg, sizeof(arg), "<w%zu@dest.example.test>", i);
		do_rcpt(ctx, arg);
	}
	fake_macro(ctx, "i", "QIDX");
	is_rc(D.xxfi_eom(ctx), SMFIS_TEMPFAIL,
	    "writer full: unrecordable message tempfailed (OnStoreError tempfail)");
	st = writer_end(200);
	is_int(st.lost, 5, "writer full, store down: every lost event counted, none silent");
	fake_store_events_fail(0);
	D.xxfi_close(ctx);
	fake_ctx_free(ctx);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	nf_log_open("t_callbacks", -1, getenv("T_VERBOSE") != NULL, NF_LOG_DEBUG);
	D = nf_milter_desc();
	fake_store_set(table, NTABLE);
	use_conf(NULL);
	t_negotiate();
	t_smtp_reject();
	t_smtp_drop();
	t_nonsmtp("nonsmtp by {daemon_name}", "nonsmtpd", "app@example.test");
	t_nonsmtp("nonsmtp by emulated session", "mta.example.test",
	    "app@example.test");
	t_nonsmtp("nonsmtp name with <sender>", "nonsmtpd", "<app@example.test>");
	t_local_smtp();
	t_monitor();
	t_store_error();
	t_untouched();
	t_abort_close();
	t_thousand();
	t_reload();
	t_writer();
	nf_milter_conf_set(NULL);
	fake_store_events_clear();
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/notifilter.conf", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	return tap_done();
}
