#!/usr/bin/env python3
"""Reconciliation Service API 0.2 conformance check for `/v1/reconcile` (issue #16).

    python reconcile.py BASE_URL TOKEN    # against a running service; TOKEN: an admin token
    python reconcile.py --self-test       # the schemas and the validation alone, no server

The W3C Entity Reconciliation Community Group's JSON schemas for 0.2 are vendored byte for byte in
reconciliation/0.2/ (see its README.md). They declare `"$schema": "http://json-schema.org/schema#"`,
which names no draft; the group's own test harness validates them with ajv-cli 3.0.0 (ajv 6,
draft-07), and their keywords (`contains`, `definitions`, `patternProperties`) are draft-07's, so
they are read as Draft 7 here. Their `$ref`s are resolved locally, never over the network:
`type.json` by its `$id`, and manifest.json's `authentication` reference into the Swagger 2.0
schema (vendored beside them) by that schema's id.

Only the standard library and `jsonschema` (>= 4.18, with `referencing`) are used. The live run
creates its own suppliers (names and RFCs new on every run, so it can run again on the same
database), prints one line per check and a summary, and exits 1 on any failure, 2 when the
harness itself could not run (service down, token refused, fixtures not created).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

from jsonschema import Draft4Validator, Draft7Validator, Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT7

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "reconciliation" / "0.2"
CG_SCHEMAS = (
    "manifest.json",
    "reconciliation-query-batch.json",
    "reconciliation-result-batch.json",
    "type.json",
)
SWAGGER = "swagger-2.0-schema.json"  # what manifest.json's `authentication` $ref points into
SUPPLIER_TYPE = [{"id": "supplier", "name": "Supplier"}]
TIMEOUT = 30


# --- schemas -------------------------------------------------------------------------------------
def load_schemas() -> tuple[dict[str, dict], Registry]:
    """The vendored schemas by file name, and a registry that resolves every `$ref` among them."""
    schemas = {n: json.loads((SCHEMAS / n).read_text(encoding="utf-8")) for n in CG_SCHEMAS}
    resources = [(s["$id"], DRAFT7.create_resource(s)) for s in schemas.values()]
    swagger_path = SCHEMAS / SWAGGER
    if swagger_path.exists():
        swagger = json.loads(swagger_path.read_text(encoding="utf-8"))
        # its draft-04 `id` is "http://swagger.io/v2/schema.json#": the URI without the fragment
        resources.append((swagger["id"].rstrip("#"), DRAFT4.create_resource(swagger)))
    return schemas, Registry().with_resources(resources)


SCHEMA_DOCS, REGISTRY = load_schemas()


def validator(name: str, cls: type = Draft7Validator) -> Any:
    return cls(SCHEMA_DOCS[name], registry=REGISTRY)


def schema_errors(name: str, doc: Any, cls: type = Draft7Validator) -> list[str]:
    """Every violation of schema `name` by `doc`, as `at <instance path>: <keyword> (<schema
    path>): <message>`; empty when valid."""
    out = []
    for err in sorted(validator(name, cls).iter_errors(doc), key=lambda e: list(e.path)):
        where = err.json_path
        rule = "/".join(str(p) for p in err.schema_path)
        msg = err.message if len(err.message) < 200 else err.message[:200] + "…"
        out.append(f"at {where}: `{err.validator}` ({name}#/{rule}): {msg}")
    return out


# --- reporting -----------------------------------------------------------------------------------
class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, verdict: str, name: str, detail: str = "") -> None:
        self.rows.append((verdict, name, detail))
        line = f"{verdict:<5} {name}"
        if detail:
            line += "\n        " + detail.replace("\n", "\n        ")
        print(line, flush=True)

    def check(self, name: str, ok: bool, detail: str = "", *, warn: bool = False) -> bool:
        """`warn`: a SHOULD of the spec (or a note): reported, never a failure."""
        self.add("PASS" if ok else ("WARN" if warn else "FAIL"), name, "" if ok else detail)
        return ok

    def skip(self, name: str, why: str) -> None:
        self.add("SKIP", name, why)

    def count(self, verdict: str) -> int:
        return sum(1 for v, _, _ in self.rows if v == verdict)

    def summary(self, title: str) -> int:
        fails = [(n, d) for v, n, d in self.rows if v == "FAIL"]
        warns = [(n, d) for v, n, d in self.rows if v == "WARN"]
        print(f"\n== {title}: summary ==")
        for label, rows in (("failed", fails), ("warnings", warns)):
            if rows:
                print(f"{label}:")
                for n, d in rows:
                    lines = [ln if len(ln) <= 240 else ln[:240] + "…" for ln in d.splitlines()[:3]]
                    print(f"  - {n}" + "".join(f"\n      {ln}" for ln in lines))
        print(
            f"{title}: {self.count('PASS')} passed, {len(fails)} failed, "
            f"{self.count('SKIP')} skipped, {len(warns)} warnings"
        )
        return 1 if fails else 0


# --- self-test -----------------------------------------------------------------------------------
GOOD_MANIFEST = {
    "versions": ["0.1", "0.2"],
    "name": "Supplier registry",
    "identifierSpace": "https://registry.example/v1/suppliers/",
    "schemaSpace": "https://registry.example/v1/schema/supplier",
    "defaultTypes": SUPPLIER_TYPE,
    "view": {"url": "https://registry.example/v1/suppliers/{{id}}"},
}
GOOD_BATCH = {
    "q0": {
        "query": "Ensambles del Bajío S.A. de C.V.",
        "type": "supplier",
        "limit": 3,
        "properties": [{"pid": "tax_id", "v": "EBA0102035A1"}, {"pid": "country", "v": "MX"}],
    },
    "q1": {"query": "Ensambles del Bajio", "type": ["supplier"]},
}
GOOD_RESULT = {
    "q0": {
        "result": [
            {"id": "0190f1c2-7c1e-7000-8000-000000000001", "name": "Ensambles del Bajío S.A. de C.V.",
             "score": 1.0, "match": True, "type": SUPPLIER_TYPE},
            {"id": "0190f1c2-7c1e-7000-8000-000000000002", "name": "Ensambles Bajío", "score": 0.41,
             "match": False, "type": ["supplier"], "features": [{"id": "name", "value": 0.4}]},
        ]
    },
    "q1": {"result": []},
}


def _with(doc: dict, path: tuple, value: Any = ..., ) -> dict:
    """A deep copy of `doc` with the item at `path` replaced by `value` (removed when `...`)."""
    doc = json.loads(json.dumps(doc))
    *head, last = path
    node = doc
    for k in head:
        node = node[k]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


SELF_TEST_CASES: list[tuple[str, str, Any, bool]] = [
    # (schema, what, document, valid?)
    ("manifest.json", "the manifest the contract describes", GOOD_MANIFEST, True),
    ("manifest.json", "with an apiKey security scheme (Swagger $ref)",
     {**GOOD_MANIFEST, "authentication": {"type": "apiKey", "name": "Authorization", "in": "header"}},
     True),
    ("manifest.json", "with a preview and suggest metadata",
     {**GOOD_MANIFEST, "preview": {"url": "https://r.example/p/{{id}}", "width": 400, "height": 300},
      "suggest": {"entity": {"service_url": "https://r.example", "service_path": "/suggest",
                             "flyout_service_path": "/flyout/${id}"}}}, True),
    ("manifest.json", "versions without 0.2 (`contains`)", {**GOOD_MANIFEST, "versions": ["0.1"]}, False),
    ("manifest.json", "no identifierSpace (`required`)", _with(GOOD_MANIFEST, ("identifierSpace",)), False),
    ("manifest.json", "no schemaSpace (`required`)", _with(GOOD_MANIFEST, ("schemaSpace",)), False),
    ("manifest.json", "view.url without {{id}} (`pattern`)",
     _with(GOOD_MANIFEST, ("view", "url"), "https://r.example/suppliers/"), False),
    ("manifest.json", "a default type without name (type.json `required`, via $ref)",
     _with(GOOD_MANIFEST, ("defaultTypes",), [{"id": "supplier"}]), False),
    ("manifest.json", "the same default type twice (`uniqueItems`)",
     _with(GOOD_MANIFEST, ("defaultTypes",), SUPPLIER_TYPE * 2), False),
    ("manifest.json", "an apiKey scheme without name/in (Swagger $ref `oneOf`)",
     {**GOOD_MANIFEST, "authentication": {"type": "apiKey"}}, False),
    ("manifest.json", "a preview without width/height", {**GOOD_MANIFEST, "preview": {"url": "x/{{id}}"}},
     False),
    ("manifest.json", "an array, not an object", [GOOD_MANIFEST], False),
    ("reconciliation-query-batch.json", "the batch this test sends (shape)", GOOD_BATCH, True),
    ("reconciliation-query-batch.json", "properties only, no query (0.2 allows it)",
     {"q0": {"properties": [{"pid": "tax_id", "v": ["EBA0102035A1", "X"]}]}}, True),
    ("reconciliation-query-batch.json", "an empty batch", {}, True),
    ("reconciliation-query-batch.json", "neither query nor properties (`anyOf`)", {"q0": {"limit": 3}},
     False),
    ("reconciliation-query-batch.json", "empty properties, no query (`minItems`)",
     {"q0": {"properties": []}}, False),
    ("reconciliation-query-batch.json", "an unknown field (`additionalProperties`)",
     {"q0": {"query": "x", "match_all": True}}, False),
    ("reconciliation-query-batch.json", "a property without v (`required`)",
     {"q0": {"query": "x", "properties": [{"pid": "country"}]}}, False),
    ("reconciliation-query-batch.json", "limit as a string (`type`)", {"q0": {"query": "x", "limit": "1"}},
     False),
    ("reconciliation-query-batch.json", "a query that is a string", {"q0": "Ensambles"}, False),
    ("reconciliation-query-batch.json", "an array, not an object", [{"query": "x"}], False),
    ("reconciliation-result-batch.json", "the answer the contract describes", GOOD_RESULT, True),
    ("reconciliation-result-batch.json", "no `result` (`required`)", {"q0": {}}, False),
    ("reconciliation-result-batch.json", "a candidate without score (`required`)",
     _with(GOOD_RESULT, ("q0", "result", 0, "score")), False),
    ("reconciliation-result-batch.json", "a candidate without name (`required`)",
     _with(GOOD_RESULT, ("q0", "result", 0, "name")), False),
    ("reconciliation-result-batch.json", "score as a string (`type`)",
     _with(GOOD_RESULT, ("q0", "result", 0, "score"), "1.0"), False),
    ("reconciliation-result-batch.json", "match as a string (`type`)",
     _with(GOOD_RESULT, ("q0", "result", 0, "match"), "exact"), False),
    ("reconciliation-result-batch.json", "a type object without id (`oneOf`)",
     _with(GOOD_RESULT, ("q0", "result", 0, "type"), [{"name": "Supplier"}]), False),
    ("reconciliation-result-batch.json", "type as an object, not an array (`type`)",
     _with(GOOD_RESULT, ("q0", "result", 0, "type"), SUPPLIER_TYPE[0]), False),
    ("reconciliation-result-batch.json", "an array, not an object", [GOOD_RESULT["q0"]], False),
    ("type.json", "a type", SUPPLIER_TYPE[0], True),
    ("type.json", "a type without name", {"id": "supplier"}, False),
]


def self_test() -> int:
    rep = Report()
    print(f"schemas: {SCHEMAS}")
    for name in (*CG_SCHEMAS, SWAGGER):
        path = SCHEMAS / name
        if not path.exists():
            rep.check(f"{name} is vendored", False, f"missing: {path}")
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta = Draft4Validator if name == SWAGGER else Draft7Validator  # it declares draft-04
        errs = [e.message for e in meta(meta.META_SCHEMA).iter_errors(doc)]
        draft = "Draft 4" if name == SWAGGER else "Draft 7"
        rep.check(f"{name} is a valid {draft} schema", not errs, "\n".join(errs[:5]))
    for schema, what, doc, want in SELF_TEST_CASES:
        errs = schema_errors(schema, doc)
        ok = (not errs) == want
        detail = ("expected valid; " + "; ".join(errs)) if want else "expected invalid, but it passed"
        rep.check(f"{schema}: {what} is {'valid' if want else 'invalid'}", ok, detail)
        if ok and not want:
            print(f"        ({errs[0]})")
        # the verdict must not hang on the draft chosen for "http://json-schema.org/schema#"
        latest = not schema_errors(schema, doc, Draft202012Validator)
        if latest != (not errs):
            rep.check(f"{schema}: {what}: Draft 7 and 2020-12 agree", False,
                      f"draft-07 valid={not errs}, 2020-12 valid={latest}", warn=True)
    return rep.summary("reconcile self-test")


# --- HTTP ----------------------------------------------------------------------------------------
class Answer:
    def __init__(self, method: str, url: str, status: int, headers: Any, body: bytes, sent: str):
        self.method, self.url, self.status, self.headers, self.body, self.sent = (
            method, url, status, headers, body, sent)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def describe(self) -> str:
        text = self.body.decode("utf-8", "replace")
        text = text if len(text) <= 600 else text[:600] + "…"
        sent = f" body {self.sent[:300]!r}" if self.sent else ""
        return (f"request: {self.method} {self.url}{sent}\n"
                f"answer: {self.status} {self.content_type or '(no Content-Type)'} {text}")


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         ) -> Answer:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    sent = body.decode("utf-8", "replace") if body else ""
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return Answer(method, url, resp.status, resp.headers, resp.read(), sent)
    except urllib.error.HTTPError as err:
        return Answer(method, url, err.code, err.headers, err.read(), sent)


def candidate_ids(ans: Answer, key: str) -> list:
    """The candidate ids of query `key` in a 200 JSON answer; [] for anything else."""
    try:
        doc = ans.json() if ans.status == 200 else {}
        return [c.get("id") for c in doc[key]["result"] if isinstance(c, dict)]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


class Harness(Exception):
    """The test could not run (not a finding about the service)."""


# --- fixtures ------------------------------------------------------------------------------------
RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def company_rfc(n: int, letters: str) -> str:
    """A company RFC valid by the SAT rule (as examples.py makes them): 3 letters, a real date
    YYMMDD, two homoclave characters and the mod-11 check character."""
    yy, n = n % 100, n // 100
    mm, n = n % 12 + 1, n // 12
    dd, n = n % 28 + 1, n // 28
    h1, n = ALNUM[n % 36], n // 36
    h2 = ALNUM[n % 36]
    first11 = f"{letters}{yy:02d}{mm:02d}{dd:02d}{h1}{h2}"
    padded = first11.rjust(12)
    total = sum(RFC_ALPHABET.index(c) * (13 - i) for i, c in enumerate(padded))
    check = (11 - total % 11) % 11
    return first11 + ("A" if check == 10 else str(check))


def run_word(n: int) -> str:
    """A made-up word, new on each run, so that the test's own suppliers match nothing else."""
    cons, vows = "bdfgklmprstvz", "aeiou"
    out = ""
    for _ in range(4):
        n, c = divmod(n, len(cons))
        n, v = divmod(n, len(vows))
        out += cons[c] + vows[v]
    return out.capitalize()


