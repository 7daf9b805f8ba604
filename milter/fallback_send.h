/*
 * fallback_send.h - the fallback threads' door to the channel drivers.
 *
 * Why a file of its own: channels/channel.h declares `struct nf_channel`
 * and lib/store.h `enum nf_channel`; C gives structs and enums one tag
 * namespace, so no file can include both.  milter/fallback.c (store side)
 * talks to the drivers through this header, which needs neither.
 */
#ifndef NF_FALLBACK_SEND_H
#define NF_FALLBACK_SEND_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct nf_http;
struct nf_fbsend;

enum { NF_FBSEND_OK = 0, NF_FBSEND_RETRY, NF_FBSEND_PERMANENT };

struct nf_fbsend_result {
	int status;			/* NF_FBSEND_* */
	long retry_after;		/* seconds asked by the provider, or -1 */
	long http_status;
	char provider_id[128];
	char answer[240];		/* one line, never secret */
	double seconds;
};

/* libcurl's global start: once, before any thread.  0 or -1. */
int nf_fbsend_global_init(void);
/* Open every Channel of conf (secret files read now).  0, or -1 with
 * "FILE:LINE: Channel KIND DRIVER: reason" in err. */
int nf_fbsend_open(const struct nf_conf *conf, struct nf_fbsend **out,
    struct nf_buf *err);
void nf_fbsend_close(struct nf_fbsend *set);	/* NULL is fine */
size_t nf_fbsend_count(const struct nf_fbsend *set);
const char *nf_fbsend_kind(const struct nf_fbsend *set, size_t i);
const char *nf_fbsend_driver(const struct nf_fbsend *set, size_t i);
/* One libcurl handle for one thread. */
struct nf_http *nf_fbsend_http_new(void);
void nf_fbsend_http_free(struct nf_http *h);
/* Send through channel i; fills *res; returns res->status. */
int nf_fbsend_send(const struct nf_fbsend *set, size_t i, struct nf_http *h,
    const char *to, const char *text, const char *ref, const char *key,
    struct nf_fbsend_result *res);

#endif
