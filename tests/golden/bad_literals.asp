# %%FAIL
policy "p"
default allow
rule a { on connect when dst.ip in ["10.0.0.0/33", "fd00::/8"] deny }
rule b { on connect when dst.port == 70000 deny }
rule c { on connect when process.exe == "/usr/[bin" deny }
provider p1 { hosts = ["x.example.com"] ports = [0] }
# expect: bad_literals.asp:4:37: error: bad IP address or CIDR "10.0.0.0/33"
# expect:    4 | rule a { on connect when dst.ip in ["10.0.0.0/33", "fd00::/8"] deny }
# expect:      |                                     ^~~~~~~~~~~~~
# expect: hint: the prefix length must be 0..32
# expect: bad_literals.asp:5:38: error: dst.port 70000 is out of range (1..65535)
# expect:    5 | rule b { on connect when dst.port == 70000 deny }
# expect:      |                                      ^~~~~
# expect: bad_literals.asp:6:41: error: bad glob "/usr/[bin": unterminated '[' class
# expect:    6 | rule c { on connect when process.exe == "/usr/[bin" deny }
# expect:      |                                         ^~~~~~~~~~~
# expect: hint: globs use * ? [a-z] [!a-z] and \ to escape
# expect: bad_literals.asp:7:50: error: port 0 is out of range (1..65535)
# expect:    7 | provider p1 { hosts = ["x.example.com"] ports = [0] }
# expect:      |                                                  ^
