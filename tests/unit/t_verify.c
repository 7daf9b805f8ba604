/*
 * t_verify.c - unit tests of lib/verify.h with no network: DKIM with RSA
 * keys made at test time by opendkim-genkey (the message is signed here
 * with libopendkim, the public key given as a fixed zone), and SPF with
 * libspf2 over a fixed zone of TXT records.
 *
 * Skips the DKIM part (with a reason) when opendkim-genkey is missing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#include "tap.h"
#include "verify.h"

static char tmpdir[] = "/tmp/t_verify.XXXXXX";

static const char body_msg[] =
	"From: fbl@isp.example.net\r\n"
	"To: complaints@bounces.example.test\r\n"
	"Subject: complaint about a notification\r\n"
	"Date: Thu, 01 Jan 2026 10:00:00 +0000\r\n"
	"Message-ID: <arf-1@isp.example.net>\r\n"
	"\r\n"
	"This is an email abuse report.\r\n"
	"More text.\r\n";

/* Read a whole small file; NULL when missing.  Caller frees. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	b[fread(b, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return b;
}

/* The TXT text of opendkim-genkey's sel.txt: its quoted strings joined. */
static char *
txt_record(const char *zonefile)
{
	char *z = slurp(zonefile), *out, *p, *q;
	size_t n = 0;

	if (z == NULL || (out = malloc(strlen(z) + 1)) == NULL) {
		free(z);
		return NULL;
	}
	for (p = z; (p = strchr(p, '"')) != NULL; p = q + 1) {
		if ((q = strchr(p + 1, '"')) == NULL)
			break;
		memcpy(out + n, p + 1, (size_t)(q - p - 1));
		n += (size_t)(q - p - 1);
	}
	out[n] = '\0';
	free(z);
	return out;
}

/* Make a key pair "sel" for domain in tmpdir/name/; 0 ok. */
static int
genkey(const char *name, const char *sel, const char *domain, char **priv,
    char **txt)
{
	char dir[600], cmd[1400], f[700];

	snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
	mkdir(dir, 0700);
	snprintf(cmd, sizeof cmd, "opendkim-genkey -b 1024 -D '%s' -d '%s' "
	    "-s '%s' >/dev/null 2>&1", dir, domain, sel);
	if (system(cmd) != 0)
		return -1;
	snprintf(f, sizeof f, "%s/%s.private", dir, sel);
	*priv = slurp(f);
	snprintf(f, sizeof f, "%s/%s.txt", dir, sel);
	*txt = txt_record(f);
	return *priv && *txt ? 0 : -1;
}

/* The message signed with (priv, sel, domain), DKIM-Signature first. */
static char *
sign(const char *priv, const char *sel, const char *domain, const char *msg)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	DKIM *d;
	DKIM_STAT st;
	unsigned char hdr[4096];
	char *out = NULL;
	size_t n;

	if (lib == NULL)
		return NULL;
	d = dkim_sign(lib, (const unsigned char *)"t_verify", NULL,
	    (dkim_sigkey_t)priv, (const unsigned char *)sel,
	    (const unsigned char *)domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
	if (d != NULL &&
	    dkim_chunk(d, (u_char *)msg, strlen(msg)) == DKIM_STAT_OK &&
	    dkim_chunk(d, NULL, 0) == DKIM_STAT_OK &&
	    dkim_eom(d, NULL) == DKIM_STAT_OK &&
	    dkim_getsighdr(d, hdr, sizeof hdr, strlen("DKIM-Signature: ")) ==
	    DKIM_STAT_OK) {
		n = strlen("DKIM-Signature: ") + strlen((char *)hdr) + 2 +
		    strlen(msg) + 1;
		if ((out = malloc(n)) != NULL)
			snprintf(out, n, "DKIM-Signature: %s\r\n%s", hdr, msg);
	}
	if (d != NULL)
		dkim_free(d);
	dkim_close(lib);
	return out;
}

/* CRLF -> LF, as a Postfix pipe hands a message over. */
static char *
to_lf(const char *m)
{
	char *o = malloc(strlen(m) + 1), *p = o;

	if (o == NULL)
		return NULL;
	for (; *m; m++)
		if (!(m[0] == '\r' && m[1] == '\n'))
			*p++ = *m;
	*p = '\0';
	return o;
}

