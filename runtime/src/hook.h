/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kinds: how a program of a policy object is attached, chosen by its
 * ELF section. Each kind is a small set of operations in its own file
 * (hook_*.c), which owns both its attach and its detach; hooks.c finds the
 * kind of each program and keeps what was attached for a policy object.
 */
#ifndef ASPEND_HOOK_H
#define ASPEND_HOOK_H

#include <stdbool.h>

struct bpf_link;
struct bpf_program;
struct daemon;
struct policy_obj;
struct hook_kind;

/* What a kind attached for one program. */
struct hook_att {
	const struct hook_kind *kind;
	const char *sec;	/* the program's ELF section */
	struct bpf_link *link;	/* kinds attached through a bpf_link */
	int prog_fd, target_fd; /* kinds attached with BPF_PROG_ATTACH (sk_msg) */
};

/* When a kind's programs are attached. */
enum hook_phase {
	HOOK_TRACK,	  /* keep maps current (tracepoints): attached first */
	HOOK_DECIDE,	  /* decide: attached once the maps are filled */
	HOOK_PER_PROCESS, /* attached later, to one process at a time (uprobes) */
};

struct hook_kind {
	const char *sec_prefix; /* programs whose section starts with this */
	enum hook_phase phase;
	/* Attach prog, filling *a (kind and sec are set by the caller). prev
	 * is the replaced object's attachment of the same section at a
	 * reload, or NULL: a kind that can swap programs in place takes it
	 * over (moves its link into *a); on failure prev is left as it was. */
	int (*attach)(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
		      struct hook_att *prev, struct hook_att *a);
	/* Undo attach; nothing to do for an attachment taken over. */
	void (*detach)(struct hook_att *a);
};

/* the kinds, one file each */
extern const struct hook_kind hook_cgroup_sock_addr; /* hook_cgroup.c */
extern const struct hook_kind hook_cgroup_skb;	     /* hook_cgroup.c */
extern const struct hook_kind hook_sockops;	     /* hook_cgroup.c */
extern const struct hook_kind hook_tracepoint;	     /* hook_tracepoint.c */
extern const struct hook_kind hook_tp_btf;	     /* hook_tracepoint.c */
extern const struct hook_kind hook_sk_msg;	     /* hook_sk_msg.c */
extern const struct hook_kind hook_uprobe;	     /* hook_uprobe.c */
extern const struct hook_kind hook_uretprobe;	     /* hook_uprobe.c */
extern const struct hook_kind hook_syscall;	     /* hook_syscall.c */
extern const struct hook_kind hook_iter;	     /* hook_iter.c */

/* hook_iter.c: the provider connections of the scope that no hook of the
 * policy saw (open before aspend started, or before a reload to request
 * rules), decided by `uninspectable` (shut down or left) and audited.
 * existing_sweep_start() places the scope and loads the sweep's program
 * in a thread; existing_sweep_poll(), on the event loop, runs it once
 * loaded (1: done, 0: nothing to do yet, -1: failed); _cancel() waits for
 * the thread and drops it (a reload, the exit). */
int existing_sweep_start(struct daemon *d, struct policy_obj *p);
int existing_sweep_poll(struct daemon *d, struct policy_obj *p);
void existing_sweep_cancel(void);
/* Before the policy's object is loaded: leave the sweep's program out
 * (the sweep loads it when it runs). */
void existing_defer(struct policy_obj *p);

/* Operations several kinds share (hooks.c): destroy a->link; attach or
 * detach nothing (kinds that attach nothing for the object itself) */
void hook_detach_link(struct hook_att *a);
int hook_attach_nothing(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			struct hook_att *prev, struct hook_att *a);
void hook_detach_nothing(struct hook_att *a);

/* hooks.c: attach the programs of p whose kind is of phase HOOK_TRACK
 * (track) or of any other phase (!track); old is the object p replaces,
 * or NULL. Returns -1 if a program could not be attached. */
int hooks_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old, bool track);
/* Detach everything attached for p. */
void hooks_detach(struct policy_obj *p);

#endif
