/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hook kind: iterators (SEC("iter/...")), attached to nothing: aspend runs
 * them when it needs to. One today: the sweep of the provider connections
 * that were open before aspend started (bpf-templates/aspen_existing.bpf.h,
 * docs/operators.md "Connections open before aspend"). The program reads
 * the kernel's TCP sockets and decides; aspend finds each connection's
 * process, shuts the connection down when `uninspectable deny` decided
 * (pidfd_getfd + shutdown: the client's next write fails and it connects
 * again, under every hook) and writes its audit line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon.h"
#include "events.h"
#include "hook.h"
#include "log.h"
#include "policy_obj.h"
#include "rt_cgroup.h"

const struct hook_kind hook_iter = {
    .sec_prefix = "iter/",
    .phase = HOOK_DECIDE,
    .attach = hook_attach_nothing,
    .detach = hook_detach_nothing,
};

#define EXISTING_MAX 4096 /* connections one sweep reports at most */

struct existing {
	struct aspen_existing_rec rec;
	pid_t pid; /* a process holding the socket, 0: none found */
	int fd;	   /* its descriptor there */
};

/* Where the scope is in the cgroup v2 tree: its id and its depth. */
static int scope_of(const struct daemon *d, struct aspen_scope *sc)
{
	const char *rel = d->cgroup_path + strlen(d->cg2_mount);
	uint64_t id;

	memset(sc, 0, sizeof(*sc));
	if (strncmp(d->cgroup_path, d->cg2_mount, strlen(d->cg2_mount)) ||
	    rt_cgroup_id(d->cgroup_path, &id) < 0)
		return -1;
	sc->cgroup_id = id;
	for (const char *s = rel; *s; s++)
		if (*s == '/' && s[1] && s[1] != '/')
			sc->level++;
	return 0;
}

/* The records the iterator writes, into x[] (at most max). */
static int run_iter(struct bpf_program *prog, struct existing *x, int max)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	int fd, n = 0;

	if (!link)
		return -1;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		bpf_link__destroy(link);
		return -1;
	}
	while (n < max) {
		ssize_t got = read(fd, &x[n].rec, sizeof(x[n].rec));

		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(x[n].rec))
			break;
		n++;
	}
	close(fd);
	bpf_link__destroy(link);
	return n;
}

/* One descriptor of /proc/PID/fd: is it the socket of one of x[]? */
static void match_fd(struct existing *x, int n, pid_t pid, const char *dir, const char *name)
{
	char path[600], link[64];
	unsigned long long ino;
	ssize_t k;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	k = readlink(path, link, sizeof(link) - 1);
	if (k <= 0)
		return;
	link[k] = 0;
	if (sscanf(link, "socket:[%llu]", &ino) != 1)
		return;
	for (int i = 0; i < n; i++)
		if (!x[i].pid && x[i].rec.ino == ino) {
			x[i].pid = pid;
			x[i].fd = atoi(name);
		}
}

/* The processes that hold the sockets (the first found of each). */
static void find_owners(struct existing *x, int n)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	while (proc && (p = readdir(proc))) {
		char dir[300];
		pid_t pid = (pid_t)atoi(p->d_name);
		DIR *fds;
		struct dirent *f;

		if (pid <= 0)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
		fds = opendir(dir);
		while (fds && (f = readdir(fds)))
			if (f->d_name[0] != '.')
				match_fd(x, n, pid, dir, f->d_name);
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* The connection's sending and receiving sides shut, through a copy of
 * its owner's descriptor. 0, or -1 (errno). */
static int shut_down(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), sfd, rc;

	if (pidfd < 0)
		return -1;
	sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (sfd < 0)
		return -1;
	rc = shutdown(sfd, SHUT_RDWR);
	close(sfd);
	return rc;
}

