#!/usr/bin/env python3
"""Open-loop (fixed-rate) HTTP load for scripts/bench-serve.sh: wrk has no fixed-rate mode.

  paced-load.py URL RATE DURATION_S CONNECTIONS PAGE_LIST

Request i is due at start + i / RATE, whatever happened to the requests before it; CONNECTIONS
threads, each with one keep-alive connection, take the next due request in turn. A request's
latency is measured from its due time, not from when a connection was free to send it, so a
stall is counted in full for every request it delayed (no coordinated omission). Prints one
line: RESULT rate=<achieved req/s> p50=<ms> p99=<ms> late=<requests sent more than 1 ms after
their due time> errors=<n>.
"""
import http.client
import sys
import threading
import time
import urllib.parse


def main():
    url, rate, duration, conns, listfile = sys.argv[1:6]
    rate, duration, conns = float(rate), float(duration), int(conns)
    u = urllib.parse.urlsplit(url)
    bodies = [open(p.strip(), "rb").read() for p in open(listfile) if p.strip()]
    total = max(1, int(rate * duration))
    lock = threading.Lock()
    state = {"next": 0}
    lat, late, errors = [], [0], [0]
    start = time.monotonic() + 0.2

    def worker():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while True:
            with lock:
                i = state["next"]
                if i >= total:
                    return
                state["next"] = i + 1
            due = start + i / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            elif now - due > 0.001:
                with lock:
                    late[0] += 1
            try:
                c.request("POST", "/v1/extract", body=bodies[i % len(bodies)],
                          headers={"Content-Type": "text/html"})
                r = c.getresponse()
                r.read()
                ok = r.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                c.close()
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            done = time.monotonic()
            with lock:
                lat.append(done - due)
                if not ok:
                    errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))] * 1000.0

    print("RESULT rate=%.1f p50=%.2f p99=%.2f late=%d errors=%d"
          % (len(lat) / elapsed, pct(50), pct(99), late[0], errors[0]))


if __name__ == "__main__":
    main()
