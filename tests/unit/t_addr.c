/*
 * t_addr.c - unit tests for lib/addr.c: normalisation, rejection reasons,
 * domain extraction and typo hints.  Table-driven; each row says what it
 * proves.
 */
#include "addr.h"
#include "tap.h"

#include <stdlib.h>

struct norm_case {
	const char *in;
	const char *want;	/* normalised key, or NULL if invalid */
	const char *why;	/* expected reason (prefix) when invalid */
};

static const struct norm_case norm_ok[] = {
	{ "user@example.com", "user@example.com", NULL },
	{ "John.Doe@Example.ORG", "john.doe@example.org", NULL },
	{ "  <User@Example.COM>\t\r\n", "user@example.com", NULL },
	{ "<a@b.example>", "a@b.example", NULL },
	{ "a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk", NULL },
	{ "!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~@example.com",
	    NULL },
	{ "x@a.b", "x@a.b", NULL },
	{ "root@localhost", "root@localhost", NULL },
	{ "user@123.example", "user@123.example", NULL },
	/* quoted local parts: kept quoted only when needed */
	{ "\"john doe\"@example.com", "\"john doe\"@example.com", NULL },
	{ "\"John Doe\"@EXAMPLE.com", "\"john doe\"@example.com", NULL },
	{ "\"a\\\"b\"@x.org", "\"a\\\"b\"@x.org", NULL },
	{ "\"a\\\\b\"@x.org", "\"a\\\\b\"@x.org", NULL },
	{ "\"john\"@example.com", "john@example.com", NULL },
	{ "\"John.Smith\"@example.com", "john.smith@example.com", NULL },
	{ "\"a\\b\"@x.org", "ab@x.org", NULL },
	{ "\"a..b\"@x.org", "\"a..b\"@x.org", NULL },
	{ "\".a\"@x.org", "\".a\"@x.org", NULL },
	{ "\"a@b\"@x.org", "\"a@b\"@x.org", NULL },
	{ "\"a,b\"@x.org", "\"a,b\"@x.org", NULL },
	/* trailing dot of a fully qualified domain */
	{ "user@example.com.", "user@example.com", NULL },
	/* IDN: U-labels become A-labels, TR46 non-transitional */
	{ "user@b\xc3\xbc" "cher.de", "user@xn--bcher-kva.de", NULL },
	{ "User@B\xc3\x9c" "CHER.DE", "user@xn--bcher-kva.de", NULL },
	{ "user@b\xc3\xbc" "cher.de.", "user@xn--bcher-kva.de", NULL },
	{ "user@xn--bcher-kva.de", "user@xn--bcher-kva.de", NULL },
	{ "user@XN--BCHER-KVA.DE", "user@xn--bcher-kva.de", NULL },
	{ "user@fa\xc3\x9f.de", "user@xn--fa-hia.de", NULL },	/* not fass.de */
	{ "user@stra\xc3\x9f" "e.de", "user@xn--strae-oqa.de", NULL },
	{ "user@\xef\xbd\x85xample.com", "user@example.com", NULL },	/* fullwidth e */
	{ "user@m\xc3\xbcnchen.example", "user@xn--mnchen-3ya.example", NULL },
	/* address literals */
	{ "user@[192.0.2.1]", "user@[192.0.2.1]", NULL },
	{ "user@[IPv6:2001:DB8:0:0:0:0:0:1]", "user@[ipv6:2001:db8::1]", NULL },
	{ "user@[ipv6:::1]", "user@[ipv6:::1]", NULL },
};

