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
#include "daemon.h"
#include "hook.h"
#include "log.h"
#include "meta.h"
#include "policy_obj.h"
#include "policy_skel.h"

struct rt_audit_ev;

/* policy.c: load an object, fill its maps, attach, swap, tear down */
struct policy_obj *policy_load(struct daemon *d, const char *path, char *err, size_t errlen);
int policy_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old);
void policy_destroy(struct policy_obj *p);
void policy_retire(struct policy_obj *p);

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

#endif
