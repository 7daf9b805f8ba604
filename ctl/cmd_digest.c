/*
 * cmd_digest.c - notifilterctl digest [--since DURATION] [--to ADDRESS]
 * [--timeout DURATION]:
 * the report of the last DURATION (default 24h) mailed to SupportAddress
 * (or ADDRESS) as one multipart/alternative message, a text part and the
 * self-contained HTML page, through `sendmail -t -i`.  Run daily from
 * contrib/notifilter-digest.timer or contrib/notifilter-digest.cron.
 *
 * The message: From notifilter@<this host's name>, Date, Message-ID,
 * Auto-Submitted: auto-generated (RFC 3834, so responders stay quiet),
 * a Subject with the headline numbers (ASCII), and both parts as UTF-8
 * in base64 (libcrypto's encoder, 76-column lines): the page holds
 * addresses and text from mail, which base64 carries whatever bytes they
 * are, and no line can come near SMTP's length limit.
 *
 * sendmail is /usr/sbin/sendmail, or the program named by the
 * environment variable NF_SENDMAIL (an absolute path, run without a
 * shell; meant for tests).  It is started with fork/execv, the message is
 * written to its stdin, and its exit status decides: anything but 0 (or
 * not starting at all, or not finishing within --timeout, default 5m:
 * then it is stopped before it has read a whole message) exits 75 with
 * what happened, so cron or systemd shows a failure and the next run
 * tries again.
 *
 * Exit status: 0 mailed, 64 bad options or --to, 78 no SupportAddress
 * (or a bad one) and no --to, 75 sendmail failed, the store's 69/75.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "report_out.h"

#define SENDMAIL_DEFAULT "/usr/sbin/sendmail"
#define HOST_MAX 256
/* how long sendmail may take by default (--timeout) */
#define SENDMAIL_TIMEOUT_S 300

/* This host's name, if it is a plain DNS name; else "localhost". */
static void
host_name(char *buf, size_t len)
{
	size_t i;

	if (gethostname(buf, len) != 0)
		buf[0] = '\0';
	buf[len - 1] = '\0';
	for (i = 0; buf[i]; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') ||
		    (buf[i] >= 'A' && buf[i] <= 'Z') ||
		    (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' ||
		    buf[i] == '-'))
			break;
	if (buf[0] == '\0' || buf[i] != '\0')
		snprintf(buf, len, "localhost");
}

/* n random bytes as hex into out[2n+1] (time and pid if the kernel has
 * none to give: uniqueness, not secrecy, is what matters here) */
