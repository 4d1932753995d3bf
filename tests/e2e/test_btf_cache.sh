#!/usr/bin/env bash
# The BTF cache (--btf-cache, runtime/src/btf_cache.c): the first start of a
# policy object relocates its kernel-structure reads (the exec tracepoint's
# path walk that process.exe rules depend on) against the kernel's full BTF
# and then writes a small BTF for it; the next start relocates against that
# one, never reads /sys/kernel/btf/vmlinux on its way to enforcing (the
# sweep of connections open before aspend, later, does), and libbpf patches every
# instruction exactly as it did against the full BTF. process.exe rules
# decide the same (python3 allowed, curl denied by its rule, the audit
# naming each real binary). A cache file others may write is not used; one
# that does not fit the object fails the load, which is retried against the
# full BTF (still enforcing), and is made again.
source "$(dirname "$0")/../lib/harness.sh"
harness_start btf-cache

obj=$(per_exe_policy)
cache=$H_WORK/btf-cache
log_=$H_WORK/aspend.log

# decides: process.exe rules decide as they must (CO-RE read the exe right)
decides() {
	py_call py-openai https://api.openai.com/v1/chat/completions "$CHAT_BODY"
	assert_ok "$1: python3 to openai"
	audit_wait event=connect decision=allow rule=python_openai pid="$C_PID" exe="$H_PY" >/dev/null
	curl_call curl-openai https://api.openai.com/v1/chat/completions -d "$CHAT_BODY"
	assert_eq 7 "$C_RC" "$1: curl to openai: exit status"
	audit_wait event=connect decision=deny rule=no_curl_openai pid="$C_PID" exe="$H_CURL" >/dev/null
}
# startup_log: the log up to enforcing. The sweep of connections open
# before aspend loads its own program after that (hook_iter.c), and an
# iterator's attach target is looked up in the full BTF: not start-up.
startup_log() { sed '/enforcing in cgroup/q' "$log_"; }
# relocations FILE: what libbpf patched on the way to enforcing, per
# program and relocation
relocations() {
	startup_log | grep -o "prog '[a-z_0-9]*': relo #[0-9]*: \(patched insn.*\|substituting.*\)" | sort >"$1"
}
start() { : >"$log_"; start_aspend "$obj" -v --btf-cache "$cache"; }

# 1. no cache yet: the full BTF, and the small one written after enforcing
start
assert_contains "$log_" "loading kernel BTF '/sys/kernel/btf/vmlinux'"
wait_output "$log_" "btf cache: wrote $cache/" 10 || fail "no BTF cache file written"
relocations "$H_WORK/relo-full"
[ -s "$H_WORK/relo-full" ] || fail "no CO-RE relocation in the log"
decides "full BTF"
stop_aspend
file=$(ls "$cache"/*.btf)
[ "$(stat -c %a "$cache")" = 700 ] || fail "cache directory mode $(stat -c %a "$cache") (want 700)"
log "cache file: $file ($(stat -c %s "$file") bytes)"

# 2. the cached one: the kernel's BTF not read, the same instructions patched
start
startup_log | grep -q "loading kernel BTF '/sys/kernel/btf/vmlinux'" &&
	fail "the kernel's full BTF was read on the way to enforcing although the cache had this object's"
relocations "$H_WORK/relo-cached"
diff "$H_WORK/relo-full" "$H_WORK/relo-cached" >&2 ||
	fail "CO-RE against the cached BTF patched other instructions than against the full one"
log "$(wc -l <"$H_WORK/relo-cached") relocations, identical to the full BTF's"
decides "cached BTF"
sed -n 's/.*\(enforcing in cgroup .*\)/\1/p' "$log_" | while read -r l; do log "$l"; done
stop_aspend

# 3. a cache file others may write is not trusted
chmod 0666 "$file"
start
assert_contains "$log_" "is not owned by aspend's user or writable by others: not used"
assert_contains "$log_" "loading kernel BTF '/sys/kernel/btf/vmlinux'"
decides "untrusted cache file"
stop_aspend

# 4. a cache file that does not fit: the load is retried with the full BTF
chmod 0600 "$file"
# a valid BTF with no type at all: every relocation misses
printf '\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00' >"$file"
start
assert_contains "$log_" "retrying against the kernel's full BTF"
decides "cache file that does not fit"
wait_output "$log_" "btf cache: wrote $file" 10 || fail "the cache file was not made again"
stop_aspend
[ "$(stat -c %s "$file")" -gt 25 ] || fail "the cache file was not replaced"
