/*
 * report_mta.c - per-author and per-provider knowledge (report_mta.h).
 *
 * The facts below are what these systems are documented (by their
 * vendors, or by bounce analysers such as Sisimai that collected their
 * samples) to write; the tables and code are notifilter's own.  Each rule
 * is a fact about a format or a provider's published error codes, never a
 * string from one message: an author is recognised by a header it always
 * sets, a provider by its host names or its mail domains, a reason by the
 * fixed wording of a template or a code of the provider's scheme.
 *
 * Nothing is allocated; texts are looked at up to a fixed length.
 * Failure modes: none (unknown input gives NF_MTA_NONE / NF_REASON_NONE).
 */
#include "config.h"

#include "report_mta.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"

#define LC_MAX 2048

/* lower-case copy of at most n bytes (and dstlen - 1), up to a NUL.
 * ASCII folding, what tolower() does in the C locale the programs run in;
 * it runs over every top-level header, hence no call per byte. */
static size_t
lc_copy(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t i;

	if (dstlen == 0)
		return 0;
	n = strnlen(s, n < dstlen - 1 ? n : dstlen - 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	dst[n] = '\0';
	return n;
}

/*
 * Authors, by the headers of the report itself.  how: 'p' the value
 * starts with the needle, 's' contains it, 'e' is it (surrounding blanks
 * aside), 'h' the header is there at all.  Several signals of one author
 * are alternatives; McAfee's needs both of its two (its X-NAI-Header is
 * stamped on any mail the gateway touched, its bounces alone carry the
 * fixed subject).
 */
#define S_MCAFEE_HDR	0x1u
#define S_MCAFEE_SUBJ	0x2u
#define S_IMAIL		0x4u
#define S_NOTES		0x8u
#define S_DOMINO	0x10u
#define S_EXCH		0x20u
#define S_VERIZON	0x40u
#define S_INTERSCAN	0x80u
#define S_JAMES		0x100u
#define S_EZWEB		0x200u
#define S_FML		0x400u
#define S_LIST_ADMIN	0x800u
#define S_COURIER	0x1000u
#define S_HOTMAIL_SUBJ	0x2000u
#define S_HOTMAIL_XMD	0x4000u
#define S_HOTMAIL_XMI	0x8000u
#define S_HOTMAIL_RCVD	0x10000u
#define S_MLABS_REF	0x20000u
#define S_MLABS_FROM	0x40000u

/* the name's length is kept so that a header is compared only with the
 * signals of the same length (nf_mta_header sees every top-level header) */
#define SIGNAL(name, needle, how, sig) { name, sizeof(name) - 1, needle, how, sig }
static const struct {
	const char *name;
	size_t nlen;
	const char *needle;
	char how;
	unsigned sig;
} signals[] = {
	SIGNAL("x-nai-header", "modified by mcafee", 's', S_MCAFEE_HDR),
	SIGNAL("subject", "delivery status", 'e', S_MCAFEE_SUBJ),
	/* Ipswitch IMail Server */
	SIGNAL("x-mailer", "<smtp32 v", 'p', S_IMAIL),
	SIGNAL("subject", "undeliverable mail", 'e', S_IMAIL),
	/* Lotus Notes R4/R5 router, and Domino */
	SIGNAL("subject", "undeliverable message", 'e', S_NOTES),
	SIGNAL("subject", "delivery failure:", 'p', S_DOMINO),
	SIGNAL("subject", "delivery_failure:", 'p', S_DOMINO),
	/* Exchange 5.5/2000/2003 Internet Mail Service */
	SIGNAL("x-ms-embedded-report", "", 'h', S_EXCH),
	SIGNAL("x-mailer", "internet mail service (", 'p', S_EXCH),
	SIGNAL("x-mailer", "microsoft exchange server internet mail connector", 'p', S_EXCH),
	SIGNAL("x-mimeole", "produced by microsoft exchange", 'p', S_EXCH),
	SIGNAL("received", " with internet mail service (", 's', S_EXCH),
	/* Verizon Wireless SMS and MMS gateways */
	SIGNAL("from", "post_master@vtext.com", 's', S_VERIZON),
	SIGNAL("from", ".vzwpix.com", 's', S_VERIZON),
	/* Trend Micro InterScan Messaging Security */
	SIGNAL("from", "\"interscan ", 's', S_INTERSCAN),
	SIGNAL("from", "(\"interscan ", 's', S_INTERSCAN),
	SIGNAL("subject", "mail could not be delivered", 'e', S_INTERSCAN),
	/* Apache James */
	SIGNAL("subject", "[bounce]", 'e', S_JAMES),
	SIGNAL("message-id", ".javamail.", 's', S_JAMES),
	SIGNAL("received", "james smtp server", 's', S_JAMES),
	/* au (KDDI) EZweb */
	SIGNAL("from", "postmaster@ezweb.ne.jp", 's', S_EZWEB),
	SIGNAL("from", "postmaster@au.com", 's', S_EZWEB),
	SIGNAL("received", "ezweb.ne.jp (ezweb mail) with", 's', S_EZWEB),
	SIGNAL("x-spasign", "ng", 'e', NF_MTA_SIG_EZWEB_NG),
	/* the fml mailing list manager writes its notices as "LIST-admin" */
	SIGNAL("x-mlserver", "fml ", 'p', S_FML),
	SIGNAL("from", "-admin@", 's', S_LIST_ADMIN),
	/* Courier MTA (its courierdsn templates) */
	SIGNAL("from", "courier mail server at ", 's', S_COURIER),
	SIGNAL("subject", "notice: mail delivery status.", 'p', S_COURIER),
	SIGNAL("subject", "warning: delayed mail.", 'p', S_COURIER),
	SIGNAL("message-id", "<courier.", 'p', S_COURIER),
	/* Hotmail (Outlook.com before Office 365): two of four signals */
	SIGNAL("subject", "delivery status notification", 's', S_HOTMAIL_SUBJ),
	SIGNAL("x-message-delivery", "", 'h', S_HOTMAIL_XMD),
	SIGNAL("x-message-info", "", 'h', S_HOTMAIL_XMI),
	SIGNAL("received", ".hotmail.com", 's', S_HOTMAIL_RCVD),
	/* Symantec MessageLabs */
	SIGNAL("x-msg-ref", "", 'h', S_MLABS_REF),
	SIGNAL("from", "mailer-daemon@messagelabs.com", 's', S_MLABS_FROM),
};

void
nf_mta_header(unsigned *sig, const char *name, const char *v, size_t len)
{
	char lc[512];
	size_t i, n = 0, k, nlen = strlen(name);
	int have = 0;

	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (signals[i].nlen != nlen || (*sig & signals[i].sig) ||
		    strcasecmp(name, signals[i].name) != 0)
			continue;
		if (!have) {
			while (len > 0 && isspace((unsigned char)*v)) {
				v++;
				len--;
			}
			n = lc_copy(lc, sizeof(lc), v, len);
			while (n > 0 && isspace((unsigned char)lc[n - 1]))
				lc[--n] = '\0';
			have = 1;
		}
		k = strlen(signals[i].needle);
		switch (signals[i].how) {
		case 'h':
			*sig |= signals[i].sig;
			break;
		case 'p':
			if (n >= k && memcmp(lc, signals[i].needle, k) == 0)
				*sig |= signals[i].sig;
			break;
		case 'e':
			if (n == k && memcmp(lc, signals[i].needle, k) == 0)
				*sig |= signals[i].sig;
			break;
		default:
			if (strstr(lc, signals[i].needle))
				*sig |= signals[i].sig;
			break;
		}
	}
}

