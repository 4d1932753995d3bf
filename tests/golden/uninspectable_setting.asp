# %%FAIL
# 'uninspectable allow|deny': once, in the root policy
policy "p"
default deny
uninspectable maybe
uninspectable allow
uninspectable deny
import "./inc/with_uninspectable.asp"
# expect: inc/with_uninspectable.asp:2:1: error: 'uninspectable' belongs in the root policy
# expect:    2 | uninspectable allow
# expect:      | ^~~~~~~~~~~~~~~~~~~
# expect: hint: an imported file holds providers, lists and patterns only
# expect: uninspectable_setting.asp:5:15: error: unexpected identifier 'maybe'
# expect:    5 | uninspectable maybe
# expect:      |               ^~~~~
# expect: hint: expected 'allow' or 'deny'
# expect: uninspectable_setting.asp:7:1: error: duplicate 'uninspectable' line
# expect:    7 | uninspectable deny
# expect:      | ^~~~~~~~~~~~~~~~~~
# expect: uninspectable_setting.asp:6:1: note: the first 'uninspectable' line is here
# expect:    6 | uninspectable allow
# expect:      | ^~~~~~~~~~~~~~~~~~~
