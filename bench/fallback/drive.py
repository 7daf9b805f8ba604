#!/usr/bin/env python3
"""drive.py - the measuring half of bench/bench-fallback.sh (stdlib only).

usage:
  drive.py ingest CTL CONF DIR FIRST COUNT GAP_MS OUT.json
      run `CTL -c CONF ingest` on DIR/dsn.NNNNNN for COUNT reports from
      FIRST, one after the other with GAP_MS between starts, and write
      {token: start time} to OUT.json (token and VERP recipient from
      DIR/list, whose first line is report FIRST).
  drive.py latency STUB_PORT STARTS.json WAIT_S
      wait (at most WAIT_S) until the stub has a request for every token,
      then print "n p50 p99 max missing" in seconds (ingest start -> the
      provider's request).
  drive.py rate STUB_PORT COUNT WAIT_S
      wait (at most WAIT_S) until the stub has COUNT requests and print
      "count first_to_last_s rate_per_s".
  drive.py raw STUB_PORT COUNT CONNS
      the baseline: COUNT POSTs of a webhook-sized body over CONNS
      kept-alive connections (one thread each) from http.client; prints
      "count seconds rate_per_s".
"""
import http.client
import json
import subprocess
import sys
import threading
import time


def stub_log(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/_log")
    data = json.loads(c.getresponse().read())
    c.close()
    return data


def tokens(d):
    """[(token, verp)] in the order of DIR/list"""
    out = []
    with open(d + "/list") as f:
        for line in f:
            w = line.split()
            out.append((w[0], w[1]))
    return out


def cmd_ingest(ctl, conf, d, first, count, gap_ms, out):
    toks = tokens(d)
    starts = {}
    gap = gap_ms / 1000.0
    for i in range(first, first + count):
        t = time.time()
        with open("%s/dsn.%06d" % (d, i), "rb") as f:
            rc = subprocess.run([ctl, "-c", conf, "ingest", "--sender=",
                                 "--recipient=" + toks[i - first][1]], stdin=f,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode
        if rc != 0:
            print("ingest of dsn.%06d exited %d" % (i, rc), file=sys.stderr)
            sys.exit(1)
        starts[toks[i - first][0]] = t
        left = gap - (time.time() - t)
        if left > 0:
            time.sleep(left)
    with open(out, "w") as f:
        json.dump(starts, f)


def pct(v, p):
    v = sorted(v)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def cmd_latency(port, starts_path, wait):
    with open(starts_path) as f:
        starts = json.load(f)
    end = time.time() + wait
    while True:
        seen = {}
        for t, ref in stub_log(port):
            if ref in starts and ref not in seen:
                seen[ref] = t
        if len(seen) >= len(starts) or time.time() > end:
            break
        time.sleep(0.2)
    lat = [seen[r] - starts[r] for r in seen]
    if not lat:
        print("0 - - - %d" % len(starts))
        return
    print("%d %.3f %.3f %.3f %d" % (len(lat), pct(lat, 50), pct(lat, 99),
                                     max(lat), len(starts) - len(seen)))


def cmd_rate(port, count, wait):
    end = time.time() + wait
    while True:
        log = stub_log(port)
        if len(log) >= count or time.time() > end:
            break
        time.sleep(0.2)
    if len(log) < 2:
        print("%d - -" % len(log))
        return
    t = [x[0] for x in log]
    span = max(t) - min(t)
    print("%d %.3f %.1f" % (len(log), span, (len(log) - 1) / span if span > 0 else 0))


def cmd_raw(port, count, conns):
    body = json.dumps({"to": "+4915112000000", "text": "Your parcel is late",
                       "channel": "sms", "ref": "raw", "idempotency_key":
                       "nf1-raw-0000000000000000"}, separators=(",", ":"))
    per = [count // conns + (1 if i < count % conns else 0) for i in range(conns)]
    errors = []

    def run(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for _ in range(n):
                c.request("POST", "/hook", body=body, headers={
                    "Content-Type": "application/json",
                    "X-Notifilter-Signature": "sha256=" + "0" * 64,
                    "Idempotency-Key": "nf1-raw-0000000000000000"})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(r.status)
        except OSError as e:
            errors.append(str(e))
        c.close()

    th = [threading.Thread(target=run, args=(n,)) for n in per]
    t0 = time.time()
    for x in th:
        x.start()
    for x in th:
        x.join()
    dt = time.time() - t0
    if errors:
        print("raw client errors: %s" % errors[:3], file=sys.stderr)
    print("%d %.3f %.1f" % (count, dt, count / dt))


def main():
    a = sys.argv[1:]
    if a and a[0] == "ingest" and len(a) == 8:
        cmd_ingest(a[1], a[2], a[3], int(a[4]), int(a[5]), float(a[6]), a[7])
    elif a and a[0] == "latency" and len(a) == 4:
        cmd_latency(int(a[1]), a[2], float(a[3]))
    elif a and a[0] == "rate" and len(a) == 4:
        cmd_rate(int(a[1]), int(a[2]), float(a[3]))
    elif a and a[0] == "raw" and len(a) == 4:
        cmd_raw(int(a[1]), int(a[2]), int(a[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main()
