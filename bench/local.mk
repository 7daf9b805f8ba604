# bench/local.mk - Postfix throughput benchmark (make bench runs every
# BENCH_TARGETS entry): throughput with tagging and recording on against
# the do-nothing milter, and peak RSS at 100 concurrent SMTP sessions.
# bench/nullmilter is the do-nothing milter that walks the same protocol
# steps as notifilter: the floor for any milter.
noinst_PROGRAMS += bench/nullmilter
bench_nullmilter_SOURCES = bench/nullmilter.c
bench_nullmilter_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS)
bench_nullmilter_LDADD = $(MILTER_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += bench/bench-postfix.sh
BENCH_TARGETS += bench-postfix

# N, REPEATS, SESSIONS, MODES, RSS_SESSIONS, RSS_N, OUT from the
# environment (see the script)
bench-postfix: bench/nullmilter$(EXEEXT) notifilter$(EXEEXT) notifilterctl$(EXEEXT)
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  PYTHON3='$(PYTHON3)' POSTFIX='$(POSTFIX)' \
	  bash '$(abs_top_srcdir)/bench/bench-postfix.sh'
.PHONY: bench-postfix
