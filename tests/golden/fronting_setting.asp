# %%FAIL
# 'fronting allow|deny': once, in the root policy
policy "p"
default deny
fronting maybe
fronting allow
fronting deny
import "./inc/with_fronting.asp"
# expect: fronting_setting.asp:5:10: error: unexpected identifier 'maybe'
# expect:    5 | fronting maybe
# expect:      |          ^~~~~
# expect: hint: expected 'allow' or 'deny'
# expect: fronting_setting.asp:7:1: error: duplicate 'fronting' line
# expect:    7 | fronting deny
# expect:      | ^~~~~~~~~~~~~
# expect: fronting_setting.asp:6:1: note: the first 'fronting' line is here
# expect:    6 | fronting allow
# expect:      | ^~~~~~~~~~~~~~
# expect: inc/with_fronting.asp:2:1: error: 'fronting' belongs in the root policy
# expect:    2 | fronting allow
# expect:      | ^~~~~~~~~~~~~~
# expect: hint: an imported file holds providers, lists and patterns only
