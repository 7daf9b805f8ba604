/*
 * cmd_contact.c - notifilterctl contact add | show | remove.
 *
 * add validates the address (addr.c) and the phone (phone.c, DefaultCountry
 * from the config), warns about likely typos of mailbox domains but adds
 * anyway, and refuses an email or phone that already belongs to a contact,
 * naming that contact (exit 65).  show prints one contact with its consent
 * per channel and its suppressions, as text or --json.  remove erases the
 * contact and everything that names it (nf_store_contact_erase); its
 * suppressions and revoked consents outlive it only as keyed hashes
 * (SecretFile), since they protect the address rather than describe the
 * person; without SecretFile such a contact is refused (78).
 * Missing contacts exit 1; store failures map through nf_ctl_store_fail().
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "ctl.h"
#include "ctl_erase.h"
#include "phone.h"

static const enum nf_channel phone_channels[] = {
	NF_CH_SMS, NF_CH_WHATSAPP, NF_CH_VIBER
};

/* "jane@example.com" or "+4915112345678" (a contact without email). */
static const char *
contact_label(const struct nf_contact *c)
{
	return c->email[0] ? c->email : c->phone;
}

int
nf_cmd_contact_add(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "phone", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_contact c, other;
	struct nf_conf *conf;
	struct nf_store *s;
	const char *phone = NULL, *name = NULL, *why = NULL;
	int ch, rc;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":p:n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			phone = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		default:
			return nf_ctl_badopt(ctl, ch, argv, optind);
		}
	}
	if (argc - optind != 1)
		return nf_ctl_usage(ctl, "give exactly one EMAIL");

	memset(&c, 0, sizeof c);
	if (nf_addr_normalize(argv[optind], c.email, sizeof c.email, &why)
	    != 0) {
		fprintf(stderr, "notifilterctl: \"%s\" is not a valid email "
		    "address: %s\n", argv[optind], why ? why : "bad syntax");
		return NF_EX_DATAERR;
	}
	if (phone != NULL && phone[0] != '\0') {
		if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
			return rc;
		if (nf_phone_normalize(phone, conf->default_country, c.phone,
		    sizeof c.phone, &why) != 0) {
			fprintf(stderr, "notifilterctl: \"%s\" is not a valid "
			    "phone number: %s\n", phone, why ? why : "bad syntax");
			return NF_EX_DATAERR;
		}
	}
	if (name != NULL) {
		if (!nf_ctl_text_ok(name, sizeof c.name, &why)) {
			fprintf(stderr, "notifilterctl: the name %s (at most %zu "
			    "bytes)\n", why, sizeof c.name - 1);
			return NF_EX_DATAERR;
		}
		memcpy(c.name, name, strlen(name) + 1);
	}
	nf_ctl_typo_warn("", c.email);

	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	rc = nf_store_contact_find(s, c.email, &other);
	if (rc == NF_STORE_OK) {
		fprintf(stderr, "notifilterctl: a contact with email %s already "
		    "exists; use \"contact show %s\" to see it\n", c.email,
		    c.email);
		return NF_EX_DATAERR;
	} else if (rc != NF_STORE_NOTFOUND)
		return nf_ctl_store_fail(ctl, rc, "looking up the email");
	if (c.phone[0]) {
		rc = nf_store_contact_find(s, c.phone, &other);
		if (rc == NF_STORE_OK) {
			fprintf(stderr, "notifilterctl: phone %s already belongs "
			    "to contact %s; a phone can belong to one contact "
			    "only\n", c.phone, contact_label(&other));
			return NF_EX_DATAERR;
		} else if (rc != NF_STORE_NOTFOUND)
			return nf_ctl_store_fail(ctl, rc, "looking up the phone");
	}
	/* an erased address added again is blocked as before it was erased
	 * (nf_st_erased_restore): that needs the key; a SecretFile that
	 * cannot be read is said, and the contact is added all the same */
	(void)nf_ctl_erase_key(ctl, &ch);
	rc = nf_store_contact_add(s, &c);
	if (rc == NF_STORE_CONFLICT) {
		/* someone added it between our lookup and the insert */
		fprintf(stderr, "notifilterctl: email %s or phone %s already "
		    "belongs to another contact\n", c.email,
		    c.phone[0] ? c.phone : "-");
		return NF_EX_DATAERR;
	}
	if (rc != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "adding the contact");
	printf("added contact %s%s%s%s%s\n", c.email,
	    c.phone[0] ? " phone " : "", c.phone,
	    c.name[0] ? " name " : "", c.name);
	return NF_EX_OK;
}

/* Suppressions that cover this contact: its email on the email channel,
 * its phone on each phone channel.  fn(sup, arg) for each found. */
