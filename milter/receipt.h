/*
 * receipt.h - the daemon's receiver of provider delivery receipts (issue
 * 5): Kannel DLR callbacks, Twilio status callbacks, Vonage delivery
 * receipts and webhook-provider receipts reach one small HTTP listener
 * (config key ReceiptListen), which records each as an event on the
 * outbox row it names (lib/store_receipt.c).
 *
 * Ownership: main.c starts it after the store pool exists and stops it
 * before the pool is freed; the listener borrows pool handles per receipt.
 */
#ifndef NF_RECEIPT_H
#define NF_RECEIPT_H

#include <stddef.h>

#include "conf.h"
#include "store.h"

struct nf_receipt;

/*
 * Start listening on conf->receipt_listen ("inet:PORT@ADDR" or
 * "inet6:PORT@ADDR"; NULL or "" means: no listener, *out = NULL, return 0).
 * 0 on success; -1 with one line in err naming the key and what to fix.
 * The listener keeps its own copy of what it needs from conf (reload does
 * not move it; a changed ReceiptListen needs a restart).
 */
int nf_receipt_start(const struct nf_conf *conf, struct nf_store_pool *pool,
    struct nf_receipt **out, char *err, size_t errlen);
/* Stop accepting, finish or drop requests in progress within ~1 s, free. */
void nf_receipt_stop(struct nf_receipt *r);

#endif
