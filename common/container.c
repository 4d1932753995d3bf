/* SPDX-License-Identifier: Apache-2.0 */
/* Container ids and Kubernetes pod UIDs in cgroup paths. */
#define _GNU_SOURCE
#include "container.h"

#include <string.h>

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The id in one path component, or NULL: "<64hex>" (docker and
 * Kubernetes cgroupfs) or "<runtime>-<64hex>.scope" (systemd driver).
 * conmon scopes ("crio-conmon-<id>.scope") are not containers and do not
 * match, because what follows the runtime prefix is not 64 hex digits. */
static const char *component_id(const char *s, size_t n)
{
	static const char *const prefixes[] = {"docker-", "cri-containerd-", "crio-", "libpod-"};
	static const char scope[] = ".scope";
	size_t sl = sizeof(scope) - 1;

	if (n == ASPEN_CONTAINER_ID_LEN)
		return all_hex(s, n) ? s : NULL;
	if (n < sl || memcmp(s + n - sl, scope, sl) != 0)
		return NULL;
	n -= sl;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (n == pl + ASPEN_CONTAINER_ID_LEN && memcmp(s, prefixes[i], pl) == 0 &&
		    all_hex(s + pl, ASPEN_CONTAINER_ID_LEN))
			return s + pl;
	}
	return NULL;
}

const char *aspen_container_id(const char *cgroup_path, char *out, size_t len)
{
	const char *p = cgroup_path, *found = NULL;

	if (!p || len < ASPEN_CONTAINER_ID_LEN + 1)
		return NULL;
	/* Last match wins: in docker-in-docker or a CRI-O ".scope/container"
	 * layout the innermost container is the one that made the call. */
	while (*p) {
		size_t n = strcspn(p, "/");
		const char *id = component_id(p, n);

		if (id)
			found = id;
		p += n;
		p += *p == '/';
	}
	if (!found)
		return NULL;
	memcpy(out, found, ASPEN_CONTAINER_ID_LEN);
	out[ASPEN_CONTAINER_ID_LEN] = '\0';
	return out;
}

/* 8-4-4-4-12 hex digits, the separators being sep ('-' or '_'). */
static int uuid_shape(const char *s, size_t n, char sep)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !all_hex(s + i, 1))
			return 0;
	}
	return 1;
}

/* The pod UID in one component: "pod<uid>" (cgroupfs) or
 * "kubepods[-<qos>]-pod<uid_with_underscores>.slice" (systemd). */
static const char *component_pod(const char *s, size_t n)
{
	static const char slice[] = ".slice";
	size_t sl = sizeof(slice) - 1;
	const char *pod;

	if (n == 39 && memcmp(s, "pod", 3) == 0 && uuid_shape(s + 3, 36, '-'))
		return s + 3;
	if (n < 8 || memcmp(s, "kubepods", 8) != 0 || n < sl || memcmp(s + n - sl, slice, sl))
		return NULL;
	pod = memmem(s, n, "-pod", 4);
	if (!pod || (size_t)(s + n - sl - (pod + 4)) != 36 || !uuid_shape(pod + 4, 36, '_'))
		return NULL;
	return pod + 4;
}

const char *aspen_pod_uid(const char *cgroup_path, char *out, size_t len)
{
	const char *p = cgroup_path, *found = NULL;

	if (!p || len < 37 || !strstr(p, "kubepods"))
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "/");
		const char *uid = component_pod(p, n);

		if (uid)
			found = uid;
		p += n;
		p += *p == '/';
	}
	if (!found)
		return NULL;
	for (int i = 0; i < 36; i++)
		out[i] = found[i] == '_' ? '-' : found[i];
	out[36] = '\0';
	return out;
}
