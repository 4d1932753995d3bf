/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small kernel BTF of btf_cache.h. What libbpf's CO-RE does with the
 * target BTF: it looks the object's (local) structs up by name (without a
 * ___flavour), walks each read's member names through them (through
 * anonymous members too) and checks that each member's kind agrees with
 * the local one (struct with struct, int with int, pointer with any
 * pointer). So the small BTF has, for every kernel struct or union whose
 * name a local one has, a struct of the same name, kind and size with only
 * the members the local one names, at the kernel's bit offsets; their
 * types: embedded structs the same way, pointers as void *, integers,
 * enums and arrays as the kernel has them. A read the kernel cannot serve
 * (a member it lacks) fails the same way as against the full BTF, and
 * bpf_core_field_exists sees the same members.
 *
 * The cache is trusted as kernel layout: only a directory and files owned
 * by aspend's user and writable by no one else are used.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_cache.h"
#include "log.h"
#include "sha256.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

static bool trusted(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & 022);
}

/* This kernel build: release, version string (build number and date) and
 * the size of its BTF, hashed. */
static int kernel_id(char out[17])
{
	char buf[1024];
	size_t n = 0;
	struct stat st;
	const char *files[] = {"/proc/sys/kernel/osrelease", "/proc/sys/kernel/version"};
	char hex[ASPEN_SHA256_HEX_LEN + 1];

	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			return -1;
		n += fread(buf + n, 1, sizeof(buf) / 2 - 1, f);
		fclose(f);
	}
	if (stat(VMLINUX, &st) < 0)
		return -1;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%lld", (long long)st.st_size);
	if (aspen_sha256_hex(buf, n, hex) < 0)
		return -1;
	memcpy(out, hex, 16);
	out[16] = 0;
	return 0;
}

int btf_cache_path(const char *dir, const char *obj_sha256, char *out, size_t outlen)
{
	char kid[17];
	struct stat st;

	out[0] = 0;
	if (!dir || !dir[0] || !obj_sha256[0] || kernel_id(kid) < 0)
		return -1;
	if ((size_t)snprintf(out, outlen, "%s/%s-%.64s.btf", dir, kid, obj_sha256) >= outlen) {
		out[0] = 0;
		return -1;
	}
	if (stat(out, &st) < 0)
		return 0;
	if (!trusted(&st) || !S_ISREG(st.st_mode)) {
		log_warn("btf cache: %s is not owned by aspend's user or writable by others: "
			 "not used",
			 out);
		out[0] = 0;
		return -1;
	}
	if (stat(dir, &st) < 0 || !trusted(&st)) {
		log_warn("btf cache: %s is not owned by aspend's user or writable by others: "
			 "not used",
			 dir);
		out[0] = 0;
		return -1;
	}
	return 1;
}

/* ---- building ---- */

struct names {
	const char **v;
	int n, cap;
};

struct builder {
	const struct btf *vm, *loc;
	struct btf *out;
	__u32 nvm;
	struct names *need; /* per kernel type: the member names to keep */
	bool *root;	    /* per kernel type: a struct/union/enum a local one names */
	int *done;	    /* per kernel type: its id in out, 0 not yet */
	__u32 (*seen)[2];   /* (kernel, local) struct pairs walked */
	int nseen, capseen;
	int void_ptr, int_idx;
};

static int add_name(struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 0;
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 4;
		const char **v = realloc(s->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = name;
	return 0;
}

static bool has_name(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return true;
	return false;
}

static const struct btf_type *skip(const struct btf *b, __u32 id, __u32 *res)
{
	const struct btf_type *t = btf__type_by_id(b, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(b, id);
	}
	*res = id;
	return t;
}

/* libbpf's bpf_core_essential_name_len: "x___y" is "x" */
static size_t essential_len(const char *name)
{
	size_t n = strlen(name);

	for (int i = (int)n - 5; i >= 0; i--)
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
		    name[i + 3] == '_' && name[i + 4] != '_')
			return (size_t)i + 1;
	return n;
}

/* The kernel member called name in the struct vmid, anonymous members
 * searched too: keeps name in the need of the struct that has it and
 * returns its type (0: none). */
