/*
 * receipt.c - the daemon's receiver of provider delivery receipts (see
 * receipt.h): one thread, one listening socket (ReceiptListen), a small
 * HTTP/1.1 server that takes exactly what providers send to a callback
 * URL and nothing more.
 *
 * What a request becomes: channels/dlr.c reads it (path /kannel, /twilio,
 * /vonage or /webhook; signatures checked there) and lib/store_receipt.c
 * records it on its outbox row as a "fallback"/"receipt" event.  Answers:
 * 200 recorded; 400 unreadable; 403 bad or missing signature (nothing
 * recorded); 404 unknown path or no such message (a provider that retries
 * may find the row once the dispatcher has recorded its id); 405; 408 too
 * slow; 411 chunked bodies; 413/431 too large; 503 store busy or too many
 * connections (the provider retries).  Every answer closes the connection
 * (Connection: close): callbacks are one request each.
 *
 * Why by hand and not a library: the server part is ~300 lines of
 * bounded, single-threaded poll() code; an HTTP server library would bring
 * more surface than it saves.  Bounds: NF_RCPT_CONN_MAX connections,
 * NF_RCPT_HEAD_MAX bytes of request line and headers, NF_RCPT_REQ_MAX
 * bytes in all, NF_RCPT_TIMEOUT_MS per request from accept.  Garbage gets
 * a 400 and a close, never a crash: nothing here trusts the bytes.
 *
 * Ownership: the listener owns its socket, its connections and its copy of
 * the channels' verification secrets (struct nf_dlr_keys); it borrows a
 * store handle from the pool for each receipt and returns it at once.
 * Store calls run on this thread and may wait up to the busy timeout; the
 * other connections wait meanwhile, which is fine at receipt rates.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dlr.h"
#include "log.h"
#include "receipt.h"

#define NF_RCPT_CONN_MAX 32
#define NF_RCPT_HEAD_MAX 8192
#define NF_RCPT_REQ_MAX (64 * 1024)
#define NF_RCPT_TIMEOUT_MS 5000

struct rconn {
	int fd;			/* -1 when the slot is free */
	char *buf;		/* NF_RCPT_REQ_MAX + 1 bytes */
	size_t len;
	int64_t deadline;	/* CLOCK_MONOTONIC ms */
};

struct nf_receipt {
	int lfd;
	int wake[2];		/* stop: a byte on wake[1] */
	pthread_t thread;
	int running;
	struct nf_store_pool *pool;
	struct nf_dlr_keys *keys;
	struct rconn conn[NF_RCPT_CONN_MAX];
	char where[160];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	}
	return "Internal Server Error";
}

/* One answer, then close.  The answer is small, so one send on a fresh
 * connection's empty buffer takes it whole; if not, the client sees a cut
 * answer, which is all a misbehaving client can ask for. */
static void
answer_close(struct rconn *c, int status, const char *text)
{
	char out[768];
	int n;

	n = snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s\n",
	    status, reason_phrase(status), strlen(text) + 1,
	    status == 503 ? "Retry-After: 5\r\n" : "", text);
	if (n > 0)
		(void)send(c->fd, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* ---- request parsing ---------------------------------------------------------- */

struct hreq {
	char *method, *target;
	const char *host, *ctype, *tsig, *wsig, *clen, *te;
	char *body;
	size_t body_len;
};

/* End of the header block in buf[len]: offset just past the blank line,
 * or 0 when it has not come yet. */
static size_t
head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n')
			return i + 2;
		if (i + 3 < len && buf[i] == '\r' && buf[i + 1] == '\n' &&
		    buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return i + 4;
	}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A field name is a token (RFC 9110 5.1, 5.6.2): no blanks, nothing
 * else either, so no name is read as another one by us or by a proxy. */
static int
is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return 0;
	return 1;
}

/*
 * Parse the header block buf[0..hlen) in place (it is NUL-terminated by
 * the caller).  0, or an HTTP status for a request that cannot be read.
 */
