/*
 * conf.c - load, check and dump notifilter.conf (see conf.h).
 *
 * One table (conf_keys[]) names every key with its type, default and help;
 * it drives parsing, nf_conf_dump() and the man page check.  Parsing is
 * line-based and strict: an unknown key, a bad value, a key given twice or a
 * line over NF_CONF_LINE_MAX is an error that names file and line, and no
 * partially loaded conf ever escapes: on error everything is freed.
 *
 * Ownership: a struct nf_conf owns all its strings; it is immutable once
 * nf_conf_load() returns, and freed when the last reference goes.
 */
#include "conf.h"
#include "conf_int.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#define NF_CONF_LINE_MAX 4096

#ifndef NF_LOCALSTATEDIR
#define NF_LOCALSTATEDIR "/var"
#endif

enum conf_type {
	T_STRING, T_PATH, T_BOOL, T_DURATION, T_COUNT, T_MODE, T_BLOCKED,
	T_ONSTORE, T_SENDERS, T_CHANNELS, T_SOCKET, T_CHANNEL, T_COUNTRY,
	T_LOGLEVEL, T_FACILITY, T_UMASK, T_AUTH, T_DOMAIN, T_ADDRESS,
	T_MSDURATION, T_PREFIX, T_QUIET, T_TZ, T_LISTEN, T_DOMAINS
};

static const char *const type_names[] = {
	"string", "path", "yes|no", "duration", "number", "enforce|monitor",
	"reject|drop", "tempfail|accept", "sender list", "channel list",
	"socket", "channel", "calling code", "log level", "syslog facility",
	"octal mode", "none|dkim|spf|dkim,spf", "domain", "address",
	"duration", "local part", "HH:MM-HH:MM", "time zone", "listen address",
	"domain list"
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;		/* offset of the field in struct nf_conf */
	const char *def;	/* default as written in a file, NULL = unset */
	const char *help;
};

#define F(field) offsetof(struct nf_conf, field)

