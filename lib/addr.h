/*
 * addr.h - email address validation, normalisation and typo hints.
 *
 * The normalised form is the key notifilter stores and compares contacts by:
 * the whole address in lower case, the domain in A-labels (ASCII), quotes
 * only where the local part needs them.
 */
#ifndef NF_ADDR_H
#define NF_ADDR_H

#include <stddef.h>

#define NF_ADDR_MAX 254            /* RFC 5321 path limit minus <> */

/* Validate and normalise an email address (addr-spec). Accepts surrounding
 * whitespace and one pair of <>, dot-atom or quoted-string local parts
 * (RFC 5321/5322), domain names (a single trailing dot is removed), IDN
 * domains (U-labels converted to A-labels with libidn2, IDNA2008 + TR46
 * non-transitional), address literals [1.2.3.4] and [IPv6:...]. Output key:
 * the whole address lower-cased (local part too: providers treat them
 * case-insensitively and bounce reports lower-case them), quotes kept only
 * where the local part needs them. Returns 0 ok, -1 invalid with *why set to
 * a static English reason ("no @", "local part longer than 64 octets",
 * "address longer than 254 octets", "domain label starts with '-'",
 * "invalid IDN domain: ...", ...). outlen >= NF_ADDR_MAX + 1 always
 * suffices; a smaller buffer that cannot hold the key gives -1 with
 * "output buffer too small", never a truncated key. */
int nf_addr_normalize(const char *in, char *out, size_t outlen, const char **why);

/* If the domain of a normalised address looks like a typo of a common
 * mailbox domain (gmial.com, gmai.com, hotmial.com, yaho.com, outlok.com,
 * gmail.con, ...: a table of ~40 common providers with Damerau-Levenshtein
 * distance 1 on the domain (and common TLD slips .con/.cmo/.co for .com), but
 * never when the domain is itself in the table), write the suggested full
 * address into `suggest` and return 1; else 0. A bare provider name without
 * a TLD ("john@gmail") is suggested too. `len` >= NF_ADDR_MAX + 1 always
 * suffices; if the suggestion does not fit, no hint is given (0). */
int nf_addr_typo_hint(const char *addr, char *suggest, size_t len);

/* Domain part of a normalised address (pointer into addr), or NULL. */
const char *nf_addr_domain(const char *addr);

#endif
