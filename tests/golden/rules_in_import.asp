# %%FAIL
# expect: inc/with_rule.asp:3:6: error: rule 'r': rules are only allowed in the root policy
policy "p"
default allow
import "./inc/with_rule.asp"