int
nf_mta_family(unsigned sig)
{
	if ((sig & (S_MCAFEE_HDR | S_MCAFEE_SUBJ)) == (S_MCAFEE_HDR | S_MCAFEE_SUBJ))
		return NF_MTA_MCAFEE;
	if (sig & S_EZWEB)
		return NF_MTA_EZWEB;
	if ((sig & (S_FML | S_LIST_ADMIN)) == (S_FML | S_LIST_ADMIN))
		return NF_MTA_FML;
	if (sig & S_VERIZON)
		return NF_MTA_VERIZON;
	if ((sig & (S_MLABS_REF | S_MLABS_FROM)) == (S_MLABS_REF | S_MLABS_FROM))
		return NF_MTA_MESSAGELABS;
	if (sig & S_EXCH)
		return NF_MTA_EXCHANGE_IMS;
	if (sig & S_COURIER)
		return NF_MTA_COURIER;
	if (!!(sig & S_HOTMAIL_SUBJ) + !!(sig & S_HOTMAIL_XMD) + !!(sig & S_HOTMAIL_XMI) +
	    !!(sig & S_HOTMAIL_RCVD) >= 2)
		return NF_MTA_HOTMAIL;
	if (sig & S_DOMINO)
		return NF_MTA_DOMINO;
	if (sig & S_IMAIL)
		return NF_MTA_IMAIL;
	if (sig & S_INTERSCAN)
		return NF_MTA_INTERSCAN;
	if (sig & S_JAMES)
		return NF_MTA_JAMES;
	if (sig & S_NOTES)
		return NF_MTA_NOTES;
	return NF_MTA_NONE;
}

