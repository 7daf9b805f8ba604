#!/usr/bin/env python3
"""sqlq.py - run one read-only query against a notifilter store, for tests.

usage: sqlq.py [-t SECONDS] DB 'SELECT ...' [PARAM...]
Prints each row with its columns joined by '|' (NULL prints as empty).
The store is opened read-only (URI mode=ro) with a busy timeout (-t, default 2 s), so a
test can never change it.  Exit 0 on success, 1 with SQLite's message if
the query failed (e.g. "database is locked").  Python's sqlite3 module is
used so that the tests need no sqlite3 command-line package.
"""
import sqlite3
import sys
import urllib.parse


def main():
    args = sys.argv[1:]
    timeout = 2.0
    if len(args) > 1 and args[0] == '-t':
        timeout = float(args[1])
        args = args[2:]
    if len(args) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 64
    db, sql, params = args[0], args[1], args[2:]
    try:
        uri = 'file:%s?mode=ro' % urllib.parse.quote(db)
        con = sqlite3.connect(uri, uri=True, timeout=timeout)
        for row in con.execute(sql, params):
            print('|'.join('' if c is None else str(c) for c in row))
        con.close()
    except sqlite3.Error as e:
        print('sqlq.py: %s: %s' % (db, e), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
