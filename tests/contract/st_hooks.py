"""Schemathesis hooks for the partner-contract check (issue #13; run.sh loads them with
SCHEMATHESIS_HOOKS).

Schemathesis runs with its default expectations: a schema-valid request must be accepted
(`positive_data_acceptance`: 2xx, 3xx, 401, 403, 404, 409, 429; 5xx is another check's). Some rules of the document are stated in prose because JSON Schema
cannot state them: a cursor must be one the list gave out, an `If-Match` the current ETag, a tax
id valid for its country, a capability code one that exists, and so on. The hooks below make the
*positive* requests Schemathesis generates respect those rules, one small function per rule,
each naming it. They only change a case's values (to other schema-valid values); they never
drop a check, widen a status, or touch a negative case, and `after_call` fails the run if an
edit ever made a positive case invalid (Schemathesis re-validates edited cases and would then
skip the positive checks for them without a word).

They read the service as the case's own caller does (its `Authorization`, or none), and the
public reference lists once (`/v1/capabilities`, `/v1/certification-schemes`, `/v1/countries`).
At exit they print how many cases each rule changed.
"""

from __future__ import annotations

import atexit
import base64
import collections
import datetime
import functools
import hashlib
import itertools
import json
import re
import sys
import time
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import jsonschema_rs
import requests
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.utils import read_from_wire

HTTP = requests.Session()
TIMEOUT = 10
# Deterministic per run (one worker, fixed seed): the n-th case that needs a fresh value gets n.
SEQ = itertools.count(1)
EDITS: collections.Counter[str] = collections.Counter()
EDITED: dict[str, list[str]] = {}  # case id -> the rules that changed it


# -------------------------------------------------------------------------------------------------
# Plumbing


def operation_id(case) -> str:
    return case.operation.definition.raw.get("operationId", "")


def is_positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def base_url(case) -> str:
    return (case.operation.base_url or case.operation.schema.get_base_url()).rstrip("/")


def header_name(headers, name: str) -> str | None:
    """The key under which `headers` holds `name` (header names are case-insensitive)."""
    return next((k for k in (headers or {}) if k.lower() == name.lower()), None)


def auth(case) -> dict[str, str]:
    """The case's own credentials: reads are made as the request's caller."""
    key = header_name(case.headers, "Authorization")
    return {"Authorization": case.headers[key]} if key else {}


def get(case, path: str, params: Any = None) -> requests.Response:
    return HTTP.get(base_url(case) + path, params=params, headers=auth(case), timeout=TIMEOUT)


def path_of(template: str, case) -> str:
    return template.format(**{k: quote(str(v), safe="") for k, v in case.path_parameters.items()})


def edited(case, rule: str) -> None:
    EDITS[rule] += 1
    EDITED.setdefault(case.id, []).append(rule)


def caller_subject(case) -> str | None:
    """The `sub` of the case's bearer token (for the fuzzer's client: its id)."""
    token = auth(case).get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    except (IndexError, ValueError, KeyError):
        return None


class Reference:
    """The reference lists, read once (public operations)."""

    def __init__(self, url: str) -> None:
        def data(path: str) -> list:
            return HTTP.get(url + path, timeout=TIMEOUT).json()["data"]

        def walk(node: dict):
            yield node["code"]
            for child in node.get("children", []):
                yield from walk(child)

        self.capabilities = [code for root in data("/v1/capabilities") for code in walk(root)]
        self.schemes = [s["code"] for s in data("/v1/certification-schemes")]
        self.subdivisions = {
            c["code"]: [s["code"] for s in c["subdivisions"]] for c in data("/v1/countries")
        }
        self.all_subdivisions = {s for subs in self.subdivisions.values() for s in subs}


@functools.cache
def reference_for(url: str) -> Reference:
    return Reference(url)


def reference(case) -> Reference:
    return reference_for(base_url(case))


# -------------------------------------------------------------------------------------------------
# Values valid by rule (src/domain/tax_id.rs)

RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWYZ"  # no X: keeps clear of the generic XAXX/XEXX RFCs


def rfc_check(body: str) -> str:
    """The SAT check character of an RFC without it (weighted mod 11, `A` for 10)."""
    padded = body.rjust(12)
    total = sum(RFC_ALPHABET.index(c) * (13 - i) for i, c in enumerate(padded))
    n = (11 - total % 11) % 11
    return "A" if n == 10 else str(n)


