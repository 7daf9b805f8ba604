/*
 * t_outbox.c - unit tests of the fallback outbox in the store
 * (lib/store_outbox.c): which recipients are triggers (authenticated
 * failures only, overdue ones only where confirmations were asked), the
 * watermark, one row per (token, recipient), state changes that name the
 * state they expect (claim, requeue, cancel), the events they write, the
 * counts the rate limits use, and the rows a restart finds in 'sending'
 * with how each driver is treated.  Works in its own temporary directory;
 * TAP.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fallback.h"
#include "store.h"
#include "tap.h"

static char tmpdir[] = "/tmp/nf-t-outbox.XXXXXX";
static char dbpath[256];
static int64_t now;

static struct nf_store *
open_store(void)
{
	struct nf_store *s = NULL;
	char err[1024];

	if (nf_store_open(dbpath, NF_STORE_CREATE, 2000, &s, err,
	    sizeof err) != NF_STORE_OK) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return s;
}

/* A message `token` (queue id `qid`) to `rcpt`, recorded at time t. */
static int
message(struct nf_store *s, const char *token, const char *qid,
    const char *rcpt, int dsn, int applied, int64_t t)
{
	struct nf_message_in m = { 0 };
	struct nf_recipient_in r = { 0 };

	m.token = token;
	m.queue_id = qid;
	m.sender = "app@shop.example";
	m.subject = "Invoice";
	m.applied = applied;
	m.time = t;
	r.address = rcpt;
	r.verdict = "allowed";
	r.rule = "default";
	r.dsn_requested = dsn;
	return nf_store_message_add(s, &m, &r, 1);
}

static int
delivery(struct nf_store *s, const char *qid, const char *rcpt,
    const char *status)
{
	struct nf_delivery_in d = { 0 };

	d.queue_id = qid;
	d.address = rcpt;
	d.status = status;
	d.source = "maillog";
	d.time = now;
	return nf_store_delivery_add(s, &d);
}

static int
add_row(struct nf_store *s, const struct nf_fb_candidate *c,
    const char *phone, const char *state)
{
	struct nf_fb_new r = { 0 };
	char key[NF_STORE_FB_KEY_MAX];

	nf_fb_idem_key(c->token, c->recipient, key, sizeof key);
	r.message = c->message;
	r.token = c->token;
	r.recipient = c->recipient;
	r.phone = phone;
	r.channel = "sms";
	r.driver = "webhook";
	r.trigger = "bounced";
	r.trigger_detail = c->detail;
	r.state = state;
	r.text = "Invoice";
	r.encoding = "gsm7";
	r.segments = 1;
	r.due = now;
	r.expires = now + 3600;
	r.time = now;
	r.idem_key = key;
	r.event_detail = "test";
	return nf_store_fb_add(s, &r);
}

static int
count_events(const struct nf_event *ev, void *arg)
{
	char *rules = arg;

	if (strcmp(ev->kind, "fallback") == 0) {
		strcat(rules, ev->rule);
		strcat(rules, " ");
	}
	return 0;
}

