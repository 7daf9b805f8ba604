-- tagmon.lua (tagmon.conf): monitor mode with tagging configured: the
-- message is recorded (applied = 0) and nothing in it changes.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
mt.echo("--- message QTAGM")
mail(conn, "<app@example.test>")
rcpt(conn, "<ok@dest.example.test>", "QTAGM")
assert(mt.header(conn, "X-Notifilter-Category", "billing") == nil)
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "tag monitor: eom -> accept")
check(not mt.eom_check(conn, MT_HDRADD, "X-Notifilter-ID"), "tag monitor: no header added")
check(not mt.eom_check(conn, MT_HDRDELETE, "X-Notifilter-Category"),
    "tag monitor: control header left in place")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<ok@dest.example.test>"),
    "tag monitor: recipient not re-added")
mt.echo("--- end QTAGM")
mt.disconnect(conn)
finish()
