/*
 * t_corpus.c - the report parser against the labelled bounce corpus.
 *
 * Reads labels.tsv of ../shared/corpus/bounces (or $NF_CORPUS), parses
 * every file named there and in maildir/not/ with lib/report.h, and scores
 * as issue 4 defines it: recipient recall, reason agreement and hard/soft
 * agreement over the labelled (file, recipient) pairs, the enhanced status
 * where the label holds a real code (not Sisimai's x.0.9xx inventions),
 * nothing reported for maildir/not/, and recipients found in the DragonFly
 * and Mimecast files that Sisimai 4.25 cannot read.  The floors below sit
 * just under what the parser reaches, so a regression fails.  Skips (TAP
 * SKIP) when the corpus is absent.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tap.h"

/* floors: a little under the measured scores (see the diagnostics) */
#define FLOOR_RECALL 0.991
#define FLOOR_REASON 0.943
#define FLOOR_HARD 0.972
#define FLOOR_STATUS 0.985

struct label {
	char *file, *rcpt, *status, *reason;
	int hard;
};

static struct nf_report *
parse_path(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct nf_report *r;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	r = nf_report_new(NULL);
	while (r && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		nf_report_push(r, buf, n);
	fclose(f);
	if (r)
		nf_report_finish(r);
	return r;
}

static const struct nf_report_rcpt *
find_rcpt(const struct nf_report *r, const char *addr)
{
	size_t i;

	for (i = 0; r && i < nf_report_count(r); i++)
		if (strcmp(nf_report_get(r, i)->recipient, addr) == 0)
			return nf_report_get(r, i);
	return NULL;
}

int
main(void)
{
	char dir[4096], path[8192], line[8192];
	const char *env = getenv("NF_CORPUS"), *top = getenv("top_srcdir");
	struct label *lab = NULL;
	size_t nlab = 0, cap = 0, i, found = 0, reason = 0, hard = 0, stn = 0, stok = 0;
	size_t df_files = 0, mc_files = 0, not_rcpts = 0;
	FILE *f;
	DIR *d;
	struct dirent *de;
	struct nf_report *r = NULL;
	const char *cur = NULL;

	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/../shared/corpus/bounces", top ? top : "..");
	snprintf(path, sizeof(path), "%s/labels.tsv", dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("1..0 # SKIP corpus not found at %s (set NF_CORPUS)\n", dir);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char *col[9], *s = line;
		int k;

		line[strcspn(line, "\r\n")] = '\0';
		for (k = 0; k < 9; k++) {
			col[k] = s;
			s = strchr(s, '\t');
			if (s == NULL)
				break;
			*s++ = '\0';
		}
		if (k < 6 || strcmp(col[0], "file") == 0 || col[1][0] == '\0')
			continue;
		if (nlab == cap) {
			cap = cap ? cap * 2 : 1024;
			lab = realloc(lab, cap * sizeof(*lab));
			if (lab == NULL)
				return 99;
		}
		lab[nlab].file = strdup(col[0]);
		lab[nlab].rcpt = strdup(col[1]);
		lab[nlab].status = strdup(col[3]);
		lab[nlab].reason = strdup(col[5]);
		lab[nlab].hard = atoi(col[6]);
		nlab++;
	}
	fclose(f);
	ok(nlab > 800, "labels.tsv has %zu labelled rows", nlab);

	for (i = 0; i < nlab; i++) {
		const struct nf_report_rcpt *x;

		if (cur == NULL || strcmp(cur, lab[i].file) != 0) {
			nf_report_free(r);
			snprintf(path, sizeof(path), "%s/%s", dir, lab[i].file);
			r = parse_path(path);
			cur = lab[i].file;
		}
		x = find_rcpt(r, lab[i].rcpt);
		if (x == NULL)
			continue;
		found++;
		reason += strcmp(x->reason, lab[i].reason) == 0;
		hard += (x->hard != 0) == (lab[i].hard != 0);
		if (lab[i].status[0] && strstr(lab[i].status, ".0.9") == NULL) {
			stn++;
			stok += strcmp(x->status, lab[i].status) == 0;
		}
	}
	nf_report_free(r);
	diag("recipient recall %.4f (%zu of %zu)", (double)found / nlab, found, nlab);
	diag("reason agreement %.4f, hard/soft agreement %.4f (over all labelled rows)",
	    (double)reason / nlab, (double)hard / nlab);
	diag("status agreement %.4f (%zu of %zu real codes)", stn ? (double)stok / stn : 0.0,
	    stok, stn);
	ok((double)found / nlab >= FLOOR_RECALL, "recipient recall %.4f >= %.3f",
	    (double)found / nlab, FLOOR_RECALL);
	ok((double)reason / nlab >= FLOOR_REASON, "reason agreement %.4f >= %.3f",
	    (double)reason / nlab, FLOOR_REASON);
	ok((double)hard / nlab >= FLOOR_HARD, "hard/soft agreement %.4f >= %.3f",
	    (double)hard / nlab, FLOOR_HARD);
	ok(stn == 0 || (double)stok / stn >= FLOOR_STATUS, "status agreement %.4f >= %.3f",
	    stn ? (double)stok / stn : 0.0, FLOOR_STATUS);

	/* not bounces: nothing */
	snprintf(path, sizeof(path), "%s/maildir/not", dir);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/maildir/not/%s", dir, de->d_name);
			r = parse_path(path);
			if (r && nf_report_count(r) > 0) {
				not_rcpts += nf_report_count(r);
				diag("maildir/not/%s: reported %s", de->d_name,
				    nf_report_get(r, 0)->recipient);
			}
			nf_report_free(r);
		}
		closedir(d);
	}
	is_int(not_rcpts, 0, "nothing reported for maildir/not/");

	/* formats Sisimai 4.25 cannot read */
	snprintf(path, sizeof(path), "%s/maildir/bsd", dir);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			int df = strncmp(de->d_name, "lhost-dragonfly-", 16) == 0;
			int mc = strncmp(de->d_name, "lhost-mimecast-", 15) == 0;

			if (!df && !mc)
				continue;
			snprintf(path, sizeof(path), "%s/maildir/bsd/%s", dir, de->d_name);
			r = parse_path(path);
			if (r && nf_report_count(r) > 0) {
				df_files += df;
				mc_files += mc;
			}
			nf_report_free(r);
		}
		closedir(d);
	}
	diag("recipients found in %zu DragonFly and %zu Mimecast files", df_files, mc_files);
	ok(df_files >= 25, "DragonFly: recipients in %zu files (>= 25)", df_files);
	ok(mc_files >= 2, "Mimecast: recipients in %zu files (>= 2)", mc_files);

	for (i = 0; i < nlab; i++) {
		free(lab[i].file);
		free(lab[i].rcpt);
		free(lab[i].status);
		free(lab[i].reason);
	}
	free(lab);
	return tap_done();
}
