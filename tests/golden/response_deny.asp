# %%FAIL
# expect: response_deny.asp:10:3: error: 'deny' cannot stop a response
# expect: hint: the client has the response already: use 'kill' to stop the program, or 'audit'
# expect: response_deny.asp:12:54: error: field 'dst.port' is not available in 'on request' rules
policy "response-deny"
uninspectable deny
default allow
import "providers"
rule too_many_tokens { on response  when response.tokens > 100000
  deny "too many tokens"
}
rule ports { on request  when provider == openai and dst.port == 8443  deny }
