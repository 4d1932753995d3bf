# bench/connect.sh: a realistic connect-level policy
policy "bench-connect"
default deny
import "providers"

rule no_shadow_ai {
  on connect
  when provider not in [openai, anthropic]
  deny "provider not approved"
}
rule payments_python_only {
  on connect
  when process.exe in ["/srv/payments/*"] and process.comm != "python3"
  deny "payments may only call from python"
}
rule approved {
  on connect
  when provider in [openai, anthropic]
  allow
}
