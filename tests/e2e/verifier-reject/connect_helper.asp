policy "connect-helper"
rule block_mistral { on connect  when provider == mistral and dst.port == 443  deny }
default allow
import "providers"
# A helper this program type may not call (cgroup connect programs cannot
# write to user memory), in the code of a connect rule's condition.
# inject 2: bpf_probe_write_user((void *)0, (void *)0, 0);
# expect: the verifier refused the code of rule 'block_mistral' (connect_helper.asp:2): program of this type cannot use helper bpf_probe_write_user#36
# known-bug: no rule is named (see BUG-1 in docs/testing.md)
