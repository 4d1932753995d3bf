#!/usr/bin/env node
// http_client.js URL [BODY] [--repeat N]: an HTTPS client for the e2e tests
// (node's https module, keep-alive agent). Trusts NODE_EXTRA_CA_CERTS.
// Prints one JSON line per request: {pid, status, body} or {pid, error,
// errno, message}. Exit status: 0 all answered 2xx, 7 connection refused or
// not permitted (like curl), 1 anything else.
'use strict';
const https = require('https');

const argv = process.argv.slice(2);
let repeat = 1;
const ri = argv.indexOf('--repeat');
if (ri >= 0) { repeat = parseInt(argv[ri + 1], 10); argv.splice(ri, 2); }
const [url, body] = argv;
if (!url) { console.error('usage: http_client.js URL [BODY] [--repeat N]'); process.exit(2); }

const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: body === undefined ? 'GET' : 'POST',
      agent,
      timeout: 15000,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

(async () => {
  let rc = 0;
  try {
    for (let i = 0; i < repeat; i++) {
      const r = await once();
      console.log(JSON.stringify({ pid: process.pid, status: r.status, body: r.body }));
      if (r.status < 200 || r.status >= 300) rc = 1;
    }
  } catch (e) {
    console.log(JSON.stringify({ pid: process.pid, error: e.code || e.name, errno: e.errno ?? null, message: e.message }));
    rc = ['EPERM', 'EACCES', 'ECONNREFUSED'].includes(e.code) ? 7 : 1;
  }
  agent.destroy();
  process.exit(rc);
})();
