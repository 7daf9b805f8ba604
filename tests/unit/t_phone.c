/*
 * t_phone.c - unit tests for lib/phone.c: E.164 normalisation and the
 * reason given for each kind of bad number.  Table-driven.
 */
#include "phone.h"
#include "tap.h"

struct phone_case {
	const char *in;
	const char *dc;		/* DefaultCountry, NULL = unset */
	const char *want;	/* E.164, or NULL when refused */
	const char *why;	/* reason prefix when refused */
};

static const struct phone_case cases[] = {
	/* international forms */
	{ "+4915112345678", NULL, "+4915112345678", NULL },
	{ "+49 151 1234 5678", NULL, "+4915112345678", NULL },
	{ "  +49-151-1234-5678  ", NULL, "+4915112345678", NULL },
	{ "+49 (151) 1234.5678", NULL, "+4915112345678", NULL },
	{ "+49 (0)151 12345678", NULL, "+4915112345678", NULL },
	{ "+49(0)30/1234567", NULL, "+49301234567", NULL },
	{ "004915112345678", NULL, "+4915112345678", NULL },
	{ "0049 151 12345678", "49", "+4915112345678", NULL },
	{ "0044 20 7946 0958", "49", "+442079460958", NULL },
	{ "011 44 20 7946 0958", NULL, "+442079460958", NULL },
	{ "011 44 20 7946 0958", "1", "+442079460958", NULL },
	{ "+1 (415) 555-2671", NULL, "+14155552671", NULL },
	{ "+1 415 555 2671", "49", "+14155552671", NULL },
	{ "+44 20 7946 0958", NULL, "+442079460958", NULL },
	{ "+33 6 12 34 56 78", NULL, "+33612345678", NULL },
	{ "+7 912 345-67-89", NULL, "+79123456789", NULL },
	{ "+353 85 123 4567", NULL, "+353851234567", NULL },
	{ "+420 601 123 456", NULL, "+420601123456", NULL },
	{ "+852 5123 4567", NULL, "+85251234567", NULL },
	{ "+971 50 123 4567", NULL, "+971501234567", NULL },
	{ "+39 06 1234 5678", NULL, "+390612345678", NULL },
	{ "+882 1234 5678", NULL, "+88212345678", NULL },
	{ "+491234567890123", NULL, "+491234567890123", NULL },	/* 15 */
	{ "+1234567", NULL, NULL, "number too short" },			/* 7 */
	{ "+2512345678", NULL, "+2512345678", NULL },	/* 251 Ethiopia, 10 digits */
	/* national numbers, completed with DefaultCountry */
	{ "0151 12345678", "49", "+4915112345678", NULL },
	{ "(0151) 1234 5678", "49", "+4915112345678", NULL },
	{ "15112345678", "49", "+4915112345678", NULL },
	{ "0151 12345678", "+49", "+4915112345678", NULL },
	{ "020 7946 0958", "44", "+442079460958", NULL },
	{ "0113 496 0000", "44", "+441134960000", NULL },	/* 011 is Leeds */
	{ "(415) 555-2671", "1", "+14155552671", NULL },
	{ "1-415-555-2671", "1", "+14155552671", NULL },
	{ "415.555.2671", "1", "+14155552671", NULL },
	{ "06 1234 5678", "39", "+390612345678", NULL },	/* Italy keeps 0 */
	{ "8 (912) 345-67-89", "7", "+79123456789", NULL },	/* trunk 8 */
	{ "06 30 123 4567", "36", "+36301234567", NULL },	/* trunk 06 */
	{ "0612345678", "33", "+33612345678", NULL },
	/* refused: no country code */
	{ "0151 12345678", NULL, NULL,
	    "number has no country code and DefaultCountry is not set" },
	{ "0151 12345678", "", NULL,
	    "number has no country code and DefaultCountry is not set" },
	{ "0151 12345678", "999", NULL, "DefaultCountry is not an assigned" },
	{ "0151 12345678", "4x", NULL, "DefaultCountry is not an assigned" },
	{ "0151 12345678", "4912", NULL, "DefaultCountry is not an assigned" },
	/* refused: letters (vanity numbers, extensions) */
	{ "1-800-FLOWERS", "1", NULL, "letters in phone number" },
	{ "+1 800 356 9377 ext 12", NULL, NULL, "letters in phone number" },
	{ "+49 151 1234567x", NULL, NULL, "letters in phone number" },
	{ "tel:+4915112345678", NULL, NULL, "letters in phone number" },
	/* refused: characters */
	{ "+49 151 1234567#", NULL, NULL, "invalid character in phone number" },
	{ "+49_15112345678", NULL, NULL, "invalid character in phone number" },
	{ "+49 151 \xc2\xa0" "12345678", NULL, NULL,
	    "invalid character in phone number" },
	{ "49+15112345678", NULL, NULL, "'+' is only allowed at the start" },
	{ "++4915112345678", NULL, NULL, "'+' is only allowed at the start" },
	{ "+49 (151 12345678", NULL, NULL, "'(' without matching ')'" },
	{ "+49 151) 12345678", NULL, NULL, "')' without matching '('" },
	{ "+49 ((151)) 12345678", NULL, NULL, "nested parentheses" },
	/* refused: empty */
	{ "", "49", NULL, "empty phone number" },
	{ "   ", "49", NULL, "empty phone number" },
	{ "+ () -", "49", NULL, "no digits in phone number" },
	{ "00", "49", NULL, "no digits after the international prefix" },
	{ "+0049 151 12345678", NULL, NULL, "country code cannot start with 0" },
	{ "000 49 151 12345678", NULL, NULL, "country code cannot start with 0" },
	/* refused: lengths */
	{ "+49 151", NULL, NULL, "number too short" },
	{ "+49 1234", NULL, NULL, "number too short" },
	{ "0151", "49", NULL, "number too short" },
	{ "+49 151 1234 5678 9012", NULL, NULL, "number too long" },	/* 16 */
	{ "+1234567890123456", NULL, NULL, "number too long" },
	{ "+4915112345678901234567890123456789012345678901234567890", NULL, NULL,
	    "number too long" },
	{ "0151 1234 5678 9012 34", "49", NULL, "number too long" },
	/* refused: country codes */
	{ "+999 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+0 1234 5678", NULL, NULL, "country code cannot start with 0" },
	{ "+28 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+259 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+384 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+422 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+671 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+83 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+89 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "+969 1234 5678", NULL, NULL, "country code is not an assigned" },
	{ "00999 1234 5678", "49", NULL, "country code is not an assigned" },
	/* refused: North American plan */
	{ "+1 415 555 267", NULL, NULL, "+1 (North American) numbers have 10" },
	{ "+1 415 555 26711", NULL, NULL, "+1 (North American) numbers have 10" },
	{ "+1 015 555 2671", NULL, NULL, "+1 (North American) area code" },
	{ "+1 415 055 2671", NULL, NULL, "+1 (North American) exchange code" },
	{ "555-2671", "1", NULL, "+1 (North American) numbers have 10" },
};

/* Every assigned code the brief lists by name must be accepted, and a few
 * neighbours that are spare must not. */
static void
test_codes(void)
{
	static const char *const assigned[] = {
		"1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39",
		"40", "41", "43", "44", "45", "46", "47", "48", "49", "51", "52",
		"53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64",
		"65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94",
		"95", "98", "211", "212", "213", "216", "218", "220", "229",
		"230", "239", "240", "249", "250", "258", "260", "269", "290",
		"291", "297", "298", "299", "350", "359", "370", "379", "380",
		"383", "385", "387", "389", "420", "421", "423", "500", "509",
		"590", "599", "670", "672", "679", "680", "683", "685", "689",
		"690", "692", "850", "852", "853", "855", "856", "880", "886",
		"960", "968", "970", "977", "992", "998",
	};
	static const char *const spare[] = {
		"0", "210", "214", "215", "217", "219", "259", "28", "280",
		"289", "292", "296", "384", "388", "42", "422", "424", "429",
		"671", "684", "693", "699", "801", "83", "854", "857", "859",
		"884", "887", "89", "969", "978", "990", "997", "999",
	};
	char in[40], out[NF_PHONE_MAX + 1];
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(assigned) / sizeof(assigned[0]); i++) {
		/* +1 needs NANP shape; others get 9 more digits */
		snprintf(in, sizeof(in), "+%s%s", assigned[i],
		    assigned[i][0] == '1' && assigned[i][1] == '\0' ?
		    "4155552671" : "234567890");
		rc = nf_phone_normalize(in, NULL, out, sizeof(out), &why);
		ok(rc == 0 && strcmp(out, in) == 0,
		    "country code +%s accepted (%s)", assigned[i],
		    rc ? why : out);
	}
	for (i = 0; i < sizeof(spare) / sizeof(spare[0]); i++) {
		snprintf(in, sizeof(in), "+%s234567890", spare[i]);
		rc = nf_phone_normalize(in, NULL, out, sizeof(out), &why);
		ok(rc == -1 && (strncmp(why, "country code is not", 19) == 0 ||
		    strncmp(why, "country code cannot", 19) == 0),
		    "spare country code +%s refused (%s)", spare[i],
		    rc ? why : out);
	}
}

