/* SPDX-License-Identifier: Apache-2.0 */
/* aspend: the daemon's shared state. One file per hook kind attaches it. */
#ifndef ASPEND_H
#define ASPEND_H

#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include <bpf/libbpf.h>

#include "aspen_shared.h"
#include "meta.h"
#include "policy_skel.h"

struct rt_audit;
struct rt_audit_ev;
struct rx;
struct trace_writer;
struct rt_cgcache;

#define ASPEND_MAX_LINKS 32
#define ASPEND_MAX_RESOLVE 256

struct opts {
	const char *obj_path;
	const char *cgroup;     /* --cgroup DIR (default: the cgroup2 root) */
	const char *audit_path; /* --audit FILE (default stdout) */
	const char *hosts_file; /* --hosts FILE */
	const char *resolve[ASPEND_MAX_RESOLVE]; /* --resolve HOST=IP */
	int nresolve;
	const char *ready_file;
	const char *record;     /* --record FILE: a trace of what was decided */
	bool monitor;
	bool no_resolve;
	int refresh_s;          /* --refresh SECONDS: re-resolve provider names */
	bool verbose;
};

/* One loaded policy object and everything attached for it. */
struct policy_obj {
	struct bpf_object *obj;
	struct aspen_meta meta;
	struct policy_maps maps; /* resolved when the object is opened */
	struct policy_progs progs;
	char sha256_obj[65];
	struct bpf_link *links[ASPEND_MAX_LINKS];
	const char *link_sec[ASPEND_MAX_LINKS];
	int nlinks;
	struct ring_buffer *rb;
	void *rb_ctx;
	__u64 lost_seen;
	int skmsg_prog_fd, skmsg_map_fd; /* sk_msg attachment (no bpf_link for it) */
	struct rx *rx[64];               /* patterns to mask, for userspace */
	const struct aspen_meta_pattern *rx_pattern[64];
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
	struct known_host *hosts;
	size_t nhosts, caphosts;
	volatile sig_atomic_t stop, reload;
};

/* policy.c: load an object, fill its maps, attach, swap, tear down */
struct policy_obj *policy_load(struct daemon *d, const char *path, char *err, size_t errlen);
int policy_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old);
void policy_destroy(struct policy_obj *p);
void policy_retire(struct policy_obj *p);
int policy_fill_maps(struct daemon *d, struct policy_obj *p);

/* hook_cgroup_sock.c / hook_tracepoint.c: the hook kinds (one file each) */
struct hook_kind {
	const char *sec_prefix;
	/* attach prog; *link may instead be taken over from old (atomic swap) */
	int (*attach)(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
		      struct bpf_link *old, struct bpf_link **link);
	bool lazy; /* attached later, per process (uprobes) */
};
extern const struct hook_kind hook_cgroup_sock;
int attach_cgroup_link(struct daemon *d, struct bpf_program *prog, struct bpf_link *old,
		       struct bpf_link **link);
extern const struct hook_kind hook_tracepoint;
extern const struct hook_kind hook_cgroup_skb;
extern const struct hook_kind hook_sockops;
extern const struct hook_kind hook_sk_msg;
extern const struct hook_kind hook_uprobe;
extern const struct hook_kind hook_uretprobe;
extern const struct hook_kind hook_syscall;

/* hosts.c: provider addresses -> aspen_dst / aspen_cidr / aspen_ports */
int hosts_collect(struct daemon *d, const struct aspen_meta *m);
void resolver_start(struct daemon *d, const struct aspen_meta *m);
int resolver_poll(struct daemon *d, struct policy_obj *p, bool wait);
int hosts_fill_maps(struct daemon *d, struct policy_obj *p);
const char *hosts_name(struct daemon *d, __u32 idx);
void hosts_learn(struct daemon *d, struct policy_obj *p, const __u8 *payload, size_t len);