static const struct conf_key conf_keys[] = {
	{ "Socket", T_SOCKET, F(socket), "local:/run/notifilter/notifilter.sock",
	  "milter socket: unix:/path, local:/path, inet:PORT@HOST, inet6:PORT@HOST" },
	{ "Database", T_PATH, F(database), NF_LOCALSTATEDIR "/lib/notifilter/notifilter.db",
	  "SQLite database file" },
	{ "Mode", T_MODE, F(mode), "enforce",
	  "enforce, or monitor (decide and record, block nothing)" },
	{ "Senders", T_SENDERS, F(senders), NULL,
	  "comma list of envelope senders whose mail is notification traffic: a@b, *@b, *@*.b" },
	{ "BounceDomain", T_DOMAIN, F(bounce_domain), NULL,
	  "domain of the VERP envelope sender and of report intake" },
	{ "SecretFile", T_PATH, F(secret_file), NULL,
	  "file holding the key for the HMAC in tracking tokens" },
	{ "DefaultEmailConsent", T_BOOL, F(default_email_consent), "yes",
	  "consent assumed for an email recipient with no record" },
	{ "DefaultPhoneConsent", T_BOOL, F(default_phone_consent), "no",
	  "consent assumed for SMS, WhatsApp and Viber with no record" },
	{ "BlockedRecipient", T_BLOCKED, F(blocked_recipient), "reject",
	  "reject (550 5.7.1 at RCPT) or drop (removed at end of message)" },
	{ "OnStoreError", T_ONSTORE, F(on_store_error), "tempfail",
	  "tempfail or accept when the store cannot answer" },
	{ "RequestDSN", T_BOOL, F(request_dsn), "yes",
	  "ask the MTA for success/failure/delay DSNs on policed recipients" },
	{ "MailLog", T_PATH, F(mail_log), NULL,
	  "the MTA's log file to follow for delivery status" },
	{ "FallbackAfter", T_DURATION, F(fallback_after), "0",
	  "fall back when delivery is not confirmed within this time (0 = only on failure)" },
	{ "FallbackChannels", T_CHANNELS, F(fallback_channels), "sms",
	  "order of fallback channels, e.g. sms, whatsapp" },
	{ "SupportAddress", T_ADDRESS, F(support_address), NULL,
	  "where the daily bounce digest goes" },
	{ "UserID", T_STRING, F(user_id), NULL,
	  "user (or user:group) to run as after opening the socket" },
	{ "DefaultCountry", T_COUNTRY, F(default_country), NULL,
	  "country calling code for phone numbers written without one, e.g. 49" },
	{ "SoftBounceLimit", T_COUNT, F(soft_bounce_limit), "5",
	  "soft failures within SoftBounceWindow that suppress an address" },
	{ "SoftBounceWindow", T_DURATION, F(soft_bounce_window), "7d",
	  "window for SoftBounceLimit" },
	{ "ComplaintAuth", T_AUTH, F(complaint_auth), "none",
	  "what a complaint needs besides a valid token: none, dkim, spf, or dkim,spf" },
	/* extension: ComplaintAuth dkim takes any passing signature */
	{ "ComplaintDomains", T_DOMAINS, F(complaint_domains), NULL,
	  "comma list of feedback providers' domains: a complaint then needs a passing "
	  "DKIM signature by one of them or a subdomain" },
	{ "FallbackTemplate", T_STRING, F(fallback_template), "{subject}",
	  "fallback text when the message has none: {subject}, {from}, {ref}" },
	{ "FallbackMaxPerPhone", T_COUNT, F(fallback_max_per_phone), "3",
	  "fallback messages per phone per day" },
	{ "FallbackMaxPerHour", T_COUNT, F(fallback_max_per_hour), "1000",
	  "fallback messages to all phones per hour" },
	{ "FallbackMaxSegments", T_COUNT, F(fallback_max_segments), "2",
	  "longest fallback text, in SMS segments" },
	{ "FallbackExpiry", T_DURATION, F(fallback_expiry), "1h",
	  "give up retrying a fallback after this time" },
	{ "FallbackQuietHours", T_QUIET, F(fallback_quiet_hours), NULL,
	  "local times when no fallback is sent (held until they end), e.g. 21:00-08:00" },
	{ "FallbackTimeZone", T_TZ, F(fallback_time_zone), NULL,
	  "IANA time zone of FallbackQuietHours, e.g. Europe/Berlin (default: the system's)" },
	{ "ReceiptListen", T_LISTEN, F(receipt_listen), NULL,
	  "where providers' delivery receipts arrive: inet:PORT@ADDR or inet6:PORT@ADDR" },
	{ "Channel", T_CHANNEL, F(channels), NULL,
	  "Channel KIND DRIVER key=value ...: repeatable; KIND sms|whatsapp|viber, "
	  "DRIVER kannel|twilio|vonage|webhook" },
	/* extensions to DESIGN.md's table */
	{ "PidFile", T_PATH, F(pid_file), "/run/notifilter/notifilter.pid",
	  "file that holds the daemon's process id" },
	{ "LogLevel", T_LOGLEVEL, F(log_level), "info",
	  "err, warn, info or debug (debug logs addresses and phones unmasked)" },
	{ "SyslogFacility", T_FACILITY, F(syslog_facility), "mail",
	  "syslog facility (mail, daemon, local0..local7), or none" },
	{ "VerpPrefix", T_PREFIX, F(verp_prefix), "bounce",
	  "local-part prefix of the VERP envelope sender <prefix>+<token>@BounceDomain" },
	{ "UMask", T_UMASK, F(umask), "007",
	  "umask applied when creating a unix socket (the MTA must be able to write to it)" },
	{ "StoreTimeout", T_MSDURATION, F(store_timeout), "2s",
	  "how long a store lookup waits for a lock before OnStoreError applies (e.g. 500ms, 2s)" },
	{ "NonSmtpdName", T_STRING, F(nonsmtpd_name), "nonsmtpd",
	  "{daemon_name} that marks Postfix's non-SMTP path (cleanup with "
	  "-o milter_macro_daemon_name=nonsmtpd): recipients there are removed, never rejected" },
};

