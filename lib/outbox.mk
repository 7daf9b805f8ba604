# lib/outbox.mk - the fallback outbox in the store, fallback policy (issue 5)
#
# lib/store_outbox.c is store SQL (libnf.a).  lib/fallback.c is the pure
# policy; it needs channels/sms_text.c, so it is compiled into the programs
# that use it (the daemon, its unit test) rather than into libnf.a, which
# links after libnfchan.a.
libnf_a_SOURCES += lib/store_outbox.c

check_PROGRAMS += tests/unit/t_fallback tests/unit/t_outbox
TESTS += tests/unit/t_fallback tests/unit/t_outbox

tests_unit_t_fallback_SOURCES = tests/unit/t_fallback.c lib/fallback.c \
	lib/fallback.h tests/unit/tap.h
tests_unit_t_fallback_CPPFLAGS = $(CHAN_TEST_CPPFLAGS)
tests_unit_t_fallback_LDADD = $(CHAN_LIBS)

tests_unit_t_outbox_SOURCES = tests/unit/t_outbox.c lib/fallback.c \
	lib/fallback.h tests/unit/tap.h
tests_unit_t_outbox_CPPFLAGS = $(CHAN_TEST_CPPFLAGS) $(SQLITE_CFLAGS)
tests_unit_t_outbox_LDADD = $(CHAN_LIBS)

# daemon-level tests: the real notifilter with webhook and twilio channels
# pointed at tests/tools/httpstub.py, failures made by notifilterctl ingest
check_PROGRAMS += tests/fallback/fbtoken
tests_fallback_fbtoken_SOURCES = tests/fallback/fbtoken.c
tests_fallback_fbtoken_LDADD = $(NF_LIBS)
TESTS += tests/fallback/t-fallback.sh tests/fallback/t-restart.sh \
	tests/fallback/t-guard.sh
EXTRA_DIST += tests/fallback/t-fallback.sh tests/fallback/t-restart.sh \
	tests/fallback/t-guard.sh tests/fallback/lib.sh
