/*
 * t_token.c - tests of lib/secret.c (SecretFile checks) and lib/token.c
 * (signed tokens, VERP addresses).
 *
 * Files are made in a fresh directory under $TMPDIR (or /tmp) and removed at
 * the end.  The known-answer token was computed independently with Python's
 * hmac and base64 modules, so a change of the format fails here.
 */
#include "secret.h"
#include "tap.h"
#include "token.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[PATH_MAX];

static const char key_a[] = "0123456789abcdef0123456789abcdef";
static const char key_b[] = "0123456789abcdef0123456789abcdeg";

/* Write n bytes to dir/name with the given mode; returns the path (static). */
static const char *
mkfile(const char *name, const void *data, size_t n, mode_t mode)
{
	static char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) != 0) {
		diag("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return path;
	}
	close(fd);
	return path;
}

/* Load path; returns rc, the message in msg, and frees any secret. */
static int
load(const char *path, struct nf_buf *msg, size_t *keylen)
{
	struct nf_secret *s = (struct nf_secret *)1;
	int rc;

	nf_buf_reset(msg);
	rc = nf_secret_load(path, &s, msg);
	if (rc == 0 && keylen != NULL)
		nf_secret_key(s, keylen);
	if (rc != 0 && s != NULL)
		diag("secret pointer not NULL after a failure");
	nf_secret_free(rc == 0 ? s : NULL);
	return rc;
}

static int
has(const struct nf_buf *b, const char *needle)
{
	return strstr(nf_buf_cstr(b), needle) != NULL;
}

static struct nf_secret *
secret_of(const char *name, const char *key)
{
	struct nf_secret *s = NULL;
	struct nf_buf err;
	const char *path = mkfile(name, key, strlen(key), 0600);

	nf_buf_init(&err, 1024);
	if (nf_secret_load(path, &s, &err) != 0)
		diag("cannot load %s: %s", path, nf_buf_cstr(&err));
	nf_buf_free(&err);
	return s;
}

