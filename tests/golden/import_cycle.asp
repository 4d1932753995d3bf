# %%FAIL
policy "p"
default allow
import "./inc/cyc_a.asp"
# expect: inc/cyc_b.asp:2:8: error: import cycle: cyc_a.asp -> cyc_b.asp -> cyc_a.asp
# expect:    2 | import "./cyc_a.asp"
# expect:      |        ^~~~~~~~~~~~~
# expect: hint: a file may not import itself, directly or through others
