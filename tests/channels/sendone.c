/*
 * sendone.c - test helper: send one message through one channel driver.
 *
 *   sendone [-t TIMEOUT_MS] KIND DRIVER key=value ... -- TO TEXT KEY [REF]
 *
 * Prints one line "status=ok http=202 retry_after=-1 id=... answer=..." and
 * exits 0 (ok), 1 (retry), 2 (permanent), 64 (usage) or 78 (the channel
 * options or secret files are wrong; the reason goes to stderr).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

static int
usage(void)
{
	fprintf(stderr, "usage: sendone [-t TIMEOUT_MS] KIND DRIVER key=value ... -- TO TEXT KEY [REF]\n");
	return 64;
}

int
main(int argc, char **argv)
{
	struct nf_conf_kv kv[16];
	struct nf_conf_channel cc;
	struct nf_chan_opts opts;
	struct nf_chan_result res;
	struct nf_chan_msg m;
	struct nf_channel *ch;
	struct nf_http *h;
	struct nf_buf err;
	int i = 1, rc;

	memset(&cc, 0, sizeof(cc));
	memset(&opts, 0, sizeof(opts));
	if (i + 1 < argc && strcmp(argv[i], "-t") == 0) {
		opts.timeout_ms = strtol(argv[i + 1], NULL, 10);
		i += 2;
	}
	if (argc - i < 2)
		return usage();
	cc.kind = argv[i++];
	cc.driver = argv[i++];
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL || cc.nkv == sizeof(kv) / sizeof(kv[0]))
			return usage();
		*eq = '\0';
		kv[cc.nkv].key = argv[i];
		kv[cc.nkv].value = eq + 1;
		cc.nkv++;
	}
	cc.kv = kv;
	if (i >= argc || argc - i - 1 < 3 || argc - i - 1 > 4)
		return usage();
	i++;
	m.to = argv[i];
	m.text = argv[i + 1];
	m.idempotency_key = argv[i + 2];
	m.ref = i + 3 < argc ? argv[i + 3] : NULL;

	if (nf_chan_global_init() != 0 || (h = nf_http_new()) == NULL) {
		fprintf(stderr, "sendone: libcurl does not start\n");
		return 70;
	}
	nf_buf_init(&err, 1024);
	if (nf_channel_open(&cc, &opts, &ch, &err) != 0) {
		fprintf(stderr, "sendone: %s\n", nf_buf_cstr(&err));
		nf_buf_free(&err);
		nf_http_free(h);
		return 78;
	}
	nf_buf_free(&err);
	rc = nf_channel_send(ch, h, &m, &res);
	printf("status=%s http=%ld retry_after=%ld id=%s answer=%s\n", nf_chan_status_name(res.status),
	    res.http_status, res.retry_after, res.provider_id, res.answer);
	nf_channel_close(ch);
	nf_http_free(h);
	nf_chan_global_cleanup();
	return rc == NF_CHAN_OK ? 0 : rc == NF_CHAN_RETRY ? 1 : 2;
}