static const struct norm_case norm_bad[] = {
	{ "", NULL, "empty address" },
	{ "   \t ", NULL, "empty address" },
	{ "<>", NULL, "empty address" },
	{ "userexample.com", NULL, "no @" },
	{ "\"a@b\"", NULL, "no @" },
	{ "user@", NULL, "empty domain" },
	{ "user@.", NULL, "empty domain" },
	{ "@example.com", NULL, "empty local part" },
	{ "\"\"@example.com", NULL, "empty local part" },
	{ "a@b@example.com", NULL, "more than one @ outside quotes" },
	{ "a@@example.com", NULL, "more than one @ outside quotes" },
	{ "user@example.com, b@example.com", NULL,
	    "more than one @ outside quotes" },
	{ "john..doe@example.com", NULL, "consecutive dots in local part" },
	{ ".john@example.com", NULL, "local part starts with '.'" },
	{ "john.@example.com", NULL, "local part ends with '.'" },
	{ "user@example..com", NULL, "consecutive dots in domain" },
	{ "user@example.com..", NULL, "consecutive dots in domain" },
	{ "user@.example.com", NULL, "domain starts with '.'" },
	{ "user@-example.com", NULL, "domain label starts with '-'" },
	{ "user@example-.com", NULL, "domain label ends with '-'" },
	{ "user@exa_mple.com", NULL, "underscore in domain" },
	{ "user@exa mple.com", NULL, "space in domain" },
	{ "user@exam\x01ple.com", NULL, "invalid character in domain" },
	{ "user@example.123", NULL, "top-level domain is numeric" },
	{ "user@192.0.2.1", NULL, "top-level domain is numeric" },
	{ "john doe@example.com", NULL, "space in local part" },
	{ "John <john@example.com>", NULL, "display name or stray <>" },
	{ "<user@example.com", NULL, "'<' without matching '>'" },
	{ "user@example.com>", NULL, "'>' without matching '<'" },
	{ "<<user@example.com>>", NULL, "display name or stray <>" },
	{ "a\"b@x.org", NULL, "quote inside the local part" },
	{ "a,b@x.org", NULL, "more than one address" },
	{ "us(er)@x.org", NULL, "comments in parentheses" },
	{ "us\x01er@x.org", NULL, "control character in local part" },
	{ "\"unterminated@example.com", NULL, "unterminated quoted local part" },
	{ "\"a\"b@x.org", NULL, "text after the quoted local part" },
	{ "\"a\tb\"@x.org", NULL, "control character or tab" },
	{ "\"a\\\xc3\xa9\"@x.org", NULL, "non-ASCII character in local part" },
	{ "\xc3\xbcser@example.com", NULL, "non-ASCII character in local part" },
	/* IDN errors */
	{ "user@b\xfc" "cher.de", NULL, "invalid IDN domain: not valid UTF-8" },
	{ "user@\xe2\x98\x83.com", NULL, "invalid IDN domain: disallowed" },
	{ "user@xn--zzzz.de", NULL, "invalid IDN domain: bad Punycode" },
	{ "user@-b\xc3\xbc" "cher.de", NULL,
	    "invalid IDN domain: label starts or ends with '-'" },
	{ "user@b\xc3\xbc_cher.de", NULL, "underscore in domain" },
	/* address literals */
	{ "user@[1.2.3]", NULL, "invalid IPv4 address literal" },
	{ "user@[1.2.3.256]", NULL, "invalid IPv4 address literal" },
	{ "user@[1.2.3.4", NULL, "address literal without closing ']'" },
	{ "user@[]", NULL, "empty address literal" },
	{ "user@[IPv6:zz::1]", NULL, "invalid IPv6 address literal" },
	{ "user@[foo:bar]", NULL, "unknown address literal tag" },
};

static char *
repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* Input made printable for a TAP line (which must not hold a newline). */
static const char *
show(const char *s)
{
	static char buf[4][200];
	static int k;
	char *b = buf[k = (k + 1) % 4];
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n + 5 < sizeof(buf[0]); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(b + n, sizeof(buf[0]) - n, "\\x%02x", c);
		else
			b[n++] = (char)c;
	}
	b[n] = '\0';
	return b;
}

static void
check_case(const struct norm_case *t, size_t i)
{
	char out[NF_ADDR_MAX + 1], again[NF_ADDR_MAX + 1];
	const char *why = "unset";
	int rc = nf_addr_normalize(t->in, out, sizeof(out), &why);

	if (t->want != NULL) {
		is_int(rc, 0, "ok[%zu] %s accepted (why: %s)", i, show(t->in),
		    rc ? why : "-");
		if (rc != 0)
			return;
		is_str(out, t->want, "ok[%zu] %s normalised", i, show(t->in));
		rc = nf_addr_normalize(out, again, sizeof(again), &why);
		ok(rc == 0 && strcmp(again, out) == 0,
		    "ok[%zu] key %s is a fixed point (got rc %d, %s)", i, out,
		    rc, rc ? why : again);
	} else {
		is_int(rc, -1, "bad[%zu] %s refused", i, show(t->in));
		ok(rc != 0 && why != NULL &&
		    strncmp(why, t->why, strlen(t->why)) == 0,
		    "bad[%zu] reason starts with \"%s\" (got \"%s\")", i, t->why,
		    why ? why : "(null)");
	}
}

