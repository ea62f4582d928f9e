# Shared by bench/api.sh and bench/load.sh (sourced after N, PORT and the others are set): the
# release binary (BIN, in the configured target dir), wrk, and the seeded database sr_bench_$N
# (kept between runs; shared with bench/run.sh).
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BIN=${BIN:-$(cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)[\"target_directory\"])")/release/supplier-registry}
DB="sr_bench_$N"
URL="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
[ -x "$BIN" ] || cargo build --release --quiet

have=$(psql "$PG/$DB" -Atqc "select count(*) from suppliers" 2>/dev/null || echo 0)
if [ "$have" -lt "$N" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  DATABASE_URL="$PG/$DB" RUST_LOG=warn "$BIN" seed --suppliers "$N" --seed 42
  psql "$PG/$DB" -qc "VACUUM ANALYZE"
fi

# The bench's admin (kept between runs) and its access token in $token.
bench_token() {
  local email="bench-admin@example.org" password="bench admin password 42"
  echo "$password" | DATABASE_URL="$PG/$DB" RUST_LOG=error "$BIN" admin create-user --email "$email" --role admin >/dev/null 2>&1 || true
  token=$(curl -sf -d grant_type=password -d "username=$email" -d "password=$password" "$URL/v1/auth/token" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
}
