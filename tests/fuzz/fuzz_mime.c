/*
 * fuzz_mime.c - libFuzzer target: the MIME push parser and the whole
 * report pipeline on raw messages; also RFC 2047 decoding of the input as
 * a header value.
 */
#include "config.h"

#include "fuzz_common.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sink(void *ctx, int ev, const struct nf_mime_part *p, const char *name,
    const char *v, size_t len)
{
	size_t *n = ctx;

	(void)ev;
	*n += p->depth + (name ? strlen(name) : 0) + (v ? strlen(v) : 0) + len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nf_mime_handler h;
	struct nf_mime *m;
	struct nf_buf b;
	size_t n = 0;

	h.fn = sink;
	h.ctx = &n;
	if ((m = nf_mime_new(NULL, &h)) != NULL) {
		nf_mime_push(m, (const char *)data, size);
		nf_mime_finish(m);
		nf_mime_free(m);
	}
	fuzz_report(NULL, data, size, 0);
	fuzz_report(NULL, data, size, 1);
	nf_buf_init(&b, 4096);
	nf_mime_decode_words((const char *)data, size, &b);
	nf_buf_free(&b);
	return 0;
}
