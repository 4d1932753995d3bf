#!/usr/bin/env bash
# A process the kernel has no record of (aspen_proc full, or a fork that
# raced aspend's /proc scan at start-up) must not walk around a deny rule
# keyed on its executable. Before, its exe bits were 0, no `process.exe`
# rule matched it, and under `default allow` it reached the provider.
#   1. python3 is running, its record is removed from the pinned aspen_proc
#      map, then it connects to openai, which a `process.exe` rule denies to
#      python3: refused at connect() by `uninspectable` with
#      "unparsed":"exe_unknown" (zero connections at the provider).
#   2. aspend records it from /proc when it reads that line: the same
#      process's next connection is denied by the rule itself.
#   3. the same for a process the rules allow (curl's stand-in: python with
#      an allowed exe is not possible here, so node): first connection
#      refused by `uninspectable`, the next one allowed by the rules.
source "$(dirname "$0")/../lib/harness.sh"
harness_start exe-unknown

obj=$(make_policy exe-unknown <<EOF_POLICY
policy "exe-unknown"
default allow
uninspectable deny
import "providers"

rule no_python_openai {
  on connect
  when provider == openai and process.exe == "$H_PY"
  deny "python3 may not call openai"
}
EOF_POLICY
)
start_aspend "$obj"
scope=${H_CG_REL#/}
scope=${scope//\//+}
PROC_MAP=/sys/fs/bpf/aspen/$scope/map:aspen_proc
[ -e "$PROC_MAP" ] || fail "no pinned aspen_proc map at $PROC_MAP: $(ls "/sys/fs/bpf/aspen/$scope")"

# key_of PID: the map key (a __u32 tgid, little endian) as bpftool's hex bytes
key_of() { printf 'hex %02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# A python3 that connects to openai each time a go file appears, and
# prints one JSON line per attempt.
GO=$H_WORK/go
in_cgroup_bg "$H_PY" -c '
import json, os, socket, sys, time
go = sys.argv[1]
print(json.dumps({"pid": os.getpid(), "ready": True}), flush=True)
for n in (1, 2):
    while not os.path.exists("%s%d" % (go, n)):
        time.sleep(0.02)
    try:
        socket.create_connection(("api.openai.com", 443), timeout=10).close()
        print(json.dumps({"n": n, "ok": True}), flush=True)
    except OSError as e:
        print(json.dumps({"n": n, "ok": False, "errno": e.errno}), flush=True)
' "$GO" >"$H_WORK/py.out" 2>"$H_WORK/py.err"
py_pid=$BG_PID

# wait_line FILE N: FILE has N lines (bounded)
wait_line() {
	local i
	for i in $(seq 100); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: no line $2: $(cat "$1" "${1%.out}.err" 2>/dev/null)"
}

# line_has FILE N STRING WHAT: line N of FILE contains STRING
line_has() {
	sed -n "$2p" "$1" >"$1.$2"
	assert_contains "$1.$2" "$3" "$4"
}

# refused_unrecorded NAME PID OUT GO EXE REFUSED: remove PID's record, let
# it connect (touch GO), and check that the connection was refused (line 2
# of OUT has REFUSED) by `uninspectable` with exe_unknown, and that aspend
# then recorded the process again.
refused_unrecorded() {
	local name=$1 pid=$2 out=$3 go=$4 exe=$5 refused=$6 i
	bpftool map lookup pinned "$PROC_MAP" key $(key_of "$pid") >/dev/null 2>&1 ||
		fail "$name ($pid) has no aspen_proc record before the test removes it"
	bpftool map delete pinned "$PROC_MAP" key $(key_of "$pid") ||
		fail "cannot remove $name's aspen_proc record"
	touch "$go"
	wait_line "$out" 2
	line_has "$out" 2 "$refused" "$name without a record, to openai"
	audit_wait event=connect decision=deny rule=uninspectable unparsed=exe_unknown provider=openai \
		pid="$pid" exe="$exe" >/dev/null
	# aspend records it from /proc: the rules decide the next one
	for i in $(seq 50); do
		bpftool map lookup pinned "$PROC_MAP" key $(key_of "$pid") >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "aspend did not record $name ($pid) after its exe_unknown connection"
}

wait_line "$H_WORK/py.out" 1
refused_unrecorded python3 "$py_pid" "$H_WORK/py.out" "${GO}1" "$H_PY" '"ok": false'
touch "${GO}2"
wait_line "$H_WORK/py.out" 3
line_has "$H_WORK/py.out" 3 '"ok": false' "python3, recorded again, to openai"
audit_wait event=connect decision=deny rule=no_python_openai provider=openai \
	pid="$py_pid" exe="$H_PY" >/dev/null
assert_eq 0 "$(provider_conns "$IP_OPENAI")" "connections that reached openai from python3"

# A process the rules allow: refused once without its record, then allowed.
in_cgroup_bg "$H_NODE" -e '
const fs = require("fs"), net = require("net");
const go = process.argv[1];
console.log(JSON.stringify({pid: process.pid, ready: true}));
function attempt(n) {
  if (n > 2) return;
  if (!fs.existsSync(go + n)) return setTimeout(() => attempt(n), 20);
  const s = net.connect(443, "api.openai.com");
  s.on("connect", () => { console.log(JSON.stringify({n, ok: true})); s.destroy(); attempt(n + 1); });
  s.on("error", (e) => { console.log(JSON.stringify({n, ok: false, code: e.code})); attempt(n + 1); });
}
attempt(1);
' "$H_WORK/nodego" >"$H_WORK/node.out" 2>"$H_WORK/node.err"
node_pid=$BG_PID
wait_line "$H_WORK/node.out" 1
refused_unrecorded node "$node_pid" "$H_WORK/node.out" "$H_WORK/nodego1" "$H_NODE" '"ok":false'
touch "$H_WORK/nodego2"
wait_line "$H_WORK/node.out" 3
line_has "$H_WORK/node.out" 3 '"ok":true' "node, recorded again, to openai"
assert_eq 1 "$(provider_conns "$IP_OPENAI")" "connections that reached openai"
stop_aspend
