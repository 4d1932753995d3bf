# Only the approved AI providers, and only from approved programs.
#
#   aspenc examples/connect-allowlist.asp -o connect-allowlist.bpf.o
#   sudo aspend connect-allowlist.bpf.o --cgroup /sys/fs/cgroup/unified/ai-apps
#
# Scope: these rules see AI traffic only (connections to a known provider);
# every other connection of the host is left alone.
policy "connect-allowlist"
default deny
mode enforce

import "providers"

list approved_tools = ["/usr/bin/python3*", "/usr/bin/node", "/usr/bin/curl"]

rule shadow_ai {
  on connect
  when provider not in [openai, anthropic]
  deny "provider not approved"
}

rule build_bots {
  on connect
  when process.exe in ["/opt/ci/*", "/home/*/.cache/ci-runner/*"]
  deny "CI jobs may not call AI APIs"
}

rule approved_tools {
  on connect
  when process.exe in approved_tools and dst.port == 443
  allow
}
