/*
 * conf_value.c - parsers and checks for the values of notifilter.conf keys
 * (durations, lists, sender patterns, sockets, Channel lines), used by
 * conf.c's key table.  Each returns 0/-1 or 1/0 as documented in
 * conf_int.h and explains a refusal in words an administrator can act on.
 * Allocations are owned by the caller's struct nf_conf; on failure nothing
 * is left allocated.
 */
#include "conf.h"
#include "conf_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NF_ZONEINFO_DIR
#define NF_ZONEINFO_DIR "/usr/share/zoneinfo"
#endif

void
nf_conf_free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
nf_conf_free_channel_fields(struct nf_conf_channel *ch)
{
	size_t j;

	free(ch->kind);
	free(ch->driver);
	for (j = 0; j < ch->nkv; j++) {
		free(ch->kv[j].key);
		free(ch->kv[j].value);
	}
	free(ch->kv);
}

int
nf_conf_parse_duration(const char *s, int64_t *seconds)
{
	char *end;
	long long v;
	int64_t mult = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	if (*end != '\0') {
		switch (tolower((unsigned char)*end)) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > INT64_MAX / mult / 1000)
		return -1;
	*seconds = (int64_t)v * mult;
	return 0;
}

/* Splits a comma (and/or blank) separated list into lower-case words. */
int
nf_conf_split_list(const char *value, char ***out, size_t *n, const char **why)
{
	char *copy = strdup(value), *p, *save = NULL;
	char **v = NULL;
	size_t cnt = 0;

	if (copy == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (p = strtok_r(copy, ", \t", &save); p; p = strtok_r(NULL, ", \t", &save)) {
		char **nv = realloc(v, (cnt + 1) * sizeof(*v));
		char *q = NULL;

		if (nv != NULL)
			v = nv;
		if (nv == NULL || (q = strdup(p)) == NULL) {
			nf_conf_free_list(v, cnt);
			free(copy);
			*why = "out of memory";
			return -1;
		}
		for (char *r = q; *r; r++)
			*r = (char)tolower((unsigned char)*r);
		v[cnt++] = q;
	}
	free(copy);
	if (cnt == 0) {
		*why = "the list is empty";
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
nf_conf_valid_domain(const char *d)
{
	size_t len = strlen(d), label = 0;
	const char *p;

	if (len == 0 || len > 253 || d[0] == '.' || d[0] == '-')
		return 0;
	for (p = d; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!(isalnum(ch) || ch == '-' || ch == '_') || ++label > 63)
			return 0;
		if (ch == '-' && label == 1)
			return 0;
	}
	return label > 0 && p[-1] != '-';
}

int
nf_conf_valid_local(const char *l)
{
	const char *p;

	if (*l == '\0' || strlen(l) > 64 || *l == '.')
		return 0;
	for (p = l; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("!#$%&'*+-/=?^_`{|}~.", *p)))
			return 0;
	return p[-1] != '.' && strstr(l, "..") == NULL;
}

/* a@b, *@b, *@*.b */
int
nf_conf_valid_sender_pattern(const char *pat, const char **why)
{
	const char *at = strrchr(pat, '@');
	char local[128];
	const char *dom;

	if (at == NULL || at == pat || (size_t)(at - pat) >= sizeof(local)) {
		*why = "a sender pattern must look like a@b, *@b or *@*.b";
		return 0;
	}
	memcpy(local, pat, (size_t)(at - pat));
	local[at - pat] = '\0';
	dom = at + 1;
	if (strcmp(local, "*") != 0 && !nf_conf_valid_local(local)) {
		*why = "bad local part in sender pattern (use a@b, *@b or *@*.b)";
		return 0;
	}
	if (strncmp(dom, "*.", 2) == 0)
		dom += 2;
	if (!nf_conf_valid_domain(dom)) {
		*why = "bad domain in sender pattern (use a@b, *@b or *@*.b)";
		return 0;
	}
	return 1;
}

int
nf_conf_valid_socket(const char *s, const char **why)
{
	const char *rest, *at;
	char *end;
	long port;

	if (strncasecmp(s, "unix:", 5) == 0 || strncasecmp(s, "local:", 6) == 0) {
		rest = strchr(s, ':') + 1;
		if (*rest != '/') {
			*why = "a unix socket needs an absolute path: unix:/run/notifilter/notifilter.sock";
			return 0;
		}
		if (strlen(rest) >= 104) {
			*why = "unix socket path is longer than the 103 bytes a socket address holds";
			return 0;
		}
		return 1;
	}
	if (strncasecmp(s, "inet:", 5) == 0 || strncasecmp(s, "inet6:", 6) == 0) {
		rest = strchr(s, ':') + 1;
		errno = 0;
		port = strtol(rest, &end, 10);
		if (end == rest || errno || port < 1 || port > 65535) {
			*why = "bad port: write inet:PORT@HOST, e.g. inet:8891@127.0.0.1";
			return 0;
		}
		at = end;
		if (*at != '\0' && (*at != '@' || at[1] == '\0')) {
			*why = "write inet:PORT@HOST, e.g. inet:8891@127.0.0.1";
			return 0;
		}
		return 1;
	}
	*why = "unknown socket type: use unix:/path, local:/path, inet:PORT@HOST or inet6:PORT@HOST";
	return 0;
}

const char *const nf_conf_channel_kinds[] = { "sms", "whatsapp", "viber", NULL };

int
nf_conf_in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(w, *list) == 0)
			return 1;
	return 0;
}

