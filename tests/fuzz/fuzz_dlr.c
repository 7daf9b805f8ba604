/*
 * fuzz_dlr.c - libFuzzer target for channels/dlr.c, the reader of
 * providers' delivery receipts that the daemon's receipt listener feeds
 * with whatever reaches ReceiptListen.
 *
 * The input is cut at NUL bytes into the request's fields, in order:
 * method, target (path and query), Host, Content-Type, X-Twilio-Signature,
 * X-Notifilter-Signature, body (the rest, NULs included).  Missing fields
 * are absent headers.  The channels are a kannel, a twilio (with a
 * status_callback) and a webhook one, with fixed test secrets written to
 * 0600 files at start.  Checks besides the sanitizers: the result is one
 * of the documented codes, its HTTP status is one of 200/400/403/404/405,
 * an accepted receipt names a provider id or a key, and every string of
 * it is NUL-terminated within its array.
 *   ./tests/fuzz/fuzz_dlr -max_total_time=60 tests/fuzz/seeds/dlr
 */
#include "buf.h"
#include "conf.h"
#include "dlr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nf_dlr_keys *keys;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_dlr: %s\n", what);
	abort();
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0)
		die("cannot write a test file in /tmp");
	if (chmod(path, mode) != 0)
		die("cannot chmod a test file");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/nf-fuzz-dlr.XXXXXX", path[256], conf_text[1024];
	struct nf_conf *conf = NULL;
	struct nf_buf err;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp failed");
	snprintf(path, sizeof path, "%s/token", dir);
	write_file(path, "fuzzing-twilio-token-not-secret\n", 0600);
	snprintf(path, sizeof path, "%s/hook", dir);
	write_file(path, "fuzzing-webhook-secret-not-secret\n", 0600);
	snprintf(path, sizeof path, "%s/kpass", dir);
	write_file(path, "kannelpass\n", 0600);
	snprintf(conf_text, sizeof conf_text,
	    "Channel sms kannel url=http://127.0.0.1:1/cgi-bin/sendsms "
	    "user=u password_file=%s/kpass from=Notify "
	    "dlr_url=http://127.0.0.1:2/kannel?key={key}&status=%%d\n"
	    "Channel whatsapp twilio account=AC1 token_file=%s/token "
	    "from=+15550000000 base_url=http://127.0.0.1:3 "
	    "status_callback=http://127.0.0.1:2/twilio?key={key}\n"
	    "Channel viber webhook url=http://127.0.0.1:4/hook "
	    "secret_file=%s/hook\n", dir, dir, dir);
	snprintf(path, sizeof path, "%s/nf.conf", dir);
	write_file(path, conf_text, 0600);
	nf_buf_init(&err, 4096);
	if (nf_conf_load(path, &conf, &err) != 0) {
		fprintf(stderr, "fuzz_dlr: %s\n", nf_buf_cstr(&err));
		die("the test configuration does not load");
	}
	nf_buf_reset(&err);
	if (nf_dlr_keys_open(conf, &keys, &err) != 0) {
		fprintf(stderr, "fuzz_dlr: %s\n", nf_buf_cstr(&err));
		die("the test channels' keys do not open");
	}
	nf_buf_free(&err);
	nf_conf_unref(conf);
	return 0;
}

static int
terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *field[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	char *copy = malloc(size + 1);
	struct nf_dlr_req q;
	struct nf_dlr out;
	enum nf_dlr_rc rc;
	char why[256];
	size_t pos = 0, i;
	int st;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i < 6 && pos <= size; i++) {
		char *nul = memchr(copy + pos, '\0', size + 1 - pos);

		field[i] = copy + pos;
		pos = (size_t)(nul - copy) + 1;
	}
	memset(&q, 0, sizeof q);
	q.method = field[0] ? field[0] : "GET";
	q.target = field[1] ? field[1] : "/";
	q.host = field[2];
	q.content_type = field[3];
	q.twilio_sig = field[4];
	q.webhook_sig = field[5];
	q.body = pos <= size ? copy + pos : "";
	q.body_len = pos <= size ? size - pos : 0;

	memset(&out, 0x5a, sizeof out);
	why[0] = '\0';
	rc = nf_dlr_parse(keys, &q, &out, why, sizeof why);
	st = nf_dlr_http_status(rc);
	if (st != 200 && st != 400 && st != 403 && st != 404 && st != 405)
		die("an HTTP status outside the documented ones");
	if (rc == NF_DLR_OK) {
		if (!terminated(out.provider_id, sizeof out.provider_id) ||
		    !terminated(out.key, sizeof out.key) ||
		    !terminated(out.status, sizeof out.status) ||
		    !terminated(out.detail, sizeof out.detail))
			die("a receipt field is not terminated in its array");
		if (out.provider_id[0] == '\0' && out.key[0] == '\0')
			die("an accepted receipt names neither provider id nor key");
		if (out.driver == NULL)
			die("an accepted receipt names no driver");
	} else if (!terminated(why, sizeof why) || why[0] == '\0') {
		die("a refused request says nothing about why");
	}
	free(copy);
	return 0;
}
