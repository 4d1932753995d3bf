# %%FAIL
# expect: uninspectable_setting.asp:11:15: error: unexpected identifier 'maybe'
# expect: hint: expected 'allow' or 'deny'
# expect: uninspectable_setting.asp:13:1: error: duplicate 'uninspectable' line
# expect: uninspectable_setting.asp:12:1: note: the first 'uninspectable' line is here
# expect: inc/with_uninspectable.asp:2:1: error: 'uninspectable' belongs in the root policy
# expect: hint: an imported file holds providers, lists and patterns only
# 'uninspectable allow|deny': once, in the root policy
policy "p"
default deny
uninspectable maybe
uninspectable allow
uninspectable deny
import "./inc/with_uninspectable.asp"
