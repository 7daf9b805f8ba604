# tests/mta/local.mk - notifilter inside a real, throwaway Postfix on
# loopback (needs root and the postfix package; skipped otherwise), and the
# demo, which uses the same harness (tests/mta/lib.sh).
MTA_TESTS = tests/mta/t-policy.sh tests/mta/t-tracking.sh
TESTS += $(MTA_TESTS)
EXTRA_DIST += $(MTA_TESTS) tests/mta/lib.sh tests/mta/bounce-intake.sh \
	tests/tools/smtpc.py tests/tools/dblock.py tests/tools/sqlq.py \
	tests/tools/tracejson.py \
	contrib/demo.sh contrib/demo/contacts.csv contrib/demo/notifilter.conf.in

# make demo: Postfix + notifilter on loopback, four notifications and one
# other mail, a table of what happened, the tagging the next hop saw and
# the trace of one recipient; everything stopped afterwards.
demo: notifilter$(EXEEXT) notifilterctl$(EXEEXT)
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  PYTHON3='$(PYTHON3)' POSTFIX='$(POSTFIX)' \
	  bash '$(abs_top_srcdir)/contrib/demo.sh'
.PHONY: demo
