/*
 * fallback.c - the daemon's fallback threads (see fallback.h): a scheduler
 * and N dispatchers around the durable outbox (lib/store_outbox.c), the
 * policy of lib/fallback.c and the drivers of channels/.
 *
 * Who decides what: the scheduler alone reads triggers, writes outbox rows
 * and claims due rows, so limits and quiet hours are decided by one thread
 * inside one transaction per batch, with no race between dispatchers.
 * A claim re-reads the recipient's delivery status in that transaction
 * (cancelled if the email was confirmed meanwhile), checks expiry, the
 * phone's consent and suppression once more (skipped: they may have
 * changed while the row waited), quiet
 * hours, FallbackMaxPerPhone (skipped) and FallbackMaxPerHour (held until
 * the hour window frees), then marks the row 'sending' (attempts + 1,
 * sent_time) and commits before any request is made.  The dispatchers
 * send and hand the answer back; the scheduler commits it (sent, retry:
 * back to pending with backoff and jitter until FallbackExpiry, or
 * failed), all answers that came in together in one transaction.  One
 * writer is on purpose: with every dispatcher writing its own answer,
 * SQLite's busy waits (sleeps of 1-50 ms on a lock) set the pace, not
 * the providers (measured against the loopback stub: ~200 messages/s
 * with a writer per dispatcher, ~1300/s with one).
 *
 * Restart safety: only as many rows are claimed as dispatchers are free,
 * so a row in 'sending' is, nearly always, a request in flight.  On start,
 * rows left in 'sending' by a killed daemon go back to pending for drivers
 * that carry the row's idempotency key (twilio, webhook: the provider
 * drops the duplicate), and become 'uncertain' for the others (kannel,
 * vonage): they are never resent without a person deciding, because the
 * message may have gone out.
 *
 * Threads and memory: the scheduler has the only store handle; each
 * dispatcher has its own struct nf_http and touches no store.  Jobs are copies of outbox rows in a
 * fixed ring (no allocation per message).  The configuration is taken per
 * poll from state.c, so a reload applies to the next decision.
 *
 * Failures: a store that is busy or failing makes the scheduler log and try
 * again at the next poll (nothing is half-written: each step is one
 * transaction); answers it could not record are kept and recorded at the
 * next turn, and no new row is claimed meanwhile; killed before that, the
 * rows are in 'sending' and the restart rule above applies.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fallback.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fallback_send.h"
#include "log.h"
#include "milter.h"
#include "store.h"
#include "../lib/fallback.h"

#define FB_POLL_MS 200		/* trigger scan period */
#define FB_SWEEP_MS 1000	/* cancel-on-delivery sweep period */
#define FB_SCAN_MAX 256		/* triggers handled per poll and kind */
#define FB_DISPATCH_MAX 32	/* dispatcher threads at most */
#define FB_KEY_EVENTS "fallback.events"
#define FB_KEY_RCPTS "fallback.recipients"

struct fb_chan {
	size_t idx;		/* in the nf_fbsend set */
	char kind[16];
	char driver[16];
};

/* A claimed row on its way to a dispatcher, and back with the answer
 * (the change to record, without pointers: jobs are copied). */
struct fb_job {
	struct nf_fb_row row;
	const struct fb_chan *chan;
	char to[NF_STORE_FB_WORD_MAX], rule[NF_STORE_FB_WORD_MAX];
	int64_t due, time;
	int sent_time;
	char provider_id[NF_STORE_FB_ID_MAX];
	char answer[NF_STORE_TEXT_MAX];
	char detail[2048];
};

struct nf_fallback {
	struct nf_fbsend *set;
	struct fb_chan chans[16];
	size_t nchans;
	char *database;
	int busy_ms;

	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job was queued, or stop */
	pthread_cond_t room;		/* a job was taken */
	struct fb_job *ring;		/* claimed, for the dispatchers */
	size_t cap, head, count;
	struct fb_job *done;		/* answered, for the scheduler to record */
	size_t dcap, dcount;
	int busy_dispatchers;		/* in a request now */
	atomic_int stop;		/* no new claims, dispatchers end */
	atomic_int sched_stop;		/* the scheduler ends (after them) */

	pthread_t sched;
	pthread_t disp[FB_DISPATCH_MAX];
	int ndisp, sched_started;
	uint64_t rnd;			/* xorshift state, under lock */
};

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
fb_random(struct nf_fallback *f)
{
	uint64_t x;

	pthread_mutex_lock(&f->lock);
	x = f->rnd;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->rnd = x;
	pthread_mutex_unlock(&f->lock);
	return (uint32_t)(x >> 16);
}

static const struct fb_chan *
chan_of_kind(const struct nf_fallback *f, const char *kind)
{
	size_t i;

	for (i = 0; i < f->nchans; i++)
		if (strcmp(f->chans[i].kind, kind) == 0)
			return &f->chans[i];
	return NULL;
}

/* The channel for a row: its own driver when still configured, else the
 * first of its kind. */
static const struct fb_chan *
chan_for_row(const struct nf_fallback *f, const struct nf_fb_row *r)
{
	size_t i;

	for (i = 0; i < f->nchans; i++)
		if (strcmp(f->chans[i].kind, r->channel) == 0 &&
		    strcmp(f->chans[i].driver, r->driver) == 0)
			return &f->chans[i];
	return chan_of_kind(f, r->channel);
}

/* ---- opening --------------------------------------------------------------- */

int
nf_fallback_open(const struct nf_conf *conf, struct nf_fallback **out,
    struct nf_buf *err)
{
	struct nf_fallback *f;
	size_t i;

