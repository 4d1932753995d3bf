// SPDX-License-Identifier: Apache-2.0
// node's http2 module as a client: several POSTs as concurrent streams on
// one HTTP/2 connection (TLS, ALPN h2), one line of JSON per stream:
//   {"model": M, "status": N, "body": "..."} or {"model": M, "error": "..."}
//
//   node h2_client.js URL MODEL...
'use strict';
const http2 = require('http2');

const [url, ...models] = process.argv.slice(2);
const u = new URL(url);
const session = http2.connect(u.origin);
session.on('error', () => {});
let left = models.length;
const done = () => {
  if (--left === 0) session.close();
};
for (const model of models) {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'hello from aspen e2e' }], model });
  const req = session.request({
    ':method': 'POST',
    ':path': u.pathname,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  let status = 0;
  let data = '';
  req.on('response', (h) => { status = h[':status']; });
  req.on('data', (c) => { data += c; });
  req.on('end', () => { console.log(JSON.stringify({ model, status, body: data })); done(); });
  req.on('error', (e) => { console.log(JSON.stringify({ model, error: String(e.code || e) })); done(); });
  req.end(body);
}
setTimeout(() => process.exit(3), 12000).unref();
