/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kinds: tracepoints (process exec/fork/exit, cgroup creation) and
 * BTF tracepoints (signal_generate: a SIGCONT that would resume a writer
 * held for redaction). They only keep maps current, so they are attached
 * first, and on reload the new ones are attached before the old ones go:
 * for a moment both run, each on its own maps (the held writers' map is
 * shared: both mark the same record). Detach destroys the link.
 */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "hook.h"

static int tracepoint_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			     struct hook_att *prev, struct hook_att *a)
{
	/* section "tracepoint/<category>/<name>" */
	const char *sec = bpf_program__section_name(prog) + strlen("tracepoint/");
	char cat[64];
	const char *slash = strchr(sec, '/');

	if (!slash || (size_t)(slash - sec) >= sizeof(cat)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(cat, sec, slash - sec);
	cat[slash - sec] = 0;
	a->link = bpf_program__attach_tracepoint(prog, cat, slash + 1);
	if (!a->link)
		return -1;
	if (prev)
		hook_detach_link(prev);
	return 0;
}

/* section "tp_btf/<name>": libbpf finds the tracepoint in the kernel's BTF */
static int tp_btf_attach(struct daemon *d, struct policy_obj *p, struct bpf_program *prog,
			 struct hook_att *prev, struct hook_att *a)
{
	a->link = bpf_program__attach_trace(prog);
	if (!a->link)
		return -1;
	if (prev)
		hook_detach_link(prev);
	return 0;
}

const struct hook_kind hook_tp_btf = {
    .sec_prefix = "tp_btf/",
    .phase = HOOK_TRACK,
    .attach = tp_btf_attach,
    .detach = hook_detach_link,
};

const struct hook_kind hook_tracepoint = {
    .sec_prefix = "tracepoint/",
    .phase = HOOK_TRACK,
    .attach = tracepoint_attach,
    .detach = hook_detach_link,
};
