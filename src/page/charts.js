// The ecosystem page's drawing: the coverage heat map, the gap and single-source lists, the
// resilience table and the ladder chart (inline SVG) with its table. No inline styles (the CSP
// has style-src 'self'): colours come from classes in page.css. page.js calls these.
"use strict";
window.SR = (() => {
  const SVG = "http://www.w3.org/2000/svg";

  /** el("td", {class: "num", "data-x": 1}, child, "text") — children: nodes or strings. */
  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) n.setAttribute(k, v);
    for (const k of kids) if (k !== null && k !== undefined) n.append(k);
    return n;
  }
  function svg(tag, attrs, ...kids) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
    for (const k of kids) n.append(k);
    return n;
  }
  const level = (code) => code.split(".").length;
  const shortSub = (code) => code.replace(/^[A-Z]{2}-/, "");

  /** The colour class of a count, in five steps relative to the largest cell. */
  function bucket(count, max) {
    if (!count) return 0;
    if (max <= 4) return Math.min(4, count);
    return Math.min(4, Math.max(1, Math.ceil((4 * count) / max)));
  }
  /** The legend's ranges for bucket(): [[class, "from–to"], …]. */
  function bucketRanges(max, fmt) {
    const out = [["h0", fmt(0)]];
    if (max <= 0) return out;
    if (max <= 4) { for (let i = 1; i <= max; i++) out.push(["h" + i, fmt(i)]); return out; }
    let lo = 1;
    for (let b = 1; b <= 4; b++) {
      const hi = Math.floor((b * max) / 4);
      if (hi >= lo) out.push(["h" + b, lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`]);
      lo = hi + 1;
    }
    return out;
  }

  /**
   * The capability × subdivision table. `subs`: [{code, name}]; rows of level > 2 are left out
   * unless `all`. Each cell carries data-cap and data-sub and shows its count as text.
   */
  function heatmap(box, legendBox, coverage, subs, all, t, fmt) {
    const caps = coverage.capabilities.filter((c) => all || level(c.code) <= 2);
    const counts = caps.map((c) => new Map(c.by_subdivision.map((s) => [s.value, s.count])));
    let max = 0;
    for (const m of counts) for (const v of m.values()) max = Math.max(max, v);
    const head = el("tr", {}, el("th", { scope: "col" }, t("capability")));
    for (const s of subs) {
      head.append(el("th", { scope: "col", "data-sub": s.code, title: s.name },
        el("abbr", { title: s.name }, shortSub(s.code))));
    }
    head.append(el("th", { scope: "col", class: "num" }, t("total")));
    const body = el("tbody");
    caps.forEach((c, i) => {
      const row = el("tr", { class: "lvl-" + level(c.code), "data-cap": c.code });
      row.append(el("th", { scope: "row", title: `${c.label} (${c.code})` }, c.label));
      for (const s of subs) {
        const n = counts[i].get(s.code) || 0;
        row.append(el("td", { class: "h" + bucket(n, max), "data-cap": c.code, "data-sub": s.code,
          title: `${c.label} · ${s.name}: ${fmt(n)}` }, fmt(n)));
      }
      row.append(el("td", { class: "num total", "data-cap": c.code, "data-total": "" }, fmt(c.verified_suppliers)));
      body.append(row);
    });
    const table = el("table", { class: "heat", id: "heat-table" },
      el("caption", {}, t("heatCaption", coverage.country)), el("thead", {}, head), body);
    box.replaceChildren(table);
    const items = bucketRanges(max, fmt).map(([cls, text]) =>
      el("li", {}, el("span", { class: "swatch " + cls }, text)));
    legendBox.replaceChildren(el("span", {}, t("legendHeat")), el("ul", { "aria-label": t("legendHeat") }, ...items));
  }

  /** A list of capabilities (code → label) with data-code on each item, or "none". */
  function capList(box, codes, labels, t, kind) {
    if (!codes.length) { box.replaceChildren(el("p", { class: "status", "data-list": kind }, t("none"))); return; }
    const ul = el("ul", { class: "chips", "data-list": kind });
    for (const code of codes) ul.append(el("li", { "data-code": code }, labels.get(code) || code, el("code", {}, code)));
    box.replaceChildren(el("p", { class: "status" }, t("nCaps", codes.length)), ul);
  }

  /** Per capability: verified, subdivisions, largest share, HHI. */
  function resilienceTable(box, rows, t, fmt) {
    const pct = new Intl.NumberFormat(t.lang, { style: "percent", maximumFractionDigits: 0 });
    const dash = "–";
    const head = el("tr", {}, ...["capability", "colVerified", "colSubdivisions", "colLargest", "colHhi"].map(
      (k, i) => el("th", { scope: "col", class: i ? "num" : null }, t(k))));
    const body = el("tbody");
    for (const r of rows) {
      body.append(el("tr", { "data-cap": r.capability, class: "lvl-" + level(r.capability) },
        el("th", { scope: "row" }, r.label || r.capability, " ", el("code", {}, r.capability)),
        el("td", { class: "num" }, fmt(r.verified)),
        el("td", { class: "num" }, fmt(r.subdivisions ?? r.countries ?? 0)),
        el("td", { class: "num" }, r.largest_share === null ? dash : pct.format(r.largest_share)),
        el("td", { class: "num" }, r.hhi === null ? dash : fmt(Math.round(r.hhi)))));
    }
    box.replaceChildren(el("table", { class: "data-table" },
      el("caption", {}, t("resilienceCaption")), el("thead", {}, head), body));
  }

  const SERIES = ["registered", "submitted", "verified", "certified"];

  function ladderLegend(box, t) {
    const items = SERIES.map((s) => el("li", {}, el("span", { class: "key s-" + s }), t(s)));
    items.push(el("li", { "data-hidden-key": "" }, el("span", { class: "key hidden-key" }), t("hidden")));
    box.replaceChildren(el("ul", { "aria-label": t("legendLadder") }, ...items));
  }

  /** A round step for about four grid lines up to v, and how many steps reach v. */
  function ticks(v) {
    if (v <= 4) return { step: 1, n: Math.max(1, Math.ceil(v)) };
    const raw = v / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw);
    return { step, n: Math.ceil(v / step) };
  }

  /** Grouped bars per monthly cohort; a null (1 or 2, suppressed) is a dashed stub, not a bar. */
  function ladderChart(box, rows, t, fmt) {
    if (!rows.length) { box.replaceChildren(el("p", { class: "status" }, t("noCohorts"))); return; }
    const avail = Math.max(320, box.clientWidth || 800);
    const left = 48, right = 12, top = 12, plotH = 200, bottom = 40;
    const group = Math.max(28, Math.min(72, Math.floor((avail - left - right) / rows.length)));
    const bar = Math.max(4, Math.floor((group - 8) / 4));
    const width = left + right + group * rows.length, height = top + plotH + bottom;
    let max = 0;
    for (const r of rows) for (const s of SERIES) if (r[s] !== null) max = Math.max(max, r[s]);
    const { step, n: steps } = ticks(max);
    const ymax = step * steps;
    const y = (v) => top + plotH - (v / ymax) * plotH;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": t("ladderAria", rows.length), id: "ladder-svg" });
    for (let i = 0; i <= steps; i++) {
      const v = step * i, yy = y(v);
      root.append(svg("line", { class: i ? "grid" : "axis", x1: left, x2: width - right, y1: yy, y2: yy }));
      root.append(svg("text", { x: left - 6, y: yy + 4, "text-anchor": "end" }, fmt(v)));
    }
    const month = new Intl.DateTimeFormat(t.lang, { month: "short", timeZone: "UTC" });
    const every = Math.ceil(34 / group); // a label (and a year under it) needs about 34 px
    let lastYear = null;
    rows.forEach((r, i) => {
      const x0 = left + i * group + 4;
      const g = svg("g", { class: "cohort", "data-cohort": r.cohort });
      const parts = SERIES.map((s) => `${t(s)}: ${r[s] === null ? t("hiddenShort") : fmt(r[s])}`);
      g.append(svg("title", {}, `${r.cohort} — ${parts.join(", ")}`));
      SERIES.forEach((s, j) => {
        const x = x0 + j * bar;
        if (r[s] === null) {
          g.append(svg("rect", { class: "suppressed", "data-series": s, x: x + 0.75, y: top + plotH - 8, width: Math.max(2, bar - 1.5), height: 7 }));
        } else {
          const h = Math.max(r[s] > 0 ? 1 : 0, top + plotH - y(r[s]));
          g.append(svg("rect", { class: "s-" + s, "data-series": s, x, y: top + plotH - h, width: Math.max(2, bar - 1), height: h }));
        }
      });
      const [yr, mo] = r.cohort.split("-").map(Number);
      const cx = left + i * group + group / 2;
      if (i % every === 0) {
        g.append(svg("text", { x: cx, y: top + plotH + 14, "text-anchor": "middle" }, month.format(Date.UTC(yr, mo - 1, 1))));
        if (yr !== lastYear) g.append(svg("text", { x: cx, y: top + plotH + 28, "text-anchor": "middle" }, String(yr)));
        lastYear = yr;
      }
      root.append(g);
    });
    box.replaceChildren(root);
  }

  function ladderTable(box, rows, t, fmt) {
    const one = new Intl.NumberFormat(t.lang, { maximumFractionDigits: 1 });
    const cols = ["cohort", ...SERIES, "median"];
    const head = el("tr", {}, ...cols.map((k, i) => el("th", { scope: "col", class: i ? "num" : null }, t(k))));
    const body = el("tbody");
    const cell = (v) => v === null ? el("td", { class: "num" }, el("abbr", { title: t("hidden") }, "< 3")) : el("td", { class: "num" }, fmt(v));
    for (const r of rows) {
      body.append(el("tr", { "data-cohort": r.cohort }, el("th", { scope: "row" }, r.cohort),
        ...SERIES.map((s) => cell(r[s])),
        el("td", { class: "num" }, r.median_days_to_verified === null ? "–" : one.format(r.median_days_to_verified))));
    }
    box.replaceChildren(el("table", { class: "data-table" }, el("caption", {}, t("ladderCaption")),
      el("thead", {}, head), body));
  }

  return { el, heatmap, capList, resilienceTable, ladderLegend, ladderChart, ladderTable, level };
})();
