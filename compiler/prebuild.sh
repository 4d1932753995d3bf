#!/bin/sh
# compiler/prebuild.sh ASPENC OUTDIR POLICY...: the templates' part of the
# policy objects (compiler/src/template_cache.c) for the feature sets of
# POLICY..., plain and with the test programs (aspenc test), into OUTDIR,
# where aspenc finds them before its cache. Run by the build (target
# aspen_prebuilt) and installed to share/aspen/prebuilt. Never fails the
# build: without clang there is nothing to prebuild, aspenc then builds and
# caches each set at its first use.
aspenc=$1 out=$2
shift 2
work=$(mktemp -d) || exit 0
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"
# the plain and the test-program objects of a policy at once (two keys:
# never the same object built twice)
for p in "$@"; do
	for t in "" --test-programs; do
		(ASPEN_CACHE_DIR=$work ASPEN_PREBUILT_DIR= "$aspenc" $t "$p" -o "$work/o$t.bpf.o" >/dev/null 2>&1 ||
			echo "prebuild.sh: aspenc $t $p failed (not prebuilt)" >&2) &
	done
	wait
done
for f in "$work"/templates/templates-*.bpf.o; do
	[ -e "$f" ] && mv "$f" "$out/"
done
exit 0
