# shellcheck shell=bash
# Policies and the daemon (sourced by harness.sh): compile a policy, start
# aspend scoped to the child cgroup, stop it.

# make_policy NAME < SOURCE: writes $H_WORK/NAME.asp, compiles it, prints the
# object's path. A compile error fails the test with aspenc's diagnostics.
make_policy() {
	local name=$1 src=$H_WORK/$1.asp out=$H_WORK/$1.bpf.o
	cat >"$src"
	compile_policy "$src" "$out"
	echo "$out"
}

# per_exe_policy: compiles "per-exe" (openai: python allowed, curl denied
# by its own rule, anything else by the default; exe paths of this
# machine's clients) and prints the object's path
per_exe_policy() {
	make_policy per-exe <<EOF_POLICY
policy "per-exe"
default deny
import "providers"

rule no_curl_openai {
  on connect
  when provider == openai and process.exe == "$H_CURL"
  deny "curl may not call openai"
}

rule python_openai {
  on connect
  when provider == openai and process.exe == "$H_PY"
  allow
}
EOF_POLICY
}

compile_policy() { # SRC OUT
	local err=$H_WORK/aspenc.err rc=0
	"$ASPENC" "$1" -o "$2" -I "$ASPEN_SRC/stdlib-policies" 2>"$err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$err" >&2
		fail "aspenc $1 exited $rc"
	fi
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

# proc_state PID: the state letter of /proc/PID/stat (T: stopped), "gone"
proc_state() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null || echo gone; }

# kill_aspend_held PID WHAT: PID is about to be held (stopped) by a frozen
# aspend: waits for it to stop (1 s at most), SIGKILLs aspend and waits
# for PID to run again (3 s at most, else fails); RESUMED_MS: how long
# after the SIGKILL it did
kill_aspend_held() {
	local pid=$1 what=$2 t0
	for _ in $(seq 100); do [ "$(proc_state "$pid")" = T ] && break; sleep 0.01; done
	assert_eq T "$(proc_state "$pid")" "$what held (stopped)"
	log "$what $pid is held; killing the frozen aspend"
	t0=$(date +%s%N)
	kill -KILL "$ASPEND_PID"
	wait "$ASPEND_PID" 2>/dev/null || true
	ASPEND_PID=
	for _ in $(seq 300); do [ "$(proc_state "$pid")" != T ] && break; sleep 0.01; done
	RESUMED_MS=$((($(date +%s%N) - t0) / 1000000))
	log "$what resumed $RESUMED_MS ms after SIGKILL"
	[ "$(proc_state "$pid")" != T ] || fail "$what still stopped 3 s after aspend died"
}

# aspend_refuses OBJ [ARGS...]: start aspend as start_aspend does and require
# it to exit with a non-zero status before it is ready (an object the kernel
# refuses). Its stderr is left in $REFUSED_LOG. Fails when aspend becomes
# ready (it is stopped first) or neither exits nor gets ready in time.
aspend_refuses() {
	local obj=$1 ready=$H_WORK/aspend.ready i rc=0
	shift
	rm -f "$ready"
	H_REFUSALS=$((${H_REFUSALS:-0} + 1))
	REFUSED_LOG=$H_WORK/aspend-refused-$H_REFUSALS.log
	log "start (to be refused): aspend $obj --cgroup $H_CG $*"
	"$ASPEND" "$obj" ${ASPEND_EXTRA:-} --cgroup "$H_CG" --audit "$H_AUDIT" --hosts "$H_HOSTS" --no-resolve \
		--ready-file "$ready" "$@" >"$REFUSED_LOG" 2>&1 &
	ASPEND_PID=$!
	for i in $(seq $((H_ASPEND_TIMEOUT * 10))); do
		if [ -e "$ready" ]; then
			stop_aspend
			fail "aspend loaded $obj: expected the kernel to refuse it"
		fi
		if ! kill -0 "$ASPEND_PID" 2>/dev/null; then
			wait "$ASPEND_PID" || rc=$?
			ASPEND_PID=
			[ "$rc" -ne 0 ] || fail "aspend exited 0 with $obj before it was ready (want a refusal)"
			log "aspend refused $obj (status $rc)"
			return 0
		fi
		sleep 0.1
	done
	cat "$REFUSED_LOG" >&2
	fail "aspend neither refused nor loaded $obj within $H_ASPEND_TIMEOUT s"
}

# start_held_redact: the start of the tests that kill aspend while a writer
# is held for redaction: sets obj (tests/e2e/policies/redact-ssn.asp,
# compiled; expect_held_redact_denied starts the next aspend with it), ssn
# (the SSN the held request carries) and go (the file whose creation lets
# the client send it), starts aspend -v and marks the openai provider's log.
start_held_redact() {
	ssn=123-45-6789
	go=$H_WORK/go
	obj=$(make_policy redact <"$H_POLICIES/redact-ssn.asp")
	ASPEND_EXTRA=-v start_aspend "$obj"
	provider_mark "$IP_OPENAI"
}

# expect_held_redact_denied PID: after aspend died while PID (the client,
# output in C_OUT) was held for redaction of a request with an SSN ($ssn):
# the held request failed and nothing of it reached the provider, no
# process of the cgroup is left stopped, and a new aspend adopts the pins
# and writes the request's deny to the trail, saying why; the SSN is in
# neither the trail nor the log. Stops that aspend.
expect_held_redact_denied() {
	local line p
	assert_contains "$C_OUT" "second: error" "the held request failed"
	# the clean request only, nothing of the held one (not even part of it)
	assert_arrived "the request held for redaction when aspend died" 1
	! grep -rqF -- "$ssn" "$H_REC" || fail "the SSN reached the provider"
	! grep -rqF -- "my ssn is" "$H_REC" || fail "the held request's body reached the provider"
	wait_output "$H_WORK/aspend.log" "1 writer(s) held for redaction resumed" 2
	for p in $(cat "$H_CG/cgroup.procs"); do
		[ "$(proc_state "$p")" != T ] || fail "pid $p is left stopped"
	done
	# the new aspend reads the queued hold: its writer runs again, so it
	# is not touched; the request's deny goes to the trail
	start_aspend "$obj"
	line=$(audit_wait event=request decision=deny rule=uninspectable unparsed=no_redact pid="$1")
	case $line in *"aspend died"*) ;; *) fail "the deny does not say why: $line" ;; esac
	assert_contains "$H_WORK/aspend.log" "released while no aspend ran"
	assert_not_contains "$H_AUDIT" "$ssn"
	assert_not_contains "$H_WORK/aspend.log" "$ssn"
	stop_aspend
}
