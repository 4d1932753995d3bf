# shellcheck shell=bash source-path=SCRIPTDIR
# The end-to-end test harness: sourced by every tests/e2e/test_*.sh.
#
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/../lib/harness.sh"
#   harness_start connect          # root; private mount+net namespace; certs,
#                                  # hosts file, child cgroup, fake providers
#   obj=$(make_policy e2e <<'EOF'
#   policy "e2e" ...
#   EOF
#   )
#   start_aspend "$obj"            # --cgroup/--audit/--hosts/--ready-file added
#   curl_call c1 https://api.mistral.ai/
#   assert_eq 7 "$C_RC" "curl to mistral is refused"
#   audit_wait event=connect decision=deny pid="$C_PID"
#   stop_aspend                    # SIGTERM, exit status must be 0
#
# Isolation (see docs/testing.md): the script re-executes itself once under
# `unshare -m -n`: a private mount namespace, where a hosts file mapping the
# provider names to loopback addresses is bind-mounted over /etc/hosts, and a
# private network namespace whose only interface is its own loopback (nothing
# leaves the machine, port 443 never clashes with the host's services).
# Clients run in a child cgroup v2 `aspen-test-NAME-PID` and aspend is scoped
# to it with --cgroup. The EXIT trap kills aspend, the fake providers and
# every process in the child cgroup, checks that no program is left attached
# to the cgroup, and removes it. Set ASPEN_TEST_HOST_NET=1 to stay in the
# host's network namespace (IPv6 tests then skip), ASPEN_KEEP=1 to keep the
# work directory.
#
# Exit status: 0 pass, 1 fail, 77 skipped (no root outside CI, aspend not built).
#
# This file holds the settings, messages and prerequisite checks, and sources
# the rest, one file per concern (docs/testing.md, "Harness reference"):
#   ns.sh         namespaces, hosts file, child cgroup, work directory, clean-up
#   providers.sh  the fake providers and what they received
#   aspend.sh     compiling policies, starting and stopping aspend
#   clients.sh    clients in the child cgroup, request bodies
#   agents.sh     the real AI agents (Claude Code, Codex, Gemini CLI) as clients
#   audit.sh      the audit trail (and JSON-lines queries)
#   bpf.sh        eBPF and TLS-probe state, read only
#   assert.sh     generic assertions

set -Eeuo pipefail

H_SCRIPT=$(readlink -f "$0")
H_ARGS=("$@")
H_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ASPEN_SRC=${ASPEN_SRC:-$(cd "$H_LIB/../.." && pwd)}
ASPEN_BUILD=${ASPEN_BUILD:-$ASPEN_SRC/build}
ASPENC=${ASPENC:-$ASPEN_BUILD/compiler/aspenc}
ASPEND=${ASPEND:-$ASPEN_BUILD/runtime/aspend}
H_POLICIES=$H_LIB/../e2e/policies # policies shared by several tests

H_CLIENT_TIMEOUT=${H_CLIENT_TIMEOUT:-20} # seconds, every client call
H_ASPEND_TIMEOUT=${H_ASPEND_TIMEOUT:-20}  # seconds, aspend start / stop
H_AUDIT_TIMEOUT=${H_AUDIT_TIMEOUT:-5}     # seconds, waiting for an audit line
H_FAMILY=${H_FAMILY:-4}                   # 6: provider names map to IPv6 addresses

H_NAME=${H_NAME:-$(basename "$0" .sh)}
H_WORK=
H_CG=
H_CG_REL=
ASPEND_PID=
H_FAKE_PIDS=()

# Loopback addresses of the fake services. The IPv6 ones exist only in the
# private network namespace (added to its lo at start).
IP4_OPENAI=127.0.0.2 IP4_ANTHROPIC=127.0.0.3 IP4_MISTRAL=127.0.0.4 IP4_DEEPSEEK=127.0.0.5 IP4_INTERNAL=127.0.0.6
IP6_OPENAI=fd00:a5::2 IP6_ANTHROPIC=fd00:a5::3 IP6_MISTRAL=fd00:a5::4 IP6_DEEPSEEK=fd00:a5::5 IP6_INTERNAL=fd00:a5::6
if [ "$H_FAMILY" = 6 ]; then
	IP_OPENAI=$IP6_OPENAI IP_ANTHROPIC=$IP6_ANTHROPIC IP_MISTRAL=$IP6_MISTRAL IP_DEEPSEEK=$IP6_DEEPSEEK IP_INTERNAL=$IP6_INTERNAL
else
	IP_OPENAI=$IP4_OPENAI IP_ANTHROPIC=$IP4_ANTHROPIC IP_MISTRAL=$IP4_MISTRAL IP_DEEPSEEK=$IP4_DEEPSEEK IP_INTERNAL=$IP4_INTERNAL
fi

# ---------------------------------------------------------------- messages

# H_QUIET=1 (the demo) keeps progress messages out; failures always print.
log() { [ "${H_QUIET:-0}" = 1 ] || printf '[%s] %s\n' "$H_NAME" "$*" >&2; }

fail() {
	printf '[%s] FAIL: %s\n' "$H_NAME" "$*" >&2
	exit 1
}

skip() {
	printf '[%s] SKIP: %s\n' "$H_NAME" "$*" >&2
	exit 77
}

# Missing prerequisites skip on a developer machine and fail in CI.
skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		fail "$* (CI=true: e2e tests must not be skipped)"
	fi
	skip "$*"
}

trap 'printf "[%s] error: line %s: %s (status %s)\n" "$H_NAME" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

# ---------------------------------------------------------------- prerequisites

need_root() {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "needs root (loads eBPF programs, creates cgroups and namespaces)"
}

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_or_fail "missing tool: $t (scripts/install-deps.sh installs it)"
	done
}

need_aspenc() { [ -x "$ASPENC" ] || skip_or_fail "aspenc not built: $ASPENC"; }
need_aspend() { [ -x "$ASPEND" ] || skip_or_fail "aspend not built: $ASPEND"; }

# ---------------------------------------------------------------- the parts

source "$H_LIB/ns.sh"
source "$H_LIB/providers.sh"
source "$H_LIB/aspend.sh"
source "$H_LIB/clients.sh"
source "$H_LIB/agents.sh"
source "$H_LIB/audit.sh"
source "$H_LIB/bpf.sh"
source "$H_LIB/assert.sh"
