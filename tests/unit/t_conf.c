/*
 * t_conf.c - table-driven tests of the configuration loader: every error
 * names file and line, every value type parses, defaults and dumps agree.
 */
#include "conf.h"
#include "log.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/nf-t-conf-XXXXXX";

/* Write `text` to a file and load it; returns the loader's result. */
static int
load_text(const char *text, struct nf_conf **c, struct nf_buf *err, char *path, size_t plen)
{
	FILE *fp;

	snprintf(path, plen, "%s/notifilter.conf", dir);
	fp = fopen(path, "w");
	if (fp == NULL)
		return -2;
	fputs(text, fp);
	fclose(fp);
	nf_buf_reset(err);
	return nf_conf_load(path, c, err);
}

struct bad_case {
	const char *text;
	int line;		/* expected line in the message */
	const char *needle;	/* expected part of the message */
};

static const struct bad_case bad[] = {
	{ "Bogus 1\n", 1, "unknown key 'Bogus'" },
	{ "# comment\n\nMode enforce\nMode monitor\n", 4, "already set at line 3" },
	{ "Mode sometimes\n", 1, "expected enforce or monitor" },
	{ "Socket tcp:1234\n", 1, "unknown socket type" },
	{ "Socket inet:99999@127.0.0.1\n", 1, "bad port" },
	{ "Socket unix:relative.sock\n", 1, "absolute path" },
	{ "Database relative.db\n", 1, "absolute path" },
	{ "Senders app@example.com, bad pattern@\n", 1, "sender pattern" },
	{ "Senders *@*.\n", 1, "bad domain" },
	{ "DefaultEmailConsent maybe\n", 1, "expected yes or no" },
	{ "BlockedRecipient bounce\n", 1, "expected reject or drop" },
	{ "OnStoreError retry\n", 1, "expected tempfail or accept" },
	{ "FallbackAfter 10x\n", 1, "duration" },
	{ "FallbackAfter -5m\n", 1, "duration" },
	{ "SoftBounceLimit many\n", 1, "whole number" },
	{ "DefaultCountry 0049\n", 1, "calling code" },
	{ "DefaultCountry 12345\n", 1, "calling code" },
	{ "ComplaintAuth dmarc\n", 1, "none, dkim, spf" },
	{ "ComplaintDomains isp.example.net, localhost\n", 1, "'localhost' is not a domain name" },
	{ "ComplaintDomains isp.example.net, a@b.example\n", 1, "is not a domain name" },
	{ "FallbackChannels sms, pager\n", 1, "not a fallback channel" },
	{ "FallbackChannels sms, sms\n", 1, "listed twice" },
	{ "Channel fax kannel url=x user=u password_file=/p\n", 1, "unknown channel kind" },
	{ "Channel sms smpp url=x\n", 1, "unknown channel driver" },
	{ "Channel sms kannel url=http://x user=u password=secret\n", 1, "password_file" },
	{ "Channel sms kannel url=http://x user=u\n", 1, "needs password_file" },
	{ "Channel sms twilio account=A token_file=/t from=+1 color=red\n", 1, "no option 'color'" },
	{ "Channel sms webhook url=http://x secret_file=/s url=http://y\n", 1, "given twice" },
	{ "Channel sms\n", 1, "Channel KIND DRIVER" },
	{ "Channel sms kannel url=http://x user=u password_file=/p\n"
	  "FallbackChannels sms, viber\n", 2, "no Channel line configures it" },
	{ "LogLevel loud\n", 1, "expected err, warn, info or debug" },
	{ "SyslogFacility kernel\n", 1, "syslog facility" },
	{ "UMask 0999\n", 1, "octal mode" },
	{ "StoreTimeout 5xms\n", 1, "500ms" },
	{ "StoreTimeout ms\n", 1, "duration" },
	{ "VerpPrefix a+b\n", 1, "prefix" },
	{ "BounceDomain -bad.example\n", 1, "valid domain" },
	{ "SupportAddress nobody\n", 1, "not an email address" },
	{ "Mode\n", 1, "has no value" },
	{ "\n\n\nMode enforce\nSenders\n", 5, "has no value" },
};