const char *
nf_mta_name(int family)
{
	static const char *const names[NF_MTA_COUNT] = {
		"", "McAfee", "IMailServer", "Notes", "Domino", "Exchange-IMS", "Verizon",
		"InterScan", "ApacheJames", "EZweb", "fml", "Courier", "Hotmail",
		"MessageLabs",
	};

	return family > 0 && family < NF_MTA_COUNT ? names[family] : "";
}

/* needle may hold one '*': a gap of up to 160 bytes on one report line */
static int
has(const char *lc, const char *needle)
{
	const char *star = strchr(needle, '*'), *p;
	size_t pre;

	if (star == NULL)
		return strstr(lc, needle) != NULL;
	pre = (size_t)(star - needle);
	for (p = lc; *p; p++) {
		const char *q, *lim;
		size_t suf = strlen(star + 1);

		if (strncmp(p, needle, pre) != 0)
			continue;
		for (q = p + pre, lim = q + 160; *q && q < lim && *q != '\n'; q++)
			if (strncmp(q, star + 1, suf) == 0)
				return 1;
	}
	return 0;
}

struct hint {
	unsigned char family;
	unsigned char reason;
	const char *s;
};

#define H(f, s, r) { NF_MTA_##f, NF_REASON_##r, s }

/* The templates' fixed wording, by author; first match wins. */
static const struct hint hints[] = {
	/* McAfee's gateway reports the recipient's refusal in its own words */
	H(MCAFEE, "user (* unknown.", USERUNKNOWN),
	H(MCAFEE, "550 unknown user ", USERUNKNOWN),
	H(MCAFEE, "user not exist", USERUNKNOWN),
	H(MCAFEE, "no such user", USERUNKNOWN),
	/* IMail's delivery report lines */
	H(IMAIL, "unknown host", HOSTUNKNOWN),
	H(IMAIL, "unknown user", USERUNKNOWN),
	H(IMAIL, "invalid final delivery userid", USERUNKNOWN),
	H(IMAIL, "user mailbox exceeds allowed size", MAILBOXFULL),
	H(IMAIL, "requested action not taken: virus detected", VIRUSDETECTED),
	H(IMAIL, "delivery failed * attempts", EXPIRED),
	H(IMAIL, "undeliverable to", UNDEFINED),
	/* Notes: "Failure Reasons" in English or Japanese */
	H(NOTES, "not listed in public name & address book", USERUNKNOWN),
	H(NOTES, "\xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa"
	    "\xe3\x81\xae\xe3\x83\xaa\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xab\xe3\x81\x82"
	    "\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93", USERUNKNOWN),
	H(NOTES, "message has exceeded maximum hop count", NETWORKERROR),
	/* Domino, in its English, French and Japanese templates */
	H(DOMINO, "not listed in domino directory", USERUNKNOWN),
	H(DOMINO, "not listed in public name & address book", USERUNKNOWN),
	H(DOMINO, "non r\xc3\xa9pertori\xc3\xa9 dans l'annuaire domino", USERUNKNOWN),
	H(DOMINO, "domino \xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa"
	    "\xe3\x81\xab\xe3\x81\xaf\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a"
	    "\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93", USERUNKNOWN),
	H(DOMINO, "cannot route mail to user", FILTERED),
	H(DOMINO, "several matches found in domino directory", SYSTEMERROR),
	/* Exchange IMS: "MSEXCH:IMS:org:site:server 0 (000C05A6) Unknown
	 * Recipient", the hexadecimal code is the verdict */
	H(EXCHANGE_IMS, "(000c05a6)", USERUNKNOWN),
	H(EXCHANGE_IMS, "(000c0595)", FILTERED),
	H(EXCHANGE_IMS, "(00010256)", SYSTEMERROR),
	H(EXCHANGE_IMS, "(000d06b5)", SYSTEMERROR),
	H(EXCHANGE_IMS, "(00120270)", NETWORKERROR),
	H(EXCHANGE_IMS, "(00050311)", CONTENTERROR),
	H(EXCHANGE_IMS, "(000502cc)", CONTENTERROR),
	H(EXCHANGE_IMS, "(000b0981)", SECURITYERROR),
	H(EXCHANGE_IMS, "(000b099c)", ONHOLD),
	H(EXCHANGE_IMS, "(000b09aa)", ONHOLD),
	H(EXCHANGE_IMS, "(000b09b6)", ONHOLD),
	/* Verizon's SMS and MMS gateways answer for the handset number */
	H(VERIZON, "no such user here", USERUNKNOWN),
	H(VERIZON, "no valid recipients for this mm", USERUNKNOWN),
	H(VERIZON, "message could not be delivered to mobile", USERUNKNOWN),
	/* InterScan writes this for an address its next hop refused */
	H(INTERSCAN, "unable to deliver message to", USERUNKNOWN),
	/* au EZweb */
	H(EZWEB, "the user(s) account is temporarily over quota", MAILBOXFULL),
	H(EZWEB, "the user(s) account is disabled", SUSPEND),
	H(EZWEB, "the user(s) account is temporarily limited", SUSPEND),
	H(EZWEB, "your message was not delivered within ", EXPIRED),
	H(EZWEB, "each of the following recipients was rejected by a remote mail server", ONHOLD),
	/* fml refuses a post to the list (the body, else the subject) */
	H(FML, "not member article from", REJECTED),
	H(FML, "you are not a member of this mailing list", REJECTED),
	H(FML, "reject mail from", REJECTED),
	H(FML, "since * header may cause mail loop", REJECTED),
	H(FML, "reject spammers:", REJECTED),
	H(FML, "spam mail from a spammer is rejected", REJECTED),
	H(FML, "duplicated message-id", SYSTEMERROR),
	H(FML, "has detected a loop condition so that", SYSTEMERROR),
	H(FML, "loop back warning:", SYSTEMERROR),
	H(FML, "loop alert:", SYSTEMERROR),
	H(FML, "unix from loop", SYSTEMERROR),
	H(FML, "fml system error message", SYSTEMERROR),
	H(FML, "security alert", SECURITYERROR),
	H(FML, "are not member", REJECTED),
	/* Courier's own esmtp client failures */
	H(COURIER, "no such domain.", HOSTUNKNOWN),
	H(COURIER, "this domain's dns violates rfc 1035.", SYSTEMERROR),
	H(COURIER, "dns lookup failed.", NETWORKERROR),
	/* Hotmail */
	H(HOTMAIL, "because the domain is not reachable", HOSTUNKNOWN),
	H(HOTMAIL, "requested action not taken: mailbox unavailable", USERUNKNOWN),
	/* MessageLabs reports the next hop's refusal of the address */
	H(MESSAGELABS, "please turn on smtp authentication in your mail client", SECURITYERROR),
	H(MESSAGELABS, "no such user", USERUNKNOWN),
	H(MESSAGELABS, "542 * rejected", USERUNKNOWN),
};

