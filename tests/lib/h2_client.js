// SPDX-License-Identifier: Apache-2.0
// node's http2 module as a client: several POSTs as concurrent streams on
// one HTTP/2 connection (TLS, ALPN h2), one line of JSON per stream:
//   {"model": M, "status": N, "body": "..."} or {"model": M, "error": "..."}
//
//   node h2_client.js URL MODEL...
// ASPEN_H2_PAD=N: each message's content padded with N bytes (the model
// stays last in the body).
'use strict';
const http2 = require('http2');

const [url, ...models] = process.argv.slice(2);
const u = new URL(url);
const session = http2.connect(u.origin);
session.on('error', () => {});
let left = models.length;
const unanswered = new Set(models);
// streams the session dropped without an event (its socket failed): said at exit
process.on('exit', () => {
  for (const model of unanswered) console.log(JSON.stringify({ model, error: 'no answer' }));
});
const done = () => {
  if (--left === 0) session.close();
};
for (const model of models) {
  const pad = 'x'.repeat(Number(process.env.ASPEN_H2_PAD || 0));
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'hello from aspen e2e' + pad }], model });
  const req = session.request({
    ':method': 'POST',
    ':path': u.pathname,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  let status = 0;
  let data = '';
  let said = false;
  const say = (o) => {
    if (!said) {
      said = true;
      unanswered.delete(model);
      console.log(JSON.stringify(o));
      done();
    }
  };
  req.on('response', (h) => { status = h[':status']; });
  req.on('data', (c) => { data += c; });
  req.on('end', () => say({ model, status, body: data }));
  req.on('error', (e) => say({ model, error: String(e.code || e) }));
  // a stream closed without an answer (its connection was cut)
  req.on('close', () => say({ model, error: 'closed, rst code ' + req.rstCode }));
  req.end(body);
}
setTimeout(() => process.exit(3), 12000).unref();
