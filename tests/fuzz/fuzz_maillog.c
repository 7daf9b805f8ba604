/*
 * fuzz_maillog.c - libFuzzer target for lib/maillog.c.
 *
 * The input is parsed as one log line from a buffer of exactly its size
 * (so ASan sees a read past the end), and again with a newline appended.
 * Checks besides the sanitizers: the result is one of the two documented
 * codes; a delivery has a known status, a queue id of 5+ letters and
 * digits, every string NUL-terminated inside its field, a recipient
 * exactly when has_rcpt, a diagnostic of at most NF_MAILLOG_DIAG_MAX
 * bytes, and the same answer with and without the newline; nf_maillog_time never fails on a parsed RFC 3339
 * stamp.
 *   ./tests/fuzz/fuzz_maillog -max_total_time=60 tests/fuzz/seeds/maillog
 */
#include "maillog.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_maillog: %s\n  \"%.*s\"\n", what,
	    (int)(size > 300 ? 300 : size), (const char *)data);
	abort();
}

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void
check(const struct nf_maillog_rec *r, const uint8_t *data, size_t size)
{
	size_t i, n;

	if (!TERMINATED(r->host) || !TERMINATED(r->tag) ||
	    !TERMINATED(r->program) || !TERMINATED(r->queue_id) ||
	    !TERMINATED(r->status_word) || !TERMINATED(r->to) ||
	    !TERMINATED(r->orig_to) || !TERMINATED(r->from) ||
	    !TERMINATED(r->relay) || !TERMINATED(r->dsn) ||
	    !TERMINATED(r->diag))
		fail("a field is not NUL-terminated", data, size);
	if (strcmp(nf_maillog_status_name(r->status), "unknown") == 0)
		fail("unknown status", data, size);
	n = strlen(r->queue_id);
	if (n < 5)
		fail("queue id shorter than 5", data, size);
	for (i = 0; i < n; i++) {
		char c = r->queue_id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z')))
			fail("queue id not letters and digits", data, size);
	}
	if (r->has_rcpt != (r->to[0] != '\0'))
		fail("has_rcpt and to disagree", data, size);
	if (!r->has_rcpt && r->status != NF_MAILLOG_EXPIRED)
		fail("no recipient, not an expiry", data, size);
	n = strlen(r->diag);
	if (n > NF_MAILLOG_DIAG_MAX)
		fail("diagnostic too long", data, size);
	if (r->ts.year != 0) {
		int64_t t;

		if (!r->ts.has_tz || nf_maillog_time(&r->ts, 0, &t) != 0) {
			/* a parsed RFC 3339 date may still be Feb 30 */
			if (r->ts.mday <= 28)
				fail("valid RFC 3339 stamp has no time", data, size);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nf_maillog_rec r1, r2;
	char *exact, *nl;
	int rc1, rc2;

	if (size > NF_MAILLOG_LINE_MAX + 16)
		return 0;
	/* exactly `size` bytes: a read past the end is an ASan error */
	exact = malloc(size ? size : 1);
	nl = malloc(size + 1);
	if (exact == NULL || nl == NULL) {
		free(exact);
		free(nl);
		return 0;
	}
	memcpy(exact, data, size);
	memcpy(nl, data, size);
	nl[size] = '\n';
	rc1 = nf_maillog_parse(exact, size, &r1);
	if (rc1 != NF_MAILLOG_DELIVERY && rc1 != NF_MAILLOG_OTHER)
		fail("undocumented result code", data, size);
	if (rc1 == NF_MAILLOG_DELIVERY)
		check(&r1, data, size);
	/* a trailing newline changes nothing, unless the input already
	 * ended in one or in "\r" (then the two strip differently) */
	if (size == 0 || (data[size - 1] != '\n' && data[size - 1] != '\r')) {
		rc2 = nf_maillog_parse(nl, size + 1, &r2);
		if (rc2 != rc1)
			fail("a trailing newline changes the answer", data, size);
		if (rc1 == NF_MAILLOG_DELIVERY &&
		    (strcmp(r1.to, r2.to) != 0 || strcmp(r1.diag, r2.diag) != 0 ||
		    strcmp(r1.queue_id, r2.queue_id) != 0 || r1.status != r2.status))
			fail("a trailing newline changes a field", data, size);
	}
	free(exact);
	free(nl);
	return 0;
}
