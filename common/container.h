/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container ids and Kubernetes pod UIDs named by cgroup paths: the
 * `container.id` field, for aspend (from the live cgroup) and `aspenc
 * test` (from a recorded event's cgroup), which must agree.
 */
#ifndef ASPEN_CONTAINER_H
#define ASPEN_CONTAINER_H

#include <stddef.h>

#define ASPEN_CONTAINER_ID_LEN 64 /* hex digits; buffers need 65 bytes */

/* The 64-hex container id in a cgroup path (docker, containerd, CRI-O,
 * podman, Kubernetes cgroupfs and systemd layouts), the innermost one if
 * several. Returns out (len >= 65), or NULL if the path names none. */
const char *aspen_container_id(const char *cgroup_path, char *out, size_t len);

/* The Kubernetes pod UID of a path ("kubepods/.../pod<uid>" or
 * "kubepods-...-pod<uid with _>.slice"), dashed as the API spells it.
 * Returns out (len >= 37), or NULL. */
const char *aspen_pod_uid(const char *cgroup_path, char *out, size_t len);

#endif
