# %%OK
# expect: never_fires.asp:11:6: warning: rule 'later' can never fire: rule 'everything' (line 10) always decides first
# expect: hint: move it before 'everything', or give 'everything' a 'when' condition
# expect: never_fires.asp:13:6: warning: rule 'after_any' can never fire: rule 'all_conns' (line 12) always decides first
# expect: never_fires.asp:14:6: warning: rule 'contradiction' can never fire: its conditions on response.status contradict each other (line 14)
policy "p"
default allow
import "providers"
rule other_kind { on request when request.model == "x" deny }
rule everything { on request deny "nothing gets out" }
rule later { on request when provider == openai allow }
rule all_conns { on connect any audit allow }
rule after_any { on connect when process.uid == 0 allow }
rule contradiction { on response when response.status == 200 and response.status == 500 alert }
