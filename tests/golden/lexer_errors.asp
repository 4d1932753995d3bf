# %%FAIL
policy "p"
default allow
list a = $["x"]
list b = ["y
rule c { on connect deny }
# expect: lexer_errors.asp:4:10: error: unexpected character '$'
# expect:    4 | list a = $["x"]
# expect:      |          ^
# expect: lexer_errors.asp:5:11: error: unterminated string
# expect:    5 | list b = ["y
# expect:      |           ^~
# expect: hint: close it with '"' on the same line
# expect: lexer_errors.asp:6:1: error: unexpected 'rule'
# expect:    6 | rule c { on connect deny }
# expect:      | ^~~~
# expect: hint: expected ']' or ','
