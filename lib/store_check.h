/*
 * store_check.h - read-only health of a store file for `notifilterctl
 * doctor` (lib/store_check.c): whether it is ours, its schema version and
 * SQLite's integrity check, without creating, migrating or writing
 * anything.  SQL stays in lib/store_*.c, so this sits beside store.h.
 */
#ifndef NF_STORE_CHECK_H
#define NF_STORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct nf_store_health {
	int exists;		/* the file is there */
	int empty;		/* 0 bytes, or SQLite with no schema yet */
	int ours;		/* notifilter's application_id */
	int version;		/* PRAGMA user_version */
	int quick;		/* quick_check ran instead of integrity_check */
	int intact;		/* the check said "ok" */
	char problems[512];	/* otherwise its first lines, "; "-joined */
	int64_t bytes;
};

/*
 * Look at the store file `path`.  NF_STORE_OK with *h filled (a missing
 * file too: h->exists = 0; an empty one: h->empty = 1, no check run);
 * NF_STORE_SCHEMA when it is not SQLite or another program's SQLite file;
 * NF_STORE_BUSY or NF_STORE_ERR when it could not be read; err[] then
 * names the path, what happened and what to do.  Files larger than
 * quick_above bytes get PRAGMA quick_check (linear time), others
 * PRAGMA integrity_check.  Reads only; -wal/-shm files this creates (a
 * WAL database opened while no daemon runs) are given to the database
 * file's owner, so a root-run check never locks the daemon's user out.
 */
int nf_store_health(const char *path, int busy_ms, int64_t quick_above,
    struct nf_store_health *h, char *err, size_t errlen);

#endif
