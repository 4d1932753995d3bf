/* SPDX-License-Identifier: Apache-2.0 */
/*
 * premaps.h: the object's maps, made by this thread and one more, biggest
 * first, each taking the next one left.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "premaps.h"

#define PREMAPS_MAX 64
#define PREMAPS_ELEM_OVERHEAD 48 /* struct htab_elem, roughly */

struct job {
	struct bpf_map *m;
	unsigned long bytes;
	int fd;
};

struct jobs {
	struct job v[PREMAPS_MAX];
	int n;
	atomic_int next;
	int btf_fd;
};

static bool preallocated_hash(const struct bpf_map *m)
{
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: return true; /* always preallocated */
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH: return !(bpf_map__map_flags(m) & BPF_F_NO_PREALLOC);
	default: return false;
	}
}

/* The kinds aspend makes as libbpf would (bpf_object__create_map): a plain
 * definition; the BTF of key and value only where the kernel takes it. */
static bool plain(const struct bpf_map *m, bool *btf)
{
	*btf = true;
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LPM_TRIE: return true;
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_RINGBUF: *btf = false; return true;
	default: return false;
	}
}

/* What the kernel allocates at creation, roughly: the order to make them */
static unsigned long cost(const struct bpf_map *m)
{
	unsigned long n = bpf_map__max_entries(m);

	if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
		return n;
	if (preallocated_hash(m))
		return n * (bpf_map__key_size(m) + bpf_map__value_size(m) + PREMAPS_ELEM_OVERHEAD);
	return n * 16; /* buckets, or an array's values (small here) */
}

static void create(struct jobs *j, struct job *b)
{
	const struct bpf_map *m = b->m;
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = bpf_map__map_flags(m),
		    .numa_node = bpf_map__numa_node(m), .map_extra = bpf_map__map_extra(m));
	bool btf;

	plain(m, &btf);
	if (btf && j->btf_fd >= 0 && bpf_map__btf_value_type_id(m)) {
		o.btf_fd = (__u32)j->btf_fd;
		o.btf_key_type_id = bpf_map__btf_key_type_id(m);
		o.btf_value_type_id = bpf_map__btf_value_type_id(m);
	}
	b->fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
			       bpf_map__value_size(m), bpf_map__max_entries(m), &o);
}

static void *worker(void *arg)
{
	struct jobs *j = arg;
	int i;

	while ((i = atomic_fetch_add(&j->next, 1)) < j->n)
		create(j, &j->v[i]);
	return NULL;
}

static int by_size(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* The object's BTF, loaded for the maps' key and value types (a copy:
 * libbpf loads its own afterwards). */
static int load_btf(struct bpf_object *obj)
{
	const struct btf *ob = bpf_object__btf(obj);
	const void *raw;
	__u32 size;
	struct btf *copy;
	int fd = -1;

	if (!ob || !(raw = btf__raw_data(ob, &size)) || !(copy = btf__new(raw, size)))
		return -1;
	if (!btf__load_into_kernel(copy))
		fd = dup(btf__fd(copy));
	btf__free(copy);
	return fd;
}

int premaps_create(struct bpf_object *obj)
{
	struct jobs j = {.btf_fd = -1};
	struct bpf_map *m;
	pthread_t th;
	bool threaded;
	int made = 0;

	bpf_object__for_each_map(m, obj)
	{
		bool btf;

		/* not: carried over, made late (policy_late_defer), libbpf's own
		 * (.rodata and the like: it fills them), pinned by path */
		if (bpf_map__fd(m) >= 0 || !bpf_map__autocreate(m) || bpf_map__is_internal(m) ||
		    bpf_map__pin_path(m) || !plain(m, &btf) || j.n == PREMAPS_MAX)
			continue;
		j.v[j.n++] = (struct job){.m = m, .bytes = cost(m), .fd = -1};
	}
	if (j.n < 2)
		return 0;
	qsort(j.v, (size_t)j.n, sizeof(j.v[0]), by_size);
	j.btf_fd = load_btf(obj);
	threaded = !pthread_create(&th, NULL, worker, &j);
	worker(&j);
	if (threaded)
		pthread_join(th, NULL);
	for (int i = 0; i < j.n; i++) {
		if (j.v[i].fd < 0)
			continue;
		if (!bpf_map__reuse_fd(j.v[i].m, j.v[i].fd))
			made++;
		close(j.v[i].fd);
	}
	if (j.btf_fd >= 0)
		close(j.btf_fd);
	return made;
}
