/*
 * dlr.c - providers' delivery receipts: parse, check the signature,
 * normalise to one status word and one line of detail (see dlr.h for the
 * paths and fields).
 *
 * Ownership: struct nf_dlr_keys holds copies of the secrets it needs
 * (Twilio auth tokens, webhook HMAC keys), read once at open with the
 * channels' own file checks and wiped at free.  nf_dlr_parse allocates
 * only for the request's parameters and frees them before it returns.
 *
 * Failure: nothing here trusts the request.  Every field is bounded, a
 * parameter list longer than NF_DLR_PARAMS_MAX or a percent-escape that
 * decodes to NUL is a bad request, and a signature is compared in
 * constant time; a request that does not verify changes nothing (the
 * caller records only NF_DLR_OK).
 *
 * Signatures: Twilio's X-Twilio-Signature is base64(HMAC-SHA1(auth token,
 * URL + every POST parameter as name and value, sorted by name)); the URL
 * is the one Twilio called, which behind a proxy is not what we see, so
 * the channel's status_callback (with {key} filled in) is tried first and
 * then http:// and https:// with the Host header.  Webhook receipts are
 * signed like our outgoing webhook: sha256=hex(HMAC-SHA256(secret, body)).
 * Kannel and Vonage receipts carry no signature we check: a Vonage
 * receipt must name both ids of the row, a Kannel receipt its key, and the
 * listener should be reachable only by the gateway (README).
 */
#include "config.h"

#include "channel_int.h"
#include "dlr.h"
#include "secret.h"

#include <ctype.h>
#include <stdarg.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NF_DLR_PARAMS_MAX 64
#define NF_DLR_VALUE_MAX 2048

struct dlr_twilio {
	char *token;
	char *callback;		/* status_callback, or NULL */
};

struct nf_dlr_keys {
	int kannel, vonage;	/* such a channel is configured */
	struct dlr_twilio *tw;
	size_t ntw;
	struct nf_secret **wh;
	size_t nwh;
};

struct kv {
	char *k, *v;
};
struct params {
	struct kv a[NF_DLR_PARAMS_MAX];
	size_t n;
};

/* ---- keys ----------------------------------------------------------------- */

void
nf_dlr_keys_free(struct nf_dlr_keys *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->ntw; i++) {
		nf_chan_cred_free(k->tw[i].token);
		free(k->tw[i].callback);
	}
	free(k->tw);
	for (i = 0; i < k->nwh; i++)
		nf_secret_free(k->wh[i]);
	free(k->wh);
	free(k);
}

int
nf_dlr_keys_open(const struct nf_conf *conf, struct nf_dlr_keys **out,
    struct nf_buf *err)
{
	struct nf_dlr_keys *k = calloc(1, sizeof(*k));
	struct nf_buf why;
	size_t i;

	*out = NULL;
	if (k == NULL || (conf->nchannels > 0 &&
	    ((k->tw = calloc(conf->nchannels, sizeof(*k->tw))) == NULL ||
	    (k->wh = calloc(conf->nchannels, sizeof(*k->wh))) == NULL))) {
		nf_buf_puts(err, "receipts: out of memory");
		nf_dlr_keys_free(k);
		return -1;
	}
	nf_buf_init(&why, 1024);
	for (i = 0; i < conf->nchannels; i++) {
		const struct nf_conf_channel *cc = &conf->channels[i];
		const char *path;

		nf_buf_reset(&why);
		if (strcasecmp(cc->driver, "kannel") == 0) {
			k->kannel = 1;
		} else if (strcasecmp(cc->driver, "vonage") == 0) {
			k->vonage = 1;
		} else if (strcasecmp(cc->driver, "twilio") == 0) {
			struct dlr_twilio *t = &k->tw[k->ntw];
			const char *cb = nf_conf_channel_get(cc, "status_callback");

			if ((t->token = nf_chan_cred_opt("twilio", cc, "token_file",
			    &why)) == NULL)
				goto fail;
			k->ntw++;
			if (cb != NULL && (t->callback = strdup(cb)) == NULL) {
				nf_buf_puts(&why, "out of memory");
				goto fail;
			}
		} else if (strcasecmp(cc->driver, "webhook") == 0) {
			if ((path = nf_conf_channel_get(cc, "secret_file")) == NULL) {
				nf_buf_puts(&why, "webhook: secret_file= is required");
				goto fail;
			}
			if (nf_secret_load(path, &k->wh[k->nwh], &why) != 0)
				goto fail;
			k->nwh++;
		}
	}
	nf_buf_free(&why);
	*out = k;
	return 0;
fail:
	nf_buf_printf(err, "line %d: Channel %s %s: %s (needed to check its "
	    "delivery receipts)", conf->channels[i].line, conf->channels[i].kind,
	    conf->channels[i].driver, nf_buf_cstr(&why));
	nf_buf_free(&why);
	nf_dlr_keys_free(k);
	return -1;
}

