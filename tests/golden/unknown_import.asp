# %%FAIL
# expect: unknown_import.asp:5:8: error: cannot find import 'provders'
# expect: hint: did you mean 'providers'?
policy "p"
import "provders"
