/*
 * stub.h - run tests/tools/httpstub.py from a C test: start it on a free
 * loopback port, script its answers, read what it received, stop it.
 * Included once by a test program (static functions).  Every wait is
 * bounded; the stub also exits by itself after --max-seconds.
 */
#ifndef NF_TEST_STUB_H
#define NF_TEST_STUB_H

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

struct stub {
	pid_t pid;
	int port;
	char base[64];		/* http://127.0.0.1:PORT */
};

static size_t
stub_collect(char *p, size_t size, size_t n, void *arg)
{
	nf_buf_append(arg, p, size * n);
	return size * n;
}

/* One control request; returns the HTTP status, the body in *out if given. */
static long
stub_call(const struct stub *s, const char *method, const char *path,
    const char *body, struct nf_buf *out)
{
	CURL *c = curl_easy_init();
	char url[128];
	long status = 0;
	struct nf_buf sink;

	nf_buf_init(&sink, 4 << 20);
	snprintf(url, sizeof(url), "%s%s", s->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	/* the control calls of a TLS stub trust its self-signed test cert */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stub_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &sink);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	nf_buf_free(&sink);
	return status;
}

/* Start the stub; with cert and key (PEM paths) it speaks HTTPS. */
static int
stub_start(struct stub *s, const char *srcdir, const char *cert, const char *key)
{
	int fd[2];
	char script[1024], line[64];
	const char *py = getenv("PYTHON3");
	size_t got = 0;
	struct pollfd pfd;
	time_t deadline = time(NULL) + 15;

	memset(s, 0, sizeof(*s));
	if (py == NULL || *py == '\0')
		py = "python3";
	snprintf(script, sizeof(script), "%s/tests/tools/httpstub.py", srcdir);
	if (pipe(fd) != 0)
		return -1;
	if ((s->pid = fork()) < 0)
		return -1;
	if (s->pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		if (cert != NULL)
			execlp(py, py, script, "--max-seconds", "120", "--cert", cert,
			    "--key", key, (char *)NULL);
		else
			execlp(py, py, script, "--max-seconds", "120", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	pfd.fd = fd[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && time(NULL) < deadline) {
		ssize_t n;

		if (poll(&pfd, 1, 500) <= 0)
			continue;
		if ((n = read(fd[0], line + got, 1)) <= 0)
			break;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	close(fd[0]);
	if (sscanf(line, "PORT %d", &s->port) != 1 || s->port <= 0) {
		fprintf(stderr, "httpstub did not start (%s); said '%s'\n", script, line);
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d", cert ? "https" : "http", s->port);
	return 0;
}

static void
stub_stop(struct stub *s)
{
	int i;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return;
		}
		usleep(20000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

static int
stub_reset_script(struct stub *s, const char *json_list)
{
	if (stub_call(s, "POST", "/_stub/reset", "", NULL) != 200)
		return -1;
	return stub_call(s, "POST", "/_stub/script", json_list, NULL) == 200 ? 0 : -1;
}

/* The requests seen since the last reset (a JSON array; json_decref it). */
static json_t *
stub_log(struct stub *s)
{
	struct nf_buf b;
	json_t *j = NULL;
	json_error_t e;

	nf_buf_init(&b, 4 << 20);
	if (stub_call(s, "GET", "/_stub/log", NULL, &b) == 200)
		j = json_loadb(nf_buf_cstr(&b), b.len, 0, &e);
	nf_buf_free(&b);
	return j;
}

/* Field of request i in a log, as a string ("" when absent). */
static const char *
stub_req(json_t *log, size_t i, const char *field)
{
	json_t *r = json_array_get(log, i), *v;

	if (r == NULL)
		return "";
	v = json_object_get(r, field);
	return json_is_string(v) ? json_string_value(v) : "";
}

static const char *
stub_hdr(json_t *log, size_t i, const char *name)
{
	json_t *r = json_array_get(log, i), *v;

	if (r == NULL)
		return NULL;
	v = json_object_get(json_object_get(r, "headers"), name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

#endif
