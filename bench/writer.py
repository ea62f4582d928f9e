"""A steady stream of writes for bench/under-writes.sh: RATE supplier registrations per second
(each one change on the write path: row, audit entry, event, outbox), paced, from THREADS
threads with a keep-alive connection each (one alone could not keep up while the machine is
loaded), until killed. Prints how many it made and at what rate when it stops.

    URL=http://127.0.0.1:18085 TOKEN=… RATE=50 python3 bench/writer.py
"""

import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

url = urllib.parse.urlparse(os.environ["URL"])
token = os.environ["TOKEN"]
rate = float(os.environ.get("RATE", "50"))
threads = int(os.environ.get("THREADS", "4"))
start = time.monotonic()
made = failed = 0
lock = threading.Lock()


def stop(*_):
    elapsed = time.monotonic() - start
    print(f"writer: {made} changes in {elapsed:.0f} s ({made / elapsed:.1f}/s), {failed} failed",
          file=sys.stderr)
    sys.exit(0)


def work(k: int) -> None:
    global made, failed
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    n = (int(time.time() * 1000) % 1_000_000) * 10 + k
    sent = 0
    while True:
        n += threads * 10
        body = json.dumps({"legal_name": f"Escritura continua {n}", "tax_id": f"WR{n:09d}",
                           "country": "CA", "sector": "services", "employees": 12,
                           "capabilities": [{"code": "atp.tst"}]})
        ok = False
        try:
            conn.request("POST", "/v1/suppliers", body, {"Authorization": f"Bearer {token}",
                                                          "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 201
        except (OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        with lock:
            made += ok
            failed += not ok
        sent += 1
        # Paced: this thread's i-th write is due at start + i * threads / rate.
        pause = start + sent * threads / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
for k in range(threads):
    threading.Thread(target=work, args=(k,), daemon=True).start()
while True:
    time.sleep(1)
