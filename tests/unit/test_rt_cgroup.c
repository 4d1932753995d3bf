/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup helpers: container ids and pod uids from paths, mounts, the walk,
 * the id -> path cache, user names. */
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
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "8dbc5577-d0e2-4706-8787-57d52c03ddf2"
#define POD_ "8dbc5577_d0e2_4706_8787_57d52c03ddf2"

static void id_is(const char *path, const char *want)
{
	char out[RT_CONTAINER_ID_LEN + 1];
	const char *got = rt_container_id(path, out, sizeof(out));
	const char *shown = path ? path : "(null)";

	if (!want) {
		if (got)
			fail_msg("%s: expected no id, got %s", shown, got);
		return;
	}
	if (!got)
		fail_msg("%s: expected %s, got none", shown, want);
	assert_string_equal(got, want);
}

static void test_container_ids(void **state)
{
	/* docker, cgroupfs driver and systemd driver */
	id_is("/docker/" ID, ID);
	id_is("/system.slice/docker-" ID ".scope", ID);
	/* containerd, CRI-O, podman (systemd driver) */
	id_is("/system.slice/cri-containerd-" ID ".scope", ID);
	id_is("/machine.slice/crio-" ID ".scope", ID);
	id_is("/machine.slice/crio-" ID ".scope/container", ID);
	id_is("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", ID);
	id_is("/machine.slice/libpod-" ID ".scope/container", ID);
	/* Kubernetes, cgroupfs and systemd drivers */
	id_is("/kubepods/besteffort/pod" POD "/" ID, ID);
	id_is("/kubepods/pod" POD "/" ID, ID);
	id_is("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	      ".slice/cri-containerd-" ID ".scope",
	      ID);
	id_is("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
	      ".slice/crio-" ID ".scope",
	      ID);
	id_is("/kubepods.slice/kubepods-pod" POD_ ".slice/docker-" ID ".scope", ID);
	/* docker in docker: the innermost */
	id_is("/docker/" ID "/docker/" ID2, ID2);
	id_is(ID, ID);
}

static void test_container_ids_negative(void **state)
{
	char small[64];

	id_is(NULL, NULL);
	id_is("", NULL);
	id_is("/", NULL);
	id_is("/system.slice/sshd.service", NULL);
	id_is("/user.slice/user-1000.slice/session-3.scope", NULL);
	id_is("/kubepods/besteffort/pod" POD, NULL); /* the pod, not a container */
	id_is("/machine.slice/crio-conmon-" ID ".scope", NULL);
	id_is("/machine.slice/libpod-conmon-" ID ".scope", NULL);
	id_is("/docker/"
	      "4c2a3b1f9e8d7c6b5a49382716051e2d3c4b5a69788796a5b4c3d2e1f0a1b2c",
	      NULL);
	id_is("/docker/" ID "0", NULL);
	id_is("/docker/"
	      "4C2A3B1F9E8D7C6B5A49382716051E2D3C4B5A69788796A5B4C3D2E1F0A1B2C3",
	      NULL);
	id_is("/docker/"
	      "zc2a3b1f9e8d7c6b5a49382716051e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3",
	      NULL);
	id_is("/system.slice/docker-" ID ".service", NULL);
	id_is("/system.slice/runc-" ID ".scope", NULL);
	id_is("/system.slice/docker-" ID ".scopex", NULL);
	assert_null(rt_container_id("/docker/" ID, small, sizeof(small)));
}

static void test_pod_uid(void **state)
{
	char out[40];

	assert_non_null(rt_pod_uid("/kubepods/besteffort/pod" POD "/" ID, out, sizeof(out)));
	assert_string_equal(out, POD);
	assert_non_null(
	    rt_pod_uid("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
		       ".slice/cri-containerd-" ID ".scope",
		       out, sizeof(out)));
	assert_string_equal(out, POD);
	assert_non_null(rt_pod_uid("/kubepods.slice/kubepods-pod" POD_ ".slice", out, sizeof(out)));
	assert_string_equal(out, POD);
	assert_null(rt_pod_uid("/docker/" ID, out, sizeof(out)));
	assert_null(rt_pod_uid("/kubepods/besteffort/podnot-a-uid", out, sizeof(out)));
	assert_null(rt_pod_uid("/kubepods.slice/kubepods-besteffort.slice", out, sizeof(out)));
}

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
	    cmocka_unit_test(test_container_ids),
	    cmocka_unit_test(test_container_ids_negative),
	    cmocka_unit_test(test_pod_uid),
	    cmocka_unit_test(test_mounts),
	    cmocka_unit_test(test_real_cgroup2_root),
	    cmocka_unit_test_setup_teardown(test_walk, setup_tree, teardown_tree),
	    cmocka_unit_test_setup_teardown(test_cache, setup_tree, teardown_tree),
	    cmocka_unit_test(test_user_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