int
nf_mta_hint(int family, const char *lc)
{
	size_t i;

	if (family == NF_MTA_NONE || lc == NULL)
		return NF_REASON_NONE;
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (hints[i].family == family && has(lc, hints[i].s))
			return hints[i].reason;
	return NF_REASON_NONE;
}

/*
 * Providers.
 */

/* host (or domain) is `suffix` or ends in "." suffix */
static int
host_is(const char *host, const char *suffix)
{
	size_t h = strlen(host), s = strlen(suffix);

	if (h < s || strcasecmp(host + h - s, suffix) != 0)
		return 0;
	return h == s || host[h - s - 1] == '.';
}

static int
reason_of(const char *name)
{
	return name ? nf_reason_from_name(name) : NF_REASON_UNDEFINED;
}

/*
 * Orange and La Poste (France): every refusal ends in a code "OFR_416",
 * "OFR004_405", "LPN007_416", "LPNAAA_101", "OUK_..."; the last three
 * digits name the case in their published list.  Codes the list leaves
 * without a cause ("service refused, please try later") are undefined.
 */
static const struct {
	unsigned short code;
	const char *reason;
} orange_codes[] = {
	{ 101, "blocked" }, { 102, "blocked" }, { 103, "blocked" }, { 104, "toomanyconn" },
	{ 105, NULL }, { 107, NULL }, { 108, NULL }, { 109, NULL }, { 201, NULL },
	{ 305, "securityerror" }, { 401, "blocked" }, { 402, "securityerror" },
	{ 403, "rejected" }, { 405, "rejected" }, { 415, "rejected" },
	{ 416, "userunknown" }, { 417, "mailboxfull" }, { 418, "userunknown" },
	{ 420, "suspend" }, { 421, "rejected" }, { 423, NULL }, { 424, NULL },
	{ 426, "suspend" }, { 505, "systemerror" }, { 506, "spamdetected" },
	{ 510, "blocked" }, { 513, NULL }, { 514, "mesgtoobig" },
	{ 517, "policyviolation" }, { 630, "policyviolation" }, { 999, "blocked" },
};

