-- erased.lua (tag.conf: SecretFile set): an address suppressed, then erased
-- with `contact remove`, is kept only as a keyed hash; the daemon still
-- refuses it at RCPT, and an address never known still passes.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
reply_is(conn, SMFIR_CONTINUE, "erased: connect -> continue")
mail(conn, "<app@example.test>", "QERA1")
reply_is(conn, SMFIR_CONTINUE, "erased: MAIL -> continue")
rcpt(conn, "<gone@dest.example.test>", "QERA1")
reply_is(conn, SMFIR_REPLYCODE, "erased: the erased, suppressed address is still refused")
rcpt(conn, "<fresh@dest.example.test>", "QERA1")
reply_is(conn, SMFIR_CONTINUE, "erased: an address never known passes")
mt.disconnect(conn)
