/*
 * fuzz_mime.c - libFuzzer target: the MIME push parser and the whole
 * report pipeline on raw messages; also RFC 2047 decoding of the input as
 * a header value.
 *
 * Besides "no crash, no leak", the parser must not depend on how its input
 * is cut into pushes (the milter, the pipe and a file read push different
 * chunks): the events of one whole push, of pushes of a size taken from the
 * input, and of one byte at a time (short inputs) are hashed and must be
 * the same.  Every value handed to the handler must be NUL-terminated at
 * its length and within the limits.  A difference aborts, so libFuzzer
 * keeps the input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
	uint64_t h;		/* FNV-1a of every event */
	size_t nev;
	unsigned skip_mod;	/* bodies of parts with index % skip_mod == 1 skipped */
	size_t max_value;	/* longest value the limits allow */
};

static void
mix(struct trace *t, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		t->h ^= s[i];
		t->h *= 1099511628211ULL;
	}
}

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_mime: %s\n", what);
	abort();
}

static int
sink(void *ctx, int ev, const struct nf_mime_part *p, const char *name,
    const char *v, size_t len)
{
	struct trace *t = ctx;
	unsigned u[6] = { (unsigned)ev, p->depth, p->in_message, p->index, (unsigned)p->enc,
		(unsigned)p->headers_only };

	t->nev++;
	mix(t, u, sizeof(u));
	mix(t, p->type, strlen(p->type) + 1);
	mix(t, p->charset, strlen(p->charset) + 1);
	mix(t, p->report_type, strlen(p->report_type) + 1);
	if (name)
		mix(t, name, strlen(name) + 1);
	if (v) {
		if (v[len] != '\0')
			fail("a value is not NUL-terminated at its length");
		if (len > t->max_value)
			fail("a value is longer than the limits allow");
		mix(t, &len, sizeof(len));
		mix(t, v, len);
	}
	if (ev == NF_MIME_BODY && t->skip_mod && p->index % t->skip_mod == 1)
		return NF_MIME_SKIP;
	return 0;
}

/* Events of the parse with pushes of `step` bytes (0: all at once). */
static uint64_t
run(const struct nf_mime_limits *lim, const uint8_t *data, size_t size, size_t step,
    unsigned skip_mod, unsigned *flags)
{
	struct trace t = { 14695981039346656037ULL, 0, skip_mod, 0 };
	struct nf_mime_handler h = { sink, &t };
	struct nf_mime *m;
	size_t i = 0;

	t.max_value = lim->max_header > lim->max_line * 4 + 16 ?
	    lim->max_header : lim->max_line * 4 + 16;
	if ((m = nf_mime_new(lim, &h)) == NULL)
		return 0;
	if (step == 0)
		step = size ? size : 1;
	while (i < size) {
		size_t n = size - i < step ? size - i : step;

		nf_mime_push(m, (const char *)data + i, n);
		i += n;
	}
	nf_mime_finish(m);
	*flags = nf_mime_flags(m);
	mix(&t, flags, sizeof(*flags));
	mix(&t, &t.nev, sizeof(t.nev));
	nf_mime_free(m);
	return t.h;
}

static void
same_for_any_chunks(const struct nf_mime_limits *lim, const uint8_t *data, size_t size)
{
	unsigned skip_mod = size > 1 ? data[1] % 4 : 0;
	size_t step = size > 0 ? (size_t)data[0] % 97 + 1 : 1;
	unsigned f1 = 0, f2 = 0, f3 = 0;
	uint64_t whole = run(lim, data, size, 0, skip_mod, &f1);

	if (run(lim, data, size, step, skip_mod, &f2) != whole)
		fail("events differ between one push and pushes of the input's step size");
	if (size <= 4096 && run(lim, data, size, 1, skip_mod, &f3) != whole)
		fail("events differ between one push and byte-by-byte pushes");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nf_mime_limits def = {
		.max_line = 8192, .max_header = 16384, .max_headers = 500,
		.max_depth = 16, .max_bytes = 32u << 20,
	};
	static const struct nf_mime_limits small = {
		.max_line = 80, .max_header = 300, .max_headers = 12,
		.max_depth = 3, .max_bytes = 3000,
	};
	struct nf_buf b;

	same_for_any_chunks(&def, data, size);
	same_for_any_chunks(&small, data, size);
	fuzz_report(NULL, data, size, 0);
	fuzz_report(NULL, data, size, 1);
	nf_buf_init(&b, 4096);
	nf_mime_decode_words((const char *)data, size, &b);
	nf_buf_free(&b);
	return 0;
}
