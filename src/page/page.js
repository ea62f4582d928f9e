// The public ecosystem page: strings in both languages, the country choice, the three stats
// fetched in parallel, and the supplier search. Drawing is in charts.js (window.SR).
"use strict";
(() => {
  const STRINGS = {
    en: {
      title: "Semiconductor supplier ecosystem",
      tagline: "Verified suppliers by capability and region, from the public supplier registry.",
      skip: "Skip to content", langNav: "Language", countryLabel: "Country",
      MX: "Mexico", CR: "Costa Rica", PA: "Panama", US: "United States",
      searchH: "Find a verified supplier", searchLabel: "Supplier name", searchButton: "Search",
      searchHint: "Part of the legal or trade name; accents and case do not matter.",
      searching: "Searching…", emptyQuery: "Type part of a supplier name first.",
      noResults: (q, c) => `No results for “${q}” in ${c}.`,
      results: (n, more) => (n === 1 ? "1 supplier found" : `${n} suppliers found`) + (more ? " (the first 20 are shown)" : "") + ".",
      searchError: "The search failed", tradeName: "Trade name", capabilities: "Capabilities",
      coverageH: "Coverage by capability and subdivision",
      coverageIntro: "Verified suppliers offering each capability (or one below it), by subdivision. Every cell shows its count.",
      showAll: "Show every level of the taxonomy",
      heatCaption: (c) => `Verified suppliers by capability and subdivision, ${c}`,
      capability: "Capability", total: "Total", legendHeat: "Verified suppliers per cell:",
      risksH: "Gaps and single sources", gapsH: "Gaps: no verified supplier",
      singleH: "Single source: exactly one verified supplier", none: "None.",
      nCaps: (n) => (n === 1 ? "1 capability." : `${n} capabilities.`),
      resilienceSummary: "Concentration by capability: subdivisions and HHI",
      resilienceCaption: "Verified suppliers, the subdivisions they are in, the largest subdivision's share and the Herfindahl–Hirschman index",
      colVerified: "Verified", colSubdivisions: "Subdivisions", colLargest: "Largest share", colHhi: "HHI (0–10,000)",
      ladderH: "Supplier-development ladder",
      ladderIntro: "Suppliers by month of registration: how many registered, submitted their profile for review, were verified and reached a quality certificate.",
      registered: "Registered", submitted: "Submitted", verified: "Verified", certified: "Certified",
      median: "Median days to verified", cohort: "Cohort",
      hidden: "fewer than 3, hidden", hiddenShort: "fewer than 3", legendLadder: "Legend",
      ladderAria: (n) => `Bar chart of ${n} monthly cohorts; the same data are in the table below.`,
      ladderTable: "The ladder as a table", ladderCaption: "Supplier-development ladder by monthly cohort",
      noCohorts: "No cohorts yet.", loading: "Loading…",
      loadError: "This section could not be loaded right now. Please try again later.",
      footer: "Counts come from the registry's public API and include verified suppliers only. Ladder counts of 1 or 2 are hidden so that no figure singles out a supplier.",
      docs: "API documentation", regionHeat: "Heat map of coverage", regionResilience: "Concentration table",
      regionLadderChart: "Ladder chart", regionLadderTable: "Ladder table",
    },
    es: {
      title: "Ecosistema de proveedores de semiconductores",
      tagline: "Proveedores verificados por capacidad y región, del registro público de proveedores.",
      skip: "Saltar al contenido", langNav: "Idioma", countryLabel: "País",
      MX: "México", CR: "Costa Rica", PA: "Panamá", US: "Estados Unidos",
      searchH: "Buscar un proveedor verificado", searchLabel: "Nombre del proveedor", searchButton: "Buscar",
      searchHint: "Parte de la razón social o del nombre comercial; no importan acentos ni mayúsculas.",
      searching: "Buscando…", emptyQuery: "Escriba primero parte del nombre de un proveedor.",
      noResults: (q, c) => `Sin resultados para «${q}» en ${c}.`,
      results: (n, more) => (n === 1 ? "1 proveedor encontrado" : `${n} proveedores encontrados`) + (more ? " (se muestran los primeros 20)" : "") + ".",
      searchError: "La búsqueda falló", tradeName: "Nombre comercial", capabilities: "Capacidades",
      coverageH: "Cobertura por capacidad y subdivisión",
      coverageIntro: "Proveedores verificados que ofrecen cada capacidad (o una inferior), por subdivisión. Cada celda muestra su número.",
      showAll: "Mostrar todos los niveles de la taxonomía",
      heatCaption: (c) => `Proveedores verificados por capacidad y subdivisión, ${c}`,
      capability: "Capacidad", total: "Total", legendHeat: "Proveedores verificados por celda:",
      risksH: "Brechas y fuentes únicas", gapsH: "Brechas: ningún proveedor verificado",
      singleH: "Fuente única: exactamente un proveedor verificado", none: "Ninguna.",
      nCaps: (n) => (n === 1 ? "1 capacidad." : `${n} capacidades.`),
      resilienceSummary: "Concentración por capacidad: subdivisiones e IHH",
      resilienceCaption: "Proveedores verificados, las subdivisiones donde están, la participación de la mayor y el índice de Herfindahl–Hirschman",
      colVerified: "Verificados", colSubdivisions: "Subdivisiones", colLargest: "Mayor participación", colHhi: "IHH (0–10 000)",
      ladderH: "Escalera de desarrollo de proveedores",
      ladderIntro: "Proveedores por mes de registro: cuántos se registraron, enviaron su perfil a revisión, fueron verificados y obtuvieron un certificado de calidad.",
      registered: "Registrados", submitted: "Enviados", verified: "Verificados", certified: "Certificados",
      median: "Mediana de días hasta la verificación", cohort: "Cohorte",
      hidden: "menos de 3, oculto", hiddenShort: "menos de 3", legendLadder: "Leyenda",
      ladderAria: (n) => `Gráfica de barras de ${n} cohortes mensuales; los mismos datos están en la tabla de abajo.`,
      ladderTable: "La escalera como tabla", ladderCaption: "Escalera de desarrollo de proveedores por cohorte mensual",
      noCohorts: "Todavía no hay cohortes.", loading: "Cargando…",
      loadError: "Esta sección no se pudo cargar en este momento. Inténtelo más tarde.",
      footer: "Los números provienen de la API pública del registro e incluyen solo proveedores verificados. En la escalera, los valores de 1 o 2 se ocultan para que ninguna cifra señale a un proveedor.",
      docs: "Documentación de la API", regionHeat: "Mapa de calor de la cobertura", regionResilience: "Tabla de concentración",
      regionLadderChart: "Gráfica de la escalera", regionLadderTable: "Tabla de la escalera",
    },
  };
  const COUNTRIES = ["MX", "CR", "PA", "US"];
  const lang = document.documentElement.lang.toLowerCase().startsWith("es") ? "es" : "en";
  const dict = STRINGS[lang];
  const t = (key, ...args) => { const v = dict[key]; return typeof v === "function" ? v(...args) : v ?? key; };
  t.lang = lang;
  const num = new Intl.NumberFormat(lang);
  const fmt = (v) => num.format(v);
  const { el } = window.SR;
  const $ = (id) => document.getElementById(id);

  const params = new URLSearchParams(location.search);
  const state = {
    country: COUNTRIES.includes((params.get("country") || "").toUpperCase()) ? params.get("country").toUpperCase() : "MX",
    coverage: null, subs: null, generation: 0, lastQuery: null, searchGen: 0,
  };
  let countriesList = null; // GET /v1/countries, fetched once

  class HttpError extends Error {
    constructor(status, problem) { super(problem?.detail || `HTTP ${status}`); this.status = status; this.problem = problem; }
  }
  async function getJson(path) {
    const res = await fetch(path, { headers: { Accept: "application/json", "Accept-Language": lang } });
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json().catch(() => null) : null;
    if (!res.ok) throw new HttpError(res.status, body);
    return body;
  }
  const failed = (box) => box.replaceChildren(el("p", { class: "status error" }, t("loadError")));

  function translateStatic() {
    document.title = t("title");
    for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll("[data-i18n-label]")) n.setAttribute("aria-label", t(n.dataset.i18nLabel));
    for (const o of $("country").options) o.textContent = t(o.value);
  }

  /** Language links keep the country; the current language is marked. */
  function updateLinks() {
    for (const l of ["en", "es"]) {
      const a = $("lang-" + l);
      a.href = `?lang=${l}&country=${state.country}`;
      if (l === lang) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    }
  }
  function updateUrl() {
    const p = new URLSearchParams(location.search);
    p.set("country", state.country);
    history.replaceState(null, "", `${location.pathname}?${p}`);
  }

  function subdivisionsOf(country, coverage) {
    const c = countriesList && countriesList.find((x) => x.code === country);
    if (c && c.subdivisions.length) return c.subdivisions.map((s) => ({ code: s.code, name: s.name }));
    const seen = new Set();
    for (const cap of coverage.capabilities) for (const s of cap.by_subdivision) seen.add(s.value);
    return [...seen].sort().map((code) => ({ code, name: code }));
  }

  function drawHeatmap() {
    if (!state.coverage) return;
    window.SR.heatmap($("heatmap"), $("legend"), { ...state.coverage, country: t(state.country) },
      state.subs, $("all-levels").checked, t, fmt);
  }

  /** Fetches the three stats (and, once, the countries) in parallel and draws each on arrival. */
  function loadStats() {
    const gen = ++state.generation;
    const c = encodeURIComponent(state.country);
    const current = () => gen === state.generation;
    for (const id of ["heatmap", "gaps", "single", "ladder-chart"]) $(id).replaceChildren(el("p", { class: "status" }, t("loading")));
    $("legend").replaceChildren();
    const countries = countriesList ? Promise.resolve(countriesList)
      : getJson("/v1/countries").then((b) => (countriesList = b.data)).catch(() => null);
    const coverage = getJson(`/v1/stats/coverage?country=${c}`);
    const resilience = getJson(`/v1/stats/resilience?country=${c}`);
    const ladder = getJson(`/v1/stats/ladder?country=${c}`);

    Promise.all([coverage, countries]).then(([cov]) => {
      if (!current()) return;
      state.coverage = cov;
      state.subs = subdivisionsOf(state.country, cov);
      drawHeatmap();
      const labels = new Map(cov.capabilities.map((x) => [x.code, x.label]));
      window.SR.capList($("gaps"), cov.gaps, labels, t, "gaps");
    }).catch(() => { if (current()) { state.coverage = null; failed($("heatmap")); failed($("gaps")); } });

    resilience.then((res) => {
      if (!current()) return;
      const single = res.data.filter((r) => r.single_source);
      const labels = new Map(res.data.map((r) => [r.capability, r.label || r.capability]));
      window.SR.capList($("single"), single.map((r) => r.capability), labels, t, "single");
      window.SR.resilienceTable($("resilience"), res.data, t, fmt);
    }).catch(() => {
      if (!current()) return;
      failed($("single"));
      failed($("resilience"));
    });

    ladder.then((res) => {
      if (!current()) return;
      state.ladderRows = res.data;
      window.SR.ladderChart($("ladder-chart"), res.data, t, fmt);
      window.SR.ladderTable($("ladder-table"), res.data, t, fmt);
    }).catch(() => {
      if (!current()) return;
      state.ladderRows = null;
      failed($("ladder-chart"));
      $("ladder-table").replaceChildren();
    });
  }

  function supplierItem(s) {
    const where = [s.city, s.subdivision].filter(Boolean).join(", ");
    const li = el("li", { "data-id": s.id },
      el("h3", { lang: null }, s.legal_name),
      s.trade_name ? el("p", {}, `${t("tradeName")}: ${s.trade_name}`) : null,
      where ? el("p", {}, where) : null);
    if (s.capabilities && s.capabilities.length) {
      const codes = el("ul", { class: "codes", "aria-label": t("capabilities") });
      for (const c of s.capabilities) codes.append(el("li", {}, el("code", {}, c.code)));
      li.append(codes);
    }
    return li;
  }

  async function search(q) {
    const status = $("search-status"), list = $("results");
    const gen = ++state.searchGen;
    status.classList.remove("error");
    if (!q) { status.textContent = t("emptyQuery"); list.replaceChildren(); state.lastQuery = null; return; }
    state.lastQuery = q;
    status.textContent = t("searching");
    const p = new URLSearchParams({ q, country: state.country, limit: "20" });
    try {
      const body = await getJson(`/v1/suppliers?${p}`);
      if (gen !== state.searchGen) return;
      list.replaceChildren(...body.data.map(supplierItem));
      status.textContent = body.data.length ? t("results", body.data.length, Boolean(body.next_cursor)) : t("noResults", q, t(state.country));
    } catch (e) {
      if (gen !== state.searchGen) return;
      list.replaceChildren();
      status.classList.add("error");
      const extra = (e.problem?.errors || []).map((x) => x.message).filter(Boolean);
      const detail = e.problem?.detail || e.message;
      status.textContent = `${t("searchError")}: ${[detail, ...extra].filter(Boolean).join(" — ")}`;
    }
  }

  function start() {
    translateStatic();
    const select = $("country");
    select.value = state.country;
    updateLinks();
    window.SR.ladderLegend($("ladder-legend"), t);
    if (params.has("country")) updateUrl();
    select.addEventListener("change", () => {
      state.country = select.value;
      updateLinks();
      updateUrl();
      loadStats();
      if (state.lastQuery) search(state.lastQuery);
    });
    $("all-levels").addEventListener("change", drawHeatmap);
    $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search($("q").value.trim()); });
    window.addEventListener("resize", debounce(() => {
      if (!state.ladderRows) return;
      window.SR.ladderChart($("ladder-chart"), state.ladderRows, t, fmt);
    }, 200));
    loadStats();
  }
  function debounce(f, ms) { let h; return () => { clearTimeout(h); h = setTimeout(f, ms); }; }

  start();
})();
