/*
 * fuzz_dsn.c - libFuzzer target: RFC 3464 fields, line by line, and the
 * report pipeline on the input as the body of a message/delivery-status
 * part (which reaches the classifier with hostile diagnostics).
 */
#include "config.h"

#include "dsn.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nf_dsn d;
	size_t i = 0;

	nf_dsn_init(&d, 16);
	while (i < size) {
		const char *p = (const char *)data + i;
		const char *nl = memchr(p, '\n', size - i);
		size_t n = nl ? (size_t)(nl - p) : size - i;

		nf_dsn_line(&d, p, n);
		i += n + 1;
	}
	nf_dsn_end(&d);
	nf_dsn_free(&d);
	fuzz_report("From: MAILER-DAEMON@example.org\nContent-Type: multipart/report; "
	    "boundary=x\n\n--x\nContent-Type: message/delivery-status\n\n", data, size, 0);
	fuzz_report("Subject: Undelivered Mail\nFrom: postmaster@example.org\n\n",
	    data, size, 1);
	return 0;
}