static void
test_bad(void)
{
	struct nf_buf err;
	struct nf_conf *c;
	char path[256], want[300];
	size_t i;

	nf_buf_init(&err, 4096);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = load_text(bad[i].text, &c, &err, path, sizeof(path));

		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		ok(rc == -1 && c == NULL, "bad config %zu is refused", i);
		ok(strncmp(nf_buf_cstr(&err), want, strlen(want)) == 0 &&
		    strstr(nf_buf_cstr(&err), bad[i].needle) != NULL,
		    "bad config %zu names file, line %d and '%s'", i, bad[i].line, bad[i].needle);
		if (strstr(nf_buf_cstr(&err), bad[i].needle) == NULL ||
		    strncmp(nf_buf_cstr(&err), want, strlen(want)) != 0)
			diag("message was: %s", nf_buf_cstr(&err));
	}
	nf_buf_reset(&err);
	ok(nf_conf_load("/nonexistent/notifilter.conf", &c, &err) == -1 &&
	    strstr(nf_buf_cstr(&err), "/nonexistent/notifilter.conf: cannot open") != NULL &&
	    strstr(nf_buf_cstr(&err), "-c FILE") != NULL,
	    "a missing file is named, with what to do");
	{
		char text[NF_CONF_DEFAULT_PATH[0] ? 5000 : 1];

		memset(text, 'x', sizeof(text) - 2);
		text[sizeof(text) - 2] = '\n';
		text[sizeof(text) - 1] = '\0';
		ok(load_text(text, &c, &err, path, sizeof(path)) == -1 &&
		    strstr(nf_buf_cstr(&err), ":1: line is longer") != NULL,
		    "an overlong line is refused with its line number");
	}
	nf_buf_free(&err);
}

static void
test_good(void)
{
	struct nf_buf err;
	struct nf_conf *c = NULL;
	char path[256];
	int rc;

	nf_buf_init(&err, 4096);
	rc = load_text(
	    "\xef\xbb\xbf# a full configuration\r\n"
	    "socket   inet:8891@127.0.0.1   # trailing comment\n"
	    "DATABASE /var/tmp/nf.db\n"
	    "Mode monitor\n"
	    "Senders App@Example.COM, *@notify.example.org *@*.example.net\n"
	    "BounceDomain Bounces.Example.COM\n"
	    "DefaultEmailConsent no\n"
	    "DefaultPhoneConsent yes\n"
	    "BlockedRecipient drop\n"
	    "OnStoreError accept\n"
	    "FallbackAfter 15m\n"
	    "SoftBounceWindow 2d\n"
	    "SoftBounceLimit 7\n"
	    "DefaultCountry +49\n"
	    "ComplaintAuth dkim, spf\n"
	    "ComplaintDomains Feedback.Example.NET., isp.example.org\n"
	    "FallbackTemplate Your order {ref}: {subject}#1 # a comment\n"
	    "Channel sms kannel url=http://127.0.0.1:14013/cgi-bin/sendsms user=t password_file=/etc/nf/k.pw\n"
	    "Channel whatsapp webhook url=http://127.0.0.1:9/wa secret_file=/etc/nf/wa.key\n"
	    "FallbackChannels whatsapp, sms\n"
	    "StoreTimeout 500ms\n"
	    "NonSmtpdName pickup-milter\n"
	    "UMask 000\n",
	    &c, &err, path, sizeof(path));
	ok(rc == 0, "a full configuration loads");
	if (rc != 0) {
		diag("error: %s", nf_buf_cstr(&err));
		nf_buf_free(&err);
		return;
	}
	is_str(c->socket, "inet:8891@127.0.0.1", "Socket, case-insensitive key, comment cut");
	is_str(c->database, "/var/tmp/nf.db", "Database");
	is_int(c->mode, NF_MODE_MONITOR, "Mode");
	is_int(c->nsenders, 3, "three sender patterns");
	is_str(c->senders[0], "app@example.com", "sender patterns are lower-cased");
	is_str(c->senders[2], "*@*.example.net", "subdomain pattern kept");
	is_str(c->bounce_domain, "bounces.example.com", "BounceDomain lower-cased");
	is_int(c->default_email_consent, 0, "DefaultEmailConsent");
	is_int(c->default_phone_consent, 1, "DefaultPhoneConsent");
	is_int(c->blocked_recipient, NF_BLOCKED_DROP, "BlockedRecipient");
	is_int(c->on_store_error, NF_ONSTORE_ACCEPT, "OnStoreError");
	is_int(c->fallback_after, 900, "FallbackAfter 15m");
	is_int(c->soft_bounce_window, 172800, "SoftBounceWindow 2d");
	is_int(c->soft_bounce_limit, 7, "SoftBounceLimit");
	is_str(c->default_country, "49", "DefaultCountry loses its +");
	is_int(c->complaint_auth, NF_AUTH_DKIM | NF_AUTH_SPF, "ComplaintAuth dkim, spf");
	ok(c->ncomplaint_domains == 2 &&
	    strcmp(c->complaint_domains[0], "feedback.example.net") == 0 &&
	    strcmp(c->complaint_domains[1], "isp.example.org") == 0,
	    "ComplaintDomains: lower case, no final dot");
	is_str(c->fallback_template, "Your order {ref}: {subject}#1",
	    "a # inside a word is kept, one after a blank starts a comment");
	is_int(c->nchannels, 2, "two channels");
	is_str(nf_conf_channel_get(&c->channels[0], "password_file"), "/etc/nf/k.pw",
	    "channel options are kept");
	is_str(c->channels[1].kind, "whatsapp", "channel kind");
	is_str(c->fallback_channels[0], "whatsapp", "FallbackChannels order");
	is_int(c->store_timeout, 500, "StoreTimeout 500ms");
	is_str(c->nonsmtpd_name, "pickup-milter", "NonSmtpdName");
	is_int(c->umask, 0, "UMask 000");
	is_str(c->path, path, "the conf remembers its path");

	/* the dump reloads to the same values */
	{
		char dpath[300];
		FILE *fp;
		struct nf_conf *c2 = NULL;

		snprintf(dpath, sizeof(dpath), "%s/dump.conf", dir);
		fp = fopen(dpath, "w");
		nf_conf_dump(c, fp);
		fclose(fp);
		nf_buf_reset(&err);
		rc = nf_conf_load(dpath, &c2, &err);
		ok(rc == 0, "the dump of a configuration loads again");
		if (rc != 0)
			diag("error: %s", nf_buf_cstr(&err));
		else {
			is_str(c2->socket, c->socket, "dump round trip: Socket");
			is_int(c2->fallback_after, c->fallback_after, "dump round trip: FallbackAfter");
			is_int(c2->nchannels, 2, "dump round trip: channels");
			is_int(c2->store_timeout, c->store_timeout, "dump round trip: StoreTimeout");
			is_int(c2->complaint_auth, c->complaint_auth, "dump round trip: ComplaintAuth");
			ok(c2->ncomplaint_domains == 2 &&
			    strcmp(c2->complaint_domains[1], "isp.example.org") == 0,
			    "dump round trip: ComplaintDomains");
			nf_conf_unref(c2);
		}
		unlink(dpath);
	}
	nf_conf_ref(c);
	nf_conf_unref(c);
	ok(c->refs == 1, "ref/unref balance");
	nf_conf_unref(c);
	nf_buf_free(&err);
}

