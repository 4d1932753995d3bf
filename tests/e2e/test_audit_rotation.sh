#!/usr/bin/env bash
# Rotation and reopening keep every audit line in one hash chain: real TLS
# traffic (allowed and denied requests from curl) while aspend rotates its
# trail by size (--audit-max-size) and while the trail is moved away and
# reopened on SIGUSR1, as logrotate does. Every request has exactly one
# request line across the files, each new file begins with an audit_rotate
# line carrying the previous file's last hash, and `aspenc audit verify`
# checks the chain across all files; a file left out breaks it.
source "$(dirname "$0")/../lib/harness.sh"
harness_start audit-rotation

obj=$(contract_policy | make_policy tls)
start_aspend "$obj" --audit-max-size 6K --audit-keep 1000 --audit-fsync
audit_wait event=policy_load policy=tls >/dev/null

OA=https://api.openai.com/v1/chat/completions
N=30

# ---- traffic: N sequential curl requests, every third one denied
# (curl_mini_only); each prints "pid status model"
client_bg traffic "$BASH" -c '
for i in $(seq 1 "$4"); do
  m=gpt-4o-mini; [ $((i % 3)) = 0 ] && m=gpt-4o
  "$1" -sS --max-time 15 --cacert "$2" -H "Content-Type: application/json" \
    -d "{\"messages\":[{\"role\":\"user\",\"content\":\"rotation $i\"}],\"model\":\"$m\"}" "$3" \
    >/dev/null 2>&1 &
  p=$!; rc=0; wait $p || rc=$?; echo "$p $rc $m"
done' traffic "$H_CURL" "$H_CA" "$OA" "$N"
traffic_pid=$BG_PID
traffic_out=$C_OUT

# ---- meanwhile, the trail is moved away and aspend told to reopen it, three
# times: twice by hand (mv, kill -USR1), then by logrotate with the example
# configuration (packaging/logrotate/aspend; its path, and a postrotate that
# signals this aspend only)
sed -e "s|/var/log/aspen/audit.jsonl|$H_AUDIT|" -e "s|create 0640 root adm|create 0640 root root|" \
	-e "s|^\( *\)systemctl kill .*|\1kill -USR1 $ASPEND_PID|" \
	"$ASPEN_SRC/packaging/logrotate/aspend" >"$H_WORK/logrotate.conf"
grep -q "kill -USR1 $ASPEND_PID" "$H_WORK/logrotate.conf" || fail "logrotate.conf: no postrotate"
dated_file() { ls "$H_WORK" | grep -q '^audit.jsonl-[0-9]\{8\}$'; } # logrotate's (dateext)
for k in 1 2 3; do
	for _ in $(seq 200); do
		[ "$(wc -l <"$traffic_out")" -ge $((k * N / 4)) ] && break
		sleep 0.1
	done
	if [ "$k" -lt 3 ]; then
		mv "$H_AUDIT" "$H_AUDIT.moved-$k"
		kill -USR1 "$ASPEND_PID"
	elif command -v logrotate >/dev/null; then
		# logrotate skips the trail when it finds it missing or empty
		# (missingok, notifempty): the instant of a size rotation
		# between its rename and its first line. Then it is run again.
		for try in $(seq 20); do
			logrotate -f -s "$H_WORK/logrotate.state" "$H_WORK/logrotate.conf" ||
				fail "logrotate with the example configuration"
			dated_file && break
			log "logrotate found the trail missing or empty (try $try): again"
			sleep 0.05
		done
	else
		[ "${CI:-}" != true ] || fail "logrotate is missing (scripts/install-deps.sh installs it)"
		mv "$H_AUDIT" "$H_AUDIT-moved-3"
		kill -USR1 "$ASPEND_PID"
	fi
done
timeout 120 tail --pid="$traffic_pid" -f /dev/null || fail "traffic still running"
assert_eq "$N" "$(wc -l <"$traffic_out")" "requests made"

# ---- every request line is in one of the files, once
files=("$H_AUDIT" "$H_AUDIT"[.-]*)
count_all() {
	cat "${files[@]}" >"$H_WORK/all.jsonl" 2>/dev/null
	jsonl_find "$H_WORK/all.jsonl" "$@" | wc -l
}
for _ in $(seq 100); do
	files=("$H_AUDIT" "$H_AUDIT"[.-]*)
	[ "$(count_all event=request)" -ge "$N" ] && break
	sleep 0.1
done
stop_aspend
files=("$H_AUDIT" "$H_AUDIT"[.-]*)
log "trail files: ${#files[@]}"
assert_eq "$N" "$(count_all event=request)" "request lines across the files"
while read -r pid rc model; do
	if [ "$model" = gpt-4o ]; then
		[ "$rc" != 0 ] || fail "curl $pid (gpt-4o) succeeded; it must be denied"
		assert_eq 1 "$(count_all event=request decision=deny rule=curl_mini_only pid="$pid")" \
			"deny lines for curl $pid"
	else
		assert_eq 0 "$rc" "curl $pid (gpt-4o-mini) status"
		assert_eq 1 "$(count_all event=request decision=allow rule=approved_models pid="$pid")" \
			"allow lines for curl $pid"
	fi
done <"$traffic_out"

# ---- both kinds of rotation happened, each new file began with its line
[ "$(count_all event=audit_rotate reason=max_size)" -ge 3 ] || fail "fewer than 3 rotations by size"
assert_eq 3 "$(count_all event=audit_rotate reason=reopen)" "rotations on SIGUSR1"
assert_eq $((${#files[@]} - 1)) "$(count_all event=audit_rotate)" "audit_rotate lines (one per new file)"
dated_file || fail "no file rotated by logrotate (dateext)"
for f in "${files[@]}"; do
	[ "$(stat -c %s "$f")" -le 6144 ] || fail "$f is larger than 6K"
done

# ---- the chain, across all files in the order they were written (by the
# seq of their first line)
mapfile -t ordered < <("$H_PY" -c '
import json, sys
first = lambda f: json.loads(open(f).readline())["seq"]
print("\n".join(sorted(sys.argv[1:], key=first)))' "${files[@]}")
total=$(cat "${files[@]}" | wc -l)
"$ASPENC" audit verify "${ordered[@]}" >"$H_WORK/verify.out" || fail "aspenc audit verify: $(cat "$H_WORK/verify.out")"
log "$(cat "$H_WORK/verify.out")"
assert_contains "$H_WORK/verify.out" "ok: $total lines in ${#files[@]} files, seq 1..$total,"

# a file left out, or the files out of order: broken, exit status 1
rc=0
"$ASPENC" audit verify "${ordered[@]:0:2}" "${ordered[@]:3}" 2>"$H_WORK/verify.err" || rc=$?
assert_eq 1 "$rc" "aspenc audit verify with a file left out"
assert_contains "$H_WORK/verify.err" "chain broken"
# (copies under names that are no rotated set, which aspenc would order)
cp "${ordered[0]}" "$H_WORK/first.jsonl"
cp "${ordered[1]}" "$H_WORK/second.jsonl"
rc=0
"$ASPENC" audit verify "$H_WORK/second.jsonl" "$H_WORK/first.jsonl" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "aspenc audit verify with two files swapped"
"$ASPENC" audit verify "$H_WORK/first.jsonl" "$H_WORK/second.jsonl" >/dev/null ||
	fail "aspenc audit verify of the first two files in order"
