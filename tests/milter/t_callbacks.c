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
 * message, and the record writer retrying, overflowing and draining.
 * Tagging at end of message: X-Notifilter-ID added (a valid token), the
 * VERP sender, every control header copy removed last to first, recipients
 * re-added with DSN parameters (client NOTIFY and ORCPT kept), the message
 * record; nothing touched on other or null-sender mail, monitor mode,
 * tagging off, bad SecretFile, 100 kB / folded / 8-bit headers,
 * duplicated / empty control headers, an invalid phone hint, edits the MTA
 * refuses.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
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
#include "secret.h"
#include "tap.h"
#include "token.h"

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
	{
		struct nf_milter_key *k = NULL;

		nf_buf_init(&err, 1024);
		if (nf_milter_key_load(c, &k, &err) != 0) {
			printf("Bail out! key did not load: %s\n",
			    nf_buf_cstr(&err));
			exit(1);
		}
		nf_buf_free(&err);
		nf_milter_state_set(c, k);
	}
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
	is_int(p0 & ~(unsigned long)SMFIF_SETSYMLIST, SMFIF_ADDHDRS |
	    SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT,
	    "negotiate: asks for the offered edits it makes, nothing else");
	ok(!(p0 & SMFIF_ADDRCPT), "negotiate: no plain addrcpt (0x%lx)", p0);
	ok((p1 & (SMFIP_NOBODY | SMFIP_NOHELO | SMFIP_NOEOH |
	    SMFIP_NODATA | SMFIP_NOUNKNOWN)) == (SMFIP_NOBODY |
	    SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NODATA | SMFIP_NOUNKNOWN),
	    "negotiate: skips helo, data, eoh, body, unknown (0x%lx)", p1);
	ok(!(p1 & (SMFIP_NOCONNECT | SMFIP_NOMAIL | SMFIP_NORCPT |
	    SMFIP_NOHDRS)), "negotiate: keeps connect, mail, rcpt, headers");
	D.xxfi_negotiate(ctx, f0 | SMFIF_ADDRCPT_PAR, f1, 0, 0, &p0, &p1, &p2, &p3);
	is_int(p0 & ~(unsigned long)SMFIF_SETSYMLIST, SMFIF_ADDHDRS |
	    SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT | SMFIF_ADDRCPT_PAR,
	    "negotiate: asks for addrcpt_par when offered");
	ok(D.xxfi_header != NULL, "registered a header callback");
	ok((D.xxfi_flags & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM |
	    SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT)) == (SMFIF_ADDHDRS |
	    SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT),
	    "registration flags name every edit (0x%lx)", D.xxfi_flags);
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

	/* queue of 2 messages, store down for good: messages are accepted
	 * until one finds the queue full past its wait; it is tempfailed */
	writer_begin(2);
	fake_store_events_fail(-1);
	{
		size_t sent = 0, tempfailed = 0;

		for (i = 0; i < 10 && tempfailed == 0; i++) {
			char arg[64];

			do_mail(ctx, "<app@example.test>");
			snprintf(arg, sizeof(arg), "<w%zu@dest.example.test>", i);
			do_rcpt(ctx, arg);
			fake_macro(ctx, "i", "QIDX");
			sent++;
			if (D.xxfi_eom(ctx) == SMFIS_TEMPFAIL)
				tempfailed++;
		}
		ok(tempfailed == 1 && sent >= 3 && sent <= 5,
		    "writer full: the message that did not fit is tempfailed "
		    "(OnStoreError tempfail; %zu sent, %zu tempfailed)", sent,
		    tempfailed);
		st = writer_end(200);
		is_int(st.lost, sent, "writer full, store down: every lost "
		    "event counted, none silent");
	}
	fake_store_events_fail(0);
	D.xxfi_close(ctx);
	fake_ctx_free(ctx);
}

/* nf_writer_sync (the MailLog follower's call): the records queued before
 * it are written when it returns, without the writer's linger; bounded. */
