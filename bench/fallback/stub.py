#!/usr/bin/env python3
"""stub.py - a fast loopback HTTP provider for bench/bench-fallback.sh.

usage: stub.py PORT [MAX_SECONDS]
Listens on 127.0.0.1:PORT (asyncio, keep-alive, one process), answers every
request 200 {"id": "<n>"} at once, and notes the arrival time of each one
with the "ref" of its JSON body (the notification's token, as notifilter's
webhook driver sends it).  Prints "PORT n" when listening; exits by itself
after MAX_SECONDS (default 600).

Control (not counted): GET /_log -> JSON [[time, ref], ...];
POST /_reset -> forget the log.
"""
import asyncio
import json
import re
import sys
import time

REF = re.compile(rb'"ref":"([^"]*)"')
log = []
count = [0]


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip() or 0)
            body = await reader.readexactly(length) if length else b""
            target = head.split(b" ", 2)[1] if b" " in head else b"/"
            if target == b"/_log":
                out = json.dumps(log).encode()
            elif target == b"/_reset":
                log.clear()
                out = b"{}"
            else:
                t = time.time()
                m = REF.search(body)
                log.append([t, m.group(1).decode() if m else ""])
                count[0] += 1
                out = b'{"id":"stub-%d"}' % count[0]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(out), out))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError,
            asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1])
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 600
    srv = await asyncio.start_server(handle, "127.0.0.1", port)
    print("PORT %d" % port, flush=True)
    await asyncio.sleep(limit)
    srv.close()


if __name__ == "__main__":
    asyncio.run(main())
