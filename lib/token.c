/*
 * token.c - make and verify signed message tokens; build and read VERP
 * senders.
 *
 * Contract: pure functions over caller buffers; nothing allocated outlives a
 * call, nothing is logged (a token is not secret, the key is, and only
 * secret.c holds it).  Output is never truncated: a buffer that is too small
 * is an error.  Untrusted text (tokens and addresses from bounce reports) is
 * only read up to the length the format allows.  Thread-safe: no mutable
 * state; the keyed HMAC context of a secret is only copied (secret.c), and
 * RAND_bytes() is thread-safe in OpenSSL >= 1.1.
 *
 * Why the format is what it is:
 *
 * - Case-free alphabet.  Some MTAs and mailbox providers lower-case local
 *   parts, and bounce reports often quote the address in some other case, so
 *   the token uses lower-case base32 (RFC 4648, without padding) plus a
 *   digit for the version, and verification folds case first.  Base32 is
 *   hand-written here: it is twenty lines and libcrypto has no base32.
 *
 * - 80-bit MAC.  A forger cannot compute MACs offline (the key never leaves
 *   the host), so the only attack is online guessing: send a forged report
 *   and see whether it changes anything.  Each guess costs one SMTP message
 *   and succeeds with probability 2^-80; a million guesses a second for ten
 *   years (2^48) succeeds with probability 2^-32.  80 bits is also RFC 2104
 *   section 5's floor for truncated HMACs.  Its other advice, half the hash
 *   (128 bits), answers the birthday bound, which needs MACs the attacker
 *   can compute or collect by the billion and does not apply here; it would
 *   also make the VERP local part exactly 64 octets with no room left.
 *
 * - Length.  msgid (64 bits) + day (16 bits) + MAC (80 bits) = 160 bits =
 *   32 base32 characters exactly, so no character holds padding bits and a
 *   change to any character (other than its case) changes the decoded
 *   bytes.  With the version character that is 33; a 20-character prefix
 *   and '+' make a local part of 54 octets, under RFC 5321's 64, leaving
 *   room for a later version to grow.
 *
 * - msgid is 64 bits so tokens of different messages differ even when the
 *   caller's own id is a counter that restarts; day is coarse on purpose
 *   (enough for expiry and the timeline, and it leaks little).  16 bits of
 *   days run to 2149.
 *
 * - The MAC covers a fixed label, the version character and the payload, so
 *   a token cannot be re-read as another version, and the same key used for
 *   some other HMAC one day cannot produce a valid token.
 */
#include "token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include <strings.h>

#define TOKEN_VERSION '1'
#define TOKEN_MSGID 8
#define TOKEN_DAY 2
#define TOKEN_MAC 10
#define TOKEN_RAW (TOKEN_MSGID + TOKEN_DAY + TOKEN_MAC)	/* 20 bytes */
#define TOKEN_B32 (TOKEN_RAW * 8 / 5)			/* 32 characters */
#define TOKEN_LABEL "nf-token"
#define TOKEN_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */
#define TOKEN_CAND_MAX 64	/* longest token candidate read from an address */

_Static_assert(TOKEN_RAW * 8 % 5 == 0, "no padding bits in the base32 text");
_Static_assert(1 + TOKEN_B32 == NF_TOKEN_LEN, "NF_TOKEN_LEN matches the layout");

static const char b32_alpha[] = "abcdefghijklmnopqrstuvwxyz234567";

const char *
nf_token_strerror(int rc)
{
	switch (rc) {
	case NF_TOKEN_OK:
		return "valid";
	case NF_TOKEN_EMALFORMED:
		return "malformed token (empty, or a character outside a-z 2-7)";
	case NF_TOKEN_ELENGTH:
		return "token has the wrong length";
	case NF_TOKEN_EVERSION:
		return "token of an unknown format version";
	case NF_TOKEN_EMAC:
		return "token not signed with this SecretFile key (forged, altered or made with another key)";
	default:
		return "unknown token error";
	}
}

/* 5-bit value of a base32 character in any case, or -1. */
static int
b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* n must be a multiple of 5 bytes: writes n * 8 / 5 characters, no NUL. */
static void
b32_encode(const unsigned char *in, size_t n, char *out)
{
	uint64_t acc;
	size_t i, k;

	for (i = 0; i < n; i += 5) {
		acc = 0;
		for (k = 0; k < 5; k++)
			acc = acc << 8 | in[i + k];
		for (k = 0; k < 8; k++)
			*out++ = b32_alpha[(acc >> (35 - 5 * k)) & 31];
	}
}