static int
contact_suppressions(struct nf_ctl *ctl, struct nf_store *s,
    const struct nf_contact *c,
    int (*fn)(const struct nf_suppression *, void *), void *arg)
{
	struct nf_suppression sup;
	size_t i;
	int rc;

	if (c->email[0]) {
		rc = nf_store_suppress_find(s, c->email, NF_CH_EMAIL, &sup);
		if (rc == NF_STORE_OK)
			fn(&sup, arg);
		else if (rc != NF_STORE_NOTFOUND)
			return nf_ctl_store_fail(ctl, rc, "looking up suppressions");
	}
	if (c->phone[0])
		for (i = 0; i < sizeof phone_channels / sizeof phone_channels[0];
		    i++) {
			rc = nf_store_suppress_find(s, c->phone,
			    phone_channels[i], &sup);
			if (rc == NF_STORE_OK)
				fn(&sup, arg);
			else if (rc != NF_STORE_NOTFOUND)
				return nf_ctl_store_fail(ctl, rc,
				    "looking up suppressions");
		}
	return NF_EX_OK;
}

struct show_text {
	int n;
};

static int
sup_text(const struct nf_suppression *sup, void *arg)
{
	struct show_text *st = arg;
	char tb[NF_CTL_TIME_MAX];

	if (st->n++ == 0)
		printf("suppressed:\n");
	printf("  %-9s %s  reason %s, source %s, since %s\n",
	    nf_channel_name(sup->channel), sup->address, sup->reason,
	    sup->source, nf_ctl_time(sup->time, tb, sizeof tb));
	return 0;
}

static int
sup_json(const struct nf_suppression *sup, void *arg)
{
	json_t *arr = arg;
	char tb[NF_CTL_TIME_MAX];

	json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "address", sup->address,
	    "channel", nf_channel_name(sup->channel),
	    "reason", sup->reason,
	    "source", sup->source,
	    "time", nf_ctl_time(sup->time, tb, sizeof tb)));
	return 0;
}

static int
show_json(struct nf_ctl *ctl, struct nf_store *s, const struct nf_contact *c)
{
	json_t *root, *cons, *sups;
	char tb[NF_CTL_TIME_MAX];
	int ch, rc;

	cons = json_object();
	for (ch = 0; ch < NF_CH_COUNT; ch++) {
		const struct nf_consent_rec *r = &c->consent[ch];

		json_object_set_new(cons, nf_channel_name(ch),
		    r->state == NF_CONSENT_NONE ?
		    json_pack("{s:s, s:n, s:n}", "state", "none", "source",
			"time") :
		    json_pack("{s:s, s:s, s:s}", "state",
			nf_consent_name(r->state), "source", r->source,
			"time", nf_ctl_time(r->time, tb, sizeof tb)));
	}
	sups = json_array();
	if ((rc = contact_suppressions(ctl, s, c, sup_json, sups)) != NF_EX_OK) {
		json_decref(sups);
		json_decref(cons);
		return rc;
	}
	root = json_object();
	json_object_set_new(root, "email", c->email[0] ?
	    json_string(c->email) : json_null());
	json_object_set_new(root, "phone", c->phone[0] ?
	    json_string(c->phone) : json_null());
	json_object_set_new(root, "name", json_string(c->name));
	json_object_set_new(root, "created",
	    json_string(nf_ctl_time(c->created, tb, sizeof tb)));
	json_object_set_new(root, "updated",
	    json_string(nf_ctl_time(c->updated, tb, sizeof tb)));
	json_object_set_new(root, "consent", cons);
	json_object_set_new(root, "suppressed",
	    json_boolean(json_array_size(sups) > 0));
	json_object_set_new(root, "suppressions", sups);
	return nf_ctl_json_print(root);
}

static int
show_text(struct nf_ctl *ctl, struct nf_store *s, const struct nf_contact *c)
{
	struct show_text st = { 0 };
	char tb[NF_CTL_TIME_MAX];
	int ch, rc;

	printf("email:   %s\n", c->email[0] ? c->email : "-");
	printf("phone:   %s\n", c->phone[0] ? c->phone : "-");
	printf("name:    %s\n", c->name[0] ? c->name : "-");
	printf("created: %s\n", nf_ctl_time(c->created, tb, sizeof tb));
	printf("updated: %s\n", nf_ctl_time(c->updated, tb, sizeof tb));
	printf("consent:\n");
	for (ch = 0; ch < NF_CH_COUNT; ch++) {
		const struct nf_consent_rec *r = &c->consent[ch];

		if (r->state == NF_CONSENT_NONE)
			printf("  %-9s none (the configured default applies)\n",
			    nf_channel_name(ch));
		else
			printf("  %-9s %-8s source %s, %s\n", nf_channel_name(ch),
			    nf_consent_name(r->state), r->source,
			    nf_ctl_time(r->time, tb, sizeof tb));
	}
	if ((rc = contact_suppressions(ctl, s, c, sup_text, &st)) != NF_EX_OK)
		return rc;
	if (st.n == 0)
		printf("suppressed: no\n");
	return NF_EX_OK;
}

