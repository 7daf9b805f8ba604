/*
 * t_confdoc.c - the documentation cannot drift from the code: every key in
 * conf.c's table is described in notifilter.conf(5) and shown in the example
 * configuration, and the example configuration loads.
 */
#include "conf.h"
#include "log.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *data;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	data = calloc(1, (size_t)n + 1);
	if (data && fread(data, 1, (size_t)n, fp) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(fp);
	return data;
}

/* Does `text` hold a line that starts with `prefix` followed by `key` and a
 * blank or the end of the line (case-insensitive key)? */
static int
has_line(const char *text, const char *prefix, const char *key)
{
	const char *p = text;
	size_t pl = strlen(prefix), kl = strlen(key);

	while (p && *p) {
		if (strncmp(p, prefix, pl) == 0 && strncasecmp(p + pl, key, kl) == 0 &&
		    (p[pl + kl] == ' ' || p[pl + kl] == '\t' || p[pl + kl] == '\n'))
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	char *man, *example;
	size_t n, i;
	const struct nf_conf_keyinfo *k = nf_conf_keys(&n);
	struct nf_conf *c = NULL;
	struct nf_buf err;

	if (top == NULL)
		top = ".";
	nf_log_open("t_confdoc", -1, 0, NF_LOG_ERR);
	snprintf(path, sizeof(path), "%s/man/notifilter.conf.5", top);
	man = slurp(path);
	ok(man != NULL, "notifilter.conf(5) is readable at %s", path);
	snprintf(path, sizeof(path), "%s/contrib/notifilter.conf", top);
	example = slurp(path);
	ok(example != NULL, "the example configuration is readable at %s", path);
	if (man == NULL || example == NULL)
		return tap_done();
	for (i = 0; i < n; i++) {
		ok(has_line(man, ".B ", k[i].name),
		    "notifilter.conf(5) describes %s (a '.B %s' line)", k[i].name, k[i].name);
		ok(has_line(example, "", k[i].name) || has_line(example, "#", k[i].name),
		    "the example configuration shows %s", k[i].name);
	}
	nf_buf_init(&err, 2048);
	ok(nf_conf_load(path, &c, &err) == 0, "the example configuration loads");
	if (c == NULL)
		diag("%s", nf_buf_cstr(&err));
	nf_conf_unref(c);
	nf_buf_free(&err);
	free(man);
	free(example);
	return tap_done();
}
