/*
 * dsn.c - RFC 3464 delivery status fields (see dsn.h).
 *
 * Ownership: struct nf_dsn owns every record and value; nf_dsn_free()
 * releases them.  Failure: a value over its cap is cut (the nf_buf marks
 * it truncated); allocation failure sets `nomem` and drops the field.
 * A line that is not a field ends the current group, like a blank line,
 * so free text around inline fields cannot glue two recipients together.
 */
#include "dsn.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DSN_VALUE_MAX 4096
#define DSN_FIELD_MAX 8192

static const char *const names[NF_DSN_NFIELDS] = {
	"final-recipient", "original-recipient", "action", "status",
	"remote-mta", "diagnostic-code", "last-attempt-date", "will-retry-until",
	"x-powermta-bouncecategory",
};

void
nf_dsn_init(struct nf_dsn *d, size_t max_rcpts)
{
	memset(d, 0, sizeof(*d));
	nf_buf_init(&d->reporting_mta, 512);
	nf_buf_init(&d->arrival_date, 128);
	nf_buf_init(&d->field, DSN_FIELD_MAX);
	d->max_rcpts = max_rcpts;
	d->cur = -1;
}

int
nf_dsn_field_split(const char *l, size_t len, char *name, size_t namelen,
    const char **value)
{
	size_t i, j;

	for (i = 0; i < len && l[i] != ':' && l[i] > ' ' && l[i] < 127; i++)
		;
	j = i;
	while (j < len && (l[j] == ' ' || l[j] == '\t'))
		j++;
	if (i == 0 || j >= len || l[j] != ':' || i >= namelen)
		return 0;
	for (j = 0; j < i; j++)
		name[j] = (char)tolower((unsigned char)l[j]);
	name[i] = '\0';
	while (i < len && l[i] != ':')
		i++;
	i++;
	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	*value = l + i;
	return 1;
}

const char *
nf_dsn_typed(const char *v, char *type, size_t typelen)
{
	size_t i;
	const char *semi = strchr(v, ';');

	if (typelen)
		type[0] = '\0';
	if (semi == NULL)
		return v;
	for (i = 0; v + i < semi; i++)
		if (v[i] == ' ' || v[i] == '<' || v[i] == '@')
			return v;	/* not a type token */
	if (typelen) {
		size_t n = (size_t)(semi - v);

		if (n >= typelen)
			n = typelen - 1;
		for (i = 0; i < n; i++)
			type[i] = (char)tolower((unsigned char)v[i]);
		type[n] = '\0';
	}
	semi++;
	while (*semi == ' ' || *semi == '\t')
		semi++;
	return semi;
}

static struct nf_dsn_rcpt *
new_rcpt(struct nf_dsn *d)
{
	struct nf_dsn_rcpt *r;
	int i;

	if (d->n >= d->max_rcpts) {
		d->cut++;
		d->group_dropped = 1;
		return NULL;
	}
	r = realloc(d->rcpt, (d->n + 1) * sizeof(*d->rcpt));
	if (r == NULL) {
		d->nomem = 1;
		d->group_dropped = 1;
		return NULL;
	}
	d->rcpt = r;
	r = &d->rcpt[d->n];
	for (i = 0; i < NF_DSN_NFIELDS; i++)
		nf_buf_init(&r->f[i], DSN_VALUE_MAX);
	d->cur = (int)d->n++;
	d->group_dropped = 0;
	return r;
}

static int
flush_field(struct nf_dsn *d)
{
	char name[40];
	const char *v;
	int k;
	struct nf_dsn_rcpt *r;

	if (d->field.len == 0)
		return 0;
	if (!nf_dsn_field_split(d->field.data, d->field.len, name, sizeof(name), &v))
		goto out;
	if (strcmp(name, "reporting-mta") == 0) {
		d->nfields++;
		if (d->reporting_mta.len == 0)
			nf_buf_puts(&d->reporting_mta, v);
		goto out;
	}
	if (strcmp(name, "arrival-date") == 0) {
		d->nfields++;
		if (d->arrival_date.len == 0)
			nf_buf_puts(&d->arrival_date, v);
		goto out;
	}
	for (k = 0; k < NF_DSN_NFIELDS; k++)
		if (strcmp(name, names[k]) == 0)
			break;
	if (k == NF_DSN_NFIELDS)
		goto out;
	d->nfields++;
	r = d->cur >= 0 ? &d->rcpt[d->cur] : NULL;
	if (k == NF_DSN_FINAL_RCPT || k == NF_DSN_ORIG_RCPT) {
		if (r == NULL || r->f[k].len > 0 ||
		    (k == NF_DSN_ORIG_RCPT && r->f[NF_DSN_FINAL_RCPT].len > 0 &&
		    r->f[NF_DSN_STATUS].len > 0))
			r = new_rcpt(d);
	} else if (r == NULL) {
		if (d->group_dropped)
			goto out;
		/* per-recipient field before any recipient: a record of its own */
		r = new_rcpt(d);
	}
	if (r && r->f[k].len == 0 && nf_buf_puts(&r->f[k], v) == NF_BUF_NOMEM)
		d->nomem = 1;
out:
	nf_buf_reset(&d->field);
	return d->nomem ? -1 : 0;
}

/* Is name (lower case) a field flush_field() keeps?  Text lines such as
 * "Subject: ..." are not collected only to be dropped at the next line. */
static int
known_field(const char *name)
{
	int k;

	if (strcmp(name, "reporting-mta") == 0 || strcmp(name, "arrival-date") == 0)
		return 1;
	for (k = 0; k < NF_DSN_NFIELDS; k++)
		if (strcmp(name, names[k]) == 0)
			return 1;
	return 0;
}

int
nf_dsn_line(struct nf_dsn *d, const char *l, size_t len)
{
	char name[40];
	const char *v;

	if (len > 0 && (l[0] == ' ' || l[0] == '\t')) {
		size_t i = 0;

		while (i < len && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (d->field.len > 0 && i < len) {
			nf_buf_putc(&d->field, ' ');
			if (nf_buf_append(&d->field, l + i, len - i) == NF_BUF_NOMEM)
				d->nomem = 1;
			return d->nomem ? -1 : 0;
		}
		if (i == len)
			goto blank;
		return 0;
	}
	flush_field(d);
	if (len == 0 || !nf_dsn_field_split(l, len, name, sizeof(name), &v))
		goto blank;
	/* an unknown field is dropped whole, its folded lines with it */
	if (!known_field(name))
		return 0;
	if (nf_buf_append(&d->field, l, len) == NF_BUF_NOMEM)
		d->nomem = 1;
	return d->nomem ? -1 : 0;
blank:
	d->cur = -1;
	d->group_dropped = 0;
	return d->nomem ? -1 : 0;
}

int
nf_dsn_end(struct nf_dsn *d)
{
	flush_field(d);
	d->cur = -1;
	return d->nomem ? -1 : 0;
}

void
nf_dsn_free(struct nf_dsn *d)
{
	size_t i;
	int k;

	for (i = 0; i < d->n; i++)
		for (k = 0; k < NF_DSN_NFIELDS; k++)
			nf_buf_free(&d->rcpt[i].f[k]);
	free(d->rcpt);
	nf_buf_free(&d->reporting_mta);
	nf_buf_free(&d->arrival_date);
	nf_buf_free(&d->field);
	memset(d, 0, sizeof(*d));
	d->cur = -1;
}
