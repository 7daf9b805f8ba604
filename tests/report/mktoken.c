/*
 * mktoken.c - test helper for tests/ctl/t-report.sh and t-digest.sh:
 * prints the version-1 token the milter would give message MSGID made at
 * UNIXTIME, signed with the key in SECRETFILE, so a test can record a
 * message under a real token and then ingest reports that authenticate.
 * Not installed.
 *
 *   mktoken SECRETFILE MSGID UNIXTIME
 *
 * Exits 0 and prints the token, 1 when the key or the token fails (the
 * reason on stderr), 64 on bad arguments.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "secret.h"
#include "token.h"

int
main(int argc, char **argv)
{
	struct nf_secret *key = NULL;
	struct nf_buf err;
	char tok[NF_TOKEN_SIZE];
	char *end;
	unsigned long long id;
	long long t;

	if (argc != 4) {
		fprintf(stderr, "usage: mktoken SECRETFILE MSGID UNIXTIME\n");
		return 64;
	}
	id = strtoull(argv[2], &end, 10);
	if (*end != '\0')
		return 64;
	t = strtoll(argv[3], &end, 10);
	if (*end != '\0')
		return 64;
	nf_buf_init(&err, 1024);
	if (nf_secret_load(argv[1], &key, &err) != 0) {
		fprintf(stderr, "mktoken: %s\n", nf_buf_cstr(&err));
		nf_buf_free(&err);
		return 1;
	}
	nf_buf_free(&err);
	if (nf_token_make(key, (uint64_t)id, (int64_t)t, tok, sizeof tok) != 0) {
		fprintf(stderr, "mktoken: cannot make a token\n");
		nf_secret_free(key);
		return 1;
	}
	nf_secret_free(key);
	printf("%s\n", tok);
	return 0;
}
