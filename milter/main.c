/*
 * main.c - notifilter, the milter daemon: start-up and shutdown in one
 * visible order.
 *
 *   1. parse arguments; load the configuration (exit 78 with file:line);
 *      -n dumps it and exits; load the SecretFile key (exit 78 with the
 *      loader's message; tagging off, logged once, without BounceDomain
 *      and SecretFile); start libcurl (before any thread) and open every
 *      Channel, reading its secret files as the starting user (exit 78
 *      with file:line)
 *   2. open the log; look up UserID
 *   3. block SIGUSR1 in every thread to come
 *   4. open the milter socket (umask UMask; a stale unix socket is
 *      removed; chown it to UserID)
 *   5. without -f: detach; the parent waits until the child is ready and
 *      exits with the child's start-up status
 *   6. write the pid file; drop privileges to UserID (the one place)
 *   7. open the store pool as that user (so the files SQLite creates,
 *      -wal and -shm included, belong to it; exit 69 if it cannot), start
 *      the event writer, the MailLog follower, the fallback scheduler and
 *      dispatchers (milter/fallback.c; only when a Channel is configured),
 *      the receipt listener (ReceiptListen, milter/receipt.c, with a small
 *      store pool of its own) and the SIGUSR1 reload thread
 *   8. smfi_main() until libmilter stops (SIGTERM, SIGINT, SIGHUP)
 *   9. stop the reload thread and the receipt listener, stop the fallback
 *      threads (a request in
 *      flight finishes, bounded by the channel time-outs, or its row is
 *      left 'sending' for the next start), drain the event writer
 *      (nothing queued is lost), close the store, remove the pid file
 *
 * Until step 7 is done, errors also go to the terminal's stderr, and the
 * detached child's exit status reaches the waiting parent, so a store or
 * permission problem is seen by whoever started the daemon.
 *
 * Only main() exits.  A reload that fails keeps the old configuration and
 * logs file:line; keys that need a restart (Socket, Database, UserID,
 * PidFile, Channel lines) are reported when they change.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "milter.h"
#include "secret.h"
#include "store.h"
#include "follow.h"
#include "fallback.h"
#include "fallback_send.h"
#include "receipt.h"
#include "../lib/fallback.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_NOUSER_ 67
#define EX_UNAVAILABLE_ 69
#define EX_SOFTWARE_ 70
#define EX_OSERR_ 71
#define EX_CANTCREAT_ 73
#define EX_NOPERM_ 77
#define EX_CONFIG_ 78

#define NF_WRITER_CAPACITY 65536	/* events queued at most */
#define NF_WRITER_BATCH 512		/* events per transaction at most */
#define NF_WRITER_DRAIN_MS 10000	/* at shutdown, retry a busy store this long */
#define NF_POOL_HANDLES 16
#define NF_FALLBACK_DISPATCHERS 8	/* concurrent provider requests */
#define NF_FALLBACK_STOP_MS 3000	/* at shutdown, beyond a request in flight */

static const char *conf_path = NF_CONF_DEFAULT_PATH;
static atomic_int reload_stop;
static struct nf_milter_key *start_key;	/* SecretFile key until installed */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: notifilter [-c FILE] [-f] [-n] [-V]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -f       stay in the foreground and log to stderr too\n"
	    "  -n       check the configuration, print it with every default, exit\n"
	    "  -V       print the version and exit\n", NF_CONF_DEFAULT_PATH);
}

