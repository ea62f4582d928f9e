#!/usr/bin/env bash
# Identity lookups, matching, reconciliation and the public statistics while the registry is
# being written to (issues #16 and #18): N seeded suppliers (default 1,000,000; kept between runs,
# shared with bench/api.sh), the release build on loopback, bench/writer.py registering WRITES
# suppliers per second (default 50) the whole time, and each operation loaded with
# `wrk -t2 -c8` for DURATION seconds (match with 2 connections and a reconciliation batch with 1:
# their targets are a caller's latency). Prints req/s, p50 and p99, beside pgbench's prepared
# ceiling for the lookups' own SQL; then the cold (first) computation of each statistic, and the
# writer's achieved rate.
#
#   bench/under-writes.sh [N]            (default 1000000)
#   WRITES=50 DURATION=15 bench/under-writes.sh 100000
#   WRITES=0 bench/under-writes.sh       (the same reads with no writes: issue #16's targets)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000000}
DURATION=${DURATION:-15}
WRITES=${WRITES:-50}
PORT=${PORT:-18085}
source bench/common.sh

DATABASE_URL="$PG/$DB" LISTEN_ADDR="127.0.0.1:$PORT" RATE_LIMIT_PER_SECOND=0 RUST_LOG=warn \
  DATABASE_POOL_SIZE="${POOL:-4}" HTTP_WORKERS="${HTTP_WORKERS:-1}" "$BIN" serve 2>/tmp/sr-under-writes.log &
PID=$!
WRITER=""
trap 'kill $PID $WRITER 2>/dev/null || true' EXIT
until curl -sf "$URL/readyz" >/dev/null; do sleep 0.05; done
bench_token

read -r tax duns name <<<"$(psql "$PG/$DB" -Atqc "
  SELECT s.tax_id, r.value, replace(s.legal_name, ' ', '_') FROM suppliers s
  JOIN supplier_external_refs r ON r.supplier_id = s.id AND r.system = 'duns'
  WHERE s.status = 'verified' AND s.country = 'MX' ORDER BY s.id LIMIT 1 OFFSET 777" | tr '|' ' ')"
name=${name//_/ }
echo "machine: $(nproc) cores; $N suppliers; lookups of tax id $tax and duns $duns; writes: $WRITES/s"

# The cold computation of each statistic (the kept answers are empty after start-up).
cold() { curl -s -o /dev/null -w '%{time_total}' "$URL$1" | awk '{printf "%.0f", $1 * 1000}'; }
cold_ladder=$(cold "/v1/stats/ladder?country=MX"); cold_res=$(cold "/v1/stats/resilience?country=MX")
cold_cov=$(cold "/v1/stats/coverage?country=MX"); cold_sum=$(cold "/v1/stats/summary")

if [ "$WRITES" != 0 ]; then
  URL="$URL" TOKEN="$token" RATE="$WRITES" python3 bench/writer.py 2>/tmp/sr-writer.log &
  WRITER=$!
  sleep 2
else
  echo "writer: none (WRITES=0)" >/tmp/sr-writer.log
fi

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; printf "%.1f", v}'; }
load() { # PATH [wrk args...]
  local path=$1; shift
  local out
  out=$(wrk -t"${THREADS:-2}" -c"${CONNS:-8}" -d"${DURATION}s" --latency "$@" "$URL$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
}
ceiling() { # SQL (with :v) VALUE
  printf '%s\n' "$1" >/tmp/sr-ceiling.sql
  pgbench -n -c 8 -j 2 -T "$DURATION" -M prepared -D v="$2" -f /tmp/sr-ceiling.sql "$PG/$DB" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}'
}
row() { # name [ceiling]
  local ratio="—"
  [ -n "${2:-}" ] && ratio=$(awk -v a="$rps" -v b="$2" 'BEGIN {printf "%.2f", a / b}')
  printf '%-34s %9.0f %8s %8s %11s %6s %s\n' "$1" "$rps" "$p50" "$p99" "${2:-—}" "$ratio" "${bad:+non-2xx: $bad}"
}
printf '\n%-34s %9s %8s %8s %11s %6s\n' "operation (under $WRITES writes/s)" "req/s" "p50 ms" "p99 ms" "pgbench" ratio
tax_sql="SELECT s.id FROM suppliers s WHERE s.status = 'verified' AND s.country = 'MX'::bpchar AND s.tax_id = :v ORDER BY s.legal_name, s.id LIMIT 21;"
load "/v1/suppliers?tax_id=$tax&country=MX"; row "lookup by tax_id + country" "$(ceiling "$tax_sql" "$tax")"
ref_sql="SELECT s.id FROM suppliers s WHERE s.status = 'verified' AND s.id IN (SELECT r.supplier_id FROM supplier_external_refs r WHERE r.system = 'duns' AND r.value = :v) ORDER BY s.legal_name, s.id LIMIT 21;"
load "/v1/suppliers?external_ref=duns:$duns"; row "lookup by external_ref" "$(ceiling "$ref_sql" "$duns")"
# Matching is a latency target (one caller asking before it creates): one request per core at a
# time, the machine shared with the writer and PostgreSQL.
# The name as an agency's spreadsheet would have it: accents dropped, the legal form written
# another way (not a number appended, which no name has and which sends the nearest-name scan far).
typo=$(python3 -c "import sys,unicodedata; s=unicodedata.normalize('NFD', sys.argv[1]); print(''.join(c for c in s if not unicodedata.combining(c)).replace('S.A.', 'SA').upper())" "$name")
BODY="{\"legal_name\":\"$typo\",\"country\":\"MX\",\"website\":\"https://www.proveedor-bench.mx\"}" \
  CONTENT_TYPE=application/json AUTHORIZATION="Bearer $token" CONNS=2 \
  load "/v1/suppliers/match" -s bench/post.lua; row "match (name + country + website), 2 conn"
# Ten names of the registry, as a spreadsheet column would hold them.
names=$(psql "$PG/$DB" -Atqc "SELECT legal_name FROM suppliers WHERE status = 'verified' ORDER BY id LIMIT 10 OFFSET 5000")
batch=$(python3 -c "import json,sys; print(json.dumps({f'q{i}': {'query': n, 'properties': [{'pid': 'country', 'v': 'MX'}]} for i, n in enumerate(sys.stdin.read().splitlines())}))" <<<"$names")
BODY="$batch" CONTENT_TYPE=application/json CONNS=1 THREADS=1 \
  load "/v1/reconcile" -s bench/post.lua; row "reconcile, batch of 10, 1 conn"
load "/v1/stats/ladder?country=MX"; row "ladder, MX (kept)"
load "/v1/stats/resilience?country=MX"; row "resilience, MX (kept)"
load "/v1/stats/coverage?country=MX"; row "coverage, MX (kept)"
load "/v1/stats/summary"; row "summary (kept)"
load "/v1/suppliers/facets?country=MX"; row "facets, MX"
load "/v1/suppliers?country=MX&capability=atp&size_class=small"; row "filtered search"
[ -n "$WRITER" ] && { kill $WRITER 2>/dev/null || true; wait $WRITER 2>/dev/null || true; }; WRITER=""
echo
echo "cold (first) computation, ms: ladder $cold_ladder, resilience $cold_res, coverage $cold_cov, summary $cold_sum"
cat /tmp/sr-writer.log
echo "RSS after: $(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$PID/status) MB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
