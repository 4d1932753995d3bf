#!/usr/bin/env bash
# `aspend --unload` and `--keep-on-exit` (issue 14): SIGTERM with
# --keep-on-exit leaves the policy pinned and enforcing, the next start
# adopts it; after a SIGKILL the pinned policy enforces
# on its own; --unload refuses while an aspend owns the scope, then removes
# every pin, says what it removed, and leaves nothing of ours: no bpffs
# directory, no program on the cgroup, none of the policy's programs, maps
# or links in `bpftool prog/map/link show`; the denied call goes through.
# A scope whose cgroup was removed while no aspend ran: --status says it
# is gone and how to remove it, --unload by scope name removes it.
source "$(dirname "$0")/../lib/harness.sh"
harness_start unload

obj=$(make_policy conn <"$H_POLICIES/connect-allowlist.asp")
scope=${H_CG_REL#/}
scope=${scope//\//+}
PIN=/sys/fs/bpf/aspen/$scope

ids() { # prog|map|link: ids bpftool lists
	bpf_json "$1" show | "$H_PY" -c 'import json, sys; print(" ".join(str(x["id"]) for x in json.load(sys.stdin)))'
}

# programs loaded before this test are not this policy's
before=" $(bpf_prog_ids aspen_ | awk '{ print $1 }' | tr '\n' ' ') "

# --keep-on-exit: SIGTERM leaves the policy pinned and enforcing
start_aspend "$obj" --keep-on-exit
stop_aspend TERM
[ -e "$PIN/link:cgroup:connect4" ] || fail "--keep-on-exit: SIGTERM removed the pins"
[ -n "$(bpf_cgroup_progs)" ] || fail "--keep-on-exit: nothing attached after SIGTERM"
grep -q "the pinned policy stays in force" "$H_WORK/aspend.log" || fail "--keep-on-exit: no exit line saying so"
curl_call kept https://api.mistral.ai/
assert_refused "--keep-on-exit: after SIGTERM"

# the next start adopts it
start_aspend "$obj"
grep -q "adopting the pinned policy" "$H_WORK/aspend.log" || fail "the next start did not adopt"
rc=0
"$ASPEND" --unload "$scope" >"$H_WORK/unload-live.txt" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "--unload removed the policy of a running aspend without --force"
assert_contains "$H_WORK/unload-live.txt" "enforced by a running aspend" "--unload while aspend runs"

prog_ids=$(bpf_prog_ids aspen_ | awk -v before="$before" 'index(before, " " $1 " ") == 0 { print $1 }')
pinned_id() { bpftool -j "$1" show pinned "$2" | "$H_PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
link_ids=$(for f in "$PIN"/link:*; do pinned_id link "$f"; done)
map_ids=$(for f in "$PIN"/map:*; do pinned_id map "$f"; done)
log "pinned: $(ls "$PIN" | wc -l) entries; links $(echo $link_ids); programs $(echo $prog_ids)"

kill -KILL "$ASPEND_PID"
wait "$ASPEND_PID" 2>/dev/null || true
ASPEND_PID=
sleep 0.2
curl_call denied https://api.mistral.ai/
assert_refused "after SIGKILL, before --unload"

"$ASPEND" --unload "$H_CG" >"$H_WORK/unload.txt" 2>&1 || fail "--unload failed: $(cat "$H_WORK/unload.txt")"
cat "$H_WORK/unload.txt" >&2
assert_contains "$H_WORK/unload.txt" "removed link:cgroup:connect4 (program aspen_connect4" "--unload names what it removed"
assert_contains "$H_WORK/unload.txt" "no longer enforced" "--unload says what it did"
[ ! -e "$PIN" ] || fail "$PIN still exists after --unload: $(ls "$PIN")"
assert_eq "" "$(bpf_cgroup_progs)" "programs attached to the cgroup after --unload"
sleep 0.5 # the kernel frees programs and maps once their last reference goes
live_progs=" $(ids prog) " live_maps=" $(ids map) " live_links=" $(ids link) "
for id in $prog_ids; do [[ $live_progs != *" $id "* ]] || fail "program $id still loaded after --unload"; done
for id in $map_ids; do [[ $live_maps != *" $id "* ]] || fail "map $id still exists after --unload"; done
for id in $link_ids; do [[ $live_links != *" $id "* ]] || fail "link $id still exists after --unload"; done

curl_call after https://api.mistral.ai/
assert_ok "after --unload: the call the policy denied goes through"
"$ASPEND" --unload "$scope" >"$H_WORK/unload-again.txt" 2>&1 || fail "a second --unload failed"
assert_contains "$H_WORK/unload-again.txt" "nothing pinned" "a second --unload"

# a scope whose cgroup was removed while no aspend ran (a stopped service,
# a deleted pod): --status says so and how to remove it, --unload does
cg_parent=$H_CG
H_CG=$cg_parent/gone
mkdir "$H_CG"
gone_scope=${scope}+gone
start_aspend "$obj" --keep-on-exit
stop_aspend TERM
H_CG=$cg_parent
rmdir "$cg_parent/gone"
[ -d "/sys/fs/bpf/aspen/$gone_scope" ] || fail "--keep-on-exit left nothing pinned for $gone_scope"
"$ASPEND" --status >"$H_WORK/status-gone.txt" 2>&1 || fail "--status failed: $(cat "$H_WORK/status-gone.txt")"
assert_contains "$H_WORK/status-gone.txt" "$cg_parent/gone: gone (nothing left to enforce" "--status of a removed cgroup"
assert_contains "$H_WORK/status-gone.txt" "aspend --unload $gone_scope removes them" "--status names the command"
"$ASPEND" --unload "$gone_scope" >"$H_WORK/unload-gone.txt" 2>&1 || fail "--unload $gone_scope failed: $(cat "$H_WORK/unload-gone.txt")"
[ ! -e "/sys/fs/bpf/aspen/$gone_scope" ] || fail "--unload left /sys/fs/bpf/aspen/$gone_scope"