static void
t_writer_sync(void)
{
	SMFICTX *ctx = fake_ctx_new();
	struct nf_writer_stats st;
	struct timespec t0, t1;
	long ms;

	writer_begin(64);
	is_int(nf_writer_sync(W, 1000), 0, "sync: nothing queued, returns 0");
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt(ctx, "<ok@dest.example.test>");
	fake_macro(ctx, "i", "QIDS1");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "sync: eom accept");
	/* the writer lingers at least 20 ms for more: only sync makes the
	 * event visible at once */
	is_int(nf_writer_sync(W, 5000), 0, "sync: returns 0 once written");
	is_int(nevents(), 1, "sync: the message's event is written on return");
	ok(event_for("ok@dest.example.test") != NULL,
	    "sync: it is the message's event");
	/* a store that never answers: sync gives up after its wait */
	fake_store_events_fail(-1);
	do_mail(ctx, "<app@example.test>");
	do_rcpt(ctx, "<ok2@dest.example.test>");
	fake_macro(ctx, "i", "QIDS2");
	D.xxfi_eom(ctx);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(nf_writer_sync(W, 300), -1, "sync: store down, -1 after the wait");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(ms >= 250 && ms < 3000, "sync: waited about its 300 ms (%ld ms)", ms);
	st = writer_end(200);
	is_int(st.lost, 1, "sync: the unwritable event counted lost at stop");
	fake_store_events_fail(0);
	D.xxfi_close(ctx);
	fake_ctx_free(ctx);
}

/* ---- tagging at end of message ---- */

static char secret_path[300];
static struct nf_secret *test_secret;

static void
make_secret(const char *path, mode_t mode, size_t len)
{
	unsigned char key[64];
	int fd, rnd;

	rnd = open("/dev/urandom", O_RDONLY);
	if (rnd < 0 || read(rnd, key, len) != (ssize_t)len) {
		printf("Bail out! /dev/urandom\n");
		exit(1);
	}
	close(rnd);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, key, len) != (ssize_t)len) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

static void
use_tag_conf(const char *extra)
{
	char conf[1024];

	snprintf(conf, sizeof(conf), "BounceDomain bounces.example.test\n"
	    "SecretFile %s\n%s", secret_path, extra ? extra : "");
	use_conf(conf);
}

static sfsistat
do_rcpt_args(SMFICTX *ctx, const char *rcpt, const char *a1, const char *a2)
{
	char *argv[4] = { (char *)rcpt, (char *)a1, (char *)a2, NULL };

	if (a1 == NULL)
		argv[1] = NULL;
	return D.xxfi_envrcpt(ctx, argv);
}

static void
do_header(SMFICTX *ctx, const char *name, const char *value)
{
	sfsistat rc = D.xxfi_header(ctx, (char *)name, (char *)value);

	if (rc != SMFIS_CONTINUE)
		ok(0, "header %s: got %s, want CONTINUE", name, rc_name(rc));
}

static const struct fake_message *
message_for(const char *qid)
{
	size_t n, i;
	const struct fake_message *m = fake_store_messages(&n);

	for (i = 0; i < n; i++)
		if (m[i].queue_id != NULL && strcmp(m[i].queue_id, qid) == 0)
			return &m[i];
	return NULL;
}

static size_t
nmessages(void)
{
	size_t n;

	fake_store_messages(&n);
	return n;
}

static const struct fake_rcpt *
mrcpt(const struct fake_message *m, const char *addr)
{
	size_t i;

	for (i = 0; m != NULL && i < m->nrcpt; i++)
		if (strcmp(m->rcpt[i].address, addr) == 0)
			return &m->rcpt[i];
	return NULL;
}

/* Is the i-th header edit a deletion of `name` at index `idx`? */
static void
is_deletion(SMFICTX *ctx, int i, const char *name, int idx)
{
	if (!ok(i < ctx->nchghdr, "header edit %d exists (have %d)", i,
	    ctx->nchghdr))
		return;
	if (!ok(strcmp(ctx->chghdr[i].name, name) == 0 &&
	    ctx->chghdr[i].idx == idx && ctx->chghdr[i].value == NULL,
	    "header edit %d deletes %s #%d", i, name, idx))
		diag("got %s #%d value %s", ctx->chghdr[i].name,
		    ctx->chghdr[i].idx, ctx->chghdr[i].value ?
		    ctx->chghdr[i].value : "(NULL: deletion)");
}

