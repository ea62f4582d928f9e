"""The partner story, told through the generated Python client only (openapi-python-client).

    BASE_URL=http://127.0.0.1:8080 ADMIN_CLIENT_ID=… ADMIN_CLIENT_SECRET=… \
        PYTHONPATH=<generated client> python partner.py

An API client (role admin) gets a token with client credentials from a client that holds no
token yet, registers two suppliers with accents (Mexican, Costa Rican), searches for them with
filters following `next_cursor` to the end, submits and verifies one, follows the change feed
with `after`, registers a webhook and reads its deliveries, uploads a CSV import and polls it,
and reads the `errors[].field` of a 422. Before registering each supplier it asks
`POST /v1/suppliers/match` whether the company is there already (no `exact` candidate), and
after it the same question finds it (`exact`, first); it looks each up by `tax_id` + `country`
(written with separators, read as on write), and reads `/v1/identifier-systems` and
`/v1/stats/ladder` anonymously. Any surprise ends the run with a message and exit
code 1; a step that the generated client cannot do because of the OpenAPI document says so
(`CONTRACT:`) and the story goes on where it can. No raw HTTP, no casts around the client.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import threading
import time
import traceback
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

PACKAGE = "supplier_registry_client"


class Surprise(Exception):
    """The service or the generated client did something the story does not expect."""


class ContractGap(Surprise):
    """The generated client cannot do a step because of the OpenAPI document."""


def api(module: str) -> Any:
    """A generated operation module; one that does not import is a gap in the contract."""
    try:
        return importlib.import_module(f"{PACKAGE}.api.{module}")
    except Exception as exc:  # noqa: BLE001 - whatever the generated code raises
        raise ContractGap(
            f"the generated module {PACKAGE}.api.{module} does not import: {type(exc).__name__}: {exc}"
        ) from exc


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise Surprise(message)


def parsed(resp: Any, status: int, what: str, model: type | None = None) -> Any:
    """The parsed body of a response that must have `status` (and be a `model`)."""
    if resp.status_code != status:
        body = resp.content[:400].decode("utf-8", "replace")
        raise Surprise(f"{what}: HTTP {int(resp.status_code)} (expected {status}): {body}")
    if model is not None and not isinstance(resp.parsed, model):
        raise Surprise(
            f"{what}: the generated client parsed {type(resp.parsed).__name__}, not {model.__name__}"
        )
    return resp.parsed


# --- RFC (Mexico) and cédula jurídica (Costa Rica) that are valid and new on every run --------
RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def rfc_check(first11: str) -> str:
    padded = first11.rjust(12)
    total = sum(RFC_ALPHABET.index(c) * (13 - i) for i, c in enumerate(padded))
    value = (11 - total % 11) % 11
    return "A" if value == 10 else str(value)


def company_rfc(n: int, letters: str) -> str:
    """A company RFC: 3 letters, a real date YYMMDD, 2 homoclave characters and the check."""
    yy, n = n % 100, n // 100
    mm, n = n % 12 + 1, n // 12
    dd, n = n % 28 + 1, n // 28
    h1, n = ALNUM[n % 36], n // 36
    h2 = ALNUM[n % 36]
    first11 = f"{letters}{yy:02d}{mm:02d}{dd:02d}{h1}{h2}"
    return first11 + rfc_check(first11)


def cedula_juridica(n: int) -> str:
    """A cédula jurídica of a sociedad anónima: 3-101-NNNNNN."""
    return f"3101{n % 1_000_000:06d}"


# --- A webhook receiver on loopback ------------------------------------------------------------
class Receiver:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                outer.received.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


# --- The story ---------------------------------------------------------------------------------
class Story:
    def __init__(self) -> None:
        self.base_url = os.environ["BASE_URL"].rstrip("/")
        self.client_id = os.environ["ADMIN_CLIENT_ID"]
        self.client_secret = os.environ["ADMIN_CLIENT_SECRET"]
        self.run = int(time.time() * 1000)
        self.token: str | None = None
        self.authed: Any = None
        self.codes: list[str] = []
        self.mx: Any = None  # the created suppliers (SupplierDocument)
        self.cr: Any = None
        self.mx_etag: str | None = None
        self.search_pages = 0
        self.events_seen = 0
        self.deliveries = 0
        self.import_counts: Any = None
        self.problem_fields: list[str] = []
        self.matched_before: dict[str, list[str]] = {}
        self.ladder = ""
        self.systems = 0
        self.gaps: list[str] = []
        self.failures: list[str] = []
        self.done: list[str] = []

    # Each step runs unless a step it needs failed; a failure is reported and the story goes on.
    def step(self, name: str, fn: Callable[[], None], needs: tuple[str, ...] = ()) -> None:
        missing = [n for n in needs if n not in self.done]
        if missing:
            print(f"partner.py: SKIPPED {name} (needs {', '.join(missing)})")
            self.failures.append(f"{name}: skipped")
            return
        try:
            fn()
        except ContractGap as exc:
            print(f"partner.py: CONTRACT: {name}: {exc}")
            self.gaps.append(f"{name}: {exc}")
            return
        except Surprise as exc:
            print(f"partner.py: FAILED {name}: {exc}")
            self.failures.append(f"{name}: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a crash in the generated code is a failure too
            where = traceback.extract_tb(exc.__traceback__)[-1]
            message = f"{type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})"
            print(f"partner.py: FAILED {name}: {message}")
            traceback.print_exc()
            self.failures.append(f"{name}: {message}")
            return
        self.done.append(name)
        print(f"partner.py: ok {name}")

    def token_step(self) -> None:
        import supplier_registry_client as pkg
        from supplier_registry_client.models import Jwks, TokenRequest, TokenRequestGrantType, TokenResponse

        auth_jwks = api("auth.auth_jwks")
        auth_token = api("auth.auth_token")
        # A partner starts with the plain `Client`: it holds no token yet. The generated
        # signatures must say that this is enough.
        for module in (auth_jwks, auth_token):
            hint = typing.get_type_hints(module.sync_detailed).get("client")
            if pkg.Client not in typing.get_args(hint) and hint is not pkg.Client:
                raise ContractGap(
                    f"{module.__name__.rsplit('.', 1)[-1]}.sync_detailed wants "
                    f"client: {getattr(hint, '__name__', hint)}, so a client "
                    "without a token cannot call it (the operation declares "
                    "security)"
                )
        anonymous = pkg.Client(base_url=self.base_url, raise_on_unexpected_status=False)
        jwks = parsed(auth_jwks.sync_detailed(client=anonymous), 200, "GET /.well-known/jwks.json", Jwks)
        expect(
            any(k.kty == "OKP" and k.crv == "Ed25519" and k.alg == "EdDSA" for k in jwks.keys),
            "the JWKS has no Ed25519 key",
        )
        body = TokenRequest(
            grant_type=TokenRequestGrantType.CLIENT_CREDENTIALS,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )
        token = parsed(
            auth_token.sync_detailed(client=anonymous, body=body), 200, "POST /v1/auth/token", TokenResponse
        )
        expect(token.token_type.lower() == "bearer", f"token_type {token.token_type!r}")
        expect(token.expires_in > 0, "expires_in is not positive")
        self.token = token.access_token
        self.authed = pkg.AuthenticatedClient(
            base_url=self.base_url, token=self.token, raise_on_unexpected_status=False
        )

    def capabilities_step(self) -> None:
        from supplier_registry_client.models import CapabilityTree

        tree = parsed(
            api("reference.capabilities_list").sync_detailed(client=self.authed),
            200,
            "GET /v1/capabilities",
            CapabilityTree,
        )

        def walk(nodes: list[Any]) -> None:
            for node in nodes:
                self.codes.append(node.code)
                walk(node.children)

        walk(tree.data)
        for code in ("atp.asm.wb", "atp.asm", "atp.tst"):
            expect(code in self.codes, f"capability {code} is not in the taxonomy")

    def match(self, company: Any, what: str) -> list[Any]:
        """The candidates `POST /v1/suppliers/match` gives for `company` (a MatchRequest)."""
        from supplier_registry_client.models import MatchResponse

        answer = parsed(
            api("suppliers.suppliers_match").sync_detailed(client=self.authed, body=company, limit=10),
            200,
            f"POST /v1/suppliers/match ({what})",
            MatchResponse,
        )
        for c in answer.data:
            expect(0 <= c.score <= 1, f"match ({what}): score {c.score}")
            expect(c.supplier.id == c.supplier_id, f"match ({what}): supplier_id is not the supplier's id")
        return answer.data

    def match_then_create(self, company: Any, create: Callable[[], Any], what: str) -> Any:
        """Asks whether the company is registered (it is new: no `exact` candidate), creates it,
        and asks again: now it is the first candidate, `exact`, by its tax id."""
        before = self.match(company, f"{what}, before creating it")
        exact = [str(c.supplier_id) for c in before if str(c.match) == "exact"]
        expect(not exact, f"match ({what}): a new tax id has exact candidates {exact}")
        self.matched_before[what] = [f"{c.match} {c.score:.2f}" for c in before]
        doc = create()
        after = self.match(company, f"{what}, after creating it")
        expect(bool(after), f"match ({what}): the created supplier is not a candidate")
        first = after[0]
        expect(
            first.supplier_id == doc.id and str(first.match) == "exact" and first.score == 1,
            f"match ({what}) after creating it: first {first.supplier_id} {first.match} {first.score}, "
            f"not {doc.id} exact 1",
        )
        expect("tax_id" in first.reasons, f"match ({what}): reasons {first.reasons} without tax_id")
        return doc

    def create_step(self) -> None:
        from supplier_registry_client.models import (
            CapabilityInput,
            CapabilityParameters,
            Contact,
            CountryCode,
            Location,
            MatchRequest,
            Sector,
            SupplierDocument,
            SupplierInput,
        )

        create = api("suppliers.suppliers_create")
        mx_in = SupplierInput(
            legal_name="Ensambles del Bajío S.A. de C.V.",
            trade_name="EnBajío",
            tax_id=company_rfc(self.run, "EBP"),
            country=CountryCode.MX,
            subdivision="MX-GUA",
            city="León",
            address="Blvd. Adolfo López Mateos 1234, Col. Jardines del Moral",
            location=Location(lat=21.12, lon=-101.68),
            website="https://enbajio.example.mx",
            founded_year=2001,
            sector=Sector.MANUFACTURING,
            employees=42,
            capabilities=[
                # the document's own example of parameters
                CapabilityInput(
                    code="atp.asm.wb",
                    details="Alambre de oro y cobre, QFN y SOIC",
                    parameters=CapabilityParameters.from_dict({"package_families": ["QFN"]}),
                ),
                CapabilityInput(code="atp.tst"),
            ],
            contacts=[
                Contact(
                    name="María José Núñez",
                    role="Gerente de Ventas",
                    email="mjnunez@enbajio.example.mx",
                    phone="+524771234567",
                )
            ],
        )
        # What the partner knows of the company, as a match asks it.
        mx_match = MatchRequest(
            legal_name="Ensambles del Bajio SA de CV",
            country=CountryCode.MX,
            tax_id=mx_in.tax_id,
            city="León",
            website="https://enbajio.example.mx",
            contacts=[Contact(name="María José Núñez", email="mjnunez@enbajio.example.mx")],
        )
        created: dict[str, Any] = {}

        def create_mx() -> Any:
            created["mx"] = create.sync_detailed(
                client=self.authed, body=mx_in, idempotency_key=f"partner-py-{self.run}-mx"
            )
            return parsed(created["mx"], 201, "POST /v1/suppliers (MX)", SupplierDocument)

        self.mx = self.match_then_create(mx_match, create_mx, "MX")
        resp = created["mx"]
        self.mx_etag = resp.headers.get("etag")
        expect(bool(self.mx_etag), "no ETag on 201")
        expect(
            resp.headers.get("location") == f"/v1/suppliers/{self.mx.id}",
            f"Location {resp.headers.get('location')!r}",
        )
        expect(
            self.mx.legal_name == mx_in.legal_name and self.mx.city == "León",
            "the accents did not come back as sent",
        )
        expect(str(self.mx.status) == "draft", f"a new supplier is {self.mx.status!r}, not draft")
        # The same key and body again: the first answer again.
        again = create.sync_detailed(
            client=self.authed, body=mx_in, idempotency_key=f"partner-py-{self.run}-mx"
        )
        expect(
            again.status_code == 201
            and again.parsed is not None
            and getattr(again.parsed, "id", None) == self.mx.id,
            f"an Idempotency-Key replay answered {int(again.status_code)}, not the same 201",
        )

        cr_in = SupplierInput(
            legal_name="Soluciones Térmicas de Cartago S.A.",
            tax_id=cedula_juridica(self.run),
            country=CountryCode.CR,
            subdivision="CR-C",
            city="Cartago",
            location=Location(lat=9.8644, lon=-83.9194),
            sector=Sector.SERVICES,
            employees=18,
            capabilities=[CapabilityInput(code="atp.tst", details="Pruebas térmicas y de burn-in")],
            contacts=[Contact(name="José Ángel Solís", email="jsolis@termicas.example.cr")],
        )
        cr_match = MatchRequest(
            legal_name="Soluciones Termicas de Cartago", country=CountryCode.CR, tax_id=cr_in.tax_id, city="Cartago"
        )
        self.cr = self.match_then_create(
            cr_match,
            lambda: parsed(
                create.sync_detailed(client=self.authed, body=cr_in),
                201,
                "POST /v1/suppliers (CR)",
                SupplierDocument,
            ),
            "CR",
        )
        expect(self.cr.legal_name == "Soluciones Térmicas de Cartago S.A.", "CR legal_name changed")

    def search_step(self) -> None:
        list_ = api("suppliers.suppliers_list")
        from supplier_registry_client.models import SuppliersListSizeClassItem
        from supplier_registry_client.types import UNSET

        def search(want: Any, **filters: Any) -> None:
            seen: set[Any] = set()
            cursor: Any = UNSET
            found = False
            for _ in range(1000):
                page = parsed(
                    list_.sync_detailed(client=self.authed, limit=2, cursor=cursor, **filters),
                    200,
                    f"GET /v1/suppliers {filters}",
                )
                self.search_pages += 1
                for doc in page.data:
                    expect(doc.id not in seen, f"search {filters}: {doc.id} on two pages")
                    seen.add(doc.id)
                    found = found or doc.id == want.id
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            else:
                raise Surprise(f"search {filters}: more than 1000 pages")
            expect(found, f"search {filters}: the created supplier {want.id} is not found")

        from supplier_registry_client.models import CountryCode

        size = SuppliersListSizeClassItem(str(self.mx.size_class))
        search(self.mx, country=CountryCode.MX, capability=["atp.asm"], size_class=[size], q="Bajio")
        search(self.mx, country=CountryCode.MX, subdivision="MX-GUA", capability=["atp.asm.wb", "atp.tst"])
        search(self.cr, country=CountryCode.CR, q="termicas cartago", capability=["atp"])

    def lookup_step(self) -> None:
        """Each supplier by `tax_id` + `country`, the tax id written as people do (separators,
        lower case): read as on write, it finds that supplier and only it."""
        from supplier_registry_client.models import CountryCode

        list_ = api("suppliers.suppliers_list")
        mx_written = f"{self.mx.tax_id[:3]}-{self.mx.tax_id[3:9]}-{self.mx.tax_id[9:]}".lower()
        cr_written = f"{self.cr.tax_id[0]}-{self.cr.tax_id[1:4]}-{self.cr.tax_id[4:]}"
        for doc, country, written in ((self.mx, CountryCode.MX, mx_written), (self.cr, CountryCode.CR, cr_written)):
            page = parsed(
                list_.sync_detailed(client=self.authed, tax_id=written, country=country),
                200,
                f"GET /v1/suppliers?tax_id={written}&country={country}",
            )
            ids = [d.id for d in page.data]
            expect(ids == [doc.id], f"tax_id {written} ({country}): {ids}, not [{doc.id}]")

    def anonymous_step(self) -> None:
        """Public reads without a token: the identifier systems and the development ladder.
        openapi-python-client types every operation that lists a security scheme as taking an
        `AuthenticatedClient`, even where `{}` (no credentials) is among its requirements; the
        code needs only a `Client`, which is what a partner without a token holds."""
        import supplier_registry_client as pkg
        from supplier_registry_client.models import IdentifierSystemList, LadderResponse

        anonymous = pkg.Client(base_url=self.base_url, raise_on_unexpected_status=False)
        systems = parsed(
            api("reference.identifier_systems_list").sync_detailed(client=anonymous, accept_language="es"),
            200,
            "GET /v1/identifier-systems (anonymous)",
            IdentifierSystemList,
        )
        by_code = {s.code: s for s in systems.data}
        for code in ("lei", "sam_uei", "duns", "mx_rfc", "cr_cedula"):
            expect(code in by_code, f"identifier system {code} is not listed: {sorted(by_code)}")
        expect(by_code["mx_rfc"].country == "MX", f"mx_rfc is for {by_code['mx_rfc'].country!r}")
        expect(by_code["mx_rfc"].label == by_code["mx_rfc"].labels.es, "Accept-Language: es did not give es labels")
        ladder = parsed(
            api("stats.stats_ladder").sync_detailed(client=anonymous),
            200,
            "GET /v1/stats/ladder (anonymous)",
            LadderResponse,
        )
        now = time.gmtime()
        month = f"{now.tm_year:04d}-{now.tm_mon:02d}"
        expect(bool(ladder.data) and ladder.data[-1].cohort == month, f"the ladder does not end with {month}")
        # This month's suppliers (the ones made above): registered is not 0 (1 or 2 are null).
        expect(ladder.data[-1].registered != 0, f"the ladder's {month}: registered 0")
        self.ladder = f"{len(ladder.data)} cohorts, {month} registered {ladder.data[-1].registered}"
        self.systems = len(systems.data)

    def verify_step(self) -> None:
        from supplier_registry_client.models import SupplierDocument

        resp = api("suppliers.suppliers_submit").sync_detailed(
            self.mx.id, client=self.authed, if_match=self.mx_etag
        )
        doc = parsed(resp, 200, "POST /v1/suppliers/{id}/submit", SupplierDocument)
        expect(str(doc.status) == "pending", f"after submit: {doc.status}")
        etag = resp.headers.get("etag")
        expect(bool(etag) and etag != self.mx_etag, "submit did not answer a new ETag")
        stale = api("suppliers.suppliers_verify").sync_detailed(
            self.mx.id, client=self.authed, if_match=self.mx_etag
        )
        expect(stale.status_code == 412, f"verify with a stale If-Match: {int(stale.status_code)}")
        resp = api("suppliers.suppliers_verify").sync_detailed(self.mx.id, client=self.authed, if_match=etag)
        doc = parsed(resp, 200, "POST /v1/suppliers/{id}/verify", SupplierDocument)
        expect(str(doc.status) == "verified" and doc.verified_at, f"after verify: {doc.status}")
        self.mx = doc

    def events_step(self) -> None:
        events = api("integration.events_list")
        from supplier_registry_client.types import UNSET

        after: Any = UNSET
        last = 0
        mine: list[str] = []
        for _ in range(10000):
            page = parsed(
                events.sync_detailed(client=self.authed, after=after, limit=50), 200, "GET /v1/events"
            )
            if not page.data:
                break
            for event in page.data:
                expect(event.id > last, f"event id {event.id} after {last}")
                last = event.id
                self.events_seen += 1
                if event.supplier_id == self.mx.id:
                    mine.append(str(event.type_))
                    # A status change's data says what it became.
                    if str(event.type_) == "supplier.status_changed" and str(event.data.to) == "verified":
                        mine.append("verified")
            after = last
        else:
            raise Surprise("the change feed did not end")
        for kind in ("supplier.created", "supplier.status_changed", "verified"):
            expect(kind in mine, f"no {kind} event for {self.mx.id} (saw {mine})")

    def webhook_step(self) -> None:
        from supplier_registry_client.models import CreatedWebhook, CreateWebhookRequest, EventType

        self.receiver = Receiver()
        body = CreateWebhookRequest(
            url=f"http://127.0.0.1:{self.receiver.port}/hook", events=[EventType.SUPPLIER_CREATED]
        )
        hook = parsed(
            api("integration.webhooks_create").sync_detailed(client=self.authed, body=body),
            201,
            "POST /v1/webhooks",
            CreatedWebhook,
        )
        expect(hook.secret.startswith("whsec_"), "the webhook secret is not whsec_…")
        self.hook = hook

    def import_step(self) -> None:
        from supplier_registry_client.models import ImportAccepted, ImportJob
        from supplier_registry_client.types import File

        create = api("integration.imports_create")
        # The file goes as raw bytes: the generated operation must take a `File`.
        body_hint = typing.get_type_hints(create.sync_detailed).get("body")
        if body_hint is not File and File not in typing.get_args(body_hint):
            raise ContractGap(
                f"imports_create.sync_detailed takes body: {getattr(body_hint, '__name__', body_hint)}, "
                "not a File, and its code sends `body.payload` (the request body's schema is not "
                "`format: binary`)"
            )

        good1 = company_rfc(self.run + 7919, "MQP")
        good2 = cedula_juridica(self.run + 7919)
        csv = (
            "legal_name,tax_id,country,subdivision,city,sector,employees,capabilities\n"
            f"Maquinados de Querétaro S.A. de C.V.,{good1},MX,MX-QUE,Querétaro,manufacturing,120,atp.asm;atp.tst\n"
            f"Electrónica Herediana S.A.,{good2},CR,CR-H,Heredia,manufacturing,9,atp.tst\n"
            "Compañía Genérica S.A. de C.V.,XAXX010101000,MX,MX-JAL,Zapopan,commerce,5,atp.asm\n"
        )
        resp = create.sync_detailed(
            client=self.authed, body=File(payload=io.BytesIO(csv.encode()), mime_type="text/csv")
        )
        accepted = parsed(resp, 202, "POST /v1/imports", ImportAccepted)
        get = api("integration.imports_get")
        deadline = time.monotonic() + 60
        while True:
            imp = parsed(
                get.sync_detailed(accepted.id, client=self.authed), 200, "GET /v1/imports/{id}", ImportJob
            )
            if str(imp.status) in ("completed", "failed"):
                break
            expect(time.monotonic() < deadline, f"import still {imp.status} after 60 s")
            time.sleep(0.5)
        expect(str(imp.status) == "completed", f"import {imp.status}")
        c = imp.counts
        expect(
            (c.created, c.updated, c.unchanged, c.failed) == (2, 0, 0, 1),
            f"import counts created={c.created} updated={c.updated} unchanged={c.unchanged} failed={c.failed}",
        )
        expect(
            any(e.row == 3 and e.field == "tax_id" for e in imp.errors),
            f"the bad row's error is not listed: {[(e.row, e.field, e.message) for e in imp.errors]}",
        )
        self.import_counts = c

    def deliveries_step(self) -> None:
        deliveries = api("integration.webhooks_deliveries")
        deadline = time.monotonic() + 30
        while True:
            page = parsed(
                deliveries.sync_detailed(self.hook.id, client=self.authed, limit=100),
                200,
                "GET /v1/webhooks/{id}/deliveries",
            )
            done = [d for d in page.data if str(d.status) == "delivered"]
            if len(done) >= 2:  # the import created two suppliers after the webhook
                break
            expect(
                time.monotonic() < deadline,
                f"deliveries after 30 s: {[(d.event_type, d.status) for d in page.data]}",
            )
            time.sleep(0.5)
        for d in page.data:
            expect(str(d.event_type) == "supplier.created", f"a {d.event_type} delivery")
            expect(bool(d.attempts), "a delivery without attempts")
        ids = {h.get("webhook-id") for h in self.receiver.received}
        expect(
            {d.message_id for d in done} <= ids,
            f"the receiver did not get {[d.message_id for d in done]} (got {sorted(map(str, ids))})",
        )
        expect(
            all(h.get("webhook-signature", "").startswith("v1,") for h in self.receiver.received),
            "a delivery without a v1 signature",
        )
        self.deliveries = len(done)

    def problem_step(self) -> None:
        from supplier_registry_client.models import CountryCode, Problem, Sector, SupplierInput

        bad = SupplierInput(
            legal_name="Proveedor Inválido S.A.",
            tax_id=company_rfc(self.run + 104729, "PIV"),
            country=CountryCode.MX,
            sector=Sector.COMMERCE,
            employees=-1,
            website="ftp://x",
        )
        problem = parsed(
            api("suppliers.suppliers_create").sync_detailed(client=self.authed, body=bad),
            422,
            "POST /v1/suppliers (invalid)",
            Problem,
        )
        expect(problem.status == 422, f"problem status {problem.status}")
        fields = [e.field for e in (problem.errors or [])]
        for f in ("employees", "website"):
            expect(f in fields, f"the 422 does not name {f}: {fields}")
        self.problem_fields = fields

    def tell(self) -> int:
        try:
            importlib.import_module(PACKAGE)
        except Exception as exc:  # noqa: BLE001
            print(f"partner.py: the generated package does not import: {exc}")
            return 1
        self.step("token", self.token_step)
        self.step("capabilities", self.capabilities_step, ("token",))
        self.step("create", self.create_step, ("token",))
        self.step("search", self.search_step, ("create",))
        self.step("lookup", self.lookup_step, ("create",))
        self.step("verify", self.verify_step, ("create",))
        self.step("events", self.events_step, ("verify",))
        self.step("webhook", self.webhook_step, ("token",))
        self.step("import", self.import_step, ("token",))
        self.step("deliveries", self.deliveries_step, ("webhook", "import"))
        self.step("problem", self.problem_step, ("token",))
        self.step("anonymous", self.anonymous_step, ("create",))
        if hasattr(self, "receiver"):
            self.receiver.close()
        if self.gaps or self.failures:
            print(
                f"partner.py: FAILED: {len(self.done)} step(s) ok, {len(self.gaps)} the generated "
                f"client cannot do because of the document, {len(self.failures)} failed or skipped"
            )
            for line in self.gaps:
                print(f"  CONTRACT: {line}")
            for line in self.failures:
                print(f"  FAILED: {line}")
            return 1
        c = self.import_counts
        print(
            f"partner.py: OK: token; suppliers {self.mx.tax_id} (MX) and {self.cr.tax_id} (CR) created "
            f"(matched before: {self.matched_before}; exact after), found by tax_id; "
            f"found in {self.search_pages} search pages; verified; {self.events_seen} events followed; "
            f"{self.deliveries} webhook deliveries; import created={c.created} failed={c.failed}; "
            f"422 fields {self.problem_fields}; anonymously {self.systems} identifier systems, ladder {self.ladder}"
        )
        return 0


if __name__ == "__main__":
    for var in ("BASE_URL", "ADMIN_CLIENT_ID", "ADMIN_CLIENT_SECRET"):
        if not os.environ.get(var):
            sys.exit(f"partner.py: {var} is not set")
    sys.exit(Story().tell())
