# lib/store.mk - the store: SQLite backend, handle pool, unit test, benchmark
libnf_a_SOURCES += lib/store_sqlite.c lib/store_sqlite.h lib/store_lookup.c \
	lib/store_open.c lib/store_rows.c lib/store_track.c \
	lib/store_common.c

check_PROGRAMS += tests/unit/t_store
TESTS += tests/unit/t_store
tests_unit_t_store_SOURCES = tests/unit/t_store.c
tests_unit_t_store_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)
tests_unit_t_store_LDADD = $(NF_LIBS)

check_PROGRAMS += tests/unit/t_store_track
TESTS += tests/unit/t_store_track
tests_unit_t_store_track_SOURCES = tests/unit/t_store_track.c
tests_unit_t_store_track_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)
tests_unit_t_store_track_LDADD = $(NF_LIBS)

# policy decisions/s with 1,000,000 contacts; the database is cached in
# bench/out/ (delete it to rebuild)
noinst_PROGRAMS += bench/bench_policy
bench_bench_policy_SOURCES = bench/bench_policy.c
bench_bench_policy_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS)
bench_bench_policy_LDADD = $(NF_LIBS)
bench-policy: bench/bench_policy
	@mkdir -p bench/out
	./bench/bench_policy bench/out/policy-1m.db
BENCH_TARGETS += bench-policy
.PHONY: bench-policy
