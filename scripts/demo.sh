#!/usr/bin/env bash
# Aspen in two minutes: builds, then runs examples/demo.asp against fake AI
# providers on this machine's loopback and shows what programs and the audit
# trail see. Safe on your own machine: everything happens in a private mount
# and network namespace, and aspend governs one child cgroup only (it is
# removed, with every program attached to it, when the demo ends). Root.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (sudo scripts/demo.sh): aspend loads eBPF programs" >&2
	exit 1
fi

if [ -z "${ASPEN_HARNESS_NS:-}" ]; then # once, before entering the namespaces
	echo "==> building (cmake -S . -B build)"
	cmake -S "$SRC" -B "$SRC/build" >/dev/null
	cmake --build "$SRC/build" -j "$(nproc)" >/dev/null
fi

export ASPEN_BUILD=$SRC/build
H_QUIET=1
source "$SRC/tests/lib/harness.sh"
harness_start demo

bold= reset= green= red=
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true) reset=$(tput sgr0 2>/dev/null || true)
	green=$(tput setaf 2 2>/dev/null || true) red=$(tput setaf 1 2>/dev/null || true)
fi

echo "==> policy examples/demo.asp"
sed -n '/^policy/,$p' "$SRC/examples/demo.asp" | sed 's/^/    /'
obj=$H_WORK/demo.bpf.o
compile_policy "$SRC/examples/demo.asp" "$obj"
echo "==> aspenc examples/demo.asp -o demo.bpf.o: ok ($(stat -c %s "$obj") bytes)"

echo "==> aspend demo.bpf.o --cgroup $H_CG_REL (a child cgroup made for this demo)"
start_aspend "$obj"
echo "    provider names point at local fake providers: api.openai.com=$IP_OPENAI," \
	"api.anthropic.com=$IP_ANTHROPIC, api.mistral.ai=$IP_MISTRAL"
echo

# show WHO WHERE: one line per call, from the last client's result.
show() {
	local who=$1 where=$2 msg
	if [ "$C_RC" -eq 0 ]; then
		msg=$(grep -o 'hello from fake [a-z]*' "$C_OUT" | head -n 1 || true)
		printf '  %s%-8s%s -> %-26s %sallowed%s  %s\n' "$bold" "$who" "$reset" "$where" "$green" "$reset" "${msg:-$(head -c 60 "$C_OUT")}"
	else
		msg=$(cat "$C_ERR" "$C_OUT" | grep -oE "Operation not permitted|PermissionError|EPERM|EACCES|SSLEOFError|Send failure: [A-Za-z ]*|Couldn't connect[^:]*|Failed to connect[^:]*" | head -n 1 || true)
		printf '  %s%-8s%s -> %-26s %sDENIED%s   %s (exit %s)\n' "$bold" "$who" "$reset" "$where" "$red" "$reset" "${msg:-error}" "$C_RC"
	fi
}

echo "==> programs calling AI APIs from inside the cgroup"
curl_call curl-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
show curl api.openai.com
py_call py-anthropic https://api.anthropic.com/v1/messages "$MSG_BODY"
show python3 api.anthropic.com
node_call node-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
show node api.openai.com
curl_call curl-mistral https://api.mistral.ai/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
show curl api.mistral.ai
py_call py-mistral https://api.mistral.ai/v1/chat/completions "$CHAT_BODY"
show python3 api.mistral.ai
echo
echo "==> the same programs asking for a model the policy does not approve"
echo "    (decided in the kernel from the TLS plaintext, before a byte is encrypted)"
curl_call curl-gpt4o https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' \
	-d '{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}'
show curl "api.openai.com gpt-4o"
py_call py-gpt4o https://api.openai.com/v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}'
show python3 "api.openai.com gpt-4o"
echo "  gpt-4o requests that reached the fake openai: $(rec_count event=request addr="$IP_OPENAI" model=gpt-4o)"
echo
echo "==> a prompt with an SSN and a card number: masked in the writer's buffer before"
echo "    encryption (same length, so Content-Length stays right)"
pii='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my ssn is 123-45-6789, card 4111 1111 1111 1111"}]}'
py_call py-pii https://api.openai.com/v1/chat/completions "$pii"
show python3 "api.openai.com (PII)"
echo "  the fake openai received: $(tail -n 1 "$(ls -t "$H_REC/$IP_OPENAI"/*.req | head -n 1)" | grep -o '"content":"[^"]*"')"
echo
curl_call curl-internal https://internal.example.test/
show curl "internal.example.test"
echo "  (internal.example.test is not an AI provider: the policy never sees it)"
echo "  bytes that reached the fake mistral: $(provider_bytes "$IP_MISTRAL")"
echo

# The ring buffer is drained asynchronously: wait for the last denial.
audit_poll event=request pid="$(cat "$H_WORK/client-py-gpt4o.pid")" >/dev/null || true

echo "==> audit trail ($(wc -l <"$H_AUDIT") events)"
if command -v jq >/dev/null 2>&1; then
	jq -r 'if .event == "connect" then
		"  \(.ts)  connect   \(.decision | ascii_upcase)  \(.provider)  \(.comm) pid \(.pid) uid \(.uid)  rule \(.rule)  \(.exe)"
	elif .event == "request" then
		"  \(.ts)  request   \(.decision | ascii_upcase)  \(.provider)  \(.method) \(.path) model \(.model)  \(.comm) pid \(.pid)  rule \(.rule)\(if .redactions then "  redacted \(.redactions | map("\(.pattern) x\(.count)") | join(", "))" else "" end)"
	elif .event == "tls_attach" then
		"  \(.ts)  tls_attach  pid \(.pid) \(.exe): probes in \(.lib), held \(.hold_us) us"
	else
		"  \(.ts)  \(.event)  \(.policy // .message // "")"
	end' "$H_AUDIT"
	echo
	echo "==> one event in full"
	jq . < <(audit_find event=request decision=deny | sed -n 1p)
else
	"$H_PY" -m json.tool --json-lines "$H_AUDIT"
fi

stop_aspend
echo
echo "==> aspend stopped (SIGTERM); programs detached, cgroup removed. Done."
