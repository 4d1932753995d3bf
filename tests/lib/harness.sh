# shellcheck shell=bash
# The end-to-end test harness: sourced by every tests/e2e/test_*.sh.
#
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/../lib/harness.sh"
#   harness_start connect          # root; private mount+net namespace; certs,
#                                  # hosts file, child cgroup, fake providers
#   obj=$(make_policy e2e <<'EOF'
#   policy "e2e" ...
#   EOF
#   )
#   start_aspend "$obj"            # --cgroup/--audit/--hosts/--ready-file added
#   curl_call c1 https://api.mistral.ai/
#   assert_eq 7 "$C_RC" "curl to mistral is refused"
#   audit_wait event=connect decision=deny pid="$C_PID"
#   stop_aspend                    # SIGTERM, exit status must be 0
#
# Isolation (see docs/testing.md): the script re-executes itself once under
# `unshare -m -n`: a private mount namespace, where a hosts file mapping the
# provider names to loopback addresses is bind-mounted over /etc/hosts, and a
# private network namespace whose only interface is its own loopback (nothing
# leaves the machine, port 443 never clashes with the host's services).
# Clients run in a child cgroup v2 `aspen-test-NAME-PID` and aspend is scoped
# to it with --cgroup. The EXIT trap kills aspend, the fake providers and
# every process in the child cgroup, checks that no program is left attached
# to the cgroup, and removes it. Set ASPEN_TEST_HOST_NET=1 to stay in the
# host's network namespace (IPv6 tests then skip), ASPEN_KEEP=1 to keep the
# work directory.
#
# Exit status: 0 pass, 1 fail, 77 skipped (no root outside CI, aspend not built).

set -Eeuo pipefail

H_SCRIPT=$(readlink -f "$0")
H_ARGS=("$@")
H_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ASPEN_SRC=${ASPEN_SRC:-$(cd "$H_LIB/../.." && pwd)}
ASPEN_BUILD=${ASPEN_BUILD:-$ASPEN_SRC/build}
ASPENC=${ASPENC:-$ASPEN_BUILD/compiler/aspenc}
ASPEND=${ASPEND:-$ASPEN_BUILD/runtime/aspend}

H_CLIENT_TIMEOUT=${H_CLIENT_TIMEOUT:-20} # seconds, every client call
H_ASPEND_TIMEOUT=${H_ASPEND_TIMEOUT:-20}  # seconds, aspend start / stop
H_AUDIT_TIMEOUT=${H_AUDIT_TIMEOUT:-5}     # seconds, waiting for an audit line
H_FAMILY=${H_FAMILY:-4}                   # 6: provider names map to IPv6 addresses

H_NAME=${H_NAME:-$(basename "$0" .sh)}
H_WORK=
H_CG=
H_CG_REL=
ASPEND_PID=
H_FAKE_PIDS=()

# Loopback addresses of the fake services. The IPv6 ones exist only in the
# private network namespace (added to its lo at start).
IP4_OPENAI=127.0.0.2 IP4_ANTHROPIC=127.0.0.3 IP4_MISTRAL=127.0.0.4 IP4_DEEPSEEK=127.0.0.5 IP4_INTERNAL=127.0.0.6
IP6_OPENAI=fd00:a5::2 IP6_ANTHROPIC=fd00:a5::3 IP6_MISTRAL=fd00:a5::4 IP6_DEEPSEEK=fd00:a5::5 IP6_INTERNAL=fd00:a5::6
if [ "$H_FAMILY" = 6 ]; then
	IP_OPENAI=$IP6_OPENAI IP_ANTHROPIC=$IP6_ANTHROPIC IP_MISTRAL=$IP6_MISTRAL IP_DEEPSEEK=$IP6_DEEPSEEK IP_INTERNAL=$IP6_INTERNAL
else
	IP_OPENAI=$IP4_OPENAI IP_ANTHROPIC=$IP4_ANTHROPIC IP_MISTRAL=$IP4_MISTRAL IP_DEEPSEEK=$IP4_DEEPSEEK IP_INTERNAL=$IP4_INTERNAL
fi

# ---------------------------------------------------------------- messages

