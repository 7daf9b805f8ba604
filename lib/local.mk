# lib/: pure modules (no libmilter, no libcurl), linked into every program
noinst_LIBRARIES += libnf.a
libnf_a_SOURCES = lib/buf.c lib/buf.h lib/log.c lib/log.h lib/conf.c lib/conf.h lib/conf_value.c lib/conf_int.h \
	lib/store.h
libnf_a_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS) $(IDN2_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)

# what a program needs to link libnf.a
NF_LIBS = libnf.a $(SQLITE_LIBS) $(IDN2_LIBS) $(JANSSON_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += tests/unit/t_conf
TESTS += tests/unit/t_conf
tests_unit_t_conf_SOURCES = tests/unit/t_conf.c tests/unit/tap.h
tests_unit_t_conf_LDADD = $(NF_LIBS)

check_PROGRAMS += tests/unit/t_confdoc
TESTS += tests/unit/t_confdoc
tests_unit_t_confdoc_SOURCES = tests/unit/t_confdoc.c tests/unit/tap.h
tests_unit_t_confdoc_LDADD = $(NF_LIBS)
