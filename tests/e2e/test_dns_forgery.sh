#!/usr/bin/env bash
# DNS answers teach aspend provider addresses only as answers to queries the
# governed processes sent, and never relabel another provider's address:
# (a) a query and its answer for a wildcard provider host are learned: a
#     connection there is allowed and audited as that provider;
# (b) an unsolicited packet from port 53 that names mistral's address as
#     api.openai.com is ignored (counted, audited as dns_unsolicited): a
#     connection to mistral is still decided as mistral (denied);
# (c) an answer whose id is not the query's is ignored;
# (d) an answer whose question is not the query's is ignored;
# (e) a real answer that names mistral's address for an azure_openai host is
#     not learned: audited as dns_relabel, the address stays mistral's.
# The policy allows openai and azure_openai before it denies mistral, so an
# address relabelled as openai|mistral would be allowed.
source "$(dirname "$0")/../lib/harness.sh"
harness_start dns-forgery

obj=$(make_policy dnsforge <<'EOF_POLICY'
policy "dnsforge"
default deny
import "providers"
rule approved { on connect  when provider in [openai, azure_openai]  allow }
rule no_mistral { on connect  when provider == mistral  deny "mistral is not approved" }
EOF_POLICY
)

# The fake DNS server of the cgroup's clients (this mount namespace only).
# acme. -> the address of a fake TLS service no provider claims yet.
start_fake_dns 127.0.0.53 \
	"acme.openai.azure.com=$IP_INTERNAL" \
	"badid:wrongid.openai.azure.com=127.0.0.9" \
	"otherq:otherq.openai.azure.com=127.0.0.10" \
	"evil.openai.azure.com=$IP_MISTRAL"

start_aspend "$obj"

# resolve NAME HOST: gethostbyname in the cgroup (one A query); C_OUT holds
# the address or the error.
resolve() {
	client "$1" "$H_PY" -c '
import socket, sys
try:
    print(socket.gethostbyname(sys.argv[1]))
except OSError as e:
    print("error", e)
    sys.exit(1)' "$2"
}

# tcp_connect NAME HOST: a plain TCP connect() to HOST:443 from the cgroup;
# status 0 connected, 7 refused by the policy (EPERM), 1 otherwise.
tcp_connect() {
	client "$1" "$H_PY" -c '
import errno, socket, sys
try:
    socket.create_connection((sys.argv[1], 443), timeout=5).close()
except OSError as e:
    print(type(e).__name__, e.errno, e)
    sys.exit(7 if e.errno == errno.EPERM else 1)
print("connected")' "$2"
}

learned() { grep -q "learned $1 = " "$H_WORK/aspend.log"; }

# (a) a query and its answer
resolve resolve-acme acme.openai.azure.com
assert_ok "resolving acme.openai.azure.com"
assert_contains "$C_OUT" "$IP_INTERNAL"
for _ in $(seq 50); do learned acme.openai.azure.com && break; sleep 0.1; done
grep -q "learned acme.openai.azure.com = $IP_INTERNAL" "$H_WORK/aspend.log" ||
	fail "aspend did not learn acme.openai.azure.com from the answer to its query"
tcp_connect tcp-acme acme.openai.azure.com
assert_ok "connect to acme.openai.azure.com (azure_openai, approved)"
audit_wait event=connect decision=allow rule=approved provider=azure_openai \
	host=acme.openai.azure.com dst_ip="$IP_INTERNAL" pid="$C_PID" >/dev/null

# (b) an unsolicited answer: a process of the cgroup waits on a UDP port and
# a packet from port 53 outside the cgroup names mistral's address
# api.openai.com. The packet itself is delivered (aspen only observes).
client_bg udp-wait "$H_PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("port", s.getsockname()[1], flush=True)
s.settimeout(10)
data, peer = s.recvfrom(2048)
print("got", len(data), "bytes from port", peer[1], flush=True)'
wait_output "$C_OUT" port 10
port=$(awk '$1 == "port" { print $2 }' "$C_OUT")
"$H_PY" - "$port" "$IP_MISTRAL" <<'PY'
import socket, struct, sys

def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"

port, addr = int(sys.argv[1]), sys.argv[2]
q = name("api.openai.com") + struct.pack("!HH", 1, 1)
msg = (struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c" +
       struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(addr))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.54", 53))
s.sendto(msg, ("127.0.0.1", port))
PY
wait_output "$C_OUT" "got" 10
audit_wait event=error reason=dns_unsolicited count=1 >/dev/null
grep -q 'warning: 1 DNS answer(s) that answer no query sent from the cgroup ignored' "$H_WORK/aspend.log" ||
	fail "no warning about the unsolicited answer in aspend's log"
learned api.openai.com && fail "aspend learned api.openai.com from an unsolicited packet"
tcp_connect tcp-mistral api.mistral.ai
assert_eq 7 "$C_RC" "connect to mistral after the forged answer: exit status"
audit_wait event=connect decision=deny rule=no_mistral provider=mistral dst_ip="$IP_MISTRAL" \
	pid="$C_PID" >/dev/null

# (c) the server's answer carries another id: the client drops it (and times
# out), and so does aspen
resolve resolve-wrongid wrongid.openai.azure.com
assert_ne 0 "$C_RC" "resolving wrongid.openai.azure.com (answer with another id)"
# (d) the server's answer repeats another question
resolve resolve-otherq otherq.openai.azure.com
assert_ne 0 "$C_RC" "resolving otherq.openai.azure.com (answer to another question)"
audit_wait event=error reason=dns_other_question count=1 >/dev/null
# unsolicited answers are reported at most every 10 s: the wrong id's second
for _ in $(seq 150); do [ "$(audit_count event=error reason=dns_unsolicited)" -ge 2 ] && break; sleep 0.1; done
assert_eq 2 "$(audit_count event=error reason=dns_unsolicited)" "dns_unsolicited reports (the forged packet, then the wrong id)"
learned wrongid.openai.azure.com && fail "aspend learned an answer with another id"
learned other.otherq.openai.azure.com && fail "aspend learned an answer to another question"
tcp_connect tcp-wrongid 127.0.0.9
tcp_connect tcp-openai api.openai.com
assert_ok "connect to api.openai.com"
audit_wait event=connect decision=allow rule=approved provider=openai pid="$C_PID" >/dev/null
audit_none event=connect dst_ip=127.0.0.9

# (e) a real answer relabelling mistral's address
resolve resolve-evil evil.openai.azure.com
assert_ok "resolving evil.openai.azure.com"
assert_contains "$C_OUT" "$IP_MISTRAL"
audit_wait event=error reason=dns_relabel host=evil.openai.azure.com dst_ip="$IP_MISTRAL" >/dev/null
grep -q "warning: a DNS answer names evil.openai.azure.com (azure_openai) for $IP_MISTRAL, an address of mistral: not learned" \
	"$H_WORK/aspend.log" || fail "no warning about the relabelling answer in aspend's log"
tcp_connect tcp-evil evil.openai.azure.com
assert_eq 7 "$C_RC" "connect to evil.openai.azure.com (mistral's address): exit status"
audit_wait event=connect decision=deny rule=no_mistral provider=mistral dst_ip="$IP_MISTRAL" \
	pid="$C_PID" >/dev/null
assert_eq 1 "$(audit_count event=error reason=dns_relabel)" "dns_relabel lines (one per address and name)"

stop_aspend
audit_check_chain