/* Keys each driver accepts; '!' marks a required key. */
static const struct {
	const char *driver;
	const char *keys[8];
} driver_keys[] = {
	{ "kannel", { "!url", "!user", "!password_file", "from", "dlr_url", NULL } },
	{ "twilio", { "!account", "!token_file", "!from", "base_url", "status_callback", NULL } },
	{ "vonage", { "!key", "!secret_file", "!from", "base_url", NULL } },
	{ "webhook", { "!url", "!secret_file", NULL } },
};

int
nf_conf_parse_channel(struct nf_conf *c, const char *value, int line, struct nf_buf *why)
{
	char *copy, *save = NULL, *kind, *driver, *tok;
	struct nf_conf_channel ch, *nv;
	size_t d, k;
	int rc = -1;

	if (c->nchannels >= NF_CONF_CHANNELS_MAX) {
		nf_buf_printf(why, "more than %d Channel lines", NF_CONF_CHANNELS_MAX);
		return -1;
	}
	memset(&ch, 0, sizeof(ch));
	ch.line = line;
	if ((copy = strdup(value)) == NULL) {
		nf_buf_puts(why, "out of memory");
		return -1;
	}
	kind = strtok_r(copy, " \t", &save);
	driver = strtok_r(NULL, " \t", &save);
	if (kind == NULL || driver == NULL) {
		nf_buf_puts(why, "write Channel KIND DRIVER key=value ..., e.g. "
		    "Channel sms kannel url=http://127.0.0.1:13013/cgi-bin/sendsms user=u password_file=/etc/notifilter/kannel.pw");
		goto out;
	}
	if (!nf_conf_in_list(kind, nf_conf_channel_kinds)) {
		nf_buf_printf(why, "unknown channel kind '%s': use sms, whatsapp or viber", kind);
		goto out;
	}
	for (d = 0; d < sizeof(driver_keys) / sizeof(driver_keys[0]); d++)
		if (strcasecmp(driver, driver_keys[d].driver) == 0)
			break;
	if (d == sizeof(driver_keys) / sizeof(driver_keys[0])) {
		nf_buf_printf(why, "unknown channel driver '%s': use kannel, twilio, vonage or webhook", driver);
		goto out;
	}
	ch.kind = strdup(kind);
	ch.driver = strdup(driver_keys[d].driver);
	for (char *p = ch.kind; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		char *eq = strchr(tok, '=');
		struct nf_conf_kv *kv;
		int known = 0;

		if (eq == NULL || eq == tok || eq[1] == '\0') {
			nf_buf_printf(why, "channel option '%s' is not key=value", tok);
			goto out;
		}
		*eq = '\0';
		for (k = 0; driver_keys[d].keys[k]; k++) {
			const char *name = driver_keys[d].keys[k];

			if (*name == '!')
				name++;
			if (strcasecmp(tok, name) == 0)
				known = 1;
		}
		if (!known) {
			if (strcasecmp(tok, "password") == 0 || strcasecmp(tok, "token") == 0 ||
			    strcasecmp(tok, "secret") == 0)
				nf_buf_printf(why, "secrets are not written in the config: put it in a file "
				    "readable only by notifilter and use %s_file=PATH", tok);
			else
				nf_buf_printf(why, "the %s driver has no option '%s'", ch.driver, tok);
			goto out;
		}
		if (nf_conf_channel_get(&ch, tok) != NULL) {
			nf_buf_printf(why, "channel option '%s' given twice", tok);
			goto out;
		}
		kv = realloc(ch.kv, (ch.nkv + 1) * sizeof(*kv));
		if (kv == NULL) {
			nf_buf_puts(why, "out of memory");
			goto out;
		}
		ch.kv = kv;
		kv[ch.nkv].key = strdup(tok);
		kv[ch.nkv].value = strdup(eq + 1);
		for (char *p = kv[ch.nkv].key; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		ch.nkv++;
	}
	for (k = 0; driver_keys[d].keys[k]; k++) {
		const char *name = driver_keys[d].keys[k];

		if (*name == '!' && nf_conf_channel_get(&ch, name + 1) == NULL) {
			nf_buf_printf(why, "the %s driver needs %s=...", ch.driver, name + 1);
			goto out;
		}
	}
	nv = realloc(c->channels, (c->nchannels + 1) * sizeof(*nv));
	if (nv == NULL) {
		nf_buf_puts(why, "out of memory");
		goto out;
	}
	c->channels = nv;
	c->channels[c->nchannels++] = ch;
	memset(&ch, 0, sizeof(ch));
	rc = 0;
out:
	if (rc != 0)
		nf_conf_free_channel_fields(&ch);
	free(copy);
	return rc;
}

const char *
nf_conf_channel_get(const struct nf_conf_channel *ch, const char *key)
{
	size_t i;

	for (i = 0; i < ch->nkv; i++)
		if (strcasecmp(ch->kv[i].key, key) == 0)
			return ch->kv[i].value;
	return NULL;
}

int
nf_conf_parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	if (nf_conf_in_list(v, yes))
		*out = 1;
	else if (nf_conf_in_list(v, no))
		*out = 0;
	else
		return -1;
	return 0;
}


