/*
 * fuzz_token.c - libFuzzer target for lib/token.c.
 *
 * Three uses of each input: (1) as a token for nf_token_verify, (2) as an
 * address for nf_token_from_verp, (3) as edits to a valid token: the first
 * 8 bytes are a msgid, then byte pairs (position, character) overwrite the
 * token before it is verified.  Checks besides the sanitizers: a result code
 * is one of the documented ones; a token that verifies is the one made for
 * its msgid and day (up to letter case), so an altered token that still
 * verifies is a forgery and aborts; a token found in a VERP address is
 * lower-case letters and digits and the address rebuilt from it gives it
 * back.  The key is a fixed test key written to a temporary 0600 file.
 *   ./tests/fuzz/fuzz_token -max_total_time=60 tests/fuzz/seeds/token
 */
#include "secret.h"
#include "token.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nf_secret *key;

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_token: %s\n  \"%s\"\n  \"%s\"\n", what, a, b);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char k[] = "fuzzing key, not secret: 0123456789";
	char path[] = "/tmp/fuzz_token.XXXXXX";
	struct nf_buf err;
	int fd;

	(void)argc;
	(void)argv;
	nf_buf_init(&err, 1024);
	if ((fd = mkstemp(path)) < 0 || write(fd, k, sizeof(k) - 1) != sizeof(k) - 1) {
		perror("fuzz_token: test key");
		exit(1);
	}
	close(fd);
	if (nf_secret_load(path, &key, &err) != 0) {
		fprintf(stderr, "fuzz_token: %s\n", nf_buf_cstr(&err));
		exit(1);
	}
	unlink(path);
	nf_buf_free(&err);
	return 0;
}

static void
check_verified(const char *tok, uint64_t id, int64_t created)
{
	char want[NF_TOKEN_SIZE];

	if (created < 0 || created % 86400 != 0)
		fail("created is not the start of a day", tok, "");
	if (nf_token_make(key, id, created, want, sizeof(want)) != 0)
		fail("cannot remake a verified token", tok, "");
	if (strcasecmp(tok, want) != 0)
		fail("a token verifies that was not made for its id: forgery", tok, want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = { "bounce", "b", "no-reply.x",
	    "abcdefghijklmnopqrst" };
	char tok[NF_TOKEN_SIZE], got[65 + 1], small[8], addr[NF_TOKEN_VERP_MAX + 1];
	const char *prefix;
	uint64_t id = 0;
	int64_t created = 0;
	size_t i;
	char *in;
	int rc;

	if (size > 4096)
		return 0;
	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	/* (1) the input as a token */
	rc = nf_token_verify(key, in, &id, &created);
	if (rc > 0 || rc < NF_TOKEN_EMAC)
		fail("undocumented result code", in, "");
	if (rc == NF_TOKEN_OK)
		check_verified(in, id, created);

	/* (2) the input as a VERP address */
	prefix = prefixes[size % 4];
	rc = nf_token_from_verp(in, prefix, "bounces.example.com", got, sizeof(got));
	if (rc != 0 && rc != -1)
		fail("from_verp: -2 with a 66-byte buffer", in, "");
	if (rc == 0) {
		size_t n = strlen(got);

		if (n == 0 || n > 64)
			fail("from_verp: token not 1..64 characters", in, got);
		for (i = 0; i < n; i++)
			if (!((got[i] >= 'a' && got[i] <= 'z') || (got[i] >= '0' && got[i] <= '9')))
				fail("from_verp: token not lower-case alphanumeric", in, got);
		if (nf_token_verp(prefix, got, "bounces.example.com", addr, sizeof(addr)) == 0) {
			char back[65 + 1];

			if (nf_token_from_verp(addr, prefix, "bounces.example.com", back,
			    sizeof(back)) != 0 || strcmp(back, got) != 0)
				fail("from_verp(verp(token)) is not the token", addr, got);
		}
		rc = nf_token_from_verp(in, prefix, "bounces.example.com", small, sizeof(small));
		if (rc != (n < sizeof(small) ? 0 : -2))
			fail("from_verp: small buffer gives a wrong code", in, got);
		if (nf_token_verify(key, got, &id, &created) == NF_TOKEN_OK)
			check_verified(got, id, created);
	}

	/* (3) edits to a valid token */
	if (size >= 8) {
		uint64_t mid = 0;
		char orig[NF_TOKEN_SIZE];

		for (i = 0; i < 8; i++)
			mid = mid << 8 | data[i];
		if (nf_token_make(key, mid, (int64_t)(mid % 65536) * 86400, tok, sizeof(tok)) != 0)
			fail("make failed for a valid day", in, "");
		memcpy(orig, tok, sizeof(tok));
		for (i = 8; i + 1 < size; i += 2)
			tok[data[i] % NF_TOKEN_LEN] = data[i + 1] ? (char)data[i + 1] : 'a';
		rc = nf_token_verify(key, tok, &id, &created);
		if (rc == NF_TOKEN_OK && (strcasecmp(tok, orig) != 0 || id != mid))
			fail("an altered token verifies", tok, orig);
		if (rc != NF_TOKEN_OK && strcasecmp(tok, orig) == 0)
			fail("a token differing only in case fails", tok, orig);
	}
	free(in);
	return 0;
}
