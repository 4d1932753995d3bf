# The policy of the kernel scanner test (tests/e2e/test_scanner_kernel.sh)
# and bench/scan.sh: redact, matches and audit over pii, secrets and
# injection patterns at once (3 body DFAs).
policy "scan-mix"
uninspectable deny
default allow
import "pii"
import "secrets"
import "injection"

rule mask {
  on request
  redact pii.ssn with "X"
  redact pii.credit_card with "#"
  redact pii.email
  redact secrets.private_key
}

rule keys {
  on request
  when request.body matches secrets.aws_access_key or request.body matches secrets.github_token
    or request.body matches secrets.slack_token
  deny "credentials in a prompt"
}

rule flag {
  on request
  when request.body matches injection.prompt_leak or request.body matches injection.jailbreak
    or request.body matches pii.ipv4
  audit
}
