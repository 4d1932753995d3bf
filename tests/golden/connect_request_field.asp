# %%FAIL
policy "p"
default allow
rule a { on connect
when request.model == "gpt-4o" deny }
# expect: connect_request_field.asp:5:6: error: field 'request.model' is not available in 'on connect' rules
# expect:    5 | when request.model == "gpt-4o" deny }
# expect:      |      ^~~~~~~~~~~~~
# expect: hint: a connect rule sees only the connection and the process; request fields need 'on request'
