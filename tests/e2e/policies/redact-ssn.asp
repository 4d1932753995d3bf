# A writer held for redaction when aspend dies (test_outlives_redact,
# test_outlives_redact_node): every SSN masked, the request audited.
policy "redact"
default allow
uninspectable deny
import "providers"
import "pii"

rule mask_pii {
  on request
  redact pii.ssn with "X"
  audit
}