static int
orange(const char *lc)
{
	static const char *const pfx[] = { "lpnaaa", "lpn", "ofr", "ouk" };
	const char *p;
	size_t i, k;

	for (p = lc; *p; p++) {
		if (p > lc && isalnum((unsigned char)p[-1]))
			continue;
		for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
			const char *q;
			int code;

			k = strlen(pfx[i]);
			if (strncmp(p, pfx[i], k) != 0)
				continue;
			q = p + k;
			/* "_416" or "007_416" / "007-416" */
			if (q[0] == '_' && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
			    isdigit((unsigned char)q[3]) && !isalnum((unsigned char)q[4]))
				q += 1;
			else if (isdigit((unsigned char)q[0]) && isdigit((unsigned char)q[1]) &&
			    isdigit((unsigned char)q[2]) && (q[3] == '_' || q[3] == '-') &&
			    isdigit((unsigned char)q[4]) && isdigit((unsigned char)q[5]) &&
			    isdigit((unsigned char)q[6]) && !isalnum((unsigned char)q[7]))
				q += 4;
			else
				continue;
			code = (q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0');
			for (k = 0; k < sizeof(orange_codes) / sizeof(orange_codes[0]); k++)
				if (orange_codes[k].code == code)
					return reason_of(orange_codes[k].reason);
			return NF_REASON_UNDEFINED;
		}
	}
	return NF_REASON_NONE;
}

