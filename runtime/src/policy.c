/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One policy object's life: open the .bpf.o, check its metadata, load it
 * (printing the verifier log on failure), fill its maps, attach every
 * program through the hook kind its section names (hooks.c), keep its
 * aspen_config current (monitor, heartbeat, retired), and tear it down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/types.h>

#include "aspen_shared.h"
#include "btf_cache.h"
#include "daemon.h"
#include "events.h"
#include "hook.h"
#include "hosts.h"
#include "log.h"
#include "pin.h"
#include "policy.h"
#include "policy_late.h"
#include "policy_obj.h"
#include "policy_skel.h"
#include "premaps.h"
#include "procs.h"
#include "redact.h"
#include "scrub.h"
#include "spill.h"
#include "verifier.h"
#include "sha256.h"

static int set_config(struct daemon *d, struct policy_obj *p)
{
	struct aspen_config cfg = { .force_monitor = d->opts.monitor || p->meta.monitor,
				    .body_bound = d->opts.body_bound,
				    .gen = p->gen,
				    .spill_slots = spill_slots() };
	/* force_monitor also covers what no rule decides (`uninspectable`,
	 * probes that could not be attached) under a `mode monitor` policy */
	__u32 k = 0;
	int fd = policy_map_fd(p->maps.config);

	if (fd < 0 || bpf_map_update_elem(fd, &k, &cfg, BPF_ANY) < 0)
		return -1;
	return 0;
}

/* On reload, the new object takes over the provider sockets the old one
 * filed (SOCKHASH and their state), so connections opened before the
 * reload stay under sk_msg enforcement: its sk_msg program replaces the old
 * one on the same SOCKHASH. HTTP/2 connections' parser and header table
 * (aspen_h2conns) go over too: they cannot be rebuilt mid-connection; the
 * streams (requests, with the old policy's bits) start afresh. Maps whose values depend on the policy
 * (predicate bits, parse state) are not shared. A map whose layout changed
 * is simply not reused (new connections only, said in the log).
 * Writers held for redaction (aspen_redact_held) are kept: a hold the old
 * object made is resumed by whoever reads its event.
 * Which processes are probed (aspen_tls_ready) is kept too: their probes
 * are moved to the new programs one process at a time (tls_reattach).
 * Adopting a pinned policy (d->adopt) also keeps its ring buffer (the
 * records queued while no aspend ran are read, not lost) and lost counter. */
static bool same_shape(const struct bpf_map *m, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(m) &&
	       info.key_size == bpf_map__key_size(m) && info.value_size == bpf_map__value_size(m) &&
	       info.max_entries == bpf_map__max_entries(m) && info.map_flags == bpf_map__map_flags(m);
}

/* Adopting the same policy (sha256): every aspen_* map but the config is
 * the pinned one, parse state included. The predecessor's probes keep
 * deciding until tls_adopt_pinned has moved each process to ours, while
 * our sockops already forgets a closed socket's session state: with the
 * same aspen_streams it forgets it for both (else a session reused by the
 * next connection of a process not yet moved is read with a dead one's
 * state: approved requests denied as model null / malformed). */
static void reuse_all_pinned(struct daemon *d, struct policy_obj *p)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, p->obj)
	{
		const char *name = bpf_map__name(m);
		int fd;

		if (strncmp(name, "aspen_", 6) || !strcmp(name, ASPEN_MAP_CONFIG) ||
		    bpf_map__fd(m) >= 0)
			continue;
		fd = pin_map_fd(d, name);
		if (fd >= 0 && same_shape(m, fd) && bpf_map__reuse_fd(m, fd))
			log_warn("adopt: %s not carried over", name);
		if (fd >= 0)
			close(fd);
	}
}

static void reuse_maps(struct daemon *d, struct policy_obj *p, struct policy_obj *old)
{
	struct bpf_map *const mine[] = { p->maps.sockhash, p->maps.socks, p->maps.ledger,
					 p->maps.tid_session, p->maps.h2conns, p->maps.events,
					 p->maps.lost, p->maps.tls_ready, p->maps.redact_held,
					 p->maps.spill, p->maps.spill_free, p->maps.spill_of };
	const struct bpf_map *const theirs[] = { old ? old->maps.sockhash : NULL,
						 old ? old->maps.socks : NULL,
						 old ? old->maps.ledger : NULL,
						 old ? old->maps.tid_session : NULL,
						 old ? old->maps.h2conns : NULL,
						 NULL,
						 NULL,
						 old ? old->maps.tls_ready : NULL,
						 old ? old->maps.redact_held : NULL,
						 old ? old->maps.spill : NULL,
						 old ? old->maps.spill_free : NULL,
						 old ? old->maps.spill_of : NULL };
	size_t nmine = sizeof(mine) / sizeof(mine[0]);

	for (size_t i = 0; i < nmine; i++) {
		bool pinned = !old && d->adopt;
		int fd = pinned ? (mine[i] ? pin_map_fd(d, bpf_map__name(mine[i])) : -1)
			 : i < sizeof(theirs) / sizeof(theirs[0]) ? policy_map_fd(theirs[i])
								  : -1;

		if (mine[i] && fd >= 0 && bpf_map__reuse_fd(mine[i], fd))
			log_warn("%s: %s not carried over: connections opened before leave "
				 "request enforcement", pinned ? "adopt" : "reload",
				 bpf_map__name(mine[i]));
		if (pinned && fd >= 0)
			close(fd);
	}
	if (!old && d->adopt && !strcmp(d->adopt_sha256, p->meta.sha256))
		reuse_all_pinned(d, p);
}

