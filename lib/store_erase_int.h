/*
 * store_erase_int.h - internals shared by the erasure files of the SQLite
 * backend only (store_erase.c: erasing one contact across the tables;
 * store_erase_key.c: the erasure key and the keyed hash;
 * store_erase_table.c: the erased rows after an erasure).  Nothing outside
 * lib/store_erase*.c includes this header.
 */
#ifndef NF_STORE_ERASE_INT_H
#define NF_STORE_ERASE_INT_H

#include <stdint.h>

#include "store_sqlite.h"

/* A fresh statement for the constant SQL text of an erasure file,
 * finalized by the caller (nf_er_run); NULL on error, with s->err saying
 * why (store_erase.c). */
sqlite3_stmt *nf_er_prep(struct nf_store *s, const char *sql);

/* Run a prepared statement with bound parameters to its end; adds the
 * rows it changed to *rows (if not NULL); finalizes it.  st NULL (a
 * failed nf_er_prep) is NF_STORE_ERR (store_erase.c). */
int nf_er_run(struct nf_store *s, sqlite3_stmt *st, int64_t *rows,
    const char *what);

/* Record, once, which key wrote the first erased rows, for
 * nf_store_erase_key_check; inside the caller's transaction
 * (store_erase_key.c).  NF_STORE_* result. */
int nf_er_key_note(struct nf_store *s);

#endif
