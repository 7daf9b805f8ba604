/*
 * t_receipt.c - delivery receipts (issue 5), TAP:
 *   1. channels/dlr.c: each provider's receipt read, signatures checked
 *      (Twilio's against an independent python3 HMAC when python3 is
 *      there), bad input refused with the right status, random bytes
 *      never crash it;
 *   2. lib/store_receipt.c: receipts find their outbox row by key or
 *      provider id, never another provider's or a mismatched one, keep a
 *      final receipt, and put a "fallback"/"receipt" event in the timeline;
 *   3. milter/receipt.c: the listener on 127.0.0.1:RECEIPT_TEST_PORT
 *      (default 11051) answering real HTTP requests sent with curl, and
 *      raw garbage, slow and oversized requests, and too many connections
 *      sent through sockets.
 * Works in a mkdtemp directory, removed at the end (KEEP=1 keeps it).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dlr.h"
#include <jansson.h>
#include "receipt.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/t_receipt.XXXXXX";
static char db[256], tokpath[256], whpath[256];
static const char *token = "0123456789abcdef0123456789abcdef";
static const char *whkey = "webhook-secret-of-32-bytes-long!";
static int port = 11051;

/* ---- a configuration with one channel of each driver ------------------------- */

static struct nf_conf_kv kv_kannel[] = { { "url", "http://127.0.0.1:1/x" } };
static struct nf_conf_kv kv_twilio[] = { { "account", "AC1" },
	{ "token_file", tokpath }, { "from", "+15550000000" },
	{ "status_callback", (char *)"https://mx.example.test/twilio?key={key}" } };
static struct nf_conf_kv kv_vonage[] = { { "key", "k" } };
static struct nf_conf_kv kv_webhook[] = { { "url", "http://127.0.0.1:1/w" },
	{ "secret_file", whpath } };
static struct nf_conf_channel chans[] = {
	{ "sms", "kannel", kv_kannel, 1, 10 },
	{ "sms", "twilio", kv_twilio, 4, 11 },
	{ "sms", "vonage", kv_vonage, 1, 12 },
	{ "whatsapp", "webhook", kv_webhook, 2, 13 },
};
static struct nf_conf conf;

static void
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* ---- 1. parsing ------------------------------------------------------------------ */

static enum nf_dlr_rc
parse(struct nf_dlr_keys *k, const char *method, const char *target,
    const char *ctype, const char *body, const char *tsig, const char *wsig,
    struct nf_dlr *d)
{
	struct nf_dlr_req q = { .method = method, .target = target,
		.host = "mx.example.test", .content_type = ctype, .body = body,
		.body_len = body ? strlen(body) : 0, .twilio_sig = tsig,
		.webhook_sig = wsig };
	char why[256];
	enum nf_dlr_rc rc = nf_dlr_parse(k, &q, d, why, sizeof(why));

	if (rc != NF_DLR_OK)
		diag("%s %s -> %d: %s", method, target, nf_dlr_http_status(rc), why);
	return rc;
}

static void
webhook_sig(const char *body, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	HMAC(EVP_sha256(), whkey, (int)strlen(whkey), (const unsigned char *)body,
	    strlen(body), mac, &n);
	strcpy(out, "sha256=");
	for (i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 15];
	}
	out[7 + 2 * n] = '\0';
}

/* Twilio's algorithm written again in python3, as a second opinion. */
static int
python_twilio_sig(const char *url, const char *body, char *out, size_t len)
{
	char cmd[2048];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "python3 -c '"
	    "import sys,hmac,hashlib,base64,urllib.parse as u\n"
	    "t,url,b=sys.argv[1:4]\n"
	    "ps=sorted(u.parse_qsl(b,keep_blank_values=True))\n"
	    "d=url+\"\".join(k+v for k,v in ps)\n"
	    "print(base64.b64encode(hmac.new(t.encode(),d.encode(),hashlib.sha1).digest()).decode())"
	    "' '%s' '%s' '%s' 2>/dev/null", token, url, body);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(out, (int)len, p) == NULL) {
		pclose(p);
		return -1;
	}
	pclose(p);
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out[0] ? 0 : -1;
}

