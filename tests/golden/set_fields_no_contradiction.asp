# %%OK
# A CDN address can serve several providers: `provider == a and provider == b`
# can hold, so no "can never fire" warning; `provider == a and provider != a`
# cannot, and is reported.
policy "sets"
default allow
import "providers"

rule both_on_one_cdn { on connect  when provider == openai and provider == azure_openai  audit }
rule names { on connect  when dst.host == "api.openai.com" and dst.host == "openai.azure.com"  audit }

rule never { on connect  when provider == openai and provider != openai  deny }
# expect: set_fields_no_contradiction.asp:12:6: warning: rule 'never' can never fire: its conditions on provider contradict each other (line 12)
# expect:   12 | rule never { on connect  when provider == openai and provider != openai  deny }
# expect:      |      ^~~~~
# expect: hint: its 'when' condition contradicts itself