static void
test_lengths(void)
{
	char out[NF_ADDR_MAX + 1], in[4096];
	const char *why;
	char *l64 = repeat('a', 64), *l65 = repeat('a', 65);
	char *lab63 = repeat('b', 63), *lab64 = repeat('b', 64);
	char *huge = repeat('x', 5000);
	int rc;

	snprintf(in, sizeof(in), "%s@x.org", l64);
	rc = nf_addr_normalize(in, out, sizeof(out), &why);
	is_int(rc, 0, "64-octet local part accepted");
	snprintf(in, sizeof(in), "%s@x.org", l65);
	rc = nf_addr_normalize(in, out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "local part longer than 64 octets") == 0,
	    "65-octet local part refused (rc %d, why %s)", rc, rc ? why : "-");
	snprintf(in, sizeof(in), "\"%s\"@x.org", l65);
	rc = nf_addr_normalize(in, out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "local part longer than 64 octets") == 0,
	    "quoted 65-octet local part refused (rc %d)", rc);
	/* quoted: 62 spaces + 2 quotes = 64 ok; 63 spaces = 65 */
	{
		char *sp62 = repeat(' ', 62), *sp63 = repeat(' ', 63);

		snprintf(in, sizeof(in), "\"%s\"@x.org", sp62);
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		is_int(rc, 0, "quoted local part of 64 octets with quotes ok");
		snprintf(in, sizeof(in), "\"%s\"@x.org", sp63);
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		ok(rc == -1 && strcmp(why, "local part longer than 64 octets") ==
		    0, "quoted local part of 65 octets with quotes refused");
		/* escapes count: 31 escaped quotes = 62 + 2 = 64 */
		free(sp62);
		free(sp63);
	}
	snprintf(in, sizeof(in), "u@%s.com", lab63);
	rc = nf_addr_normalize(in, out, sizeof(out), &why);
	is_int(rc, 0, "63-octet label accepted");
	snprintf(in, sizeof(in), "u@%s.com", lab64);
	rc = nf_addr_normalize(in, out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "domain label longer than 63 octets") == 0,
	    "64-octet label refused (why %s)", rc ? why : "-");

	/* exactly 254: 64 + 1 + 189 (63.63.61) */
	{
		char *lab61 = repeat('c', 61), *lab62 = repeat('c', 62);

		snprintf(in, sizeof(in), "%s@%s.%s.%s", l64, lab63, lab63, lab61);
		is_int(strlen(in), 254, "254-octet test address built");
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		is_int(rc, 0, "254-octet address accepted (why %s)",
		    rc ? why : "-");
		is_int(strlen(out), 254, "254-octet key kept whole");
		snprintf(in, sizeof(in), "%s@%s.%s.%s", l64, lab63, lab63, lab62);
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		ok(rc == -1 && strcmp(why, "address longer than 254 octets") == 0,
		    "255-octet address refused (why %s)", rc ? why : "-");
		/* 254 with a trailing dot is still 254 */
		snprintf(in, sizeof(in), "%s@%s.%s.%s.", l64, lab63, lab63, lab61);
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		is_int(rc, 0, "254 octets plus a trailing dot accepted");
		free(lab61);
		free(lab62);
	}
	/* an IDN address of 250 octets that becomes 268 as A-labels: each
	 * label of 55 'a' and one u-umlaut grows from 57 to 63 octets */
	{
		char lab[64], *a55 = repeat('a', 55);

		snprintf(lab, sizeof(lab), "%s\xc3\xbc", a55);
		snprintf(in, sizeof(in), "%s@%s.%s.%s.bbbbbbbb.de", l64, lab, lab,
		    lab);
		is_int(strlen(in), 250, "250-octet IDN test address built");
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		ok(rc == -1 && strcmp(why, "address longer than 254 octets") == 0,
		    "IDN address over 254 octets as A-labels refused (why %s)",
		    rc ? why : out);
		snprintf(in, sizeof(in), "u@%s.de", lab);
		rc = nf_addr_normalize(in, out, sizeof(out), &why);
		ok(rc == 0 && strcmp(out, "u@xn--" "aaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa-8yf.de") == 0,
		    "IDN label of 63 octets as an A-label accepted (%s)",
		    rc ? why : out);
		free(a55);
	}
	rc = nf_addr_normalize(huge, out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "address longer than 254 octets") == 0,
	    "5000-octet input refused without scanning past the limit (%s)",
	    rc ? why : "-");
	huge[2500] = '@';
	rc = nf_addr_normalize(huge, out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "address longer than 254 octets") == 0,
	    "5000-octet input with @ refused (%s)", rc ? why : "-");

	/* output buffer */
	rc = nf_addr_normalize("user@example.com", out, 16, &why);
	ok(rc == -1 && strcmp(why, "output buffer too small") == 0,
	    "16-byte buffer for a 16-char key refused, not truncated");
	rc = nf_addr_normalize("user@example.com", out, 17, &why);
	ok(rc == 0 && strcmp(out, "user@example.com") == 0,
	    "17-byte buffer for a 16-char key enough");
	rc = nf_addr_normalize(NULL, out, sizeof(out), &why);
	ok(rc == -1 && strcmp(why, "empty address") == 0, "NULL input refused");
	rc = nf_addr_normalize("user@example.com", out, sizeof(out), NULL);
	is_int(rc, 0, "why may be NULL");

	free(l64);
	free(l65);
	free(lab63);
	free(lab64);
	free(huge);
}

