/*
 * t_follow.c - the MailLog follower (milter/follow.c) driven through real
 * files and a real temporary store: lines appended, a partial line, an
 * overlong line, lines that wait for their message, rename rotation,
 * truncation, a restart that resumes, a rotation while stopped, a busy
 * store, qmgr's expiry lines that name no recipient, a log that appears
 * late, and the thread stopping in time.
 *
 * Most checks call nf_follow_step directly, so nothing depends on timing
 * except the pending list's timeouts (scaled down by the options) and the
 * thread test at the end.  Every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "follow.h"
#include "log.h"
#include "store.h"
#include "tap.h"

static char dir[64], logp[128], dbp[128];
static struct nf_store *db;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void __attribute__((format(printf, 2, 3)))
append(const char *path, const char *fmt, ...)
{
	FILE *fp = fopen(path, "a");
	va_list ap;

	if (fp == NULL) {
		diag("cannot append to %s: %s", path, strerror(errno));
		return;
	}
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fclose(fp);
}

/* A Postfix smtp status line, newline included. */
static const char *
dline(const char *qid, const char *to, const char *status)
{
	static char b[1024];

	snprintf(b, sizeof(b), "Nov 23 11:00:00 mx postfix/smtp[42]: %s: "
	    "to=<%s>, relay=mx.example.com[192.0.2.1]:25, delay=0.2, "
	    "delays=0.1/0/0.05/0.05, dsn=%s, status=%s (%s)\n", qid, to,
	    strcmp(status, "sent") == 0 ? "2.0.0" : strcmp(status, "deferred") == 0 ?
	    "4.2.0" : "5.1.1", status, strcmp(status, "sent") == 0 ?
	    "250 2.0.0 Ok: queued as 4Abc" : "host mx.example.com[192.0.2.1] said: "
	    "550 5.1.1 unknown (in reply to RCPT TO command)");
	return b;
}

/* qmgr's line for a message that expired: it names no recipient. */
static const char *
xline(const char *qid)
{
	static char b[256];

	snprintf(b, sizeof(b), "Nov 23 11:00:00 mx postfix/qmgr[7]: %s: "
	    "from=<app@example.test>, status=expired, returned to sender\n",
	    qid);
	return b;
}

/* A message the milter would have recorded: allowed recipients rcpt and,
 * when not NULL, rcpt2. */
static void
add_msg2(const char *token, const char *qid, const char *rcpt,
    const char *rcpt2)
{
	struct nf_message_in m = { 0 };
	struct nf_recipient_in r[2] = { { 0 }, { 0 } };
	int rc, i;

	m.token = token;
	m.queue_id = qid;
	m.sender = "app@example.test";
	m.applied = 1;
	m.time = (int64_t)time(NULL);
	for (i = 0; i < 2; i++) {
		r[i].address = i == 0 ? rcpt : rcpt2;
		r[i].verdict = "allowed";
		r[i].rule = "consent-default";
		r[i].reason = "test";
	}
	rc = nf_store_message_add(db, &m, r, rcpt2 != NULL ? 2 : 1);
	if (rc != NF_STORE_OK)
		diag("message_add %s: %d %s", token, rc, nf_store_errmsg(db));
}

static void
add_msg(const char *token, const char *qid, const char *rcpt)
{
	add_msg2(token, qid, rcpt, NULL);
}

struct seen {
	int n;
	char status[64];
	char detail[1200];
};

static int
on_event(const struct nf_event *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->kind != NULL && strcmp(ev->kind, "delivery") == 0) {
		s->n++;
		snprintf(s->status, sizeof(s->status), "%s", ev->rule ? ev->rule : "");
		snprintf(s->detail, sizeof(s->detail), "%s", ev->detail ? ev->detail : "");
	}
	return 0;
}

/* Number of delivery events of a message or an address (by token or
 * address; its last status in *s). */
static int
deliveries(const char *token, struct seen *s)
{
	struct seen tmp;

	if (s == NULL)
		s = &tmp;
	memset(s, 0, sizeof(*s));
	nf_store_trace(db, token, on_event, s);
	return s->n;
}

