/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a policy object's per-process programs late (policy_late.h):
 * the second instance of the object reuses every map of the first (their
 * fds: the programs of both see the same maps, .rodata included), has only
 * the per-process programs marked for loading, and is opened and loaded
 * by one thread that touches nothing else (the maps' fds are dup'ed for it
 * before it starts).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "policy_late.h"
#include "policy_obj.h"
#include "policy_skel.h"

struct shared_map {
	char name[BPF_OBJ_NAME_LEN + 32];
	int fd;		      /* -1: a map made here (late_maps) */
	unsigned max_entries; /* as the first instance sized it (--max-connections) */
};

struct policy_late {
	struct bpf_object *obj;
	pthread_t thread;
	atomic_int done; /* the thread finished: rc is set */
	int rc;		 /* bpf_object__load's, or -errno of the open */
	bool joined, ok;
	char path[4096];
	char err[4608]; /* what the thread could not do before loading */
	unsigned long insns;
	struct shared_map *maps; /* the first instance's, named and dup'ed */
	int nmaps;
	char btf_path[4096]; /* the kernel types CO-RE relocates against (btf_cache.h) */
};

static bool per_process(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9);
}

/* Maps only the per-process programs use (bpftool prog show's map_ids of
 * a request-rule policy): made by the second instance, off the path to
 * enforcing (issue 14: HTTP/2 streams are 11 MB the kernel preallocates,
 * ~23 ms of CPU; the read probes' arguments, 65,536 hash buckets, ~2 ms).
 * A start-up program that names one fails to load (libbpf
 * leaves it uncreated): then the list is wrong, and every test says so. */
static const char *const late_maps[] = {"aspen_h2streams", "aspen_go_reads", "aspen_read_args",
					 "aspen_write_undo"};

static bool late_only(const char *name)
{
	for (size_t i = 0; i < sizeof(late_maps) / sizeof(late_maps[0]); i++)
		if (!strcmp(name, late_maps[i]))
			return true;
	return false;
}

int policy_late_defer(struct policy_obj *p)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	int n = 0;

	bpf_object__for_each_program(prog, p->obj)
	{
		if (per_process(prog)) {
			bpf_program__set_autoload(prog, false);
			n++;
		}
	}
	bpf_object__for_each_map(m, p->obj)
	{
		/* one carried over (an adoption of the same policy) stays shared */
		if (n && late_only(bpf_map__name(m)) && bpf_map__fd(m) < 0)
			bpf_map__set_autocreate(m, false);
	}
	return n;
}

static int share_maps(struct policy_late *l)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, l->obj)
	{
		int fd = -1;
		unsigned max = 0;

		for (int i = 0; i < l->nmaps && fd < 0; i++)
			if (!strcmp(l->maps[i].name, bpf_map__name(m))) {
				fd = l->maps[i].fd;
				max = l->maps[i].max_entries;
			}
		if (fd < 0 && late_only(bpf_map__name(m))) {
			if (max) /* made here (policy_late_defer), sized as the first */
				bpf_map__set_max_entries(m, max);
			continue;
		}
		if (fd < 0 || bpf_map__reuse_fd(m, fd)) {
			snprintf(l->err, sizeof(l->err),
				 "map %s cannot be shared with the TLS probes", bpf_map__name(m));
			return -1;
		}
	}
	return 0;
}

static int open_and_load(struct policy_late *l, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct bpf_program *prog;

	bpf_object__close(l->obj);
	l->obj = bpf_object__open_file(l->path, &opts);
	if (!l->obj) {
		snprintf(l->err, sizeof(l->err), "cannot open %s again for its TLS probes: %s",
			 l->path, strerror(errno));
		return -errno;
	}
	bpf_object__for_each_program(prog, l->obj)
	{
		bpf_program__set_autoload(prog, per_process(prog));
	}
	return share_maps(l) < 0 ? -EINVAL : bpf_object__load(l->obj);
}

/* The thread: open the object again (parsing it takes tens of ms for a
 * request-rule policy: off the path to enforcing), keep only the
 * per-process programs, share every map, load; once more against the
 * kernel's full BTF if the cached small one was used and that failed. */
static void *load(void *arg)
{
	struct policy_late *l = arg;

	l->rc = open_and_load(l, l->btf_path[0] ? l->btf_path : NULL);
	if (l->rc && !l->err[0] && l->btf_path[0]) {
		log_warn("TLS probes: the load against the cached %s failed (%s): retrying "
			 "against the kernel's full BTF",
			 l->btf_path, strerror(-l->rc));
		unlink(l->btf_path);
		l->rc = open_and_load(l, NULL);
	}
	atomic_store(&l->done, 1);
	return NULL;
}

