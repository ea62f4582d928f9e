#!/usr/bin/env bash
# The partner-contract check (issue #13), for .ci/run and for a developer's machine:
#
#   tests/contract/run.sh path/to/supplier-registry
#
# 1. installs its tools outside the clone's history: npm packages from package-lock.json (npm ci,
#    cache in /var/cache/supplier-registry/npm) and a venv from requirements.txt
#    (/var/cache/supplier-registry/venv-contract, rebuilt only when requirements.txt changes);
# 2. lints openapi/openapi.json (Redocly CLI `recommended`, Spectral `spectral:oas`: 0 errors);
# 3. checks it for changes that break a client of openapi/released/v1.json (api-smart-diff),
#    after a self-test showing that the check catches what it must;
# 4. starts the service on a fresh database (sr_contract) and creates an admin API client;
# 5. generates the Python client (openapi-python-client, no warning allowed), imports every
#    module and runs partner.py; generates the TypeScript types (openapi-typescript), type-checks
#    partner.ts with tsc --strict and runs it with node;
# 6. fuzzes the live service with Schemathesis (every check, default expectations; the hooks in
#    st_hooks.py make positive cases respect the document's prose rules), as an admin and
#    anonymously;
# 6b. checks /v1/reconcile against the Reconciliation Service API 0.2 schemas (reconcile.py);
# 7. validates every example of the document against its schema and sends them (examples.py):
#    each operation built from its examples must be answered 2xx. Last, so that what it creates
#    changes nothing the steps above meet (run before the fuzzer, its suppliers led Schemathesis
#    to a different case); an example value the fuzzer already took is made unique (examples.py).
# Every step runs even when an earlier one failed (except those that need what failed); the
# summary at the end lists them, and the exit code is non-zero when any failed.
#
# Environment: CONTRACT_STEPS (default "lint diff python ts fuzz reconcile examples": only some),
# CONTRACT_DB (default sr_contract), SCHEMATHESIS_MAX_EXAMPLES (30), SCHEMATHESIS_SEED (fixed),
# KEEP_TMP=1 keeps the temporary directory (generated clients, logs, reports).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:?usage: tests/contract/run.sh path/to/supplier-registry}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || { echo "contract: $BIN is not an executable" >&2; exit 2; }

CACHE=/var/cache/supplier-registry
VENV="$CACHE/venv-contract"
STEPS="${CONTRACT_STEPS:-lint diff python ts fuzz reconcile examples}"
DB="${CONTRACT_DB:-sr_contract}"
PG="postgres://postgres@127.0.0.1:5432"
SPEC="$ROOT/openapi/openapi.json"
RELEASED="$ROOT/openapi/released/v1.json"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"
SEED="${SCHEMATHESIS_SEED:-20261201}"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
export PYTHONDONTWRITEBYTECODE=1

TMP="$(mktemp -d /tmp/contract.XXXXXX)"
SERVICE_PID=""
cleanup() {
  if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill "$SERVICE_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVICE_PID" 2>/dev/null || true
  fi
  if [ "${KEEP_TMP:-}" = 1 ]; then echo "contract: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\n==> contract: %s\n' "$*"; }
has_step() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Results, for the summary.
FAILED=()
SUMMARY=()
PASSED=0
fail() { FAILED+=("$1"); echo "contract: FAILED: $1" >&2; }
passed() { PASSED=$((PASSED + 1)); echo "contract: ok: $1"; }
note() { SUMMARY+=("$1"); }

# ---------------------------------------------------------------------------------------------
# 1. Tools
install_tools() {
  log "npm ci (tests/contract/package-lock.json)"
  local stamp="$HERE/node_modules/.contract-lock.sha256" want
  want="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1) $(node --version)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$HERE" && npm ci --cache "$CACHE/npm" --prefer-offline --ignore-scripts --no-audit \
      --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  else
    echo "node_modules is up to date with package-lock.json"
  fi
  log "Python tools (tests/contract/requirements.txt) in $VENV"
  want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1) $(python3 --version 2>&1)"
  if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$HERE/requirements.txt"
    echo "$want" > "$VENV/.requirements.sha256"
  else
    echo "venv is up to date with requirements.txt"
  fi
}

NPX() { "$HERE/node_modules/.bin/$1" "${@:2}"; }

