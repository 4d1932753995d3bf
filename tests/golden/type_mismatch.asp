# %%FAIL
# expect: type_mismatch.asp:10:38: error: dst.port is an integer, not a string
# expect: type_mismatch.asp:11:42: error: process.uid is an integer, not a string
# expect: type_mismatch.asp:12:38: error: a provider is a name, not a string
# expect: hint: drop the quotes: openai
# expect: type_mismatch.asp:13:26: error: '<' does not apply to process.exe (a string)
policy "p"
default allow
import "providers"
rule a { on connect when dst.port == "abc" deny }
rule b { on connect when process.uid in ["x"] deny }
rule c { on connect when provider == "openai" deny }
rule d { on connect when process.exe < "/usr" deny }
