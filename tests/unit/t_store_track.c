/*
 * t_store_track.c - unit tests of the store's tracking calls (store.h,
 * issue 3): messages and recipients, deliveries, trace, durable state,
 * the erasure of tracking data, and the schema step from version 1 to 2.
 *
 * Each run works in its own temporary directory (mkdtemp), removed at the
 * end.  SQLite is used directly only to look at what the store wrote (row
 * counts, NULLs, query plans) and to put version-1 rows in an old file.
 * Timelines are compared as one string "kind@time:address,..." so that a
 * failure shows the whole order that came back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"	/* nf_st_create_old: a version-1 file */
#include "tap.h"

static char tmpdir[] = "/tmp/t_store_track.XXXXXX";
static char err[1024];

static const char *
path_of(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, name);
	return p[i];
}

static struct nf_store *
open_path(const char *path)
{
	struct nf_store *s = NULL;
	int rc = nf_store_open(path, NF_STORE_CREATE, 2000, &s, err,
	    sizeof err);

	if (rc != NF_STORE_OK)
		diag("open %s: rc %d: %s", path, rc, err);
	return s;
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		diag("raw_exec: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

/* First column of the first row as an integer; -1 when there is none. */
static long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* First column of the first row as text, "(null)" for NULL. */
static const char *
raw_str(const char *path, const char *sql)
{
	static char out[4][2048];
	static int i;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	const unsigned char *v;

	i = (i + 1) % 4;
	snprintf(out[i], sizeof out[i], "(no row)");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		snprintf(out[i], sizeof out[i], "%s", v ? (const char *)v :
		    "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out[i];
}

/* The query plan of sql, its "detail" lines joined by '|'. */
static const char *
raw_plan(const char *path, const char *sql)
{
	static char out[4096];
	char q[8192];
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	size_t n = 0;

	out[0] = '\0';
	snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, q, -1, &st, NULL) ==
	    SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW && n < sizeof out)
			n += (size_t)snprintf(out + n, sizeof out - n, "%s|",
			    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static long long
count_rows(const char *path, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	return raw_int(path, sql);
}

/* A string of n copies of unit (n * strlen(unit) bytes), on the heap. */
static char *
repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit), i;
	char *p = malloc(u * n + 1);

	if (p == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		memcpy(p + i * u, unit, u);
	p[u * n] = '\0';
	return p;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* 1 when s is well-formed UTF-8 (enough for "a cut did not split one"). */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int need;

	while (*p) {
		need = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (need < 0)
			return 0;
		for (p++; need > 0; need--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* ---- timelines as strings ------------------------------------------------ */

struct tl {
	char buf[4096];
	size_t n;
	int count;
	int stop_after;		/* > 0: return 7 from that event on */
};

static int
tl_add(const struct nf_event *ev, void *arg)
{
	struct tl *t = arg;

	t->count++;
	if (t->n < sizeof t->buf)
		t->n += (size_t)snprintf(t->buf + t->n, sizeof t->buf - t->n,
		    "%s%s@%lld:%s", t->n ? "," : "", ev->kind,
		    (long long)ev->time, ev->address ? ev->address : "-");
	if (t->stop_after > 0 && t->count >= t->stop_after)
		return 7;
	return 0;
}

static int
trace(struct nf_store *s, const char *key, struct tl *t)
{
	memset(t, 0, sizeof *t);
	return nf_store_trace(s, key, tl_add, t);
}

/* Collect the full events of a trace, for field checks. */
struct evs {
	int n;
	char kind[16][32], token[16][64], rule[16][64], detail[16][1024];
	char qid[16][64];
};

static int
evs_add(const struct nf_event *ev, void *arg)
{
	struct evs *e = arg;

	if (e->n >= 16)
		return 0;
	snprintf(e->kind[e->n], sizeof e->kind[0], "%s", ev->kind);
	snprintf(e->token[e->n], sizeof e->token[0], "%s",
	    ev->token ? ev->token : "(null)");
	snprintf(e->rule[e->n], sizeof e->rule[0], "%s",
	    ev->rule ? ev->rule : "(null)");
	snprintf(e->detail[e->n], sizeof e->detail[0], "%s",
	    ev->detail ? ev->detail : "(null)");
	snprintf(e->qid[e->n], sizeof e->qid[0], "%s",
	    ev->queue_id ? ev->queue_id : "(null)");
	e->n++;
	return 0;
}

/* ---- messages ------------------------------------------------------------ */

static void
base_message(struct nf_message_in *m, const char *token, const char *qid,
    int64_t t)
{
	memset(m, 0, sizeof *m);
	m->token = token;
	m->queue_id = qid;
	m->sender = "app@shop.example";
	m->verp = "bounce+x@bounce.example";
	m->header_from = "Shop <app@shop.example>";
	m->subject = "Your order";
	m->message_id = "<1@shop.example>";
	m->category = "orders";
	m->applied = 1;
	m->time = t;
}

static void
test_message_add(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in rcpt[] = {
		{ "ann@example.com", "allowed", "consent-granted", "ok", 1 },
		{ "ben@example.com", "allowed", "default-consent", "ok", 0 },
		{ "cat@example.com", "rejected", "suppressed", "hard bounce", 0 },
	};
	struct nf_message_in m;
	struct nf_message *got = malloc(sizeof *got);
	struct evs *e = calloc(1, sizeof *e);
	struct tl t;
	long long msgs, ev;

	if (got == NULL || e == NULL) {
		ok(0, "out of memory");
		free(got);
		free(e);
		return;
	}
	base_message(&m, "1AbCdEfGh", "4XyZ1", 1000);
	m.fallback_text = "Order 7 shipped";
	m.phone_hint = "+15551230001";
	m.phone_hint_valid = 1;
	is_int(nf_store_message_add(s, &m, rcpt, 3), NF_STORE_OK,
	    "record a message with 3 recipients (%s)", nf_store_errmsg(s));
	is_int(count_rows(db, "recipients"), 3, "3 recipient rows, the "
	    "rejected one too");
	/* timelines make tagged and queued from the rows (checked below) */
	is_int(raw_int(db, "SELECT count(*) FROM events WHERE kind IN "
	    "('tagged','queued')"), 0, "no tagged or queued event is "
	    "written: recording a message writes no event row");
	is_str(raw_str(db, "SELECT token FROM messages"), "1abcdefgh",
	    "token stored lower case");
	is_int(raw_int(db, "SELECT count(*) FROM events WHERE token = "
	    "'1abcdefgh'"), 0, "nor any event under the token");
	is_int(raw_int(db, "SELECT dsn_requested FROM recipients WHERE "
	    "address = 'ann@example.com'"), 1, "DSN request kept per "
	    "recipient");
	is_str(raw_str(db, "SELECT decision || '/' || rule || '/' || reason "
	    "FROM recipients WHERE address = 'cat@example.com'"),
	    "rejected/suppressed/hard bounce", "verdict, rule and reason kept");

	/* find: any case */
	is_int(nf_store_message_find(s, "1ABCDEFGH", got), NF_STORE_OK,
	    "find by token in upper case");
	is_str(got->token, "1abcdefgh", "found token");
	is_str(got->queue_id, "4XyZ1", "queue id kept as given");
	is_str(got->sender, "app@shop.example", "sender");
	is_str(got->verp, "bounce+x@bounce.example", "VERP sender");
	is_str(got->header_from, "Shop <app@shop.example>", "header From");
	is_str(got->subject, "Your order", "Subject");
	is_str(got->message_id, "<1@shop.example>", "Message-ID");
	is_str(got->category, "orders", "category");
	is_str(got->fallback_text, "Order 7 shipped", "fallback text");
	is_str(got->phone_hint, "+15551230001", "phone hint");
	is_int(got->phone_hint_valid, 1, "phone hint valid");
	is_int(got->applied, 1, "applied");
	is_int(got->time, 1000, "time");
	ok(got->id > 0, "id set");
	is_int(nf_store_message_find(s, "1nosuch", got), NF_STORE_NOTFOUND,
	    "unknown token: NOTFOUND");
	is_int(nf_store_message_find(s, "", got), NF_STORE_NOTFOUND,
	    "empty token: NOTFOUND");

	/* the events' fields, as trace hands them out */
	memset(e, 0, sizeof *e);
	is_int(nf_store_trace(s, "ann@example.com", evs_add, e), NF_STORE_OK,
	    "trace ann");
	is_int(e->n, 2, "ann has 2 events");
	is_str(e->kind[0], "tagged", "first: tagged");
	is_str(e->detail[0], "VERP sender bounce+x@bounce.example; "
	    "X-Notifilter-ID: 1abcdefgh; DSN requested "
	    "(NOTIFY=SUCCESS,FAILURE,DELAY)", "tagged detail");
	is_str(e->rule[0], "consent-granted", "tagged rule is the recipient's");
	is_str(e->qid[0], "4XyZ1", "tagged queue id");
	is_str(e->kind[1], "queued", "then: queued");
	is_str(e->detail[1], "queued as 4XyZ1", "queued detail");
	is_str(e->token[1], "1abcdefgh", "queued token");
	is_int(trace(s, "ben@example.com", &t), NF_STORE_OK, "trace ben");
	is_str(t.buf, "tagged@1000:ben@example.com,queued@1000:ben@example.com",
	    "ben's timeline");
	memset(e, 0, sizeof *e);
	nf_store_trace(s, "ben@example.com", evs_add, e);
	ok(strstr(e->detail[0], "DSN not requested") != NULL, "ben: DSN not "
	    "requested: %s", e->detail[0]);
	is_int(trace(s, "cat@example.com", &t), NF_STORE_NOTFOUND,
	    "rejected recipient: no tracking events");

	/* duplicate token, in another case: CONFLICT, nothing written */
	msgs = count_rows(db, "messages");
	ev = count_rows(db, "events");
	base_message(&m, "1ABCDEFGH", "5OTHER", 1001);
	is_int(nf_store_message_add(s, &m, rcpt, 1), NF_STORE_CONFLICT,
	    "duplicate token (other case): CONFLICT");
	ok(strstr(nf_store_errmsg(s), "already recorded") != NULL,
	    "message says so: %s", nf_store_errmsg(s));
	is_int(count_rows(db, "messages"), msgs, "no message added");
	is_int(count_rows(db, "events"), ev, "no event added");
	is_int(count_rows(db, "recipients"), 3, "no recipient added");

	/* monitor mode, absent headers, a recipient named twice */
	{
		static const struct nf_recipient_in twice[] = {
			{ "dan@example.com", "monitored", "monitor", NULL, 0 },
			{ "dan@example.com", "monitored", "monitor", NULL, 0 },
		};

		memset(&m, 0, sizeof m);
		m.token = "1monitor";
		m.queue_id = "6MON";
		m.sender = "";
		m.applied = 0;
		m.time = 1100;
		is_int(nf_store_message_add(s, &m, twice, 2), NF_STORE_OK,
		    "monitor-mode message, no headers, one recipient twice "
		    "(%s)", nf_store_errmsg(s));
		is_int(raw_int(db, "SELECT count(*) FROM recipients WHERE "
		    "address = 'dan@example.com'"), 1, "recipient twice: one "
		    "row");
		is_int(trace(s, "dan@example.com", &t), NF_STORE_OK,
		    "trace dan");
		is_str(t.buf, "tagged@1100:dan@example.com,"
		    "queued@1100:dan@example.com", "one tagged and one queued");
		memset(e, 0, sizeof *e);
		nf_store_trace(s, "dan@example.com", evs_add, e);
		is_str(e->detail[0], "monitor: recorded, not tagged",
		    "monitor tagged detail");
		is_str(raw_str(db, "SELECT coalesce(subject, 'NULL') || "
		    "coalesce(header_from, 'NULL') || coalesce(sender, 'NULL') "
		    "|| applied FROM messages WHERE token = '1monitor'"),
		    "NULLNULLNULL0", "absent and empty values are NULL, "
		    "applied 0");
		is_int(nf_store_message_find(s, "1monitor", got), NF_STORE_OK,
		    "find the monitor message");
		is_str(got->subject, "", "absent Subject reads as \"\"");
		is_int(got->applied, 0, "applied 0 read back");
	}
	free(got);
	free(e);
}

/* Refused input: nothing at all written. */
static void
test_message_bad(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in one[] = {
		{ "eve@example.com", "allowed", "r", NULL, 0 },
	};
	static const struct nf_recipient_in noaddr[] = {
		{ "eve@example.com", "allowed", "r", NULL, 0 },
		{ "", "allowed", "r", NULL, 0 },
	};
	char *longtok = repeat("a", NF_STORE_TOKEN_MAX);
	char *longqid = repeat("Q", NF_STORE_QID_MAX);
	char *longaddr = repeat("x", NF_STORE_EMAIL_MAX);
	struct {
		const char *name;
		const char *token, *qid, *verp;
		const struct nf_recipient_in *r;
		size_t nr;
		int want;
	} t[] = {
		{ "no token", NULL, "Q1", NULL, one, 1, NF_STORE_ERR },
		{ "empty token", "", "Q1", NULL, one, 1, NF_STORE_ERR },
		{ "token too long", longtok, "Q1", NULL, one, 1, NF_STORE_ERR },
		{ "queue id too long", "1bad1", longqid, NULL, one, 1,
		    NF_STORE_ERR },
		{ "VERP too long", "1bad2", "Q1", longaddr, one, 1,
		    NF_STORE_ERR },
		{ "recipient without address", "1bad3", "Q1", NULL, noaddr, 2,
		    NF_STORE_ERR },
		{ "recipient list missing", "1bad4", "Q1", NULL, NULL, 1,
		    NF_STORE_ERR },
	};
	struct nf_message_in m;
	long long msgs = count_rows(db, "messages"), ev = count_rows(db,
	    "events"), rc = count_rows(db, "recipients");
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		base_message(&m, t[i].token, t[i].qid, 1200);
		m.verp = t[i].verp;
		is_int(nf_store_message_add(s, &m, t[i].r, t[i].nr), t[i].want,
		    "refused: %s", t[i].name);
		ok(strlen(nf_store_errmsg(s)) > 10, "%s: says why: %s",
		    t[i].name, nf_store_errmsg(s));
	}
	is_int(nf_store_message_add(s, NULL, one, 1), NF_STORE_ERR,
	    "refused: no message");
	is_int(count_rows(db, "messages"), msgs, "refused input: no message");
	is_int(count_rows(db, "events"), ev, "refused input: no event");
	is_int(count_rows(db, "recipients"), rc, "refused input: no recipient");
	free(longtok);
	free(longqid);
	free(longaddr);
}

/*
 * Long values: each field is cut to what struct nf_message holds, with
 * the mark, and a value that fits exactly is kept whole.
 */
static void
test_message_long(struct nf_store *s)
{
	enum { F_FROM, F_SUBJ, F_MSGID, F_FALLBACK, F_CAT, F_HINT, F_SENDER };
	static const struct {
		const char *name;
		int field;
		size_t max;
	} f[] = {
		{ "header From", F_FROM, NF_STORE_HEADER_MAX },
		{ "Subject", F_SUBJ, NF_STORE_HEADER_MAX },
		{ "Message-ID", F_MSGID, NF_STORE_HEADER_MAX },
		{ "fallback text", F_FALLBACK, NF_STORE_HEADER_MAX },
		{ "category", F_CAT, NF_STORE_TEXT_MAX - 1 },
		{ "phone hint", F_HINT, NF_STORE_TEXT_MAX - 1 },
		{ "sender", F_SENDER, NF_STORE_EMAIL_MAX - 1 },
	};
	static const struct nf_recipient_in one[] = {
		{ "long@example.com", "allowed", "r", NULL, 0 },
	};
	static const size_t extra[] = { 0, 1, 100 * 1024 };
	struct nf_message *got = malloc(sizeof *got);
	struct nf_message_in m;
	const char *v;
	char token[32];
	char *val;
	size_t i, j, len;
	int n = 0;

	if (got == NULL) {
		ok(0, "out of memory");
		return;
	}
	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		for (j = 0; j < sizeof extra / sizeof extra[0]; j++) {
			len = f[i].max + extra[j];
			if ((val = repeat("s", len)) == NULL)
				continue;
			snprintf(token, sizeof token, "1long%d", n++);
			base_message(&m, token, "7LONG", 1300);
			switch (f[i].field) {
			case F_FROM: m.header_from = val; break;
			case F_SUBJ: m.subject = val; break;
			case F_MSGID: m.message_id = val; break;
			case F_FALLBACK: m.fallback_text = val; break;
			case F_CAT: m.category = val; break;
			case F_HINT: m.phone_hint = val; break;
			case F_SENDER: m.sender = val; break;
			}
			is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_OK,
			    "%s of %zu bytes recorded (%s)", f[i].name, len,
			    nf_store_errmsg(s));
			is_int(nf_store_message_find(s, token, got),
			    NF_STORE_OK, "%s of %zu bytes read back (%s)",
			    f[i].name, len, nf_store_errmsg(s));
			v = f[i].field == F_FROM ? got->header_from :
			    f[i].field == F_SUBJ ? got->subject :
			    f[i].field == F_MSGID ? got->message_id :
			    f[i].field == F_FALLBACK ? got->fallback_text :
			    f[i].field == F_CAT ? got->category :
			    f[i].field == F_HINT ? got->phone_hint : got->sender;
			if (extra[j] == 0)
				is_int(strlen(v), len, "%s of exactly %zu bytes "
				    "kept whole", f[i].name, len);
			else
				ok(strlen(v) == f[i].max && ends_with(v,
				    "...[cut]") && strncmp(v, val, f[i].max -
				    8) == 0, "%s of %zu bytes cut to %zu with "
				    "the mark (got %zu bytes, ends \"%s\")",
				    f[i].name, len, f[i].max, strlen(v),
				    strlen(v) > 12 ? v + strlen(v) - 12 : v);
			free(val);
		}

	/* a 100 kB Subject of 2-byte characters: no sequence split */
	if ((val = repeat("\xc3\xa9", 50 * 1024)) != NULL) {
		base_message(&m, "1utf8", "8UTF", 1300);
		m.subject = val;
		is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_OK,
		    "100 kB UTF-8 Subject recorded");
		nf_store_message_find(s, "1utf8", got);
		ok(utf8_ok(got->subject) && ends_with(got->subject, "...[cut]")
		    && strlen(got->subject) <= NF_STORE_HEADER_MAX,
		    "UTF-8 Subject cut on a character boundary (%zu bytes)",
		    strlen(got->subject));
		free(val);
	}
	free(got);
}

/* In the caller's transaction: a failed message_add leaves the rest. */
static void
test_message_nested(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in one[] = {
		{ "fay@example.com", "allowed", "r", NULL, 0 },
	};
	struct nf_event dec = { .time = 1400, .kind = "decision",
	    .queue_id = "9NEST", .token = "1NEST", .address = "fay@example.com",
	    .rule = "consent-granted", .detail = "allowed" };
	struct nf_message_in m;
	struct tl t;

	is_int(nf_store_begin(s), NF_STORE_OK, "begin a group");
	is_int(nf_store_event_add_many(s, &dec, 1), NF_STORE_OK,
	    "group: decision event with the token in upper case");
	base_message(&m, "1nest", "9NEST", 1400);
	is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_OK,
	    "group: the message");
	base_message(&m, "1abcdefgh", "9NEST2", 1400);
	is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_CONFLICT,
	    "group: a duplicate inside the group");
	is_int(nf_store_commit(s), NF_STORE_OK, "the group still commits");
	is_int(raw_int(db, "SELECT count(*) FROM messages WHERE queue_id = "
	    "'9NEST2'"), 0, "the duplicate left nothing");
	is_int(trace(s, "1NeSt", &t), NF_STORE_OK, "trace the token in mixed "
	    "case");
	is_str(t.buf, "decision@1400:fay@example.com,tagged@1400:"
	    "fay@example.com,queued@1400:fay@example.com", "decision, tagged, "
	    "queued: the decision event's token was lower-cased");

	is_int(nf_store_begin(s), NF_STORE_OK, "begin another group");
	base_message(&m, "1rolledback", "9RB", 1400);
	is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_OK,
	    "a message in it");
	is_int(nf_store_rollback(s), NF_STORE_OK, "roll the group back");
	is_int(raw_int(db, "SELECT count(*) FROM messages WHERE token = "
	    "'1rolledback'"), 0, "rolled back: no message");
}

