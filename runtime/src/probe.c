/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Feature probe, printed at start: which enforcement modes this kernel
 * allows. Each probe loads a trivial program of the type (libbpf's
 * probes) and nothing is attached.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "aspend.h"

static const char *yes_no(int rc)
{
	return rc == 1 ? "yes" : "NO";
}

static int prog_ok(enum bpf_prog_type t)
{
	return libbpf_probe_bpf_prog_type(t, NULL);
}

/* Lockdown forbids bpf_probe_write_user; libbpf's helper probe cannot see
 * that (the helper exists, the load fails), so read the lockdown state. */
static const char *lockdown_state(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");
	char *open, *close;

	if (!f)
		return NULL;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!open || !close)
		return NULL;
	*close = 0;
	return open + 1;
}

void probe_print(void)
{
	struct utsname u;
	char lb[128];
	const char *lock;
	int write_user;

	uname(&u);
	lock = lockdown_state(lb, sizeof(lb));
	write_user = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
					     BPF_FUNC_probe_write_user, NULL) == 1 &&
		     (!lock || !strcmp(lock, "none"));
	log_info("kernel %s: feature probe", u.release);
	log_info("  connect/sendmsg hooks (cgroup_sock_addr): %s",
		 yes_no(prog_ok(BPF_PROG_TYPE_CGROUP_SOCK_ADDR)));
	log_info("  sockops + sk_msg (in-kernel request deny): %s / %s",
		 yes_no(prog_ok(BPF_PROG_TYPE_SOCK_OPS)), yes_no(prog_ok(BPF_PROG_TYPE_SK_MSG)));
	log_info("  tracepoints (process attribution): %s", yes_no(prog_ok(BPF_PROG_TYPE_TRACEPOINT)));
	log_info("  uprobes (TLS plaintext): %s", yes_no(prog_ok(BPF_PROG_TYPE_KPROBE)));
	log_info("  syscall programs (aspenc test): %s", yes_no(prog_ok(BPF_PROG_TYPE_SYSCALL)));
	log_info("  fentry/LSM: %s", yes_no(prog_ok(BPF_PROG_TYPE_LSM)));
	log_info("  bpf_probe_write_user: %s%s%s", write_user ? "yes" : "NO",
		 lock ? ", lockdown=" : "", lock ? lock : "");
	if (!write_user)
		log_info("  -> redaction (when a policy asks for it) uses hold-and-rewrite, "
			 "not in-place writes");
}
