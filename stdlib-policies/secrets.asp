# Aspen standard library: credentials that must not reach an AI provider.
#
#   import "secrets"
#   rule no_keys { on request  when request.body matches secrets.aws_access_key
#                  or request.body matches secrets.github_token  deny "credentials in a prompt" }
#
# Each pattern follows the vendor's documented key format; "match:" and
# "no match:" lines are checked by tests/unit/test_regex_pcre2.c. Keys are
# matched on the raw JSON body (a PEM block's newlines are the bytes \n).

# AWS access key IDs: long-term (AKIA) and temporary (ASIA) credentials.
#   match: aws_access_key_id = AKIAIOSFODNN7EXAMPLE
#   match: "ASIAY34FZKBOKMUTVV7A"
#   no match: AKIAIOSFODNN7EXAMPL
#   no match: XAKIAIOSFODNN7EXAMPLE
#   no match: akiaiosfodnn7example
pattern aws_access_key = /\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/

# OpenAI API keys: sk-..., sk-proj-..., sk-svcacct-..., sk-admin-...; every
# format embeds T3BlbkFJ (base64 of "OpenAI").
#   match: sk-abcdefghij1234567890T3BlbkFJabcdefghij1234567890
#   match: sk-proj-AbCdEfGhIjKlMnOpQrSt_-12T3BlbkFJzyxwvutsrqponmlkji
#   no match: sk-abcdefghij1234567890abcdefghij1234567890
#   no match: sk-T3BlbkFJ
pattern openai_key = /\bsk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}/

# Anthropic API keys: sk-ant-api03-... and admin keys sk-ant-admin01-... (the
# key runs to its end; 12 characters at least: a counted run after a prefix
# whose bytes it can contain would multiply DFA states).
#   match: sk-ant-api03-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-abcdefghijklmnopqrstuvwxyzAA
#   no match: sk-ant-api03-short
#   no match: sk-ant-xyz03-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-abcdefghijklmnopqrstuvwxyzAA
pattern anthropic_key = /\bsk-ant-(api|admin)\d\d-[A-Za-z0-9_-]{12}[A-Za-z0-9_-]*/

# Google API keys (Gemini, Maps, ...): AIza and (35) key characters.
#   match: key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe
#   no match: AIzaSyDa
#   no match: aiza0000000000000000000000000000000000000
pattern google_api_key = /\bAIza[0-9A-Za-z_-]{12}[0-9A-Za-z_-]*/

# GitHub tokens: classic (ghp_, OAuth gho_, user-to-server ghu_,
# server-to-server ghs_, refresh ghr_) and fine-grained (github_pat_).
#   match: ghp_1234567890abcdefghijABCDEFGHIJ123456
#   match: github_pat_1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_b1A_bzz
#   no match: ghp_1234567890abcdef
#   no match: ghx_1234567890abcdefghijABCDEFGHIJ123456
pattern github_token = /\b((ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b/

# GitLab personal, project and group access tokens.
#   match: glpat-xxxxxxxxxxxxxxxxxxxx
#   match: glpat-Ab3_-Ab3_-Ab3_-Ab3_-
#   no match: glpat-short-1
pattern gitlab_token = /\bglpat-[A-Za-z0-9_-]{12}[A-Za-z0-9_-]*/

# Slack tokens: bot (xoxb), user (xoxp), app-level (xapp), workspace (xoxa,
# xoxr, xoxs).
#   match: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx
#   match: xapp-1-A0123456789-1234567890123-abcdef0123456789
#   no match: xoxb-123
#   no match: xoxz-123456789012-1234567890123
pattern slack_token = /\b(xox[abprs]|xapp)-[0-9A-Za-z-]{10,}/

# PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted): the whole
# block, BEGIN line to END line, so that redaction masks all of it.
#   match: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----
#   match: -----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----
#   match: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----
#   no match: -----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B\n-----END PUBLIC KEY-----
#   no match: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA
pattern private_key = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----[^-]*-----END ([A-Z0-9]+ )*PRIVATE KEY-----/

# JSON Web Tokens: header and payload are base64url JSON objects (eyJ is
# base64 of {"), then a signature.
#   match: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U
#   no match: eyJhbGciOiJIUzI1NiJ9
#   no match: abc.def.ghi
pattern jwt = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/
