# %%OK
policy "p"
default allow
import "providers"
rule other_kind { on request when request.model == "x" deny }
rule everything { on request deny "nothing gets out" }
rule later { on request when provider == openai allow }
rule all_conns { on connect any audit allow }
rule after_any { on connect when process.uid == 0 allow }
rule contradiction { on response when response.status == 200 and response.status == 500 alert }
# expect: never_fires.asp:1:1: warning: no `uninspectable` setting: requests Aspen cannot parse (HTTP/2, compressed bodies, bodies past the scan bound) are denied
# expect:    1 | # %%OK
# expect:      | ^
# expect: hint: add 'uninspectable deny' or 'uninspectable allow'
# expect: never_fires.asp:7:6: warning: rule 'later' can never fire: rule 'everything' (line 6) always decides first
# expect:    7 | rule later { on request when provider == openai allow }
# expect:      |      ^~~~~
# expect: hint: move it before 'everything', or give 'everything' a 'when' condition
# expect: never_fires.asp:9:6: warning: rule 'after_any' can never fire: rule 'all_conns' (line 8) always decides first
# expect:    9 | rule after_any { on connect when process.uid == 0 allow }
# expect:      |      ^~~~~~~~~
# expect: hint: move it before 'all_conns', or give 'all_conns' a 'when' condition
# expect: never_fires.asp:10:6: warning: rule 'contradiction' can never fire: its conditions on response.status contradict each other (line 10)
# expect:   10 | rule contradiction { on response when response.status == 200 and response.status == 500 alert }
# expect:      |      ^~~~~~~~~~~~~
# expect: hint: its 'when' condition contradicts itself