static __u32 find_member(struct builder *b, __u32 vmid, const char *name)
{
	const struct btf_type *t = btf__type_by_id(b->vm, vmid);
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(b->vm, m->name_off);
		__u32 mt;
		const struct btf_type *mtt;

		if (mn && mn[0]) {
			if (strcmp(mn, name))
				continue;
			if (add_name(&b->need[vmid], name) < 0)
				return 0;
			return m->type;
		}
		mtt = skip(b->vm, m->type, &mt);
		if (mtt && btf_is_composite(mtt)) {
			__u32 r = find_member(b, mt, name);

			/* the anonymous member is kept for it (a name it does
			 * not have directly: it matches none of its members) */
			if (r && add_name(&b->need[mt], name) < 0)
				return 0;
			if (r)
				return r;
		}
	}
	return 0;
}

static int walk(struct builder *b, __u32 vmid, __u32 locid);

/* Every member the local struct locid names (anonymous ones flattened),
 * looked up in the kernel struct vmid; embedded structs walked too. */
static int walk_members(struct builder *b, __u32 vmid, __u32 locid)
{
	const struct btf_type *t = btf__type_by_id(b->loc, locid);
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(b->loc, m->name_off);
		__u32 lt, kt, kid;
		const struct btf_type *ltt = skip(b->loc, m->type, &lt), *ktt;

		if (!mn || !mn[0]) {
			if (ltt && btf_is_composite(ltt) && walk_members(b, vmid, lt) < 0)
				return -1;
			continue;
		}
		kt = find_member(b, vmid, mn);
		if (!kt)
			continue;
		ktt = skip(b->vm, kt, &kid);
		while (ltt && ktt && btf_is_array(ltt) && btf_is_array(ktt)) {
			ltt = skip(b->loc, btf_array(ltt)->type, &lt);
			ktt = skip(b->vm, btf_array(ktt)->type, &kid);
		}
		if (ltt && ktt && btf_is_composite(ltt) && btf_is_composite(ktt) &&
		    walk(b, kid, lt) < 0)
			return -1;
	}
	return 0;
}

static int walk(struct builder *b, __u32 vmid, __u32 locid)
{
	for (int i = 0; i < b->nseen; i++)
		if (b->seen[i][0] == vmid && b->seen[i][1] == locid)
			return 0;
	if (b->nseen == b->capseen) {
		int cap = b->capseen ? 2 * b->capseen : 64;
		void *v = realloc(b->seen, (size_t)cap * sizeof(*b->seen));

		if (!v)
			return -1;
		b->seen = v;
		b->capseen = cap;
	}
	b->seen[b->nseen][0] = vmid;
	b->seen[b->nseen++][1] = locid;
	return walk_members(b, vmid, locid);
}

static int emit(struct builder *b, __u32 id);

static int emit_int_idx(struct builder *b)
{
	if (!b->int_idx)
		b->int_idx = btf__add_int(b->out, "int", 4, BTF_INT_SIGNED);
	return b->int_idx;
}

static int emit_enum(struct builder *b, const struct btf_type *t)
{
	const char *name = btf__name_by_offset(b->vm, t->name_off);
	int id;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		id = btf__add_enum(b->out, name, t->size);
		for (int i = 0; id > 0 && i < btf_vlen(t); i++, e++)
			if (btf__add_enum_value(b->out, btf__name_by_offset(b->vm, e->name_off),
						e->val) < 0)
				return -1;
		return id;
	}
	const struct btf_enum64 *e = btf_enum64(t);

	id = btf__add_enum64(b->out, name, t->size, btf_kflag(t));
	for (int i = 0; id > 0 && i < btf_vlen(t); i++, e++)
		if (btf__add_enum64_value(b->out, btf__name_by_offset(b->vm, e->name_off),
					  btf_enum64_value(e)) < 0)
			return -1;
	return id;
}

/* A kernel struct with only its needed members (their types first: a
 * struct's fields follow it directly in out). */
