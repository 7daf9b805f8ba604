-- lib.lua - shared helpers for notifilter's miltertest scripts.
-- Scripts get SOCK (unix socket path) and DIR (this folder) with -D.
-- check() prints "ok - ..." / "not ok - ..." lines that run.sh turns into TAP.
pass, fail = 0, 0

function check(cond, what)
	if cond then
		pass = pass + 1
		mt.echo("ok - " .. what)
	else
		fail = fail + 1
		mt.echo("not ok - " .. what)
	end
end

local names = {}
names[SMFIR_CONTINUE] = "continue"; names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"; names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"; names[SMFIR_REPLYCODE] = "replycode"

-- compare a reply, naming both sides on failure
function reply_is(conn, want, what)
	local got = mt.getreply(conn)
	if got == want then
		check(true, what)
	else
		check(false, what .. " (got " .. tostring(names[got] or got) ..
		    ", want " .. tostring(names[want] or want) .. ")")
	end
end

-- connect as an SMTP client (daemon_name "mta") or as Postfix's
-- non-SMTP emulation (localhost, 127.0.0.1, daemon_name "nonsmtpd")
function open(daemon_name, host, addr)
	local conn = mt.connect("unix:" .. SOCK, 50, 0.1)
	assert(conn ~= nil, "cannot connect to unix:" .. SOCK)
	mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon_name)
	assert(mt.conninfo(conn, host, addr) == nil)
	return conn
end

function mail(conn, sender, qid)
	if qid ~= nil then
		mt.macro(conn, SMFIC_MAIL, "i", qid)
	end
	assert(mt.mailfrom(conn, sender) == nil)
end

function rcpt(conn, addr, qid)
	if qid ~= nil then
		mt.macro(conn, SMFIC_RCPT, "i", qid)
	end
	assert(mt.rcptto(conn, addr) == nil)
end

function eom(conn)
	assert(mt.eom(conn) == nil)
end

function finish()
	mt.echo(pass .. " passed, " .. fail .. " failed")
end
