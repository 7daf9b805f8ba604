/*
 * t_chan_http.c - the Twilio, Vonage and webhook drivers against a loopback
 * stub (tests/tools/httpstub.py): the exact requests they make (method,
 * path, headers, form or JSON body, basic auth, HMAC signature) and how
 * they read the answers the stub plays: success, provider errors in a 200,
 * 400, 500, 429 with Retry-After, a slow answer, a dropped connection, a
 * refused connection, a redirect.  Also opening channels with bad options.
 */
#include "config.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "channel.h"
#include "stub.h"
#include "tap.h"

#ifndef NF_TEST_SRCDIR
#define NF_TEST_SRCDIR "."
#endif

#define TWILIO_TOKEN "tok-SECRET-4f9a"
#define VONAGE_SECRET "vs&cret+1"
#define HOOK_KEY "0123456789abcdef0123456789abcdef"

static char tmpdir[] = "/tmp/t_chan_http.XXXXXX";
static struct stub stub;
static struct nf_http *http;

static char *
write_secret(const char *name, const char *content)
{
	static char paths[4][512];
	static int n;
	char *path = paths[n++ % 4];
	int fd;

	snprintf(path, 512, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

/* A Channel line as conf.c would hold it: kv = "key", "value", ..., NULL */
static struct nf_channel *
open_channel(const char *kind, const char *driver, const char *const *kv,
    const struct nf_chan_opts *opts, struct nf_buf *err)
{
	struct nf_conf_kv pairs[8];
	struct nf_conf_channel cc;
	struct nf_channel *ch = NULL;
	size_t n = 0;

	memset(&cc, 0, sizeof(cc));
	for (; kv[0] != NULL && n < 8; kv += 2, n++) {
		pairs[n].key = (char *)kv[0];
		pairs[n].value = (char *)kv[1];
	}
	cc.kind = (char *)kind;
	cc.driver = (char *)driver;
	cc.kv = pairs;
	cc.nkv = n;
	cc.line = 1;
	if (nf_channel_open(&cc, opts, &ch, err) != 0)
		return NULL;
	return ch;
}

static enum nf_chan_status
send_one(struct nf_channel *ch, const char *to, const char *text, const char *key,
    struct nf_chan_result *res)
{
	struct nf_chan_msg m = { to, text, "tok.ABC", key };

	return nf_channel_send(ch, http, &m, res);
}

static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static void
check_no_secret(const struct nf_chan_result *res, const char *secret, const char *what)
{
	ok(!contains(res->answer, secret), "%s: answer does not show the secret (got '%s')",
	    what, res->answer);
}

static void
twilio_tests(const char *token_file)
{
	struct nf_buf err;
	struct nf_chan_result res;
	struct nf_chan_opts opts = { 2000, 700, 0, NULL };
	struct nf_channel *ch;
	char auth[256], raw[128];
	unsigned char b64[128];
	json_t *log;
	const char *kv[] = { "account", "AC0123", "token_file", token_file,
	    "from", "+15550001111", "base_url", stub.base, NULL };

	nf_buf_init(&err, 1024);
	ch = open_channel("sms", "twilio", kv, &opts, &err);
	ok(ch != NULL, "twilio channel opens (%s)", nf_buf_cstr(&err));
	if (ch == NULL)
		return;

	/* 1. success: exact request */
	stub_reset_script(&stub, "[{\"status\": 201, \"body\": \"{\\\"sid\\\": \\\"SM0a1b\\\", "
	    "\\\"status\\\": \\\"queued\\\", \\\"error_code\\\": null}\"}]");
	send_one(ch, "+15551234567", "Hello W\xc3\xb6rld & more", "key-1", &res);
	is_str(nf_chan_status_name(res.status), "ok", "twilio 201 -> ok (%s)", res.answer);
	is_str(res.provider_id, "SM0a1b", "twilio sid recorded");
	is_int(res.http_status, 201, "twilio http status recorded");
	is_str(res.answer, "HTTP 201 twilio queued", "twilio answer text");
	log = stub_log(&stub);
	is_int(json_array_size(log), 1, "twilio: one request");
	is_str(stub_req(log, 0, "method"), "POST", "twilio: POST");
	is_str(stub_req(log, 0, "path"), "/2010-04-01/Accounts/AC0123/Messages.json", "twilio: path");
	is_str(stub_hdr(log, 0, "content-type"), "application/x-www-form-urlencoded",
	    "twilio: form content type");
	is_str(stub_req(log, 0, "body"),
	    "To=%2B15551234567&From=%2B15550001111&Body=Hello%20W%C3%B6rld%20%26%20more",
	    "twilio: form body");
	snprintf(raw, sizeof(raw), "AC0123:%s", TWILIO_TOKEN);
	EVP_EncodeBlock(b64, (const unsigned char *)raw, (int)strlen(raw));
	snprintf(auth, sizeof(auth), "Basic %s", b64);
	is_str(stub_hdr(log, 0, "authorization"), auth, "twilio: basic auth account:token");
	is_str(stub_hdr(log, 0, "i-twilio-idempotency-token"), "key-1", "twilio: idempotency header");
	ok(stub_hdr(log, 0, "expect") == NULL, "twilio: no Expect: 100-continue");
	ok(contains(stub_hdr(log, 0, "user-agent"), "notifilter/"), "twilio: user agent names notifilter");
	json_decref(log);

	/* 2. 400 with Twilio's error object: permanent, code in the answer */
	stub_reset_script(&stub, "[{\"status\": 400, \"body\": \"{\\\"code\\\": 21211, \\\"message\\\": "
	    "\\\"The 'To' number is not a valid phone number.\\\", \\\"status\\\": 400}\"}]");
	send_one(ch, "+15551234567", "x", "key-2", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "twilio 400 -> permanent");
	is_str(res.answer, "HTTP 400 twilio 21211: The 'To' number is not a valid phone number.",
	    "twilio 400 answer names the code");

	/* 3. 500: retry, no Retry-After */
	stub_reset_script(&stub, "[{\"status\": 500, \"body\": \"internal\"}]");
	send_one(ch, "+15551234567", "x", "key-3", &res);
	is_str(nf_chan_status_name(res.status), "retry", "twilio 500 -> retry");
	is_int(res.retry_after, -1, "twilio 500: no retry-after");

	/* 4. 429 with Retry-After seconds */
	stub_reset_script(&stub, "[{\"status\": 429, \"headers\": {\"Retry-After\": \"7\"}, "
	    "\"body\": \"{\\\"code\\\": 20429, \\\"message\\\": \\\"Too Many Requests\\\"}\"}]");
	send_one(ch, "+15551234567", "x", "key-4", &res);
	is_str(nf_chan_status_name(res.status), "retry", "twilio 429 -> retry");
	is_int(res.retry_after, 7, "twilio 429: Retry-After 7 honoured");

	/* 5. 503 with Retry-After as an HTTP date two minutes ahead */
	{
		char date[64], script[256];
		time_t t = time(NULL) + 120;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(script, sizeof(script), "[{\"status\": 503, \"headers\": "
		    "{\"Retry-After\": \"%s\"}, \"body\": \"\"}]", date);
		stub_reset_script(&stub, script);
		send_one(ch, "+15551234567", "x", "key-5", &res);
		is_str(nf_chan_status_name(res.status), "retry", "twilio 503 -> retry");
		ok(res.retry_after >= 115 && res.retry_after <= 120,
		    "twilio 503: Retry-After date read as ~120 s (got %ld)", res.retry_after);
	}

	/* 6. slow answer: total time-out (700 ms) -> retry, quickly */
	stub_reset_script(&stub, "[{\"status\": 201, \"delay\": 3, \"body\": \"{}\"}]");
	send_one(ch, "+15551234567", "x", "key-6", &res);
	is_str(nf_chan_status_name(res.status), "retry", "twilio slow answer -> retry (%s)", res.answer);
	is_int(res.http_status, 0, "slow answer: no HTTP status");
	ok(res.seconds >= 0.6 && res.seconds < 2.0, "slow answer: gave up after the time-out (%.2f s)",
	    res.seconds);
	ok(contains(res.answer, "no answer"), "slow answer: answer says so (%s)", res.answer);

	/* 7. dropped connection -> retry */
	stub_reset_script(&stub, "[{\"action\": \"drop\"}]");
	send_one(ch, "+15551234567", "x", "key-7", &res);
	is_str(nf_chan_status_name(res.status), "retry", "twilio dropped connection -> retry (%s)",
	    res.answer);

	/* 8. 401 whose body echoes the token: masked */
	stub_reset_script(&stub, "[{\"status\": 401, \"body\": \"{\\\"code\\\": 20003, \\\"message\\\": "
	    "\\\"Authenticate: bad token " TWILIO_TOKEN "\\\"}\"}]");
	send_one(ch, "+15551234567", "x", "key-8", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "twilio 401 -> permanent");
	check_no_secret(&res, TWILIO_TOKEN, "twilio 401 echoing the token");
	ok(contains(res.answer, "***"), "twilio 401: the echoed token is shown as *** (%s)", res.answer);

	/* 9. 201 but failed with an error code */
	stub_reset_script(&stub, "[{\"status\": 201, \"body\": \"{\\\"sid\\\": \\\"SM9\\\", "
	    "\\\"status\\\": \\\"failed\\\", \\\"error_code\\\": 30007, "
	    "\\\"error_message\\\": \\\"Carrier violation\\\"}\"}]");
	send_one(ch, "+15551234567", "x", "key-9", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "twilio 201 status failed -> permanent");
	is_str(res.answer, "HTTP 201 twilio failed 30007: Carrier violation", "twilio failed answer");

	/* 10. 400 with 21611 (queue full on From): retry */
	stub_reset_script(&stub, "[{\"status\": 400, \"body\": \"{\\\"code\\\": 21611, "
	    "\\\"message\\\": \\\"queue full\\\"}\"}]");
	send_one(ch, "+15551234567", "x", "key-10", &res);
	is_str(nf_chan_status_name(res.status), "retry", "twilio 21611 -> retry");

	/* 11. redirect: not followed, permanent */
	stub_reset_script(&stub, "[{\"status\": 301, \"headers\": {\"Location\": \"http://127.0.0.1:1/x\"}, "
	    "\"body\": \"\"}]");
	send_one(ch, "+15551234567", "x", "key-11", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "twilio 301 -> permanent");
	log = stub_log(&stub);
	is_int(json_array_size(log), 1, "redirect not followed (one request)");
	json_decref(log);

	/* 12. bad message: no request at all */
	stub_reset_script(&stub, "[]");
	send_one(ch, "12ab", "x", "key-12", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "bad phone number -> permanent");
	send_one(ch, "+15551234567", "x", "key with blank", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "bad idempotency key -> permanent");
	send_one(ch, "+15551234567", "bad \xff utf8", "key-12", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "invalid UTF-8 text -> permanent");
	log = stub_log(&stub);
	is_int(json_array_size(log), 0, "refused messages make no request");
	json_decref(log);

	/* 13. WhatsApp sender makes a WhatsApp recipient */
	nf_channel_close(ch);
	{
		const char *kv2[] = { "account", "AC0123", "token_file", token_file,
		    "from", "whatsapp:+15550001111", "base_url", stub.base, NULL };

		ch = open_channel("whatsapp", "twilio", kv2, &opts, &err);
		stub_reset_script(&stub, "[{\"status\": 201, \"body\": \"{\\\"sid\\\": \\\"SMw\\\"}\"}]");
		send_one(ch, "+15551234567", "hi", "key-13", &res);
		log = stub_log(&stub);
		is_str(stub_req(log, 0, "body"), "To=whatsapp%3A%2B15551234567&From=whatsapp%3A%2B15550001111&Body=hi",
		    "twilio whatsapp: To and From carry whatsapp:");
		json_decref(log);
	}
	nf_channel_close(ch);
	nf_buf_free(&err);
}

static void
vonage_tests(const char *secret_file)
{
	struct nf_buf err;
	struct nf_chan_result res;
	struct nf_channel *ch;
	json_t *log;
	const char *kv[] = { "key", "k1", "secret_file", secret_file, "from", "Notif",
	    "base_url", stub.base, NULL };

	nf_buf_init(&err, 1024);
	ch = open_channel("sms", "vonage", kv, NULL, &err);
	ok(ch != NULL, "vonage channel opens (%s)", nf_buf_cstr(&err));
	if (ch == NULL)
		return;
	stub_reset_script(&stub, "[{\"status\": 200, \"body\": \"{\\\"message-count\\\": \\\"1\\\", "
	    "\\\"messages\\\": [{\\\"to\\\": \\\"15551234567\\\", \\\"message-id\\\": \\\"0A00000012345678\\\", "
	    "\\\"status\\\": \\\"0\\\"}]}\"}]");
	send_one(ch, "+15551234567", "Hi there", "key-1", &res);
	is_str(nf_chan_status_name(res.status), "ok", "vonage status 0 -> ok (%s)", res.answer);
	is_str(res.provider_id, "0A00000012345678", "vonage message-id recorded");
	log = stub_log(&stub);
	is_str(stub_req(log, 0, "method"), "POST", "vonage: POST");
	is_str(stub_req(log, 0, "path"), "/sms/json", "vonage: path");
	is_str(stub_hdr(log, 0, "content-type"), "application/x-www-form-urlencoded", "vonage: form");
	is_str(stub_req(log, 0, "body"),
	    "api_key=k1&api_secret=vs%26cret%2B1&from=Notif&to=15551234567&text=Hi%20there"
	    "&type=text&client-ref=key-1", "vonage: form body");
	ok(stub_hdr(log, 0, "authorization") == NULL, "vonage: no auth header");
	json_decref(log);

	stub_reset_script(&stub, "[{\"status\": 200, \"body\": \"{\\\"messages\\\": [{\\\"status\\\": \\\"0\\\", "
	    "\\\"message-id\\\": \\\"m1\\\"}]}\"}]");
	send_one(ch, "+15551234567", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "key-2", &res);
	log = stub_log(&stub);
	ok(contains(stub_req(log, 0, "body"), "&type=unicode&"), "vonage: UCS-2 text sent as type=unicode");
	json_decref(log);

	stub_reset_script(&stub, "[{\"status\": 200, \"body\": \"{\\\"messages\\\": [{\\\"status\\\": \\\"1\\\", "
	    "\\\"error-text\\\": \\\"Throttled\\\"}]}\"}]");
	send_one(ch, "+15551234567", "x", "key-3", &res);
	is_str(nf_chan_status_name(res.status), "retry", "vonage status 1 (throttled) -> retry");
	is_str(res.answer, "HTTP 200 vonage status 1: Throttled", "vonage throttled answer");

	stub_reset_script(&stub, "[{\"status\": 200, \"body\": \"{\\\"messages\\\": [{\\\"status\\\": \\\"4\\\", "
	    "\\\"error-text\\\": \\\"Bad Credentials for vs&cret+1\\\"}]}\"}]");
	send_one(ch, "+15551234567", "x", "key-4", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "vonage status 4 (credentials) -> permanent");
	check_no_secret(&res, VONAGE_SECRET, "vonage bad credentials echoing the secret");

	stub_reset_script(&stub, "[{\"status\": 200, \"body\": \"{\\\"messages\\\": [{\\\"status\\\": \\\"0\\\", "
	    "\\\"message-id\\\": \\\"p1\\\"}, {\\\"status\\\": \\\"5\\\", \\\"error-text\\\": \\\"Internal\\\"}]}\"}]");
	send_one(ch, "+15551234567", "x", "key-5", &res);
	is_str(nf_chan_status_name(res.status), "permanent",
	    "vonage part 2 failing after part 1 accepted -> permanent (no duplicate)");
	ok(contains(res.answer, "part 2 of 2"), "vonage partial answer names the part (%s)", res.answer);

	stub_reset_script(&stub, "[{\"status\": 429, \"headers\": {\"Retry-After\": \"3\"}, \"body\": \"\"}]");
	send_one(ch, "+15551234567", "x", "key-6", &res);
	is_str(nf_chan_status_name(res.status), "retry", "vonage 429 -> retry");
	is_int(res.retry_after, 3, "vonage 429: Retry-After 3");
	nf_channel_close(ch);
	nf_buf_free(&err);
}

static void
webhook_tests(const char *key_file)
{
	struct nf_buf err;
	struct nf_chan_result res;
	struct nf_channel *ch;
	char url[128], want_sig[80];
	unsigned char mac[32];
	unsigned int maclen = 0, i;
	json_t *log, *body;
	json_error_t jerr;
	const char *b;
	const char *kv[] = { "url", url, "secret_file", key_file, NULL };

	nf_buf_init(&err, 1024);
	snprintf(url, sizeof(url), "%s/hooks/wa", stub.base);
	ch = open_channel("whatsapp", "webhook", kv, NULL, &err);
	ok(ch != NULL, "webhook channel opens (%s)", nf_buf_cstr(&err));
	if (ch == NULL)
		return;
	stub_reset_script(&stub, "[{\"status\": 200, \"body\": \"{\\\"id\\\": \\\"wamid.77\\\"}\"}]");
	send_one(ch, "+4915112345678", "Ihre Sendung \xe2\x82\xac \"5\"", "key-1", &res);
	is_str(nf_chan_status_name(res.status), "ok", "webhook 200 -> ok (%s)", res.answer);
	is_str(res.provider_id, "wamid.77", "webhook id recorded");
	log = stub_log(&stub);
	is_str(stub_req(log, 0, "method"), "POST", "webhook: POST");
	is_str(stub_req(log, 0, "path"), "/hooks/wa", "webhook: path");
	is_str(stub_hdr(log, 0, "content-type"), "application/json", "webhook: JSON");
	b = stub_req(log, 0, "body");
	is_str(b, "{\"to\":\"+4915112345678\",\"text\":\"Ihre Sendung \xe2\x82\xac \\\"5\\\"\","
	    "\"channel\":\"whatsapp\",\"ref\":\"tok.ABC\",\"idempotency_key\":\"key-1\"}",
	    "webhook: exact JSON body");
	body = json_loads(b, 0, &jerr);
	ok(body != NULL && json_is_string(json_object_get(body, "text")), "webhook body parses as JSON");
	json_decref(body);
	HMAC(EVP_sha256(), HOOK_KEY, (int)strlen(HOOK_KEY), (const unsigned char *)b, strlen(b),
	    mac, &maclen);
	strcpy(want_sig, "sha256=");
	for (i = 0; i < maclen; i++)
		sprintf(want_sig + 7 + 2 * i, "%02x", mac[i]);
	is_str(stub_hdr(log, 0, "x-notifilter-signature"), want_sig,
	    "webhook: X-Notifilter-Signature is the HMAC-SHA256 of the body");
	is_str(stub_hdr(log, 0, "idempotency-key"), "key-1", "webhook: Idempotency-Key header");
	json_decref(log);

	stub_reset_script(&stub, "[{\"status\": 202, \"body\": \"\"}]");
	{
		struct nf_chan_msg m = { "+4915112345678", "x", NULL, "key-2" };

		nf_channel_send(ch, http, &m, &res);
	}
	is_str(nf_chan_status_name(res.status), "ok", "webhook 202 empty -> ok");
	is_str(res.provider_id, "", "webhook without id: none recorded");
	log = stub_log(&stub);
	ok(contains(stub_req(log, 0, "body"), "\"ref\":null"), "webhook: no ref is null (%s)",
	    stub_req(log, 0, "body"));
	json_decref(log);

	stub_reset_script(&stub, "[{\"status\": 404, \"body\": \"no such hook\"}]");
	send_one(ch, "+4915112345678", "x", "key-3", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "webhook 404 -> permanent");
	is_str(res.answer, "HTTP 404: no such hook", "webhook 404 answer");

	stub_reset_script(&stub, "[{\"status\": 502, \"body\": \"\"}]");
	send_one(ch, "+4915112345678", "x", "key-4", &res);
	is_str(nf_chan_status_name(res.status), "retry", "webhook 502 -> retry");
	nf_channel_close(ch);
	nf_buf_free(&err);
}

/* A loopback port nobody listens on: bind, read the port, close. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		return 1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
open_errors(const char *token_file, const char *key_file)
{
	struct nf_buf err;
	struct nf_channel *ch;
	char url[128], loose[600];

	nf_buf_init(&err, 1024);
	{
		const char *kv[] = { "url", "http://127.0.0.1:1/x", "user", "u", NULL };

		ok(open_channel("sms", "kannel", kv, NULL, &err) == NULL, "kannel without password_file refused");
		ok(contains(nf_buf_cstr(&err), "password_file"), "error names password_file (%s)",
		    nf_buf_cstr(&err));
	}
	nf_buf_reset(&err);
	snprintf(loose, sizeof(loose), "%s/loose", tmpdir);
	{
		int fd = open(loose, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || write(fd, TWILIO_TOKEN "\n", sizeof(TWILIO_TOKEN)) < 0)
			perror(loose);
		close(fd);
		chmod(loose, 0644);
	}
	{
		const char *kv[] = { "account", "AC1", "token_file", loose, "from", "+1555", NULL };

		ok(open_channel("sms", "twilio", kv, NULL, &err) == NULL, "world-readable token file refused");
		ok(contains(nf_buf_cstr(&err), "chmod 600") && contains(nf_buf_cstr(&err), "twilio"),
		    "error says twilio and chmod 600 (%s)", nf_buf_cstr(&err));
		ok(!contains(nf_buf_cstr(&err), TWILIO_TOKEN), "error does not show the token");
	}
	nf_buf_reset(&err);
	{
		const char *kv[] = { "account", "AC1", "token_file", token_file, "from", "+1555",
		    "base_url", "ftp://example.com", NULL };

		ok(open_channel("sms", "twilio", kv, NULL, &err) == NULL, "ftp base_url refused");
	}
	nf_buf_reset(&err);
	{
		const char *kv[] = { "account", "AC/../x", "token_file", token_file, "from", "+1555", NULL };

		ok(open_channel("sms", "twilio", kv, NULL, &err) == NULL, "account with a path refused");
	}
	nf_buf_reset(&err);
	{
		/* webhook keys follow SecretFile's 16-byte floor */
		const char *kv[] = { "url", "http://127.0.0.1:1/", "secret_file", token_file, NULL };

		ok(open_channel("whatsapp", "webhook", kv, NULL, &err) == NULL,
		    "webhook key shorter than 16 bytes refused");
	}
	nf_buf_reset(&err);
	ok(open_channel("sms", "carrierpigeon", (const char *[]){ NULL }, NULL, &err) == NULL,
	    "unknown driver refused");
	ok(nf_channel_driver_known("Kannel") && !nf_channel_driver_known("x"), "driver lookup");
	nf_buf_reset(&err);

	/* connection refused -> retry */
	{
		struct nf_chan_result res;
		const char *kv[] = { "url", url, "secret_file", key_file, NULL };

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", closed_port());
		ch = open_channel("viber", "webhook", kv, NULL, &err);
		send_one(ch, "+15551234567", "x", "k", &res);
		is_str(nf_chan_status_name(res.status), "retry", "connection refused -> retry (%s)",
		    res.answer);
		is_int(res.http_status, 0, "connection refused: no HTTP status");
		is_str(nf_channel_kind(ch), "viber", "kind kept");
		is_str(nf_channel_driver(ch), "webhook", "driver name");
		nf_channel_close(ch);
	}
	nf_buf_free(&err);
}