static void
test_triggers(struct nf_store *s)
{
	struct nf_fb_candidate c[8];
	struct nf_event ev = { 0 };
	size_t n = 0;
	int64_t next = 0, e0 = 0, r0 = 0;

	is_int(nf_store_fb_cursor_start(s, now - 3600, &e0, &r0), NF_STORE_OK,
	    "cursor start on an empty store");
	is_int(e0, 0, "no events yet");
	is_int(message(s, "tok1", "Q1", "ann@example.test", 1, 1, now),
	    NF_STORE_OK, "message 1");
	is_int(message(s, "tok2", "Q2", "bob@example.test", 1, 1, now),
	    NF_STORE_OK, "message 2");
	is_int(message(s, "tok3", "Q3", "cid@example.test", 1, 0, now),
	    NF_STORE_OK, "message 3 (monitor mode: not applied)");
	/* a forged report: an event with the token, but no status set */
	ev.time = now;
	ev.kind = "bounce";
	ev.token = "tok2";
	ev.address = "bob@example.test";
	ev.rule = "unauthenticated";
	nf_store_event_add(s, &ev);
	is_int(delivery(s, "Q1", "ann@example.test", "bounced"), NF_STORE_OK,
	    "ann bounced (MailLog)");
	is_int(delivery(s, "Q3", "cid@example.test", "bounced"), NF_STORE_OK,
	    "cid bounced (monitor mode)");
	is_int(nf_store_fb_failures(s, 0, 8, c, &n, &next), NF_STORE_OK,
	    "failures read");
	is_int(n, 1, "one trigger: the authenticated failure of an applied "
	    "message");
	is_str(c[0].token, "tok1", "its token");
	is_str(c[0].recipient, "ann@example.test", "its recipient");
	is_str(c[0].status, "bounced", "its status");
	ok(strstr(c[0].detail, "bounced") != NULL, "its detail: %s",
	    c[0].detail);
	ok(next >= 3, "the watermark moved past every event (%lld)",
	    (long long)next);
	is_int(nf_store_fb_failures(s, next, 8, c, &n, &next), NF_STORE_OK,
	    "read again from the watermark");
	is_int(n, 0, "nothing new");
	/* the row exists: the failure is no trigger any more */
	is_int(nf_store_fb_failures(s, 0, 8, c, &n, &next), NF_STORE_OK,
	    "from 0 again");
	is_int(add_row(s, &c[0], "+4915100000001", "pending"), NF_STORE_OK,
	    "row added");
	is_int(add_row(s, &c[0], "+4915100000001", "pending"),
	    NF_STORE_CONFLICT, "a second row for the pair: CONFLICT");
	is_int(nf_store_fb_failures(s, 0, 8, c, &n, &next), NF_STORE_OK,
	    "from 0 once more");
	is_int(n, 0, "a failure that has its row is no trigger");

	/* overdue: bob (DSN asked, no status) and dan (no DSN asked) */
	is_int(message(s, "tok4", "Q4", "dan@example.test", 0, 1, now - 600),
	    NF_STORE_OK, "message 4, no DSN asked");
	is_int(message(s, "tok5", "Q5", "eve@example.test", 1, 1, now - 600),
	    NF_STORE_OK, "message 5, DSN asked");
	is_int(delivery(s, "Q5", "eve@example.test", "sent"), NF_STORE_OK,
	    "eve delivered");
	is_int(message(s, "tok6", "Q6", "fay@example.test", 1, 1, now),
	    NF_STORE_OK, "message 6, recorded just now");
	is_int(nf_store_fb_overdue(s, 0, now - 300, 0, 8, c, &n, &next),
	    NF_STORE_OK, "overdue read");
	is_int(n, 0, "messages 1-3 are newer than the cutoff: none yet");
	is_int(next, 0, "and the watermark stays before them");
	is_int(nf_store_fb_overdue(s, 0, now, 0, 8, c, &n, &next), NF_STORE_OK,
	    "overdue read with the cutoff now");
	is_int(n, 2, "bob and fay: DSN asked, no status (ann has a row, cid "
	    "not applied, dan no DSN, eve delivered)");
	is_str(c[0].recipient, "bob@example.test", "first bob");
	is_str(c[1].recipient, "fay@example.test", "then fay");
	is_int(nf_store_fb_overdue(s, 0, now, 1, 8, c, &n, &next), NF_STORE_OK,
	    "overdue with MailLog followed");
	is_int(n, 3, "dan too when MailLog is followed");
	is_int(nf_store_fb_overdue(s, next, now, 1, 8, c, &n, &next),
	    NF_STORE_OK, "from the watermark");
	is_int(n, 0, "nothing left");
	is_int(nf_store_fb_cursor_start(s, now - 60, &e0, &r0), NF_STORE_OK,
	    "cursor start at a recent time");
	is_int(r0, 0, "the recipient cursor starts before the first recent "
	    "recipient (#1)");
	is_int(nf_store_fb_cursor_start(s, now + 60, &e0, &r0), NF_STORE_OK,
	    "cursor start in the future");
	is_int(r0, 6, "nothing recent: after the last recipient");
	ok(e0 >= 4, "and after the last event (%lld)", (long long)e0);
}

