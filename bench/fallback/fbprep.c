/*
 * fbprep.c - test data for bench/bench-fallback.sh: N notifications as
 * the milter would have recorded them (a contact with a phone and SMS
 * consent, a message with a real token and VERP sender, one recipient),
 * and for each one the DSN Postfix would send back after a 550 5.1.1.
 *
 * usage: fbprep CONF N OUTDIR [FIRST]
 *   writes OUTDIR/dsn.NNNNNN (one DSN each) and OUTDIR/list with lines
 *   "TOKEN VERP EMAIL PHONE"; contacts fbNNNNNN@dest.example.test with
 *   phones +4915112NNNNNN, numbered from FIRST (default 0).
 * Everything goes into the store of CONF in one transaction, so the
 * benchmark starts from a known state in well under a second.  Exit 0, or
 * 1 with the reason on stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "secret.h"
#include "store.h"
#include "token.h"

static int
write_dsn(const char *path, const char *verp, const char *email, const char *token)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "Return-Path: <>\n"
	    "From: MAILER-DAEMON@mta.example.test (Mail Delivery System)\n"
	    "To: %s\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
	    "\n--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
	    "\n--B\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mta.example.test\nX-Postfix-Sender: rfc822; %s\n\n"
	    "Final-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\n"
	    "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; 127.0.0.1\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n"
	    "\n--B\nContent-Type: text/rfc822-headers\n\n"
	    "From: app@notify.example.test\nTo: %s\nSubject: bench\nX-Notifilter-ID: %s\n"
	    "\n--B--\n", verp, verp, email, email, email, email, token);
	return fclose(f) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct nf_conf *conf = NULL;
	struct nf_secret *key = NULL;
	struct nf_store *s = NULL;
	struct nf_buf err;
	char e[1024], path[4096], token[64], verp[512], email[128], phone[NF_STORE_PHONE_MAX], qid[32];
	long n, first = 0, i;
	FILE *list;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (argc < 4 || (n = strtol(argv[2], NULL, 10)) <= 0 || n > 999999) {
		fprintf(stderr, "usage: fbprep CONF N OUTDIR [FIRST]\n");
		return 1;
	}
	if (argc > 4)
		first = strtol(argv[4], NULL, 10);
	nf_buf_init(&err, 2048);
	if (nf_conf_load(argv[1], &conf, &err) != 0 ||
	    nf_secret_load(conf->secret_file, &key, &err) != 0) {
		fprintf(stderr, "fbprep: %s\n", nf_buf_cstr(&err));
		return 1;
	}
	if (nf_store_open(conf->database, NF_STORE_CREATE, 5000, &s, e, sizeof(e)) != NF_STORE_OK) {
		fprintf(stderr, "fbprep: %s\n", e);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/list", argv[3]);
	if ((list = fopen(path, "a")) == NULL) {
		fprintf(stderr, "fbprep: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = nf_store_begin(s);
	for (i = first; i < first + n && rc == NF_STORE_OK; i++) {
		struct nf_contact c;
		struct nf_message_in m;
		struct nf_recipient_in r;

		snprintf(email, sizeof(email), "fb%06ld@dest.example.test", i);
		snprintf(phone, sizeof(phone), "+4915112%06ld", i % 1000000);
		snprintf(qid, sizeof(qid), "FB%06ld", i);
		memset(&c, 0, sizeof(c));
		snprintf(c.email, sizeof(c.email), "%s", email);
		snprintf(c.phone, sizeof(c.phone), "%s", phone);
		snprintf(c.name, sizeof(c.name), "Bench %ld", i);
		c.consent[NF_CH_SMS].state = NF_CONSENT_GRANTED;
		snprintf(c.consent[NF_CH_SMS].source, sizeof(c.consent[NF_CH_SMS].source), "bench");
		c.consent[NF_CH_SMS].time = now;
		if ((rc = nf_store_contact_add(s, &c)) != NF_STORE_OK)
			break;
		if (nf_token_make(key, nf_token_new_msgid(), now, token, sizeof(token)) != 0 ||
		    nf_token_verp(conf->verp_prefix, token, conf->bounce_domain, verp,
		    sizeof(verp)) != 0) {
			fprintf(stderr, "fbprep: cannot make a token\n");
			return 1;
		}
		memset(&m, 0, sizeof(m));
		m.token = token;
		m.queue_id = qid;
		m.sender = "app@notify.example.test";
		m.verp = verp;
		m.header_from = "app@notify.example.test";
		m.subject = "Your parcel is late";
		m.applied = 1;
		m.time = now;
		memset(&r, 0, sizeof(r));
		r.address = email;
		r.verdict = "allowed";
		r.rule = "consent-granted";
		r.dsn_requested = 1;
		if ((rc = nf_store_message_add(s, &m, &r, 1)) != NF_STORE_OK)
			break;
		snprintf(path, sizeof(path), "%s/dsn.%06ld", argv[3], i);
		if (write_dsn(path, verp, email, token) != 0) {
			fprintf(stderr, "fbprep: %s: %s\n", path, strerror(errno));
			return 1;
		}
		fprintf(list, "%s %s %s %s\n", token, verp, email, phone);
	}
	if (rc == NF_STORE_OK)
		rc = nf_store_commit(s);
	else
		nf_store_rollback(s);
	if (rc != NF_STORE_OK) {
		fprintf(stderr, "fbprep: %s\n", nf_store_errmsg(s));
		return 1;
	}
	fclose(list);
	nf_store_close(s);
	nf_secret_free(key);
	nf_conf_unref(conf);
	nf_buf_free(&err);
	return 0;
}