/* Cox: "AUP#CXBL" and friends, else a few fixed answers */
static int
cox(const char *lc)
{
	static const struct {
		const char *code;
		int reason;
	} codes[] = {
		{ "cxbl", NF_REASON_BLOCKED }, { "cxthrt", NF_REASON_SECURITYERROR },
		{ "cxmj", NF_REASON_SECURITYERROR }, { "cxdns", NF_REASON_BLOCKED },
		{ "cxsndr", NF_REASON_REJECTED }, { "cxsmtp", NF_REASON_REJECTED },
		{ "cxcnct", NF_REASON_TOOMANYCONN }, { "cxmxrt", NF_REASON_TOOMANYCONN },
		{ "cdrbl", NF_REASON_BLOCKED }, { "ipbl", NF_REASON_BLOCKED },
		{ "urlbl", NF_REASON_SPAMDETECTED },
	};
	static const struct {
		const char *s;
		int reason;
	} words[] = {
		{ "rejected - no rdns", NF_REASON_BLOCKED },
		{ "too many bad commands from", NF_REASON_BLOCKED },
		{ "dns check failure - try again later", NF_REASON_BLOCKED },
		{ "too many invalid recipients", NF_REASON_BLOCKED },
		{ "esmtp server temporarily not available", NF_REASON_NOTACCEPT },
		{ "esmtp no data before greeting", NF_REASON_POLICYVIOLATION },
		{ "attachment extension is forbidden", NF_REASON_POLICYVIOLATION },
		{ "too many sessions from", NF_REASON_TOOMANYCONN },
		{ "requested action aborted: try again later", NF_REASON_TOOMANYCONN },
		{ "message threshold exceeded", NF_REASON_TOOMANYCONN },
		{ "sender rejected", NF_REASON_REJECTED },
		{ "recipient rejected", NF_REASON_USERUNKNOWN },
	};
	const char *p = strstr(lc, "aup#");
	size_t i;

	if (p != NULL)
		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (strncmp(p + 4, codes[i].code, strlen(codes[i].code)) == 0)
				return codes[i].reason;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(lc, words[i].s))
			return words[i].reason;
	return NF_REASON_NONE;
}

/* Spectrum (Charter): "AUP#I1000" incoming, "AUP#O1000" outgoing; the
 * four digits by their published ranges */
static int
spectrum(const char *lc)
{
	static const struct {
		unsigned short lo, hi;
		int reason;
	} ranges[] = {
		{ 1000, 1000, NF_REASON_BLOCKED }, { 1010, 1010, NF_REASON_REJECTED },
		{ 1020, 1080, NF_REASON_REJECTED }, { 1090, 1090, NF_REASON_SYSTEMERROR },
		{ 1100, 1150, NF_REASON_BLOCKED }, { 1160, 1190, NF_REASON_POLICYVIOLATION },
		{ 1200, 1250, NF_REASON_BLOCKED }, { 1260, 1260, NF_REASON_NETWORKERROR },
		{ 1300, 1490, NF_REASON_TOOMANYCONN }, { 1500, 1520, NF_REASON_REJECTED },
		{ 1530, 1530, NF_REASON_MESGTOOBIG }, { 1540, 1550, NF_REASON_TOOMANYCONN },
		{ 1560, 1560, NF_REASON_POLICYVIOLATION },
	};
	const char *p = strstr(lc, "aup#");
	long code;
	size_t i;

	if (p == NULL)
		return NF_REASON_NONE;
	for (p += 4; isalpha((unsigned char)*p) || *p == '-'; p++)
		;
	if (!isdigit((unsigned char)*p))
		return NF_REASON_NONE;
	code = strtol(p, NULL, 10);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (code >= ranges[i].lo && code <= ranges[i].hi)
			return ranges[i].reason;
	return NF_REASON_NONE;
}

