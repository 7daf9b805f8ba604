# ctl/local.mk - notifilterctl and its tests
bin_PROGRAMS += notifilterctl
notifilterctl_SOURCES = ctl/main.c ctl/ctl.c ctl/ctl.h ctl/ctl_erase.h ctl/cmd_contact.c \
	ctl/cmd_import.c ctl/cmd_consent.c ctl/cmd_suppress.c ctl/cmd_parse.c \
	ctl/cmd_trace.c ctl/trace.h ctl/trace_verdict.c ctl/trace_text.c \
	ctl/trace_json.c ctl/textout.c ctl/textout.h \
	ctl/cmd_ingest.c
notifilterctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ctl $(JANSSON_CFLAGS) \
	$(SQLITE_CFLAGS)
notifilterctl_LDADD = $(NF_VERIFY_LIBS) $(NF_LIBS)

CTL_TESTS = tests/ctl/t-contacts.sh tests/ctl/t-consent.sh \
	tests/ctl/t-suppress.sh tests/ctl/t-import.sh tests/ctl/t-store-errors.sh \
	tests/ctl/t-import-big.sh tests/ctl/t-trace.sh \
	tests/ctl/t-erase.sh
TESTS += $(CTL_TESTS)
EXTRA_DIST += $(CTL_TESTS) tests/ctl/lib.sh

# tests/ctl/t-trace.sh records messages and deliveries (no CLI adds them)
check_PROGRAMS += tests/ctl/mkmsg
tests_ctl_mkmsg_SOURCES = tests/ctl/mkmsg.c
tests_ctl_mkmsg_LDADD = $(NF_LIBS)
