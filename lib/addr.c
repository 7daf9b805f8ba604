/*
 * addr.c - validate and normalise email addresses; typo hints for domains.
 *
 * Contract: nf_addr_normalize() reads a NUL-terminated string it does not
 * keep and writes the normalised key into the caller's buffer; nothing it
 * allocates outlives the call (libidn2's result is freed here).  Every
 * failure is -1 with a static English reason that names the problem; the
 * output is never truncated silently.  Thread-safe: no mutable state.
 *
 * The grammar is RFC 5321's Mailbox (dot-atom or quoted-string local part,
 * domain or address literal), which is stricter than RFC 5322's addr-spec
 * where the two differ (no obsolete forms, no comments, no folding white
 * space, no tab inside quotes): what we accept must be deliverable over
 * SMTP.  It is hand-written because it is small and because the key form and
 * the messages are this project's own; IDN conversion is libidn2's job
 * (IDNA2008 with UTS #46 non-transitional mapping, as browsers and mail
 * providers do).  Internationalised local parts (SMTPUTF8) are refused with
 * a reason that says so.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ADDR_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_LABEL_MAX 63	/* RFC 1035 */
/* Longest input we look at.  Longer input cannot give a key of at most
 * NF_ADDR_MAX octets (a U-label is never shorter in A-label form than its
 * number of code points, and removed escapes at most halve a local part)
 * unless it is padded with kilobytes of white space, which we refuse. */
#define ADDR_INPUT_MAX 2048

