-- smtp-reject.lua (enforce.conf): SMTP mail from a Senders address; blocked
-- recipients get a 550 at RCPT, the others pass; nothing removed at EOM.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
reply_is(conn, SMFIR_CONTINUE, "reject: connect -> continue")
check(mt.test_action(conn, SMFIF_DELRCPT), "reject: negotiated SMFIF_DELRCPT")
check(mt.test_action(conn, SMFIF_CHGHDRS),
    "reject: negotiated SMFIF_CHGHDRS (control headers are removed even with tagging off)")

mail(conn, "<app@example.test>")
reply_is(conn, SMFIR_CONTINUE, "reject: MAIL from app@example.test -> continue")
rcpt(conn, "<ok@dest.example.test>")
reply_is(conn, SMFIR_CONTINUE, "reject: unknown recipient (default yes) -> continue")
rcpt(conn, "<supp@dest.example.test>", "QREJ1")
reply_is(conn, SMFIR_REPLYCODE, "reject: suppressed -> custom reply (550 5.7.1)")
rcpt(conn, "<revoked@dest.example.test>", "QREJ1")
reply_is(conn, SMFIR_REPLYCODE, "reject: consent revoked -> custom reply")
rcpt(conn, "<granted@dest.example.test>", "QREJ1")
reply_is(conn, SMFIR_CONTINUE, "reject: consent granted -> continue")
rcpt(conn, "<Supp@DEST.example.test>", "QREJ1")
reply_is(conn, SMFIR_REPLYCODE, "reject: repeat in other case -> same reply")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "reject: eom -> accept")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<supp@dest.example.test>"),
    "reject: nothing removed at eom")
check(not mt.eom_check(conn, MT_HDRADD, "X-Notifilter-ID"), "reject: no header added")

-- second message on the same connection: a sender that is not policed
mail(conn, "<someone@else.test>")
reply_is(conn, SMFIR_ACCEPT, "untouched: other sender accepted at MAIL")
mail(conn, "<>")
reply_is(conn, SMFIR_ACCEPT, "untouched: null sender accepted at MAIL")
-- third message: policed again
mail(conn, "<app@example.test>")
reply_is(conn, SMFIR_CONTINUE, "reject: third message MAIL -> continue")
rcpt(conn, "<supp@dest.example.test>")
reply_is(conn, SMFIR_REPLYCODE, "reject: third message decided afresh")
mt.disconnect(conn)

-- an SMTP client on loopback that uses <...> stays on the SMTP path
conn = open("mta", "localhost", "127.0.0.1")
mail(conn, "<app@example.test>")
rcpt(conn, "<supp@dest.example.test>")
reply_is(conn, SMFIR_REPLYCODE, "reject: local SMTP client still gets the 550")
mt.disconnect(conn)
finish()
