/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v2: mount, ids, walk, id -> path cache, users. */
#define _GNU_SOURCE
#include "rt_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* include/linux/exportfs.h, not in the uapi headers: the handle type of
 * kernfs (cgroupfs) whose 8 bytes are the kernfs node id = the cgroup id. */
#define FILEID_KERNFS 0xfe
#define HANDLE_MAX 128

int rt_cgroup2_mount_from(const char *mounts, char *out, size_t len)
{
	FILE *f = setmntent(mounts, "re");
	struct mntent me;
	char buf[4096];
	int rc = -1;

	if (!f)
		return -1;
	errno = ENOENT;
	while (getmntent_r(f, &me, buf, sizeof(buf))) {
		if (strcmp(me.mnt_type, "cgroup2") != 0)
			continue;
		if ((size_t)snprintf(out, len, "%s", me.mnt_dir) >= len) {
			errno = ENAMETOOLONG;
			break;
		}
		rc = 0;
		break;
	}
	endmntent(f);
	if (rc)
		errno = errno ? errno : ENOENT;
	return rc;
}

int rt_cgroup2_mount(char *out, size_t len)
{
	return rt_cgroup2_mount_from("/proc/mounts", out, len);
}

/* The id of dirfd/name, see rt_cgroup_id(). */
static int cgroup_id_at(int dirfd, const char *name, uint64_t *id)
{
	_Alignas(struct file_handle) char raw[sizeof(struct file_handle) + HANDLE_MAX];
	struct file_handle *fh = (struct file_handle *)raw;
	struct stat st;
	int mnt;

	fh->handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(dirfd, name, fh, &mnt, 0) == 0 && fh->handle_type == FILEID_KERNFS &&
	    fh->handle_bytes == sizeof(*id)) {
		memcpy(id, fh->f_handle, sizeof(*id));
		return 0;
	}
	/* Not kernfs (a test tree, an old kernel without handles): the inode
	 * number is the best stable name there is. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -1;
	*id = (uint64_t)st.st_ino;
	return 0;
}

int rt_cgroup_id(const char *path, uint64_t *id)
{
	return cgroup_id_at(AT_FDCWD, path, id);
}

/* ---- the walk ---------------------------------------------------------- */

struct walk {
	rt_cgroup_cb cb;
	void *ctx;
	size_t count;
	char rel[PATH_MAX];
};

static int is_dir_at(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN)
		return 0;
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int walk_dir(struct walk *w, int fd, size_t rlen, int depth);

/* One child directory: report it, then descend. */
static int walk_child(struct walk *w, int dfd, const char *name, size_t rlen, int depth)
{
	size_t nlen = strlen(name);
	uint64_t id;
	int rc, cfd;

	if (rlen + 1 + nlen >= sizeof(w->rel) || w->count >= RT_CGROUP_MAX_COUNT)
		return 0;
	w->rel[rlen] = '/';
	memcpy(w->rel + rlen + 1, name, nlen + 1);
	/* A cgroup removed since readdir() is simply gone: skip it. */
	if (cgroup_id_at(dfd, name, &id))
		return 0;
	w->count++;
	rc = w->cb(id, w->rel, w->ctx);
	if (rc || depth >= RT_CGROUP_MAX_DEPTH)
		return rc;
	cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return 0;
	return walk_dir(w, cfd, rlen + 1 + nlen, depth + 1);
}

/* Takes ownership of fd. Directory file descriptors are used (openat) so
 * that a deep tree never needs a path longer than one name per call. */
static int walk_dir(struct walk *w, int fd, size_t rlen, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (is_dir_at(dirfd(d), de))
			rc = walk_child(w, dirfd(d), de->d_name, rlen, depth);
	}
	closedir(d);
	return rc;
}

