# ctl/report.mk - notifilterctl report and digest (issue 6)
notifilterctl_SOURCES += ctl/cmd_report.c ctl/cmd_digest.c ctl/report_out.h \
	ctl/report_text.c ctl/report_json.c ctl/report_csv.c ctl/report_html.c

# tokens signed with a test key, so the suites' reports authenticate
check_PROGRAMS += tests/report/mktoken
tests_report_mktoken_SOURCES = tests/report/mktoken.c
tests_report_mktoken_LDADD = $(NF_LIBS)

REPORT_TESTS = tests/ctl/t-report.sh tests/ctl/t-digest.sh \
	tests/report/t-html.sh
TESTS += $(REPORT_TESTS)
EXTRA_DIST += $(REPORT_TESTS) tests/report/pngcheck.py