/* procs.c: process, cgroup and user predicate maps */
int procs_fill(struct daemon *d, struct policy_obj *p);
int cgroups_fill(struct daemon *d, struct policy_obj *p);
int cgroup_update(struct daemon *d, struct policy_obj *p, __u64 id, const char *path);
int users_fill(struct daemon *d, struct policy_obj *p);


/* audit.c: kernel records -> audit lines */
struct proc_view {
	unsigned tgid, pid, uid, gid;
	char comm[ASPEN_COMM_LEN + 1];
	char exe[512];
	char user[64], cgroup[512], cid[80];
	bool has_user, has_cgroup, has_cid;
};
void proc_view_of(struct daemon *d, const struct aspen_conn *c, const char *exe,
		  struct proc_view *v);
const struct aspen_meta_rule *rule_at(const struct aspen_meta *m, unsigned idx);
void audit_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e);
void audit_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e);
void audit_response(struct daemon *d, struct policy_obj *p,
		    const struct aspen_response_event *e);
void audit_mismatch(struct daemon *d, struct policy_obj *p,
		    const struct aspen_mismatch_event *e);
void audit_lost(struct daemon *d, struct policy_obj *p, __u64 count);
void audit_policy_load(struct daemon *d, struct policy_obj *p, const char *what);
void audit_error(struct daemon *d, const char *msg);
void audit_emit(struct daemon *d, struct rt_audit_ev *ev);

/* events.c: ring buffer dispatch */
int events_open(struct daemon *d, struct policy_obj *p);
void events_check_lost(struct daemon *d, struct policy_obj *p);
void events_flush(struct daemon *d, struct policy_obj *p);

/* verifier.c: name the policy rule behind a verifier error */
void verifier_explain(const char *path, const struct aspen_meta *m, char *err, size_t errlen);

/* tls_lib.c: the TLS libraries a process maps */
#define TLS_LIB_OPENSSL 1
#define TLS_LIB_GNUTLS 2
struct tls_lib {
	char path[PATH_MAX + 32]; /* /proc/PID/root/<path> */
	int prefix;               /* bytes of the /proc/PID/root prefix */
	int kinds;
};
int tls_lib_kinds(const char *path);
int tls_libs_of(pid_t pid, struct tls_lib *out, int max);
int tls_openssl_write_point(const char *path, __u64 *file_off);

/* hook_uprobe.c: per-process TLS probes, attached lazily */
void tls_on_hold(struct daemon *d, struct policy_obj *p, __u32 tgid, __u32 tid);
void tls_check_exits(struct daemon *d, struct policy_obj *p);
void tls_detach_all(struct daemon *d);
void tls_resume_orphans(struct daemon *d);
void tls_reattach(struct daemon *d, struct policy_obj *p);

/* reaper.c: destroy links off the event loop (uprobe detach is slow) */
void reaper_put(struct bpf_link *link);
void reaper_drain(void);

/* redact.c: masking matches in a stopped writer's buffer */
int redact_prepare(struct policy_obj *p);
void redact_release(struct policy_obj *p);
void redact_on_hold(struct daemon *d, struct policy_obj *p, const struct aspen_redact_event *e);
void redact_add_counts(struct policy_obj *p, struct rt_audit_ev *ev, __u32 tgid, __u64 session);

/* record.c: aspend --record FILE (traces for `aspenc test`) */
int record_open(struct daemon *d, struct policy_obj *p);
void record_close(struct daemon *d);
void record_connect(struct daemon *d, struct policy_obj *p, const struct aspen_connect_event *e,
		    const struct proc_view *v);
void record_request(struct daemon *d, struct policy_obj *p, const struct aspen_request_event *e,
		    const struct proc_view *v);
void record_response(struct daemon *d, struct policy_obj *p,
		     const struct aspen_response_event *e, const struct proc_view *v);

/* probe.c: what this kernel allows */
void probe_print(void);

void logf_(const char *lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) logf_("info", __VA_ARGS__)
#define log_warn(...) logf_("warning", __VA_ARGS__)
#define log_err(...) logf_("error", __VA_ARGS__)

#endif
