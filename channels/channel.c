/*
 * channel.c - the driver table, opening and closing configured channels,
 * and the one place that turns an HTTP outcome into ok / retry / permanent.
 *
 * Contract: nf_channel_open() finds the driver named by the Channel line in
 * the table built from NF_CHAN_DRIVERS (channel_int.h), fills in network
 * defaults and lets the driver read its options and secret files; a
 * failure leaves nothing allocated and one line in `err`.  nf_channel_send()
 * checks the message, presets a "permanent, no answer" result, calls the
 * driver, and makes sure the answer text is never empty.  The helpers here
 * (answer text, masking, form and URL encoding) are what keeps secrets out
 * of records: every text a driver stores goes through nf_chan_clean_text().
 *
 * Classification (nf_chan_classify, then refined per driver):
 *   2xx                     ok
 *   408, 429, 5xx           retry, honouring Retry-After (seconds or date)
 *   no answer (refused, time-out, dropped, DNS, TLS handshake)   retry
 *   3xx                     permanent: redirects are not followed, the URL
 *                           in the config needs fixing
 *   other 4xx, 1xx          permanent
 *   bad URL, certificate that does not verify                    permanent
 */
#include "config.h"

#include "channel_int.h"
#include "sms_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct nf_chan_driver *const drivers[] = {
#define X(name) &nf_chan_driver_##name,
	NF_CHAN_DRIVERS
#undef X
};

static const struct nf_chan_driver *
driver_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcasecmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

int
nf_channel_driver_known(const char *name)
{
	return driver_find(name) != NULL;
}

const char *
nf_chan_status_name(enum nf_chan_status s)
{
	switch (s) {
	case NF_CHAN_OK: return "ok";
	case NF_CHAN_RETRY: return "retry";
	case NF_CHAN_PERMANENT: return "permanent";
	}
	return "?";
}

int
nf_channel_open(const struct nf_conf_channel *cc,
    const struct nf_chan_opts *opts, struct nf_channel **out, struct nf_buf *err)
{
	const struct nf_chan_driver *d;
	struct nf_channel *ch;

	*out = NULL;
	if ((d = driver_find(cc->driver)) == NULL) {
		nf_buf_printf(err, "unknown channel driver '%s'", cc->driver ? cc->driver : "");
		return -1;
	}
	if ((ch = calloc(1, sizeof(*ch))) == NULL ||
	    (ch->kind = strdup(cc->kind ? cc->kind : "sms")) == NULL) {
		free(ch);
		nf_buf_puts(err, "out of memory");
		return -1;
	}
	ch->drv = d;
	if (opts != NULL)
		ch->opts = *opts;
	if (ch->opts.connect_timeout_ms <= 0)
		ch->opts.connect_timeout_ms = 5000;
	if (ch->opts.timeout_ms <= 0)
		ch->opts.timeout_ms = 15000;
	if (ch->opts.max_answer == 0)
		ch->opts.max_answer = 65536;
	if (d->open(ch, cc, err) != 0) {
		free(ch->kind);
		free(ch);
		return -1;
	}
	*out = ch;
	return 0;
}

void
nf_channel_close(struct nf_channel *ch)
{
	if (ch == NULL)
		return;
	ch->drv->close(ch);
	free(ch->kind);
	free(ch);
}

const char *
nf_channel_kind(const struct nf_channel *ch)
{
	return ch->kind;
}

const char *
nf_channel_driver(const struct nf_channel *ch)
{
	return ch->drv->name;
}

