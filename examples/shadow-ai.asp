# Find and stop shadow AI: AI traffic from programs nobody approved, and
# connections to self-hosted model servers on their usual ports.
policy "shadow-ai"
default allow
mode enforce

import "providers"

provider internal_llm {
  hosts = ["llm.internal.example.com"]
  ports = [443, 8443]
  cidrs = ["10.20.0.0/16"]
}

list sanctioned = [openai, internal_llm]

rule unsanctioned {
  on connect
  when provider not in sanctioned
  deny "use the sanctioned providers: openai or internal_llm"
}

rule ollama_watch {
  on connect any
  mode monitor
  when dst.port in [11434, 8000] and not dst.ip in ["127.0.0.0/8", "::1/128"]
  deny "self-hosted model server"
}

rule audit_notebooks {
  on connect
  when process.comm == "jupyter*"
  audit
}
