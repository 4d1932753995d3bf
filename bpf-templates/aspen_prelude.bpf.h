/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Included first by every generated policy object: helpers, the maps every
 * policy shares with aspend, and the few kernel structures the process
 * tracking reads (CO-RE, so one object runs on any BTF kernel).
 */
#ifndef ASPEN_PRELUDE_BPF_H
#define ASPEN_PRELUDE_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "aspen_shared.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#ifndef IPPROTO_TCP
#define IPPROTO_TCP 6
#endif
#ifndef IPPROTO_UDP
#define IPPROTO_UDP 17
#endif

/* Generated tables go to .rodata explicitly: clang puts 4/8/16/32-byte
 * constants into mergeable .rodata.cstN sections, which its BTF then
 * describes as .rodata, and the kernel refuses the BTF (and with it any
 * program using bpf_loop). */
#define ASPEN_TABLE __attribute__((section(".rodata")))

/* ---- maps shared with aspend (names and value structs: aspen_shared.h) -- */

/* aspend refreshes its heartbeat every poll (100 ms); past this it is
 * taken for gone and nothing waits for it. */
#define ASPEN_HEARTBEAT_NS (2ULL * 1000 * 1000 * 1000)

#ifdef ASPEN_PART_GENERATED
/* The generated part of a linked object (aspen_generated.h): the maps and
 * the code that uses them are the templates' part's; aspend --monitor is
 * read through it. */
__attribute__((visibility("hidden"))) __noinline int aspen_force_monitor_call(void);

static __always_inline int aspen_force_monitor(void)
{
	return aspen_force_monitor_call();
}
#else
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aspen_config);
} aspen_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* entries allocated on insert: start-up (issue 14) */
	__uint(max_entries, 16384);
	__type(key, struct aspen_ip_key);
	__type(value, struct aspen_dst_info);
} aspen_dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct aspen_cidr_key);
	__type(value, __u64);
} aspen_cidr SEC(".maps");

/* destination port -> providers that serve on it (a provider's `ports`) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u64);
} aspen_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* entries allocated on insert: start-up (issue 14) */
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct aspen_proc);
} aspen_proc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* entries allocated on insert: start-up (issue 14) */
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} aspen_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* entries allocated on insert: start-up (issue 14) */
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} aspen_user SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* ~20k connect records */
} aspen_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} aspen_lost SEC(".maps");

static __always_inline int aspen_force_monitor(void)
{
	__u32 k = 0;
	struct aspen_config *cfg = bpf_map_lookup_elem(&aspen_config, &k);

	return cfg && cfg->force_monitor;
}

/* The request body bound (aspen_config.body_bound, aspend --body-bound). */
static __always_inline __u64 aspen_body_bound(void)
{
	__u32 k = 0;
	struct aspen_config *cfg = bpf_map_lookup_elem(&aspen_config, &k);

	return cfg && cfg->body_bound ? cfg->body_bound : ASPEN_BODY_BOUND_DEFAULT;
}

static __always_inline int aspen_daemon_alive(void)
{
	__u32 k = 0;
	struct aspen_config *cfg = bpf_map_lookup_elem(&aspen_config, &k);

	return cfg && cfg->heartbeat_ns &&
	       bpf_ktime_get_boot_ns() - cfg->heartbeat_ns < ASPEN_HEARTBEAT_NS;
}

/* aspend holds requests too big to cork (spill slots, aspen_sockmap.bpf.h):
 * an undecided request may then be held up to the body bound */
static __always_inline int aspen_spill_on(void)
{
	__u32 k = 0;
	struct aspen_config *cfg = bpf_map_lookup_elem(&aspen_config, &k);

	return cfg && cfg->spill_slots && cfg->heartbeat_ns &&
	       bpf_ktime_get_boot_ns() - cfg->heartbeat_ns < ASPEN_HEARTBEAT_NS;
}

/* Count an event the ring buffer had no room for; aspend reports it as a
 * `lost` audit event so that a gap in the trail is never silent. */
static __always_inline void aspen_count_lost(void)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&aspen_lost, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Waking aspend for every allowed connection costs the client a context
 * switch on a busy host; aspend drains the ring every 100 ms anyway. So
 * routine records are submitted quietly and only decisions that stop
 * something, or a ring filling up, wake it at once. FORCE: a plain wakeup
 * is only sent when the ring was empty, which it is not after quiet ones.
 *
 * Filling up: one wakeup when the unread bytes reach the next multiple of
 * ASPEN_WAKE_BYTES (aspen_wake_level: the multiple the last record saw),
 * not one for every record past it. Each wakeup is an irq_work, a self-IPI
 * (an MSR write that traps on a paravirtualised guest: 27% of the return
 * probe's time at 30k requests/s, session 37); before, every record from
 * the first 64 KiB until aspend was on a CPU and had drained sent one.
 * Two CPUs racing over a level may both wake or both not: the next level,
 * or aspend's 100 ms drain, follows. 256 KiB: 32 levels in the 8 MiB ring. */
#define ASPEN_WAKE_BYTES (256 * 1024)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} aspen_wake_level SEC(".maps");

/* Whether this record should wake aspend: the unread bytes reached another
 * level. Not inlined: its stack is its own frame, not added to the frames
 * of the functions that submit (the deepest call chain, through 1000
 * request rules, is at the verifier's 512 bytes). */
static __noinline int aspen_wake_due(void)
{
	__u64 level = bpf_ringbuf_query(&aspen_events, BPF_RB_AVAIL_DATA) / ASPEN_WAKE_BYTES;
	__u32 k = 0;
	__u64 *last = bpf_map_lookup_elem(&aspen_wake_level, &k);
	int up;

	if (!last)
		return 1;
	up = level > *last;
	*last = level; /* down: drained, the next level wakes again */
	return up;
}

static __always_inline void aspen_submit(void *rec, int urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || aspen_wake_due())
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

#ifdef ASPEN_PART_TEMPLATES
__attribute__((visibility("hidden"))) __noinline int aspen_force_monitor_call(void)
{
	return aspen_force_monitor();
}
#endif
#endif /* ASPEN_PART_GENERATED */

/* ---- helpers for generated conditions ---------------------------------- */

/* dst.ip in CIDR: compare the first `bits` bits of two 16-byte addresses. */
static __always_inline int aspen_ip_in(const __u8 *a, const __u8 *net, int bits)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		int left = bits - i * 8;

		if (left <= 0)
			return 1;
		__u8 mask = left >= 8 ? 0xff : (__u8)(0xff << (8 - left));

		if ((a[i] & mask) != (net[i] & mask))
			return 0;
	}
	return 1;
}

#endif
