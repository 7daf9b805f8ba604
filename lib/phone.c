/*
 * phone.c - normalise phone numbers to E.164 (ITU-T E.164, "+" and digits).
 *
 * Contract: nf_phone_normalize() reads NUL-terminated strings it does not
 * keep and writes "+<digits>" into the caller's buffer; no allocation, no
 * mutable state (thread-safe).  Every failure is -1 with a static English
 * reason; the output is never truncated silently.
 *
 * Own rules rather than libphonenumber: notifilter needs "is this a number
 * an SMS gateway will take, in one canonical form", not per-country
 * numbering plans, and libphonenumber would bring C++ and protobuf into a
 * pure-C milter.  What we check: an assigned country calling code (table
 * below, from the ITU-T list of assigned codes, complement to E.164), 8..15
 * digits in all, the fixed length and leading-digit rules of the North
 * American plan (+1), and the trunk prefix of the few countries where it is
 * not "0" (or where the 0 belongs to the number, as in Italy).
 */
#include "phone.h"

#include <string.h>

#define PHONE_DIGITS_MAX 15	/* E.164 6.1 */
#define PHONE_DIGITS_MIN 8
#define PHONE_NSN_MIN 4
/* digits we collect before calling a number too long; bounds the work */
#define PHONE_SCAN_MAX 40

/* Assigned country calling codes.  Codes are prefix-free (no code is the
 * start of another), so at most one of them starts any number. */
static const unsigned short phone_codes[] = {
	1, 7,
	20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48,
	49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81,
	82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
	211, 212, 213, 216, 218,
	220, 221, 222, 223, 224, 225, 226, 227, 228, 229,
	230, 231, 232, 233, 234, 235, 236, 237, 238, 239,
	240, 241, 242, 243, 244, 245, 246, 247, 248, 249,
	250, 251, 252, 253, 254, 255, 256, 257, 258,
	260, 261, 262, 263, 264, 265, 266, 267, 268, 269,
	290, 291, 297, 298, 299,
	350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
	370, 371, 372, 373, 374, 375, 376, 377, 378, 379,
	380, 381, 382, 383, 385, 386, 387, 389,
	420, 421, 423,
	500, 501, 502, 503, 504, 505, 506, 507, 508, 509,
	590, 591, 592, 593, 594, 595, 596, 597, 598, 599,
	670, 672, 673, 674, 675, 676, 677, 678, 679,
	680, 681, 682, 683, 685, 686, 687, 688, 689,
	690, 691, 692,
	800, 808, 850, 852, 853, 855, 856, 870, 880, 881, 882, 883, 886, 888,
	960, 961, 962, 963, 964, 965, 966, 967, 968,
	970, 971, 972, 973, 974, 975, 976, 977, 979,
	992, 993, 994, 995, 996, 998,
};

/* Trunk prefixes other than "0".  An empty prefix means the leading 0 of a
 * national number is part of the number and is kept (Italy, San Marino,
 * Vatican). */
static const struct {
	unsigned short cc;
	const char *trunk;
} phone_trunks[] = {
	{ 1, "1" }, { 7, "8" }, { 36, "06" }, { 39, "" }, { 370, "8" },
	{ 375, "8" }, { 378, "" }, { 379, "" },
};

static int
phone_is_assigned(unsigned cc)
{
	size_t i;

	for (i = 0; i < sizeof(phone_codes) / sizeof(phone_codes[0]); i++)
		if (phone_codes[i] == cc)
			return 1;
	return 0;
}

/* Length (1..3) of the assigned country code that d[0..n) starts with, or
 * 0. */
static size_t
phone_cc_len(const char *d, size_t n)
{
	unsigned cc = 0;
	size_t i;

	for (i = 0; i < 3 && i < n; i++) {
		cc = cc * 10 + (unsigned)(d[i] - '0');
		if (d[0] != '0' && phone_is_assigned(cc))
			return i + 1;
	}
	return 0;
}

static const char *
phone_trunk(unsigned cc)
{
	size_t i;

	for (i = 0; i < sizeof(phone_trunks) / sizeof(phone_trunks[0]); i++)
		if (phone_trunks[i].cc == cc)
			return phone_trunks[i].trunk;
	return "0";
}

/* Digits of DefaultCountry ("49" or "+49") into cc; 0 if it is not one
 * assigned code. */
static int
phone_parse_default(const char *s, char *cc, size_t *cclen, unsigned *ccnum)
{
	size_t n;

	if (*s == '+')
		s++;
	n = strlen(s);
	if (n < 1 || n > 3 || strspn(s, "0123456789") != n ||
	    phone_cc_len(s, n) != n)
		return 0;
	memcpy(cc, s, n);
	*cclen = n;
	*ccnum = 0;
	while (*s != '\0')
		*ccnum = *ccnum * 10 + (unsigned)(*s++ - '0');
	return 1;
}