static void
test_secret_files(void)
{
	struct nf_buf msg;
	char want[PATH_MAX + 128], big[5000];
	const char *p;
	size_t klen = 0;
	int rc;

	nf_buf_init(&msg, 4096);

	/* missing */
	snprintf(want, sizeof(want), "%s/nope", dir);
	rc = load(want, &msg, NULL);
	is_int(rc, -1, "missing secret file refused");
	ok(has(&msg, want) && has(&msg, "does not exist") &&
	    has(&msg, "head -c 32 /dev/urandom"),
	    "missing: message names the path and how to make one");
	diag("%s", nf_buf_cstr(&msg));

	/* unset */
	is_int(load("", &msg, NULL), -1, "empty SecretFile path refused");
	ok(has(&msg, "not set"), "empty path: message says SecretFile is not set");

	/* world-readable */
	p = mkfile("world", key_a, strlen(key_a), 0644);
	is_int(load(p, &msg, NULL), -1, "0644 secret file refused");
	snprintf(want, sizeof(want), "chmod 600 %s", p);
	ok(has(&msg, want) && has(&msg, "0644"), "0644: message says `chmod 600 PATH`");
	ok(!has(&msg, key_a), "0644: message does not contain the key");
	diag("%s", nf_buf_cstr(&msg));

	/* group-writable, world-writable */
	p = mkfile("gw", key_a, strlen(key_a), 0620);
	is_int(load(p, &msg, NULL), -1, "0620 (group-writable) secret file refused");
	snprintf(want, sizeof(want), "chmod 600 %s", p);
	ok(has(&msg, want) && has(&msg, "group"), "0620: message says group and chmod 600");
	p = mkfile("ow", key_a, strlen(key_a), 0602);
	is_int(load(p, &msg, NULL), -1, "0602 (world-writable) secret file refused");

	/* group-readable is allowed (root:notifilter 0640) */
	p = mkfile("gr", key_a, strlen(key_a), 0640);
	is_int(load(p, &msg, &klen), 0, "0640 secret file accepted: %s", nf_buf_cstr(&msg));

	/* empty, short, just long enough, too long */
	p = mkfile("empty", "", 0, 0600);
	is_int(load(p, &msg, NULL), -1, "empty secret file refused");
	ok(has(&msg, "is empty") && has(&msg, "head -c 32 /dev/urandom"),
	    "empty: message says so and how to fill it");
	p = mkfile("nl", "\n", 1, 0600);
	is_int(load(p, &msg, NULL), -1, "secret file with only a newline refused");
	ok(has(&msg, "is empty"), "newline only: reported as empty");
	p = mkfile("short", "0123456789", 10, 0600);
	is_int(load(p, &msg, NULL), -1, "0600 secret file of 10 bytes refused");
	ok(has(&msg, "10 bytes") && has(&msg, "at least 16") &&
	    has(&msg, "head -c 32 /dev/urandom"), "short: message gives size and the fix");
	diag("%s", nf_buf_cstr(&msg));
	p = mkfile("short15", "0123456789abcde\n", 16, 0600);
	is_int(load(p, &msg, NULL), -1, "15 bytes + newline refused (newline is not key)");
	p = mkfile("ok16", "0123456789abcdef\n", 17, 0600);
	klen = 0;
	is_int(load(p, &msg, &klen), 0, "16 bytes + newline accepted: %s", nf_buf_cstr(&msg));
	is_int(klen, 16, "trailing newline is not part of the key");
	p = mkfile("crlf", "0123456789abcdef\r\n", 18, 0600);
	klen = 0;
	is_int(load(p, &msg, &klen), 0, "16 bytes + CRLF accepted");
	is_int(klen, 16, "trailing CRLF is not part of the key");
	memset(big, 'k', sizeof(big));
	p = mkfile("big", big, sizeof(big), 0600);
	is_int(load(p, &msg, NULL), -1, "5000-byte secret file refused");
	ok(has(&msg, "longer than 4096"), "too long: message says so");
	p = mkfile("max", big, NF_SECRET_MAX, 0600);
	is_int(load(p, &msg, &klen), 0, "4096-byte secret file accepted");
	memcpy(big + NF_SECRET_MAX, "\r\n", 2);
	p = mkfile("maxcrlf", big, NF_SECRET_MAX + 2, 0600);
	is_int(load(p, &msg, &klen), 0, "4096 bytes + CRLF accepted");
	p = mkfile("max1", big, NF_SECRET_MAX + 1, 0600);
	is_int(load(p, &msg, NULL), -1, "4097 bytes (no line end) refused");

	/* not a regular file */
	is_int(load(dir, &msg, NULL), -1, "directory refused");
	ok(has(&msg, "is a directory") && has(&msg, dir), "directory: message says so");
	diag("%s", nf_buf_cstr(&msg));
	snprintf(want, sizeof(want), "%s/fifo", dir);
	if (mkfifo(want, 0600) == 0) {
		is_int(load(want, &msg, NULL), -1, "FIFO refused (and the load did not hang)");
		ok(has(&msg, "FIFO"), "FIFO: message says so");
	} else {
		diag("mkfifo %s: %s", want, strerror(errno));
		ok(0, "could make a FIFO for the test");
	}

	/* a symlink to a good file is followed */
	p = mkfile("good", key_a, strlen(key_a), 0600);
	snprintf(want, sizeof(want), "%s/link", dir);
	if (symlink(p, want) != 0)
		diag("symlink: %s", strerror(errno));
	klen = 0;
	is_int(load(want, &msg, &klen), 0, "symlink to a 0600 file accepted");
	is_int(klen, strlen(key_a), "key length as in the file");

	/* good file */
	klen = 0;
	is_int(load(p, &msg, &klen), 0, "good 0600 secret file accepted");
	is_int(klen, 32, "32-byte key");
	is_int(msg.len, 0, "no message on success");

	/* a path through a regular file: open fails with ENOTDIR */
	snprintf(want, sizeof(want), "%s/x", p);
	is_int(load(want, &msg, NULL), -1, "path through a file refused");
	ok(has(&msg, "cannot be opened"), "ENOTDIR: message says it cannot be opened");

	nf_buf_free(&msg);
}

