#!/usr/bin/env bash
# Partner-integration benchmark (issue #7), on a fresh database each run:
#  1. import: uploads a CSV of ROWS new suppliers (default 100,000) and times it from the POST to
#     `completed`; then uploads the same file again (every row `unchanged`).
#  2. webhooks: registers a local receiver, imports EVENTS more suppliers (default 10,000) — one
#     `supplier.created` event each — and, while they are delivered, kills the service (SIGKILL)
#     and starts it again, then restarts PostgreSQL (unless RESTART_PG=0). Prints how many distinct
#     `webhook-id`s arrived (must be EVENTS), how many arrived twice (allowed: at least once), and
#     checks every signature against the secret.
#
#   cargo build --release && bench/integration.sh
#   ROWS=100000 EVENTS=10000 RESTART_PG=1 bench/integration.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-100000}
EVENTS=${EVENTS:-10000}
RESTART_PG=${RESTART_PG:-1}
PORT=${PORT:-18081}
RECEIVER_PORT=${RECEIVER_PORT:-18091}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=sr_bench_integration
BIN=${BIN:-$(cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)[\"target_directory\"])")/release/supplier-registry}
WORK=$(mktemp -d)
[ -x "$BIN" ] || cargo build --release --quiet

export DATABASE_URL="$PG/$DB" LISTEN_ADDR="127.0.0.1:$PORT" RATE_LIMIT_PER_SECOND=0 RUST_LOG=warn \
  WEBHOOK_ALLOW_PRIVATE_TARGETS=true HTTP_WORKERS=2 DATABASE_POOL_SIZE=10 \
  SECRET_DIGEST_KEY="bench digest key, not a secret, 32+ bytes" JWT_SIGNING_KEYS_DIR="$WORK/keys"
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start_service() {
  "$BIN" serve 2>>"$WORK/serve.log" &
  SERVICE=$!
  PIDS+=("$SERVICE")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.1; done
  echo "service did not become ready" >&2; exit 1
}

# rows FILE N OFFSET: a CSV of N suppliers (Mexican majority, accented names, capabilities).
rows() {
  python3 - "$1" "$2" "$3" <<'EOF'
import random, sys
path, n, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42 + offset)
words = ["Ensambles", "Diseños", "Logística", "Química", "Precisión", "Óptica", "Nájera", "Peñasco",
         "Bajío", "Pacífico", "Jalisco", "Montaña", "Señal", "Circuitos", "Térmica", "Andrés"]