#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* ---- small helpers ----------------------------------------------------- */

static void
free_channels(struct nf_conf_channel *ch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		nf_conf_free_channel_fields(&ch[i]);
	free(ch);
}

static void
conf_free(struct nf_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		void *field = (char *)c + conf_keys[i].off;

		switch (conf_keys[i].type) {
		case T_STRING: case T_PATH: case T_SOCKET: case T_COUNTRY:
		case T_DOMAIN: case T_ADDRESS: case T_PREFIX: case T_QUIET:
		case T_TZ: case T_LISTEN:
			free(*(char **)field);
			break;
		default:
			break;
		}
	}
	nf_conf_free_list(c->senders, c->nsenders);
	nf_conf_free_list(c->fallback_channels, c->nfallback_channels);
	nf_conf_free_list(c->complaint_domains, c->ncomplaint_domains);
	free_channels(c->channels, c->nchannels);
	free(c->path);
	free(c);
}

/* The words of two-word keys, in the order of their enum values. */
static const char *const two_words[][2] = {
	[T_MODE] = { "enforce", "monitor" },
	[T_BLOCKED] = { "reject", "drop" },
	[T_ONSTORE] = { "tempfail", "accept" },
};

/* Set one key from its text value.  `why` gets the reason on failure. */
static int
set_key(struct nf_conf *c, const struct conf_key *k, const char *v, int line,
    struct nf_buf *why)
{
	void *field = (char *)c + k->off;
	const char *reason = NULL;
	int64_t d;
	char *end;
	long long n;

