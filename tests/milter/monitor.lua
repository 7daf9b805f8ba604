-- monitor.lua (monitor.conf): decide and record, change nothing.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
mail(conn, "<app@example.test>")
rcpt(conn, "<supp@dest.example.test>")
reply_is(conn, SMFIR_CONTINUE, "monitor: suppressed -> continue")
rcpt(conn, "<revoked@dest.example.test>", "QMON1")
reply_is(conn, SMFIR_CONTINUE, "monitor: revoked -> continue")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "monitor: eom -> accept (no discard)")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<supp@dest.example.test>"),
    "monitor: nothing removed")
mt.disconnect(conn)

conn = open("nonsmtpd", "localhost", "127.0.0.1")
mail(conn, "app@example.test", "QMON2")
rcpt(conn, "supp@dest.example.test", "QMON2")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "monitor, nonsmtp: eom -> accept (no discard)")
check(not mt.eom_check(conn, MT_RCPTDELETE, "supp@dest.example.test"),
    "monitor, nonsmtp: nothing removed")
mt.disconnect(conn)
finish()
