# %%FAIL
# Several syntax errors, all reported in one run.
policy "p"
list names "x"
rule a {
  on connect when dst.port = 443
  deny
}
rule { on connect deny }
# expect: syntax_errors.asp:1:1: warning: no 'default' line: AI traffic that no rule decides is allowed
# expect:    1 | # %%FAIL
# expect:      | ^
# expect: hint: add 'default deny' or 'default allow'
# expect: syntax_errors.asp:4:12: error: unexpected string '"x"'
# expect:    4 | list names "x"
# expect:      |            ^~~
# expect: hint: expected '='
# expect: syntax_errors.asp:6:28: error: unexpected '='
# expect:    6 |   on connect when dst.port = 443
# expect:      |                            ^
# expect: hint: compare with '==', or use 'in' for a list
# expect: syntax_errors.asp:9:6: error: unexpected '{'
# expect:    9 | rule { on connect deny }
# expect:      |      ^
# expect: hint: expected identifier