/* ---- deliveries ---------------------------------------------------------- */

static void
test_delivery(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in two[] = {
		{ "Gil@example.com", "allowed", "r", NULL, 1 },
		{ "hal@example.com", "allowed", "r", NULL, 1 },
	};
	static const struct {
		const char *qid, *addr, *status, *dsn;
		int64_t time;
		int want;
		const char *status_after;	/* of Gil's row */
	} step[] = {
		{ "AQ1", "gil@example.com", "deferred", "4.4.1", 2001,
		    NF_STORE_OK, "deferred" },
		{ "AQ1", "GIL@EXAMPLE.COM", "sent", "2.0.0", 2002, NF_STORE_OK,
		    "sent" },
		{ "AQ1", "gil@example.com", "deferred", "4.4.1", 2003,
		    NF_STORE_OK, "sent" },
		{ "AQ1", "gil@example.com", "bounced", "5.1.1", 2004,
		    NF_STORE_OK, "bounced" },
		{ "AQ1", "gil@example.com", "deferred", "4.4.1", 2005,
		    NF_STORE_OK, "bounced" },
		{ "NOTOURS", "gil@example.com", "sent", "2.0.0", 2006,
		    NF_STORE_NOTFOUND, "bounced" },
		{ "AQ1", "nobody@example.com", "sent", "2.0.0", 2007,
		    NF_STORE_NOTFOUND, "bounced" },
		{ "", "gil@example.com", "sent", "2.0.0", 2008,
		    NF_STORE_NOTFOUND, "bounced" },
		/* (NULL names every open recipient: test_delivery_whole) */
		{ "AQ1", "", "sent", "2.0.0", 2009, NF_STORE_NOTFOUND,
		    "bounced" },
		{ "AQ1", "gil@example.com", "weird", "2.0.0", 2010,
		    NF_STORE_ERR, "bounced" },
		{ "AQ1", "gil@example.com", NULL, "2.0.0", 2011, NF_STORE_ERR,
		    "bounced" },
	};
	struct nf_delivery_in d;
	struct nf_message_in m;
	struct evs *e = calloc(1, sizeof *e);
	struct tl t;
	long long ev;
	size_t i;
	char *diag100k;

	if (e == NULL) {
		ok(0, "out of memory");
		return;
	}
	base_message(&m, "1deliv", "AQ1", 2000);
	is_int(nf_store_message_add(s, &m, two, 2), NF_STORE_OK,
	    "a message to deliver");
	for (i = 0; i < sizeof step / sizeof step[0]; i++) {
		ev = count_rows(db, "events");
		memset(&d, 0, sizeof d);
		d.queue_id = step[i].qid;
		d.address = step[i].addr;
		d.status = step[i].status;
		d.dsn = step[i].dsn;
		d.relay = "mx.example.com[192.0.2.1]:25";
		d.diagnostic = "250 2.0.0 Ok";
		d.source = "maillog";
		d.time = step[i].time;
		is_int(nf_store_delivery_add(s, &d), step[i].want,
		    "step %zu: %s %s %s", i + 1, step[i].qid,
		    step[i].addr ? step[i].addr : "(null)",
		    step[i].status ? step[i].status : "(null)");
		is_str(raw_str(db, "SELECT status FROM recipients WHERE "
		    "address = 'Gil@example.com'"), step[i].status_after,
		    "step %zu: Gil's status after", i + 1);
		is_int(count_rows(db, "events"), ev + (step[i].want ==
		    NF_STORE_OK), "step %zu: %s event", i + 1,
		    step[i].want == NF_STORE_OK ? "one" : "no");
	}
	is_int(raw_int(db, "SELECT count(*) FROM recipients WHERE address = "
	    "'hal@example.com' AND status IS NULL"), 1, "the other recipient "
	    "is untouched");

	/* the events, as trace shows them */
	memset(e, 0, sizeof *e);
	is_int(nf_store_trace(s, "Gil@example.com", evs_add, e), NF_STORE_OK,
	    "trace Gil");
	is_int(e->n, 7, "Gil: tagged, queued and 5 delivery events");
	if (e->n == 7) {
		is_str(e->kind[2], "delivery", "kind delivery");
		is_str(e->rule[2], "deferred", "rule is the status");
		is_str(e->token[2], "1deliv", "delivery event has the token");
		is_str(e->qid[2], "AQ1", "and the queue id");
		is_str(e->detail[3], "dsn=2.0.0 relay=mx.example.com"
		    "[192.0.2.1]:25 source=maillog (250 2.0.0 Ok)",
		    "delivery detail");
		is_str(e->rule[4], "deferred", "late deferral recorded");
		ok(strstr(e->detail[4], "status stays sent") != NULL,
		    "... saying the final status stays: %s", e->detail[4]);
		is_str(e->rule[5], "bounced", "final to final: bounced");
	}

	/* the row keeps dsn, relay, diagnostic; a long diagnostic is cut */
	is_str(raw_str(db, "SELECT dsn || ' ' || relay || ' ' || diagnostic || "
	    "' ' || updated FROM recipients WHERE address = "
	    "'Gil@example.com'"), "5.1.1 mx.example.com[192.0.2.1]:25 "
	    "250 2.0.0 Ok 2004", "row: dsn, relay, diagnostic, updated of the "
	    "last applied report");
	if ((diag100k = repeat("x", 100 * 1024)) != NULL) {
		memset(&d, 0, sizeof d);
		d.queue_id = "AQ1";
		d.address = "hal@example.com";
		d.status = "bounced";
		d.diagnostic = diag100k;
		d.time = 2100;
		is_int(nf_store_delivery_add(s, &d), NF_STORE_OK,
		    "100 kB diagnostic");
		is_int(raw_int(db, "SELECT length(diagnostic) FROM recipients "
		    "WHERE address = 'hal@example.com'"), NF_STORE_HEADER_MAX,
		    "diagnostic cut to NF_STORE_HEADER_MAX");
		is_str(raw_str(db, "SELECT substr(diagnostic, -8) FROM "
		    "recipients WHERE address = 'hal@example.com'"), "...[cut]",
		    "with the mark");
		ok(raw_int(db, "SELECT length(detail) FROM events WHERE "
		    "address = 'hal@example.com' AND kind = 'delivery'") < 1200,
		    "event detail bounded too");
		free(diag100k);
	}

	/* a queue id the MTA reused: the newest message takes the report */
	base_message(&m, "1reuse1", "RQ", 2200);
	nf_store_message_add(s, &m, two, 1);
	base_message(&m, "1reuse2", "RQ", 2300);
	nf_store_message_add(s, &m, two, 1);
	memset(&d, 0, sizeof d);
	d.queue_id = "RQ";
	d.address = "gil@example.com";
	d.status = "sent";
	d.time = 2400;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "reused queue id");
	is_int(trace(s, "1reuse2", &t), NF_STORE_OK, "trace the newer token");
	ok(strstr(t.buf, "delivery@2400") != NULL, "the newer message got "
	    "the report: %s", t.buf);
	trace(s, "1reuse1", &t);
	ok(strstr(t.buf, "delivery") == NULL, "the older did not: %s", t.buf);

	/* inside the caller's transaction, and rolled back with it */
	ev = count_rows(db, "events");
	nf_store_begin(s);
	d.status = "delivered";
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "delivery in a "
	    "transaction");
	d.queue_id = "NOTOURS";
	is_int(nf_store_delivery_add(s, &d), NF_STORE_NOTFOUND,
	    "not ours, in a transaction");
	nf_store_rollback(s);
	is_int(count_rows(db, "events"), ev, "rolled back with the caller");
	free(e);
}

