/*
 * t_fallback.c - unit tests of lib/fallback.c: channel choice, the text
 * (template, RFC 2047 subjects and senders, cleaning, GSM-7/UCS-2
 * segments, the clean cut), backoff bounds, quiet hours across midnight
 * and in other time zones, idempotency keys.  Table-driven; TAP.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fallback.h"
#include "tap.h"

static void
test_choose(void)
{
	struct nf_fb_option o[3] = {
		{ "sms", 0, NF_CONSENT_GRANTED, 0 },
		{ "whatsapp", 1, NF_CONSENT_REVOKED, 0 },
		{ "viber", 1, NF_CONSENT_NONE, 0 },
	};
	char why[512];

	is_int(nf_fb_choose(o, 3, 1, why, sizeof why), 2,
	    "no sms channel, whatsapp revoked: viber by default consent");
	is_int(nf_fb_choose(o, 3, 0, why, sizeof why), -1,
	    "without default consent nothing is left");
	ok(strstr(why, "sms: no Channel configured") != NULL &&
	    strstr(why, "whatsapp: consent revoked") != NULL &&
	    strstr(why, "viber: no consent") != NULL,
	    "the reason names every kind: %s", why);
	o[0].configured = 1;
	is_int(nf_fb_choose(o, 3, 0, why, sizeof why), 0,
	    "FallbackChannels order: sms first when it can be used");
	o[0].suppressed = 1;
	o[2].consent = NF_CONSENT_GRANTED;
	is_int(nf_fb_choose(o, 3, 0, why, sizeof why), 2,
	    "a suppressed phone on sms falls to the next kind");
	o[2].suppressed = 1;
	is_int(nf_fb_choose(o, 3, 1, why, sizeof why), -1, "all suppressed");
	ok(strstr(why, "phone suppressed") != NULL, "reason: %s", why);
	is_int(nf_fb_choose(o, 0, 1, why, sizeof why), -1, "no kinds at all");
}

struct render_case {
	const char *name, *own, *tmpl, *subject, *from, *ref;
	long segs;
	const char *want, *coding;
	size_t segments;
	int cut;
};

static void
test_render(void)
{
	static const struct render_case c[] = {
		{ "plain subject", NULL, "{subject}", "Your invoice", NULL, NULL,
		  2, "Your invoice", "gsm7", 1, 0 },
		{ "B-encoded UTF-8 subject", NULL, "{subject}",
		  "=?UTF-8?B?w4RyZ2VyIG1pdCBkZXIgUmVjaG51bmc=?=", NULL, NULL, 2,
		  "\xc3\x84rger mit der Rechnung", "gsm7", 1, 0 },
		{ "Q-encoded Latin-1 word joined to the next", NULL, "{subject}",
		  "=?iso-8859-1?Q?Caf=E9?= =?iso-8859-1?Q?_au_lait?=", NULL, NULL,
		  2, "Caf\xc3\xa9 au lait", "gsm7", 1, 0 },
		{ "from, subject and ref", NULL, "{from}: {subject} ({ref})", "Hi",
		  "\"Shop GmbH\" <app@shop.example>", "1abc", 2,
		  "Shop GmbH: Hi (1abc)", "gsm7", 1, 0 },
		{ "from without a name", NULL, "{from}", "", "<app@shop.example>",
		  NULL, 2, "app@shop.example", "gsm7", 1, 0 },
		{ "encoded display name", NULL, "{from}", "",
		  "=?UTF-8?Q?M=C3=BCller?= <m@x.example>", NULL, 2,
		  "M\xc3\xbcller", "gsm7", 1, 0 },
		{ "own text wins over the template", "Pay now", "{subject}", "S",
		  NULL, NULL, 2, "Pay now", "gsm7", 1, 0 },
		{ "unknown placeholder stays", NULL, "{subject} {x}", "A", NULL,
		  NULL, 2, "A {x}", "gsm7", 1, 0 },
		{ "control characters and runs of blanks", NULL, "{subject}",
		  "  a\r\n\tb   c ", NULL, NULL, 2, "a b c", "gsm7", 1, 0 },
		{ "a byte that is not UTF-8", NULL, "{subject}", "a\xff" "b", NULL,
		  NULL, 2, "a?b", "gsm7", 1, 0 },
		{ "Cyrillic is UCS-2", NULL, "{subject}",
		  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", NULL, NULL, 2,
		  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "ucs2", 1, 0 },
	};
	struct nf_fb_text t;
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		int rc = nf_fb_render(c[i].own, c[i].tmpl, c[i].subject,
		    c[i].from, c[i].ref, c[i].segs, &t);

		is_int(rc, 0, "%s: rendered", c[i].name);
		is_str(t.text, c[i].want, "%s: text", c[i].name);
		is_str(t.coding, c[i].coding, "%s: coding", c[i].name);
		is_int(t.segments, c[i].segments, "%s: segments", c[i].name);
		is_int(t.cut, c[i].cut, "%s: cut flag", c[i].name);
	}
	is_int(nf_fb_render(NULL, "{subject}", "", NULL, NULL, 2, &t), -1,
	    "an empty text is refused");
	is_int(nf_fb_render(NULL, "{subject}", " \r\n ", NULL, NULL, 2, &t),
	    -1, "a text of blanks is refused");
}

static void
test_cut(void)
{
	char *s = malloc(4 * 200 + 1);
	struct nf_fb_text t;
	size_t i;

	memset(s, 'a', 400);
	s[400] = '\0';
	nf_fb_render(NULL, "{subject}", s, NULL, NULL, 2, &t);
	is_int(strlen(t.text), 306, "400 GSM-7 characters cut to 2 segments "
	    "(2 x 153)");
	is_int(t.segments, 2, "two segments");
	is_int(t.cut, 1, "cut flagged");
	nf_fb_render(NULL, "{subject}", s, NULL, NULL, 0, &t);
	is_int(strlen(t.text), 160, "FallbackMaxSegments 0 is taken as 1: "
	    "160 characters");
	/* 40 emoji (surrogate pairs in UCS-2): 1 segment holds 35 */
	s[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(s, "\xf0\x9f\x98\x80");
	nf_fb_render(NULL, "{subject}", s, NULL, NULL, 1, &t);
	is_int(strlen(t.text), 35 * 4, "emoji cut whole: 35 in one UCS-2 "
	    "segment");
	is_str(t.coding, "ucs2", "emoji are UCS-2");
	/* one UCS-2 character at the end of a long GSM-7 text: the cut that
	 * drops it may turn the rest into GSM-7 */
	memset(s, 'b', 150);
	strcpy(s + 150, "\xd0\x96");
	nf_fb_render(NULL, "{subject}", s, NULL, NULL, 1, &t);
	is_str(t.coding, "gsm7", "cutting off the only UCS-2 character "
	    "leaves GSM-7");
	is_int(strlen(t.text), 150, "... and the whole GSM-7 part");
	free(s);
}

