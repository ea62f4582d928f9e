#!/usr/bin/env bash
# Load and soak test (issue #14): a steady mix (60% reads by id, 30% searches, 10% registrations
# with a token; bench/load.lua) at RATE requests/s, then three times it, then a soak at RATE for
# SOAK seconds with the service's RSS sampled every 10 s. Loopback only, bounded in time. Prints
# the status counts of each phase (the targets: no 5xx; overload shed only as 429 or 503) and the
# RSS series (flat over the soak). The service's per-caller limit is LIMIT requests/s (default
# RATE): the steady mix fits under it, three times it does not, so that phase shows the
# shedding. The reads come anonymously from one address, so they share one limit.
#
#   bench/load.sh [N]                 (default 100000 seeded suppliers, shared with api.sh)
#   RATE=300 SOAK=600 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-100000}
RATE=${RATE:-300}
PHASE=${PHASE:-60}
SOAK=${SOAK:-600}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18083}
source bench/common.sh

DATABASE_URL="$PG/$DB" LISTEN_ADDR="127.0.0.1:$PORT" RUST_LOG=warn \
  RATE_LIMIT_PER_SECOND="${LIMIT:-$RATE}" "$BIN" serve 2>/tmp/sr-load.log &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until curl -sf "$URL/readyz" >/dev/null; do sleep 0.05; done

bench_token
TOKEN=$token
IDS=$(psql "$PG/$DB" -Atqc "select string_agg(id::text, ',') from (select id from suppliers where status = 'verified' order by id limit 50) s")
export TOKEN IDS CONNECTIONS

rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status; }
phase() { # NAME RATE SECONDS
  echo "== $1: $2 requests/s for $3 s, $CONNECTIONS connections (RSS before: $(rss) MB)"
  RATE=$2 wrk -t2 -c"$CONNECTIONS" -d"${3}s" -s bench/load.lua "$URL" | grep -E "Requests/sec|statuses|latency"
}

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); binary: $BIN; RSS idle $(rss) MB"
phase "steady" "$RATE" "$PHASE"
phase "three times" "$((RATE * 3))" "$PHASE"
series=()
( phase "soak" "$RATE" "$SOAK" ) &
LOAD=$!
while kill -0 $LOAD 2>/dev/null; do series+=("$(rss)"); sleep 10; done
wait $LOAD
echo "RSS during the soak, every 10 s (MB): ${series[*]}"
echo "RSS after: $(rss) MB"