static int emit_composite(struct builder *b, __u32 id, const struct btf_type *t)
{
	const struct btf_member *m = btf_members(t);
	int n = btf_vlen(t), k = 0, sid;
	struct {
		const char *name;
		int type;
		__u32 off, bits;
	} *keep = calloc((size_t)n + 1, sizeof(*keep));

	if (!keep)
		return -1;
	for (int i = 0; i < n; i++, m++) {
		const char *mn = btf__name_by_offset(b->vm, m->name_off);
		__u32 mt;
		const struct btf_type *mtt = skip(b->vm, m->type, &mt);
		bool anon = !mn || !mn[0];

		if (anon ? !(mtt && btf_is_composite(mtt) && b->need[mt].n)
			 : !has_name(&b->need[id], mn))
			continue;
		keep[k].name = anon ? NULL : mn;
		keep[k].type = emit(b, m->type);
		keep[k].off = btf_member_bit_offset(t, (__u32)i);
		keep[k].bits = btf_member_bitfield_size(t, (__u32)i);
		if (keep[k++].type < 0) {
			free(keep);
			return -1;
		}
	}
	const char *name = btf__name_by_offset(b->vm, t->name_off);

	if (name && !name[0])
		name = NULL;
	sid = btf_is_struct(t) ? btf__add_struct(b->out, name, t->size)
			       : btf__add_union(b->out, name, t->size);
	for (int i = 0; sid > 0 && i < k; i++)
		if (btf__add_field(b->out, keep[i].name, keep[i].type, keep[i].off, keep[i].bits) <
		    0)
			sid = -1;
	free(keep);
	return sid;
}

/* The kernel type id in out (typedefs and modifiers dropped): 0 is void. */
static int emit(struct builder *b, __u32 id)
{
	__u32 rid;
	const struct btf_type *t = skip(b->vm, id, &rid);
	int r;

	if (!rid || !t)
		return 0;
	if (b->done[rid])
		return b->done[rid];
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: r = emit_composite(b, rid, t); break;
	case BTF_KIND_PTR:
		if (!b->void_ptr)
			b->void_ptr = btf__add_ptr(b->out, 0);
		return b->void_ptr;
	case BTF_KIND_INT:
		r = btf__add_int(b->out, btf__name_by_offset(b->vm, t->name_off), t->size,
				 btf_int_encoding(t));
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: r = emit_enum(b, t); break;
	case BTF_KIND_ARRAY: {
		int elem = emit(b, btf_array(t)->type), idx = emit_int_idx(b);

		r = elem < 0 || idx < 0 ? -1
					: btf__add_array(b->out, idx, elem, btf_array(t)->nelems);
		break;
	}
	case BTF_KIND_FLOAT:
		r = btf__add_float(b->out, btf__name_by_offset(b->vm, t->name_off), t->size);
		break;
	case BTF_KIND_FWD:
		r = btf__add_fwd(b->out, btf__name_by_offset(b->vm, t->name_off),
				 btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	default: return 0;
	}
	if (r > 0)
		b->done[rid] = r;
	return r;
}

/* The local structs and enums, by essential name, with their kind. */
struct local_name {
	const char *name;
	size_t len;
	__u32 id;
	int kind;
};

static int collect_local(const struct btf *loc, struct local_name **out)
{
	__u32 n = btf__type_cnt(loc);
	struct local_name *v = calloc(n, sizeof(*v));
	int k = 0;

	if (!v)
		return -1;
	for (__u32 i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(loc, i);
		const char *name = btf__name_by_offset(loc, t->name_off);

		if (!name || !name[0] || !(btf_is_composite(t) || btf_is_any_enum(t)))
			continue;
		v[k++] = (struct local_name){name, essential_len(name), i, btf_kind(t)};
	}
	*out = v;
	return k;
}

static bool same_kind(int local, int kernel)
{
	bool le = local == BTF_KIND_ENUM || local == BTF_KIND_ENUM64;
	bool ke = kernel == BTF_KIND_ENUM || kernel == BTF_KIND_ENUM64;

	return le ? ke : local == kernel;
}

static int build(struct builder *b)
{
	struct local_name *loc = NULL;
	int nloc = collect_local(b->loc, &loc), rc = 0;

	if (nloc < 0)
		return -1;
	/* kernel types named as a local struct or enum is (by essential name) */
	for (__u32 i = 1; i < b->nvm && !rc; i++) {
		const struct btf_type *t = btf__type_by_id(b->vm, i);
		const char *name;

		if (!(btf_is_composite(t) || btf_is_any_enum(t)) || !t->name_off)
			continue;
		name = btf__name_by_offset(b->vm, t->name_off);
		for (int j = 0; j < nloc; j++) {
			if (loc[j].len != essential_len(name) ||
			    strncmp(loc[j].name, name, loc[j].len) ||
			    !same_kind(loc[j].kind, btf_kind(t)))
				continue;
			b->root[i] = true;
			if (btf_is_composite(t) && walk(b, i, loc[j].id) < 0)
				rc = -1;
		}
	}
	for (__u32 i = 1; i < b->nvm && !rc; i++)
		if (b->root[i] && emit(b, i) < 0)
			rc = -1;
	free(loc);
	return rc;
}