static void
rand_hex(char *out, size_t n)
{
	unsigned char r[16];
	size_t i;

	if (n > sizeof r)
		n = sizeof r;
	if (getrandom(r, n, GRND_NONBLOCK) != (ssize_t)n) {
		uint64_t v = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

		for (i = 0; i < n; i++)
			r[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

/* data as base64 in lines of 76 characters (57 input bytes each) */
static void
base64(FILE *fp, const char *data, size_t n)
{
	unsigned char line[80];
	size_t off, k;

	for (off = 0; off < n; off += k) {
		k = n - off < 57 ? n - off : 57;
		EVP_EncodeBlock(line, (const unsigned char *)data + off, (int)k);
		fprintf(fp, "%s\n", line);
	}
}

/* "Subject: " + text, folded at spaces so no line passes 78 columns */
static void
header_folded(FILE *fp, const char *name, const char *text)
{
	size_t col = strlen(name) + 2;
	const char *p = text;

	fprintf(fp, "%s:", name);
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t w = sp ? (size_t)(sp - p) : strlen(p);

		if (col + 1 + w > 78 && col > strlen(name) + 2) {
			fputs("\n", fp);
			col = 0;
		}
		fprintf(fp, " %.*s", (int)w, p);
		col += 1 + w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', fp);
}

/* The address goes into the To: header: no byte may end the line. */
static int
header_safe(const char *a)
{
	for (; *a; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f)
			return 0;
	return 1;
}

struct digest {
	char *text, *html, *msg;
	size_t ntext, nhtml, nmsg;
};

static void
digest_free(struct digest *d)
{
	free(d->text);
	free(d->html);
	free(d->msg);
}

/* Render both parts and the whole message into memory.  -1: no memory. */
static int
compose(struct digest *d, const struct nf_stats *st,
    const struct nf_report_meta *meta, const char *to)
{
	char head[512], subject[700], date[64], id[40], boundary[40];
	time_t now = time(NULL);
	struct tm tm;
	FILE *fp;

	if ((fp = open_memstream(&d->text, &d->ntext)) == NULL)
		return -1;
	nf_report_text(fp, st, meta);
	if (fclose(fp) != 0)
		return -1;
	if ((fp = open_memstream(&d->html, &d->nhtml)) == NULL)
		return -1;
	nf_report_html(fp, st, meta);
	if (fclose(fp) != 0)
		return -1;

	nf_report_headline(st, head, sizeof head);
	snprintf(subject, sizeof subject, "notifilter digest %s, last %s: %s",
	    meta->host, meta->since_arg, head);
	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	rand_hex(id, 8);
	rand_hex(boundary, 12);

	if ((fp = open_memstream(&d->msg, &d->nmsg)) == NULL)
		return -1;
	fprintf(fp, "From: notifilter <notifilter@%s>\nTo: %s\n", meta->host,
	    to);
	header_folded(fp, "Subject", subject);
	fprintf(fp, "Date: %s\nMessage-ID: <%lld.%ld.%s@%s>\n"
	    "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative;\n boundary=\"=_nf_%s\"\n\n"
	    "This is the notifilter digest in MIME format: a text part and "
	    "an HTML part.\n\n", date, (long long)now, (long)getpid(), id,
	    meta->host, boundary);
	fprintf(fp, "--=_nf_%s\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n", boundary);
	base64(fp, d->text, d->ntext);
	fprintf(fp, "\n--=_nf_%s\nContent-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n", boundary);
	base64(fp, d->html, d->nhtml);
	fprintf(fp, "\n--=_nf_%s--\n", boundary);
	return fclose(fp) == 0 ? 0 : -1;
}

/* Stop the sendmail process group that overran: TERM, a second to go,
 * then KILL; reaps pid into *status. */
static void
stop_group(pid_t pid, int *status)
{
	int64_t end;

	kill(-pid, SIGTERM);
	for (end = nf_ctl_mono_ms() + 1000; nf_ctl_mono_ms() < end;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) == -1 && errno == EINTR)
		;
}

/*
 * Write msg to `path -t -i`, all within timeout_s seconds (a sendmail
 * that neither reads nor exits would otherwise hold the digest, and the
 * next cron or timer run, forever).  0 when it exited 0 having read the
 * whole message; else prints why.
 */
static int
send_mail(const char *path, const char *msg, size_t n, long timeout_s)
{
	struct sigaction ign, old;
	struct pollfd pfd;
	int fd[2], status, err = 0, late = 0, r;
	int64_t deadline = nf_ctl_mono_ms() + (int64_t)timeout_s * 1000;
	size_t off = 0;
	pid_t pid, w;

	if (pipe(fd) != 0) {
		fprintf(stderr, "notifilterctl digest: pipe: %s\n",
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "notifilterctl digest: fork: %s\n",
		    strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)path, "-t", "-i", NULL };

		setpgid(0, 0);	/* its helpers (postdrop) go with it */
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		execv(path, argv);
		fprintf(stderr, "notifilterctl digest: cannot run %s: %s\n",
		    path, strerror(errno));
		_exit(127);
	}
	close(fd[0]);
	setpgid(pid, pid);	/* as the child does: no race either way */
	/* a sendmail that dies early must give an error, not kill us */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	fcntl(fd[1], F_SETFL, fcntl(fd[1], F_GETFL) | O_NONBLOCK);
	while (off < n) {
		ssize_t k;

		pfd.fd = fd[1];
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, (int)(deadline - nf_ctl_mono_ms() > 0 ?
		    deadline - nf_ctl_mono_ms() : 0));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			late = 1;
			break;
		}
		k = write(fd[1], msg + off, n - off);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			err = errno;
			break;
		}
		off += (size_t)k;
	}
	/* the message is incomplete: stop sendmail before it sees the end
	 * of its input and sends what it has */
	if (late)
		stop_group(pid, &status);
	close(fd[1]);
	sigaction(SIGPIPE, &old, NULL);
	while (!late) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			fprintf(stderr, "notifilterctl digest: waiting for %s: "
			    "%s\n", path, strerror(errno));
			return -1;
		}
		if (nf_ctl_mono_ms() >= deadline) {
			late = 1;
			stop_group(pid, &status);
			break;
		}
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	if (late) {
		fprintf(stderr, "notifilterctl digest: %s -t -i did not finish "
		    "within %ld s and was stopped (see --timeout)\n", path,
		    timeout_s);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && off == n)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fprintf(stderr, "notifilterctl digest: %s could not be started "
		    "(is an MTA installed? NF_SENDMAIL names another program)"
		    "\n", path);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "notifilterctl digest: %s -t -i exited with "
		    "status %d\n", path, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "notifilterctl digest: %s -t -i was killed by "
		    "signal %d\n", path, WTERMSIG(status));
	else
		fprintf(stderr, "notifilterctl digest: writing to %s -t -i "
		    "failed: %s\n", path, strerror(err ? err : EPIPE));
	return -1;
}