static void
dkim_tests(void)
{
	char *priv = NULL, *txt = NULL, *priv2 = NULL, *txt2 = NULL;
	char *signed_msg, *lf, *bad;
	struct nf_verify_result v;
	struct nf_verify_txt z1[1], z2[1];
	struct nf_verify_dns dns1 = { z1, 1, 2 }, dns2 = { z2, 1, 2 };
	struct nf_verify_dns empty = { z1, 0, 2 };

	if (system("command -v opendkim-genkey >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP DKIM: opendkim-genkey is not installed "
		    "(apt-get install opendkim-tools)");
		return;
	}
	if (genkey("k1", "sel1", "isp.example.net", &priv, &txt) != 0 ||
	    genkey("k2", "sel1", "isp.example.net", &priv2, &txt2) != 0) {
		ok(0, "opendkim-genkey made two key pairs");
		return;
	}
	ok(strstr(txt, "p=") != NULL, "public key record read (%.40s...)", txt);
	z1[0].name = "sel1._domainkey.isp.example.net";
	z1[0].txt = txt;
	z2[0].name = z1[0].name;
	z2[0].txt = txt2;

	signed_msg = sign(priv, "sel1", "isp.example.net", body_msg);
	ok(signed_msg != NULL, "message signed with libopendkim");
	if (signed_msg == NULL)
		return;
	is_int(nf_verify_dkim(&dns1, signed_msg, strlen(signed_msg), &v), 0,
	    "DKIM: verify ran");
	is_str(v.dkim, "pass", "DKIM: a good signature passes (%s)",
	    v.dkim_detail);
	is_str(v.dkim_domain, "isp.example.net", "DKIM: d= recorded");

	lf = to_lf(signed_msg);
	nf_verify_dkim(&dns1, lf, strlen(lf), &v);
	is_str(v.dkim, "pass", "DKIM: still passes with LF line ends (%s)",
	    v.dkim_detail);

	bad = strdup(signed_msg);
	memcpy(strstr(bad, "More text"), "Mare", 4);
	nf_verify_dkim(&dns1, bad, strlen(bad), &v);
	is_str(v.dkim, "fail", "DKIM: an altered body fails (%s)",
	    v.dkim_detail);

	nf_verify_dkim(&dns2, signed_msg, strlen(signed_msg), &v);
	is_str(v.dkim, "fail", "DKIM: another key in DNS fails (%s)",
	    v.dkim_detail);

	nf_verify_dkim(&empty, signed_msg, strlen(signed_msg), &v);
	ok(strcmp(v.dkim, "permerror") == 0 || strcmp(v.dkim, "temperror") ==
	    0, "DKIM: no key published -> permerror/temperror (got %s: %s)",
	    v.dkim, v.dkim_detail);

	nf_verify_dkim(&dns1, body_msg, strlen(body_msg), &v);
	is_str(v.dkim, "none", "DKIM: an unsigned message is none");

	nf_verify_dkim(&dns1, "garbage without headers", 23, &v);
	ok(v.dkim[0] != '\0', "DKIM: garbage gives a result, no crash (%s)",
	    v.dkim);

	free(priv);
	free(txt);
	free(priv2);
	free(txt2);
	free(signed_msg);
	free(lf);
	free(bad);
}

/* Two signatures on one report: every passing one is listed, so that
 * ComplaintDomains can look for the feedback provider's among them. */