# H_QUIET=1 (the demo) keeps progress messages out; failures always print.
log() { [ "${H_QUIET:-0}" = 1 ] || printf '[%s] %s\n' "$H_NAME" "$*" >&2; }

fail() {
	printf '[%s] FAIL: %s\n' "$H_NAME" "$*" >&2
	exit 1
}

skip() {
	printf '[%s] SKIP: %s\n' "$H_NAME" "$*" >&2
	exit 77
}

# Missing prerequisites skip on a developer machine and fail in CI.
skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		fail "$* (CI=true: e2e tests must not be skipped)"
	fi
	skip "$*"
}

trap 'printf "[%s] error: line %s: %s (status %s)\n" "$H_NAME" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

# ---------------------------------------------------------------- prerequisites

need_root() {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "needs root (loads eBPF programs, creates cgroups and namespaces)"
}

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_or_fail "missing tool: $t (scripts/install-deps.sh installs it)"
	done
}

need_aspenc() { [ -x "$ASPENC" ] || skip_or_fail "aspenc not built: $ASPENC"; }
need_aspend() { [ -x "$ASPEND" ] || skip_or_fail "aspend not built: $ASPEND"; }

# ---------------------------------------------------------------- set-up

# harness_init NAME: a private work directory and the EXIT trap; no root.
harness_init() {
	H_NAME=${1:-$H_NAME}
	H_WORK=$(mktemp -d "/tmp/aspen-e2e-$H_NAME.XXXXXX")
	trap harness_cleanup EXIT
	# A signal must still run the cleanup (bash skips EXIT traps otherwise).
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	trap 'exit 141' PIPE
	log "work directory $H_WORK"
}

# harness_start NAME: everything an enforcement test needs (see the top).
harness_start() {
	H_NAME=${1:-$H_NAME}
	need_root
	need_tools unshare mount ip bpftool curl wget node openssl timeout
	if [ "${H_NEED_ASPEN:-1}" = 1 ]; then
		need_aspenc
		need_aspend
	fi
	if [ -z "${ASPEN_HARNESS_NS:-}" ]; then
		export ASPEN_HARNESS_NS=1
		local net=-n
		[ "${ASPEN_TEST_HOST_NET:-0}" = 1 ] && net=
		[ -n "$net" ] || [ "$H_FAMILY" != 6 ] || skip_or_fail "IPv6 test addresses need the private network namespace"
		# shellcheck disable=SC2086
		exec unshare -m $net --propagation private -- "$BASH" "$H_SCRIPT" "${H_ARGS[@]}"
	fi
	harness_init "$H_NAME"

	if [ "${ASPEN_TEST_HOST_NET:-0}" != 1 ]; then
		ip link set lo up
		# Only in IPv6 mode: with a non-loopback IPv6 address and no IPv4
		# one, getaddrinfo(AI_ADDRCONFIG) (node's default) stops asking
		# for IPv4 addresses.
		if [ "$H_FAMILY" = 6 ]; then
			local a
			for a in "$IP6_OPENAI" "$IP6_ANTHROPIC" "$IP6_MISTRAL" "$IP6_DEEPSEEK" "$IP6_INTERNAL"; do
				ip -6 addr add "$a/128" dev lo nodad
			done
		fi
	fi

	H_CURL=$(readlink -f "$(command -v curl)")
	H_WGET=$(readlink -f "$(command -v wget)")
	H_NODE=$(readlink -f "$(command -v node)")
	# python3 may be a pyenv shim: use the interpreter it really runs.
	H_PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')

	"$H_LIB/mkcerts.sh" "$H_WORK/certs"
	H_CA=$H_WORK/certs/ca.pem

	H_HOSTS=$H_WORK/hosts
	cat >"$H_HOSTS" <<-EOF
		127.0.0.1 localhost
		::1 localhost ip6-localhost ip6-loopback
		$IP_OPENAI api.openai.com
		$IP_ANTHROPIC api.anthropic.com
		$IP_MISTRAL api.mistral.ai
		$IP_DEEPSEEK api.deepseek.com
		$IP_INTERNAL internal.example.test
	EOF
	mount --bind "$H_HOSTS" /etc/hosts

	harness_cgroup
	H_AUDIT=$H_WORK/audit.jsonl
	H_REC=$H_WORK/received
	start_fake_providers
	log "ready: cgroup $H_CG, providers $IP_OPENAI..$IP_INTERNAL (family $H_FAMILY)"
}

