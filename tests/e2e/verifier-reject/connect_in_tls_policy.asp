policy "connect-in-tls-policy"
rule block_mistral { on connect  when provider == mistral  deny "mistral is not approved" }
rule no_secret_model { on request  when request.model == "gpt-secret"  deny }
default allow
uninspectable deny
import "providers"
# The fault of connect_scalar in a policy that also has request rules: the
# object carries the large TLS programs too, and the explanation must still
# name the connect rule.
# inject 2: (void)*(volatile __u8 *)(unsigned long)bpf_get_prandom_u32();
# expect: the verifier refused the code of rule 'block_mistral' (connect_in_tls_policy.asp:2): R* invalid mem access 'scalar'
# known-bug: another program is named (see BUG-2 in docs/testing.md)
