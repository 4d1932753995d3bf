# shellcheck shell=bash
# Isolation of an e2e test (sourced by harness.sh): the private mount and
# network namespaces, the hosts file, the child cgroup, the work directory,
# and the clean-up that undoes all of it (docs/testing.md, "How an e2e test
# isolates itself").

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
	# the test's own cgroup, whatever H_CG points at now (a test may scope
	# aspend to a child of it for a while)
	[ -z "$H_CG_REL" ] || H_CG=$(cgroup2_mount)$H_CG_REL
	# what aspend pinned for the cgroup and its children (a test that
	# killed it, a failure)
	if [ -n "$H_CG" ] && [ -x "${ASPEND:-}" ]; then
		local scope=${H_CG_REL#/} pin
		scope=${scope//\//+}
		for pin in "$H_CG" /sys/fs/bpf/aspen/"$scope"+*; do
			[ "$pin" = "$H_CG" ] || [ -d "$pin" ] || continue
			"$ASPEND" --unload "${pin##*/aspen/}" --force 2>&1 | grep -v '^nothing pinned' | while read -r l; do log "cleanup: $l"; done
		done
	fi
	if [ -n "$H_CG" ] && [ -d "$H_CG" ]; then
		kill_cgroup "$H_CG" # cgroup.kill: its children too
		find "$H_CG" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
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
