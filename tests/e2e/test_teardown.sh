#!/usr/bin/env bash
# Stopping aspend leaves nothing behind: after SIGTERM (and again after
# SIGINT) it exits 0, the child cgroup has no program attached, none of the
# programs it loaded is still in the kernel, nothing is left pinned under
# /sys/fs/bpf/aspen (not even the empty directory), and the call it used to deny now
# goes through. A start that fails before loading anything leaves no pinned
# scope either.
source "$(dirname "$0")/../lib/harness.sh"
harness_start teardown

obj=$(make_policy teardown <"$H_POLICIES/connect-allowlist.asp")
# what was loaded or pinned before this test (an earlier run's leftovers are
# tests/lib/sweep-stale.sh's business, not this test's verdict)
before=" $(bpf_prog_ids aspen_ | awk '{ print $1 }' | tr '\n' ' ') "
pinned() { [ ! -d /sys/fs/bpf/aspen ] || ls -A /sys/fs/bpf/aspen | tr '\n' ' '; }
pins_before=$(pinned)

cycle() { # SIGNAL
	local sig=$1 attached ids id
	start_aspend "$obj"
	attached=$(bpf_cgroup_progs)
	[ -n "$attached" ] || fail "SIG$sig: aspend is ready but no program is attached to $H_CG"
	log "attached to $H_CG_REL: $(echo "$attached" | tr '\n' ';')"
	printf '%s\n' "$attached" | grep -q connect4 || fail "SIG$sig: no connect4 program on the cgroup"
	ids=$(printf '%s\n' "$attached" | awk '{ print $1 }')

	curl_call "$sig-mistral-denied" https://api.mistral.ai/
	assert_eq 7 "$C_RC" "SIG$sig: curl to mistral while aspend runs"

	stop_aspend "$sig"

	assert_eq "" "$(bpf_cgroup_progs)" "SIG$sig: programs attached to the cgroup after exit"
	local loaded
	loaded=$(bpf_prog_ids aspen_ | awk -v before="$before" 'index(before, " " $1 " ") == 0')
	for id in $ids; do
		if printf '%s\n' "$loaded" | awk '{ print $1 }' | grep -qx "$id"; then
			fail "SIG$sig: program $id is still loaded after exit"
		fi
	done
	if [ -n "$loaded" ]; then
		# Strict in CI (nothing else runs aspend there); on a shared
		# development machine another aspend may be running.
		if [ "${CI:-}" = true ]; then
			fail "SIG$sig: aspen programs still loaded after exit: $(echo "$loaded" | tr '\n' ';')"
		fi
		log "warning: aspen programs loaded by someone else: $(echo "$loaded" | tr '\n' ';')"
	fi

	# nothing left pinned: in CI no other aspend runs, so not even the root
	# directory (unless something was pinned before the test); elsewhere at
	# least no empty one
	local pins
	pins=$(pinned)
	[ ! -e "/sys/fs/bpf/aspen/${H_CG_REL#/}" ] || fail "SIG$sig: the scope's pins are left: $pins"
	if [ "${CI:-}" = true ] && [ -e /sys/fs/bpf/aspen ] && [ "$pins" != "$pins_before" ]; then
		fail "SIG$sig: /sys/fs/bpf/aspen is left: $pins (before the test: ${pins_before:-nothing})"
	fi
	if [ -d /sys/fs/bpf/aspen ] && [ -z "$(ls -A /sys/fs/bpf/aspen)" ]; then
		fail "SIG$sig: an empty /sys/fs/bpf/aspen is left"
	fi

	curl_call "$sig-mistral-after" https://api.mistral.ai/
	assert_ok "SIG$sig: curl to mistral once aspend is gone"
}

cycle TERM
cycle INT

# a start that fails before it loads anything (the audit trail cannot be
# opened) leaves no pinned scope behind, not even an empty directory
rc=0
"$ASPEND" "$obj" --cgroup "$H_CG" --audit "$H_WORK/no-such-dir/audit.jsonl" --no-resolve \
	>"$H_WORK/failed-start.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "aspend started with an audit trail it cannot open"
assert_contains "$H_WORK/failed-start.log" "audit trail" "the failed start says why"
[ ! -e "/sys/fs/bpf/aspen/${H_CG_REL#/}" ] || fail "a failed start left /sys/fs/bpf/aspen/${H_CG_REL#/}"
if [ "${CI:-}" = true ] && [ "$(pinned)" != "$pins_before" ]; then
	fail "a failed start left /sys/fs/bpf/aspen: $(pinned) (before the test: ${pins_before:-nothing})"
fi