	*out = NULL;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		nf_buf_puts(err, "out of memory");
		return -1;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->room, NULL);
	f->rnd = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
	    0x9e3779b97f4a7c15ULL;
	if (nf_fbsend_open(conf, &f->set, err) != 0) {
		nf_fallback_stop(f, 0);
		return -1;
	}
	for (i = 0; i < nf_fbsend_count(f->set) && i < 16; i++) {
		struct fb_chan *c = &f->chans[f->nchans++];

		c->idx = i;
		snprintf(c->kind, sizeof c->kind, "%s",
		    nf_fbsend_kind(f->set, i));
		snprintf(c->driver, sizeof c->driver, "%s",
		    nf_fbsend_driver(f->set, i));
	}
	*out = f;
	return 0;
}

int
nf_fallback_channels_differ(const struct nf_conf *a, const struct nf_conf *b)
{
	size_t i, j;

	if (a->nchannels != b->nchannels)
		return 1;
	for (i = 0; i < a->nchannels; i++) {
		const struct nf_conf_channel *x = &a->channels[i];
		const struct nf_conf_channel *y = &b->channels[i];

		if (strcmp(x->kind, y->kind) != 0 ||
		    strcmp(x->driver, y->driver) != 0 || x->nkv != y->nkv)
			return 1;
		for (j = 0; j < x->nkv; j++)
			if (strcmp(x->kv[j].key, y->kv[j].key) != 0 ||
			    strcmp(x->kv[j].value, y->kv[j].value) != 0)
				return 1;
	}
	return 0;
}

/* ---- the scheduler: new rows ----------------------------------------------- */

/* Make the outbox row for one trigger (pending, or skipped with why). */
static int
make_row(struct nf_fallback *f, struct nf_store *s, const struct nf_conf *c,
    const struct nf_fb_candidate *cand, const char *trigger, int64_t now)
{
	struct nf_message *m = malloc(sizeof *m);
	struct nf_contact *ct = malloc(sizeof *ct);
	struct nf_fb_text *tx = malloc(sizeof *tx);
	struct nf_fb_option opt[NF_CH_COUNT];
	int yes = 0;
	struct nf_fb_new r = { 0 };
	char key[NF_STORE_FB_KEY_MAX], phone[NF_STORE_PHONE_MAX];
	char why[NF_STORE_TEXT_MAX], detail[4096];
	char mask[NF_LOG_MASK_MAX], mrcpt[NF_LOG_MASK_MAX];
	const char *from_what = "";
	size_t i, n = 0;
	int rc, have_contact = 0, pick = -1;

	if (m == NULL || ct == NULL || tx == NULL) {
		rc = NF_STORE_ERR;
		goto out;
	}
	rc = nf_store_message_find(s, cand->token, m);
	if (rc == NF_STORE_NOTFOUND)
		rc = NF_STORE_OK;	/* erased since: nothing to send */
	if (rc != NF_STORE_OK || m->token[0] == '\0')
		goto out;
	phone[0] = '\0';
	rc = nf_store_contact_find(s, cand->recipient, ct);
	if (rc == NF_STORE_OK && ct->phone[0] != '\0') {
		have_contact = 1;
		snprintf(phone, sizeof phone, "%s", ct->phone);
		from_what = "the contact's phone";
	} else if (rc == NF_STORE_OK || rc == NF_STORE_NOTFOUND) {
		if (m->phone_hint_valid && m->phone_hint[0] == '+' &&
		    strlen(m->phone_hint) < sizeof phone) {
			snprintf(phone, sizeof phone, "%s", m->phone_hint);
			from_what = "the message's X-Notifilter-Phone";
			/* consent is the phone owner's, if we know them */
			rc = nf_store_contact_find(s, phone, ct);
			have_contact = rc == NF_STORE_OK;
			if (rc == NF_STORE_NOTFOUND)
				rc = NF_STORE_OK;
		} else
			rc = NF_STORE_OK;
	}
	if (rc != NF_STORE_OK)
		goto out;

	nf_fb_idem_key(cand->token, cand->recipient, key, sizeof key);
	r.message = cand->message;
	r.token = cand->token;
	r.recipient = cand->recipient;
	r.trigger = trigger;
	r.trigger_detail = cand->detail;
	r.idem_key = key;
	r.time = now;
	r.due = now;
	r.expires = cand->time + c->fallback_expiry;
	if (strcmp(trigger, "timeout") == 0)
		r.expires = now + c->fallback_expiry;
	r.event_detail = detail;

	if (phone[0] == '\0') {
		r.state = "skipped";
		r.answer = "no phone: no contact with this email has a phone, "
		    "and the message had no valid X-Notifilter-Phone";
		snprintf(detail, sizeof detail, "trigger %s (%s); not sent: "
		    "%s", trigger, cand->detail, r.answer);
		goto add;
	}
	r.phone = phone;
	for (i = 0; i < c->nfallback_channels && n < NF_CH_COUNT; i++) {
		enum nf_channel ch;
		struct nf_fb_option *o = &opt[n];

		if (nf_channel_parse(c->fallback_channels[i], &ch) != 0 ||
		    ch == NF_CH_EMAIL)
			continue;
		o->kind = nf_channel_name(ch);
		o->configured = chan_of_kind(f, o->kind) != NULL;
		o->consent = have_contact ? ct->consent[ch].state :
		    NF_CONSENT_NONE;
		/* clear suppressions and erased (hashed) ones alike */
		rc = nf_store_phone_suppressed(s, phone, ch, &yes);
		if (rc != NF_STORE_OK)
			goto out;
		o->suppressed = yes != 0;
		n++;
	}
	pick = nf_fb_choose(opt, n, c->default_phone_consent, why, sizeof why);
	if (pick < 0) {
		r.state = "skipped";
		r.answer = why;
		snprintf(detail, sizeof detail, "trigger %s (%s); to %s (%s); "
		    "not sent: %s", trigger, cand->detail, phone, from_what,
		    why);
		goto add;
	}
	r.channel = opt[pick].kind;
	r.driver = chan_of_kind(f, r.channel)->driver;
	if (nf_fb_render(m->fallback_text, c->fallback_template, m->subject,
	    m->header_from, cand->token, (long)c->fallback_max_segments,
	    tx) != 0) {
		r.state = "skipped";
		r.answer = "empty text: the message has no fallback text and "
		    "FallbackTemplate gave nothing (empty Subject?)";
		snprintf(detail, sizeof detail, "trigger %s (%s); not sent: %s",
		    trigger, cand->detail, r.answer);
		goto add;
	}
	r.state = "pending";
	r.text = tx->text;
	r.encoding = tx->coding;
	r.segments = (int)tx->segments;
	snprintf(detail, sizeof detail, "trigger %s (%s); %s via %s to %s "
	    "(%s); %zu segment%s %s%s", trigger, cand->detail, r.channel,
	    r.driver, phone, from_what, tx->segments,
	    tx->segments == 1 ? "" : "s", tx->coding,
	    tx->cut ? ", text cut to FallbackMaxSegments" : "");
add:
	rc = nf_store_fb_add(s, &r);
	if (rc == NF_STORE_CONFLICT)
		rc = NF_STORE_OK;	/* a row exists: at most one per pair */
	else if (rc == NF_STORE_OK) {
		nf_log_mask(cand->recipient, mrcpt, sizeof mrcpt);
		nf_log_mask(phone, mask, sizeof mask);
		nf_info("fallback %s: %s of %s (%s)%s%s", strcmp(r.state,
		    "pending") == 0 ? "queued" : r.state, mrcpt, cand->token,
		    trigger, r.answer ? ": " : "", r.answer ? r.answer : "");
	}
out:
	free(m);
	free(ct);
	free(tx);
	return rc;
}

