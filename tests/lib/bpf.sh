# shellcheck shell=bash
# eBPF and TLS-probe state, read only (sourced by harness.sh): programs
# attached to the cgroup or loaded, uprobes aspend holds, breakpoints in a
# live process, the TLS library a binary uses.

# bpf_json ARGS...: the output of `bpftool -j ARGS`; when bpftool fails, a
# line that says so (status 1), so that a query the callers compare with ""
# ("nothing attached") cannot pass because bpftool could not answer.
bpf_json() {
	local out rc=0
	out=$(bpftool -j "$@" 2>/dev/null) || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "bpftool -j $* failed (status $rc)"
		return 1
	fi
	printf '%s\n' "$out"
}

# bpf_cgroup_progs [DIR]: "id attach_type name" per program attached to DIR
# (or the bpftool failure, see bpf_json).
bpf_cgroup_progs() {
	local dir=${1:-$H_CG} json
	json=$(bpf_json cgroup show "$dir") || { echo "$json"; return 0; }
	printf '%s\n' "$json" | "${H_PY:-python3}" -c '
import json, sys
text = sys.stdin.read().strip()
for p in (json.loads(text) if text else []):
    print(p.get("id"), p.get("attach_type"), p.get("name", ""))
'
}

# bpf_prog_ids [PREFIX]: ids of loaded programs whose name starts with PREFIX
# (or the bpftool failure, see bpf_json).
bpf_prog_ids() {
	local prefix=${1:-aspen_} json
	json=$(bpf_json prog show) || { echo "$json"; return 0; }
	printf '%s\n' "$json" | "${H_PY:-python3}" -c '
import json, sys
text = sys.stdin.read().strip()
for p in (json.loads(text) if text else []):
    if p.get("name", "").startswith(sys.argv[1]):
        print(p["id"], p.get("name"))
' "$prefix"
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
# uprobe_multi links among its open fds. Not a number when bpftool fails.
aspend_uprobes() {
	[ -n "$ASPEND_PID" ] || { echo 0; return; }
	local perf multi=0 fd json
	json=$(bpf_json perf show) || { echo "$json"; return 0; }
	perf=$(printf '%s\n' "$json" | "${H_PY:-python3}" -c '
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

# assert_tls_attach PID EXE: aspend reported the TLS probes it attached to PID
# (event tls_attach, exe, lib = the library from tls_lib_of, probes > 0).
assert_tls_attach() {
	local line
	line=$(audit_wait event=tls_attach pid="$1" exe="$2" lib="$(tls_lib_of "$2")")
	assert_gt 0 "$(audit_field "$line" probes)" "tls_attach probes for pid $1"
}