static int
addr_is_alpha_digit(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
addr_is_atext(unsigned char c)
{
	return addr_is_alpha_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static unsigned char
addr_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int
addr_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Why an unquoted local part character is wrong, in words a user can act
 * on. */
static const char *
addr_local_char_reason(unsigned char c)
{
	if (c >= 0x80)
		return "non-ASCII character in local part (internationalised "
		    "local parts are not supported)";
	if (c == ' ' || c == '\t')
		return "space in local part (quote it, as in "
		    "\"john doe\"@example.com, or remove it)";
	if (c == '"')
		return "quote inside the local part (quote the whole local part)";
	if (c == '<' || c == '>')
		return "display name or stray <> (give the bare address)";
	if (c == '(' || c == ')')
		return "comments in parentheses are not allowed";
	if (c == ',' || c == ';')
		return "more than one address (',' or ';')";
	if (c < 0x20 || c == 0x7f)
		return "control character in local part";
	return "invalid character in local part (quote the local part if it "
	    "is really meant)";
}

/* True if s[0..n) is a dot-atom: atext runs separated by single dots. */
static int
addr_is_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!addr_is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Map libidn2's error to a static reason.  libidn2's own strings cannot be
 * combined with our prefix without a buffer, and a table lets us word them
 * for the person fixing a contact list. */
static const char *
addr_idn_reason(int rc)
{
	switch (rc) {
	case IDN2_MALLOC:
		return "invalid IDN domain: out of memory while converting";
	case IDN2_ENCODING_ERROR:
	case IDN2_ICONV_FAIL:
	case IDN2_NO_CODESET:
		return "invalid IDN domain: not valid UTF-8 (is the file in "
		    "Latin-1? save it as UTF-8)";
	case IDN2_NFC:
	case IDN2_NOT_NFC:
		return "invalid IDN domain: Unicode normalisation failed";
	case IDN2_PUNYCODE_BAD_INPUT:
	case IDN2_PUNYCODE_BIG_OUTPUT:
	case IDN2_PUNYCODE_OVERFLOW:
	case IDN2_INVALID_ALABEL:
	case IDN2_UALABEL_MISMATCH:
	case IDN2_ALABEL_ROUNDTRIP_FAILED:
		return "invalid IDN domain: bad Punycode (xn--) label";
	case IDN2_TOO_BIG_DOMAIN:
		return "invalid IDN domain: longer than 253 octets";
	case IDN2_TOO_BIG_LABEL:
		return "invalid IDN domain: label longer than 63 octets";
	case IDN2_2HYPHEN:
		return "invalid IDN domain: '--' in the third and fourth "
		    "position of a label";
	case IDN2_HYPHEN_STARTEND:
		return "invalid IDN domain: label starts or ends with '-'";
	case IDN2_LEADING_COMBINING:
		return "invalid IDN domain: label starts with a combining mark";
	case IDN2_DISALLOWED:
	case IDN2_DOT_IN_LABEL:
	case IDN2_INVALID_TRANSITIONAL:
	case IDN2_INVALID_NONTRANSITIONAL:
		return "invalid IDN domain: disallowed character";
	case IDN2_CONTEXTJ:
	case IDN2_CONTEXTJ_NO_RULE:
		return "invalid IDN domain: zero-width joiner or non-joiner "
		    "not allowed here";
	case IDN2_CONTEXTO:
	case IDN2_CONTEXTO_NO_RULE:
		return "invalid IDN domain: context-dependent character not "
		    "allowed here";
	case IDN2_UNASSIGNED:
		return "invalid IDN domain: unassigned Unicode code point";
	case IDN2_BIDI:
		return "invalid IDN domain: mixes right-to-left and "
		    "left-to-right text (bidi rule)";
	default:
		return "invalid IDN domain: rejected by libidn2";
	}
}

/*
 * Parse the local part starting at s (before e).  On success *at points at
 * the '@' and key[0..*klen) holds the canonical local part: lower case,
 * unquoted when it is a dot-atom, else quoted with only '"' and '\' escaped.
 * key has room for ADDR_LOCAL_MAX + 1 octets; a longer canonical form is the
 * "longer than 64 octets" error, found without overrunning key.
 */
static const char *
addr_parse_local(const char *s, const char *e, char *key, size_t *klen,
    const char **at)
{
	/* unescaped content; anything longer than 2 * 64 cannot fit anyway */
	char raw[2 * ADDR_LOCAL_MAX + 2];
	size_t n = 0, i, k;
	const char *p = s;
	int overflow = 0;

	if (*p == '"') {
		for (p++;; p++) {
			unsigned char c;

			if (p == e)
				return "unterminated quoted local part";
			c = (unsigned char)*p;
			if (c == '"')
				break;
			if (c == '\\') {
				if (++p == e)
					return "unterminated quoted local part";
				c = (unsigned char)*p;
				if (c < 0x20 || c > 0x7e)
					return c >= 0x80 ?
					    "non-ASCII character in local part "
					    "(internationalised local parts are "
					    "not supported)" :
					    "control character in quoted local "
					    "part";
			} else if (c < 0x20 || c > 0x7e)
				return c >= 0x80 ?
				    "non-ASCII character in local part "
				    "(internationalised local parts are not "
				    "supported)" :
				    "control character or tab in quoted local "
				    "part";
			if (n < sizeof(raw))
				raw[n++] = (char)addr_lower(c);
			else
				overflow = 1;
		}
		p++;
		if (p == e)
			return "no @";
		if (*p != '@')
			return "text after the quoted local part (expected @)";
		if (n == 0)
			return "empty local part";
	} else {
		for (; p < e && *p != '@'; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '.') {
				if (p == s)
					return "local part starts with '.'";
				if (p[-1] == '.')
					return "consecutive dots in local part";
			} else if (!addr_is_atext(c))
				return addr_local_char_reason(c);
			if (n < sizeof(raw))
				raw[n++] = (char)addr_lower(c);
			else
				overflow = 1;
		}
		if (p == e)
			return "no @";
		if (p == s)
			return "empty local part";
		if (p[-1] == '.')
			return "local part ends with '.'";
	}
	if (overflow || n > ADDR_LOCAL_MAX)
		return "local part longer than 64 octets";
	if (addr_is_dot_atom(raw, n)) {
		memcpy(key, raw, n);
		k = n;
	} else {
		k = 0;
		key[k++] = '"';
		for (i = 0; i < n; i++) {
			if (raw[i] == '"' || raw[i] == '\\') {
				if (k >= ADDR_LOCAL_MAX)
					return "local part longer than 64 octets";
				key[k++] = '\\';
			}
			if (k >= ADDR_LOCAL_MAX)
				return "local part longer than 64 octets";
			key[k++] = raw[i];
		}
		if (k >= ADDR_LOCAL_MAX)
			return "local part longer than 64 octets";
		key[k++] = '"';
	}
	*klen = k;
	*at = p;
	return NULL;
}

/* [1.2.3.4] or [IPv6:...] in d[0..n), brackets included; canonical text
 * (inet_ntop, lower case) into dom. */
static const char *
addr_parse_literal(const char *d, size_t n, char *dom, size_t domsz,
    size_t *dlen)
{
	char lit[64], text[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	size_t m, i;

	if (n < 2 || d[n - 1] != ']')
		return "address literal without closing ']'";
	m = n - 2;
	if (m == 0)
		return "empty address literal []";
	if (m >= sizeof(lit))
		return "invalid address literal (too long for an IP address)";
	memcpy(lit, d + 1, m);
	lit[m] = '\0';
	if (strncasecmp(lit, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, lit + 5, bin) != 1)
			return "invalid IPv6 address literal";
		if (inet_ntop(AF_INET6, bin, text, sizeof(text)) == NULL)
			return "invalid IPv6 address literal";
		m = (size_t)snprintf(dom, domsz, "[ipv6:%s]", text);
	} else if (strchr(lit, ':') != NULL) {
		return "unknown address literal tag (only [IPv6:...] and "
		    "[1.2.3.4] are defined)";
	} else {
		if (inet_pton(AF_INET, lit, bin) != 1)
			return "invalid IPv4 address literal";
		if (inet_ntop(AF_INET, bin, text, sizeof(text)) == NULL)
			return "invalid IPv4 address literal";
		m = (size_t)snprintf(dom, domsz, "[%s]", text);
	}
	if (m >= domsz)
		return "address longer than 254 octets";
	for (i = 0; i < m; i++)
		dom[i] = (char)addr_lower((unsigned char)dom[i]);
	*dlen = m;
	return NULL;
}

/* Check an ASCII domain in dom[0..n) as LDH labels and lower-case it. */
static const char *
addr_check_ldh(char *dom, size_t n)
{
	size_t i, start = 0, last_start = 0;
	int all_digits = 1;

	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)dom[i] : '.';

		if (c == '.') {
			size_t len = i - start;

			if (len == 0)
				return start == 0 ? "domain starts with '.'" :
				    "consecutive dots in domain";
			if (len > ADDR_LABEL_MAX)
				return "domain label longer than 63 octets";
			if (dom[start] == '-')
				return "domain label starts with '-'";
			if (dom[i - 1] == '-')
				return "domain label ends with '-'";
			last_start = start;
			start = i + 1;
			continue;
		}
		if (addr_is_alpha_digit(c) || c == '-') {
			dom[i] = (char)addr_lower(c);
			continue;
		}
		if (c == '_')
			return "underscore in domain (not allowed in mail "
			    "domains)";
		if (c == '@')
			return "more than one @ outside quotes";
		if (c == ' ' || c == '\t')
			return "space in domain";
		if (c == '[' || c == ']')
			return "stray '[' or ']' in domain";
		return "invalid character in domain";
	}
	for (i = last_start; i < n; i++)
		if (dom[i] < '0' || dom[i] > '9')
			all_digits = 0;
	if (all_digits)
		return "top-level domain is numeric (write an IP address as "
		    "[1.2.3.4])";
	return NULL;
}