	switch (k->type) {
	case T_STRING: case T_PATH: case T_SOCKET: case T_COUNTRY:
	case T_DOMAIN: case T_ADDRESS: case T_PREFIX: case T_QUIET:
	case T_TZ: case T_LISTEN: {
		char *copy;
		int qs = -1, qe = -1;

		if (k->type == T_PATH && v[0] != '/') {
			nf_buf_printf(why, "%s needs an absolute path (starting with /), not '%s'", k->name, v);
			return -1;
		}
		if (k->type == T_SOCKET && !nf_conf_valid_socket(v, &reason))
			break;
		if (k->type == T_QUIET && nf_conf_parse_quiet(v, &qs, &qe, &reason) != 0)
			break;
		if (k->type == T_TZ && !nf_conf_valid_tz(v, &reason))
			break;
		if (k->type == T_LISTEN && !nf_conf_valid_listen(v, &reason))
			break;
		if (k->type == T_COUNTRY) {
			const char *p = v[0] == '+' ? v + 1 : v;
			size_t len = strlen(p);

			if (len < 1 || len > 3 || strspn(p, "0123456789") != len || p[0] == '0') {
				reason = "DefaultCountry is a country calling code of 1 to 3 digits, e.g. 49 or 1";
				break;
			}
			v = p;
		}
		if (k->type == T_DOMAIN && !nf_conf_valid_domain(v)) {
			reason = "not a valid domain name";
			break;
		}
		if (k->type == T_ADDRESS && (strchr(v, '@') == NULL || strchr(v, ' ') != NULL)) {
			reason = "not an email address";
			break;
		}
		if (k->type == T_PREFIX && (!nf_conf_valid_local(v) || strchr(v, '+') != NULL || strlen(v) > 20)) {
			reason = "the prefix must be a plain local part of at most 20 characters without '+'";
			break;
		}
		copy = strdup(v);
		if (copy == NULL) {
			reason = "out of memory";
			break;
		}
		if (k->type == T_DOMAIN)
			for (char *p = copy; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		free(*(char **)field);
		*(char **)field = copy;
		if (k->type == T_QUIET) {
			c->quiet_start = qs;
			c->quiet_end = qe;
		}
		return 0;
	}
	case T_BOOL:
		if (nf_conf_parse_bool(v, (int *)field) != 0)
			reason = "expected yes or no";
		break;
	case T_MSDURATION: {
		size_t len = strlen(v);

		/* "500ms": milliseconds, for the one key measured in them */
		if (len > 2 && strcasecmp(v + len - 2, "ms") == 0) {
			errno = 0;
			n = strtoll(v, &end, 10);
			if (errno || end != v + len - 2 || n < 0 || n > 86400000 ||
			    !isdigit((unsigned char)*v)) {
				reason = "expected a duration such as 500ms, 2s or 1m";
				break;
			}
			*(int64_t *)field = n;
			break;
		}
	}
		/* FALLTHROUGH */
	case T_DURATION:
		if (nf_conf_parse_duration(v, &d) != 0) {
			reason = "expected a duration such as 30s, 15m, 2h or 7d";
			break;
		}
		*(int64_t *)field = k->type == T_MSDURATION ? d * 1000 : d;
		break;
	case T_COUNT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || *end || end == v || n < 0 || n > 100000000) {
			reason = "expected a whole number from 0 to 100000000";
			break;
		}
		*(int64_t *)field = n;
		break;
	case T_MODE:
	case T_BLOCKED:
	case T_ONSTORE: {
		/* keys with two words: the index of the word is the enum value */
		const char *const *w = two_words[k->type];
		int i = strcasecmp(v, w[0]) == 0 ? 0 : strcasecmp(v, w[1]) == 0 ? 1 : -1;

		if (i < 0) {
			nf_buf_printf(why, "bad value '%s' for %s: expected %s or %s",
			    v, k->name, w[0], w[1]);
			return -1;
		}
		if (k->type == T_MODE)
			*(enum nf_mode *)field = (enum nf_mode)i;
		else if (k->type == T_BLOCKED)
			*(enum nf_blocked_action *)field = (enum nf_blocked_action)i;
		else
			*(enum nf_store_error_action *)field = (enum nf_store_error_action)i;
		break;
	}
	case T_SENDERS: {
		char **list;
		size_t cnt, i;

		if (nf_conf_split_list(v, &list, &cnt, &reason) != 0)
			break;
		for (i = 0; i < cnt; i++)
			if (!nf_conf_valid_sender_pattern(list[i], &reason)) {
				nf_buf_printf(why, "'%s': %s", list[i], reason);
				nf_conf_free_list(list, cnt);
				return -1;
			}
		nf_conf_free_list(c->senders, c->nsenders);
		c->senders = list;
		c->nsenders = cnt;
		return 0;
	}
	case T_CHANNELS: {
		char **list;
		size_t cnt, i, j;

		if (nf_conf_split_list(v, &list, &cnt, &reason) != 0)
			break;
		for (i = 0; i < cnt; i++) {
			for (j = 0; j < i; j++)
				if (strcmp(list[i], list[j]) == 0)
					break;
			if (!nf_conf_in_list(list[i], nf_conf_channel_kinds) || j < i) {
				nf_buf_printf(why, "'%s' %s", list[i], j < i ? "is listed twice" :
				    "is not a fallback channel: use sms, whatsapp or viber");
				nf_conf_free_list(list, cnt);
				return -1;
			}
		}
		nf_conf_free_list(c->fallback_channels, c->nfallback_channels);
		c->fallback_channels = list;
		c->nfallback_channels = cnt;
		return 0;
	}
	case T_DOMAINS: {
		char **list;
		size_t cnt, i;

		if (nf_conf_split_list(v, &list, &cnt, &reason) != 0)
			break;
		for (i = 0; i < cnt; i++) {
			size_t len = strlen(list[i]);

			if (len > 1 && list[i][len - 1] == '.')
				list[i][len - 1] = '\0';	/* absolute form */
			if (!nf_conf_valid_domain(list[i]) || strchr(list[i], '.') == NULL) {
				nf_buf_printf(why, "'%s' is not a domain name such as "
				    "isp.example.net", list[i]);
				nf_conf_free_list(list, cnt);
				return -1;
			}
			for (char *p = list[i]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		}
		nf_conf_free_list(c->complaint_domains, c->ncomplaint_domains);
		c->complaint_domains = list;
		c->ncomplaint_domains = cnt;
		return 0;
	}
	case T_CHANNEL:
		return nf_conf_parse_channel(c, v, line, why);
	case T_LOGLEVEL: {
		enum nf_log_level lvl;

		if (nf_log_level_parse(v, &lvl) != 0)
			reason = "expected err, warn, info or debug";
		else
			*(int *)field = (int)lvl;
		break;
	}
	case T_FACILITY:
		if (nf_log_facility_parse(v, (int *)field) != 0)
			reason = "expected a syslog facility: mail, daemon, user, local0..local7, or none";
		break;
	case T_UMASK:
		errno = 0;
		n = strtoll(v, &end, 8);
		if (errno || *end || end == v || n < 0 || n > 0777)
			reason = "expected an octal mode from 000 to 777, e.g. 007";
		else
			*(int *)field = (int)n;
		break;
	case T_AUTH: {
		char **list;
		size_t cnt, i;
		int bits = 0;

		if (nf_conf_split_list(v, &list, &cnt, &reason) != 0)
			break;
		for (i = 0; i < cnt && reason == NULL; i++) {
			if (strcmp(list[i], "none") == 0 && cnt == 1)
				bits = 0;
			else if (strcmp(list[i], "dkim") == 0)
				bits |= NF_AUTH_DKIM;
			else if (strcmp(list[i], "spf") == 0)
				bits |= NF_AUTH_SPF;
			else if (strcmp(list[i], "both") == 0)
				bits |= NF_AUTH_DKIM | NF_AUTH_SPF;
			else
				reason = "expected none, dkim, spf, or dkim,spf";
		}
		nf_conf_free_list(list, cnt);
		if (reason == NULL)
			*(int *)field = bits;
		break;
	}
	}
	if (reason != NULL) {
		nf_buf_printf(why, "bad value '%s' for %s: %s", v, k->name, reason);
		return -1;
	}
	return 0;
}

static const struct conf_key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(name, conf_keys[i].name) == 0)
			return &conf_keys[i];
	return NULL;
}