int
nf_cmd_contact_show(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_contact c;
	struct nf_store *s;
	char key[NF_CTL_KEY_MAX];
	int ch, rc, json = 0, is_phone;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			return nf_ctl_badopt(ctl, ch, argv, optind);
	}
	if (argc - optind != 1)
		return nf_ctl_usage(ctl, "give exactly one EMAIL or PHONE");
	if ((rc = nf_ctl_key(ctl, argv[optind], key, sizeof key, &is_phone))
	    != NF_EX_OK)
		return rc;
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	rc = nf_store_contact_find(s, key, &c);
	if (rc == NF_STORE_NOTFOUND) {
		fprintf(stderr, "notifilterctl: no contact with %s %s\n",
		    is_phone ? "phone" : "email", key);
		return NF_EX_NOTFOUND;
	}
	if (rc != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "looking up the contact");
	return json ? show_json(ctl, s, &c) : show_text(ctl, s, &c);
}

/* Print the erased rows now standing for addr (email or phone). */
static void
print_kept(struct nf_store *s, const char *addr)
{
	struct nf_erased e;
	char name[NF_CTL_ERASED_NAME_MAX];
	enum nf_channel ch;

	if (addr[0] == '\0')
		return;
	for (ch = 0; ch < NF_CH_COUNT; ch++) {
		if ((ch == NF_CH_EMAIL) != (addr[0] != '+'))
			continue;
		if (nf_store_erased_find(s, addr, ch, &e) == NF_STORE_OK)
			printf("  %-9s %s  %s\n", nf_channel_name(ch),
			    nf_ctl_erased_name(e.hash, name, sizeof name),
			    e.reason);
	}
}

/*
 * Erasure: see nf_store_contact_erase.  SecretFile keys the hashes kept of
 * a suppressed or revoked address; without it such a contact is refused
 * (78) rather than left in clear, and anything else is erased.
 */
int
nf_cmd_contact_remove(struct nf_ctl *ctl, int argc, char **argv)
{
	struct nf_erase_result res;
	struct nf_contact c;
	struct nf_store *s;
	char key[NF_CTL_KEY_MAX];
	int ch, rc, is_phone, have, match = 1, found;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", NULL, NULL)) != -1)
		return nf_ctl_badopt(ctl, ch, argv, optind);
	if (argc - optind != 1)
		return nf_ctl_usage(ctl, "give exactly one EMAIL or PHONE");
	if ((rc = nf_ctl_key(ctl, argv[optind], key, sizeof key, &is_phone))
	    != NF_EX_OK)
		return rc;
	if ((rc = nf_ctl_erase_key(ctl, &have)) != NF_EX_OK)
		return rc;
	if ((rc = nf_ctl_store(ctl, &s)) != NF_EX_OK)
		return rc;
	if (have && nf_store_erase_key_check(s, &match) == NF_STORE_OK &&
	    !match)
		fprintf(stderr, "notifilterctl: warning: SecretFile is not the "
		    "key that erased earlier contacts: their hashes match "
		    "nothing now, so those addresses are no longer blocked; "
		    "restore the old SecretFile if that was not meant\n");
	rc = nf_store_contact_find(s, key, &c);
	if (rc != NF_STORE_OK && rc != NF_STORE_NOTFOUND)
		return nf_ctl_store_fail(ctl, rc, "looking up the contact");
	found = rc == NF_STORE_OK;
	if (!found) {
		memset(&c, 0, sizeof c);
		snprintf(is_phone ? c.phone : c.email, is_phone ?
		    sizeof c.phone : sizeof c.email, "%s", key);
	}
	rc = nf_store_contact_erase(s, key, &res);
	if (rc == NF_STORE_NOTFOUND) {
		fprintf(stderr, "notifilterctl: no contact with %s %s, and no "
		    "record names it\n", is_phone ? "phone" : "email", key);
		return NF_EX_NOTFOUND;
	}
	if (rc != NF_STORE_OK && res.need_key) {
		fprintf(stderr, "notifilterctl: %s was not erased: it is "
		    "suppressed or has revoked consent, which must outlive the "
		    "erasure as a keyed hash, and %s sets no SecretFile; add "
		    "\"SecretFile /path/to/key\" (the daemon's) and run it "
		    "again\n", key, ctl->conf_path);
		return NF_EX_CONFIG;
	}
	if (rc != NF_STORE_OK)
		return nf_ctl_store_fail(ctl, rc, "erasing the contact");
	if (found)
		printf("erased contact %s: its consent, events, message "
		    "records, reports and outbox rows (%lld rows)\n", key,
		    (long long)res.rows);
	else
		printf("erased the records about %s (no contact): events, "
		    "message records, reports and outbox rows (%lld rows)\n",
		    key, (long long)res.rows);
	if (res.kept > 0) {
		printf("kept as keyed hashes, so it stays blocked (\"suppress "
		    "list\" shows them, \"suppress remove erased:...\" lifts "
		    "one):\n");
		print_kept(s, c.email);
		print_kept(s, c.phone);
	}
	if (!res.checkpointed)
		fprintf(stderr, "notifilterctl: warning: the database's write-"
		    "ahead log could not be emptied: %s; run \"contact remove\" "
		    "again later or stop the daemon briefly\n",
		    res.checkpoint_err[0] ? res.checkpoint_err : "unknown");
	return NF_EX_OK;
}
