#!/usr/bin/env node
// http_client.js URL [BODY] [--data BODY]... [--mode MODE] [--header 'K: V']...
//                [--repeat N] [--hold FILE]
// An HTTPS client for the e2e tests. Trusts NODE_EXTRA_CA_CERTS.
//
// Modes (every one writes through node's statically linked OpenSSL):
//   https      (default) node's https module, one request per body, each on a
//              fresh connection (keep-alive agent, one socket at a time).
//   fetch      the global fetch (undici), one request per body.
//   keepalive  https module with a keep-alive agent: every body in order on
//              ONE connection; after a failed request it goes on to the end.
//   --repeat N (old interface) N requests of the one body, https keep-alive.
// --hold FILE: after the requests print {pid, held:true} and wait (60 s at
// most) until FILE exists, keeping the process alive for inspection.
//
// Prints one JSON line per request: {pid, req, status, body} or {pid, req,
// error, errno, message}; with several bodies or in keepalive mode a last
// line {pid, done:true, ok, failed}. Exit status: 0 all answered 2xx, 7 the
// first failure was a refused or not permitted connect (like curl), 1
// anything else.
'use strict';
const https = require('https');
const fs = require('fs');

const argv = process.argv.slice(2);
let repeat = 0, mode = 'https', hold = null;
const bodies = [], headers = {}, pos = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--repeat') repeat = parseInt(argv[++i], 10);
  else if (a === '--mode') mode = argv[++i];
  else if (a === '--data') bodies.push(argv[++i]);
  else if (a === '--hold') hold = argv[++i];
  else if (a === '--header') {
    const h = argv[++i], c = h.indexOf(':');
    headers[h.slice(0, c).trim()] = h.slice(c + 1).trim();
  } else pos.push(a);
}
const [url, body0] = pos;
if (!url || !['https', 'fetch', 'keepalive'].includes(mode)) {
  console.error('usage: http_client.js URL [BODY] [--data BODY]... [--mode https|fetch|keepalive] [--repeat N]');
  process.exit(2);
}
if (body0 !== undefined) bodies.unshift(body0);
if (bodies.length === 0) bodies.push(undefined);
let list = bodies;
if (repeat) { mode = 'keepalive'; list = Array(repeat).fill(bodies[0]); }

const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function hdrs(body) {
  const h = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  return Object.assign(h, headers);
}

function viaHttps(body) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: body === undefined ? 'GET' : 'POST', agent, timeout: 15000, headers: hdrs(body) }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function viaFetch(body) {
  const h = hdrs(body);
  delete h['Content-Length'];
  const r = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers: h, body, signal: AbortSignal.timeout(15000) });
  return { status: r.status, body: await r.text() };
}

function describe(e) {
  // fetch wraps the socket error: TypeError('fetch failed') with .cause.
  const c = (e && e.cause && (e.cause.code || e.cause.errno)) ? e.cause : e;
  return { error: c.code || c.name, errno: c.errno ?? null, message: e.message + (c !== e ? ': ' + c.message : '') };
}

(async () => {
  let rc = 0, ok = 0, failed = 0;
  for (let i = 0; i < list.length; i++) {
    try {
      const r = mode === 'fetch' ? await viaFetch(list[i]) : await viaHttps(list[i]);
      console.log(JSON.stringify({ pid: process.pid, req: i, status: r.status, body: r.body }));
      if (r.status >= 200 && r.status < 300) ok++; else { failed++; rc = rc || 1; }
    } catch (e) {
      const d = describe(e);
      console.log(JSON.stringify({ pid: process.pid, req: i, ...d }));
      failed++;
      rc = rc || (['EPERM', 'EACCES', 'ECONNREFUSED'].includes(d.error) ? 7 : 1);
      if (mode !== 'keepalive' && list.length === 1) break;
    }
  }
  if (hold) {
    console.log(JSON.stringify({ pid: process.pid, held: true }));
    const end = Date.now() + 60000;
    while (!fs.existsSync(hold) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }
  if (list.length > 1 || mode === 'keepalive') console.log(JSON.stringify({ pid: process.pid, done: true, ok, failed }));
  agent.destroy();
  process.exit(rc);
})();
