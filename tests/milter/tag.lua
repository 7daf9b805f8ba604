-- tag.lua (tag.conf): tagging at end of message.  Run with -vv by
-- miltertest.sh, which also greps the wire trace for what miltertest has
-- no check for: chgfrom (cmd e) and addrcpt_par (cmd 2).  Prints
-- "token=..." for the store checks.
dofile(DIR .. "/lib.lua")

local conn = open("mta", "client.example.test", "192.0.2.10")
check(mt.test_action(conn, SMFIF_ADDHDRS), "tag: negotiated SMFIF_ADDHDRS")
check(mt.test_action(conn, SMFIF_CHGHDRS), "tag: negotiated SMFIF_CHGHDRS")
check(mt.test_action(conn, SMFIF_CHGFROM), "tag: negotiated SMFIF_CHGFROM")
check(mt.test_action(conn, SMFIF_ADDRCPT_PAR), "tag: negotiated SMFIF_ADDRCPT_PAR")
check(mt.test_action(conn, SMFIF_DELRCPT), "tag: negotiated SMFIF_DELRCPT")

mt.echo("--- message QTAG1")
mail(conn, "<app@example.test>")
rcpt(conn, "<ok@dest.example.test>")
reply_is(conn, SMFIR_CONTINUE, "tag: allowed recipient")
mt.macro(conn, SMFIC_RCPT, "i", "QTAG1")
assert(mt.rcptto(conn, "<granted@dest.example.test>", "NOTIFY=SUCCESS,FAILURE") == nil)
reply_is(conn, SMFIR_CONTINUE, "tag: recipient with the client's NOTIFY")
rcpt(conn, "<supp@dest.example.test>", "QTAG1")
reply_is(conn, SMFIR_REPLYCODE, "tag: suppressed recipient still rejected")
assert(mt.header(conn, "From", "App <app@example.test>") == nil)
reply_is(conn, SMFIR_CONTINUE, "tag: header step answered")
assert(mt.header(conn, "Subject", "=?UTF-8?Q?Rechnung_f=C3=BCr_Mai?=") == nil)
assert(mt.header(conn, "Message-ID", "<qtag1@example.test>") == nil)
assert(mt.header(conn, "X-Notifilter-Category", "billing") == nil)
assert(mt.header(conn, "X-Notifilter-Category", "duplicate") == nil)
assert(mt.header(conn, "X-Notifilter-Fallback-Text", "Your invoice is ready") == nil)
assert(mt.header(conn, "X-Notifilter-Phone", "0151 1234 5678") == nil)
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "tag: eom -> accept")
check(mt.eom_check(conn, MT_HDRADD, "X-Notifilter-ID"), "tag: X-Notifilter-ID added")
local tok = mt.getheader(conn, "X-Notifilter-ID", 0)
check(tok ~= nil and string.match(tok, "^1[a-z2-7]+$") ~= nil and #tok == 33,
    "tag: X-Notifilter-ID is a 33-character token (" .. tostring(tok) .. ")")
mt.echo("token=" .. tostring(tok))
check(mt.eom_check(conn, MT_HDRDELETE, "X-Notifilter-Category"),
    "tag: X-Notifilter-Category removed")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Notifilter-Fallback-Text"),
    "tag: X-Notifilter-Fallback-Text removed")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Notifilter-Phone"),
    "tag: X-Notifilter-Phone removed")
check(not mt.eom_check(conn, MT_HDRDELETE, "Subject"), "tag: Subject left alone")
check(mt.eom_check(conn, MT_RCPTDELETE, "<ok@dest.example.test>"),
    "tag: allowed recipient removed to be re-added with DSN parameters")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<granted@dest.example.test>"),
    "tag: recipient with the client's NOTIFY left as it is")
mt.echo("--- end QTAG1")

-- not notification traffic: nothing at all
mt.echo("--- message other")
mail(conn, "<someone@else.test>")
reply_is(conn, SMFIR_ACCEPT, "tag: other sender accepted at MAIL, untouched")
mt.echo("--- end other")
mt.disconnect(conn)

-- null sender (a bounce from cleanup): accepted at MAIL, never rewritten
conn = open("nonsmtpd", "localhost", "127.0.0.1")
mail(conn, "", "QTAGNULL")
reply_is(conn, SMFIR_ACCEPT, "tag: null sender accepted at MAIL, untouched")
mt.disconnect(conn)

-- sendmail(1) path: tagged too
conn = open("nonsmtpd", "localhost", "127.0.0.1")
mt.echo("--- message QTAG2")
mail(conn, "app@example.test", "QTAG2")
rcpt(conn, "ok@dest.example.test", "QTAG2")
assert(mt.header(conn, "X-Notifilter-Category", "") == nil)
eom(conn)
reply_is(conn, SMFIR_ACCEPT, "tag, nonsmtp: eom -> accept")
check(mt.eom_check(conn, MT_HDRADD, "X-Notifilter-ID"), "tag, nonsmtp: X-Notifilter-ID added")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Notifilter-Category"),
    "tag, nonsmtp: an empty control header is removed too")
mt.echo("--- end QTAG2")
mt.disconnect(conn)
finish()
