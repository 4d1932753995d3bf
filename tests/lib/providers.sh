# shellcheck shell=bash
# The fake providers (sourced by harness.sh): one tests/lib/fake_provider.py
# per service address, and queries and assertions over what they received
# (their log.jsonl records and the plaintext bytes on file).

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
		local py=$H_PY
		# H_PROVIDER_H2=1: HTTP/2 offered by ALPN (python3-h2 is Debian's: its python3)
		if [ "${H_PROVIDER_H2:-0}" = 1 ]; then
			args+=(--h2)
			py=/usr/bin/python3
			# H_PROVIDER_H2_WINDOW_<name>=N: that service grants an HTTP/2
			# flow-control window of N bytes (default 65,535)
			local win_var=H_PROVIDER_H2_WINDOW_$name
			[ -z "${!win_var:-}" ] || args+=(--h2-window "${!win_var}")
		fi
		"$py" "$H_LIB/fake_provider.py" "${args[@]}" 2>>"$H_WORK/fake-$name.log" &
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

# start_fake_dns IP [MODE:]NAME=ADDR...: a DNS server (tests/lib/fake_dns.py,
# killed by the cleanup) on IP:53, and an /etc/resolv.conf naming it (this
# mount namespace only; 1 s timeout, one attempt). Its log: $H_WORK/dns.log.
start_fake_dns() {
	local ip=$1 ready=$H_WORK/dns.ready i
	shift
	"$H_PY" "$H_LIB/fake_dns.py" "$ip" "$ready" "$@" >"$H_WORK/dns.log" 2>&1 &
	H_FAKE_PIDS+=($!)
	for i in $(seq 50); do [ -e "$ready" ] && break; sleep 0.1; done
	[ -e "$ready" ] || fail "fake DNS server did not start"
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$ip" >"$H_WORK/resolv.conf"
	mount --bind "$H_WORK/resolv.conf" /etc/resolv.conf
}

service_ip() { # NAME -> address in the current family
	case $1 in
	openai) echo "$IP_OPENAI" ;; anthropic) echo "$IP_ANTHROPIC" ;; mistral) echo "$IP_MISTRAL" ;;
	deepseek) echo "$IP_DEEPSEEK" ;; internal) echo "$IP_INTERNAL" ;; *) fail "unknown service $1" ;;
	esac
}

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

# rec_bodies KEY=VALUE...: the bodies (as text) of the matching provider
# records logged since provider_mark, one after another.
rec_bodies() {
	rec_since "$@" | "$H_PY" -c 'import json, sys
for l in sys.stdin: print(open(json.loads(l)["file"], "rb").read().decode("utf-8", "replace"))'
}

# provider_since: "CONNS REQUESTS BYTES" at the marked address since the mark
# (after its connections closed). REQUESTS counts complete and partial ones.
provider_since() {
	provider_settle "$PM_ADDR"
	echo "$(($(provider_conns "$PM_ADDR") - PM_CONNS)) $(rec_since addr="$PM_ADDR" | { grep -cE '"event": "(partial_)?request"' || true; }) $(($(provider_bytes "$PM_ADDR") - PM_BYTES))"
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

# conns_since: the numbers of the connections the provider at the marked
# address accepted since the mark (their plaintext: $H_REC/ADDR/conn-N.raw)
conns_since() {
	rec_since event=accept addr="$PM_ADDR" | "$H_PY" -c 'import json,sys
for l in sys.stdin: print(json.loads(l)["conn"])'
}

# h2_stream_bytes: bytes of HEADERS, CONTINUATION and DATA frames the
# provider at the marked address received since the mark.
h2_stream_bytes() {
	local files=() n
	for n in $(conns_since); do
		files+=("$H_REC/$PM_ADDR/conn-$n.raw")
	done
	[ ${#files[@]} -gt 0 ] || { echo 0; return; }
	"$H_PY" - "${files[@]}" <<'EOP'
import sys
total = 0
for name in sys.argv[1:]:
    try:
        b = open(name, "rb").read()
    except OSError:
        continue
    if not b.startswith(b"PRI * HTTP/2.0"):
        total += len(b)  # HTTP/1.1: every byte is the request's
        continue
    i = 24
    while i + 9 <= len(b):
        n = int.from_bytes(b[i:i + 3], "big")
        if b[i + 3] in (0, 1, 9):
            total += 9 + n
        i += 9 + n
print(total)
EOP
}

# assert_never_arrived TEXT WHAT: no connection to the marked address since
# the mark carried TEXT in its plaintext (any request, complete or not; a
# denied request's earlier writes may have left, but never TEXT).
assert_never_arrived() {
	local n f
	provider_settle "$PM_ADDR"
	for n in $(conns_since); do
		f=$H_REC/$PM_ADDR/conn-$n.raw
		[ -e "$f" ] || continue
		! grep -qaF -- "$1" "$f" || fail "$2: \"$1\" reached the provider"
	done
}
