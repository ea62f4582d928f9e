"""Every example in the OpenAPI document validates against its schema and is answered 2xx (#13).

    BASE_URL=http://127.0.0.1:8080 ADMIN_CLIENT_ID=… ADMIN_CLIENT_SECRET=… \
        python examples.py [path/to/openapi.json]

1. Finds every `example` and `examples` in the document — in schemas and their subschemas at any
   depth (properties, items, allOf/oneOf/anyOf, …), in parameters and headers, in media types of
   request bodies and responses, in components, in webhooks — and validates each against the
   schema it belongs to: JSON Schema Draft 2020-12 (jsonschema_rs, formats asserted), `$ref`s
   resolved against the whole document. A schema's example against that schema; a parameter's
   or header's against its `schema` (or its `content` media type's); a media type's against the
   media `schema`. Each failure names the example's JSON pointer. A self-test first plants bad
   examples in every kind of place in a copy of the document and checks that each is caught.
2. Sends the examples to the live service: for every operation, one request built from them —
   parameter examples (the parameter's own, else its schema's), the media type's example or else
   a body assembled from the body schema's examples (every required property, and each optional
   one whose value can be assembled from examples alone) — with path parameters taken from real
   resources created first (suppliers in the state each transition needs, a user, a client, a
   webhook, an import, a capability code), sent with the admin's token and, for operations open
   to anyone, anonymously too. Anything other than 2xx is a failure, listed with the request sent
   and the answer. Where the test has to put in something that is not an example (a path id, an
   `If-Match`, a required value that has no example), it says so ("adapted", "filled").
   The import example's job is polled too: a 202 whose rows then fail is a failure.
3. Prints counts (examples validated, operations sent, requests answered 2xx) and exits 1 on any
   failure.

Notes:
- Operations that declare no security scheme at all (`security: []`: the token endpoint, JWKS,
  probes) are sent without a token only; the token endpoint with the admin client's id and
  secret in HTTP Basic. Operations open to anyone (`{}` among their requirements) are sent twice.
- An `If-Match` example is a version of no particular resource: the resource's current ETag is
  sent instead (the example's form is checked in 1.).
- Unique values: a create example answered 409 because an earlier call took its value (the
  fuzzer sends the examples too; run.sh runs this step last) is sent again with the value made new
  in the smallest way, and so are the later requests that carry it (UNIQUE). Within the run, the
  supplier patch example (the create example's tax_id) goes to the supplier the create example
  made, so nothing in it needs to change.
- Of an `examples` map (Example Objects), the first is sent; all are validated. The document's
  `webhooks` are validated, not sent (the service sends them).
- EXAMPLES_VERBOSE=1 prints every request and answer, and what the test put in for each.

Plain HTTP (requests), not a generated client: this checks the document's examples, not a client.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema_rs
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "openapi", "openapi.json")
DOC_URI = "urn:x-supplier-registry:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TIMEOUT = 30


def esc(key: str) -> str:
    """A JSON Pointer reference token."""
    return str(key).replace("~", "~0").replace("/", "~1")


def unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def resolve(doc: Any, ref: str) -> Any:
    """The value at a local reference (`#/components/schemas/X`)."""
    if not ref.startswith("#"):
        raise KeyError(f"not a local reference: {ref}")
    node = doc
    for token in filter(None, ref[1:].split("/")):
        token = urllib.parse.unquote(unesc(token))
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


# =============================================================================================
# 1. Finding and validating the examples
# =============================================================================================
@dataclass
class Example:
    pointer: str  # where the example is ("#/…/example")
    value: Any
    schema: str | None  # the pointer of the schema it must validate against


@dataclass
class Finder:
    doc: dict[str, Any]
    found: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # examples that are malformed or belong nowhere
    used_component_examples: set[str] = field(default_factory=set)

    # --- schemas -----------------------------------------------------------------------------
    SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
    SUBSCHEMA_ONE = (
        "additionalProperties",
        "items",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    )
    SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")

    def schema(self, s: Any, ptr: str) -> None:
        if not isinstance(s, dict):
            return  # true / false
        if "example" in s:
            self.found.append(Example(f"{ptr}/example", s["example"], ptr))
        if "examples" in s:
            if isinstance(s["examples"], list):
                for i, value in enumerate(s["examples"]):
                    self.found.append(Example(f"{ptr}/examples/{i}", value, ptr))
            else:
                self.problems.append(f"{ptr}/examples: a schema's `examples` must be an array")
        for key in self.SUBSCHEMA_MAPS:
            if isinstance(s.get(key), dict):
                for name, sub in s[key].items():
                    self.schema(sub, f"{ptr}/{key}/{esc(name)}")
        for key in self.SUBSCHEMA_ONE:
            if key in s:
                self.schema(s[key], f"{ptr}/{key}")
        for key in self.SUBSCHEMA_LISTS:
            if isinstance(s.get(key), list):
                for i, sub in enumerate(s[key]):
                    self.schema(sub, f"{ptr}/{key}/{i}")

    # --- `example` / `examples` of a parameter, header or media type ---------------------------
    def value_examples(self, obj: dict[str, Any], ptr: str, schema_ptr: str | None) -> None:
        if "example" in obj and "examples" in obj:
            self.problems.append(f"{ptr}: `example` and `examples` are mutually exclusive (OpenAPI 3.1 §4.8)")
        wanted = "example" in obj or "examples" in obj
        if wanted and schema_ptr is None:
            self.problems.append(f"{ptr}: an example with no schema to validate it against")
            return
        if "example" in obj:
            self.found.append(Example(f"{ptr}/example", obj["example"], schema_ptr))
        if "examples" in obj:
            if not isinstance(obj["examples"], dict):
                self.problems.append(f"{ptr}/examples: must be a map of Example Objects")
                return
            for name, ex in obj["examples"].items():
                where = f"{ptr}/examples/{esc(name)}"
                at, via = f"{where}/value", ""
                if isinstance(ex, dict) and "$ref" in ex:
                    ref = ex["$ref"]
                    self.used_component_examples.add(ref)
                    try:
                        ex = resolve(self.doc, ref)
                    except (KeyError, IndexError, ValueError):
                        self.problems.append(f"{where}: $ref {ref} resolves to nothing")
                        continue
                    at, via = f"{ref}/value", f" (via {where})"
                if not isinstance(ex, dict):
                    self.problems.append(f"{where}: not an Example Object")
                elif "value" in ex:
                    self.found.append(Example(at + via, ex["value"], schema_ptr))
                elif "externalValue" in ex:
                    self.problems.append(f"{where}: externalValue {ex['externalValue']} is not checked here")

    def param_like(self, p: Any, ptr: str) -> None:
        """A Parameter or Header Object (a `$ref` one is walked where it is defined)."""
        if not isinstance(p, dict) or "$ref" in p:
            return
        schema_ptr = None
        if "schema" in p:
            schema_ptr = f"{ptr}/schema"
            self.schema(p["schema"], schema_ptr)
        for mt, media in (p.get("content") or {}).items():
            self.media(media, f"{ptr}/content/{esc(mt)}")
            if schema_ptr is None and "schema" in media:
                schema_ptr = f"{ptr}/content/{esc(mt)}/schema"
        self.value_examples(p, ptr, schema_ptr)

    def media(self, m: Any, ptr: str) -> None:
        if not isinstance(m, dict):
            return
        if "schema" in m:
            self.schema(m["schema"], f"{ptr}/schema")
        self.value_examples(m, ptr, f"{ptr}/schema" if "schema" in m else None)
        for name, enc in (m.get("encoding") or {}).items():
            for hname, header in (enc.get("headers") or {}).items():
                self.param_like(header, f"{ptr}/encoding/{esc(name)}/headers/{esc(hname)}")

    def content_holder(self, obj: Any, ptr: str) -> None:
        """A Request Body or Response Object."""
        if not isinstance(obj, dict) or "$ref" in obj:
            return
        for hname, header in (obj.get("headers") or {}).items():
            self.param_like(header, f"{ptr}/headers/{esc(hname)}")
        for mt, media in (obj.get("content") or {}).items():
            self.media(media, f"{ptr}/content/{esc(mt)}")

    def path_item(self, item: Any, ptr: str) -> None:
        if not isinstance(item, dict) or "$ref" in item:
            return
        for i, p in enumerate(item.get("parameters") or []):
            self.param_like(p, f"{ptr}/parameters/{i}")
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            optr = f"{ptr}/{method}"
            for i, p in enumerate(op.get("parameters") or []):
                self.param_like(p, f"{optr}/parameters/{i}")
            if "requestBody" in op:
                self.content_holder(op["requestBody"], f"{optr}/requestBody")
            for status, resp in (op.get("responses") or {}).items():
                self.content_holder(resp, f"{optr}/responses/{esc(status)}")
            for cname, callback in (op.get("callbacks") or {}).items():
                if isinstance(callback, dict) and "$ref" not in callback:
                    for expr, cb_item in callback.items():
                        self.path_item(cb_item, f"{optr}/callbacks/{esc(cname)}/{esc(expr)}")

    def run(self) -> None:
        d = self.doc
        for path, item in (d.get("paths") or {}).items():
            self.path_item(item, f"#/paths/{esc(path)}")
        for name, item in (d.get("webhooks") or {}).items():
            self.path_item(item, f"#/webhooks/{esc(name)}")
        comp = d.get("components") or {}
        for name, s in (comp.get("schemas") or {}).items():
            self.schema(s, f"#/components/schemas/{esc(name)}")
        for kind in ("parameters", "headers"):
            for name, p in (comp.get(kind) or {}).items():
                self.param_like(p, f"#/components/{kind}/{esc(name)}")
        for kind in ("requestBodies", "responses"):
            for name, obj in (comp.get(kind) or {}).items():
                self.content_holder(obj, f"#/components/{kind}/{esc(name)}")
        for name, item in (comp.get("pathItems") or {}).items():
            self.path_item(item, f"#/components/pathItems/{esc(name)}")
        for cname, callback in (comp.get("callbacks") or {}).items():
            for expr, cb_item in (callback or {}).items():
                self.path_item(cb_item, f"#/components/callbacks/{esc(cname)}/{esc(expr)}")
        # An Example Object that nothing refers to belongs to no schema: it cannot be checked.
        for name in comp.get("examples") or {}:
            ref = f"#/components/examples/{esc(name)}"
            if ref not in self.used_component_examples:
                self.problems.append(
                    f"{ref}: referred to by no parameter or media type, so it belongs to no schema"
                )


class Validators:
    """Draft 2020-12 validators for schemas inside the document, `$ref`s resolved against it."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.registry = jsonschema_rs.Registry([(DOC_URI, doc)], draft=jsonschema_rs.Draft202012)
        self.cache: dict[str, Any] = {}

    def errors(self, schema_ptr: str, value: Any) -> list[str]:
        if schema_ptr not in self.cache:
            fragment = urllib.parse.quote(schema_ptr[1:], safe="/~")
            self.cache[schema_ptr] = jsonschema_rs.Draft202012Validator(
                {"$ref": f"{DOC_URI}#{fragment}"}, registry=self.registry, validate_formats=True
            )
        out = []
        for err in self.cache[schema_ptr].iter_errors(value):
            at = "/".join(str(p) for p in err.instance_path)
            rule = "/".join(str(p) for p in err.schema_path)
            out.append(f"{err.message} (value at /{at}; rule {rule})")
        return out


