/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Feature probe, printed at start: which enforcement modes this kernel
 * allows. Each probe loads a trivial program of the type (libbpf's
 * probes) and nothing is attached.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "probe.h"

static const char *yes_no(int rc)
{
	return rc == 1 ? "yes" : "NO";
}

static int prog_ok(enum bpf_prog_type t)
{
	return libbpf_probe_bpf_prog_type(t, NULL);
}

/* Kernel lockdown (integrity) hides bpf_probe_write_user from the
 * verifier even where the helper is built in, and securityfs may not be
 * mounted to say so: load a program that calls it and see. */
static int probe_write_user(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_probe_write_user },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "aspen_probe", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

void probe_print(void)
{
	struct utsname u;
	int write_user = probe_write_user();

	uname(&u);
	log_info("kernel %s: feature probe", u.release);
	log_info("  connect/sendmsg hooks (cgroup_sock_addr): %s",
		 yes_no(prog_ok(BPF_PROG_TYPE_CGROUP_SOCK_ADDR)));
	log_info("  sockops + sk_msg (in-kernel request deny): %s / %s",
		 yes_no(prog_ok(BPF_PROG_TYPE_SOCK_OPS)), yes_no(prog_ok(BPF_PROG_TYPE_SK_MSG)));
	log_info("  tracepoints (process attribution): %s", yes_no(prog_ok(BPF_PROG_TYPE_TRACEPOINT)));
	log_info("  uprobes (TLS plaintext): %s", yes_no(prog_ok(BPF_PROG_TYPE_KPROBE)));
	log_info("  syscall programs (aspenc test): %s", yes_no(prog_ok(BPF_PROG_TYPE_SYSCALL)));
	log_info("  fentry/LSM: %s", yes_no(prog_ok(BPF_PROG_TYPE_LSM)));
	log_info("  bpf_probe_write_user: %s", write_user ? "yes" : "NO (kernel lockdown?)");
	log_info("  -> redaction (when a policy asks for it): the writer is held and aspend "
		 "rewrites its buffer%s", write_user ? "" : " (in-place writes from the kernel are "
		 "refused here)");
}
