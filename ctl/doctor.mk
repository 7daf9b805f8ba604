# ctl/doctor.mk - notifilterctl doctor (issue 6)
notifilterctl_SOURCES += ctl/cmd_doctor.c ctl/doctor.h ctl/doctor_local.c \
	ctl/doctor_net.c ctl/doctor_dns.c ctl/doctor_dns.h ctl/doctor_resolv.c \
	lib/store_check.c lib/store_check.h
# channels (driver table, secret files) and libcurl for channel
# reachability; libspf2 for SPF; libresolv for the DNS checks
notifilterctl_CPPFLAGS += -I$(top_srcdir)/channels $(CURL_CFLAGS)
notifilterctl_LDADD += $(CHAN_LIBS) $(SPF2_LIBS) -lresolv

DOCTOR_TESTS = tests/ctl/t-doctor.sh
TESTS += $(DOCTOR_TESTS)
EXTRA_DIST += $(DOCTOR_TESTS) tests/doctor/unbound.conf.in \
	tests/doctor/test.zone tests/doctor/listen.py
