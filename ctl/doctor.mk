# ctl/doctor.mk - notifilterctl doctor (issue 6)
