/*
 * t_chan_classify.c - channels without a network: how an HTTP outcome
 * becomes ok / retry / permanent, Retry-After parsing, masking of secrets
 * in answer texts, form and URL encoding, and the credential-file reader.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channel_int.h"
#include "tap.h"

struct ccase {
	enum nf_http_outcome outcome;
	long status;
	long retry_after;
	const char *body;
	enum nf_chan_status want;
	long want_retry;
	const char *want_answer;	/* prefix */
};

static const struct ccase classes[] = {
	{ NF_HTTP_ANSWERED, 200, -1, "ok", NF_CHAN_OK, -1, "HTTP 200: ok" },
	{ NF_HTTP_ANSWERED, 201, -1, "", NF_CHAN_OK, -1, "HTTP 201" },
	{ NF_HTTP_ANSWERED, 202, -1, "0: Accepted for delivery", NF_CHAN_OK, -1, "HTTP 202: 0: Accepted" },
	{ NF_HTTP_ANSWERED, 204, 30, "", NF_CHAN_OK, -1, "HTTP 204" },
	{ NF_HTTP_ANSWERED, 301, -1, "moved", NF_CHAN_PERMANENT, -1, "HTTP 301: the provider redirects" },
	{ NF_HTTP_ANSWERED, 400, -1, "bad", NF_CHAN_PERMANENT, -1, "HTTP 400: bad" },
	{ NF_HTTP_ANSWERED, 401, -1, "", NF_CHAN_PERMANENT, -1, "HTTP 401" },
	{ NF_HTTP_ANSWERED, 403, -1, "Authorization failed for sendsms", NF_CHAN_PERMANENT, -1, "HTTP 403: Authorization" },
	{ NF_HTTP_ANSWERED, 404, -1, "", NF_CHAN_PERMANENT, -1, "HTTP 404" },
	{ NF_HTTP_ANSWERED, 408, -1, "", NF_CHAN_RETRY, -1, "HTTP 408" },
	{ NF_HTTP_ANSWERED, 429, 7, "slow down", NF_CHAN_RETRY, 7, "HTTP 429: slow down" },
	{ NF_HTTP_ANSWERED, 429, -1, "", NF_CHAN_RETRY, -1, "HTTP 429" },
	{ NF_HTTP_ANSWERED, 500, -1, "<html>\n<b>oops</b>\n</html>", NF_CHAN_RETRY, -1, "HTTP 500: <html> <b>oops</b> </html>" },
	{ NF_HTTP_ANSWERED, 502, 0, "", NF_CHAN_RETRY, 0, "HTTP 502" },
	{ NF_HTTP_ANSWERED, 503, 120, "", NF_CHAN_RETRY, 120, "HTTP 503" },
	{ NF_HTTP_ANSWERED, 599, -1, "", NF_CHAN_RETRY, -1, "HTTP 599" },
	{ NF_HTTP_ANSWERED, 101, -1, "", NF_CHAN_PERMANENT, -1, "HTTP 101" },
	{ NF_HTTP_TRANSIENT, 0, -1, "", NF_CHAN_RETRY, -1, "no answer: Connection refused" },
	{ NF_HTTP_FATAL, 0, -1, "", NF_CHAN_PERMANENT, -1, "no answer: SSL certificate problem" },
};

struct racase {
	const char *v;
	int rc;
	long secs;
};

/* now = Sun, 06 Nov 1994 08:49:37 GMT */
#define RA_NOW ((time_t)784111777)
static const struct racase retry_afters[] = {
	{ "120", 0, 120 },
	{ " 5 ", 0, 5 },
	{ "0", 0, 0 },
	{ "86400", 0, 86400 },
	{ "86401", 0, 86400 },
	{ "99999999999999999999", 0, 86400 },
	{ "Sun, 06 Nov 1994 08:51:37 GMT", 0, 120 },
	{ "Sunday, 06-Nov-94 08:50:37 GMT", 0, 60 },
	{ "Sun Nov  6 08:49:47 1994", 0, 10 },
	{ "Sun, 06 Nov 1994 08:00:00 GMT", 0, 0 },
	{ "Mon, 07 Nov 1994 08:49:38 GMT", 0, 86400 },
	{ "", -1, 0 },
	{ "-5", -1, 0 },
	{ "5s", -1, 0 },
	{ "soon", -1, 0 },
	{ "Sun, 06 Nov 1994 08:51:37 PST", -1, 0 },
	{ "1.5", -1, 0 },
};