static void
t_tag_enforce(void)
{
	SMFICTX *ctx = fake_ctx_new();
	const struct fake_message *m;
	const struct fake_rcpt *r;
	char want[300];
	const char *tok;

	use_tag_conf(NULL);
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	is_rc(do_mail(ctx, "<app@example.test>"), SMFIS_CONTINUE, "tag: MAIL");
	is_rc(do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL),
	    SMFIS_CONTINUE, "tag: plain recipient");
	is_rc(do_rcpt_args(ctx, "<granted@dest.example.test>",
	    "NOTIFY=SUCCESS,DELAY", NULL), SMFIS_CONTINUE,
	    "tag: recipient with the client's NOTIFY");
	do_rcpt_args(ctx, "<never@dest.example.test>", "NOTIFY=NEVER", NULL);
	do_rcpt_args(ctx, "<User+Tag@dest.example.test>", NULL, NULL);
	do_rcpt_args(ctx, "<orcpt@dest.example.test>",
	    "ORCPT=rfc822;orig+1@x.example.test", NULL);
	is_rc(do_rcpt_args(ctx, "<supp@dest.example.test>", NULL, NULL),
	    SMFIS_REJECT, "tag: suppressed still rejected");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);	/* repeat */
	fake_macro(ctx, "i", "QTAG1");
	do_header(ctx, "From", "App <app@example.test>");
	do_header(ctx, "Subject", "=?UTF-8?B?w6TDtsO8?= part one\r\n\tpart two");
	do_header(ctx, "Message-ID", "<m1@example.test>");
	do_header(ctx, "X-Notifilter-Category", "billing");
	do_header(ctx, "x-notifilter-category", "second one");
	do_header(ctx, "X-Notifilter-Fallback-Text", "  ");
	do_header(ctx, "X-Notifilter-Fallback-Text", "Your code is 1234");
	do_header(ctx, "X-Notifilter-Phone", "+49 151 1234 5678");
	do_header(ctx, "X-Notifilter-ID", "forged-by-the-app");
	do_header(ctx, "To", "someone");
	fake_calls_clear(ctx);
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "tag: eom accept");
	is_str(ctx->ops, "-2-2-2emmmmmmh",
	    "tag: edits in order (cheapest for cleanup): 3 recipients "
	    "re-added, sender, old id and 5 control copies removed, id added");
	is_int(ctx->naddhdr, 1, "tag: one header added");
	tok = ctx->naddhdr == 1 ? ctx->addhdr[0].value : "";
	if (ctx->naddhdr == 1)
		is_str(ctx->addhdr[0].name, "X-Notifilter-ID", "tag: header name");
	is_int(strlen(tok), NF_TOKEN_LEN, "tag: token length");
	is_int(nf_token_verify(test_secret, tok, NULL, NULL), NF_TOKEN_OK,
	    "tag: the token verifies with SecretFile's key");
	snprintf(want, sizeof(want), "<bounce+%s@bounces.example.test>", tok);
	is_str(ctx->chgfrom, want, "tag: envelope sender is the VERP address");
	ok(ctx->chgfrom_args == NULL, "tag: chgfrom without ESMTP args");
	is_deletion(ctx, 0, "X-Notifilter-ID", 1);
	is_deletion(ctx, 1, "X-Notifilter-Category", 2);
	is_deletion(ctx, 2, "X-Notifilter-Category", 1);
	is_deletion(ctx, 3, "X-Notifilter-Fallback-Text", 2);
	is_deletion(ctx, 4, "X-Notifilter-Fallback-Text", 1);
	is_deletion(ctx, 5, "X-Notifilter-Phone", 1);
	is_int(ctx->naddpar, 3, "tag: three recipients re-added");
	is_int(ctx->ndel, 3, "tag: three recipients removed first");
	if (ctx->naddpar == 3 && ctx->ndel == 3) {
		is_str(ctx->del[0], "<ok@dest.example.test>", "tag: del ok");
		is_str(ctx->addpar[0].rcpt, "<ok@dest.example.test>", "tag: re-add ok");
		is_str(ctx->addpar[0].args, "NOTIFY=SUCCESS,FAILURE,DELAY "
		    "ORCPT=rfc822;ok@dest.example.test", "tag: DSN args of ok");
		is_str(ctx->addpar[1].rcpt, "<User+Tag@dest.example.test>",
		    "tag: re-added as the client spelled it");
		is_str(ctx->addpar[1].args, "NOTIFY=SUCCESS,FAILURE,DELAY "
		    "ORCPT=rfc822;User+2BTag@dest.example.test",
		    "tag: ORCPT is xtext ('+' as +2B)");
		is_str(ctx->addpar[2].args, "NOTIFY=SUCCESS,FAILURE,DELAY "
		    "ORCPT=rfc822;orig+1@x.example.test",
		    "tag: the client's ORCPT is kept");
	}
	D.xxfi_close(ctx);
	writer_end(1000);
	m = message_for("QTAG1");
	if (ok(m != NULL, "tag: message recorded")) {
		is_str(m->token, tok, "record: token");
		is_str(m->sender, "app@example.test", "record: original sender");
		snprintf(want, sizeof(want), "bounce+%s@bounces.example.test", tok);
		is_str(m->verp, want, "record: VERP sender");
		is_str(m->header_from, "App <app@example.test>", "record: From");
		is_str(m->subject, "=?UTF-8?B?w6TDtsO8?= part one\tpart two",
		    "record: Subject as given, unfolded");
		is_str(m->message_id, "<m1@example.test>", "record: Message-ID");
		is_str(m->category, "billing", "record: duplicated category, first wins");
		is_str(m->fallback_text, "Your code is 1234",
		    "record: empty fallback text ignored");
		is_str(m->phone_hint, "+4915112345678", "record: phone normalised");
		is_int(m->phone_hint_valid, 1, "record: phone valid");
		is_int(m->applied, 1, "record: applied");
		ok(m->time > 0, "record: time");
		is_int(m->nrcpt, 6, "record: each distinct decided recipient");
		r = mrcpt(m, "ok@dest.example.test");
		ok(r && strcmp(r->verdict, "allowed") == 0 && r->dsn_requested,
		    "record: ok allowed, DSN requested");
		r = mrcpt(m, "granted@dest.example.test");
		ok(r && r->dsn_requested, "record: client NOTIFY=SUCCESS counts as requested");
		r = mrcpt(m, "never@dest.example.test");
		ok(r && !r->dsn_requested, "record: client NOTIFY=NEVER: not requested");
		r = mrcpt(m, "supp@dest.example.test");
		ok(r && strcmp(r->verdict, "rejected") == 0 && !r->dsn_requested &&
		    strcmp(r->rule, "suppressed") == 0,
		    "record: rejected recipient with its rule");
	}
	{
		const struct fake_event *e = event_for("ok@dest.example.test");

		ok(e != NULL && e->token != NULL && strcmp(e->token, tok) == 0,
		    "tag: decision events carry the token");
	}
	fake_ctx_free(ctx);
}

