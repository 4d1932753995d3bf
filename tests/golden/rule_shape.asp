# %%FAIL
policy "p"
default allow
rule no_on { deny }
rule two_on { on connect on request deny }
rule two_terminal { on connect deny allow }
rule no_action { on connect when dst.port == 80 }
rule typo { on conect deny }
# expect: rule_shape.asp:1:1: warning: no `uninspectable` setting: requests Aspen cannot parse (HTTP/2, compressed bodies, bodies past the scan bound) are denied
# expect:    1 | # %%FAIL
# expect:      | ^
# expect: hint: add 'uninspectable deny' or 'uninspectable allow'
# expect: rule_shape.asp:4:6: error: rule 'no_on' has no 'on'
# expect:    4 | rule no_on { deny }
# expect:      |      ^~~~~
# expect: hint: add 'on connect', 'on connect any', 'on request' or 'on response'
# expect: rule_shape.asp:5:26: error: second 'on' in this rule
# expect:    5 | rule two_on { on connect on request deny }
# expect:      |                          ^~~~~~~~~~
# expect: hint: a rule has exactly one 'on'
# expect: rule_shape.asp:5:15: note: the first 'on' is here
# expect:    5 | rule two_on { on connect on request deny }
# expect:      |               ^~~~~~~~~~
# expect: rule_shape.asp:6:37: error: rule 'two_terminal' has two terminal actions
# expect:    6 | rule two_terminal { on connect deny allow }
# expect:      |                                     ^~~~~
# expect: hint: only one of allow, deny and kill can decide
# expect: rule_shape.asp:6:32: note: the first is here
# expect:    6 | rule two_terminal { on connect deny allow }
# expect:      |                                ^~~~
# expect: rule_shape.asp:7:6: error: rule 'no_action' has no action
# expect:    7 | rule no_action { on connect when dst.port == 80 }
# expect:      |      ^~~~~~~~~
# expect: hint: add allow, deny, kill, audit, alert or redact
# expect: rule_shape.asp:8:16: error: unknown rule kind 'conect'
# expect:    8 | rule typo { on conect deny }
# expect:      |                ^~~~~~
# expect: hint: did you mean 'connect'?
