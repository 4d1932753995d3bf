policy "connect-scalar"
rule block_mistral { on connect  when provider == mistral  deny "mistral is not approved" }
default allow
import "providers"
rule approved { on connect  when provider in [openai, anthropic]  allow }
# A load through an address computed from a number, in the code of a
# connect rule's condition.
# inject 2: (void)*(volatile __u8 *)(unsigned long)bpf_get_prandom_u32();
# expect: the verifier refused the code of rule 'block_mistral' (connect_scalar.asp:2): R* invalid mem access 'scalar'
# known-bug: no rule is named (see BUG-1 in docs/testing.md)
