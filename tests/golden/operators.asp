# %%FAIL
# expect: operators.asp:9:26: error: 'matches' does not apply to process.exe (a string)
# expect: operators.asp:10:41: error: '==' compares with one value, not a list
# expect: operators.asp:11:38: error: 'in' needs a list
# expect: operators.asp:12:47: error: 'matches' needs a pattern name
policy "p"
default allow
list l = ["a"]
rule a { on connect when process.exe matches l deny }
rule b { on connect when process.exe == ["a"] deny }
rule c { on connect when dst.port in 443 deny }
rule d { on request when request.body matches "secret" deny }
