/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: tracepoints (process exec/fork/exit, cgroup creation). They
 * only keep maps current, so on reload the new ones are attached before
 * the old ones go: for a moment both run, each on its own maps.
 */
#include <errno.h>
#include <string.h>

#include "aspend.h"

static int tracepoint_attach(struct daemon *d, struct policy_obj *p,
			      struct bpf_program *prog, struct bpf_link *old,
			     struct bpf_link **link)
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
	*link = bpf_program__attach_tracepoint(prog, cat, slash + 1);
	if (!*link)
		return -1;
	if (old)
		bpf_link__destroy(old);
	return 0;
}

const struct hook_kind hook_tracepoint = {
	.sec_prefix = "tracepoint/",
	.attach = tracepoint_attach,
};