static void
test_buffers(void)
{
	char out[NF_PHONE_MAX + 1];
	const char *why;
	int rc;

	rc = nf_phone_normalize("+491234567890123", NULL, out, sizeof(out), &why);
	ok(rc == 0 && strlen(out) == NF_PHONE_MAX,
	    "15 digits fill NF_PHONE_MAX + 1 exactly (%s)", rc ? why : out);
	rc = nf_phone_normalize("+4915112345678", NULL, out, 14, &why);
	ok(rc == -1 && strcmp(why, "output buffer too small") == 0,
	    "14-byte buffer for a 14-char number refused, not truncated");
	rc = nf_phone_normalize("+4915112345678", NULL, out, 15, &why);
	ok(rc == 0 && strcmp(out, "+4915112345678") == 0,
	    "15-byte buffer for a 14-char number enough");
	rc = nf_phone_normalize(NULL, "49", out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "empty phone number") == 0,
	    "NULL number refused as empty");
	rc = nf_phone_normalize("+4915112345678", NULL, out, sizeof(out), NULL);
	is_int(rc, 0, "why may be NULL");
}

int
main(void)
{
	char out[NF_PHONE_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct phone_case *t = &cases[i];
		const char *why = "unset";
		int rc = nf_phone_normalize(t->in, t->dc, out, sizeof(out), &why);

		if (t->want != NULL) {
			ok(rc == 0 && strcmp(out, t->want) == 0,
			    "[%zu] \"%s\" (DefaultCountry %s) -> %s (got %s)", i,
			    t->in, t->dc ? t->dc : "unset", t->want,
			    rc ? why : out);
		} else {
			ok(rc == -1 && why != NULL &&
			    strncmp(why, t->why, strlen(t->why)) == 0,
			    "[%zu] \"%s\" (DefaultCountry %s) refused: \"%s\" "
			    "(got rc %d, \"%s\")", i, t->in,
			    t->dc ? t->dc : "unset", t->why, rc,
			    rc ? (why ? why : "(null)") : out);
		}
	}
	test_codes();
	test_buffers();
	return tap_done();
}
