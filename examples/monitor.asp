# Roll-out mode: record what the allowlist would block, block nothing.
# Every decision lands in the audit trail as would_deny or allow.
policy "monitor"
default deny
mode monitor

import "providers"

rule approved {
  on connect
  when provider in [openai, anthropic, gemini]
  allow
}

rule service_accounts {
  on connect
  when process.uid < 1000 and process.comm != "python3*"
  deny "system accounts do not call AI APIs"
}
