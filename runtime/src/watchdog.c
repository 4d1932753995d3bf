/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watchdog (watchdog.h). Forked while aspend has one thread; it keeps
 * only a pidfd of aspend, the config and tls_ready maps and stderr, and
 * re-reads the pinned maps when it fires (a reload replaced them). When the
 * scope's pinned state names another aspend (a takeover), it does nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "aspen_shared.h"
#include "daemon.h"
#include "log.h"
#include "pin.h"
#include "policy_obj.h"
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

		if (bpf_map_lookup_elem(ready_fd, &key, &tp) == 0 && tp.state == ASPEN_TLS_HELD) {
			tp.state = ASPEN_TLS_NONE;
			tp.since_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
			bpf_map_update_elem(ready_fd, &key, &tp, BPF_EXIST);
			kill((pid_t)key, SIGCONT);
			n++;
		}
		prev = &key;
	}
	return n;
}

static void fire(const char *dir, pid_t parent, int cfg_fd, int ready_fd)
{
	struct aspen_config cfg;
	__u32 k = 0;
	unsigned n;

	if (taken_over(dir, parent))
		return;
	cfg_fd = pinned_fd(dir, "map:" ASPEN_MAP_CONFIG, cfg_fd);
	ready_fd = pinned_fd(dir, "map:" ASPEN_MAP_TLS_READY, ready_fd);
	if (cfg_fd >= 0 && bpf_map_lookup_elem(cfg_fd, &k, &cfg) == 0) {
		cfg.heartbeat_ns = 0;
		bpf_map_update_elem(cfg_fd, &k, &cfg, BPF_ANY);
	}
	n = resume_held(ready_fd);
	dprintf(2,
		"aspend: warning: watchdog: aspend (pid %d) is gone; %s; %u held process(es) "
		"resumed (decided by `uninspectable`)\n",
		(int)parent,
		dir[0] ? "its pinned policy stays in force"
		       : "nothing is pinned: its policy is gone",
		n);
}

static void child(const char *dir, pid_t parent, int pidfd, int cfg_fd, int ready_fd)
{
	int keep[3] = {pidfd, cfg_fd, ready_fd}, top = KEEP_BASE;
	struct pollfd pfd;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_NAME, "aspend-watchdog");
	for (int i = 0; i < 3; i++)
		keep[i] = keep[i] >= 0 ? fcntl(keep[i], F_DUPFD_CLOEXEC, top++) : -1;
	syscall(SYS_close_range, 3u, (unsigned)KEEP_BASE - 1, 0u);
	syscall(SYS_close_range, (unsigned)top, ~0u, 0u);
	pfd = (struct pollfd){.fd = keep[0], .events = POLLIN};
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	fire(dir, parent, keep[1], keep[2]);
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
		child(d->pin_dir, parent, pidfd, policy_map_fd(p->maps.config),
		      policy_map_fd(p->maps.tls_ready));
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
