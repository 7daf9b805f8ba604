# lib/receipt.mk - provider delivery receipts: store side and receiver (issue 5)
#
# lib/store_receipt.c is store SQL (in libnf.a).  The receiver (the
# listener thread, milter/receipt.c, and the providers' receipt formats,
# channels/dlr.c) is its own library, libnfreceipt.a, because it needs the
# channels' credential loader: the daemon links it with
#   notifilter_LDADD = ... $(RECEIPT_LIBS)
# (RECEIPT_LIBS already holds CHAN_LIBS and NF_LIBS).
libnf_a_SOURCES += lib/store_receipt.c

noinst_LIBRARIES += libnfreceipt.a
libnfreceipt_a_SOURCES = milter/receipt.c milter/receipt.h channels/dlr.c channels/dlr.h
libnfreceipt_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
RECEIPT_LIBS = libnfreceipt.a $(CHAN_LIBS)

# unit tests: receipt parsing and signatures, the store side, and the
# listener itself taking real HTTP requests on loopback (curl and raw
# sockets; port RECEIPT_TEST_PORT, default 11051)
check_PROGRAMS += tests/unit/t_receipt
TESTS += tests/unit/t_receipt
tests_unit_t_receipt_SOURCES = tests/unit/t_receipt.c tests/unit/t_receipt_chan.c \
	tests/unit/tap.h
tests_unit_t_receipt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-I$(top_srcdir)/milter $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(SQLITE_CFLAGS) \
	$(CURL_CFLAGS) -DNF_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_t_receipt_LDADD = $(RECEIPT_LIBS)

# end to end: Postfix -> 550 -> DSN -> ingest -> dispatcher -> real Kannel
# (fakesmsc) -> DLR -> receipt listener; ports 11060-11080 (see the script)
TESTS += tests/mta/t-fallback.sh
EXTRA_DIST += tests/mta/t-fallback.sh

# make bench-fallback: ingest of a failing DSN -> the provider's request
# (p50/p99) and dispatch throughput against a loopback stub, with a plain
# client's rate at the same stub as the baseline; LAT_N, LAT_GAP_MS,
# THR_N, CONNS, BENCH_FB_STUB_PORT (11090) from the environment
noinst_PROGRAMS += bench/fallback/fbprep
bench_fallback_fbprep_SOURCES = bench/fallback/fbprep.c
bench_fallback_fbprep_LDADD = $(NF_LIBS)
EXTRA_DIST += bench/bench-fallback.sh bench/fallback/stub.py bench/fallback/drive.py
BENCH_TARGETS += bench-fallback
bench-fallback: bench/fallback/fbprep$(EXEEXT) notifilter$(EXEEXT) notifilterctl$(EXEEXT)
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  PYTHON3='$(PYTHON3)' bash '$(abs_top_srcdir)/bench/bench-fallback.sh'
.PHONY: bench-fallback