/* Domain name in d[0..n) (no literal): trailing dot removed, U-labels to
 * A-labels, LDH checked, lower case into dom. */
static const char *
addr_parse_domain(const char *d, size_t n, char *dom, size_t domsz,
    size_t *dlen)
{
	char in[ADDR_INPUT_MAX + 1];
	size_t i;
	int need_idn = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0)
		return "empty domain";
	if (n >= sizeof(in))
		return "address longer than 254 octets";
	memcpy(in, d, n);
	in[n] = '\0';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80) {
			need_idn = 1;
			continue;
		}
		/* libidn2's UTS #46 mapping would quietly drop or map some
		 * ASCII (it turns "b_c" into "bc"): judge ASCII ourselves. */
		if (c == '.') {
			if (i == 0)
				return "domain starts with '.'";
			if (in[i - 1] == '.')
				return "consecutive dots in domain";
		} else if (!addr_is_alpha_digit(c) && c != '-') {
			char one = (char)c;
			const char *r = addr_check_ldh(&one, 1);

			return r != NULL ? r : "invalid character in domain";
		}
		if ((i == 0 || in[i - 1] == '.') && i + 4 <= n &&
		    strncasecmp(in + i, "xn--", 4) == 0)
			need_idn = 1;	/* validate A-labels too */
	}
	if (need_idn) {
		uint8_t *ace = NULL;
		size_t m;
		int rc;

		rc = idn2_lookup_u8((const uint8_t *)in, &ace,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL |
		    IDN2_USE_STD3_ASCII_RULES);
		if (rc != IDN2_OK) {
			idn2_free(ace);
			return addr_idn_reason(rc);
		}
		m = strlen((const char *)ace);
		if (m >= domsz) {
			idn2_free(ace);
			return "address longer than 254 octets";
		}
		memcpy(dom, ace, m + 1);
		idn2_free(ace);
		n = m;
	} else {
		if (n >= domsz)
			return "address longer than 254 octets";
		memcpy(dom, in, n + 1);
	}
	*dlen = n;
	return addr_check_ldh(dom, n);
}

