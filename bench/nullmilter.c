/*
 * nullmilter.c - the floor for any milter in bench/bench-postfix.sh: a
 * libmilter program that decides nothing, changes nothing and stores
 * nothing, but makes the MTA walk exactly the protocol that notifilter
 * makes it walk.
 *
 * What "the same protocol" means (keep in step with milter/handlers.c,
 * milter/callbacks.c and NF_MILTER_EDITS in milter/milter.h): the same
 * callbacks (connect, envfrom, envrcpt, header, eom, abort, close,
 * negotiate); the same action flags (add and change headers, change the
 * sender, add recipients with parameters, delete recipients) and, when the
 * MTA offers it, SMFIF_SETSYMLIST with the same macro lists; the same
 * skipped steps (HELO, EOH, body, unknown, DATA; headers are not skipped,
 * since notifilter reads them), and no "no reply" steps.  So the MTA sends
 * CONNECT, MAIL, each RCPT, each header and EOM and waits for an answer to
 * each, as it does with notifilter on notification traffic.  Every
 * callback answers "continue" (EOM: "accept") and no edit is ever made, so
 * the difference between the two in the benchmark is the cost of
 * notifilter's own work: parsing, one store lookup per recipient, the
 * token, the edits at end of message, recording, and following the log.
 *
 * usage: nullmilter -p SOCKET [-m UMASK]
 *   SOCKET  unix:/path (or local:/path), inet:PORT@HOST
 *   UMASK   octal, applied before the socket is created (default 000, so
 *           user postfix can connect to a unix socket)
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP (libmilter's own
 * handling).  Exit 0 on a clean stop, 64 on bad arguments, 69 when the
 * socket cannot be opened.
 */
#include <errno.h>
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the steps notifilter tells the MTA to skip (NF_SKIP_STEPS in
 * milter/handlers.c) */
#define NULL_SKIP_STEPS (SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOBODY | \
	SMFIP_NOUNKNOWN | SMFIP_NODATA)
/* the edits notifilter asks to be allowed (NF_MILTER_EDITS, milter/milter.h) */
#define NULL_EDITS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | \
	SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT)

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = f0 & NULL_EDITS;
	*pf1 = f1 & NULL_SKIP_STEPS;
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		*pf0 |= SMFIF_SETSYMLIST;
		/* failures only mean the MTA's default lists are used */
		(void)smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name}");
		(void)smfi_setsymlist(ctx, SMFIM_ENVFROM, "i");
		(void)smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
		(void)smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static sfsistat
null_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
null_close(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nullmilter -p unix:/path|inet:PORT@HOST [-m UMASK]\n");
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "nullmilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = NULL_EDITS,
		.xxfi_connect = null_connect,
		.xxfi_envfrom = null_envfrom,
		.xxfi_envrcpt = null_envrcpt,
		.xxfi_header = null_header,
		.xxfi_eom = null_eom,
		.xxfi_abort = null_abort,
		.xxfi_close = null_close,
		.xxfi_negotiate = null_negotiate,
	};
	const char *sock = NULL;
	unsigned long mask = 0;
	char *end;
	int ch;

	while ((ch = getopt(argc, argv, "p:m:")) != -1) {
		switch (ch) {
		case 'p':
			sock = optarg;
			break;
		case 'm':
			errno = 0;
			mask = strtoul(optarg, &end, 8);
			if (errno || *end != '\0' || end == optarg || mask > 0777) {
				fprintf(stderr, "nullmilter: -m %s: expected an octal umask such as 007\n",
				    optarg);
				return 64;
			}
			break;
		default:
			usage();
			return 64;
		}
	}
	if (sock == NULL || optind != argc) {
		usage();
		return 64;
	}
	umask((mode_t)mask);
	if (smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot use socket %s\n", sock);
		return 69;
	}
	if (smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot open socket %s: is another "
		    "program using it, and is its directory writable?\n", sock);
		return 69;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
