// A WebSocket client for Aspen's e2e tests: node 20's global WebSocket
// (undici; run node with --experimental-websocket), the Responses API over a
// WebSocket. Trusts NODE_EXTRA_CA_CERTS.
//
//   node --experimental-websocket ws_client.js URL STEP...
//
// Steps, in order, on one connection: create:MODEL (a response.create, then
// waits for response.completed); nomodel (a response.cancel, no answer).
// One JSON line per step; a closed or failed connection prints
// {"step", "error"} and exits 1.
'use strict';

const [url, ...steps] = process.argv.slice(2);

function create(model) {
  return JSON.stringify({
    type: 'response.create', model, store: false, stream: true,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
  });
}

const ws = new WebSocket(url);
let i = 0;
let events = [];
let done = false;
const timer = setTimeout(() => fail('timeout'), 10000);

function fail(why) {
  if (done) return;
  done = true;
  console.log(JSON.stringify({ step: steps[i] || null, error: why }));
  process.exit(1);
}

function next() {
  if (i >= steps.length) {
    done = true;
    clearTimeout(timer);
    ws.close(1000);
    return;
  }
  const [kind, model] = steps[i].split(':');
  events = [];
  if (kind === 'create') {
    ws.send(create(model));
  } else if (kind === 'nomodel') {
    ws.send(JSON.stringify({ type: 'response.cancel' }));
    console.log(JSON.stringify({ step: steps[i], sent: true }));
    i++;
    setTimeout(next, 200);
  } else {
    fail('unknown step');
  }
}

ws.onopen = () => next();
ws.onmessage = (m) => {
  const ev = JSON.parse(m.data);
  events.push(ev.type);
  if (ev.type === 'response.completed') {
    console.log(JSON.stringify({ step: steps[i], events }));
    i++;
    next();
  }
};
ws.onerror = () => fail('error');
ws.onclose = (e) => { if (!done) fail('closed ' + e.code); else process.exit(0); };
