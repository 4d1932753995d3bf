/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a policy object's per-process programs late (policy_late.h):
 * the second instance of the object reuses every map of the first (their
 * fds: the programs of both see the same maps, .rodata included), has only
 * the per-process programs marked for loading, and is loaded by one
 * thread that touches nothing else.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "policy_late.h"
#include "policy_obj.h"
#include "policy_skel.h"

struct policy_late {
	struct bpf_object *obj;
	pthread_t thread;
	atomic_int done; /* the thread finished: rc is set */
	int rc;		 /* bpf_object__load's */
	bool joined, ok;
	char path[4096];
	unsigned long insns;
};

static bool per_process(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9);
}

int policy_late_defer(struct policy_obj *p)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, p->obj)
	{
		if (per_process(prog)) {
			bpf_program__set_autoload(prog, false);
			n++;
		}
	}
	return n;
}

static void *load(void *arg)
{
	struct policy_late *l = arg;

	l->rc = bpf_object__load(l->obj);
	atomic_store(&l->done, 1);
	return NULL;
}

static int share_maps(struct bpf_object *from, struct bpf_object *to, char *err, size_t errlen)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, to)
	{
		struct bpf_map *src = bpf_object__find_map_by_name(from, bpf_map__name(m));

		if (!src || bpf_map__fd(src) < 0 || bpf_map__reuse_fd(m, bpf_map__fd(src))) {
			snprintf(err, errlen, "map %s cannot be shared with the TLS probes",
				 bpf_map__name(m));
			return -1;
		}
	}
	return 0;
}

int policy_late_start(struct policy_obj *p, const char *path, char *err, size_t errlen)
{
	struct policy_late *l;
	struct bpf_program *prog;

	if (!p->nlate)
		return 0;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->obj = bpf_object__open_file(path, NULL))) {
		snprintf(err, errlen, "cannot open %s again for its TLS probes: %s", path,
			 strerror(errno));
		free(l);
		return -1;
	}
	bpf_object__for_each_program(prog, l->obj)
	{
		bpf_program__set_autoload(prog, per_process(prog));
	}
	if (share_maps(p->obj, l->obj, err, errlen) < 0 ||
	    pthread_create(&l->thread, NULL, load, l)) {
		if (!err[0])
			snprintf(err, errlen, "cannot start a thread: %s", strerror(errno));
		bpf_object__close(l->obj);
		free(l);
		return -1;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
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
	if (l->rc) {
		snprintf(err, errlen,
			 "the kernel refused policy '%s' from %s: %s (its TLS probes, "
			 "loaded once enforcing; run with -v for the verifier log)",
			 p->meta.policy, l->path, strerror(-l->rc));
		return -1;
	}
	if (policy_skel_open(l->obj, &maps, &p->progs, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "TLS probes: %s", msg);
		return -1;
	}
	l->ok = true;
	l->insns = verified(l->obj);
	return 1;
}

bool policy_late_ready(const struct policy_obj *p)
{
	return !p->nlate || (p->late && p->late->joined && p->late->ok);
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
	bpf_object__close(l->obj);
	free(l);
	p->late = NULL;
}
