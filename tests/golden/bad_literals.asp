# %%FAIL
# expect: bad_literals.asp:9:37: error: bad IP address or CIDR "10.0.0.0/33"
# expect: hint: the prefix length must be 0..32
# expect: bad_literals.asp:10:38: error: dst.port 70000 is out of range (1..65535)
# expect: bad_literals.asp:11:41: error: bad glob "/usr/[bin": unterminated '[' class
# expect: bad_literals.asp:12:50: error: port 0 is out of range (1..65535)
policy "p"
default allow
rule a { on connect when dst.ip in ["10.0.0.0/33", "fd00::/8"] deny }
rule b { on connect when dst.port == 70000 deny }
rule c { on connect when process.exe == "/usr/[bin" deny }
provider p1 { hosts = ["x.example.com"] ports = [0] }
