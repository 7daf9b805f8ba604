#!/usr/bin/env python3
"""listen.py PORT MODE SECONDS - a loopback TCP listener for t-doctor.sh.

MODE "smtp": greet every connection with an SMTP banner (not a milter);
MODE "accept": accept and say nothing (a provider's port for the channel
reachability check); MODE "hang": the same, and also read UDP datagrams
on the port without answering (a DNS server that hangs).  Listens on 127.0.0.1 only and exits after SECONDS,
so a test that dies never leaves it behind for long.
"""
import select
import socket
import sys
import time

port, mode, life = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
socks = [srv]
if mode == "hang":
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    socks.append(udp)
end = time.monotonic() + life
conns = []
while time.monotonic() < end:
    r, _, _ = select.select(socks, [], [], 0.2)
    if not r:
        continue
    if srv not in r:
        udp.recvfrom(65536)     # a question never answered
        continue
    c, _ = srv.accept()
    if mode == "smtp":
        try:
            c.sendall(b"220 mail.example.test ESMTP not a milter\r\n")
        except OSError:
            pass
    conns.append(c)
    if len(conns) > 50:
        conns.pop(0).close()