/* ---- parameters ------------------------------------------------------------ */

static void
params_free(struct params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->a[i].k);
		free(p->a[i].v);
	}
	p->n = 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent- and '+'-decode s[len] into a new string; NULL if it is too
 * long, decodes to NUL, or memory runs out. */
static char *
form_decode(const char *s, size_t len)
{
	char *out, *o;
	size_t i;

	if (len > NF_DLR_VALUE_MAX * 3 || (out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (c == 0)
			goto bad;
		*o++ = (char)c;
	}
	*o = '\0';
	if ((size_t)(o - out) > NF_DLR_VALUE_MAX)
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

/* Add the pairs of an application/x-www-form-urlencoded string. 0 or -1. */
static int
params_parse(struct params *p, const char *s, size_t len)
{
	const char *end = s + len, *amp, *eq;

	while (s < end) {
		amp = memchr(s, '&', (size_t)(end - s));
		if (amp == NULL)
			amp = end;
		if (amp > s) {
			if (p->n == NF_DLR_PARAMS_MAX)
				return -1;
			eq = memchr(s, '=', (size_t)(amp - s));
			if (eq == NULL)
				eq = amp;
			p->a[p->n].k = form_decode(s, (size_t)(eq - s));
			p->a[p->n].v = form_decode(eq < amp ? eq + 1 : amp,
			    eq < amp ? (size_t)(amp - eq - 1) : 0);
			p->n++;
			if (p->a[p->n - 1].k == NULL || p->a[p->n - 1].v == NULL)
				return -1;
		}
		s = amp + 1;
	}
	return 0;
}

static const char *
param(const struct params *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->a[i].k, name) == 0)
			return p->a[i].v;
	return NULL;
}

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c != 0 ? c : strcmp(x->v, y->v);
}

/* ---- helpers ----------------------------------------------------------------- */

