/* SPDX-License-Identifier: Apache-2.0 */
#include "fields.h"

#include <string.h>

/* struct aspen_resp carries no request fields: only request rules see them */
#define REQ_KINDS ON_BIT(ON_REQUEST)

/* Indexed by enum field_id. comm is the kernel's TASK_COMM_LEN - 1. */
static const struct field_info fields[F__COUNT] = {
    [F_PROVIDER] = {F_PROVIDER, "provider", FT_PROVIDER, ON_ALL_KINDS, 0, 0},
    /* the TLS probes see a session, not its socket: destination fields are
     * for connect rules (request rules have provider and http.host) */
    [F_DST_IP] = {F_DST_IP, "dst.ip", FT_IP, ON_CONNECT_KINDS, 0, 0},
    [F_DST_PORT] = {F_DST_PORT, "dst.port", FT_INT, ON_CONNECT_KINDS, 1, 65535},
    [F_DST_HOST] = {F_DST_HOST, "dst.host", FT_GLOB, ON_CONNECT_KINDS, 0, 253},
    [F_PROC_PID] = {F_PROC_PID, "process.pid", FT_INT, ON_ALL_KINDS, 1, 4194304},
    [F_PROC_COMM] = {F_PROC_COMM, "process.comm", FT_GLOB, ON_ALL_KINDS, 0, 15},
    [F_PROC_EXE] = {F_PROC_EXE, "process.exe", FT_GLOB, ON_ALL_KINDS, 0, 255},
    [F_PROC_UID] = {F_PROC_UID, "process.uid", FT_INT, ON_ALL_KINDS, 0, 4294967295},
    [F_PROC_USER] = {F_PROC_USER, "process.user", FT_GLOB, ON_ALL_KINDS, 0, 0},
    [F_PROC_GID] = {F_PROC_GID, "process.gid", FT_INT, ON_ALL_KINDS, 0, 4294967295},
    [F_PROC_CGROUP] = {F_PROC_CGROUP, "process.cgroup", FT_GLOB, ON_ALL_KINDS, 0, 0},
    [F_CONTAINER_ID] = {F_CONTAINER_ID, "container.id", FT_GLOB, ON_ALL_KINDS, 0, 0},
    [F_HTTP_METHOD] = {F_HTTP_METHOD, "http.method", FT_GLOB, REQ_KINDS, 0, 0},
    [F_HTTP_PATH] = {F_HTTP_PATH, "http.path", FT_GLOB, REQ_KINDS, 0, 0},
    [F_HTTP_HOST] = {F_HTTP_HOST, "http.host", FT_GLOB, REQ_KINDS, 0, 0},
    [F_REQ_MODEL] = {F_REQ_MODEL, "request.model", FT_GLOB, REQ_KINDS, 0, 0},
    [F_REQ_USER] = {F_REQ_USER, "request.user", FT_GLOB, REQ_KINDS, 0, 0},
    [F_REQ_STREAM] = {F_REQ_STREAM, "request.stream", FT_BOOL, REQ_KINDS, 0, 0},
    [F_REQ_BODY] = {F_REQ_BODY, "request.body", FT_BODY, ON_BIT(ON_REQUEST), 0, 0},
    [F_RESP_STATUS] = {F_RESP_STATUS, "response.status", FT_INT, ON_BIT(ON_RESPONSE), 100, 599},
    [F_RESP_TOKENS] = {F_RESP_TOKENS, "response.tokens", FT_INT, ON_BIT(ON_RESPONSE), 0, INT64_MAX},
};

const struct field_info *field_lookup(const char *name)
{
	for (int i = F_NONE + 1; i < F__COUNT; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

const struct field_info *field_get(enum field_id id)
{
	return &fields[id];
}

const char *const *field_names(size_t *n)
{
	static const char *names[F__COUNT];

	for (int i = F_NONE + 1; i < F__COUNT; i++)
		names[i - 1] = fields[i].name;
	*n = F__COUNT - 1;
	return names;
}
