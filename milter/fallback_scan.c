/*
 * fallback_scan.c - the scheduler's first half: find new triggers (a
 * failure event of a notification recipient, or one with no confirmed
 * delivery after FallbackAfter) behind two watermarks kept in the state
 * table, and write one outbox row per (message, recipient): pending with
 * the phone, channel and rendered text chosen by lib/fallback.c's policy,
 * or skipped with the reason.  See fallback.c for the design.
 *
 * Ownership: called only by the scheduler thread, with its store handle;
 * the cursor is the scheduler's, the channel table is only read.
 *
 * Failure: every poll that writes is one transaction (the rows and the
 * watermarks together); on a store error it is rolled back, the cursor
 * stays where it was and the same triggers are read again at the next
 * poll.  An existing row for the pair is not made twice (a conflict is not
 * an error), so reading a trigger again is harmless.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fallback_int.h"
#include "log.h"

#define FB_KEY_EVENTS "fallback.events"
#define FB_KEY_RCPTS "fallback.recipients"

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
		o->configured = nf_fbd_chan_of_kind(f, o->kind) != NULL;
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
	r.driver = nf_fbd_chan_of_kind(f, r.channel)->driver;
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

/* From when a trigger can still matter: older ones expire unsent. */
static int64_t
scan_since(const struct nf_conf *c)
{
	return nf_fbd_now_s() - c->fallback_expiry - c->fallback_after;
}

static int
cursor_load(struct nf_store *s, const struct nf_conf *c, struct fb_cursor *cur)
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
int
nf_fbd_scan(struct nf_fallback *f, struct nf_store *s, const struct nf_conf *c,
    struct fb_cursor *cur, struct nf_fb_candidate *cand)
{
	struct nf_fb_candidate *late = cand + FB_SCAN_MAX;
	struct nf_fb_watermark next_e = cur->events, next_r = cur->rcpts;
	int64_t now = nf_fbd_now_s();
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