static void
test_rows(struct nf_store *s)
{
	struct nf_fb_row *rows = calloc(8, sizeof *rows);
	struct nf_fb_candidate c = { 0 };
	struct nf_fb_step x = { 0 };
	char rules[512] = "";
	size_t n = 0;
	int64_t cnt = 0, t = 0;

	is_int(nf_store_fb_due(s, now, 8, rows, &n), NF_STORE_OK, "due read");
	is_int(n, 1, "ann's row is due");
	is_str(rows[0].state, "pending", "pending");
	is_str(rows[0].rstatus, "bounced", "with the recipient's status");
	is_str(rows[0].phone, "+4915100000001", "and the phone");
	/* claim */
	x.id = rows[0].id;
	x.from = "pending";
	x.to = "sending";
	x.rule = "sending";
	x.attempt = 1;
	x.sent_time = 1;
	x.time = now;
	x.detail = "attempt 1";
	is_int(nf_store_fb_step(s, &x), NF_STORE_OK, "claimed");
	is_int(nf_store_fb_step(s, &x), NF_STORE_NOTFOUND,
	    "a second claim finds it no longer pending");
	is_int(nf_store_fb_due(s, now, 8, rows, &n), NF_STORE_OK, "due again");
	is_int(n, 0, "a row being sent is not due");
	is_int(nf_store_fb_sent_count(s, "+4915100000001", now - 86400, &cnt),
	    NF_STORE_OK, "count for the phone");
	is_int(cnt, 1, "an in-flight row counts for the per-phone limit");
	is_int(nf_store_fb_sent_count(s, NULL, now - 3600, &cnt), NF_STORE_OK,
	    "count for all");
	is_int(cnt, 1, "and for the hourly limit");
	/* restart: the row is in 'sending' */
	is_int(nf_store_fb_in_state(s, "sending", 8, rows, &n), NF_STORE_OK,
	    "rows in sending");
	is_int(n, 1, "the restart finds it");
	is_str(rows[0].driver, "webhook", "with its driver");
	is_int(nf_fb_driver_resends(rows[0].driver), 1,
	    "webhook: resent (same key)");
	is_int(rows[0].attempts, 1, "one attempt so far");
	/* requeue after a retry answer */
	memset(&x, 0, sizeof x);
	x.id = rows[0].id;
	x.from = "sending";
	x.to = "pending";
	x.rule = "retry";
	x.due = now + 5;
	x.sent_time = -1;
	x.answer = "HTTP 503";
	x.time = now;
	is_int(nf_store_fb_step(s, &x), NF_STORE_OK, "requeued");
	is_int(nf_store_fb_sent_count(s, "+4915100000001", now - 86400, &cnt),
	    NF_STORE_OK, "count again");
	is_int(cnt, 0, "a retried row no longer counts");
	is_int(nf_store_fb_due(s, now, 8, rows, &n), NF_STORE_OK, "due now?");
	is_int(n, 0, "not before its due time");
	is_int(nf_store_fb_due(s, now + 5, 8, rows, &n), NF_STORE_OK,
	    "due later");
	is_int(n, 1, "due at its time");
	is_str(rows[0].answer, "HTTP 503", "the answer kept");
	/* sent */
	x.from = "pending";
	x.to = "sending";
	x.rule = "sending";
	x.attempt = 1;
	x.sent_time = 1;
	x.due = 0;
	x.answer = NULL;
	is_int(nf_store_fb_step(s, &x), NF_STORE_OK, "claimed again");
	x.from = "sending";
	x.to = "sent";
	x.rule = "sent";
	x.attempt = 0;
	x.sent_time = 0;
	x.provider_id = "SM123";
	x.answer = "HTTP 201";
	is_int(nf_store_fb_step(s, &x), NF_STORE_OK, "sent");
	is_int(nf_store_fb_find(s, "tok1", "ann@example.test", &rows[0]),
	    NF_STORE_OK, "found by token and recipient");
	is_str(rows[0].state, "sent", "state sent");
	is_str(rows[0].provider_id, "SM123", "provider id");
	is_int(rows[0].attempts, 2, "two attempts");
	is_int(rows[0].sent_time, now, "sent_time kept");
	is_int(nf_store_fb_sent_count(s, "+4915100000001", now - 86400, &cnt),
	    NF_STORE_OK, "count");
	is_int(cnt, 1, "a sent row counts");
	is_int(nf_store_fb_sent_count(s, "+4915100000002", now - 86400, &cnt),
	    NF_STORE_OK, "count for another phone");
	is_int(cnt, 0, "another phone: none");
	is_int(nf_store_fb_sent_nth(s, now - 3600, 0, &t), NF_STORE_OK, "nth");
	is_int(t, now, "the oldest sent time in the window");
	is_int(nf_store_fb_sent_nth(s, now - 3600, 1, &t), NF_STORE_OK,
	    "nth past the end");
	is_int(t, 0, "none");
	nf_store_event_each(s, "ann@example.test", count_events, rules);
	is_str(rules, "queued sending retry sending sent ",
	    "every step is a fallback event of the recipient");

	/* cancel on delivery: bob's pending row, then bob delivered */
	snprintf(c.token, sizeof c.token, "tok2");
	snprintf(c.recipient, sizeof c.recipient, "bob@example.test");
	c.message = 2;
	is_int(add_row(s, &c, "+4915100000002", "pending"), NF_STORE_OK,
	    "bob's row (a timeout)");
	is_int(nf_store_fb_confirmed(s, 8, rows, &n), NF_STORE_OK,
	    "confirmed read");
	is_int(n, 0, "not confirmed yet");
	is_int(delivery(s, "Q2", "bob@example.test", "delivered"), NF_STORE_OK,
	    "bob delivered");
	is_int(nf_store_fb_confirmed(s, 8, rows, &n), NF_STORE_OK,
	    "confirmed read again");
	is_int(n, 1, "bob's row is to cancel");
	is_str(rows[0].rstatus, "delivered", "status delivered");
	memset(&x, 0, sizeof x);
	x.id = rows[0].id;
	x.from = rows[0].state;
	x.to = "cancelled";
	x.rule = "cancelled";
	is_int(nf_store_fb_step(s, &x), NF_STORE_OK, "cancelled");
	is_int(nf_store_fb_confirmed(s, 8, rows, &n), NF_STORE_OK, "again");
	is_int(n, 0, "nothing left to cancel");

	/* a kannel row left in sending: not resent */
	snprintf(c.token, sizeof c.token, "tok6");
	snprintf(c.recipient, sizeof c.recipient, "fay@example.test");
	c.message = 6;
	is_int(add_row(s, &c, "+4915100000006", "skipped"), NF_STORE_OK,
	    "a skipped row");
	is_int(nf_store_fb_due(s, now + 10, 8, rows, &n), NF_STORE_OK, "due");
	is_int(n, 0, "a skipped row is never due");
	is_int(nf_fb_driver_resends("kannel"), 0, "kannel rows: uncertain, "
	    "not resent");
	free(rows);
}

int
main(void)
{
	struct nf_store *s;

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dbpath, sizeof dbpath, "%s/t.db", tmpdir);
	now = (int64_t)time(NULL);
	s = open_store();
	test_triggers(s);
	test_rows(s);
	nf_store_close(s);
	unlink(dbpath);
	{
		char p[300];

		snprintf(p, sizeof p, "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", dbpath);
		unlink(p);
	}
	rmdir(tmpdir);
	return tap_done();
}