def validate_examples(doc: dict[str, Any]) -> tuple[int, list[str]]:
    finder = Finder(doc)
    finder.run()
    validators = Validators(doc)
    failures = list(finder.problems)
    for ex in finder.found:
        try:
            errs = validators.errors(ex.schema, ex.value)
        except Exception as exc:  # noqa: BLE001 - an unresolvable $ref, a bad pattern, …
            errs = [f"the schema {ex.schema} cannot be compiled: {exc}"]
        for e in errs:
            failures.append(
                f"{ex.pointer}: {short(ex.value, 120)} does not validate against {ex.schema}: {e}"
            )
    return len(finder.found), failures


def self_test(doc: dict[str, Any]) -> list[str]:
    """The validation must catch what it must: a copy of the document with bad examples added in
    every kind of place (and good ones beside them) must fail at exactly the bad ones."""
    import copy

    d = copy.deepcopy(doc)
    comp = d.setdefault("components", {})
    schemas = comp.setdefault("schemas", {})
    schemas["XSelfTestCode"] = {"type": "string", "pattern": "^[a-z]{2}$", "example": "ABC"}
    schemas["XSelfTestThing"] = {
        "type": "object",
        "additionalProperties": False,
        "example": {"n": 1, "extra": True},
        "properties": {
            "n": {"type": "integer", "example": "seven"},
            "when": {"type": "string", "format": "date-time", "example": "yesterday"},
            "tags": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/XSelfTestCode"},
                "examples": [["ab"], ["AB"]],
            },
            "deep": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {"m": {"allOf": [{"type": "number", "maximum": 1, "example": 2}]}},
                    },
                ]
            },
        },
    }
    examples = comp.setdefault("examples", {})
    examples["XSelfTestBad"] = {"value": "ZZZ"}
    examples["XSelfTestOrphan"] = {"value": 1}
    d.setdefault("paths", {})["/x-self-test/{code}"] = {
        "post": {
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "schema": {"$ref": "#/components/schemas/XSelfTestCode"},
                    "examples": {
                        "bad": {"$ref": "#/components/examples/XSelfTestBad"},
                        "good": {"value": "ok"},
                    },
                },
                {"name": "h", "in": "header", "schema": {"type": "integer"}, "example": "x"},
                {"name": "q", "in": "query", "schema": {"type": "integer"}, "example": 3},
            ],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/XSelfTestThing"},
                        "example": {"n": "one"},
                    }
                }
            },
            "responses": {
                "200": {
                    "description": "ok",
                    "headers": {"X-N": {"schema": {"type": "integer", "maximum": 3}, "example": 4}},
                }
            },
        }
    }
    p = "#/paths/~1x-self-test~1{code}/post"
    t = "#/components/schemas/XSelfTestThing"
    want = {
        "#/components/schemas/XSelfTestCode/example",
        f"{t}/example",
        f"{t}/properties/n/example",
        f"{t}/properties/when/example",
        f"{t}/properties/tags/examples/1",
        f"{t}/properties/deep/oneOf/1/properties/m/allOf/0/example",
        f"#/components/examples/XSelfTestBad/value (via {p}/parameters/0/examples/bad)",
        f"{p}/parameters/1/example",
        f"{p}/requestBody/content/application~1json/example",
        f"{p}/responses/200/headers/X-N/example",
        "#/components/examples/XSelfTestOrphan",
    }
    _, failures = validate_examples(d)
    _, base = validate_examples(doc)
    added = [f for f in failures if f not in base]
    got = {f.split(": ", 1)[0] for f in added}
    out = [f"self-test: a bad example at {w} is not reported" for w in sorted(want - got)]
    out += [
        f"self-test: reported, but the example is good: {f}" for f in added if f.split(": ", 1)[0] not in want
    ]
    return out


