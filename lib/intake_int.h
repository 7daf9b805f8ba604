/*
 * intake_int.h - shared inside the intake (intake.c, intake_auth.c); not
 * part of the library's interface.
 */
#ifndef NF_INTAKE_INT_H
#define NF_INTAKE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "intake.h"
#include "store.h"

/* "" counts as absent */
static inline const char *
nf_intake_opt(const char *v)
{
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* a is set and equals b in any case */
static inline int
nf_intake_eq(const char *a, const char *b)
{
	return a != NULL && strcasecmp(a, b) == 0;
}

/*
 * Append "fmt" to out[size] at *used.  When it does not fit, the text is
 * cut and ends in "...[cut]" so the reader sees it (never silently).
 */
void nf_intake_cat(char *out, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The report's token and its recorded message (intake_auth.c). */
int nf_intake_authenticate(struct nf_store *s,
    const struct nf_intake_conf *conf, const struct nf_intake_env *env,
    const struct nf_report *r, int64_t now, struct nf_message *m,
    struct nf_intake_result *out);

/* Does a complaint carry what ComplaintAuth and ComplaintDomains ask?
 * (intake_auth.c) */
int nf_intake_complaint_ok(const struct nf_intake_conf *conf,
    const struct nf_intake_auth *auth, char *why, size_t len);

#endif
