# A random policy (aspenc test --random, seed 777) that compiled but did
# not load before session 42: clang left aspen_decide_request()'s verdict
# pointer, a stack address, in r0 when that function returned void, and
# the verifier refused aspen_ssl_write ("cannot return stack pointer to
# the caller"). test_verifier_accepts loads it; with clang 14 the void
# function fails again.
policy "random"
default allow
mode enforce
uninspectable allow
provider p0 {
  hosts = ["api.p0.example"]
  cidrs = ["10.0.0.0/16"]
}
provider p1 {
  hosts = ["*.p1.example"]
  ports = [443, 8443]
}
provider p2 {
  cidrs = ["10.2.0.0/16", "fd00:2::/32"]
}
rule r0 {
  on response
  mode monitor
  when (process.gid == 0 or process.user == "[ab]*")
  kill
}
rule r1 {
  on request
  mode monitor
  when ((process.cgroup != "/system.slice/*" or process.cgroup == "*docker*") or (request.model in ["gpt-4o*"] or http.method == "post"))
  deny "no"
}
rule r2 {
  on request
  when http.host != "*example"
  deny "no"
}
rule r3 {
  on connect any
  mode enforce
  when (provider == unknown or (dst.port in [443, 8443] or container.id == "*"))
  audit
  allow
}
