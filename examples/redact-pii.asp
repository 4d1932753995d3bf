# Mask personal data in prompts before they leave the machine, and stop
# prompts that carry credentials.
#
#   aspenc examples/redact-pii.asp -o redact-pii.bpf.o
#
# Redaction rewrites the body in place, same length (Content-Length stays
# right): each matched byte becomes the mask, repeated. Card numbers are
# masked only when their Luhn check passes (pii.credit_card validate luhn).
policy "redact-pii"
uninspectable deny
default allow
import "providers"
import "pii"
import "secrets"

rule mask_pii {
  on request
  when provider in [openai, anthropic]
  redact pii.ssn with "X"
  redact pii.credit_card with "#"
  redact pii.email
  audit
}

rule no_keys {
  on request
  # anthropic_key ends in `*`: its regex once closed the C comment aspenc
  # writes above each table (examples/compile would catch it again)
  when request.body matches secrets.aws_access_key or request.body matches secrets.github_token
    or request.body matches secrets.anthropic_key
  deny "credentials in a prompt"
}