/* "HH:MM" at *p into minutes of the day; moves *p past it. */
static int
parse_hhmm(const char **p, int *out)
{
	const char *s = *p;
	int h, m;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	h = s[0] - '0';
	s++;
	if (isdigit((unsigned char)s[0]))
		h = h * 10 + (*s++ - '0');
	if (s[0] != ':' || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return -1;
	m = (s[1] - '0') * 10 + (s[2] - '0');
	if (h > 23 || m > 59)
		return -1;
	*out = h * 60 + m;
	*p = s + 3;
	return 0;
}

int
nf_conf_parse_quiet(const char *v, int *start, int *end, const char **why)
{
	const char *p = v;
	int a, b;

	if (parse_hhmm(&p, &a) != 0 || *p++ != '-' || parse_hhmm(&p, &b) != 0 ||
	    *p != '\0') {
		*why = "write the local times as HH:MM-HH:MM (24-hour clock), "
		    "e.g. 21:00-08:00";
		return -1;
	}
	if (a == b) {
		*why = "start and end are the same time: give a real range, or "
		    "leave FallbackQuietHours out";
		return -1;
	}
	*start = a;
	*end = b;
	return 0;
}

int
nf_conf_valid_tz(const char *v, const char **why)
{
	const char *dir = getenv("TZDIR");
	char path[4096], head[4];
	struct stat sb;
	size_t i, len = strlen(v);
	int fd, n;

	if (dir == NULL || dir[0] != '/')
		dir = NF_ZONEINFO_DIR;
	for (i = 0; i < len; i++)
		if (!(isalnum((unsigned char)v[i]) || strchr("/_+-", v[i])))
			break;
	if (len == 0 || len > 128 || i < len || v[0] == '/' ||
	    strstr(v, "..") != NULL) {
		*why = "not a time zone name: use an IANA name such as "
		    "Europe/Berlin or America/New_York";
		return 0;
	}
	n = snprintf(path, sizeof path, "%s/%s", dir, v);
	if (n < 0 || (size_t)n >= sizeof path || stat(path, &sb) != 0 ||
	    !S_ISREG(sb.st_mode)) {
		*why = "no such time zone in the system's zoneinfo (is the "
		    "tzdata package installed? names are case-sensitive, "
		    "e.g. Europe/Berlin)";
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? (int)read(fd, head, sizeof head) : -1;
	if (fd >= 0)
		close(fd);
	if (n != 4 || memcmp(head, "TZif", 4) != 0) {
		*why = "that zoneinfo file is not a time zone (TZif) file: use "
		    "an IANA name such as Europe/Berlin";
		return 0;
	}
	return 1;
}

int
nf_conf_valid_listen(const char *v, const char **why)
{
	const char *rest, *at;
	unsigned char addr[16];
	char *end;
	long port;
	int six;

	if (strncasecmp(v, "inet:", 5) == 0)
		six = 0;
	else if (strncasecmp(v, "inet6:", 6) == 0)
		six = 1;
	else {
		*why = "write inet:PORT@ADDR or inet6:PORT@ADDR, e.g. "
		    "inet:8025@127.0.0.1";
		return 0;
	}
	rest = strchr(v, ':') + 1;
	errno = 0;
	port = strtol(rest, &end, 10);
	if (end == rest || !isdigit((unsigned char)*rest) || errno || port < 1 ||
	    port > 65535) {
		*why = "bad port: write inet:PORT@ADDR with PORT 1-65535, e.g. "
		    "inet:8025@127.0.0.1";
		return 0;
	}
	at = end;
	if (*at != '@' || at[1] == '\0') {
		*why = "the address is missing: write inet:PORT@ADDR, e.g. "
		    "inet:8025@127.0.0.1";
		return 0;
	}
	if (inet_pton(six ? AF_INET6 : AF_INET, at + 1, addr) != 1) {
		*why = six ? "not a numeric IPv6 address after @ (e.g. "
		    "inet6:8025@::1)" : "not a numeric IPv4 address after @ "
		    "(e.g. inet:8025@127.0.0.1)";
		return 0;
	}
	return 1;
}
