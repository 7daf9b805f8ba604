/*
 * t_sms_text.c - table-driven checks of GSM-7/UCS-2 detection, segment
 * counts and clean cuts (channels/sms_text.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sms_text.h"
#include "tap.h"

/* n copies of `unit` (a UTF-8 string) followed by `tail` */
static char *
rep(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(ul * n + tl + 1), *p = s;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

struct mcase {
	const char *name;
	const char *unit;
	size_t n;
	const char *tail;
	enum nf_sms_coding coding;
	size_t units, segments;
};

static const struct mcase measures[] = {
	{ "empty", "", 0, "", NF_SMS_GSM7, 0, 0 },
	{ "ASCII 1 char", "a", 1, "", NF_SMS_GSM7, 1, 1 },
	{ "GSM-7 160 chars = 1 segment", "a", 160, "", NF_SMS_GSM7, 160, 1 },
	{ "GSM-7 161 chars = 2 segments", "a", 161, "", NF_SMS_GSM7, 161, 2 },
	{ "GSM-7 306 chars = 2 segments", "a", 306, "", NF_SMS_GSM7, 306, 2 },
	{ "GSM-7 307 chars = 3 segments", "a", 307, "", NF_SMS_GSM7, 307, 3 },
	{ "GSM-7 459 = 3 segments", "a", 459, "", NF_SMS_GSM7, 459, 3 },
	{ "euro counts 2 septets", "\xe2\x82\xac", 80, "", NF_SMS_GSM7, 160, 1 },
	{ "81 euros = 162 septets, 2 segments", "\xe2\x82\xac", 81, "", NF_SMS_GSM7, 162, 2 },
	{ "extension chars ^{}\\[~]| count 2", "^{}\\[~]|", 1, "", NF_SMS_GSM7, 16, 1 },
	/* 152 'a' then '{' (2 septets): the escape pair moves to part 2 */
	{ "escape pair never split across parts", "a", 152, "{aaaaaaaa", NF_SMS_GSM7, 162, 2 },
	{ "escape at the end of part 2 spills to part 3", "a", 305, "{", NF_SMS_GSM7, 307, 3 },
	{ "GSM national chars stay GSM-7", "\xc3\xa9\xc3\xa8\xc3\xb9\xc3\xa4\xc3\x96\xc3\x91\xc3\x9c\xc3\x9f\xce\x94\xce\xa9\xc2\xa3\xc2\xa5\xc2\xa7\xc2\xbf\xc2\xa1", 1, "", NF_SMS_GSM7, 15, 1 },
	{ "backtick is not GSM-7", "`", 1, "", NF_SMS_UCS2, 1, 1 },
	{ "Cyrillic 70 = 1 segment", "\xd0\x96", 70, "", NF_SMS_UCS2, 70, 1 },
	{ "Cyrillic 71 = 2 segments", "\xd0\x96", 71, "", NF_SMS_UCS2, 71, 2 },
	{ "Cyrillic 134 = 2 segments", "\xd0\x96", 134, "", NF_SMS_UCS2, 134, 2 },
	{ "Cyrillic 135 = 3 segments", "\xd0\x96", 135, "", NF_SMS_UCS2, 135, 3 },
	{ "one non-GSM char makes it all UCS-2", "a", 100, "\xe2\x80\x94", NF_SMS_UCS2, 101, 2 },
	{ "emoji = 2 UTF-16 units", "\xf0\x9f\x98\x80", 35, "", NF_SMS_UCS2, 70, 1 },
	{ "36 emoji = 72 units, 2 segments", "\xf0\x9f\x98\x80", 36, "", NF_SMS_UCS2, 72, 2 },
	/* 66 units then an emoji: the pair does not fit in part 1 (67) */
	{ "surrogate pair never split across parts", "\xd0\x96", 66, "\xf0\x9f\x98\x80\xd0\x96\xd0\x96\xd0\x96", NF_SMS_UCS2, 71, 2 },
	{ "surrogate pair at 133/134 moves to part 3", "\xd0\x96", 133, "\xf0\x9f\x98\x80", NF_SMS_UCS2, 135, 3 },
	{ "CR LF are GSM-7", "a\r\n", 2, "", NF_SMS_GSM7, 6, 1 },
};

struct ccase {
	const char *name;
	const char *unit;
	size_t n;
	const char *tail;
	size_t max;
	int rc;			/* 0 fits, 1 cut */
	size_t keep;		/* bytes */
	enum nf_sms_coding coding;
	size_t segments;
};

static const struct ccase cuts[] = {
	{ "fits whole", "a", 300, "", 2, 0, 300, NF_SMS_GSM7, 2 },
	{ "GSM-7 cut at 306 for 2 segments", "a", 400, "", 2, 1, 306, NF_SMS_GSM7, 2 },
	{ "GSM-7 cut at 160 for 1 segment", "a", 400, "", 1, 1, 160, NF_SMS_GSM7, 1 },
	{ "escape pair not cut in half", "a", 159, "{aa", 1, 1, 159, NF_SMS_GSM7, 1 },
	{ "UCS-2 cut at 134 for 2 segments (2 bytes each)", "\xd0\x96", 200, "", 2, 1, 268, NF_SMS_UCS2, 2 },
	{ "emoji not split: 34 emoji + half does not fit", "\xf0\x9f\x98\x80", 40, "", 1, 1, 35 * 4, NF_SMS_UCS2, 1 },
	/* cutting off the only UCS-2 char makes the rest GSM-7 again */
	{ "cut before a late UCS-2 char keeps GSM-7", "a", 200, "\xd0\x96", 2, 1, 200, NF_SMS_GSM7, 2 },
	{ "zero segments keeps nothing", "a", 10, "", 0, 1, 0, NF_SMS_GSM7, 0 },
	/* "e" + combining acute at the cut point: both go */
	{ "no cut before a combining mark", "a", 159, "e\xcc\x81zzz", 1, 1, 159, NF_SMS_GSM7, 1 },
	/* a flag is two regional indicators (8 bytes, 4 UTF-16 units) */
	/* 18 flags = 72 units; 70 would fit 17.5 flags, the half flag goes */
	{ "flags are not split", "\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa", 18, "", 1, 1, 17 * 8, NF_SMS_UCS2, 1 },
	{ "empty text fits", "", 0, "", 2, 0, 0, NF_SMS_GSM7, 0 },
};

int
main(void)
{
	size_t i, keep;
	struct nf_sms_info info;

	for (i = 0; i < sizeof(measures) / sizeof(measures[0]); i++) {
		const struct mcase *c = &measures[i];
		char *s = rep(c->unit, c->n, c->tail);
		int rc = nf_sms_measure(s, strlen(s), &info);

		is_int(rc, 0, "measure %s: valid", c->name);
		is_str(nf_sms_coding_name(info.coding), nf_sms_coding_name(c->coding),
		    "measure %s: coding", c->name);
		is_int(info.units, c->units, "measure %s: units", c->name);
		is_int(info.segments, c->segments, "measure %s: segments", c->name);
		free(s);
	}
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		const struct ccase *c = &cuts[i];
		char *s = rep(c->unit, c->n, c->tail);
		int rc = nf_sms_cut(s, strlen(s), c->max, &keep, &info);

		is_int(rc, c->rc, "cut %s: result", c->name);
		is_int(keep, c->keep, "cut %s: bytes kept", c->name);
		is_str(nf_sms_coding_name(info.coding), nf_sms_coding_name(c->coding),
		    "cut %s: coding", c->name);
		is_int(info.segments, c->segments, "cut %s: segments", c->name);
		/* the kept prefix, measured alone, agrees and fits */
		if (nf_sms_measure(s, keep, &info) == 0)
			ok(info.segments <= c->max, "cut %s: prefix fits (%zu <= %zu)", c->name,
			    info.segments, c->max);
		else
			ok(0, "cut %s: prefix is valid UTF-8", c->name);
		free(s);
	}
	{
		static const char *const bad[] = {
			"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
			"\xff", "abc\xe2\x82", "\x80",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			is_int(nf_sms_measure(bad[i], strlen(bad[i]), &info), -1,
			    "invalid UTF-8 #%zu refused by measure", i);
			is_int(nf_sms_cut(bad[i], strlen(bad[i]), 2, &keep, &info), -1,
			    "invalid UTF-8 #%zu refused by cut", i);
		}
	}
	is_int(nf_sms_gsm7_width(0x20AC), 2, "euro sign is an extension char");
	is_int(nf_sms_gsm7_width('@'), 1, "@ is basic GSM-7");
	is_int(nf_sms_gsm7_width(0x00E7), 0, "c-cedilla lower case is not GSM-7 (only upper)");
	return tap_done();
}