def tax_id(country: str) -> str:
    """A tax id valid for `country`, new on every call (the same id twice is 409, a fine answer,
    but a new one lets the request succeed)."""
    n = next(SEQ)
    if country == "MX":  # company RFC: 3 letters, a real date YYMMDD, homoclave with check char
        letters = "".join(LETTERS[(n // len(LETTERS) ** k) % len(LETTERS)] for k in range(3))
        day = datetime.date(2001, 1, 1) + datetime.timedelta(days=n % 7000)
        body = f"{letters}{day:%y%m%d}{'0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'[n % 34]}A"
        return body + rfc_check(body)
    if country == "CR":  # cédula jurídica: class 3, entity type 101, six digits
        return f"3-101-{n % 1_000_000:06d}"
    if country == "PA":  # RUC of a legal entity
        return f"155{n:06d}-2-2015"
    if country == "US":  # EIN with an IRS campus prefix (12)
        return f"12-{n % 10_000_000:07d}"
    return f"T{n:07d}"  # elsewhere: 4 to 20 of A-Z0-9


# ISO 4217 currencies a supplier may report sales in (rules.rs: an ISO 4217 code, not a fund,
# metal or test code; the schema says only `^[A-Z]{3}$`).
CURRENCIES = {"MXN", "USD", "CRC", "PAB", "GTQ", "HNL", "NIO", "DOP", "COP", "BRL", "CLP", "PEN",
              "ARS", "CAD", "EUR", "GBP", "JPY", "CNY"}


# Identifier systems of `external_refs[]` with a published format (src/domain/identifier.rs,
# `GET /v1/identifier-systems`); the schema has only `system: ^[a-z0-9_]{1,40}$` and a value of
# 1 to 200 characters. The tax-id systems hold a tax id of their country.
TAX_ID_SYSTEMS = {"mx_rfc": "MX", "cr_cedula": "CR", "pa_ruc": "PA", "us_ein": "US"}
FORMAT_SYSTEMS = {"lei", "sam_uei", "cage", "duns", "os_id", *TAX_ID_SYSTEMS}
SYSTEM_CODE = re.compile(r"[a-z0-9_]{1,40}")


def lei(n: int) -> str:
    """An LEI: 18 letters and digits, then the two ISO 7064 mod 97-10 check digits (the whole
    code, letters read as 10 to 35, is 1 modulo 97)."""
    base = f"5493{n % 10 ** 14:014d}"
    number = int("".join(str(int(c, 36)) for c in base + "00"))
    return f"{base}{98 - number % 97:02d}"


def identifier(system: str) -> str:
    """A value valid for `system`, new on every call (`(system, value)` is unique among
    suppliers: a taken one is 409, a right answer, but a new one lets the request succeed)."""
    n = next(SEQ)
    if system in TAX_ID_SYSTEMS:  # a tax id of the system's country
        return tax_id(TAX_ID_SYSTEMS[system])
    if system == "lei":
        return lei(n)
    if system == "sam_uei":  # 12 letters and digits, no O or I, not starting with 0
        return f"U{n % 10 ** 11:011d}"
    if system == "cage":  # 5 letters and digits
        return f"C{n % 10 ** 4:04d}"
    if system == "duns":  # 9 digits
        return f"{n % 10 ** 9:09d}"
    if system == "os_id":  # a 2-letter country, 7 digits, 6 letters and digits
        return f"MX{2026001 + n % 7_000_000:07d}R{n % 10 ** 5:05d}"
    raise ValueError(system)


# -------------------------------------------------------------------------------------------------
# Query rules

CURSOR_LISTS = {"suppliers_list", "suppliers_history", "clients_list", "users_list",
                "webhooks_list", "webhooks_deliveries"}
SEARCHES = {"suppliers_list", "suppliers_export", "suppliers_facets"}


def query_still_valid(case) -> None:
    """After an edit of the query. Schemathesis re-validates an edited container; in the stateful
    phase it holds a comma-list parameter (`style: form, explode: false`) only in its wire form,
    `"micro,small"`, reads that against the array schema and so takes every edited search for
    schema-invalid (and skips its positive checks). The edited query is judged here instead, in
    its typed form (comma lists as lists, wire text as the server reads it); only when that is
    valid is it marked as validated. Otherwise Schemathesis judges it, and `after_call` stops the
    run if it is invalid: an edit must never make a positive case negative."""
    arrays = {p["name"]: p.get("explode", True)
              for p in case.operation.definition.raw.get("parameters", [])
              if p.get("in") == "query" and p.get("schema", {}).get("type") == "array"}

    def as_typed(name: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if name not in arrays:
            return str(value)
        if arrays[name]:  # exploded (`capability=a&capability=b`): one text is one item
            return [str(value)]
        return str(value).split(",") if value else []

    typed = {k: as_typed(k, v) for k, v in case.query.items()}
    valid = jsonschema_rs.validator_for(case.operation.query.validation_schema).is_valid
    if valid(typed) or valid(read_from_wire(case.operation, ParameterLocation.QUERY, typed)):
        # `_meta`, not `meta`: reading `meta` would re-validate the edited query first.
        case._meta.update_validated_hash(ParameterLocation.QUERY, case._hash_container(case.query))


def issued_cursor(case) -> None:
    """`cursor` is "the `next_cursor` of the previous page", HMAC-signed by the service (a cursor
    it never gave out is 400). A generated one is replaced by the list's own next cursor for the
    same query (asked with limit=1), or dropped when the list has no second page."""
    if "cursor" not in (case.query or {}):
        return
    kwargs = case.as_transport_kwargs(base_url=base_url(case))
    params = kwargs.get("params") or {}
    pairs = parse_qsl(params if isinstance(params, str) else urlencode(params, doseq=True))
    probe = [(k, v) for k, v in pairs if k not in ("cursor", "limit")] + [("limit", "1")]
    answer = HTTP.get(kwargs["url"], params=urlencode(probe), headers=auth(case), timeout=TIMEOUT)
    issued = answer.json().get("next_cursor") if answer.status_code == 200 else None
    if issued:
        case.query["cursor"] = issued
    else:
        del case.query["cursor"]
    edited(case, "cursor: one the list gave out")


def search_dependencies(case) -> None:
    """The search parameters that need each other (src/routes/suppliers/search/params.rs):
    `near` needs `radius_km` and `radius_km` needs `near`; `sort=distance` needs `near` (so
    `radius_km`); `sort=relevance` needs `q`. The missing partner is added."""
    q = case.query
    if q is None:
        return
    before = dict(q)
    if "radius_km" in q or q.get("sort") == "distance":
        q.setdefault("near", "20.67,-103.35")
    if "near" in q:
        q.setdefault("radius_km", 25)
    if q.get("sort") == "relevance":
        q.setdefault("q", "ensambles")
    if q != before:
        edited(case, "search: near/radius_km/sort dependencies")


def ladder_range(case) -> None:
    """The ladder's `from` is not after `to` (or after this month when `to` is left out), and
    the range is at most 600 months (src/routes/stats/ladder.rs); the schema has only the
    `YYYY-MM` shape. Out-of-order bounds are swapped; a range too long starts 599 months before
    its end."""
    q = case.query
    if not q:
        return
    before = dict(q)
    now = time.gmtime()
    this_month = f"{now.tm_year:04d}-{now.tm_mon:02d}"
    end = q.get("to", this_month)
    start = q.get("from")
    if start is not None and start > end:
        if "to" in q:
            q["from"], q["to"] = end, start
            start, end = end, start
        else:
            q["from"] = start = this_month
    if start is not None:
        def months(m: str) -> int:
            return int(m[:4]) * 12 + int(m[5:7]) - 1
        if months(end) - months(start) >= 600:
            first = months(end) - 599
            q["from"] = f"{first // 12:04d}-{first % 12 + 1:02d}"
    if q != before:
        edited(case, "ladder: from not after to, at most 600 months")


def existing_subdivision(case) -> None:
    """`subdivision` is an ISO 3166-2 code that exists (params.rs `is_subdivision`); the schema
    has only its shape, `^[A-Z]{2}-[A-Z0-9]{1,3}$`."""
    q = case.query
    if q and "subdivision" in q and q["subdivision"] not in reference(case).all_subdivisions:
        q["subdivision"] = "MX-JAL"
        edited(case, "search: subdivision that exists")


def search_tax_id(case) -> None:
    """`tax_id` "needs `country`" and is "checked by the country's rules" (params.rs: 400
    otherwise); the schema has only `type: string`. A `country` is added when missing (MX) and
    the tax id becomes one valid there."""
    q = case.query
    if q and "tax_id" in q:
        q.setdefault("country", "MX")
        q["tax_id"] = tax_id(q["country"])
        edited(case, "search: tax_id valid for its country")


def ref_value_valid(case, value: Any) -> bool:
    """Whether `value` meets `ExternalRef.value`'s schema (as a free-text value is written)."""
    if "ExternalRef.value" not in INPUT_VALIDATORS:
        components = case.operation.schema.raw_schema["components"]
        INPUT_VALIDATORS["ExternalRef.value"] = jsonschema_rs.validator_for(
            {"$ref": "#/components/schemas/ExternalRef/properties/value", "components": components})
    return INPUT_VALIDATORS["ExternalRef.value"].is_valid(value)


def search_external_refs(case) -> None:
    """`external_ref`: "`<system>:<value>` ... the value read as on write" (params.rs: 400
    otherwise); the schema has only `type: string`. An item without a well-formed system code
    before its first `:` gets the free-text system `erp`; a value that would not be a valid
    `external_refs[].value` on write becomes one: valid for its system when that has a published
    format (see `identifier`), else plain text."""
    q = case.query
    if not q or "external_ref" not in q:
        return
    items = q["external_ref"]
    single = not isinstance(items, list)
    out = []
    for item in [items] if single else items:
        system, sep, value = str(item).partition(":")
        if not sep or not SYSTEM_CODE.fullmatch(system):
            system, value = "erp", str(item)
        if system in FORMAT_SYSTEMS:
            value = identifier(system)
        elif not ref_value_valid(case, value):
            value = f"ref-{next(SEQ)}"
        out.append(f"{system}:{value}")
    new = out[0] if single else out
    if new != items:
        q["external_ref"] = new
        edited(case, "search: external_ref <system>:<value>, valid for its system")


# -------------------------------------------------------------------------------------------------
# Header rules

ETAG_TARGETS = {
    **{op: "/v1/suppliers/{id}" for op in (
        "suppliers_archive", "suppliers_update", "suppliers_submit", "suppliers_verify",
        "suppliers_reject", "suppliers_suspend", "suppliers_reinstate")},
    # merge: "`If-Match`, when sent, is checked against this supplier" (the duplicate, `id`)
    "suppliers_merge": "/v1/suppliers/{id}",
    "capabilities_update": "/v1/capabilities/{code}",
    "clients_update": "/v1/clients/{id}",
    "users_update": "/v1/users/{id}",
}


def current_etag(case, target: requests.Response | None) -> None:
    """`If-Match` is "the current ETag" (a generated one is stale: 412): the target's ETag, read
    with the case's own credentials, or `*` when it cannot be read (no such resource: 404)."""
    key = header_name(case.headers, "If-Match")
    if key is None:  # optional on transitions: left out is valid
        return
    tag = target.headers.get("ETag") if target is not None and target.status_code == 200 else None
    case.headers[key] = tag or "*"
    edited(case, "If-Match: current ETag")


def fresh_idempotency_key(case) -> None:
    """`Idempotency-Key`: "the same key with another body is 422". The key becomes the generated
    one plus a digest of the body, so the same key only ever comes back with the same body."""
    key = header_name(case.headers, "Idempotency-Key")
    if key is None:
        return
    digest = hashlib.sha256(json.dumps(case.body, sort_keys=True, default=str).encode()).hexdigest()
    case.headers[key] = f"{case.headers[key][:200]}.{digest[:32]}"
    edited(case, "Idempotency-Key: one per body")


# -------------------------------------------------------------------------------------------------
# Body rules: suppliers (src/domain/supplier/rules.rs)


def subdivision_in(body: dict, country: str | None, ref: Reference) -> None:
    """`subdivision`: "ISO 3166-2, inside `country`", or null."""
    code = body.get("subdivision")
    if code is not None and code not in ref.subdivisions.get(country or "", []):
        subs = ref.subdivisions.get(country or "", [])
        body["subdivision"] = subs[len(code) % len(subs)] if subs else None


def known_capabilities(items: list, ref: Reference) -> list:
    """`capabilities[].code` must exist in the taxonomy, once each; `parameters` is "at most 8,192
    bytes as JSON" (a larger object is replaced by an empty one)."""
    free = [c for c in ref.capabilities if c not in {i["code"] for i in items}]
    out, seen = [], set()
    for item in items:
        if item["code"] not in ref.capabilities or item["code"] in seen:
            if not free:
                continue
            item = {**item, "code": free.pop(0)}
        seen.add(item["code"])
        params = item.get("parameters")
        if isinstance(params, dict):
            size = len(json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode())
            if size > 8000:  # a margin: Python and serde_json write floats differently
                item = {**item, "parameters": {}}
        out.append(item)
    return out


def today() -> datetime.date:
    """The service's today (UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def parse_date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def certificates_in_order(items: list, ref: Reference) -> list:
    """`certifications[]`: a scheme from `GET /v1/certification-schemes`; dates within 1950-2100,
    `issued_on` not in the future and `expires_on` "after `issued_on`"."""
    now, low, high = today(), datetime.date(1950, 1, 1), datetime.date(2100, 12, 31)
    out = []
    for i, cert in enumerate(items):
        cert = dict(cert)
        if cert["scheme"] not in ref.schemes:
            cert["scheme"] = ref.schemes[i % len(ref.schemes)]
        issued, expires = parse_date(cert.get("issued_on")), parse_date(cert.get("expires_on"))
        if issued is not None:
            issued = min(max(issued, low), now)
            cert["issued_on"] = issued.isoformat()
        if expires is not None:
            expires = min(max(expires, low), high)
            if issued is not None and expires <= issued:
                expires = issued + datetime.timedelta(days=365)
            cert["expires_on"] = expires.isoformat()
        out.append(cert)
    return out


def valid_refs(items: list) -> list:
    """`external_refs[].value` valid for its system (rules.rs, identifier.rs: 422 otherwise): a
    system with a published format (LEI with its check digits, SAM UEI, CAGE, DUNS, Open Supply
    Hub, the tax-id systems) gets a value valid for it; a free-text system keeps its value (the
    schema's pattern and length are the free-text rule)."""
    return [{**item, "value": identifier(item["system"])} if item.get("system") in FORMAT_SYSTEMS
            else item for item in items]


def distinct_refs(items: list) -> list:
    """`external_refs[]`: each (system, value) once, as stored (a free-text value trimmed):
    "is listed twice" otherwise."""
    seen, out = set(), []
    for item in items:
        key = (item["system"], str(item["value"]).strip())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"(?:{LABEL}\.)*[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.?|(?:\d{{1,3}}\.){{3}}\d{{1,3}}")
WEBSITE = re.compile(r"([hH][tT][tT][pP][sS]?://)([^/?#]*)(.*)", re.S)


def http_url(value: str) -> str:
    """`website`: "an http(s) URL". The pattern only has its shape (`scheme://` and no space); a
    URL also needs a host a URL parser accepts (a DNS name or an IPv4 address; an optional port
    up to 65535). A generated authority that is no such host becomes `example.org`; the scheme as
    generated and the rest of the URL are kept."""
    match = WEBSITE.fullmatch(value)
    if match is None:
        return value
    scheme, authority, rest = match.groups()
    host, _, port = authority.rpartition("@")[2].partition(":")
    ipv4_ok = not re.fullmatch(r"[\d.]+", host) or all(int(n) <= 255 for n in host.split("."))
    if HOST.fullmatch(host) and ipv4_ok and (not port or (port.isdigit() and int(port) <= 65535)):
        return value
    return f"{scheme}example.org{rest}"


def supplier_rules(body: dict, country: str | None, ref: Reference) -> None:
    """Every rule of a supplier that the schema cannot state, on the fields `body` sets."""
    if isinstance(body.get("capabilities"), list):
        body["capabilities"] = known_capabilities(body["capabilities"], ref)
    if isinstance(body.get("certifications"), list):
        body["certifications"] = certificates_in_order(body["certifications"], ref)
    if isinstance(body.get("external_refs"), list):
        body["external_refs"] = distinct_refs(valid_refs(body["external_refs"]))
    # `founded_year`: at most this year (the schema has only `minimum: 1800`).
    year = body.get("founded_year")
    if isinstance(year, (int, float)) and year > today().year:
        body["founded_year"] = type(year)(today().year)
    # `annual_sales.currency`: an ISO 4217 currency (the schema has only `^[A-Z]{3}$`).
    sales = body.get("annual_sales")
    if isinstance(sales, dict) and sales.get("currency") not in CURRENCIES:
        body["annual_sales"] = {**sales, "currency": "MXN"}
    if isinstance(body.get("website"), str):
        body["website"] = http_url(body["website"])
    subdivision_in(body, country, ref)


def supplier_create(case) -> None:
    """POST /v1/suppliers: a tax id valid for the country (new per case), and the rules above."""
    body = case.body
    if not isinstance(body, dict) or "country" not in body:
        return
    before = json.dumps(body, sort_keys=True, default=str)
    body["tax_id"] = tax_id(body["country"])
    supplier_rules(body, body["country"], reference(case))
    if json.dumps(body, sort_keys=True, default=str) != before:
        edited(case, "supplier body: rules of a supplier")


INPUT_VALIDATORS: dict[str, Any] = {}


def input_property_valid(case, name: str, value: Any) -> bool:
    """Whether `value` meets `SupplierInput`'s schema for the property `name`."""
    if name not in INPUT_VALIDATORS:
        components = case.operation.schema.raw_schema["components"]
        INPUT_VALIDATORS[name] = jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/SupplierInput/properties/{name}",
             "components": components})
    return INPUT_VALIDATORS[name].is_valid(value)


def supplier_patch(case, current: requests.Response | None) -> None:
    """PATCH /v1/suppliers/{id}: SupplierPatch's "fields and constraints are those of
    `SupplierInput`" and "the result must meet every rule of a new supplier". A field whose value
    `SupplierInput` refuses is left out of the patch (any subset is a patch); a new country brings
    a tax id valid there and a subdivision inside it; a new tax id is valid for the country."""
    body = case.body
    if not isinstance(body, dict):
        return
    before = json.dumps(body, sort_keys=True, default=str)
    for name in list(body):
        if body[name] is not None and not input_property_valid(case, name, body[name]):
            del body[name]
    now = current.json() if current is not None and current.status_code == 200 else {}
    country = body.get("country") or now.get("country") or "MX"
    if "tax_id" in body or country != now.get("country"):
        body["tax_id"] = tax_id(country)
    if country != now.get("country") and "subdivision" not in body and now.get("subdivision"):
        body["subdivision"] = None
    supplier_rules(body, country, reference(case))
    if json.dumps(body, sort_keys=True, default=str) != before:
        edited(case, "supplier patch: constraints of SupplierInput, rules of a supplier")


# -------------------------------------------------------------------------------------------------
# Body rules: the other operations


def existing_parent(case) -> None:
    """POST /v1/capabilities: "its parent (the code without its last part) must exist". A code
    whose parent does not exist is moved under one that does (at most 5 levels, 60 characters)."""
    body = case.body
    if not isinstance(body, dict) or "." not in body.get("code", ""):
        return
    parent, last = body["code"].rsplit(".", 1)
    caps = reference(case).capabilities
    if parent in caps:
        return
    fits = [c for c in caps if c.count(".") < 4 and len(c) + 1 + len(last) <= 60]
    body["code"] = f"{fits[len(parent) % len(fits)]}.{last}"
    edited(case, "capability: parent that exists")


def import_csv(case) -> None:
    """POST /v1/imports: "a header row of column names ... the first five are required"
    (src/domain/import.rs `check_header`) and rows; the generated bytes are replaced by such a
    file, two rows with tax ids valid for their countries."""
    if case.media_type != "text/csv":
        return
    n = next(SEQ)
    case.body = (
        "legal_name,tax_id,country,subdivision,sector,employees,capabilities\n"
        f"Ensambles del Bajío {n},{tax_id('MX')},MX,MX-GUA,manufacturing,42,atp.asm\n"
        f"Tecnologías Ticas {n},{tax_id('CR')},CR,,services,12,\n"
    )
    edited(case, "import: CSV with the required header")


def reachable_webhook(case) -> None:
    """POST /v1/webhooks: "an http(s) URL whose host resolves to public addresses only (loopback
    and private ones only if the operator allows them)". A generated host name does not resolve;
    the URL becomes an IP literal of the documentation range (the check runs the service with
    WEBHOOK_ALLOW_PRIVATE_TARGETS=true; nothing answers there)."""
    body = case.body
    if isinstance(body, dict) and "url" in body:
        body["url"] = f"https://192.0.2.{next(SEQ) % 254 + 1}/hooks/registry"
        edited(case, "webhook: URL the service may call")


def match_body(case) -> None:
    """POST /v1/suppliers/match: `tax_id` "needs `country`" and is "checked by the country's
    rules" (matching.rs `check`: 400 otherwise): a `country` is added when missing or null (MX)
    and the tax id becomes one valid for it; `external_refs[].value` valid for its system, as on
    a supplier (`valid_refs`). Only these: the other rules `check` has and the schema does not
    (a country that exists, text not blank) are the document's to state; a subdivision of the
    ISO 3166-2 shape that exists is the same prose rule as the search's."""
    body = case.body
    if not isinstance(body, dict):
        return
    before = json.dumps(body, sort_keys=True, default=str)
    if body.get("tax_id") is not None:
        if body.get("country") is None:
            body["country"] = "MX"
        body["tax_id"] = tax_id(body["country"])
    if isinstance(body.get("external_refs"), list):
        body["external_refs"] = valid_refs(body["external_refs"])
    # `subdivision`: ISO 3166-2, one that exists (`is_subdivision`); a code of the right shape
    # that names none becomes MX-JAL. One of another shape is left: the shape is the schema's.
    code = body.get("subdivision")
    if (isinstance(code, str) and re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", code)
            and code not in reference(case).all_subdivisions):
        body["subdivision"] = "MX-JAL"
    if json.dumps(body, sort_keys=True, default=str) != before:
        edited(case, "match body: tax_id with a country, external_refs valid for their system, "
                     "subdivision that exists")


def mergeable(case, sid: Any, other: Any = None) -> bool:
    """Whether `sid` is a supplier the caller sees that is neither archived nor merged (and is
    not `other`)."""
    if sid is None or str(sid) == str(other):
        return False
    answer = get(case, f"/v1/suppliers/{quote(str(sid), safe='')}")
    if answer.status_code != 200:
        return False
    doc = answer.json()
    return doc.get("status") != "archived" and not doc.get("merged_into")


def new_supplier(case) -> str | None:
    """A draft supplier made as the case's caller (None if it may not)."""
    n = next(SEQ)
    answer = HTTP.post(base_url(case) + "/v1/suppliers", headers=auth(case), timeout=TIMEOUT,
                       json={"legal_name": f"Duplicado de Prueba {n} S.A. de C.V.",
                             "tax_id": tax_id("MX"), "country": "MX", "sector": "manufacturing",
                             "employees": 10})
    return answer.json()["id"] if answer.status_code == 201 else None


def merge_pair(case) -> None:
    """POST /v1/suppliers/{id}/merge: the path `id` (the duplicate) and the body's `into` (the
    survivor) are two different suppliers, neither archived nor merged ("merging into itself,
    into an archived or merged supplier, or a supplier already archived or merged, is 409"; a
    generated id is no supplier: 404). Either that is not such a supplier becomes a new draft
    made as the case's caller (left as generated when the caller may not make one: 401/403)."""
    body = case.body
    if not isinstance(body, dict) or "into" not in body or not auth(case):
        return
    changed = False
    if not mergeable(case, case.path_parameters.get("id")):
        sid = new_supplier(case)
        if sid is None:
            return
        case.path_parameters["id"] = sid
        changed = True
    if not mergeable(case, body["into"], case.path_parameters["id"]):
        into = new_supplier(case)
        if into is None:
            return
        body["into"] = into
        changed = True
    if changed:
        edited(case, "merge: two different suppliers, neither archived nor merged")


OWNERS: dict[str, str] = {}  # caller -> a user with the `supplier` role made for the purpose


def supplier_user(case) -> str | None:
    """A user with the `supplier` role, made as the case's caller (None if it may not). Made
    again when the last one lost the role (the fuzzer patches users too)."""
    caller = auth(case).get("Authorization", "")
    known = OWNERS.get(caller)
    if known and get(case, f"/v1/users/{known}").json().get("role") == "supplier":
        return known
    answer = HTTP.post(base_url(case) + "/v1/users", headers=auth(case), timeout=TIMEOUT,
                       json={"email": f"owner{next(SEQ)}@contract.example.org",
                             "password": "contract-owner-1", "role": "supplier"})
    if answer.status_code != 201:
        return None
    OWNERS[caller] = answer.json()["id"]
    return OWNERS[caller]


def supplier_owner(case) -> None:
    """PUT /v1/suppliers/{id}/owners/{user_id}: the user must have the `supplier` role (422). A
    user id that is not one (or no user at all) becomes a supplier user made for the purpose."""
    user = case.path_parameters.get("user_id")
    answer = get(case, f"/v1/users/{quote(str(user), safe='')}")
    if answer.status_code in (401, 403) or (answer.status_code == 200 and answer.json().get("role") == "supplier"):
        return
    owner = supplier_user(case)
    if owner:
        case.path_parameters["user_id"] = owner
        edited(case, "owner: a supplier user")


@functools.cache
def spare_client(url: str, authorization: str) -> str | None:
    answer = HTTP.post(url + "/v1/clients", headers={"Authorization": authorization},
                       timeout=TIMEOUT, json={"name": "contract spare", "role": "admin"})
    return answer.json().get("id") if answer.status_code == 201 else None


def not_own_client(case) -> None:
    """Harness, not a rule of the document: PATCH /v1/clients/{id} on the fuzzer's own client
    (its id comes back from GET /v1/clients) could disable it or take its role, and every later
    request of the run would be 401/403. Such a case is sent to a spare client instead."""
    if str(case.path_parameters.get("id")) == caller_subject(case):
        spare = spare_client(base_url(case), auth(case).get("Authorization", ""))
        if spare:
            case.path_parameters["id"] = spare
            edited(case, "client: not the fuzzer's own")


# -------------------------------------------------------------------------------------------------
# The hooks


@schemathesis.hook
def before_call(context, case, kwargs):
    """Positive cases only: each rule above for the operations it concerns."""
    if not is_positive(case):
        return
    op = operation_id(case)
    if op == "clients_update":
        not_own_client(case)
    if op == "stats_ladder":
        ladder_range(case)
    if op in SEARCHES:
        query = dict(case.query or {})
        search_dependencies(case)
        existing_subdivision(case)
        search_tax_id(case)
        search_external_refs(case)
        if case.query != query:
            query_still_valid(case)
    if op in CURSOR_LISTS and "cursor" in (case.query or {}):
        issued_cursor(case)
        query_still_valid(case)
    if op == "suppliers_merge":  # before its If-Match: that is read from the pair chosen here
        merge_pair(case)
    target = None
    if op in ETAG_TARGETS:
        target = get(case, path_of(ETAG_TARGETS[op], case))
        current_etag(case, target)
    if op == "suppliers_create":
        supplier_create(case)
        fresh_idempotency_key(case)
    elif op == "suppliers_update":
        supplier_patch(case, target)
    elif op == "suppliers_match":
        match_body(case)
    elif op == "capabilities_create":
        existing_parent(case)
    elif op == "imports_create":
        import_csv(case)
    elif op == "webhooks_create":
        reachable_webhook(case)
    elif op == "suppliers_owners_add":
        supplier_owner(case)


@schemathesis.hook
def after_call(context, case, response):
    """An edited case must still be positive (schema-valid): else its positive checks would be
    skipped unseen. That would be a bug of these hooks, so the run stops on it."""
    rules = EDITED.get(case.id)
    if rules and not is_positive(case):
        print(f"st_hooks: {', '.join(rules)} made {case.operation.label} (case {case.id}) "
              f"schema-invalid: query={case.query!r}", file=sys.stderr)
        raise AssertionError(f"st_hooks: {', '.join(rules)} made {case.operation.label} "
                             f"(case {case.id}) schema-invalid: query={case.query!r} "
                             f"headers={dict(case.headers or {})!r} body={case.body!r:.300}")


@atexit.register
def _summary() -> None:
    if EDITS:
        print("st_hooks: positive cases changed, by rule:", file=sys.stderr)
        for rule, n in sorted(EDITS.items()):
            print(f"  {n:6d}  {rule}", file=sys.stderr)
