# contrib/: example config and MTA snippets, installed for the administrator
exampledir = $(docdir)/examples
dist_example_DATA = contrib/notifilter.conf contrib/postfix-main.cf \
	contrib/postfix-master.cf contrib/sendmail.mc contrib/notifilter.service \
	contrib/postfix-intake.cf contrib/notifilter-digest.service \
	contrib/notifilter-digest.timer contrib/notifilter-digest.cron
EXTRA_DIST += contrib/install-deps.sh contrib/run-demo.sh tests/run-all.sh

# the example config also goes where the daemon looks, unless one is there
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)/notifilter'
	test -f '$(DESTDIR)$(sysconfdir)/notifilter/notifilter.conf' || \
	  $(INSTALL_DATA) '$(srcdir)/contrib/notifilter.conf' '$(DESTDIR)$(sysconfdir)/notifilter/notifilter.conf'

uninstall-local:
	-cmp -s '$(srcdir)/contrib/notifilter.conf' '$(DESTDIR)$(sysconfdir)/notifilter/notifilter.conf' && \
	  rm -f '$(DESTDIR)$(sysconfdir)/notifilter/notifilter.conf'
