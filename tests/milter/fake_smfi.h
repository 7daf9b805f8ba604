/*
 * fake_smfi.h - a link-time stand-in for libmilter's per-connection calls
 * (smfi_getpriv, smfi_setreply, smfi_delrcpt, ...), and a fake of the
 * daemon's store door (milter/storeio.c), so the callbacks can be driven
 * in any order without an MTA and every call they make can be checked.
 */
#ifndef NF_FAKE_SMFI_H
#define NF_FAKE_SMFI_H

#include <libmilter/mfapi.h>
#include <stddef.h>

#include "store.h"

#define FAKE_MAX_MACROS 16
#define FAKE_MAX_CALLS 4096

struct smfi_str {
	void *priv;
	struct { char name[64]; char value[256]; } macro[FAKE_MAX_MACROS];
	int nmacro;
	/* the last smfi_setreply */
	char rcode[8], xcode[16], text[2048];
	int nsetreply;
	/* smfi_delrcpt arguments, in order */
	char *del[FAKE_MAX_CALLS];
	int ndel;
	int delrcpt_fail;	/* make smfi_delrcpt return MI_FAILURE */
	int nsymlist;
	char symlist[8][256];
	int nmodify;		/* header/sender/body edits of any kind */
	/* every edit in order, as libmilter's wire letters: h addheader,
	 * m chgheader, e chgfrom, - delrcpt, + addrcpt, 2 addrcpt_par */
	char ops[FAKE_MAX_CALLS + 1];
	int nops;
	struct fake_hdr { char *name, *value; int idx; } addhdr[64], chghdr[FAKE_MAX_CALLS];
	int naddhdr, nchghdr;	/* chghdr value NULL = deletion */
	char *chgfrom, *chgfrom_args;
	int nchgfrom;
	struct fake_par { char *rcpt, *args; } addpar[FAKE_MAX_CALLS];
	int naddpar;
	int fail_op;		/* the wire letter of an edit to refuse, or 0 */
};

SMFICTX *fake_ctx_new(void);
void fake_ctx_free(SMFICTX *ctx);
/* Set (or replace) a macro the next callbacks will see. */
void fake_macro(SMFICTX *ctx, const char *name, const char *value);
void fake_macros_clear(SMFICTX *ctx);
void fake_macro_del(SMFICTX *ctx, const char *name);
/* Forget recorded calls (replies, removals), keep macros and priv. */
void fake_calls_clear(SMFICTX *ctx);

/* ---- the fake store ---- */
struct fake_addr {
	const char *email;	/* normalised key */
	int suppressed;
	const char *reason;
	enum nf_consent consent;
};
void fake_store_set(const struct fake_addr *tab, size_t n);
/* rc for every lookup (NF_STORE_OK = answer from the table) */
void fake_store_lookup_rc(int rc);
/* the next n event writes fail with NF_STORE_BUSY; -1 = all */
void fake_store_events_fail(int n);
unsigned long fake_store_lookups(void);

struct fake_event {
	long long time;
	char *qid, *token, *addr, *rule, *detail;
};
/* Events written so far (owned by the fake). */
const struct fake_event *fake_store_events(size_t *n);
void fake_store_events_clear(void);

/* Message records written so far (deep copies). */
struct fake_rcpt {
	char *address, *verdict, *rule, *reason;
	int dsn_requested;
};
struct fake_message {
	char *token, *queue_id, *sender, *verp, *header_from, *subject,
	    *message_id, *category, *fallback_text, *phone_hint;
	int phone_hint_valid, applied;
	long long time;
	struct fake_rcpt *rcpt;
	size_t nrcpt;
};
const struct fake_message *fake_store_messages(size_t *n);

#endif
