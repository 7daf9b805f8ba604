/*
 * report_mta.h - what a report's author and the refusing provider tell.
 *
 * Two kinds of knowledge that no standard carries, kept apart from the
 * generic phrase table (classify_tab.c):
 *   - the MTA or gateway that wrote a bounce (McAfee, IMail, Notes,
 *     Domino, Exchange 5.5/2003, Verizon, InterScan, James, au EZweb, the
 *     fml list manager, Courier, Hotmail, MessageLabs)
 *     is known by a header it sets; its templates name the reason in
 *     words that mean one thing there (IMail's "Invalid final delivery
 *     userid", Exchange's "(000C05A6)");
 *   - a mailbox provider that refused the message (Orange/La Poste, Cox,
 *     Spectrum, GoDaddy, Mimecast, Tencent QQ, NTT DOCOMO, au KDDI) is
 *     known by its host or the recipient's domain, and documents its own
 *     error codes ("OFR_416", "AUP#CXBL", "IB607").
 * Pure functions over their arguments; the tables are constant.
 */
#ifndef NF_REPORT_MTA_H
#define NF_REPORT_MTA_H

#include <stddef.h>

enum nf_mta {
	NF_MTA_NONE = 0, NF_MTA_MCAFEE, NF_MTA_IMAIL, NF_MTA_NOTES, NF_MTA_DOMINO,
	NF_MTA_EXCHANGE_IMS, NF_MTA_VERIZON, NF_MTA_INTERSCAN, NF_MTA_JAMES,
	NF_MTA_EZWEB, NF_MTA_FML, NF_MTA_COURIER, NF_MTA_HOTMAIL,
	NF_MTA_MESSAGELABS, NF_MTA_COUNT
};

/* Header signals of the report's own (top-level) header, as bits; fold
 * every header in with nf_mta_header(), then ask nf_mta_family(). */
#define NF_MTA_SIG_EZWEB_NG 0x80000000u	/* au's X-SPASIGN: NG (spam filter) */
void nf_mta_header(unsigned *sig, const char *name, const char *v, size_t len);
int nf_mta_family(unsigned sig);
const char *nf_mta_name(int family);

/* The reason (enum nf_reason) the family's template names in the
 * lower-case text, or NF_REASON_NONE. */
int nf_mta_hint(int family, const char *lc);

/* The reason a provider's documented error code or fixed wording names,
 * or NF_REASON_NONE.  host: the remote MTA ("" when unknown); domain: the
 * recipient's domain; diag: the server's answer (any case); status and
 * reply as found ("" when none); cmd: enum nf_smtp_cmd. */
int nf_rhost_reason(const char *host, const char *domain, const char *diag,
    const char *status, const char *reply, int cmd);

#endif