# ---------------------------------------------------------------------------------------------
# 2. Lint
lint() {
  log "Redocly CLI lint (recommended; tests/contract/redocly.yaml)"
  local out="$TMP/redocly.txt" rc=0
  (cd "$HERE" && NPX redocly lint --config "$HERE/redocly.yaml" --format stylish "$SPEC") >"$out" 2>&1 || rc=$?
  grep -vE '^\s*$|[║╔╚]' "$out" || true
  local r_err r_warn
  r_err=$(grep -cE '^\s+[0-9]+:[0-9]+\s+error\s' "$out" || true)
  r_warn=$(grep -cE '^\s+[0-9]+:[0-9]+\s+warning\s' "$out" || true)
  if [ "$rc" = 0 ] && [ "$r_err" = 0 ]; then passed "Redocly lint"; else fail "Redocly lint: $r_err error(s)"; fi
  log "Spectral lint (spectral:oas; tests/contract/spectral.yaml)"
  out="$TMP/spectral.txt"; rc=0
  (cd "$HERE" && NPX spectral lint --ruleset "$HERE/spectral.yaml" --format text \
    --fail-severity error "$SPEC") >"$out" 2>&1 || rc=$?
  # Rules turned down to info (spectral.yaml says why) are counted, not listed.
  grep -v ' information ' "$out" || true
  local s_err s_warn s_info
  s_err=$(grep -cE ':[0-9]+:[0-9]+ error ' "$out" || true)
  s_warn=$(grep -cE ':[0-9]+:[0-9]+ warning ' "$out" || true)
  s_info=$(grep -cE ':[0-9]+:[0-9]+ information ' "$out" || true)
  echo "Spectral: $s_err error(s), $s_warn warning(s), $s_info at info (turned down in spectral.yaml)"
  if [ "$rc" = 0 ] && [ "$s_err" = 0 ]; then passed "Spectral lint"; else fail "Spectral lint: $s_err error(s)"; fi
  note "lint: Redocly $r_err error(s), $r_warn warning(s) left; Spectral $s_err error(s), $s_warn warning(s) left, $s_info info (accepted ones: .redocly.lint-ignore.yaml and spectral.yaml, each with its reason)"
}

# ---------------------------------------------------------------------------------------------
# 3. Breaking changes against the released document
diff_check() {
  log "breaking-change check: self-test (api-smart-diff must catch what breaks a client)"
  if node "$HERE/breaking.js" --self-test "$RELEASED"; then passed "breaking-change self-test"; else
    fail "breaking-change self-test"; fi
  log "breaking-change check: openapi/released/v1.json -> openapi/openapi.json"
  if node "$HERE/breaking.js" "$RELEASED" "$SPEC"; then
    passed "no breaking change"
    note "breaking changes: none against openapi/released/v1.json"
  else
    fail "breaking changes against openapi/released/v1.json"
    note "breaking changes: FOUND against openapi/released/v1.json (listed above)"
  fi
}

# ---------------------------------------------------------------------------------------------
# 4. The service
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_service() {
  log "service: fresh database $DB, $BIN serve"
  psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || {
    echo "contract: cannot drop database $DB on $PG" >&2; return 1; }
  local port; port=$(free_port)
  export DATABASE_URL="$PG/$DB"
  export BASE_URL="http://127.0.0.1:$port"
  LISTEN_ADDR="127.0.0.1:$port" WEBHOOK_ALLOW_PRIVATE_TARGETS=true RATE_LIMIT_PER_SECOND=0 \
    APP_ENV=development ACCESS_TOKEN_TTL_SECONDS=3600 RUST_LOG="${RUST_LOG:-warn}" \
    "$BIN" serve >"$TMP/service.log" 2>&1 &
  SERVICE_PID=$!
  local ok=""
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$BASE_URL/readyz" 2>/dev/null; then ok=1; break; fi
    kill -0 "$SERVICE_PID" 2>/dev/null || break
    sleep 0.5
  done
  if [ -z "$ok" ]; then
    tail -n 40 "$TMP/service.log" >&2
    echo "contract: the service did not become ready on $BASE_URL" >&2
    return 1
  fi
  echo "ready on $BASE_URL (log: $TMP/service.log)"
  local created
  created=$("$BIN" admin create-client --name partner --role admin 2>>"$TMP/service.log") || {
    echo "contract: admin create-client failed (log: $TMP/service.log)" >&2; return 1; }
  ADMIN_CLIENT_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$created")
  ADMIN_CLIENT_SECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$created")
  export ADMIN_CLIENT_ID ADMIN_CLIENT_SECRET
}

