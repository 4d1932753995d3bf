/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One policy object's life: open the .bpf.o, check its metadata, load it
 * (printing the verifier log on failure), fill its maps, attach every
 * program through the hook kind its section names, and tear it down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "aspend.h"
#include "sha256.h"

static const struct hook_kind *const hook_kinds[] = {
	&hook_cgroup_sock,
	&hook_tracepoint,
	&hook_cgroup_skb,
	&hook_sockops,
	&hook_sk_msg,
	&hook_uprobe,
	&hook_uretprobe,
	&hook_syscall,
};

static const struct hook_kind *hook_for(const char *sec)
{
	for (size_t i = 0; i < sizeof(hook_kinds) / sizeof(hook_kinds[0]); i++) {
		const char *pre = hook_kinds[i]->sec_prefix;

		if (!strncmp(sec, pre, strlen(pre)))
			return hook_kinds[i];
	}
	return NULL;
}

static int set_config(struct daemon *d, struct policy_obj *p)
{
	struct aspen_config cfg = { .force_monitor = d->opts.monitor || p->meta.monitor };
	/* force_monitor also covers what no rule decides (`uninspectable`,
	 * probes that could not be attached) under a `mode monitor` policy */
	__u32 k = 0;
	int fd = policy_map_fd(p->maps.config);

	if (fd < 0 || bpf_map_update_elem(fd, &k, &cfg, BPF_ANY) < 0)
		return -1;
	return 0;
}

/* On reload, the new object takes over the provider sockets the old one
 * filed (SOCKHASH and their state), so connections opened before the
 * reload stay under sk_msg enforcement: its sk_msg program replaces the old
 * one on the same SOCKHASH. Maps whose values depend on the policy
 * (predicate bits, parse state) are not shared. A map whose layout changed
 * is simply not reused (new connections only, said in the log). */
static void reuse_connection_maps(struct policy_obj *p, struct policy_obj *old)
{
	struct bpf_map *const mine[] = { p->maps.sockhash, p->maps.socks, p->maps.tid_verdict };
	const struct bpf_map *const theirs[] = { old ? old->maps.sockhash : NULL,
						 old ? old->maps.socks : NULL,
						 old ? old->maps.tid_verdict : NULL };

	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		int fd = policy_map_fd(theirs[i]);

		if (mine[i] && fd >= 0 && bpf_map__reuse_fd(mine[i], fd))
			log_warn("reload: %s not carried over: connections opened before the "
				 "reload leave request enforcement", bpf_map__name(mine[i]));
	}
}