static int
phone_is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
nf_phone_normalize(const char *in, const char *default_country, char *out,
    size_t outlen, const char **why)
{
	char dig[PHONE_SCAN_MAX + 1], full[PHONE_SCAN_MAX + 4];
	const char *p, *dummy, *d;
	size_t n = 0, m, ccl, i, paren_start = 0;
	size_t paren_zero = (size_t)-1;	/* index of a "(0)" digit */
	int plus = 0, depth = 0, any = 0, intl;

	if (why == NULL)
		why = &dummy;
	if (in == NULL)
		in = "";
	for (p = in; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= '0' && c <= '9') {
			if (n >= PHONE_SCAN_MAX) {
				*why = "number too long (more than 15 digits)";
				return -1;
			}
			dig[n++] = (char)c;
			any = 1;
			continue;
		}
		switch (c) {
		case ' ': case '\t': case '\r': case '\n': case '.': case '-':
		case '/':
			continue;
		case '+':
			if (any || plus) {
				*why = "'+' is only allowed at the start of "
				    "the number";
				return -1;
			}
			plus = 1;
			any = 1;
			continue;
		case '(':
			if (depth) {
				*why = "nested parentheses in phone number";
				return -1;
			}
			depth = 1;
			paren_start = n;
			any = 1;
			continue;
		case ')':
			if (!depth) {
				*why = "')' without matching '(' in phone number";
				return -1;
			}
			depth = 0;
			if (n == paren_start + 1 && dig[paren_start] == '0')
				paren_zero = paren_start;
			continue;
		default:
			break;
		}
		if (phone_is_letter(c))
			*why = "letters in phone number (vanity numbers and "
			    "extensions are not accepted: give digits only)";
		else
			*why = "invalid character in phone number (allowed: "
			    "digits, a leading +, spaces, . - / and ( ))";
		return -1;
	}
	if (depth) {
		*why = "'(' without matching ')' in phone number";
		return -1;
	}
	if (n == 0) {
		*why = any ? "no digits in phone number" : "empty phone number";
		return -1;
	}
	dig[n] = '\0';

	/* international prefix, or a national number completed below */
	d = dig;
	intl = 1;
	if (plus)
		;
	else if (n >= 2 && dig[0] == '0' && dig[1] == '0')
		d += 2;
	else if (n >= 3 && memcmp(dig, "011", 3) == 0 &&
	    (default_country == NULL || *default_country == '\0' ||
	    strcmp(default_country, "1") == 0 ||
	    strcmp(default_country, "+1") == 0))
		/* NANP's prefix; elsewhere 011... is a national number
		 * (Leeds is 0113 in the UK) */
		d += 3;
	else
		intl = 0;

	m = 0;
	if (intl) {
		if (*d == '\0') {
			*why = "no digits after the international prefix";
			return -1;
		}
		if (*d == '0') {
			*why = "country code cannot start with 0 (international "
			    "prefix written twice?)";
			return -1;
		}
		for (; *d != '\0'; d++) {
			/* "+49 (0)151 ...": the (0) is the trunk prefix,
			 * never dialled from abroad */
			if (paren_zero != (size_t)-1 &&
			    (size_t)(d - dig) == paren_zero)
				continue;
			full[m++] = *d;
		}
	} else {
		char cc[4];
		size_t cclen;
		unsigned ccnum;
		const char *trunk;
		size_t tl;

		if (default_country == NULL || *default_country == '\0') {
			*why = "number has no country code and DefaultCountry "
			    "is not set (write it as +<country code> ...)";
			return -1;
		}
		if (!phone_parse_default(default_country, cc, &cclen, &ccnum)) {
			*why = "DefaultCountry is not an assigned country "
			    "calling code (e.g. 49 for Germany)";
			return -1;
		}
		trunk = phone_trunk(ccnum);
		tl = strlen(trunk);
		if (tl > 0 && n > tl && memcmp(dig, trunk, tl) == 0)
			d += tl;
		memcpy(full, cc, cclen);
		m = cclen;
		memcpy(full + m, d, (size_t)(dig + n - d));
		m += (size_t)(dig + n - d);
	}
	full[m] = '\0';

	if (m > PHONE_DIGITS_MAX) {
		*why = "number too long (more than 15 digits with the country "
		    "code)";
		return -1;
	}
	ccl = phone_cc_len(full, m);
	if (ccl == 0) {
		*why = "country code is not an assigned ITU-T E.164 calling "
		    "code";
		return -1;
	}
	if (m < PHONE_DIGITS_MIN) {
		*why = "number too short (fewer than 8 digits with the country "
		    "code)";
		return -1;
	}
	if (m - ccl < PHONE_NSN_MIN) {
		*why = "national number too short (fewer than 4 digits after "
		    "the country code)";
		return -1;
	}
	if (ccl == 1 && full[0] == '1') {
		if (m - 1 != 10) {
			*why = "+1 (North American) numbers have 10 digits "
			    "after the country code";
			return -1;
		}
		if (full[1] < '2') {
			*why = "+1 (North American) area code cannot start "
			    "with 0 or 1";
			return -1;
		}
		if (full[4] < '2') {
			*why = "+1 (North American) exchange code cannot "
			    "start with 0 or 1";
			return -1;
		}
	}
	if (out == NULL || m + 2 > outlen) {
		*why = "output buffer too small";
		return -1;
	}
	out[0] = '+';
	for (i = 0; i <= m; i++)
		out[i + 1] = full[i];
	*why = NULL;
	return 0;
}
