#!/usr/bin/env bash
# The systemd units as installed: `cmake --install` into a scratch DESTDIR,
# then `systemd-analyze verify --root` on aspend.service, aspend-reload.path
# and aspend-reload.service (directives, dependencies, that ExecStart's
# aspend exists where the unit says). Any message fails, warnings included.
# Also: a unit naming a missing binary must fail the same check (the check
# can fail), and every man page a unit's Documentation= names is installed.
#
#   tests/packaging/systemd-verify.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: systemd-verify.sh BUILD_DIR}
command -v systemd-analyze >/dev/null || {
	echo "FAIL: systemd-analyze missing (scripts/install-deps.sh installs systemd)" >&2
	exit 1
}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aspen-units.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
root=$TMP/root
DESTDIR=$root cmake --install "$BUILD" >"$TMP/install.log" 2>&1 || {
	cat "$TMP/install.log" >&2
	echo "FAIL: cmake --install" >&2
	exit 1
}
units=$(cd "$root" && find . -path '*/lib/systemd/system/aspend*' | sed 's|^\.||')
[ "$(echo "$units" | wc -l)" -eq 3 ] || { echo "FAIL: expected 3 units, got: $units" >&2; exit 1; }
unitdir=$root$(dirname "$(echo "$units" | head -n 1)")

# What the units refer to, outside the package: the host's targets and
# units, kill and systemctl (--root resolves every path inside the root).
mkdir -p "$root/usr/lib/systemd/system" "$root/bin"
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null || true
cp -an /lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null || true
cp /bin/kill /bin/systemctl "$root/bin/"

verify() { # UNIT... -> prints the messages, returns systemd-analyze's status
	(cd "$unitdir" && systemd-analyze verify --man=no --root="$root" "$@" 2>&1)
}

out=$(verify aspend.service aspend-reload.path aspend-reload.service) || {
	echo "$out" >&2
	echo "FAIL: systemd-analyze verify" >&2
	exit 1
}
[ -z "$out" ] || { echo "$out" >&2; echo "FAIL: systemd-analyze verify printed messages" >&2; exit 1; }
echo "ok: systemd-analyze verify: aspend.service aspend-reload.path aspend-reload.service"

# The check can fail: the same unit naming an aspend that is not there.
sed 's|^ExecStart=[^ ]*|ExecStart=/usr/sbin/aspend-missing|' "$unitdir/aspend.service" >"$unitdir/broken.service"
if out=$(verify broken.service) && [ -z "$out" ]; then
	echo "FAIL: systemd-analyze verify accepted a unit whose binary is missing" >&2
	exit 1
fi
rm "$unitdir/broken.service"
echo "ok: a unit naming a missing binary fails the check"

# Documentation=man:NAME(S) pages are installed.
for page in $(sed -n 's/^Documentation=//p' "$unitdir"/aspend* | tr ' ' '\n' | sed -n 's/^man:\(.*\)(\([0-9]\))$/\1.\2/p' | sort -u); do
	f=$(find "$root" -path "*/share/man/man${page##*.}/$page.gz" | head -n 1)
	[ -n "$f" ] || { echo "FAIL: man page $page (named by a unit) is not installed" >&2; exit 1; }
	echo "ok: $page installed"
done
