# lib/policy.mk - the policy module and its unit test (owner: milter engineer)
libnf_a_SOURCES += lib/policy.c lib/policy.h

check_PROGRAMS += tests/unit/t_policy
TESTS += tests/unit/t_policy
tests_unit_t_policy_SOURCES = tests/unit/t_policy.c tests/unit/tap.h
tests_unit_t_policy_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_unit_t_policy_LDADD = $(NF_LIBS)
