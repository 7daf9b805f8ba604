/*
 * sms_text.h - how a UTF-8 text travels as SMS: GSM-7 or UCS-2, how many
 * segments, and where to cut it to fit a segment limit.  Pure functions,
 * no I/O, no allocation: safe from any thread.
 *
 * Rules (3GPP TS 23.038 / 23.040, as providers bill them):
 *   GSM-7  when every character is in the default alphabet or its
 *          extension table; extension characters (^ { } \ [ ~ ] | € and
 *          form feed) take 2 septets.  1 segment up to 160 septets, else
 *          parts of 153 septets; an escape pair is never split across parts.
 *   UCS-2  otherwise (UTF-16 code units): 1 segment up to 70 units, else
 *          parts of 67; a surrogate pair (emoji) is never split.
 */
#ifndef NF_SMS_TEXT_H
#define NF_SMS_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum nf_sms_coding { NF_SMS_GSM7 = 0, NF_SMS_UCS2 };

struct nf_sms_info {
	enum nf_sms_coding coding;
	size_t chars;		/* Unicode code points */
	size_t units;		/* septets (GSM-7) or UTF-16 code units (UCS-2) */
	size_t segments;	/* 0 for the empty text */
};

/* Measure `len` bytes of UTF-8.  0, or -1 when the text is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
int nf_sms_measure(const char *s, size_t len, struct nf_sms_info *out);

/*
 * The longest prefix of `s` that fits in `max_segments`, measured in its
 * own coding (cutting off the only UCS-2 character may turn the rest into
 * GSM-7, which holds more).  The cut is clean: on a character boundary,
 * never before a combining mark, variation selector, skin-tone modifier or
 * zero-width joiner, never after a joiner, never inside a flag (pair of
 * regional indicators).  *keep gets the prefix length in bytes, *out (if
 * not NULL) its measure.  Returns 0 when the whole text fits, 1 when it
 * was cut, -1 for invalid UTF-8.
 */
int nf_sms_cut(const char *s, size_t len, size_t max_segments, size_t *keep,
    struct nf_sms_info *out);

/* Septets of one code point in GSM-7: 1, 2 (extension table) or 0 (not in
 * GSM-7). */
int nf_sms_gsm7_width(uint32_t cp);

const char *nf_sms_coding_name(enum nf_sms_coding c);	/* "gsm7" "ucs2" */

#endif
