/*
 * cmd_doctor.c - notifilterctl doctor: is this installation ready?
 *
 *   doctor [--json] [--resolver IP[:PORT]] [--outbound-ip IP]...
 *          [--timeout SECONDS] [--full]
 *
 * Runs every check in the order an administrator fixes things (config,
 * user, settings, secret, store, MailLog, milter socket, DNS, channels)
 * and prints one line per result: "pass", "warn" or "fail", the check's
 * name and subject, what was found and, for warn and fail, a hint saying
 * what to change and where.  --json prints the same as one object.
 *
 * Exit status: 0 when no line is a fail (warnings allowed), 1 when any is
 * (a config that does not load is such a fail line, with file:line, and
 * then nothing else can be checked), 64 for bad arguments, 70 when a
 * result could not even be stored (out of memory).  doctor only reads:
 * it creates no store, migrates nothing and sends no message.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "doctor.h"

#define DOC_TIMEOUT_DEFAULT_MS 5000
#define DOC_TIMEOUT_MAX_S 60
#define DOC_OUTBOUND_MAX 16

static const char *const status_word[] = { "pass", "warn", "fail" };

static char * __attribute__((format(printf, 1, 0)))
vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void
nf_doc_add(struct nf_doc *d, enum nf_doc_status st, const char *check,
    const char *subject, const char *fmt, ...)
{
	struct nf_doc_line *l;
	va_list ap;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct nf_doc_line *nl = realloc(d->lines, cap * sizeof *nl);

		if (nl == NULL) {
			d->oom = 1;
			return;
		}
		d->lines = nl;
		d->cap = cap;
	}
	l = &d->lines[d->n];
	memset(l, 0, sizeof *l);
	l->status = st;
	va_start(ap, fmt);
	l->msg = vfmt(fmt, ap);
	va_end(ap);
	l->check = strdup(check);
	l->subject = subject ? strdup(subject) : NULL;
	if (l->msg == NULL || l->check == NULL ||
	    (subject != NULL && l->subject == NULL)) {
		free(l->msg);
		free(l->check);
		free(l->subject);
		d->oom = 1;
		return;
	}
	d->n++;
}

void
nf_doc_hint(struct nf_doc *d, const char *fmt, ...)
{
	struct nf_doc_line *l;
	va_list ap;

	if (d->n == 0)
		return;
	l = &d->lines[d->n - 1];
	free(l->hint);
	va_start(ap, fmt);
	l->hint = vfmt(fmt, ap);
	va_end(ap);
	if (l->hint == NULL)
		d->oom = 1;
}

static void
doc_free(struct nf_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->lines[i].check);
		free(d->lines[i].subject);
		free(d->lines[i].msg);
		free(d->lines[i].hint);
	}
	free(d->lines);
	d->lines = NULL;
	d->n = d->cap = 0;
}

static void
count(const struct nf_doc *d, size_t n[3])
{
	size_t i;

	n[0] = n[1] = n[2] = 0;
	for (i = 0; i < d->n; i++)
		n[d->lines[i].status]++;
}

static int
print_text(const struct nf_doc *d)
{
	const struct nf_doc_line *l;
	size_t i, n[3];

	for (i = 0; i < d->n; i++) {
		l = &d->lines[i];
		printf("%s  %s%s%s: %s", status_word[l->status], l->check,
		    l->subject ? " " : "", l->subject ? l->subject : "", l->msg);
		if (l->hint != NULL)
			printf(" -- hint: %s", l->hint);
		putchar('\n');
	}
	count(d, n);
	printf("doctor: %zu pass, %zu warn, %zu fail\n", n[0], n[1], n[2]);
	return NF_EX_OK;
}

static int
print_json(const struct nf_doc *d)
{
	const struct nf_doc_line *l;
	json_t *root, *arr, *o;
	size_t i, n[3];
	int bad = 0;

	root = json_object();
	arr = json_array();
	if (root == NULL || arr == NULL) {
		json_decref(root);
		json_decref(arr);
		return nf_ctl_json_print(NULL);
	}
	for (i = 0; i < d->n; i++) {
		l = &d->lines[i];
		o = json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "status",
		    status_word[l->status], "check", l->check, "subject",
		    l->subject, "message", l->msg, "hint", l->hint);
		/* json_pack refuses invalid UTF-8 (a path from the config):
		 * keep the line, say so, never drop it */
		if (o == NULL)
			o = json_pack("{s:s, s:s, s:n, s:s, s:n}", "status",
			    status_word[l->status], "check", l->check, "subject",
			    "message", "(not valid UTF-8; see the text output)",
			    "hint");
		if (o == NULL || json_array_append_new(arr, o) != 0)
			bad = 1;
	}
	count(d, n);
	if (json_object_set_new(root, "config", json_string(d->conf_path)) ||
	    json_object_set_new(root, "checks", arr) ||
	    json_object_set_new(root, "pass", json_integer((json_int_t)n[0])) ||
	    json_object_set_new(root, "warn", json_integer((json_int_t)n[1])) ||
	    json_object_set_new(root, "fail", json_integer((json_int_t)n[2])) ||
	    bad) {
		json_decref(root);
		return nf_ctl_json_print(NULL);
	}
	return nf_ctl_json_print(root);
}

