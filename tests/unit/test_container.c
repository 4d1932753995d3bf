/* SPDX-License-Identifier: Apache-2.0 */
/* Container ids and pod uids from cgroup paths (common/container.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "container.h"

#define ID "4c2a3b1f9e8d7c6b5a49382716051e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "8dbc5577-d0e2-4706-8787-57d52c03ddf2"
#define POD_ "8dbc5577_d0e2_4706_8787_57d52c03ddf2"

static void id_is(const char *path, const char *want)
{
	char out[ASPEN_CONTAINER_ID_LEN + 1];
	const char *got = aspen_container_id(path, out, sizeof(out));
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
	assert_null(aspen_container_id("/docker/" ID, small, sizeof(small)));
}

static void test_pod_uid(void **state)
{
	char out[40];

	assert_non_null(aspen_pod_uid("/kubepods/besteffort/pod" POD "/" ID, out, sizeof(out)));
	assert_string_equal(out, POD);
	assert_non_null(
	    aspen_pod_uid("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
			  ".slice/cri-containerd-" ID ".scope",
			  out, sizeof(out)));
	assert_string_equal(out, POD);
	assert_non_null(
	    aspen_pod_uid("/kubepods.slice/kubepods-pod" POD_ ".slice", out, sizeof(out)));
	assert_string_equal(out, POD);
	assert_null(aspen_pod_uid("/docker/" ID, out, sizeof(out)));
	assert_null(aspen_pod_uid("/kubepods/besteffort/podnot-a-uid", out, sizeof(out)));
	assert_null(aspen_pod_uid("/kubepods.slice/kubepods-besteffort.slice", out, sizeof(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_container_ids),
	    cmocka_unit_test(test_container_ids_negative),
	    cmocka_unit_test(test_pod_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