/* Recipient rows of message `token` as "address=status,...". */
static const char *
statuses(const char *db, const char *token)
{
	char sql[512];

	snprintf(sql, sizeof sql, "SELECT group_concat(address || '=' || "
	    "ifnull(status, 'none'), ',') FROM (SELECT r.address, r.status "
	    "FROM recipients r JOIN messages m ON r.message_id = m.id "
	    "WHERE m.token = '%s' ORDER BY r.id)", token);
	return raw_str(db, sql);
}

/* A report that names no recipient (qmgr's "status=expired, returned to
 * sender"): every recipient still open takes it, each with its event. */
static void
test_delivery_whole(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in four[] = {
		{ "ann@example.com", "allowed", "r", NULL, 0 },
		{ "bob@example.com", "allowed", "r", NULL, 0 },
		{ "cy@example.com", "rejected", "suppressed", NULL, 0 },
		{ "dee@example.com", "monitored", "r", NULL, 0 },
	};
	struct nf_delivery_in d;
	struct nf_message_in m;
	struct evs *e = calloc(1, sizeof *e);
	long long ev;

	if (e == NULL) {
		ok(0, "out of memory");
		return;
	}
	base_message(&m, "1whole", "XQ1", 3000);
	is_int(nf_store_message_add(s, &m, four, 4), NF_STORE_OK,
	    "a message to four recipients, one refused");
	memset(&d, 0, sizeof d);
	d.queue_id = "XQ1";
	d.source = "maillog";
	d.address = "ann@example.com";
	d.status = "sent";
	d.time = 3001;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "ann: sent");
	d.address = "bob@example.com";
	d.status = "deferred";
	d.time = 3002;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "bob: deferred");

	ev = count_rows(db, "events");
	d.address = NULL;
	d.status = "expired";
	d.time = 3003;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK,
	    "expired, no recipient named");
	is_str(statuses(db, "1whole"), "ann@example.com=sent,"
	    "bob@example.com=expired,cy@example.com=none,"
	    "dee@example.com=expired", "the open ones expired; the sent and "
	    "the refused one kept theirs");
	is_int(count_rows(db, "events"), ev + 2, "one event per recipient "
	    "changed");
	memset(e, 0, sizeof *e);
	is_int(nf_store_trace(s, "bob@example.com", evs_add, e), NF_STORE_OK,
	    "trace bob");
	is_int(e->n, 4, "bob: tagged, queued, deferred, expired");
	if (e->n == 4) {
		is_str(e->kind[3], "delivery", "kind delivery");
		is_str(e->rule[3], "expired", "rule expired");
		is_str(e->token[3], "1whole", "with the token");
		is_str(e->qid[3], "XQ1", "and the queue id");
	}
	is_int(raw_int(db, "SELECT count(*) FROM events WHERE kind = "
	    "'delivery' AND address = 'dee@example.com' AND rule = 'expired' "
	    "AND token = '1whole' AND time = 3003"), 1, "dee got its own "
	    "event");

	ev = count_rows(db, "events");
	is_int(nf_store_delivery_add(s, &d), NF_STORE_NOTFOUND,
	    "again: none left open");
	ok(strstr(nf_store_errmsg(s), "XQ1") != NULL, "the message says which "
	    "queue id: %s", nf_store_errmsg(s));
	d.queue_id = "NOTOURSX";
	is_int(nf_store_delivery_add(s, &d), NF_STORE_NOTFOUND,
	    "a queue id that is not ours");
	is_int(count_rows(db, "events"), ev, "neither wrote an event");

	/* a deferral for the whole message leaves them open */
	base_message(&m, "1whole2", "XQ2", 3100);
	is_int(nf_store_message_add(s, &m, four, 2), NF_STORE_OK,
	    "a second message");
	d.queue_id = "XQ2";
	d.status = "deferred";
	d.time = 3101;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "deferred, no "
	    "recipient named");
	d.status = "expired";
	d.time = 3102;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "then expired");
	is_str(statuses(db, "1whole2"), "ann@example.com=expired,"
	    "bob@example.com=expired", "both expired after the deferral");

	/* a reused queue id: only the newest message's recipients */
	base_message(&m, "1whole3", "XQ3", 3200);
	nf_store_message_add(s, &m, four, 1);
	base_message(&m, "1whole4", "XQ3", 3300);
	nf_store_message_add(s, &m, four + 1, 1);
	d.queue_id = "XQ3";
	d.time = 3301;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "reused queue id");
	is_str(statuses(db, "1whole3"), "ann@example.com=none",
	    "the older message untouched");
	is_str(statuses(db, "1whole4"), "bob@example.com=expired",
	    "the newest expired");

	/* inside the caller's transaction, and rolled back with it */
	base_message(&m, "1whole5", "XQ5", 3400);
	nf_store_message_add(s, &m, four, 2);
	ev = count_rows(db, "events");
	is_int(nf_store_begin(s), NF_STORE_OK, "begin");
	d.queue_id = "XQ5";
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "expired in a "
	    "transaction");
	is_int(nf_store_rollback(s), NF_STORE_OK, "roll it back");
	is_str(statuses(db, "1whole5"), "ann@example.com=none,"
	    "bob@example.com=none", "rolled back: no status");
	is_int(count_rows(db, "events"), ev, "rolled back: no event");
	free(e);
}