static int
parse_timeout(const char *s, long *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) ||
	    v > DOC_TIMEOUT_MAX_S)
		return -1;
	*ms = (long)(v * 1000 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

int
nf_cmd_doctor(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "full", no_argument, NULL, 'F' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "outbound-ip", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *outbound[DOC_OUTBOUND_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	struct nf_doc d;
	struct nf_buf err;
	size_t n[3];
	int ch, rc;

	memset(&d, 0, sizeof d);
	d.opts.timeout_ms = DOC_TIMEOUT_DEFAULT_MS;
	d.opts.outbound = outbound;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			d.opts.json = 1;
			break;
		case 'F':
			d.opts.full = 1;
			break;
		case 'r':
			d.opts.resolver = optarg;
			break;
		case 'o':
			if (inet_pton(AF_INET, optarg, &a4) != 1 &&
			    inet_pton(AF_INET6, optarg, &a6) != 1)
				return nf_ctl_usage(ctl, "--outbound-ip %s is not "
				    "an IPv4 or IPv6 address", optarg);
			if (d.opts.noutbound == DOC_OUTBOUND_MAX)
				return nf_ctl_usage(ctl, "at most %d --outbound-ip",
				    DOC_OUTBOUND_MAX);
			outbound[d.opts.noutbound++] = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &d.opts.timeout_ms) != 0)
				return nf_ctl_usage(ctl, "--timeout %s is not a "
				    "number of seconds in (0, %d]", optarg,
				    DOC_TIMEOUT_MAX_S);
			break;
		default:
			return nf_ctl_badopt(ctl, ch, argv, optind);
		}
	}
	if (optind < argc)
		return nf_ctl_usage(ctl, "unexpected argument \"%s\"",
		    argv[optind]);
	if (d.opts.resolver != NULL && !nf_doc_resolver_ok(d.opts.resolver))
		return nf_ctl_usage(ctl, "--resolver %s is not IP, IP:PORT or "
		    "[IPv6]:PORT", d.opts.resolver);

	d.conf_path = ctl->conf_path;
	/* not nf_ctl_conf(): a config that does not load is a result here */
	nf_buf_init(&err, 4096);
	if (nf_conf_load(ctl->conf_path, &ctl->conf, &err) != 0) {
		ctl->conf = NULL;
		nf_doc_add(&d, NF_DOC_FAIL, "config", NULL, "%s",
		    err.len ? nf_buf_cstr(&err) : ctl->conf_path);
		nf_doc_hint(&d, "correct what the message names%s; nothing "
		    "else can be checked until the file loads",
		    ctl->conf_explicit ? "" : " (or name the file with -c FILE)");
	} else {
		d.conf = ctl->conf;
		nf_doc_add(&d, NF_DOC_PASS, "config", NULL, "%s loads",
		    ctl->conf_path);
	}
	nf_buf_free(&err);

	if (d.conf != NULL) {
		nf_doc_check_user(&d);
		nf_doc_check_settings(&d);
		nf_doc_check_secret(&d);
		nf_doc_check_store(&d);
		nf_doc_check_maillog(&d);
		nf_doc_check_socket(&d);
		nf_doc_check_dns(&d);
		nf_doc_check_channels(&d);
	}
	if (d.oom) {
		fprintf(stderr, "notifilterctl: doctor: out of memory while "
		    "recording results\n");
		doc_free(&d);
		return NF_EX_SOFTWARE;
	}
	rc = d.opts.json ? print_json(&d) : print_text(&d);
	count(&d, n);
	doc_free(&d);
	if (rc != NF_EX_OK)
		return rc;
	return n[NF_DOC_FAIL] > 0 ? 1 : NF_EX_OK;
}
