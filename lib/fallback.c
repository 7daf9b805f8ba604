/*
 * fallback.c - the fallback policy as plain functions (see fallback.h):
 * channel choice, text rendering and cutting, backoff, quiet hours.
 *
 * Ownership: nothing here allocates beyond a call (the RFC 2047 decoder's
 * bounded buffers are freed before returning); every output is the
 * caller's fixed-size buffer, written with bounds.  Untrusted input
 * (Subject, From, the fallback header) is decoded by lib/mime.c's bounded
 * decoder, made valid UTF-8 here, and cut by channels/sms_text.c, so no
 * input can overrun or reach an assert.
 *
 * Time zones: C has no "local time in zone X" call, so quiet hours switch
 * TZ around localtime_r/mktime under a mutex (see nf_fb_tz_init for why
 * that is safe for other threads' getenv).  The alternative, reading TZif
 * files and POSIX TZ rules by hand, would be more code than the feature.
 */
#include "fallback.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "mime.h"
#include "sms_text.h"

/* ---- channel choice ------------------------------------------------------ */

static void
appendf(char *out, size_t len, const char *kind, const char *what)
{
	size_t used = strlen(out);

	if (used < len)
		snprintf(out + used, len - used, "%s%s: %s", used ? "; " : "",
		    kind, what);
}

int
nf_fb_choose(const struct nf_fb_option *opt, size_t n, int default_consent,
    char *why, size_t len)
{
	size_t i;

	if (len > 0)
		why[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct nf_fb_option *o = &opt[i];

		if (!o->configured)
			appendf(why, len, o->kind, "no Channel configured");
		else if (o->consent == NF_CONSENT_REVOKED)
			appendf(why, len, o->kind, "consent revoked");
		else if (o->consent == NF_CONSENT_NONE && !default_consent)
			appendf(why, len, o->kind, "no consent (no record and "
			    "DefaultPhoneConsent no)");
		else if (o->suppressed)
			appendf(why, len, o->kind, "phone suppressed");
		else
			return (int)i;
	}
	if (n == 0 && len > 0)
		snprintf(why, len, "FallbackChannels is empty");
	return -1;
}

/* ---- text ---------------------------------------------------------------- */

/* Decode encoded words of a header value into out[len] ("" for NULL). */
static void
decode(const char *in, char *out, size_t len)
{
	struct nf_buf b;
	size_t n;

	out[0] = '\0';
	if (in == NULL || *in == '\0')
		return;
	nf_buf_init(&b, NF_FB_TEXT_MAX * 4);
	nf_mime_decode_words(in, strlen(in), &b);	/* a cut keeps the start */
	n = b.len < len - 1 ? b.len : len - 1;
	if (n > 0)
		memcpy(out, nf_buf_cstr(&b), n);
	out[n] = '\0';
	nf_buf_free(&b);
}

/* The display name of a From value, else its address (in place). */
static void
from_name(char *s)
{
	char *lt = strchr(s, '<'), *p, *q;
	size_t n;

	if (lt != NULL) {
		/* "Name" <addr> or Name <addr>: the part before '<' */
		for (p = s; p < lt && (*p == ' ' || *p == '\t'); p++)
			;
		for (q = lt; q > p && (q[-1] == ' ' || q[-1] == '\t'); q--)
			;
		if (q - p >= 2 && *p == '"' && q[-1] == '"') {
			p++;
			q--;
		}
		if (q > p) {
			n = (size_t)(q - p);
			memmove(s, p, n);
			s[n] = '\0';
			return;
		}
		/* no name: the address between the brackets */
		p = lt + 1;
		q = strchr(p, '>');
		n = q ? (size_t)(q - p) : strlen(p);
		memmove(s, p, n);
		s[n] = '\0';
	}
}

/* Length of the valid UTF-8 sequence at s (of at most `left` bytes), or
 * 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Valid UTF-8, no control characters, single blanks, no blanks at the
 * ends; in place. */
