# lib/stats.mk - figures for report and digest from the store (issue 6)
