# %%FAIL
# Several syntax errors, all reported in one run.
# expect: syntax_errors.asp:10:12: error: unexpected string '"x"'
# expect: hint: expected '='
# expect: syntax_errors.asp:12:28: error: unexpected '='
# expect: hint: compare with '==', or use 'in' for a list
# expect: syntax_errors.asp:15:6: error: unexpected '{'
# expect: hint: expected identifier
policy "p"
list names "x"
rule a {
  on connect when dst.port = 443
  deny
}
rule { on connect deny }
