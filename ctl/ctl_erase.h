/*
 * ctl_erase.h - notifilterctl's erasure key (ctl/ctl.c), shared by the
 * commands that erase contacts or show erased ones (contact remove,
 * suppress, trace).  Kept apart from ctl.h, which other areas edit; it
 * may move there.
 */
#ifndef NF_CTL_ERASE_H
#define NF_CTL_ERASE_H

#include "ctl.h"

/*
 * Load SecretFile (once) and set the store's process-wide erasure key
 * (nf_store_erase_key_set); the key bytes are wiped right after.  No
 * SecretFile configured: NF_EX_OK with *have 0 (a command that must keep a
 * hash refuses then).  A SecretFile that cannot be used (missing, open to
 * others, too short): prints why and what to do, returns NF_EX_CONFIG.
 */
int nf_ctl_erase_key(struct nf_ctl *ctl, int *have);

/* "erased:" and the first NF_STORE_ERASED_SHOW hex digits of a hash, the
 * only name of an erased address that notifilterctl shows. */
#define NF_CTL_ERASED_PREFIX "erased:"
#define NF_CTL_ERASED_NAME_MAX (sizeof NF_CTL_ERASED_PREFIX + \
	NF_STORE_ERASED_SHOW)
const char *nf_ctl_erased_name(const char *hash, char *out, size_t len);

#endif
