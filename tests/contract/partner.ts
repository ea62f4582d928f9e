// The partner story, told through the generated TypeScript types only (openapi-typescript 7 +
// openapi-fetch), type-checked with `tsc --strict` (tsconfig.json) and run with node:
//
//   BASE_URL=http://127.0.0.1:8080 ADMIN_CLIENT_ID=… ADMIN_CLIENT_SECRET=… node partner.js
//
// The same story as partner.py: a token with client credentials from a client that holds no
// token, two suppliers with accents (MX, CR), a filtered search to the last cursor, submit and
// verify, the change feed with `after`, a webhook and its deliveries, a CSV import polled to the
// end, and the `errors[].field` of a 422. Before registering each supplier it asks
// `POST /v1/suppliers/match` whether the company is there (no `exact` candidate), and after it the
// same question finds it (`exact`, first); it looks each up by `tax_id` + `country` (written with
// separators, read as on write) and reads `/v1/identifier-systems` and `/v1/stats/ladder` with a
// client that holds no token. Any surprise ends the run with a message and exit code
// 1. No casts around the generated types and no raw HTTP: where the types are wrong, tsc says so
// and the document has to change.
import http from "node:http";
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/schema";

type Schemas = components["schemas"];

class Surprise extends Error {}

function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Surprise(message);
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    console.error(`partner.ts: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

/** The body of a response that must have `status`. */
function ok<T>(what: string, status: number, r: { data?: T; error?: unknown; response: Response }): T {
  if (r.response.status !== status || r.data === undefined) {
    throw new Surprise(
      `${what}: HTTP ${r.response.status} (expected ${status}): ${JSON.stringify(r.error ?? r.data).slice(0, 400)}`,
    );
  }
  return r.data;
}

// --- RFC (Mexico) and cédula jurídica (Costa Rica) that are valid and new on every run -------
const RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function rfcCheck(first11: string): string {
  const padded = first11.padStart(12, " ");
  let total = 0;
  for (let i = 0; i < 12; i++) total += RFC_ALPHABET.indexOf(padded.charAt(i)) * (13 - i);
  const value = (11 - (total % 11)) % 11;
  return value === 10 ? "A" : String(value);
}

function companyRfc(seed: number, letters: string): string {
  let n = seed;
  const yy = n % 100;
  n = Math.floor(n / 100);
  const mm = (n % 12) + 1;
  n = Math.floor(n / 12);
  const dd = (n % 28) + 1;
  n = Math.floor(n / 28);
  const h1 = ALNUM.charAt(n % 36);
  n = Math.floor(n / 36);
  const h2 = ALNUM.charAt(n % 36);
  const two = (x: number) => String(x).padStart(2, "0");
  const first11 = `${letters}${two(yy)}${two(mm)}${two(dd)}${h1}${h2}`;
  return first11 + rfcCheck(first11);
}

function cedulaJuridica(seed: number): string {
  return `3101${String(seed % 1_000_000).padStart(6, "0")}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- A webhook receiver on loopback -----------------------------------------------------------
async function receiver(): Promise<{ port: number; received: http.IncomingHttpHeaders[]; close: () => void }> {
  const received: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push(req.headers);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Surprise("the webhook receiver has no port");
  return { port: address.port, received, close: () => server.close() };
}

// --- The story --------------------------------------------------------------------------------
async function main(): Promise<void> {
  const baseUrl = env("BASE_URL").replace(/\/$/, "");
  const clientId = env("ADMIN_CLIENT_ID");
  const clientSecret = env("ADMIN_CLIENT_SECRET");
  const run = Date.now() + 500_000; // another seed than partner.py's in the same second

  // 1. A client without a token: the JWKS, then a token with client credentials.
  const anonymous = createClient<paths>({ baseUrl });
  const jwks = ok("GET /.well-known/jwks.json", 200, await anonymous.GET("/.well-known/jwks.json"));
  expect(
    jwks.keys.some((k) => k.kty === "OKP" && k.crv === "Ed25519" && k.alg === "EdDSA"),
    "the JWKS has no Ed25519 key",
  );
  const form: Schemas["TokenRequest"] = {
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: clientSecret,
  };
  const token = ok(
    "POST /v1/auth/token",
    200,
    await anonymous.POST("/v1/auth/token", {
      body: form,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      bodySerializer: (body) => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(body)) if (typeof v === "string") params.set(k, v);
        return params;
      },
    }),
  );
  expect(token.token_type.toLowerCase() === "bearer", `token_type ${token.token_type}`);
  const bearer: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token.access_token}`);
      return request;
    },
  };
  const api = createClient<paths>({ baseUrl });
  api.use(bearer);

  // 2. Capability codes.
  const tree = ok("GET /v1/capabilities", 200, await api.GET("/v1/capabilities"));
  const codes: string[] = [];
  const walk = (nodes: Schemas["CapabilityNode"][]): void => {
    for (const n of nodes) {
      codes.push(n.code);
      walk(n.children);
    }
  };
  walk(tree.data);
  for (const c of ["atp.asm.wb", "atp.asm", "atp.tst"]) expect(codes.includes(c), `capability ${c} is missing`);

  // 3. Two suppliers with accents, each asked for with a match before it is created (a new tax
  // id: no `exact` candidate) and after (itself, first and `exact`, by its tax id).
  const matchOf = async (company: Schemas["MatchRequest"], what: string): Promise<Schemas["Candidate"][]> => {
    const answer = ok(
      `POST /v1/suppliers/match (${what})`,
      200,
      await api.POST("/v1/suppliers/match", { body: company, params: { query: { limit: 10 } } }),
    );
    for (const c of answer.data) {
      expect(c.score >= 0 && c.score <= 1, `match (${what}): score ${c.score}`);
      expect(c.supplier.id === c.supplier_id, `match (${what}): supplier_id is not the supplier's id`);
    }
    return answer.data;
  };
  const matchedBefore: Record<string, string[]> = {};
  const matchThenCreate = async (
    company: Schemas["MatchRequest"],
    create: () => Promise<Schemas["SupplierDocument"]>,
    what: string,
  ): Promise<Schemas["SupplierDocument"]> => {
    const before = await matchOf(company, `${what}, before creating it`);
    const exact = before.filter((c) => c.match === "exact").map((c) => c.supplier_id);
    expect(exact.length === 0, `match (${what}): a new tax id has exact candidates ${JSON.stringify(exact)}`);
    matchedBefore[what] = before.map((c) => `${c.match} ${c.score.toFixed(2)}`);
    const doc = await create();
    const after = await matchOf(company, `${what}, after creating it`);
    const first = after[0];
    expect(first, `match (${what}): the created supplier is not a candidate`);
    expect(
      first.supplier_id === doc.id && first.match === "exact" && first.score === 1,
      `match (${what}) after creating it: first ${first.supplier_id} ${first.match} ${first.score}, not ${doc.id} exact 1`,
    );
    expect(first.reasons.includes("tax_id"), `match (${what}): reasons ${JSON.stringify(first.reasons)} without tax_id`);
    return doc;
  };

  const mxIn: Schemas["SupplierInput"] = {
    legal_name: "Ensambles del Bajío S.A. de C.V.",
    trade_name: "EnBajío",
    tax_id: companyRfc(run, "EBT"),
    country: "MX",
    subdivision: "MX-GUA",
    city: "León",
    address: "Blvd. Adolfo López Mateos 1234, Col. Jardines del Moral",
    location: { lat: 21.12, lon: -101.68 },
    website: "https://enbajio.example.mx",
    founded_year: 2001,
    sector: "manufacturing",
    employees: 42,
    capabilities: [
      // the document's own example of parameters
      { code: "atp.asm.wb", details: "Alambre de oro y cobre, QFN y SOIC", parameters: { package_families: ["QFN"] } },
      { code: "atp.tst" },
    ],
    contacts: [
      { name: "María José Núñez", role: "Gerente de Ventas", email: "mjnunez@enbajio.example.mx", phone: "+524771234567" },
    ],
  };
  // The 201's headers, read below (a holder: tsc does not follow assignments made in a callback).
  const createdHeaders: { etag?: string | null; location?: string | null } = {};
  let mx = await matchThenCreate(
    {
      legal_name: "Ensambles del Bajio SA de CV",
      country: "MX",
      tax_id: mxIn.tax_id,
      city: "León",
      website: "https://enbajio.example.mx",
      contacts: [{ name: "María José Núñez", email: "mjnunez@enbajio.example.mx" }],
    },
    async () => {
      const created = await api.POST("/v1/suppliers", {
        body: mxIn,
        params: { header: { "Idempotency-Key": `partner-ts-${run}-mx` } },
      });
      createdHeaders.etag = created.response.headers.get("etag");
      createdHeaders.location = created.response.headers.get("location");
      return ok("POST /v1/suppliers (MX)", 201, created);
    },
    "MX",
  );
  let etag = createdHeaders.etag;
  expect(etag, "no ETag on 201");
  expect(createdHeaders.location === `/v1/suppliers/${mx.id}`, `Location ${createdHeaders.location}`);
  expect(mx.legal_name === mxIn.legal_name && mx.city === "León", "the accents did not come back as sent");
  expect(mx.status === "draft", `a new supplier is ${mx.status}`);

  const crIn: Schemas["SupplierInput"] = {
    legal_name: "Soluciones Térmicas de Cartago S.A.",
    tax_id: cedulaJuridica(run),
    country: "CR",
    subdivision: "CR-C",
    city: "Cartago",
    location: { lat: 9.8644, lon: -83.9194 },
    sector: "services",
    employees: 18,
    capabilities: [{ code: "atp.tst", details: "Pruebas térmicas y de burn-in" }],
    contacts: [{ name: "José Ángel Solís", email: "jsolis@termicas.example.cr" }],
  };
  const cr = await matchThenCreate(
    { legal_name: "Soluciones Termicas de Cartago", country: "CR", tax_id: crIn.tax_id, city: "Cartago" },
    async () => ok("POST /v1/suppliers (CR)", 201, await api.POST("/v1/suppliers", { body: crIn })),
    "CR",
  );

  // 4. Search with filters, two at a time, to the last cursor.
  type ListQuery = NonNullable<paths["/v1/suppliers"]["get"]["parameters"]["query"]>;
  let searchPages = 0;
  const search = async (want: Schemas["SupplierDocument"], filters: ListQuery): Promise<void> => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let i = 0; ; i++) {
      expect(i < 1000, `search ${JSON.stringify(filters)}: more than 1000 pages`);
      const page = ok(
        `GET /v1/suppliers ${JSON.stringify(filters)}`,
        200,
        await api.GET("/v1/suppliers", { params: { query: { ...filters, limit: 2, cursor } } }),
      );
      searchPages++;
      for (const doc of page.data) {
        expect(!seen.has(doc.id), `search ${JSON.stringify(filters)}: ${doc.id} on two pages`);
        seen.add(doc.id);
      }
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(seen.has(want.id), `search ${JSON.stringify(filters)}: the created supplier ${want.id} is not found`);
  };
  await search(mx, { country: "MX", capability: ["atp.asm"], size_class: [mx.size_class], q: "Bajio" });
  await search(mx, { country: "MX", subdivision: "MX-GUA", capability: ["atp.asm.wb", "atp.tst"] });
  await search(cr, { country: "CR", q: "termicas cartago", capability: ["atp"] });

  // 4b. Each by `tax_id` + `country`, the tax id written as people do (separators, lower case):
  // read as on write, it finds that supplier and only it.
  const mxWritten = `${mx.tax_id.slice(0, 3)}-${mx.tax_id.slice(3, 9)}-${mx.tax_id.slice(9)}`.toLowerCase();
  const crWritten = `${cr.tax_id.slice(0, 1)}-${cr.tax_id.slice(1, 4)}-${cr.tax_id.slice(4)}`;
  for (const [doc, country, written] of [
    [mx, "MX", mxWritten],
    [cr, "CR", crWritten],
  ] as const) {
    const page = ok(
      `GET /v1/suppliers?tax_id=${written}&country=${country}`,
      200,
      await api.GET("/v1/suppliers", { params: { query: { tax_id: written, country } } }),
    );
    const ids = page.data.map((d) => d.id);
    expect(ids.length === 1 && ids[0] === doc.id, `tax_id ${written} (${country}): ${JSON.stringify(ids)}, not [${doc.id}]`);
  }

  // 5. Submit, then verify, with If-Match.
  const submitted = await api.POST("/v1/suppliers/{id}/submit", {
    params: { path: { id: mx.id }, header: { "If-Match": etag } },
  });
  mx = ok("POST /v1/suppliers/{id}/submit", 200, submitted);
  expect(mx.status === "pending", `after submit: ${mx.status}`);
  const newEtag = submitted.response.headers.get("etag");
  expect(newEtag && newEtag !== etag, "submit did not answer a new ETag");
  const stale = await api.POST("/v1/suppliers/{id}/verify", {
    params: { path: { id: mx.id }, header: { "If-Match": etag } },
  });
  expect(stale.response.status === 412, `verify with a stale If-Match: ${stale.response.status}`);
  etag = newEtag;
  mx = ok(
    "POST /v1/suppliers/{id}/verify",
    200,
    await api.POST("/v1/suppliers/{id}/verify", { params: { path: { id: mx.id }, header: { "If-Match": etag } } }),
  );
  expect(mx.status === "verified" && mx.verified_at, `after verify: ${mx.status}`);

  // 6. The change feed, with `after` = the last id seen, until a page is empty.
  let after: number | undefined;
  let last = 0;
  let eventsSeen = 0;
  const mine: Schemas["Event"][] = [];
  for (let i = 0; ; i++) {
    expect(i < 10000, "the change feed did not end");
    const page = ok("GET /v1/events", 200, await api.GET("/v1/events", { params: { query: { after, limit: 50 } } }));
    if (page.data.length === 0) break;
    for (const event of page.data) {
      expect(event.id > last, `event id ${event.id} after ${last}`);
      last = event.id;
      eventsSeen++;
      if (event.supplier_id === mx.id) mine.push(event);
    }
    after = last;
  }
  expect(mine.some((e) => e.type === "supplier.created"), `no supplier.created event for ${mx.id}`);
  // A status change's data says what it became.
  const verifiedEvent = mine.find((e) => e.type === "supplier.status_changed" && e.data.to === "verified");
  expect(verifiedEvent, `no supplier.status_changed event to verified for ${mx.id}`);

  // 7. A webhook for new suppliers (delivered by the import below).
  const hooks = await receiver();
  const hook = ok(
    "POST /v1/webhooks",
    201,
    await api.POST("/v1/webhooks", {
      body: { url: `http://127.0.0.1:${hooks.port}/hook`, events: ["supplier.created"] },
    }),
  );
  expect(hook.secret.startsWith("whsec_"), "the webhook secret is not whsec_…");

  // 8. A CSV import with accents and one bad row, polled until it ends.
  const csv =
    "legal_name,tax_id,country,subdivision,city,sector,employees,capabilities\n" +
    `Maquinados de Querétaro S.A. de C.V.,${companyRfc(run + 7919, "MQT")},MX,MX-QUE,Querétaro,manufacturing,120,atp.asm;atp.tst\n` +
    `Electrónica Herediana S.A.,${cedulaJuridica(run + 7919)},CR,CR-H,Heredia,manufacturing,9,atp.tst\n` +
    "Compañía Genérica S.A. de C.V.,XAXX010101000,MX,MX-JAL,Zapopan,commerce,5,atp.asm\n";
  const accepted = ok(
    "POST /v1/imports",
    202,
    await api.POST("/v1/imports", {
      body: csv,
      headers: { "Content-Type": "text/csv" },
      bodySerializer: (body) => body,
    }),
  );
  let imp: Schemas["ImportJob"];
  for (const deadline = Date.now() + 60_000; ; ) {
    imp = ok(
      "GET /v1/imports/{id}",
      200,
      await api.GET("/v1/imports/{id}", { params: { path: { id: accepted.id } } }),
    );
    if (imp.status === "completed" || imp.status === "failed") break;
    expect(Date.now() < deadline, `import still ${imp.status} after 60 s`);
    await sleep(500);
  }
  expect(imp.status === "completed", `import ${imp.status}`);
  const c = imp.counts;
  expect(
    c.created === 2 && c.updated === 0 && c.unchanged === 0 && c.failed === 1,
    `import counts ${JSON.stringify(c)}`,
  );
  expect(
    imp.errors.some((e) => e.row === 3 && e.field === "tax_id"),
    `the bad row's error is not listed: ${JSON.stringify(imp.errors)}`,
  );

  // 9. The webhook's deliveries: the two suppliers the import created.
  let delivered: Schemas["Delivery"][] = [];
  for (const deadline = Date.now() + 30_000; ; ) {
    const page = ok(
      "GET /v1/webhooks/{id}/deliveries",
      200,
      await api.GET("/v1/webhooks/{id}/deliveries", { params: { path: { id: hook.id }, query: { limit: 100 } } }),
    );
    for (const d of page.data) expect(d.event_type === "supplier.created", `a ${d.event_type} delivery`);
    delivered = page.data.filter((d) => d.status === "delivered");
    if (delivered.length >= 2) break;
    expect(Date.now() < deadline, `deliveries after 30 s: ${JSON.stringify(page.data.map((d) => d.status))}`);
    await sleep(500);
  }
  const got = new Set(hooks.received.map((h) => h["webhook-id"]));
  for (const d of delivered) expect(got.has(d.message_id), `the receiver did not get ${d.message_id}`);
  expect(
    hooks.received.every((h) => String(h["webhook-signature"] ?? "").startsWith("v1,")),
    "a delivery without a v1 signature",
  );
  hooks.close();

  // 10. An invalid supplier: the 422 names the fields.
  const invalid = await api.POST("/v1/suppliers", {
    body: {
      legal_name: "Proveedor Inválido S.A.",
      tax_id: companyRfc(run + 104729, "PIT"),
      country: "MX",
      sector: "commerce",
      employees: -1,
      website: "ftp://x",
    },
  });
  expect(invalid.response.status === 422 && invalid.error, `an invalid supplier: HTTP ${invalid.response.status}`);
  const fields = (invalid.error.errors ?? []).map((e) => e.field);
  for (const f of ["employees", "website"]) expect(fields.includes(f), `the 422 does not name ${f}: ${fields}`);

  // 11. Public reads with the client that holds no token: the identifier systems (in Spanish)
  // and the development ladder, which ends with this month (its suppliers: registered is not 0;
  // 1 and 2 are null).
  const systems = ok(
    "GET /v1/identifier-systems (anonymous)",
    200,
    await anonymous.GET("/v1/identifier-systems", { params: { header: { "Accept-Language": "es" } } }),
  );
  const byCode = new Map(systems.data.map((x) => [x.code, x]));
  for (const code of ["lei", "sam_uei", "duns", "mx_rfc", "cr_cedula"]) {
    expect(byCode.has(code), `identifier system ${code} is not listed: ${JSON.stringify([...byCode.keys()])}`);
  }
  const rfc = byCode.get("mx_rfc");
  expect(rfc && rfc.country === "MX", `mx_rfc is for ${rfc?.country}`);
  expect(rfc.label === rfc.labels.es, "Accept-Language: es did not give es labels");
  const ladder = ok("GET /v1/stats/ladder (anonymous)", 200, await anonymous.GET("/v1/stats/ladder"));
  const now = new Date();
  const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
  const lastCohort = ladder.data[ladder.data.length - 1];
  expect(lastCohort && lastCohort.cohort === month, `the ladder does not end with ${month}`);
  expect(lastCohort.registered !== 0, `the ladder's ${month}: registered 0`);

  console.log(
    `partner.ts: OK: token; suppliers ${mx.tax_id} (MX) and ${cr.tax_id} (CR) created (matched before: ` +
      `${JSON.stringify(matchedBefore)}; exact after), found by tax_id; found in ${searchPages} ` +
      `search pages; verified; ${eventsSeen} events followed; ${delivered.length} webhook deliveries; ` +
      `import created=${c.created} failed=${c.failed}; 422 fields ${JSON.stringify(fields)}; anonymously ` +
      `${systems.data.length} identifier systems, ladder ${ladder.data.length} cohorts, ${month} registered ${lastCohort.registered}`,
  );
}

main().catch((err: unknown) => {
  console.error(`partner.ts: FAILED: ${err instanceof Surprise ? err.message : String(err)}`);
  if (!(err instanceof Surprise) && err instanceof Error && err.stack) console.error(err.stack);
  process.exit(1);
});
