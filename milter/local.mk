# milter/local.mk - the notifilter daemon (owner: milter engineer)
sbin_PROGRAMS += notifilter
notifilter_SOURCES = milter/main.c milter/callbacks.c milter/handlers.c \
	milter/ctx.c milter/ctx.h milter/writer.c milter/state.c \
	milter/storeio.c milter/milter.h milter/tag.c milter/tag.h \
	milter/follow.c milter/follow_file.c milter/follow.h milter/follow_int.h \
	milter/fallback.c milter/fallback.h milter/fallback_int.h \
	milter/fallback_scan.c milter/fallback_claim.c milter/fallback_sched.c \
	milter/fallback_disp.c milter/fallback_send.c \
	milter/fallback_send.h lib/fallback.c lib/fallback.h
notifilter_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS)
# the receipt listener and the channel drivers (libnfreceipt.a, libnfchan.a,
# libcurl) before libnf.a, which they use
notifilter_LDADD = $(RECEIPT_LIBS) $(MILTER_LIBS)

# callback sequences against a link-time fake of libmilter's smfi_* calls
# and of the store door (storeio.c): no MTA, no database
check_PROGRAMS += tests/milter/t_callbacks
TESTS += tests/milter/t_callbacks
tests_milter_t_callbacks_SOURCES = tests/milter/t_callbacks.c \
	tests/milter/fake_smfi.c tests/milter/fake_smfi.h \
	milter/callbacks.c milter/handlers.c milter/ctx.c milter/writer.c \
	milter/state.c milter/tag.c milter/tag.h
tests_milter_t_callbacks_CPPFLAGS = $(AM_CPPFLAGS) $(MILTER_CFLAGS) \
	-I$(top_srcdir)/milter -I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/milter
tests_milter_t_callbacks_LDADD = $(NF_LIBS)

# miltertest scripts against the real daemon (one daemon per run, configs
# switched by SIGUSR1); skips when miltertest or sqlite3 is missing
TESTS += tests/milter/miltertest.sh
EXTRA_DIST += tests/milter/miltertest.sh tests/milter/lib.lua \
	tests/milter/smtp-reject.lua tests/milter/smtp-drop.lua \
	tests/milter/nonsmtp.lua tests/milter/monitor.lua \
	tests/milter/storeerr-tempfail.lua tests/milter/storeerr-accept.lua \
	tests/milter/enforce.conf tests/milter/drop.conf \
	tests/milter/monitor.conf tests/milter/storeaccept.conf \
	tests/milter/bad.conf tests/milter/tag.lua tests/milter/tagmon.lua tests/milter/erased.lua \
	tests/milter/tag.conf tests/milter/tagmon.conf tests/milter/tagbad.conf
