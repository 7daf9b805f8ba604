# man/: installed by make install, checked against the key table by t_confdoc
dist_man_MANS += man/notifilter.8 man/notifilter.conf.5 man/notifilterctl.8
