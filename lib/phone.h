/*
 * phone.h - phone number normalisation to E.164.
 */
#ifndef NF_PHONE_H
#define NF_PHONE_H

#include <stddef.h>

#define NF_PHONE_MAX 16            /* '+' and at most 15 digits */

/* Normalise a phone number to E.164 ("+4915112345678"). Accepts spaces,
 * dots, dashes, slashes, parentheses (a "(0)" after the country code is
 * dropped), a leading "+", "00" or the NANP "011" international prefix; a
 * national number (leading trunk prefix, or no prefix) is completed with
 * default_country (digits of the calling code, e.g. "49"; NULL or "" means
 * national numbers are an error: "number has no country code and
 * DefaultCountry is not set"). Checks: the country code must be an assigned
 * ITU-T E.164 calling code, total 8..15 digits (national significant number
 * at least 4 digits; +1 numbers exactly 10), no letters (vanity numbers
 * refused). Returns 0 ok, -1 invalid with *why a static English reason.
 * outlen >= NF_PHONE_MAX + 1 always suffices; a smaller buffer that cannot
 * hold the result gives -1 "output buffer too small". */
int nf_phone_normalize(const char *in, const char *default_country, char *out,
    size_t outlen, const char **why);

#endif
