-- nonsmtp.lua (enforce.conf, BlockedRecipient reject): mail from
-- sendmail(1) reaches non_smtpd_milters, where a recipient must never be
-- rejected: blocked ones are removed at EOM; none left -> discard.
dofile(DIR .. "/lib.lua")

local conn = open("nonsmtpd", "localhost", "127.0.0.1")
reply_is(conn, SMFIR_CONTINUE, "nonsmtp: connect -> continue")
mail(conn, "app@example.test", "QNS1")
reply_is(conn, SMFIR_CONTINUE, "nonsmtp: MAIL (bare address) -> continue")
rcpt(conn, "supp@dest.example.test", "QNS1")
reply_is(conn, SMFIR_CONTINUE, "nonsmtp: suppressed -> continue, not reject")
rcpt(conn, "ok@dest.example.test", "QNS1")
reply_is(conn, SMFIR_CONTINUE, "nonsmtp: allowed -> continue")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "nonsmtp: eom -> accept")
check(mt.eom_check(conn, MT_RCPTDELETE, "supp@dest.example.test"),
    "nonsmtp: suppressed recipient removed at eom")
check(not mt.eom_check(conn, MT_RCPTDELETE, "ok@dest.example.test"),
    "nonsmtp: allowed recipient kept")
mt.disconnect(conn)

-- every recipient blocked: discarded
conn = open("nonsmtpd", "localhost", "127.0.0.1")
mail(conn, "app@example.test", "QNS2")
rcpt(conn, "revoked@dest.example.test", "QNS2")
reply_is(conn, SMFIR_CONTINUE, "nonsmtp: revoked -> continue")
rcpt(conn, "supp@dest.example.test", "QNS2")
eom(conn)
reply_is(conn, SMFIR_DISCARD, "nonsmtp: no recipient left -> discard")
mt.disconnect(conn)

-- Postfix defaults ({daemon_name} not set to nonsmtpd): the emulated
-- session (localhost, 127.0.0.1, bare MAIL argument) is recognised too
conn = open("mta.example.test", "localhost", "127.0.0.1")
mail(conn, "app@example.test", "QNS3")
rcpt(conn, "supp@dest.example.test", "QNS3")
reply_is(conn, SMFIR_CONTINUE, "nonsmtp (emulated session): suppressed -> continue")
rcpt(conn, "granted@dest.example.test", "QNS3")
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "nonsmtp (emulated session): eom -> accept")
check(mt.eom_check(conn, MT_RCPTDELETE, "supp@dest.example.test"),
    "nonsmtp (emulated session): suppressed recipient removed")
mt.disconnect(conn)

-- a bounce (null sender) from cleanup is never touched
conn = open("nonsmtpd", "localhost", "127.0.0.1")
mail(conn, "", "QNS4")
reply_is(conn, SMFIR_ACCEPT, "nonsmtp: null sender accepted at MAIL")
mt.disconnect(conn)
finish()
