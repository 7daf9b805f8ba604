/*
 * conf_int.h - internals shared by conf.c (the key table, loading, dump)
 * and conf_value.c (value parsers).  Not for use outside lib/conf*.c.
 */
#ifndef NF_CONF_INT_H
#define NF_CONF_INT_H

#include "conf.h"

#define NF_CONF_CHANNELS_MAX 16

extern const char *const nf_conf_channel_kinds[];

void nf_conf_free_list(char **v, size_t n);
void nf_conf_free_channel_fields(struct nf_conf_channel *ch);
/* Comma/blank separated words, lower-cased; -1 with *why on an empty list. */
int nf_conf_split_list(const char *value, char ***out, size_t *n, const char **why);
int nf_conf_valid_domain(const char *d);		/* 1 valid, 0 not */
int nf_conf_valid_local(const char *l);		/* 1 valid dot-atom, 0 not */
int nf_conf_valid_sender_pattern(const char *pat, const char **why);
int nf_conf_valid_socket(const char *s, const char **why);
int nf_conf_in_list(const char *w, const char *const *list);
/* Parse "KIND DRIVER key=value ..." and append it to c->channels. */
int nf_conf_parse_channel(struct nf_conf *c, const char *value, int line,
    struct nf_buf *why);
int nf_conf_parse_bool(const char *v, int *out);
/* "HH:MM-HH:MM" (start and end differ) into minutes of the day: 0 ok,
 * -1 with *why. */
int nf_conf_parse_quiet(const char *v, int *start, int *end, const char **why);
/* An IANA time zone name that exists under the zoneinfo directory (a TZif
 * file): 1 valid, 0 not (with *why). */
int nf_conf_valid_tz(const char *v, const char **why);
/* "inet:PORT@ADDR" or "inet6:PORT@ADDR" with a numeric address: 1 valid,
 * 0 not (with *why). */
int nf_conf_valid_listen(const char *v, const char **why);

#endif
