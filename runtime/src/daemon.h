/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's state: its options, the policy in force, the audit trail
 * and the host names it knows addresses of. */
#ifndef ASPEND_DAEMON_H
#define ASPEND_DAEMON_H

#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct policy_obj;
struct rt_audit;
struct rt_cgcache;
struct rt_scrub;
struct trace_writer;

#define ASPEND_MAX_RESOLVE 256
/* --btf-cache's default (btf_cache.h) */
#define ASPEND_BTF_CACHE "/var/cache/aspen/btf"
/* --max-connections' default: the connection tables' size (policy.c) */
#define ASPEND_MAX_CONNS 8192
#define ASPEND_MAX_CONNS_MIN 256
#define ASPEND_MAX_CONNS_MAX (1u << 20)

struct opts {
	const char *obj_path;
	const char *cgroup;			 /* --cgroup DIR (default: the cgroup2 root) */
	const char *audit_path;			 /* --audit FILE (default stdout) */
	const char *hosts_file;			 /* --hosts FILE */
	const char *resolve[ASPEND_MAX_RESOLVE]; /* --resolve HOST=IP */
	int nresolve;
	const char *ready_file;
	const char *record; /* --record FILE: a trace of what was decided */
	bool monitor;
	bool no_resolve;
	bool no_stdlib_scan; /* --no-stdlib-scan: audit masks: the policy's patterns only */
	int refresh_s; /* --refresh SECONDS: re-resolve provider names */
	unsigned long long audit_max_size; /* --audit-max-size BYTES: rotate (0: never) */
	unsigned audit_keep;		   /* --audit-keep N: rotated files kept */
	const char *metrics;		   /* --metrics ADDR:PORT: Prometheus /metrics */
	const char *otlp;		   /* --otlp URL: OTLP/HTTP JSON logs */
	const char *otlp_file;		   /* --otlp-file FILE: the same, one request a line */
	bool prog_stats;		   /* --prog-stats: bpf_enable_stats() while running */
	bool audit_fsync;		   /* --audit-fsync: fsync after every line */
	unsigned long long body_bound; /* --body-bound BYTES (0: the kernel's default, 4 MiB) */
	unsigned spill_slots;	       /* --spill-slots N (0: ASPEN_SPILL_SLOTS) */
	unsigned max_conns;	       /* --max-connections N (0: ASPEND_MAX_CONNS) */
	bool verbose;
	bool keep_on_exit; /* --keep-on-exit: SIGTERM leaves the pinned policy in force */
	bool takeover;	   /* --takeover: replace a running aspend of the same scope */
	const char *btf_cache; /* --btf-cache DIR ("": none; default ASPEND_BTF_CACHE) */
	int rt_priority;       /* --rt-priority N: the event loop at SCHED_FIFO N (0: normal) */
};

/* A host name aspend knows the addresses of (resolver, --hosts, --resolve,
 * DNS answers); dst_info.host_idx indexes this table. */
struct known_host {
	char name[256];
	struct in6_addr addr;
};

struct daemon {
	struct opts opts;
	struct policy_obj *cur;
	struct rt_audit *audit;
	int cgroup_fd;
	char cgroup_path[PATH_MAX];
	char cg2_mount[PATH_MAX];
	struct rt_cgcache *cgcache; /* cgroup id -> path, for the audit */
	struct trace_writer *record;
	struct rt_scrub *std_scrub; /* the stdlib's pii and secrets patterns (NULL: none) */
	struct known_host *hosts;
	size_t nhosts, caphosts;
	volatile sig_atomic_t stop, reload, reopen, handoff; /* reopen: SIGUSR1, handoff: SIGUSR2 */
	/* the pinned policy (pin.c): "" when bpffs is missing */
	char scope[256];
	char pin_dir[PATH_MAX];
	int pin_state_fd;
	bool adopt; /* taking over a pinned policy (start-up) */
	bool no_btf_cache;  /* policy_load: the kernel's full BTF, not the cached one */
	char btf_used[4096]; /* the cached small BTF policy_load gave libbpf, or "" */
	char adopt_sha256[65]; /* the pinned policy's sha256 */
	unsigned pin_adoptions;
	unsigned long long pin_since, pin_owner_since, pin_lost;
	int watchdog_pid; /* watchdog.c: 0 when none */
};

#endif