/* A watermark from the state table: "ID:MARK", or "ID" as saved before
 * marks (mark -1: unknown). */
static int
state_mark(struct nf_store *s, const char *key, struct nf_fb_watermark *w)
{
	char buf[64], *end;
	int rc = nf_store_state_get(s, key, buf, sizeof buf);

	if (rc == NF_STORE_OK) {
		w->id = strtoll(buf, &end, 10);
		w->mark = *end == ':' ? strtoll(end + 1, NULL, 10) : -1;
	}
	return rc;
}

static int
state_put(struct nf_store *s, const char *key, const struct nf_fb_watermark *w)
{
	char buf[64];

	snprintf(buf, sizeof buf, "%lld:%lld", (long long)w->id,
	    (long long)w->mark);
	return nf_store_state_set(s, key, buf);
}

struct cursor {
	struct nf_fb_watermark events, rcpts;
	int loaded;
};

/* From when a trigger can still matter: older ones expire unsent. */
static int64_t
scan_since(const struct nf_conf *c)
{
	return now_s() - c->fallback_expiry - c->fallback_after;
}

static int
cursor_load(struct nf_store *s, const struct nf_conf *c, struct cursor *cur)
{
	int r1, r2, rc;

	r1 = state_mark(s, FB_KEY_EVENTS, &cur->events);
	r2 = state_mark(s, FB_KEY_RCPTS, &cur->rcpts);
	if (r1 == NF_STORE_OK && r2 == NF_STORE_OK) {
		cur->loaded = 1;
		return NF_STORE_OK;
	}
	if ((r1 != NF_STORE_OK && r1 != NF_STORE_NOTFOUND) ||
	    (r2 != NF_STORE_OK && r2 != NF_STORE_NOTFOUND))
		return r1 != NF_STORE_OK ? r1 : r2;
	/* first start: only what is recent enough to matter */
	{
		int64_t e = 0, r = 0;

		rc = nf_store_fb_cursor_start(s, scan_since(c), &e, &r);
		if (rc != NF_STORE_OK)
			return rc;
		if (r1 != NF_STORE_OK) {
			cur->events.id = e;
			cur->events.mark = -1;	/* the first read sets it */
		}
		if (r2 != NF_STORE_OK) {
			cur->rcpts.id = r;
			cur->rcpts.mark = -1;
		}
	}
	cur->loaded = 1;
	return NF_STORE_OK;
}

static int
same_mark(const struct nf_fb_watermark *a, const struct nf_fb_watermark *b)
{
	return a->id == b->id && a->mark == b->mark;
}

/* One poll for new triggers: rows and the watermarks in one transaction. */
static int
scan(struct nf_fallback *f, struct nf_store *s, const struct nf_conf *c,
    struct cursor *cur, struct nf_fb_candidate *cand)
{
	struct nf_fb_candidate *late = cand + FB_SCAN_MAX;
	struct nf_fb_watermark next_e = cur->events, next_r = cur->rcpts;
	int64_t now = now_s();
	size_t n = 0, nl = 0, i;
	int rc, rew_e = 0, rew_r = 0;

	if (!cur->loaded && (rc = cursor_load(s, c, cur)) != NF_STORE_OK)
		return rc;
	/* reads first: most polls find nothing and take no write lock */
	rc = nf_store_fb_failures_at(s, &cur->events, scan_since(c),
	    FB_SCAN_MAX, cand, &n, &next_e, &rew_e);
	if (rc == NF_STORE_OK && c->fallback_after > 0)
		rc = nf_store_fb_overdue_at(s, &cur->rcpts, scan_since(c),
		    now - c->fallback_after, c->mail_log != NULL, FB_SCAN_MAX,
		    late, &nl, &next_r, &rew_r);
	if (rc != NF_STORE_OK)
		return rc;
	if (rew_e || rew_r)
		nf_info("fallback: the %s watermark's row (#%lld) was erased "
		    "(contact remove) and its id may have been reused: the "
		    "last FallbackExpiry is looked at again; rows that exist "
		    "are not made twice", rew_e ? "event" : "recipient",
		    (long long)(rew_e ? cur->events.id : cur->rcpts.id));
	if (n == 0 && nl == 0 && same_mark(&next_e, &cur->events) &&
	    same_mark(&next_r, &cur->rcpts))
		return NF_STORE_OK;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return rc;
	for (i = 0; i < n && rc == NF_STORE_OK; i++)
		rc = make_row(f, s, c, &cand[i], cand[i].status, now);
	for (i = 0; i < nl && rc == NF_STORE_OK; i++) {
		late[i].time = now;
		rc = make_row(f, s, c, &late[i], "timeout", now);
	}
	if (rc == NF_STORE_OK && !same_mark(&next_e, &cur->events))
		rc = state_put(s, FB_KEY_EVENTS, &next_e);
	if (rc == NF_STORE_OK && !same_mark(&next_r, &cur->rcpts))
		rc = state_put(s, FB_KEY_RCPTS, &next_r);
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		nf_store_rollback(s);
		return rc;
	}
	cur->events = next_e;
	cur->rcpts = next_r;
	return NF_STORE_OK;
}

