# lib/valid.mk - contact data validation: email addresses, phone numbers, CSV
libnf_a_SOURCES += lib/addr.c lib/addr.h lib/phone.c lib/phone.h \
	lib/csv.c lib/csv.h

check_PROGRAMS += tests/unit/t_addr tests/unit/t_phone tests/unit/t_csv
TESTS += tests/unit/t_addr tests/unit/t_phone tests/unit/t_csv

tests_unit_t_addr_SOURCES = tests/unit/t_addr.c tests/unit/tap.h
tests_unit_t_addr_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_addr_LDADD = $(NF_LIBS)

tests_unit_t_phone_SOURCES = tests/unit/t_phone.c tests/unit/tap.h
tests_unit_t_phone_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_phone_LDADD = $(NF_LIBS)

tests_unit_t_csv_SOURCES = tests/unit/t_csv.c tests/unit/tap.h
tests_unit_t_csv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_csv_LDADD = $(NF_LIBS)