/* The MailLog follower's shape: reports in batches, most not ours. */
static void
test_delivery_batch(struct nf_store *s, const char *db)
{
	enum { N = 20000, OURS_EVERY = 10, BATCH = 500 };
	static const struct nf_recipient_in one[] = {
		{ "batch@example.com", "allowed", "r", NULL, 1 },
	};
	struct nf_message_in m;
	struct nf_delivery_in d;
	struct timespec a, b;
	char tok[32], qid[32];
	long long ev0, found = 0, notfound = 0, other = 0;
	double secs;
	int i, rc;

	nf_store_begin(s);
	for (i = 0; i < N; i += OURS_EVERY) {
		snprintf(tok, sizeof tok, "1batch%d", i);
		snprintf(qid, sizeof qid, "B%05d", i);
		base_message(&m, tok, qid, 3000);
		if (nf_store_message_add(s, &m, one, 1) != NF_STORE_OK)
			other++;
	}
	nf_store_commit(s);
	is_int(other, 0, "%d messages recorded for the batch", N / OURS_EVERY);
	ev0 = count_rows(db, "events");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < N; i++) {
		if (i % BATCH == 0)
			nf_store_begin(s);
		snprintf(qid, sizeof qid, "B%05d", i);
		memset(&d, 0, sizeof d);
		d.queue_id = qid;
		d.address = "batch@example.com";
		d.status = "sent";
		d.dsn = "2.0.0";
		d.relay = "mx.example.com[192.0.2.1]:25";
		d.diagnostic = "250 2.0.0 Ok: queued as 123";
		d.source = "maillog";
		d.time = 3001;
		rc = nf_store_delivery_add(s, &d);
		if (rc == NF_STORE_OK)
			found++;
		else if (rc == NF_STORE_NOTFOUND)
			notfound++;
		else
			other++;
		if (i % BATCH == BATCH - 1 || i == N - 1)
			nf_store_commit(s);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	is_int(found, N / OURS_EVERY, "batch: every report of ours matched");
	is_int(notfound, N - N / OURS_EVERY, "batch: the rest NOTFOUND");
	is_int(other, 0, "batch: no error");
	is_int(count_rows(db, "events") - ev0, N / OURS_EVERY,
	    "batch: one event per matched report, none for the others");
	diag("delivery_add: %d reports (1 in %d ours) in %.3f s = %.0f/s, "
	    "batches of %d", N, OURS_EVERY, secs, N / secs, BATCH);
	ok(N / secs > 20000, "at least 20,000 reports/s (got %.0f)", N / secs);
}