static void
test_backoff(void)
{
	static const uint32_t rnds[] = { 0, 1, 12345, 0x7fffffff, 0xffffffff };
	int a, bad = 0;
	size_t r;
	int64_t d, max;

	for (a = 1; a <= 40; a++) {
		max = 2;
		for (int i = 1; i < a && max < NF_FB_BACKOFF_CAP; i++)
			max *= 2;
		if (max > NF_FB_BACKOFF_CAP)
			max = NF_FB_BACKOFF_CAP;
		for (r = 0; r < sizeof rnds / sizeof rnds[0]; r++) {
			d = nf_fb_backoff(a, -1, rnds[r]);
			if (d < max / 2 || d > max) {
				bad++;
				diag("attempt %d rnd %u: %lld not in [%lld, "
				    "%lld]", a, rnds[r], (long long)d,
				    (long long)(max / 2), (long long)max);
			}
		}
	}
	is_int(bad, 0, "backoff stays in [d/2, d], d = 2 s doubling, capped "
	    "at %d s", NF_FB_BACKOFF_CAP);
	is_int(nf_fb_backoff(1, -1, 0), 1, "first retry after 1..2 s (low)");
	is_int(nf_fb_backoff(1, -1, 1), 2, "first retry after 1..2 s (high)");
	ok(nf_fb_backoff(3, -1, 0) != nf_fb_backoff(3, -1, 3),
	    "jitter changes the wait");
	d = nf_fb_backoff(1, 30, 0xffffffff);
	ok(d >= 30 && d <= 33, "Retry-After 30: 30..33 s (got %lld)",
	    (long long)d);
	is_int(nf_fb_backoff(5, 30, 0), 30, "Retry-After wins over the "
	    "exponential wait, never less than asked");
	d = nf_fb_backoff(1, 999999, 0xffffffff);
	ok(d >= NF_FB_RETRY_AFTER_MAX && d <= NF_FB_RETRY_AFTER_MAX * 11 / 10,
	    "a huge Retry-After is capped (got %lld)", (long long)d);
}