/* nchars must be a multiple of 8; returns 0, or -1 on a bad character. */
static int
b32_decode(const char *in, size_t nchars, unsigned char *out)
{
	uint64_t acc;
	size_t i, k;
	int v;

	for (i = 0; i < nchars; i += 8) {
		acc = 0;
		for (k = 0; k < 8; k++) {
			if ((v = b32_value((unsigned char)in[i + k])) < 0)
				return -1;
			acc = acc << 5 | (uint64_t)v;
		}
		for (k = 0; k < 5; k++)
			*out++ = (unsigned char)(acc >> (32 - 8 * k));
	}
	return 0;
}

/*
 * HMAC over label | version | msgid | day, truncated to TOKEN_MAC bytes
 * (secret.c keeps the keyed context: no lookup of HMAC or SHA-256 per token).
 */
static int
token_mac(const struct nf_secret *s, char version, const unsigned char *payload,
    unsigned char mac[TOKEN_MAC])
{
	unsigned char msg[sizeof(TOKEN_LABEL) - 1 + 1 + TOKEN_MSGID + TOKEN_DAY];
	unsigned char md[NF_SECRET_HMAC_LEN];
	size_t off = 0;

	_Static_assert(TOKEN_MAC <= NF_SECRET_HMAC_LEN, "MAC fits the digest");
	memcpy(msg, TOKEN_LABEL, sizeof(TOKEN_LABEL) - 1);
	off += sizeof(TOKEN_LABEL) - 1;
	msg[off++] = (unsigned char)version;
	memcpy(msg + off, payload, TOKEN_MSGID + TOKEN_DAY);
	if (nf_secret_hmac_sha256(s, msg, sizeof(msg), md) != 0)
		return -1;
	memcpy(mac, md, TOKEN_MAC);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
nf_token_make(const struct nf_secret *s, uint64_t msgid, int64_t now,
    char *out, size_t outlen)
{
	unsigned char raw[TOKEN_RAW];
	int64_t day;
	int i;

	if (out == NULL || outlen < NF_TOKEN_SIZE) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return -1;
	}
	out[0] = '\0';
	if (s == NULL || now < 0 || (day = now / 86400) > 0xffff)
		return -1;
	for (i = 0; i < TOKEN_MSGID; i++)
		raw[i] = (unsigned char)(msgid >> (56 - 8 * i));
	raw[TOKEN_MSGID] = (unsigned char)(day >> 8);
	raw[TOKEN_MSGID + 1] = (unsigned char)day;
	if (token_mac(s, TOKEN_VERSION, raw, raw + TOKEN_MSGID + TOKEN_DAY) != 0)
		return -1;
	out[0] = TOKEN_VERSION;
	b32_encode(raw, sizeof(raw), out + 1);
	out[NF_TOKEN_LEN] = '\0';
	return 0;
}

/*
 * The checks go from cheap and structural to the MAC, so each failure gets
 * the code that tells an operator what kind of junk arrived.  The version is
 * read first because a later version may have another length.  The length is
 * measured with strnlen so a huge input costs no more than a short one.
 */
int
nf_token_verify(const struct nf_secret *s, const char *token,
    uint64_t *msgid, int64_t *created)
{
	unsigned char raw[TOKEN_RAW], mac[TOKEN_MAC];
	unsigned char v;
	uint64_t id = 0;
	size_t len;
	int i, rc;

	if (s == NULL || token == NULL || token[0] == '\0')
		return NF_TOKEN_EMALFORMED;
	v = (unsigned char)token[0];
	if (v != TOKEN_VERSION) {
		if ((v >= '0' && v <= '9') || (v >= 'a' && v <= 'z') ||
		    (v >= 'A' && v <= 'Z'))
			return NF_TOKEN_EVERSION;
		return NF_TOKEN_EMALFORMED;
	}
	len = strnlen(token, NF_TOKEN_LEN + 1);
	if (len != NF_TOKEN_LEN) {
		/* a bad character before the end is the better diagnosis */
		for (i = 1; i < (int)len; i++)
			if (b32_value((unsigned char)token[i]) < 0)
				return NF_TOKEN_EMALFORMED;
		return NF_TOKEN_ELENGTH;
	}
	if (b32_decode(token + 1, TOKEN_B32, raw) != 0)
		return NF_TOKEN_EMALFORMED;
	if (token_mac(s, TOKEN_VERSION, raw, mac) != 0)
		return NF_TOKEN_EMAC;	/* cannot check it: not valid either */
	rc = CRYPTO_memcmp(mac, raw + TOKEN_MSGID + TOKEN_DAY, TOKEN_MAC) == 0 ?
	    NF_TOKEN_OK : NF_TOKEN_EMAC;
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rc != NF_TOKEN_OK)
		return rc;
	for (i = 0; i < TOKEN_MSGID; i++)
		id = id << 8 | raw[i];
	if (msgid != NULL)
		*msgid = id;
	if (created != NULL)
		*created = (int64_t)((unsigned)raw[TOKEN_MSGID] << 8 |
		    raw[TOKEN_MSGID + 1]) * 86400;
	return NF_TOKEN_OK;
}

