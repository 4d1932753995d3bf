# %%FAIL
policy "p"
default allow
list l = ["a"]
rule a { on connect when process.exe matches l deny }
rule b { on connect when process.exe == ["a"] deny }
rule c { on connect when dst.port in 443 deny }
rule d { on request when request.body matches "secret" deny }
# expect: operators.asp:1:1: warning: no `uninspectable` setting: requests Aspen cannot parse (HTTP/2, compressed bodies, bodies past the scan bound) are denied
# expect:    1 | # %%FAIL
# expect:      | ^
# expect: hint: add 'uninspectable deny' or 'uninspectable allow'
# expect: operators.asp:5:26: error: 'matches' does not apply to process.exe (a string)
# expect:    5 | rule a { on connect when process.exe matches l deny }
# expect:      |                          ^~~~~~~~~~~
# expect: hint: 'matches' applies to request.body
# expect: operators.asp:5:46: error: unknown pattern 'l'
# expect:    5 | rule a { on connect when process.exe matches l deny }
# expect:      |                                              ^
# expect: operators.asp:6:41: error: '==' compares with one value, not a list
# expect:    6 | rule b { on connect when process.exe == ["a"] deny }
# expect:      |                                         ^~~~~
# expect: hint: use 'in' or 'not in' to compare with a list
# expect: operators.asp:7:38: error: 'in' needs a list
# expect:    7 | rule c { on connect when dst.port in 443 deny }
# expect:      |                                      ^~~
# expect: hint: use '==' to compare with one value
# expect: operators.asp:8:47: error: 'matches' needs a pattern name
# expect:    8 | rule d { on request when request.body matches "secret" deny }
# expect:      |                                               ^~~~~~~~
# expect: hint: declare one with: pattern NAME = /regex/