/*
 * Unreadable.  As root chmod 000 proves nothing (root reads it anyway), so a
 * child process drops to nobody (65534) and tries to read a root-owned 0600
 * file; it reports rc and the message through a pipe.
 */
static void
test_secret_unreadable(void)
{
	const char *p = mkfile("root-only", key_a, strlen(key_a), 0600);
	char path[PATH_MAX + 64], buf[2048];
	struct nf_buf msg;
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s", p);
	if (geteuid() != 0) {
		chmod(path, 0000);
		nf_buf_init(&msg, 4096);
		is_int(load(path, &msg, NULL), -1, "unreadable (mode 000) secret file refused");
		ok(has(&msg, "cannot be read"), "unreadable: message says so: %s", nf_buf_cstr(&msg));
		nf_buf_free(&msg);
		return;
	}
	/* nobody must be able to reach the directory, not the file */
	chmod(dir, 0711);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		ok(0, "pipe/fork for the unreadable test: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		struct nf_secret *s = NULL;
		int rc;

		close(fds[0]);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		nf_buf_init(&msg, 2048);
		rc = nf_secret_load(path, &s, &msg);
		if (write(fds[1], nf_buf_cstr(&msg), msg.len) < 0)
			_exit(4);
		_exit(rc == -1 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	chmod(dir, 0700);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		diag("skip: cannot drop to uid 65534 here, the unreadable case is untested");
		return;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "root-owned 0600 secret file refused for uid 65534 (child status %d)", status);
	ok(strstr(buf, "cannot be read") != NULL && strstr(buf, path) != NULL,
	    "unreadable: message names the path: %s", buf);
}

static int
all_b32(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '2' && *s <= '7')))
			return 0;
	return 1;
}

