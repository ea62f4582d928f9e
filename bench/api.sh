#!/usr/bin/env bash
# Whole-API benchmark (first part): the reads partners call most, each beside the database's own
# ceiling for the same SQL in the same run. Seeds N suppliers (kept between runs, shared with
# bench/run.sh), starts the release build on loopback, loads each operation with
# `wrk -t2 -c16` for DURATION seconds and the same statement with `pgbench -c 16 -j 2 -M prepared`,
# and prints throughput, p50/p99 and the ratio API ÷ pgbench; the same read from the FastAPI +
# asyncpg peer (bench/peer, installed into a venv outside the clone) and API ÷ peer; then the
# service's start-up time to ready and its RSS idle and after the load.
#
#   bench/api.sh [N]                    (default 100000)
#   DURATION=10 bench/api.sh 100000
#   BIN=/path/to/other/supplier-registry bench/api.sh    (another build, same data)
#   POOL=16 bench/api.sh                (the service's main pool; 4 = twice the cores by default:
#                                        on 2 shared cores, 6 or more connections gave p99 stalls
#                                        of 70–600 ms and less throughput, bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-100000}
DURATION=${DURATION:-15}
PORT=${PORT:-18081}
source bench/common.sh

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); binary: $BIN"
start=$(date +%s.%N)
DATABASE_URL="$PG/$DB" LISTEN_ADDR="127.0.0.1:$PORT" RATE_LIMIT_PER_SECOND=0 RUST_LOG=warn \
  DATABASE_POOL_SIZE="${POOL:-4}" HTTP_WORKERS="${HTTP_WORKERS:-1}" "$BIN" serve 2>/tmp/sr-api-bench.log &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until curl -sf "$URL/readyz" >/dev/null; do sleep 0.02; done
ready=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}')
rss_idle=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status)

bench_token
id=$(psql "$PG/$DB" -Atqc "select id from suppliers where status = 'verified' order by id limit 1 offset 500")

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; printf "%.1f", v}'; }
# load NAME PATH [wrk args...] — prints req/s p50 p99 and remembers req/s in $rps.
load() {
  local name=$1 path=$2; shift 2
  curl -sf "$@" "$URL$path" >/dev/null || true
  local out
  out=$(wrk -t2 -c16 -d"${DURATION}s" --latency "$@" "$URL$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
}
# ceiling SQLFILE [pgbench -D args...] — prints tps of the prepared statement.
ceiling() {
  local file=$1; shift
  pgbench -n -c 16 -j 2 -T "$DURATION" -M prepared "$@" -f "$file" "$PG/$DB" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}'
}
row() { # name ceiling
  local ratio="—"
  [ -n "$2" ] && ratio=$(awk -v a="$rps" -v b="$2" 'BEGIN {printf "%.2f", a / b}')
  printf '%-22s %10.0f %8s %8s %12s %7s %s\n' "$1" "$rps" "$p50" "$p99" "${2:-—}" "$ratio" "${bad:+non-2xx: $bad}"
}

doc_tps=$(ceiling bench/sql/document.sql -D id="$id")
printf '\n%-22s %10s %8s %8s %12s %7s\n' operation "api req/s" "p50 ms" "p99 ms" "pgbench tps" ratio
load "get by id, anonymous" "/v1/suppliers/$id"; row "get by id, anonymous" "$doc_tps"; anon_rps=$rps
load "get by id, token" "/v1/suppliers/$id" -H "Authorization: Bearer $token"; row "get by id, token" "$doc_tps"
# The peer: FastAPI + asyncpg (bench/peer/app.py), one worker as the service has here, same SQL.
PEER_VENV=${PEER_VENV:-/var/cache/supplier-registry/venv-peer}
if [ ! -x "$PEER_VENV/bin/uvicorn" ] || ! cmp -s bench/peer/requirements.txt "$PEER_VENV/requirements.txt"; then
  python3 -m venv "$PEER_VENV" && "$PEER_VENV/bin/pip" install -q -r bench/peer/requirements.txt \
    && cp bench/peer/requirements.txt "$PEER_VENV/requirements.txt"
fi
PEER_PORT=$((PORT + 9))
DATABASE_URL="$PG/$DB" "$PEER_VENV/bin/uvicorn" --app-dir bench/peer app:app --port "$PEER_PORT" \
  --workers 1 --log-level warning --no-access-log 2>/tmp/sr-peer.log &
PEER=$!
until curl -sf "http://127.0.0.1:$PEER_PORT/v1/suppliers/$id" >/dev/null; do sleep 0.1; done
api_anon=$anon_rps
URL_SAVED=$URL; URL="http://127.0.0.1:$PEER_PORT"
load "peer, anonymous" "/v1/suppliers/$id"; row "peer (FastAPI+asyncpg)" "$doc_tps"
URL=$URL_SAVED; kill $PEER 2>/dev/null || true
echo "API ÷ peer, get by id anonymous: $(awk -v a="$api_anon" -v b="$rps" 'BEGIN {printf "%.2f", a / b}')×"
load "history page" "/v1/suppliers/$id/history" -H "Authorization: Bearer $token"; row "history page" ""
load "change feed, 100" "/v1/events?limit=100" -H "Authorization: Bearer $token"; row "change feed, 100" ""
# Token issue: client credentials with HTTP Basic (a client made for each run).
client=$(DATABASE_URL="$PG/$DB" RUST_LOG=error "$BIN" admin create-client --name "bench client $$" --role agency)
basic=$(python3 -c "import base64,json,sys; c=json.loads(sys.argv[1]); print(base64.b64encode((c['client_id']+':'+c['client_secret']).encode()).decode())" "$client")
BODY="grant_type=client_credentials" AUTHORIZATION="Basic $basic" \
  load "token issue" "/v1/auth/token" -s bench/post.lua; row "token issue (client)" ""
# Create: a supplier with three capabilities, written with its audit entry, event and outbox.
BODY='{"legal_name":"Banco de prueba %d","tax_id":"BP%d","country":"CA","sector":"manufacturing","employees":40,"capabilities":[{"code":"atp.asm"},{"code":"atp.tst"},{"code":"fab"}]}' \
  CONTENT_TYPE=application/json AUTHORIZATION="Bearer $token" \
  load "create" "/v1/suppliers" -s bench/post.lua; row "create, 3 capabilities" ""
rss_load=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status)
echo
echo "start-up to ready: ${ready} s (migrated database); RSS idle ${rss_idle} MB, after the load ${rss_load} MB"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
