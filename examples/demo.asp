# The policy scripts/demo.sh runs: only the approved AI providers, and a
# clear reason when a call is refused. Every decision on AI traffic lands in
# the audit trail; other traffic is never touched.
#
#   aspenc examples/demo.asp -o demo.bpf.o
#   sudo aspend demo.bpf.o --cgroup /sys/fs/cgroup/unified/ai-apps --audit audit.jsonl
policy "demo"
default deny
mode enforce

import "providers"

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