static int write_atomic(const struct btf *out, const char *path)
{
	char tmp[PATH_MAX];
	__u32 size;
	const void *raw = btf__raw_data(out, &size);
	int fd;
	ssize_t w;

	if (!raw ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	w = write(fd, raw, size);
	if (w != (ssize_t)size || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		if (w != (ssize_t)size)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

#define BTF_CACHE_KEEP 64 /* files per kernel build (one per policy object) */

struct entry {
	char name[256];
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : 0;
}

/* Files of other kernel builds (another "KID-" prefix) go, and this
 * build's beyond the BTF_CACHE_KEEP newest. */
static void prune(const char *dir, const char *keep_prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct entry *v = NULL;
	int n = 0, cap = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct stat st;

		if (len < 5 || strcmp(e->d_name + len - 4, ".btf"))
			continue;
		if (strncmp(e->d_name, keep_prefix, strlen(keep_prefix))) {
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (len >= sizeof(v[0].name) || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
			continue;
		if (n == cap) {
			struct entry *nv =
			    realloc(v, (size_t)(cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n++].mtime = st.st_mtime;
	}
	if (n > BTF_CACHE_KEEP) {
		qsort(v, (size_t)n, sizeof(*v), newest_first);
		for (int i = BTF_CACHE_KEEP; i < n; i++)
			unlinkat(dirfd(d), v[i].name, 0);
	}
	free(v);
	closedir(d);
}

static int mkdirs(const char *dir)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s", dir) >= sizeof(p))
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int btf_cache_build(const char *obj_path, const char *out_path)
{
	struct builder b = {0};
	char dir[PATH_MAX], *slash;
	int rc = -1;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", out_path) >= sizeof(dir) ||
	    !(slash = strrchr(dir, '/')))
		return -1;
	*slash = 0;
	b.loc = btf__parse_elf(obj_path, NULL);
	b.vm = btf__load_vmlinux_btf();
	b.out = btf__new_empty();
	if (!b.loc || !b.vm || !b.out)
		goto out;
	b.nvm = btf__type_cnt(b.vm);
	b.need = calloc(b.nvm, sizeof(*b.need));
	b.root = calloc(b.nvm, sizeof(*b.root));
	b.done = calloc(b.nvm, sizeof(*b.done));
	if (!b.need || !b.root || !b.done || build(&b) < 0 || mkdirs(dir) < 0)
		goto out;
	rc = write_atomic(b.out, out_path);
	if (!rc) {
		char prefix[18];

		snprintf(prefix, sizeof(prefix), "%.16s-", slash + 1);
		prune(dir, prefix);
	}
out:
	for (__u32 i = 0; b.need && i < b.nvm; i++)
		free(b.need[i].v);
	free(b.need);
	free(b.root);
	free(b.done);
	free(b.seen);
	btf__free(b.out);
	btf__free((struct btf *)b.vm);
	btf__free((struct btf *)b.loc);
	return rc;
}

static struct {
	pthread_t th;
	bool running;
	char obj[PATH_MAX], out[PATH_MAX];
} T;

static void *build_main(void *arg)
{
	(void)arg;
	if (btf_cache_build(T.obj, T.out) < 0)
		log_warn("btf cache: cannot write %s: %s (the next start parses the kernel's "
			 "whole BTF again)",
			 T.out, strerror(errno));
	else
		log_info("btf cache: wrote %s: the next start relocates against it", T.out);
	return NULL;
}

void btf_cache_build_async(const char *obj_path, const char *out)
{
	if (T.running || !out[0])
		return;
	snprintf(T.obj, sizeof(T.obj), "%s", obj_path);
	snprintf(T.out, sizeof(T.out), "%s", out);
	T.running = !pthread_create(&T.th, NULL, build_main, NULL);
}

void btf_cache_wait(void)
{
	if (T.running)
		pthread_join(T.th, NULL);
	T.running = false;
}
