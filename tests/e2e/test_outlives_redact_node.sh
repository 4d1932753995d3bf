#!/usr/bin/env bash
# SIGKILL while a node writer is held for redaction (issue 14), as
# test_outlives_redact does it for python: node's https module (its own
# OpenSSL, probed at its internal write function) sends a prompt with an
# SSN on its keep-alive socket while aspend is frozen (SIGSTOP), so the
# kernel records the hold and stops the writer (node's main thread) for an
# aspend that never masks it. aspend is then killed: the watchdog denies
# the held request in the byte ledger and resumes node within the bound
# (1 s here): node is not left stopped, its request fails, the provider
# receives none of its bytes, and neither the trail nor aspend's log holds
# the SSN. A new aspend writes the request's deny to the trail.
source "$(dirname "$0")/../lib/harness.sh"
harness_start outlives-redact-node

start_held_redact
# one socket (keep-alive agent, maxSockets 1): a clean request (node is
# probed), then, once $go exists, a request with the SSN
client_bg held env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" -e '
const https = require("https"), fs = require("fs");
const [host, go, ssn] = process.argv.slice(1);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
function call(text) {
	return new Promise((done) => {
		const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: text }] });
		const req = https.request({ host, port: 443, path: "/v1/chat/completions", method: "POST", agent,
			timeout: 10000, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
			(r) => { r.resume(); r.on("end", () => done("status " + r.statusCode)); r.on("error", (e) => done("error " + e.code)); });
		req.on("error", (e) => done("error " + (e.code || e.message)));
		req.on("timeout", () => req.destroy(new Error("timeout")));
		req.end(body);
	});
}
(async () => {
	console.log("first: " + (await call("hello")));
	for (let i = 0; i < 3000 && !fs.existsSync(go); i++) await new Promise((r) => setTimeout(r, 10));
	console.log("second: " + (await call("my ssn is " + ssn)));
	agent.destroy();
})();
' api.openai.com "$go" "$ssn"
NODE_PID=$BG_PID
wait_output "$C_OUT" "first: status 200" 15

# aspend frozen with a fresh heartbeat: the kernel still holds for it
kill -STOP "$ASPEND_PID"
touch "$go"
kill_aspend_held "$NODE_PID" "node held for redaction"
[ "$RESUMED_MS" -lt 1000 ] || fail "node resumed only $RESUMED_MS ms after aspend died (bound 1000 ms)"
wait_output "$C_OUT" "second:" 15
wait "$NODE_PID" || true
log "client: $(tr '\n' ' ' <"$C_OUT") $(head -c 300 "$C_ERR")"
expect_held_redact_denied "$NODE_PID"
