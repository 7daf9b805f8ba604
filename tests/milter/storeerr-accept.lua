-- storeerr-accept.lua (storeaccept.conf, store broken): OnStoreError
-- accept lets recipients through (recorded as rule store-error).
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
mail(conn, "<app@example.test>")
rcpt(conn, "<supp@dest.example.test>", "QSE2")
reply_is(conn, SMFIR_CONTINUE, "store error, accept: RCPT continues")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "store error, accept: eom -> accept")
mt.disconnect(conn)

conn = open("nonsmtpd", "localhost", "127.0.0.1")
mail(conn, "app@example.test", "QSE3")
rcpt(conn, "supp@dest.example.test", "QSE3")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "store error, accept, nonsmtp: eom -> accept")
mt.disconnect(conn)
finish()