static enum nf_dlr_rc __attribute__((format(printf, 4, 5)))
fail(enum nf_dlr_rc rc, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* An id or key: 1..len-1 bytes of printable ASCII without blanks. */
static int
copy_id(char *dst, size_t len, const char *v)
{
	size_t n;

	dst[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	n = strlen(v);
	if (n >= len)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* A status word, lower-cased: [a-z0-9_-]{1,31}. */
static int
copy_status(char *dst, const char *v)
{
	size_t n, i;

	if (v == NULL || (n = strlen(v)) == 0 || n >= NF_DLR_STATUS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		int c = tolower((unsigned char)v[i]);

		if (!(isalnum(c) || c == '_' || c == '-'))
			return -1;
		dst[i] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

/* out->detail from a format; a line too long ends in "..." (cut visibly). */
static void __attribute__((format(printf, 2, 3)))
set_detail(struct nf_dlr *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(out->detail))
		memcpy(out->detail + sizeof(out->detail) - 4, "...", 4);
}

static int
is_final(const char *status)
{
	static const char *const fin[] = { "delivered", "failed", "undelivered",
	    "rejected", "expired", "read", "canceled", "cancelled", NULL };

	for (size_t i = 0; fin[i] != NULL; i++)
		if (strcmp(fin[i], status) == 0)
			return 1;
	return 0;
}

/* A short printable copy of provider text for the detail line. */
static void
clean(char *out, size_t outlen, const char *in)
{
	nf_chan_clean_text(out, outlen, in ? in : "", in ? strlen(in) : 0, NULL);
}

static int
path_is(const char *target, const char *name, const char **query)
{
	size_t n = strlen(name);

	*query = NULL;
	if (target[0] != '/' || strncmp(target + 1, name, n) != 0)
		return 0;
	target += 1 + n;
	if (*target == '\0' || *target == '/' || *target == '?') {
		const char *q = strchr(target, '?');

		*query = q ? q + 1 : "";
		return 1;
	}
	return 0;
}

static int
is_form(const char *ct)
{
	return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static int
is_json(const char *ct)
{
	return ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
}

/* ---- Twilio -------------------------------------------------------------------- */

int
nf_dlr_twilio_sign(const char *token, const char *url, const char *body,
    size_t body_len, char *out, size_t outlen)
{
	struct params p = { .n = 0 };
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct nf_buf data;
	size_t i;
	int rc = -1;

	if (outlen < 32)
		return -1;
	nf_buf_init(&data, 256 * 1024);
	if (body != NULL && params_parse(&p, body, body_len) != 0)
		goto out;
	qsort(p.a, p.n, sizeof(p.a[0]), kv_cmp);
	if (nf_buf_puts(&data, url) != NF_BUF_OK)
		goto out;
	for (i = 0; i < p.n; i++)
		if (nf_buf_puts(&data, p.a[i].k) != NF_BUF_OK ||
		    nf_buf_puts(&data, p.a[i].v) != NF_BUF_OK)
			goto out;
	if (HMAC(EVP_sha1(), token, (int)strlen(token),
	    (const unsigned char *)nf_buf_cstr(&data), data.len, mac, &maclen) == NULL)
		goto out;
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);	/* 28 chars + NUL */
	rc = 0;
out:
	params_free(&p);
	nf_buf_free(&data);
	return rc;
}

static int
sig_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static int
twilio_verify(const struct nf_dlr_keys *k, const struct nf_dlr_req *q,
    const char *key)
{
	const char *scheme[] = { "https://", "http://" };
	char sig[64];
	struct nf_buf url;
	size_t i, j;
	int ok = 0;

	nf_buf_init(&url, 8192);
	for (i = 0; i < k->ntw && !ok; i++) {
		if (k->tw[i].callback != NULL) {
			nf_buf_reset(&url);
			if (nf_chan_url_with_key(&url, k->tw[i].callback, key) == 0 &&
			    nf_dlr_twilio_sign(k->tw[i].token, nf_buf_cstr(&url), q->body,
			    q->body_len, sig, sizeof(sig)) == 0 && sig_equal(sig, q->twilio_sig))
				ok = 1;
		}
		for (j = 0; j < 2 && !ok && q->host != NULL; j++) {
			nf_buf_reset(&url);
			if (nf_buf_printf(&url, "%s%s%s", scheme[j], q->host, q->target) ==
			    NF_BUF_OK && nf_dlr_twilio_sign(k->tw[i].token, nf_buf_cstr(&url),
			    q->body, q->body_len, sig, sizeof(sig)) == 0 &&
			    sig_equal(sig, q->twilio_sig))
				ok = 1;
		}
	}
	nf_buf_free(&url);
	return ok;
}

static enum nf_dlr_rc
dlr_twilio(const struct nf_dlr_keys *k, const struct nf_dlr_req *q,
    const struct params *qp, struct nf_dlr *out, char *why, size_t whylen)
{
	struct params bp = { .n = 0 };
	const char *sid, *st, *code;
	char c[64];
	enum nf_dlr_rc rc = NF_DLR_OK;

	if (strcmp(q->method, "POST") != 0)
		return fail(NF_DLR_METHOD, why, whylen, "twilio status callbacks are POSTs");
	if (k->ntw == 0)
		return fail(NF_DLR_NOPATH, why, whylen, "no twilio channel is configured");
	if (q->twilio_sig == NULL || q->twilio_sig[0] == '\0')
		return fail(NF_DLR_FORBIDDEN, why, whylen, "no X-Twilio-Signature");
	if (!is_form(q->content_type) || params_parse(&bp, q->body, q->body_len) != 0) {
		params_free(&bp);
		return fail(NF_DLR_BAD, why, whylen, "the body is not a readable form");
	}
	if (!twilio_verify(k, q, param(qp, "key"))) {
		rc = fail(NF_DLR_FORBIDDEN, why, whylen, "X-Twilio-Signature does not "
		    "verify with any twilio channel's token (status_callback must be "
		    "the URL Twilio calls)");
		goto out;
	}
	sid = param(&bp, "MessageSid");
	st = param(&bp, "MessageStatus");
	code = param(&bp, "ErrorCode");
	if (copy_id(out->provider_id, sizeof(out->provider_id), sid) != 0 ||
	    copy_id(out->key, sizeof(out->key), param(qp, "key")) != 0 ||
	    (out->provider_id[0] == '\0' && out->key[0] == '\0') ||
	    copy_status(out->status, st) != 0) {
		rc = fail(NF_DLR_BAD, why, whylen, "MessageSid and MessageStatus are required");
		goto out;
	}
	clean(c, sizeof(c), code);
	set_detail(out, "%s: twilio %s%s%s", out->status,
	    out->status, c[0] ? " error " : "", c);
out:
	params_free(&bp);
	return rc;
}

/* ---- Kannel -------------------------------------------------------------------- */

static enum nf_dlr_rc
dlr_kannel(const struct nf_dlr_keys *k, const struct nf_dlr_req *q,
    struct params *p, struct nf_dlr *out, char *why, size_t whylen)
{
	static const struct { long v; const char *w; } map[] = {
		{ 1, "delivered" }, { 2, "failed" }, { 4, "buffered" },
		{ 8, "accepted" }, { 16, "rejected" },
	};
	const char *st, *smsc, *ans;
	char *end, s1[48], s2[120];
	long v;
	size_t i;

	if (!k->kannel)
		return fail(NF_DLR_NOPATH, why, whylen, "no kannel channel is configured");
	if (strcmp(q->method, "POST") == 0 && is_form(q->content_type) &&
	    params_parse(p, q->body, q->body_len) != 0)
		return fail(NF_DLR_BAD, why, whylen, "the body is not a readable form");
	if (copy_id(out->key, sizeof(out->key), param(p, "key")) != 0 ||
	    out->key[0] == '\0')
		return fail(NF_DLR_BAD, why, whylen, "key= is missing or not printable: put "
		    "key={key} in the channel's dlr_url");
	st = param(p, "status");
	if (st == NULL || st[0] == '\0')
		return fail(NF_DLR_BAD, why, whylen, "status= is missing: put status=%%d "
		    "in the channel's dlr_url");
	v = strtol(st, &end, 10);
	if (*end != '\0' || v <= 0)
		return fail(NF_DLR_BAD, why, whylen, "status= is not Kannel's %%d number");
	snprintf(out->status, sizeof(out->status), "unknown");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].v == v)
			snprintf(out->status, sizeof(out->status), "%s", map[i].w);
	out->final = is_final(out->status);
	smsc = param(p, "smsc");
	ans = param(p, "answer");
	clean(s1, sizeof(s1), smsc);
	clean(s2, sizeof(s2), ans);
	set_detail(out, "%s: kannel status %ld%s%s%s%s",
	    out->status, v, s1[0] ? " smsc " : "", s1, s2[0] ? ": " : "", s2);
	return NF_DLR_OK;
}

/* ---- Vonage -------------------------------------------------------------------- */

/* Vonage's receipt fields from a JSON body, as form-like pairs. */
static int
json_to_params(struct params *p, const char *body, size_t len, const char *const *names)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *v;
	char num[32];
	size_t i;

	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	for (i = 0; names[i] != NULL && p->n < NF_DLR_PARAMS_MAX; i++) {
		const char *s = NULL;

		v = json_object_get(root, names[i]);
		if (json_is_string(v)) {
			s = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			s = num;
		}
		if (s == NULL)
			continue;
		if (strlen(s) > NF_DLR_VALUE_MAX)
			break;
		p->a[p->n].k = strdup(names[i]);
		p->a[p->n].v = strdup(s);
		p->n++;
		if (p->a[p->n - 1].k == NULL || p->a[p->n - 1].v == NULL)
			break;
	}
	json_decref(root);
	return names[i] == NULL ? 0 : -1;
}

static enum nf_dlr_rc
dlr_vonage(const struct nf_dlr_keys *k, const struct nf_dlr_req *q,
    struct params *p, struct nf_dlr *out, char *why, size_t whylen)
{
	static const char *const names[] = { "messageId", "status", "err-code",
	    "client-ref", NULL };
	const char *code;
	char c[32];

	if (!k->vonage)
		return fail(NF_DLR_NOPATH, why, whylen, "no vonage channel is configured");
	if (strcmp(q->method, "POST") == 0) {
		if (is_json(q->content_type)) {
			if (json_to_params(p, q->body, q->body_len, names) != 0)
				return fail(NF_DLR_BAD, why, whylen, "the body is not a JSON object");
		} else if (params_parse(p, q->body, q->body_len) != 0) {
			return fail(NF_DLR_BAD, why, whylen, "the body is not a readable form");
		}
	}
	if (copy_id(out->provider_id, sizeof(out->provider_id), param(p, "messageId")) != 0 ||
	    copy_id(out->key, sizeof(out->key), param(p, "client-ref")) != 0 ||
	    out->provider_id[0] == '\0' || out->key[0] == '\0')
		return fail(NF_DLR_BAD, why, whylen, "messageId and client-ref are required");
	if (copy_status(out->status, param(p, "status")) != 0)
		return fail(NF_DLR_BAD, why, whylen, "status is missing or not a word");
	out->final = is_final(out->status);
	code = param(p, "err-code");
	clean(c, sizeof(c), code);
	set_detail(out, "%s: vonage %s%s%s", out->status,
	    out->status, c[0] ? " err-code " : "", c);
	return NF_DLR_OK;
}

/* ---- webhook ------------------------------------------------------------------- */

static int
webhook_verify(const struct nf_dlr_keys *k, const struct nf_dlr_req *q)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, j;
	char want[80], got[80];
	size_t i, n, klen;
	const unsigned char *key;
	int ok = 0;

	n = strlen(q->webhook_sig);
	if (n >= sizeof(got))
		return 0;
	for (i = 0; i <= n; i++)	/* the hex may come in upper case */
		got[i] = (char)tolower((unsigned char)q->webhook_sig[i]);
	for (i = 0; i < k->nwh; i++) {
		key = nf_secret_key(k->wh[i], &klen);
		if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)q->body,
		    q->body_len, mac, &maclen) == NULL || maclen != 32)
			continue;
		memcpy(want, "sha256=", 7);
		for (j = 0; j < maclen; j++) {
			want[7 + 2 * j] = hex[mac[j] >> 4];
			want[8 + 2 * j] = hex[mac[j] & 15];
		}
		want[7 + 2 * maclen] = '\0';
		if (sig_equal(want, got))
			ok = 1;
	}
	return ok;
}

