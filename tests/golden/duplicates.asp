# %%FAIL
policy "p"
default allow
import "providers"

list models = ["a"]
list models = ["b"]
provider openai { hosts = ["api.openai.com"] }
rule a { on connect deny }
rule a { on connect allow }
# expect: duplicates.asp:7:6: error: duplicate list 'models'
# expect:    7 | list models = ["b"]
# expect:      |      ^~~~~~
# expect: duplicates.asp:6:6: note: 'models' was first defined here as a list
# expect:    6 | list models = ["a"]
# expect:      |      ^~~~~~
# expect: duplicates.asp:8:10: error: duplicate provider 'openai'
# expect:    8 | provider openai { hosts = ["api.openai.com"] }
# expect:      |          ^~~~~~
# expect: hint: provider names are global, even when imported
# expect: ../../stdlib-policies/providers.asp:131:10: note: 'openai' was first defined here
# expect:  131 | provider openai {
# expect:      |          ^~~~~~
# expect: duplicates.asp:10:6: error: duplicate rule 'a'
# expect:   10 | rule a { on connect allow }
# expect:      |      ^
# expect: duplicates.asp:9:6: note: 'a' was first defined here as a rule
# expect:    9 | rule a { on connect deny }
# expect:      |      ^