/* The connection tables' sizes (--max-connections N): LRU hashes, which
 * the kernel preallocates whole when the map is made (start-up: ~0.2 us an
 * entry and ~0.6 ms a MB here), sized from N in the proportions of the
 * tables they were before (N = 65536). Past N, the least recently used
 * entry is evicted and its connection's next bytes have no state: they
 * are decided by `uninspectable` (state_lost, or uninspected_bytes for a
 * thread's last session), never passed unread (docs/operators.md). The
 * SOCKHASH allocates on insert: twice N, at least 65536. Adopting pinned
 * maps keeps their sizes (the predecessor's programs share them): a
 * different N takes effect at the next fresh start. */
static const struct {
	const char *name;
	unsigned div, min, mul;
} conn_maps[] = {
    {ASPEN_MAP_SOCKS, 1, 0, 1},	    {ASPEN_MAP_LEDGER, 1, 0, 1},   {ASPEN_MAP_TID_SESSION, 1, 0, 1},
    {"aspen_streams", 4, 256, 1},   {"aspen_rstreams", 4, 256, 1}, {"aspen_h2conns", 64, 64, 1},
    {"aspen_h2streams", 8, 512, 1}, {"aspen_go_reads", 4, 256, 1}, {"aspen_sockhash", 1, 65536, 2},
};

static void size_conn_maps(struct daemon *d, struct policy_obj *p)
{
	unsigned n = d->opts.max_conns ? d->opts.max_conns : ASPEND_MAX_CONNS, kept = 0;
	bool pinned = d->adopt && !d->cur;

	for (size_t i = 0; i < sizeof(conn_maps) / sizeof(conn_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(p->obj, conn_maps[i].name);
		unsigned want = n / conn_maps[i].div * conn_maps[i].mul;
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd;

		if (!m)
			continue;
		if (want < conn_maps[i].min)
			want = conn_maps[i].min;
		fd = pinned ? pin_map_fd(d, conn_maps[i].name) : -1;
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.max_entries) {
			if (info.max_entries != want && !strcmp(conn_maps[i].name, ASPEN_MAP_SOCKS))
				kept = info.max_entries;
			want = info.max_entries;
		}
		if (fd >= 0)
			close(fd);
		bpf_map__set_max_entries(m, want);
	}
	if (kept)
		log_warn("adopt: the pinned connection tables keep their size (%u connections); "
			 "--max-connections %u takes effect at a fresh start (aspend --unload, "
			 "then start)",
			 kept, n);
}

static int fill_maps(struct daemon *d, struct policy_obj *p)
{
	if (hosts_collect(d, &p->meta) < 0 || hosts_fill_maps(d, p) < 0)
		return -1;
	/* procs_fill runs in policy_attach, once the exec hook is in place */
	if (users_fill(d, p) < 0 || cgroups_fill(d, p) < 0)
		return -1;
	return 0;
}