/* ---- trace --------------------------------------------------------------- */

static void
test_trace(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in to_ivy[] = {
		{ "ivy@example.com", "allowed", "r", NULL, 0 },
	};
	static const struct nf_recipient_in to_jo[] = {
		{ "jo@example.com", "allowed", "r", NULL, 0 },
	};
	static const struct nf_recipient_in to_kim[] = {
		{ "kim@example.com", "allowed", "r", NULL, 0 },
	};
	struct nf_event pre[] = {
		/* same second as the message: insertion order decides */
		{ 5000, "decision", "TQ1", "1TRACE1", "ivy@example.com",
		    "consent-granted", "allowed" },
		{ 5500, "sms", NULL, NULL, "+15557770001", "fallback",
		    "sms sent" },
	};
	struct nf_contact c;
	struct nf_message_in m;
	struct nf_delivery_in d;
	struct tl t;
	/* ivy has both keys: either one gives her whole timeline, with the
	 * phone's own events (the sms, the SMS consent change) and jo's
	 * message, whose valid phone hint is ivy's phone; not kim's, whose
	 * hint was recorded invalid */
#define IVY_ALL "decision@5000:ivy@example.com,tagged@5000:ivy@example.com," \
	    "queued@5000:ivy@example.com,sms@5500:+15557770001," \
	    "consent@5700:+15557770001," \
	    "tagged@5800:jo@example.com,queued@5800:jo@example.com," \
	    "delivery@6000:ivy@example.com," \
	    "contact@9000000000:ivy@example.com"
	static const struct {
		const char *key;
		int want;
		const char *timeline;
	} tc[] = {
		{ "ivy@example.com", NF_STORE_OK, IVY_ALL },
		{ "+15557770001", NF_STORE_OK, IVY_ALL },
		/* no contact: the address's own events only */
		{ "jo@example.com", NF_STORE_OK,
		    "tagged@5800:jo@example.com,queued@5800:jo@example.com" },
		/* a contact with no phone: its email's events only */
		{ "lux@example.com", NF_STORE_OK,
		    "contact@9000000001:lux@example.com" },
		{ "1trace2", NF_STORE_OK,
		    "tagged@5800:jo@example.com,queued@5800:jo@example.com" },
		{ "1TRACE1", NF_STORE_OK,
		    "decision@5000:ivy@example.com,tagged@5000:ivy@example.com,"
		    "queued@5000:ivy@example.com,delivery@6000:ivy@example.com" },
		{ "1trace3", NF_STORE_OK,
		    "tagged@5900:kim@example.com,queued@5900:kim@example.com" },
		{ "+15550000000", NF_STORE_NOTFOUND, "" },
		{ "nobody@example.com", NF_STORE_NOTFOUND, "" },
		{ "1nosuchtoken", NF_STORE_NOTFOUND, "" },
		{ "", NF_STORE_NOTFOUND, "" },
	};
#undef IVY_ALL
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	snprintf(c.email, sizeof c.email, "ivy@example.com");
	snprintf(c.phone, sizeof c.phone, "+15557770001");
	is_int(nf_store_contact_add(s, &c), NF_STORE_OK, "contact ivy");
	is_int(nf_store_consent_set(s, c.id, NF_CH_SMS, NF_CONSENT_REVOKED,
	    "test", 5700), NF_STORE_OK, "ivy revokes SMS consent");
	memset(&c, 0, sizeof c);
	snprintf(c.email, sizeof c.email, "lux@example.com");
	is_int(nf_store_contact_add(s, &c), NF_STORE_OK, "contact lux, no "
	    "phone");
	/* the contact events carry today's time: make them sort last, fixed */
	raw_exec(db, "UPDATE events SET time = 9000000000 WHERE kind = "
	    "'contact' AND address = 'ivy@example.com'");
	raw_exec(db, "UPDATE events SET time = 9000000001 WHERE kind = "
	    "'contact' AND address = 'lux@example.com'");
	is_int(nf_store_event_add_many(s, pre, 2), NF_STORE_OK,
	    "decision and phone events");
	base_message(&m, "1trace1", "TQ1", 5000);
	is_int(nf_store_message_add(s, &m, to_ivy, 1), NF_STORE_OK, "to ivy");
	base_message(&m, "1trace2", "TQ2", 5800);
	m.phone_hint = "+15557770001";
	m.phone_hint_valid = 1;
	is_int(nf_store_message_add(s, &m, to_jo, 1), NF_STORE_OK,
	    "to jo, phone hint ivy's phone");
	base_message(&m, "1trace3", "TQ3", 5900);
	m.phone_hint = "+15557770001";
	m.phone_hint_valid = 0;
	is_int(nf_store_message_add(s, &m, to_kim, 1), NF_STORE_OK,
	    "to kim, the same hint but recorded invalid");
	memset(&d, 0, sizeof d);
	d.queue_id = "TQ1";
	d.address = "ivy@example.com";
	d.status = "sent";
	d.time = 6000;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "ivy delivered");

	for (i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		rc = trace(s, tc[i].key, &t);
		is_int(rc, tc[i].want, "trace \"%s\": rc", tc[i].key);
		is_str(t.buf, tc[i].timeline, "trace \"%s\": timeline",
		    tc[i].key);
	}
	ok(strstr(nf_store_errmsg(s), "nothing is known") != NULL ||
	    strstr(nf_store_errmsg(s), "empty") != NULL, "NOTFOUND says why: "
	    "%s", nf_store_errmsg(s));

	/* the callback stops the walk; its value comes back */
	memset(&t, 0, sizeof t);
	t.stop_after = 2;
	is_int(nf_store_trace(s, "ivy@example.com", tl_add, &t), 7,
	    "callback's non-zero comes back");
	is_int(t.count, 2, "and the walk stopped");

	/* the indexes carry the lookups: no full scan of events or messages */
	{
		static const char *const q[] = {
			"SELECT time FROM events WHERE address = 'x'"
			" OR address = (SELECT email FROM contacts WHERE"
			" phone = 'x') OR contact_id = (SELECT id FROM contacts"
			" WHERE phone = 'x') OR token IN (SELECT token FROM"
			" messages WHERE phone_hint = 'x' AND phone_hint_valid)"
			" ORDER BY time, id",
			"SELECT time FROM events WHERE token = lower('X')"
			" ORDER BY time, id",
			/* an email key first looks up its contact's phone */
			"SELECT id, email, phone, name, created, updated"
			" FROM contacts WHERE email = 'x'",
			"SELECT time FROM events WHERE address = 'x'"
			" ORDER BY time, id",
			"SELECT r.id FROM messages m JOIN recipients r ON"
			" r.message_id = m.id WHERE m.queue_id = 'Q' AND"
			" lower(r.address) = lower('a') ORDER BY m.id DESC"
			" LIMIT 1",
		};
		const char *p;

		for (i = 0; i < sizeof q / sizeof q[0]; i++) {
			p = raw_plan(db, q[i]);
			ok(p[0] != '\0' && strstr(p, "SCAN events") == NULL &&
			    strstr(p, "SCAN messages") == NULL &&
			    strstr(p, "SCAN m ") == NULL &&
			    strstr(p, "SCAN r ") == NULL &&
			    strstr(p, "SCAN contacts") == NULL, "query %zu uses "
			    "indexes: %s", i + 1, p);
		}
	}
	/* the statements themselves, with the made tagged and queued rows */
	{
		static const enum nf_st w[] = {
			NF_ST_TRACE_PHONE, NF_ST_TRACE_TOKEN, NF_ST_EVENT_OF,
		};
		const char *p;

		for (i = 0; i < sizeof w / sizeof w[0]; i++) {
			p = raw_plan(db, nf_st_sql(w[i]));
			ok(p[0] != '\0' && strstr(p, "SCAN events") == NULL &&
			    strstr(p, "SCAN messages") == NULL &&
			    strstr(p, "SCAN recipients") == NULL &&
			    strstr(p, "SCAN d") == NULL &&
			    strstr(p, "SCAN o") == NULL &&
			    strstr(p, "SCAN m ") == NULL &&
			    strstr(p, "SCAN m\0") == NULL &&
			    strstr(p, "SCAN r ") == NULL &&
			    strstr(p, "SCAN r|") == NULL &&
			    strstr(p, "SCAN m|") == NULL &&
			    strstr(p, "SCAN contacts") == NULL, "trace "
			    "statement %zu uses indexes: %s", i + 1, p);
		}
	}
}

