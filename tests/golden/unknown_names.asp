# %%FAIL
policy "p"
default allow
list approved = ["gpt-4o"]
pattern pem_keys = /PRIVATE KEY/
rule a { on request when request.model in aproved deny }
rule b { on request when request.body matches pem_key deny }
rule c { on connect when process.exec == "/bin/sh" deny }
# expect: unknown_names.asp:1:1: warning: no `uninspectable` setting: requests Aspen cannot parse (HTTP/2, compressed bodies, bodies past the scan bound) are denied
# expect:    1 | # %%FAIL
# expect:      | ^
# expect: hint: add 'uninspectable deny' or 'uninspectable allow'
# expect: unknown_names.asp:6:43: error: unknown list 'aproved'
# expect:    6 | rule a { on request when request.model in aproved deny }
# expect:      |                                           ^~~~~~~
# expect: hint: did you mean 'approved'?
# expect: unknown_names.asp:7:47: error: unknown pattern 'pem_key'
# expect:    7 | rule b { on request when request.body matches pem_key deny }
# expect:      |                                               ^~~~~~~
# expect: hint: did you mean 'pem_keys'?
# expect: unknown_names.asp:8:26: error: unknown field 'process.exec'
# expect:    8 | rule c { on connect when process.exec == "/bin/sh" deny }
# expect:      |                          ^~~~~~~~~~~~
# expect: hint: did you mean 'process.exe'?
