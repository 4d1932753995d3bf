# The connect-level allowlist of test_connect_allow_deny, test_monitor,
# test_teardown and test_udp_ipv6: openai and anthropic are allowed,
# mistral is denied by a rule, every other provider (deepseek) by the
# default; hosts that are no provider are out of scope.
policy "connect-allowlist"
default deny
import "providers"

rule approved {
  on connect
  when provider in [openai, anthropic]
  allow
}

rule block_mistral {
  on connect
  when provider == mistral
  deny "mistral is not approved"
}