static void
test_defaults(void)
{
	struct nf_conf *c = nf_conf_defaults();
	size_t n, i;
	const struct nf_conf_keyinfo *k = nf_conf_keys(&n);
	int found = 0;

	ok(c != NULL, "defaults build");
	if (c == NULL)
		return;
	is_str(c->socket, "local:/run/notifilter/notifilter.sock", "default Socket");
	is_int(c->mode, NF_MODE_ENFORCE, "default Mode");
	is_int(c->default_email_consent, 1, "default DefaultEmailConsent yes");
	is_int(c->default_phone_consent, 0, "default DefaultPhoneConsent no");
	is_int(c->blocked_recipient, NF_BLOCKED_REJECT, "default BlockedRecipient");
	is_int(c->on_store_error, NF_ONSTORE_TEMPFAIL, "default OnStoreError");
	is_int(c->request_dsn, 1, "default RequestDSN");
	is_int(c->store_timeout, 2000, "default StoreTimeout 2s");
	is_str(c->nonsmtpd_name, "nonsmtpd", "default NonSmtpdName");
	is_int(c->soft_bounce_limit, 5, "default SoftBounceLimit");
	is_int(c->soft_bounce_window, 7 * 86400, "default SoftBounceWindow");
	is_int(c->fallback_max_per_phone, 3, "default FallbackMaxPerPhone");
	is_int(c->fallback_max_per_hour, 1000, "default FallbackMaxPerHour");
	is_int(c->fallback_max_segments, 2, "default FallbackMaxSegments");
	is_int(c->fallback_expiry, 3600, "default FallbackExpiry");
	is_str(c->fallback_template, "{subject}", "default FallbackTemplate");
	is_int(c->nsenders, 0, "no Senders by default: nothing is policed");
	ok(c->bounce_domain == NULL, "BounceDomain unset by default");
	for (i = 0; i < n; i++)
		if (strcmp(k[i].name, "FallbackMaxPerPhone") == 0 && k[i].help && k[i].type)
			found = 1;
	ok(found, "the key table lists FallbackMaxPerPhone with help text");
	nf_conf_unref(c);
}

static void
test_duration(void)
{
	static const struct { const char *s; int64_t v; int rc; } d[] = {
		{ "0", 0, 0 }, { "30s", 30, 0 }, { "15m", 900, 0 }, { "2h", 7200, 0 },
		{ "7d", 604800, 0 }, { "1w", 604800, 0 }, { "45", 45, 0 },
		{ "", 0, -1 }, { "m", 0, -1 }, { "5mm", 0, -1 }, { "-1s", 0, -1 },
		{ "99999999999999999999d", 0, -1 }, { " 5s", 0, -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		int64_t v = -1;
		int rc = nf_conf_parse_duration(d[i].s, &v);

		is_int(rc, d[i].rc, "duration '%s' %s", d[i].s, d[i].rc ? "refused" : "accepted");
		if (d[i].rc == 0)
			is_int(v, d[i].v, "duration '%s' value", d[i].s);
	}
}

int
main(void)
{
	char path[300];

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	nf_log_open("t_conf", -1, 0, NF_LOG_ERR);
	test_bad();
	test_good();
	test_defaults();
	test_duration();
	snprintf(path, sizeof(path), "%s/notifilter.conf", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