static void
test_tokens(void)
{
	struct nf_secret *a = secret_of("key-a", key_a), *b = secret_of("key-b", key_b);
	char tok[NF_TOKEN_SIZE], tok2[NF_TOKEN_SIZE], alt[NF_TOKEN_SIZE + 40];
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-+._@ ";
	uint64_t id = 0;
	int64_t created = 0;
	size_t pos, ci, bad, tried, len;
	int rc, first_rc, want;

	if (a == NULL || b == NULL) {
		ok(0, "test keys loaded");
		return;
	}

	/* known answer */
	is_int(nf_token_make(a, 0x0123456789abcdefULL, 1700000000, tok, sizeof(tok)), 0,
	    "make token");
	is_str(tok, "1aerukz4jvpg66tg3ea7tlyqme3dchd57", "token matches the independent vector");
	is_int(strlen(tok), NF_TOKEN_LEN, "token length");
	ok(tok[0] == '1' && all_b32(tok + 1), "version '1' then lower-case base32: %s", tok);

	/* round trip */
	rc = nf_token_verify(a, tok, &id, &created);
	is_int(rc, NF_TOKEN_OK, "token verifies with its key (%s)", nf_token_strerror(rc));
	ok(id == 0x0123456789abcdefULL, "msgid back: %016llx", (unsigned long long)id);
	is_int(created, 19675LL * 86400, "created = start of the UTC day");
	is_int(nf_token_verify(a, tok, NULL, NULL), NF_TOKEN_OK, "NULL outputs are fine");

	/* any case */
	for (pos = 0; tok[pos]; pos++)
		alt[pos] = (char)toupper((unsigned char)tok[pos]);
	alt[pos] = '\0';
	is_int(nf_token_verify(a, alt, NULL, NULL), NF_TOKEN_OK, "upper-cased token verifies");
	for (pos = 0; tok[pos]; pos++)
		alt[pos] = pos % 2 ? (char)toupper((unsigned char)tok[pos]) : tok[pos];
	is_int(nf_token_verify(a, alt, NULL, NULL), NF_TOKEN_OK, "mixed-case token verifies");

	/* another key */
	is_int(nf_token_verify(b, tok, NULL, NULL), NF_TOKEN_EMAC, "another key: bad MAC");
	is_int(nf_token_make(b, 0x0123456789abcdefULL, 1700000000, tok2, sizeof(tok2)), 0,
	    "make with key b");
	ok(strcmp(tok, tok2) != 0, "keys a and b give different tokens");
	is_int(nf_token_verify(a, tok2, NULL, NULL), NF_TOKEN_EMAC, "key b token fails under key a");

	/* every single-character alteration fails, with the right code */
	bad = tried = 0;
	first_rc = 0;
	for (pos = 0; pos < NF_TOKEN_LEN; pos++) {
		for (ci = 0; chars[ci]; ci++) {
			if (chars[ci] == tok[pos])
				continue;
			memcpy(alt, tok, sizeof(tok));
			alt[pos] = chars[ci];
			tried++;
			if (pos == 0)
				want = isalnum((unsigned char)chars[ci]) ? NF_TOKEN_EVERSION :
				    NF_TOKEN_EMALFORMED;
			else if (strchr("abcdefghijklmnopqrstuvwxyz234567", chars[ci]))
				want = NF_TOKEN_EMAC;
			else
				want = NF_TOKEN_EMALFORMED;
			rc = nf_token_verify(a, alt, NULL, NULL);
			if (rc != want) {
				if (bad++ == 0) {
					first_rc = rc;
					diag("altered %s (position %zu to '%c'): got %d, want %d",
					    alt, pos, chars[ci], rc, want);
				}
			}
		}
	}
	ok(bad == 0 && tried > 1000, "%zu single-character alterations all fail as expected "
	    "(%zu wrong, first rc %d)", tried, bad, first_rc);

	/* truncated, extended */
	bad = 0;
	for (len = 0; len < NF_TOKEN_LEN; len++) {
		memcpy(alt, tok, len);
		alt[len] = '\0';
		rc = nf_token_verify(a, alt, NULL, NULL);
		want = len == 0 ? NF_TOKEN_EMALFORMED : NF_TOKEN_ELENGTH;
		if (rc != want && bad++ == 0)
			diag("truncated to %zu: got %d, want %d", len, rc, want);
	}
	ok(bad == 0, "every truncation fails (%zu wrong)", bad);
	snprintf(alt, sizeof(alt), "%sa", tok);
	is_int(nf_token_verify(a, alt, NULL, NULL), NF_TOKEN_ELENGTH, "one char added: wrong length");
	snprintf(alt, sizeof(alt), "%s%s", tok, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	is_int(nf_token_verify(a, alt, NULL, NULL), NF_TOKEN_ELENGTH, "long tail: wrong length");
	snprintf(alt, sizeof(alt), "%s ", tok);
	is_int(nf_token_verify(a, alt, NULL, NULL), NF_TOKEN_EMALFORMED,
	    "trailing space: a bad character (named before the length)");

	/* garbage */
	is_int(nf_token_verify(a, NULL, NULL, NULL), NF_TOKEN_EMALFORMED, "NULL token");
	is_int(nf_token_verify(a, "", NULL, NULL), NF_TOKEN_EMALFORMED, "empty token");
	is_int(nf_token_verify(a, "hello", NULL, NULL), NF_TOKEN_EVERSION, "\"hello\": unknown version");
	is_int(nf_token_verify(a, "1hello!", NULL, NULL), NF_TOKEN_EMALFORMED, "\"1hello!\": bad char");
	is_int(nf_token_verify(a, "!aerukz4jvpg66tg3ea7tlyqme3dchd57", NULL, NULL),
	    NF_TOKEN_EMALFORMED, "punctuation as version: malformed");
	is_int(nf_token_verify(a, "2aerukz4jvpg66tg3ea7tlyqme3dchd57", NULL, NULL),
	    NF_TOKEN_EVERSION, "version 2: unknown version");
	is_int(nf_token_verify(a, "1\xc3\xa4\xc3\xa4", NULL, NULL), NF_TOKEN_EMALFORMED,
	    "UTF-8 bytes: malformed");
	is_int(nf_token_verify(a, "100000000000000000000000000000000", NULL, NULL),
	    NF_TOKEN_EMALFORMED, "digits 0/1 are not base32");
	is_int(nf_token_verify(a, "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL),
	    NF_TOKEN_EMAC, "all-zero payload: bad MAC");
	id = 7;
	created = 7;
	nf_token_verify(a, "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &id, &created);
	ok(id == 7 && created == 7, "outputs untouched on failure");
	is_int(nf_token_verify(NULL, tok, NULL, NULL), NF_TOKEN_EMALFORMED, "NULL secret");

	/* messages are distinct */
	ok(strcmp(nf_token_strerror(NF_TOKEN_EMAC), nf_token_strerror(NF_TOKEN_ELENGTH)) &&
	    strcmp(nf_token_strerror(NF_TOKEN_EVERSION), nf_token_strerror(NF_TOKEN_EMALFORMED)) &&
	    strstr(nf_token_strerror(NF_TOKEN_EMAC), "key") != NULL,
	    "nf_token_strerror gives distinct reasons");

	/* edges of msgid and time */
	is_int(nf_token_make(a, 0, 0, tok2, sizeof(tok2)), 0, "msgid 0 at the epoch");
	rc = nf_token_verify(a, tok2, &id, &created);
	ok(rc == 0 && id == 0 && created == 0, "msgid 0 / day 0 round trip (rc %d)", rc);
	is_int(nf_token_make(a, UINT64_MAX, 65535LL * 86400 + 86399, tok2, sizeof(tok2)), 0,
	    "largest msgid on the last day");
	rc = nf_token_verify(a, tok2, &id, &created);
	ok(rc == 0 && id == UINT64_MAX && created == 65535LL * 86400,
	    "largest msgid / last day round trip (rc %d)", rc);
	is_int(nf_token_make(a, 1, 65536LL * 86400, tok2, sizeof(tok2)), -1, "day 65536 refused");
	is_str(tok2, "", "output empty after a refusal");
	is_int(nf_token_make(a, 1, -1, tok2, sizeof(tok2)), -1, "time before 1970 refused");
	is_int(nf_token_make(a, 1, 1700000000, tok2, NF_TOKEN_LEN), -1, "buffer one short refused");
	is_str(tok2, "", "short buffer left empty, not truncated");
	is_int(nf_token_make(NULL, 1, 1700000000, tok2, sizeof(tok2)), -1, "NULL secret refused");

	/* different message or day, different token */
	nf_token_make(a, 0x0123456789abcdeeULL, 1700000000, tok2, sizeof(tok2));
	ok(strcmp(tok, tok2) != 0, "msgid differs by one bit: token differs");
	nf_token_make(a, 0x0123456789abcdefULL, 1700000000 + 86400, tok2, sizeof(tok2));
	ok(strcmp(tok, tok2) != 0, "next day: token differs");
	nf_token_make(a, 0x0123456789abcdefULL, 1700000000 + 3600, tok2, sizeof(tok2));
	is_str(tok2, tok, "same day: same token (time is kept per day)");

	/* new ids */
	{
		uint64_t m1 = nf_token_new_msgid(), m2 = nf_token_new_msgid();

		ok(m1 != 0 && m2 != 0 && m1 != m2, "new msgids are non-zero and differ "
		    "(%016llx %016llx)", (unsigned long long)m1, (unsigned long long)m2);
	}

	nf_secret_free(a);
	nf_secret_free(b);
}

static void
test_verp(void)
{
	struct nf_secret *a = secret_of("key-verp", key_a);
	char tok[NF_TOKEN_SIZE], addr[NF_TOKEN_VERP_MAX + 1], got[NF_TOKEN_SIZE];
	char longdom[300];
	static const struct {
		const char *addr;
		const char *why;
	} neg[] = {
		{ "other+1abc@bounces.example.com", "other prefix" },
		{ "bouncex+1abc@bounces.example.com", "prefix with more letters" },
		{ "xbounce+1abc@bounces.example.com", "prefix with a leading letter" },
		{ "bounce-x+1abc@bounces.example.com", "extended prefix" },
		{ "bounce1abc@bounces.example.com", "no '+'" },
		{ "bounce+@bounces.example.com", "empty token" },
		{ "bounce+1a.bc@bounces.example.com", "'.' in the token" },
		{ "bounce+1abc+x@bounces.example.com", "second '+'" },
		{ "bounce+1abc@bounces.example.com.evil", "other domain (suffix)" },
		{ "bounce+1abc@sub.bounces.example.com", "subdomain" },
		{ "bounce+1abc@example.com", "parent domain" },
		{ "bounce+1abc@", "no domain" },
		{ "bounce+1abc", "no '@'" },
		{ "bounce+1abc@bounces.example.com>", "'>' without '<'" },
		{ "<bounce+1abc@bounces.example.com", "'<' without '>'" },
		{ "<>", "null sender" },
		{ "", "empty" },
		{ "bounce+1abc@@bounces.example.com", "two '@'" },
		{ "bounce+1abc@bounces.example.com..", "two trailing dots" },
		{ " bounce+1abc@bounces.example.com", "leading space" },
	};
	size_t i, bad = 0;
	int rc;

	if (a == NULL) {
		ok(0, "test key loaded");
		return;
	}
	nf_token_make(a, 42, 1700000000, tok, sizeof(tok));
	is_int(nf_token_verp("bounce", tok, "bounces.example.com", addr, sizeof(addr)), 0,
	    "build VERP address");
	{
		char want[128];

		snprintf(want, sizeof(want), "bounce+%s@bounces.example.com", tok);
		is_str(addr, want, "VERP address layout");
	}
	is_int(nf_token_from_verp(addr, "bounce", "bounces.example.com", got, sizeof(got)), 0,
	    "extract token");
	is_str(got, tok, "extracted token is the one put in");
	is_int(nf_token_verify(a, got, NULL, NULL), NF_TOKEN_OK, "extracted token verifies");

	/* case and decoration */
	for (i = 0; addr[i]; i++)
		addr[i] = (char)toupper((unsigned char)addr[i]);
	is_int(nf_token_from_verp(addr, "bounce", "bounces.example.com", got, sizeof(got)), 0,
	    "upper-cased VERP address: found");
	is_str(got, tok, "token lower-cased on the way out");
	snprintf(addr, sizeof(addr), "<Bounce+%s@Bounces.Example.COM.>", tok);
	is_int(nf_token_from_verp(addr, "bounce", "bounces.example.com", got, sizeof(got)), 0,
	    "<>, mixed case and a trailing dot: found");
	is_str(got, tok, "token from the decorated address");
	snprintf(addr, sizeof(addr), "bounce+%s@bounces.example.com", tok);
	is_int(nf_token_from_verp(addr, "BOUNCE", "BOUNCES.example.com.", got, sizeof(got)), 0,
	    "upper-case configured prefix and domain: found");

	/* too small a buffer */
	is_int(nf_token_from_verp(addr, "bounce", "bounces.example.com", got, NF_TOKEN_LEN), -2,
	    "token buffer one short: -2");
	is_str(got, "", "short buffer left empty");

	/* negatives */
	for (i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
		strcpy(got, "unchanged");
		rc = nf_token_from_verp(neg[i].addr, "bounce", "bounces.example.com", got,
		    sizeof(got));
		if (rc != -1 || got[0] != '\0') {
			if (bad++ == 0)
				diag("%s (%s): got %d and \"%s\", want -1 and \"\"",
				    neg[i].addr, neg[i].why, rc, got);
		}
	}
	ok(bad == 0, "%zu non-VERP addresses refused (%zu wrong)",
	    sizeof(neg) / sizeof(neg[0]), bad);
	{
		char tok65[65 + 1], a65[128], big[70];

		memset(tok65, 'a', 65);
		tok65[65] = '\0';
		snprintf(a65, sizeof(a65), "bounce+%s@bounces.example.com", tok65);
		is_int(nf_token_from_verp(a65, "bounce", "bounces.example.com", big, sizeof(big)),
		    -1, "token candidate of 65 characters is not ours");
		tok65[64] = '\0';
		snprintf(a65, sizeof(a65), "bounce+%s@bounces.example.com", tok65);
		is_int(nf_token_from_verp(a65, "bounce", "bounces.example.com", big, sizeof(big)),
		    0, "token candidate of 64 characters is found (verify judges it)");
		is_str(big, tok65, "64-character candidate copied whole");
	}
	is_int(nf_token_from_verp(NULL, "bounce", "d", got, sizeof(got)), -1, "NULL address");
	is_int(nf_token_from_verp(addr, "", "bounces.example.com", got, sizeof(got)), -1,
	    "empty prefix");
	memset(longdom, 'a', sizeof(longdom) - 1);
	longdom[sizeof(longdom) - 1] = '\0';
	snprintf(addr, sizeof(addr), "bounce+%s@", tok);
	{
		char huge[400];

		snprintf(huge, sizeof(huge), "bounce+%s@%s", tok, longdom);
		is_int(nf_token_from_verp(huge, "bounce", longdom, got, sizeof(got)), -1,
		    "address over 254 octets is not ours");
	}

	/* building: limits */
	is_int(nf_token_verp("abcdefghijklmnopqrst", tok, "b.example", addr, sizeof(addr)), 0,
	    "20-character prefix fits (local part %zu octets)", 20 + 1 + strlen(tok));
	ok(strlen(addr) - strlen("@b.example") <= 64, "local part <= 64 octets");
	is_int(nf_token_verp("abcdefghijklmnopqrstuvwxyzabcde", tok, "b.example", addr,
	    sizeof(addr)), -1, "31-character prefix + token: local part 65, refused");
	is_str(addr, "", "refused build leaves the output empty");
	is_int(nf_token_verp("a b", tok, "b.example", addr, sizeof(addr)), -1, "space in prefix");
	is_int(nf_token_verp("a+b", tok, "b.example", addr, sizeof(addr)), -1, "'+' in prefix");
	is_int(nf_token_verp(".ab", tok, "b.example", addr, sizeof(addr)), -1, "leading dot");
	is_int(nf_token_verp("a..b", tok, "b.example", addr, sizeof(addr)), -1, "two dots");
	is_int(nf_token_verp("", tok, "b.example", addr, sizeof(addr)), -1, "empty prefix");
	is_int(nf_token_verp("no-reply.x_y", tok, "b.example", addr, sizeof(addr)), 0,
	    "prefix with '-', '.', '_' accepted");
	is_int(nf_token_verp("b", "1ab-c", "b.example", addr, sizeof(addr)), -1, "bad token char");
	is_int(nf_token_verp("b", "", "b.example", addr, sizeof(addr)), -1, "empty token");
	is_int(nf_token_verp("b", tok, "a@b.example", addr, sizeof(addr)), -1, "'@' in domain");
	is_int(nf_token_verp("b", tok, "", addr, sizeof(addr)), -1, "empty domain");
	is_int(nf_token_verp("b", tok, longdom, addr, sizeof(addr)), -1, "address over 254");
	is_int(nf_token_verp("bounce", tok, "b.example", addr, 6 + 1 + NF_TOKEN_LEN + 1 + 9), -1,
	    "output one short: refused");
	is_int(nf_token_verp("bounce", tok, "b.example", addr, 6 + 1 + NF_TOKEN_LEN + 1 + 9 + 1),
	    0, "output exactly long enough");

	nf_secret_free(a);
}

static void
cleanup(void)
{
	static const char *const names[] = {
		"world", "gw", "ow", "gr", "empty", "nl", "short", "short15", "ok16",
		"crlf", "big", "max", "maxcrlf", "max1", "fifo", "link", "good",
		"root-only", "key-a", "key-b", "key-verp",
	};
	char path[PATH_MAX + 64];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	if (rmdir(dir) != 0)
		diag("could not remove %s: %s", dir, strerror(errno));
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t_token.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}
	umask(077);
	test_secret_files();
	test_secret_unreadable();
	test_tokens();
	test_verp();
	cleanup();
	return tap_done();
}