static void free_maps(struct policy_late *l)
{
	for (int i = 0; i < l->nmaps; i++)
		if (l->maps[i].fd >= 0)
			close(l->maps[i].fd);
	free(l->maps);
	l->maps = NULL;
	l->nmaps = 0;
}

/* Every map of the first instance, by name, its fd dup'ed: the thread
 * touches nothing of p. */
static int collect_maps(struct policy_late *l, struct bpf_object *from)
{
	struct bpf_map *m;
	int n = 0;

	bpf_object__for_each_map(m, from)
	{
		n++;
	}
	l->maps = calloc((size_t)n + 1, sizeof(*l->maps));
	if (!l->maps)
		return -1;
	bpf_object__for_each_map(m, from)
	{
		int fd = bpf_map__fd(m);

		if (fd < 0 && !late_only(bpf_map__name(m)))
			continue;
		if (fd >= 0 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
			return -1;
		snprintf(l->maps[l->nmaps].name, sizeof(l->maps[0].name), "%s", bpf_map__name(m));
		l->maps[l->nmaps].max_entries = bpf_map__max_entries(m);
		l->maps[l->nmaps++].fd = fd;
	}
	return 0;
}

int policy_late_start(struct policy_obj *p, const char *path, char *err, size_t errlen)
{
	struct policy_late *l;

	if (!p->nlate)
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
	snprintf(l->btf_path, sizeof(l->btf_path), "%s", p->btf_path);
	if (collect_maps(l, p->obj) < 0 || pthread_create(&l->thread, NULL, load, l)) {
		snprintf(err, errlen, "cannot start loading the TLS probes: %s", strerror(errno));
		free_maps(l);
		free(l);
		return -1;
	}
	p->late = l;
	return 0;
}

static unsigned long verified(struct bpf_object *obj)
{
	struct bpf_program *prog;
	unsigned long n = 0;

	bpf_object__for_each_program(prog, obj)
	{
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
			n += info.verified_insns;
			log_info("TLS probe program %s: %u insns verified", bpf_program__name(prog),
				 info.verified_insns);
		}
	}
	return n;
}

int policy_late_poll(struct policy_obj *p, bool wait, char *err, size_t errlen)
{
	struct policy_late *l = p->late;
	struct policy_maps maps;
	char msg[256];

	if (!p->nlate)
		return 1;
	if (!l)
		return -1;
	if (l->joined)
		return l->ok ? 1 : -1;
	if (!wait && !atomic_load(&l->done))
		return 0;
	pthread_join(l->thread, NULL);
	l->joined = true;
	free_maps(l);
	if (l->err[0]) {
		snprintf(err, errlen, "%s", l->err);
		return -1;
	}
	if (l->rc) {
		snprintf(err, errlen,
			 "the kernel refused policy '%s' from %s: %s (its TLS probes, "
			 "loaded once enforcing; run with -v for the verifier log)",
			 p->meta.policy, l->path, strerror(-l->rc));
		return -1;
	}
	struct bpf_program *done = p->progs.redact_done; /* not per process: the first one's */

	if (policy_skel_open(l->obj, &maps, &p->progs, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "TLS probes: %s", msg);
		return -1;
	}
	p->progs.redact_done = done;
	l->ok = true;
	l->insns = verified(l->obj);
	return 1;
}

bool policy_late_ready(const struct policy_obj *p)
{
	return !p->nlate || (p->late && p->late->joined && p->late->ok);
}

void policy_late_each_map(const struct policy_obj *p,
			  void (*fn)(const char *name, int fd, void *ctx), void *ctx)
{
	const struct bpf_map *m;

	if (!policy_late_ready(p) || !p->late)
		return;
	bpf_object__for_each_map(m, p->late->obj)
	{
		const struct bpf_map *first =
		    bpf_object__find_map_by_name(p->obj, bpf_map__name(m));

		if (late_only(bpf_map__name(m)) && first && bpf_map__fd(first) < 0 &&
		    bpf_map__fd(m) >= 0)
			fn(bpf_map__name(m), bpf_map__fd(m), ctx);
	}
}

unsigned long policy_late_insns(const struct policy_obj *p)
{
	return p->late ? p->late->insns : 0;
}

void policy_late_free(struct policy_obj *p)
{
	struct policy_late *l = p->late;

	if (!l)
		return;
	if (!l->joined)
		pthread_join(l->thread, NULL);
	free_maps(l);
	bpf_object__close(l->obj);
	free(l);
	p->late = NULL;
}
