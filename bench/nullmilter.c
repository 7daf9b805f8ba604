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
 * With -e DOMAIN ("edits only") it also makes, at end of message, the
 * edits that tagging requires of any implementation of issue 3 and that
 * notifilter makes on an allowed notification, in notifilter's order and
 * with values of the same shape: each recipient removed and re-added with
 * "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;ADDR" (smfi_delrcpt,
 * smfi_addrcpt_par), the envelope sender changed to a new
 * <bounce+TOKEN@DOMAIN> for every message (a 33-character TOKEN, unique,
 * from a counter: no HMAC, no store), and "X-Notifilter-ID: TOKEN" added.
 * Nothing is looked up, decided or recorded.  Between this and the plain
 * null milter lies what Postfix itself spends on those edits; between
 * this and notifilter, what notifilter spends on its own work.
 *
 * usage: nullmilter -p SOCKET [-m UMASK] [-e DOMAIN]
 *   SOCKET  unix:/path (or local:/path), inet:PORT@HOST
 *   UMASK   octal, applied before the socket is created (default 000, so
 *           user postfix can connect to a unix socket)
 *   DOMAIN  the bounce domain of the VERP sender (edits only)
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP (libmilter's own
 * handling).  Exit 0 on a clean stop, 64 on bad arguments, 69 when the
 * socket cannot be opened.  With -e, a message whose edits cannot be made
 * (out of memory, more than EDIT_RCPT_MAX recipients, an address too long,
 * the MTA refusing an edit) is tempfailed, so a benchmark cannot count it
 * as tagged.
 */
#include <errno.h>
#include <libmilter/mfapi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* the steps notifilter tells the MTA to skip (NF_SKIP_STEPS in
 * milter/handlers.c) */
#define NULL_SKIP_STEPS (SMFIP_NOHELO | SMFIP_NOEOH | SMFIP_NOBODY | \
	SMFIP_NOUNKNOWN | SMFIP_NODATA)
/* the edits notifilter asks to be allowed (NF_MILTER_EDITS, milter/milter.h) */
#define NULL_EDITS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | \
	SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT)

#define EDIT_RCPT_MAX 100	/* recipients per message (edits only) */
#define EDIT_ADDR_MAX 320	/* bytes of one RCPT TO argument */
#define EDIT_TOKEN_LEN 33	/* as a notifilter token: "1" + 32 base32 */

static const char *edit_domain;	/* -e: NULL for the plain null milter */
static uint64_t edit_counter;	/* next token number (atomic) */

/* the recipients of the message under way, for the edits at its end */
struct edit_msg {
	size_t n;
	char *rcpt[EDIT_RCPT_MAX];
	int broken;	/* one could not be kept: tempfail at the end */
};

static void
edit_reset(struct edit_msg *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->rcpt[i]);
	e->n = 0;
	e->broken = 0;
}

/* splitmix64: spreads a counter over 64 bits (uniqueness comes from the
 * counter; this only makes tokens look like notifilter's) */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A token of notifilter's shape: '1' and 32 characters a-z 2-7, unique
 * within this process (the counter's 64 bits are spread over the first
 * 13 characters, a mix of them fills the rest). */
static void
edit_token(char out[EDIT_TOKEN_LEN + 1])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint64_t n = __atomic_fetch_add(&edit_counter, 1, __ATOMIC_RELAXED);
	uint64_t a = mix64(n), b = mix64(n ^ 0x5555555555555555ULL);
	int i;

	out[0] = '1';
	for (i = 0; i < 13; i++)	/* a is a bijection of n: unique */
		out[1 + i] = b32[(a >> (5 * i)) & 31];
	for (i = 0; i < 12; i++)
		out[14 + i] = b32[(b >> (5 * i)) & 31];
	for (i = 0; i < 7; i++)
		out[26 + i] = b32[(b >> (5 * i + 3)) & 31];
	out[EDIT_TOKEN_LEN] = '\0';
}

/* "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;ADDR" with ADDR (the
 * argument without its <>) in xtext, as notifilter writes it; 0 or -1 */
