#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Compile a small eBPF program around bpf-templates/aspen_h2.h (the HTTP/2
# frame parser and its HPACK decoder, called per byte from a bpf_loop
# callback over a map value) with -Wall -Werror, so that code the BPF target
# cannot take fails here and not in a generated policy. Never loads
# anything. Prints the instruction count of each function and checks that
# the per-byte code has no loop and that the only data is the Huffman
# tables in .rodata (no .data, no mergeable .rodata.str/.rodata.cst, which
# the kernel's BTF check refuses: aspen_prelude.bpf.h).
#
#   tests/lib/check-h2-bpf.sh [SRC_DIR]
set -u

SRC=${1:-$(dirname "$0")/../..}
CLANG=${CLANG:-clang}
if command -v llvm-objdump >/dev/null 2>&1; then OBJDUMP=llvm-objdump; else OBJDUMP=$(ls /usr/bin/llvm-objdump-* 2>/dev/null | head -1); fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aspen-h2-bpf.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

cat >"$TMP/h2_check.bpf.c" <<'EOC'
#include "aspen_prelude.bpf.h"
#include "aspen_h2.h"

char LICENSE[] SEC("license") = "GPL";

#define CHECK_BUF 4096

struct h2_slot {
	struct aspen_h2 st;
	__u8 buf[CHECK_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct h2_slot);
} h2_slots SEC(".maps");

struct h2_ctx {
	struct h2_slot *s;
	__u32 n;
	__u32 data;
	int rc;
};

static long h2_cb(__u32 i, void *arg)
{
	struct h2_ctx *x = arg;
	int ev;

	if (i >= x->n)
		return 1;
	ev = aspen_h2_byte(&x->s->st, x->s->buf[i & (CHECK_BUF - 1)]);
	if (ev < 0) {
		x->rc = ev;
		return 1;
	}
	if (ev & ASPEN_H2_EV_DATA)
		x->data++;
	if (ev & ASPEN_H2_EV_HEADERS)
		x->rc = (int)x->s->st.head.flags;
	return 0;
}

SEC("syscall")
int check_h2(void *ctx)
{
	__u32 k = 0;
	struct h2_slot *s = bpf_map_lookup_elem(&h2_slots, &k);
	struct h2_ctx x;

	if (!s)
		return 0;
	x.s = s;
	x.n = CHECK_BUF;
	x.data = 0;
	x.rc = 0;
	bpf_loop(CHECK_BUF, h2_cb, &x, 0);
	return x.rc + (int)x.data;
}
EOC

MULTIARCH=$("$CLANG" -print-multiarch 2>/dev/null)
if ! "$CLANG" -target bpf -O2 -g -Wall -Werror -I "$SRC/bpf-templates" \
	${MULTIARCH:+-I/usr/include/$MULTIARCH} -c "$TMP/h2_check.bpf.c" -o "$TMP/h2_check.bpf.o"; then
	echo "FAIL: aspen_h2.h does not compile for the BPF target"
	exit 1
fi
if "$OBJDUMP" -h "$TMP/h2_check.bpf.o" | grep -Eq '\.data|\.rodata\.|\.bss'; then
	echo "FAIL: the parser put data outside .rodata:"
	"$OBJDUMP" -h "$TMP/h2_check.bpf.o" | grep -E '\.data|\.rodata|\.bss'
	exit 1
fi
"$OBJDUMP" -d --no-show-raw-insn "$TMP/h2_check.bpf.o" | awk '
	/^[0-9a-f]+ <LBB[^>]*>:$/ { next }
	/^[0-9a-f]+ <[^>]+>:$/ { if (name != "") printf "%-12s %5d insns\n", name, n; name = $2; gsub(/[<>:]/, "", name); n = 0; next }
	/^ *[0-9]+:/ { n++ }
	END { if (name != "") printf "%-12s %5d insns\n", name, n }'
if [ -n "${ASPEN_H2_BPF_OBJ:-}" ]; then cp "$TMP/h2_check.bpf.o" "$ASPEN_H2_BPF_OBJ"; fi
# The per-byte callback must be loop-free (a cycle in its control flow graph).
"$OBJDUMP" -d --no-show-raw-insn "$TMP/h2_check.bpf.o" >"$TMP/dis.txt"
python3 - "$TMP/dis.txt" <<'EOP' || exit 1
import re, sys
funcs, cur = {}, None
for line in open(sys.argv[1]):
    m = re.match(r'^[0-9a-f]+ <([^>]+)>:$', line)
    if m:
        if not m.group(1).startswith('LBB'):
            cur = funcs.setdefault(m.group(1), [])
        continue
    m = re.match(r'^\s*(\d+):\s*(.*)$', line)
    if m and cur is not None:
        cur.append((int(m.group(1)), m.group(2)))
bad = 0
for name, ins in funcs.items():
    idx = [a for a, _ in ins]
    nxt = {a: (idx[i + 1] if i + 1 < len(idx) else None) for i, a in enumerate(idx)}
    succ = {}
    for a, text in ins:
        s = []
        j = re.search(r'goto ([+-]\d+)', text)
        if text.startswith('exit'):
            pass
        elif j:
            s.append(a + 1 + int(j.group(1)))
            if text.startswith('if'):
                s.append(nxt[a])
        else:
            s.append(nxt[a])
        succ[a] = [t for t in s if t is not None]
    color = {}
    stack = [(idx[0], iter(succ[idx[0]]))]
    color[idx[0]] = 1
    while stack and not bad:
        node, it = stack[-1]
        for t in it:
            if t not in succ:
                continue
            if color.get(t) == 1:
                print("FAIL: %s has a loop (jump %d -> %d)" % (name, node, t))
                bad = 1
                break
            if t not in color:
                color[t] = 1
                stack.append((t, iter(succ[t])))
                break
        else:
            color[node] = 2
            stack.pop()
sys.exit(bad)
EOP
echo "OK: aspen_h2.h compiles for BPF, no loops, tables in .rodata only"
