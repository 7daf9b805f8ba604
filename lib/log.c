/*
 * log.c - logging to syslog and/or stderr at four levels (see log.h).
 *
 * State is process-wide and set once at start-up by main(); only the level
 * may change later (on reload), and it is read and written atomically.
 * Masking keeps the first character of a local part and the domain of an
 * address, and the calling-code-ish prefix and last three digits of a phone,
 * which is enough for an administrator to match log lines to a ticket
 * without the log holding personal data.
 */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

static const char *log_ident = "notifilter";
static int log_facility = -1;
static int log_stderr = 1;
static atomic_int log_level = NF_LOG_INFO;

static const char *const level_names[] = { "err", "warn", "info", "debug" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
nf_log_open(const char *ident, int facility, int to_stderr,
    enum nf_log_level level)
{
	log_ident = ident;
	log_facility = facility;
	log_stderr = to_stderr;
	atomic_store(&log_level, (int)level);
	if (facility >= 0)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
nf_log_set_level(enum nf_log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum nf_log_level
nf_log_get_level(void)
{
	return (enum nf_log_level)atomic_load(&log_level);
}

int
nf_log_level_parse(const char *s, enum nf_log_level *out)
{
	static const char *const alias[] = { "error", "warning", "notice", NULL };
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum nf_log_level)i;
			return 0;
		}
	for (i = 0; alias[i]; i++)
		if (strcasecmp(s, alias[i]) == 0) {
			*out = i == 2 ? NF_LOG_INFO : (enum nf_log_level)i;
			return 0;
		}
	return -1;
}

int
nf_log_facility_parse(const char *s, int *out)
{
	static const struct { const char *name; int fac; } fac[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
		{ "user", LOG_USER }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
		{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 }, { "none", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(fac) / sizeof(fac[0]); i++)
		if (strcasecmp(s, fac[i].name) == 0) {
			*out = fac[i].fac;
			return 0;
		}
	return -1;
}

void
nf_log(enum nf_log_level lvl, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if ((int)lvl > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_facility >= 0)
		syslog(level_prio[lvl], "%s", line);
	if (log_stderr)
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[lvl], line);
}

const char *
nf_log_mask(const char *addr, char *out, size_t outlen)
{
	const char *at;
	size_t n, i, keep_head, keep_tail;

	if (outlen == 0)
		return out;
	if (addr == NULL || *addr == '\0') {
		snprintf(out, outlen, "%s", addr ? "" : "(none)");
		return out;
	}
	if (nf_log_get_level() >= NF_LOG_DEBUG) {
		snprintf(out, outlen, "%s", addr);
		return out;
	}
	at = strrchr(addr, '@');
	if (at != NULL) {
		snprintf(out, outlen, "%c***%s", addr[0] == '@' ? '?' : addr[0], at);
		return out;
	}
	/* a phone number or another identifier */
	n = strlen(addr);
	keep_head = n > 8 ? 3 : 1;
	keep_tail = n > 8 ? 3 : 0;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (i < keep_head || i >= n - keep_tail ||
		    !isdigit((unsigned char)addr[i])) ? addr[i] : '*';
	out[i] = '\0';
	return out;
}
