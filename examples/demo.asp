# The policy scripts/demo.sh runs: only the approved AI providers, only the
# approved models (decided in the kernel from the request's plaintext, read
# at the TLS library), and a clear reason when a call is refused. Every
# decision on AI traffic lands in the audit trail; other traffic is never
# touched.
#
#   aspenc examples/demo.asp -o demo.bpf.o
#   sudo aspend demo.bpf.o --cgroup /sys/fs/cgroup/unified/ai-apps --audit audit.jsonl
policy "demo"
default deny
mode enforce
uninspectable deny # requests Aspen cannot read (gzip bodies, QUIC) are refused

import "providers"
import "pii"

rule approved {
  on connect
  when provider in [openai, anthropic]
  allow
}

rule no_mistral {
  on connect
  when provider == mistral
  audit
  deny "mistral is not an approved provider"
}

rule mask_pii {
  on request
  redact pii.ssn with "X"
  redact pii.credit_card with "#"
  audit
}

rule unapproved_models {
  on request
  when request.model not in ["gpt-4o-mini", "claude-sonnet-4*"]
  deny "model not approved"
}

rule chat {
  on request
  when http.path in ["/v1/chat/completions", "/v1/messages"]
  allow
}
