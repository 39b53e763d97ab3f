#!/usr/bin/python3
"""tests/interop/http_abuse.py — bad HTTP clients for extdiscod's listener
(tests/interop/metrics_prometheus.sh).  Plain sockets, so that every byte
and its timing is the test's.

  http_abuse.py slowloris HOST PORT MAXSECS
      sends a request line and then one header byte every 0.5 s; prints
      {"closed_after": SECS} when the server closes, {"closed_after": null}
      if it is still open after MAXSECS
  http_abuse.py bigheader HOST PORT BYTES
      one request with a header of BYTES bytes; prints the status line and
      whether the server closed the connection
  http_abuse.py flood HOST PORT SECS CONNS [IDLE]
      CONNS threads, each opening connections and sending GET /metrics
      (no token: 401) as fast as it can for SECS, plus IDLE (default CONNS)
      idle connections held open; prints how many requests were answered
  http_abuse.py hold HOST PORT N SECS
      opens N connections that send nothing and keeps them SECS (or until
      the server closes them); prints how many the server closed
"""
import json
import socket
import sys
import threading
import time


def slowloris(host, port, maxsecs):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.monotonic()
    s.settimeout(0.5)
    while time.monotonic() - t0 < maxsecs:
        try:
            s.sendall(b"a")
        except OSError:
            break
        try:
            d = s.recv(4096)
            if not d:
                break
        except socket.timeout:
            continue
        except OSError:
            break
    else:
        print(json.dumps({"closed_after": None}))
        return
    print(json.dumps({"closed_after": round(time.monotonic() - t0, 2)}))


def bigheader(host, port, n):
    s = socket.create_connection((host, port), timeout=10)
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * n + b"\r\n\r\n")
    except OSError:
        pass
    data = b""
    closed = False
    try:
        while True:
            d = s.recv(4096)
            if not d:
                closed = True
                break
            data += d
    except socket.timeout:
        pass
    except OSError:
        closed = True
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    print(json.dumps({"status": line, "closed": closed}))


def hold(host, port, n, secs, gap=0.0):
    # gap: seconds between connects, so that accepts fall at every phase of
    # the server's once-a-second sweep
    socks = []
    for _ in range(n):
        if gap:
            time.sleep(gap)
        try:
            socks.append(socket.create_connection((host, port), timeout=2))
        except OSError:
            pass
    stop = time.monotonic() + secs
    closed = set()
    while time.monotonic() < stop and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i in closed:
                continue
            s.settimeout(0.01)
            try:
                if s.recv(1) == b"":
                    closed.add(i)
            except socket.timeout:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.1)
    for s in socks:
        s.close()
    print(json.dumps({"opened": len(socks), "closed_by_server": len(closed)}))


def flood(host, port, secs, conns, nidle=None):
    stop = time.monotonic() + secs
    count = [0]
    lock = threading.Lock()
    idle = []
    for _ in range(conns if nidle is None else nidle):
        try:
            idle.append(socket.create_connection((host, port), timeout=2))
        except OSError:
            pass

    def worker():
        while time.monotonic() < stop:
            try:
                s = socket.create_connection((host, port), timeout=2)
                for _ in range(20):
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    buf = b""
                    while b"\r\n\r\n" not in buf:
                        d = s.recv(4096)
                        if not d:
                            raise OSError("closed")
                        buf += d
                    with lock:
                        count[0] += 1
                s.close()
            except OSError:
                time.sleep(0.01)

    ts = [threading.Thread(target=worker) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for s in idle:
        s.close()
    print(json.dumps({"answered": count[0]}))


def main():
    mode = sys.argv[1]
    host, port = sys.argv[2], int(sys.argv[3])
    if mode == "slowloris":
        slowloris(host, port, float(sys.argv[4]))
    elif mode == "bigheader":
        bigheader(host, port, int(sys.argv[4]))
    elif mode == "flood":
        flood(host, port, float(sys.argv[4]), int(sys.argv[5]),
              int(sys.argv[6]) if len(sys.argv) > 6 else None)
    elif mode == "hold":
        hold(host, port, int(sys.argv[4]), float(sys.argv[5]),
             float(sys.argv[6]) if len(sys.argv) > 6 else 0.0)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
