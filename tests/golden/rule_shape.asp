# %%FAIL
# expect: rule_shape.asp:10:6: error: rule 'no_on' has no 'on'
# expect: rule_shape.asp:11:26: error: second 'on' in this rule
# expect: rule_shape.asp:12:37: error: rule 'two_terminal' has two terminal actions
# expect: rule_shape.asp:12:32: note: the first is here
# expect: rule_shape.asp:13:6: error: rule 'no_action' has no action
# expect: rule_shape.asp:14:16: error: unknown rule kind 'conect'
policy "p"
default allow
rule no_on { deny }
rule two_on { on connect on request deny }
rule two_terminal { on connect deny allow }
rule no_action { on connect when dst.port == 80 }
rule typo { on conect deny }
