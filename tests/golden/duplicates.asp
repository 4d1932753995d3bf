# %%FAIL
# expect: duplicates.asp:12:6: error: duplicate list 'models'
# expect: duplicates.asp:11:6: note: 'models' was first defined here as a list
# expect: duplicates.asp:13:10: error: duplicate provider 'openai'
# expect: hint: provider names are global, even when imported
# expect: duplicates.asp:15:6: error: duplicate rule 'a'
policy "p"
default allow
import "providers"

list models = ["a"]
list models = ["b"]
provider openai { hosts = ["api.openai.com"] }
rule a { on connect deny }
rule a { on connect allow }