/* RequestDSN no; two messages on one connection; a message with no From,
 * Subject or Message-ID; empty control header only. */
static void
t_tag_nodsn(void)
{
	SMFICTX *ctx = fake_ctx_new();
	const struct fake_message *m1, *m2;

	use_tag_conf("RequestDSN no\nVerpPrefix NF-Bounce\n");
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QND1");
	do_header(ctx, "X-Notifilter-Category", "");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "nodsn: eom accept");
	is_str(ctx->ops, "emh", "nodsn: sender, one empty control "
	    "header removed, id added, no recipient re-added");
	ok(ctx->chgfrom && strncmp(ctx->chgfrom, "<nf-bounce+", 11) == 0,
	    "nodsn: VerpPrefix lower-cased (%s)", ctx->chgfrom ? ctx->chgfrom : "");
	fake_calls_clear(ctx);
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QND2");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "nodsn: second message eom");
	is_str(ctx->ops, "eh", "nodsn: second message: no control header "
	    "left over from the first");
	D.xxfi_close(ctx);
	writer_end(1000);
	m1 = message_for("QND1");
	m2 = message_for("QND2");
	ok(m1 && m2 && strcmp(m1->token, m2->token) != 0,
	    "nodsn: two messages, two tokens");
	ok(m1 && m1->header_from == NULL && m1->subject == NULL &&
	    m1->message_id == NULL && m1->category == NULL &&
	    m1->phone_hint == NULL, "no From/Subject/Message-ID: recorded as absent");
	ok(m1 && m1->nrcpt == 1 && !m1->rcpt[0].dsn_requested,
	    "nodsn: DSN not requested");
	fake_ctx_free(ctx);
}

