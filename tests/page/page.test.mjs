// Browser test of the public ecosystem page (GET /), against a running service at BASE_URL.
// What the page shows is compared with the API's own answers, fetched here; nothing is hard-coded
// but the page's own strings. Run by run.sh, or: BASE_URL=http://127.0.0.1:8080 node --test page.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const BASE = (process.env.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const OUT = process.env.PAGE_ARTEFACTS || new URL("./out", import.meta.url).pathname;
const TITLE = { en: "Semiconductor supplier ecosystem", es: "Ecosistema de proveedores de semiconductores" };
mkdirSync(OUT, { recursive: true });

let browser;
before(async () => {
  const res = await fetch(BASE + "/");
  if (res.status !== 200) throw new Error(`GET ${BASE}/ answered ${res.status}: is the page served?`);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
});
after(async () => { await browser?.close(); });

async function api(path, lang = "en") {
  const res = await fetch(BASE + path, { headers: { "Accept-Language": lang } });
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}
const count = (text) => Number(text.replace(/[^\d]/g, ""));

test("GET / and its assets are served with the CSP, in the chosen language", async () => {
  for (const [path, type] of [["/page/page.js", "javascript"], ["/page/charts.js", "javascript"], ["/page/page.css", "text/css"]]) {
    const res = await fetch(BASE + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type") || "", new RegExp(type), path);
  }
  const res = await fetch(BASE + "/");
  assert.match(res.headers.get("content-type") || "", /^text\/html/);
  const csp = res.headers.get("content-security-policy") || "";
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'"]) assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
  assert.ok(!csp.includes("unsafe-inline"), csp);
  assert.match(await res.text(), /<html lang="en"/);
  const es = async (path, headers) => (await (await fetch(BASE + path, { headers })).text()).includes('<html lang="es"');
  assert.ok(await es("/?lang=es"), "?lang=es");
  assert.ok(await es("/", { "Accept-Language": "es-MX,es;q=0.9" }), "Accept-Language: es-MX");
  assert.ok(!(await es("/?lang=en", { "Accept-Language": "es" })), "?lang=en wins");
});

/**
 * A page in a fresh context that records every request, console error and page error; `done()`
 * asserts that none left the origin and that nothing went wrong (but the `expected` console
 * errors, a RegExp), then closes the context.
 * The page's CSP stays on (a violation is a console error) except where axe must be injected.
 */
async function open(path, { headers, width = 1280, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, extraHTTPHeaders: headers, bypassCSP });
  const page = await context.newPage();
  const requests = [], errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    // The moment the heat map's first cell appears, on the page's own clock.
    new MutationObserver((_, obs) => {
      if (document.querySelector("#heat-table td")) { window.__heatAt = performance.now(); obs.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(BASE + path);
  await page.waitForSelector("#heat-table td[data-sub]");
  const done = async (expected = null) => {
    const outside = requests.filter((u) => !u.startsWith(BASE + "/"));
    assert.deepEqual(outside, [], "every request stays on the origin");
    assert.deepEqual(errors.filter((e) => !expected?.test(e)), [], "no console errors");
    await context.close();
  };
  return { page, done };
}

async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => (await window.axe.run(document)).violations);
  return result.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
}

test("the heat map shows the API's coverage counts, first drawn in under a second", async (t) => {
  const { page, done } = await open("/?country=MX");
  const coverage = await api("/v1/stats/coverage?country=MX");
  const shown = coverage.capabilities.filter((c) => c.level <= 2);
  assert.equal(await page.locator("#heat-table tbody tr").count(), shown.length, "levels 1 and 2 by default");
  const pairs = [];
  for (const c of shown) {
    for (const s of c.by_subdivision.slice(0, 2)) pairs.push([c.code, s.value, s.count]);
    if (pairs.length >= 8) break;
  }
  assert.ok(pairs.length > 0, "the seeded database has verified suppliers in MX");
  for (const [cap, sub, n] of pairs) {
    const text = await page.locator(`#heat-table td[data-cap="${cap}"][data-sub="${sub}"]`).textContent();
    assert.equal(count(text), n, `${cap} × ${sub}`);
  }
  // A subdivision that a capability has no supplier in shows 0, and each total is the API's.
  const subs = await page.locator("#heat-table thead th[data-sub]").evaluateAll((ths) => ths.map((th) => th.dataset.sub));
  const first = shown[0];
  const empty = subs.find((s) => !first.by_subdivision.some((x) => x.value === s));
  if (empty) assert.equal(count(await page.locator(`td[data-cap="${first.code}"][data-sub="${empty}"]`).textContent()), 0);
  for (const c of shown.slice(0, 10)) {
    assert.equal(count(await page.locator(`td[data-cap="${c.code}"][data-total]`).textContent()), c.verified_suppliers);
  }
  // Every level on request.
  await page.locator("#all-levels").check();
  assert.equal(await page.locator("#heat-table tbody tr").count(), coverage.capabilities.length);
  const deep = coverage.capabilities.find((c) => c.level === 3 && c.by_subdivision.length);
  if (deep) {
    const s = deep.by_subdivision[0];
    assert.equal(count(await page.locator(`td[data-cap="${deep.code}"][data-sub="${s.value}"]`).textContent()), s.count);
  }
  const ms = await page.evaluate(() => window.__heatAt - performance.getEntriesByType("navigation")[0].domContentLoadedEventStart);
  t.diagnostic(`first render: ${ms.toFixed(0)} ms after DOMContentLoaded`);
  assert.ok(ms < 1000, `first render took ${ms} ms`);
  await done();
});

test("the gaps and single-source lists are the API's, in each country", async (t) => {
  const { page, done } = await open("/?country=MX");
  const codes = (kind) => page.locator(`[data-list="${kind}"] li`).evaluateAll((lis) => lis.map((li) => li.dataset.code));
  for (const country of ["MX", "CR", "PA", "US"]) {
    const [coverage, resilience] = await Promise.all([
      api(`/v1/stats/coverage?country=${country}`), api(`/v1/stats/resilience?country=${country}`),
    ]);
    if (country !== "MX") await page.selectOption("#country", country);
    await page.waitForSelector(`#heat-table thead th[data-sub^="${country}-"]`);
    await page.waitForSelector("#gaps [data-list] >> nth=0");
    await page.waitForSelector("#single [data-list] >> nth=0");
    const single = resilience.data.filter((r) => r.single_source).map((r) => r.capability);
    t.diagnostic(`${country}: ${coverage.gaps.length} gaps, ${single.length} single sources`);
    assert.deepEqual(await codes("gaps"), coverage.gaps, `${country} gaps`);
    assert.deepEqual(await codes("single"), single, `${country} single sources`);
    const rows = await page.locator("#resilience tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.cap));
    assert.deepEqual(rows, resilience.data.map((r) => r.capability));
    const subsCol = await page.locator("#resilience tbody tr >> nth=0").locator("td >> nth=1").textContent();
    assert.equal(count(subsCol), resilience.data[0].subdivisions);
  }
  await done();
});

test("the ladder chart has one group per cohort, and hidden counts are gaps", async () => {
  const { page, done } = await open("/?country=MX");
  const ladder = await api("/v1/stats/ladder?country=MX");
  await page.waitForSelector("#ladder-svg");
  const cohorts = await page.locator("#ladder-svg g.cohort").evaluateAll((gs) => gs.map((g) => g.dataset.cohort));
  assert.deepEqual(cohorts, ladder.data.map((r) => r.cohort));
  const nulls = ladder.data.flatMap((r) => ["registered", "submitted", "verified", "certified"].filter((k) => r[k] === null));
  assert.equal(await page.locator("#ladder-svg rect.suppressed").count(), nulls.length);
  assert.ok((await page.locator("#ladder-legend").textContent()).includes("fewer than 3, hidden"));
  assert.equal(await page.locator("#ladder-table tbody tr").count(), ladder.data.length);
  await done();
});

/** A fragment of a listed supplier's name for which the API's own search lists it. */
async function fragmentOf(supplier) {
  const words = supplier.legal_name.split(/[\s,.]+/).filter((w) => w.length >= 4);
  const candidates = [...words.sort((a, b) => b.length - a.length), supplier.legal_name];
  for (const q of candidates) {
    const found = await api(`/v1/suppliers?${new URLSearchParams({ q, country: "MX", limit: "20" })}`);
    if (found.data.some((s) => s.id === supplier.id)) return q;
  }
  assert.fail(`no fragment of ${supplier.legal_name} finds it`);
}

test("keyboard: Tab reaches the search, Enter lists the supplier a name fragment names", async () => {
  const { page, done } = await open("/?country=MX");
  const [supplier] = (await api("/v1/suppliers?country=MX&limit=1")).data;
  const q = await fragmentOf(supplier);
  let reached = false;
  for (let i = 0; i < 25 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.id === "q");
  }
  assert.ok(reached, "Tab reaches the search input");
  await page.keyboard.type(q);
  await page.keyboard.press("Enter");
  const item = page.locator(`#results li[data-id="${supplier.id}"]`);
  await item.waitFor();
  assert.ok((await item.textContent()).includes(supplier.legal_name));
  for (const c of supplier.capabilities) assert.ok((await item.textContent()).includes(c.code));
  assert.match(await page.locator("#search-status").textContent(), /suppliers? found/);
  assert.equal(await page.locator("#search-status").getAttribute("aria-live"), "polite");
  // No results, then an error (a control character is a 400).
  await page.fill("#q", "zzqxwvkjqzzqx");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#search-status").textContent.startsWith("No results"));
  assert.equal(await page.locator("#results li").count(), 0);
  await page.fill("#q", "ab\u0001cd");
  await page.locator("#search-form button").click();
  await page.waitForSelector("#search-status.error");
  assert.match(await page.locator("#search-status").textContent(), /^The search failed: ./);
  await done(/status of 400/); // Chromium logs the 400 that the last search asked for
});

test("the country select changes the heat map and the URL", async () => {
  const { page, done } = await open("/");
  assert.equal(await page.locator("#country").inputValue(), "MX");
  const coverage = await api("/v1/stats/coverage?country=CR");
  await page.selectOption("#country", "CR");
  await page.waitForSelector('#heat-table thead th[data-sub^="CR-"]');
  assert.equal(await page.locator('#heat-table th[data-sub^="MX-"]').count(), 0);
  assert.match(page.url(), /[?&]country=CR\b/);
  assert.match(await page.locator("#lang-es").getAttribute("href"), /lang=es&country=CR/);
  const c = coverage.capabilities.find((x) => x.level <= 2 && x.by_subdivision.length);
  if (c) {
    const s = c.by_subdivision[0];
    assert.equal(count(await page.locator(`td[data-cap="${c.code}"][data-sub="${s.value}"]`).textContent()), s.count);
  }
  await done();
});

test("Spanish by ?lang=es, and by Accept-Language: es alone", async () => {
  const coverage = await api("/v1/stats/coverage?country=MX", "es");
  for (const [path, headers] of [["/?lang=es", undefined], ["/", { "Accept-Language": "es" }]]) {
    const { page, done } = await open(path, { headers });
    assert.equal(await page.getAttribute("html", "lang"), "es", path);
    assert.equal(await page.locator("h1").textContent(), TITLE.es);
    assert.equal(await page.title(), TITLE.es);
    assert.equal(await page.locator('label[for="country"]').textContent(), "País");
    const first = coverage.capabilities[0];
    assert.equal(await page.locator(`#heat-table tr[data-cap="${first.code}"] th`).textContent(), first.label);
    assert.equal(await page.locator("#lang-es").getAttribute("aria-current"), "true");
    await page.waitForSelector("#ladder-legend li");
    assert.ok((await page.locator("#ladder-legend").textContent()).includes("menos de 3, oculto"));
    if (!headers) await page.screenshot({ path: `${OUT}/page-es.png`, fullPage: true });
    await done();
  }
  const { page, done } = await open("/?lang=en", { headers: { "Accept-Language": "es" } });
  assert.equal(await page.getAttribute("html", "lang"), "en", "?lang wins over Accept-Language");
  assert.equal(await page.locator("h1").textContent(), TITLE.en);
  await done();
});

test("axe-core finds no violations, in English and Spanish, every part opened", async () => {
  for (const path of ["/?country=MX", "/?lang=es&country=US"]) {
    const { page, done } = await open(path, { bypassCSP: true });
    await page.locator("#all-levels").check();
    await page.waitForSelector("#ladder-chart svg, #ladder-chart .error");
    await page.evaluate(() => { for (const d of document.querySelectorAll("details")) d.open = true; });
    await page.fill("#q", "a");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => !/…$/.test(document.querySelector("#search-status").textContent));
    assert.deepEqual(await axeViolations(page), [], path);
    await done();
  }
});