int
nf_addr_normalize(const char *in, char *out, size_t outlen, const char **why)
{
	char key[ADDR_LOCAL_MAX + 1];
	char dom[NF_ADDR_MAX + 1];
	const char *s, *e, *at = NULL, *d, *err, *dummy;
	size_t n, klen = 0, dlen = 0;

	if (why == NULL)
		why = &dummy;
	if (in == NULL) {
		*why = "empty address";
		return -1;
	}
	n = strnlen(in, ADDR_INPUT_MAX + 1);
	if (n > ADDR_INPUT_MAX) {
		*why = "address longer than 254 octets";
		return -1;
	}
	s = in;
	e = in + n;
	while (s < e && addr_is_space((unsigned char)*s))
		s++;
	while (e > s && addr_is_space((unsigned char)e[-1]))
		e--;
	/* "John <john@example.com>" is a common paste from a mail client */
	if (s < e && *s != '<' && *s != '"' &&
	    memchr(s, '<', (size_t)(e - s)) != NULL) {
		*why = "display name or stray <> (give the bare address)";
		return -1;
	}
	if (s < e && *s == '<') {
		if (e - s < 2 || e[-1] != '>') {
			*why = "'<' without matching '>'";
			return -1;
		}
		s++;
		e--;
	} else if (s < e && e[-1] == '>') {
		*why = "'>' without matching '<' (give the bare address)";
		return -1;
	}
	if (s == e) {
		*why = "empty address";
		return -1;
	}
	if (*s != '"' && (memchr(s, '<', (size_t)(e - s)) != NULL ||
	    memchr(s, '>', (size_t)(e - s)) != NULL)) {
		*why = "display name or stray <> (give the bare address)";
		return -1;
	}
	if (memchr(s, '@', (size_t)(e - s)) == NULL) {
		*why = "no @";
		return -1;
	}
	if ((err = addr_parse_local(s, e, key, &klen, &at)) != NULL) {
		*why = err;
		return -1;
	}
	d = at + 1;
	n = (size_t)(e - d);
	if (n == 0) {
		*why = "empty domain";
		return -1;
	}
	if (memchr(d, '@', n) != NULL) {
		*why = "more than one @ outside quotes";
		return -1;
	}
	err = *d == '[' ? addr_parse_literal(d, n, dom, sizeof(dom), &dlen) :
	    addr_parse_domain(d, n, dom, sizeof(dom), &dlen);
	if (err != NULL) {
		*why = err;
		return -1;
	}
	if (klen + 1 + dlen > NF_ADDR_MAX) {
		*why = "address longer than 254 octets";
		return -1;
	}
	if (out == NULL || klen + 1 + dlen + 1 > outlen) {
		*why = "output buffer too small";
		return -1;
	}
	memcpy(out, key, klen);
	out[klen] = '@';
	memcpy(out + klen + 1, dom, dlen);
	out[klen + 1 + dlen] = '\0';
	*why = NULL;
	return 0;
}

const char *
nf_addr_domain(const char *addr)
{
	const char *at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL ||
	    at[1] == '\0')
		return NULL;
	return at + 1;
}

/*
 * Typo hints.  Providers in rough order of popularity: when a typo is one
 * edit from two of them, the more common one is suggested.
 */
static const char *const addr_providers[] = {
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com",
	"aol.com", "live.com", "msn.com", "googlemail.com", "yahoo.co.uk",
	"hotmail.co.uk", "yahoo.fr", "hotmail.fr", "yahoo.de", "hotmail.de",
	"hotmail.it", "yahoo.it", "yahoo.es", "hotmail.es", "outlook.de",
	"outlook.fr", "live.de", "live.fr", "live.co.uk", "me.com", "mac.com",
	"ymail.com", "email.com", "protonmail.com", "proton.me", "gmx.de", "gmx.net",
	"gmx.com", "web.de", "t-online.de", "freenet.de", "mail.com",
	"mail.ru", "yandex.ru", "orange.fr", "free.fr", "laposte.net",
	"wanadoo.fr", "libero.it", "comcast.net", "verizon.net", "att.net",
	"sbcglobal.net", "btinternet.com", "sky.com", "zoho.com", "qq.com",
	"163.com", "seznam.cz",
};
#define ADDR_NPROVIDERS (sizeof(addr_providers) / sizeof(addr_providers[0]))

