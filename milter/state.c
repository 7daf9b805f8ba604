/*
 * state.c - the configuration in force and the event writer, shared by
 * all of libmilter's threads.
 *
 * The configuration is immutable and reference-counted: a reload
 * (SIGUSR1, main.c) builds a new one and swaps the pointer under a mutex;
 * callbacks take their own reference (per message), so the old one is
 * freed by whichever thread drops the last reference.  Nothing here can
 * fail.
 */
#include <pthread.h>
#include <stddef.h>

#include "milter.h"

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nf_conf *state_conf;
static struct nf_writer *state_writer;

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