# =============================================================================================
# 2. Sending the examples
# =============================================================================================
class Gap(Exception):
    """A request cannot be built from the document's examples."""


@dataclass
class Built:
    value: Any
    pure: bool  # assembled from examples alone
    fills: list[str]  # what the test put in where the document has no example


def is_null_schema(s: Any) -> bool:
    return isinstance(s, dict) and s.get("type") == "null" and len(s) <= 2


class Assembler:
    """Values assembled from a schema's examples (a body, a parameter)."""

    def __init__(self, doc: dict[str, Any], fills: dict[str, tuple[Callable[[], Any], str]]) -> None:
        self.doc = doc
        self.fill_values = fills  # schema pointer -> the value the test puts in (no example there)

    def build(self, s: Any, ptr: str, need: bool, stack: tuple[str, ...] = ()) -> Built | None:
        """From `example`/`examples` at any depth. `need`: the value is required, so where the
        document has no example the test fills one in (`const`, `default`, the first `enum` value
        or a value of its own, each listed in `fills`); otherwise only pure values are built."""
        if not isinstance(s, dict):
            return None
        if "example" in s:
            return Built(s["example"], True, [])
        if isinstance(s.get("examples"), list) and s["examples"]:
            return Built(s["examples"][0], True, [])
        if "$ref" in s:
            ref = s["$ref"]
            if ref in stack:
                return None
            return self.build(resolve(self.doc, ref), ref, need, stack + (ref,))
        for key in ("oneOf", "anyOf"):
            if isinstance(s.get(key), list):
                branches = [(b, f"{ptr}/{key}/{i}") for i, b in enumerate(s[key]) if not is_null_schema(b)]
                for b, p in branches:
                    got = self.build(b, p, False, stack)
                    if got is not None and got.pure:
                        return got
                if need:
                    for b, p in branches:
                        got = self.build(b, p, True, stack)
                        if got is not None:
                            return got
                return None
        if isinstance(s.get("allOf"), list):
            merged: dict[str, Any] = {}
            fills: list[str] = []
            pure = True
            for i, b in enumerate(s["allOf"]):
                got = self.build(b, f"{ptr}/allOf/{i}", need, stack)
                if got is None or not isinstance(got.value, dict):
                    return None
                merged.update(got.value)
                fills += got.fills
                pure = pure and got.pure
            return Built(merged, pure, fills) if pure or need else None
        types = s.get("type")
        types = types if isinstance(types, list) else [types]
        if "object" in types or "properties" in s:
            out: dict[str, Any] = {}
            fills = []
            required = s.get("required") or []
            for name, sub in (s.get("properties") or {}).items():
                p = f"{ptr}/properties/{esc(name)}"
                if name in required:
                    got = self.build(sub, p, need, stack)
                    if got is None or not (got.pure or need):
                        if need:
                            raise Gap(f"the required {p} has no example (and the test knows no value for it)")
                        return None
                    out[name] = got.value
                    fills += got.fills
                else:
                    got = self.build(sub, p, False, stack)
                    if got is not None and got.pure:
                        out[name] = got.value
            pure = not fills and bool(out)
            if not pure and not need:
                return None
            if not out:
                fills.append(f"{ptr}: {{}} (no property has an example)")
            return Built(out, pure, fills)
        if "array" in types or "items" in s:
            item_need = need and (s.get("minItems") or 0) > 0
            got = self.build(s.get("items", {}), f"{ptr}/items", item_need, stack)
            if got is not None and got.pure:
                return Built([got.value], True, [])
            if not need:
                return None
            if got is not None:
                return Built([got.value], False, got.fills)
            return Built([], False, [f"{ptr}: [] (its items have no example)"])
        if not need:
            return None
        if "const" in s:
            return Built(s["const"], False, [f"{ptr}: {short(s['const'])} (its const; no example)"])
        if "default" in s:
            return Built(s["default"], False, [f"{ptr}: {short(s['default'])} (its default; no example)"])
        if isinstance(s.get("enum"), list):
            first = next((v for v in s["enum"] if v is not None), s["enum"][0])
            return Built(first, False, [f"{ptr}: {short(first)} (the first of its enum; no example)"])
        if ptr in self.fill_values:
            make, label = self.fill_values[ptr]
            value = make()
            return Built(value, False, [f"{ptr}: {label or short(value, 60)} (no example; the test's value)"])
        return None