/* GoDaddy (secureserver.net): "IB607" and its other published codes */
static int
godaddy(const char *lc)
{
	static const struct {
		unsigned short code;
		int reason;
	} codes[] = {
		{ 7, NF_REASON_TOOMANYCONN }, { 101, NF_REASON_EXPIRED },
		{ 103, NF_REASON_BLOCKED }, { 104, NF_REASON_BLOCKED }, { 105, NF_REASON_BLOCKED },
		{ 106, NF_REASON_BLOCKED }, { 108, NF_REASON_BLOCKED }, { 110, NF_REASON_BLOCKED },
		{ 111, NF_REASON_BLOCKED }, { 112, NF_REASON_BLOCKED }, { 113, NF_REASON_BLOCKED },
		{ 212, NF_REASON_SPAMDETECTED }, { 401, NF_REASON_SECURITYERROR },
		{ 501, NF_REASON_REJECTED }, { 502, NF_REASON_REJECTED },
		{ 504, NF_REASON_TOOMANYCONN }, { 506, NF_REASON_REJECTED },
		{ 508, NF_REASON_REJECTED }, { 510, NF_REASON_TOOMANYCONN },
		{ 607, NF_REASON_TOOMANYCONN }, { 705, NF_REASON_VIRUSDETECTED },
	};
	static const struct {
		const char *s;
		int reason;
	} words[] = {
		{ "www.spamhaus.org/query/bl?ip=", NF_REASON_BLOCKED },
		{ "554 rbl reject.", NF_REASON_BLOCKED },
		{ "delivery timeout", NF_REASON_EXPIRED },
		{ "account disabled", NF_REASON_SUSPEND },
		{ "account storage limit", NF_REASON_MAILBOXFULL },
		{ "account does not exist", NF_REASON_USERUNKNOWN },
		{ "550 recipient not found.", NF_REASON_USERUNKNOWN },
	};
	const char *p;
	size_t i;

	for (p = lc; (p = strstr(p, "ib")) != NULL; p += 2) {
		int code;

		if ((p > lc && !isspace((unsigned char)p[-1])) || !isdigit((unsigned char)p[2]) ||
		    !isdigit((unsigned char)p[3]) || !isdigit((unsigned char)p[4]) ||
		    isalnum((unsigned char)p[5]))
			continue;
		code = (p[2] - '0') * 100 + (p[3] - '0') * 10 + (p[4] - '0');
		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (codes[i].code == code)
				return codes[i].reason;
		return NF_REASON_NONE;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(lc, words[i].s))
			return words[i].reason;
	return NF_REASON_NONE;
}

/* Mimecast: its published answers, each with the reply code it uses */
static int
mimecast(const char *lc, const char *reply)
{
	static const struct {
		unsigned short code;
		unsigned char reason;
		const char *s;
	} t[] = {
		{ 421, NF_REASON_BLOCKED, "sender address blocked" },
		{ 451, NF_REASON_BLOCKED, "ip temporarily blacklisted" },
		{ 550, NF_REASON_BLOCKED, "local ct ip reputation" },
		{ 550, NF_REASON_BLOCKED, "sender invalid - envelope rejected" },
		{ 554, NF_REASON_MESGTOOBIG, "maximum email size exceeded" },
		{ 554, NF_REASON_NETWORKERROR, "mail loop detected" },
		{ 451, NF_REASON_NORELAYING, "open relay not allowed" },
		{ 451, NF_REASON_NOTACCEPT, "account inbounds disabled" },
		{ 550, NF_REASON_POLICYVIOLATION, "anti-spoofing policy" },
		{ 550, NF_REASON_POLICYVIOLATION, "content examination policy" },
		{ 554, NF_REASON_POLICYVIOLATION, "host network not allowed" },
		{ 550, NF_REASON_REJECTED, "envelope blocked" },
		{ 550, NF_REASON_REJECTED, "blocked senders" },
		{ 550, NF_REASON_REJECTED, "block policy for envelope from" },
		{ 535, NF_REASON_SECURITYERROR, "incorrect authentication data" },
		{ 553, NF_REASON_SECURITYERROR, "this route requires" },
		{ 554, NF_REASON_SECURITYERROR, "configuration is invalid for this certificate" },
		{ 451, NF_REASON_SYSTEMERROR, "unable to process" },
		{ 451, NF_REASON_SYSTEMERROR, "message ended early" },
		{ 451, NF_REASON_TOOMANYCONN, "account service is temporarily unavailable" },
		{ 452, NF_REASON_TOOMANYCONN, "too many recipients" },
		{ 550, NF_REASON_TOOMANYCONN, "exceeding outbound thread limit" },
		{ 501, NF_REASON_USERUNKNOWN, "invalid address" },
		{ 503, NF_REASON_USERUNKNOWN, "user unknown" },
		{ 550, NF_REASON_USERUNKNOWN, "invalid recipient" },
		{ 554, NF_REASON_VIRUSDETECTED, "email rejected due to security policies" },
	};
	long code = strtol(reply, NULL, 10);
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code && strstr(lc, t[i].s))
			return t[i].reason;
	return NF_REASON_NONE;
}

