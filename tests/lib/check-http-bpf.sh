#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Compile a small eBPF program around bpf-templates/aspen_http.h (both
# parsers, called per byte from bpf_loop callbacks over a map value) with
# -Wall -Werror, so that code the BPF target cannot take fails here and not
# in a generated policy. Never loads anything. Prints the instruction count
# of each program and callback.
#
#   tests/lib/check-http-bpf.sh [SRC_DIR]
set -u

SRC=${1:-$(dirname "$0")/../..}
CLANG=${CLANG:-clang}
if command -v llvm-objdump >/dev/null 2>&1; then OBJDUMP=llvm-objdump; else OBJDUMP=$(ls /usr/bin/llvm-objdump-* 2>/dev/null | head -1); fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aspen-http-bpf.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

cat >"$TMP/http_check.bpf.c" <<'EOC'
#include "aspen_prelude.bpf.h"
#include "aspen_http.h"

char LICENSE[] SEC("license") = "GPL";

#define CHECK_BUF 4096

struct req_slot {
	struct aspen_http_req_state st;
	struct aspen_req r;
	__u8 buf[CHECK_BUF];
};

struct resp_slot {
	struct aspen_http_resp_state st;
	struct aspen_resp r;
	__u8 buf[CHECK_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct req_slot);
} req_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct resp_slot);
} resp_slots SEC(".maps");

struct req_ctx {
	struct req_slot *s;
	__u32 n;
	int rc;
};

struct resp_ctx {
	struct resp_slot *s;
	__u32 n;
	int rc;
};

static long req_cb(__u32 i, void *arg)
{
	struct req_ctx *x = arg;
	int rc;

	if (i >= x->n)
		return 1;
	rc = aspen_http_req_byte(&x->s->st, &x->s->r, x->s->buf[i & (CHECK_BUF - 1)]);
	if (rc == ASPEN_HTTP_MORE || rc == ASPEN_HTTP_HEAD)
		return 0;
	x->rc = rc;
	return 1;
}

static long resp_cb(__u32 i, void *arg)
{
	struct resp_ctx *x = arg;
	int rc;

	if (i >= x->n)
		return 1;
	rc = aspen_http_resp_byte(&x->s->st, &x->s->r, x->s->buf[i & (CHECK_BUF - 1)]);
	if (rc == ASPEN_HTTP_MORE || rc == ASPEN_HTTP_HEAD)
		return 0;
	x->rc = rc;
	return 1;
}

SEC("syscall")
int check_req(void *ctx)
{
	__u32 k = 0;
	struct req_slot *s = bpf_map_lookup_elem(&req_slots, &k);
	struct req_ctx x;

	if (!s)
		return 0;
	x.s = s;
	x.n = CHECK_BUF;
	x.rc = 0;
	bpf_loop(CHECK_BUF, req_cb, &x, 0);
	if (x.rc == ASPEN_HTTP_DONE)
		aspen_http_req_reset(&s->st, &s->r);
	else if (!aspen_http_req_skip(&s->st, &s->r, 100))
		return -1;
	return x.rc;
}

SEC("syscall")
int check_resp(void *ctx)
{
	__u32 k = 0;
	struct resp_slot *s = bpf_map_lookup_elem(&resp_slots, &k);
	struct resp_ctx x;

	if (!s)
		return 0;
	x.s = s;
	x.n = CHECK_BUF;
	x.rc = 0;
	bpf_loop(CHECK_BUF, resp_cb, &x, 0);
	if (x.rc == ASPEN_HTTP_DONE)
		aspen_http_resp_reset(&s->st, &s->r);
	else if (!aspen_http_resp_skip(&s->st, &s->r, 100))
		return -1;
	return x.rc;
}
EOC

# the host's multiarch directory holds <asm/types.h> (Debian: x86_64-linux-gnu)
MULTIARCH=$("$CLANG" -print-multiarch 2>/dev/null)
if ! "$CLANG" -target bpf -O2 -g -Wall -Werror -I "$SRC/bpf-templates" \
	${MULTIARCH:+-I/usr/include/$MULTIARCH} -c "$TMP/http_check.bpf.c" -o "$TMP/http_check.bpf.o"; then
	echo "FAIL: aspen_http.h does not compile for the BPF target"
	exit 1
fi

# No string or lookup table may sneak into memory sections the loader would
# have to carry (.rodata.str*, .rodata.cst*: see aspen_prelude.bpf.h).
if "$OBJDUMP" -h "$TMP/http_check.bpf.o" | grep -Eq '\.rodata|\.data'; then
	echo "FAIL: the parser put data into the object:"
	"$OBJDUMP" -h "$TMP/http_check.bpf.o" | grep -E '\.rodata|\.data'
	exit 1
fi

# instructions per function (a 16-byte ld_imm64 counts as one line)
"$OBJDUMP" -d --no-show-raw-insn "$TMP/http_check.bpf.o" | awk '
	/^[0-9a-f]+ <LBB[^>]*>:$/ { next }
	/^[0-9a-f]+ <[^>]+>:$/ { if (name != "") printf "%-12s %5d insns\n", name, n; name = $2; gsub(/[<>:]/, "", name); n = 0; next }
	/^ *[0-9]+:/ { n++ }
	END { if (name != "") printf "%-12s %5d insns\n", name, n }'
# The per-byte functions must be loop-free: look for a cycle in each
# function's control flow graph (a backward jump alone is only layout).
if command -v python3 >/dev/null 2>&1; then
	"$OBJDUMP" -d --no-show-raw-insn "$TMP/http_check.bpf.o" >"$TMP/dis.txt"
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
    for root in idx[:1]:
        stack = [(root, iter(succ[root]))]
        color[root] = 1
        while stack:
            node, it = stack[-1]
            for t in it:
                if t not in succ:
                    continue  # into a ld_imm64's second half: never happens
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
            if bad:
                break
sys.exit(bad)
EOP
fi
echo "OK: aspen_http.h compiles for BPF, no loops"
