/*
 * secret.h - load a key from a file (SecretFile) with the checks an
 * administrator needs to hear about before the daemon starts.
 */
#ifndef NF_SECRET_H
#define NF_SECRET_H

#include <stddef.h>

#include "buf.h"

#define NF_SECRET_MIN 16	/* bytes: 128 bits, the HMAC-SHA256 key floor */
#define NF_SECRET_MAX 4096	/* bytes: more is not a key file */

struct nf_secret;	/* opaque; the key bytes are never logged */

/*
 * Read the key in `path`.  The file must be a regular file (a symlink to one
 * is followed), not readable by "other" and not writable by group or other,
 * and hold NF_SECRET_MIN..NF_SECRET_MAX bytes after one trailing "\n" or
 * "\r\n" is removed (so `echo`-written and `head -c 32 /dev/urandom` files
 * both work; the key is the raw bytes, not decoded).  Returns 0 with *out
 * set (free with nf_secret_free), or -1 with *out NULL and `err` (if not
 * NULL) holding one line that names the path, what is wrong and the command
 * that fixes it.  The message never contains key bytes.
 */
int nf_secret_load(const char *path, struct nf_secret **out, struct nf_buf *err);

/* Wipe and release; NULL is fine. */
void nf_secret_free(struct nf_secret *s);

/* The key bytes (not NUL-terminated) and their count, for HMAC users. */
const unsigned char *nf_secret_key(const struct nf_secret *s, size_t *len);

#define NF_SECRET_HMAC_LEN 32	/* HMAC-SHA256 */

/*
 * HMAC-SHA256 of msg under the key, into out (NF_SECRET_HMAC_LEN bytes):
 * the same bytes as HMAC(EVP_sha256(), key, ...), from a keyed context
 * prepared once at load (a copy of it per call), so no call looks up the
 * MAC or the digest again.  Thread-safe.  Returns 0, or -1 when libcrypto
 * fails (out holds nothing then).
 */
int nf_secret_hmac_sha256(const struct nf_secret *s, const void *msg,
    size_t len, unsigned char out[NF_SECRET_HMAC_LEN]);

#endif
