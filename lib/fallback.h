/*
 * fallback.h - the fallback policy as plain functions (issue 5): which
 * phone and channel, what text (template, RFC 2047 subjects, GSM-7/UCS-2
 * segments and a clean cut), when to retry (exponential backoff with
 * jitter), and quiet hours in a time zone.  No store, no HTTP: the
 * daemon's scheduler (milter/fallback.c) feeds it facts it looked up and
 * stores what it answers, and tests/unit/t_fallback.c checks it alone.
 *
 * Linking: the segment arithmetic is channels/sms_text.c's, so a program
 * that uses this file links $(CHAN_LIBS); that is why fallback.c is not
 * in libnf.a (libnf.a comes after libnfchan.a on the link line).
 */
#ifndef NF_FALLBACK_H
#define NF_FALLBACK_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define NF_FB_TEXT_MAX 1024	/* bytes of rendered text before the cut */

/* Retry timing (seconds). */
#define NF_FB_BACKOFF_BASE 2	/* first retry after 1..2 s */
#define NF_FB_BACKOFF_CAP 600	/* never wait longer than 10 min between tries */
#define NF_FB_RETRY_AFTER_MAX 3600	/* a provider's Retry-After is capped */

/* ---- channel choice ------------------------------------------------------ */

/* What the scheduler knows about one kind in FallbackChannels order. */
struct nf_fb_option {
	const char *kind;		/* "sms", "whatsapp", "viber" */
	int configured;			/* a Channel line of this kind was opened */
	enum nf_consent consent;	/* the contact's record, NONE without one */
	int suppressed;			/* the phone is suppressed on this kind */
};

/*
 * The first option that is configured, has consent (granted, or NONE
 * with default_consent) and is not suppressed: its index; or -1 with
 * why[len] saying, per kind, why none could be used ("sms: no consent;
 * whatsapp: no Channel configured").
 */
int nf_fb_choose(const struct nf_fb_option *opt, size_t n,
    int default_consent, char *why, size_t len);

/* ---- text ---------------------------------------------------------------- */

struct nf_fb_text {
	char text[NF_FB_TEXT_MAX];	/* UTF-8, cut to the segment limit */
	const char *coding;		/* "gsm7" or "ucs2" */
	size_t segments;
	int cut;			/* 1 when the text was shortened */
};

/*
 * The text of one fallback: `own` (the message's X-Notifilter-Fallback-
 * Text, encoded words decoded) when it is set, else `tmpl` with {subject}
 * (decoded), {from} (display name, else address, of the header From) and
 * {ref} (the token) replaced; an unknown {name} stays as written.  Control
 * characters become spaces, bytes that are not UTF-8 become '?', runs of
 * blanks shrink to one, and the result is cut cleanly to max_segments
 * (at least 1).  0, or -1 when nothing is left to send (empty text).
 */
int nf_fb_render(const char *own, const char *tmpl, const char *subject,
    const char *from, const char *ref, long max_segments,
    struct nf_fb_text *out);

/* ---- timing -------------------------------------------------------------- */

/*
 * Seconds to wait before try number attempts+1, after `attempts` tries
 * (>= 1) that asked to be retried.  Without a Retry-After (retry_after
 * <= 0): "equal jitter" on BASE * 2^(attempts-1) capped at CAP, i.e. a
 * value in [d/2, d].  With one: retry_after (capped at RETRY_AFTER_MAX)
 * plus up to 10% more, never less than what the provider asked.  `rnd`
 * is any random 32-bit value.
 */
int64_t nf_fb_backoff(int attempts, long retry_after, uint32_t rnd);

/*
 * Call once in main() before any thread starts: makes sure TZ is in the
 * environment (":/etc/localtime" when unset, which means the same), so
 * that nf_fb_quiet_until's switches of TZ never grow the environment
 * under another thread's getenv().
 */
void nf_fb_tz_init(void);

/*
 * Quiet hours start..end (minutes of the day, local time in IANA zone
 * `tz`, NULL for the system's; start > end crosses midnight; start < 0
 * means none).  Returns 0 when `t` is outside them, else the Unix time
 * at which they end (> t).  Thread-safe (a mutex around the TZ switch;
 * another thread's localtime_r may see the zone for that moment).
 */
int64_t nf_fb_quiet_until(int start, int end, const char *tz, int64_t t);

/* ---- small helpers ------------------------------------------------------- */

/* 1 when the driver takes an idempotency key that makes a resend safe
 * (twilio, webhook), 0 otherwise (kannel, vonage, unknown). */
int nf_fb_driver_resends(const char *driver);

/* The outbox row's idempotency key for (token, recipient):
 * "nf1-<token>-<16 hex of a hash of the recipient>", [A-Za-z0-9._-]. */
void nf_fb_idem_key(const char *token, const char *recipient, char *out,
    size_t len);

#endif
