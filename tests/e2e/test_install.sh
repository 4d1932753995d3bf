#!/usr/bin/env bash
# The Debian package as an operator gets it: `cpack -G DEB` in the build
# tree builds it, its Depends name the libraries and the policy toolchain,
# it unpacks into a scratch root, and from there, with no environment
# variable, the installed aspenc compiles the installed demo policy (its
# templates and stdlib found beside it, never the source tree) and the
# installed aspend, holding only the capabilities aspend.service grants it,
# enforces it: an approved provider answers, an unapproved one and an
# unapproved model are refused, a prompt's SSN arrives masked.
source "$(dirname "$0")/../lib/harness.sh"
need_tools cpack dpkg-deb setpriv
[ -n "${ASPEN_BUILD:-}" ] && [ -e "$ASPEN_BUILD/CPackConfig.cmake" ] ||
	skip_or_fail "no configured build tree (ASPEN_BUILD=${ASPEN_BUILD:-})"
harness_start install

# ---- the package
pkgdir=$H_WORK/pkg
(cd "$ASPEN_BUILD" && cpack -G DEB -B "$pkgdir") >"$H_WORK/cpack.log" 2>&1 ||
	{ cat "$H_WORK/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$pkgdir"/aspen_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
log "Depends: $depends"
for d in libbpf1 libelf1 libssl3 libyaml-0-2 libc6 libmicrohttpd12 libcurl4 clang libbpf-dev linux-libc-dev; do
	case ", $depends," in *", $d "* | *", $d,"*) ;; *) fail "the package does not depend on $d: $depends" ;; esac
done
assert_eq "/etc/aspen/aspend.conf /etc/logrotate.d/aspend" "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | tr '\n' ' ' | sed 's/ $//')" "conffiles"

root=$H_WORK/root
dpkg-deb -x "$deb" "$root"
prefix=$(dirname "$(dirname "$(cd "$root" && find . -path '*/bin/aspenc' | head -n 1)")")
prefix=$root/${prefix#./}
log "installed under $prefix"
for f in bin/aspenc sbin/aspend share/aspen/bpf-templates/aspen_shared.h share/aspen/stdlib/pii.asp \
	share/aspen/examples/demo.asp share/doc/aspen/operators.md lib/systemd/system/aspend.service \
	share/man/man1/aspenc.1.gz share/man/man8/aspend.8.gz share/man/man5/aspen-policy.5.gz; do
	[ -e "$prefix/$f" ] || fail "the package holds no $f"
done
# /etc/logrotate.d with the /usr prefix, PREFIX/etc/logrotate.d otherwise
[ -n "$(cd "$root" && find . -path '*etc/logrotate.d/aspend')" ] || fail "the package holds no logrotate.d/aspend"

# ---- the installed aspenc, no environment variable, no -I
obj=$H_WORK/demo.bpf.o
env -i PATH=/usr/bin:/bin "$prefix/bin/aspenc" -v "$prefix/share/aspen/examples/demo.asp" -o "$obj" \
	>"$H_WORK/aspenc.log" 2>&1 || { cat "$H_WORK/aspenc.log" >&2; fail "the installed aspenc failed"; }
assert_contains "$H_WORK/aspenc.log" "-I$prefix/share/aspen/bpf-templates " "aspenc's clang command (installed templates)"
env -i PATH=/usr/bin:/bin "$prefix/bin/aspenc" --dump-ast "$prefix/share/aspen/examples/demo.asp" >"$H_WORK/ast.txt" 2>&1 ||
	fail "aspenc --dump-ast failed"

# ---- the installed aspend, with the unit's capabilities only
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$prefix/lib/systemd/system/aspend.service")
[ -n "$caps" ] || fail "aspend.service has no CapabilityBoundingSet"
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset+=,+${c,,}
done
log "capabilities: $bset"
wrapper=$H_WORK/aspend-caps
cat >"$wrapper" <<EOF_WRAP
#!/bin/sh
exec env -i PATH=/usr/bin:/bin setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=$bset -- "$prefix/sbin/aspend" "\$@"
EOF_WRAP
chmod +x "$wrapper"
ASPEND=$wrapper
start_aspend "$obj"
audit_wait event=policy_load policy=demo >/dev/null
grep -q "^CapBnd:" "/proc/$ASPEND_PID/status" || fail "aspend's status unreadable"
bnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$ASPEND_PID/status")
[ "$bnd" != "000001ffffffffff" ] && [ "$bnd" != "000003ffffffffff" ] || fail "aspend runs with every capability ($bnd)"
assert_contains "$H_WORK/aspend.log" "patterns of $prefix/share/aspen/stdlib" "aspend's stdlib (installed)"

curl_call curl-openai https://api.openai.com/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_ok "curl to openai (approved provider, approved model)"
assert_contains "$C_OUT" '"completion_tokens"'

curl_call curl-mistral https://api.mistral.ai/v1/chat/completions -H 'Content-Type: application/json' -d "$CHAT_BODY"
assert_refused "curl to mistral"
assert_eq 0 "$(provider_bytes "$IP_MISTRAL")" "bytes that reached mistral"
audit_wait event=connect decision=deny pid="$C_PID" rule=no_mistral >/dev/null

py_call py-gpt4o https://api.openai.com/v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}'
assert_failed "python3 asking for gpt-4o"
assert_eq 0 "$(rec_count event=request addr="$IP_OPENAI" model=gpt-4o)" "gpt-4o requests that reached openai"
audit_wait event=request decision=deny pid="$C_PID" rule=unapproved_models >/dev/null

provider_mark "$IP_OPENAI"
py_call py-pii https://api.openai.com/v1/chat/completions \
	'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"my ssn is 123-45-6789"}]}'
assert_ok "python3 with an SSN in the prompt"
got=$(rec_bodies event=request addr="$IP_OPENAI")
case $got in *123-45-6789*) fail "the SSN reached the provider" ;; esac
case $got in *XXXXXXXXXXX*) ;; *) fail "no SSN mask at the provider: $got" ;; esac

stop_aspend
log "PASS: the package installs and its aspend enforces the demo policy"
