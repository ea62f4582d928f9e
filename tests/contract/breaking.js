#!/usr/bin/env node
// Breaking-change check for the partner contract: which changes from the released document
// (openapi/released/v1.json) to the current one (openapi/openapi.json) break a client of the
// released one. api-smart-diff classifies the changes; this script applies the versioning
// policy of /v1 on top of it:
//   - allowed: added operations, added optional inputs, added response fields, added enum
//     values in responses and webhook payloads (clients must tolerate unknown values);
//   - breaking: whatever api-smart-diff calls breaking (removed paths, operations, parameters,
//     media types, enum values in requests, new required inputs, narrowed types or bounds, …),
//     and besides: a removed property anywhere (inputs are closed with additionalProperties:
//     false, so a client still sending it would be refused; a response or payload field that a
//     client reads must not disappear either).
// Webhook payloads are what a partner receives: they are compared as responses.
// Releasing: openapi/released/v1.json is the contract partners were given. A deliberate change
// that this check calls breaking belongs in a new major version (/v2), not in v1; a correction
// of the document to what the service already did is released by copying openapi/openapi.json
// over released/v1.json in the same commit, saying why.
//
//   node breaking.js RELEASED CURRENT      exit 1 when a breaking change is found (printed)
//   node breaking.js --self-test RELEASED  shows that known breaking changes are caught and
//                                          allowed ones are not
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { apiCompare } = require('api-smart-diff');

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

