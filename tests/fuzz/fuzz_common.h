/*
 * fuzz_common.h - helpers shared by the report parser's libFuzzer targets:
 * run the whole report pipeline on a buffer, in chunks whose sizes come
 * from the input itself so that chunk boundaries are fuzzed too, with small
 * limits so that the cut paths are reached.
 */
#ifndef NF_FUZZ_COMMON_H
#define NF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report.h"

static void
fuzz_report(const char *prefix, const uint8_t *data, size_t size, int small)
{
	struct nf_report_limits lim = {
		.mime = { .max_line = 256, .max_header = 512, .max_headers = 20,
			.max_depth = 4, .max_bytes = 1 << 20 },
		.max_rcpts = 8, .max_text = 4096,
	};
	struct nf_report *r = nf_report_new(small ? &lim : NULL);
	size_t i = 0, n, k;
	size_t step = size > 0 ? (size_t)data[0] % 61 + 1 : 1;

	if (r == NULL)
		return;
	nf_report_envelope(r, "", "bounce+tok@example.net");
	if (prefix)
		nf_report_push(r, prefix, strlen(prefix));
	while (i < size) {
		n = size - i < step ? size - i : step;
		nf_report_push(r, (const char *)data + i, n);
		i += n;
	}
	nf_report_finish(r);
	for (k = 0; k < nf_report_count(r); k++) {
		const struct nf_report_rcpt *x = nf_report_get(r, k);

		/* touch every string so ASan sees a bad pointer */
		(void)(strlen(x->recipient) + strlen(x->action) + strlen(x->status) +
		    strlen(x->reason) + strlen(x->diagnostic) + strlen(x->remote_mta) +
		    strlen(x->feedback_type) + strlen(x->reply));
	}
	(void)(strlen(nf_report_token(r)) + strlen(nf_report_message_id(r)) +
	    strlen(nf_report_arf_field(r, "source-ip")));
	nf_report_free(r);
}

#endif
