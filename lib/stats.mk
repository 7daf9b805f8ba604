# lib/stats.mk - figures for report and digest from the store (issue 6)
libnf_a_SOURCES += lib/store_stats.c

# the figures from a filled store, and every statement's query plan
check_PROGRAMS += tests/unit/t_stats
TESTS += tests/unit/t_stats
tests_unit_t_stats_SOURCES = tests/unit/t_stats.c tests/unit/tap.h
tests_unit_t_stats_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)
tests_unit_t_stats_LDADD = $(NF_LIBS)
