/*
 * main.c - notifilterctl: global options and the subcommand table.
 *
 * notifilterctl [-c FILE] COMMAND [SUBCOMMAND] ARGS...  Global options stop at
 * the first word that is not one.  A command is either a group ("contact",
 * "consent", "suppress") followed by a subcommand, or a top-level word.
 * "--help" or "-h" anywhere among a subcommand's arguments (before "--")
 * prints its usage and exits 0 before anything is opened, so help works
 * without a config file.  Every other failure is the subcommand's returned
 * sysexits code (ctl.h); only this file exits.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const struct nf_ctl_cmd cmds[] = {
	{ "contact", "add", nf_cmd_contact_add,
	    "EMAIL [--phone PHONE] [--name NAME]",
	    "add a contact (refused if its email or phone is taken)" },
	{ "contact", "import", nf_cmd_contact_import,
	    "FILE.csv [--dry-run] [--merge]",
	    "import contacts from CSV, all or nothing" },
	{ "contact", "show", nf_cmd_contact_show,
	    "EMAIL|PHONE [--json]",
	    "show a contact, its consent per channel and its suppressions" },
	{ "contact", "remove", nf_cmd_contact_remove,
	    "EMAIL|PHONE",
	    "erase a contact and its consent records (personal data)" },
	{ "consent", "grant", nf_cmd_consent,
	    "EMAIL|PHONE CHANNEL...",
	    "record consent for channels (email sms whatsapp viber)" },
	{ "consent", "revoke", nf_cmd_consent,
	    "EMAIL|PHONE CHANNEL...",
	    "record that consent was withdrawn for channels" },
	{ "suppress", "add", nf_cmd_suppress_add,
	    "ADDRESS [--reason TEXT] [--channel CHANNEL]",
	    "never send to ADDRESS (a phone covers sms, whatsapp and viber)" },
	{ "suppress", "remove", nf_cmd_suppress_remove,
	    "ADDRESS [--channel CHANNEL]",
	    "take ADDRESS off the suppression list" },
	{ "suppress", "list", nf_cmd_suppress_list,
	    "[--json]",
	    "list suppressed addresses and phone numbers" },
	{ NULL, "ingest", nf_cmd_ingest,
	    "[--sender S] [--recipient R] [--client-ip IP] [--helo H]",
	    "record one report from stdin and act on it (MTA pipe; exit 0/75)" },
	{ NULL, "parse", nf_cmd_parse,
	    "[--json] FILE...",
	    "what bounce and complaint reports say, one line per recipient" },
	{ NULL, "trace", nf_cmd_trace, "EMAIL|PHONE|TOKEN [--json]",
	    nf_cmd_trace_doc },
	{ NULL, "report", nf_cmd_report,
	    "[--since DURATION] [--format text|json|csv|html]",
	    "what happened to notifications: outcomes, reasons, domains, fallbacks" },
	{ NULL, "digest", nf_cmd_digest,
	    "[--since DURATION] [--to ADDRESS] [--timeout DURATION]",
	    "mail the report to SupportAddress (text and HTML)" },
	{ NULL, "doctor", nf_cmd_doctor,
	    "[--json] [--resolver IP[:PORT]] [--outbound-ip IP]... [--timeout SECONDS] [--full]",
	    "check config, store, socket, secret, DNS and channels" },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void
usage_all(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: notifilterctl [-c FILE] COMMAND ...\n"
	    "  -c FILE    config file (default %s)\n"
	    "  -h, --help this text; COMMAND --help explains one command\n"
	    "  -V         version\n"
	    "commands:\n", NF_CONF_DEFAULT_PATH);
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %s%s%s %s\n", cmds[i].group ? cmds[i].group : "",
		    cmds[i].group ? " " : "", cmds[i].name, cmds[i].usage);
}

static void
usage_group(const char *group, FILE *fp)
{
	size_t i;

	fprintf(fp, "usage:\n");
	for (i = 0; i < NCMDS; i++)
		if (cmds[i].group && strcmp(cmds[i].group, group) == 0)
			fprintf(fp, "  notifilterctl %s %s %s\n      %s\n", group,
			    cmds[i].name, cmds[i].usage, cmds[i].summary);
}

static int
is_group(const char *w)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (cmds[i].group && strcmp(cmds[i].group, w) == 0)
			return 1;
	return 0;
}

static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct nf_ctl ctl;
	const struct nf_ctl_cmd *cmd = NULL;
	int i = 1, rc;
	size_t k;

	memset(&ctl, 0, sizeof ctl);
	ctl.conf_path = NF_CONF_DEFAULT_PATH;

	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage_all(stdout);
			return NF_EX_OK;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("notifilterctl %s\n", PACKAGE_VERSION);
			return NF_EX_OK;
		} else if (strcmp(a, "-c") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "notifilterctl: -c needs a FILE\n");
				usage_all(stderr);
				return NF_EX_USAGE;
			}
			ctl.conf_path = argv[i + 1];
			ctl.conf_explicit = 1;
			i += 2;
		} else if (strncmp(a, "-c", 2) == 0) {
			ctl.conf_path = a + 2;
			ctl.conf_explicit = 1;
			i++;
		} else {
			fprintf(stderr, "notifilterctl: unknown option %s\n", a);
			usage_all(stderr);
			return NF_EX_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "notifilterctl: no command given\n");
		usage_all(stderr);
		return NF_EX_USAGE;
	}

	if (is_group(argv[i])) {
		const char *group = argv[i];

		if (i + 1 >= argc || strcmp(argv[i + 1], "--help") == 0 ||
		    strcmp(argv[i + 1], "-h") == 0) {
			if (i + 1 < argc) {
				usage_group(group, stdout);
				return NF_EX_OK;
			}
			fprintf(stderr, "notifilterctl: %s needs a subcommand\n",
			    group);
			usage_group(group, stderr);
			return NF_EX_USAGE;
		}
		for (k = 0; k < NCMDS; k++)
			if (cmds[k].group && strcmp(cmds[k].group, group) == 0 &&
			    strcmp(cmds[k].name, argv[i + 1]) == 0)
				cmd = &cmds[k];
		if (cmd == NULL) {
			fprintf(stderr, "notifilterctl: unknown subcommand \"%s %s\"\n",
			    group, argv[i + 1]);
			usage_group(group, stderr);
			return NF_EX_USAGE;
		}
		i++;
	} else {
		for (k = 0; k < NCMDS; k++)
			if (cmds[k].group == NULL &&
			    strcmp(cmds[k].name, argv[i]) == 0)
				cmd = &cmds[k];
		if (cmd == NULL) {
			fprintf(stderr, "notifilterctl: unknown command \"%s\"\n",
			    argv[i]);
			usage_all(stderr);
			return NF_EX_USAGE;
		}
	}

	if (wants_help(argc - i, argv + i)) {
		nf_ctl_help(cmd, stdout);
		return NF_EX_OK;
	}
	ctl.cmd = cmd;
	rc = cmd->fn(&ctl, argc - i, argv + i);
	nf_ctl_close(&ctl);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("notifilterctl: writing the output");
		if (rc == NF_EX_OK)
			rc = NF_EX_IOERR;
	}
	return rc;
}
