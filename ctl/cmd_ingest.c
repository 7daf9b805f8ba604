/*
 * cmd_ingest.c - `notifilterctl ingest [--sender S] [--recipient R]
 * [--client-ip IP] [--helo H]`: one report on stdin, from the MTA's pipe
 * transport on BounceDomain or a complaints address.
 *
 * Reads the message (at most NF_INTAKE_READ_MAX bytes are parsed; the rest
 * is read and dropped, and the cut is recorded), parses it (report.h),
 * checks DKIM and SPF of ARF complaints (verify.h, in a child process with
 * a deadline, so a library crash or a hung resolver costs a "temperror"
 * result, not the report), and applies it to the store in one transaction
 * (intake.h).
 *
 * Exit codes are the pipe transport's contract (DESIGN.md, recipes §4):
 * 0 when the message was processed, "not a report" included; 75 when it
 * could not be now (store busy or unavailable, config or SecretFile
 * unreadable, out of memory, read error), so the MTA keeps it and
 * retries, with nothing half-applied; 64 only for bad arguments.  No other
 * code: the MTA bounces those to the null sender and the report is lost.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "intake.h"
#include "report.h"
#include "secret.h"
#include "token.h"
#include "verify.h"

#define VERIFY_DEADLINE_MS 30000	/* DKIM + SPF together */

/* What any failure other than bad arguments becomes. */
static int __attribute__((format(printf, 1, 2)))
tempfail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "notifilterctl ingest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (exit 75: the MTA keeps the report and retries)\n");
	return NF_EX_TEMPFAIL;
}

struct input {
	char *data;
	size_t len, cap;
	int64_t size;		/* all bytes read, kept or not */
	int cut;
};

/* Read stdin: keep up to NF_INTAKE_READ_MAX bytes, drain the rest (the
 * MTA expects its pipe to be read to the end).  0, or -1 with errno. */
static int
read_input(struct input *in)
{
	char drop[65536];
	ssize_t n;

	memset(in, 0, sizeof *in);
	for (;;) {
		if (in->len == in->cap && in->cap < NF_INTAKE_READ_MAX) {
			size_t ncap = in->cap ? in->cap * 2 : 65536;
			char *p;

			if (ncap > NF_INTAKE_READ_MAX)
				ncap = NF_INTAKE_READ_MAX;
			if ((p = realloc(in->data, ncap)) == NULL)
				return -1;
			in->data = p;
			in->cap = ncap;
		}
		if (in->len < in->cap)
			n = read(0, in->data + in->len, in->cap - in->len);
		else
			n = read(0, drop, sizeof drop);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (in->len < in->cap)
			in->len += (size_t)n;
		else
			in->cut = 1;
		in->size += n;
	}
}

/* ---- verification in a child ---------------------------------------------- */

static void
verify_child(int fd, const struct input *in, const char *ip,
    const char *helo, const char *sender)
{
	struct nf_verify_result v;
	struct nf_verify_dns dns = { .zone = NULL, .timeout = 5 };
	const char *p = (const char *)&v;
	size_t left = sizeof v;
	ssize_t n;

	/* one short try per resolver query: the deadline is the parent's */
	setenv("RES_OPTIONS", "timeout:3 attempts:1", 0);
	memset(&v, 0, sizeof v);
	nf_verify_dkim(&dns, in->data, in->len, &v);
	nf_verify_spf(&dns, ip, helo, sender, &v);
	while (left > 0 && (n = write(fd, p, left)) > 0) {
		p += n;
		left -= (size_t)n;
	}
	_exit(left == 0 ? 0 : 1);
}

/*
 * DKIM and SPF of the report, in a child process (a crash there, or a
 * resolver that never answers, must not cost the report): its results, or
 * "temperror" with the reason when it failed or missed the deadline.
 */
