/*
 * bench_policy.c - how many policy decisions per second the milter's hot
 * path makes with 1,000,000 contacts in the store, on one thread.
 *
 * A decision is nf_store_email_state + nf_policy_decide, exactly what the
 * milter does per recipient.  The database (1,000,000 contacts: 5% email
 * consent revoked, 5% granted, 2% of addresses suppressed, half with a
 * phone) is built once through the store API in one transaction and cached
 * at the path given (bench/out/policy-1m.db under make bench-policy).  The
 * run then times 2,000,000 decisions on random addresses, half known and
 * half unknown, and in the same run baselines on a second, plain SQLite
 * connection with the same cache settings: a raw sqlite3_step on the
 * store's email_policy table with one read transaction per lookup (what
 * the short read snapshot of the store saves) and with one for all (what
 * the store and the policy add on top of SQLite), and the normalised
 * three-table join the denormalised table replaces (why it exists).
 * The SQL of the baselines is a measuring instrument, not product code.
 *
 * Exit 0 when the run completed and the verdict counts match the data
 * (a wrong answer fast is no result), 1 otherwise.  The goal is printed as
 * a ratio; missing it is reported, not an error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conf.h"
#include "policy.h"
#include "store.h"

#define CONTACTS 1000000u
#define DECISIONS 2000000u
#define WARMUP 200000u
#define GOAL 500000.0
#define SLOT 32			/* bytes per pre-built address */
#define EMAIL_POLICY_SQL "SELECT contact_id IS NOT NULL, consent, " \
	"suppressed, reason FROM email_policy WHERE email = ?1"

/* the store's settings (store_sqlite.c), so the baselines compare fairly */
#ifndef NF_CACHE_KIB
#define NF_CACHE_KIB 2048
#endif
#ifndef NF_MMAP_BYTES
#define NF_MMAP_BYTES 0LL
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Contact i's mix: 0 none, 1 revoked, 2 granted; suppressed separately. */
static int
mix_consent(unsigned i)
{
	unsigned k = (i * 2654435761u) % 100;

	return k < 5 ? 1 : k < 10 ? 2 : 0;
}

static int
mix_suppressed(unsigned i)
{
	return (i * 40503u + 7u) % 100 < 2;
}

static void
known_address(char *out, unsigned i)
{
	snprintf(out, SLOT, "user%07u@d%u.example", i, i % 997);
}

static int
build(const char *path)
{
	struct nf_store *s;
	struct nf_contact *c = calloc(1, sizeof *c);
	struct nf_suppression sup;
	char err[1024];
	double t0 = now_s(CLOCK_MONOTONIC);
	unsigned i;
	int rc, k;

	if (c == NULL)
		return -1;
	unlink(path);
	rc = nf_store_open(path, NF_STORE_CREATE, 5000, &s, err, sizeof err);
	if (rc != NF_STORE_OK) {
		fprintf(stderr, "bench_policy: %s\n", err);
		free(c);
		return -1;
	}
	printf("building %u contacts in %s ...\n", CONTACTS, path);
	fflush(stdout);
	rc = nf_store_begin(s);
	memset(&sup, 0, sizeof sup);
	snprintf(sup.reason, sizeof sup.reason, "userunknown");
	snprintf(sup.source, sizeof sup.source, "bench");
	for (i = 0; i < CONTACTS && rc == NF_STORE_OK; i++) {
		memset(c, 0, sizeof *c);
		known_address(c->email, i);
		if (i % 2 == 0)
			snprintf(c->phone, sizeof c->phone, "+4915%08u", i);
		k = mix_consent(i);
		if (k) {
			c->consent[NF_CH_EMAIL].state = k == 1 ?
			    NF_CONSENT_REVOKED : NF_CONSENT_GRANTED;
			snprintf(c->consent[NF_CH_EMAIL].source,
			    sizeof c->consent[NF_CH_EMAIL].source, "bench");
		}
		rc = nf_store_contact_add(s, c);
		if (rc == NF_STORE_OK && mix_suppressed(i)) {
			known_address(sup.address, i);
			rc = nf_store_suppress_add(s, &sup);
		}
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK)
		fprintf(stderr, "bench_policy: building: %s\n",
		    nf_store_errmsg(s));
	nf_store_close(s);
	free(c);
	if (rc == NF_STORE_OK)
		printf("built in %.1f s\n", now_s(CLOCK_MONOTONIC) - t0);
	return rc == NF_STORE_OK ? 0 : -1;
}

/* Reuse the cached database when it holds exactly the expected contacts. */
static int
reuse(const char *path)
{
	struct nf_store *s;
	char err[1024];
	int64_t n = 0;
	int ok;

	if (access(path, F_OK) != 0)
		return 0;
	if (nf_store_open(path, 0, 5000, &s, err, sizeof err) != NF_STORE_OK)
		return 0;
	ok = nf_store_contact_count(s, &n) == NF_STORE_OK && n == CONTACTS;
	nf_store_close(s);
	return ok;
}

struct tally {
	unsigned long blocked, allowed;
	unsigned long want_blocked;	/* from the mix, for known addresses */
};

static void
report(const char *what, unsigned n, double wall, double cpu)
{
	printf("%-34s %10.0f /s  (%.3f s wall, %.3f s cpu, %.0f ns each)\n",
	    what, n / wall, wall, cpu, wall * 1e9 / n);
}

