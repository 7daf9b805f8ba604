/*
 * doctor_net.c - doctor's network checks: is a milter listening on Socket,
 * and can each Channel's provider be reached.
 *
 * Socket: connect (unix or TCP, bounded by the time-out) and, when that
 * works, send the milter protocol's option negotiation (SMFIC_OPTNEG: the
 * MTA's first packet) offering every action and protocol step, and read
 * the answer; a packet of the right shape ('O', version 2..6) proves a
 * milter, then SMFIC_QUIT ends the session, so notifilter sees a client
 * that left before its first message.  The wire format is the public
 * milter protocol (4-byte big-endian length, a command letter, data).
 * Nothing listening is a warn (the daemon may be stopped on purpose);
 * something else listening is a fail.
 *
 * Channels: the driver is known and nf_channel_open() accepts the options
 * and reads the secret files, as at the daemon's start; each *_file is
 * also readable by UserID's user.  Reachability: libcurl with
 * CURLOPT_CONNECT_ONLY to the provider's URL, which connects (and for
 * https completes the TLS handshake, certificate verified) and sends
 * nothing: no message, no request.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "channel.h"
#include "doctor.h"

/* keep in step with channels/twilio.c and channels/vonage.c */
#define DOC_TWILIO_BASE "https://api.twilio.com"
#define DOC_VONAGE_BASE "https://rest.nexmo.com"

/* milter protocol constants (libmilter's mfdef.h) */
#define MILTER_OPTNEG 'O'
#define MILTER_QUIT 'Q'
#define MILTER_VERSION 6
#define MILTER_ALL_ACTIONS 0x1ffu	/* SMFIF_ADDHDRS .. SMFIF_SETSYMLIST */
#define MILTER_ALL_STEPS 0x1fffffu	/* SMFIP_NOCONNECT .. SMFIP_HDR_LEADSPC */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for `ev` until the deadline.  1 ready, 0 timed
 * out, -1 error. */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p;
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		p.fd = fd;
		p.events = ev;
		p.revents = 0;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		return n > 0;
	}
}

/* Non-blocking connect bounded by the deadline; 0 or an errno value. */
static int
connect_by(int fd, const struct sockaddr *sa, socklen_t salen,
    int64_t deadline)
{
	socklen_t elen = sizeof(int);
	int e = 0, r;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		return errno;
	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return errno;
	r = wait_fd(fd, POLLOUT, deadline);
	if (r == 0)
		return ETIMEDOUT;
	if (r < 0)
		return errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
		return errno;
	return e;
}