# The cgroup v2 mount: found, never assumed (hybrid hosts use .../unified).
cgroup2_mount() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

harness_cgroup() {
	local root
	root=$(cgroup2_mount)
	[ -n "$root" ] || skip_or_fail "no cgroup2 mount in /proc/mounts"
	H_CG_REL=/aspen-test-$H_NAME-$$
	H_CG=$root$H_CG_REL
	mkdir "$H_CG"
}

# One fake provider process per service, each on its address, port 443 TCP
# (TLS) and UDP. All record under $H_REC/<address>/.
start_fake_providers() {
	local name ip ready=() i
	mkdir -p "$H_REC"
	for name in openai anthropic mistral deepseek internal; do
		ip=$(service_ip "$name")
		local args=(--listen "[$ip]:443" --cert "$H_WORK/certs/server.pem" --key "$H_WORK/certs/server.key"
			--outdir "$H_REC" --ready-file "$H_WORK/fake-$name.ready" --name "$name")
		[ "$name" = internal ] || args+=(--udp "[$ip]:443")
		"$H_PY" "$H_LIB/fake_provider.py" "${args[@]}" 2>>"$H_WORK/fake-$name.log" &
		H_FAKE_PIDS+=($!)
		ready+=("$H_WORK/fake-$name.ready")
	done
	for i in $(seq 100); do
		local all=1 f
		for f in "${ready[@]}"; do [ -e "$f" ] || all=0; done
		[ $all = 1 ] && return 0
		sleep 0.1
	done
	cat "$H_WORK"/fake-*.log >&2 || true
	fail "fake providers did not start within 10 s"
}

service_ip() { # NAME -> address in the current family
	case $1 in
	openai) echo "$IP_OPENAI" ;; anthropic) echo "$IP_ANTHROPIC" ;; mistral) echo "$IP_MISTRAL" ;;
	deepseek) echo "$IP_DEEPSEEK" ;; internal) echo "$IP_INTERNAL" ;; *) fail "unknown service $1" ;;
	esac
}

# ---------------------------------------------------------------- clean-up

harness_cleanup() {
	local rc=$?
	set +e
	trap - ERR
	# Finish even if our output is gone (e.g. piped into head) or Ctrl-C again.
	trap '' PIPE INT TERM HUP
	if [ -n "$ASPEND_PID" ] && kill -0 "$ASPEND_PID" 2>/dev/null; then
		log "cleanup: stopping aspend ($ASPEND_PID)"
		kill -TERM "$ASPEND_PID" 2>/dev/null
		wait_gone "$ASPEND_PID" "$H_ASPEND_TIMEOUT" || kill -KILL "$ASPEND_PID" 2>/dev/null
		wait "$ASPEND_PID" 2>/dev/null
	fi
	if [ -n "$H_CG" ] && [ -d "$H_CG" ]; then
		kill_cgroup "$H_CG"
	fi
	local p
	for p in "${H_FAKE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${H_FAKE_PIDS[@]}"; do
		wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$H_CG" ] && [ -d "$H_CG" ]; then
		local left
		left=$(bpf_cgroup_progs "$H_CG")
		if [ -n "$left" ]; then
			printf '[%s] FAIL: programs still attached to %s after the test:\n%s\n' "$H_NAME" "$H_CG" "$left" >&2
			rc=1
		fi
		local i
		for i in $(seq 50); do rmdir "$H_CG" 2>/dev/null && break; sleep 0.1; done
		[ -d "$H_CG" ] && log "cleanup: could not remove $H_CG"
	fi
	if [ -n "$H_WORK" ] && [ -d "$H_WORK" ]; then
		if [ "$rc" -eq 0 ] && [ "${ASPEN_KEEP:-0}" != 1 ]; then
			rm -rf "$H_WORK"
		else
			H_QUIET=0
			[ -s "$H_WORK/aspend.log" ] && { log "aspend stderr (last 40 lines):"; tail -n 40 "$H_WORK/aspend.log" >&2; }
			log "work directory kept: $H_WORK"
		fi
	fi
	case $rc in
	0) log "PASS" ;; 77) log "SKIPPED" ;; *) log "FAIL (status $rc)" ;;
	esac
	exit "$rc"
}

