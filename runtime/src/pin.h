/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy in force, pinned under bpffs so that it outlives aspend: one
 * directory per cgroup scope, /sys/fs/bpf/aspen/<scope>/, holding
 *
 *   state             a one-entry array (struct pin_state): who, what, since when
 *   link:<section>    every bpf_link of the object ('/' written ':')
 *   map:<name>        every aspen_* map (the SOCKHASH keeps sk_msg attached)
 *   tls:<tgid>:<k>    the TLS probe links of each probed process
 *
 * A kernel program stays attached as long as its pinned link exists: when
 * aspend dies the policy keeps deciding. A new aspend adopts the directory
 * (pin_adopt), `aspend --unload SCOPE` removes it (pin_unload), and
 * `aspend --status` describes it (pin_status).
 */
#ifndef ASPEND_PIN_H
#define ASPEND_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/types.h>

struct bpf_link;
struct daemon;
struct policy_obj;

#define PIN_ROOT "/sys/fs/bpf/aspen"
#define PIN_STATE_VERSION 1

/* The value of <dir>/state. Layout versioned: a field is only ever added
 * at the end (version bumps). */
struct pin_state {
	__u32 version;	     /* PIN_STATE_VERSION */
	__u32 abi;	     /* ASPEN_ABI_VERSION of the pinned object */
	__u32 pid;	     /* the aspend owning the scope (it may be dead) */
	__u32 adoptions;     /* how many aspends took it over */
	__u64 since;	     /* CLOCK_REALTIME s: this policy in force since */
	__u64 owner_since;   /* CLOCK_REALTIME s: pid owns it since */
	__u64 lost_reported; /* ring records lost, already in the audit trail */
	char policy_sha256[65];
	char policy[63];
	char cgroup[256];
	char object[256];
	char monitor;
	char _pad[7];
};

/* The scope name of a cgroup (path below the cgroup2 mount, '/' -> '+';
 * "host" for the mount itself). */
void pin_scope_of(const char *cg2_mount, const char *cgroup_path, char *scope, size_t n);

/* Ready d->pin_dir for d's scope (empty string: no bpffs, nothing pinned,
 * enforcement ends with the daemon; said in the log). Reads a previous
 * aspend's state into *prev: 1 found (prev filled), 0 none, -1 error. */
int pin_prepare(struct daemon *d, struct pin_state *prev);

/* Whether pid is a live aspend (not us). */
bool pin_owner_alive(__u32 pid);

/* Pin p's links and maps (replacing the pins of the object it replaced,
 * removing pins it no longer has) and write the state. 0 or -1. */
int pin_policy(struct daemon *d, struct policy_obj *p, const char *why);
/* Pin the maps p's TLS probes' instance made, once it is loaded (they were
 * not there for pin_policy: policy_late_defer) */
void pin_late_maps(struct daemon *d, struct policy_obj *p);
/* Update the state's lost_reported. */
void pin_set_lost(struct daemon *d, __u64 lost);

/* Pin a process's probe links (replacing its previous pins); drop them. */
void pin_tls(struct daemon *d, pid_t tgid, struct bpf_link **links, int n);
void pin_tls_drop(struct daemon *d, pid_t tgid);
/* Call fn for every pinned probe link (opened; fn owns it). */
void pin_each_tls(struct daemon *d, void (*fn)(pid_t tgid, struct bpf_link *l, void *ctx),
		  void *ctx);

/* A pinned aspen_* map of the previous owner, or -1 (caller closes). */
int pin_map_fd(struct daemon *d, const char *name);

/* Fill old (zeroed) with the pinned links as attachments, so that
 * policy_attach swaps them (see hooks.c); free with pin_adopt_free. */
int pin_adopt_links(struct daemon *d, struct policy_obj *old);
void pin_adopt_free(struct policy_obj *old);

/* Remove every pin of the directory (links detached); report each on out
 * (NULL: silent). Returns the number removed, -1 if dir is unreadable. */
int pin_remove_dir(const char *dir, FILE *out);

/* CLI: aspend --unload SCOPE|CGROUP_DIR [--force]; aspend --status */
int pin_unload_cli(const char *what, bool force);
int pin_status_cli(void);

#endif