/* The path of a unix-domain socket spec, or NULL for inet/inet6. */
static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* "user" or "user:group" -> ids.  0 ok; -1 with a message on stderr. */
static int
lookup_user(const char *spec, uid_t *uid, gid_t *gid, char *name,
    size_t namelen)
{
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;

	if (ulen == 0 || ulen >= namelen) {
		nf_err("UserID \"%s\": expected user or user:group", spec);
		return -1;
	}
	memcpy(name, spec, ulen);
	name[ulen] = '\0';
	pw = getpwnam(name);
	if (pw == NULL) {
		nf_err("UserID \"%s\": no such user; create it or fix UserID in %s",
		    name, conf_path);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		struct group *gr = getgrnam(colon + 1);

		if (gr == NULL) {
			nf_err("UserID \"%s\": no such group \"%s\"", spec,
			    colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* The one place where privileges are given up. */
static int
drop_privileges(const char *name, uid_t uid, gid_t gid)
{
	if (setgid(gid) != 0 || initgroups(name, gid) != 0 ||
	    setuid(uid) != 0) {
		nf_err("cannot become user %s: %s", name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		nf_err("still able to regain root after becoming %s: refusing "
		    "to run", name);
		return -1;
	}
	nf_info("running as user %s (uid %ld)", name, (long)uid);
	return 0;
}

static int
open_socket(const struct nf_conf *conf, int have_user, uid_t uid, gid_t gid)
{
	struct smfiDesc desc = nf_milter_desc();
	const char *path = socket_path(conf->socket);
	mode_t old;
	int rc;

	if (smfi_setconn(conf->socket) == MI_FAILURE) {
		nf_err("Socket \"%s\" is not a valid milter socket spec "
		    "(unix:/path, inet:PORT@HOST, inet6:PORT@HOST)", conf->socket);
		return -1;
	}
	if (smfi_register(desc) == MI_FAILURE) {
		nf_err("smfi_register failed: libmilter too old?");
		return -1;
	}
	old = umask((mode_t)conf->umask);
	/* rmsocket = 1: a stale unix socket left by a crash is removed */
	rc = smfi_opensocket(1);
	umask(old);
	if (rc == MI_FAILURE) {
		nf_err("cannot open the milter socket %s: is another notifilter "
		    "running, the port in use, or the directory missing?",
		    conf->socket);
		return -1;
	}
	if (path != NULL && have_user && chown(path, uid, gid) != 0) {
		nf_err("cannot hand the socket %s to UserID: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
write_pid_file(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		nf_err("cannot write the pid file %s: %s (set PidFile to a "
		    "writable place)", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		nf_err("cannot write the pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Detach.  The parent stays until the child reports its start-up status
 * through a pipe, so `notifilter -c X && echo ok` means "it is serving".
 * Returns -1 in the parent (with *parent_exit set), the write end of the
 * pipe in the child.
 */
static int
detach(int *parent_exit)
{
	int p[2];
	pid_t pid;
	unsigned char status;

	if (pipe(p) != 0) {
		nf_err("pipe: %s", strerror(errno));
		*parent_exit = EX_OSERR_;
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		nf_err("fork: %s", strerror(errno));
		*parent_exit = EX_OSERR_;
		return -1;
	}
	if (pid > 0) {
		ssize_t n;

		close(p[1]);
		do
			n = read(p[0], &status, 1);
		while (n < 0 && errno == EINTR);
		*parent_exit = n == 1 ? status : EX_SOFTWARE_;
		return -1;
	}
	close(p[0]);
	if (setsid() < 0)
		nf_warn("setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		nf_warn("chdir /: %s", strerror(errno));
	return p[1];
}

static void
report_ready(int fd, unsigned char status)
{
	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		nf_warn("could not tell the starting process: %s", strerror(errno));
	close(fd);
}

static void
stdio_to_null(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/*
 * The store's erasure key comes from the same SecretFile as the tracking
 * key: without it the policy lookup cannot see erased (hashed)
 * suppressions, and an erased address would pass.  A configuration
 * without SecretFile keeps the key already installed (erased rows stay
 * visible).  0, or -1 when the key could not be derived.
 */
static int
erase_key_install(const struct nf_milter_key *k)
{
	const unsigned char *bytes;
	size_t len = 0;

	if (k == NULL)
		return 0;
	bytes = nf_secret_key(nf_milter_key_secret(k), &len);
	return nf_store_erase_key_set(bytes, len);
}

static void
reload(void)
{
	struct nf_conf *nc = NULL, *old;
	struct nf_milter_key *nk = NULL;
	struct nf_buf err;

	nf_buf_init(&err, 4096);
	if (nf_conf_load(conf_path, &nc, &err) != 0) {
		nf_err("reload failed, keeping the running configuration: %s",
		    nf_buf_cstr(&err));
		nf_buf_free(&err);
		return;
	}
	nf_buf_free(&err);
	nf_buf_init(&err, 4096);
	if (nf_milter_key_load(nc, &nk, &err) != 0) {
		nf_err("reload failed, keeping the running configuration and "
		    "key: %s", nf_buf_cstr(&err));
		nf_buf_free(&err);
		nf_conf_unref(nc);
		return;
	}
	nf_buf_free(&err);
	old = nf_milter_conf_get();
	if (old != NULL) {
		const char *was = nf_milter_tag_off_reason(old);
		const char *now = nf_milter_tag_off_reason(nc);

		if (now != NULL && (was == NULL || strcmp(was, now) != 0))
			nf_warn("reload: tagging is off now: %s in %s; set them "
			    "to tag notification mail (decisions are still "
			    "recorded)", now, conf_path);
		else if (now == NULL && was != NULL)
			nf_info("reload: tagging is on now");
		if (str_differs(old->socket, nc->socket))
			nf_warn("reload: Socket changed; takes effect at restart");
		if (str_differs(old->database, nc->database))
			nf_warn("reload: Database changed; takes effect at restart");
		if (str_differs(old->user_id, nc->user_id))
			nf_warn("reload: UserID changed; takes effect at restart");
		if (str_differs(old->pid_file, nc->pid_file))
			nf_warn("reload: PidFile changed; takes effect at restart");
		if (nf_fallback_channels_differ(old, nc))
			nf_warn("reload: Channel lines changed; the channels "
			    "opened at start stay in use until a restart (new "
			    "limits, template, quiet hours apply now)");
		nf_conf_unref(old);
	}
	nf_log_set_level((enum nf_log_level)nc->log_level);
	if (erase_key_install(nk) != 0)
		nf_err("reload: cannot derive the erasure key from %s; erased "
		    "addresses are checked with the previous key",
		    nc->secret_file ? nc->secret_file : "SecretFile");
	nf_milter_state_set(nc, nk);
	nf_info("configuration reloaded from %s", conf_path);
}

/* SIGUSR1 is blocked everywhere; this thread alone takes it. */
static void *
reload_main(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (atomic_load(&reload_stop))
			break;
		reload();
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct nf_conf *conf = NULL;
	struct nf_buf err;
	struct nf_writer *writer = NULL;
	struct nf_writer_stats ws;
	struct nf_follow *follower = NULL;
	struct nf_fallback *fallback = NULL;
	struct nf_receipt *receipts = NULL;
	struct nf_store_pool *receipt_pool = NULL;
	char errbuf[1024], uname[256];
	int foreground = 0, check = 0, opt, notify_fd = -1, parent_exit = 0;
	int have_user = 0, ret = EX_OK_, pid_written = 0;
	char *pid_path = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	sigset_t sigs;
	pthread_t reload_thread;

	while ((opt = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check = 1; break;
		case 'V':
			printf("notifilter %s\n", PACKAGE_VERSION);
			return EX_OK_;
		case 'h':
			usage(stdout);
			return EX_OK_;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "notifilter: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EX_USAGE_;
	}

	/* 1. configuration */
	nf_buf_init(&err, 4096);
	if (nf_conf_load(conf_path, &conf, &err) != 0) {
		fprintf(stderr, "notifilter: %s\n", nf_buf_cstr(&err));
		nf_buf_free(&err);
		return EX_CONFIG_;
	}
	nf_buf_free(&err);
	if (check) {
		nf_conf_dump(conf, stdout);
		nf_conf_unref(conf);
		return EX_OK_;
	}
	/* the tracking key: a missing, unreadable, world-readable or short
	 * SecretFile stops the start like a bad config line */
	nf_buf_init(&err, 4096);
	if (nf_milter_key_load(conf, &start_key, &err) != 0) {
		fprintf(stderr, "notifilter: %s\n", nf_buf_cstr(&err));
		nf_buf_free(&err);
		nf_conf_unref(conf);
		return EX_CONFIG_;
	}
	nf_buf_free(&err);
	if (erase_key_install(start_key) != 0) {
		fprintf(stderr, "notifilter: %s: cannot derive the erasure key "
		    "(crypto library failure): check the OpenSSL installation\n",
		    conf->secret_file);
		nf_milter_key_unref(start_key);
		nf_conf_unref(conf);
		return EX_SOFTWARE_;
	}
	/* libcurl and the quiet-hours time zone, before any thread; the
	 * channels read their secret files now, as the starting user */
	nf_fb_tz_init();
	if (conf->nchannels > 0) {
		if (nf_fbsend_global_init() != 0) {
			fprintf(stderr, "notifilter: libcurl could not start: no "
			    "Channel can be used\n");
			nf_milter_key_unref(start_key);
			nf_conf_unref(conf);
			return EX_SOFTWARE_;
		}
		nf_buf_init(&err, 4096);
		if (nf_fallback_open(conf, &fallback, &err) != 0) {
			fprintf(stderr, "notifilter: %s\n", nf_buf_cstr(&err));
			nf_buf_free(&err);
			nf_milter_key_unref(start_key);
			nf_conf_unref(conf);
			return EX_CONFIG_;
		}
		nf_buf_free(&err);
	}

	/* 2. log (stderr too until ready), user */
	nf_log_open("notifilter", conf->syslog_facility, 1,
	    (enum nf_log_level)conf->log_level);
	if (conf->user_id != NULL && conf->user_id[0] != '\0') {
		if (lookup_user(conf->user_id, &uid, &gid, uname,
		    sizeof(uname)) != 0) {
			nf_conf_unref(conf);
			return EX_NOUSER_;
		}
		if (geteuid() != 0 && geteuid() != uid) {
			nf_err("UserID %s needs notifilter to be started as root",
			    conf->user_id);
			nf_conf_unref(conf);
			return EX_NOPERM_;
		}
		have_user = geteuid() == 0;
	}

	/* 3. Block the signals before any thread exists, so every thread
	 * inherits the mask: SIGUSR1 is taken by the reload thread only, and
	 * SIGTERM/SIGINT/SIGHUP by libmilter's signal thread (which stops
	 * smfi_main); a thread of ours without the mask would let SIGTERM
	 * kill the process before the writer could drain. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* 4. socket */
	if (open_socket(conf, have_user, uid, gid) != 0) {
		nf_conf_unref(conf);
		return EX_OSERR_;
	}

	/* 5. detach */
	if (!foreground) {
		notify_fd = detach(&parent_exit);
		if (notify_fd < 0) {
			nf_conf_unref(conf);
			return parent_exit;
		}
	}

	/* 6. pid file, then privileges */
	if (conf->pid_file != NULL && conf->pid_file[0] != '\0') {
		if (write_pid_file(conf->pid_file) != 0) {
			ret = EX_CANTCREAT_;
			goto fail;
		}
		pid_written = 1;
		pid_path = strdup(conf->pid_file);
		if (pid_path == NULL) {
			ret = EX_OSERR_;
			goto fail;
		}
	}
	if (have_user && drop_privileges(uname, uid, gid) != 0) {
		ret = EX_NOPERM_;
		goto fail;
	}

	/* 7. store, writer, reload thread */
	if (nf_milter_store_open(conf->database, (int)conf->store_timeout,
	    NF_POOL_HANDLES, errbuf, sizeof(errbuf)) != NF_STORE_OK) {
		nf_err("%s%s", errbuf, have_user ?
		    " (as UserID: can that user write the file and its directory?)" : "");
		ret = EX_UNAVAILABLE_;
		goto fail;
	}
	if (nf_writer_start(NF_WRITER_CAPACITY, NF_WRITER_BATCH, &writer) != 0) {
		ret = EX_OSERR_;
		goto fail_store;
	}
	nf_milter_set_writer(writer);
	follower = nf_follow_start_conf(conf);	/* MailLog; NULL when unset */
	/* the holder owns our references now */
	nf_milter_state_set(conf, start_key);
	conf = NULL;
	start_key = NULL;
	if (fallback != NULL) {
		struct nf_conf *c = nf_milter_conf_get();
		int frc = nf_fallback_start(fallback, c->database,
		    (int)c->store_timeout, NF_FALLBACK_DISPATCHERS, errbuf,
		    sizeof(errbuf));

		nf_conf_unref(c);
		if (frc != 0) {
			nf_err("%s", errbuf);
			nf_fallback_stop(fallback, 0);
			fallback = NULL;
			ret = EX_OSERR_;
			goto fail_writer;
		}
	} else
		nf_info("fallback is off: no Channel is configured");
	{
		struct nf_conf *c = nf_milter_conf_get();
		int rrc = 0;

		if (c->receipt_listen != NULL && c->receipt_listen[0] != '\0') {
			rrc = nf_store_pool_new(c->database,
			    (int)c->store_timeout, 2, &receipt_pool, errbuf,
			    sizeof(errbuf)) == NF_STORE_OK ? 0 : -1;
			if (rrc == 0)
				rrc = nf_receipt_start(c, receipt_pool,
				    &receipts, errbuf, sizeof(errbuf));
		}
		nf_conf_unref(c);
		if (rrc != 0) {
			nf_err("%s", errbuf);
			ret = EX_OSERR_;
			goto fail_writer;
		}
	}
	if (pthread_create(&reload_thread, NULL, reload_main, NULL) != 0) {
		nf_err("cannot start the reload thread");
		ret = EX_OSERR_;
		goto fail_writer;
	}

	if (!foreground) {
		report_ready(notify_fd, 0);
		notify_fd = -1;
		stdio_to_null();
	}
	{
		struct nf_conf *c = nf_milter_conf_get();

		nf_log_open("notifilter", c->syslog_facility, foreground,
		    (enum nf_log_level)c->log_level);
		nf_info("notifilter %s started: socket %s, mode %s, %zu sender "
		    "pattern(s)", PACKAGE_VERSION, c->socket,
		    c->mode == NF_MODE_MONITOR ? "monitor" : "enforce",
		    c->nsenders);
		if (nf_milter_tag_off_reason(c) != NULL)
			nf_warn("tagging is off: %s in %s; set them to tag "
			    "notification mail (decisions are still recorded)",
			    nf_milter_tag_off_reason(c), conf_path);
		nf_conf_unref(c);
	}

	/* 8. serve */
	if (smfi_main() != MI_SUCCESS) {
		nf_err("smfi_main failed");
		ret = EX_SOFTWARE_;
	}
	nf_info("stopping: writing the remaining events");

	/* 9. shutdown */
	atomic_store(&reload_stop, 1);
	pthread_kill(reload_thread, SIGUSR1);
	pthread_join(reload_thread, NULL);
fail_writer:
	nf_receipt_stop(receipts);
	if (receipt_pool != NULL)
		nf_store_pool_free(receipt_pool);
	nf_fallback_stop(fallback, NF_FALLBACK_STOP_MS);
	fallback = NULL;
	nf_writer_stop(writer, NF_WRITER_DRAIN_MS);
	nf_writer_stats(writer, &ws);
	nf_info("events: %llu recorded in %llu transactions, %llu lost; "
	    "messages: %llu recorded, %llu lost", ws.written, ws.batches,
	    ws.lost, ws.msgs_written, ws.msgs_lost);
	/* the writer struct is left allocated: a late libmilter thread may
	 * still look at it (pushes after stop are refused and logged) */
	nf_follow_stop(follower);	/* after the writer: a last try for lines
					 * that waited for their message */
fail_store:
	nf_milter_store_close();
fail:
	nf_fallback_stop(fallback, 0);	/* failed before the threads started */
	if (pid_written && unlink(pid_path) != 0 && errno != ENOENT)
		nf_warn("cannot remove the pid file %s: %s (after dropping "
		    "privileges the user needs write access to its directory)",
		    pid_path, strerror(errno));
	free(pid_path);
	nf_milter_state_set(NULL, NULL);
	nf_milter_key_unref(start_key);
	if (conf != NULL)
		nf_conf_unref(conf);
	report_ready(notify_fd, (unsigned char)ret);
	return ret;
}
