/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Spill slots: the requests sk_msg cannot cork (its scatterlist holds 17
 * entries: from 68 KiB) are held here until the write probe decides them.
 *
 * Each slot is two loopback TCP connections of aspend's, both in the
 * policy's SOCKHASH: the "hold" socket, to whose receive queue sk_msg
 * redirects a spilling provider connection's writes (ciphertext, in
 * order), and the "forward" socket, whose sk_msg verdict redirects what
 * aspend writes to it onto the provider connection's egress. A thread
 * reads every hold socket, keeps the bytes, and forwards the prefix the
 * slot's `ok` allows; a slot that turns DEAD (a denied request: its
 * connection is cut; or the connection closed) has its bytes thrown away
 * and goes back to the free queue (aspen_spill_free) once all it was sent
 * has been read. docs/internals.md, "Spill".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "aspen_shared.h"
#include "log.h"
#include "policy_obj.h"
#include "policy_skel.h"
#include "spill.h"

#define SPILL_MAX_HELD (256u << 20) /* bytes one slot may hold undecided */

struct slot {
	int hold, hold_peer, fwd, fwd_peer;
	unsigned char *buf; /* bytes read and not forwarded: [fwd_n, got) */
	size_t len, cap;
	uint64_t got;   /* bytes read from the hold socket in total */
	uint64_t fwd_n; /* bytes forwarded */
};

static struct {
	pthread_t th;
	bool running;
	bool inited; /* the slots' fds are set (-1 or open) */
	volatile int stop;
	int efd, ep;
	int spill_fd, free_fd, of_fd, socks_fd, sockhash_fd;
	unsigned n;
	struct slot s[ASPEN_SPILL_SLOTS];
} S = { .efd = -1, .ep = -1, .spill_fd = -1, .free_fd = -1, .of_fd = -1, .socks_fd = -1,
	.sockhash_fd = -1 };

static void sock_key(struct aspen_sock_key *k, const struct sockaddr_in *remote,
		     const struct sockaddr_in *local)
{
	memset(k, 0, sizeof(*k));
	k->raddr[10] = 0xff;
	k->raddr[11] = 0xff;
	memcpy(&k->raddr[12], &remote->sin_addr, 4);
	k->rport = ntohs(remote->sin_port);
	k->lport = ntohs(local->sin_port);
}

/* A loopback connection: *a connected to the listener, *b accepted. The
 * governed cgroup may be aspend's own (--cgroup /): sockops then filed *a
 * as a socket to an unknown address; it is taken out of aspen_socks, so
 * sk_msg treats it as aspend's. */
static int tcp_pair(int lfd, const struct sockaddr_in *la, int *a, int *b,
		    struct aspen_sock_key *key)
{
	struct sockaddr_in local;
	socklen_t sl = sizeof(local);
	struct aspen_sock_key k;
	int one = 1;

	*a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*b = -1;
	if (*a < 0 || connect(*a, (const struct sockaddr *)la, sizeof(*la)) < 0)
		return -1;
	*b = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*b < 0 || getsockname(*a, (struct sockaddr *)&local, &sl) < 0)
		return -1;
	setsockopt(*a, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	sock_key(&k, la, &local);
	if (S.socks_fd >= 0)
		bpf_map_delete_elem(S.socks_fd, &k);
	if (S.sockhash_fd >= 0)
		bpf_map_delete_elem(S.sockhash_fd, &k);
	if (key)
		*key = k;
	return 0;
}

static int slot_open(unsigned i, int lfd, const struct sockaddr_in *la)
{
	struct slot *s = &S.s[i];
	struct aspen_sock_key hk, fk, fwd_tuple;
	__u64 fd;
	__u32 idx = i;

	if (tcp_pair(lfd, la, &s->hold, &s->hold_peer, NULL) < 0 ||
	    tcp_pair(lfd, la, &s->fwd, &s->fwd_peer, &fwd_tuple) < 0)
		return -1;
	if (fcntl(s->hold, F_SETFL, O_NONBLOCK) < 0)
		return -1;
	ASPEN_SPILL_HOLD_KEY(hk, i);
	ASPEN_SPILL_FWD_KEY(fk, i);
	fd = (__u64)s->hold;
	if (bpf_map_update_elem(S.sockhash_fd, &hk, &fd, BPF_ANY) < 0)
		return -1;
	fd = (__u64)s->fwd;
	if (bpf_map_update_elem(S.sockhash_fd, &fk, &fd, BPF_ANY) < 0)
		return -1;
	if (bpf_map_update_elem(S.of_fd, &fwd_tuple, &idx, BPF_ANY) < 0)
		return -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

	return epoll_ctl(S.ep, EPOLL_CTL_ADD, s->hold, &ev);
}

static void slot_close(struct slot *s)
{
	int *fds[] = { &s->hold, &s->hold_peer, &s->fwd, &s->fwd_peer };

	for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
		if (*fds[k] >= 0)
			close(*fds[k]);
		*fds[k] = -1;
	}
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->hold = s->hold_peer = s->fwd = s->fwd_peer = -1;
}