int
nf_cmd_digest(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "to", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t tmo = SENDMAIL_TIMEOUT_S;
	struct nf_report_meta meta;
	struct nf_stats st;
	struct nf_conf *conf;
	struct digest d;
	const char *since = "24h", *to_arg = NULL, *why = NULL, *sm;
	char to[NF_STORE_EMAIL_MAX], host[HOST_MAX];
	int ch, rc;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 's')
			since = optarg;
		else if (ch == 't')
			to_arg = optarg;
		else if (ch == 'T') {
			if (nf_conf_parse_duration(optarg, &tmo) != 0 ||
			    tmo < 1 || tmo > 86400)
				return nf_ctl_usage(ctl, "--timeout %s: give how "
				    "long sendmail may take, from 1s to 1d "
				    "(e.g. 30s, 5m)", optarg);
		} else
			return nf_ctl_badopt(ctl, ch, argv, optind);
	}
	if (optind < argc)
		return nf_ctl_usage(ctl, "unexpected argument \"%s\"",
		    argv[optind]);
	if (to_arg != NULL && nf_addr_normalize(to_arg, to, sizeof to, &why)
	    != 0)
		return nf_ctl_usage(ctl, "--to \"%s\" is not one email address: "
		    "%s", to_arg, why ? why : "bad syntax");
	if (to_arg != NULL && !header_safe(to))
		return nf_ctl_usage(ctl, "--to: a control character in the "
		    "address");
	if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
		return rc;
	if (to_arg == NULL) {
		if (conf->support_address == NULL ||
		    conf->support_address[0] == '\0') {
			fprintf(stderr, "notifilterctl digest: %s has no "
			    "SupportAddress: add a line \"SupportAddress "
			    "support@example.com\" (where the daily digest "
			    "goes), or give --to ADDRESS\n", ctl->conf_path);
			return NF_EX_CONFIG;
		}
		if (nf_addr_normalize(conf->support_address, to, sizeof to,
		    &why) != 0) {
			fprintf(stderr, "notifilterctl digest: %s: "
			    "SupportAddress \"%s\" is not one email address "
			    "(%s): write one address such as "
			    "support@example.com\n", ctl->conf_path,
			    conf->support_address, why ? why : "bad syntax");
			return NF_EX_CONFIG;
		}
		if (!header_safe(to)) {
			fprintf(stderr, "notifilterctl digest: %s: "
			    "SupportAddress has a control character\n",
			    ctl->conf_path);
			return NF_EX_CONFIG;
		}
	}
	rc = nf_report_load(ctl, since, &st);
	if (rc != NF_EX_OK) {
		nf_stats_free(&st);
		return rc;
	}
	host_name(host, sizeof host);
	meta.host = host;
	meta.since_arg = since;
	memset(&d, 0, sizeof d);
	if (compose(&d, &st, &meta, to) != 0) {
		fprintf(stderr, "notifilterctl digest: out of memory composing "
		    "the message\n");
		rc = NF_EX_SOFTWARE;
	} else {
		sm = getenv("NF_SENDMAIL");
		if (sm == NULL || sm[0] == '\0')
			sm = SENDMAIL_DEFAULT;
		if (send_mail(sm, d.msg, d.nmsg, (long)tmo) != 0) {
			fprintf(stderr, "notifilterctl digest: the digest for "
			    "%s was NOT sent; check the MTA (its log, `mailq`) "
			    "and run the digest again\n", to);
			rc = NF_EX_TEMPFAIL;
		} else if (isatty(1))
			printf("digest of the last %s mailed to %s\n", since, to);
	}
	digest_free(&d);
	nf_stats_free(&st);
	return rc;
}
