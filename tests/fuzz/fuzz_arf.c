/*
 * fuzz_arf.c - libFuzzer target: RFC 5965 feedback fields, line by line,
 * and the report pipeline on the input as a message/feedback-report part
 * followed by whatever the input holds.
 */
#include "config.h"

#include "arf.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nf_arf a;
	size_t i = 0;

	nf_arf_init(&a);
	while (i < size) {
		const char *p = (const char *)data + i;
		const char *nl = memchr(p, '\n', size - i);
		size_t n = nl ? (size_t)(nl - p) : size - i;

		nf_arf_line(&a, p, n);
		i += n + 1;
	}
	nf_arf_end(&a);
	nf_arf_free(&a);
	fuzz_report("Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=y\n\n--y\nContent-Type: message/feedback-report\n\n", data, size, 0);
	return 0;
}