/* ---- made events: order and text ---------------------------------------- */

/*
 * "tagged" and "queued" are made from the rows, not stored: they must read
 * as the stored ones did, in the same place (after the message's decision
 * events, before what came later in the same second), per recipient.
 */
static void
test_made_events(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in two[] = {
		{ "ord1@example.com", "allowed", "r1", NULL, 1 },
		{ "ord2@example.com", "allowed", "r2", NULL, 0 },
		{ "ord9@example.com", "dropped", "r9", NULL, 0 },
	};
	static const struct nf_recipient_in one[] = {
		{ "ord1@example.com", "allowed", "r1", NULL, 0 },
	};
	struct nf_event dec = { .time = 8100, .kind = "decision",
	    .queue_id = "OQ2", .token = "1order2", .address =
	    "ord1@example.com", .rule = "r1", .detail = "allowed" };
	struct nf_event later = { .time = 8100, .kind = "bounce",
	    .address = "ord1@example.com", .detail = "later" };
	struct nf_message_in m;
	struct nf_delivery_in d;
	struct evs *e = calloc(1, sizeof *e);
	struct tl t;

	if (e == NULL) {
		ok(0, "out of memory");
		return;
	}
	base_message(&m, "1order1", "OQ1", 8000);
	is_int(nf_store_message_add(s, &m, two, 3), NF_STORE_OK, "message to "
	    "ord1, ord2 and a dropped ord9, no decision event");
	memset(&d, 0, sizeof d);
	d.queue_id = "OQ1";
	d.address = "ord1@example.com";
	d.status = "sent";
	d.time = 8000;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "delivered to ord1 "
	    "in the same second");
	is_int(trace(s, "1order1", &t), NF_STORE_OK, "trace the token");
	is_str(t.buf, "tagged@8000:ord1@example.com,queued@8000:"
	    "ord1@example.com,tagged@8000:ord2@example.com,queued@8000:"
	    "ord2@example.com,delivery@8000:ord1@example.com", "per recipient "
	    "tagged then queued, the dropped one has none, the delivery of "
	    "the same second after them");

	is_int(nf_store_event_add_many(s, &dec, 1), NF_STORE_OK, "a decision "
	    "event");
	base_message(&m, "1order2", "OQ2", 8100);
	is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_OK, "then its "
	    "message");
	is_int(nf_store_event_add_many(s, &later, 1), NF_STORE_OK, "then "
	    "another event about ord1 in the same second");
	is_int(trace(s, "ord1@example.com", &t), NF_STORE_OK, "trace ord1");
	is_str(t.buf, "tagged@8000:ord1@example.com,queued@8000:"
	    "ord1@example.com,delivery@8000:ord1@example.com,decision@8100:"
	    "ord1@example.com,tagged@8100:ord1@example.com,queued@8100:"
	    "ord1@example.com,bounce@8100:ord1@example.com", "decision, "
	    "tagged, queued, then the later event");

	base_message(&m, "1order3", NULL, 8200);
	m.verp = NULL;
	is_int(nf_store_message_add(s, &m, one, 1), NF_STORE_OK, "a message "
	    "without VERP sender nor queue id");
	is_int(nf_store_trace(s, "1ORDER3", evs_add, e), NF_STORE_OK,
	    "trace it");
	is_int(e->n, 2, "tagged and queued");
	if (e->n == 2) {
		is_str(e->detail[0], "envelope sender unchanged; "
		    "X-Notifilter-ID: 1order3; DSN not requested",
		    "tagged detail without VERP");
		is_str(e->qid[0], "(null)", "no queue id");
		is_str(e->rule[0], "r1", "the recipient's rule");
		is_str(e->token[1], "1order3", "the token");
		is_str(e->detail[1], "queued (the MTA gave no queue id)",
		    "queued detail without queue id");
	}
	memset(e, 0, sizeof *e);
	is_int(nf_store_trace(s, "1order1", evs_add, e), NF_STORE_OK,
	    "trace the first one");
	if (e->n >= 2)
		is_str(e->detail[0], "VERP sender bounce+x@bounce.example; "
		    "X-Notifilter-ID: 1order1; DSN requested "
		    "(NOTIFY=SUCCESS,FAILURE,DELAY)", "tagged detail with VERP");
	else
		ok(0, "trace 1order1 gave %d events", e->n);
	is_int(raw_int(db, "SELECT count(*) FROM events WHERE token LIKE "
	    "'1order%' AND kind IN ('tagged', 'queued')"), 0, "none of them "
	    "is stored");
	free(e);
}