static void
test_parse(struct nf_dlr_keys *k)
{
	struct nf_dlr d;
	char sig[80], py[80], body[512], ws[80];
	const char *tb = "MessageSid=SM0001&MessageStatus=undelivered&ErrorCode=30003"
	    "&AccountSid=AC1&To=%2B15551234567";
	unsigned seed = 12345;
	int i, crashes = 0;

	/* Kannel */
	is_int(parse(k, "GET", "/kannel?key=ob-1&status=1&smsc=FAKE", NULL, NULL, NULL,
	    NULL, &d), NF_DLR_OK, "kannel DLR 1 read");
	is_str(d.key, "ob-1", "kannel: the key from the dlr_url");
	is_str(d.status, "delivered", "kannel: status 1 is delivered");
	is_int(d.final, 1, "kannel: delivered is final");
	is_str(d.detail, "delivered: kannel status 1 smsc FAKE", "kannel: detail line");
	is_int(parse(k, "GET", "/kannel?key=ob-1&status=8&smsc=FAKE", NULL, NULL, NULL,
	    NULL, &d), NF_DLR_OK, "kannel DLR 8 read");
	is_str(d.status, "accepted", "kannel: status 8 is the SMSC's accepted");
	is_int(d.final, 0, "kannel: accepted is not final");
	parse(k, "GET", "/kannel/sms?key=a%2Fb&status=16&answer=NACK%2F0x0b", NULL, NULL,
	    NULL, NULL, &d);
	is_str(d.detail, "rejected: kannel status 16: NACK/0x0b", "kannel: 16 rejected, "
	    "the SMSC answer (%%A) kept, escapes decoded");
	is_str(d.key, "a/b", "kannel: an escaped key is decoded");
	is_int(parse(k, "GET", "/kannel?status=1", NULL, NULL, NULL, NULL, &d), NF_DLR_BAD,
	    "kannel without key: 400");
	is_int(parse(k, "GET", "/kannel?key=x&status=one", NULL, NULL, NULL, NULL, &d),
	    NF_DLR_BAD, "kannel with a non-numeric status: 400");
	is_int(parse(k, "GET", "/kannel?key=x%00y&status=1", NULL, NULL, NULL, NULL, &d),
	    NF_DLR_BAD, "kannel with %%00 in the key: 400");
	is_int(parse(k, "GET", "/kannel?key=has%20space&status=1", NULL, NULL, NULL, NULL,
	    &d), NF_DLR_BAD, "kannel with a blank in the key: 400");

	/* Twilio */
	ok(nf_dlr_twilio_sign(token, "https://mx.example.test/twilio?key=ob-2", tb,
	    strlen(tb), sig, sizeof(sig)) == 0, "twilio: signature computed");
	if (python_twilio_sig("https://mx.example.test/twilio?key=ob-2", tb, py,
	    sizeof(py)) == 0)
		is_str(sig, py, "twilio: our signature equals python's HMAC-SHA1 of URL "
		    "+ sorted params");
	else
		ok(1, "# SKIP python3 not available for the second opinion");
	is_int(parse(k, "POST", "/twilio?key=ob-2", "application/x-www-form-urlencoded",
	    tb, sig, NULL, &d), NF_DLR_OK, "twilio: signed status callback accepted");
	is_str(d.provider_id, "SM0001", "twilio: MessageSid is the provider id");
	is_str(d.key, "ob-2", "twilio: key from the status_callback URL");
	is_str(d.detail, "undelivered: twilio undelivered error 30003",
	    "twilio: status and ErrorCode in the detail");
	is_int(d.final, 1, "twilio: undelivered is final");
	is_int(parse(k, "POST", "/twilio?key=ob-2", "application/x-www-form-urlencoded",
	    "MessageSid=SM0001&MessageStatus=delivered&ErrorCode=30003&AccountSid=AC1"
	    "&To=%2B15551234567", sig, NULL, &d), NF_DLR_FORBIDDEN,
	    "twilio: a changed body does not verify: 403");
	is_int(parse(k, "POST", "/twilio?key=ob-3", "application/x-www-form-urlencoded",
	    tb, sig, NULL, &d), NF_DLR_FORBIDDEN, "twilio: another URL does not verify: 403");
	is_int(parse(k, "POST", "/twilio?key=ob-2", "application/x-www-form-urlencoded",
	    tb, NULL, NULL, &d), NF_DLR_FORBIDDEN, "twilio: no signature: 403");
	is_int(parse(k, "POST", "/twilio?key=ob-2", "application/x-www-form-urlencoded",
	    tb, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL, &d), NF_DLR_FORBIDDEN,
	    "twilio: a wrong signature: 403");
	nf_dlr_twilio_sign(token, "http://mx.example.test/twilio/cb", tb, strlen(tb), sig,
	    sizeof(sig));
	is_int(parse(k, "POST", "/twilio/cb", "application/x-www-form-urlencoded", tb, sig,
	    NULL, &d), NF_DLR_OK, "twilio: URL from the Host header also verifies");
	is_int(parse(k, "GET", "/twilio?key=ob-2", NULL, NULL, sig, NULL, &d),
	    NF_DLR_METHOD, "twilio: GET is 405");

	/* Vonage */
	is_int(parse(k, "GET", "/vonage?msisdn=4915112345678&to=Shop&messageId=0A00001&"
	    "status=delivered&err-code=0&client-ref=ob-4", NULL, NULL, NULL, NULL, &d),
	    NF_DLR_OK, "vonage GET receipt read");
	is_str(d.provider_id, "0A00001", "vonage: messageId");
	is_str(d.key, "ob-4", "vonage: client-ref is the key");
	is_str(d.detail, "delivered: vonage delivered err-code 0", "vonage: detail");
	is_int(parse(k, "POST", "/vonage", "application/json",
	    "{\"messageId\":\"0A00002\",\"status\":\"expired\",\"err-code\":\"27\","
	    "\"client-ref\":\"ob-5\"}", NULL, NULL, &d), NF_DLR_OK, "vonage JSON POST read");
	is_str(d.status, "expired", "vonage JSON: status");
	is_int(d.final, 1, "vonage: expired is final");
	is_int(parse(k, "POST", "/vonage", "application/x-www-form-urlencoded",
	    "messageId=0A00003&status=failed&err-code=6&client-ref=ob-6", NULL, NULL, &d),
	    NF_DLR_OK, "vonage form POST read");
	is_int(parse(k, "GET", "/vonage?messageId=0A00001&status=delivered", NULL, NULL,
	    NULL, NULL, &d), NF_DLR_BAD, "vonage without client-ref: 400");
	is_int(parse(k, "POST", "/vonage", "application/json", "[1,2", NULL, NULL, &d),
	    NF_DLR_BAD, "vonage with broken JSON: 400");

	/* webhook */
	snprintf(body, sizeof(body), "{\"idempotency_key\":\"ob-7\",\"id\":\"wa-9\","
	    "\"status\":\"READ\",\"code\":\"\"}");
	webhook_sig(body, ws);
	is_int(parse(k, "POST", "/webhook", "application/json", body, NULL, ws, &d),
	    NF_DLR_OK, "webhook: signed receipt read");
	is_str(d.status, "read", "webhook: status lower-cased");
	is_str(d.key, "ob-7", "webhook: idempotency_key");
	is_str(d.provider_id, "wa-9", "webhook: id");
	ws[10] = ws[10] == 'a' ? 'b' : 'a';
	is_int(parse(k, "POST", "/webhook", "application/json", body, NULL, ws, &d),
	    NF_DLR_FORBIDDEN, "webhook: a wrong signature: 403");
	is_int(parse(k, "POST", "/webhook", "application/json", body, NULL, NULL, &d),
	    NF_DLR_FORBIDDEN, "webhook: no signature: 403");

	/* routing */
	is_int(parse(k, "GET", "/other?key=1", NULL, NULL, NULL, NULL, &d), NF_DLR_NOPATH,
	    "unknown path: 404");
	is_int(parse(k, "GET", "/kannelx?key=1&status=1", NULL, NULL, NULL, NULL, &d),
	    NF_DLR_NOPATH, "/kannelx is not /kannel: 404");
	is_int(parse(k, "PUT", "/kannel?key=1&status=1", NULL, NULL, NULL, NULL, &d),
	    NF_DLR_METHOD, "PUT: 405");

	/* random bytes: any answer, never a crash (ASan build checks memory) */
	for (i = 0; i < 3000; i++) {
		char t[200], b[300];
		const char *pfx[] = { "/kannel?", "/twilio?", "/vonage?", "/webhook?", "/" };
		size_t j, n = (size_t)(rand_r(&seed) % 150), bn = (size_t)(rand_r(&seed) % 290);
		struct nf_dlr_req q;
		char why[128];

		snprintf(t, sizeof(t), "%s", pfx[i % 5]);
		for (j = strlen(t); j < n + 9 && j < sizeof(t) - 1; j++)
			t[j] = "a=&%%1F+key=status=1ob"[rand_r(&seed) % 22];
		t[j] = '\0';
		for (j = 0; j < bn; j++)
			b[j] = (char)(rand_r(&seed) % 256);
		b[bn] = '\0';
		memset(&q, 0, sizeof(q));
		q.method = i % 2 ? "POST" : "GET";
		q.target = t;
		q.content_type = i % 3 ? "application/json" : "application/x-www-form-urlencoded";
		q.body = b;
		q.body_len = bn;
		q.twilio_sig = i % 7 ? "x" : NULL;
		q.webhook_sig = "sha256=00";
		if (nf_dlr_parse(k, &q, &d, why, sizeof(why)) == NF_DLR_OK && d.key[0] == '\0' &&
		    d.provider_id[0] == '\0')
			crashes++;
	}
	is_int(crashes, 0, "3000 random requests: no crash, and no receipt without an id");
}

