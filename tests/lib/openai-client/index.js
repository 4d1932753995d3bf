#!/usr/bin/env node
// index.js MODEL [--stream] [--user ID] [--repeat N]: the official openai npm
// client (v4) calls chat.completions.create against https://api.openai.com/v1
// (the e2e harness maps that name to a fake provider; trust comes from
// NODE_EXTRA_CA_CERTS). No retries, 15 s timeout.
//
// Prints one JSON line per call:
//   {"pid":..,"status":200,"model":..,"usage":{..},"error":null}
//   {"pid":..,"status":null,"error":"APIConnectionError","message":..,"cause":..}
// then {"pid":..,"done":true,"ok":N,"failed":M} (the program survived).
// Exit status: 0 every call succeeded, 1 otherwise.
'use strict';
const OpenAI = require('openai');

const argv = process.argv.slice(2);
let stream = false, user, repeat = 1;
const models = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--stream') stream = true;
  else if (argv[i] === '--user') user = argv[++i];
  else if (argv[i] === '--repeat') repeat = parseInt(argv[++i], 10);
  else models.push(argv[i]);
}
if (models.length === 0) { console.error('usage: index.js MODEL [MODEL...] [--stream] [--user ID]'); process.exit(2); }

const client = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY || 'sk-aspen-test',
  baseURL: process.env.OPENAI_BASE_URL || 'https://api.openai.com/v1',
  maxRetries: 0,
  timeout: 15000,
});

async function call(model) {
  const params = { model, messages: [{ role: 'user', content: 'hello from the openai sdk' }] };
  if (user !== undefined) params.user = user;
  if (stream) {
    params.stream = true;
    params.stream_options = { include_usage: true };
    const s = await client.chat.completions.create(params);
    let usage = null, text = '';
    for await (const chunk of s) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices || []) text += (c.delta && c.delta.content) || '';
    }
    return { status: 200, model, usage, text };
  }
  const r = await client.chat.completions.create(params);
  return { status: 200, model: r.model, usage: r.usage, text: r.choices[0].message.content };
}

(async () => {
  let ok = 0, failed = 0;
  for (let n = 0; n < repeat; n++) {
    for (const model of models) {
      try {
        const r = await call(model);
        console.log(JSON.stringify({ pid: process.pid, ...r, error: null }));
        ok++;
      } catch (e) {
        const cause = e && e.cause;
        console.log(JSON.stringify({
          pid: process.pid, status: (e && e.status) ?? null, model,
          error: (e && e.constructor && e.constructor.name) || String(e),
          message: e && e.message,
          cause: cause ? (cause.code || cause.errno || cause.message || String(cause)) : null,
        }));
        failed++;
      }
    }
  }
  console.log(JSON.stringify({ pid: process.pid, done: true, ok, failed }));
  process.exit(failed ? 1 : 0);
})();