int rt_cgroup_walk(const char *mount, rt_cgroup_cb cb, void *ctx)
{
	struct walk *w;
	uint64_t id;
	int fd, rc;

	if (rt_cgroup_id(mount, &id))
		return -1;
	fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return -1;
	}
	w->cb = cb;
	w->ctx = ctx;
	w->count = 1;
	rc = cb(id, "/", ctx);
	if (rc == 0)
		rc = walk_dir(w, fd, 0, 1);
	else
		close(fd);
	free(w);
	return rc;
}

/* ---- id -> path cache -------------------------------------------------- */

struct cg_ent {
	struct cg_ent *next;
	uint64_t id;
	char path[];
};

struct rt_cgcache {
	pthread_mutex_t lock;
	char *mount;
	struct cg_ent **b;
	size_t nb, count; /* nb: a power of two */
	unsigned int interval_ms;
	uint64_t last_walk_ms;
	int walked;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t slot(const struct rt_cgcache *c, uint64_t id)
{
	/* Fibonacci hashing: ids are mostly sequential kernfs numbers. */
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (c->nb - 1);
}

struct rt_cgcache *rt_cgcache_new(const char *mount)
{
	struct rt_cgcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nb = 1024;
	c->b = calloc(c->nb, sizeof(*c->b));
	c->mount = strdup(mount ? mount : "");
	if (!c->b || !c->mount) {
		free(c->b);
		free(c->mount);
		free(c);
		return NULL;
	}
	c->interval_ms = 1000;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void rt_cgcache_free(struct rt_cgcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nb; i++) {
		for (struct cg_ent *e = c->b[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c->b);
	free(c->mount);
	free(c);
}

void rt_cgcache_set_refresh_interval(struct rt_cgcache *c, unsigned int ms)
{
	pthread_mutex_lock(&c->lock);
	c->interval_ms = ms;
	pthread_mutex_unlock(&c->lock);
}

/* Doubles the table; on ENOMEM the table just stays more loaded. */
static void grow(struct rt_cgcache *c)
{
	struct rt_cgcache big = {.nb = c->nb * 2};

	big.b = calloc(big.nb, sizeof(*big.b));
	if (!big.b)
		return;
	for (size_t i = 0; i < c->nb; i++) {
		for (struct cg_ent *e = c->b[i], *n; e; e = n) {
			size_t s = slot(&big, e->id);

			n = e->next;
			e->next = big.b[s];
			big.b[s] = e;
		}
	}
	free(c->b);
	c->b = big.b;
	c->nb = big.nb;
}

/* Unlinks id's entry; called with the lock held. Returns 1 if found. */
static int unlink_locked(struct rt_cgcache *c, uint64_t id)
{
	for (struct cg_ent **pp = &c->b[slot(c, id)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct cg_ent *e = *pp;

			*pp = e->next;
			free(e);
			c->count--;
			return 1;
		}
	}
	return 0;
}

int rt_cgcache_put(struct rt_cgcache *c, uint64_t id, const char *rel)
{
	size_t n = strlen(rel) + 1;
	struct cg_ent *e = malloc(sizeof(*e) + n);
	size_t s;

	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	e->id = id;
	memcpy(e->path, rel, n);
	pthread_mutex_lock(&c->lock);
	unlink_locked(c, id);
	if (c->count >= RT_CGROUP_MAX_COUNT) {
		pthread_mutex_unlock(&c->lock);
		free(e);
		errno = ENOSPC;
		return -1;
	}
	if (c->count >= c->nb)
		grow(c);
	s = slot(c, id);
	e->next = c->b[s];
	c->b[s] = e;
	c->count++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void rt_cgcache_remove(struct rt_cgcache *c, uint64_t id)
{
	pthread_mutex_lock(&c->lock);
	unlink_locked(c, id);
	pthread_mutex_unlock(&c->lock);
}

int rt_cgcache_lookup(struct rt_cgcache *c, uint64_t id, char *out, size_t len)
{
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	for (struct cg_ent *e = c->b[slot(c, id)]; e; e = e->next) {
		if (e->id == id) {
			snprintf(out, len, "%s", e->path);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

size_t rt_cgcache_count(struct rt_cgcache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

struct fill_ctx {
	struct rt_cgcache *c;
	uint64_t want; /* stop when seen; 0: walk everything */
	int n;
};

static int fill_cb(uint64_t id, const char *rel, void *ctx)
{
	struct fill_ctx *f = ctx;

	if (rt_cgcache_put(f->c, id, rel) == 0)
		f->n++;
	return f->want && id == f->want;
}

int rt_cgcache_fill(struct rt_cgcache *c)
{
	struct fill_ctx f = {.c = c};

	pthread_mutex_lock(&c->lock);
	c->last_walk_ms = now_ms();
	c->walked = 1;
	pthread_mutex_unlock(&c->lock);
	if (rt_cgroup_walk(c->mount, fill_cb, &f) < 0)
		return -1;
	return f.n;
}

/* Claims the right to walk now, if the last walk is old enough. */
static int may_walk(struct rt_cgcache *c)
{
	uint64_t now = now_ms();
	int ok;

	pthread_mutex_lock(&c->lock);
	ok = !c->walked || now - c->last_walk_ms >= c->interval_ms;
	if (ok) {
		c->last_walk_ms = now;
		c->walked = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

int rt_cgcache_resolve(struct rt_cgcache *c, uint64_t id, char *out, size_t len)
{
	struct fill_ctx f = {.c = c, .want = id};

	if (rt_cgcache_lookup(c, id, out, len) == 0)
		return 0;
	/* The walk runs without the lock: lookups from other threads go on. */
	if (!may_walk(c) || rt_cgroup_walk(c->mount, fill_cb, &f) <= 0)
		return -1;
	return rt_cgcache_lookup(c, id, out, len);
}

/* ---- uid -> user name -------------------------------------------------- */

#define USER_CACHE 64
#define USER_TTL_MS 60000

struct user_ent {
	uid_t uid;
	int used, found;
	uint64_t at_ms;
	char name[64];
};

static struct user_ent user_cache[USER_CACHE];
static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;

/* getpwuid_r with a buffer that grows until the entry fits. */
static int lookup_user(uid_t uid, char *out, size_t len)
{
	struct passwd pw, *res = NULL;
	size_t cap = 4096;
	char *buf = NULL;
	int rc;

	for (;;) {
		char *nb = realloc(buf, cap);

		if (!nb)
			break;
		buf = nb;
		rc = getpwuid_r(uid, &pw, buf, cap, &res);
		if (rc != ERANGE || cap >= (1u << 20))
			break;
		cap *= 2;
	}
	rc = res ? 0 : -1;
	if (res)
		snprintf(out, len, "%s", res->pw_name);
	free(buf);
	return rc;
}

int rt_user_name(uid_t uid, char *out, size_t len)
{
	struct user_ent *e = &user_cache[uid % USER_CACHE];
	uint64_t now = now_ms();
	char name[64];
	int found;

	pthread_mutex_lock(&user_lock);
	if (e->used && e->uid == uid && now - e->at_ms < USER_TTL_MS) {
		found = e->found;
		snprintf(out, len, "%s", e->name);
		pthread_mutex_unlock(&user_lock);
		return found ? 0 : -1;
	}
	pthread_mutex_unlock(&user_lock);

	/* NSS may be slow (LDAP): never call it with the lock held. */
	found = lookup_user(uid, name, sizeof(name)) == 0;
	if (!found)
		snprintf(name, sizeof(name), "%u", (unsigned int)uid);
	pthread_mutex_lock(&user_lock);
	*e = (struct user_ent){.uid = uid, .used = 1, .found = found, .at_ms = now};
	snprintf(e->name, sizeof(e->name), "%s", name);
	pthread_mutex_unlock(&user_lock);
	snprintf(out, len, "%s", name);
	return found ? 0 : -1;
}
