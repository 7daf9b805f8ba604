# lib/intake.mk - report intake (issue 4): applying parsed reports to the
# store, DKIM/SPF verification of complaints, `notifilterctl ingest`'s
# tests, and the real-Postfix intake suite
libnf_a_SOURCES += lib/intake.c lib/intake.h lib/intake_auth.c lib/intake_int.h \
	lib/store_report.c

# DKIM and SPF (libopendkim, libspf2) in a library of their own, so that
# only the programs that verify reports link those libraries
noinst_LIBRARIES += libnfverify.a
libnfverify_a_SOURCES = lib/verify.c lib/verify.h
libnfverify_a_CPPFLAGS = $(AM_CPPFLAGS) $(OPENDKIM_CFLAGS)
NF_VERIFY_LIBS = libnfverify.a $(OPENDKIM_LIBS) $(SPF2_LIBS)

check_PROGRAMS += tests/unit/t_intake
TESTS += tests/unit/t_intake
tests_unit_t_intake_SOURCES = tests/unit/t_intake.c tests/unit/tap.h
tests_unit_t_intake_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)
tests_unit_t_intake_LDADD = $(NF_LIBS)

check_PROGRAMS += tests/unit/t_verify
TESTS += tests/unit/t_verify
tests_unit_t_verify_SOURCES = tests/unit/t_verify.c tests/unit/tap.h
tests_unit_t_verify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(OPENDKIM_CFLAGS)
tests_unit_t_verify_LDADD = $(NF_VERIFY_LIBS) $(NF_LIBS)

# ComplaintDomains through `notifilterctl ingest` (needs tests/ctl/mkmsg
# and tests/report/mktoken)
TESTS += tests/ctl/t-complaint-domains.sh
EXTRA_DIST += tests/ctl/t-complaint-domains.sh

# a real Postfix delivering reports through the pipe into `ingest` (root;
# skipped otherwise)
TESTS += tests/mta/t-intake.sh
EXTRA_DIST += tests/mta/t-intake.sh contrib/postfix-intake.cf
