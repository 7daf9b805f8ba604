/*
 * tag.c - what tagging at end of message writes, as plain data: the token
 * and VERP sender of a message, and the ESMTP parameters a recipient is
 * re-added with to ask for delivery reports.  No libmilter here; handlers.c
 * applies the result and tests check it directly.
 *
 * Message ids (the 64 random bits a token names) come from a small
 * process-wide pool filled by getrandom(2), not from RAND_bytes per
 * message: libmilter runs each SMTP connection on a fresh thread, and
 * OpenSSL 3 builds and seeds a DRBG for every thread that first asks it
 * for bytes, which cost more than the rest of the tagging together.  The
 * kernel's generator is what OpenSSL seeds from, so the ids are as
 * unpredictable as before; the pool is emptied in a forked child so that
 * no two processes hand out the same ids.
 *
 * Failure: every function returns a status and never truncates; a caller
 * that gets -1 must not tag the message (it tempfails it).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tag.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "token.h"

#define ID_POOL 64	/* ids per getrandom(2) call */

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static uint64_t id_pool[ID_POOL];
static size_t id_left;

static void
id_forget(void)
{
	/* the child must not repeat the parent's ids */
	id_left = 0;
	memset(id_pool, 0, sizeof(id_pool));
}

static void
id_setup(void)
{
	(void)pthread_atfork(NULL, NULL, id_forget);
}

/* Fill buf with n bytes from the kernel's generator; 0, or -1. */
static int
kernel_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;
	int tries = 0;

	/* a pool this size is never cut short once the generator is
	 * seeded; the loop only covers signals, and is bounded */
	while (got < n && tries++ < 8) {
		ssize_t r = getrandom(p + got, n - got, 0);

		if (r > 0)
			got += (size_t)r;
		else if (r < 0 && errno != EINTR)
			return -1;
	}
	return got == n ? 0 : -1;
}

/* A fresh non-zero 64-bit message id, or 0 when no randomness can be had
 * (then OpenSSL's generator is asked, as before). */
static uint64_t
new_msgid(void)
{
	uint64_t id = 0;

	(void)pthread_once(&id_once, id_setup);
	pthread_mutex_lock(&id_lock);
	while (id == 0) {
		if (id_left == 0) {
			if (kernel_random(id_pool, sizeof(id_pool)) != 0)
				break;
			id_left = ID_POOL;
		}
		/* a random 0 (p = 2^-64) is skipped: 0 means failure */
		id = id_pool[--id_left];
		id_pool[id_left] = 0;	/* an id is handed out once */
	}
	pthread_mutex_unlock(&id_lock);
	return id != 0 ? id : nf_token_new_msgid();
}

int
nf_tag_make(const struct nf_conf *conf, const struct nf_secret *secret,
    int64_t now, char *token, size_t toklen, char *verp, size_t verplen,
    const char **why)
{
	char prefix[65];
	uint64_t id;
	size_t i, n;

	*why = NULL;
	if (toklen > 0)
		token[0] = '\0';
	if (verp != NULL && verplen > 0)
		verp[0] = '\0';
	id = new_msgid();
	if (id == 0) {
		*why = "the random number generator failed (libcrypto not seeded)";
		return -1;
	}
	if (nf_token_make(secret, id, now, token, toklen) != 0) {
		*why = "the token could not be made (libcrypto HMAC failed)";
		return -1;
	}
	if (verp == NULL)
		return 0;
	/* MTAs may lower-case local parts; a lower-case prefix survives */
	n = strlen(conf->verp_prefix);
	if (n >= sizeof(prefix)) {
		*why = "VerpPrefix is longer than a local part allows";
		return -1;
	}
	for (i = 0; i <= n; i++)
		prefix[i] = (char)tolower((unsigned char)conf->verp_prefix[i]);
	if (nf_token_verp(prefix, token, conf->bounce_domain, verp,
	    verplen) != 0) {
		*why = "VerpPrefix+token@BounceDomain is not a valid address "
		    "(check VerpPrefix and BounceDomain)";
		return -1;
	}
	return 0;
}

/* RFC 3461 section 4: xtext leaves "!".."~" except '+' and '=' as they
 * are and writes everything else as +XX (upper-case hex). */
static int
xtext(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p >= 33 && *p <= 126 && *p != '+' && *p != '=') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outlen)
				return -1;
			snprintf(out + o, 4, "+%02X", *p);
			o += 3;
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

int
nf_tag_dsn_args(const char *rcpt_arg, const char *client_orcpt, char *out,
    size_t outlen)
{
	char addr[NF_TAG_ARGS_MAX], enc[NF_TAG_ARGS_MAX];
	size_t n = strlen(rcpt_arg);
	int w;

	if (client_orcpt != NULL)	/* the client's own ORCPT stays */
		w = snprintf(out, outlen, "NOTIFY=SUCCESS,FAILURE,DELAY %s",
		    client_orcpt);
	else {
		if (n >= 2 && rcpt_arg[0] == '<' && rcpt_arg[n - 1] == '>') {
			rcpt_arg++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof(addr))
			return -1;
		memcpy(addr, rcpt_arg, n);
		addr[n] = '\0';
		if (xtext(addr, enc, sizeof(enc)) != 0)
			return -1;
		w = snprintf(out, outlen,
		    "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;%s", enc);
	}
	if (w < 0 || (size_t)w >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}
