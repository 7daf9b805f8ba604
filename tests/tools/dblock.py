#!/usr/bin/env python3
"""dblock.py - make a WAL-mode SQLite store unable to answer, from outside.

Why this way: notifilter keeps its SQLite connections open, and in WAL mode
an ordinary writer lock (BEGIN EXCLUSIVE) never blocks readers, while
"PRAGMA locking_mode=EXCLUSIVE" cannot be taken at all while another process
has the file open.  What SQLite does honour for every connection, old or
new, is WAL recovery: when the two copies of the wal-index header in
DB-shm differ, a reader must rebuild the index, which needs the WAL write
and recovery locks.  This tool takes those two POSIX locks (bytes 120 and
122 of DB-shm: WAL_WRITE_LOCK and WAL_RECOVER_LOCK in SQLite's os_unix.c),
then makes the second header copy differ.  Every read and write of the store
then waits for its busy timeout and fails with SQLITE_BUSY ("database is
locked").  On release the original bytes are put back before the locks go,
so nothing has to be recovered and nothing is lost.

usage: dblock.py DB [MAX_SECONDS]
Prints "locked" once the store is unavailable, then holds it until
SIGTERM/SIGINT arrives or MAX_SECONDS (default 60) pass;
prints "released" and exits 0.  Exit 1 (with the reason) if DB-shm is
missing (the store is not in WAL mode or nobody has it open) or the write
lock stays taken for 10 s.
"""
import fcntl
import os
import signal
import struct
import sys
import time

SHM_LOCK_BASE = 120          # (22 + SQLITE_SHM_NLOCK) * 4
WAL_WRITE_LOCK = 0
WAL_RECOVER_LOCK = 2
HDR2_ICHANGE = 48 + 8        # second WalIndexHdr copy, field iChange


def main():
    db = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    try:
        fd = os.open(db + '-shm', os.O_RDWR)
    except OSError as e:
        print('dblock.py: cannot open %s-shm: %s (is the store in WAL mode '
              'and open in a running program?)' % (db, e.strerror), file=sys.stderr)
        return 1
    t0 = time.monotonic()
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1,
                        SHM_LOCK_BASE + WAL_WRITE_LOCK, 0)
            break
        except OSError:
            if time.monotonic() - t0 > 10:
                print('dblock.py: the WAL write lock of %s stayed taken for 10 s'
                      % db, file=sys.stderr)
                return 1
            time.sleep(0.01)
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, SHM_LOCK_BASE + WAL_RECOVER_LOCK, 0)
    orig = os.pread(fd, 4, HDR2_ICHANGE)
    (v,) = struct.unpack('<I', orig)
    os.pwrite(fd, struct.pack('<I', v ^ 0xFFFFFFFF), HDR2_ICHANGE)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print('locked', flush=True)
    end = time.monotonic() + limit
    while not stop and time.monotonic() < end:
        time.sleep(0.05)
    os.pwrite(fd, orig, HDR2_ICHANGE)
    os.close(fd)                 # drops both locks
    print('released', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
