# %%FAIL
policy "p"
default allow
import "./inc/with_rule.asp"
# expect: inc/with_rule.asp:3:6: error: rule 'r': rules are only allowed in the root policy
# expect:    3 | rule r { on connect deny }
# expect:      |      ^
# expect: hint: an imported file holds providers, lists and patterns only
