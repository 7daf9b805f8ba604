/*
 * cmd_suppress.c - notifilterctl suppress add | remove | list.
 *
 * The suppression list holds addresses nothing may be sent to, whether or
 * not they belong to a contact.  An email address is suppressed on the email
 * channel.  A phone number (starts with '+', '(' or a digit; normalised to
 * E.164 with DefaultCountry) is suppressed on every phone channel - sms,
 * whatsapp and viber - as three rows, because a number that must not be
 * messaged must not be messaged by any route; --channel narrows add and
 * remove to one channel.  Rows are added with source "ctl" and reason
 * --reason (default "manual").  remove exits 1 when nothing was suppressed.
 *
 * Erased contacts (contact remove) leave their suppressions and revoked
 * consents as keyed hashes only: list shows each as "erased:" and the
 * first 8 hex digits of its hash (source "erasure"), never an address;
 * "remove erased:HEX" lifts one (at least 8 hex digits; 65 when they name
 * more than one), and "remove ADDRESS" lifts the erased rows of that
 * address too when SecretFile is set (it keys the hashes).
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_erase.h"

static const enum nf_channel phone_channels[] = {
	NF_CH_SMS, NF_CH_WHATSAPP, NF_CH_VIBER
};
#define NPHONE_CH (sizeof phone_channels / sizeof phone_channels[0])

/* Parse --channel against the kind of address; fills chans, returns count,
 * or -1 after printing a usage error (code in *rc). */
static int
pick_channels(struct nf_ctl *ctl, const char *chname, int is_phone,
    enum nf_channel *chans, int *rc)
{
	enum nf_channel one;
	size_t i;

	if (chname == NULL) {
		if (!is_phone) {
			chans[0] = NF_CH_EMAIL;
			return 1;
		}
		for (i = 0; i < NPHONE_CH; i++)
			chans[i] = phone_channels[i];
		return (int)NPHONE_CH;
	}
	if (nf_channel_parse(chname, &one) != 0) {
		*rc = nf_ctl_usage(ctl, "unknown channel \"%s\" (channels: email "
		    "sms whatsapp viber)", chname);
		return -1;
	}
	if ((one == NF_CH_EMAIL) == (is_phone != 0)) {
		*rc = nf_ctl_usage(ctl, "channel %s does not fit %s", chname,
		    is_phone ? "a phone number (use sms, whatsapp or viber)" :
		    "an email address (use email)");
		return -1;
	}
	chans[0] = one;
	return 1;
}

int
nf_cmd_suppress_add(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "channel", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_suppression sup;
	struct nf_store *s;
	enum nf_channel chans[NF_CH_COUNT];
	const char *reason = "manual", *chname = NULL, *why = NULL;
	int ch, rc, is_phone, n, i;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":r:", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else if (ch == 'C')
			chname = optarg;
		else
			return nf_ctl_badopt(ctl, ch, argv, optind);
	}
	if (argc - optind != 1)
		return nf_ctl_usage(ctl, "give exactly one ADDRESS (email or "
		    "phone)");
	if (reason[0] == '\0') {
		fprintf(stderr, "notifilterctl: the reason is empty; leave "
		    "--reason out for \"manual\"\n");
		return NF_EX_DATAERR;
	}
	if (!nf_ctl_text_ok(reason, sizeof sup.reason, &why)) {
		fprintf(stderr, "notifilterctl: the reason %s (at most %zu "
		    "bytes)\n", why, sizeof sup.reason - 1);
		return NF_EX_DATAERR;
	}
	memset(&sup, 0, sizeof sup);
	if ((rc = nf_ctl_key(ctl, argv[optind], sup.address, sizeof sup.address,
	    &is_phone)) != NF_EX_OK)
		return rc;
	if ((n = pick_channels(ctl, chname, is_phone, chans, &rc)) < 0)
		return rc;
	memcpy(sup.reason, reason, strlen(reason) + 1);
	memcpy(sup.source, "ctl", 4);
	sup.time = (int64_t)time(NULL);

	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "starting a transaction");
	for (i = 0; rc == NF_STORE_OK && i < n; i++) {
		sup.channel = chans[i];
		rc = nf_store_suppress_add(s, &sup);
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		rc = nf_ctl_store_fail(ctl, rc, "adding the suppression");
		nf_store_rollback(s);
		return rc;
	}
	printf("suppressed %s on", sup.address);
	for (i = 0; i < n; i++)
		printf(" %s", nf_channel_name(chans[i]));
	printf(" (reason: %s)\n", sup.reason);
	return NF_EX_OK;
}

