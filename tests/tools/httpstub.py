#!/usr/bin/env python3
"""Scriptable loopback HTTP server for the channel tests (stdlib only).

usage: httpstub.py [--port N] [--max-seconds S] [--cert PEM --key PEM]
Listens on 127.0.0.1 (port 0 = a free one; HTTPS with --cert/--key),
prints "PORT <n>" on stdout
once listening, and exits by itself after --max-seconds (default 300) so a
crashed test never leaves it behind.

Control endpoints (never recorded):
  POST /_stub/script   body: JSON list of answers, used first-in first-out,
                       one per recorded request.  An answer is an object:
                       {"status": 200, "headers": {"Name": "value"},
                        "body": "text", "delay": 0.0, "action": "drop"}
                       "delay" sleeps before answering; "action": "drop"
                       reads the request and closes the connection without
                       any answer.  With no script left the answer is
                       599 "no scripted answer", so a test that forgot one
                       fails visibly.
  GET  /_stub/log      JSON list of the requests seen since the last reset:
                       {"method", "path", "headers": {lower-case name: value},
                        "body": text (UTF-8, invalid bytes replaced)}
  POST /_stub/reset    forget script and log.
"""
import argparse
import json
import socketserver
import sys
import threading
import time
import http.server

lock = threading.Lock()
script = []
log = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without this, Nagle plus the
    # client's delayed ACK add ~40 ms to every kept-alive request
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status, body, headers=None, ctype="application/json"):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if not headers or "Content-Type" not in headers:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _control(self, body):
        global script, log
        if self.path == "/_stub/script" and self.command == "POST":
            with lock:
                script.extend(json.loads(body.decode("utf-8")))
            return self._send(200, "{}")
        if self.path == "/_stub/log" and self.command == "GET":
            with lock:
                data = json.dumps(log)
            return self._send(200, data)
        if self.path == "/_stub/reset" and self.command == "POST":
            with lock:
                script, log = [], []
            return self._send(200, "{}")
        return self._send(404, '{"error": "unknown control path"}')

    def _handle(self):
        body = self._body()
        if self.path.startswith("/_stub/"):
            return self._control(body)
        with lock:
            log.append({
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
            ans = script.pop(0) if script else {"status": 599, "body": "no scripted answer"}
        if ans.get("delay"):
            time.sleep(float(ans["delay"]))
        if ans.get("action") == "drop":
            self.close_connection = True
            return
        self._send(int(ans.get("status", 200)), ans.get("body", ""), ans.get("headers"))

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    if a.cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("PORT %d" % srv.server_address[1], flush=True)
    t = threading.Timer(a.max_seconds, srv.shutdown)
    t.daemon = True
    t.start()
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
