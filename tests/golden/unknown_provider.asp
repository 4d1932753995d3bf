# %%FAIL
policy "p"
default deny
import "providers"
rule a { on connect
  when provider in [opneai, anthropic]
  deny
}
# expect: unknown_provider.asp:6:21: error: unknown provider 'opneai'
# expect:    6 |   when provider in [opneai, anthropic]
# expect:      |                     ^~~~~~
# expect: hint: did you mean 'openai'?
