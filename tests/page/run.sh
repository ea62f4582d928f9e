#!/usr/bin/env bash
# Browser test of the public page: tests/page/run.sh BINARY
# A fresh database ($PAGE_DB, default sr_page) seeded with 3,000 suppliers, the service on a free
# port, then page.test.mjs in headless Chromium (Debian's; no browser download). Screenshots are
# kept in ${PAGE_ARTEFACTS:-tests/page/out}. The server is stopped however the test ends.
set -euo pipefail

BIN=${1:?usage: tests/page/run.sh BINARY}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
DB=${PAGE_DB:-sr_page}
PG=${PAGE_PG:-postgres://postgres@127.0.0.1:5432}
[[ $DB =~ ^[a-z0-9_]+$ ]] || { echo "PAGE_DB must be a plain name" >&2; exit 2; }
export DATABASE_URL="$PG/$DB"
ARTEFACTS=${PAGE_ARTEFACTS:-$HERE/out}
mkdir -p "$ARTEFACTS"
ARTEFACTS=$(cd "$ARTEFACTS" && pwd)

# Chromium and the node packages.
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "no Chromium at $CHROMIUM (install Debian's chromium, or set CHROMIUM)" >&2; exit 2
  fi
fi
if [[ ! -d $HERE/node_modules ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --cache "${NPM_CACHE:-/var/cache/supplier-registry/npm}")
fi

# A fresh, seeded database: `serve` creates and migrates it; stop it once /readyz answers.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_ready() { # URL PID
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1/readyz" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "the service exited; its log:" >&2; cat "$LOG" >&2; return 1; }
    sleep 0.2
  done
  echo "the service was not ready in 60 s; its log:" >&2; cat "$LOG" >&2; return 1
}
SERVER=
stop() { [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=; return 0; }
trap stop EXIT
LOG=$ARTEFACTS/server.log
export APP_ENV=development RATE_LIMIT_PER_SECOND=0 STATS_CACHE_SECONDS=0

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
PORT=$(free_port)
LISTEN_ADDR=127.0.0.1:$PORT "$BIN" serve >"$LOG" 2>&1 &
SERVER=$!
wait_ready "http://127.0.0.1:$PORT" "$SERVER"
stop
"$BIN" seed --suppliers 3000 --seed 7

# The service for the test.
PORT=$(free_port)
LISTEN_ADDR=127.0.0.1:$PORT "$BIN" serve >"$LOG" 2>&1 &
SERVER=$!
export BASE_URL=http://127.0.0.1:$PORT
wait_ready "$BASE_URL" "$SERVER"
echo "service at $BASE_URL (database $DB); screenshots in $ARTEFACTS"

status=0
(cd "$HERE" && PAGE_ARTEFACTS=$ARTEFACTS node --test --test-reporter=spec page.test.mjs) || status=$?
stop
exit $status