/* Read everything the hold socket has. */
static void slot_drain(struct slot *s)
{
	for (;;) {
		if (s->cap - s->len < 65536) {
			size_t cap = s->cap ? s->cap * 2 : 262144;
			unsigned char *b = cap <= SPILL_MAX_HELD ? realloc(s->buf, cap) : NULL;

			if (!b)
				return; /* full: the hold queue fills, sk_msg cuts the connection */
			s->buf = b;
			s->cap = cap;
		}
		ssize_t n = recv(s->hold, s->buf + s->len, s->cap - s->len, MSG_DONTWAIT);

		if (n <= 0)
			return;
		s->len += (size_t)n;
		s->got += (uint64_t)n;
	}
}

/* Send what the provider connection takes now, without waiting: bytes
 * sent (0: its send buffer is full, try again on the next round), or -1.
 * A provider that stops reading must not stall the other slots: the
 * forward socket's verdict pushes onto the provider connection, and with
 * MSG_DONTWAIT what does not fit there is not taken (the count says how
 * much was). */
static ssize_t send_some(int fd, const unsigned char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = send(fd, p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOMEM))
			break;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static void slot_release(unsigned i, const struct aspen_spill *sp)
{
	struct aspen_spill zero = { 0 };
	__u32 idx = i;

	bpf_map_delete_elem(S.of_fd, &sp->target);
	bpf_map_update_elem(S.spill_fd, &idx, &zero, BPF_ANY);
	S.s[i].len = 0;
	S.s[i].got = S.s[i].fwd_n = 0;
	if (bpf_map_update_elem(S.free_fd, NULL, &idx, BPF_ANY) < 0)
		log_warn("spill slot %u not returned to the free queue: %s", i, strerror(errno));
}

/* Forward what the slot allows; free it once dead and drained. Returns
 * whether the slot is in use (to be looked at again at the next tick). */
static bool slot_service(unsigned i)
{
	struct slot *s = &S.s[i];
	struct aspen_spill sp;
	__u32 idx = i;
	unsigned char sockval[256]; /* struct aspen_sock: only whether it is there */

	slot_drain(s);
	if (bpf_map_lookup_elem(S.spill_fd, &idx, &sp) < 0)
		return false;
	if (sp.state == ASPEN_SPILL_FREE) {
		s->len = 0; /* nothing should be here */
		s->got = s->fwd_n = 0;
		return false;
	}
	if (sp.state == ASPEN_SPILL_ACTIVE && sp.sent == s->got && sp.ok == s->fwd_n &&
	    bpf_map_lookup_elem(S.socks_fd, &sp.target, sockval) < 0) {
		/* the connection ended (sockops dropped its state) with nothing held */
		sp.state = ASPEN_SPILL_DEAD;
		bpf_map_update_elem(S.spill_fd, &idx, &sp, BPF_ANY);
	}
	if (sp.state == ASPEN_SPILL_ACTIVE) {
		uint64_t want = sp.ok < s->got ? sp.ok : s->got;

		if (want > s->fwd_n) {
			ssize_t n = send_some(s->fwd, s->buf, (size_t)(want - s->fwd_n));

			if (n < 0) {
				/* the provider connection is gone: nothing more goes */
				log_warn("spill slot %u: forwarding to the connection of pid %u "
					 "failed: %s", i, sp.tgid, strerror(errno));
				sp.state = ASPEN_SPILL_DEAD;
				bpf_map_update_elem(S.spill_fd, &idx, &sp, BPF_ANY);
			} else if (n > 0) {
				memmove(s->buf, s->buf + n, s->len - (size_t)n);
				s->len -= (size_t)n;
				s->fwd_n += (uint64_t)n;
			}
		}
		return true;
	}
	/* DEAD: what it holds is thrown away, once all it was sent arrived */
	s->fwd_n += s->len;
	s->len = 0;
	if (s->got < sp.sent)
		return true;
	slot_release(i, &sp);
	return false;
}

#define SPILL_TICK_MS 20
#define SPILL_SWEEP_TICKS 10 /* every slot looked at every 200 ms */

/* Each tick, the slots in use and those whose hold socket has bytes; every
 * SPILL_SWEEP_TICKS all of them (a slot the kernel took and turned DEAD
 * without sending it a byte has no event). An idle aspend makes no
 * syscall per slot per tick. */
static void *spill_main(void *arg)
{
	struct epoll_event evs[ASPEN_SPILL_SLOTS + 1];
	bool busy[ASPEN_SPILL_SLOTS] = { false };

	(void)arg;
	for (unsigned tick = 0; !S.stop; tick++) {
		int n = epoll_wait(S.ep, evs, ASPEN_SPILL_SLOTS + 1, SPILL_TICK_MS);

		for (int k = 0; k < n; k++)
			if (evs[k].data.u32 < S.n)
				busy[evs[k].data.u32] = true;
		for (unsigned i = 0; i < S.n; i++)
			if (busy[i] || tick % SPILL_SWEEP_TICKS == 0)
				busy[i] = slot_service(i);
	}
	return NULL;
}