wait_gone() { # PID SECONDS
	local i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

kill_cgroup() { # DIR: kill every process in it, wait until it is empty
	local dir=$1 i
	for i in $(seq 50); do
		# cgroupfs files have size 0: read them, do not test -s.
		[ -n "$(cat "$dir/cgroup.procs" 2>/dev/null)" ] || return 0
		if [ -e "$dir/cgroup.kill" ]; then
			echo 1 >"$dir/cgroup.kill"
		else
			xargs -r kill -KILL <"$dir/cgroup.procs" 2>/dev/null
		fi
		sleep 0.1
	done
	log "cleanup: processes left in $dir: $(tr '\n' ' ' <"$dir/cgroup.procs")"
}

# ---------------------------------------------------------------- eBPF state (read only)

# bpf_cgroup_progs [DIR]: "id attach_type name" per program attached to DIR.
bpf_cgroup_progs() {
	local dir=${1:-$H_CG}
	bpftool -j cgroup show "$dir" 2>/dev/null | "${H_PY:-python3}" -c '
import json, sys
text = sys.stdin.read().strip()
for p in (json.loads(text) if text else []):
    print(p.get("id"), p.get("attach_type"), p.get("name", ""))
'
}

# bpf_prog_ids [PREFIX]: ids of loaded programs whose name starts with PREFIX.
bpf_prog_ids() {
	local prefix=${1:-aspen_}
	bpftool -j prog show 2>/dev/null | "${H_PY:-python3}" -c '
import json, sys
text = sys.stdin.read().strip()
for p in (json.loads(text) if text else []):
    if p.get("name", "").startswith(sys.argv[1]):
        print(p["id"], p.get("name"))
' "$prefix"
}

# ---------------------------------------------------------------- policies

# make_policy NAME < SOURCE: writes $H_WORK/NAME.asp, compiles it, prints the
# object's path. A compile error fails the test with aspenc's diagnostics.
make_policy() {
	local name=$1 src=$H_WORK/$1.asp out=$H_WORK/$1.bpf.o
	cat >"$src"
	compile_policy "$src" "$out"
	echo "$out"
}

compile_policy() { # SRC OUT
	local err=$H_WORK/aspenc.err rc=0
	"$ASPENC" "$1" -o "$2" -I "$ASPEN_SRC/stdlib-policies" 2>"$err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$err" >&2
		fail "aspenc $1 exited $rc"
	fi
}

# ---------------------------------------------------------------- aspend

# start_aspend OBJ [ARGS...]: in the background, scoped to the child cgroup,
# provider names from the test hosts file only; returns once the ready file
# exists. Sets ASPEND_PID. Its stderr goes to $H_WORK/aspend.log.
start_aspend() {
	local obj=$1 ready=$H_WORK/aspend.ready i
	shift
	rm -f "$ready"
	log "start: aspend $obj --cgroup $H_CG $*"
	"$ASPEND" "$obj" ${ASPEND_EXTRA:-} --cgroup "$H_CG" --audit "$H_AUDIT" --hosts "$H_HOSTS" --no-resolve \
		--ready-file "$ready" "$@" >>"$H_WORK/aspend.log" 2>&1 &
	ASPEND_PID=$!
	for i in $(seq $((H_ASPEND_TIMEOUT * 10))); do
		[ -e "$ready" ] && return 0
		if ! kill -0 "$ASPEND_PID" 2>/dev/null; then
			local rc=0
			wait "$ASPEND_PID" || rc=$?
			ASPEND_PID=
			cat "$H_WORK/aspend.log" >&2
			fail "aspend exited with status $rc before it was ready"
		fi
		sleep 0.1
	done
	cat "$H_WORK/aspend.log" >&2
	fail "aspend not ready after $H_ASPEND_TIMEOUT s (no $ready)"
}

# stop_aspend [SIGNAL]: default TERM; aspend must exit 0 within the timeout.
stop_aspend() {
	local sig=${1:-TERM} rc=0
	[ -n "$ASPEND_PID" ] || fail "stop_aspend: aspend is not running"
	kill -"$sig" "$ASPEND_PID"
	if ! wait_gone "$ASPEND_PID" "$H_ASPEND_TIMEOUT"; then
		fail "aspend still running $H_ASPEND_TIMEOUT s after SIG$sig"
	fi
	wait "$ASPEND_PID" || rc=$?
	ASPEND_PID=
	[ "$rc" -eq 0 ] || fail "aspend exited with status $rc after SIG$sig (want 0)"
	log "aspend stopped by SIG$sig, status 0"
}

aspend_alive() { [ -n "$ASPEND_PID" ] && kill -0 "$ASPEND_PID" 2>/dev/null; }

# ---------------------------------------------------------------- clients

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
	client "$1" env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$2" ${3:+--data "$3"}
}

