"""A steady stream of writes for bench/under-writes.sh: RATE supplier registrations per second
(each one change on the write path: row, audit entry, event, outbox), paced, over one keep-alive
connection, until killed. Prints how many it made and at what rate when it stops.

    URL=http://127.0.0.1:18085 TOKEN=… RATE=50 python3 bench/writer.py
"""

import http.client
import json
import os
import signal
import sys
import time
import urllib.parse

url = urllib.parse.urlparse(os.environ["URL"])
token = os.environ["TOKEN"]
rate = float(os.environ.get("RATE", "50"))
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
start = time.monotonic()
made = failed = 0


def stop(*_):
    elapsed = time.monotonic() - start
    print(f"writer: {made} changes in {elapsed:.0f} s ({made / elapsed:.1f}/s), {failed} failed",
          file=sys.stderr)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
n = int(time.time() * 1000) % 10_000_000
while True:
    n += 1
    body = json.dumps({"legal_name": f"Escritura continua {n}", "tax_id": f"WR{n:08d}",
                       "country": "CA", "sector": "services", "employees": 12,
                       "capabilities": [{"code": "atp.tst"}]})
    try:
        conn.request("POST", "/v1/suppliers", body, {"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        made += resp.status == 201
        failed += resp.status != 201
    except (OSError, http.client.HTTPException):
        failed += 1
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    # Paced: the n-th write is due at start + n / rate.
    due = start + (made + failed) / rate
    pause = due - time.monotonic()
    if pause > 0:
        time.sleep(pause)
