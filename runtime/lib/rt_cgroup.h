/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2 helpers for attribution: where cgroup2 is mounted, the id of a
 * cgroup (the value bpf_get_current_cgroup_id() returns), the tree walk,
 * an id -> path cache, and uid -> user names. Container ids from paths:
 * common/container.h.
 */
#ifndef ASPEN_RT_CGROUP_H
#define ASPEN_RT_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RT_CGROUP_MAX_DEPTH 32
#define RT_CGROUP_MAX_COUNT 100000

/* Mount point of the first cgroup2 entry of /proc/mounts (on hybrid hosts
 * /sys/fs/cgroup/unified). Returns 0, or -1 with errno (ENOENT: none). */
int rt_cgroup2_mount(char *out, size_t len);
/* Same, from another mounts file (tests). */
int rt_cgroup2_mount_from(const char *mounts, char *out, size_t len);

/* The id of the cgroup at path: on cgroup2 its kernfs file handle, which
 * is what bpf_get_current_cgroup_id() returns; elsewhere st_ino. Returns 0
 * or -1 with errno. */
int rt_cgroup_id(const char *path, uint64_t *id);

/* rel: path below the mount, "/" for the root, "/system.slice/x.service".
 * Return 0 to go on, nonzero to stop the walk (which returns it). */
typedef int (*rt_cgroup_cb)(uint64_t id, const char *rel, void *ctx);

/* Calls cb for mount and every directory below it, parents first, at most
 * RT_CGROUP_MAX_DEPTH deep and RT_CGROUP_MAX_COUNT directories. Symbolic
 * links are not followed; directories that vanish while we walk are
 * skipped. Returns 0, cb's nonzero value, or -1 with errno if mount itself
 * cannot be opened. */
int rt_cgroup_walk(const char *mount, rt_cgroup_cb cb, void *ctx);

/* id -> path cache, thread-safe. */
struct rt_cgcache;

struct rt_cgcache *rt_cgcache_new(const char *mount);
void rt_cgcache_free(struct rt_cgcache *c);
/* Shortest time between two walks caused by misses (default 1000 ms), so a
 * storm of events from unknown cgroups costs at most one walk a second. */
void rt_cgcache_set_refresh_interval(struct rt_cgcache *c, unsigned int ms);
/* Adds or replaces (cgroup_mkdir events). Returns 0 or -1 (ENOMEM, or
 * ENOSPC beyond RT_CGROUP_MAX_COUNT entries). */
int rt_cgcache_put(struct rt_cgcache *c, uint64_t id, const char *rel);
void rt_cgcache_remove(struct rt_cgcache *c, uint64_t id);
/* Copies the path of id into out. Returns 0, or -1 if unknown. */
int rt_cgcache_lookup(struct rt_cgcache *c, uint64_t id, char *out, size_t len);
/* Like lookup, but on a miss walks the tree (unless the last walk was
 * less than the refresh interval ago) until it finds id, caching every
 * directory it passes. Returns 0 or -1. */
int rt_cgcache_resolve(struct rt_cgcache *c, uint64_t id, char *out, size_t len);
/* Fills the cache with the whole tree. Returns the number of entries or -1. */
int rt_cgcache_fill(struct rt_cgcache *c);
size_t rt_cgcache_count(struct rt_cgcache *c);

/* User name of uid (getpwuid_r), cached for a minute, thread-safe. Returns
 * 0, or -1 if the uid has no passwd entry (out then holds the number). */
int rt_user_name(uid_t uid, char *out, size_t len);

#endif
