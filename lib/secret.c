/*
 * secret.c - load the HMAC key of SecretFile (and other key files).
 *
 * Contract: nf_secret_load() opens the file once and makes every check on
 * that descriptor (fstat after open, so a file swapped in between cannot slip
 * past the mode check).  It refuses what would leak or weaken the key: not a
 * regular file, readable by "other", writable by group or other, shorter than
 * NF_SECRET_MIN bytes, empty; and what is surely a mistake: longer than
 * NF_SECRET_MAX.  Group-readable is allowed on purpose (root:notifilter 0640
 * is a common way to hand a key to a daemon).  Each refusal is one line in
 * the caller's buffer naming the path, the problem and the shell command
 * that fixes it; the caller decides to stop the start.  The key lives in one
 * heap block owned by the struct, is wiped with OPENSSL_cleanse on free and
 * on every error path, and never appears in a message.  Thread-safe: no
 * shared state; a loaded secret is read-only and may be shared by threads.
 *
 * Each secret also holds an HMAC-SHA256 context keyed once at load:
 * HMAC() looks the MAC and the digest up in libcrypto's provider store on
 * every call (OpenSSL 3), which cost more than the hashing itself; callers
 * of nf_secret_hmac_sha256() get a copy of the keyed context instead (the
 * original is only read, so threads may share the secret).  The context
 * holds the key (pads) and is freed with the secret, which OpenSSL
 * cleanses.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nf_secret {
	EVP_MAC_CTX *hmac;	/* HMAC-SHA256 keyed with key[]; read-only */
	size_t len;
	unsigned char key[];
};

static const char *
secret_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

static int __attribute__((format(printf, 2, 3)))
secret_fail(struct nf_buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		nf_buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Read at most `max` bytes; returns the count, or -1 with errno set. */
static ssize_t
secret_read_all(int fd, unsigned char *p, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max) {
		n = read(fd, p + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* A context for HMAC-SHA256 keyed with key, or NULL. */
static EVP_MAC_CTX *
secret_hmac_new(const unsigned char *key, size_t len)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *c;
	OSSL_PARAM p[2];

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	c = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context keeps its own reference */
	if (c == NULL)
		return NULL;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(c, key, len, p) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

/*
 * The order of checks follows what an administrator fixes first: the path,
 * the kind of file, its permissions, then its content.  O_NONBLOCK keeps a
 * FIFO named by mistake from hanging the start; it is refused by fstat.
 */
int
nf_secret_load(const char *path, struct nf_secret **out, struct nf_buf *err)
{
	/* room for the largest key, "\r\n", and one byte to see "too long" */
	const size_t room = NF_SECRET_MAX + 3;
	struct nf_secret *s;
	unsigned char *tmp;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, e;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return secret_fail(err, "SecretFile is not set; create a key with "
		    "`head -c 32 /dev/urandom > /etc/notifilter/secret && chmod 600 "
		    "/etc/notifilter/secret` and name it in SecretFile");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return secret_fail(err, "secret file %s does not exist; create it "
			    "with `head -c 32 /dev/urandom > %s && chmod 600 %s`",
			    path, path, path);
		if (e == EACCES || e == EPERM)
			return secret_fail(err, "secret file %s cannot be read (%s); make it "
			    "readable by the user notifilter runs as (`chown USER %s && "
			    "chmod 600 %s`) and check the directories above it",
			    path, strerror(e), path, path);
		return secret_fail(err, "secret file %s cannot be opened (%s); check the "
		    "SecretFile path", path, strerror(e));
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return secret_fail(err, "secret file %s cannot be examined (%s)",
		    path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return secret_fail(err, "secret file %s is %s; point SecretFile at a "
		    "regular file made with `head -c 32 /dev/urandom > FILE && chmod 600 "
		    "FILE`", path, secret_kind(st.st_mode));
	}
	if (st.st_mode & S_IROTH) {
		close(fd);
		return secret_fail(err, "secret file %s is readable by every user "
		    "(mode %04o); run `chmod 600 %s`", path,
		    (unsigned)(st.st_mode & 07777), path);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return secret_fail(err, "secret file %s is writable by %s (mode %04o); "
		    "run `chmod 600 %s`", path,
		    (st.st_mode & S_IWOTH) ? "every user" : "its group",
		    (unsigned)(st.st_mode & 07777), path);
	}

	if ((tmp = malloc(room)) == NULL) {
		close(fd);
		return secret_fail(err, "secret file %s: out of memory", path);
	}
	n = secret_read_all(fd, tmp, room);
	e = errno;
	close(fd);
	if (n < 0) {
		OPENSSL_cleanse(tmp, room);
		free(tmp);
		return secret_fail(err, "secret file %s cannot be read (%s)",
		    path, strerror(e));
	}
	len = (size_t)n;
	/* one line ending written by an editor or `echo` is not part of the key */
	if (len < room && len > 0 && tmp[len - 1] == '\n') {
		len--;
		if (len > 0 && tmp[len - 1] == '\r')
			len--;
	}
	if (len > NF_SECRET_MAX) {
		OPENSSL_cleanse(tmp, room);
		free(tmp);
		return secret_fail(err, "secret file %s is longer than %d bytes; is it "
		    "the right file? 32 random bytes make a good key: `head -c 32 "
		    "/dev/urandom > %s`", path, NF_SECRET_MAX, path);
	}
	if (len == 0 || len < NF_SECRET_MIN) {
		OPENSSL_cleanse(tmp, room);
		free(tmp);
		if (len == 0)
			return secret_fail(err, "secret file %s is empty; fill it with "
			    "`head -c 32 /dev/urandom > %s`", path, path);
		return secret_fail(err, "secret file %s holds %zu bytes, at least %d "
		    "are needed; replace it with `head -c 32 /dev/urandom > %s`",
		    path, len, NF_SECRET_MIN, path);
	}
	if ((s = malloc(sizeof(*s) + len)) == NULL) {
		OPENSSL_cleanse(tmp, room);
		free(tmp);
		return secret_fail(err, "secret file %s: out of memory", path);
	}
	s->len = len;
	memcpy(s->key, tmp, len);
	OPENSSL_cleanse(tmp, room);
	free(tmp);
	if ((s->hmac = secret_hmac_new(s->key, s->len)) == NULL) {
		nf_secret_free(s);
		return secret_fail(err, "secret file %s: libcrypto cannot set up "
		    "HMAC-SHA256 (is OpenSSL's default provider available?)", path);
	}
	*out = s;
	return 0;
}

void
nf_secret_free(struct nf_secret *s)
{
	if (s == NULL)
		return;
	EVP_MAC_CTX_free(s->hmac);
	OPENSSL_cleanse(s->key, s->len);
	free(s);
}

const unsigned char *
nf_secret_key(const struct nf_secret *s, size_t *len)
{
	*len = s->len;
	return s->key;
}

int
nf_secret_hmac_sha256(const struct nf_secret *s, const void *msg, size_t len,
    unsigned char out[NF_SECRET_HMAC_LEN])
{
	EVP_MAC_CTX *c;
	size_t n = 0;
	int ok;

	if (s == NULL || s->hmac == NULL || (c = EVP_MAC_CTX_dup(s->hmac)) == NULL)
		return -1;
	ok = EVP_MAC_update(c, msg, len) == 1 &&
	    EVP_MAC_final(c, out, &n, NF_SECRET_HMAC_LEN) == 1 &&
	    n == NF_SECRET_HMAC_LEN;
	EVP_MAC_CTX_free(c);
	if (!ok)
		OPENSSL_cleanse(out, NF_SECRET_HMAC_LEN);
	return ok ? 0 : -1;
}