static int
write_all(int fd, const unsigned char *p, size_t n, int64_t deadline)
{
	ssize_t w;

	while (n > 0) {
		if (wait_fd(fd, POLLOUT, deadline) != 1)
			return -1;
		/* MSG_NOSIGNAL: a peer that hung up must not kill us (SIGPIPE) */
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes; n read, fewer at EOF, -1 error or time-out. */
static ssize_t
read_all(int fd, unsigned char *p, size_t n, int64_t deadline)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if (wait_fd(fd, POLLIN, deadline) != 1)
			return -1;
		r = read(fd, p + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Option negotiation on a connected fd.  0: a milter answered (*version
 * set); 1: no answer or closed (why set); 2: an answer that is not the
 * milter protocol (why set).
 */
static int
optneg(int fd, int64_t deadline, uint32_t *version, char *why, size_t len)
{
	unsigned char pkt[17], ans[17];
	uint32_t alen;
	ssize_t n;

	put32(pkt, 13);
	pkt[4] = MILTER_OPTNEG;
	put32(pkt + 5, MILTER_VERSION);
	put32(pkt + 9, MILTER_ALL_ACTIONS);
	put32(pkt + 13, MILTER_ALL_STEPS);
	if (write_all(fd, pkt, sizeof pkt, deadline) != 0) {
		snprintf(why, len, "the connection was closed before the "
		    "option negotiation could be sent");
		return 1;
	}
	n = read_all(fd, ans, 5, deadline);
	if (n < 0) {
		snprintf(why, len, "no answer to the milter option negotiation "
		    "(time-out or connection reset)");
		return 2;
	}
	if (n < 5) {
		snprintf(why, len, "the connection was closed without an answer "
		    "to the milter option negotiation");
		return n == 0 ? 1 : 2;
	}
	alen = get32(ans);
	if (ans[4] != MILTER_OPTNEG || alen < 13 || alen > 65536) {
		snprintf(why, len, "the answer is not the milter protocol (it "
		    "starts with \"%c%c%c%c%c\")", ans[0] >= 0x20 && ans[0] < 0x7f ?
		    ans[0] : '.', ans[1] >= 0x20 && ans[1] < 0x7f ? ans[1] : '.',
		    ans[2] >= 0x20 && ans[2] < 0x7f ? ans[2] : '.',
		    ans[3] >= 0x20 && ans[3] < 0x7f ? ans[3] : '.',
		    ans[4] >= 0x20 && ans[4] < 0x7f ? ans[4] : '.');
		return 2;
	}
	if (read_all(fd, ans + 5, 12, deadline) != 12) {
		snprintf(why, len, "a short milter option negotiation answer");
		return 2;
	}
	*version = get32(ans + 5);
	if (*version < 2 || *version > MILTER_VERSION) {
		snprintf(why, len, "the answer names milter protocol version "
		    "%u, which no MTA speaks", (unsigned)*version);
		return 2;
	}
	/* the rest (macro lists) is not needed; say goodbye */
	put32(pkt, 1);
	pkt[4] = MILTER_QUIT;
	(void)write_all(fd, pkt, 5, deadline);
	return 0;
}

/* Split "inet:PORT@HOST" into port and host ("" for any). */
static int
inet_spec(const char *rest, char *port, size_t plen, char *host,
    size_t hlen)
{
	const char *at = strchr(rest, '@');
	size_t n = at ? (size_t)(at - rest) : strlen(rest);

	if (n == 0 || n >= plen || strspn(rest, "0123456789") != n)
		return -1;
	memcpy(port, rest, n);
	port[n] = '\0';
	snprintf(host, hlen, "%s", at ? at + 1 : "");
	/* libmilter accepts [addr] for literals */
	if (host[0] == '[' && (n = strlen(host)) > 1 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	return 0;
}

void
nf_doc_check_socket(struct nf_doc *d)
{
	const char *spec = d->conf->socket, *path = NULL;
	struct sockaddr_un un;
	struct addrinfo hints, *ai = NULL;
	char port[16], host[256], why[256], where[300];
	int64_t deadline = now_ms() + d->opts.timeout_ms;
	uint32_t version = 0;
	struct stat sb;
	int fd = -1, e, r, v6 = 0;

	if (spec == NULL || spec[0] == '\0') {
		nf_doc_add(d, NF_DOC_FAIL, "socket", NULL, "Socket is empty");
		nf_doc_hint(d, "set Socket in %s, e.g. local:/run/notifilter/"
		    "notifilter.sock", d->conf_path);
		return;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	else if (spec[0] == '/')
		path = spec;
	if (path != NULL) {
		snprintf(where, sizeof where, "%s", path);
		if (strlen(path) >= sizeof un.sun_path) {
			nf_doc_add(d, NF_DOC_FAIL, "socket", NULL, "the socket path "
			    "%s is too long for a unix socket", path);
			nf_doc_hint(d, "use a path of at most %zu bytes in Socket",
			    sizeof un.sun_path - 1);
			return;
		}
		if (stat(path, &sb) != 0) {
			nf_doc_add(d, NF_DOC_WARN, "socket", NULL, "%s does not "
			    "exist: notifilter is not running", path);
			nf_doc_hint(d, "start it (`systemctl start notifilter`, or "
			    "`notifilter -c %s`); the MTA applies "
			    "milter_default_action meanwhile", d->conf_path);
			return;
		}
		if (!S_ISSOCK(sb.st_mode)) {
			nf_doc_add(d, NF_DOC_FAIL, "socket", NULL, "%s exists and "
			    "is not a socket", path);
			nf_doc_hint(d, "remove it or choose another path in Socket "
			    "(%s)", d->conf_path);
			return;
		}
		memset(&un, 0, sizeof un);
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		e = fd < 0 ? errno : connect_by(fd, (struct sockaddr *)&un,
		    sizeof un, deadline);
	} else {
		if (strncmp(spec, "inet:", 5) == 0)
			r = inet_spec(spec + 5, port, sizeof port, host,
			    sizeof host);
		else if (strncmp(spec, "inet6:", 6) == 0) {
			v6 = 1;
			r = inet_spec(spec + 6, port, sizeof port, host,
			    sizeof host);
		} else
			r = -1;
		if (r != 0) {
			nf_doc_add(d, NF_DOC_FAIL, "socket", NULL, "Socket \"%s\" is "
			    "not unix:/path, inet:PORT@HOST or inet6:PORT@HOST",
			    spec);
			nf_doc_hint(d, "fix Socket in %s", d->conf_path);
			return;
		}
		/* a daemon bound to every address is reached on loopback */
		if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 ||
		    strcmp(host, "::") == 0 || strcasecmp(host, "INADDR_ANY") == 0)
			snprintf(host, sizeof host, "%s", v6 ? "::1" : "127.0.0.1");
		snprintf(where, sizeof where, "%s%s%s:%s", v6 ? "[" : "", host,
		    v6 ? "]" : "", port);
		memset(&hints, 0, sizeof hints);
		hints.ai_family = v6 ? AF_INET6 : AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
			nf_doc_add(d, NF_DOC_FAIL, "socket", NULL, "Socket %s: host "
			    "%s does not resolve: %s", spec, host, gai_strerror(r));
			nf_doc_hint(d, "fix Socket in %s", d->conf_path);
			return;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		e = fd < 0 ? errno : connect_by(fd, ai->ai_addr, ai->ai_addrlen,
		    deadline);
		freeaddrinfo(ai);
	}
	if (e != 0) {
		if (fd >= 0)
			close(fd);
		if (e == ECONNREFUSED || e == ENOENT) {
			nf_doc_add(d, NF_DOC_WARN, "socket", NULL, "nothing listens "
			    "on %s: notifilter is not running", where);
			nf_doc_hint(d, "start it (`systemctl start notifilter`, or "
			    "`notifilter -c %s`); the MTA applies "
			    "milter_default_action meanwhile", d->conf_path);
		} else {
			nf_doc_add(d, e == ETIMEDOUT ? NF_DOC_FAIL : NF_DOC_WARN,
			    "socket", NULL, "cannot connect to %s: %s", where,
			    strerror(e));
			nf_doc_hint(d, "%s", e == EACCES ? "run doctor as root or "
			    "as the MTA's user to test the socket" : "check that "
			    "Socket names the address notifilter listens on");
		}
		return;
	}
	r = optneg(fd, deadline, &version, why, sizeof why);
	close(fd);
	if (r == 0)
		nf_doc_add(d, NF_DOC_PASS, "socket", NULL, "a milter answers on "
		    "%s (protocol version %u)", where, (unsigned)version);
	else {
		nf_doc_add(d, r == 2 ? NF_DOC_FAIL : NF_DOC_WARN, "socket", NULL,
		    "something accepts connections on %s, but %s", where, why);
		nf_doc_hint(d, "another program may hold this %s: stop it or "
		    "change Socket in %s (and the MTA's milter setting)",
		    path ? "path" : "port", d->conf_path);
	}
}

/* ---- channels ----------------------------------------------------------- */

static const char *
channel_url(const struct nf_conf_channel *cc)
{
	const char *u;

	if ((u = nf_conf_channel_get(cc, "url")) != NULL)
		return u;
	if ((u = nf_conf_channel_get(cc, "base_url")) != NULL)
		return u;
	if (strcasecmp(cc->driver, "twilio") == 0)
		return DOC_TWILIO_BASE;
	if (strcasecmp(cc->driver, "vonage") == 0)
		return DOC_VONAGE_BASE;
	return NULL;
}

static int
in_fallback(const struct nf_conf *c, const char *kind)
{
	size_t i;

	for (i = 0; i < c->nfallback_channels; i++)
		if (strcasecmp(c->fallback_channels[i], kind) == 0)
			return 1;
	return 0;
}

/* Options, secret files, use: one line.  0 when the channel can be used. */
static int
channel_config(struct nf_doc *d, const struct nf_conf_channel *cc,
    const char *subj)
{
	struct nf_channel *ch = NULL;
	struct nf_buf err;
	char why[512];
	size_t i;
	size_t klen;

	if (!nf_channel_driver_known(cc->driver)) {
		nf_doc_add(d, NF_DOC_FAIL, "channel", subj, "driver %s is not "
		    "built into this notifilter", cc->driver);
		nf_doc_hint(d, "use kannel, twilio, vonage or webhook on line %d "
		    "of %s", cc->line, d->conf_path);
		return -1;
	}
	nf_buf_init(&err, 2048);
	if (nf_channel_open(cc, NULL, &ch, &err) != 0) {
		nf_doc_add(d, NF_DOC_FAIL, "channel", subj, "%s:%d: %s",
		    d->conf_path, cc->line, err.len ? nf_buf_cstr(&err) :
		    "the channel cannot be opened");
		nf_doc_hint(d, "fix the Channel line; the daemon refuses to "
		    "start with it");
		nf_buf_free(&err);
		return -1;
	}
	nf_buf_free(&err);
	nf_channel_close(ch);
	for (i = 0; d->have_user && i < cc->nkv; i++) {
		klen = strlen(cc->kv[i].key);
		if (klen < 5 || strcmp(cc->kv[i].key + klen - 5, "_file") != 0)
			continue;
		if (nf_doc_user_may(d, cc->kv[i].value, R_OK, why, sizeof why)
		    == 1)
			continue;
		nf_doc_add(d, NF_DOC_FAIL, "channel", subj, "%s=%s: %s, who "
		    "rereads it on reload", cc->kv[i].key, cc->kv[i].value, why);
		nf_doc_hint(d, "`chown %s %s && chmod 600 %s`", d->user,
		    cc->kv[i].value, cc->kv[i].value);
		return -1;
	}
	if (!in_fallback(d->conf, cc->kind)) {
		nf_doc_add(d, NF_DOC_WARN, "channel", subj, "options and secrets "
		    "are fine, but %s is not in FallbackChannels, so this "
		    "channel is never used", cc->kind);
		nf_doc_hint(d, "add %s to FallbackChannels in %s, or remove the "
		    "Channel line %d", cc->kind, d->conf_path, cc->line);
		return 0;
	}
	nf_doc_add(d, NF_DOC_PASS, "channel", subj, "driver %s, options and "
	    "secret files accepted", cc->driver);
	return 0;
}

static void
channel_reach(struct nf_doc *d, const struct nf_conf_channel *cc,
    const char *subj)
{
	const char *url = channel_url(cc);
	char errbuf[CURL_ERROR_SIZE] = "";
	char *ip = NULL;
	long port = 0;
	double secs = 0;
	CURL *h;
	CURLcode rc;

	if (url == NULL) {
		nf_doc_add(d, NF_DOC_WARN, "channel-reach", subj, "no URL to "
		    "test for driver %s", cc->driver);
		nf_doc_hint(d, "set url= or base_url= on line %d of %s",
		    cc->line, d->conf_path);
		return;
	}
	if ((h = curl_easy_init()) == NULL) {
		nf_doc_add(d, NF_DOC_WARN, "channel-reach", subj, "libcurl could "
		    "not start (out of memory?)");
		nf_doc_hint(d, "run doctor again");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->opts.timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2 * d->opts.timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
		curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &secs);
		nf_doc_add(d, NF_DOC_PASS, "channel-reach", subj, "connected to "
		    "%s port %ld in %.0f ms%s (nothing sent)", ip ? ip : "?",
		    port, secs * 1000, strncasecmp(url, "https:", 6) == 0 ?
		    ", TLS certificate verified" : "");
	} else {
		nf_doc_add(d, NF_DOC_FAIL, "channel-reach", subj, "cannot reach "
		    "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		nf_doc_hint(d, "%s", rc == CURLE_COULDNT_RESOLVE_HOST ? "check "
		    "the host name in the URL and this host's DNS" :
		    rc == CURLE_PEER_FAILED_VERIFICATION ? "the certificate does "
		    "not verify: fix the URL's host name or the CA bundle" :
		    "check the URL, the provider's status and any firewall "
		    "between this host and it (fallback messages wait and "
		    "retry meanwhile)");
	}
	curl_easy_cleanup(h);
}

void
nf_doc_check_channels(struct nf_doc *d)
{
	const struct nf_conf *c = d->conf;
	char subj[128];
	size_t i;

	if (c->nchannels == 0) {
		nf_doc_add(d, NF_DOC_WARN, "channel", NULL, "no Channel is "
		    "configured: undelivered notifications get no SMS fallback");
		nf_doc_hint(d, "add a line such as \"Channel sms kannel url=http:"
		    "//127.0.0.1:13013/cgi-bin/sendsms user=... password_file="
		    "...\" to %s", d->conf_path);
		return;
	}
	if (nf_chan_global_init() != 0) {
		nf_doc_add(d, NF_DOC_WARN, "channel", NULL, "libcurl could not "
		    "start: channels not checked");
		nf_doc_hint(d, "run doctor again");
		return;
	}
	for (i = 0; i < c->nchannels; i++) {
		const struct nf_conf_channel *cc = &c->channels[i];

		snprintf(subj, sizeof subj, "%s/%s:%d", cc->kind, cc->driver,
		    cc->line);
		if (channel_config(d, cc, subj) == 0)
			channel_reach(d, cc, subj);
	}
	nf_chan_global_cleanup();
}
