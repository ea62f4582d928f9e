#!/usr/bin/env bash
# Search benchmark: seeds N suppliers, runs the service (release build) on loopback, loads each
# search shape with wrk (8 connections, 2 threads) and the same SQL with pgbench (8 clients,
# 2 threads, prepared statements) — the database's own ceiling — and prints throughput, p50/p99
# and the ratio; then times a full export and samples the service's RSS meanwhile.
#
#   bench/run.sh [N ...]          (default: 100000 1000000)
#   DURATION=20 bench/run.sh 100000
#   SHAPES="filtered geo" EXPORT=0 bench/run.sh 1000000      (some shapes only, no export)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=("${@:-100000 1000000}")
[ $# -eq 0 ] && SIZES=(100000 1000000)
DURATION=${DURATION:-20}
PORT=${PORT:-18080}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BIN=${BIN:-$(cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)[\"target_directory\"])")/release/supplier-registry}
export PGOPTIONS="-c pg_trgm.word_similarity_threshold=0.35"

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
[ -x "$BIN" ] || cargo build --release --quiet

declare -A URL=(
  [filtered]="/v1/suppliers?capability=atp&country=MX&size_class=small"
  [fuzzy]="/v1/suppliers?q=najera"
  [geo]="/v1/suppliers?near=20.67,-103.35&radius_km=25&sort=distance"
  [facets]="/v1/suppliers/facets?capability=atp&country=MX"
)
read -r -a SHAPES <<<"${SHAPES:-filtered fuzzy geo facets}"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for N in "${SIZES[@]}"; do
  DB="sr_bench_$N"
  have=$(psql "$PG/$DB" -Atqc "select count(*) from suppliers" 2>/dev/null || echo 0)
  if [ "$have" != "$N" ]; then
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    echo "== seeding $N suppliers"
    DATABASE_URL="$PG/$DB" RUST_LOG=warn "$BIN" seed --suppliers "$N" --seed 42
    psql "$PG/$DB" -qc "VACUUM ANALYZE"
  fi
  DATABASE_URL="$PG/$DB" LISTEN_ADDR="127.0.0.1:$PORT" RATE_LIMIT_PER_SECOND=0 RUST_LOG=warn \
    DATABASE_POOL_SIZE=16 HTTP_WORKERS="${HTTP_WORKERS:-1}" "$BIN" serve 2>/tmp/sr-bench-serve.log &
  PID=$!
  trap 'kill $PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

  echo
  echo "== $N suppliers ($(psql "$PG/$DB" -Atqc "select count(*) from suppliers where status = 'verified'") verified)"
  printf '%-9s %10s %9s %9s %12s %10s %7s\n' shape "api req/s" "p50 ms" "p99 ms" "pgbench tps" "pg avg ms" ratio
  for shape in "${SHAPES[@]}"; do
    curl -sf "http://127.0.0.1:$PORT${URL[$shape]}" >/dev/null  # warm up
    out=$(wrk -t2 -c8 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT${URL[$shape]}")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; printf "%.1f", v}'; }
    p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
    p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
    errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    if [ "$shape" = filtered ]; then
      # The service plans this page for its values on every call (a prepared statement in a
      # session with plan_cache_mode = force_custom_plan) and runs the documents as a statement
      # planned once: the database's ceiling is the two measured apart, under the same settings,
      # and added up per request (1/tps = 1/tps_page + 1/tps_documents).
      vars=(-D status=verified -D "caps={atp}" -D country=MX -D size=small -D limit=21)
      ids="{$(psql "$PG/$DB" -Atc "$(sed 1d bench/sql/filtered.sql | sed "s/:status::text/'verified'::text/; s/:caps::text\[\]/'{atp}'::text[]/; s/:country::text/'MX'::text/; s/:size::text/'small'::text/; s/:limit::bigint/21/")" | head -20 | cut -d'|' -f1 | paste -sd,)}"
      pg=$(PGOPTIONS="$PGOPTIONS -c plan_cache_mode=force_custom_plan" pgbench -n -c 8 -j 2 -T "$DURATION" -M prepared "${vars[@]}" -f bench/sql/filtered.sql "$PG/$DB" 2>/dev/null)
      docs=$(PGOPTIONS="$PGOPTIONS -c plan_cache_mode=force_generic_plan" pgbench -n -c 8 -j 2 -T "$DURATION" -M prepared -D ids="$ids" -f bench/sql/documents.sql "$PG/$DB" 2>/dev/null)
      tps=$(awk -v a="$(awk '/^tps/ {print $3}' <<<"$pg")" -v b="$(awk '/^tps/ {print $3}' <<<"$docs")" 'BEGIN {printf "%.1f", 1 / (1 / a + 1 / b)}')
      lat=$(awk -v a="$(awk '/latency average/ {print $4}' <<<"$pg")" -v b="$(awk '/latency average/ {print $4}' <<<"$docs")" 'BEGIN {printf "%.3f", a + b}')
    else
      # Nearest-first pages and their documents run in sessions that plan each statement once.
      pg=$(PGOPTIONS="$PGOPTIONS -c plan_cache_mode=force_generic_plan" pgbench -n -c 8 -j 2 -T "$DURATION" -M prepared -f "bench/sql/$shape.sql" "$PG/$DB" 2>/dev/null)
      tps=$(awk '/^tps/ {print $3}' <<<"$pg")
      lat=$(awk '/latency average/ {print $4}' <<<"$pg")
    fi
    ratio=$(awk -v a="$rps" -v b="$tps" 'BEGIN {printf "%.2f", a/b}')
    # The service keeps the facets answer until a change is committed; pgbench computes it.
    [ "$shape" = facets ] && ratio="kept"
    printf '%-9s %10.0f %9s %9s %12.0f %10s %7s %s\n' "$shape" "$rps" "$p50" "$p99" "$tps" "$lat" "$ratio" "${errors:+non-2xx: $errors}"
  done

  # Export: every verified supplier as CSV, with the service's peak RSS sampled meanwhile.
  if [ "${EXPORT:-1}" = 1 ]; then
  peak=0
  ( while kill -0 $PID 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$PID/status; sleep 0.1; done ) > /tmp/sr-bench-rss.txt &
  SAMPLER=$!
  start=$(date +%s.%N)
  rows=$(curl -sf "http://127.0.0.1:$PORT/v1/suppliers/export?format=csv" | tail -n +2 | wc -l)
  end=$(date +%s.%N)
  kill $SAMPLER 2>/dev/null || true
  peak=$(sort -n /tmp/sr-bench-rss.txt | tail -1)
  awk -v r="$rows" -v s="$start" -v e="$end" -v p="$peak" 'BEGIN {printf "export    %d rows in %.1f s = %.0f rows/s; service peak RSS %.0f MB\n", r, e-s, r/(e-s), p/1024}'
  fi
  kill $PID; wait $PID 2>/dev/null || true
  trap - EXIT
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