/* Other senders, null senders: nothing touched, nothing recorded. */
static void
t_tag_untouched(void)
{
	SMFICTX *ctx = fake_ctx_new();

	use_tag_conf(NULL);
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	is_rc(do_mail(ctx, "<someone@else.test>"), SMFIS_ACCEPT,
	    "tag untouched: other sender accepted at MAIL");
	/* an MTA that ignores the accept and goes on */
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	do_header(ctx, "X-Notifilter-Category", "billing");
	is_rc(D.xxfi_eom(ctx), SMFIS_CONTINUE, "tag untouched: eom continue");
	is_rc(do_mail(ctx, "<>"), SMFIS_ACCEPT, "tag untouched: <> at MAIL");
	do_header(ctx, "X-Notifilter-Category", "billing");
	D.xxfi_eom(ctx);
	D.xxfi_close(ctx);
	do_connect(ctx, "localhost", "127.0.0.1", "nonsmtpd");
	is_rc(do_mail(ctx, ""), SMFIS_ACCEPT,
	    "tag untouched: Postfix bounce (empty sender) accepted at MAIL");
	do_rcpt_args(ctx, "bounce+x@bounces.example.test", NULL, NULL);
	D.xxfi_eom(ctx);
	D.xxfi_close(ctx);
	writer_end(1000);
	is_str(ctx->ops, "", "tag untouched: no edit at all");
	is_int(nmessages() + nevents(), 0, "tag untouched: nothing recorded");
	fake_ctx_free(ctx);
}

static void
t_tag_monitor(void)
{
	SMFICTX *ctx = fake_ctx_new();
	const struct fake_message *m;

	use_tag_conf("Mode monitor\n");
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	do_rcpt_args(ctx, "<supp@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QMT1");
	do_header(ctx, "X-Notifilter-Category", "billing");
	do_header(ctx, "X-Notifilter-Phone", "+49 151 1234 5678");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "tag monitor: eom accept");
	is_str(ctx->ops, "", "tag monitor: no header, no VERP, no DSN, no removal");
	D.xxfi_close(ctx);
	writer_end(1000);
	m = message_for("QMT1");
	if (ok(m != NULL, "tag monitor: message recorded")) {
		is_int(m->applied, 0, "tag monitor: applied = 0");
		ok(m->verp == NULL, "tag monitor: no VERP recorded");
		is_int(strlen(m->token), NF_TOKEN_LEN, "tag monitor: token recorded");
		is_str(m->category, "billing", "tag monitor: category recorded");
		ok(mrcpt(m, "supp@dest.example.test") &&
		    strcmp(mrcpt(m, "supp@dest.example.test")->verdict,
		    "monitored") == 0, "tag monitor: blocked recipient monitored");
	}
	fake_ctx_free(ctx);
}

/* BounceDomain without SecretFile (and the reverse): decide and record,
 * remove control headers, no token. */
static void
t_tag_off(void)
{
	SMFICTX *ctx = fake_ctx_new();
	struct nf_conf *c;

	use_conf("BounceDomain bounces.example.test\n");
	c = nf_milter_conf_get();
	is_str(nf_milter_tag_off_reason(c), "SecretFile is not set",
	    "tag off: the reason names SecretFile");
	nf_conf_unref(c);
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QOFF1");
	do_header(ctx, "X-Notifilter-Fallback-Text", "hello");
	do_header(ctx, "X-Notifilter-Phone", "+49 151 1234 5678");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "tag off: eom accept");
	is_str(ctx->ops, "mm", "tag off: control headers removed, nothing else");
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nmessages(), 0, "tag off: no message record (no token)");
	{
		const struct fake_event *e = event_for("ok@dest.example.test");

		ok(e != NULL && e->token == NULL, "tag off: decision recorded without token");
	}
	/* SecretFile without BounceDomain: the key loads, tagging is off */
	{
		char conf[400];

		snprintf(conf, sizeof(conf), "SecretFile %s\n", secret_path);
		use_conf(conf);
	}
	c = nf_milter_conf_get();
	is_str(nf_milter_tag_off_reason(c), "BounceDomain is not set",
	    "tag off: the reason names BounceDomain");
	nf_conf_unref(c);
	fake_calls_clear(ctx);
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QOFF2");
	do_header(ctx, "X-Notifilter-Category", "c");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "tag off (no BounceDomain): eom accept");
	is_str(ctx->ops, "m", "tag off (no BounceDomain): only the control header removed");
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nmessages(), 0, "tag off (no BounceDomain): no message record");
	fake_ctx_free(ctx);
}

