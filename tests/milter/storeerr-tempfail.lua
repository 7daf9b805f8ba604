-- storeerr-tempfail.lua (enforce.conf, store broken): OnStoreError
-- tempfail: 451 at RCPT for SMTP; the whole message at EOM for non-SMTP.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
mail(conn, "<app@example.test>")
rcpt(conn, "<ok@dest.example.test>")
reply_is(conn, SMFIR_REPLYCODE, "store error, tempfail: RCPT gets a custom reply (451 4.3.0)")
mt.disconnect(conn)

conn = open("nonsmtpd", "localhost", "127.0.0.1")
mail(conn, "app@example.test", "QSE1")
rcpt(conn, "ok@dest.example.test", "QSE1")
reply_is(conn, SMFIR_CONTINUE, "store error, tempfail, nonsmtp: RCPT continues")
eom(conn)
reply_is(conn, SMFIR_TEMPFAIL, "store error, tempfail, nonsmtp: message tempfailed at eom")
mt.disconnect(conn)
finish()
