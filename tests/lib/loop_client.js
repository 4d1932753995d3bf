#!/usr/bin/env node
// loop_client.js [--interval S] [--max S] URL STOPFILE MODEL...: node's
// counterpart of loop_client.py: one process making chat completion
// requests in a loop, each on a new HTTPS connection (no keep-alive agent),
// cycling through the MODELs, until STOPFILE exists (at most --max seconds,
// default 120). Trusts NODE_EXTRA_CA_CERTS. Prints one JSON line per request:
//   {"t": <unix time>, "i": N, "model": M, "ok": true, "status": 200}
//   {"t": ..., "i": N, "model": M, "ok": false, "error": CODE, "errno": E}
// The process is probed once, at its first connection (node's statically
// linked OpenSSL): the e2e tests of what stays enforced while aspend dies,
// restarts and is taken over.
'use strict';
const https = require('https');
const fs = require('fs');

const args = process.argv.slice(2);
let interval = 0.05, limit = 120;
while (args.length && args[0].startsWith('--')) {
  const [opt, val] = args.splice(0, 2);
  if (opt === '--interval') interval = parseFloat(val);
  else if (opt === '--max') limit = parseFloat(val);
}
const [url, stop, ...models] = args;
const start = Date.now() / 1000;

function one(i) {
  return new Promise((resolve) => {
    const model = models[i % models.length];
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'loop' }] });
    const line = { t: Date.now() / 1000, i, model };
    const done = (extra) => {
      if (line.ok !== undefined) return;
      Object.assign(line, extra);
      process.stdout.write(JSON.stringify(line) + '\n');
      resolve();
    };
    const req = https.request(url, {
      method: 'POST', agent: false, timeout: 10000,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => done({ ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode }));
      res.on('error', (e) => done({ ok: false, error: e.code || e.name, errno: e.errno || null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done({ ok: false, error: e.code || e.name, errno: e.errno || null }));
    req.end(body);
  });
}

(async () => {
  for (let i = 0; !fs.existsSync(stop) && Date.now() / 1000 - start < limit; i++) {
    await one(i);
    await new Promise((r) => setTimeout(r, interval * 1000));
  }
})();
