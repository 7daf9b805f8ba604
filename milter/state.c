/*
 * state.c - the configuration, the SecretFile key and the record writer
 * in force, shared by all of libmilter's threads.
 *
 * The configuration and the key are immutable and reference-counted: a
 * reload (SIGUSR1, main.c) builds new ones and swaps both pointers under
 * one mutex; a message takes its own references at MAIL (both at once, so
 * they always belong together), and the old ones are freed by whichever
 * thread drops the last reference.  The key bytes are wiped when freed
 * (nf_secret_free).  Nothing here can fail except loading a key, which
 * returns the loader's message for the caller to report.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "milter.h"

struct nf_milter_key {
	atomic_int refs;
	struct nf_secret *secret;
};

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nf_conf *state_conf;
static struct nf_milter_key *state_key;
static struct nf_writer *state_writer;

int
nf_milter_key_load(const struct nf_conf *c, struct nf_milter_key **out,
    struct nf_buf *err)
{
	struct nf_milter_key *k;

	*out = NULL;
	if (c == NULL || c->secret_file == NULL || c->secret_file[0] == '\0')
		return 0;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		nf_buf_printf(err, "SecretFile %s: out of memory", c->secret_file);
		return -1;
	}
	if (nf_secret_load(c->secret_file, &k->secret, err) != 0) {
		free(k);
		return -1;
	}
	atomic_init(&k->refs, 1);
	*out = k;
	return 0;
}

struct nf_milter_key *
nf_milter_key_ref(struct nf_milter_key *k)
{
	if (k != NULL)
		atomic_fetch_add(&k->refs, 1);
	return k;
}

void
nf_milter_key_unref(struct nf_milter_key *k)
{
	if (k == NULL || atomic_fetch_sub(&k->refs, 1) != 1)
		return;
	nf_secret_free(k->secret);
	free(k);
}

const struct nf_secret *
nf_milter_key_secret(const struct nf_milter_key *k)
{
	return k != NULL ? k->secret : NULL;
}

const char *
nf_milter_tag_off_reason(const struct nf_conf *c)
{
	int bd = c->bounce_domain != NULL && c->bounce_domain[0] != '\0';
	int sf = c->secret_file != NULL && c->secret_file[0] != '\0';

	if (bd && sf)
		return NULL;
	if (!bd && !sf)
		return "BounceDomain and SecretFile are not set";
	return bd ? "SecretFile is not set" : "BounceDomain is not set";
}

struct nf_conf *
nf_milter_conf_get(void)
{
	struct nf_conf *c;

	pthread_mutex_lock(&state_lock);
	c = state_conf ? nf_conf_ref(state_conf) : NULL;
	pthread_mutex_unlock(&state_lock);
	return c;
}

void
nf_milter_conf_set(struct nf_conf *c)
{
	struct nf_conf *old;

	pthread_mutex_lock(&state_lock);
	old = state_conf;
	state_conf = c;
	pthread_mutex_unlock(&state_lock);
	if (old != NULL)
		nf_conf_unref(old);
}

void
nf_milter_state_set(struct nf_conf *c, struct nf_milter_key *k)
{
	struct nf_conf *oldc;
	struct nf_milter_key *oldk;

	pthread_mutex_lock(&state_lock);
	oldc = state_conf;
	oldk = state_key;
	state_conf = c;
	state_key = k;
	pthread_mutex_unlock(&state_lock);
	if (oldc != NULL)
		nf_conf_unref(oldc);
	nf_milter_key_unref(oldk);
}

void
nf_milter_state_get(struct nf_conf **c, struct nf_milter_key **k)
{
	pthread_mutex_lock(&state_lock);
	*c = state_conf ? nf_conf_ref(state_conf) : NULL;
	*k = nf_milter_key_ref(state_key);
	pthread_mutex_unlock(&state_lock);
}

void
nf_milter_set_writer(struct nf_writer *w)
{
	pthread_mutex_lock(&state_lock);
	state_writer = w;
	pthread_mutex_unlock(&state_lock);
}

struct nf_writer *
nf_milter_get_writer(void)
{
	struct nf_writer *w;

	pthread_mutex_lock(&state_lock);
	w = state_writer;
	pthread_mutex_unlock(&state_lock);
	return w;
}
