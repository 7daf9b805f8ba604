/*
 * http.c - the one libcurl setup every channel driver uses.
 *
 * Contract: nf_http_perform() makes one HTTP request on the caller's
 * struct nf_http (one per thread; its libcurl handle keeps connections to
 * the provider alive between messages) and reports what came back, never
 * deciding what it means (channel.c does that).  Every request gets the
 * same safety settings: connect and total time-outs, TLS peer and host
 * verification on, no signals (threads), no redirects (a provider that
 * redirects is misconfigured, and a redirect could carry credentials
 * elsewhere), http and https only, no "Expect: 100-continue", and an answer
 * body kept only up to a cap (the rest is read and dropped, bounded by the
 * total time-out).  Errors are text for the record: libcurl's message with
 * every secret of the request masked.  The request's URL, headers and body
 * are never logged here or copied into any text.
 *
 * Proxies: libcurl's usual environment variables (https_proxy, no_proxy)
 * are honoured, so a host that reaches providers through a proxy works.
 */
#include "config.h"

#include "channel_int.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct nf_http {
	CURL *curl;
};

int
nf_chan_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
nf_chan_global_cleanup(void)
{
	curl_global_cleanup();
}

struct nf_http *
nf_http_new(void)
{
	struct nf_http *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
nf_http_free(struct nf_http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void
nf_http_resp_free(struct nf_http_resp *r)
{
	nf_buf_free(&r->body);
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
nf_http_parse_retry_after(const char *v, time_t now, long *secs)
{
	static const char *const fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* RFC 850 */
		"%a %b %e %H:%M:%S %Y",		/* asctime */
	};
	char tmp[64];
	size_t n, i;
	struct tm tm;
	time_t t;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' ||
	    v[n - 1] == '\n'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (all_digits(tmp, n)) {
		/* more than 9 digits is longer than the cap anyway */
		*secs = n > 9 ? NF_CHAN_RETRY_AFTER_MAX : strtol(tmp, NULL, 10);
		if (*secs > NF_CHAN_RETRY_AFTER_MAX)
			*secs = NF_CHAN_RETRY_AFTER_MAX;
		return 0;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(tmp, fmts[i], &tm);
		if (end == NULL || *end != '\0')
			continue;
		if ((t = timegm(&tm)) == (time_t)-1)
			return -1;
		if (t <= now)
			*secs = 0;
		else if (t - now > NF_CHAN_RETRY_AFTER_MAX)
			*secs = NF_CHAN_RETRY_AFTER_MAX;
		else
			*secs = (long)(t - now);
		return 0;
	}
	return -1;
}

struct http_cb {
	struct nf_http_resp *r;
	int saw_retry_after;
};

static size_t
http_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct nf_http_resp *r = arg;
	size_t n = size * nmemb, room;

	/* keep what fits under the cap, swallow the rest (truncated is set) */
	room = r->body.max > r->body.len ? r->body.max - r->body.len : 0;
	if (n > room) {
		r->body.truncated = 1;
		if (room > 0 && nf_buf_append(&r->body, p, room) == NF_BUF_NOMEM)
			return 0;
		return n;
	}
	if (nf_buf_append(&r->body, p, n) == NF_BUF_NOMEM)
		return 0;	/* libcurl then fails with a write error */
	return n;
}

static size_t
http_header_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct http_cb *cb = arg;
	size_t n = size * nitems;
	static const char name[] = "retry-after:";
	char v[64];

	/* a new status line (e.g. after "100 Continue") starts a new header set */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		cb->r->retry_after = -1;
		cb->saw_retry_after = 0;
		return n;
	}
	if (n > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		size_t vl = n - (sizeof(name) - 1);
		long secs;

		if (vl >= sizeof(v))
			return n;	/* not a value we can read: ignore */
		memcpy(v, p + sizeof(name) - 1, vl);
		v[vl] = '\0';
		if (nf_http_parse_retry_after(v, time(NULL), &secs) == 0) {
			cb->r->retry_after = secs;
			cb->saw_retry_after = 1;
		}
	}
	return n;
}

/*
 * What a libcurl failure means for the message.  Transient: the provider
 * may answer later (no connection, time-out, connection dropped before or
 * during the answer, DNS failure, TLS handshake failure, out of memory).
 * Fatal: waiting will not help (URL or protocol wrong, certificate does not
 * verify, libcurl misuse).  Unknown codes are transient: a retry until
 * FallbackExpiry is cheaper than a lost message.
 */
static enum nf_http_outcome
http_outcome(CURLcode c)
{
	switch (c) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_LOGIN_DENIED:
		return NF_HTTP_FATAL;
	default:
		return NF_HTTP_TRANSIENT;
	}
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
nf_http_perform(struct nf_http *h, const struct nf_chan_opts *o,
    const struct nf_http_req *q, struct nf_http_resp *r)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *t;
	struct http_cb cb;
	CURL *c = h->curl;
	CURLcode rc;
	double t0;
	size_t i;
	int setup_ok = 1;

	memset(r, 0, sizeof(*r));
	nf_buf_init(&r->body, o->max_answer);
	r->retry_after = -1;
	cb.r = r;
	cb.saw_retry_after = 0;
	errbuf[0] = '\0';

	/* reset keeps the connection cache, drops every option of the last call */
	curl_easy_reset(c);
	/* "Expect:" with no value stops libcurl from sending 100-continue */
	if ((t = curl_slist_append(hdrs, "Expect:")) == NULL)
		setup_ok = 0;
	else
		hdrs = t;
	for (i = 0; setup_ok && i < NF_HTTP_HEADERS_MAX && q->headers[i] != NULL; i++) {
		if ((t = curl_slist_append(hdrs, q->headers[i])) == NULL)
			setup_ok = 0;
		else
			hdrs = t;
	}
	if (setup_ok && q->content_type != NULL) {
		char ct[128];

		if (snprintf(ct, sizeof(ct), "Content-Type: %s", q->content_type) >= (int)sizeof(ct) ||
		    (t = curl_slist_append(hdrs, ct)) == NULL)
			setup_ok = 0;
		else
			hdrs = t;
	}
	if (!setup_ok) {
		curl_slist_free_all(hdrs);
		r->outcome = NF_HTTP_TRANSIENT;
		snprintf(r->error, sizeof(r->error), "out of memory building the request");
		return 0;
	}

	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "notifilter/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &cb);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (q->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, q->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, q->password != NULL ? q->password : "");
	}
	if (strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body != NULL ? q->body : "");
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}

	t0 = mono_now();
	rc = curl_easy_perform(c);
	r->seconds = mono_now() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	/* drop pointers into this call's stack and memory from the handle */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);

	if (!cb.saw_retry_after)
		r->retry_after = -1;
	if (rc == CURLE_OK) {
		r->outcome = NF_HTTP_ANSWERED;
		return 0;
	}
	/*
	 * A status line came and then the transfer broke (time-out while the
	 * body trickled, a reset): the provider's verdict is known only when the
	 * status was final.  A 2xx without its full body is still an "accepted",
	 * so it counts as answered rather than being sent again.
	 */
	r->outcome = http_outcome(rc);
	if (r->status >= 200 && r->outcome == NF_HTTP_TRANSIENT)
		r->outcome = NF_HTTP_ANSWERED;
	nf_chan_clean_text(r->error, sizeof(r->error),
	    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc),
	    strlen(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)), q->secrets);
	return 0;
}
