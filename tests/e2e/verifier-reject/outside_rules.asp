policy "outside-rules"
rule block_mistral { on connect  when provider == mistral  deny "mistral is not approved" }
default allow
import "providers"
# The fault of connect_scalar in generated code that belongs to no policy
# line (just before the rule's condition): no rule is blamed, the program
# is named.
# inject-before 2: (void)*(volatile __u8 *)(unsigned long)bpf_get_prandom_u32();
# expect: the verifier refused program aspen_*: R* invalid mem access 'scalar'