/* Tencent QQ: fixed English answers */
static int
tencent(const char *lc)
{
	static const struct {
		const char *s;
		int reason;
	} t[] = {
		{ "dmarc check failed", NF_REASON_BLOCKED },
		{ "spf check failed", NF_REASON_BLOCKED },
		{ "suspected spam ip", NF_REASON_BLOCKED },
		{ "mail is rejected by recipients", NF_REASON_FILTERED },
		{ "message too large", NF_REASON_MESGTOOBIG },
		{ "mail content denied", NF_REASON_SPAMDETECTED },
		{ "spam is embedded in the email", NF_REASON_SPAMDETECTED },
		{ "suspected spam", NF_REASON_SPAMDETECTED },
		{ "bad address syntax", NF_REASON_SYNTAXERROR },
		{ "connection denied", NF_REASON_TOOMANYCONN },
		{ "frequency limited", NF_REASON_TOOMANYCONN },
		{ "mailbox unavailable or access denied", NF_REASON_TOOMANYCONN },
		{ "mailbox not found", NF_REASON_USERUNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strstr(lc, t[i].s))
			return t[i].reason;
	return NF_REASON_NONE;
}

/* NTT DOCOMO answers "550 Unknown user" to every refusal; after DATA it
 * is the recipient's own sender filter (a domain or address ban), which
 * refuses the sender, not the address */
static int
docomo(const char *lc, const char *status, int cmd)
{
	if (strcmp(status, "5.1.1") == 0)
		return NF_REASON_USERUNKNOWN;
	if (strcmp(status, "5.2.0") == 0)
		return NF_REASON_FILTERED;
	if (strstr(lc, "552 too much mail data"))
		return NF_REASON_MAILBOXFULL;
	if (strstr(lc, "552 too many recipients"))
		return NF_REASON_TOOMANYCONN;
	if (strstr(lc, "503 bad sequence of commands") ||
	    strstr(lc, "504 command parameter not implemented"))
		return NF_REASON_SYNTAXERROR;
	if (cmd == NF_CMD_RCPT)
		return NF_REASON_USERUNKNOWN;
	if (cmd == NF_CMD_DATA || strstr(lc, "unknown user"))
		return NF_REASON_REJECTED;
	return NF_REASON_NONE;
}

/* au (KDDI): "550 <addr>: User unknown" is an unknown address; the same
 * words without the address ("550 : User unknown") its spam filter */
static int
kddi(const char *lc)
{
	if (strstr(lc, ">: user unknown"))
		return NF_REASON_USERUNKNOWN;
	if (strstr(lc, "550 : user unknown"))
		return NF_REASON_FILTERED;
	return NF_REASON_NONE;
}

int
nf_rhost_reason(const char *host, const char *domain, const char *diag,
    const char *status, const char *reply, int cmd)
{
	char lc[LC_MAX];

	host = host ? host : "";
	domain = domain ? domain : "";
	status = status ? status : "";
	reply = reply ? reply : "";
	lc_copy(lc, sizeof(lc), diag ? diag : "", LC_MAX);
	if (host_is(host, "laposte.net") || host_is(host, "orange.fr") ||
	    host_is(host, "wanadoo.fr") || host_is(domain, "laposte.net") ||
	    host_is(domain, "orange.fr") || host_is(domain, "wanadoo.fr"))
		return orange(lc);
	if (host_is(host, "cox.net") || host_is(domain, "cox.net"))
		return cox(lc);
	if (host_is(host, "charter.net") || host_is(domain, "charter.net") ||
	    host_is(domain, "spectrum.net"))
		return spectrum(lc);
	if (host_is(host, "secureserver.net"))
		return godaddy(lc);
	if (host_is(host, "mimecast.com"))
		return mimecast(lc, reply);
	if (host_is(host, "qq.com") || host_is(domain, "qq.com"))
		return tencent(lc);
	if (host_is(host, "mfsmax.docomo.ne.jp"))
		return docomo(lc, status, cmd);
	if (host_is(host, "ezweb.ne.jp") || host_is(host, "au.com") ||
	    host_is(domain, "ezweb.ne.jp") || host_is(domain, "au.com"))
		return kddi(lc);
	return NF_REASON_NONE;
}
