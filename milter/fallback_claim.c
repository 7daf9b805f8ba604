/*
 * fallback_claim.c - the scheduler's changes to existing outbox rows: the
 * claim of due rows (the delivery status, expiry, consent and suppression
 * checked once more, then quiet hours, FallbackMaxPerPhone and
 * FallbackMaxPerHour, before a row becomes 'sending'), the sweep that
 * cancels rows whose email was confirmed, the recovery of rows a killed
 * daemon left in 'sending', and giving back rows claimed but not handed
 * out.  See fallback.c for the design and the restart rule.
 *
 * Ownership: called only by the scheduler thread, with its store handle;
 * rows[] and jobs[] are the caller's buffers.
 *
 * Failure: each function is one transaction (recover one per batch); on a
 * store error it is rolled back and the status returned (a claim then
 * hands out no job), so the scheduler tries again at its next poll.  A
 * row changed meanwhile (NF_STORE_NOTFOUND from a step) is left alone.
 * nf_fbd_unclaim is best effort: a row it cannot give back stays
 * 'sending' and the next start's recovery handles it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fallback_int.h"
#include "log.h"

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
int
nf_fbd_sweep(struct nf_store *s, struct nf_fb_row *rows, size_t max)
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
 * make_row (fallback_scan.c) did: the recipient's contact when it has this
 * phone, else the phone's owner, else none.  NF_STORE_OK with why[0] set when the row must
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
int
nf_fbd_claim(struct nf_fallback *f, struct nf_store *s, const struct nf_conf *c,
    struct nf_fb_row *rows, size_t max, struct fb_job *jobs, size_t *njobs)
{
	char detail[4096], when[64], answer[NF_STORE_TEXT_MAX];
	char why[NF_STORE_TEXT_MAX / 2];
	int64_t now = nf_fbd_now_s(), hour_n = 0, q, until;
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
		const struct fb_chan *ch = nf_fbd_chan_for_row(f, r);
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
int
nf_fbd_recover(struct nf_store *s, struct nf_fb_row *rows, size_t max)
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
				x.due = nf_fbd_now_s();
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
void
nf_fbd_unclaim(struct nf_store *s, struct fb_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct nf_fb_step x = { 0 };

		x.id = jobs[i].row.id;
		x.from = "sending";
		x.to = "pending";
		x.rule = "retry";
		x.due = nf_fbd_now_s();
		x.sent_time = -1;
		x.detail = "not sent: the daemon stopped before the request; "
		    "it goes out after the restart";
		nf_store_fb_step(s, &x);
	}
}