/* A pinned policy adopted: its slots' sockets died with their aspend. */
static void spill_reset_maps(void)
{
	struct aspen_spill zero = { 0 };
	struct aspen_sock_key k, next;
	__u32 idx;

	while (bpf_map_lookup_and_delete_elem(S.free_fd, NULL, &idx) == 0)
		;
	for (idx = 0; idx < ASPEN_SPILL_SLOTS; idx++)
		bpf_map_update_elem(S.spill_fd, &idx, &zero, BPF_ANY);
	while (bpf_map_get_next_key(S.of_fd, NULL, &next) == 0) {
		k = next;
		if (bpf_map_delete_elem(S.of_fd, &k) < 0)
			break;
	}
}

static int dup_fd(const struct bpf_map *m)
{
	int fd = policy_map_fd(m);

	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* The kernel holds requests past 64 KiB only once the slots are there. */
static void set_config_slots(struct policy_obj *p, unsigned n)
{
	struct aspen_config cfg;
	__u32 k = 0;
	int fd = policy_map_fd(p->maps.config);

	if (fd < 0 || bpf_map_lookup_elem(fd, &k, &cfg) < 0)
		return;
	cfg.spill_slots = n;
	bpf_map_update_elem(fd, &k, &cfg, BPF_ANY);
}

unsigned spill_start(struct policy_obj *p, unsigned want)
{
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(la);
	int lfd = -1;
	unsigned i;

	if (S.running || !p->maps.spill || !p->maps.sockhash)
		return S.n;
	for (i = 0; i < ASPEN_SPILL_SLOTS; i++)
		S.s[i].hold = S.s[i].hold_peer = S.s[i].fwd = S.s[i].fwd_peer = -1;
	S.inited = true;
	S.spill_fd = dup_fd(p->maps.spill);
	S.free_fd = dup_fd(p->maps.spill_free);
	S.of_fd = dup_fd(p->maps.spill_of);
	S.socks_fd = dup_fd(p->maps.socks);
	S.sockhash_fd = dup_fd(p->maps.sockhash);
	S.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	S.ep = epoll_create1(EPOLL_CLOEXEC);
	if (S.spill_fd < 0 || S.free_fd < 0 || S.of_fd < 0 || S.sockhash_fd < 0 || S.efd < 0 ||
	    S.ep < 0)
		goto fail;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = ASPEN_SPILL_SLOTS };

	epoll_ctl(S.ep, EPOLL_CTL_ADD, S.efd, &ev);
	spill_reset_maps();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 ||
	    listen(lfd, 2 * ASPEN_SPILL_SLOTS) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&la, &sl) < 0)
		goto fail;
	if (!want || want > ASPEN_SPILL_SLOTS)
		want = ASPEN_SPILL_SLOTS;
	for (i = 0; i < want; i++) {
		if (slot_open(i, lfd, &la) < 0)
			goto fail;
		S.n = i + 1;
	}
	close(lfd);
	lfd = -1;
	for (i = 0; i < S.n; i++) {
		__u32 idx = i;

		if (bpf_map_update_elem(S.free_fd, NULL, &idx, BPF_ANY) < 0)
			goto fail;
	}
	if (pthread_create(&S.th, NULL, spill_main, NULL) != 0)
		goto fail;
	S.running = true;
	set_config_slots(p, S.n);
	return S.n;
fail:
	log_warn("spill slots: %s: requests over 64 KiB written in several writes are decided "
		 "with what the first 64 KiB say (unparsed scan_bound)", strerror(errno));
	if (lfd >= 0)
		close(lfd);
	spill_stop(p);
	return 0;
}

unsigned spill_slots(void)
{
	return S.running ? S.n : 0;
}

void spill_stop(struct policy_obj *p)
{
	int *fds[] = { &S.efd, &S.ep, &S.spill_fd, &S.free_fd, &S.of_fd, &S.socks_fd,
		       &S.sockhash_fd };

	if (S.running) {
		uint64_t one = 1;

		S.stop = 1;
		if (write(S.efd, &one, sizeof(one)) < 0)
			log_warn("spill: cannot wake the forwarding thread");
		pthread_join(S.th, NULL);
		S.running = false;
	}
	if (S.free_fd >= 0) /* no slot left to take */
		spill_reset_maps();
	if (p && p->maps.spill)
		set_config_slots(p, 0);
	for (unsigned i = 0; S.inited && i < ASPEN_SPILL_SLOTS; i++)
		slot_close(&S.s[i]);
	S.inited = false;
	for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
		if (*fds[k] >= 0)
			close(*fds[k]);
		*fds[k] = -1;
	}
	S.n = 0;
	S.stop = 0;
}
