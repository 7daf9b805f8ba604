/*
 * store_erase_key.c - the erasure key of the SQLite backend of store.h
 * (issue 6): the process-wide key, the keyed hash of an address under it
 * (what table `erased` keeps of an erased contact's suppressed or revoked
 * addresses), and the key check, a hash of a fixed text in table `state`
 * that tells whether the key set now is the one that wrote the erased
 * rows.  The erasure is in store_erase.c, the erased rows' later life in
 * store_erase_table.c.
 *
 * Why hashes: an address that bounced or complained must stay blocked
 * after its owner asked to be forgotten.  A keyed hash (HMAC-SHA256 under
 * a key derived from SecretFile) answers "is this address erased?" for
 * whoever holds the key, and gives nothing to someone who only has the
 * database file: an unkeyed hash of an address is reversed by guessing.
 *
 * Ownership: the key lives in static storage, written by
 * nf_store_erase_key_set (once at start, before threads) and read under a
 * mutex by hashers, wiped when replaced or forgotten.  The key check's
 * functions work on the caller's handle.
 *
 * Failures: with no key (or a buffer too short) a hash is refused (-1),
 * never made up; the key check then has nothing to compare and says the
 * key matches.
 */
#include "store_erase_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define KEY_LEN 32		/* SHA-256 output */
#define KEYCHECK_STATE "erase.keycheck"
#define KEYCHECK_TEXT "notifilter erasure key check"

#define SHA256_BLOCK 64

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char erase_key[KEY_LEN];
static atomic_int key_ready;
/*
 * HMAC's two hash states after the key block (RFC 2104: inner after
 * K^ipad, outer after K^opad), made once per key: an address's hash is
 * then two copies, two updates and two finals.  OpenSSL's one-shot HMAC()
 * looks the algorithm up on every call, which tripled the cost of the
 * hot path's lookup of an unknown address once erased rows exist.
 */
static EVP_MD_CTX *key_inner, *key_outer;

/* Replace the templates for key k (NULL: drop them); under key_lock. */
static int
templates_set(const unsigned char *k)
{
	unsigned char pad[SHA256_BLOCK];
	EVP_MD_CTX *in = NULL, *out = NULL;
	size_t i;
	int ok = 1;

	if (k != NULL) {
		in = EVP_MD_CTX_new();
		out = EVP_MD_CTX_new();
		for (i = 0; i < sizeof pad; i++)
			pad[i] = (unsigned char)((i < KEY_LEN ? k[i] : 0) ^ 0x36);
		ok = in != NULL && out != NULL &&
		    EVP_DigestInit_ex(in, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestUpdate(in, pad, sizeof pad) == 1;
		for (i = 0; i < sizeof pad; i++)
			pad[i] = (unsigned char)((i < KEY_LEN ? k[i] : 0) ^ 0x5c);
		ok = ok && EVP_DigestInit_ex(out, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestUpdate(out, pad, sizeof pad) == 1;
		OPENSSL_cleanse(pad, sizeof pad);
		if (!ok) {
			EVP_MD_CTX_free(in);
			EVP_MD_CTX_free(out);
			in = out = NULL;
		}
	}
	EVP_MD_CTX_free(key_inner);
	EVP_MD_CTX_free(key_outer);
	key_inner = in;
	key_outer = out;
	return ok ? 0 : -1;
}

/* ---- the key and the hash ------------------------------------------------ */

int
nf_store_erase_key_set(const unsigned char *secret, size_t len)
{
	unsigned char k[EVP_MAX_MD_SIZE];
	unsigned int klen = 0;
	int rc = 0;

	if (secret != NULL && len > 0 &&
	    (HMAC(EVP_sha256(), secret, (int)len,
	    (const unsigned char *)NF_STORE_ERASE_LABEL,
	    sizeof NF_STORE_ERASE_LABEL - 1, k, &klen) == NULL ||
	    klen != KEY_LEN))
		rc = -1;
	pthread_mutex_lock(&key_lock);
	OPENSSL_cleanse(erase_key, sizeof erase_key);
	if (rc == 0 && secret != NULL && len > 0) {
		memcpy(erase_key, k, KEY_LEN);
		rc = templates_set(erase_key);
	} else
		templates_set(NULL);
	atomic_store(&key_ready, rc == 0 && secret != NULL && len > 0);
	pthread_mutex_unlock(&key_lock);
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}

int
nf_store_erase_key_ready(void)
{
	return atomic_load_explicit(&key_ready, memory_order_acquire);
}

/* HMAC-SHA256 of data under the erasure key, as lower-case hex. */
static int
keyed_hex(const char *data, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0, i;
	EVP_MD_CTX *ci, *co;
	int ok;

	if (len < NF_STORE_HASH_MAX)
		return -1;
	ci = EVP_MD_CTX_new();
	co = EVP_MD_CTX_new();
	pthread_mutex_lock(&key_lock);
	ok = ci != NULL && co != NULL && atomic_load(&key_ready) &&
	    key_inner != NULL &&
	    EVP_MD_CTX_copy_ex(ci, key_inner) == 1 &&
	    EVP_MD_CTX_copy_ex(co, key_outer) == 1;
	pthread_mutex_unlock(&key_lock);
	/* H(K^opad || H(K^ipad || data)) */
	ok = ok && EVP_DigestUpdate(ci, data, strlen(data)) == 1 &&
	    EVP_DigestFinal_ex(ci, mac, &mlen) == 1 && mlen == KEY_LEN &&
	    EVP_DigestUpdate(co, mac, mlen) == 1 &&
	    EVP_DigestFinal_ex(co, mac, &mlen) == 1 && mlen == KEY_LEN;
	EVP_MD_CTX_free(ci);
	EVP_MD_CTX_free(co);
	if (!ok)
		return -1;
	for (i = 0; i < KEY_LEN; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0xf];
	}
	out[2 * KEY_LEN] = '\0';
	return 0;
}

int
nf_store_erase_hash(const char *key, char *out, size_t len)
{
	if (key == NULL || key[0] == '\0')
		return -1;
	return keyed_hex(key, out, len);
}

int
nf_store_erase_key_check(struct nf_store *s, int *match)
{
	char want[NF_STORE_HASH_MAX], have[NF_STORE_HASH_MAX + 1];
	int rc;

	*match = 1;
	if (keyed_hex(KEYCHECK_TEXT, want, sizeof want) != 0)
		return NF_STORE_OK;	/* no key: nothing to compare */
	rc = nf_store_state_get(s, KEYCHECK_STATE, have, sizeof have);
	if (rc == NF_STORE_NOTFOUND)
		return NF_STORE_OK;
	if (rc != NF_STORE_OK)
		return rc;
	*match = strcmp(want, have) == 0;
	return NF_STORE_OK;
}

/* Record, once, which key wrote the first erased rows (read by
 * nf_store_erase_key_check): a no-op when the record exists. */
int
nf_er_key_note(struct nf_store *s)
{
	char hash[NF_STORE_HASH_MAX], have[NF_STORE_HASH_MAX + 1];
	int rc;

	rc = nf_store_state_get(s, KEYCHECK_STATE, have, sizeof have);
	if (rc != NF_STORE_NOTFOUND)
		return rc;
	if (keyed_hex(KEYCHECK_TEXT, hash, sizeof hash) != 0)
		return nf_st_error(s, NF_STORE_ERR, "%s: cannot compute the "
		    "erasure key check", s->path);
	return nf_store_state_set(s, KEYCHECK_STATE, hash);
}
