/* SPDX-License-Identifier: Apache-2.0 */
/* Clock readings in nanoseconds: CLOCK_BOOTTIME is what the kernel's
 * bpf_ktime_get_boot_ns() reads (heartbeat, hold records, tls_ready),
 * CLOCK_MONOTONIC serves aspend's own timers. */
#ifndef ASPEND_CLOCK_H
#define ASPEND_CLOCK_H

#include <time.h>

#include <linux/types.h>

static inline __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static inline __u64 boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

static inline __u64 mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

#endif