/* A bad SecretFile: refused with the loader's message. */
static void
t_secret_bad(void)
{
	char path[300], conf[1024], cpath[300];
	struct nf_conf *c = NULL;
	struct nf_milter_key *k = (struct nf_milter_key *)1;
	struct nf_buf err;
	FILE *fp;
	static const struct { const char *label; mode_t mode; size_t len;
	    int create; const char *word; } cases[] = {
		{ "world-readable", 0644, 32, 1, "" },
		{ "too short", 0600, 8, 1, "" },
		{ "missing", 0600, 32, 0, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/badsecret", tmpdir);
		unlink(path);
		if (cases[i].create)
			make_secret(path, cases[i].mode, cases[i].len);
		snprintf(cpath, sizeof(cpath), "%s/bad.conf", tmpdir);
		snprintf(conf, sizeof(conf), "%sSecretFile %s\n"
		    "BounceDomain b.example.test\n", base_conf, path);
		fp = fopen(cpath, "w");
		fputs(conf, fp);
		fclose(fp);
		nf_buf_init(&err, 1024);
		if (nf_conf_load(cpath, &c, &err) != 0) {
			ok(0, "bad secret %s: config loads (%s)", cases[i].label,
			    nf_buf_cstr(&err));
			nf_buf_free(&err);
			continue;
		}
		nf_buf_reset(&err);
		k = (struct nf_milter_key *)1;
		is_int(nf_milter_key_load(c, &k, &err), -1,
		    "bad secret %s: refused", cases[i].label);
		ok(k == NULL, "bad secret %s: no key", cases[i].label);
		if (!ok(strstr(nf_buf_cstr(&err), path) != NULL,
		    "bad secret %s: message names the file", cases[i].label))
			diag("message: %s", nf_buf_cstr(&err));
		nf_buf_free(&err);
		nf_conf_unref(c);
		unlink(path);
		unlink(cpath);
	}
}

/* 100 kB headers, a cut that would split a UTF-8 character, folded and
 * 8-bit values, an invalid phone hint. */
static void
t_tag_big(void)
{
	SMFICTX *ctx = fake_ctx_new();
	const struct fake_message *m;
	char *big = malloc(100 * 1024 + 1), *subj = malloc(100 * 1024 + 2);
	size_t i, n;

	for (i = 0; i < 100 * 1024; i++)
		big[i] = (char)('a' + i % 26);
	big[i] = '\0';
	subj[0] = 'x';
	for (i = 1; i + 1 < 100 * 1024; i += 2) {
		subj[i] = (char)0xc3;	/* U+00E9, 2 bytes */
		subj[i + 1] = (char)0xa9;
	}
	subj[i] = '\0';
	use_tag_conf("DefaultCountry 49\n");
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QBIG1");
	do_header(ctx, "Subject", subj);
	do_header(ctx, "From", "J\xc3\xbcrgen <app@example.test>");
	do_header(ctx, "X-Notifilter-Fallback-Text", big);
	do_header(ctx, "X-Notifilter-Category", big);
	do_header(ctx, "X-Notifilter-Phone", "not a phone");
	is_rc(D.xxfi_eom(ctx), SMFIS_ACCEPT, "big headers: eom accept");
	is_str(ctx->ops, "-2emmmh", "big headers: tagged, every control header removed");
	fake_calls_clear(ctx);
	/* a valid national number with DefaultCountry */
	do_mail(ctx, "<app@example.test>");
	do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
	fake_macro(ctx, "i", "QBIG2");
	do_header(ctx, "X-Notifilter-Phone", "0151 1234 5678");
	D.xxfi_eom(ctx);
	D.xxfi_close(ctx);
	writer_end(1000);
	m = message_for("QBIG1");
	if (ok(m != NULL, "big headers: message recorded")) {
		n = m->fallback_text ? strlen(m->fallback_text) : 0;
		is_int(n, NF_STORE_HEADER_MAX, "big headers: 100 kB fallback "
		    "text kept as %d bytes", NF_STORE_HEADER_MAX);
		ok(n > 8 && strcmp(m->fallback_text + n - 8, "...[cut]") == 0 &&
		    strncmp(m->fallback_text, big, n - 8) == 0,
		    "big headers: the cut is marked, the start kept");
		n = m->subject ? strlen(m->subject) : 0;
		ok(n >= NF_STORE_HEADER_MAX - 1 && n <= NF_STORE_HEADER_MAX,
		    "big headers: Subject cut (%zu bytes)", n);
		ok(n > 9 && ((unsigned char)m->subject[n - 9] == 0xa9),
		    "big headers: no UTF-8 character split by the cut");
		is_str(m->header_from, "J\xc3\xbcrgen <app@example.test>",
		    "8-bit From stored as given");
		is_str(m->phone_hint, "not a phone", "invalid phone recorded as given");
		is_int(m->phone_hint_valid, 0, "invalid phone: phone_hint_valid 0");
	}
	m = message_for("QBIG2");
	ok(m && m->phone_hint && strcmp(m->phone_hint, "+4915112345678") == 0 &&
	    m->phone_hint_valid, "national phone completed with DefaultCountry");
	free(big);
	free(subj);
	fake_ctx_free(ctx);
}

/* Edits the MTA refuses: the message is tempfailed, not recorded as
 * tagged; decisions say so.  Non-SMTP all-dropped: discarded untagged. */
static void
t_tag_refused(void)
{
	static const char ops[] = "hem-2";
	SMFICTX *ctx = fake_ctx_new();
	size_t i;

	use_tag_conf(NULL);
	writer_begin(64);
	do_connect(ctx, "client.example.test", "192.0.2.1", "mta");
	for (i = 0; ops[i] != '\0'; i++) {
		char qid[16];

		fake_calls_clear(ctx);
		ctx->fail_op = ops[i];
		do_mail(ctx, "<app@example.test>");
		do_rcpt_args(ctx, "<ok@dest.example.test>", NULL, NULL);
		snprintf(qid, sizeof(qid), "QREF%zu", i);
		fake_macro(ctx, "i", qid);
		do_header(ctx, "X-Notifilter-Category", "c");
		is_rc(D.xxfi_eom(ctx), SMFIS_TEMPFAIL,
		    "refused edit '%c': message tempfailed", ops[i]);
	}
	ctx->fail_op = 0;
	D.xxfi_close(ctx);
	/* non-SMTP, every recipient dropped: discard, no edits */
	fake_calls_clear(ctx);
	do_connect(ctx, "localhost", "127.0.0.1", "nonsmtpd");
	do_mail_qid(ctx, "app@example.test", "QREFD");
	do_rcpt_args(ctx, "supp@dest.example.test", NULL, NULL);
	do_header(ctx, "X-Notifilter-Category", "c");
	is_rc(D.xxfi_eom(ctx), SMFIS_DISCARD, "all dropped: discard");
	is_str(ctx->ops, "", "all dropped: no edits");
	D.xxfi_close(ctx);
	writer_end(1000);
	is_int(nmessages(), 0, "refused/discarded: no message recorded");
	{
		size_t n, k, tf = 0;
		const struct fake_event *ev = fake_store_events(&n);

		for (k = 0; k < n; k++)
			if (strstr(ev[k].detail, "message=tempfailed") &&
			    ev[k].token == NULL)
				tf++;
		is_int(tf, strlen(ops), "refused: decisions recorded as tempfailed, no token");
	}
	fake_ctx_free(ctx);
}

static void
t_tagging(void)
{
	snprintf(secret_path, sizeof(secret_path), "%s/secret", tmpdir);
	make_secret(secret_path, 0600, 32);
	{
		struct nf_buf err;

		nf_buf_init(&err, 1024);
		if (nf_secret_load(secret_path, &test_secret, &err) != 0) {
			printf("Bail out! %s\n", nf_buf_cstr(&err));
			exit(1);
		}
		nf_buf_free(&err);
	}
	t_tag_enforce();
	t_tag_nodsn();
	t_tag_untouched();
	t_tag_monitor();
	t_tag_off();
	t_secret_bad();
	t_tag_big();
	t_tag_refused();
	nf_secret_free(test_secret);
	unlink(secret_path);
	use_conf(NULL);
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
	t_writer_sync();
	t_tagging();
	nf_milter_state_set(NULL, NULL);
	fake_store_events_clear();
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/notifilter.conf", tmpdir);
		unlink(path);
		rmdir(tmpdir);
	}
	return tap_done();
}