struct policy_obj *policy_load(struct daemon *d, const char *path, char *err, size_t errlen)
{
	struct policy_obj *p = calloc(1, sizeof(*p));
	char msg[256], cpath[4096];
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (aspen_meta_read_elf(path, &p->meta, err, errlen) < 0)
		goto fail;
	if (p->meta.abi != ASPEN_ABI_VERSION) {
		snprintf(err, errlen, "%s was built for ABI %d, this aspend speaks %d: rebuild it "
			 "with the matching aspenc", path, p->meta.abi, ASPEN_ABI_VERSION);
		goto fail;
	}
	log_phase("meta");
	if (redact_prepare(p) < 0) {
		snprintf(err, errlen, "%s: a pattern to mask does not compile for aspend", path);
		goto fail;
	}
	if (scrub_prepare(p) < 0) {
		snprintf(err, errlen, "%s: a pattern does not compile for aspend's audit masking", path);
		goto fail;
	}
	log_phase("patterns");
	do /* the probes of the object it replaces must tell it from them */
		p->gen = (__u32)rand() ^ (__u32)time(NULL) ^ ((__u32)getpid() << 16);
	while (!p->gen || (d->cur && p->gen == d->cur->gen));
	if (aspen_sha256_file_hex(path, p->sha256_obj) < 0)
		p->sha256_obj[0] = 0;
	/* CO-RE against the cached small BTF when there is one, else against
	 * the kernel's and the small one is made after enforcing (btf_cache.h) */
	rc = btf_cache_path(d->opts.btf_cache, p->sha256_obj, cpath, sizeof(cpath));
	if (rc == 1 && !d->no_btf_cache)
		snprintf(p->btf_path, sizeof(p->btf_path), "%s", cpath);
	else if (rc >= 0)
		snprintf(p->btf_build, sizeof(p->btf_build), "%s", cpath);
	snprintf(d->btf_used, sizeof(d->btf_used), "%s", p->btf_path);
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = p->btf_path[0] ? p->btf_path : NULL);

	p->obj = bpf_object__open_file(path, &oo);
	if (!p->obj) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (policy_skel_open(p->obj, &p->maps, &p->progs, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s: rebuild it with the matching aspenc", path, msg);
		goto fail;
	}
	size_conn_maps(d, p);
	reuse_maps(d, p, d->cur);
	/* Adopting another policy loads them now: the predecessor's probes
	 * must be taken over at once (their parse state is the old object's,
	 * which only the old sockops kept in step with the sockets). Adopting
	 * the same policy shares every map but the config with them
	 * (reuse_all_pinned): they go on deciding, as they did while no
	 * aspend ran, until ours are loaded and take them over (late_ready). */
	if (!d->adopt || d->cur || !strcmp(d->adopt_sha256, p->meta.sha256))
		p->nlate = policy_late_defer(p);
	existing_defer(p);
	log_phase("open");
	premaps_create(p->obj);
	log_phase("premaps");
	rc = bpf_object__load(p->obj);
	log_phase("load");
	if (rc) {
		snprintf(err, errlen, "the kernel refused policy '%s' from %s: %s (run with -v for "
			 "the verifier log)", p->meta.policy, path, strerror(-rc));
		verifier_explain(path, &p->meta, p->nlate ? VERIFIER_START : VERIFIER_ALL, err,
				 errlen);
		goto fail;
	}
	if (set_config(d, p) < 0 || fill_maps(d, p) < 0) {
		snprintf(err, errlen, "cannot fill the maps of %s", path);
		goto fail;
	}
	log_phase("maps");
	if (events_open(d, p) < 0) {
		snprintf(err, errlen, "cannot open the ring buffer of %s", path);
		goto fail;
	}
	return p;
fail:
	policy_destroy(p);
	return NULL;
}

/* Process tracking first, then the processes that already run (so none
 * falls between the two), then the hooks that decide. */
int policy_attach(struct daemon *d, struct policy_obj *p, struct policy_obj *old)
{
	if (hooks_attach(d, p, old, true) < 0)
		return -1;
	log_phase("attach-track");
	if (procs_fill(d, p) < 0)
		log_warn("cannot read /proc: processes started before aspend have no process.exe");
	log_phase("procs");
	return hooks_attach(d, p, old, false);
}

/* The kernel holds threads for aspend only while this is fresh. */
void policy_heartbeat(struct policy_obj *p)
{
	struct timespec ts;
	struct aspen_config cfg;
	__u32 k = 0;
	int fd = policy_map_fd(p->maps.config);

	if (fd < 0 || bpf_map_lookup_elem(fd, &k, &cfg) < 0)
		return;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	cfg.heartbeat_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	bpf_map_update_elem(fd, &k, &cfg, BPF_ANY);
}

/* The old object's probes stand down before the new one's are attached
 * (aspen_retired() in the templates): two policies never decide the same
 * write while the old probes wait for the reaper. */
void policy_retire(struct policy_obj *p)
{
	struct aspen_config cfg;
	__u32 k = 0;
	int fd = policy_map_fd(p->maps.config);

	if (fd < 0 || bpf_map_lookup_elem(fd, &k, &cfg) < 0)
		return;
	cfg.retired = 1;
	bpf_map_update_elem(fd, &k, &cfg, BPF_ANY);
}

void policy_destroy(struct policy_obj *p)
{
	if (!p)
		return;
	hooks_detach(p);
	policy_late_free(p);
	events_close(p);
	redact_release(p);
	scrub_release(p);
	bpf_object__close(p->obj);
	aspen_meta_free(&p->meta);
	free(p);
}