static int
edit_dsn_args(const char *arg, char *out, size_t outlen)
{
	static const char head[] = "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;";
	size_t n = strlen(arg), o = sizeof(head) - 1, i;

	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		arg++;
		n -= 2;
	}
	if (n == 0 || outlen < o + 1)
		return -1;
	memcpy(out, head, o);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)arg[i];

		if (c >= 33 && c <= 126 && c != '+' && c != '=') {
			if (o + 2 > outlen)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 4 > outlen)
				return -1;
			snprintf(out + o, 4, "+%02X", c);
			o += 3;
		}
	}
	out[o] = '\0';
	return 0;
}

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
	(void)host;
	(void)sa;
	if (edit_domain != NULL && smfi_getpriv(ctx) == NULL) {
		struct edit_msg *e = calloc(1, sizeof(*e));

		if (e == NULL || smfi_setpriv(ctx, e) != MI_SUCCESS) {
			free(e);
			return SMFIS_TEMPFAIL;
		}
	}
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
	struct edit_msg *e;

	if (edit_domain == NULL || (e = smfi_getpriv(ctx)) == NULL)
		return SMFIS_CONTINUE;
	if (e->n == EDIT_RCPT_MAX || argv[0] == NULL ||
	    strlen(argv[0]) >= EDIT_ADDR_MAX ||
	    (e->rcpt[e->n] = strdup(argv[0])) == NULL)
		e->broken = 1;
	else
		e->n++;
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

/* the edits of a tagged notification (see the top); 0, or -1 */
static int
edit_apply(SMFICTX *ctx, struct edit_msg *e)
{
	char args[sizeof("NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;") +
	    3 * EDIT_ADDR_MAX];
	char token[EDIT_TOKEN_LEN + 1], from[512];
	size_t i;

	if (e->broken)
		return -1;
	for (i = 0; i < e->n; i++)
		if (edit_dsn_args(e->rcpt[i], args, sizeof(args)) != 0 ||
		    smfi_delrcpt(ctx, e->rcpt[i]) != MI_SUCCESS ||
		    smfi_addrcpt_par(ctx, e->rcpt[i], args) != MI_SUCCESS)
			return -1;
	edit_token(token);
	if (snprintf(from, sizeof(from), "<bounce+%s@%s>", token,
	    edit_domain) >= (int)sizeof(from))
		return -1;
	if (smfi_chgfrom(ctx, from, NULL) != MI_SUCCESS ||
	    smfi_addheader(ctx, (char *)"X-Notifilter-ID", token) != MI_SUCCESS)
		return -1;
	return 0;
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	struct edit_msg *e;
	int rc;

	if (edit_domain == NULL || (e = smfi_getpriv(ctx)) == NULL)
		return SMFIS_ACCEPT;
	rc = e->n > 0 ? edit_apply(ctx, e) : 0;
	edit_reset(e);
	return rc == 0 ? SMFIS_ACCEPT : SMFIS_TEMPFAIL;
}

static sfsistat
null_abort(SMFICTX *ctx)
{
	struct edit_msg *e = smfi_getpriv(ctx);

	if (e != NULL)
		edit_reset(e);
	return SMFIS_CONTINUE;
}

static sfsistat
null_close(SMFICTX *ctx)
{
	struct edit_msg *e = smfi_getpriv(ctx);

	if (e != NULL) {
		edit_reset(e);
		free(e);
		(void)smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nullmilter -p unix:/path|inet:PORT@HOST [-m UMASK] "
	    "[-e BOUNCE-DOMAIN]\n");
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

	while ((ch = getopt(argc, argv, "p:m:e:")) != -1) {
		switch (ch) {
		case 'e':
			if (optarg[0] == '\0' || strlen(optarg) > 200 ||
			    strpbrk(optarg, "<>@ \t") != NULL) {
				fprintf(stderr, "nullmilter: -e %s: expected a "
				    "domain such as bounces.example.test\n", optarg);
				return 64;
			}
			edit_domain = optarg;
			break;
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
	/* tokens of two runs on one machine should differ too */
	edit_counter = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
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
