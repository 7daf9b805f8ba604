/*
 * fuzz_phone.c - libFuzzer target for lib/phone.c.
 *
 * Input "CC|number": the text before the first '|' is the default country
 * (calling-code digits, possibly bad); with no '|' the whole input is the
 * number and there is no default country.  Checks besides the sanitizers:
 * a result is '+' and 8..15 digits, normalising a result (with no default
 * country) gives it back, a too-small buffer gives -1 and never a cut
 * number.  A broken property aborts.
 *   ./tests/fuzz/fuzz_phone -max_total_time=60 tests/fuzz/seeds/phone
 */
#include "phone.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *num, const char *cc, const char *got)
{
	fprintf(stderr, "fuzz_phone: %s\n  number \"%s\" country \"%s\"\n  got \"%s\"\n",
	    what, num, cc ? cc : "(null)", got);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[NF_PHONE_MAX + 1], again[NF_PHONE_MAX + 1], small[10];
	const char *why = NULL, *cc = NULL, *num;
	char *in, *bar;
	size_t n, i;
	int rc, rc2;

	if (size > 4096)
		return 0;
	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	num = in;
	if ((bar = strchr(in, '|')) != NULL) {
		*bar = '\0';
		cc = in;
		num = bar + 1;
	}

	rc = nf_phone_normalize(num, cc, out, sizeof(out), &why);
	if (rc != 0 && rc != -1)
		fail("return value not 0 or -1", num, cc, "");
	if (rc == -1 && (why == NULL || why[0] == '\0'))
		fail("-1 without a reason", num, cc, "");
	if (rc == 0) {
		n = strlen(out);
		if (out[0] != '+' || n < 9 || n > NF_PHONE_MAX)
			fail("result is not + and 8..15 digits", num, cc, out);
		for (i = 1; i < n; i++)
			if (out[i] < '0' || out[i] > '9')
				fail("non-digit in the result", num, cc, out);
		if (nf_phone_normalize(out, NULL, again, sizeof(again), &why) != 0)
			fail("result does not normalise again", num, cc, out);
		if (strcmp(out, again) != 0)
			fail("normalising a result changes it", num, cc, again);
	}
	rc2 = nf_phone_normalize(num, cc, small, sizeof(small), &why);
	if (rc2 != rc && !(rc == 0 && rc2 == -1 && strlen(out) >= sizeof(small)))
		fail("small buffer changes the verdict", num, cc, rc == 0 ? out : "");
	if (rc2 == 0 && strcmp(small, out) != 0)
		fail("small buffer gives another result", num, cc, small);
	free(in);
	return 0;
}