/* ---- the scheduler: state changes ------------------------------------------ */

static int
step(struct nf_store *s, const struct nf_fb_row *r, const char *to,
    const char *rule, int64_t due, const char *answer, const char *detail)
{
	struct nf_fb_step x = { 0 };

	x.id = r->id;
	x.from = r->state;
	x.to = to;
	x.rule = rule;
	x.due = due;
	x.answer = answer;
	x.detail = detail;
	return nf_store_fb_step(s, &x);
}

/* Cancel rows whose email was confirmed after they were queued. */
static int
sweep(struct nf_store *s, struct nf_fb_row *rows, size_t max)
{
	char detail[NF_STORE_TEXT_MAX];
	size_t n = 0, i;
	int rc;

	if ((rc = nf_store_fb_confirmed(s, max, rows, &n)) != NF_STORE_OK ||
	    n == 0)
		return rc;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return rc;
	for (i = 0; i < n && rc == NF_STORE_OK; i++) {
		snprintf(detail, sizeof detail, "email delivery confirmed "
		    "first (status %s): not sent", rows[i].rstatus);
		rc = step(s, &rows[i], "cancelled", "cancelled", 0,
		    "email delivered first", detail);
		if (rc == NF_STORE_NOTFOUND)
			rc = NF_STORE_OK;
	}
	if (rc == NF_STORE_OK)
		return nf_store_commit(s);
	nf_store_rollback(s);
	return rc;
}

static int
confirmed(const char *status)
{
	return strcmp(status, "sent") == 0 || strcmp(status, "delivered") == 0 ||
	    strcmp(status, "relayed") == 0;
}

/*
 * Consent and suppression once more, at the moment of the claim: a row
 * can wait long (backoff until FallbackExpiry, quiet hours, the hourly
 * limit), and a consent revoked, a phone suppressed or DefaultPhoneConsent
 * turned off meanwhile must stop it.  The consent is looked up as
 * make_row did: the recipient's contact when it has this phone, else the
 * phone's owner, else none.  NF_STORE_OK with why[0] set when the row must
 * not go out.
 */
