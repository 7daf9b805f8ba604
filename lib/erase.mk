# lib/erase.mk - erasure with keyed hashes (issue 6)
libnf_a_SOURCES += lib/store_erase.c lib/store_erase_key.c \
	lib/store_erase_table.c lib/store_erase_int.h

check_PROGRAMS += tests/unit/t_erase
TESTS += tests/unit/t_erase
tests_unit_t_erase_SOURCES = tests/unit/t_erase.c tests/unit/tap.h
tests_unit_t_erase_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)
tests_unit_t_erase_LDADD = $(NF_LIBS)