struct quiet_case {
	const char *name, *tz;
	int start, end;
	int64_t t, want;
};

static void
test_quiet(void)
{
	static const struct quiet_case c[] = {
		{ "UTC 21-08, 22:30: until 08:00 next day", "UTC", 1260, 480,
		  1705357800, 1705392000 },
		{ "UTC 21-08, 07:59: until 08:00 the same day", "UTC", 1260, 480,
		  1705391940, 1705392000 },
		{ "UTC 21-08, 08:00: the end is not quiet", "UTC", 1260, 480,
		  1705392000, 0 },
		{ "UTC 21-08, 12:00: outside", "UTC", 1260, 480, 1705320000, 0 },
		{ "UTC 21-08, 21:00: the start is quiet", "UTC", 1260, 480,
		  1705352400, 1705392000 },
		{ "Berlin 21-08 in winter (UTC+1), 20:30 UTC = 21:30 local",
		  "Europe/Berlin", 1260, 480, 1705350600, 1705388400 },
		{ "Berlin 21-08, 20:30 UTC in UTC is outside", "UTC", 1260, 480,
		  1705350600, 0 },
		{ "New York 09-17 in summer (UTC-4), 14:00 UTC = 10:00 local",
		  "America/New_York", 540, 1020, 1719842400, 1719867600 },
		{ "no quiet hours", "UTC", -1, -1, 1705357800, 0 },
	};
	size_t i;
	int64_t got;

	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		is_int(nf_fb_quiet_until(c[i].start, c[i].end, c[i].tz, c[i].t),
		    c[i].want, "%s", c[i].name);
	/* the end falls into the spring-forward gap (02:30 does not exist
	 * in Berlin on 2024-03-31): still a time after t, within hours */
	got = nf_fb_quiet_until(60, 150, "Europe/Berlin", 1711845000);
	ok(got > 1711845000 && got <= 1711845000 + 3 * 3600,
	    "an end inside a DST gap is still ahead (got %lld)",
	    (long long)got);
	/* the system's zone (TZ switched back after each call) */
	got = nf_fb_quiet_until(1260, 480, "UTC", 1705357800);
	is_int(nf_fb_quiet_until(1260, 480, "UTC", 1705357800), got,
	    "the answer does not depend on earlier calls");
}

static void
test_keys(void)
{
	char a[NF_STORE_FB_KEY_MAX], b[NF_STORE_FB_KEY_MAX];
	const char *p;
	int good = 1;

	nf_fb_idem_key("1aaaaaaaaaaaacujmbz6sgkdo5yxz6c22", "Ann@Example.test",
	    a, sizeof a);
	nf_fb_idem_key("1aaaaaaaaaaaacujmbz6sgkdo5yxz6c22", "ann@example.test",
	    b, sizeof b);
	is_str(a, b, "the key does not depend on the letter case");
	ok(strlen(a) <= 64, "at most 64 characters (%zu)", strlen(a));
	for (p = a; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_'))
			good = 0;
	ok(good, "only [A-Za-z0-9._-]: %s", a);
	nf_fb_idem_key("1aaaaaaaaaaaacujmbz6sgkdo5yxz6c22", "bob@example.test",
	    b, sizeof b);
	ok(strcmp(a, b) != 0, "another recipient, another key");
	nf_fb_idem_key("x<y>z/../{}", "a", b, sizeof b);
	ok(strchr(b, '<') == NULL && strchr(b, '/') == NULL,
	    "a strange token cannot put other characters in: %s", b);
	is_int(nf_fb_driver_resends("twilio"), 0,
	    "twilio does not (its Messages API documents no idempotency key)");
	is_int(nf_fb_driver_resends("webhook"), 1, "webhook resends (key)");
	is_int(nf_fb_driver_resends("kannel"), 0, "kannel does not");
	is_int(nf_fb_driver_resends("vonage"), 0, "vonage does not");
	is_int(nf_fb_driver_resends(NULL), 0, "unknown does not");
}

int
main(void)
{
	nf_fb_tz_init();
	test_choose();
	test_render();
	test_cut();
	test_backoff();
	test_quiet();
	test_keys();
	return tap_done();
}