static struct nf_follow *
fnew(void)
{
	struct nf_follow_opts o = { 0 };
	struct nf_follow *f = NULL;
	char err[512];

	o.path = logp;
	o.database = dbp;
	o.busy_ms = 100;
	o.poll_ms = 50;		/* rotation grace: 200 ms */
	o.pending_ms = 600;
	o.pending_max = 100;
	if (nf_follow_new(&o, &f, err, sizeof(err)) != 0)
		diag("nf_follow_new: %s", err);
	return f;
}

/* Step until `token` has `want` delivery events, at most `ms`. */
static int
step_until(struct nf_follow *f, const char *token, int want, int ms)
{
	int64_t end = now_ms() + ms;

	do {
		nf_follow_step(f);
		if (deliveries(token, NULL) >= want)
			return 1;
		sleep_ms(20);
	} while (now_ms() < end);
	return 0;
}

static struct nf_follow_stats
stats(struct nf_follow *f)
{
	struct nf_follow_stats st;

	nf_follow_stats(f, &st);
	return st;
}

int
main(void)
{
	struct nf_follow *f;
	struct nf_follow_stats st;
	struct seen s;
	char err[512], path1[160], val[4400];
	char *big;
	int rc, i;

	nf_log_open("t_follow", -1, 1, NF_LOG_WARN);
	snprintf(dir, sizeof(dir), "/tmp/t_follow.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(logp, sizeof(logp), "%s/maillog", dir);
	snprintf(dbp, sizeof(dbp), "%s/store.db", dir);
	snprintf(path1, sizeof(path1), "%s/maillog.1", dir);
	rc = nf_store_open(dbp, NF_STORE_CREATE, 1000, &db, err, sizeof(err));
	if (!ok(rc == NF_STORE_OK, "temporary store opened")) {
		diag("%s", err);
		return tap_done();
	}
	add_msg("tokold", "OLD0000001", "old@example.com");
	add_msg("toka", "A000000001", "a@example.com");
	add_msg("tokb", "B000000001", "b@example.com");
	add_msg("tokd", "D000000001", "d@example.com");
	add_msg("toke", "E000000001", "e@example.com");
	add_msg("tokf", "F000000001", "f@example.com");
	add_msg("tokg", "G000000001", "g@example.com");
	add_msg("tokh", "H000000001", "h@example.com");
	add_msg("toki", "I000000001", "i@example.com");
	add_msg("tokj", "J000000001", "j@example.com");
	add_msg("tokk", "K000000001", "k@example.com");
	add_msg("tokm", "M000000001", "alias@example.com");

	/* 1. first run: the old content is skipped */
	append(logp, "%s", dline("OLD0000001", "old@example.com", "sent"));
	f = fnew();
	if (!ok(f != NULL, "follower created"))
		return tap_done();
	nf_follow_step(f);
	is_int(deliveries("tokold", NULL), 0, "first run starts at the end: old line not read");

	/* 2. appended lines; other mail and other lines are ignored */
	append(logp, "Nov 23 11:00:00 mx postfix/qmgr[7]: A000000001: from=<app@example.test>, size=300, nrcpt=1 (queue active)\n");
	append(logp, "%s", dline("A000000001", "A@Example.COM", "sent"));
	append(logp, "garbage line\n");
	nf_follow_step(f);
	is_int(deliveries("toka", &s), 1, "appended delivery line recorded once");
	is_str(s.status, "sent", "status of A");
	ok(strstr(s.detail, "dsn=2.0.0") && strstr(s.detail, "relay=mx.example.com[192.0.2.1]:25") &&
	    strstr(s.detail, "250 2.0.0 Ok: queued as 4Abc"),
	    "detail holds dsn, relay and the reply: %s", s.detail);
	st = stats(f);
	is_int(st.lines, 3, "three lines read");
	is_int(st.deliveries, 1, "one delivery line among them");
	is_int(st.recorded, 1, "one recorded");

	/* 3. a partial line waits for its newline */
	{
		const char *l = dline("A000000001", "a@example.com", "bounced");
		size_t n = strlen(l);

		append(logp, "%.*s", (int)(n / 2), l);
		nf_follow_step(f);
		is_int(deliveries("toka", NULL), 1, "half a line: not taken yet");
		append(logp, "%s", l + n / 2);
		nf_follow_step(f);
		is_int(deliveries("toka", &s), 2, "completed line taken");
		is_str(s.status, "bounced", "status of the completed line");
	}

	/* 4. an overlong line is skipped and counted; the next one is read */
	big = malloc(20000);
	memset(big, 'x', 19998);
	big[19998] = '\n';
	big[19999] = '\0';
	append(logp, "Nov 23 11:00:00 mx postfix/smtp[1]: A000000001: to=<a@example.com>, status=sent (%s", big);
	append(logp, "%s", dline("B000000001", "b@example.com", "deferred"));
	nf_follow_step(f);
	nf_follow_step(f);
	st = stats(f);
	is_int(st.overlong, 1, "20 kB line counted as overlong");
	is_int(deliveries("toka", NULL), 2, "overlong line not taken");
	is_int(deliveries("tokb", &s), 1, "line after the overlong one taken");
	is_str(s.status, "deferred", "its status");
	free(big);

	/* 5. a line read before its message is recorded waits, then is taken;
	 * a line for mail that is not ours is dropped after pending_ms */
	append(logp, "%s", dline("N000000001", "n@example.com", "sent"));
	append(logp, "%s", dline("L000000001", "late@example.com", "sent"));
	nf_follow_step(f);
	is_int(stats(f).pending, 2, "two lines pending");
	add_msg("tokl", "L000000001", "late@example.com");
	ok(step_until(f, "tokl", 1, 2000), "pending line taken once its message is recorded");
	{
		int64_t end = now_ms() + 3000;

		while (stats(f).pending > 0 && now_ms() < end) {
			nf_follow_step(f);
			sleep_ms(50);
		}
	}
	st = stats(f);
	is_int(st.pending, 0, "pending list empty after pending_ms");
	is_int(st.not_ours, 1, "the line of other mail dropped as not ours");

	/* 6. orig_to: the milter saw the address before an alias rewrote it */
	append(logp, "Nov 23 11:00:00 mx postfix/local[5]: M000000001: to=<real@example.com>, orig_to=<alias@example.com>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)\n");
	nf_follow_step(f);
	is_int(deliveries("tokm", NULL), 1, "recorded through orig_to");

	/* 7. rotation by rename: the old file is read to its end, then the new */
	rc = rename(logp, path1);
	ok(rc == 0, "log renamed to maillog.1");
	append(path1, "%s", dline("D000000001", "d@example.com", "sent"));
	nf_follow_step(f);
	is_int(deliveries("tokd", NULL), 1, "line written to the renamed file is read");
	append(logp, "%s", dline("E000000001", "e@example.com", "sent"));
	ok(step_until(f, "toke", 1, 3000), "line of the new file read after the rotation");
	is_int(stats(f).rotations, 1, "one rotation counted");
	append(path1, "%s", dline("D000000001", "d@example.com", "bounced"));
	nf_follow_step(f);
	is_int(deliveries("tokd", NULL), 1, "the old file is no longer read after the switch");

	/* 8. truncation (copytruncate) */
	rc = truncate(logp, 0);
	ok(rc == 0, "log truncated");
	append(logp, "%s", dline("F000000001", "f@example.com", "sent"));
	nf_follow_step(f);
	nf_follow_step(f);
	is_int(deliveries("tokf", NULL), 1, "line after truncation read");
	is_int(stats(f).truncations, 1, "one truncation counted");
	is_int(deliveries("toke", NULL), 1, "nothing read twice after truncation");

	/* 9. restart resumes where it stopped; the stop tries the pending
	 * lines once more (main() stops the follower after the writer) */
	append(logp, "%s", dline("P000000001", "p@example.com", "sent"));
	nf_follow_step(f);
	is_int(stats(f).pending, 1, "a line waits for its message");
	add_msg("tokp", "P000000001", "p@example.com");
	nf_follow_stop(f);
	is_int(deliveries("tokp", NULL), 1, "taken by the last try at stop");
	rc = nf_store_state_get(db, "maillog", val, sizeof(val));
	ok(rc == NF_STORE_OK && strstr(val, "off=") != NULL, "position saved: %s", val);
	append(logp, "%s", dline("G000000001", "g@example.com", "sent"));
	f = fnew();
	nf_follow_step(f);
	is_int(deliveries("tokg", NULL), 1, "line written while stopped read after restart");
	is_int(deliveries("tokf", NULL), 1, "line before the stop not read again");

	/* 10. a rotation while stopped: the old file is finished first */
	nf_follow_stop(f);
	append(logp, "%s", dline("H000000001", "h@example.com", "sent"));
	rename(logp, path1);
	append(logp, "%s", dline("I000000001", "i@example.com", "sent"));
	f = fnew();
	nf_follow_step(f);
	ok(step_until(f, "toki", 1, 3000), "new file read after a rotation while stopped");
	is_int(deliveries("tokh", NULL), 1, "the rest of the rotated file read first");
	is_int(deliveries("tokg", NULL), 1, "nothing before the stop read again");

	/* 11. the store busy: nothing lost, nothing doubled */
	rc = nf_store_begin(db);
	ok(rc == NF_STORE_OK, "another writer holds the store");
	append(logp, "%s", dline("J000000001", "j@example.com", "sent"));
	rc = nf_follow_step(f);
	is_int(rc, -1, "step reports the busy store");
	nf_store_rollback(db);
	is_int(deliveries("tokj", NULL), 0, "nothing recorded while busy");
	nf_follow_step(f);
	is_int(deliveries("tokj", NULL), 1, "recorded once the store is free");
	ok(stats(f).store_retries >= 1, "the retry was counted (%llu)", stats(f).store_retries);
	nf_follow_step(f);
	is_int(deliveries("tokj", NULL), 1, "and only once");

	/* 12. qmgr's expiry names no recipient: every recipient of the
	 * message still without a final status takes it; a line read before
	 * its message is recorded waits like any other */
	add_msg2("tokx", "X000000001", "x1@example.com", "x2@example.com");
	append(logp, "%s", dline("X000000001", "x1@example.com", "sent"));
	append(logp, "%s", xline("X000000001"));
	append(logp, "%s", xline("Y000000001"));
	nf_follow_step(f);
	is_int(deliveries("x1@example.com", &s), 1, "x1: one delivery event");
	is_str(s.status, "sent", "x1 stays sent");
	is_int(deliveries("x2@example.com", &s), 1, "x2: one delivery event");
	is_str(s.status, "expired", "x2 expired by the line naming no recipient");
	st = stats(f);
	is_int(st.message_expired, 2, "two expiry lines counted");
	is_int(st.pending, 1, "the expiry of a message not recorded yet waits");
	add_msg2("toky", "Y000000001", "y1@example.com", "y2@example.com");
	ok(step_until(f, "toky", 2, 2000), "then both its recipients expire");
	is_int(deliveries("y2@example.com", &s), 1, "y2: one delivery event");
	is_str(s.status, "expired", "y2 expired");
	is_int(stats(f).pending, 0, "nothing waits any more");

	/* 13. the thread: follows on its own, stops within a second */
	rc = nf_follow_run(f);
	ok(rc == 0, "thread started");
	append(logp, "%s", dline("K000000001", "k@example.com", "sent"));
	{
		int64_t end = now_ms() + 3000, t0;

		while (deliveries("tokk", NULL) < 1 && now_ms() < end)
			sleep_ms(20);
		is_int(deliveries("tokk", NULL), 1, "thread recorded the appended line");
		sleep_ms(150);
		t0 = now_ms();
		nf_follow_stop(f);
		ok(now_ms() - t0 < 1000, "stopped in %lld ms", (long long)(now_ms() - t0));
	}

	/* 14. a log that does not exist yet is read from its start */
	unlink(logp);
	unlink(path1);
	{
		struct nf_follow_opts o = { 0 };
		char other[160];

		snprintf(other, sizeof(other), "%s/late.log", dir);
		o.path = other;
		o.database = dbp;
		o.poll_ms = 50;
		o.state_key = "maillog-late";
		rc = nf_follow_new(&o, &f, err, sizeof(err));
		ok(rc == 0, "follower of a missing file created");
		for (i = 0; i < 3; i++)
			nf_follow_step(f);
		append(other, "%s", dline("K000000001", "k@example.com", "bounced"));
		nf_follow_step(f);
		is_int(deliveries("tokk", &s), 2, "a late file is read from its start");
		is_str(s.status, "bounced", "its line's status");
		nf_follow_stop(f);
	}

	nf_store_close(db);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_done();
}
