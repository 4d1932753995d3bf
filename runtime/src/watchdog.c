/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog (watchdog.h). Forked while aspend has one thread; it keeps
 * only a pidfd of aspend, the config, tls_ready, redact_held and ledger
 * maps and stderr, and re-reads the pinned maps when it fires (a reload
 * replaced them): it resumes the threads held for probes and the writers
 * held for redaction, denying their request (release_redact). When the
 * scope's pinned state names another aspend (a takeover), it does nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "aspen_shared.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "pin.h"
#include "policy_obj.h"
#include "redact.h"
#include "watchdog.h"

#define KEEP_BASE 1000

static int pinned_fd(const char *dir, const char *name, int fallback)
{
	char path[PATH_MAX];
	int fd;

	if (!dir[0] || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return fallback;
	fd = bpf_obj_get(path);
	return fd >= 0 ? fd : fallback;
}

/* 1 when the pinned state says another aspend owns the scope now */
static int taken_over(const char *dir, pid_t parent)
{
	struct pin_state st;
	__u32 k = 0;
	int fd = pinned_fd(dir, "state", -1), rc = 0;

	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &k, &st) == 0)
		rc = st.pid && (pid_t)st.pid != parent;
	close(fd);
	return rc;
}

static unsigned resume_held(int ready_fd)
{
	__u32 key, *prev = NULL;
	unsigned n = 0;
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	while (ready_fd >= 0 && bpf_map_get_next_key(ready_fd, prev, &key) == 0) {
		struct aspen_tls_proc tp;

		if (bpf_map_lookup_elem(ready_fd, &key, &tp)) {
			/* gone meanwhile */
		} else if (tp.state == ASPEN_TLS_HELD) {
			tp.state = ASPEN_TLS_NONE;
			tp.since_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
			bpf_map_update_elem(ready_fd, &key, &tp, BPF_EXIST);
			kill((pid_t)key, SIGCONT);
			n++;
		} else if (tp.reads == ASPEN_READS_HELD) {
			/* stopped at an HTTP/2 preface for its read probes: its
			 * windows are taken as the initial ones (aspen_h2.bpf.h) */
			tp.reads = ASPEN_READS_FAILED;
			bpf_map_update_elem(ready_fd, &key, &tp, BPF_EXIST);
			kill((pid_t)key, SIGCONT);
			n++;
		}
		prev = &key;
	}
	return n;
}

/* Writers held for redaction: each HELD session is denied in the ledger
 * (the unmasked bytes are dropped by sk_msg), marked RELEASED and its writer
 * resumed. A probe that saw aspend alive an instant before the heartbeat
 * went to 0 may record a hold after a pass, and a SIGCONT may come before
 * the kernel's SIGSTOP: passes run again 20 and 220 ms later, and every
 * recent record's writer gets SIGCONT at each (also one aspend marked DONE
 * but died before resuming). */
#define REDACT_PASSES 3
static const unsigned redact_pass_ms[REDACT_PASSES] = {0, 20, 200}; /* sleep before */
#define REDACT_RECENT_NS (10ULL * 1000 * 1000 * 1000)

static unsigned redact_pass(int held_fd, int ledger_fd)
{
	__u32 key, next, *prev = NULL;
	__u64 now = boot_ns();
	unsigned n = 0;

	while (held_fd >= 0 && bpf_map_get_next_key(held_fd, prev, &next) == 0) {
		struct aspen_redact_held h;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(held_fd, &key, &h))
			continue;
		if (h.state == ASPEN_REDACT_HELD || h.state == ASPEN_REDACT_ESCAPED) {
			redact_release_held(held_fd, ledger_fd, key, &h);
			n++;
		} else if (h.state != ASPEN_REDACT_PROC && now - h.since_ns < REDACT_RECENT_NS) {
			kill((pid_t)h.tgid, SIGCONT);
		}
	}
	return n;
}

static unsigned release_redact(const char *dir, pid_t parent, int held_fd, int ledger_fd)
{
	unsigned n = 0;

	for (int i = 0; i < REDACT_PASSES; i++) {
		usleep(redact_pass_ms[i] * 1000);
		if (i && taken_over(dir, parent))
			break; /* a successor holds and resumes now */
		n += redact_pass(held_fd, ledger_fd);
	}
	return n;
}

static void fire(const char *dir, pid_t parent, const int *fds)
{
	struct aspen_config cfg;
	__u32 k = 0;
	unsigned n, nr;
	int cfg_fd, ready_fd, held_fd, ledger_fd;

	if (taken_over(dir, parent))
		return;
	cfg_fd = pinned_fd(dir, "map:" ASPEN_MAP_CONFIG, fds[1]);
	ready_fd = pinned_fd(dir, "map:" ASPEN_MAP_TLS_READY, fds[2]);
	held_fd = pinned_fd(dir, "map:" ASPEN_MAP_REDACT_HELD, fds[3]);
	ledger_fd = pinned_fd(dir, "map:" ASPEN_MAP_LEDGER, fds[4]);
	if (cfg_fd >= 0 && bpf_map_lookup_elem(cfg_fd, &k, &cfg) == 0) {
		cfg.heartbeat_ns = 0;
		bpf_map_update_elem(cfg_fd, &k, &cfg, BPF_ANY);
	}
	n = resume_held(ready_fd);
	nr = release_redact(dir, parent, held_fd, ledger_fd);
	dprintf(2,
		"aspend: warning: watchdog: aspend (pid %d) is gone; %s; %u held process(es) "
		"resumed (decided by `uninspectable`); %u writer(s) held for redaction resumed "
		"(their request denied)\n",
		(int)parent,
		dir[0] ? "its pinned policy stays in force"
		       : "nothing is pinned: its policy is gone",
		n, nr);
}

#define NKEEP 5

static void child(const char *dir, pid_t parent, int pidfd, struct policy_obj *p)
{
	int keep[NKEEP] = {pidfd, policy_map_fd(p->maps.config), policy_map_fd(p->maps.tls_ready),
			   policy_map_fd(p->maps.redact_held), policy_map_fd(p->maps.ledger)};
	int top = KEEP_BASE;
	struct pollfd pfd;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_NAME, "aspend-watchdog");
	for (int i = 0; i < NKEEP; i++)
		keep[i] = keep[i] >= 0 ? fcntl(keep[i], F_DUPFD_CLOEXEC, top++) : -1;
	syscall(SYS_close_range, 3u, (unsigned)KEEP_BASE - 1, 0u);
	syscall(SYS_close_range, (unsigned)top, ~0u, 0u);
	pfd = (struct pollfd){.fd = keep[0], .events = POLLIN};
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	fire(dir, parent, keep);
	_exit(0);
}

int watchdog_start(struct daemon *d, struct policy_obj *p)
{
	pid_t parent = getpid(), pid;
	int pidfd = (int)syscall(SYS_pidfd_open, parent, 0);

	if (pidfd < 0) {
		log_warn("watchdog: pidfd_open: %s: a thread held when aspend dies stays stopped "
			 "until the next aspend starts",
			 strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child(d->pin_dir, parent, pidfd, p);
	close(pidfd);
	if (pid < 0) {
		log_warn("watchdog: fork: %s", strerror(errno));
		return -1;
	}
	d->watchdog_pid = pid;
	return 0;
}

void watchdog_stop(struct daemon *d)
{
	if (d->watchdog_pid <= 0)
		return;
	kill(d->watchdog_pid, SIGKILL);
	waitpid(d->watchdog_pid, NULL, 0);
	d->watchdog_pid = 0;
}
