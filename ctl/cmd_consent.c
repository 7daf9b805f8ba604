/*
 * cmd_consent.c - notifilterctl consent grant|revoke EMAIL|PHONE CHANNEL...
 *
 * Records, for an existing contact, that consent was given or withdrawn on
 * each named channel, with source "ctl" and the current time.  Every channel
 * name is checked before anything is written (unknown: exit 64), and all
 * channels are set in one transaction, so a failure leaves none changed.
 * A key that matches no contact exits 1: consent belongs to a contact, so
 * the contact is added first (contact add / contact import).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

int
nf_cmd_consent(struct nf_ctl *ctl, int argc, char **argv)
{
	struct nf_contact c;
	struct nf_store *s;
	char key[NF_CTL_KEY_MAX];
	int want[NF_CH_COUNT] = { 0 };
	enum nf_consent state;
	enum nf_channel chan;
	int ch, i, rc, is_phone;
	int64_t now;

	state = strcmp(argv[0], "grant") == 0 ? NF_CONSENT_GRANTED :
	    NF_CONSENT_REVOKED;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", NULL, NULL)) != -1)
		return nf_ctl_badopt(ctl, ch, argv, optind);
	if (argc - optind < 2)
		return nf_ctl_usage(ctl, "give an EMAIL or PHONE and at least "
		    "one CHANNEL");
	for (i = optind + 1; i < argc; i++) {
		if (nf_channel_parse(argv[i], &chan) != 0)
			return nf_ctl_usage(ctl, "unknown channel \"%s\" (channels: "
			    "email sms whatsapp viber)", argv[i]);
		want[chan] = 1;
	}
	if ((rc = nf_ctl_key(ctl, argv[optind], key, sizeof key, &is_phone))
	    != NF_EX_OK)
		return rc;
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;

	if ((rc = nf_store_begin(s)) != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "starting a transaction");
	rc = nf_store_contact_find(s, key, &c);
	if (rc == NF_STORE_NOTFOUND) {
		nf_store_rollback(s);
		fprintf(stderr, "notifilterctl: no contact with %s %s; add it "
		    "first with \"contact add\"\n", is_phone ? "phone" : "email",
		    key);
		return NF_EX_NOTFOUND;
	}
	now = (int64_t)time(NULL);
	for (ch = 0; rc == NF_STORE_OK && ch < NF_CH_COUNT; ch++)
		if (want[ch])
			rc = nf_store_consent_set(s, c.id, ch, state, "ctl", now);
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	if (rc != NF_STORE_OK) {
		rc = nf_ctl_store_fail(ctl, rc, "recording consent");
		nf_store_rollback(s);
		return rc;
	}
	printf("%s consent of %s on", state == NF_CONSENT_GRANTED ? "granted" :
	    "revoked", c.email[0] ? c.email : c.phone);
	for (ch = 0; ch < NF_CH_COUNT; ch++)
		if (want[ch])
			printf(" %s", nf_channel_name(ch));
	printf("\n");
	return NF_EX_OK;
}
