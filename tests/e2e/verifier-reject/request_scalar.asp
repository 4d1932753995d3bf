policy "request-scalar"
rule no_secret_model { on request  when request.model == "gpt-secret"  deny }
default allow
uninspectable deny
import "providers"
# A load through an address computed from a number, in the code of a
# request rule's condition (the TLS programs).
# inject 2: (void)*(volatile __u8 *)(unsigned long)bpf_get_prandom_u32();
# expect: the verifier refused the code of rule 'no_secret_model' (request_scalar.asp:2): R* invalid mem access 'scalar'
# known-bug: no rule is named (see BUG-1 in docs/testing.md)
