/*
 * mkmsg.c - test helper for tests/ctl/t-trace.sh: records what the milter,
 * the MailLog follower and the report intake would record, since no
 * notifilterctl command adds messages.  Not installed.
 *
 *   mkmsg DB message token=T [qid=Q] [sender=S] [verp=V] [from=F]
 *         [subject=S] [msgid=M] [category=C] [applied=0|1] [time=UNIX]
 *         rcpt=ADDR|VERDICT|RULE|REASON|DSN(0/1) ...
 *   mkmsg DB delivery qid=Q to=ADDR status=S [dsn=D] [relay=R] [diag=TEXT]
 *         [source=maillog] [time=UNIX]
 *   mkmsg DB event kind=K [qid=Q] [token=T] [to=ADDR] [rule=R] [detail=D]
 *         [time=UNIX] [count=N]   (N copies, one transaction)
 *   mkmsg DB report token=T to=ADDR [excerpt=TEXT] [diag=TEXT]
 *         [outcome=O] [detail=D] [time=UNIX]   (an authenticated DSN)
 *   mkmsg DB decide to=ADDR [key=SECRETFILE]
 *         prints the milter's decision for ADDR: "block|allow RULE: reason"
 *         (with the erasure key from SECRETFILE, as the daemon has it)
 *   mkmsg DB phone to=E164 channel=sms [key=SECRETFILE]
 *         prints "suppressed" or "not suppressed" (nf_store_phone_suppressed)
 *
 * Exits 0 when the store said OK, 1 NOTFOUND, 2 CONFLICT, 3 other store
 * failures (with nf_store_errmsg on stderr), 64 bad arguments.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "secret.h"
#include "store.h"

#define MK_RCPT_MAX 16

/* The value of "name=..." among argv, or NULL (the last one wins). */
static const char *
arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	const char *v = NULL;
	int i;

	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			v = argv[i] + n + 1;
	return v;
}

static int64_t
arg_time(int argc, char **argv)
{
	const char *t = arg(argc, argv, "time");

	return t ? strtoll(t, NULL, 10) : 0;
}

/* Split "a|b|c|d|e" in place into up to n fields ("" for missing ones). */
static void
split(char *s, char **f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		f[i] = s;
		if (s != NULL && (s = strchr(s, '|')) != NULL)
			*s++ = '\0';
	}
	for (i = 0; i < n; i++)
		if (f[i] == NULL)
			f[i] = "";
}

static int
do_message(struct nf_store *s, int argc, char **argv)
{
	struct nf_recipient_in r[MK_RCPT_MAX];
	struct nf_message_in m;
	char *f[5];
	const char *ap;
	size_t nr = 0;
	int i;

	memset(&m, 0, sizeof m);
	memset(r, 0, sizeof r);
	m.token = arg(argc, argv, "token");
	m.queue_id = arg(argc, argv, "qid");
	m.sender = arg(argc, argv, "sender");
	m.verp = arg(argc, argv, "verp");
	m.header_from = arg(argc, argv, "from");
	m.subject = arg(argc, argv, "subject");
	m.message_id = arg(argc, argv, "msgid");
	m.category = arg(argc, argv, "category");
	m.phone_hint = arg(argc, argv, "phone");
	m.phone_hint_valid = m.phone_hint != NULL;
	ap = arg(argc, argv, "applied");
	m.applied = ap ? atoi(ap) : 1;
	m.time = arg_time(argc, argv);
	if (m.token == NULL) {
		fprintf(stderr, "mkmsg: message needs token=\n");
		return 64;
	}
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "rcpt=", 5) != 0)
			continue;
		if (nr == MK_RCPT_MAX) {
			fprintf(stderr, "mkmsg: at most %d rcpt=\n", MK_RCPT_MAX);
			return 64;
		}
		split(argv[i] + 5, f, 5);
		r[nr].address = f[0];
		r[nr].verdict = f[1][0] ? f[1] : "allowed";
		r[nr].rule = f[2][0] ? f[2] : "default-consent-yes";
		r[nr].reason = f[3];
		r[nr].dsn_requested = f[4][0] == '1';
		nr++;
	}
	return nf_store_message_add(s, &m, r, nr);
}

static int
do_delivery(struct nf_store *s, int argc, char **argv)
{
	struct nf_delivery_in d;

	memset(&d, 0, sizeof d);
	d.queue_id = arg(argc, argv, "qid");
	d.address = arg(argc, argv, "to");
	d.status = arg(argc, argv, "status");
	d.dsn = arg(argc, argv, "dsn");
	d.relay = arg(argc, argv, "relay");
	d.diagnostic = arg(argc, argv, "diag");
	d.source = arg(argc, argv, "source");
	if (d.source == NULL)
		d.source = "maillog";
	d.time = arg_time(argc, argv);
	if (d.queue_id == NULL || d.address == NULL || d.status == NULL) {
		fprintf(stderr, "mkmsg: delivery needs qid= to= status=\n");
		return 64;
	}
	return nf_store_delivery_add(s, &d);
}

static int
do_event(struct nf_store *s, int argc, char **argv)
{
	struct nf_event *e;
	const char *cnt = arg(argc, argv, "count");
	long i, n = cnt ? strtol(cnt, NULL, 10) : 1;
	int rc;

	if (n < 1 || n > 1000000) {
		fprintf(stderr, "mkmsg: count must be 1..1000000\n");
		return 64;
	}
	if ((e = calloc((size_t)n, sizeof *e)) == NULL) {
		fprintf(stderr, "mkmsg: out of memory\n");
		return 3;
	}
	for (i = 0; i < n; i++) {
		e[i].kind = arg(argc, argv, "kind");
		e[i].queue_id = arg(argc, argv, "qid");
		e[i].token = arg(argc, argv, "token");
		e[i].address = arg(argc, argv, "to");
		e[i].rule = arg(argc, argv, "rule");
		e[i].detail = arg(argc, argv, "detail");
		e[i].time = arg_time(argc, argv) + i;
	}
	if (e[0].kind == NULL) {
		fprintf(stderr, "mkmsg: event needs kind=\n");
		free(e);
		return 64;
	}
	rc = nf_store_event_add_many(s, e, (size_t)n);
	free(e);
	return rc;
}

