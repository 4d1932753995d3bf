# %%FAIL
policy "response-deny"
uninspectable deny
default allow
import "providers"
rule too_many_tokens { on response  when response.tokens > 100000
  deny "too many tokens"
}
rule ports { on request  when provider == openai and dst.port == 8443  deny }
# expect: response_deny.asp:7:3: error: 'deny' cannot stop a response
# expect:    7 |   deny "too many tokens"
# expect:      |   ^~~~~~~~~~~~~~~~~~~~~~
# expect: hint: the client has the response already: use 'kill' to stop the program, or 'audit'
# expect: response_deny.asp:9:54: error: field 'dst.port' is not available in 'on request' rules
# expect:    9 | rule ports { on request  when provider == openai and dst.port == 8443  deny }
# expect:      |                                                      ^~~~~~~~
# expect: hint: destination fields are known at connect: use an 'on connect' rule, or provider / http.host in this one
