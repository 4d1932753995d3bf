# %%FAIL
# expect: patterns.asp:17:23: error: pattern 'backref': backreference: a DFA cannot match backreferences
# expect: patterns.asp:18:19: error: pattern 'look': look-around is not supported: a DFA cannot look ahead or behind
# expect: patterns.asp:19:18: error: pattern 'unbal': unbalanced '(': close it with ')'
# expect: patterns.asp:20:19: error: pattern 'range': bad range z-a: the end is below the start
# expect: patterns.asp:21:18: error: pattern 'empty': the pattern matches the empty string (it would match everywhere)
# expect: patterns.asp:22:21: error: pattern 'flag': unknown flag 'x' (the only flag is i)
# expect: patterns.asp:23:31: error: unknown validator 'mod97'
# expect: patterns.asp:24:19: error: pattern 'poss': possessive quantifiers are not supported
# expect: patterns.asp:27:29: error: a rule that redacts cannot test 'request.model'
# expect: patterns.asp:28:25: error: the redaction mask "-" is reserved
# expect: hint: redaction is decided when the head is complete, before the body is read: use the connection, process and http.* fields, or split the rule
policy "patterns"
uninspectable deny
default allow
import "providers"
pattern backref = /(a)\1/
pattern look = /ab(?=c)/
pattern unbal = /(ab/
pattern range = /[z-a]/
pattern empty = /a*/
pattern flag = /abc/x
pattern v = /\d{16}/ validate mod97
pattern poss = /a++/
pattern ssn = /\b\d{3}-\d{2}-\d{4}\b/
rule ok { on request  when request.body matches ssn  deny }
rule bad { on request  when request.model == "gpt-4*"  redact ssn }
rule mask { on request  redact ssn with "-" }
