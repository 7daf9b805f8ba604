/*
 * token.h - signed message tokens and the VERP sender that carries them.
 *
 * A token names one policed message: `X-Notifilter-ID: <token>` and the
 * envelope sender `<prefix>+<token>@<BounceDomain>`.  Format version 1 is 33
 * characters: "1" then 32 characters of lower-case base32 (RFC 4648
 * alphabet a-z 2-7, no padding) encoding 20 bytes:
 *
 *   msgid (8 bytes, big-endian) | day (2 bytes: days since 1970-01-01 UTC)
 *   | first 10 bytes of HMAC-SHA256(SecretFile key, "nf-token" "1" msgid day)
 *
 * Why these sizes is explained in token.c's contract.
 */
#ifndef NF_TOKEN_H
#define NF_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "secret.h"

#define NF_TOKEN_LEN 33			/* characters of a version-1 token */
#define NF_TOKEN_SIZE (NF_TOKEN_LEN + 1)	/* buffer for one, with the NUL */
#define NF_TOKEN_VERP_MAX 254		/* an address: RFC 5321 path minus <> */

/* nf_token_verify() results: 0 valid, each failure its own code */
enum nf_token_rc {
	NF_TOKEN_OK = 0,
	NF_TOKEN_EMALFORMED = -1,	/* NULL, empty, or a character outside the alphabet */
	NF_TOKEN_ELENGTH = -2,		/* known version, wrong number of characters */
	NF_TOKEN_EVERSION = -3,		/* first character names no version we know */
	NF_TOKEN_EMAC = -4		/* well-formed, but not signed with this key */
};

/* A short English reason for an nf_token_verify() result ("bad MAC", ...). */
const char *nf_token_strerror(int rc);

/*
 * Make a token for message `msgid` created at `now` (Unix seconds; only the
 * day is kept).  `out` gets NF_TOKEN_LEN lower-case characters and a NUL.
 * Returns 0, or -1 when outlen < NF_TOKEN_SIZE, now is before 1970 or after
 * the year 2149 (the day must fit 16 bits), or libcrypto fails; on -1 `out`
 * holds "" if it has room for it.
 */
int nf_token_make(const struct nf_secret *s, uint64_t msgid, int64_t now,
    char *out, size_t outlen);

/*
 * Check `token` (NUL-terminated, any letter case) against key `s`.  Returns
 * NF_TOKEN_OK with *msgid and *created (Unix seconds at the start of the UTC
 * day the token was made) set if those pointers are not NULL, or one of the
 * negative codes above, in which case the outputs are left alone.  The MAC
 * is compared in constant time.  Expiry is the caller's policy: `created` is
 * for that and for the timeline.
 */
int nf_token_verify(const struct nf_secret *s, const char *token,
    uint64_t *msgid, int64_t *created);

/*
 * Find the token in a VERP address `prefix+TOKEN@bounce_domain` (one pair
 * of surrounding <> allowed; prefix and domain compared case-insensitively;
 * one trailing dot on the domain allowed).  TOKEN must be 1..64 letters and
 * digits; it is copied lower-cased into `token` (len >= NF_TOKEN_SIZE is
 * enough for every version-1 token) and NOT verified here.  Returns 0
 * found, -1 not such a VERP address, -2 the token does not fit in `len`
 * (nothing is truncated; `token` holds "" when len > 0).
 */
int nf_token_from_verp(const char *addr, const char *prefix,
    const char *bounce_domain, char *token, size_t len);

/*
 * Build `prefix+token@bounce_domain` into `out`.  Returns 0, or -1 if the
 * prefix is empty or holds a character outside RFC 5322 atext or '.' (or
 * '+'), the token is not 1..64 letters and digits, the local part would pass
 * 64 octets (RFC 5321 4.5.3.1.1), the domain is empty or holds '@' or
 * white space, or the address does not fit in outlen (never truncated; `out`
 * holds "" when outlen > 0).
 */
int nf_token_verp(const char *prefix, const char *token,
    const char *bounce_domain, char *out, size_t outlen);

/*
 * A fresh message id: 64 bits from RAND_bytes.  Never returns 0 for a good
 * id, so 0 means libcrypto's generator failed (not seeded): the caller must
 * not tag the message (TEMPFAIL it).  Ids repeat by chance only after about
 * 2^32 messages (birthday bound); the store's UNIQUE token catches that.
 */
uint64_t nf_token_new_msgid(void);

#endif