struct policy_obj *policy_load(struct daemon *d, const char *path, char *err, size_t errlen)
{
	struct policy_obj *p = calloc(1, sizeof(*p));
	char msg[256];
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (aspen_meta_read_elf(path, &p->meta, err, errlen) < 0)
		goto fail;
	if (p->meta.abi != ASPEN_ABI_VERSION) {
		snprintf(err, errlen, "%s was built for ABI %d, this aspend speaks %d: rebuild it "
			 "with the matching aspenc", path, p->meta.abi, ASPEN_ABI_VERSION);
		goto fail;
	}
	if (redact_prepare(p) < 0) {
		snprintf(err, errlen, "%s: a pattern to mask does not compile for aspend", path);
		goto fail;
	}
	if (aspen_sha256_file_hex(path, p->sha256_obj) < 0)
		p->sha256_obj[0] = 0;
	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (policy_skel_open(p->obj, &p->maps, &p->progs, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s: rebuild it with the matching aspenc", path, msg);
		goto fail;
	}
	reuse_connection_maps(p, d->cur);
	rc = bpf_object__load(p->obj);
	if (rc) {
		snprintf(err, errlen, "the kernel refused policy '%s' from %s: %s (run with -v for "
			 "the verifier log)", p->meta.policy, path, strerror(-rc));
		verifier_explain(path, &p->meta, err, errlen);
		goto fail;
	}
	if (set_config(d, p) < 0 || policy_fill_maps(d, p) < 0) {
		snprintf(err, errlen, "cannot fill the maps of %s", path);
		goto fail;
	}
	if (events_open(d, p) < 0) {
		snprintf(err, errlen, "cannot open the ring buffer of %s", path);
		goto fail;
	}
	return p;
fail:
	policy_destroy(p);
	return NULL;
}

int policy_fill_maps(struct daemon *d, struct policy_obj *p)
{
	if (hosts_collect(d, &p->meta) < 0 || hosts_fill_maps(d, p) < 0)
		return -1;
	/* procs_fill runs in policy_attach, once the exec hook is in place */
	if (users_fill(d, p) < 0 || cgroups_fill(d, p) < 0)
		return -1;
	return 0;
}

/* The old object's link for the same section, if any: cgroup links are
 * swapped to the new program atomically instead of detach + attach. */
static int old_link_slot(struct policy_obj *old, const char *sec)
{
	if (!old)
		return -1;
	for (int i = 0; i < old->nlinks; i++)
		if (old->links[i] && !strcmp(old->link_sec[i], sec))
			return i;
	return -1;
}

static int attach_pass(struct daemon *d, struct policy_obj *p, struct policy_obj *old,
		       bool tracepoints)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->obj) {
		const char *sec = bpf_program__section_name(prog);
		const struct hook_kind *hk = hook_for(sec);

		if ((hk == &hook_tracepoint) != tracepoints)
			continue;
		struct bpf_link *link = NULL, *prev = NULL;
		int slot = old_link_slot(old, sec);

		if (!hk) {
			log_warn("program %s: no hook kind for section %s, not attached",
				 bpf_program__name(prog), sec);
			continue;
		}
		if (p->nlinks == ASPEND_MAX_LINKS)
			return -1;
		if (slot >= 0) {
			prev = old->links[slot];
			old->links[slot] = NULL;
		}
		if (hk->attach(d, p, prog, prev, &link) < 0) {
			if (prev) /* give it back: the old policy stays whole */
				old->links[slot] = prev;
			log_err("cannot attach %s (%s): %s", bpf_program__name(prog), sec,
				strerror(errno));
			return -1;
		}
		p->link_sec[p->nlinks] = sec;
		p->links[p->nlinks++] = link;
		if (hk == &hook_syscall)
			continue; /* for `aspenc test` only */
		if (hk->lazy)
			log_info("%s at %s: attached per process, at its first provider connection",
				 bpf_program__name(prog), sec);
		else
			log_info("attached %s at %s%s", bpf_program__name(prog), sec,
				 prev ? " (swapped atomically)" : "");
	}
	return 0;
}

/* Process tracking first, then the processes that already run (so none
 * falls between the two), then the hooks that decide. */
int policy_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old)
{
	if (attach_pass(d, p, old, true) < 0)
		return -1;
	if (procs_fill(d, p) < 0)
		log_warn("cannot read /proc: processes started before aspend have no process.exe");
	return attach_pass(d, p, old, false);
}

/* The old object's probes stand down before the new one's are attached
 * (aspen_retired() in the templates): two policies never decide the same
 * write while the old probes wait for the reaper. */
void policy_retire(struct policy_obj *p)
{
	struct aspen_config cfg;
	__u32 k = 0;
	int fd = policy_map_fd(p->maps.config);

	if (fd < 0 || bpf_map_lookup_elem(fd, &k, &cfg) < 0)
		return;
	cfg.retired = 1;
	bpf_map_update_elem(fd, &k, &cfg, BPF_ANY);
}

void policy_destroy(struct policy_obj *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nlinks; i++)
		if (p->links[i])
			bpf_link__destroy(p->links[i]);
	if (p->skmsg_map_fd > 0)
		bpf_prog_detach2(p->skmsg_prog_fd, p->skmsg_map_fd, BPF_SK_MSG_VERDICT);
	ring_buffer__free(p->rb);
	redact_release(p);
	free(p->rb_ctx);
	bpf_object__close(p->obj);
	aspen_meta_free(&p->meta);
	free(p);
}