static void
clean(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = (unsigned char *)s;
	size_t left = strlen(s), n;
	int blank = 1;	/* drops leading blanks */

	while (left > 0) {
		n = utf8_len(r, left);
		if (n == 0) {	/* not UTF-8: one '?' per bad byte */
			*w++ = '?';
			r++;
			left--;
			blank = 0;
			continue;
		}
		if (n == 1 && (*r < 0x20 || *r == 0x7f || *r == ' ')) {
			if (!blank)
				*w++ = ' ';
			blank = 1;
			r++;
			left--;
			continue;
		}
		memmove(w, r, n);
		w += n;
		r += n;
		left -= n;
		blank = 0;
	}
	if (w > (unsigned char *)s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* Append src to out (bounded; a cut is harmless: the SMS cut follows). */
static size_t
put(char *out, size_t size, size_t used, const char *src)
{
	size_t n = strlen(src);

	if (used + 1 >= size)
		return used;
	if (n > size - 1 - used)
		n = size - 1 - used;
	memcpy(out + used, src, n);
	out[used + n] = '\0';
	return used + n;
}

int
nf_fb_render(const char *own, const char *tmpl, const char *subject,
    const char *from, const char *ref, long max_segments,
    struct nf_fb_text *out)
{
	char *subj = malloc(NF_FB_TEXT_MAX), *frm = malloc(NF_FB_TEXT_MAX);
	char *raw = malloc(NF_FB_TEXT_MAX);
	struct nf_sms_info info;
	size_t used = 0, keep;
	const char *p;
	int rc = -1, r;

	memset(out, 0, sizeof *out);
	out->coding = "gsm7";
	if (subj == NULL || frm == NULL || raw == NULL)
		goto done;
	raw[0] = '\0';
	if (own != NULL && own[0] != '\0') {
		decode(own, raw, NF_FB_TEXT_MAX);
	} else {
		decode(subject, subj, NF_FB_TEXT_MAX);
		decode(from, frm, NF_FB_TEXT_MAX);
		from_name(frm);
		for (p = tmpl ? tmpl : "{subject}"; *p != '\0';) {
			if (strncmp(p, "{subject}", 9) == 0) {
				used = put(raw, NF_FB_TEXT_MAX, used, subj);
				p += 9;
			} else if (strncmp(p, "{from}", 6) == 0) {
				used = put(raw, NF_FB_TEXT_MAX, used, frm);
				p += 6;
			} else if (strncmp(p, "{ref}", 5) == 0) {
				used = put(raw, NF_FB_TEXT_MAX, used,
				    ref ? ref : "");
				p += 5;
			} else {
				char one[2] = { *p, '\0' };

				used = put(raw, NF_FB_TEXT_MAX, used, one);
				p++;
			}
		}
	}
	clean(raw);
	if (raw[0] == '\0')
		goto done;
	r = nf_sms_cut(raw, strlen(raw), max_segments < 1 ? 1 :
	    (size_t)max_segments, &keep, &info);
	if (r < 0)
		goto done;	/* cannot happen after clean(); refuse anyway */
	memcpy(out->text, raw, keep);
	out->text[keep] = '\0';
	out->cut = r == 1;
	out->segments = info.segments;
	out->coding = nf_sms_coding_name(info.coding);
	rc = keep > 0 ? 0 : -1;
done:
	free(subj);
	free(frm);
	free(raw);
	return rc;
}

/* ---- timing -------------------------------------------------------------- */

int64_t
nf_fb_backoff(int attempts, long retry_after, uint32_t rnd)
{
	int64_t d = NF_FB_BACKOFF_BASE, half;
	int i;

	if (retry_after > 0) {
		d = retry_after > NF_FB_RETRY_AFTER_MAX ? NF_FB_RETRY_AFTER_MAX :
		    retry_after;
		return d + (int64_t)(rnd % (uint32_t)(d / 10 + 1));
	}
	for (i = 1; i < attempts && d < NF_FB_BACKOFF_CAP; i++)
		d *= 2;
	if (d > NF_FB_BACKOFF_CAP)
		d = NF_FB_BACKOFF_CAP;
	half = d / 2;
	return half + (int64_t)(rnd % (uint32_t)(d - half + 1));
}

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

void
nf_fb_tz_init(void)
{
	if (getenv("TZ") == NULL)
		setenv("TZ", ":/etc/localtime", 1);
	tzset();
}

/* Local broken-down time of t in zone tz, and back: both under tz_lock
 * with TZ switched (tz NULL: as the process is set). */
struct zone_switch {
	char old[256];
	int switched;
};

static void
zone_enter(const char *tz, struct zone_switch *z)
{
	const char *cur;

	pthread_mutex_lock(&tz_lock);
	z->switched = 0;
	if (tz == NULL)
		return;
	cur = getenv("TZ");
	snprintf(z->old, sizeof z->old, "%s", cur ? cur : ":/etc/localtime");
	setenv("TZ", tz, 1);
	tzset();
	z->switched = 1;
}

static void
zone_leave(struct zone_switch *z)
{
	if (z->switched) {
		setenv("TZ", z->old, 1);
		tzset();
	}
	pthread_mutex_unlock(&tz_lock);
}

int64_t
nf_fb_quiet_until(int start, int end, const char *tz, int64_t t)
{
	struct zone_switch z;
	struct tm tm, e;
	time_t tt = (time_t)t, until;
	int m, in, days = 0;

	if (start < 0 || end < 0 || start == end)
		return 0;
	zone_enter(tz, &z);
	if (localtime_r(&tt, &tm) == NULL) {
		zone_leave(&z);
		return 0;
	}
	m = tm.tm_hour * 60 + tm.tm_min;
	if (start < end)
		in = m >= start && m < end;
	else
		in = m >= start || m < end;
	if (!in) {
		zone_leave(&z);
		return 0;
	}
	/* the end is today when it is still ahead on the clock, else
	 * tomorrow (a window crossing midnight, seen before midnight) */
	if (m >= end)
		days = 1;
	e = tm;
	e.tm_mday += days;
	e.tm_hour = end / 60;
	e.tm_min = end % 60;
	e.tm_sec = 0;
	e.tm_isdst = -1;
	until = mktime(&e);
	zone_leave(&z);
	if (until == (time_t)-1 || (int64_t)until <= t)
		return t + 60;	/* a clock gap (DST): look again soon */
	return (int64_t)until;
}

/* ---- small helpers ------------------------------------------------------- */

/*
 * Only a driver whose receiver is documented to drop a request it has seen
 * with the same key may be sent again after a crash mid-request: our own
 * webhook contract (idempotency_key in the body).  Twilio's Messages API
 * documents no such key for creating a message (the I-Twilio-Idempotency-
 * Token header is sent along, and is what Twilio puts on the webhooks it
 * calls, not a promise to deduplicate ours), so a twilio row is treated
 * like kannel and vonage: 'uncertain', never a possible second SMS.
 */
int
nf_fb_driver_resends(const char *driver)
{
	return driver != NULL && strcmp(driver, "webhook") == 0;
}

void
nf_fb_idem_key(const char *token, const char *recipient, char *out,
    size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a 64 */
	const unsigned char *p;
	char tok[43];
	size_t i, n = 0;

	for (p = (const unsigned char *)(recipient ? recipient : ""); *p; p++) {
		unsigned char c = *p >= 'A' && *p <= 'Z' ? *p + 32 : *p;

		h = (h ^ c) * 1099511628211ULL;
	}
	/* the token is base32 already; anything else is dropped, and the
	 * key stays within the 64 characters providers accept */
	for (i = 0; token && token[i] && n < sizeof tok - 1; i++)
		if ((token[i] >= 'a' && token[i] <= 'z') ||
		    (token[i] >= 'A' && token[i] <= 'Z') ||
		    (token[i] >= '0' && token[i] <= '9'))
			tok[n++] = token[i];
	tok[n] = '\0';
	snprintf(out, len, "nf1-%s-%016llx", tok, (unsigned long long)h);
}