test("a failing endpoint leaves a message in its own section; the rest is drawn", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problem = { type: "about:blank", title: "Service Unavailable", status: 503, detail: "test" };
  await page.route(/\/v1\/stats\/(ladder|resilience)/, (route) =>
    route.fulfill({ status: 503, contentType: "application/problem+json", body: JSON.stringify(problem) }));
  await page.goto(BASE + "/?country=MX");
  await page.waitForSelector("#heat-table td[data-sub]");
  await page.waitForSelector("#ladder-chart .error");
  await page.waitForSelector("#single .error");
  assert.equal(await page.locator("#ladder-svg").count(), 0);
  assert.ok(await page.locator("#gaps [data-list]").count() > 0, "the gaps come from coverage");
  await context.close();
});

test("375 px wide: nothing overflows the viewport; full-page screenshots", async () => {
  const { page, done } = await open("/?country=MX", { width: 375 });
  await page.waitForSelector("#ladder-chart svg");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the viewport`);
  await page.screenshot({ path: `${OUT}/page-375.png`, fullPage: true });
  await done();
  const desk = await open("/?country=MX");
  await desk.page.waitForSelector("#ladder-chart svg");
  await desk.page.screenshot({ path: `${OUT}/page-en.png`, fullPage: true });
  await desk.done();
});
