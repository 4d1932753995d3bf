# %%OK
# Rules the rules before them decide every time (subsume.c): by one rule
# with a condition, by several together, a redaction after a deny; an
# earlier allow does not stop a redaction; a condition nothing satisfies.
policy "covered"
default deny
uninspectable deny
import "providers"
import "pii"

rule anthropic { on request when provider == anthropic deny }
rule approved { on request when request.model in ["gpt-4o*", "o1"] allow }
rule mini_root { on request when request.model == "gpt-4o-mini" and process.uid == 0 deny }

rule low { on connect when process.uid < 1000 allow }
rule high { on connect when process.uid >= 1000 audit deny }
rule curl { on connect when process.exe == "/usr/bin/curl" deny }

rule mask_all { on request redact pii.ssn }
rule mask_anthropic { on request when provider == anthropic redact pii.email }

rule neither { on response when response.status < 200 and response.status >= 300 audit }
# expect: covered_rules.asp:13:6: warning: rule 'mini_root' can never fire: every request it matches is decided first by rules 'anthropic' (line 11) and 'approved' (line 12)
# expect:   13 | rule mini_root { on request when request.model == "gpt-4o-mini" and process.uid == 0 deny }
# expect:      |      ^~~~~~~~~
# expect: hint: remove it, or move it before 'anthropic'
# expect: covered_rules.asp:17:6: warning: rule 'curl' can never fire: every connection it matches is decided first by rules 'low' (line 15) and 'high' (line 16)
# expect:   17 | rule curl { on connect when process.exe == "/usr/bin/curl" deny }
# expect:      |      ^~~~
# expect: hint: remove it, or move it before 'low'
# expect: covered_rules.asp:20:6: warning: rule 'mask_anthropic' never masks anything: every request it matches is denied, by rule 'anthropic' (line 11)
# expect:   20 | rule mask_anthropic { on request when provider == anthropic redact pii.email }
# expect:      |      ^~~~~~~~~~~~~~
# expect: hint: a redaction applies to the requests allowed; allow those it should mask, or remove it
# expect: covered_rules.asp:22:6: warning: rule 'neither' can never fire: no response satisfies its 'when' condition
# expect:   22 | rule neither { on response when response.status < 200 and response.status >= 300 audit }
# expect:      |      ^~~~~~~
# expect: hint: its conditions cannot all hold at once
