policy "connect-table"
rule curl_only { on connect  when provider == openai and process.comm != "curl"  deny }
default allow
import "providers"
# A table read at an index nobody bounded (what the generated DFA code must
# never do), in the code of a connect rule's condition.
# inject 2: { static const volatile __u8 t[4] = {1, 2, 3, 4}; (void)t[bpf_get_prandom_u32()]; }
# expect: the verifier refused the code of rule 'curl_only' (connect_table.asp:2): R* unbounded memory access, make sure to bounds check any such access
# known-bug: no rule is named (see BUG-1 in docs/testing.md)
