/*
 * arf.c - RFC 5965 feedback report fields (see arf.h).
 *
 * Ownership: struct nf_arf owns its buffers.  Failure: values over their cap
 * are cut (marked truncated in the nf_buf); allocation failure sets `nomem`.
 * The first occurrence of a single-valued field wins, as RFC 5965 allows
 * each only once.
 */
#include "arf.h"

#include <ctype.h>
#include <string.h>

#include "dsn.h"

#define ARF_VALUE_MAX 1024

void
nf_arf_init(struct nf_arf *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	nf_buf_init(&a->feedback_type, 64);
	nf_buf_init(&a->user_agent, ARF_VALUE_MAX);
	nf_buf_init(&a->original_mail_from, ARF_VALUE_MAX);
	nf_buf_init(&a->source_ip, 128);
	nf_buf_init(&a->arrival_date, 256);
	nf_buf_init(&a->reported_domain, 512);
	nf_buf_init(&a->auth_results, ARF_VALUE_MAX);
	for (i = 0; i < NF_ARF_MAX_RCPTS; i++)
		nf_buf_init(&a->rcpt[i], 512);
	nf_buf_init(&a->field, 8192);
}

static void
set_once(struct nf_arf *a, struct nf_buf *b, const char *v)
{
	if (b->len == 0 && nf_buf_puts(b, v) == NF_BUF_NOMEM)
		a->nomem = 1;
}

static void
flush(struct nf_arf *a)
{
	char name[40];
	const char *v;

	if (a->field.len == 0)
		return;
	if (!nf_dsn_field_split(a->field.data, a->field.len, name, sizeof(name), &v))
		goto out;
	if (strcmp(name, "feedback-type") == 0) {
		size_t i;

		set_once(a, &a->feedback_type, v);
		for (i = 0; i < a->feedback_type.len; i++)
			a->feedback_type.data[i] = (char)tolower((unsigned char)a->feedback_type.data[i]);
	} else if (strcmp(name, "user-agent") == 0)
		set_once(a, &a->user_agent, v);
	else if (strcmp(name, "original-mail-from") == 0)
		set_once(a, &a->original_mail_from, v);
	else if (strcmp(name, "source-ip") == 0)
		set_once(a, &a->source_ip, v);
	else if (strcmp(name, "arrival-date") == 0 || strcmp(name, "received-date") == 0)
		set_once(a, &a->arrival_date, v);
	else if (strcmp(name, "reported-domain") == 0)
		set_once(a, &a->reported_domain, v);
	else if (strcmp(name, "authentication-results") == 0)
		set_once(a, &a->auth_results, v);
	else if (strcmp(name, "original-rcpt-to") == 0 || strcmp(name, "removal-recipient") == 0) {
		if (a->nrcpt < NF_ARF_MAX_RCPTS)
			set_once(a, &a->rcpt[a->nrcpt++], v);
	} else if (strcmp(name, "version") != 0 && strcmp(name, "incidents") != 0 &&
	    strcmp(name, "reported-uri") != 0)
		goto out;
	a->nfields++;
out:
	nf_buf_reset(&a->field);
}

int
nf_arf_line(struct nf_arf *a, const char *l, size_t len)
{
	if (len > 0 && (l[0] == ' ' || l[0] == '\t')) {
		if (a->field.len > 0) {
			nf_buf_putc(&a->field, ' ');
			if (nf_buf_append(&a->field, l, len) == NF_BUF_NOMEM)
				a->nomem = 1;
		}
		return a->nomem ? -1 : 0;
	}
	flush(a);
	if (len > 0 && nf_buf_append(&a->field, l, len) == NF_BUF_NOMEM)
		a->nomem = 1;
	return a->nomem ? -1 : 0;
}

int
nf_arf_end(struct nf_arf *a)
{
	flush(a);
	return a->nomem ? -1 : 0;
}

void
nf_arf_free(struct nf_arf *a)
{
	size_t i;

	nf_buf_free(&a->feedback_type);
	nf_buf_free(&a->user_agent);
	nf_buf_free(&a->original_mail_from);
	nf_buf_free(&a->source_ip);
	nf_buf_free(&a->arrival_date);
	nf_buf_free(&a->reported_domain);
	nf_buf_free(&a->auth_results);
	for (i = 0; i < NF_ARF_MAX_RCPTS; i++)
		nf_buf_free(&a->rcpt[i]);
	nf_buf_free(&a->field);
}