static struct nf_conf *
conf_new_defaults(struct nf_buf *err)
{
	struct nf_conf *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL)
		return NULL;
	c->refs = 1;
	c->quiet_start = c->quiet_end = -1;	/* no quiet hours */
	for (i = 0; i < NKEYS; i++) {
		if (conf_keys[i].def == NULL)
			continue;
		if (set_key(c, &conf_keys[i], conf_keys[i].def, 0, err) != 0) {
			conf_free(c);
			return NULL;
		}
	}
	return c;
}

struct nf_conf *
nf_conf_defaults(void)
{
	struct nf_buf err;
	struct nf_conf *c;

	nf_buf_init(&err, 512);
	c = conf_new_defaults(&err);
	nf_buf_free(&err);
	return c;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Cut a comment: '#' at the start or after blank space begins one. */
static void
cut_comment(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

int
nf_conf_load(const char *path, struct nf_conf **out, struct nf_buf *err)
{
	FILE *fp;
	struct nf_conf *c;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int lineno = 0, rc = -1;
	int seen[NKEYS];
	struct nf_buf why;

	*out = NULL;
	memset(seen, 0, sizeof(seen));
	nf_buf_init(&why, 1024);
	fp = fopen(path, "r");
	if (fp == NULL) {
		nf_buf_printf(err, "%s: cannot open the configuration file: %s%s", path,
		    strerror(errno), errno == ENOENT ? " (create it, or name another with -c FILE)" : "");
		return -1;
	}
	c = conf_new_defaults(err);
	if (c == NULL) {
		fclose(fp);
		nf_buf_printf(err, "%s: out of memory", path);
		return -1;
	}
	while ((got = getline(&line, &cap, fp)) != -1) {
		char *p, *key, *value;
		const struct conf_key *k;

		lineno++;
		if (got > NF_CONF_LINE_MAX) {
			nf_buf_printf(err, "%s:%d: line is longer than %d bytes", path, lineno, NF_CONF_LINE_MAX);
			goto out;
		}
		if ((size_t)got != strlen(line)) {
			nf_buf_printf(err, "%s:%d: line contains a NUL byte (is this a text file?)", path, lineno);
			goto out;
		}
		if (lineno == 1 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			memmove(line, line + 3, strlen(line + 3) + 1);
		cut_comment(line);
		p = trim(line);
		if (*p == '\0')
			continue;
		key = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		value = trim(p);
		k = find_key(key);
		if (k == NULL) {
			nf_buf_printf(err, "%s:%d: unknown key '%s' (see notifilter.conf(5) for the keys)",
			    path, lineno, key);
			goto out;
		}
		if (*value == '\0') {
			nf_buf_printf(err, "%s:%d: %s has no value", path, lineno, k->name);
			goto out;
		}
		if (k->type != T_CHANNEL && seen[k - conf_keys]) {
			nf_buf_printf(err, "%s:%d: %s is already set at line %d; keep one of them",
			    path, lineno, k->name, seen[k - conf_keys]);
			goto out;
		}
		seen[k - conf_keys] = lineno;
		nf_buf_reset(&why);
		if (set_key(c, k, value, lineno, &why) != 0) {
			nf_buf_printf(err, "%s:%d: %s", path, lineno, nf_buf_cstr(&why));
			goto out;
		}
	}
	if (ferror(fp)) {
		nf_buf_printf(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	/* cross-key checks */
	for (size_t i = 0; i < c->nfallback_channels; i++) {
		if (c->nchannels == 0 || seen[find_key("FallbackChannels") - conf_keys] == 0)
			break;
		size_t j;
		for (j = 0; j < c->nchannels; j++)
			if (strcmp(c->channels[j].kind, c->fallback_channels[i]) == 0)
				break;
		if (j == c->nchannels) {
			nf_buf_printf(err, "%s:%d: FallbackChannels names %s, but no Channel line "
			    "configures it", path, seen[find_key("FallbackChannels") - conf_keys],
			    c->fallback_channels[i]);
			goto out;
		}
	}
	if ((c->path = strdup(path)) == NULL) {
		nf_buf_printf(err, "%s: out of memory", path);
		goto out;
	}
	rc = 0;
	*out = c;
	c = NULL;
out:
	free(line);
	fclose(fp);
	nf_buf_free(&why);
	conf_free(c);
	return rc;
}

struct nf_conf *
nf_conf_ref(struct nf_conf *c)
{
	if (c != NULL)
		atomic_fetch_add_explicit((_Atomic int *)&c->refs, 1, memory_order_relaxed);
	return c;
}

void
nf_conf_unref(struct nf_conf *c)
{
	if (c != NULL &&
	    atomic_fetch_sub_explicit((_Atomic int *)&c->refs, 1, memory_order_acq_rel) == 1)
		conf_free(c);
}

static void
dump_value(const struct nf_conf *c, const struct conf_key *k, FILE *fp)
{
	const void *field = (const char *)c + k->off;
	size_t i;
	static const char *const lv[] = { "err", "warn", "info", "debug" };

	switch (k->type) {
	case T_STRING: case T_PATH: case T_SOCKET: case T_COUNTRY:
	case T_DOMAIN: case T_ADDRESS: case T_PREFIX: case T_QUIET:
	case T_TZ: case T_LISTEN: {
		const char *s = *(char *const *)field;

		if (s == NULL) {
			fprintf(fp, "# %s (not set)\n", k->name);
			return;
		}
		fprintf(fp, "%s %s\n", k->name, s);
		return;
	}
	case T_BOOL:
		fprintf(fp, "%s %s\n", k->name, *(const int *)field ? "yes" : "no");
		return;
	case T_DURATION:
		fprintf(fp, "%s %llds\n", k->name, (long long)*(const int64_t *)field);
		return;
	case T_MSDURATION:
		fprintf(fp, "%s %lldms\n", k->name, (long long)*(const int64_t *)field);
		return;
	case T_COUNT:
		fprintf(fp, "%s %lld\n", k->name, (long long)*(const int64_t *)field);
		return;
	case T_MODE:
		fprintf(fp, "%s %s\n", k->name, two_words[T_MODE][c->mode]);
		return;
	case T_BLOCKED:
		fprintf(fp, "%s %s\n", k->name, two_words[T_BLOCKED][c->blocked_recipient]);
		return;
	case T_ONSTORE:
		fprintf(fp, "%s %s\n", k->name, two_words[T_ONSTORE][c->on_store_error]);
		return;
	case T_SENDERS:
	case T_CHANNELS:
	case T_DOMAINS: {
		char *const *v = k->type == T_SENDERS ? c->senders :
		    k->type == T_CHANNELS ? c->fallback_channels : c->complaint_domains;
		size_t n = k->type == T_SENDERS ? c->nsenders :
		    k->type == T_CHANNELS ? c->nfallback_channels : c->ncomplaint_domains;

		if (n == 0) {
			fprintf(fp, "# %s (not set)\n", k->name);
			return;
		}
		fprintf(fp, "%s ", k->name);
		for (i = 0; i < n; i++)
			fprintf(fp, "%s%s", i ? ", " : "", v[i]);
		fputc('\n', fp);
		return;
	}
	case T_CHANNEL:
		if (c->nchannels == 0)
			fprintf(fp, "# %s (none)\n", k->name);
		for (i = 0; i < c->nchannels; i++) {
			fprintf(fp, "%s %s %s", k->name, c->channels[i].kind, c->channels[i].driver);
			for (size_t j = 0; j < c->channels[i].nkv; j++)
				fprintf(fp, " %s=%s", c->channels[i].kv[j].key, c->channels[i].kv[j].value);
			fputc('\n', fp);
		}
		return;
	case T_LOGLEVEL:
		fprintf(fp, "%s %s\n", k->name, lv[c->log_level & 3]);
		return;
	case T_FACILITY: {
		static const struct { int f; const char *n; } fac[] = {
			{ LOG_MAIL, "mail" }, { LOG_DAEMON, "daemon" }, { LOG_USER, "user" },
			{ LOG_LOCAL0, "local0" }, { LOG_LOCAL1, "local1" }, { LOG_LOCAL2, "local2" },
			{ LOG_LOCAL3, "local3" }, { LOG_LOCAL4, "local4" }, { LOG_LOCAL5, "local5" },
			{ LOG_LOCAL6, "local6" }, { LOG_LOCAL7, "local7" }, { -1, "none" },
		};
		for (i = 0; i < sizeof(fac) / sizeof(fac[0]); i++)
			if (fac[i].f == c->syslog_facility)
				fprintf(fp, "%s %s\n", k->name, fac[i].n);
		return;
	}
	case T_UMASK:
		fprintf(fp, "%s %03o\n", k->name, (unsigned)c->umask);
		return;
	case T_AUTH:
		fprintf(fp, "%s %s\n", k->name,
		    c->complaint_auth == 0 ? "none" :
		    c->complaint_auth == NF_AUTH_DKIM ? "dkim" :
		    c->complaint_auth == NF_AUTH_SPF ? "spf" : "dkim,spf");
		return;
	}
}

void
nf_conf_dump(const struct nf_conf *c, FILE *fp)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		dump_value(c, &conf_keys[i], fp);
}

const struct nf_conf_keyinfo *
nf_conf_keys(size_t *n)
{
	static struct nf_conf_keyinfo info[NKEYS];
	static atomic_int ready;
	size_t i;

	if (!atomic_load(&ready)) {
		for (i = 0; i < NKEYS; i++) {
			info[i].name = conf_keys[i].name;
			info[i].type = type_names[conf_keys[i].type];
			info[i].def = conf_keys[i].def;
			info[i].help = conf_keys[i].help;
		}
		atomic_store(&ready, 1);
	}
	*n = NKEYS;
	return info;
}