static enum nf_dlr_rc
dlr_webhook(const struct nf_dlr_keys *k, const struct nf_dlr_req *q,
    struct params *p, struct nf_dlr *out, char *why, size_t whylen)
{
	static const char *const names[] = { "id", "idempotency_key", "status",
	    "code", NULL };
	char c[64];

	if (strcmp(q->method, "POST") != 0)
		return fail(NF_DLR_METHOD, why, whylen, "webhook receipts are POSTs");
	if (k->nwh == 0)
		return fail(NF_DLR_NOPATH, why, whylen, "no webhook channel is configured");
	if (q->webhook_sig == NULL || q->webhook_sig[0] == '\0')
		return fail(NF_DLR_FORBIDDEN, why, whylen, "no X-Notifilter-Signature");
	if (!webhook_verify(k, q))
		return fail(NF_DLR_FORBIDDEN, why, whylen, "X-Notifilter-Signature does "
		    "not verify with any webhook channel's secret");
	if (json_to_params(p, q->body, q->body_len, names) != 0)
		return fail(NF_DLR_BAD, why, whylen, "the body is not a JSON object");
	if (copy_id(out->provider_id, sizeof(out->provider_id), param(p, "id")) != 0 ||
	    copy_id(out->key, sizeof(out->key), param(p, "idempotency_key")) != 0 ||
	    (out->provider_id[0] == '\0' && out->key[0] == '\0'))
		return fail(NF_DLR_BAD, why, whylen, "id or idempotency_key is required");
	if (copy_status(out->status, param(p, "status")) != 0)
		return fail(NF_DLR_BAD, why, whylen, "status is missing or not a word");
	out->final = is_final(out->status);
	clean(c, sizeof(c), param(p, "code"));
	set_detail(out, "%s: webhook %s%s%s", out->status,
	    out->status, c[0] ? " code " : "", c);
	return NF_DLR_OK;
}