static int
key_ok(const char *k)
{
	size_t n = 0;

	if (k == NULL)
		return 0;
	for (; k[n] != '\0'; n++) {
		unsigned char c = (unsigned char)k[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n >= 1 && n <= 64;
}

/* E.164 as the scheduler writes it; the '+' is optional for short codes */
static int
phone_ok(const char *p)
{
	size_t n = 0;

	if (*p == '+')
		p++;
	for (; p[n] != '\0'; n++)
		if (p[n] < '0' || p[n] > '9')
			return 0;
	return n >= 3 && n <= 20;
}

enum nf_chan_status
nf_channel_send(const struct nf_channel *ch, struct nf_http *h,
    const struct nf_chan_msg *m, struct nf_chan_result *res)
{
	struct nf_sms_info info;

	memset(res, 0, sizeof(*res));
	res->status = NF_CHAN_PERMANENT;
	res->retry_after = -1;
	if (m->to == NULL || m->to[0] == '\0') {
		nf_chan_answer(res, NULL, "not sent: no phone number");
		return res->status;
	}
	if (m->text == NULL || m->text[0] == '\0') {
		nf_chan_answer(res, NULL, "not sent: empty text");
		return res->status;
	}
	if (!phone_ok(m->to)) {
		nf_chan_answer(res, NULL, "not sent: the phone number must be + and 3-20 digits");
		return res->status;
	}
	if (nf_sms_measure(m->text, strlen(m->text), &info) != 0) {
		nf_chan_answer(res, NULL, "not sent: the text is not valid UTF-8");
		return res->status;
	}
	if (!key_ok(m->idempotency_key)) {
		nf_chan_answer(res, NULL, "not sent: idempotency key must be 1-64 of A-Z a-z 0-9 . _ -");
		return res->status;
	}
	if (h == NULL) {
		res->status = NF_CHAN_RETRY;
		nf_chan_answer(res, NULL, "not sent: no HTTP handle (out of memory?)");
		return res->status;
	}
	ch->drv->send(ch, h, m, res);
	if (res->answer[0] == '\0')
		nf_chan_answer(res, NULL, "%s", nf_chan_status_name(res->status));
	return res->status;
}

/* ---- text helpers ---------------------------------------------------- */

static int
unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int
nf_chan_url_escape(struct nf_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = NF_BUF_OK;

	for (; *s != '\0' && rc == NF_BUF_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			rc = nf_buf_putc(b, c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = nf_buf_append(b, e, 3);
		}
	}
	return rc;
}

int
nf_chan_url_with_key(struct nf_buf *out, const char *tmpl, const char *key)
{
	const char *p;

	while ((p = strstr(tmpl, "{key}")) != NULL) {
		if (nf_buf_append(out, tmpl, (size_t)(p - tmpl)) != NF_BUF_OK ||
		    nf_chan_url_escape(out, key ? key : "") != NF_BUF_OK)
			return -1;
		tmpl = p + 5;
	}
	return nf_buf_puts(out, tmpl) == NF_BUF_OK ? 0 : -1;
}

int
nf_chan_form_add(struct nf_buf *b, const char *name, const char *value)
{
	int rc = NF_BUF_OK;

	if (b->len > 0)
		rc = nf_buf_putc(b, '&');
	if (rc == NF_BUF_OK)
		rc = nf_chan_url_escape(b, name);
	if (rc == NF_BUF_OK)
		rc = nf_buf_putc(b, '=');
	if (rc == NF_BUF_OK)
		rc = nf_chan_url_escape(b, value);
	return rc;
}

int
nf_chan_url_check(const char *url)
{
	const char *p;

	if (url == NULL)
		return -1;
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return -1;
	if (*p == '\0' || *p == '/' || *p == '?' || *p == '#')
		return -1;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -1;
	return 0;
}

int
nf_chan_url_join(struct nf_buf *out, const char *base, const char *path,
    struct nf_buf *err)
{
	size_t n;

	if (nf_chan_url_check(base) != 0) {
		nf_buf_printf(err, "base_url '%s' is not an http:// or https:// URL", base);
		return -1;
	}
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	while (*path == '/')
		path++;
	if (nf_buf_append(out, base, n) != NF_BUF_OK || nf_buf_putc(out, '/') != NF_BUF_OK ||
	    nf_buf_puts(out, path) != NF_BUF_OK) {
		nf_buf_puts(err, "URL too long or out of memory");
		return -1;
	}
	return 0;
}

/*
 * Find the earliest secret (raw, or percent-encoded as it would travel in a
 * URL or form) at `s`; returns its length there, 0 if none starts here.
 */
static size_t
secret_at(const char *s, size_t left, const char *const *secrets)
{
	size_t i;

	if (secrets == NULL)
		return 0;
	for (i = 0; i < NF_HTTP_SECRETS_MAX && secrets[i] != NULL; i++) {
		const char *sec = secrets[i];
		size_t sl = strlen(sec);
		struct nf_buf enc;
		size_t hit = 0;

		if (sl == 0)
			continue;
		if (sl <= left && memcmp(s, sec, sl) == 0)
			return sl;
		nf_buf_init(&enc, 4 * 1024);
		if (nf_chan_url_escape(&enc, sec) == NF_BUF_OK && enc.len != sl &&
		    enc.len <= left && strncasecmp(s, enc.data, enc.len) == 0)
			hit = enc.len;
		nf_buf_free(&enc);
		if (hit)
			return hit;
	}
	return 0;
}

void
nf_chan_clean_text(char *out, size_t outlen, const char *in, size_t inlen,
    const char *const *secrets)
{
	size_t i = 0, o = 0, m;
	int space = 1;	/* drops leading blanks, folds runs of blanks */

	if (outlen == 0)
		return;
	while (i < inlen && in[i] != '\0' && o + 1 < outlen) {
		unsigned char c = (unsigned char)in[i];

		if ((m = secret_at(in + i, inlen - i, secrets)) > 0) {
			if (o + 4 >= outlen)
				break;
			memcpy(out + o, "***", 3);
			o += 3;
			i += m;
			space = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				out[o++] = ' ';
			space = 1;
		} else {
			/* UTF-8 is kept: answers are often in the user's language */
			out[o++] = (char)c;
			space = 0;
		}
		i++;
	}
	/* cut short: never end inside a UTF-8 sequence */
	if (i < inlen && in[i] != '\0') {
		size_t p = o, want;
		unsigned char lead;

		while (p > 0 && o - p < 4 && ((unsigned char)out[p - 1] & 0xC0) == 0x80)
			p--;
		if (p > 0) {
			lead = (unsigned char)out[p - 1];
			want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
			if (o - (p - 1) < want)
				o = p - 1;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

void
nf_chan_answer(struct nf_chan_result *res, const char *const *secrets,
    const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		tmp[0] = '\0';
	nf_chan_clean_text(res->answer, sizeof(res->answer), tmp, strlen(tmp), secrets);
}

int
nf_chan_set_id(struct nf_chan_result *res, const char *id)
{
	size_t n, i;

	res->provider_id[0] = '\0';
	if (id == NULL)
		return -1;
	n = strlen(id);
	if (n == 0 || n >= sizeof(res->provider_id))
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f)
			return -1;
	memcpy(res->provider_id, id, n + 1);
	return 0;
}

int
nf_chan_strdup_opt(char **dst, const struct nf_conf_channel *cc, const char *key)
{
	const char *v = nf_conf_channel_get(cc, key);

	*dst = NULL;
	if (v == NULL)
		return 0;
	return (*dst = strdup(v)) == NULL ? -1 : 0;
}

/* ---- classification -------------------------------------------------- */

void
nf_chan_classify(const struct nf_http_resp *r, const char *const *secrets,
    struct nf_chan_result *res)
{
	char body[160];

	res->http_status = r->outcome == NF_HTTP_ANSWERED ? r->status : 0;
	res->seconds = r->seconds;
	res->retry_after = -1;
	if (r->outcome != NF_HTTP_ANSWERED) {
		res->status = r->outcome == NF_HTTP_FATAL ? NF_CHAN_PERMANENT : NF_CHAN_RETRY;
		nf_chan_answer(res, secrets, "no answer: %s", r->error[0] ? r->error : "transfer failed");
		return;
	}
	nf_chan_clean_text(body, sizeof(body), nf_buf_cstr(&r->body), r->body.len, secrets);
	if (r->status >= 200 && r->status <= 299) {
		res->status = NF_CHAN_OK;
	} else if (r->status == 408 || r->status == 429 ||
	    (r->status >= 500 && r->status <= 599)) {
		res->status = NF_CHAN_RETRY;
		res->retry_after = r->retry_after;
	} else {
		res->status = NF_CHAN_PERMANENT;
	}
	if (r->status >= 300 && r->status <= 399)
		nf_chan_answer(res, secrets, "HTTP %ld: the provider redirects; redirects are "
		    "not followed, put the final URL in the Channel line", r->status);
	else
		nf_chan_answer(res, secrets, "HTTP %ld%s%s", r->status, body[0] ? ": " : "", body);
}
