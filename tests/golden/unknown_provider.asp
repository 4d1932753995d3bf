# %%FAIL
# expect: unknown_provider.asp:8:21: error: unknown provider 'opneai'
# expect: hint: did you mean 'openai'?
policy "p"
default deny
import "providers"
rule a { on connect
  when provider in [opneai, anthropic]
  deny
}
