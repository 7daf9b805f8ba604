#!/bin/sh
# notifilterctl against databases it must not touch or cannot use: a file
# that is not SQLite, a newer schema, a missing directory, a locked store.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/lib.sh"

# --- not an SQLite file ---------------------------------------------------------
printf 'this is not a database, it is a shopping list\nmilk\neggs\n' > "$DB"
before=$(sha "$DB")
run contact add jane@example.com
is_rc 78 "not-SQLite database: contact add exits 78"
has "$T/err" "$DB" "not-SQLite database: the path is named"
has "$T/err" "not a notifilter database" "not-SQLite database: says what is wrong"
run suppress list
is_rc 78 "not-SQLite database: suppress list exits 78"
run contact import /dev/null
is_rc 78 "not-SQLite database: import exits 78"
is_eq "$(sha "$DB")" "$before" "not-SQLite database: the file is untouched"
rm -f "$DB"

# --- a newer schema -------------------------------------------------------------
run contact add jane@example.com
is_rc 0 "a fresh database is created"
"$PYTHON3" - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
v = c.execute("PRAGMA user_version").fetchone()[0]
c.execute("PRAGMA user_version = %d" % (v + 50))
c.commit()
c.execute("PRAGMA journal_mode = DELETE")
c.close()
PY
before=$(sha "$DB")
run contact show jane@example.com
is_rc 78 "newer schema: exits 78"
has "$T/err" "$DB" "newer schema: the path is named"
has "$T/err" "schema version" "newer schema: says it is a schema version problem"
run contact add john@example.com
is_rc 78 "newer schema: add refused too"
is_eq "$(sha "$DB")" "$before" "newer schema: the file is untouched"
check "[ ! -e '$DB-wal' ] || [ ! -s '$DB-wal' ]" "newer schema: no WAL written"
rm -f "$DB" "$DB-wal" "$DB-shm"

# --- a directory that does not exist ------------------------------------------
printf 'Database %s/no/such/dir/db\n' "$T" > "$T/nodir.conf"
run_nc -c "$T/nodir.conf" suppress list
is_rc 69 "missing directory: 69 (store unavailable)"
has "$T/err" "$T/no/such/dir" "missing directory: named"
check "[ ! -e '$T/no' ]" "missing directory: nothing created"

# --- a locked store: exit 75 ----------------------------------------------------
printf 'Database %s\nDefaultCountry 49\nStoreTimeout 1s\n' "$DB" > "$CONF"
run contact add jane@example.com
is_rc 0 "setup for the busy test"
"$PYTHON3" - "$DB" "$T/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(15)
c.execute("ROLLBACK")
PY
locker=$!
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "[ -e '$T/locked' ]" "busy test: the lock was taken"
run contact add john@example.com
is_rc 75 "locked database: contact add exits 75"
has "$T/err" "busy, try again" "locked database: says try again"
run consent grant jane@example.com email
is_rc 75 "locked database: consent exits 75"
printf 'email\nnew@example.com\n' > "$T/one.csv"
run contact import "$T/one.csv"
is_rc 75 "locked database: import exits 75"
has "$T/err" "busy, try again" "locked database: import says try again"
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null
run contact add john@example.com
is_rc 0 "after the lock is gone the add works"

done_testing