// Webhooks as responses of pseudo-paths `/(webhook)/<name>`, so that api-smart-diff (which
// compares `paths` only) sees them with the partner's direction: the service sends, the partner
// reads.
function withWebhooksAsResponses(doc) {
  const d = JSON.parse(JSON.stringify(doc));
  for (const [name, item] of Object.entries(d.webhooks || {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const headers = {};
      for (const p of op.parameters || []) {
        if (p.in === 'header') headers[p.name] = { required: !!p.required, schema: p.schema };
      }
      d.paths = d.paths || {};
      d.paths[`/(webhook)/${name}/${m}`] = {
        get: {
          operationId: `webhook_${name}_${m}`,
          responses: {
            200: { description: 'payload', headers, content: (op.requestBody || {}).content || {} },
          },
        },
      };
    }
  }
  delete d.webhooks;
  return d;
}

function classify(diff) {
  const p = diff.path.map(String);
  const inResponse = p.includes('responses');
  const last = p[p.length - 1];
  const parent = p[p.length - 2];
  if (diff.type === 'breaking' && diff.action === 'add' && inResponse && parent === 'enum') {
    return 'allowed'; // a new value in a response: clients must tolerate it
  }
  if (diff.action === 'remove' && parent === 'properties' && last) {
    return 'breaking'; // a removed field, in a request or a response
  }
  return diff.type;
}

function describe(diff) {
  const where = diff.path.map(String).join('.');
  const val = (v) => (v === undefined ? '' : JSON.stringify(v).slice(0, 120));
  return `${diff.action} ${where}${diff.before !== undefined ? ` (was ${val(diff.before)})` : ''}` +
    `${diff.after !== undefined ? ` (now ${val(diff.after)})` : ''}` +
    `${diff.description ? ` — ${diff.description}` : ''}`;
}

function compare(before, after) {
  const { diffs } = apiCompare(withWebhooksAsResponses(before), withWebhooksAsResponses(after));
  // Changes inside components are reported where they are used (paths); unused components
  // cannot break a client.
  const seen = new Set();
  const out = { breaking: [], allowed: [], other: [] };
  for (const diff of diffs) {
    if (diff.path[0] !== 'paths') continue;
    const key = `${diff.action} ${diff.path.join('/')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kind = classify(diff);
    if (kind === 'breaking') out.breaking.push(diff);
    else if (kind === 'unclassified') out.other.push(diff);
    else out.allowed.push(diff);
  }
  return out;
}

function load(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function check(releasedFile, currentFile) {
  const res = compare(load(releasedFile), load(currentFile));
  console.log(`${res.allowed.length} allowed change(s), ${res.other.length} unclassified, ` +
    `${res.breaking.length} breaking`);
  for (const d of res.other) console.log(`  unclassified: ${describe(d)}`);
  for (const d of res.breaking) console.log(`  BREAKING: ${describe(d)}`);
  return res.breaking.length === 0;
}

// ------------------------------------------------------------------------------------------
// Self-test: each mutation of the released document must be caught (or, for the allowed ones,
// must not be). Mutations look things up by name, so the test follows the document as it grows.
function firstOp(doc, pred) {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m] && pred(item[m], path, m)) return { path, m, op: item[m] };
  }
  return null;
}
function resolve(doc, schema) {
  while (schema && schema.$ref) {
    schema = schema.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return schema;
}
// The largest JSON request body's object schema (followed through $ref), for body mutations.
function requestObject(doc) {
  let best = null;
  for (const [, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      const c = item[m] && item[m].requestBody && item[m].requestBody.content;
      const media = c && (c['application/json'] || Object.values(c)[0]);
      const s = media && resolve(doc, media.schema);
      if (s && s.properties && (!best || Object.keys(s.properties).length > Object.keys(best.properties).length)) best = s;
    }
  }
  if (!best) throw new Error('self-test: no request body object found');
  return best;
}
// An enum in a request: a query parameter's (or its items') enum.
function requestEnum(doc) {
  for (const [, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      for (const p of (item[m] && item[m].parameters) || []) {
        const s = resolve(doc, p.schema);
        const e = s && (s.enum ? s : s.items && resolve(doc, s.items));
        if (e && e.enum && e.enum.length > 1) return e;
      }
    }
  }
  throw new Error('self-test: no request enum found');
}
// The first operation with a JSON 200 response.
function jsonResponseOp(doc) {
  const hit = firstOp(doc, (op) => {
    const c = op.responses && op.responses['200'] && op.responses['200'].content;
    return c && c['application/json'];
  });
  return hit;
}

function selfTest(releasedFile) {
  const base = load(releasedFile);
  const copy = () => JSON.parse(JSON.stringify(base));
  const cases = [
    ['a removed path', true, (d) => { delete d.paths[Object.keys(d.paths).pop()]; }],
    ['a removed operation', true, (d) => {
      const hit = firstOp(d, (op, path, m) => m === 'delete') || firstOp(d, () => true);
      delete d.paths[hit.path][hit.m];
    }],
    ['a removed enum value in a request', true, (d) => { requestEnum(d).enum.pop(); }],
    ['a new required request field', true, (d) => {
      const s = requestObject(d);
      const optional = Object.keys(s.properties).find((k) => !(s.required || []).includes(k));
      s.required = [...(s.required || []), optional];
    }],
    ['a new required query parameter', true, (d) => {
      const hit = firstOp(d, (op, path, m) => m === 'get' && (op.parameters || []).length > 0);
      hit.op.parameters = [...hit.op.parameters,
        { name: 'contract_selftest', in: 'query', required: true, schema: { type: 'string' } }];
    }],
    ['a removed request field', true, (d) => {
      const s = requestObject(d);
      const optional = Object.keys(s.properties).find((k) => !(s.required || []).includes(k));
      delete s.properties[optional];
    }],
    ['a narrowed request type (a lower maxLength)', true, (d) => {
      const s = requestObject(d);
      const k = Object.keys(s.properties).find((n) => resolve(d, s.properties[n]).maxLength);
      resolve(d, s.properties[k]).maxLength = 1;
    }],
    ['a removed response field', true, (d) => {
      const hit = jsonResponseOp(d);
      const s = resolve(d, hit.op.responses['200'].content['application/json'].schema);
      delete s.properties[Object.keys(s.properties)[0]];
    }],
    ['a removed field in a webhook payload', true, (d) => {
      const hook = Object.values(d.webhooks || {})[0];
      const op = hook && (hook.post || Object.values(hook)[0]);
      const s = resolve(d, Object.values(op.requestBody.content)[0].schema);
      delete s.properties[Object.keys(s.properties).pop()];
    }],
    ['a new optional query parameter (allowed)', false, (d) => {
      const hit = firstOp(d, (op, path, m) => m === 'get' && (op.parameters || []).length > 0);
      hit.op.parameters = [...hit.op.parameters,
        { name: 'contract_selftest', in: 'query', required: false, schema: { type: 'string' } }];
    }],
    ['a new optional request field (allowed)', false, (d) => {
      requestObject(d).properties.contract_selftest = { type: 'string' };
    }],
    ['a new response field and a new response enum value (allowed)', false, (d) => {
      const hit = jsonResponseOp(d);
      const s = resolve(d, hit.op.responses['200'].content['application/json'].schema);
      s.properties.contract_selftest = { type: 'string', enum: ['a', 'b'] };
      // then, in a second document, a value is added: compared below against this one
    }],
    ['a new operation (allowed)', false, (d) => {
      d.paths['/v1/contract-selftest'] = { get: { operationId: 'contract_selftest', responses: { 200: { description: 'ok' } } } };
    }],
  ];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-selftest-'));
  let ok = true;
  for (const [name, mustBreak, mutate] of cases) {
    const after = copy();
    mutate(after);
    // Through a scratch file, as the real check reads the documents.
    const scratch = path.join(tmp, 'openapi.json');
    fs.writeFileSync(scratch, JSON.stringify(after));
    const res = compare(load(releasedFile), load(scratch));
    const broke = res.breaking.length > 0;
    const pass = broke === mustBreak;
    ok = ok && pass;
    console.log(`  ${pass ? 'ok  ' : 'FAIL'} ${name}: ${res.breaking.length} breaking` +
      (res.breaking[0] ? ` (${describe(res.breaking[0]).slice(0, 140)})` : ''));
  }
  // A new enum value in a response, compared from a document that already has the enum.
  {
    const before = copy();
    const hit = jsonResponseOp(before);
    resolve(before, hit.op.responses['200'].content['application/json'].schema)
      .properties.contract_selftest = { type: 'string', enum: ['a', 'b'] };
    const after = JSON.parse(JSON.stringify(before));
    const h2 = jsonResponseOp(after);
    resolve(after, h2.op.responses['200'].content['application/json'].schema)
      .properties.contract_selftest.enum.push('c');
    const res = compare(before, after);
    const pass = res.breaking.length === 0;
    ok = ok && pass;
    console.log(`  ${pass ? 'ok  ' : 'FAIL'} a new enum value in a response (allowed): ${res.breaking.length} breaking`);
  }
  // The unchanged document has no change at all.
  {
    const res = compare(base, copy());
    const pass = res.breaking.length + res.allowed.length + res.other.length === 0;
    ok = ok && pass;
    console.log(`  ${pass ? 'ok  ' : 'FAIL'} the same document: no change`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(ok ? 'self-test passed' : 'self-test FAILED: the breaking-change check misses what it must catch');
  return ok;
}

const args = process.argv.slice(2);
let ok;
if (args[0] === '--self-test' && args.length === 2) ok = selfTest(args[1]);
else if (args.length === 2) ok = check(args[0], args[1]);
else {
  console.error('usage: breaking.js RELEASED CURRENT | breaking.js --self-test RELEASED');
  process.exit(2);
}
process.exit(ok ? 0 : 1);
