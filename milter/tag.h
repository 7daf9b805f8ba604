/*
 * tag.h - the data of tagging at end of message (see tag.c).
 */
#ifndef NF_MILTER_TAG_H
#define NF_MILTER_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "secret.h"

#define NF_TAG_ARGS_MAX 1100	/* ESMTP args of one re-added recipient */

/*
 * A fresh token for one message made now, and (when verp is not NULL) its
 * VERP sender "<lower-case VerpPrefix>+<token>@<BounceDomain>" without
 * angle brackets.  Returns 0, or -1 with *why saying what failed in words
 * for the log (the random generator, the HMAC, or the configured prefix
 * and domain); then nothing must be tagged.
 */
int nf_tag_make(const struct nf_conf *conf, const struct nf_secret *secret,
    int64_t now, char *token, size_t toklen, char *verp, size_t verplen,
    const char **why);

/*
 * The ESMTP parameters a recipient is re-added with when RequestDSN is on:
 * "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;<address as xtext>", where the
 * address is the RCPT argument without its angle brackets; a client's own
 * ORCPT argument (client_orcpt, e.g. "ORCPT=rfc822;a@b") is kept instead.
 * Returns 0, or -1 when it does not fit in outlen (never truncated).
 */
int nf_tag_dsn_args(const char *rcpt_arg, const char *client_orcpt,
    char *out, size_t outlen);

#endif
