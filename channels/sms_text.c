/*
 * sms_text.c - GSM-7 / UCS-2 detection, segment counting and clean cuts
 * for SMS texts (see sms_text.h for the rules).
 *
 * Written by hand because no Debian C library does this small job: the
 * GSM-7 alphabet is a fixed table from 3GPP TS 23.038, and the segment
 * arithmetic is what providers bill.  Segments are counted by packing
 * characters into parts (a two-septet escape or a surrogate pair that does
 * not fit in a part starts the next one), which is why the count can be
 * higher than ceil(units / 153) or ceil(units / 67).  Input is untrusted:
 * the UTF-8 decoder is strict and everything is bounded by `len`.
 */
#include "config.h"

#include "sms_text.h"

#include <string.h>

#define GSM_SINGLE 160
#define GSM_PART 153
#define UCS_SINGLE 70
#define UCS_PART 67

const char *
nf_sms_coding_name(enum nf_sms_coding c)
{
	return c == NF_SMS_GSM7 ? "gsm7" : "ucs2";
}

int
nf_sms_gsm7_width(uint32_t cp)
{
	/* the default alphabet beyond ASCII, in table order */
	static const uint16_t basic[] = {
		0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7,
		0x00D8, 0x00F8, 0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B,
		0x03A9, 0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E, 0x00C6, 0x00E6,
		0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6, 0x00D1, 0x00DC,
		0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
	};
	size_t i;

	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == 0x0C || cp == 0x20AC)		/* form feed, euro sign */
		return 2;
	if (cp >= 0x20 && cp < 0x7F) {
		if (strchr("^{}\\[~]|", (int)cp) != NULL)
			return 2;
		return cp == '`' ? 0 : 1;
	}
	for (i = 0; i < sizeof(basic) / sizeof(basic[0]); i++)
		if (basic[i] == cp)
			return 1;
	return 0;
}

/* Decode one code point; returns its byte length, 0 if invalid. */
static size_t
utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Characters a cut must not come before: they belong to the one before. */
static int
joins_previous(uint32_t cp)
{
	return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
	    (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
	    (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE20 && cp <= 0xFE2F) ||
	    (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp == 0x200D ||
	    (cp >= 0xE0020 && cp <= 0xE007F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

static int
is_regional(uint32_t cp)
{
	return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

/* Running count for one coding: total units and greedy packing into parts. */
struct pack {
	size_t total, parts, fill;
};

static void
pack_add(struct pack *p, size_t w, size_t part)
{
	p->total += w;
	if (p->parts == 0 || p->fill + w > part) {
		p->parts++;
		p->fill = 0;
	}
	p->fill += w;
}

static size_t
pack_segments(const struct pack *p, size_t single)
{
	if (p->total == 0)
		return 0;
	return p->total <= single ? 1 : p->parts;
}

struct scan {
	struct pack gsm, ucs;
	int gsm_ok;
	size_t chars;
};

static void
scan_info(const struct scan *sc, struct nf_sms_info *out)
{
	out->chars = sc->chars;
	if (sc->gsm_ok) {
		out->coding = NF_SMS_GSM7;
		out->units = sc->gsm.total;
		out->segments = pack_segments(&sc->gsm, GSM_SINGLE);
	} else {
		out->coding = NF_SMS_UCS2;
		out->units = sc->ucs.total;
		out->segments = pack_segments(&sc->ucs, UCS_SINGLE);
	}
}

static void
scan_add(struct scan *sc, uint32_t cp)
{
	int w = nf_sms_gsm7_width(cp);

	sc->chars++;
	if (w == 0)
		sc->gsm_ok = 0;
	else if (sc->gsm_ok)
		pack_add(&sc->gsm, (size_t)w, GSM_PART);
	pack_add(&sc->ucs, cp >= 0x10000 ? 2 : 1, UCS_PART);
}

int
nf_sms_measure(const char *s, size_t len, struct nf_sms_info *out)
{
	const unsigned char *p = (const unsigned char *)s;
	struct scan sc;
	size_t i = 0, n;
	uint32_t cp;

	memset(&sc, 0, sizeof(sc));
	sc.gsm_ok = 1;
	while (i < len) {
		if ((n = utf8_next(p + i, len - i, &cp)) == 0)
			return -1;
		scan_add(&sc, cp);
		i += n;
	}
	scan_info(&sc, out);
	return 0;
}

int
nf_sms_cut(const char *s, size_t len, size_t max_segments, size_t *keep,
    struct nf_sms_info *out)
{
	const unsigned char *p = (const unsigned char *)s;
	struct nf_sms_info info, best;
	struct scan sc;
	size_t i = 0, n, n2, ri_run = 0;
	uint32_t cp, next;

	memset(&sc, 0, sizeof(sc));
	sc.gsm_ok = 1;
	memset(&best, 0, sizeof(best));
	*keep = 0;
	/* the empty prefix always fits */
	while (i < len) {
		if ((n = utf8_next(p + i, len - i, &cp)) == 0)
			return -1;
		scan_add(&sc, cp);
		ri_run = is_regional(cp) ? ri_run + 1 : 0;
		i += n;
		scan_info(&sc, &info);
		if (info.segments > max_segments) {
			/*
			 * A GSM-7 prefix can fit again only while it stays GSM-7,
			 * and its count only grows: past this point, and once UCS-2,
			 * nothing later fits.  Keep scanning only to validate.
			 */
			continue;
		}
		if (i < len) {
			if ((n2 = utf8_next(p + i, len - i, &next)) == 0)
				return -1;
			if (joins_previous(next) || cp == 0x200D ||
			    (is_regional(next) && ri_run % 2 == 1))
				continue;
		}
		*keep = i;
		best = info;
	}
	if (out != NULL)
		*out = best;
	return *keep == len ? 0 : 1;
}
