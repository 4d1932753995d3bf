# %%FAIL
# expect: unknown_names.asp:12:43: error: unknown list 'aproved'
# expect: hint: did you mean 'approved'?
# expect: unknown_names.asp:13:47: error: unknown pattern 'pem_key'
# expect: hint: did you mean 'pem_keys'?
# expect: unknown_names.asp:14:26: error: unknown field 'process.exec'
# expect: hint: did you mean 'process.exe'?
policy "p"
default allow
list approved = ["gpt-4o"]
pattern pem_keys = /PRIVATE KEY/
rule a { on request when request.model in aproved deny }
rule b { on request when request.body matches pem_key deny }
rule c { on connect when process.exec == "/bin/sh" deny }
