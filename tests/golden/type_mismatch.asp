# %%FAIL
policy "p"
default allow
import "providers"
rule a { on connect when dst.port == "abc" deny }
rule b { on connect when process.uid in ["x"] deny }
rule c { on connect when provider == "openai" deny }
rule d { on connect when process.exe < "/usr" deny }
# expect: type_mismatch.asp:5:38: error: dst.port is an integer, not a string
# expect:    5 | rule a { on connect when dst.port == "abc" deny }
# expect:      |                                      ^~~~~
# expect: type_mismatch.asp:6:42: error: process.uid is an integer, not a string
# expect:    6 | rule b { on connect when process.uid in ["x"] deny }
# expect:      |                                          ^~~
# expect: type_mismatch.asp:7:38: error: a provider is a name, not a string
# expect:    7 | rule c { on connect when provider == "openai" deny }
# expect:      |                                      ^~~~~~~~
# expect: hint: drop the quotes: openai
# expect: type_mismatch.asp:8:26: error: '<' does not apply to process.exe (a string)
# expect:    8 | rule d { on connect when process.exe < "/usr" deny }
# expect:      |                          ^~~~~~~~~~~
# expect: hint: use ==, !=, in or not in
