-- smtp-drop.lua (drop.conf): BlockedRecipient drop: SMTP recipients are
-- not rejected but removed at EOM; a message left with none is discarded.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
mail(conn, "<app@example.test>")
rcpt(conn, "<supp@dest.example.test>")
reply_is(conn, SMFIR_CONTINUE, "drop: suppressed -> continue at RCPT")
rcpt(conn, "<ok@dest.example.test>", "QDROP1")
reply_is(conn, SMFIR_CONTINUE, "drop: allowed -> continue")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "drop: eom -> accept")
check(mt.eom_check(conn, MT_RCPTDELETE, "<supp@dest.example.test>"),
    "drop: suppressed recipient removed at eom")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<ok@dest.example.test>"),
    "drop: allowed recipient kept")

mail(conn, "<app@example.test>")
rcpt(conn, "<revoked@dest.example.test>")
reply_is(conn, SMFIR_CONTINUE, "drop: revoked -> continue")
eom(conn)
reply_is(conn, SMFIR_DISCARD, "drop: no recipient left -> discard")
mt.disconnect(conn)
finish()
