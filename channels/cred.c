/*
 * cred.c - read a provider credential from its *_file (password_file,
 * token_file, secret_file).
 *
 * Why not lib/secret.c: nf_secret_load() insists on 16 bytes, the floor
 * for our own HMAC keys, but a Kannel password or a Vonage API secret is
 * whatever the provider issued and is often shorter.  The file checks are
 * the same (one open, fstat on that descriptor, regular file, not readable
 * by others, not writable by group or others), and so is the promise: the
 * value is wiped when freed and never appears in a message.  The value
 * itself must be printable ASCII (it travels in HTTP headers and forms, so
 * a control character could split a header), without blanks at either
 * end, 1..NF_CRED_MAX bytes after one trailing newline is removed.
 */
#include "config.h"

#include "channel_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NF_CRED_MAX 1024

void
nf_chan_cred_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

char *
nf_chan_cred_load(const char *key, const char *path, struct nf_buf *err)
{
	char buf[NF_CRED_MAX + 3];
	struct stat st;
	size_t got = 0, i;
	ssize_t n;
	char *out = NULL;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		nf_buf_printf(err, "%s %s cannot be opened (%s); %s", key, path, strerror(e),
		    e == ENOENT ? "write the credential into that file and `chmod 600` it"
		    : "make it readable by the user notifilter runs as, mode 600 or 640");
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		nf_buf_printf(err, "%s %s cannot be examined (%s)", key, path, strerror(e));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		nf_buf_printf(err, "%s %s is not a regular file; point %s at the file "
		    "holding the credential", key, path, key);
		return NULL;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		close(fd);
		nf_buf_printf(err, "%s %s is %s by others (mode %04o); run `chmod 600 %s`",
		    key, path, (st.st_mode & S_IROTH) ? "readable" : "writable",
		    (unsigned)(st.st_mode & 07777), path);
		return NULL;
	}
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			OPENSSL_cleanse(buf, sizeof(buf));
			nf_buf_printf(err, "%s %s cannot be read (%s)", key, path, strerror(e));
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < sizeof(buf) && got > 0 && buf[got - 1] == '\n') {
		got--;
		if (got > 0 && buf[got - 1] == '\r')
			got--;
	}
	if (got == 0 || got > NF_CRED_MAX) {
		nf_buf_printf(err, "%s %s %s; it must hold the credential alone on one line",
		    key, path, got == 0 ? "is empty" : "is longer than 1024 bytes");
		goto out;
	}
	for (i = 0; i < got; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
			break;
	if (i < got || buf[0] == ' ' || buf[got - 1] == ' ') {
		nf_buf_printf(err, "%s %s holds a control character, a non-ASCII byte, "
		    "a second line or blanks around the value; it must hold the "
		    "credential alone on one line", key, path);
		goto out;
	}
	if ((out = malloc(got + 1)) == NULL) {
		nf_buf_printf(err, "%s %s: out of memory", key, path);
		goto out;
	}
	memcpy(out, buf, got);
	out[got] = '\0';
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return out;
}

char *
nf_chan_cred_opt(const char *driver, const struct nf_conf_channel *cc,
    const char *key, struct nf_buf *err)
{
	const char *path = nf_conf_channel_get(cc, key);
	struct nf_buf e;
	char *v;

	if (path == NULL) {
		nf_buf_printf(err, "%s: %s=PATH is required", driver, key);
		return NULL;
	}
	nf_buf_init(&e, 1024);
	if ((v = nf_chan_cred_load(key, path, &e)) == NULL)
		nf_buf_printf(err, "%s: %s", driver, nf_buf_cstr(&e));
	nf_buf_free(&e);
	return v;
}
