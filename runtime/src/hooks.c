/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hook kinds aspend knows, and attaching a policy object's programs
 * through them: each program goes to the kind its ELF section names.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook.h"
#include "log.h"
#include "policy_obj.h"

static const struct hook_kind *const kinds[] = {
    &hook_cgroup_sock_addr, &hook_tracepoint, &hook_tp_btf,    &hook_cgroup_skb, &hook_sockops,
    &hook_sk_msg,	    &hook_uprobe,     &hook_uretprobe, &hook_syscall,	 &hook_iter,
};

static const struct hook_kind *kind_of(const char *sec)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *pre = kinds[i]->sec_prefix;

		if (!strncmp(sec, pre, strlen(pre)))
			return kinds[i];
	}
	return NULL;
}

/* The old object's attachment of the same section, if any: a kind may
 * swap it to the new program instead of detach + attach. */
static struct hook_att *old_att(struct policy_obj *old, const char *sec)
{
	if (!old)
		return NULL;
	for (int i = 0; i < old->natt; i++)
		if (old->att[i].link && !strcmp(old->att[i].sec, sec))
			return &old->att[i];
	return NULL;
}

/* Instructions the verifier walked for prog (kernel 5.16+; 0 if unknown):
 * the budget a policy uses of the verifier's 1M limit. */
static unsigned verified_insns(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_program__fd(prog) < 0 || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.verified_insns;
}

static void log_attached(const struct hook_att *a, struct bpf_program *prog, bool swapped)
{
	unsigned insns = verified_insns(prog);

	if (a->kind->phase == HOOK_PER_PROCESS && bpf_program__fd(prog) < 0)
		log_info("%s at %s: attached per process, at its first provider connection "
			 "(loaded once enforcing)",
			 bpf_program__name(prog), a->sec);
	else if (a->kind == &hook_iter)
		log_info("%s at %s: loaded and run when needed", bpf_program__name(prog), a->sec);
	else if (a->kind->phase == HOOK_PER_PROCESS)
		log_info("%s at %s: attached per process, at its first provider connection "
			 "(%u insns verified)",
			 bpf_program__name(prog), a->sec, insns);
	else
		log_info("attached %s at %s%s (%u insns verified)", bpf_program__name(prog), a->sec,
			 swapped ? " (swapped atomically)" : "", insns);
}

void hook_detach_link(struct hook_att *a)
{
	bpf_link__destroy(a->link);
	a->link = NULL;
}

int hook_attach_nothing(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			struct hook_att *prev, struct hook_att *a)
{
	return 0;
}

void hook_detach_nothing(struct hook_att *a)
{
}

int hooks_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old, bool track)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		const struct hook_kind *hk = kind_of(sec);
		struct hook_att *prev = old_att(old, sec), *a;
		bool swapped = prev != NULL;

		if ((hk && hk->phase == HOOK_TRACK) != track)
			continue;
		if (!hk) {
			log_warn("program %s: no hook kind for section %s, not attached",
				 bpf_program__name(prog), sec);
			continue;
		}
		if (p->natt == ASPEND_MAX_LINKS)
			return -1;
		a = &p->att[p->natt];
		*a = (struct hook_att){.kind = hk, .sec = sec, .prog_fd = -1, .target_fd = -1};
		if (hk->attach(d, p, prog, prev, a) < 0) {
			log_err("cannot attach %s (%s): %s", bpf_program__name(prog), sec,
				strerror(errno));
			return -1;
		}
		p->natt++;
		log_attached(a, prog, swapped);
	}
	return 0;
}

void hooks_detach(struct policy_obj *p)
{
	for (int i = 0; i < p->natt; i++)
		p->att[i].kind->detach(&p->att[i]);
	p->natt = 0;
}
