#!/usr/bin/env bash
# template-cache.sh ASPENC SRC_DIR: aspenc builds the templates' part of an
# object once per feature set, keeps it, and links it with the policy's
# generated part (docs/internals.md, "Two objects, linked"):
#  - cold (empty cache): one object cached, nothing left in $TMPDIR;
#  - warm: the cached object used, not built;
#  - the linked object has the programs, maps and .aspen.meta of the same C
#    built as one object;
#  - a damaged cached object is built again; a cache that cannot be
#    created, or ASPEN_CACHE_DIR=off: no cache, no error, nothing left;
#  - a template file changed: another object;
#  - an error in a rule's condition still names the rule and its line, cold
#    and warm.
set -euo pipefail
aspenc=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
	echo "template-cache: FAIL: $*" >&2
	exit 1
}
export TMPDIR=$work/tmp ASPEN_CACHE_DIR=$work/cache ASPEN_PREBUILT_DIR=
mkdir -p "$TMPDIR"
readelf=$(command -v llvm-readelf || command -v readelf)

cat >"$work/t.asp" <<'EOF'
policy "t"
default allow
# inject 5: (void)undeclared_x;
rule r {
  on connect any when dst.port == 8080 deny
}
EOF

# program and map names, and .aspen.meta, of OBJ
shape() {
	"$readelf" -sW "$1" | awk '$4 == "FUNC" && $5 == "GLOBAL" && $6 == "DEFAULT" { print $8 }' | sort
	"$readelf" -SW "$1" | grep -o ' \(\.maps\|license\|\.aspen\.meta\|uprobe\|sk_msg\|sockops\|cgroup[^ ]*\|tracepoint[^ ]*\|syscall\) ' | sort
	"$readelf" -x .aspen.meta "$1" | tail -n +3
}
cached() { find "$ASPEN_CACHE_DIR" -name 'templates-*.bpf.o' 2>/dev/null | wc -l; }
tmp_empty() { [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left in TMPDIR: $(ls "$TMPDIR")"; }

# cold
"$aspenc" -v "$work/t.asp" -o "$work/cold.bpf.o" 2>"$work/cold.log" || { cat "$work/cold.log" >&2; fail "cold build"; }
grep -q "building the templates' part for $ASPEN_CACHE_DIR/templates/templates-" "$work/cold.log" ||
	fail "cold: the templates' part was not built into the cache"
[ "$(cached)" = 1 ] || fail "cold: $(cached) cached objects, want 1"
[ -z "$(find "$ASPEN_CACHE_DIR" -name '.templates-*')" ] || fail "cold: a temporary object left in the cache"
tmp_empty cold

# warm
"$aspenc" -v "$work/t.asp" -o "$work/warm.bpf.o" 2>"$work/warm.log" || fail "warm build"
grep -q "templates' part: $ASPEN_CACHE_DIR/templates/templates-" "$work/warm.log" || fail "warm: cache not used"
! grep -q "building the templates' part" "$work/warm.log" || fail "warm: the templates' part was built again"
tmp_empty warm

# the same C as one object (the generated part's clang command without the part macro)
"$aspenc" --emit-c "$work/t.asp" -o "$work/one.bpf.c"
cmd=$(grep -- '-DASPEN_PART_GENERATED' "$work/warm.log" | head -1 | sed 's/ -DASPEN_PART_GENERATED//; s/ -c .*//')
[ -n "$cmd" ] || fail "no clang command line in aspenc -v"
$cmd -c "$work/one.bpf.c" -o "$work/one.bpf.o"
shape "$work/one.bpf.o" >"$work/one.shape"
for o in cold warm; do
	shape "$work/$o.bpf.o" >"$work/$o.shape"
	diff -u "$work/one.shape" "$work/$o.shape" >&2 || fail "$o: linked object differs from the one-object build"
done
grep -q aspen_connect4 "$work/one.shape" || fail "no program in the shape"

# damaged
f=$(find "$ASPEN_CACHE_DIR" -name 'templates-*.bpf.o')
head -c 1000 "$f" >"$f.part" && mv "$f.part" "$f"
"$aspenc" -v "$work/t.asp" -o "$work/damaged.bpf.o" 2>"$work/damaged.log" || fail "damaged: build failed"
grep -q "failed: building it again" "$work/damaged.log" || fail "damaged: not built again"
shape "$work/damaged.bpf.o" | diff -u "$work/one.shape" - >&2 || fail "damaged: object differs"
rm -f "$f"
tmp_empty damaged

# no cache: cannot be created, or off
touch "$work/file"
for c in "$work/file/cache" off; do
	ASPEN_CACHE_DIR=$c "$aspenc" "$work/t.asp" -o "$work/nocache.bpf.o" 2>"$work/nocache.log" ||
		{ cat "$work/nocache.log" >&2; fail "cache $c: build failed"; }
	[ ! -s "$work/nocache.log" ] || fail "cache $c: aspenc said: $(cat "$work/nocache.log")"
	shape "$work/nocache.bpf.o" | diff -u "$work/one.shape" - >&2 || fail "cache $c: object differs"
	tmp_empty "cache $c"
done
[ "$(cached)" = 0 ] || fail "no cache: something was cached"

# a template changed: another key
"$aspenc" "$work/t.asp" -o "$work/o.bpf.o"
cp -r "$src/bpf-templates" "$work/templates"
echo "/* changed */" >>"$work/templates/aspen_prelude.bpf.h"
ASPEN_TEMPLATE_DIR=$work/templates "$aspenc" "$work/t.asp" -o "$work/o.bpf.o"
[ "$(cached)" = 2 ] || fail "a changed template: $(cached) cached objects, want 2"

# a clang error in a rule's condition, cold and warm
for pass in cold warm; do
	rm -rf "$ASPEN_CACHE_DIR"
	if [ $pass = warm ]; then # the same clang, nothing injected: caches the templates' part
		: >"$work/none.asp"
		INJECT_CASE=$work/none.asp ASPEN_CLANG=$src/tests/lib/inject-clang.sh \
			"$aspenc" "$work/t.asp" -o "$work/o.bpf.o"
		[ "$(cached)" = 1 ] || fail "warm error: nothing cached"
	fi
	rc=0
	INJECT_CASE=$work/t.asp ASPEN_CLANG=$src/tests/lib/inject-clang.sh \
		"$aspenc" "$work/t.asp" -o "$work/bad.bpf.o" 2>"$work/bad.log" || rc=$?
	[ $rc = 1 ] || fail "$pass: injected error: status $rc, want 1"
	grep -q "t.asp:5:[0-9]*: error: generated code for rule 'r' failed to compile: use of undeclared identifier 'undeclared_x'" \
		"$work/bad.log" || { cat "$work/bad.log" >&2; fail "$pass: the error does not name rule r at t.asp:5"; }
	tmp_empty "$pass error"
done
echo "template-cache: ok"