/*
 * TLS verification is on: a self-signed certificate is refused (permanent,
 * nothing sent); the same server is accepted once its certificate is the
 * trusted CA (ca_file), which also proves the host name (IP SAN) is checked
 * against a certificate that names it.
 */
static void
tls_tests(const char *key_file)
{
	char cmd[4096], cert[600], key[600], url[128], other[600];
	struct stub tls;
	struct nf_buf err;
	struct nf_chan_result res;
	struct nf_chan_opts opts = { 2000, 5000, 0, NULL };
	struct nf_channel *ch;
	json_t *log;
	const char *kv[] = { "url", url, "secret_file", key_file, NULL };

	snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(other, sizeof(other), "%s/other.pem", tmpdir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
	    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' "
	    ">/dev/null 2>&1 && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
	    "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout '%s.key' -out '%s' "
	    ">/dev/null 2>&1", key, cert, other, other);
	if (system(cmd) != 0) {
		diag("TLS checks skipped: the openssl command is not available");
		return;
	}
	if (stub_start(&tls, NF_TEST_SRCDIR, cert, key) != 0) {
		ok(0, "TLS stub starts");
		return;
	}
	nf_buf_init(&err, 1024);
	snprintf(url, sizeof(url), "%s/hook", tls.base);
	stub_reset_script(&tls, "[{\"status\": 200, \"body\": \"{}\"}]");
	ch = open_channel("sms", "webhook", kv, &opts, &err);
	send_one(ch, "+15551234567", "x", "tls-1", &res);
	is_str(nf_chan_status_name(res.status), "permanent", "self-signed certificate -> permanent (%s)",
	    res.answer);
	ok(contains(res.answer, "certificate"), "answer names the certificate problem");
	log = stub_log(&tls);
	is_int(json_array_size(log), 0, "nothing was sent to the unverified server");
	json_decref(log);
	nf_channel_close(ch);

	/* a trusted certificate that names another host: the name check refuses it */
	{
		struct stub tls2;
		char okey[700];

		snprintf(okey, sizeof(okey), "%s.key", other);
		if (stub_start(&tls2, NF_TEST_SRCDIR, other, okey) == 0) {
			opts.ca_file = other;
			snprintf(url, sizeof(url), "%s/hook", tls2.base);
			ch = open_channel("sms", "webhook", kv, &opts, &err);
			send_one(ch, "+15551234567", "x", "tls-2", &res);
			is_str(nf_chan_status_name(res.status), "permanent",
			    "trusted certificate for another host name -> permanent (%s)", res.answer);
			ok(contains(res.answer, "127.0.0.1"), "answer names the host that did not match");
			nf_channel_close(ch);
			stub_stop(&tls2);
		} else {
			ok(0, "second TLS stub starts");
		}
	}

	snprintf(url, sizeof(url), "%s/hook", tls.base);
	opts.ca_file = cert;
	ch = open_channel("sms", "webhook", kv, &opts, &err);
	send_one(ch, "+15551234567", "x", "tls-3", &res);
	is_str(nf_chan_status_name(res.status), "ok", "trusted certificate naming 127.0.0.1 -> ok (%s)",
	    res.answer);
	nf_channel_close(ch);
	stub_stop(&tls);
	nf_buf_free(&err);
}

int
main(void)
{
	const char *token, *vsecret, *hookkey;
	char cmd[600];

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	if (nf_chan_global_init() != 0 || (http = nf_http_new()) == NULL) {
		printf("Bail out! libcurl does not start\n");
		return 1;
	}
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	token = write_secret("twilio.token", TWILIO_TOKEN "\n");
	vsecret = write_secret("vonage.secret", VONAGE_SECRET);
	hookkey = write_secret("hook.key", HOOK_KEY "\n");
	if (stub_start(&stub, NF_TEST_SRCDIR, NULL, NULL) != 0) {
		printf("Bail out! tests/tools/httpstub.py did not start\n");
		return 1;
	}
	twilio_tests(token);
	vonage_tests(vsecret);
	webhook_tests(hookkey);
	open_errors(token, hookkey);
	stub_stop(&stub);
	tls_tests(hookkey);
	nf_http_free(http);
	nf_chan_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return tap_done();
}