/* ---- state --------------------------------------------------------------- */

static void
test_state(struct nf_store *s, const char *db)
{
	char val[64], small[4];
	char *big = repeat("v", 5000);

	is_int(nf_store_state_get(s, "maillog", val, sizeof val),
	    NF_STORE_NOTFOUND, "unset key: NOTFOUND");
	is_str(val, "", "and an empty value");
	is_int(nf_store_state_set(s, "maillog", "ino=12 off=3456"),
	    NF_STORE_OK, "set");
	is_int(nf_store_state_get(s, "maillog", val, sizeof val), NF_STORE_OK,
	    "get");
	is_str(val, "ino=12 off=3456", "value read back");
	is_int(nf_store_state_set(s, "maillog", "ino=13 off=0"), NF_STORE_OK,
	    "set again (upsert)");
	nf_store_state_get(s, "maillog", val, sizeof val);
	is_str(val, "ino=13 off=0", "new value");
	is_int(count_rows(db, "state"), 1, "one row per key");
	is_int(nf_store_state_set(s, "empty", ""), NF_STORE_OK, "empty value");
	is_int(nf_store_state_get(s, "empty", val, sizeof val), NF_STORE_OK,
	    "get empty value");
	is_str(val, "", "empty value read back");
	is_int(nf_store_state_get(s, "maillog", small, sizeof small),
	    NF_STORE_ERR, "buffer too small: ERR, not cut");
	is_int(nf_store_state_set(s, "", "x"), NF_STORE_ERR, "empty key");
	is_int(nf_store_state_set(s, NULL, "x"), NF_STORE_ERR, "no key");
	is_int(nf_store_state_set(s, "big", big), NF_STORE_ERR,
	    "5000-byte value refused");
	is_int(nf_store_state_get(s, "big", val, sizeof val),
	    NF_STORE_NOTFOUND, "and not stored");
	nf_store_begin(s);
	nf_store_state_set(s, "maillog", "rolled back");
	nf_store_rollback(s);
	nf_store_state_get(s, "maillog", val, sizeof val);
	is_str(val, "ino=13 off=0", "a rolled-back set is undone");
	free(big);
}

/* ---- erasure ------------------------------------------------------------- */

static void
test_erase(struct nf_store *s, const char *db)
{
	static const struct nf_recipient_in to_lee[] = {
		{ "lee@example.com", "allowed", "r", NULL, 0 },
	};
	static const struct nf_recipient_in to_both[] = {
		{ "lee@example.com", "allowed", "r", NULL, 0 },
		{ "max@example.com", "allowed", "r", NULL, 0 },
	};
	static const struct nf_recipient_in to_max[] = {
		{ "max@example.com", "allowed", "r", NULL, 0 },
	};
	struct nf_contact c;
	struct nf_message_in m;
	struct tl t;

	memset(&c, 0, sizeof c);
	snprintf(c.email, sizeof c.email, "lee@example.com");
	snprintf(c.phone, sizeof c.phone, "+15558880001");
	nf_store_contact_add(s, &c);
	base_message(&m, "1erase1", "EQ1", 7000);
	m.fallback_text = "for lee";
	m.phone_hint = "+15558880001";
	m.phone_hint_valid = 1;
	nf_store_message_add(s, &m, to_lee, 1);
	base_message(&m, "1erase2", "EQ2", 7001);
	nf_store_message_add(s, &m, to_both, 2);
	base_message(&m, "1erase3", "EQ3", 7002);
	m.phone_hint = "+15558880001";
	m.phone_hint_valid = 1;
	nf_store_message_add(s, &m, to_max, 1);

	is_int(nf_store_contact_remove(s, "lee@example.com"), NF_STORE_OK,
	    "erase lee (%s)", nf_store_errmsg(s));
	is_int(raw_int(db, "SELECT count(*) FROM recipients WHERE address = "
	    "'lee@example.com'"), 0, "lee's recipient rows are gone");
	is_str(raw_str(db, "SELECT coalesce(header_from, 'N') || "
	    "coalesce(subject, 'N') || coalesce(fallback_text, 'N') || "
	    "coalesce(phone_hint, 'N') || ' ' || token || ' ' || queue_id "
	    "FROM messages WHERE token = '1erase1'"), "NNNN 1erase1 EQ1",
	    "a message to lee alone loses its personal fields, keeps its "
	    "token and queue id");
	is_str(raw_str(db, "SELECT subject FROM messages WHERE token = "
	    "'1erase2'"), "Your order", "a message also to max keeps its "
	    "Subject");
	is_str(raw_str(db, "SELECT coalesce(phone_hint, 'N') FROM messages "
	    "WHERE token = '1erase3'"), "N", "lee's phone is blanked as a "
	    "hint on max's message");
	is_int(raw_int(db, "SELECT count(*) FROM recipients WHERE address = "
	    "'max@example.com'"), 2, "max's rows stay");
	is_int(raw_int(db, "SELECT count(*) FROM events WHERE address = "
	    "'lee@example.com' OR address = '+15558880001'"), 0,
	    "lee's events are gone");
	is_int(trace(s, "lee@example.com", &t), NF_STORE_NOTFOUND,
	    "trace lee: nothing known");
	is_int(trace(s, "1erase2", &t), NF_STORE_OK, "trace the shared "
	    "message");
	is_str(t.buf, "tagged@7001:max@example.com,queued@7001:max@example.com",
	    "only max's events remain");
	is_int(trace(s, "1erase1", &t), NF_STORE_OK, "a message whose events "
	    "are all erased is still known by its token");
	is_int(t.count, 0, "with no event");
}

