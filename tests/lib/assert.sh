# shellcheck shell=bash
# Assertions (sourced by harness.sh): each fails the test with what was
# expected and what happened.

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

# assert_not_contains FILE STRING [WHAT]: FILE exists and lacks STRING.
assert_not_contains() {
	[ -e "$1" ] || fail "${3:-$1}: no such file: $1"
	! grep -qF -- "$2" "$1" || fail "${3:-$1}: contains '$2'"
}

# assert_gt NUMBER ACTUAL [WHAT]: ACTUAL > NUMBER (integers).
assert_gt() {
	[ "$2" -gt "$1" ] 2>/dev/null || fail "${3:-value}: expected more than $1, got '$2'"
}

# assert_failed WHAT: the last client failed (any non-zero status but a
# timeout: a denied request fails at once, it does not hang; and not the
# statuses of a client that never ran: 125 timeout failed, 126 not
# executable, 127 not found).
assert_failed() {
	case $C_RC in
	0 | 124 | 125 | 126 | 127 | 137)
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

# no_stopped NAME: no process of the test cgroup is left stopped (state T)
no_stopped() {
	local pid st
	for pid in $(cat "$H_CG/cgroup.procs" 2>/dev/null); do
		st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
		[ "$st" != T ] || fail "$1: pid $pid is left stopped"
	done
}