/* Common slips of the finger on a TLD, for the TLD they stand for. */
static const struct {
	const char *typo, *tld;
} addr_tld_slips[] = {
	{ "con", "com" }, { "cmo", "com" }, { "co", "com" }, { "cm", "com" },
	{ "om", "com" }, { "vom", "com" }, { "xom", "com" }, { "comm", "com" },
	{ "ocm", "com" }, { "coom", "com" }, { "cpm", "com" }, { "c0m", "com" },
	{ "clm", "com" }, { "cim", "com" }, { "ner", "net" }, { "nte", "net" },
	{ "nett", "net" }, { "bet", "net" }, { "met", "net" },
};

/* Exactly one insertion, deletion, substitution or adjacent transposition
 * turns a[0..la) into b[0..lb) (optimal string alignment distance 1). */
static int
addr_one_edit(const char *a, size_t la, const char *b, size_t lb)
{
	size_t i = 0;

	while (i < la && i < lb && a[i] == b[i])
		i++;
	if (la == lb) {
		if (i == la)
			return 0;
		if (memcmp(a + i + 1, b + i + 1, la - i - 1) == 0)
			return 1;
		return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    memcmp(a + i + 2, b + i + 2, la - i - 2) == 0;
	}
	if (la + 1 == lb)
		return memcmp(a + i, b + i + 1, la - i) == 0;
	if (lb + 1 == la)
		return memcmp(a + i + 1, b + i, lb - i) == 0;
	return 0;
}

/* The provider `dom` (lower case) is probably a typo of, or NULL.  Edits
 * are matched in the name and in the TLD separately, so that a real domain
 * on another country's TLD (yahoo.dk, mail.ua) is not "corrected"; short
 * names (aol, gmx, live, mail) get TLD fixes only, as one edit on four
 * letters or fewer mostly lands on somebody else's real domain (love.com). */
static const char *
addr_guess(const char *dom)
{
	const char *dot = strrchr(dom, '.');
	size_t dl = strlen(dom), k, j;

	for (k = 0; k < ADDR_NPROVIDERS; k++)
		if (strcmp(dom, addr_providers[k]) == 0)
			return NULL;
	for (k = 0; k < ADDR_NPROVIDERS; k++) {
		const char *p = addr_providers[k];
		const char *pdot = strrchr(p, '.');
		size_t pname = (size_t)(pdot - p), pl = strlen(p);
		size_t pfirst = strcspn(p, ".");

		if (dot == NULL) {
			/* "gmail" or "gmailcom" */
			if (dl == pfirst && memcmp(dom, p, dl) == 0)
				return p;
			if (dl == pl - 1 && memcmp(dom, p, pname) == 0 &&
			    strcmp(dom + pname, pdot + 1) == 0)
				return p;
			continue;
		}
		if ((size_t)(dot - dom) == pname &&
		    memcmp(dom, p, pname) == 0) {
			/* same name, TLD slipped */
			for (j = 0; j < sizeof(addr_tld_slips) /
			    sizeof(addr_tld_slips[0]); j++)
				if (strcmp(dot + 1, addr_tld_slips[j].typo) == 0 &&
				    strcmp(pdot + 1, addr_tld_slips[j].tld) == 0)
					return p;
			continue;
		}
		if (strcmp(dot + 1, pdot + 1) == 0 && pfirst >= 5 &&
		    addr_one_edit(dom, (size_t)(dot - dom), p, pname))
			return p;
	}
	return NULL;
}

int
nf_addr_typo_hint(const char *addr, char *suggest, size_t len)
{
	char dom[NF_ADDR_MAX + 1];
	const char *d, *guess;
	size_t dl, ll, gl, i;

	if (addr == NULL || suggest == NULL || (d = nf_addr_domain(addr)) == NULL)
		return 0;
	dl = strlen(d);
	if (dl >= sizeof(dom))
		return 0;
	for (i = 0; i <= dl; i++)
		dom[i] = (char)addr_lower((unsigned char)d[i]);
	if ((guess = addr_guess(dom)) == NULL)
		return 0;
	ll = (size_t)(d - addr);	/* local part and '@' */
	gl = strlen(guess);
	if (ll + gl + 1 > len)
		return 0;
	memcpy(suggest, addr, ll);
	memcpy(suggest + ll, guess, gl + 1);
	return 1;
}