static int
do_report(struct nf_store *s, int argc, char **argv)
{
	struct nf_report_in r;
	struct nf_report_rcpt_in rr;

	memset(&r, 0, sizeof r);
	memset(&rr, 0, sizeof rr);
	r.kind = "dsn";
	r.token = arg(argc, argv, "token");
	r.token_valid = r.authenticated = r.token != NULL;
	r.auth_detail = "test";
	r.excerpt = arg(argc, argv, "excerpt");
	r.time = arg_time(argc, argv);
	rr.address = arg(argc, argv, "to");
	rr.action = "failed";
	rr.status = "5.1.1";
	rr.reason = "userunknown";
	rr.hard = 1;
	rr.diagnostic = arg(argc, argv, "diag");
	rr.policy = "bad";
	rr.outcome = arg(argc, argv, "outcome");
	if (rr.outcome == NULL)
		rr.outcome = "suppressed";
	rr.detail = arg(argc, argv, "detail");
	if (rr.address == NULL) {
		fprintf(stderr, "mkmsg: report needs to=\n");
		return 64;
	}
	return nf_store_report_add(s, &r, &rr, 1, NULL);
}

/* The erasure key from key=FILE, as the daemon and notifilterctl set it. */
static int
set_key(int argc, char **argv)
{
	const char *path = arg(argc, argv, "key");
	const unsigned char *k;
	struct nf_secret *sec;
	struct nf_buf err;
	size_t len;
	int rc;

	if (path == NULL)
		return 0;
	nf_buf_init(&err, 1024);
	if (nf_secret_load(path, &sec, &err) != 0) {
		fprintf(stderr, "mkmsg: %s\n", nf_buf_cstr(&err));
		nf_buf_free(&err);
		return -1;
	}
	nf_buf_free(&err);
	k = nf_secret_key(sec, &len);
	rc = nf_store_erase_key_set(k, len);
	nf_secret_free(sec);
	return rc;
}

static int
do_decide(struct nf_store *s, int argc, char **argv)
{
	struct nf_email_state st;
	struct nf_decision d;
	const char *to = arg(argc, argv, "to");
	int rc;

	if (to == NULL) {
		fprintf(stderr, "mkmsg: decide needs to=\n");
		return 64;
	}
	if (set_key(argc, argv) != 0)
		return 64;
	if ((rc = nf_store_email_state(s, to, &st)) != NF_STORE_OK)
		return rc;
	nf_policy_decide(NULL, &st, &d);
	printf("%s %s: %s\n", d.verdict == NF_VERDICT_BLOCK ? "block" :
	    "allow", d.rule, d.reason);
	return NF_STORE_OK;
}

static int
do_phone(struct nf_store *s, int argc, char **argv)
{
	const char *to = arg(argc, argv, "to"), *chn = arg(argc, argv,
	    "channel");
	enum nf_channel ch;
	int rc, yes;

	if (to == NULL || chn == NULL || nf_channel_parse(chn, &ch) != 0) {
		fprintf(stderr, "mkmsg: phone needs to= and channel=\n");
		return 64;
	}
	if (set_key(argc, argv) != 0)
		return 64;
	if ((rc = nf_store_phone_suppressed(s, to, ch, &yes)) == NF_STORE_OK)
		printf("%s\n", yes ? "suppressed" : "not suppressed");
	return rc;
}

int
main(int argc, char **argv)
{
	struct nf_store *s;
	char err[1024];
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: mkmsg DB message|delivery|event|report|"
		    "decide|phone name=value...\n");
		return 64;
	}
	err[0] = '\0';
	if (nf_store_open(argv[1], NF_STORE_CREATE, 5000, &s, err, sizeof err)
	    != NF_STORE_OK) {
		fprintf(stderr, "mkmsg: %s\n", err);
		return 3;
	}
	if (strcmp(argv[2], "message") == 0)
		rc = do_message(s, argc - 3, argv + 3);
	else if (strcmp(argv[2], "delivery") == 0)
		rc = do_delivery(s, argc - 3, argv + 3);
	else if (strcmp(argv[2], "event") == 0)
		rc = do_event(s, argc - 3, argv + 3);
	else if (strcmp(argv[2], "report") == 0)
		rc = do_report(s, argc - 3, argv + 3);
	else if (strcmp(argv[2], "decide") == 0)
		rc = do_decide(s, argc - 3, argv + 3);
	else if (strcmp(argv[2], "phone") == 0)
		rc = do_phone(s, argc - 3, argv + 3);
	else {
		fprintf(stderr, "mkmsg: unknown record %s\n", argv[2]);
		rc = 64;
	}
	if (rc != NF_STORE_OK && rc != 64)
		fprintf(stderr, "mkmsg: %s: store result %d: %s\n", argv[2], rc,
		    nf_store_errmsg(s));
	nf_store_close(s);
	if (rc == 64 || rc == NF_STORE_OK)
		return rc;
	return rc == NF_STORE_NOTFOUND ? 1 : rc == NF_STORE_CONFLICT ? 2 : 3;
}