# --- serialisation (OpenAPI 3.1 §4.8.12.4 style values, the common cases) --------------------
def scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


def query_pairs(param: dict[str, Any], value: Any) -> list[tuple[str, str]]:
    name = param["name"]
    style = param.get("style", "form")
    explode = param.get("explode", style == "form")
    if isinstance(value, list):
        if explode:
            return [(name, scalar(v)) for v in value]
        sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, sep.join(scalar(v) for v in value))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", scalar(v)) for k, v in value.items()]
        if explode:
            return [(k, scalar(v)) for k, v in value.items()]
        return [(name, ",".join(f"{k},{scalar(v)}" for k, v in value.items()))]
    return [(name, scalar(value))]


def simple(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(scalar(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{scalar(v)}" for k, v in value.items())
    return scalar(value)


def encode_body(media_type: str, value: Any) -> bytes:
    base = media_type.split(";")[0].strip().lower()
    if base == "application/x-www-form-urlencoded":
        if not isinstance(value, dict):
            raise Gap(f"a form body that is not an object: {short(value)}")
        pairs = []
        for k, v in value.items():
            for item in v if isinstance(v, list) else [v]:
                pairs.append((k, item if isinstance(item, str) else json.dumps(item)))
        return urllib.parse.urlencode(pairs).encode()
    if base == "application/json" or base.endswith("+json"):
        return json.dumps(value, ensure_ascii=False).encode()
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return json.dumps(value, ensure_ascii=False).encode()


# --- RFC (Mexico) for the test's own suppliers (as partner.py makes them) -----------------------
RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def company_rfc(n: int, letters: str) -> str:
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


def base36(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = ALNUM[r].lower() + out
    return out or "0"


class Receiver:
    """A webhook endpoint on loopback for the test's own webhooks (answers 204)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class Harness(Exception):
    """The test could not prepare something it needs (not a finding about the examples)."""


@dataclass
class Operation:
    op_id: str
    method: str
    path: str
    op: dict[str, Any]
    params: list[tuple[str, dict[str, Any]]]  # (pointer, resolved Parameter Object)

    @property
    def label(self) -> str:
        return f"{self.op_id} ({self.method.upper()} {self.path})"


# The order of the sends: reads and creations before what depends on them; anything not listed
# (a new operation) goes last, in document order, so that it is sent too.
# fmt: off
ORDER = [
    "auth_jwks", "ops_healthz", "ops_readyz", "ops_metrics", "ops_openapi", "auth_token",
    "countries_list", "certification_schemes_list", "capabilities_list", "capabilities_get",
    "capabilities_create", "capabilities_update",
    "clients_list", "clients_create", "clients_get", "clients_update",
    "users_list", "users_create", "users_get", "users_update",
    # suppliers_create before imports_create: the import example's row has the same
    # (country, tax_id) as the supplier example, and rows upsert (an update, not a conflict).
    "suppliers_create", "suppliers_update", "suppliers_list", "suppliers_facets", "suppliers_export",
    "suppliers_get", "suppliers_history", "suppliers_submit", "suppliers_verify", "suppliers_reject",
    "suppliers_suspend", "suppliers_reinstate", "suppliers_owners_add", "suppliers_owners_remove",
    "suppliers_archive",
    "stats_summary", "stats_coverage", "events_list",
    "webhooks_create", "webhooks_list", "webhooks_get", "webhooks_deliveries", "webhooks_delete",
    "imports_create", "imports_get",
    "auth_revoke",
]
# fmt: on

# Which real resource each path parameter is, where the operation needs one in a given state.
# Anything else comes from GENERIC_TARGETS by the path the parameter is in.
TARGETS: dict[str, dict[str, str]] = {
    "suppliers_get": {"id": "supplier:verified"},  # verified: anonymous callers see it too
    "suppliers_history": {"id": "supplier:verified"},
    # The supplier that the suppliers_create example made: the patch example has the same
    # `tax_id` (and country) as the create example, and `(country, tax_id)` is unique, so on any
    # other supplier it is a 409 by nature. On this one nothing in the request needs to change.
    "suppliers_update": {"id": "supplier:from-example"},
    "suppliers_submit": {"id": "supplier:draft"},
    "suppliers_verify": {"id": "supplier:pending"},
    "suppliers_reject": {"id": "supplier:pending"},
    "suppliers_suspend": {"id": "supplier:verified"},
    "suppliers_reinstate": {"id": "supplier:suspended"},
    "suppliers_archive": {"id": "supplier:draft"},
    "suppliers_owners_add": {"id": "supplier:draft", "user_id": "user"},
    "suppliers_owners_remove": {"id": "supplier:owned", "user_id": "user"},
    "webhooks_delete": {"id": "webhook:spare"},  # its own: the others are still read afterwards
    # The duplicate: a new draft of its own (merging archives it). The survivor, the body's
    # `into`, is another new draft (MergeRequest has no example; see the fill in Sender).
    "suppliers_merge": {"id": "supplier:draft"},
    "suppliers_duplicates": {"id": "supplier:verified"},
}
GENERIC_TARGETS = [  # (path prefix, parameter, fixture)
    ("/v1/suppliers/{id}", "user_id", "user"),
    ("/v1/suppliers/{id}", "id", "supplier:verified"),
    ("/v1/users/{id}", "id", "user"),
    ("/v1/clients/{id}", "id", "client"),
    ("/v1/webhooks/{id}", "id", "webhook"),
    ("/v1/imports/{id}", "id", "import"),
    ("/v1/capabilities/{code}", "code", "capability"),
]

PASSWORD = "examples-fixture-passphrase-1"

# Example values that must be unique, by the operation that creates with them. When such an
# example is answered 409 because an earlier call took the value (the fuzzer sends the document's
# examples too; an earlier run on the same database), it is sent again with the value changed in
# the smallest way (Sender.make_variant: a capability code gets a 4-character suffix, an e-mail a
# `+tag` in its local part, an RFC two other homoclave characters), and every later request of
# this run that carries the same value (the supplier patch, the import row) carries the new one.
UNIQUE: dict[str, list[str]] = {
    "capabilities_create": ["code"],  # codes are unique
    "users_create": ["email"],  # e-mail addresses are unique
    "suppliers_create": ["tax_id"],  # (country, tax_id) is unique
}


@dataclass
class Sent:
    label: str
    who: str
    request: str
    status: int | None
    answer: str
    adapted: list[str]


class Sender:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.base = os.environ["BASE_URL"].rstrip("/")
        self.client_id = os.environ["ADMIN_CLIENT_ID"]
        self.client_secret = os.environ["ADMIN_CLIENT_SECRET"]
        self.run = int(time.time() * 1000)
        self.http = requests.Session()
        self.token = ""
        self.fixtures: dict[str, Any] = {}
        self.serial = 0
        self.receiver: Receiver | None = None
        self.webhooks_to_delete: list[str] = []
        self.example_ids: dict[str, str] = {}  # operationId -> id of what its example created
        self.variants: dict[str, str] = {}  # unique example values taken already -> what is sent
        self.sent: list[Sent] = []
        self.failures: list[str] = []
        self.gaps: list[str] = []
        self.notes: list[str] = []
        self.assembler = Assembler(
            doc,
            {
                # Required values the document gives no example for; each is listed as "filled".
                "#/components/schemas/CreateClientRequest/properties/name": (
                    lambda: f"examples.py {self.run}",
                    "",
                ),
                "#/components/schemas/CreateUserRequest/properties/password": (lambda: PASSWORD, ""),
                # The survivor of a merge: a real supplier other than the duplicate (the path
                # `id`, another new draft): an id from no example can name one.
                "#/components/schemas/MergeRequest/properties/into": (
                    lambda: self.fixture("supplier:draft"),
                    "another real supplier (a new draft), the survivor",
                ),
                # A real token, of a login of the test's own user (revoking it ends only that login).
                "#/components/schemas/RevokeRequest/properties/token": (
                    self.user_refresh_token,
                    "a refresh token of the test's own user",
                ),
            },
        )

    # --- the harness's own calls (fixtures): plain HTTP, admin token --------------------------
    def call(self, method: str, path: str, want: tuple[int, ...], **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        resp = self.http.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kw)
        if resp.status_code not in want:
            raise Harness(f"{method} {path}: {resp.status_code} {resp.text[:300]}")
        return resp

    def login(self) -> None:
        resp = self.http.post(
            self.base + "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            timeout=TIMEOUT,
        )
        if resp.status_code != 200:
            raise Harness(f"admin token: {resp.status_code} {resp.text[:300]}")
        self.token = resp.json()["access_token"]

    def new_supplier(self, state: str) -> str:
        self.serial += 1
        body = {
            "legal_name": f"Ejemplos {state} {self.serial} S.A. de C.V.",
            "tax_id": company_rfc(self.run * 10 + self.serial, "EXM"),
            "country": "MX",
            "sector": "manufacturing",
            "employees": 12,
        }
        sid = self.call("POST", "/v1/suppliers", (201,), json=body).json()["id"]
        steps = {
            "draft": [],
            "owned": [],
            "pending": ["submit"],
            "verified": ["submit", "verify"],
            "suspended": ["submit", "verify", "suspend"],
        }[state]
        for step in steps:
            kw = {"json": {"reason": "examples.py fixture"}} if step == "suspend" else {}
            self.call("POST", f"/v1/suppliers/{sid}/{step}", (200,), **kw)
        if state == "owned":
            self.call("PUT", f"/v1/suppliers/{sid}/owners/{self.fixture('user')}", (200, 201, 204))
        return sid

    def fixture(self, name: str) -> str:
        """The id (or code) of a real resource; suppliers are new for every use (each operation
        changes its own), the others are made once."""
        if name.startswith("supplier:"):
            state = name.split(":", 1)[1]
            if state == "from-example":
                if "suppliers_create" in self.example_ids:
                    return self.example_ids["suppliers_create"]
                self.notes.append(
                    "suppliers_update: the suppliers_create example made no supplier; a new "
                    "draft is patched instead (its tax_id example may then collide)"
                )
                state = "draft"
            return self.new_supplier(state)
        if name in self.fixtures:
            return self.fixtures[name]
        run = self.run
        if name == "capability":
            code = f"atp.tst.ex{base36(run)}"
            self.call(
                "POST",
                "/v1/capabilities",
                (201,),
                json={"code": code, "labels": {"en": "examples.py fixture", "es": "Ejemplo de examples.py"}},
            )
            value = code
        elif name == "client":
            value = self.call(
                "POST", "/v1/clients", (201,), json={"name": f"examples.py fixture {run}", "role": "viewer"}
            ).json()["id"]
        elif name == "user":
            resp = self.call(
                "POST",
                "/v1/users",
                (201,),
                json={
                    "email": f"examples-{run}@example.org",
                    "password": PASSWORD,
                    "role": "supplier",
                    "name": "Examples Fixture",
                },
            )
            value = resp.json()["id"]
            self.fixtures["user_email"] = resp.json()["email"]
        elif name in ("webhook", "webhook:spare"):
            if self.receiver is None:
                self.receiver = Receiver()
            value = self.call(
                "POST",
                "/v1/webhooks",
                (201,),
                json={"url": self.receiver.url, "events": ["supplier.created"]},
            ).json()["id"]
            self.webhooks_to_delete.append(value)
        elif name == "import":
            csv = (
                "legal_name,tax_id,country,sector,employees\n"
                f"Importados de Ejemplo S.A. de C.V.,{company_rfc(run * 10 + 9, 'EXI')},MX,commerce,3\n"
            )
            value = self.call(
                "POST", "/v1/imports", (202,), data=csv.encode(), headers={"Content-Type": "text/csv"}
            ).json()["id"]
        else:
            raise Harness(f"no fixture called {name}")
        self.fixtures[name] = value
        return value

    def user_refresh_token(self) -> str:
        self.fixture("user")
        resp = self.http.post(
            self.base + "/v1/auth/token",
            data={"grant_type": "password", "username": self.fixtures["user_email"], "password": PASSWORD},
            timeout=TIMEOUT,
        )
        if resp.status_code != 200:
            raise Harness(f"password login of the fixture user: {resp.status_code} {resp.text[:300]}")
        return resp.json()["refresh_token"]

    # --- the operations -------------------------------------------------------------------------
    def operations(self) -> list[Operation]:
        ops = []
        for path, item in (self.doc.get("paths") or {}).items():
            if "$ref" in item:
                item = resolve(self.doc, item["$ref"])
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                params: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
                for where, plist in (
                    (f"#/paths/{esc(path)}", item.get("parameters") or []),
                    (f"#/paths/{esc(path)}/{method}", op.get("parameters") or []),
                ):
                    for i, p in enumerate(plist):
                        ptr = f"{where}/parameters/{i}"
                        if "$ref" in p:
                            ptr, p = p["$ref"], resolve(self.doc, p["$ref"])
                        params[(p["in"], p["name"])] = (ptr, p)  # the operation's win
                ops.append(
                    Operation(
                        op.get("operationId") or f"{method} {path}", method, path, op, list(params.values())
                    )
                )
        rank = {name: i for i, name in enumerate(ORDER)}
        return sorted(ops, key=lambda o: rank.get(o.op_id, len(ORDER)))

    def security(self, op: Operation) -> tuple[bool, bool]:
        """(send with the admin's token, send anonymously)."""
        reqs = op.op.get("security", self.doc.get("security", []))
        if not reqs:
            # No scheme at all (the token endpoint, JWKS, probes): sent without a token only.
            return False, True
        return True, any(r == {} for r in reqs)

    def target(self, op: Operation, name: str) -> tuple[str, str]:
        # A path parameter with a closed set of values names no resource: its example, or its
        # first value.
        for param in op.op.get("parameters", []):
            schema = param.get("schema", {})
            if param.get("in") == "path" and param.get("name") == name and "enum" in schema:
                return str(param.get("example", schema["enum"][0])), "a value of its enum"
        fixture = TARGETS.get(op.op_id, {}).get(name)
        if fixture is None:
            for prefix, param, fx in GENERIC_TARGETS:
                if op.path.startswith(prefix) and param == name:
                    fixture = fx
                    break
        if fixture is None:
            raise Gap(f"no real resource known for the path parameter `{name}` (add it to TARGETS)")
        value = self.fixture(fixture)
        if fixture == "supplier:from-example" and self.example_ids.get("suppliers_create") == value:
            fixture = "the supplier that the suppliers_create example made"
        return value, fixture

    def current_etag(self, op: Operation, path_values: dict[str, str]) -> str:
        """The ETag of the resource the operation acts on: the longest prefix of its path that has
        a GET ending in a path parameter."""
        segments = op.path.split("/")
        for n in range(len(segments), 1, -1):
            prefix = "/".join(segments[:n])
            if prefix.endswith("}") and "get" in (self.doc["paths"].get(prefix) or {}):
                url = prefix
                for k, v in path_values.items():
                    url = url.replace("{" + k + "}", urllib.parse.quote(str(v), safe=""))
                etag = self.call("GET", url, (200,)).headers.get("ETag")
                if not etag:
                    raise Harness(f"GET {url}: no ETag")
                return etag
        raise Gap("If-Match: no GET of the resource to read its ETag from")

    def build_request(self, op: Operation) -> dict[str, Any]:
        adapted: list[str] = []
        fills: list[str] = []
        path_values: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        for ptr, p in op.params:
            if p["in"] == "path":
                path_values[p["name"]], fixture = self.target(op, p["name"])
                example = "example" in p or "examples" in p or "example" in (p.get("schema") or {})
                adapted.append(
                    f"path `{p['name']}`: a real resource ({fixture})"
                    + (", not the example" if example else "")
                )
                continue
            value = self.param_value(p, ptr, fills)
            if value is None:
                continue
            if p["in"] == "header" and p["name"].lower() == "if-match":
                # A version tag matches one version of one resource; the example's form is checked
                # by the validation above, and the resource's current ETag is sent.
                adapted.append(f"If-Match: the current ETag, not the example {value!r}")
                continue
            if p["in"] == "query":
                query += query_pairs(p, value)
            elif p["in"] == "header":
                headers[p["name"]] = simple(value)
            elif p["in"] == "cookie":
                headers["Cookie"] = f"{p['name']}={simple(value)}"
        if any(a.startswith("If-Match") for a in adapted):
            headers["If-Match"] = self.current_etag(op, path_values)
        url = op.path
        for k, v in path_values.items():
            url = url.replace("{" + k + "}", urllib.parse.quote(str(v), safe=""))
        body: tuple[str, Any] | None = None  # (media type, value): encoded when sent
        rb = op.op.get("requestBody")
        if rb:
            if "$ref" in rb:
                rb = resolve(self.doc, rb["$ref"])
            if not rb.get("content"):
                raise Gap("the request body has no media type")
            (mt, media), *others = list(rb["content"].items())
            if others:
                adapted.append(f"body: sent as {mt}, the first of {len(others) + 1} media types")
            if "example" in media:
                value = media["example"]
            elif isinstance(media.get("examples"), dict) and media["examples"]:
                ex = next(iter(media["examples"].values()))
                value = resolve(self.doc, ex["$ref"])["value"] if "$ref" in ex else ex.get("value")
            elif "schema" in media:
                got = self.assembler.build(
                    media["schema"],
                    f"#/paths/{esc(op.path)}/{op.method}/requestBody/content/{esc(mt)}/schema",
                    bool(rb.get("required")),
                )
                if got is None:
                    raise Gap("the request body cannot be assembled from examples")
                value = got.value
                fills += got.fills
            else:
                raise Gap(f"the request body ({mt}) has neither an example nor a schema")
            body = (mt, value)
            headers["Content-Type"] = mt
        return {
            "method": op.method.upper(),
            "url": url,
            "query": query,
            "headers": headers,
            "body": body,
            "adapted": adapted,
            "fills": fills,
        }

    def param_value(self, p: dict[str, Any], ptr: str, fills: list[str]) -> Any:
        if "example" in p:
            return p["example"]
        if isinstance(p.get("examples"), dict) and p["examples"]:
            ex = next(iter(p["examples"].values()))
            return resolve(self.doc, ex["$ref"])["value"] if "$ref" in ex else ex.get("value")
        schema = p.get("schema")
        schema_ptr = f"{ptr}/schema"
        if schema is None and p.get("content"):
            mt, media = next(iter(p["content"].items()))
            if "example" in media:
                return media["example"]
            schema, schema_ptr = media.get("schema"), f"{ptr}/content/{esc(mt)}/schema"
        got = self.assembler.build(schema or {}, schema_ptr, bool(p.get("required")))
        if got is None:
            if p.get("required"):
                raise Gap(f"the required {p['in']} parameter `{p['name']}` ({ptr}) has no example")
            return None
        fills += got.fills
        return got.value

    # --- unique values taken by an earlier call ---------------------------------------------------
    def make_variant(self, name: str, value: Any) -> str | None:
        """The smallest change that makes a unique example value new (see UNIQUE)."""
        if not isinstance(value, str):
            return None
        tag = base36(self.run)[-4:]
        if name == "code":  # a capability code: the last part gets a suffix (`atp.tst.sys` + tag)
            return value + tag
        if name == "email" and "@" in value:  # plus-addressing: the same mailbox
            local, domain = value.rsplit("@", 1)
            return f"{local}+{tag}@{domain}"
        if name == "tax_id" and len(value) in (12, 13):  # an RFC: its two homoclave letters
            return value[:-3] + tag[-2:].upper() + value[-1]
        return None

    def with_variants(self, value: Any) -> tuple[Any, list[str]]:
        """The value with every unique example value already replaced in this run replaced too,
        so that the requests after it (a patch, an import of the same company) stay consistent."""
        changed: list[str] = []

        def walk(v: Any) -> Any:
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, str):
                out = v
                for old, new in self.variants.items():
                    if old in out:
                        out = out.replace(old, new)
                        changed.append(f"{old!r} sent as {new!r} (taken by an earlier call; see UNIQUE)")
                return out
            return v

        return walk(value), changed

    def retry_unique(self, op: Operation, req: dict[str, Any], first: Sent) -> Sent | None:
        """A create example answered 409 because one of its unique values was taken by an earlier
        call (another step, an earlier run on this database): sent again with those values made
        new in the smallest way (UNIQUE says which and how). None when nothing can be varied."""
        if first.status != 409 or op.op_id not in UNIQUE or req["body"] is None:
            return None
        _, value = req["body"]
        value, _ = self.with_variants(value)
        made = []
        for name in UNIQUE[op.op_id]:
            old = value.get(name) if isinstance(value, dict) else None
            new = self.make_variant(name, old)
            if new is not None and old not in self.variants:
                self.variants[old] = new
                made.append(name)
        if not made:
            return None
        again = self.send_one(op, req, "admin")
        why = first.answer.splitlines()[-1]
        try:
            why = json.loads(why).get("detail") or why
        except (ValueError, AttributeError):
            pass
        again.adapted.insert(
            0, f"first sent as the example: 409 ({short(why, 200)}); again with {', '.join(made)} new"
        )
        return again

    def send_one(self, op: Operation, req: dict[str, Any], who: str) -> Sent:
        headers = dict(req["headers"])
        adapted = list(req["adapted"])
        auth_shown = ""
        if who == "admin":
            headers["Authorization"] = f"Bearer {self.token}"
            auth_shown = "Authorization: Bearer <admin token>\n"
        elif op.op_id == "auth_token":
            # Client authentication (HTTP Basic, the admin's client id and secret): credentials are
            # the one thing no example can hold. The body is the example's.
            quote = urllib.parse.quote  # RFC 6749 §2.3.1: form-encoded, then Basic
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            auth_shown = "Authorization: Basic <admin client id and secret>\n"
            adapted.append("client credentials in HTTP Basic (no example can hold them)")
        url = self.base + req["url"]
        if req["query"]:
            url += "?" + urllib.parse.urlencode(req["query"], quote_via=urllib.parse.quote)
        shown = f"{req['method']} {url[len(self.base) :]}\n{auth_shown}" + "".join(
            f"{k}: {v}\n" for k, v in headers.items() if k != "Authorization"
        )
        data = None
        if req["body"] is not None:
            mt, value = req["body"]
            value, changed = self.with_variants(value)
            adapted += changed
            data = encode_body(mt, value)
            shown += "\n" + short(data.decode("utf-8", "replace"), 1500)
        try:
            resp = self.http.request(
                req["method"], url, headers=headers, data=data, timeout=TIMEOUT, allow_redirects=False
            )
            status = resp.status_code
            ctype = resp.headers.get("Content-Type", "")
            answer = f"{status} {resp.reason} ({ctype or 'no body type'})"
            if not 200 <= status < 300 or "json" in ctype:
                answer += "\n" + short(resp.text, 1500)
        except requests.RequestException as exc:
            status, answer, resp = None, f"no answer: {exc}", None
        if (
            resp is not None
            and 200 <= resp.status_code < 300
            and who == "admin"
            and req["method"] == "POST"
            and "json" in resp.headers.get("Content-Type", "")
        ):
            try:
                created = resp.json()
                if isinstance(created, dict) and isinstance(created.get("id"), str):
                    self.example_ids[op.op_id] = created["id"]
            except ValueError:
                pass
        return Sent(op.label, who, shown.rstrip("\n"), status, answer, adapted + req["fills"])

    def run_all(self) -> tuple[int, int, int, int]:
        self.login()
        ops = self.operations()
        requests_sent = ok_requests = ops_sent = ops_ok = 0
        for op in ops:
            as_admin, anonymous = self.security(op)
            try:
                req = self.build_request(op)
            except Gap as exc:
                self.failures.append(f"{op.label}: not sent: {exc}")
                continue
            except Harness as exc:
                self.failures.append(f"{op.label}: not sent, the test could not prepare it: {exc}")
                continue
            ops_sent += 1
            all_ok = True
            for who in (["admin"] if as_admin else []) + (["anonymous"] if anonymous else []):
                sent = self.send_one(op, req, who)
                if who == "admin":
                    sent = self.retry_unique(op, req, sent) or sent
                self.sent.append(sent)
                requests_sent += 1
                if sent.status is not None and 200 <= sent.status < 300:
                    ok_requests += 1
                else:
                    all_ok = False
                    self.failures.append(
                        f"{op.label} as {who}: {sent.status or 'no answer'}\n"
                        f"    request:\n{indent(sent.request, 6)}\n    answer:\n{indent(sent.answer, 6)}"
                        + (
                            f"\n    adapted/filled by the test:\n{indent(chr(10).join(sent.adapted), 6)}"
                            if sent.adapted
                            else ""
                        )
                    )
            ops_ok += all_ok
        try:
            self.check_import_example()
        except Harness as exc:
            self.failures.append(f"imports_create example: its job could not be read: {exc}")
        self.cleanup()
        return ops_sent, ops_ok, requests_sent, ok_requests

    def check_import_example(self) -> None:
        """The import example is answered 202 whatever its rows hold: its job must import them."""
        job_id = self.example_ids.get("imports_create")
        if not job_id:
            return
        deadline = time.monotonic() + 60
        while True:
            job = self.call("GET", f"/v1/imports/{job_id}", (200,)).json()
            if job.get("status") in ("completed", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        counts = job.get("counts") or {}
        errors = job.get("errors") or []
        line = f"imports_create example: job {job.get('status')}, counts {json.dumps(counts)}" + (
            f", errors {json.dumps(errors, ensure_ascii=False)}" if errors else ""
        )
        if job.get("status") != "completed" or counts.get("failed") or errors:
            sent = next((s for s in self.sent if s.label.startswith("imports_create ")), None)
            self.failures.append(
                line
                + "\n    (202, but the example's rows do not import)"
                + (
                    f"\n    request:\n{indent(sent.request, 6)}\n    answer:\n{indent(sent.answer, 6)}"
                    if sent
                    else ""
                )
            )
        else:
            self.notes.append(line)

    def cleanup(self) -> None:
        """Webhooks made here would go on being delivered to (the test's receiver is gone, the
        example's address answers nothing): remove them so later steps do not wait behind them."""
        hooks = list(self.webhooks_to_delete)
        if "webhooks_create" in self.example_ids:
            hooks.append(self.example_ids["webhooks_create"])
        for hook in hooks:
            try:
                self.call("DELETE", f"/v1/webhooks/{hook}", (204, 404))
            except Harness as exc:
                self.notes.append(f"cleanup: {exc}")
        if self.receiver is not None:
            self.receiver.close()


def indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())


# =============================================================================================
def main() -> int:
    with open(SPEC, encoding="utf-8") as f:
        doc = json.load(f)

    print("examples.py: 1. every example against its schema (Draft 2020-12, $refs in the document)")
    selftest = self_test(doc)
    for line in selftest:
        print(f"  SELF-TEST {line}")
    print(
        f"  self-test (bad examples planted in a copy of the document): "
        f"{'caught, each at its pointer' if not selftest else f'{len(selftest)} failure(s)'}"
    )
    validated, invalid = validate_examples(doc)
    invalid += selftest
    for line in invalid:
        print(f"  INVALID {line}")
    print(f"  {validated} examples found and validated, {len(invalid)} failure(s)")

    print(f"\nexamples.py: 2. every operation sent with its examples to {os.environ['BASE_URL']}")
    sender = Sender(doc)
    try:
        ops_sent, ops_ok, reqs, reqs_ok = sender.run_all()
    except Harness as exc:
        print(f"examples.py: the test could not prepare its resources: {exc}")
        return 1
    verbose = os.environ.get("EXAMPLES_VERBOSE") == "1"
    for s in sender.sent:
        mark = "ok  " if s.status is not None and 200 <= s.status < 300 else "FAIL"
        print(f"  {mark} {s.status or '---'} {s.label} as {s.who}")
        if verbose:
            print(indent(s.request, 9) + "\n" + indent("-> " + s.answer, 9))
            for a in s.adapted:
                print(f"         adapted/filled: {a}")
    # What the test put in that is not an example, once each (per request with EXAMPLES_VERBOSE=1).
    adapted: dict[str, list[str]] = {}
    for s in sender.sent:
        for a in s.adapted:
            ops = adapted.setdefault(a, [])
            name = s.label.split(" ", 1)[0]
            if name not in ops:
                ops.append(name)
    others = [k for k in adapted if not k.startswith("#")]
    fills = [k for k in adapted if k.startswith("#")]
    if others:
        print("  adapted by the test (not from an example):")
        for k in others:
            print(f"    {k}: {', '.join(adapted[k])}")
    if fills:
        print("  required inputs with no example in the document (the test filled them in):")
        for k in fills:
            print(f"    {k}: {', '.join(adapted[k])}")
    for note in sender.notes:
        print(f"  note: {note}")
    not_sent = [name for name in (doc.get("webhooks") or {})]
    if not_sent:
        print(f"  not sent (the service sends them, it does not take them): webhooks {', '.join(not_sent)}")
    if sender.failures:
        print(
            f"\nexamples.py: {len(sender.failures)} failure(s): operations whose examples are not answered 2xx "
            "(or not taken for what they say):"
        )
        for line in sender.failures:
            print(f"  - {line}")

    total_ops = len(sender.operations())
    print(
        f"\nexamples.py: {validated} examples validated ({len(invalid)} invalid); "
        f"{ops_sent} of {total_ops} operations sent, {ops_ok} answered 2xx; "
        f"{reqs} requests ({reqs - reqs_ok if reqs else 0} not 2xx); "
        f"{len(sender.failures)} send failure(s)"
    )
    # The last line, for run.sh: validated invalid ops_total ops_sent ops_ok requests requests_ok failures
    print(
        f"COUNTS {validated} {len(invalid)} {total_ops} {ops_sent} {ops_ok} {reqs} {reqs_ok} "
        f"{len(invalid) + len(sender.failures)}"
    )
    return 1 if invalid or sender.failures else 0


if __name__ == "__main__":
    sys.exit(main())