static void
verify(const struct input *in, const char *ip, const char *helo,
    const char *sender, struct nf_verify_result *v)
{
	struct pollfd pfd;
	char *p = (char *)v;
	size_t got = 0;
	int fds[2], status;
	int64_t end = nf_ctl_mono_ms() + VERIFY_DEADLINE_MS, left;
	const char *why = NULL;
	pid_t pid;
	ssize_t n;

	memset(v, 0, sizeof *v);
	if (pipe(fds) != 0) {
		why = "cannot make a pipe";
		goto fail;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		why = "cannot fork";
		goto fail;
	}
	if (pid == 0) {
		close(fds[0]);
		verify_child(fds[1], in, ip, helo, sender);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (got < sizeof *v && (left = end - nf_ctl_mono_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;	/* EINTR or the deadline: the loop checks */
		n = read(fds[0], p + got, sizeof *v - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (got < sizeof *v) {
		kill(pid, SIGKILL);	/* ours: started just above */
		why = nf_ctl_mono_ms() >= end ? "DKIM/SPF checks missed their 30 s "
		    "deadline" : "the DKIM/SPF check failed (library crash?)";
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (why == NULL)
		return;
fail:
	memset(v, 0, sizeof *v);
	snprintf(v->dkim, sizeof v->dkim, "temperror");
	snprintf(v->dkim_detail, sizeof v->dkim_detail, "%s", why);
	if (ip != NULL && ip[0] != '\0') {
		snprintf(v->spf, sizeof v->spf, "temperror");
		snprintf(v->spf_detail, sizeof v->spf_detail, "%s", why);
	}
}

/* ---- the command ---------------------------------------------------------- */

/* One line first (the MTA logs only that), then details. */
static void
summary(const struct nf_intake_result *res, const struct nf_verify_result *v,
    int checked)
{
	static const char *const what[NF_OUT_COUNT_] = {
		[NF_OUT_SUPPRESSED] = "suppressed",
		[NF_OUT_COUNTED] = "soft failure counted",
		[NF_OUT_UNDELIVERED] = "undelivered (spam filter or policy)",
		[NF_OUT_REVOKED] = "email consent revoked",
		[NF_OUT_STATUS] = "delivery status recorded",
		[NF_OUT_RECORDED] = "recorded",
		[NF_OUT_UNAUTH] = "unauthenticated, nothing changed",
		[NF_OUT_UNATTRIBUTED] = ("complaint not attributed (recipient "
		    "redacted, several recipients: no consent changed)"),
	};
	size_t i;
	int first = 1, others;

	printf("ingest: %s report #%lld, %s, %zu recipient%s",
	    nf_report_kind_name(res->kind), (long long)res->report_id,
	    res->authenticated ? "authenticated" : "unauthenticated",
	    res->n, res->n == 1 ? "" : "s");
	for (i = 0; i < NF_OUT_COUNT_; i++)
		if (res->by_outcome[i] > 0) {
			printf("%s %zu %s", first ? ":" : ",",
			    res->by_outcome[i], what[i]);
			first = 0;
		}
	printf("\n  %s\n", res->why);
	if (!checked)
		return;
	/* the other passing signatures, when there are more than the one
	 * judged (ComplaintDomains looks at all of them) */
	others = v->dkim_pass[0] && strcmp(v->dkim_pass, v->dkim_domain) != 0;
	printf("  DKIM %s%s%s%s%s%s; SPF %s\n", v->dkim[0] ? v->dkim : "-",
	    v->dkim_domain[0] ? " d=" : "", v->dkim_domain,
	    others ? " (passing: " : "", others ? v->dkim_pass : "",
	    others ? ")" : "", v->spf[0] ? v->spf : "not checked");
}

/* 8 x 250 ms: how long ingest waits for a message record in flight */
#define NF_INGEST_INFLIGHT_TRIES 8

int
nf_cmd_ingest(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sender", required_argument, NULL, 's' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "client-ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_intake_env env = { NULL, NULL, NULL, NULL };
	struct nf_intake_conf ic;
	struct nf_intake_auth auth = { NULL, NULL, NULL, NULL };
	struct nf_intake_result res;
	struct nf_intake_raw raw;
	struct nf_verify_result v;
	struct nf_secret *secret = NULL;
	struct nf_report *r = NULL;
	struct nf_conf *conf;
	struct nf_store *s;
	struct nf_buf err;
	struct input in;
	int tries;
	int ch, rc, checked = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 's': env.sender = optarg; break;
		case 'r': env.recipient = optarg; break;
		case 'i': env.client_ip = optarg; break;
		case 'H': env.helo = optarg; break;
		default: return nf_ctl_badopt(ctl, ch, argv, optind);
		}
	}
	if (optind < argc)
		return nf_ctl_usage(ctl, "unexpected argument \"%s\": the "
		    "message comes on stdin", argv[optind]);

	if (read_input(&in) != 0) {
		rc = tempfail("reading the message: %s", strerror(errno));
		free(in.data);
		return rc;
	}
	/* config errors are the administrator's to fix: the MTA retries */
	if (nf_ctl_conf(ctl, &conf) != NF_EX_OK) {
		free(in.data);
		return tempfail("the configuration could not be loaded");
	}
	if (conf->secret_file != NULL && conf->secret_file[0] != '\0') {
		nf_buf_init(&err, 1024);
		if (nf_secret_load(conf->secret_file, &secret, &err) != 0) {
			rc = tempfail("%s", err.len ? nf_buf_cstr(&err) :
			    conf->secret_file);
			nf_buf_free(&err);
			free(in.data);
			return rc;
		}
		nf_buf_free(&err);
	} else
		fprintf(stderr, "notifilterctl ingest: warning: no SecretFile "
		    "in %s: no token can verify, the report is recorded as "
		    "unauthenticated\n", ctl->conf_path);

	if ((r = nf_report_new(NULL)) == NULL ||
	    nf_report_envelope(r, env.sender, env.recipient) < 0 ||
	    (in.len > 0 && nf_report_push(r, in.data, in.len) < 0) ||
	    nf_report_finish(r) < 0) {
		rc = tempfail("out of memory parsing the report");
		goto out;
	}
	memset(&v, 0, sizeof v);
	/* also a feedback report that names no recipient (redacted) */
	if (nf_intake_kind(r) == NF_REPORT_ARF) {
		verify(&in, env.client_ip, env.helo, env.sender, &v);
		auth.dkim = v.dkim[0] ? v.dkim : NULL;
		auth.dkim_domain = v.dkim_domain[0] ? v.dkim_domain : NULL;
		auth.spf = v.spf[0] ? v.spf : NULL;
		auth.dkim_pass = v.dkim_pass;
		checked = 1;
	}

	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK) {
		rc = tempfail("the store cannot be used now");
		goto out;
	}
	memset(&ic, 0, sizeof ic);
	ic.secret = secret;
	ic.verp_prefix = conf->verp_prefix;
	ic.bounce_domain = conf->bounce_domain;
	ic.soft_limit = conf->soft_bounce_limit;
	ic.soft_window = conf->soft_bounce_window;
	ic.complaint_auth = conf->complaint_auth;
	ic.complaint_domains = conf->complaint_domains;
	ic.ncomplaint_domains = conf->ncomplaint_domains;
	raw.data = in.data;
	raw.len = in.len;
	raw.size = in.size;
	raw.cut = in.cut;
	/* a report that beat its message's record to the store: wait a
	 * little for the daemon's writer (it commits within tens of ms),
	 * then leave it to the MTA's retry */
	for (tries = 0; tries < NF_INGEST_INFLIGHT_TRIES; tries++) {
		rc = nf_intake_apply(s, &ic, &env, r, checked ? &auth : NULL,
		    &raw, (int64_t)time(NULL), &res);
		if (rc != NF_STORE_BUSY || !res.in_flight)
			break;
		nanosleep(&(struct timespec){ 0, 250 * 1000000L }, NULL);
	}
	if (rc == NF_STORE_BUSY && res.in_flight) {
		rc = tempfail("%s; nothing was recorded, the MTA will deliver "
		    "the report again", res.why);
		goto out;
	}
	if (rc != NF_STORE_OK) {
		rc = tempfail("%s; nothing of the report was recorded",
		    nf_store_errmsg(s));
		goto out;
	}
	if (in.cut)
		fprintf(stderr, "notifilterctl ingest: the message has %lld "
		    "bytes; only the first %d were parsed (recorded as cut)\n",
		    (long long)in.size, NF_INTAKE_READ_MAX);
	summary(&res, &v, checked);
	rc = NF_EX_OK;
out:
	nf_report_free(r);
	nf_secret_free(secret);
	free(in.data);
	return rc;
}
