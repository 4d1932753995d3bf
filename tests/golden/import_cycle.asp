# %%FAIL
# expect: inc/cyc_b.asp:2:8: error: import cycle: cyc_a.asp -> cyc_b.asp -> cyc_a.asp
policy "p"
default allow
import "./inc/cyc_a.asp"