class Live:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.url = self.base + "/v1/reconcile"
        self.token = token
        self.rep = Report()
        stamp = int(time.time() * 10)
        self.word = run_word(stamp)
        self.rfc_seed = (stamp % 10_000_000) * 4

    # -- calls
    def auth(self, anon: bool) -> dict[str, str]:
        return {} if anon else {"Authorization": f"Bearer {self.token}"}

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        ans = http(method, self.base + path, body=data, headers=headers)
        if ans.status not in (200, 201):
            raise Harness(f"fixture {method} {path}: {ans.status} {ans.body[:400]!r}")
        return ans.json()

    def post_form(self, batch_text: str, anon: bool, extra: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode({"queries": batch_text}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                   **self.auth(anon), **(extra or {})}
        return http("POST", self.url, body=body, headers=headers)

    def post_json(self, body_text: str, anon: bool) -> Answer:
        headers = {"Content-Type": "application/json", "Accept": "application/json", **self.auth(anon)}
        return http("POST", self.url, body=body_text.encode(), headers=headers)

    def send(self, mode: str, batch: dict, anon: bool) -> Answer:
        errs = schema_errors("reconciliation-query-batch.json", batch)
        if errs:  # the test's own input must be right before the service is judged on it
            raise Harness("the test's own batch breaks reconciliation-query-batch.json: " + "; ".join(errs))
        text = json.dumps(batch, ensure_ascii=False)
        return self.post_form(text, anon) if mode == "form" else self.post_json(text, anon)

    # -- fixtures
    def supplier(self, legal_name: str, k: int, state: str) -> dict:
        body = {"legal_name": legal_name, "tax_id": company_rfc(self.rfc_seed + k, "RCN"),
                "country": "MX", "sector": "manufacturing", "employees": 25}
        doc = self.admin("POST", "/v1/suppliers", body)
        for step in {"draft": [], "pending": ["submit"], "verified": ["submit", "verify"]}[state]:
            doc = self.admin("POST", f"/v1/suppliers/{doc['id']}/{step}")
        if doc.get("status") != state:
            raise Harness(f"fixture {legal_name}: status {doc.get('status')!r}, wanted {state!r}")
        print(f"fixture: {state:<8} {doc['id']} {legal_name!r} tax_id={doc['tax_id']}")
        return doc

    # -- checks
    def run(self) -> int:
        try:
            self.manifest()
            self.queries()
        except Harness as err:
            print(f"\nHARNESS ERROR (not a finding): {err}")
            self.rep.summary("reconcile")
            return 2
        return self.rep.summary("reconcile")

    def manifest(self) -> None:
        rep = self.rep
        ans = http("GET", self.url, headers={"Accept": "application/json",
                                             "Origin": "https://openrefine.example"})
        if ans.status == 404:
            raise Harness(f"GET {self.url} is 404: no reconciliation endpoint in this binary")
        ok = rep.check("GET /v1/reconcile (anonymous) is 200 JSON",
                       ans.status == 200 and ans.content_type == "application/json", ans.describe())
        if not ok:
            return
        doc = ans.json()
        print("        manifest: " + json.dumps(doc, ensure_ascii=False))
        errs = schema_errors("manifest.json", doc)
        rep.check("the manifest is valid by manifest.json", not errs, "\n".join(errs))
        versions = doc.get("versions")
        rep.check('manifest `versions` contains "0.2"', isinstance(versions, list) and "0.2" in versions,
                  f"versions = {versions!r}")
        rep.check('manifest `defaultTypes` is [{"id": "supplier", "name": "Supplier"}]',
                  doc.get("defaultTypes") == SUPPLIER_TYPE, f"defaultTypes = {doc.get('defaultTypes')!r}")
        view = (doc.get("view") or {}).get("url") if isinstance(doc.get("view"), dict) else None
        rep.check("manifest `view.url` contains {{id}}", isinstance(view, str) and "{{id}}" in view,
                  f"view = {doc.get('view')!r}")
        rep.check("manifest `view.url` is …/v1/suppliers/{{id}} (contract)",
                  isinstance(view, str) and view.endswith("/v1/suppliers/{{id}}"), f"view.url = {view!r}")
        for key in ("name", "identifierSpace", "schemaSpace"):
            val = doc.get(key)
            rep.check(f"manifest `{key}` is present and not empty", isinstance(val, str) and val.strip() != "",
                      f"{key} = {val!r}")
        for key in ("identifierSpace", "schemaSpace"):  # spec: "as a URI"
            val = doc.get(key)
            parsed = urllib.parse.urlsplit(val) if isinstance(val, str) else None
            rep.check(f"manifest `{key}` is an absolute URI (0.2: identifier/schema space)",
                      bool(parsed and parsed.scheme and (parsed.netloc or parsed.path)), f"{key} = {val!r}")
        if "authentication" in doc:
            rep.check("manifest declares no security scheme (0.2: with one, every query MUST send "
                      "credentials, but anonymous callers may reconcile)", False,
                      f"authentication = {doc['authentication']!r}", warn=True)
        rep.check("GET /v1/reconcile allows cross-origin access (0.2 §Cross-Origin Access: MUST "
                  "enable CORS on all endpoints)", bool(ans.headers.get("Access-Control-Allow-Origin")),
                  "no Access-Control-Allow-Origin in the answer to a GET with Origin: "
                  "https://openrefine.example\n" + ans.describe())
        self.view_url = view
        self.manifest_doc = doc
        # the manifest's URIs are the service's identity: they should not be the caller's to choose
        spaces = lambda d: {k: d.get(k) for k in ("identifierSpace", "schemaSpace")} | {  # noqa: E731
            "view.url": (d.get("view") or {}).get("url") if isinstance(d.get("view"), dict) else None}
        mine = spaces(doc)
        for what, hdrs, warn in (
            ("X-Forwarded-Host/-Proto from an untrusted peer (the service trusts forwarded headers "
             "only from TRUSTED_PROXIES, empty by default)",
             {"X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "https"}, False),
            ("the Host header (0.2: identifier and schema space identify the service's entities "
             "and types; services SHOULD keep them the same)", {"Host": "attacker.example"}, True),
        ):
            other = http("GET", self.url, headers={"Accept": "application/json", **hdrs})
            try:
                theirs = spaces(other.json())
            except (ValueError, AttributeError):
                theirs = {}
            rep.check(f"manifest URIs do not follow {what}", theirs == mine,
                      f"request headers {hdrs}\nwithout them: {mine}\nwith them:    {theirs}", warn=warn)
        # JSONP: 0.2 §Cross-Origin Access says endpoints "MAY support JSONP": optional, not tested
        rep.skip("GET /v1/reconcile?callback=cb (JSONP)",
                 'optional in 0.2 ("endpoints exposed by the service MAY support JSONP"); '
                 "the contract does not ask for it")

    def queries(self) -> None:
        rep = self.rep
        w = self.word
        print(f"\nrun word: {w}")
        verified = self.supplier(f"Maquinados {w} Peñalosa y Compañía S.A. de C.V.", 0, "verified")
        sibling = self.supplier(f"Maquinados {w} Hermanos S. de R.L.", 1, "verified")
        draft = self.supplier(f"Fundición {w} Núñez S.A. de C.V.", 2, "draft")
        pending = self.supplier(f"Tornería {w} Ibáñez S.A. de C.V.", 3, "pending")
        misspelt = f"Maquinado {w} Penaloza y Compania S.A. de C.V."  # s→z, ñ→n, no accents, -s
        props = lambda d: [{"pid": "tax_id", "v": d["tax_id"]}, {"pid": "country", "v": "MX"}]  # noqa: E731
        batch = {
            "exact": {"query": verified["legal_name"], "type": "supplier", "properties": props(verified)},
            "misspelt": {"query": misspelt},
            "word": {"query": f"Maquinados {w}"},
            "limit1": {"query": f"Maquinados {w}", "limit": 1},
            "nonsense": {"query": "Qxzvwk Jjyhgf Pppzzt 40417"},
            "draft": {"query": draft["legal_name"], "properties": props(draft)},
            "pending": {"query": pending["legal_name"], "properties": props(pending)},
        }
        print("batch: " + json.dumps(batch, ensure_ascii=False))

        # an index that is updated behind the write may need a moment
        deadline = time.monotonic() + 10
        while True:
            ans = self.send("json", {"q": batch["exact"]}, anon=True)
            found = verified["id"] in candidate_ids(ans, "q")
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.5)

        for mode in ("form", "json"):
            for anon in (True, False):
                who = "anonymous" if anon else "with token"
                label = f"POST {'queries= form' if mode == 'form' else 'JSON body'} ({who})"
                ans = self.send(mode, batch, anon)
                ok = rep.check(f"{label}: 200 application/json",
                               ans.status == 200 and ans.content_type == "application/json", ans.describe())
                if not ok:
                    continue
                try:
                    res = ans.json()
                except ValueError:
                    rep.check(f"{label}: body is JSON", False, ans.describe())
                    continue
                if isinstance(res, dict):
                    for key, r in res.items():
                        cands = r.get("result") if isinstance(r, dict) else r
                        brief = [(c.get("name"), c.get("score"), c.get("match")) for c in cands
                                 if isinstance(c, dict)] if isinstance(cands, list) else cands
                        print(f"        {key}: {brief}")
                errs = schema_errors("reconciliation-result-batch.json", res)
                rep.check(f"{label}: valid by reconciliation-result-batch.json", not errs,
                          "\n".join(errs) + "\n" + ans.describe())
                self.judge(label, ans, res, batch, verified, sibling, draft, pending, anon)
        self.cors_and_auth(batch)
        self.invalid()
        self.optional(batch, verified)

    def judge(self, label: str, ans: Answer, res: Any, batch: dict, verified: dict, sibling: dict,
              draft: dict, pending: dict, anon: bool) -> None:
        rep = self.rep
        if not isinstance(res, dict):
            return
        rep.check(f"{label}: one answer per query, same keys", set(res) == set(batch),
                  f"sent {sorted(batch)}, got {sorted(res)}")

        def results(key: str) -> list:
            r = res.get(key)
            return r.get("result", []) if isinstance(r, dict) and isinstance(r.get("result"), list) else []

        def ids(key: str) -> list:
            return [c.get("id") for c in results(key) if isinstance(c, dict)]

        every = [c for k in batch for c in results(k) if isinstance(c, dict)]
        bad_type = [c for c in every if c.get("type") != SUPPLIER_TYPE]
        rep.check(f'{label}: every candidate\'s type is [{{"id": "supplier", "name": "Supplier"}}]',
                  not bad_type, f"{len(bad_type)} of {len(every)}, e.g. {bad_type[:2]}")
        bad_score = [c for c in every if type(c.get("score")) not in (int, float)]
        rep.check(f"{label}: every score is a number", not bad_score, f"e.g. {bad_score[:2]}")
        bad_match = [c for c in every if type(c.get("match")) is not bool]
        rep.check(f"{label}: every candidate has a boolean `match` (contract)", not bad_match,
                  f"e.g. {bad_match[:2]}")
        unsorted = [k for k in batch
                    if [c.get("score") for c in results(k)] != sorted(
                        (c.get("score") for c in results(k)), key=lambda s: -s
                        if isinstance(s, (int, float)) else 0)]
        rep.check(f"{label}: candidates sorted by decreasing score (0.2: SHOULD)", not unsorted,
                  f"unsorted in {unsorted}", warn=True)

        ex = results("exact")
        first = ex[0] if ex else {}
        rep.check(f"{label}: exact name + tax_id + country → the supplier first with match: true",
                  first.get("id") == verified["id"] and first.get("match") is True,
                  f"wanted {verified['id']} first with match true; got {ex[:3]}")
        if first.get("id") == verified["id"]:
            rep.check(f"{label}: the candidate's name is the legal name", first.get("name") == verified[
                "legal_name"], f"name {first.get('name')!r}, legal_name {verified['legal_name']!r}",
                warn=True)
        others_true = [c for c in ex[1:] if c.get("match") is True]
        rep.check(f"{label}: only the exact candidate has match: true", not others_true,
                  f"also match true: {others_true}")

        mis = results("misspelt")
        hit = [c for c in mis if c.get("id") == verified["id"]]
        rep.check(f"{label}: misspelt name without accents → the supplier with match: false",
                  bool(hit) and hit[0].get("match") is False,
                  f"query {batch['misspelt']['query']!r}: wanted {verified['id']} with match false; "
                  f"got {mis[:3]}")
        if hit:
            rep.check(f"{label}: misspelt name → the supplier first", mis[0].get("id") == verified["id"],
                      f"rank {mis.index(hit[0]) + 1}: {mis[:3]}", warn=True)

        word_ids = ids("word")
        rep.check(f"{label}: the run word finds both verified suppliers (so limit 1 means something)",
                  verified["id"] in word_ids and sibling["id"] in word_ids,
                  f"wanted {verified['id']} and {sibling['id']}; got {results('word')[:5]}", warn=True)
        rep.check(f"{label}: limit 1 → at most one candidate", len(results("limit1")) <= 1,
                  f"got {len(results('limit1'))}: {results('limit1')}")
        rep.check(f"{label}: limit 1 → one candidate (there are two)", len(results("limit1")) == 1,
                  f"got {results('limit1')}", warn=True)
        rep.check(f"{label}: nonsense → result []", isinstance(res.get("nonsense"), dict)
                  and res["nonsense"].get("result") == [], f"got {res.get('nonsense')}")

        for name, doc in (("draft", draft), ("pending", pending)):
            there = doc["id"] in ids(name)
            if anon:
                rep.check(f"{label}: a {name} supplier is not returned to anonymous callers", not there,
                          f"{doc['id']} ({doc['legal_name']!r}, {name}) returned: {results(name)}")
            else:
                rep.check(f"{label}: a {name} supplier is returned with an admin token", there,
                          f"{doc['id']} ({doc['legal_name']!r}, {name}) not returned: {results(name)}")
        if anon:
            hidden = {draft["id"], pending["id"]}
            leaked = [c for c in every if c.get("id") in hidden]
            rep.check(f"{label}: no unverified supplier anywhere in the anonymous answer", not leaked,
                      f"{leaked}")

    def cors_and_auth(self, batch: dict) -> None:
        rep = self.rep
        small = json.dumps({"q0": batch["word"]})
        ans = self.post_form(small, anon=True, extra={"Origin": "https://openrefine.example"})
        rep.check("POST /v1/reconcile (form) allows cross-origin access (0.2: MUST enable CORS)",
                  bool(ans.headers.get("Access-Control-Allow-Origin")),
                  "no Access-Control-Allow-Origin\n" + ans.describe())
        for asked in ("content-type", "content-type, authorization"):
            # a browser sends this before a JSON POST (content-type) or one with a token
            pre = http("OPTIONS", self.url, headers={
                "Origin": "https://openrefine.example", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": asked})
            allow = (pre.headers.get("Access-Control-Allow-Methods") or "").upper()
            allowed_h = (pre.headers.get("Access-Control-Allow-Headers") or "").lower()
            rep.check(f"OPTIONS /v1/reconcile preflight (POST; {asked}) is allowed (0.2: MUST enable CORS)",
                      200 <= pre.status < 300 and bool(pre.headers.get("Access-Control-Allow-Origin"))
                      and ("POST" in allow or "*" in allow)
                      and all(h.strip() in allowed_h or "*" in allowed_h for h in asked.split(",")),
                      f"request headers: Origin: https://openrefine.example, Access-Control-Request-Method: "
                      f"POST, Access-Control-Request-Headers: {asked}\n"
                      f"Access-Control-Allow-Origin={pre.headers.get('Access-Control-Allow-Origin')!r} "
                      f"Access-Control-Allow-Methods={allow!r} Access-Control-Allow-Headers={allowed_h!r}\n"
                      + pre.describe())
        bad = self.post_form(small, anon=True, extra={"Authorization": "Bearer not-a-token"})
        rep.check("POST with an invalid bearer token is 401 (0.2 §Authentication: MUST; contract: 401 "
                  "with WWW-Authenticate)", bad.status == 401 and bool(bad.headers.get("WWW-Authenticate")),
                  bad.describe())

    def invalid(self) -> None:
        rep = self.rep
        cases: list[tuple[str, Callable[[], Answer], Any]] = [
            ("queries= is not JSON", lambda: self.post_form("{not json", anon=True), None),
            ("JSON body is not JSON", lambda: self.post_json("{not json", anon=True), None),
            ("queries= is a JSON array, not an object",
             lambda: self.post_form('[{"query": "Maquinados"}]', anon=True), [{"query": "Maquinados"}]),
            ("JSON body is a string, not an object", lambda: self.post_json('"Maquinados"', anon=True),
             "Maquinados"),
            ("queries= has a query without `query`",
             lambda: self.post_form('{"q0": {"limit": 3}}', anon=True), {"q0": {"limit": 3}}),
            ("JSON body has a query without `query`",
             lambda: self.post_json('{"q0": {"type": "supplier"}}', anon=True), {"q0": {"type": "supplier"}}),
            ("queries= has a query that is a string",
             lambda: self.post_form('{"q0": "Maquinados"}', anon=True), {"q0": "Maquinados"}),
        ]
        for what, call, doc in cases:
            if doc is not None:  # the test's invalid input is invalid by the CG's schema, too
                assert schema_errors("reconciliation-query-batch.json", doc), what
            ans = call()
            body: Any = None
            try:
                body = ans.json()
            except ValueError:
                pass
            ok = (ans.status == 400 and ans.content_type == "application/problem+json"
                  and isinstance(body, dict) and body.get("status") == 400 and bool(body.get("title")))
            rep.check(f"invalid batch ({what}) → 400 application/problem+json", ok, ans.describe())
        ans = http("POST", self.url, body=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
        rep.check("POST without a `queries` field → 400 problem+json",
                  ans.status == 400 and ans.content_type == "application/problem+json", ans.describe())

    def optional(self, batch: dict, verified: dict) -> None:
        """What 0.2 allows or recommends beyond the contract: reported as warnings."""
        rep = self.rep
        q = json.dumps({"q0": batch["exact"]}, ensure_ascii=False)
        ans = http("GET", self.url + "?" + urllib.parse.urlencode({"queries": q}),
                   headers={"Accept": "application/json"})
        good = False
        if ans.status == 200:
            try:
                doc = ans.json()
                good = not schema_errors("reconciliation-result-batch.json", doc) and "q0" in doc
            except ValueError:
                pass
        rep.check("GET /v1/reconcile?queries=… answers a result batch (0.2: SHOULD)", good, ans.describe(),
                  warn=True)
        # 0.2 query shapes beyond the contract's, each valid by reconciliation-query-batch.json
        shapes = [
            ("`type` as a list of type ids (0.2 text: \"type: An array of types\"; schema: "
             "properties/type/oneOf/1)", {"query": batch["misspelt"]["query"], "type": ["supplier"]}, False),
            ("`v` as a list of values (schema: properties/properties/items/properties/v/oneOf/1)",
             {"query": batch["exact"]["query"], "properties": [
                 {"pid": "tax_id", "v": [verified["tax_id"]]}, {"pid": "country", "v": ["MX"]}]}, True),
            ("`v` as an entity object {id, name} (schema: definitions/property_value/oneOf/3)",
             {"query": batch["exact"]["query"], "properties": [
                 {"pid": "country", "v": {"id": "MX", "name": "Mexico"}}]}, True),
            ("`type_strict` (schema: properties/type_strict)",
             {"query": batch["exact"]["query"], "type": "supplier", "type_strict": "should"}, True),
        ]
        for what, q, warn in shapes:
            ans = self.send("form", {"q0": q}, anon=True)
            ok = ans.status == 200 and verified["id"] in candidate_ids(ans, "q0")
            rep.check(f"a 0.2-valid query with {what} is answered and finds the supplier", ok,
                      ans.describe(), warn=warn)
        doc = {"q0": {"properties": batch["exact"]["properties"]}}
        ans = self.send("form", doc, anon=True)
        hit = verified["id"] in candidate_ids(ans, "q0")
        rep.check("a query with properties only (valid in 0.2: `query` optional) finds the supplier",
                  hit, "the contract makes `query` required, so a 400 here is the contract's choice; "
                  "0.2 allows it\n" + ans.describe(), warn=True)
        view = getattr(self, "view_url", None)
        if isinstance(view, str) and "{{id}}" in view:
            url = view.replace("{{id}}", urllib.parse.quote(verified["id"], safe=""))
            if url.startswith("/"):
                url = self.base + url
            if url.startswith(self.base):
                ans = http("GET", url, headers={"Accept": "application/json"})
                try:
                    ok = ans.status == 200 and ans.json().get("id") == verified["id"]
                except (ValueError, AttributeError):
                    ok = False
                rep.check("view.url with a candidate id resolves to that supplier (anonymous GET)", ok,
                          ans.describe())
            else:
                rep.skip("view.url resolves", f"{view!r} is not under {self.base}")


def main(argv: list[str]) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 3 or argv[1].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    try:
        return Live(argv[1], argv[2]).run()
    except (urllib.error.URLError, OSError) as err:
        print(f"HARNESS ERROR (not a finding): {err}")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