static void
test_domain(void)
{
	static const struct {
		const char *addr, *want;
	} t[] = {
		{ "user@example.com", "example.com" },
		{ "\"a@b\"@x.org", "x.org" },
		{ "user@[192.0.2.1]", "[192.0.2.1]" },
		{ "nodomain", NULL },
		{ "user@", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(nf_addr_domain(t[i].addr), t[i].want, "domain of %s",
		    t[i].addr);
	ok(nf_addr_domain(NULL) == NULL, "domain of NULL is NULL");
}

static void
test_typo(void)
{
	static const struct {
		const char *addr, *want;	/* want NULL: no hint */
	} t[] = {
		{ "john@gmial.com", "john@gmail.com" },
		{ "john@gmai.com", "john@gmail.com" },
		{ "john@gmaill.com", "john@gmail.com" },
		{ "john@gnail.com", "john@gmail.com" },
		{ "john@hotmial.com", "john@hotmail.com" },
		{ "john@yaho.com", "john@yahoo.com" },
		{ "john@yahooo.com", "john@yahoo.com" },
		{ "john@outlok.com", "john@outlook.com" },
		{ "john@iclod.com", "john@icloud.com" },
		{ "john@googlemial.com", "john@googlemail.com" },
		{ "john@hotmial.co.uk", "john@hotmail.co.uk" },
		{ "john@gmail.con", "john@gmail.com" },
		{ "john@gmail.cmo", "john@gmail.com" },
		{ "john@gmail.co", "john@gmail.com" },
		{ "john@gmail.cm", "john@gmail.com" },
		{ "john@yahoo.comm", "john@yahoo.com" },
		{ "john@aol.con", "john@aol.com" },
		{ "john@gmx.ner", "john@gmx.net" },
		{ "john@gmail", "john@gmail.com" },
		{ "john@gmailcom", "john@gmail.com" },
		{ "john@hotmailcom", "john@hotmail.com" },
		{ "\"john doe\"@gmial.com", "\"john doe\"@gmail.com" },
		{ "j@GMIAL.COM", "j@gmail.com" },
		/* never for a domain in the table */
		{ "john@gmail.com", NULL },
		{ "john@mail.com", NULL },
		{ "john@ymail.com", NULL },
		{ "john@email.com", NULL },
		{ "john@gmx.de", NULL },
		{ "john@gmx.net", NULL },
		{ "john@hotmail.co.uk", NULL },
		/* not a typo of anything common */
		{ "john@example.com", NULL },
		{ "john@example.org", NULL },
		{ "john@love.com", NULL },	/* short names: TLD slips only */
		{ "john@aoll.com", NULL },
		{ "john@yahoo.dk", NULL },	/* other TLDs are real domains */
		{ "john@mail.ua", NULL },
		{ "john@gmail.org", NULL },
		{ "john@[192.0.2.1]", NULL },
		{ "nodomain", NULL },
	};
	char sug[NF_ADDR_MAX + 1], key[NF_ADDR_MAX + 1];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		strcpy(sug, "untouched");
		rc = nf_addr_typo_hint(t[i].addr, sug, sizeof(sug));
		if (t[i].want == NULL) {
			ok(rc == 0, "no hint for %s (got %d, %s)", t[i].addr, rc,
			    rc ? sug : "-");
			continue;
		}
		is_int(rc, 1, "hint for %s", t[i].addr);
		if (rc != 1)
			continue;
		is_str(sug, t[i].want, "hint for %s", t[i].addr);
		rc = nf_addr_normalize(sug, key, sizeof(key), &why);
		ok(rc == 0 && strcmp(key, sug) == 0,
		    "hint %s is itself a normalised address (%s)", sug,
		    rc ? why : key);
	}
	ok(nf_addr_typo_hint("john@gmial.com", sug, 14) == 0,
	    "no hint when the suggestion does not fit");
	ok(nf_addr_typo_hint("john@gmial.com", sug, 15) == 1 &&
	    strcmp(sug, "john@gmail.com") == 0, "hint fits in exactly 15 bytes");
	ok(nf_addr_typo_hint(NULL, sug, sizeof(sug)) == 0, "no hint for NULL");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(norm_ok) / sizeof(norm_ok[0]); i++)
		check_case(&norm_ok[i], i);
	for (i = 0; i < sizeof(norm_bad) / sizeof(norm_bad[0]); i++)
		check_case(&norm_bad[i], i);
	test_lengths();
	test_domain();
	test_typo();
	return tap_done();
}
