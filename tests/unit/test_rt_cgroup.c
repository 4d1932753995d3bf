/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup helpers: mounts, the walk, the id -> path cache, user names. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_cgroup.h"

#define ID "4c2a3b1f9e8d7c6b5a49382716051e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3"

static void test_mounts(void **state)
{
	char path[] = "/tmp/aspen-mounts-XXXXXX", out[256];
	int fd = mkstemp(path);
	const char *text = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
			   "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
			   "cgroup2 /sys/fs/cgroup/unified\\040x cgroup2 rw 0 0\n"
			   "cgroup2 /other cgroup2 rw 0 0\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(rt_cgroup2_mount_from(path, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified x"); /* \040 decoded */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, text, 80), 80); /* the first two lines only */
	close(fd);
	assert_int_equal(rt_cgroup2_mount_from(path, out, sizeof(out)), -1);
	unlink(path);
}

/* On this machine's cgroup2, the root cgroup's id is 1, as the kernel's
 * bpf_get_current_cgroup_id() says for a task in the root. */
static void test_real_cgroup2_root(void **state)
{
	char mnt[256];
	uint64_t id = 0;

	if (rt_cgroup2_mount(mnt, sizeof(mnt)))
		skip();
	assert_int_equal(rt_cgroup_id(mnt, &id), 0);
	assert_int_equal(id, 1);
}

static char tree[64];

static void mk(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s%s", tree, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int setup_tree(void **state)
{
	strcpy(tree, "/tmp/aspen-cgtree-XXXXXX");
	if (!mkdtemp(tree))
		return -1;
	mk("/system.slice");
	mk("/system.slice/a.service");
	mk("/docker");
	mk("/docker/" ID);
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	return system(cmd) == 0 ? 0 : -1;
}

struct seen {
	int n;
	char rel[16][128];
	uint64_t id[16];
};

static int record(uint64_t id, const char *rel, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		snprintf(s->rel[s->n], sizeof(s->rel[0]), "%s", rel);
		s->id[s->n] = id;
	}
	s->n++;
	return 0;
}

static int find(struct seen *s, const char *rel)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->rel[i], rel) == 0)
			return i;
	return -1;
}

static void test_walk(void **state)
{
	struct seen s = {0};
	struct stat st;
	char p[256];
	int i;

	/* a file and a symlink are not cgroups */
	snprintf(p, sizeof(p), "%s/docker/cgroup.procs", tree);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/link", tree);
	assert_int_equal(symlink("/", p), 0);

	assert_int_equal(rt_cgroup_walk(tree, record, &s), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.rel[0], "/");
	assert_true(find(&s, "/system.slice") >= 0);
	assert_true(find(&s, "/docker/" ID) >= 0);
	assert_true(find(&s, "/system.slice/a.service") > find(&s, "/system.slice"));
	i = find(&s, "/system.slice/a.service");
	snprintf(p, sizeof(p), "%s/system.slice/a.service", tree);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(s.id[i], (uint64_t)st.st_ino); /* not kernfs: the inode */
	assert_int_equal(rt_cgroup_walk("/nonexistent/cg", record, &s), -1);
}

static void test_cache(void **state)
{
	struct rt_cgcache *c = rt_cgcache_new(tree);
	char out[256], p[256];
	struct stat st;

	assert_non_null(c);
	assert_int_equal(rt_cgcache_fill(c), 5);
	assert_int_equal(rt_cgcache_count(c), 5);

	/* many entries: the table grows and still finds them */
	for (uint64_t i = 0; i < 5000; i++) {
		snprintf(out, sizeof(out), "/x/%llu", (unsigned long long)i);
		assert_int_equal(rt_cgcache_put(c, 1000000 + i, out), 0);
	}
	assert_int_equal(rt_cgcache_lookup(c, 1004321, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/4321");
	rt_cgcache_put(c, 1004321, "/moved");
	assert_int_equal(rt_cgcache_lookup(c, 1004321, out, sizeof(out)), 0);
	assert_string_equal(out, "/moved");
	rt_cgcache_remove(c, 1004321);
	assert_int_equal(rt_cgcache_lookup(c, 1004321, out, sizeof(out)), -1);
	assert_int_equal(rt_cgcache_count(c), 5 + 4999);

	/* a new cgroup: the miss walks, unless the last walk was too recent */
	mk("/system.slice/new.service");
	snprintf(p, sizeof(p), "%s/system.slice/new.service", tree);
	assert_int_equal(stat(p, &st), 0);
	rt_cgcache_set_refresh_interval(c, 3600 * 1000);
	assert_int_equal(rt_cgcache_resolve(c, st.st_ino, out, sizeof(out)), -1);
	rt_cgcache_set_refresh_interval(c, 0);
	assert_int_equal(rt_cgcache_resolve(c, st.st_ino, out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/new.service");
	assert_int_equal(rt_cgcache_resolve(c, 0xdeadbeefull, out, sizeof(out)), -1);
	rt_cgcache_free(c);
}

static void test_user_name(void **state)
{
	char out[64];

	assert_int_equal(rt_user_name(0, out, sizeof(out)), 0);
	assert_string_equal(out, "root");
	assert_int_equal(rt_user_name(0, out, sizeof(out)), 0); /* cached */
	assert_string_equal(out, "root");
	assert_int_equal(rt_user_name(3999999, out, sizeof(out)), -1);
	assert_string_equal(out, "3999999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mounts),
	    cmocka_unit_test(test_real_cgroup2_root),
	    cmocka_unit_test_setup_teardown(test_walk, setup_tree, teardown_tree),
	    cmocka_unit_test_setup_teardown(test_cache, setup_tree, teardown_tree),
	    cmocka_unit_test(test_user_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
