/*
 * parse_driver.c - runs `notifilterctl parse` (ctl/cmd_parse.c) on its own,
 * for the parser's tests, goldens and benchmark while the subcommand is not
 * yet in notifilterctl's table.  Same code path: argv is handed to
 * nf_cmd_parse() as the subcommand's own, so `parse_driver --json F...`
 * behaves as `notifilterctl parse --json F...`.
 */
#include "config.h"

#include <string.h>

#include "ctl.h"

int nf_cmd_parse(struct nf_ctl *ctl, int argc, char **argv);

int
main(int argc, char **argv)
{
	struct nf_ctl ctl;

	memset(&ctl, 0, sizeof(ctl));
	argv[0] = (char *)"parse";
	return nf_cmd_parse(&ctl, argc, argv);
}
