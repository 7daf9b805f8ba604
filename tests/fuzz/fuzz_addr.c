/*
 * fuzz_addr.c - libFuzzer target for lib/addr.c.
 *
 * The input, made a C string (a NUL inside ends it, as it would for any
 * caller), goes through nf_addr_normalize with a full-size and a too-small
 * output buffer, and the result (and the raw input) through
 * nf_addr_typo_hint and nf_addr_domain.  Besides the sanitizers it checks
 * the contract: a key is at most NF_ADDR_MAX octets, normalising a key gives
 * the same key, a too-small buffer gives -1 and never a cut key, a hint fits
 * its buffer.  A broken property aborts, so libFuzzer reports it.
 *   ./tests/fuzz/fuzz_addr -max_total_time=60 tests/fuzz/seeds/addr
 */
#include "addr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *in, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_addr: %s\n  input \"%s\"\n  got   \"%s\"\n  other \"%s\"\n",
	    what, in, a, b);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[NF_ADDR_MAX + 1], again[NF_ADDR_MAX + 1], small[24];
	char hint[NF_ADDR_MAX + 1], tiny[8];
	const char *why = NULL, *d;
	char *in;
	int rc, rc2;

	if (size > 4096)
		return 0;
	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	rc = nf_addr_normalize(in, key, sizeof(key), &why);
	if (rc != 0 && rc != -1)
		fail("return value not 0 or -1", in, "", "");
	if (rc == -1 && (why == NULL || why[0] == '\0'))
		fail("-1 without a reason", in, "", "");
	if (rc == 0) {
		if (strlen(key) > NF_ADDR_MAX)
			fail("key longer than NF_ADDR_MAX", in, key, "");
		if ((d = nf_addr_domain(key)) == NULL || d[0] == '\0')
			fail("key without a domain", in, key, "");
		why = NULL;
		if (nf_addr_normalize(key, again, sizeof(again), &why) != 0)
			fail("key does not normalise again", in, key, why ? why : "");
		if (strcmp(key, again) != 0)
			fail("normalising a key changes it", in, key, again);
		if (nf_addr_typo_hint(key, hint, sizeof(hint)) == 1 &&
		    (strlen(hint) > NF_ADDR_MAX || strcmp(hint, key) == 0))
			fail("bad typo hint", in, key, hint);
		if (nf_addr_typo_hint(key, tiny, sizeof(tiny)) == 1 &&
		    strnlen(tiny, sizeof(tiny)) >= sizeof(tiny))
			fail("hint overran a small buffer", in, key, "");
	}

	/* a buffer too small for most keys: -1, or a key that fits */
	rc2 = nf_addr_normalize(in, small, sizeof(small), &why);
	if (rc2 != rc && !(rc == 0 && rc2 == -1 && strlen(key) >= sizeof(small)))
		fail("small buffer changes the verdict", in, rc == 0 ? key : "", "");
	if (rc2 == 0 && strcmp(small, key) != 0)
		fail("small buffer gives another key", in, small, key);

	/* the hint must not misbehave on unnormalised text either */
	(void)nf_addr_typo_hint(in, hint, sizeof(hint));
	(void)nf_addr_domain(in);
	free(in);
	return 0;
}