static int
parse_head(char *buf, struct hreq *h)
{
	char *line, *save = NULL, *sp, *colon, *name, *val, *ver;
	int first = 1;

	memset(h, 0, sizeof(*h));
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		for (char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return 400;
		if (first) {
			first = 0;
			if ((sp = strchr(line, ' ')) == NULL)
				return 400;
			*sp = '\0';
			h->method = line;
			h->target = sp + 1;
			if ((ver = strchr(h->target, ' ')) == NULL)
				return 400;
			*ver++ = '\0';
			if ((strcmp(ver, "HTTP/1.1") != 0 &&
			    strcmp(ver, "HTTP/1.0") != 0) || h->target[0] != '/')
				return 400;
			continue;
		}
		if (line[0] == '\0')
			break;
		if (line[0] == ' ' || line[0] == '\t')
			return 400;	/* obsolete line folding (RFC 9112 5.2) */
		if ((colon = strchr(line, ':')) == NULL)
			return 400;
		*colon = '\0';
		name = line;
		if (!is_token(name))
			return 400;	/* "Name :" (RFC 9112 5.1), or no name */
		val = trim(colon + 1);
		if (strcasecmp(name, "Host") == 0)
			h->host = val;
		else if (strcasecmp(name, "Content-Type") == 0)
			h->ctype = val;
		else if (strcasecmp(name, "X-Twilio-Signature") == 0)
			h->tsig = val;
		else if (strcasecmp(name, "X-Notifilter-Signature") == 0)
			h->wsig = val;
		else if (strcasecmp(name, "Transfer-Encoding") == 0)
			h->te = val;
		else if (strcasecmp(name, "Content-Length") == 0) {
			if (h->clen != NULL && strcmp(h->clen, val) != 0)
				return 400;	/* two lengths: a smuggling attempt */
			h->clen = val;
		}
	}
	if (first || h->method == NULL)
		return 400;
	return 0;
}

/* Content-Length as a size, -1 if not a plain decimal number. */
static long
content_length(const char *v)
{
	long n = 0;

	if (v == NULL)
		return 0;
	if (*v == '\0')
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (*v - '0');
		if (n > NF_RCPT_REQ_MAX)
			n = NF_RCPT_REQ_MAX + 1;	/* too large, whatever follows */
	}
	return n;
}

/* ---- one receipt -------------------------------------------------------------- */

