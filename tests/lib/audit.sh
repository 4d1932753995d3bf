# shellcheck shell=bash
# The audit trail (sourced by harness.sh): find, wait for, count and check
# its JSON lines. jsonl_find also serves the fake providers' log.

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

# audit_settle N KEY=VALUE...: wait (5 s at most) until N lines match: the
# trail is written in batches. Asserts nothing: count them after.
audit_settle() {
	local n=$1
	shift
	for _ in $(seq 50); do
		[ "$(audit_count "$@")" -ge "$n" ] && return 0
		sleep 0.1
	done
}

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
	[ -e "$H_AUDIT" ] || fail "audit_none $*: no audit trail yet ($H_AUDIT)"
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
# SHA-256 of the previous line (with or without its newline); a trail of
# fewer than two lines has no link to check and fails.
audit_check_chain() {
	"${H_PY:-python3}" - "$H_AUDIT" <<-'PY' || fail "audit hash chain broken"
		import hashlib, json, sys
		lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
		if len(lines) < 2:
		    sys.exit(f"{len(lines)} line(s): no link to check")
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
