# %%FAIL
policy "p"
import "provders"
# expect: unknown_import.asp:1:1: warning: no 'default' line: AI traffic that no rule decides is allowed
# expect:    1 | # %%FAIL
# expect:      | ^
# expect: hint: add 'default deny' or 'default allow'
# expect: unknown_import.asp:3:8: error: cannot find import 'provders'
# expect:    3 | import "provders"
# expect:      |        ^~~~~~~~~~
# expect: hint: did you mean 'providers'?