static void
handle(struct nf_receipt *r, struct rconn *c, struct hreq *h)
{
	struct nf_dlr_req q = {
		.method = h->method, .target = h->target, .host = h->host,
		.content_type = h->ctype, .body = h->body, .body_len = h->body_len,
		.twilio_sig = h->tsig, .webhook_sig = h->wsig,
	};
	struct nf_receipt_in in;
	struct nf_dlr d;
	struct nf_store *s = NULL;
	char why[256], text[320];
	enum nf_dlr_rc drc;
	int64_t row = 0;
	int rc;

	drc = nf_dlr_parse(r->keys, &q, &d, why, sizeof(why));
	if (drc != NF_DLR_OK) {
		nf_debug("receipt: %s %.80s refused (%d): %s", h->method, h->target,
		    nf_dlr_http_status(drc), why);
		answer_close(c, nf_dlr_http_status(drc), why);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.driver = d.driver;
	in.provider_id = d.provider_id;
	in.idem_key = d.key;
	in.status = d.status;
	in.final = d.final;
	in.detail = d.detail;
	rc = nf_store_pool_get(r->pool, &s);
	if (rc == NF_STORE_OK) {
		rc = nf_store_receipt_add(s, &in, &row);
		if (rc == NF_STORE_NOTFOUND)
			snprintf(why, sizeof(why), "%s", nf_store_errmsg(s));
		else if (rc != NF_STORE_OK)
			nf_warn("receipt: %s receipt for id '%s' key '%s' not recorded: %s; "
			    "answered 503 so the provider retries", d.driver, d.provider_id,
			    d.key, nf_store_errmsg(s));
		nf_store_pool_put(r->pool, s, rc == NF_STORE_ERR);
	} else {
		nf_warn("receipt: no store handle: %s; answered 503",
		    nf_store_pool_errmsg(r->pool, why, sizeof(why)));
	}
	if (rc == NF_STORE_OK) {
		nf_info("receipt: %s for outbox #%lld: %s", d.driver, (long long)row, d.detail);
		snprintf(text, sizeof(text), "recorded: %s", d.detail);
		answer_close(c, 200, text);
	} else if (rc == NF_STORE_NOTFOUND) {
		nf_info("receipt: %s receipt (id '%s', key '%s') names no outbox row: %s",
		    d.driver, d.provider_id, d.key, why);
		answer_close(c, 404, "no such message");
	} else {
		answer_close(c, 503, "store busy, try again");
	}
}

/* Called after each read: answer once the request is complete or bad.
 * The head is parsed in a copy (parse_head writes NULs into it) so the
 * body stays where it is in c->buf. */
static void
progress(struct nf_receipt *r, struct rconn *c)
{
	char head[NF_RCPT_HEAD_MAX + 1];
	struct hreq h;
	size_t hl = head_end(c->buf, c->len);
	long cl;
	int st;

	if (hl == 0 || hl > NF_RCPT_HEAD_MAX) {
		if (hl > NF_RCPT_HEAD_MAX || c->len >= NF_RCPT_HEAD_MAX)
			answer_close(c, 431, "request line and headers too long");
		return;
	}
	memcpy(head, c->buf, hl);
	head[hl] = '\0';
	if ((st = parse_head(head, &h)) != 0) {
		answer_close(c, st, "malformed request");
		return;
	}
	if (h.te != NULL) {
		answer_close(c, 411, "send the body with Content-Length");
		return;
	}
	if ((cl = content_length(h.clen)) < 0) {
		answer_close(c, 400, "bad Content-Length");
		return;
	}
	if ((size_t)cl > NF_RCPT_REQ_MAX - hl) {
		answer_close(c, 413, "request too large");
		return;
	}
	if (c->len < hl + (size_t)cl)
		return;		/* more to come */
	h.body = c->buf + hl;
	h.body_len = (size_t)cl;
	h.body[cl] = '\0';	/* c->buf has room for it; bytes after are ignored */
	handle(r, c, &h);
}

static void
conn_read(struct nf_receipt *r, struct rconn *c)
{
	ssize_t n;

	if (c->len >= NF_RCPT_REQ_MAX) {
		answer_close(c, 413, "request too large");
		return;
	}
	n = recv(c->fd, c->buf + c->len, NF_RCPT_REQ_MAX - c->len, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(c->fd);
		c->fd = -1;
		c->len = 0;
		return;
	}
	if (n < 0)
		return;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	progress(r, c);
}

static void
conn_accept(struct nf_receipt *r)
{
	struct rconn spare;
	int fd, i;

	fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;		/* EAGAIN, a reset before accept, EMFILE: poll again */
	for (i = 0; i < NF_RCPT_CONN_MAX; i++)
		if (r->conn[i].fd < 0)
			break;
	if (i == NF_RCPT_CONN_MAX) {
		spare.fd = fd;
		spare.len = 0;
		answer_close(&spare, 503, "too many connections");
		return;
	}
	r->conn[i].fd = fd;
	r->conn[i].len = 0;
	r->conn[i].deadline = now_ms() + NF_RCPT_TIMEOUT_MS;
}

static void *
receipt_main(void *arg)
{
	struct nf_receipt *r = arg;
	struct pollfd pfd[NF_RCPT_CONN_MAX + 2];
	int map[NF_RCPT_CONN_MAX + 2];
	int64_t t, wait;
	nfds_t n;
	int i;

	for (;;) {
		n = 0;
		pfd[n].fd = r->wake[0];
		pfd[n].events = POLLIN;
		map[n++] = -1;
		pfd[n].fd = r->lfd;
		pfd[n].events = POLLIN;
		map[n++] = -1;
		t = now_ms();
		wait = 1000;
		for (i = 0; i < NF_RCPT_CONN_MAX; i++) {
			if (r->conn[i].fd < 0)
				continue;
			if (r->conn[i].deadline <= t) {
				answer_close(&r->conn[i], 408, "request not complete in time");
				continue;
			}
			if (r->conn[i].deadline - t < wait)
				wait = r->conn[i].deadline - t;
			pfd[n].fd = r->conn[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		if (poll(pfd, n, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			nf_err("receipt: poll: %s; the receipt listener stops", strerror(errno));
			break;
		}
		if (pfd[0].revents != 0)
			break;
		for (nfds_t j = 2; j < n; j++)
			if (pfd[j].revents != 0 && r->conn[map[j]].fd >= 0)
				conn_read(r, &r->conn[map[j]]);
		if (pfd[1].revents & POLLIN)
			conn_accept(r);
	}
	return NULL;
}

/* ---- start and stop -------------------------------------------------------------- */

/* "inet:PORT@ADDR" / "inet6:PORT@ADDR" -> a listening socket, or -1. */
static int
listen_on(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char port[16], host[128];
	const char *p = spec, *at;
	int fd = -1, one = 1, family, gai;

	if (strncasecmp(p, "inet6:", 6) == 0) {
		family = AF_INET6;
		p += 6;
	} else if (strncasecmp(p, "inet:", 5) == 0) {
		family = AF_INET;
		p += 5;
	} else {
		snprintf(err, errlen, "ReceiptListen '%s': write inet:PORT@ADDRESS or "
		    "inet6:PORT@ADDRESS, e.g. inet:8025@127.0.0.1", spec);
		return -1;
	}
	at = strchr(p, '@');
	if (at == NULL || at == p || (size_t)(at - p) >= sizeof(port) ||
	    strlen(at + 1) == 0 || strlen(at + 1) >= sizeof(host)) {
		snprintf(err, errlen, "ReceiptListen '%s': write inet:PORT@ADDRESS, "
		    "e.g. inet:8025@127.0.0.1", spec);
		return -1;
	}
	memcpy(port, p, (size_t)(at - p));
	port[at - p] = '\0';
	snprintf(host, sizeof(host), "%s", at + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "ReceiptListen '%s': %s", spec, gai_strerror(gai));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "ReceiptListen '%s': cannot listen: %s: choose a "
		    "free port and an address of this host", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void
receipt_free(struct nf_receipt *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < NF_RCPT_CONN_MAX; i++) {
		if (r->conn[i].fd >= 0)
			close(r->conn[i].fd);
		free(r->conn[i].buf);
	}
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	if (r->wake[1] >= 0)
		close(r->wake[1]);
	nf_dlr_keys_free(r->keys);
	free(r);
}

int
nf_receipt_start(const struct nf_conf *conf, struct nf_store_pool *pool,
    struct nf_receipt **out, char *err, size_t errlen)
{
	struct nf_receipt *r;
	struct nf_buf why;
	int i, rc;

	*out = NULL;
	if (conf->receipt_listen == NULL || conf->receipt_listen[0] == '\0')
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "ReceiptListen: out of memory");
		return -1;
	}
	r->lfd = r->wake[0] = r->wake[1] = -1;
	r->pool = pool;
	snprintf(r->where, sizeof(r->where), "%s", conf->receipt_listen);
	for (i = 0; i < NF_RCPT_CONN_MAX; i++) {
		r->conn[i].fd = -1;
		if ((r->conn[i].buf = malloc(NF_RCPT_REQ_MAX + 1)) == NULL) {
			snprintf(err, errlen, "ReceiptListen: out of memory");
			goto fail;
		}
	}
	nf_buf_init(&why, 1024);
	rc = nf_dlr_keys_open(conf, &r->keys, &why);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", conf->path ? conf->path : "config",
		    nf_buf_cstr(&why));
	nf_buf_free(&why);
	if (rc != 0)
		goto fail;
	if ((r->lfd = listen_on(conf->receipt_listen, err, errlen)) < 0)
		goto fail;
	if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "ReceiptListen: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((rc = pthread_create(&r->thread, NULL, receipt_main, r)) != 0) {
		snprintf(err, errlen, "ReceiptListen: cannot start its thread: %s",
		    strerror(rc));
		goto fail;
	}
	r->running = 1;
	nf_info("receipt: listening on %s for delivery receipts (/kannel /twilio "
	    "/vonage /webhook)", r->where);
	*out = r;
	return 0;
fail:
	receipt_free(r);
	return -1;
}

void
nf_receipt_stop(struct nf_receipt *r)
{
	char b = 1;

	if (r == NULL)
		return;
	if (r->running) {
		/* the thread answers what it is doing (a store call ends within
		 * the busy timeout), sees the byte and returns */
		if (write(r->wake[1], &b, 1) < 0)
			nf_warn("receipt: cannot wake the listener: %s", strerror(errno));
		pthread_join(r->thread, NULL);
	}
	receipt_free(r);
}
