/*
 * ctl.h - what every notifilterctl subcommand gets.
 *
 * notifilterctl dispatches through one table (ctl/main.c).  A subcommand is
 * `int fn(struct nf_ctl *ctl, int argc, char **argv)` where argv[0] is the
 * subcommand's own name (e.g. "add" for "contact add", "parse" for "parse"),
 * and returns a sysexits-style code: 0 success, 1 not found, 64 usage,
 * 65 bad data, 69/75 store unavailable/busy, 78 config error.
 *
 * The config file and the store are opened lazily, on first use, so that
 * commands that need neither (parse, --help) work without a config file.
 */
#ifndef NF_CTL_H
#define NF_CTL_H

#include <stdio.h>

#include "conf.h"
#include "store.h"

#define NF_EX_OK 0
#define NF_EX_NOTFOUND 1
#define NF_EX_USAGE 64
#define NF_EX_DATAERR 65
#define NF_EX_NOINPUT 66
#define NF_EX_UNAVAILABLE 69
#define NF_EX_SOFTWARE 70
#define NF_EX_CANTCREAT 73
#define NF_EX_IOERR 74
#define NF_EX_TEMPFAIL 75
#define NF_EX_CONFIG 78

struct nf_ctl_cmd;

struct nf_ctl {
	const char *conf_path;	/* -c, or the default path */
	int conf_explicit;	/* -c was given */
	struct nf_conf *conf;	/* NULL until nf_ctl_conf() */
	struct nf_store *store;	/* NULL until nf_ctl_store() */
	const struct nf_ctl_cmd *cmd;	/* the subcommand running (for usage text) */
};

/* Load the config (once).  On failure prints "notifilterctl: path:line: reason"
 * to stderr and returns NF_EX_CONFIG. */
int nf_ctl_conf(struct nf_ctl *ctl, struct nf_conf **out);
/* Open the store named by the config (once), creating it if missing.
 * On failure prints what happened and what to do, and returns the exit code
 * to use (NF_EX_TEMPFAIL when busy, NF_EX_UNAVAILABLE/NF_EX_CONFIG ...). */
int nf_ctl_store(struct nf_ctl *ctl, struct nf_store **out);
/* Map a store result to an exit code, printing nf_store_errmsg() with
 * `what` ("adding the contact") when it is a failure. */
int nf_ctl_store_fail(struct nf_ctl *ctl, int rc, const char *what);

struct nf_ctl_cmd {
	const char *group;	/* "contact", "consent", ... or NULL for a top-level command */
	const char *name;	/* "add", "import", ... or the top-level command */
	int (*fn)(struct nf_ctl *ctl, int argc, char **argv);
	const char *usage;	/* "EMAIL [--phone E164] [--name NAME]" */
	const char *summary;	/* one line */
};

/* Close the store and drop the config (main calls it once, at the end). */
void nf_ctl_close(struct nf_ctl *ctl);

/* Print "notifilterctl GROUP NAME: <msg>" and the usage line of ctl->cmd to
 * stderr; returns NF_EX_USAGE. */
int nf_ctl_usage(struct nf_ctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For getopt_long's ':' (missing value) and '?' (unknown option) answers
 * (the option string must start with ':'): prints which and returns 64. */
int nf_ctl_badopt(struct nf_ctl *ctl, int c, char **argv, int optind_now);
/* Print the usage and summary of one command (for --help). */
void nf_ctl_help(const struct nf_ctl_cmd *cmd, FILE *fp);

/* An email address or phone number given on the command line, normalised to
 * the store's key form.  Something with an '@' is an email; something that
 * starts with '+', '(' or a digit is a phone (DefaultCountry applies, so the
 * config is loaded).  Returns 0, or prints why and returns NF_EX_DATAERR
 * (or the config's exit code).  *is_phone tells which it was. */
#define NF_CTL_KEY_MAX NF_STORE_EMAIL_MAX
int nf_ctl_key(struct nf_ctl *ctl, const char *in, char *out, size_t outlen,
    int *is_phone);

/* If the domain of normalised `addr` looks like a typo of a common mailbox
 * domain, print "PREFIXwarning: gmial.com looks like a typo of gmail.com (did
 * you mean x@gmail.com?)" to stderr (prefix "" or "FILE:LINE: ") and
 * return 1; else 0. */
int nf_ctl_typo_warn(const char *prefix, const char *addr);

/* Free text an administrator types (a name, a reason): at most max-1
 * bytes, valid UTF-8, no control characters, since it is printed on
 * terminals and in JSON.  1 ok; 0 with *why ("is too long", ...) set. */
int nf_ctl_text_ok(const char *s, size_t max, const char **why);

/* Unix seconds as "2024-05-01T12:00:00Z" (UTC); "" for 0. */
#define NF_CTL_TIME_MAX 32
const char *nf_ctl_time(int64_t t, char *out, size_t outlen);

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t nf_ctl_mono_ms(void);

/* Print a jansson value to stdout (indented, keys in insertion order) and a
 * newline; returns NF_EX_OK or NF_EX_IOERR. Takes the reference. */
struct json_t;
int nf_ctl_json_print(struct json_t *v);

/* The subcommands (ctl/cmd_*.c); main.c holds the dispatch table. */
int nf_cmd_contact_add(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_contact_show(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_contact_remove(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_contact_import(struct nf_ctl *ctl, int argc, char **argv);
/* grant or revoke, by argv[0] */
int nf_cmd_consent(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_suppress_add(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_suppress_remove(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_suppress_list(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_parse(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_ingest(struct nf_ctl *ctl, int argc, char **argv);
int nf_cmd_trace(struct nf_ctl *ctl, int argc, char **argv);
extern const char nf_cmd_trace_doc[];	/* its --help text */
int nf_cmd_report(struct nf_ctl *ctl, int argc, char **argv);	/* cmd_report.c */
int nf_cmd_digest(struct nf_ctl *ctl, int argc, char **argv);	/* cmd_digest.c */
int nf_cmd_doctor(struct nf_ctl *ctl, int argc, char **argv);	/* cmd_doctor.c */

#endif