# node_call NAME URL [BODY]: node's https module; same output as py_call.
node_call() {
	client "$1" env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" "$H_LIB/http_client.js" "$2" ${3:+"$3"}
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
	local name=$1
	shift
	client "$name" env SSL_CERT_FILE="$H_CA" "$H_PY" "$H_LIB/http_client.py" "$@"
}

# node_client NAME ARGS...: http_client.js with its own arguments (modes
# https, fetch, keepalive).
node_client() {
	local name=$1
	shift
	client "$name" env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" "$H_LIB/http_client.js" "$@"
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
	local name=$1
	shift
	client "$name" env NODE_EXTRA_CA_CERTS="$H_CA" "$H_NODE" "$H_LIB/openai-client/index.js" "$@"
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

# tls_lib_of BIN: the OpenSSL/GnuTLS library BIN loads, as /proc/PID/maps
# names it (symlinks resolved); BIN itself when it is linked statically (node).
tls_lib_of() {
	local lib
	lib=$(ldd "$1" 2>/dev/null | awk '$1 ~ /^lib(ssl|gnutls)\.so/ { print $3; exit }')
	if [ -z "$lib" ] && [ "$1" = "$H_PY" ]; then
		# python3 loads libssl through its _ssl extension module.
		lib=$("$H_PY" -c 'import _ssl; print(_ssl.__file__)' 2>/dev/null | xargs -r ldd 2>/dev/null |
			awk '$1 ~ /^libssl\.so/ { print $3; exit }')
	fi
	if [ -n "$lib" ]; then readlink -f "$lib"; else readlink -f "$1"; fi
}

# A chat completion request body.
CHAT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
MSG_BODY='{"model":"claude-sonnet-4","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}'

# ---------------------------------------------------------------- fake providers' records

# provider_bytes ADDR: plaintext bytes the fake service at ADDR received, all
# connections together (0 when no connection ever reached it).
provider_bytes() {
	local d=$H_REC/$1 total=0 f
	for f in "$d"/conn-*.raw; do
		[ -e "$f" ] || continue
		total=$((total + $(stat -c %s "$f")))
	done
	echo "$total"
}

# provider_conns ADDR: TCP connections accepted at ADDR (before TLS).
provider_conns() { rec_count event=accept addr="$1"; }

# provider_requests ADDR: HTTP requests served at ADDR.
provider_requests() { rec_count event=request addr="$1"; }

# provider_udp_bytes ADDR: UDP payload bytes received at ADDR.
provider_udp_bytes() { [ -e "$H_REC/$1/udp.raw" ] && stat -c %s "$H_REC/$1/udp.raw" || echo 0; }

rec_count() { jsonl_find "$H_REC/log.jsonl" "$@" | wc -l; }

# rec_find KEY=VALUE...: the fake providers' log records that match (see
# fake_provider.py: accept, request, partial_request, close, ...; request
# records carry model, user, stream, encoding, tokens_in, tokens_out).
rec_find() { jsonl_find "$H_REC/log.jsonl" "$@"; }

# provider_settle ADDR: wait (5 s) until every connection accepted at ADDR
# was closed, so its bytes are all on file; fails otherwise.
provider_settle() {
	local i
	for i in $(seq 50); do
		[ "$(rec_count event=accept addr="$1")" = "$(rec_count event=close addr="$1")" ] && return 0
		sleep 0.1
	done
	fail "connections at $1 still open after 5 s"
}

# provider_mark ADDR: remember what ADDR has received so far; rec_since,
# provider_since and assert_nothing_arrived then look only at what came later.
provider_mark() {
	provider_settle "$1"
	PM_ADDR=$1
	PM_CONNS=$(provider_conns "$1")
	PM_BYTES=$(provider_bytes "$1")
	PM_LOGN=0
	[ ! -e "$H_REC/log.jsonl" ] || PM_LOGN=$(wc -l <"$H_REC/log.jsonl")
}

# rec_since KEY=VALUE...: matching provider records logged since provider_mark.
rec_since() {
	: >"$H_WORK/rec-since.jsonl"
	[ ! -e "$H_REC/log.jsonl" ] || tail -n +$((PM_LOGN + 1)) "$H_REC/log.jsonl" >"$H_WORK/rec-since.jsonl"
	jsonl_find "$H_WORK/rec-since.jsonl" "$@"
}

# provider_since: "CONNS REQUESTS BYTES" at the marked address since the mark
# (after its connections closed). REQUESTS counts complete and partial ones.
provider_since() {
	provider_settle "$PM_ADDR"
	echo "$(($(provider_conns "$PM_ADDR") - PM_CONNS)) $(rec_since addr="$PM_ADDR" | grep -cE '"event": "(partial_)?request"') $(($(provider_bytes "$PM_ADDR") - PM_BYTES))"
}

# assert_nothing_arrived WHAT [CONNS]: since the mark the provider received
# zero requests (complete or partial) and zero plaintext bytes; with CONNS,
# exactly that many TLS connections were accepted (a request-level deny
# leaves the connection itself allowed).
assert_nothing_arrived() {
	local got
	read -r -a got <<<"$(provider_since)"
	assert_eq 0 "${got[1]}" "$1: requests (complete or partial) at the provider"
	assert_eq 0 "${got[2]}" "$1: plaintext bytes at the provider"
	[ -z "${2:-}" ] || assert_eq "$2" "${got[0]}" "$1: TLS connections accepted by the provider"
}

# assert_arrived WHAT N KEY=VALUE...: exactly N complete requests matching
# KEY=VALUE arrived since the mark, and no partial request.
assert_arrived() {
	local what=$1 n=$2
	shift 2
	provider_settle "$PM_ADDR"
	assert_eq "$n" "$(rec_since event=request addr="$PM_ADDR" "$@" | wc -l)" "$what: requests with $* at the provider"
	assert_eq 0 "$(rec_since event=partial_request addr="$PM_ADDR" | wc -l)" "$what: partial requests at the provider"
}

# assert_tls_attach PID EXE: aspend reported the TLS probes it attached to PID
# (event tls_attach, exe, lib = the library from tls_lib_of, probes > 0).
assert_tls_attach() {
	local line
	line=$(audit_wait event=tls_attach pid="$1" exe="$2" lib="$(tls_lib_of "$2")")
	assert_gt 0 "$(audit_field "$line" probes)" "tls_attach probes for pid $1"
}

# contract_policy [UNINSPECTABLE] [MODE_LINE]: the request-rule policy of the
# TLS tests (policy "tls"), curl's rule naming the real curl binary.
contract_policy() {
	cat <<EOF_POLICY
policy "tls"
default deny
uninspectable ${1:-deny}
${2:-}
import "providers"

rule approved_providers {
  on connect
  when provider not in [openai, anthropic]
  deny "provider not approved"
}

rule curl_mini_only {
  on request
  when process.exe == "$H_CURL" and request.model != "gpt-4o-mini"
  deny "curl may only use gpt-4o-mini"
}

rule no_streaming_for_python {
  on request
  when process.comm == "python3*" and request.stream == true
  deny
}

rule approved_models {
  on request
  when request.model in ["gpt-4o-mini", "gpt-4o", "claude-*"]
  allow
}

rule log_tokens {
  on response
  when response.tokens > 0
  audit
}
EOF_POLICY
}

# ---------------------------------------------------------------- TLS probes (read only)

# breakpoints_in PID: how many uprobe breakpoints the process carries: bytes
# of its executable file mappings that are int3 (0xcc) in its memory but not
# in the file. One line per mapped file with breakpoints ("PATH N"), then
# "total N". A process without uprobes prints "total 0".
breakpoints_in() {
	"${H_PY:-python3}" - "$1" <<-'PY'
		import sys
		pid = sys.argv[1]
		found = {}
		mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
		for line in open(f"/proc/{pid}/maps"):
		    parts = line.split(None, 5)
		    if len(parts) < 6 or "x" not in parts[1] or not parts[5].startswith("/"):
		        continue
		    path = parts[5].strip()
		    if path.endswith(" (deleted)"):
		        continue
		    start, end = (int(x, 16) for x in parts[0].split("-"))
		    off = int(parts[2], 16)
		    try:
		        f = open(path, "rb")
		    except OSError:
		        continue
		    step = 1 << 20
		    with f:
		        for a in range(start, end, step):
		            n = min(step, end - a)
		            f.seek(off + (a - start))
		            want = f.read(n)
		            try:
		                mem.seek(a)
		                got = mem.read(len(want))
		            except OSError:
		                continue
		            if got == want:
		                continue
		            for i in range(min(len(got), len(want))):
		                if got[i] == 0xCC and want[i] != 0xCC:
		                    found[path] = found.get(path, 0) + 1
		for path, n in sorted(found.items()):
		    print(path, n)
		print("total", sum(found.values()))
	PY
}

# breakpoint_total PID: the total of breakpoints_in.
breakpoint_total() { breakpoints_in "$1" | awk '$1 == "total" { print $2 }'; }

# aspend_uprobes: uprobe attachments aspend holds: perf-event uprobes and
# uretprobes (`bpftool perf show`, lines whose pid is aspend's) plus
# uprobe_multi links among its open fds.
aspend_uprobes() {
	[ -n "$ASPEND_PID" ] || { echo 0; return; }
	local perf multi=0 fd
	perf=$(bpftool -j perf show 2>/dev/null | "${H_PY:-python3}" -c '
import json, sys
text = sys.stdin.read().strip()
n = 0
for p in (json.loads(text) if text else []):
    if str(p.get("pid")) == sys.argv[1] and str(p.get("fd_type", "")).startswith("uprobe") or \
       str(p.get("pid")) == sys.argv[1] and str(p.get("fd_type", "")).startswith("uretprobe"):
        n += 1
print(n)
' "$ASPEND_PID")
	for fd in /proc/"$ASPEND_PID"/fdinfo/*; do
		grep -qE '^link_type:[[:space:]]*(uprobe_multi|12)$' "$fd" 2>/dev/null && multi=$((multi + 1))
	done
	echo $((perf + multi))
}


# ---------------------------------------------------------------- audit

# jsonl_find FILE KEY=VALUE...: lines of FILE whose fields all match. A value
# is compared with the field as text (numbers as digits, null as "null",
# true/false); KEY may be dotted (tokens.input).
jsonl_find() {
	local file=$1
	shift
	[ -e "$file" ] || return 0
	"${H_PY:-python3}" - "$file" "$@" <<-'PY'
		import json, sys
		def text(v):
		    if v is None: return "null"
		    if v is True: return "true"
		    if v is False: return "false"
		    return v if isinstance(v, str) else json.dumps(v)
		want = [a.split("=", 1) for a in sys.argv[2:]]
		for line in open(sys.argv[1], errors="replace"):
		    try:
		        ev = json.loads(line)
		    except ValueError:
		        continue
		    ok = True
		    for key, val in want:
		        v = ev
		        for part in key.split("."):
		            v = v.get(part, KeyError) if isinstance(v, dict) else KeyError
		        if v is KeyError or text(v) != val:
		            ok = False
		            break
		    if ok:
		        sys.stdout.write(line if line.endswith("\n") else line + "\n")
	PY
}

audit_find() { jsonl_find "$H_AUDIT" "$@"; }
audit_count() { audit_find "$@" | wc -l; }

# audit_wait KEY=VALUE...: wait (H_AUDIT_TIMEOUT) for a matching audit line;
# prints it; fails showing the trail when none comes.
audit_wait() {
	audit_poll "$@" && return 0
	log "audit trail ($H_AUDIT):"
	cat "$H_AUDIT" >&2 2>/dev/null || log "(no audit file)"
	fail "no audit line with $*"
}

# audit_poll KEY=VALUE...: the same, but returns 1 on timeout instead of failing.
audit_poll() {
	local i out
	for i in $(seq $((H_AUDIT_TIMEOUT * 10))); do
		out=$(audit_find "$@")
		if [ -n "$out" ]; then
			printf '%s\n' "$out"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# audit_none KEY=VALUE...: no audit line matches (call it after waiting for
# a later event, so the absence is not just a slow writer).
audit_none() {
	local out
	out=$(audit_find "$@")
	[ -z "$out" ] || fail "unexpected audit line(s) with $*: $out"
}

# audit_field LINE KEY: one field of one JSON line, as text.
audit_field() {
	"${H_PY:-python3}" -c '
import json, sys
v = json.loads(sys.argv[1])
for part in sys.argv[2].split("."):
    v = v.get(part) if isinstance(v, dict) else None
print("null" if v is None else (v if isinstance(v, str) else json.dumps(v)))
' "$1" "$2"
}

# audit_check_chain: seq grows by one per line and each prev_sha256 is the
# SHA-256 of the previous line (with or without its newline).
audit_check_chain() {
	"${H_PY:-python3}" - "$H_AUDIT" <<-'PY' || fail "audit hash chain broken"
		import hashlib, json, sys
		lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
		prev = None
		for i, raw in enumerate(lines):
		    ev = json.loads(raw)
		    if prev is not None:
		        pe = json.loads(prev)
		        if ev.get("seq") != pe.get("seq", -2) + 1:
		            sys.exit(f"line {i+1}: seq {ev.get('seq')} after {pe.get('seq')}")
		        ok = {hashlib.sha256(prev).hexdigest(), hashlib.sha256(prev.rstrip(b"\n")).hexdigest()}
		        if ev.get("prev_sha256") not in ok:
		            sys.exit(f"line {i+1}: prev_sha256 is not the hash of line {i}")
		    prev = raw
	PY
}

# ---------------------------------------------------------------- assertions

assert_eq() { # EXPECTED ACTUAL [WHAT]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_ne() { # UNEXPECTED ACTUAL [WHAT]
	[ "$1" != "$2" ] || fail "${3:-value}: did not expect '$2'"
}

assert_contains() { # FILE STRING [WHAT]
	grep -qF -- "$2" "$1" 2>/dev/null || {
		log "--- $1:"
		cat "$1" >&2 2>/dev/null
		fail "${3:-$1}: does not contain '$2'"
	}
}

assert_not_contains() { # FILE STRING [WHAT]
	! grep -qF -- "$2" "$1" 2>/dev/null || fail "${3:-$1}: contains '$2'"
}

# assert_gt NUMBER ACTUAL [WHAT]: ACTUAL > NUMBER (integers).
assert_gt() {
	[ "$2" -gt "$1" ] 2>/dev/null || fail "${3:-value}: expected more than $1, got '$2'"
}

# assert_failed WHAT: the last client failed (any non-zero status but a
# timeout: a denied request fails at once, it does not hang).
assert_failed() {
	case $C_RC in
	0 | 124 | 137)
		cat "$C_OUT" "$C_ERR" >&2
		fail "$1: client exited $C_RC, expected a prompt failure"
		;;
	esac
}

# assert_ok WHAT: the last client succeeded.
assert_ok() {
	[ "$C_RC" -eq 0 ] || {
		cat "$C_OUT" "$C_ERR" >&2
		fail "$1: client exited $C_RC, expected success"
	}
}

# assert_refused WHAT: the last client failed with a connection error
# (curl 7, python/node helpers 7 with EPERM, wget 4).
assert_refused() {
	case $C_RC in
	7 | 4) ;;
	*)
		cat "$C_OUT" "$C_ERR" >&2
		fail "$1: client exited $C_RC, expected a refused connection"
		;;
	esac
}