/* uid and gid of a process, from /proc */
static void ids_of(pid_t pid, struct aspen_mismatch_event *e)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Uid:", 4))
			e->uid = (__u32)strtoul(line + 4, NULL, 10);
		else if (!strncmp(line, "Gid:", 4))
			e->gid = (__u32)strtoul(line + 4, NULL, 10);
	}
	if (f)
		fclose(f);
}

/* One provider connection the sweep found: decided, audited. */
static void settle(struct daemon *d, struct policy_obj *p, struct existing *x)
{
	struct aspen_mismatch_event *e = &x->rec.ev;

	e->tgid = e->pid = (__u32)x->pid;
	if (x->pid)
		ids_of(x->pid, e);
	e->dropped = 0;
	if (x->rec.deny) {
		if (x->pid && shut_down(x->pid, x->fd) == 0)
			e->dropped = 1;
		else
			log_warn(
			    "a provider connection open before the policy's hooks (pid %d) could "
			    "not be shut down: %s",
			    x->pid, x->pid ? strerror(errno) : "no process holds it");
	}
	events_mismatch(d, p, e);
}

void existing_defer(struct policy_obj *p)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, ASPEN_PROG_EXISTING);

	if (prog)
		bpf_program__set_autoload(prog, false);
}

/* The sweep's program is loaded from another instance of the policy's
 * object, in a thread, and run on the event loop once loaded: an
 * iterator's attach target is looked up in the kernel's full BTF, which
 * the way to enforcing never reads when --btf-cache has the object's (the
 * CO-RE reads still use the small one), and parsing it and the object
 * takes 60-190 ms the event loop must not wait (holds would). */
struct sweep_map {
	char name[64];
	int fd; /* a copy of the policy's map's, -1: one it did not make */
};

static struct {
	bool running;
	atomic_bool done;
	pthread_t thread;
	char path[4096], btf_path[4096];
	struct sweep_map *maps;
	int nmaps;
	struct bpf_object *obj; /* loaded, or NULL */
	int err;
	struct timespec t0;
} S;

static void free_maps(void)
{
	for (int i = 0; i < S.nmaps; i++)
		if (S.maps[i].fd >= 0)
			close(S.maps[i].fd);
	free(S.maps);
	S.maps = NULL;
	S.nmaps = 0;
}

/* The policy's maps by name, their descriptors copied: the policy object
 * may be replaced (a reload) while the thread loads. */
static int collect_maps(struct policy_obj *p)
{
	struct bpf_map *m;
	int n = 0;

	bpf_object__for_each_map(m, p->obj)
	{
		n++;
	}
	S.maps = calloc((size_t)n + 1, sizeof(*S.maps));
	if (!S.maps)
		return -1;
	bpf_object__for_each_map(m, p->obj)
	{
		struct sweep_map *sm = &S.maps[S.nmaps++];

		snprintf(sm->name, sizeof(sm->name), "%s", bpf_map__name(m));
		sm->fd = bpf_map__fd(m) >= 0 ? fcntl(bpf_map__fd(m), F_DUPFD_CLOEXEC, 3) : -1;
	}
	return 0;
}

static int map_fd(const char *name)
{
	for (int i = 0; i < S.nmaps; i++)
		if (!strcmp(S.maps[i].name, name))
			return S.maps[i].fd;
	return -1;
}

/* The thread: the object with the sweep's program only, every map the
 * policy's (those it did not make, which the program does not use, left
 * uncreated). */
static void *load_sweep(void *arg)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = S.btf_path[0] ? S.btf_path : NULL);
	struct bpf_object *obj = bpf_object__open_file(S.path, &opts);
	struct bpf_program *prog;
	struct bpf_map *m;

	(void)arg;
	if (!obj) {
		S.err = errno;
		goto out;
	}
	bpf_object__for_each_program(prog, obj)
	{
		bpf_program__set_autoload(prog,
					  !strcmp(bpf_program__name(prog), ASPEN_PROG_EXISTING));
	}
	bpf_object__for_each_map(m, obj)
	{
		int fd = map_fd(bpf_map__name(m));

		if ((fd >= 0 && bpf_map__reuse_fd(m, fd)) ||
		    (fd < 0 && bpf_map__set_autocreate(m, false))) {
			S.err = errno ? errno : EINVAL;
			bpf_object__close(obj);
			goto out;
		}
	}
	S.err = -bpf_object__load(obj);
	if (S.err)
		bpf_object__close(obj);
	else
		S.obj = obj;
