# shellcheck shell=bash
# Clients (sourced by harness.sh): commands run inside the child cgroup,
# bounded by H_CLIENT_TIMEOUT, and the request bodies they send.

# in_cgroup CMD...: run CMD (foreground) inside the test's child cgroup.
in_cgroup() {
	"$BASH" -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' aspen-in-cgroup "$H_CG" "$@"
}

# in_cgroup_bg CMD...: the same in the background; sets BG_PID (CMD's pid).
# The cleanup kills it with everything else in the cgroup.
in_cgroup_bg() {
	"$BASH" -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' aspen-in-cgroup "$H_CG" "$@" &
	BG_PID=$!
}

# client NAME CMD...: run CMD in the child cgroup, bounded by H_CLIENT_TIMEOUT.
# Sets C_RC (exit status), C_PID (the client's own pid: the process that
# joins the cgroup execs CMD), C_OUT and C_ERR (files). Never fails by itself.
client() {
	local name=$1
	shift
	C_OUT=$H_WORK/client-$name.out C_ERR=$H_WORK/client-$name.err C_RC=0
	local pidf=$H_WORK/client-$name.pid
	rm -f "$pidf"
	timeout -k 5 "$H_CLIENT_TIMEOUT" "$BASH" -c \
		'echo $$ >"$1/cgroup.procs" && echo $$ >"$2" && shift 2 && exec "$@"' \
		aspen-client "$H_CG" "$pidf" "$@" >"$C_OUT" 2>"$C_ERR" || C_RC=$?
	C_PID=$(cat "$pidf" 2>/dev/null || echo 0)
	log "client $name: status $C_RC, pid $C_PID: $(head -c 200 "$C_OUT" | tr '\n' ' ') $(head -c 200 "$C_ERR" | tr '\n' ' ')"
}

# curl_call NAME URL [CURL ARGS...]: GET, or POST with -d.
curl_call() {
	local name=$1 url=$2
	shift 2
	client "$name" "$H_CURL" -sS --max-time 15 --cacert "$H_CA" "$@" "$url"
}

# py_call NAME URL [BODY]: urllib (POST when BODY is given). Prints a JSON
# line {"pid", "status", "body"} or {"pid", "error", "errno"}; status 7 on a
# connection error, like curl.
py_call() {
	py_client "$1" "$2" ${3:+--data "$3"}
}

# node_call NAME URL [BODY]: node's https module; same output as py_call.
node_call() {
	node_client "$1" "$2" ${3:+"$3"}
}

# wget_call NAME URL: GnuTLS client.
wget_call() {
	client "$1" "$H_WGET" -nv -O - --timeout=15 --tries=1 --ca-certificate="$H_CA" "$2"
}

# udp_call NAME HOST PAYLOAD: one UDP datagram to HOST:443 (any family).
# Status 7 when sendto() is refused (EPERM), like a refused connection.
udp_call() {
	client "$1" "$H_PY" -c '
import errno, socket, sys
fam, typ, proto, _, addr = socket.getaddrinfo(sys.argv[1], 443, type=socket.SOCK_DGRAM)[0]
s = socket.socket(fam, typ, proto)
try:
    s.sendto(sys.argv[2].encode(), addr)
except OSError as e:
    print(type(e).__name__, e.errno, e)
    sys.exit(7 if e.errno in (errno.EPERM, errno.EACCES) else 1)
print("sent", len(sys.argv[2]), "bytes to", addr[0])
' "$2" "$3"
}

# py_client NAME ARGS...: http_client.py with its own arguments (modes
# urllib, split, keepalive; --data, --header, --hold ...; see its header).
py_client() {
	client "$1" env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "${@:2}"
}

# node_script NAME SCRIPT ARGS...: a node script as a client, trusting the test CA.
node_script() {
	client "$1" env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" "$2" "${@:3}"
}

# node_client NAME ARGS...: http_client.js with its own arguments (modes
# https, fetch, keepalive).
node_client() {
	node_script "$1" "$H_LIB/http_client.js" "${@:2}"
}

# wget_post_call NAME URL BODY [WGET ARGS...]: a JSON POST through GnuTLS.
wget_post_call() {
	local name=$1 url=$2 body=$3
	shift 3
	client "$name" "$H_WGET" -nv -O - --timeout=15 --tries=1 --ca-certificate="$H_CA" \
		--header='Content-Type: application/json' --post-data="$body" "$@" "$url"
}

# curl_next NAME URL BODY1 BODY2: two JSON POSTs on one connection (--next).
curl_next() {
	local name=$1 url=$2 a=(-sS --max-time 15 --cacert "$H_CA" -H 'Content-Type: application/json')
	client "$name" "$H_CURL" "${a[@]}" -d "$3" "$url" --next "${a[@]}" -d "$4" "$url"
}

# need_openai_sdk: the official openai npm client in tests/lib/openai-client
# (tests/lib/npm-setup.sh installs it once). Skips (fails in CI) without it.
need_openai_sdk() {
	# installed before the tests (scripts/test.sh, install-deps.sh): here,
	# inside the test's network namespace, the registry is out of reach
	(cd "$H_LIB/openai-client" && "$H_NODE" -e "require('openai')") >/dev/null 2>&1 ||
		skip_or_fail "the openai npm client is not installed: run tests/lib/npm-setup.sh"
}

