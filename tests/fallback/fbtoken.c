/*
 * fbtoken.c - test helper for the tests/fallback scripts: prints a valid tracking
 * token for message number MSGID under the key in SECRETFILE, as the
 * milter would make it, so a test can record a message with mkmsg and
 * then ingest a DSN that authenticates.  Not installed.
 *
 *   fbtoken SECRETFILE MSGID
 *
 * Exits 0 with the token on stdout, 1 with the reason on stderr.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "secret.h"
#include "token.h"

int
main(int argc, char **argv)
{
	struct nf_secret *key = NULL;
	struct nf_buf err;
	char tok[NF_TOKEN_SIZE];

	if (argc != 3) {
		fprintf(stderr, "usage: fbtoken SECRETFILE MSGID\n");
		return 1;
	}
	nf_buf_init(&err, 1024);
	if (nf_secret_load(argv[1], &key, &err) != 0) {
		fprintf(stderr, "fbtoken: %s\n", nf_buf_cstr(&err));
		return 1;
	}
	if (nf_token_make(key, strtoull(argv[2], NULL, 10), (int64_t)time(NULL),
	    tok, sizeof tok) != 0) {
		fprintf(stderr, "fbtoken: cannot make a token\n");
		nf_secret_free(key);
		return 1;
	}
	printf("%s\n", tok);
	nf_secret_free(key);
	nf_buf_free(&err);
	return 0;
}