out:
	atomic_store(&S.done, true);
	return NULL;
}

int existing_sweep_start(struct daemon *d, struct policy_obj *p)
{
	struct bpf_map *m = bpf_object__find_map_by_name(p->obj, ASPEN_MAP_SCOPE);
	struct aspen_scope sc;
	__u32 k = 0;

	if (S.running || !bpf_object__find_program_by_name(p->obj, ASPEN_PROG_EXISTING) || !m ||
	    bpf_map__fd(m) < 0)
		return 0; /* one under way, or an object built before the sweep */
	if (scope_of(d, &sc) < 0 || bpf_map_update_elem(bpf_map__fd(m), &k, &sc, BPF_ANY) < 0) {
		log_warn("connections open before the policy's hooks: cannot place the scope %s",
			 d->cgroup_path);
		return -1;
	}
	snprintf(S.path, sizeof(S.path), "%s", d->opts.obj_path);
	snprintf(S.btf_path, sizeof(S.btf_path), "%s", p->btf_path);
	S.obj = NULL;
	S.err = 0;
	atomic_store(&S.done, false);
	clock_gettime(CLOCK_MONOTONIC, &S.t0);
	if (collect_maps(p) < 0 || pthread_create(&S.thread, NULL, load_sweep, NULL)) {
		free_maps();
		log_warn("connections open before the policy's hooks: cannot start the sweep");
		return -1;
	}
	S.running = true;
	return 0;
}

static void join_sweep(void)
{
	pthread_join(S.thread, NULL);
	S.running = false;
	free_maps();
}

void existing_sweep_cancel(void)
{
	if (!S.running)
		return;
	join_sweep();
	bpf_object__close(S.obj);
	S.obj = NULL;
}

int existing_sweep_poll(struct daemon *d, struct policy_obj *p)
{
	struct timespec t1;
	struct existing *x;
	int n, other = 0, shut = 0, kept = 0;
	double ms;

	if (!S.running || !atomic_load(&S.done))
		return 0;
	join_sweep();
	if (!S.obj) {
		log_warn("connections open before the policy's hooks: the sweep's program did not "
			 "load (%s): they are not looked for",
			 strerror(S.err));
		return -1;
	}
	x = calloc(EXISTING_MAX, sizeof(*x));
	n = x ? run_iter(bpf_object__find_program_by_name(S.obj, ASPEN_PROG_EXISTING), x,
			 EXISTING_MAX)
	      : -1;
	bpf_object__close(S.obj);
	S.obj = NULL;
	if (n < 0)
		log_warn("connections open before the policy's hooks: the sweep failed: %s",
			 strerror(errno));
	if (n > 0)
		find_owners(x, n);
	for (int i = 0; i < n; i++) {
		if (x[i].rec.other_port) {
			other++;
			continue;
		}
		settle(d, p, &x[i]);
		shut += x[i].rec.ev.dropped;
		kept += !x[i].rec.ev.dropped;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - S.t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - S.t0.tv_nsec) / 1e6;
	if (n == 0)
		log_info("connections open before the policy's hooks: none (swept in %.1f ms, "
			 "loaded off the event loop)",
			 ms);
	else if (n > 0)
		log_info(
		    "connections open before the policy's hooks: %d to providers (%d shut down, "
		    "%d left: `uninspectable`), %d to other addresses on providers' ports "
		    "(left: their TLS server name went out before aspend); swept in %.1f ms, "
		    "loaded off the event loop",
		    shut + kept, shut, kept, other, ms);
	free(x);
	return 1;
}
