# %%OK
policy "p"
default deny
import "providers"
rule models { on request when request.model in ["gpt-4o*"] allow }
rule big { on response when response.tokens > 100000 kill }
# expect: uninspectable_missing.asp:1:1: warning: no `uninspectable` setting: requests Aspen cannot parse (HTTP/2, compressed bodies, bodies past the scan bound) are denied
# expect:    1 | # %%OK
# expect:      | ^
# expect: hint: add 'uninspectable deny' or 'uninspectable allow'