/* ---- entry ------------------------------------------------------------------- */

enum nf_dlr_rc
nf_dlr_parse(const struct nf_dlr_keys *k, const struct nf_dlr_req *q,
    struct nf_dlr *out, char *why, size_t whylen)
{
	struct params p = { .n = 0 };
	const char *query;
	enum nf_dlr_rc rc;

	memset(out, 0, sizeof(*out));
	if (whylen > 0)
		why[0] = '\0';
	if (q->method == NULL || q->target == NULL ||
	    (q->body == NULL && q->body_len > 0))
		return fail(NF_DLR_BAD, why, whylen, "no request");
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "POST") != 0)
		return fail(NF_DLR_METHOD, why, whylen, "only GET and POST are used");
	if (path_is(q->target, "kannel", &query))
		out->driver = "kannel";
	else if (path_is(q->target, "twilio", &query))
		out->driver = "twilio";
	else if (path_is(q->target, "vonage", &query))
		out->driver = "vonage";
	else if (path_is(q->target, "webhook", &query))
		out->driver = "webhook";
	else
		return fail(NF_DLR_NOPATH, why, whylen, "unknown path: use /kannel, "
		    "/twilio, /vonage or /webhook");
	if (params_parse(&p, query, strlen(query)) != 0) {
		params_free(&p);
		return fail(NF_DLR_BAD, why, whylen, "the query string is not readable");
	}
	if (strcmp(out->driver, "kannel") == 0)
		rc = dlr_kannel(k, q, &p, out, why, whylen);
	else if (strcmp(out->driver, "twilio") == 0)
		rc = dlr_twilio(k, q, &p, out, why, whylen);
	else if (strcmp(out->driver, "vonage") == 0)
		rc = dlr_vonage(k, q, &p, out, why, whylen);
	else
		rc = dlr_webhook(k, q, &p, out, why, whylen);
	params_free(&p);
	if (rc == NF_DLR_OK)
		out->final = is_final(out->status);
	return rc;
}

int
nf_dlr_http_status(enum nf_dlr_rc rc)
{
	switch (rc) {
	case NF_DLR_OK: return 200;
	case NF_DLR_BAD: return 400;
	case NF_DLR_FORBIDDEN: return 403;
	case NF_DLR_NOPATH: return 404;
	case NF_DLR_METHOD: return 405;
	}
	return 500;
}
