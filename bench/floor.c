/* SPDX-License-Identifier: Apache-2.0 */
/*
 * floor_bench: run a command under the hooks request-level enforcement
 * needs, with programs that decide nothing (bench/floor.bpf.c): what any
 * design built on a uprobe at the TLS library's write and sk_msg on the
 * provider connection pays on this kernel before it parses a byte.
 *
 *   floor_bench OBJ CGROUP PORT LIB -- CMD [ARG...]
 *
 * OBJ is floor.bpf.c compiled; CGROUP the cgroup v2 directory the command
 * runs in (floor_bench must already be in it: the sockops program is
 * attached there); PORT the provider port whose connections go through
 * sk_msg; LIB the OpenSSL library the command writes with, probed at the
 * point aspend probes (its internal write function, runtime/src/tls_lib.c)
 * for the command's process only, or "-" for sk_msg alone; with
 * FLOOR_ENTRY_ONLY set in the environment, the entry probe without the
 * return probe. Prints what the
 * hooks saw on stderr and exits with the command's status. Everything it
 * attaches goes with its process: nothing is pinned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tls_lib.h"

enum { HIT_SOCK, HIT_MSG, HIT_WRITE, HIT_RET, HIT_N };

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static int die(const char *what)
{
	fprintf(stderr, "floor_bench: %s: %s\n", what, strerror(errno));
	return 1;
}

/* the command, held until the parent has attached its probes */
static pid_t spawn(char **argv, int *go)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "floor_bench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

static __u64 hits_of(int fd, __u32 what)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 v[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(fd, &what, v))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += v[i];
	return sum;
}

static int probe_write(struct bpf_object *obj, const char *lib, pid_t pid, struct bpf_link **l)
{
	__u64 off;
	int written;

	if (tls_openssl_write_point(lib, &off, &written) < 0) {
		fprintf(stderr, "floor_bench: %s: OpenSSL's internal write function not found\n",
			lib);
		return -1;
	}
	l[0] = bpf_program__attach_uprobe(bpf_object__find_program_by_name(obj, "floor_write"),
					  false, pid, lib, (size_t)off);
	if (getenv("FLOOR_ENTRY_ONLY"))
		return l[0] ? 0 : -1;
	l[1] = bpf_program__attach_uprobe(bpf_object__find_program_by_name(obj, "floor_write_ret"),
					  true, pid, lib, (size_t)off);
	return l[0] && l[1] ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[3] = {0};
	struct bpf_object *obj;
	int cg, msg_fd, socks_fd, hits_fd, go, status = 0, rc = 1;
	__u32 zero = 0, port;

	if (argc < 7 || strcmp(argv[5], "--")) {
		fprintf(stderr, "usage: floor_bench OBJ CGROUP PORT LIB|- -- CMD [ARG...]\n");
		return 2;
	}
	port = (__u32)strtoul(argv[3], NULL, 10);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj))
		return die(argv[1]);
	msg_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "floor_sk_msg"));
	socks_fd = bpf_object__find_map_fd_by_name(obj, "socks");
	hits_fd = bpf_object__find_map_fd_by_name(obj, "hits");
	if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "cfg"), &zero, &port, BPF_ANY))
		return die("cfg");
	cg = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return die(argv[2]);
	links[2] =
	    bpf_program__attach_cgroup(bpf_object__find_program_by_name(obj, "floor_sockops"), cg);
	if (!links[2] || bpf_prog_attach(msg_fd, socks_fd, BPF_SK_MSG_VERDICT, 0))
		return die("attach sockops and sk_msg");
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	child = spawn(argv + 6, &go);
	if (child < 0)
		return die("fork");
	if (strcmp(argv[4], "-") && probe_write(obj, argv[4], child, links) < 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return die("attach the write probes");
	}
	if (write(go, "g", 1) != 1)
		return die("start the command");
	close(go);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	fprintf(
	    stderr,
	    "floor_bench: sockets %llu, sk_msg runs %llu, write probes %llu, return probes %llu\n",
	    (unsigned long long)hits_of(hits_fd, HIT_SOCK),
	    (unsigned long long)hits_of(hits_fd, HIT_MSG),
	    (unsigned long long)hits_of(hits_fd, HIT_WRITE),
	    (unsigned long long)hits_of(hits_fd, HIT_RET));
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	bpf_prog_detach2(msg_fd, socks_fd, BPF_SK_MSG_VERDICT);
	for (int i = 0; i < 3; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	close(cg);
	return rc;
}