# sdk_call NAME MODEL [--stream] [--user ID]: openai.chat.completions.create
# against https://api.openai.com/v1 (see tests/lib/openai-client/index.js).
sdk_call() {
	node_script "$1" "$H_LIB/openai-client/index.js" "${@:2}"
}

# client_bg NAME CMD...: like client, in the background and unbounded by
# `timeout` (CMD must bound itself, e.g. http_client --hold); BG_PID is CMD's
# own pid; C_OUT/C_ERR as for client. The cleanup kills it with the cgroup.
client_bg() {
	local name=$1
	shift
	C_OUT=$H_WORK/client-$name.out C_ERR=$H_WORK/client-$name.err
	"$BASH" -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' aspen-client "$H_CG" "$@" >"$C_OUT" 2>"$C_ERR" &
	BG_PID=$!
	log "client $name: started in the background, pid $BG_PID"
}

# wait_output FILE STRING [SECONDS]: wait until FILE contains STRING.
wait_output() {
	local i
	for i in $(seq $((${3:-$H_CLIENT_TIMEOUT} * 10))); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	log "--- $1:"
	cat "$1" >&2 2>/dev/null
	fail "no '$2' in $1 after ${3:-$H_CLIENT_TIMEOUT} s"
}

# chat_body MODEL [EXTRA_JSON_MEMBERS]: an OpenAI chat completion body, e.g.
# chat_body gpt-4o '"stream":true,"user":"alice"'. The model comes LAST, so a
# body split into writes has its model in the last one.
chat_body() {
	printf '{"messages":[{"role":"user","content":"hello from aspen e2e"}]%s,"model":"%s"}' "${2:+,$2}" "$1"
}

# msg_body MODEL [EXTRA_JSON_MEMBERS]: an Anthropic messages body.
msg_body() {
	printf '{"max_tokens":16,"messages":[{"role":"user","content":"hello from aspen e2e"}]%s,"model":"%s"}' "${2:+,$2}" "$1"
}

# user_body TEXT: a gpt-4o-mini chat body whose one user message is TEXT
# (model first; TEXT goes in as written: backslashes are JSON escapes).
user_body() { printf '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"%s"}]}' "$1"; }

# A chat completion request body.
CHAT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
MSG_BODY='{"model":"claude-sonnet-4","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}'

# go_build [-s]: builds tests/lib/goclient (Go's crypto/tls, net/http) once
# per test into $H_WORK/goclient and sets H_GOCLIENT; with -s stripped
# (-ldflags="-s -w": no ELF symbol table) into $H_WORK/goclient-stripped,
# setting H_GOCLIENT_STRIPPED. Under CI a missing Go toolchain fails the
# test; elsewhere it skips it (exit 77).
go_build() {
	local out=$H_WORK/goclient ldflags=
	command -v go >/dev/null 2>&1 || {
		[ "${CI:-}" = true ] && fail "go is not installed (scripts/install-deps.sh installs golang-go)"
		skip "go is not installed"
	}
	[ "${1:-}" = -s ] && out=$H_WORK/goclient-stripped ldflags="-s -w"
	(cd "$H_LIB/goclient" && HOME=${HOME:-/root} GOFLAGS=-mod=mod CGO_ENABLED=0 \
		go build -ldflags="$ldflags" -o "$out" .) >"$H_WORK/go-build.log" 2>&1 ||
		{ cat "$H_WORK/go-build.log" >&2; fail "go build of tests/lib/goclient failed"; }
	if [ -n "$ldflags" ]; then H_GOCLIENT_STRIPPED=$out; else H_GOCLIENT=$out; fi
}

# go_call NAME URL BODY [BODY...]: POSTs from the Go client ($GO_BIN,
# default $H_GOCLIENT): prints {"pid", "status", "proto"} or {"pid",
# "error"}; with several bodies, all at once, {"pid", "results": [...]}.
go_call() {
	client "$1" env SSL_CERT_FILE="$H_CA" "${GO_BIN:-$H_GOCLIENT}" "${@:2}"
}

# big_body FILE BYTES MODEL [SECRET]: a chat body of about BYTES, the model
# last; SECRET goes into a message 80% of the way in.
big_body() {
	"$H_PY" - "$@" <<'EOF_PY'
import json, sys
path, size, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
secret = sys.argv[4] if len(sys.argv) > 4 else None
msgs, n = [], 0
line = 'code: if (x == "y") { return "\\n"; } // caf\u00e9 ' * 4
while n < size:
    content = line
    if secret and n >= size * 0.8:
        content, secret = line + " key " + secret + " ", None
    m = {"role": "user" if len(msgs) % 2 == 0 else "assistant", "content": content}
    msgs.append(m)
    n += len(json.dumps(m))
open(path, "w").write(json.dumps({"messages": msgs, "model": model}))
EOF_PY
}
