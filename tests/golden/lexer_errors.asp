# %%FAIL
# expect: lexer_errors.asp:6:10: error: unexpected character '$'
# expect: lexer_errors.asp:7:11: error: unterminated string
policy "p"
default allow
list a = $["x"]
list b = ["y
rule c { on connect deny }