static int
still_allowed(struct nf_store *s, const struct nf_conf *c,
    const struct nf_fb_row *r, char *why, size_t len)
{
	struct nf_contact *ct = malloc(sizeof *ct);
	struct nf_fb_option o = { 0 };
	enum nf_channel ch;
	int rc, yes = 0;

	why[0] = '\0';
	if (ct == NULL)
		return NF_STORE_ERR;
	o.kind = r->channel;
	o.configured = 1;
	o.consent = NF_CONSENT_NONE;
	if (nf_channel_parse(r->channel, &ch) != 0 || ch == NF_CH_EMAIL) {
		snprintf(why, len, "%s: not a phone channel", r->channel);
		free(ct);
		return NF_STORE_OK;
	}
	rc = nf_store_contact_find(s, r->recipient, ct);
	if (rc == NF_STORE_OK && strcmp(ct->phone, r->phone) == 0)
		o.consent = ct->consent[ch].state;
	else if (rc == NF_STORE_OK || rc == NF_STORE_NOTFOUND) {
		rc = nf_store_contact_find(s, r->phone, ct);
		if (rc == NF_STORE_OK)
			o.consent = ct->consent[ch].state;
		else if (rc == NF_STORE_NOTFOUND)
			rc = NF_STORE_OK;
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_phone_suppressed(s, r->phone, ch, &yes);
	if (rc == NF_STORE_OK) {
		o.suppressed = yes != 0;
		if (nf_fb_choose(&o, 1, c->default_phone_consent, why, len) == 0)
			why[0] = '\0';
		else if (why[0] == '\0')
			snprintf(why, len, "%s: not allowed", r->channel);
	}
	free(ct);
	return rc;
}

static void
hhmm(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(out, len,
	    "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(out, len, "@%lld", (long long)t);
}

/*
 * Claim up to `max` due rows in one transaction; the ones to send are
 * copied to jobs[] (*njobs).  Limits count rows already claimed in this
 * batch too.
 */
static int
claim(struct nf_fallback *f, struct nf_store *s, const struct nf_conf *c,
    struct nf_fb_row *rows, size_t max, struct fb_job *jobs, size_t *njobs)
{
	char detail[4096], when[64], answer[NF_STORE_TEXT_MAX];
	char why[NF_STORE_TEXT_MAX / 2];
	int64_t now = now_s(), hour_n = 0, q, until;
	size_t n = 0, i, j;
	int rc;

	*njobs = 0;
	if (max == 0)
		return NF_STORE_OK;
	/* a read first: nothing due (the usual answer) takes no write lock */
	if ((rc = nf_store_fb_due(s, now, max, rows, &n)) != NF_STORE_OK ||
	    n == 0)
		return rc;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return rc;
	rc = nf_store_fb_due(s, now, max, rows, &n);
	if (rc == NF_STORE_OK && n > 0 && c->fallback_max_per_hour > 0)
		rc = nf_store_fb_sent_count(s, NULL, now - 3600, &hour_n);
	for (i = 0; i < n && rc == NF_STORE_OK; i++) {
		struct nf_fb_row *r = &rows[i];
		const struct fb_chan *ch = chan_for_row(f, r);
		int64_t phone_n = 0;
		struct nf_fb_step x = { 0 };

		if (confirmed(r->rstatus)) {
			snprintf(detail, sizeof detail, "email delivery "
			    "confirmed first (status %s): not sent", r->rstatus);
			rc = step(s, r, "cancelled", "cancelled", 0,
			    "email delivered first", detail);
			goto next;
		}
		if (now >= r->expires) {
			snprintf(detail, sizeof detail, "expired: FallbackExpiry "
			    "passed before it could be sent (%d attempt%s)%s%s",
			    r->attempts, r->attempts == 1 ? "" : "s",
			    r->answer[0] ? "; last answer: " : "", r->answer);
			rc = step(s, r, "failed", "failed", 0, "expired", detail);
			goto next;
		}
		rc = still_allowed(s, c, r, why, sizeof why);
		if (rc != NF_STORE_OK)
			break;
		if (why[0] != '\0') {
			snprintf(answer, sizeof answer, "not sent: %s (changed "
			    "after it was queued)", why);
			rc = step(s, r, "skipped", "skipped", 0, answer, answer);
			goto next;
		}
		if (ch == NULL) {
			snprintf(detail, sizeof detail, "no %s Channel is "
			    "configured any more: not sent", r->channel);
			rc = step(s, r, "failed", "failed", 0,
			    "channel not configured", detail);
			goto next;
		}
		q = nf_fb_quiet_until(c->quiet_start, c->quiet_end,
		    c->fallback_time_zone, now);
		if (q > 0) {
			hhmm(q, when, sizeof when);
			snprintf(answer, sizeof answer, "quiet hours (%s) until "
			    "%s", c->fallback_quiet_hours ?
			    c->fallback_quiet_hours : "", when);
			rc = step(s, r, "held", "held", q, answer, answer);
			goto next;
		}
		if (c->fallback_max_per_phone > 0) {
			rc = nf_store_fb_sent_count(s, r->phone, now - 86400,
			    &phone_n);
			for (j = 0; j < *njobs; j++)
				if (strcmp(jobs[j].row.phone, r->phone) == 0)
					phone_n++;
			if (rc == NF_STORE_OK &&
			    phone_n >= c->fallback_max_per_phone) {
				snprintf(answer, sizeof answer, "FallbackMaxPer"
				    "Phone reached: %lld to this phone within "
				    "24 hours (limit %lld)", (long long)phone_n,
				    (long long)c->fallback_max_per_phone);
				rc = step(s, r, "skipped", "skipped", 0, answer,
				    answer);
				goto next;
			}
			if (rc != NF_STORE_OK)
				break;
		}
		if (c->fallback_max_per_hour > 0 &&
		    hour_n + (int64_t)*njobs >= c->fallback_max_per_hour) {
			int64_t t = 0;

			rc = nf_store_fb_sent_nth(s, now - 3600, hour_n +
			    (int64_t)*njobs - c->fallback_max_per_hour, &t);
			until = t > 0 ? t + 3600 + 1 : now + 60;
			if (until > r->expires)
				until = r->expires;
			hhmm(until, when, sizeof when);
			snprintf(answer, sizeof answer, "FallbackMaxPerHour "
			    "reached (%lld within the hour): held until %s",
			    (long long)c->fallback_max_per_hour, when);
			if (rc == NF_STORE_OK)
				rc = step(s, r, "held", "held", until, answer,
				    answer);
			goto next;
		}
		snprintf(detail, sizeof detail, "attempt %d: %s via %s to %s, "
		    "key %s", r->attempts + 1, r->channel, ch->driver, r->phone,
		    r->idem_key);
		x.id = r->id;
		x.from = r->state;
		x.to = "sending";
		x.rule = "sending";
		x.attempt = 1;
		x.sent_time = 1;
		x.time = now;
		x.detail = detail;
		rc = nf_store_fb_step(s, &x);
		if (rc == NF_STORE_OK) {
			jobs[*njobs].row = *r;
			snprintf(jobs[*njobs].row.state,
			    sizeof jobs[*njobs].row.state, "sending");
			jobs[*njobs].row.attempts++;
			jobs[*njobs].chan = ch;
			(*njobs)++;
		}
next:
		if (rc == NF_STORE_NOTFOUND)
			rc = NF_STORE_OK;	/* changed meanwhile: leave it */
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		nf_store_rollback(s);
		*njobs = 0;
	}
	return rc;
}

/* Rows left in 'sending' by a daemon that did not stop cleanly. */
static int
recover(struct nf_store *s, struct nf_fb_row *rows, size_t max)
{
	char detail[4096], mask[NF_LOG_MASK_MAX], mrcpt[NF_LOG_MASK_MAX];
	size_t n = 0, i, again = 0, unsure = 0;
	int rc;

	do {
		if ((rc = nf_store_fb_in_state(s, "sending", max, rows, &n)) !=
		    NF_STORE_OK)
			return rc;
		if (n == 0 || (rc = nf_store_begin(s)) != NF_STORE_OK)
			break;
		for (i = 0; i < n && rc == NF_STORE_OK; i++) {
			const struct nf_fb_row *r = &rows[i];

			if (nf_fb_driver_resends(r->driver)) {
				snprintf(detail, sizeof detail, "the daemon "
				    "stopped while attempt %d via %s was in "
				    "flight; sent again with the same "
				    "idempotency key %s, so the provider drops "
				    "a duplicate", r->attempts, r->driver,
				    r->idem_key);
				struct nf_fb_step x = { 0 };

				/* the resend is the same message: the claim sets
				 * sent_time again, and until then the row must not
				 * count against FallbackMaxPerPhone/PerHour (it would
				 * be skipped by its own count) */
				x.id = r->id;
				x.from = r->state;
				x.to = "pending";
				x.rule = "retry";
				x.due = now_s();
				x.sent_time = -1;
				x.detail = detail;
				rc = nf_store_fb_step(s, &x);
				again++;
			} else {
				snprintf(detail, sizeof detail, "the daemon "
				    "stopped while attempt %d via %s to %s was "
				    "in flight; %s takes no idempotency key, so "
				    "the message may or may not have gone out: "
				    "not resent automatically (check the "
				    "provider's log)", r->attempts, r->driver,
				    r->phone, r->driver);
				rc = step(s, r, "uncertain", "uncertain", 0,
				    "interrupted mid-request; not resent",
				    detail);
				nf_log_mask(r->phone, mask, sizeof mask);
				nf_log_mask(r->recipient, mrcpt, sizeof mrcpt);
				nf_warn("fallback uncertain: %s of %s via %s "
				    "to %s was in flight when the daemon "
				    "stopped; not resent (check the provider's "
				    "log)", mrcpt, r->token, r->driver, mask);
				unsure++;
			}
			if (rc == NF_STORE_NOTFOUND)
				rc = NF_STORE_OK;
		}
		if (rc == NF_STORE_OK)
			rc = nf_store_commit(s);
		if (rc != NF_STORE_OK) {
			nf_store_rollback(s);
			return rc;
		}
	} while (n == max);
	if (again + unsure > 0)
		nf_info("fallback: %zu interrupted request(s) queued again "
		    "(idempotent drivers), %zu marked uncertain", again, unsure);
	return NF_STORE_OK;
}

/* Rows claimed but never handed to a dispatcher (stopping): pending. */
static void
unclaim(struct nf_store *s, struct fb_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct nf_fb_step x = { 0 };

		x.id = jobs[i].row.id;
		x.from = "sending";
		x.to = "pending";
		x.rule = "retry";
		x.due = now_s();
		x.sent_time = -1;
		x.detail = "not sent: the daemon stopped before the request; "
		    "it goes out after the restart";
		nf_store_fb_step(s, &x);
	}
}

static void
sched_wait(struct nf_fallback *f, int64_t until_ms)
{
	struct timespec ts;
	int64_t left = until_ms - mono_ms();

	if (left <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	/* woken early when a dispatcher finishes (room to claim more) */
	pthread_mutex_lock(&f->lock);
	if (!atomic_load(&f->sched_stop) && f->dcount == 0)
		pthread_cond_timedwait(&f->room, &f->lock, &ts);
	pthread_mutex_unlock(&f->lock);
}

/*
 * Record the answers the dispatchers handed back, all in one transaction:
 * one writer for every result keeps the dispatchers off the write lock
 * (with several writers SQLite's busy waits, not the providers, set the
 * pace).  On failure nothing is recorded and *n stays: tried again.
 */
static int
record_all(struct nf_store *s, struct fb_job *fin, size_t *n)
{
	size_t i;
	int rc;

	if (*n == 0)
		return NF_STORE_OK;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return rc;
	for (i = 0; i < *n && rc == NF_STORE_OK; i++) {
		struct fb_job *j = &fin[i];
		struct nf_fb_step x = { 0 };

		x.id = j->row.id;
		x.from = "sending";
		x.to = j->to;
		x.rule = j->rule;
		x.due = j->due;
		x.sent_time = j->sent_time;
		x.provider_id = j->provider_id[0] ? j->provider_id : NULL;
		x.answer = j->answer;
		x.detail = j->detail;
		x.time = j->time;
		rc = nf_store_fb_step(s, &x);
		if (rc == NF_STORE_NOTFOUND)
			rc = NF_STORE_OK;	/* changed by hand meanwhile */
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		nf_store_rollback(s);
		return rc;
	}
	*n = 0;
	return NF_STORE_OK;
}

/* Move the dispatchers' answers to fin[] (after the *n kept ones). */
static void
take_done(struct nf_fallback *f, struct fb_job *fin, size_t max, size_t *n)
{
	pthread_mutex_lock(&f->lock);
	while (f->dcount > 0 && *n < max)
		fin[(*n)++] = f->done[--f->dcount];
	pthread_cond_broadcast(&f->room);
	pthread_mutex_unlock(&f->lock);
}

static void *
sched_main(void *arg)
{
	struct nf_fallback *f = arg;
	struct nf_fb_candidate *cand = calloc(2 * FB_SCAN_MAX, sizeof *cand);
	struct nf_fb_row *rows = calloc(FB_DISPATCH_MAX * 2 + FB_SCAN_MAX,
	    sizeof *rows);
	struct fb_job *jobs = calloc(FB_DISPATCH_MAX * 2, sizeof *jobs);
	struct fb_job *fin = calloc(FB_DISPATCH_MAX * 4, sizeof *fin);
	struct nf_store *s = NULL;
	struct cursor cur = { 0 };
	char err[1024];
	int64_t next_scan = 0, next_sweep = 0, last_err = 0;
	size_t nfin = 0;
	int recovered = 0, rc;

	if (cand == NULL || rows == NULL || jobs == NULL || fin == NULL) {
		nf_err("fallback scheduler: out of memory; no fallback is "
		    "sent until a restart");
		goto out;
	}
	while (!atomic_load(&f->sched_stop)) {
		struct nf_conf *c;
		size_t free_slots, njobs = 0, i;
		int64_t t = mono_ms();
		int full = 0, stopping = atomic_load(&f->stop);

		if (s == NULL && nf_store_open(f->database, 0, f->busy_ms, &s,
		    err, sizeof err) != NF_STORE_OK) {
			s = NULL;
			if (t - last_err > 60000) {
				nf_err("fallback scheduler: %s; trying again",
				    err);
				last_err = t;
			}
			sched_wait(f, t + 1000);
			continue;
		}
		c = nf_milter_conf_get();
		take_done(f, fin, FB_DISPATCH_MAX * 4, &nfin);
		rc = record_all(s, fin, &nfin);
		if (rc == NF_STORE_OK && !recovered && (rc = recover(s, rows, FB_SCAN_MAX)) ==
		    NF_STORE_OK)
			recovered = 1;
		if (rc == NF_STORE_OK && recovered && !stopping &&
		    t >= next_scan) {
			next_scan = t + FB_POLL_MS;
			rc = scan(f, s, c, &cur, cand);
		}
		if (rc == NF_STORE_OK && recovered && t >= next_sweep) {
			next_sweep = t + FB_SWEEP_MS;
			rc = sweep(s, rows, FB_SCAN_MAX);
		}
		pthread_mutex_lock(&f->lock);
		free_slots = f->cap - f->count;
		/* claim for idle dispatchers only: a row in 'sending' should
		 * be a request in flight (see the top comment) */
		if ((size_t)f->busy_dispatchers + f->count >= (size_t)f->ndisp)
			free_slots = 0;
		else if (free_slots > (size_t)f->ndisp -
		    (size_t)f->busy_dispatchers - f->count)
			free_slots = (size_t)f->ndisp -
			    (size_t)f->busy_dispatchers - f->count;
		pthread_mutex_unlock(&f->lock);
		if (rc == NF_STORE_OK && recovered && !stopping &&
		    nfin == 0 && free_slots > 0 && f->nchans > 0) {
			rc = claim(f, s, c, rows, free_slots, jobs, &njobs);
			full = njobs == free_slots;
		}
		nf_conf_unref(c);
		if (njobs > 0) {
			pthread_mutex_lock(&f->lock);
			for (i = 0; i < njobs && f->count < f->cap; i++) {
				f->ring[(f->head + f->count) % f->cap] = jobs[i];
				f->count++;
			}
			pthread_cond_broadcast(&f->work);
			pthread_mutex_unlock(&f->lock);
			if (i < njobs)	/* cannot happen: claimed for room */
				unclaim(s, jobs + i, njobs - i);
		}
		if (rc != NF_STORE_OK) {
			if (t - last_err > 10000) {
				nf_warn("fallback scheduler: %s; trying again",
				    nf_store_errmsg(s));
				last_err = t;
			}
			if (rc == NF_STORE_ERR || rc == NF_STORE_SCHEMA) {
				nf_store_close(s);
				s = NULL;
			}
			sched_wait(f, t + FB_POLL_MS);
			continue;
		}
		/* more may be due: go on as soon as a dispatcher is free */
		sched_wait(f, full ? t + FB_POLL_MS : next_scan);
	}
	/* stopping: the last answers are recorded; what no dispatcher took
	 * goes back to pending */
	if (s != NULL) {
		size_t n;

		take_done(f, fin, FB_DISPATCH_MAX * 4, &nfin);
		for (n = 0; n < 20 && nfin > 0; n++)
			if (record_all(s, fin, &nfin) != NF_STORE_OK)
				usleep(100000);
		if (nfin > 0)
			nf_err("fallback: %zu answer(s) could not be recorded "
			    "at shutdown (%s): those rows stay 'sending' and are "
			    "handled at the next start", nfin,
			    nf_store_errmsg(s));

		pthread_mutex_lock(&f->lock);
		n = f->count;
		for (size_t i = 0; i < n; i++)
			jobs[i] = f->ring[(f->head + i) % f->cap];
		f->count = 0;
		pthread_mutex_unlock(&f->lock);
		unclaim(s, jobs, n);
	}
out:
	nf_store_close(s);
	free(cand);
	free(rows);
	free(jobs);
	free(fin);
	return NULL;
}

/* ---- dispatchers ------------------------------------------------------------ */

/* Turn the provider's answer into the row's next state, in j. */
static void
answer_to_step(struct nf_fallback *f, struct fb_job *j,
    const struct nf_fbsend_result *res)
{
	const struct nf_fb_row *r = &j->row;
	char mask[NF_LOG_MASK_MAX], mrcpt[NF_LOG_MASK_MAX];
	int64_t now = now_s(), wait;

	j->time = now;
	j->due = 0;
	j->sent_time = 0;
	snprintf(j->answer, sizeof j->answer, "%s", res->answer);
	snprintf(j->provider_id, sizeof j->provider_id, "%s", res->status ==
	    NF_FBSEND_OK ? res->provider_id : "");
	nf_log_mask(r->phone, mask, sizeof mask);
	nf_log_mask(r->recipient, mrcpt, sizeof mrcpt);
	switch (res->status) {
	case NF_FBSEND_OK:
		snprintf(j->to, sizeof j->to, "sent");
		snprintf(j->rule, sizeof j->rule, "sent");
		snprintf(j->detail, sizeof j->detail, "sent via %s %s to %s: "
		    "provider id %s; %d segment%s %s; %s (%.3fs)", r->channel,
		    j->chan->driver, r->phone, res->provider_id[0] ?
		    res->provider_id : "(none given)", r->segments,
		    r->segments == 1 ? "" : "s", r->encoding, res->answer,
		    res->seconds);
		nf_info("fallback sent: %s of %s via %s to %s, provider id %s",
		    mrcpt, r->token, j->chan->driver, mask,
		    res->provider_id[0] ? res->provider_id : "none");
		return;
	case NF_FBSEND_RETRY:
		wait = nf_fb_backoff(r->attempts, res->retry_after,
		    fb_random(f));
		j->sent_time = -1;
		if (now + wait < r->expires) {
			snprintf(j->to, sizeof j->to, "pending");
			snprintf(j->rule, sizeof j->rule, "retry");
			j->due = now + wait;
			snprintf(j->detail, sizeof j->detail, "attempt %d via %s: "
			    "%s; next attempt in %llds%s", r->attempts,
			    j->chan->driver, res->answer, (long long)wait,
			    res->retry_after > 0 ? " (the provider's "
			    "Retry-After)" : "");
			return;
		}
		snprintf(j->to, sizeof j->to, "failed");
		snprintf(j->rule, sizeof j->rule, "failed");
		snprintf(j->detail, sizeof j->detail, "gave up after %d "
		    "attempt%s via %s: FallbackExpiry reached; last answer: %s",
		    r->attempts, r->attempts == 1 ? "" : "s", j->chan->driver,
		    res->answer);
		nf_warn("fallback failed: %s of %s via %s to %s: FallbackExpiry "
		    "reached: %s", mrcpt, r->token, j->chan->driver, mask,
		    res->answer);
		return;
	default:
		j->sent_time = -1;
		snprintf(j->to, sizeof j->to, "failed");
		snprintf(j->rule, sizeof j->rule, "failed");
		snprintf(j->detail, sizeof j->detail, "refused by %s "
		    "(permanent): %s", j->chan->driver, res->answer);
		nf_warn("fallback failed: %s of %s via %s to %s: %s", mrcpt,
		    r->token, j->chan->driver, mask, res->answer);
	}
}

/*
 * A dispatcher: takes a claimed row, makes the request, hands the answer
 * back to the scheduler, which records it (see record_all).  It touches
 * no store: the request is all it waits for.
 */
static void *
disp_main(void *arg)
{
	struct nf_fallback *f = arg;
	struct nf_http *h = nf_fbsend_http_new();
	struct fb_job *j = malloc(sizeof *j);
	struct nf_fbsend_result *res = malloc(sizeof *res);

	if (h == NULL || j == NULL || res == NULL) {
		nf_err("fallback dispatcher: out of memory; one dispatcher "
		    "less until a restart");
		goto out;
	}
	for (;;) {
		pthread_mutex_lock(&f->lock);
		while (f->count == 0 && !atomic_load(&f->stop))
			pthread_cond_wait(&f->work, &f->lock);
		if (atomic_load(&f->stop)) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		*j = f->ring[f->head];
		f->head = (f->head + 1) % f->cap;
		f->count--;
		f->busy_dispatchers++;
		pthread_mutex_unlock(&f->lock);

		nf_fbsend_send(f->set, j->chan->idx, h, j->row.phone,
		    j->row.text, j->row.token, j->row.idem_key, res);
		answer_to_step(f, j, res);

		pthread_mutex_lock(&f->lock);
		/* the scheduler claims nothing while answers wait, so there
		 * is always room; the wait is a guard, bounded by stop */
		while (f->dcount >= f->dcap && !atomic_load(&f->sched_stop))
			pthread_cond_wait(&f->room, &f->lock);
		if (f->dcount < f->dcap)
			f->done[f->dcount++] = *j;
		f->busy_dispatchers--;
		pthread_cond_broadcast(&f->room);
		pthread_mutex_unlock(&f->lock);
	}
out:
	nf_fbsend_http_free(h);
	free(j);
	free(res);
	return NULL;
}

/* ---- start and stop ---------------------------------------------------------- */

int
nf_fallback_start(struct nf_fallback *f, const char *database, int busy_ms,
    int dispatchers, char *err, size_t errlen)
{
	int i;

	if (dispatchers < 1)
		dispatchers = 1;
	if (dispatchers > FB_DISPATCH_MAX)
		dispatchers = FB_DISPATCH_MAX;
	f->busy_ms = busy_ms > 0 ? busy_ms : 2000;
	f->cap = (size_t)dispatchers;
	f->ring = calloc(f->cap, sizeof *f->ring);
	f->dcap = 4 * (size_t)dispatchers;
	f->done = calloc(f->dcap, sizeof *f->done);
	f->database = strdup(database);
	if (f->ring == NULL || f->done == NULL || f->database == NULL) {
		snprintf(err, errlen, "fallback: out of memory");
		return -1;
	}
	for (i = 0; i < dispatchers; i++) {
		if (pthread_create(&f->disp[i], NULL, disp_main, f) != 0)
			break;
		f->ndisp++;
	}
	if (f->ndisp < dispatchers ||
	    pthread_create(&f->sched, NULL, sched_main, f) != 0) {
		snprintf(err, errlen, "fallback: cannot start its threads: %s",
		    strerror(errno));
		atomic_store(&f->stop, 1);
		atomic_store(&f->sched_stop, 1);
		pthread_mutex_lock(&f->lock);
		pthread_cond_broadcast(&f->work);
		pthread_cond_broadcast(&f->room);
		pthread_mutex_unlock(&f->lock);
		for (i = 0; i < f->ndisp; i++)
			pthread_join(f->disp[i], NULL);
		f->ndisp = 0;
		return -1;
	}
	f->sched_started = 1;
	nf_info("fallback: %zu channel(s), %d dispatcher(s)", f->nchans,
	    f->ndisp);
	return 0;
}

/* Join with a deadline; 0 joined, -1 still running (left behind). */
static int
join_by(pthread_t t, int64_t deadline_ms)
{
	struct timespec ts;
	int64_t ms = deadline_ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms -= mono_ms();
	if (ms < 0)
		ms = 0;
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0 ? 0 : -1;
}

void
nf_fallback_stop(struct nf_fallback *f, int wait_ms)
{
	int64_t deadline = mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int i, left = 0;

	if (f == NULL)
		return;
	/* dispatchers first (each finishes its request), then the
	 * scheduler, which records their last answers */
	atomic_store(&f->stop, 1);
	pthread_mutex_lock(&f->lock);
	pthread_cond_broadcast(&f->work);
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < f->ndisp; i++)
		if (join_by(f->disp[i], deadline) != 0)
			left++;
	atomic_store(&f->sched_stop, 1);
	pthread_mutex_lock(&f->lock);
	pthread_cond_broadcast(&f->room);
	pthread_mutex_unlock(&f->lock);
	if (f->sched_started && join_by(f->sched, deadline + 3000) != 0)
		left++;
	if (left > 0) {
		/* a request still in flight: its row stays 'sending' and the
		 * next start handles it; the threads die with the process */
		nf_warn("fallback: %d thread(s) still in a request at "
		    "shutdown; their rows are handled at the next start", left);
		return;
	}
	nf_fbsend_close(f->set);
	free(f->ring);
	free(f->done);
	free(f->database);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->work);
	pthread_cond_destroy(&f->room);
	free(f);
}