/* suppress remove erased:HEX [--channel CH] */
static int
remove_erased(struct nf_ctl *ctl, const char *hex, const char *chname)
{
	enum nf_channel one = NF_CH_COUNT;	/* every channel */
	struct nf_store *s;
	size_t i, len = strlen(hex);
	int rc, n = 0;

	if (len < NF_STORE_ERASED_SHOW || len > 64 ||
	    strspn(hex, "0123456789abcdefABCDEF") != len)
		return nf_ctl_usage(ctl, "an erased entry is named "
		    "%s and %d to 64 hex digits, as suppress list shows it",
		    NF_CTL_ERASED_PREFIX, NF_STORE_ERASED_SHOW);
	if (chname != NULL && nf_channel_parse(chname, &one) != 0)
		return nf_ctl_usage(ctl, "unknown channel \"%s\" (channels: "
		    "email sms whatsapp viber)", chname);
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	rc = nf_store_erased_remove(s, hex, one, &n);
	if (rc == NF_STORE_NOTFOUND) {
		fprintf(stderr, "notifilterctl: %s%s is not suppressed%s%s\n",
		    NF_CTL_ERASED_PREFIX, hex, chname ? " on " : "",
		    chname ? chname : "");
		return NF_EX_NOTFOUND;
	}
	if (rc == NF_STORE_CONFLICT) {
		fprintf(stderr, "notifilterctl: %s\n", nf_store_errmsg(s));
		return NF_EX_DATAERR;
	}
	if (rc != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "removing the suppression");
	printf("%s", NF_CTL_ERASED_PREFIX);
	for (i = 0; i < len; i++)
		putchar(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
	printf(" is no longer suppressed (%d channel%s)\n", n,
	    n == 1 ? "" : "s");
	return NF_EX_OK;
}

int
nf_cmd_suppress_remove(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_store *s;
	struct nf_erased e;
	enum nf_channel chans[NF_CH_COUNT];
	char key[NF_CTL_KEY_MAX];
	const char *chname = NULL;
	int ch, rc, is_phone, n, i, removed = 0, have, ne;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'C')
			chname = optarg;
		else
			return nf_ctl_badopt(ctl, ch, argv, optind);
	}
	if (argc - optind != 1)
		return nf_ctl_usage(ctl, "give exactly one ADDRESS (email or "
		    "phone)");
	if (strncmp(argv[optind], NF_CTL_ERASED_PREFIX,
	    sizeof NF_CTL_ERASED_PREFIX - 1) == 0)
		return remove_erased(ctl, argv[optind] +
		    sizeof NF_CTL_ERASED_PREFIX - 1, chname);
	if ((rc = nf_ctl_key(ctl, argv[optind], key, sizeof key, &is_phone))
	    != NF_EX_OK)
		return rc;
	if ((n = pick_channels(ctl, chname, is_phone, chans, &rc)) < 0)
		return rc;
	if ((rc = nf_ctl_erase_key(ctl, &have)) != NF_EX_OK)
		return rc;
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "starting a transaction");
	for (i = 0; i < n; i++) {
		int lifted = 0;

		rc = nf_store_suppress_remove(s, key, chans[i]);
		if (rc == NF_STORE_OK)
			lifted = 1;
		else if (rc != NF_STORE_NOTFOUND)
			break;
		/* the same address, erased with its contact */
		rc = have ? nf_store_erased_find(s, key, chans[i], &e) :
		    NF_STORE_NOTFOUND;
		if (rc == NF_STORE_OK &&
		    (rc = nf_store_erased_remove(s, e.hash, chans[i], &ne)) ==
		    NF_STORE_OK)
			lifted = 1;
		if (rc != NF_STORE_OK && rc != NF_STORE_NOTFOUND)
			break;
		rc = NF_STORE_OK;
		removed += lifted;
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		rc = nf_ctl_store_fail(ctl, rc, "removing the suppression");
		nf_store_rollback(s);
		return rc;
	}
	if (removed == 0) {
		fprintf(stderr, "notifilterctl: %s is not suppressed%s%s\n", key,
		    chname ? " on " : "", chname ? chname : "");
		return NF_EX_NOTFOUND;
	}
	printf("%s is no longer suppressed (%d channel%s)\n", key, removed,
	    removed == 1 ? "" : "s");
	return NF_EX_OK;
}

struct list_ctx {
	json_t *arr;	/* NULL for text */
	long n;
};

static int
list_row(struct list_ctx *lc, const char *address, enum nf_channel ch,
    const char *reason, const char *source, const char *evidence,
    int64_t t, int erased)
{
	char tb[NF_CTL_TIME_MAX];

	nf_ctl_time(t, tb, sizeof tb);
	if (lc->arr != NULL) {
		if (json_array_append_new(lc->arr, json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
		    "address", address,
		    "channel", nf_channel_name(ch),
		    "reason", reason,
		    "source", source,
		    "evidence", evidence,
		    "time", tb,
		    "erased", erased)) != 0)
			return -1;
	} else {
		if (lc->n == 0)
			printf("%-40s %-9s %-20s %-10s %s\n", "ADDRESS", "CHANNEL",
			    "REASON", "SOURCE", "TIME");
		printf("%-40s %-9s %-20s %-10s %s\n", address,
		    nf_channel_name(ch), reason, source, tb);
	}
	lc->n++;
	return 0;
}

static int
list_one(const struct nf_suppression *sup, void *arg)
{
	return list_row(arg, sup->address, sup->channel, sup->reason,
	    sup->source, sup->evidence, sup->time, 0);
}

/* An erased row: its name, never an address; a revocation kept at
 * erasure blocks like a suppression and is listed with it. */
static int
list_erased(const struct nf_erased *e, void *arg)
{
	char name[NF_CTL_ERASED_NAME_MAX];

	return list_row(arg, nf_ctl_erased_name(e->hash, name, sizeof name),
	    e->channel, e->reason, "erasure", "", e->time, 1);
}

int
nf_cmd_suppress_list(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct list_ctx lc = { NULL, 0 };
	struct nf_store *s;
	int ch, rc, json = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			return nf_ctl_badopt(ctl, ch, argv, optind);
	}
	if (argc - optind != 0)
		return nf_ctl_usage(ctl, "takes no arguments");
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	if (json && (lc.arr = json_array()) == NULL)
		return nf_ctl_json_print(NULL);
	rc = nf_store_suppress_each(s, list_one, &lc);
	if (rc == NF_STORE_OK)
		rc = nf_store_erased_each(s, list_erased, &lc);
	if (rc == -1) {
		json_decref(lc.arr);
		return nf_ctl_json_print(NULL);
	}
	if (rc != NF_STORE_OK) {
		json_decref(lc.arr);
		return nf_ctl_store_fail(ctl, rc, "listing suppressions");
	}
	if (json)
		return nf_ctl_json_print(lc.arr);
	if (lc.n == 0)
		printf("no suppressions\n");
	return NF_EX_OK;
}