static int
token_is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* RFC 5322 atext, and '.' between atoms; '+' is our delimiter, so not it. */
static int
token_prefix_ok(const char *p, size_t n)
{
	static const char specials[] = "!#$%&'*-/=?^_`{|}~";
	size_t i;

	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (token_is_alnum(c) || (c != '\0' && strchr(specials, c) != NULL))
			continue;
		if (c == '.' && p[i + 1] != '.')
			continue;
		return 0;
	}
	return 1;
}

int
nf_token_from_verp(const char *addr, const char *prefix,
    const char *bounce_domain, char *token, size_t len)
{
	const char *p, *t, *d, *end;
	size_t alen, plen, tlen, dlen, blen, i;

	if (token != NULL && len > 0)
		token[0] = '\0';
	if (addr == NULL || prefix == NULL || bounce_domain == NULL ||
	    token == NULL || prefix[0] == '\0' || bounce_domain[0] == '\0')
		return -1;
	/* the longest address we accept (with <>); a longer one is not ours */
	alen = strnlen(addr, NF_TOKEN_VERP_MAX + 3);
	if (alen > NF_TOKEN_VERP_MAX + 2)
		return -1;
	end = addr + alen;
	p = addr;
	if (*p == '<') {
		if (end - p < 2 || end[-1] != '>')
			return -1;
		p++;
		end--;
	}
	plen = strlen(prefix);
	if ((size_t)(end - p) <= plen || strncasecmp(p, prefix, plen) != 0 ||
	    p[plen] != '+')
		return -1;
	t = p + plen + 1;
	for (tlen = 0; t + tlen < end && token_is_alnum((unsigned char)t[tlen]); tlen++)
		;
	if (tlen == 0 || tlen > TOKEN_CAND_MAX || t + tlen == end || t[tlen] != '@')
		return -1;
	d = t + tlen + 1;
	dlen = (size_t)(end - d);
	if (dlen > 0 && d[dlen - 1] == '.')
		dlen--;
	blen = strlen(bounce_domain);
	if (blen > 0 && bounce_domain[blen - 1] == '.')
		blen--;
	if (dlen == 0 || dlen != blen || strncasecmp(d, bounce_domain, dlen) != 0)
		return -1;
	if (tlen + 1 > len)
		return -2;
	for (i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)t[i];

		token[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	token[tlen] = '\0';
	return 0;
}

int
nf_token_verp(const char *prefix, const char *token,
    const char *bounce_domain, char *out, size_t outlen)
{
	size_t plen, tlen, dlen, i;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (out == NULL || prefix == NULL || token == NULL || bounce_domain == NULL)
		return -1;
	plen = strnlen(prefix, TOKEN_LOCAL_MAX + 1);
	tlen = strnlen(token, TOKEN_CAND_MAX + 1);
	dlen = strnlen(bounce_domain, NF_TOKEN_VERP_MAX + 1);
	if (tlen == 0 || plen + 1 + tlen > TOKEN_LOCAL_MAX || dlen == 0 ||
	    !token_prefix_ok(prefix, plen))
		return -1;
	for (i = 0; i < tlen; i++)
		if (!token_is_alnum((unsigned char)token[i]))
			return -1;
	for (i = 0; i < dlen; i++) {
		unsigned char c = (unsigned char)bounce_domain[i];

		if (c == '@' || c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return -1;
	}
	if (plen + 1 + tlen + 1 + dlen > NF_TOKEN_VERP_MAX ||
	    plen + 1 + tlen + 1 + dlen + 1 > outlen)
		return -1;
	memcpy(out, prefix, plen);
	out[plen] = '+';
	memcpy(out + plen + 1, token, tlen);
	out[plen + 1 + tlen] = '@';
	memcpy(out + plen + 1 + tlen + 1, bounce_domain, dlen);
	out[plen + 1 + tlen + 1 + dlen] = '\0';
	return 0;
}

uint64_t
nf_token_new_msgid(void)
{
	unsigned char b[8];
	uint64_t id;
	int tries, i;

	/* 0 is our failure value; a random 0 (p = 2^-64) just draws again */
	for (tries = 0; tries < 4; tries++) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return 0;
		id = 0;
		for (i = 0; i < 8; i++)
			id = id << 8 | b[i];
		if (id != 0)
			return id;
	}
	return 0;
}
