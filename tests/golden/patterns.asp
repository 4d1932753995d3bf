# %%FAIL
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
# expect: patterns.asp:6:23: error: pattern 'backref': backreference: a DFA cannot match backreferences
# expect:    6 | pattern backref = /(a)\1/
# expect:      |                       ^
# expect: patterns.asp:7:19: error: pattern 'look': look-around is not supported: a DFA cannot look ahead or behind
# expect:    7 | pattern look = /ab(?=c)/
# expect:      |                   ^
# expect: patterns.asp:8:18: error: pattern 'unbal': unbalanced '(': close it with ')'
# expect:    8 | pattern unbal = /(ab/
# expect:      |                  ^
# expect: patterns.asp:9:19: error: pattern 'range': bad range z-a: the end is below the start
# expect:    9 | pattern range = /[z-a]/
# expect:      |                   ^
# expect: patterns.asp:10:18: error: pattern 'empty': the pattern matches the empty string (it would match everywhere)
# expect:   10 | pattern empty = /a*/
# expect:      |                  ^
# expect: patterns.asp:11:21: error: pattern 'flag': unknown flag 'x' (the only flag is i)
# expect:   11 | pattern flag = /abc/x
# expect:      |                     ^
# expect: hint: the only flag is i (ignore case)
# expect: patterns.asp:12:31: error: unknown validator 'mod97'
# expect:   12 | pattern v = /\d{16}/ validate mod97
# expect:      |                               ^~~~~
# expect: hint: the validators are: luhn
# expect: patterns.asp:13:19: error: pattern 'poss': possessive quantifiers are not supported
# expect:   13 | pattern poss = /a++/
# expect:      |                   ^
# expect: patterns.asp:16:29: error: a rule that redacts cannot test 'request.model'
# expect:   16 | rule bad { on request  when request.model == "gpt-4*"  redact ssn }
# expect:      |                             ^~~~~~~~~~~~~
# expect: hint: redaction is decided when the head is complete, before the body is read: use the connection, process and http.* fields, or split the rule
# expect: patterns.asp:16:56: note: the redaction is here
# expect:   16 | rule bad { on request  when request.model == "gpt-4*"  redact ssn }
# expect:      |                                                        ^~~~~~~~~~
# expect: patterns.asp:17:25: error: the redaction mask "-" is reserved
# expect:   17 | rule mask { on request  redact ssn with "-" }
# expect:      |                         ^~~~~~~~~~~~~~~~~~~
# expect: hint: write "--": the mask is repeated over the match
