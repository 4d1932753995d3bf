#!/usr/bin/env bash
# SIGHUP reloads the policy from the same path, atomically: a policy that
# denies mistral is swapped for one that allows it and back, and the next
# connection's decision follows; a broken object on SIGHUP leaves the policy
# in force untouched (aspend keeps running and keeps enforcing).
source "$(dirname "$0")/../lib/harness.sh"
harness_start reload

policy_src() { # NAME DECISION
	cat <<EOF_POLICY
policy "$1"
default deny
import "providers"

rule mistral_rule {
  on connect
  when provider == mistral
  $2
}
EOF_POLICY
}
deny_obj=$(policy_src reload-deny 'deny "mistral is not approved"' | make_policy deny)
allow_obj=$(policy_src reload-allow allow | make_policy allow)
obj=$H_WORK/policy.bpf.o

# install SRC: replace the object at the path aspend was started with (a
# rename, as a deployment tool would do).
install_obj() {
	cp "$1" "$obj.new"
	mv -f "$obj.new" "$obj"
}

# hup_and_wait POLICY N: SIGHUP, then wait for the Nth policy_load of POLICY.
hup_and_wait() {
	kill -HUP "$ASPEND_PID"
	local i
	for i in $(seq $((H_AUDIT_TIMEOUT * 10))); do
		[ "$(audit_count event=policy_load policy="$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	cat "$H_AUDIT" >&2
	fail "no policy_load of $1 after SIGHUP"
}

expect_mistral() { # allow|deny LABEL
	curl_call "$2" https://api.mistral.ai/
	if [ "$1" = allow ]; then
		assert_ok "$2: curl to mistral"
	else
		assert_eq 7 "$C_RC" "$2: curl to mistral, exit status"
	fi
	audit_wait event=connect provider=mistral decision="$1" rule=mistral_rule pid="$C_PID" >/dev/null
}

install_obj "$deny_obj"
start_aspend "$obj"
audit_wait event=policy_load policy=reload-deny >/dev/null
expect_mistral deny before

install_obj "$allow_obj"
hup_and_wait reload-allow 1
expect_mistral allow after-hup
assert_eq 1 "$(provider_requests "$IP_MISTRAL")" "requests at mistral after the swap"

install_obj "$deny_obj"
hup_and_wait reload-deny 2
expect_mistral deny swapped-back

# A broken object: aspend says so and keeps the policy in force.
log_lines=$(wc -l <"$H_WORK/aspend.log")
printf 'this is not an ELF file\n' >"$obj.new"
mv -f "$obj.new" "$obj"
kill -HUP "$ASPEND_PID"
audit_wait event=error >/dev/null
[ "$(wc -l <"$H_WORK/aspend.log")" -gt "$log_lines" ] || fail "aspend printed nothing about the failed reload"
aspend_alive || fail "aspend died on a broken object"
expect_mistral deny after-broken-reload
assert_eq 2 "$(audit_count event=policy_load policy=reload-deny)" "policy_load events of reload-deny"

# An empty object too.
: >"$obj"
kill -HUP "$ASPEND_PID"
sleep 1
aspend_alive || fail "aspend died on an empty object"
expect_mistral deny after-empty-reload

assert_eq 1 "$(provider_requests "$IP_MISTRAL")" "requests at mistral in the end"
stop_aspend
