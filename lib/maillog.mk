# lib/maillog.mk - the MTA log line parser (lib/maillog.c), its unit test
# and fuzz target, and the test of the daemon's MailLog follower
libnf_a_SOURCES += lib/maillog.c lib/maillog.h

check_PROGRAMS += tests/unit/t_maillog
TESTS += tests/unit/t_maillog
tests_unit_t_maillog_SOURCES = tests/unit/t_maillog.c tests/unit/tap.h
tests_unit_t_maillog_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_maillog_LDADD = $(NF_LIBS)

EXTRA_DIST += tests/fuzz/seeds/maillog

if FUZZING
# CC=clang ./configure --enable-fuzzing; then
#   make tests/fuzz/fuzz_maillog && ./tests/fuzz/fuzz_maillog \
#       -max_total_time=60 $(top_srcdir)/tests/fuzz/seeds/maillog
noinst_PROGRAMS += tests/fuzz/fuzz_maillog
tests_fuzz_fuzz_maillog_SOURCES = tests/fuzz/fuzz_maillog.c lib/maillog.c lib/maillog.h
tests_fuzz_fuzz_maillog_CFLAGS = $(AM_CFLAGS) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
tests_fuzz_fuzz_maillog_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
endif

# the daemon's MailLog follower (milter/follow.c) through real files and a
# temporary store; no MTA, no libmilter
check_PROGRAMS += tests/unit/t_follow
TESTS += tests/unit/t_follow
tests_unit_t_follow_SOURCES = tests/unit/t_follow.c tests/unit/tap.h \
	milter/follow.c milter/follow_file.c milter/follow.h \
	milter/follow_int.h
tests_unit_t_follow_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-I$(top_srcdir)/milter
tests_unit_t_follow_LDADD = $(NF_LIBS)
