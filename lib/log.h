/*
 * log.h - notifilter's four log levels, to syslog and/or stderr.
 *
 * nf_log_open() is called once by main(); before that, messages go to stderr.
 * Personal data (addresses, phone numbers) is passed through nf_log_mask()
 * so that it appears in clear only at debug level.  Secrets never reach the
 * log at all: no caller passes them.
 */
#ifndef NF_LOG_H
#define NF_LOG_H

#include <stddef.h>

enum nf_log_level { NF_LOG_ERR = 0, NF_LOG_WARN, NF_LOG_INFO, NF_LOG_DEBUG };

/* ident: program name; facility: syslog facility (LOG_MAIL ...), or -1 for
 * no syslog; to_stderr: also write to stderr. */
void nf_log_open(const char *ident, int facility, int to_stderr,
    enum nf_log_level level);
void nf_log_set_level(enum nf_log_level level);
enum nf_log_level nf_log_get_level(void);
int nf_log_level_parse(const char *s, enum nf_log_level *out);
int nf_log_facility_parse(const char *s, int *out);

void nf_log(enum nf_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define nf_err(...)   nf_log(NF_LOG_ERR, __VA_ARGS__)
#define nf_warn(...)  nf_log(NF_LOG_WARN, __VA_ARGS__)
#define nf_info(...)  nf_log(NF_LOG_INFO, __VA_ARGS__)
#define nf_debug(...) nf_log(NF_LOG_DEBUG, __VA_ARGS__)

/*
 * Mask personal data for logs above debug level: "jane.doe@example.com" ->
 * "j***@example.com", "+4915112345678" -> "+49*******678".  At debug level
 * the input is copied unchanged.  Always NUL-terminates `out`; returns out.
 */
const char *nf_log_mask(const char *addr, char *out, size_t outlen);
#define NF_LOG_MASK_MAX 264

#endif
