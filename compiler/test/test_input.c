/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A recorded event -> the structs the kernel's decision functions read,
 * filled as aspend and the hooks fill them: dst.host / process.user /
 * process.cgroup / container.id bits from the metadata's `pred` lines
 * (common/preds.c, the code aspend uses), providers from the event's
 * names or its destination (metadata hosts, CIDRs, ports). process.exe and
 * process.comm bits, and a request's providers from its Host header, are
 * left to the kernel (flags), which computes them with the generated DFAs.
 */
#include <arpa/inet.h>
#include <string.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "aspen_test.bpf.h"
#include "meta.h"
#include "preds.h"
#include "container.h"
#include "test_cmd.h"

#ifndef AF_INET6
#define AF_INET6 10
#endif

static void copy(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	strncpy(dst, src, size - 1);
	dst[size - 1] = 0;
}

static uint64_t named_providers(const struct aspen_meta *m, const struct trace_event *ev)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < ev->nprovider; i++) {
		int idx = aspen_meta_provider_index(m, ev->provider[i]);

		if (idx >= 0 && idx < 64)
			mask |= 1ULL << idx;
	}
	return mask;
}


static void fill_conn(const struct aspen_meta *m, const struct trace_event *ev,
		      struct aspen_test_ctx *ctx)
{
	struct aspen_conn *c = &ctx->req.conn;
	char cid[80];
	const char *container = ev->container_id;

	c->tgid = ev->pid < 0 ? 0 : (__u32)ev->pid;
	c->pid = ev->tid < 0 ? c->tgid : (__u32)ev->tid;
	c->uid = ev->uid < 0 ? 0 : (__u32)ev->uid;
	c->gid = ev->gid < 0 ? 0 : (__u32)ev->gid;
	c->port = ev->dst_port < 0 ? 0 : (__u16)ev->dst_port;
	c->proto = ev->proto && !strcmp(ev->proto, "udp") ? 17 : 6;
	c->family = 2;
	c->host_idx = ~0u;
	if (ev->dst_ip && inet_pton(AF_INET, ev->dst_ip, c->addr + 12) == 1) {
		c->addr[10] = c->addr[11] = 0xff;
	} else if (ev->dst_ip && inet_pton(AF_INET6, ev->dst_ip, c->addr) == 1) {
		c->family = AF_INET6;
	}
	/* unknown values: no bit, as aspend leaves its maps without an entry */
	if (ev->comm) {
		copy(c->comm, sizeof(c->comm), ev->comm);
		ctx->flags |= ASPEN_TEST_COMM;
	}
	if (ev->exe) {
		copy(ctx->exe, sizeof(ctx->exe), ev->exe);
		ctx->flags |= ASPEN_TEST_EXE;
	}
	if (ev->user)
		c->user_bits = aspen_pred_bits(m, PC_USER, ev->user, false);
	if (ev->cgroup)
		c->cgroup_bits = aspen_pred_bits(m, PC_CGROUP, ev->cgroup, false);
	if (!container && ev->cgroup)
		container = aspen_container_id(ev->cgroup, cid, sizeof(cid));
	if (container)
		c->cgroup_bits |= aspen_pred_bits(m, PC_CONTAINER, container, false);
	for (size_t i = 0; i < ev->ndst_host; i++)
		c->host_bits |= aspen_pred_bits(m, PC_HOST, ev->dst_host[i], true);
}

void test_event_to_ctx(const struct aspen_meta *m, const struct trace_event *ev,
		       struct aspen_test_ctx *ctx)
{
	struct aspen_conn *c = &ctx->req.conn;

	memset(ctx, 0, sizeof(*ctx));
	ctx->kind = ev->kind == TRACE_CONNECT	? ASPEN_TEST_CONNECT
		    : ev->kind == TRACE_REQUEST ? ASPEN_TEST_REQUEST
						: ASPEN_TEST_RESPONSE;
	fill_conn(m, ev, ctx);
	if (ev->has_provider) {
		c->providers = named_providers(m, ev);
	} else if (ev->kind == TRACE_CONNECT) {
		/* the hook: (address map | CIDR trie) & providers on this port */
		for (size_t i = 0; i < ev->ndst_host; i++)
			c->providers |= aspen_meta_host_providers(m, ev->dst_host[i]);
		if (ev->dst_ip)
			c->providers |= aspen_meta_cidr_providers(m, c->addr);
		c->providers &= aspen_meta_port_providers(m, c->port);
	} else {
		ctx->flags |= ASPEN_TEST_HOST_PROV;
	}
	copy(ctx->req.method, sizeof(ctx->req.method), ev->method);
	copy(ctx->req.path, sizeof(ctx->req.path), ev->path);
	copy(ctx->req.host, sizeof(ctx->req.host), ev->host);
	copy(ctx->req.model, sizeof(ctx->req.model), ev->model);
	copy(ctx->req.user, sizeof(ctx->req.user), ev->request_user);
	ctx->req.content_length = ~0ULL;
	ctx->req.flags = ASPEN_REQ_HEAD_DONE | ASPEN_REQ_BODY_DONE;
	if (ev->stream)
		ctx->req.flags |= ASPEN_REQ_STREAM;
	if (ev->model)
		ctx->req.flags |= ASPEN_REQ_HAS_MODEL;
	if (ev->request_user)
		ctx->req.flags |= ASPEN_REQ_HAS_USER;
	if (ev->unparsed)
		ctx->req.unparsed = aspen_unparsed_code(ev->unparsed);
	if (ev->ws && !strcmp(ev->ws, "upgrade")) {
		ctx->req.flags |= ASPEN_REQ_WS_HEAD | ASPEN_REQ_UNSEEN_MODEL | ASPEN_REQ_UNSEEN_BODY;
	} else if (ev->ws) { /* a message: its model is known when the event has one */
		ctx->req.flags |= ASPEN_REQ_WS_MSG |
				  (ev->model ? ASPEN_REQ_WS_NAMED : ASPEN_REQ_UNSEEN_MODEL);
	}
	ctx->resp.status = ev->status < 0 ? 0 : (__u32)ev->status;
	ctx->resp.tokens_in = (__u64)ev->tokens_in;
	ctx->resp.tokens_out = (__u64)ev->tokens_out;
}
