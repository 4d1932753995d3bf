# %%FAIL
policy "p"
default allow
uninspectable deny
rule a { on response when
request.model == "gpt-4o" kill }
rule b { on request when
response.status == 500 deny }
rule c { on connect deny }
rule d { on request when request.stream == true deny }
# expect: response_fields.asp:6:1: error: field 'request.model' is not available in 'on response' rules
# expect:    6 | request.model == "gpt-4o" kill }
# expect:      | ^~~~~~~~~~~~~
# expect: hint: a response rule sees the connection, the process and response.status/response.tokens; request fields need 'on request'
# expect: response_fields.asp:8:1: error: field 'response.status' is not available in 'on request' rules
# expect:    8 | response.status == 500 deny }
# expect:      | ^~~~~~~~~~~~~~~
# expect: hint: response fields need 'on response'