# An access token for the fuzzer (its own admin client, so that whatever it does to accounts
# cannot touch the partner scripts' client). Plain HTTP here: this is the harness, not a partner.
fuzzer_token() {
  local created id secret
  created=$("$BIN" admin create-client --name fuzzer --role admin 2>>"$TMP/service.log") || return 1
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$created")
  secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$created")
  curl -fsS "$BASE_URL/v1/auth/token" --data-urlencode grant_type=client_credentials \
    --data-urlencode "client_id=$id" --data-urlencode "client_secret=$secret" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# ---------------------------------------------------------------------------------------------
# 5a. Python client
python_client() {
  log "Python client: openapi-python-client generate (tests/contract/python-client.yaml)"
  local out="$TMP/py" genlog="$TMP/python-generate.txt" rc=0
  (cd "$TMP" && PATH="$VENV/bin:$PATH" "$VENV/bin/openapi-python-client" generate --path "$SPEC" \
    --config "$HERE/python-client.yaml" --meta setup --output-path "$out" --fail-on-warning) \
    >"$genlog" 2>&1 || rc=$?
  cat "$genlog"
  if [ "$rc" != 0 ] || grep -qiE 'warning|not in PATH|Unable to|Cannot|error' "$genlog"; then
    fail "Python client generation (warnings or errors above)"
  else
    passed "Python client generated without warnings"
  fi
  [ -d "$out/supplier_registry_client" ] || { fail "Python client: nothing generated"; return 0; }
  local ops
  ops=$(find "$out/supplier_registry_client/api" -name '*.py' ! -name '__init__.py' | wc -l)
  log "Python client: import every generated module"
  if PYTHONPATH="$out" "$VENV/bin/python" "$HERE/import_all.py" supplier_registry_client; then
    passed "every generated Python module imports"
    note "python client: $ops operations generated, every module imports"
  else
    fail "Python client: generated modules that do not import"
    note "python client: $ops operations generated, some modules do not import"
  fi
  log "Python client: partner.py against $BASE_URL"
  if PYTHONPATH="$out" "$VENV/bin/python" "$HERE/partner.py"; then passed "partner.py"; else fail "partner.py"; fi
}

# ---------------------------------------------------------------------------------------------
# 5b. TypeScript client
ts_client() {
  log "TypeScript: openapi-typescript -> tests/contract/generated/schema.d.ts"
  mkdir -p "$HERE/generated"
  # From the temporary directory: openapi-typescript would otherwise read redocly.yaml (ours, for
  # lint) and refuse to generate while lint has errors; generation is judged on its own here.
  if ! (cd "$TMP" && NPX openapi-typescript "$SPEC" --output "$HERE/generated/schema.d.ts"); then
    fail "openapi-typescript"; return 0
  fi
  passed "openapi-typescript"
  # Operations in the generated types: the members of `export interface operations`.
  local ops
  ops=$(awk '/^export interface operations \{/{on=1; next} on && /^\}/{on=0} on && /^    [A-Za-z0-9_]+: \{$/{n++} END{print n+0}' \
    "$HERE/generated/schema.d.ts")
  log "TypeScript: tsc --strict --noEmit (tests/contract/tsconfig.json)"
  if (cd "$HERE" && NPX tsc -p tsconfig.json --noEmit); then
    passed "tsc --strict"
    note "typescript: types for $ops operations generated (the webhook included), tsc --strict clean"
  else
    fail "tsc --strict (errors above)"
    note "typescript: types for $ops operations generated (the webhook included), tsc --strict FAILED"
  fi
  log "TypeScript: compile partner.ts and run it with node against $BASE_URL"
  # Type errors were reported above; emit anyway so the story still runs and shows what works.
  (cd "$HERE" && NPX tsc -p tsconfig.json --outDir "$TMP/ts" --noEmit false --noEmitOnError false) \
    >/dev/null 2>&1 || true
  if [ -f "$TMP/ts/partner.js" ] && NODE_PATH="$HERE/node_modules" node "$TMP/ts/partner.js"; then
    passed "partner.ts"
  else
    fail "partner.ts"
  fi
}

# ---------------------------------------------------------------------------------------------
# 6. Schemathesis
fuzz_once() { # NAME [schemathesis args...]
  local name="$1"; shift
  local dir="$TMP/schemathesis-$name" rc=0
  mkdir -p "$dir"
  log "Schemathesis ($name): --checks all, --max-examples $MAX_EXAMPLES, seed $SEED"
  # One worker: with the fixed seed, the same test cases and so the same failures on every run
  # (two workers interleave the requests, and the database state each case meets, differently).
  # The hooks (st_hooks.py) make the positive cases respect the rules the document states in
  # prose (issued cursors, current ETags, tax ids valid for the country, ...).
  (cd "$dir" && SCHEMATHESIS_HOOKS="$HERE/st_hooks.py" "$VENV/bin/schemathesis" --config-file "$HERE/schemathesis.toml" run "$SPEC" \
    --url "$BASE_URL" --checks all --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 \
    --generation-database none --request-timeout 10 --no-color --report junit \
    --report-dir "$dir" "$@") >"$dir/output.txt" 2>&1 || rc=$?
  # Each failure with its reproduction, then the run's own summary.
  sed -n '/^=* FAILURES =*$/,/^=* SUMMARY =*$/p' "$dir/output.txt" | head -n 1500
  sed -n '/^=* SUMMARY =*$/,$p' "$dir/output.txt"
  if ! grep -q '=== SUMMARY' "$dir/output.txt"; then tail -n 40 "$dir/output.txt"; fi
  local report counts
  report=$(python3 "$HERE/st_report.py" "$dir" "$dir/output.txt" || true)
  counts=$(tail -n 1 <<<"$report")
  echo "failures by check and operation ($name):"
  sed '$d' <<<"$report"
  # shellcheck disable=SC2086
  set -- $counts
  note "schemathesis ($name): every check, ${4:-?} test cases; $1 operations and scenarios tested, $2 failing; ${3:-?} failure(s)"
  if [ "$rc" = 0 ]; then passed "Schemathesis ($name)"; else fail "Schemathesis ($name): ${3:-?} failure(s)"; fi
}

fuzz() {
  local token
  token=$(fuzzer_token) || { fail "fuzzer token"; return 0; }
  fuzz_once admin --header "Authorization: Bearer $token"
  fuzz_once anonymous
}

# ---------------------------------------------------------------------------------------------
# 6b. The Reconciliation Service API 0.2 (issue #16): /v1/reconcile against the community group's
# JSON schemas (vendored in reconciliation/0.2), after a self-test of the validation.
reconcile() {
  log "reconcile: the Reconciliation Service API 0.2 schemas, then /v1/reconcile against them"
  local token rc=0
  "$VENV/bin/python" "$HERE/reconcile.py" --self-test >"$TMP/reconcile-self.txt" 2>&1 || rc=$?
  tail -n 3 "$TMP/reconcile-self.txt"
  if [ "$rc" != 0 ]; then fail "reconcile: self-test"; return 0; fi
  token=$(fuzzer_token) || { fail "reconcile token"; return 0; }
  "$VENV/bin/python" "$HERE/reconcile.py" "$BASE_URL" "$token" >"$TMP/reconcile.txt" 2>&1 || rc=$?
  grep -E '^(FAIL|WARN|reconcile:)|^  ' "$TMP/reconcile.txt" | tail -n 40 || true
  if [ "$rc" = 0 ]; then passed "reconcile (0.2 schemas and behaviour)"; else fail "reconcile: see above"; fi
}

# ---------------------------------------------------------------------------------------------
# 7. The document's examples: each validates against its schema, and each operation built from
# them is answered 2xx (issue #13). Plain HTTP with the admin client's credentials.
examples() {
  log "examples: every example against its schema, and every operation sent with its examples"
  local out="$TMP/examples.txt" rc=0
  "$VENV/bin/python" "$HERE/examples.py" "$SPEC" >"$out" 2>&1 || rc=$?
  grep -v '^COUNTS ' "$out" || true
  # COUNTS validated invalid operations sent answered-2xx requests requests-2xx failures
  local counts
  counts=$(grep '^COUNTS ' "$out" | tail -n 1 | cut -d' ' -f2- || true)
  # shellcheck disable=SC2086
  set -- $counts
  note "examples: ${1:-?} validated against their schemas, ${2:-?} invalid; ${4:-?} of ${3:-?} operations sent from their examples, ${5:-?} answered 2xx (${7:-?} of ${6:-?} requests); ${8:-?} failure(s)"
  if [ "$rc" = 0 ]; then passed "examples (valid, and answered 2xx)"; else fail "examples: ${8:-?} failure(s) (listed above)"; fi
}

# ---------------------------------------------------------------------------------------------
started=$(date +%s)
install_tools
has_step lint && lint
has_step diff && diff_check
if has_step examples || has_step python || has_step ts || has_step fuzz || has_step reconcile; then
  if start_service; then
    has_step python && python_client
    has_step ts && ts_client
    has_step fuzz && fuzz
    has_step reconcile && reconcile
    has_step examples && examples
  else
    fail "service start"
  fi
fi

log "summary ($(($(date +%s) - started)) s)"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "  FAILED (${#FAILED[@]}):"
  for line in "${FAILED[@]}"; do echo "    - $line"; done
fi
# The plain closing line: checks passed and failed.
echo "contract: $PASSED passed, ${#FAILED[@]} failed"
[ "${#FAILED[@]}" = 0 ]