/* ---- migration ----------------------------------------------------------- */

static void
test_migration(void)
{
	const char *p = path_of("v1.db");
	struct nf_store *s;
	struct nf_message *got = malloc(sizeof *got);
	struct nf_contact c;
	struct nf_delivery_in d;
	struct tl t;
	char val[32];
	int v = 0, rc;

	if (got == NULL) {
		ok(0, "out of memory");
		return;
	}
	rc = nf_st_create_old(p, 1, err, sizeof err);
	is_int(rc, NF_STORE_OK, "make a version-1 file (%s)", err);
	is_int(raw_int(p, "PRAGMA user_version"), 1, "it is at version 1");
	is_int(raw_int(p, "SELECT count(*) FROM pragma_table_info('messages')"
	    " WHERE name = 'verp'"), 0, "version 1 has no verp column");
	is_int(raw_int(p, "SELECT count(*) FROM sqlite_schema WHERE name = "
	    "'state'"), 0, "nor a state table");
	is_int(raw_exec(p,
	    "INSERT INTO contacts(email, phone, name, created, updated)"
	    " VALUES ('old@example.com', '+15559990001', 'Old', 1, 1);"
	    "INSERT INTO consent(contact_id, channel, state, source, time)"
	    " VALUES (1, 'email', 'granted', 'v1', 1);"
	    "INSERT INTO messages(token, queue_id, sender, header_from, subject,"
	    " message_id, category, fallback_text, phone_hint, created)"
	    " VALUES ('1oldtok', 'OLDQ', 'app@x', 'App <app@x>', 'Old subject',"
	    " '<o@x>', 'cat', 'fb', '+15559990001', 100);"
	    "INSERT INTO recipients(message_id, address, decision, rule, reason,"
	    " updated) VALUES (1, 'old@example.com', 'allowed', 'r', 'ok', 100);"
	    "INSERT INTO events(time, kind, queue_id, token, address, rule,"
	    " detail) VALUES (100, 'tagged', 'OLDQ', '1oldtok',"
	    " 'old@example.com', 'r', 'v1 event');"), SQLITE_OK,
	    "version-1 rows written");

	s = open_path(p);
	ok(s != NULL, "open migrates it");
	if (s == NULL) {
		free(got);
		return;
	}
	nf_store_schema_version(s, &v);
	/* later schema steps run on from 2: the file ends up current */
	is_int(v, NF_STORE_SCHEMA_VERSION, "now at the current version");
	ok(NF_STORE_SCHEMA_VERSION >= 2, "which is 2 or later (%d)",
	    NF_STORE_SCHEMA_VERSION);
	is_int(nf_store_contact_find(s, "old@example.com", &c), NF_STORE_OK,
	    "the contact survived");
	is_int(c.consent[NF_CH_EMAIL].state, NF_CONSENT_GRANTED,
	    "with its consent");
	is_int(nf_store_message_find(s, "1OLDTOK", got), NF_STORE_OK,
	    "the message survived (%s)", nf_store_errmsg(s));
	is_str(got->subject, "Old subject", "with its Subject");
	is_str(got->queue_id, "OLDQ", "and queue id");
	is_str(got->verp, "", "new column verp empty");
	is_int(got->applied, 1, "old rows read as applied");
	is_int(got->phone_hint_valid, 0, "and their hint as not validated");
	memset(&d, 0, sizeof d);
	d.queue_id = "OLDQ";
	d.address = "old@example.com";
	d.status = "sent";
	d.dsn = "2.0.0";
	d.time = 200;
	is_int(nf_store_delivery_add(s, &d), NF_STORE_OK, "a delivery for an "
	    "old recipient row (%s)", nf_store_errmsg(s));
	is_int(trace(s, "old@example.com", &t), NF_STORE_OK, "trace it");
	ok(strncmp(t.buf, "tagged@100:old@example.com,delivery@200:"
	    "old@example.com", 56) == 0, "old and new events in order: %s",
	    t.buf);
	is_int(nf_store_state_set(s, "k", "v"), NF_STORE_OK, "state works");
	nf_store_close(s);

	/* reopening does not migrate again; the data is there */
	s = open_path(p);
	ok(s != NULL, "reopen at version 2");
	if (s != NULL) {
		is_int(nf_store_state_get(s, "k", val, sizeof val), NF_STORE_OK,
		    "state survives a reopen");
		is_str(val, "v", "state value");
		nf_store_close(s);
	}
	is_int(raw_int(p, "SELECT count(*) FROM messages"), 1, "still 1 "
	    "message");
	is_int(raw_int(p, "SELECT count(*) FROM sqlite_schema WHERE name IN "
	    "('events_token_time', 'messages_phone_hint', 'state')"), 3,
	    "version 2's indexes and table exist");

	/* a version-2 file created fresh has the same shape */
	rc = nf_st_create_old(path_of("v2.db"), 2, err, sizeof err);
	is_int(rc, NF_STORE_OK, "create at version 2 directly");
	is_str(raw_str(p, "SELECT group_concat(name) FROM (SELECT name FROM "
	    "pragma_table_info('recipients') ORDER BY name)"),
	    raw_str(path_of("v2.db"), "SELECT group_concat(name) FROM (SELECT "
	    "name FROM pragma_table_info('recipients') ORDER BY name)"),
	    "migrated and new files have the same recipients columns");
	is_int(nf_st_create_old(path_of("v9.db"), 9, err, sizeof err),
	    NF_STORE_ERR, "no version 9 to create");
	free(got);
}

static void
cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
}

int
main(void)
{
	struct nf_store *s;
	const char *db;

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_migration();
	db = path_of("track.db");
	s = open_path(db);
	ok(s != NULL, "open the tracking test store");
	if (s != NULL) {
		test_message_add(s, db);
		test_message_bad(s, db);
		test_message_long(s);
		test_message_nested(s, db);
		test_delivery(s, db);
		test_delivery_whole(s, db);
		test_delivery_batch(s, db);
		test_trace(s, db);
		test_made_events(s, db);
		test_state(s, db);
		test_erase(s, db);
		nf_store_close(s);
	}
	cleanup();
	return tap_done();
}
