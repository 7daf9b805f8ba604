/*
 * report_out.h - the renderers of `notifilterctl report` and `digest`:
 * one struct nf_stats (store.h, read by nf_store_stats) written as text,
 * JSON, CSV or one self-contained HTML page.
 *
 * Every string in the figures may come from mail (addresses, senders,
 * categories, reasons cut from reports), so each renderer escapes for its
 * format: terminal-safe text (textout.h), JSON strings (jansson), RFC 4180
 * CSV with spreadsheet formulas neutralised, HTML entities.  Renderers
 * only write to `fp`; write errors are the caller's ferror(fp).  None of
 * them reads the store or exits.
 */
#ifndef NF_REPORT_OUT_H
#define NF_REPORT_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

enum nf_report_format {
	NF_REPORT_TEXT, NF_REPORT_JSON, NF_REPORT_CSV, NF_REPORT_HTML
};

/* What a page says besides the figures. */
struct nf_report_meta {
	const char *host;	/* where it was made (HTML title, digest) */
	const char *since_arg;	/* the --since text, e.g. "24h" */
};

int nf_report_text(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m);
/* 0, or -1 when out of memory (nothing useful was written) */
int nf_report_json(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m);
int nf_report_csv(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m);
int nf_report_html(FILE *fp, const struct nf_stats *st,
    const struct nf_report_meta *m);

/* "1234 delivered, 12 bounced, 3 spam-rejected, complaints 0.08%" (plain
 * ASCII: the digest's Subject) into buf. */
void nf_report_headline(const struct nf_stats *st, char *buf, size_t len);

/* A rate as a percentage with two decimals, "0.30%", into buf. */
const char *nf_report_pct(double rate, char *buf, size_t len);

/* Parse --since and read the figures for [now - since, now] (half open,
 * ending after the current second): what
 * report and digest share.  Prints why on failure and returns the exit
 * code; *st must be freed with nf_stats_free even then. */
struct nf_ctl;
int nf_report_load(struct nf_ctl *ctl, const char *since_arg,
    struct nf_stats *st);

#endif