/* ---- 2. store ---------------------------------------------------------------------- */

static sqlite3 *raw;

static void
sql(const char *q)
{
	char *err = NULL;

	if (sqlite3_exec(raw, q, NULL, NULL, &err) != SQLITE_OK) {
		printf("Bail out! %s: %s\n", q, err ? err : "?");
		exit(1);
	}
}

static void
sql_str(const char *q, char *out, size_t len)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(raw, q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int
add(struct nf_store *s, const char *driver, const char *pid, const char *key,
    const char *status, int final, const char *detail)
{
	struct nf_receipt_in in = { .driver = driver, .provider_id = pid,
		.idem_key = key, .status = status, .final = final, .detail = detail };

	return nf_store_receipt_add(s, &in, NULL);
}

static void
test_store(struct nf_store *s)
{
	char v[512];

	sql("INSERT INTO outbox(token, recipient, phone, channel, driver, trigger, state,"
	    " due, expires, idem_key, provider_id, created, updated) VALUES"
	    " ('tok1', 'ann@example.test', '+15551230001', 'sms', 'kannel', 'failed',"
	    "  'sent', 0, 0, 'ob-1', NULL, 0, 0),"
	    " ('tok2', 'ben@example.test', '+15551230002', 'sms', 'twilio', 'failed',"
	    "  'sent', 0, 0, 'ob-2', 'SM0001', 0, 0)");
	is_int(add(s, "kannel", NULL, "ob-1", "accepted", 0, "accepted: kannel status 8"),
	    NF_STORE_OK, "store: kannel receipt by key recorded");
	sql_str("SELECT receipt FROM outbox WHERE idem_key = 'ob-1'", v, sizeof(v));
	is_str(v, "accepted: kannel status 8", "store: receipt column set");
	is_int(add(s, "kannel", NULL, "ob-1", "delivered", 1, "delivered: kannel status 1"),
	    NF_STORE_OK, "store: final receipt recorded");
	is_int(add(s, "kannel", NULL, "ob-1", "accepted", 0, "accepted: kannel status 8"),
	    NF_STORE_OK, "store: a late non-final receipt is still an event");
	sql_str("SELECT receipt FROM outbox WHERE idem_key = 'ob-1'", v, sizeof(v));
	is_str(v, "delivered: kannel status 1", "store: ... but does not replace the final one");
	sql_str("SELECT group_concat(kind || '/' || rule || '/' || token || '/' || address"
	    " || '/' || detail, ' | ') FROM events WHERE rule = 'receipt'", v, sizeof(v));
	is_str(v, "fallback/receipt/tok1/ann@example.test/accepted: kannel status 8 | "
	    "fallback/receipt/tok1/ann@example.test/delivered: kannel status 1 | "
	    "fallback/receipt/tok1/ann@example.test/accepted: kannel status 8",
	    "store: each receipt is a fallback/receipt event with the row's token and recipient");
	is_int(add(s, "twilio", "SM0001", NULL, "delivered", 1, "delivered: twilio delivered"),
	    NF_STORE_OK, "store: twilio receipt by provider id");
	is_int(add(s, "twilio", "SM9999", "ob-2", "delivered", 1, "x"), NF_STORE_NOTFOUND,
	    "store: key of a row with another provider id: not found");
	is_int(add(s, "twilio", "SM0001", "ob-1", "delivered", 1, "x"), NF_STORE_NOTFOUND,
	    "store: provider id and key of different rows: not found");
	is_int(add(s, "vonage", NULL, "ob-1", "delivered", 1, "x"), NF_STORE_NOTFOUND,
	    "store: a vonage receipt cannot touch a kannel row");
	is_int(add(s, "kannel", NULL, "ob-nope", "delivered", 1, "x"), NF_STORE_NOTFOUND,
	    "store: unknown key: not found");
	ok(strstr(nf_store_errmsg(s), "ob-nope") != NULL, "store: the message names the key "
	    "(%s)", nf_store_errmsg(s));
	sql_str("SELECT count(*) FROM events WHERE rule = 'receipt'", v, sizeof(v));
	is_str(v, "4", "store: refused receipts wrote no event");
}

static int curl_status(const char *args);
int t_receipt_twilio_send(const char *tokpath, const char *base, const char *callback,
    const char *key, char *id, size_t idlen, char *answer, size_t anslen);
static void sql(const char *q);

/* ---- 4. twilio.c's StatusCallback, round trip -------------------------------------- */

/* Run a shell command, its first output line into out. */
static void
sh_line(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (p == NULL)
		return;
	if (fgets(out, (int)len, p) == NULL)
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
}

/*
 * The twilio driver with status_callback sends StatusCallback with the
 * row's key filled in; a status callback signed (as Twilio does) over
 * exactly that URL is accepted by the listener and lands on the row.
 * The provider is tests/tools/httpstub.py on RECEIPT_TEST_PORT + 2.
 */
static void
test_twilio_roundtrip(void)
{
	char id[128], answer[256], base[64], cmd[1024], line[256], sig[80], args[1024], cb[512] = "";
	const char *py = getenv("PYTHON3") ? getenv("PYTHON3") : "python3";
	const char *srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : NF_TEST_SRCDIR;
	int sport = port + 2, i;
	pid_t stub;
	json_t *log, *req;
	json_error_t jerr;

	snprintf(cmd, sizeof(cmd), "%s %s/tests/tools/httpstub.py --port %d --max-seconds 60 "
	    ">%s/stub.out 2>&1 & echo $!", py, srcdir, sport, dir);
	sh_line(cmd, line, sizeof(line));
	stub = (pid_t)atoi(line);
	snprintf(cmd, sizeof(cmd), "%s/stub.out", dir);
	for (i = 0; i < 100; i++) {
		FILE *f = fopen(cmd, "r");
		int up = f != NULL && fgets(line, sizeof(line), f) != NULL &&
		    strncmp(line, "PORT ", 5) == 0;

		if (f != NULL)
			fclose(f);
		if (up)
			break;
		usleep(50000);
	}
	if (stub <= 0 || i == 100) {
		ok(1, "# SKIP twilio round trip: httpstub.py did not start on %d", sport);
		if (stub > 0)
			kill(stub, SIGTERM);
		return;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", sport);
	snprintf(cmd, sizeof(cmd), "curl -s --noproxy '*' --max-time 5 -d '[{\"status\": 201, "
	    "\"body\": \"{\\\"sid\\\": \\\"SM777\\\", \\\"status\\\": \\\"queued\\\"}\"}]' "
	    "%s/_stub/script", base);
	sh_line(cmd, line, sizeof(line));
	is_int(t_receipt_twilio_send(tokpath, base, "https://mx.example.test/twilio?key={key}",
	    "nf1-tok-abc", id, sizeof(id), answer, sizeof(answer)), 0,
	    "twilio with status_callback: sent to the stub (%s)", answer);
	is_str(id, "SM777", "twilio: the stub's sid is the provider id");
	snprintf(cmd, sizeof(cmd), "curl -s --noproxy '*' --max-time 5 %s/_stub/log", base);
	{
		char body[8192];
		FILE *p = popen(cmd, "r");
		size_t n = p ? fread(body, 1, sizeof(body) - 1, p) : 0;

		if (p != NULL)
			pclose(p);
		body[n] = '\0';
		log = json_loads(body, 0, &jerr);
	}
	req = json_array_get(log, 0);
	{
		const char *form = json_string_value(json_object_get(req, "body"));
		const char *f = form ? strstr(form, "StatusCallback=") : NULL;

		ok(f != NULL, "twilio: the request carries StatusCallback");
		if (f != NULL) {
			/* decode the form value */
			size_t o = 0;

			for (f += 15; *f && *f != '&' && o < sizeof(cb) - 1; f++) {
				unsigned v;

				if (*f == '%' && sscanf(f + 1, "%2x", &v) == 1) {
					cb[o++] = (char)v;
					f += 2;
				} else {
					cb[o++] = *f == '+' ? ' ' : *f;
				}
			}
			cb[o] = '\0';
		}
	}
	json_decref(log);
	is_str(cb, "https://mx.example.test/twilio?key=nf1-tok-abc",
	    "twilio: StatusCallback is status_callback with {key} filled in");
	sql("INSERT INTO outbox(token, recipient, phone, channel, driver, trigger, state,"
	    " due, expires, idem_key, provider_id, created, updated) VALUES"
	    " ('tok3', 'cid@example.test', '+4915112345001', 'sms', 'twilio', 'failed',"
	    "  'sent', 0, 0, 'nf1-tok-abc', 'SM777', 0, 0)");
	/* Twilio calls the public URL; a proxy hands it to the listener */
	nf_dlr_twilio_sign(token, cb, "MessageSid=SM777&MessageStatus=delivered",
	    strlen("MessageSid=SM777&MessageStatus=delivered"), sig, sizeof(sig));
	snprintf(args, sizeof(args), "-H 'X-Twilio-Signature: %s' "
	    "--data 'MessageSid=SM777&MessageStatus=delivered' "
	    "'http://127.0.0.1:%d/twilio?key=nf1-tok-abc'", sig, port);
	is_int(curl_status(args), 200, "twilio: the status callback for that URL is accepted");
	sql_str("SELECT receipt FROM outbox WHERE idem_key = 'nf1-tok-abc'", line, sizeof(line));
	is_str(line, "delivered: twilio delivered", "twilio: ... and recorded on the row");
	kill(stub, SIGTERM);
	waitpid(stub, NULL, WNOHANG);	/* not our child (the shell's): best effort */
}

/* ---- 3. the listener ------------------------------------------------------------- */

static int
curl_status(const char *args)
{
	char cmd[4096], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null --max-time 10 -w '%%{http_code}' "
	    "--noproxy '*' %s 2>/dev/null", args);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	pclose(p);
	return atoi(out);
}

static int
connect_port(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int raw_status(const char *data, size_t len, int secs);
#define raw_str(s, secs) raw_status((s), strlen(s), (secs))

/* Send raw bytes, read the status line's code (0 when none in `secs`). */
static int
raw_status(const char *data, size_t len, int secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };
	char buf[256];
	ssize_t n;
	int fd = connect_port(), code = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (len > 0 && send(fd, data, len, MSG_NOSIGNAL) < 0) {
		close(fd);
		return -2;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n > 12) {
		buf[n] = '\0';
		sscanf(buf, "HTTP/1.1 %d", &code);
	}
	close(fd);
	return code;
}

static void
test_listener(struct nf_store *s)
{
	struct nf_store_pool *pool = NULL;
	struct nf_receipt *r = NULL;
	char err[512], args[2048], sig[80], v[64], big[20000];
	const char *tb = "MessageSid=SM0001&MessageStatus=failed&ErrorCode=30008";
	int fds[40], i, n503 = 0, code;
	char listen[64];
	double t0;
	struct timespec ts;

	if (system("curl --version >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP the listener checks need curl (apt-get install curl)");
		return;
	}
	snprintf(listen, sizeof(listen), "inet:%d@127.0.0.1", port);
	conf.receipt_listen = listen;
	if (nf_store_pool_new(db, 2000, 2, &pool, err, sizeof(err)) != NF_STORE_OK) {
		printf("Bail out! pool: %s\n", err);
		exit(1);
	}
	ok(nf_receipt_start(&conf, pool, &r, err, sizeof(err)) == 0 && r != NULL,
	    "listener starts on %s", listen);
	if (r == NULL) {
		diag("%s", err);
		nf_store_pool_free(pool);
		return;
	}
	{
		struct nf_receipt *r2 = NULL;

		ok(nf_receipt_start(&conf, pool, &r2, err, sizeof(err)) == -1 &&
		    strstr(err, "ReceiptListen") != NULL && strstr(err, "cannot listen") != NULL,
		    "a second listener on the same port: error names ReceiptListen (%s)", err);
	}
	snprintf(args, sizeof(args), "'http://127.0.0.1:%d/kannel?key=ob-1&status=2&smsc=FAKE'",
	    port);
	is_int(curl_status(args), 200, "curl: kannel DLR GET recorded (200)");
	sql_str("SELECT detail FROM events WHERE rule = 'receipt' ORDER BY id DESC LIMIT 1",
	    v, sizeof(v));
	is_str(v, "failed: kannel status 2 smsc FAKE", "curl: the DLR is the newest receipt event");

	snprintf(args, sizeof(args), "'http://127.0.0.1:%d/kannel?key=ob-unknown&status=1'",
	    port);
	is_int(curl_status(args), 404, "curl: DLR for an unknown key: 404");

	nf_dlr_twilio_sign(token, "https://mx.example.test/twilio?key=ob-2", tb, strlen(tb),
	    sig, sizeof(sig));
	snprintf(args, sizeof(args), "-H 'X-Twilio-Signature: %s' --data '%s' "
	    "'http://127.0.0.1:%d/twilio?key=ob-2'", sig, tb, port);
	is_int(curl_status(args), 200, "curl: signed twilio status callback: 200");
	sql_str("SELECT receipt FROM outbox WHERE idem_key = 'ob-2'", v, sizeof(v));
	is_str(v, "failed: twilio failed error 30008", "curl: twilio receipt on its row");
	sql_str("SELECT count(*) FROM events WHERE rule = 'receipt'", v, sizeof(v));
	snprintf(args, sizeof(args), "-H 'X-Twilio-Signature: %s' --data '%s&x=1' "
	    "'http://127.0.0.1:%d/twilio?key=ob-2'", sig, tb, port);
	is_int(curl_status(args), 403, "curl: forged twilio callback: 403");
	{
		char after[64];

		sql_str("SELECT count(*) FROM events WHERE rule = 'receipt'", after,
		    sizeof(after));
		is_str(after, v, "curl: the forged callback recorded nothing");
	}
	snprintf(args, sizeof(args), "-X DELETE 'http://127.0.0.1:%d/kannel'", port);
	is_int(curl_status(args), 405, "curl: DELETE: 405");
	snprintf(args, sizeof(args), "'http://127.0.0.1:%d/'", port);
	is_int(curl_status(args), 404, "curl: /: 404");

	/* garbage and abuse, by socket */
	is_int(raw_str("\x01\x02garbage\r\n\r\n", 3), 400, "raw: garbage: 400");
	is_int(raw_str("GET /kannel HTTP/1.1\r\nno colon here\r\n\r\n", 3), 400,
	    "raw: a header without a colon: 400");
	is_int(raw_str("POST /kannel HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 3), 411, "raw: chunked body: 411");
	is_int(raw_str("POST /kannel HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6"
	    "\r\n\r\n", 3), 400, "raw: two different Content-Lengths: 400");
	/* RFC 9112 5.1: whitespace before the colon is a 400, never a field
	 * read under another name (a proxy may read it as the length); each
	 * request would otherwise be a well-formed receipt (404: no row) */
	is_int(raw_str("GET /kannel?key=none-1&status=1 HTTP/1.1\r\nHost : x\r\n"
	    "\r\n", 3), 400, "raw: whitespace before a colon: 400");
	is_int(raw_str("GET /kannel?key=none-1&status=1 HTTP/1.1\r\nX-A\t: 3\r\n"
	    "\r\n", 3), 400, "raw: a tab before a colon: 400");
	is_int(raw_str("GET /kannel?key=none-1&status=1 HTTP/1.1\r\n: empty\r\n"
	    "\r\n", 3), 400, "raw: an empty field name: 400");
	is_int(raw_str("GET /kannel?key=none-1&status=1 HTTP/1.1 x\r\nHost: x\r\n"
	    "\r\n", 3), 400, "raw: a request line with a fourth part: 400");
	is_int(raw_str("GET /kannel?key=none-1&status=1 HTTP/1.1\r\nHost: x\r\n"
	    "\r\n", 3), 404, "raw: the same receipt well formed: 404 (no row)");
	is_int(raw_str("POST /kannel HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 3),
	    413, "raw: a body over the limit: 413");
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /kannel HTTP/1.1\r\nX-Big: ", 29);
	is_int(raw_status(big, sizeof(big), 3), 431, "raw: 20000 bytes of headers: 431");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	code = raw_str("GET /kannel?key=ob-1&status=1 HTTP/1.1\r\nHost: x\r\n", 9);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	is_int(code, 408, "raw: a request that never ends: 408");
	ok(ts.tv_sec + ts.tv_nsec / 1e9 - t0 < 7.5, "raw: ... within the 5 s time-out "
	    "(%.1f s)", ts.tv_sec + ts.tv_nsec / 1e9 - t0);
	for (i = 0; i < 40; i++)
		fds[i] = connect_port();
	usleep(300000);
	for (i = 0; i < 40; i++) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
		char b[64];
		ssize_t n;

		if (fds[i] < 0)
			continue;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = recv(fds[i], b, sizeof(b) - 1, 0);
		if (n > 12 && strncmp(b, "HTTP/1.1 503", 12) == 0)
			n503++;
	}
	is_int(n503, 8, "40 idle connections: 32 kept, 8 answered 503");
	for (i = 0; i < 40; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	usleep(100000);
	snprintf(args, sizeof(args), "'http://127.0.0.1:%d/kannel?key=ob-1&status=1'", port);
	is_int(curl_status(args), 200, "after all that, a DLR is still recorded");
	test_twilio_roundtrip();
	nf_receipt_stop(r);
	ok(connect_port() < 0, "after stop, nothing listens on %d", port);
	nf_store_pool_free(pool);
	(void)s;
}

int
main(void)
{
	struct nf_dlr_keys *k = NULL;
	struct nf_store *s = NULL;
	struct nf_buf err;
	char e[512], cmd[300];
	const char *p = getenv("RECEIPT_TEST_PORT");

	if (p != NULL && atoi(p) > 0)
		port = atoi(p);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(db, sizeof(db), "%s/store.db", dir);
	snprintf(tokpath, sizeof(tokpath), "%s/twilio.token", dir);
	snprintf(whpath, sizeof(whpath), "%s/webhook.key", dir);
	write_file(tokpath, token);
	write_file(whpath, whkey);
	conf.channels = chans;
	conf.nchannels = sizeof(chans) / sizeof(chans[0]);
	conf.path = (char *)"t_receipt.conf";

	nf_buf_init(&err, 1024);
	ok(nf_dlr_keys_open(&conf, &k, &err) == 0, "receipt keys read from the channels");
	if (k == NULL) {
		diag("%s", nf_buf_cstr(&err));
		return tap_done();
	}
	test_parse(k);
	nf_dlr_keys_free(k);
	{
		struct nf_conf c2 = conf;
		struct nf_conf_kv bad[] = { { "url", "x" }, { "secret_file", "/nonexistent/k" } };
		struct nf_conf_channel ch = { "whatsapp", "webhook", bad, 2, 42 };

		c2.channels = &ch;
		c2.nchannels = 1;
		nf_buf_reset(&err);
		ok(nf_dlr_keys_open(&c2, &k, &err) == -1 &&
		    strstr(nf_buf_cstr(&err), "line 42") != NULL,
		    "an unreadable webhook secret names the Channel line: %s", nf_buf_cstr(&err));
	}
	nf_buf_free(&err);

	if (nf_store_open(db, NF_STORE_CREATE, 2000, &s, e, sizeof(e)) != NF_STORE_OK ||
	    sqlite3_open(db, &raw) != SQLITE_OK) {
		printf("Bail out! store: %s\n", e);
		return 1;
	}
	sqlite3_busy_timeout(raw, 2000);
	test_store(s);
	test_listener(s);
	nf_store_close(s);
	sqlite3_close(raw);
	if (getenv("KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	} else {
		diag("kept %s", dir);
	}
	return tap_done();
}