static int
raw_run(const char *path, const char *sql, const char *what,
    const char *addrs, int in_tx, double *rate)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	char pragmas[160];
	double w0, c0;
	unsigned i;
	long sum = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	snprintf(pragmas, sizeof pragmas, "PRAGMA cache_size = -%d; "
	    "PRAGMA mmap_size = %lld", NF_CACHE_KIB, NF_MMAP_BYTES);
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < WARMUP; i++) {
		sqlite3_bind_text(st, 1, addrs + (size_t)i * SLOT, -1,
		    SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			sum += sqlite3_column_int(st, 1);
		sqlite3_reset(st);
	}
	w0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	if (in_tx)
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < DECISIONS; i++) {
		sqlite3_bind_text(st, 1, addrs + (size_t)i * SLOT, -1,
		    SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			sum += sqlite3_column_int(st, 1) +
			    sqlite3_column_int(st, 2);
		sqlite3_reset(st);
	}
	if (in_tx)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	w0 = now_s(CLOCK_MONOTONIC) - w0;
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	report(what, DECISIONS, w0, c0);
	*rate = DECISIONS / w0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return sum >= 0 ? 0 : -1;
fail:
	fprintf(stderr, "bench_policy: %s: %s\n", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return -1;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "bench/out/policy-1m.db";
	struct nf_conf conf;
	struct nf_store *s;
	struct nf_email_state st;
	struct nf_decision d;
	struct tally t = { 0, 0, 0 };
	char err[1024], *addrs;
	unsigned i, id;
	double w0, c0, rate, raw = 0, raw_tx = 0, join = 0;
	int rc, known;

	if (argc > 2) {
		fprintf(stderr, "usage: bench_policy [DATABASE]\n");
		return 64;
	}
	if (!reuse(path) && build(path) != 0)
		return 1;
	addrs = malloc((size_t)DECISIONS * SLOT);
	if (addrs == NULL) {
		fprintf(stderr, "bench_policy: out of memory\n");
		return 1;
	}
	for (i = 0; i < DECISIONS; i++) {
		id = (unsigned)(next_rand() % CONTACTS);
		known = next_rand() & 1;
		if (known) {
			known_address(addrs + (size_t)i * SLOT, id);
			if (mix_suppressed(id) || mix_consent(id) == 1)
				t.want_blocked++;
		} else
			snprintf(addrs + (size_t)i * SLOT, SLOT,
			    "nobody%07u@d%u.example", id, id % 997);
	}
	rc = nf_store_open(path, 0, 5000, &s, err, sizeof err);
	if (rc != NF_STORE_OK) {
		fprintf(stderr, "bench_policy: %s\n", err);
		return 1;
	}
	/* only the field nf_policy_decide reads; no config file needed */
	memset(&conf, 0, sizeof conf);
	conf.default_email_consent = 1;
	conf.on_store_error = NF_ONSTORE_TEMPFAIL;

	for (i = 0; i < WARMUP; i++)
		if (nf_store_email_state(s, addrs + (size_t)i * SLOT, &st) !=
		    NF_STORE_OK)
			break;
	w0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < DECISIONS; i++) {
		rc = nf_store_email_state(s, addrs + (size_t)i * SLOT, &st);
		if (rc != NF_STORE_OK)
			break;
		nf_policy_decide(&conf, &st, &d);
		if (d.verdict == NF_VERDICT_BLOCK)
			t.blocked++;
		else
			t.allowed++;
	}
	w0 = now_s(CLOCK_MONOTONIC) - w0;
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (rc != NF_STORE_OK) {
		fprintf(stderr, "bench_policy: lookup %u: %s\n", i,
		    nf_store_errmsg(s));
		nf_store_close(s);
		free(addrs);
		return 1;
	}
	nf_store_close(s);
	printf("%u contacts, %u decisions on one thread, half unknown "
	    "addresses\n", CONTACTS, DECISIONS);
	report("store + policy", DECISIONS, w0, c0);
	rate = DECISIONS / w0;

	rc = raw_run(path, EMAIL_POLICY_SQL, "raw step, one tx per lookup",
	    addrs, 0, &raw);
	if (rc == 0)
		rc = raw_run(path, EMAIL_POLICY_SQL, "raw step, one tx for all",
		    addrs, 1, &raw_tx);
	if (rc == 0)
		rc = raw_run(path, "SELECT c.id, coalesce(k.state = 'revoked', "
		    "0), s.reason FROM (SELECT ?1 AS a) q LEFT JOIN contacts c "
		    "ON c.email = q.a LEFT JOIN consent k ON k.contact_id = "
		    "c.id AND k.channel = 'email' LEFT JOIN suppressions s ON "
		    "s.address = q.a AND s.channel = 'email'",
		    "raw 3-table join, one tx per lookup", addrs, 0, &join);
	free(addrs);
	printf("blocked %lu (expected %lu), allowed %lu\n", t.blocked,
	    t.want_blocked, t.allowed);
	printf("store+policy / raw step (tx per lookup): %.2fx; / raw step "
	    "(one tx): %.2fx; email_policy / join: %.2fx\n",
	    raw > 0 ? rate / raw : 0.0, raw_tx > 0 ? rate / raw_tx : 0.0,
	    join > 0 ? raw / join : 0.0);
	printf("policy decisions/s: %.0f (goal %.0f, ratio %.2f)\n", rate,
	    GOAL, rate / GOAL);
	if (rc != 0 || t.blocked != t.want_blocked) {
		fprintf(stderr, "bench_policy: %s\n", rc != 0 ? "a baseline "
		    "failed" : "verdicts differ from the data: wrong answers");
		return 1;
	}
	return 0;
}