static char tmpdir[] = "/tmp/t_chan_classify.XXXXXX";

static const char *
write_file(const char *name, const char *content, mode_t mode)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		perror(path);
		exit(2);
	}
	close(fd);
	chmod(path, mode);
	return path;
}

static void
cred_case(const char *name, const char *content, mode_t mode, const char *want,
    const char *want_err)
{
	struct nf_buf err;
	const char *path = write_file(name, content, mode);
	char *v;

	nf_buf_init(&err, 1024);
	v = nf_chan_cred_load("password_file", path, &err);
	if (want != NULL) {
		is_str(v, want, "credential %s read", name);
	} else {
		ok(v == NULL, "credential %s refused", name);
		ok(strstr(nf_buf_cstr(&err), want_err) != NULL,
		    "credential %s: error says '%s' (got: %s)", name, want_err, nf_buf_cstr(&err));
		ok(strstr(nf_buf_cstr(&err), path) != NULL, "credential %s: error names the file", name);
		if (content[0] != '\0')
			ok(strstr(nf_buf_cstr(&err), "s3cr") == NULL,
			    "credential %s: error does not show the content", name);
	}
	nf_chan_cred_free(v);
	nf_buf_free(&err);
}

int
main(void)
{
	size_t i;
	char out[NF_CHAN_ANSWER_MAX];

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		const struct ccase *c = &classes[i];
		struct nf_http_resp r;
		struct nf_chan_result res;

		memset(&r, 0, sizeof(r));
		memset(&res, 0, sizeof(res));
		nf_buf_init(&r.body, 1024);
		nf_buf_puts(&r.body, c->body);
		r.outcome = c->outcome;
		r.status = c->status;
		r.retry_after = c->retry_after;
		if (c->outcome == NF_HTTP_TRANSIENT)
			snprintf(r.error, sizeof(r.error), "Connection refused");
		if (c->outcome == NF_HTTP_FATAL)
			snprintf(r.error, sizeof(r.error), "SSL certificate problem: self-signed");
		nf_chan_classify(&r, NULL, &res);
		is_str(nf_chan_status_name(res.status), nf_chan_status_name(c->want),
		    "outcome %d status %ld -> %s", (int)c->outcome, c->status,
		    nf_chan_status_name(c->want));
		is_int(res.retry_after, c->want_retry, "outcome %d status %ld: retry_after",
		    (int)c->outcome, c->status);
		ok(strncmp(res.answer, c->want_answer, strlen(c->want_answer)) == 0,
		    "status %ld answer starts '%s' (got '%s')", c->status, c->want_answer, res.answer);
		is_int(res.http_status, c->outcome == NF_HTTP_ANSWERED ? c->status : 0,
		    "status %ld: http_status recorded", c->status);
		nf_buf_free(&r.body);
	}

	for (i = 0; i < sizeof(retry_afters) / sizeof(retry_afters[0]); i++) {
		const struct racase *c = &retry_afters[i];
		long secs = -42;
		int rc = nf_http_parse_retry_after(c->v, RA_NOW, &secs);

		is_int(rc, c->rc, "Retry-After '%s' %s", c->v, c->rc == 0 ? "read" : "refused");
		if (c->rc == 0)
			is_int(secs, c->secs, "Retry-After '%s' = %ld s", c->v, c->secs);
	}

	/* masking: raw, percent-encoded, several secrets, and cut texts */
	{
		const char *secrets[] = { "p@ss word", "tok123", NULL };

		nf_chan_clean_text(out, sizeof(out), "auth p@ss word failed", 21, secrets);
		is_str(out, "auth *** failed", "raw secret masked");
		nf_chan_clean_text(out, sizeof(out), "password=p%40ss%20word&x=1", 26, secrets);
		is_str(out, "password=***&x=1", "percent-encoded secret masked");
		nf_chan_clean_text(out, sizeof(out), "password=p%40ss%20word", 22, secrets);
		is_str(out, "password=***", "lower-case hex encoding masked too");
		nf_chan_clean_text(out, sizeof(out), "tok123tok123 and p@ss word", 26, secrets);
		is_str(out, "****** and ***", "repeated secrets all masked");
		nf_chan_clean_text(out, sizeof(out), "  a\r\n\tb  ", 9, NULL);
		is_str(out, "a b", "control characters and blank runs fold to one space");
		nf_chan_clean_text(out, 6, "ab\xc3\xa9\xc3\xa9", 6, NULL);
		is_str(out, "ab\xc3\xa9", "a cut text never ends inside a UTF-8 sequence");
		nf_chan_clean_text(out, 5, "abc\xe2\x82\xac", 6, NULL);
		is_str(out, "abc", "a cut 3-byte sequence is dropped whole");
	}
	{
		struct nf_chan_result res;
		const char *secrets[] = { "hunter2", NULL };

		nf_chan_answer(&res, secrets, "HTTP %d: user x password %s rejected", 401, "hunter2");
		is_str(res.answer, "HTTP 401: user x password *** rejected", "answer masks secrets");
		is_int(nf_chan_set_id(&res, "SM0123456789abcdef"), 0, "id accepted");
		is_str(res.provider_id, "SM0123456789abcdef", "id kept");
		is_int(nf_chan_set_id(&res, "bad id"), -1, "id with a blank refused");
		is_str(res.provider_id, "", "refused id leaves none");
		{
			char longid[300];

			memset(longid, 'x', sizeof(longid) - 1);
			longid[sizeof(longid) - 1] = '\0';
			is_int(nf_chan_set_id(&res, longid), -1, "id longer than the field refused, not cut");
		}
	}

	/* form and URL encoding */
	{
		struct nf_buf b;

		nf_buf_init(&b, 1024);
		nf_chan_form_add(&b, "To", "+15551234567");
		nf_chan_form_add(&b, "Body", "Hi & bye = 100% ~ok_ W\xc3\xb6rld");
		is_str(nf_buf_cstr(&b), "To=%2B15551234567&Body=Hi%20%26%20bye%20%3D%20100%25%20~ok_%20W%C3%B6rld",
		    "form encoding");
		nf_buf_reset(&b);
		is_int(nf_chan_url_join(&b, "http://127.0.0.1:1234/", "/sms/json", NULL), 0, "url join ok");
		is_str(nf_buf_cstr(&b), "http://127.0.0.1:1234/sms/json", "one slash between base and path");
		nf_buf_reset(&b);
		{
			struct nf_buf err;

			nf_buf_init(&err, 256);
			is_int(nf_chan_url_join(&b, "ftp://x", "a", &err), -1, "ftp base refused");
			ok(strstr(nf_buf_cstr(&err), "ftp://x") != NULL, "error names the base_url");
			nf_buf_free(&err);
		}
		is_int(nf_chan_url_check("https://api.twilio.com"), 0, "https url ok");
		is_int(nf_chan_url_check("http:///x"), -1, "url without host refused");
		is_int(nf_chan_url_check("http://a b"), -1, "url with a blank refused");
		is_int(nf_chan_url_check("file:///etc/passwd"), -1, "file url refused");
		nf_buf_free(&b);
	}

	/* credential files */
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	cred_case("plain", "foobar\n", 0600, "foobar", NULL);
	cred_case("crlf", "foobar\r\n", 0640, "foobar", NULL);
	cred_case("short", "x", 0600, "x", NULL);
	cred_case("world-readable", "s3cret\n", 0644, NULL, "chmod 600");
	cred_case("group-writable", "s3cret\n", 0660, NULL, "chmod 600");
	cred_case("empty", "", 0600, NULL, "empty");
	cred_case("two-lines", "s3cret\nmore\n", 0600, NULL, "one line");
	cred_case("blank-end", "s3cret \n", 0600, NULL, "one line");
	{
		struct nf_buf err;
		char path[600];

		nf_buf_init(&err, 1024);
		snprintf(path, sizeof(path), "%s/missing", tmpdir);
		ok(nf_chan_cred_load("token_file", path, &err) == NULL, "missing credential file refused");
		ok(strstr(nf_buf_cstr(&err), "token_file") && strstr(nf_buf_cstr(&err), "missing"),
		    "error names the key and the path (got: %s)", nf_buf_cstr(&err));
		nf_buf_reset(&err);
		ok(nf_chan_cred_load("token_file", tmpdir, &err) == NULL, "a directory is refused");
		ok(strstr(nf_buf_cstr(&err), "not a regular file") != NULL,
		    "directory error says so (got: %s)", nf_buf_cstr(&err));
		nf_buf_free(&err);
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
