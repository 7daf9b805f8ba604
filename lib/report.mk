# lib/report.mk - the report parser (MIME, DSN, ARF, heuristics, classification),
# `notifilterctl parse`, its tests, fuzz targets and benchmark
libnf_a_SOURCES += lib/mime.c lib/mime.h lib/mime_text.c lib/mime_int.h \
	lib/dsn.c lib/dsn.h lib/arf.c lib/arf.h \
	lib/heur.c lib/heur.h lib/classify.c lib/classify.h lib/classify_int.h \
	lib/classify_read.c lib/classify_tab.c \
	lib/report.c lib/report.h lib/report_int.h lib/report_rcpt.c lib/report_kind.c \
	lib/report_mta.c lib/report_mta.h

# a stand-alone `parse` (same code as notifilterctl parse) for tests and bench
noinst_PROGRAMS += tests/unit/parse_driver
tests_unit_parse_driver_SOURCES = tests/unit/parse_driver.c ctl/cmd_parse.c
tests_unit_parse_driver_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ctl $(JANSSON_CFLAGS)
tests_unit_parse_driver_LDADD = $(NF_LIBS)

PARSE_UNIT = tests/unit/t_mime tests/unit/t_dsn tests/unit/t_classify tests/unit/t_report \
	tests/unit/t_corpus
check_PROGRAMS += $(PARSE_UNIT)
TESTS += $(PARSE_UNIT)
tests_unit_t_mime_SOURCES = tests/unit/t_mime.c
tests_unit_t_mime_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_mime_LDADD = $(NF_LIBS)
tests_unit_t_dsn_SOURCES = tests/unit/t_dsn.c
tests_unit_t_dsn_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_dsn_LDADD = $(NF_LIBS)
tests_unit_t_classify_SOURCES = tests/unit/t_classify.c
tests_unit_t_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_classify_LDADD = $(NF_LIBS)
tests_unit_t_report_SOURCES = tests/unit/t_report.c
tests_unit_t_report_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_report_LDADD = $(NF_LIBS)
tests_unit_t_corpus_SOURCES = tests/unit/t_corpus.c
tests_unit_t_corpus_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_corpus_LDADD = $(NF_LIBS)

# libFuzzer targets (configure CC=clang --enable-fuzzing); the parser's
# sources are compiled into each target so that they are instrumented
if FUZZING
PARSE_FUZZ_SRC = lib/buf.c lib/mime.c lib/mime_text.c lib/dsn.c lib/arf.c lib/heur.c \
	lib/classify.c lib/classify_read.c lib/classify_tab.c lib/report.c lib/report_rcpt.c \
	lib/report_kind.c lib/report_mta.c tests/fuzz/fuzz_common.h
NF_PFUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
noinst_PROGRAMS += tests/fuzz/fuzz_mime tests/fuzz/fuzz_dsn tests/fuzz/fuzz_arf
tests_fuzz_fuzz_mime_SOURCES = tests/fuzz/fuzz_mime.c $(PARSE_FUZZ_SRC)
tests_fuzz_fuzz_mime_CFLAGS = $(AM_CFLAGS) $(NF_PFUZZ_FLAGS)
tests_fuzz_fuzz_mime_LDFLAGS = $(AM_LDFLAGS) $(NF_PFUZZ_FLAGS)
tests_fuzz_fuzz_dsn_SOURCES = tests/fuzz/fuzz_dsn.c $(PARSE_FUZZ_SRC)
tests_fuzz_fuzz_dsn_CFLAGS = $(AM_CFLAGS) $(NF_PFUZZ_FLAGS)
tests_fuzz_fuzz_dsn_LDFLAGS = $(AM_LDFLAGS) $(NF_PFUZZ_FLAGS)
tests_fuzz_fuzz_arf_SOURCES = tests/fuzz/fuzz_arf.c $(PARSE_FUZZ_SRC)
tests_fuzz_fuzz_arf_CFLAGS = $(AM_CFLAGS) $(NF_PFUZZ_FLAGS)
tests_fuzz_fuzz_arf_LDFLAGS = $(AM_LDFLAGS) $(NF_PFUZZ_FLAGS)
endif
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/fuzz_common.h

# make bench: parse throughput against Sisimai
BENCH_TARGETS += bench-parse
bench-parse: tests/unit/parse_driver notifilterctl$(EXEEXT)
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    PYTHON3='$(PYTHON3)' $(SHELL) $(top_srcdir)/bench/bench-parse.sh
.PHONY: bench-parse
EXTRA_DIST += bench/bench-parse.sh bench/parse_score.py

# golden output of `parse --json` and the command's own behaviour
PARSE_SH_TESTS = tests/golden/t-parse-golden.sh tests/golden/t-parse-cli.sh
TESTS += $(PARSE_SH_TESTS)
EXTRA_DIST += $(PARSE_SH_TESTS) tests/golden/parse-sample.list tests/golden/parse-sample.jsonl \
	tests/golden/regen.sh
