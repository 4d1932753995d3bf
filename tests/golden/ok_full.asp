# %%OK
# The language sketch from the design, every construct once.
policy "acme-ai"
default deny
uninspectable deny
mode enforce
import "providers"

list approved = ["gpt-4o-mini", "claude-*"]
list ai = [openai, anthropic]
provider internal_llm { hosts = ["llm.internal.acme.com", "*.acme-ai.com"]  ports = [443, 8443]  cidrs = ["10.1.0.0/16", "fd00::/8"] }
pattern pem = /-----BEGIN [A-Z ]*PRIVATE KEY-----/i

rule shadow_ai {
  on connect
  mode monitor
  when provider not in [openai, anthropic, internal_llm] and not (process.uid == 0)
  deny "provider not approved"
}
rule unknown_hosts { on connect any when provider == unknown and dst.port in [443, 8443] audit }
rule root_tools { on connect when process.exe in ["/usr/bin/*", "/opt/[a-z]*/bin/?"] and process.uid <= 999 allow }
rule models { on request when request.model not in approved or request.body matches pem deny }
rule approved_only { on request allow }
rule mask { on request redact pem with "XXX" audit }
rule slow { on response when response.status >= 500 and provider in ai alert }
