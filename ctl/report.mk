# ctl/report.mk - notifilterctl report and digest (issue 6)