caps = ["atp.asm", "atp.asm.wb", "atp.tst.ft", "atp.pkg.std", "des.ic.dig", "des.pd", "fab.fdy"]
states = ["MX-JAL", "MX-GUA", "MX-NLE", "MX-CHH", "MX-BCN", "MX-QUE", "MX-SON", None]
with open(path, "w", encoding="utf-8") as f:
    f.write("legal_name,tax_id,country,subdivision,city,sector,employees,capabilities,certifications\n")
    for i in range(offset, offset + n):
        name = f"{rng.choice(words)} {rng.choice(words)} {i} S.A. de C.V."
        letters = "".join(chr(65 + (i // 26 ** k) % 26) for k in range(3))
        tax = f"{letters}{i % 100:02d}{(i // 100) % 12 + 1:02d}{(i // 1200) % 28 + 1:02d}{i % 10}{chr(65 + i % 26)}{(i // 10) % 10}"
        state = rng.choice(states) or ""
        c = ";".join(rng.sample(caps, rng.randint(1, 3)))
        cert = "iso_9001@2030-01-01" if i % 3 == 0 else ""
        f.write(f"{name},{tax},MX,{state},,manufacturing,{rng.randint(1, 400)},{c},{cert}\n")
EOF
}

# upload FILE: POSTs the CSV, waits for `completed`, prints "seconds counts".
upload() {
  local start id report
  start=$(date +%s.%N)
  id=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/imports" -H "authorization: Bearer $TOKEN" \
        -H 'content-type: text/csv' --data-binary @"$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  while :; do
    report=$(curl -sf "http://127.0.0.1:$PORT/v1/imports/$id" -H "authorization: Bearer $TOKEN" || true)
    case "$report" in *'"status":"completed"'*|*'"status":"failed"'*) break ;; esac
    sleep 0.1
  done
  python3 -c '
import json, sys
from datetime import datetime
r = json.loads(sys.argv[1])
work = (datetime.fromisoformat(r["finished_at"].replace("Z", "+00:00")) - datetime.fromisoformat(r["started_at"].replace("Z", "+00:00"))).total_seconds()
print(f"{float(sys.argv[2]):.2f}", f"{work:.2f}", r["status"], json.dumps(r["counts"], separators=(",", ":")))' \
    "$report" "$(echo "$(date +%s.%N) - $start" | bc)"
}

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
mkdir -p "$WORK/keys" && "$BIN" keys generate --dir "$WORK/keys" >/dev/null
start_service
CLIENT=$("$BIN" admin create-client --name bench --role admin)
CID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$CLIENT")
CSECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$CLIENT")
token() {
  curl -sf -u "$CID:$CSECRET" -d grant_type=client_credentials "http://127.0.0.1:$PORT/v1/auth/token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
TOKEN=$(token)

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== import: $ROWS new suppliers"
rows "$WORK/import.csv" "$ROWS" 0
echo "file: $(du -h "$WORK/import.csv" | cut -f1)"
read -r secs work status counts < <(upload "$WORK/import.csv")
echo "first run:  $secs s from the POST to completed ($work s in the worker)  $status $counts  => $(echo "$ROWS / $secs" | bc) rows/s end to end, $(echo "$ROWS / $work" | bc) rows/s in the worker"
read -r secs work status counts < <(upload "$WORK/import.csv")
echo "second run: $secs s ($work s in the worker)  $status $counts  => $(echo "$ROWS / $secs" | bc) rows/s end to end (all unchanged)"
echo "service RSS after imports: $(( $(awk '/VmRSS/ {print $2}' /proc/$SERVICE/status) / 1024 )) MB"

[ "$EVENTS" = 0 ] && exit 0
echo
echo "== webhooks: $EVENTS events across a service kill and a PostgreSQL restart"
python3 - "$RECEIVER_PORT" "$WORK/received" 2>/dev/null <<'EOF' &
import sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
port, out = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
f = open(out, "a", buffering=1)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            f.write(f'{self.headers["webhook-id"]} {self.headers["webhook-timestamp"]} {self.headers["webhook-signature"]} {body.hex()}\n')
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
class S(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True
S(("127.0.0.1", port), H).serve_forever()
EOF
PIDS+=($!)
sleep 0.5
SECRET=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/webhooks" -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' \
  -d "{\"url\": \"http://127.0.0.1:$RECEIVER_PORT/hook\", \"events\": [\"supplier.created\"]}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
rows "$WORK/events.csv" "$EVENTS" "$ROWS"
received() { cut -d' ' -f1 "$WORK/received" 2>/dev/null | sort -u | wc -l; }
START=$(date +%s.%N)
read -r secs work status counts < <(upload "$WORK/events.csv")
echo "events committed (import of $EVENTS): $secs s $counts"
until [ "$(received)" -ge $((EVENTS / 5)) ]; do sleep 0.05; done
kill -9 "$SERVICE"; echo "killed the service (SIGKILL) at $(received) delivered"
sleep 1
start_service; echo "service restarted"
if [ "$RESTART_PG" = 1 ]; then
  until [ "$(received)" -ge $((EVENTS / 2)) ]; do sleep 0.05; done
  echo "restarting PostgreSQL at $(received) delivered"
  pg_ctlcluster --skip-systemctl-redirect 15 main restart -m fast
fi
for _ in $(seq 1 600); do [ "$(received)" -ge "$EVENTS" ] && break; sleep 0.5; done
ELAPSED=$(echo "$(date +%s.%N) - $START" | bc)
# Deliveries whose success was not recorded (the kill, the restart) are sent again when their lease
# ends: wait for the outbox to drain, so that the duplicate count is the final one.
for _ in $(seq 1 180); do
  [ "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")" = 0 ] && break
  sleep 0.5
done
python3 - "$WORK/received" "$SECRET" "$EVENTS" "$ELAPSED" <<'EOF'
import base64, hashlib, hmac, sys
path, secret, expected, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
key = base64.b64decode(secret[len("whsec_"):])
ids, total, bad = {}, 0, 0
for line in open(path):
    wid, ts, sig, body = line.split()
    total += 1
    ids[wid] = ids.get(wid, 0) + 1
    want = base64.b64encode(hmac.new(key, f"{wid}.{ts}.".encode() + bytes.fromhex(body), hashlib.sha256).digest()).decode()
    if not any(s.split(",", 1)[1] == want for s in sig.split(" ") if s.startswith("v1,")):
        bad += 1
dups = sum(1 for n in ids.values() if n > 1)
print(f"delivered: {len(ids)} distinct webhook-ids of {expected} ({'none lost' if len(ids) == expected else f'{expected - len(ids)} MISSING'}); "
      f"{total} requests, {dups} ids delivered more than once (at-least-once); bad signatures: {bad}; "
      f"{elapsed:.1f} s from the upload to the last new delivery")
sys.exit(0 if len(ids) == expected and bad == 0 else 1)
EOF
psql "$DATABASE_URL" -Atc "SELECT 'outbox: ' || string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM webhook_deliveries GROUP BY 1 ORDER BY 1) s"