static void
two_signatures(void)
{
	char *pa = NULL, *ta = NULL, *pb = NULL, *tb = NULL, *one, *two, *bad;
	struct nf_verify_result v;
	struct nf_verify_txt z[2];
	struct nf_verify_dns dns = { z, 2, 2 }, only_a = { z, 1, 2 };

	if (system("command -v opendkim-genkey >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP two signatures: opendkim-genkey is not installed");
		return;
	}
	if (genkey("ka", "fbl", "isp.example.net", &pa, &ta) != 0 ||
	    genkey("kb", "s", "Relay.Example.ORG", &pb, &tb) != 0) {
		ok(0, "opendkim-genkey made the keys of two domains");
		return;
	}
	z[0].name = "fbl._domainkey.isp.example.net";
	z[0].txt = ta;
	z[1].name = "s._domainkey.relay.example.org";
	z[1].txt = tb;
	one = sign(pa, "fbl", "isp.example.net", body_msg);
	two = one ? sign(pb, "s", "Relay.Example.ORG", one) : NULL;
	ok(two != NULL && strstr(strstr(two, "DKIM-Signature:") + 1,
	    "DKIM-Signature:") != NULL, "a report with two signatures");
	if (two == NULL)
		goto out;
	is_int(nf_verify_dkim(&dns, two, strlen(two), &v), 0,
	    "two signatures: verify ran");
	is_str(v.dkim, "pass", "two signatures: pass");
	ok(strstr(v.dkim_pass, "isp.example.net") != NULL &&
	    strstr(v.dkim_pass, "relay.example.org") != NULL &&
	    strlen(v.dkim_pass) == strlen("isp.example.net relay.example.org"),
	    "two signatures: both domains listed, lower case (%s)", v.dkim_pass);

	nf_verify_dkim(&only_a, two, strlen(two), &v);
	is_str(v.dkim_pass, "isp.example.net",
	    "two signatures, one key unpublished: only the passing one listed");

	bad = strdup(two);
	memcpy(strstr(bad, "More text"), "Mare", 4);
	nf_verify_dkim(&dns, bad, strlen(bad), &v);
	is_str(v.dkim_pass, "", "two signatures, body altered: none listed");
	free(bad);

	nf_verify_dkim(&dns, body_msg, strlen(body_msg), &v);
	is_str(v.dkim_pass, "", "unsigned: none listed");
out:
	free(one);
	free(two);
	free(pa);
	free(ta);
	free(pb);
	free(tb);
}

static void
spf_tests(void)
{
	static const struct nf_verify_txt zone[] = {
		{ "isp.example.net", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all" },
		{ "soft.example.net", "v=spf1 ip4:192.0.2.1 ~all" },
		{ "neutral.example.net", "v=spf1 ?all" },
		{ "broken.example.net", "v=spf1 ip4:300.1.2.3/99 bogus:x -all" },
		{ "mx.isp.example.net", "v=spf1 ip4:203.0.113.5 -all" },
	};
	static const struct {
		const char *ip, *helo, *sender, *want;
	} t[] = {
		{ "192.0.2.7", "mx.isp.example.net", "fbl@isp.example.net", "pass" },
		{ "198.51.100.1", "mx.isp.example.net", "fbl@isp.example.net", "fail" },
		{ "2001:db8::25", "mx.isp.example.net", "fbl@isp.example.net", "pass" },
		{ "2001:db9::25", "mx.isp.example.net", "fbl@isp.example.net", "fail" },
		{ "198.51.100.1", "x", "a@soft.example.net", "softfail" },
		{ "198.51.100.1", "x", "a@neutral.example.net", "neutral" },
		{ "192.0.2.7", "x", "a@unknown.example.org", "none" },
		{ "192.0.2.7", "x", "a@broken.example.net", "permerror" },
		/* null sender: the HELO name is checked */
		{ "203.0.113.5", "mx.isp.example.net", "", "pass" },
		{ "", "mx.isp.example.net", "fbl@isp.example.net", "" },
		{ NULL, "mx.isp.example.net", "fbl@isp.example.net", "" },
		{ "192.0.2.7", "", "", "" },
		{ "not-an-ip", "x", "fbl@isp.example.net", "permerror" },
	};
	struct nf_verify_dns dns = { zone, sizeof zone / sizeof zone[0], 2 };
	struct nf_verify_result v;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		nf_verify_spf(&dns, t[i].ip, t[i].helo, t[i].sender, &v);
		is_str(v.spf, t[i].want, "SPF %s from %s (helo %s): %s (%s)",
		    t[i].sender, t[i].ip ? t[i].ip : "(none)", t[i].helo,
		    t[i].want[0] ? t[i].want : "not checked", v.spf_detail);
	}
}

int
main(void)
{
	char cmd[700];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	dkim_tests();
	two_signatures();
	spf_tests();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (getenv("KEEP") == NULL && system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return tap_done();
}
