/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspend: loads a policy object compiled by aspenc, attaches it, pins it
 * under bpffs (pin.h: it outlives aspend) and turns its ring buffer into
 * the audit trail. Foreground; logs to stderr. SIGTERM/SIGINT detach
 * everything and exit 0 (with --keep-on-exit: leave the pinned policy in
 * force); SIGHUP reloads atomically. A pinned policy found at start is
 * adopted without a window (links swapped in place, maps and ring kept).
 */
#define _GNU_SOURCE /* SCHED_RESET_ON_FORK */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "aspen_shared.h"
#include "audit.h"
#include "clock.h"
#include "btf_cache.h"
#include "daemon.h"
#include "events.h"
#include "hook_uprobe.h"
#include "hook.h"
#include "hosts.h"
#include "log.h"
#include "metrics.h"
#include "otlp.h"
#include "pin.h"
#include "policy.h"
#include "policy_obj.h"
#include "probe.h"
#include "policy_late.h"
#include "record.h"
#include "redact.h"
#include "verifier.h"
#include "scrub.h"
#include "spill.h"
#include "watchdog.h"
#include "rt_audit.h"
#include "rt_cgroup.h"

#define H_HANDOFF_MS 10000

static struct daemon D = {.pin_state_fd = -1};
static struct timespec T0; /* start of main, for "enforcing after N ms" */
static const char *unload_arg; /* --unload SCOPE */
static bool status_cmd, force;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		D.reload = 1;
	else if (sig == SIGUSR1)
		D.reopen = 1;
	else if (sig == SIGUSR2)
		D.handoff = 1, D.stop = 1; /* a successor takes over (--takeover) */
	else
		D.stop = 1;
}

static int libbpf_log(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_DEBUG && !D.opts.verbose)
		return 0;
	if (lvl == LIBBPF_INFO && !D.opts.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: aspend POLICY.bpf.o [options]\n"
		"  --cgroup DIR       enforce in this cgroup v2 subtree (default: the whole host)\n"
		"  --audit FILE       append the JSON Lines audit trail to FILE (default: stdout)\n"
		"  --audit-max-size N rotate FILE to FILE.1 before it grows past N bytes\n"
		"                     (suffix K, M or G); the chain goes on in the new FILE\n"
		"  --audit-keep N     rotated files kept, FILE.1 .. FILE.N (default 10)\n"
		"  --audit-fsync      fsync FILE after every line (slower; no line lost on power loss)\n"
		"  --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
		"                     (e.g. 127.0.0.1:9464; :9464 for every address)\n"
		"  --prog-stats       have the kernel time every eBPF program run while aspend runs\n"
		"                     (bpf_enable_stats; a few ns per run), for --metrics\n"
		"  --otlp URL         also send every audit line as an OpenTelemetry log record\n"
		"                     (OTLP/HTTP JSON, GenAI conventions) to URL, e.g.\n"
		"                     http://127.0.0.1:4318 (posts to /v1/logs)\n"
		"  --otlp-file FILE   the same records appended to FILE, one export request a line\n"
		"  --monitor          record what would be denied, block nothing\n"
		"  --hosts FILE       provider addresses from a hosts(5) file\n"
		"  --resolve HOST=IP  provider address (repeatable)\n"
		"  --no-resolve       do not resolve provider names with the system resolver\n"
		"  --refresh SECONDS  re-resolve provider names this often (default 300)\n"
		"  --ready-file FILE  create FILE once everything is attached\n"
		"  --record FILE      also write a trace of every decision (for `aspenc test`)\n"
		"  --body-bound N     request body bytes read before an undecided request is\n"
		"                     decided as uninspectable scan_bound (default 4M; K, M, G)\n"
		"  --spill-slots N    requests too big to cork held at once (1-32, default 32);\n"
		"                     one more is decided as uninspectable hold_full\n"
		"  --max-connections N  provider connections tracked at once (256-1M, K suffix;\n"
		"                     default 8K): past it the least recently used one loses its\n"
		"                     state and is decided as uninspectable state_lost\n"
		"  --no-stdlib-scan   mask request values in the audit with the policy's patterns\n"
		"                     only, not also with the standard library's pii and secrets\n"
		"  --keep-on-exit     SIGTERM/SIGINT leave the pinned policy in force (restart)\n"
		"  --takeover         replace the running aspend of the same cgroup without a window\n"
		"  --btf-cache DIR    keep the kernel types the policy's CO-RE reads need in DIR,\n"
		"                     per kernel build (default " ASPEND_BTF_CACHE "; '' for none)\n"
		"  --rt-priority N    run the event loop (which resumes writers held for\n"
		"                     redaction) at SCHED_FIFO priority N (1-99; default: normal)\n"
		"  -v, --verbose      libbpf and verifier details\n"
		"  --version, --help\n"
		"       aspend --status                 the pinned policies, per cgroup scope\n"
		"       aspend --unload SCOPE|CGROUP [--force]  detach and unpin a scope's policy\n"
		"signals: SIGHUP reloads POLICY.bpf.o atomically; SIGUSR1 reopens the audit FILE\n"
		"(after logrotate moved it); SIGTERM/SIGINT detach, unpin and exit 0; SIGKILL or\n"
		"a crash leaves the pinned policy enforcing (docs/operators.md)\n");
}

/* --audit-max-size: bytes, or with a K, M or G suffix (powers of 1024) */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;

	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (end == s || *end || v == 0 || v > (1ULL << (62 - shift))) {
		fprintf(stderr, "aspend: --audit-max-size: a size such as 100M, not '%s'\n", s);
		return -1;
	}
	*out = v << shift;
	return 0;
}

/* --body-bound: "4M", "65536", "512K": 1 KiB to 1 GiB. */
static int parse_bound(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	if (v > (1ULL << 30))
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end || v < 1024 || v > (1ULL << 30))
		return -1;
	*out = v;
	return 0;
}

/* --max-connections: ASPEND_MAX_CONNS_MIN to _MAX, "65536" or "64K" */
static int parse_conns(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end != s && (*end == 'K' || *end == 'k') && !end[1] && v <= ASPEND_MAX_CONNS_MAX >> 10)
		v <<= 10, end++;
	if (end == s || *end || v < ASPEND_MAX_CONNS_MIN || v > ASPEND_MAX_CONNS_MAX) {
		fprintf(stderr, "aspend: --max-connections: a number from %u to %u (or 64K): '%s'\n",
			ASPEND_MAX_CONNS_MIN, ASPEND_MAX_CONNS_MAX, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* --spill-slots: 1 to ASPEN_SPILL_SLOTS */
static int parse_slots(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || v < 1 || v > ASPEN_SPILL_SLOTS) {
		fprintf(stderr, "aspend: --spill-slots: a number from 1 to %d: '%s'\n",
			ASPEN_SPILL_SLOTS, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_CGROUP = 256, O_AUDIT, O_MONITOR, O_HOSTS, O_RESOLVE, O_NORES, O_READY,
	       O_REFRESH, O_VERSION, O_HELP, O_RECORD, O_NOSTD, O_MAXSIZE, O_KEEP, O_METRICS, O_OTLP,
	       O_OTLP_FILE, O_PROG_STATS, O_AUDIT_FSYNC, O_BOUND, O_KEEP_EXIT, O_TAKEOVER, O_UNLOAD,
	       O_STATUS, O_FORCE, O_SPILL, O_BTF_CACHE, O_CONNS, O_RT_PRIO };
	static const struct option lo[] = {
		{ "cgroup", required_argument, 0, O_CGROUP },
		{ "audit", required_argument, 0, O_AUDIT },
		{ "monitor", no_argument, 0, O_MONITOR },
		{ "hosts", required_argument, 0, O_HOSTS },
		{ "resolve", required_argument, 0, O_RESOLVE },
		{ "no-resolve", no_argument, 0, O_NORES },
		{ "ready-file", required_argument, 0, O_READY },
		{ "record", required_argument, 0, O_RECORD },
		{ "no-stdlib-scan", no_argument, 0, O_NOSTD },
		{ "refresh", required_argument, 0, O_REFRESH },
		{ "audit-max-size", required_argument, 0, O_MAXSIZE },
		{ "audit-keep", required_argument, 0, O_KEEP },
		{ "metrics", required_argument, 0, O_METRICS },
		{ "otlp", required_argument, 0, O_OTLP },
		{ "otlp-file", required_argument, 0, O_OTLP_FILE },
		{ "prog-stats", no_argument, 0, O_PROG_STATS },
		{ "audit-fsync", no_argument, 0, O_AUDIT_FSYNC },
		{ "body-bound", required_argument, 0, O_BOUND },
		{ "keep-on-exit", no_argument, 0, O_KEEP_EXIT },
		{ "takeover", no_argument, 0, O_TAKEOVER },
		{ "spill-slots", required_argument, 0, O_SPILL },
		{ "max-connections", required_argument, 0, O_CONNS },
		{ "btf-cache", required_argument, 0, O_BTF_CACHE },
		{ "rt-priority", required_argument, 0, O_RT_PRIO },
		{ "unload", required_argument, 0, O_UNLOAD },
		{ "status", no_argument, 0, O_STATUS },
		{ "force", no_argument, 0, O_FORCE },
		{ "verbose", no_argument, 0, 'v' },
		{ "version", no_argument, 0, O_VERSION },
		{ "help", no_argument, 0, O_HELP },
		{ 0, 0, 0, 0 },
	};
	int c;

	o->refresh_s = 300;
	o->audit_keep = 10;
	o->btf_cache = ASPEND_BTF_CACHE;
	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case O_CGROUP: o->cgroup = optarg; break;
		case O_AUDIT: o->audit_path = optarg; break;
		case O_MONITOR: o->monitor = true; break;
		case O_HOSTS: o->hosts_file = optarg; break;
		case O_RESOLVE:
			if (o->nresolve == ASPEND_MAX_RESOLVE) {
				fprintf(stderr, "aspend: too many --resolve\n");
				return -1;
			}
			o->resolve[o->nresolve++] = optarg;
			break;
		case O_NORES: o->no_resolve = true; break;
		case O_READY: o->ready_file = optarg; break;
		case O_RECORD: o->record = optarg; break;
		case O_NOSTD: o->no_stdlib_scan = true; break;
		case O_REFRESH: o->refresh_s = atoi(optarg); break;
		case O_BOUND:
			if (parse_bound(optarg, &o->body_bound) < 0) {
				fprintf(stderr, "aspend: --body-bound: a size from 1K to 1G "
						"(bytes, or with K, M, G): '%s'\n", optarg);
				return -1;
			}
			break;
		case O_MAXSIZE:
			if (parse_size(optarg, &o->audit_max_size) < 0)
				return -1;
			break;
		case O_METRICS: o->metrics = optarg; break;
		case O_OTLP: o->otlp = optarg; break;
		case O_OTLP_FILE: o->otlp_file = optarg; break;
		case O_PROG_STATS: o->prog_stats = true; break;
		case O_AUDIT_FSYNC: o->audit_fsync = true; break;
		case O_KEEP:
			o->audit_keep = (unsigned)atoi(optarg);
			if (o->audit_keep < 1 || o->audit_keep > 1000) {
				fprintf(stderr, "aspend: --audit-keep: 1 to 1000\n");
				return -1;
			}
			break;
		case O_KEEP_EXIT: o->keep_on_exit = true; break;
		case O_TAKEOVER: o->takeover = true; break;
		case O_SPILL:
			if (parse_slots(optarg, &o->spill_slots) < 0)
				return -1;
			break;
		case O_CONNS:
			if (parse_conns(optarg, &o->max_conns) < 0)
				return -1;
			break;
		case O_BTF_CACHE: o->btf_cache = optarg; break;
		case O_RT_PRIO:
			o->rt_priority = atoi(optarg);
			if (o->rt_priority < 1 || o->rt_priority > 99) {
				fprintf(stderr, "aspend: --rt-priority: 1 to 99, not '%s'\n",
					optarg);
				exit(2);
			}
			break;
		case O_UNLOAD: unload_arg = optarg; break;
		case O_STATUS: status_cmd = true; break;
		case O_FORCE: force = true; break;
		case 'v': o->verbose = true; break;
		case O_VERSION: printf("aspend %s\n", ASPEN_VERSION); exit(0);
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if ((unload_arg || status_cmd) && optind == argc)
		return 0;
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	o->obj_path = argv[optind];
	return 0;
}

static int open_cgroup(struct daemon *d)
{
	if (rt_cgroup2_mount(d->cg2_mount, sizeof(d->cg2_mount)) < 0) {
		log_err("no cgroup v2 mount in /proc/mounts: the connect hooks need one");
		return -1;
	}
	snprintf(d->cgroup_path, sizeof(d->cgroup_path), "%s",
		 d->opts.cgroup ? d->opts.cgroup : d->cg2_mount);
	d->cgcache = rt_cgcache_new(d->cg2_mount);
	if (d->cgcache)
		rt_cgcache_fill(d->cgcache);
	d->cgroup_fd = open(d->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->cgroup_fd < 0) {
		log_err("cannot open cgroup %s: %s", d->cgroup_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void write_ready(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f) {
		log_warn("cannot write ready file %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", getpid());
	fclose(f);
}

/* policy_load, once more against the kernel's full BTF if the cached small
 * one was used and the load failed (a cache file that does not fit this
 * object is removed: the next start makes it again). */
static struct policy_obj *load_policy(struct daemon *d, char *err, size_t errlen)
{
	struct policy_obj *p;

	d->btf_used[0] = 0;
	p = policy_load(d, d->opts.obj_path, err, errlen);
	if (p || d->no_btf_cache || !d->btf_used[0])
		return p;
	log_warn("%s: retrying against the kernel's full BTF (not the cached %s)", err,
		 d->btf_used);
	unlink(d->btf_used);
	d->no_btf_cache = true;
	p = policy_load(d, d->opts.obj_path, err, errlen);
	d->no_btf_cache = false;
	return p;
}

/* When the sweep of connections no hook of the policy in force saw is
 * due (hook_iter.c), 0: none. Once the resolver's round has taught the
 * providers' addresses, 5 s at most: at a fresh start (connections open
 * before aspend), and after a reload to a policy with request rules
 * (connections a connect-only policy let go of sk_msg, or all of them when
 * the maps could not be carried over). */
static time_t existing_by;

/* SIGHUP: load and attach the new object next to the old one; only when
 * it is fully in place is the old one torn down. On failure the old policy
 * stays in force. */
static void reload(struct daemon *d)
{
	char err[512];
	struct policy_obj *p;

	log_info("SIGHUP: reloading %s", d->opts.obj_path);
	p = load_policy(d, err, sizeof(err));
	if (p && (policy_late_start(p, d->opts.obj_path, err, sizeof(err)) < 0 ||
		  policy_late_poll(p, true, err, sizeof(err)) < 0)) {
		verifier_explain(d->opts.obj_path, &p->meta, VERIFIER_PER_PROCESS, err, sizeof(err));
		policy_destroy(p);
		p = NULL;
	}
	if (!p) {
		log_err("reload failed, the previous policy stays in force: %s", err);
		audit_error(d, "reload failed, previous policy kept");
		return;
	}
	if (policy_attach(d, p, d->cur) < 0) {
		log_err("reload failed at attach, the previous policy stays in force");
		audit_error(d, "reload failed at attach, previous policy kept");
		policy_destroy(p);
		return;
	}
	pin_policy(d, p, "reload");
	policy_heartbeat(p);
	tls_reattach(d, p);
	policy_retire(d->cur);
	existing_sweep_cancel(); /* the old policy's: the new one sweeps again */
	ring_buffer__consume(d->cur->rb);
	events_flush_all(d, d->cur);
	events_check_dns(d, d->cur, true);
	policy_destroy(d->cur);
	d->cur = p;
	audit_policy_load(d, p, "reload");
	if (p->maps.spill && !spill_slots())
		spill_start(p, d->opts.spill_slots); /* the first policy with request rules */
	resolver_start(d, &p->meta); /* names the new policy added */
	if (p->maps.ledger)
		existing_by = time(NULL) + 5;
	log_info("policy '%s' (%s) in force", p->meta.policy, p->meta.sha256);
}

/* a and b name the same existing file */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/* SIGUSR1: the trail goes on in a new file at the same path */
static void reopen_audit(struct daemon *d)
{
	char err[512];

	if (rt_audit_reopen(d->audit, err, sizeof(err)) < 0)
		log_err("SIGUSR1: audit trail not reopened: %s", err);
	else
		log_info("SIGUSR1: audit trail reopened");
}

/* --metrics: the kernel's run count and time of every program in force
 * (non-zero while run-time statistics are on: --prog-stats or the
 * kernel.bpf_stats_enabled sysctl) */
static void export_prog_stats(struct policy_obj *p)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->obj)
	{
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			metrics_program(bpf_program__name(prog), info.run_cnt, info.run_time_ns);
	}
}

/* --rt-priority: the event loop's thread (only: SCHED_RESET_ON_FORK, the
 * threads it starts later, resolver, spill, reload, run at the normal
 * policy) at SCHED_FIFO. A writer held for redaction waits for this thread
 * to wake and run: on a busy host a normal thread may wait for a CPU for
 * milliseconds. Bounded by the kernel's RT throttling
 * (kernel.sched_rt_runtime_us). */
static void rt_priority(struct daemon *d)
{
	struct sched_param sp = {.sched_priority = d->opts.rt_priority};

	if (!d->opts.rt_priority)
		return;
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0)
		log_warn("--rt-priority %d: %s: the event loop runs at the normal priority",
			 d->opts.rt_priority, strerror(errno));
	else
		log_info("event loop at SCHED_FIFO priority %d", d->opts.rt_priority);
}

static long ms_since_start(void);
static int late_ready(struct daemon *d, bool wait);
static void say_ready(struct daemon *d);

static int run(struct daemon *d)
{
	time_t last_refresh = time(NULL), last_stats = 0, last_sweep = 0;
	bool ready = false;

	if (!d->adopt) /* an adopted policy had its hooks on them all along */
		existing_by = time(NULL) + 5;

	while (!d->stop) {
		struct epoll_event ev;
		int n;

		if (!ready) {
			int rc = late_ready(d, false);

			if (rc < 0)
				return -1;
			ready = rc > 0;
			say_ready(d);
		}
		n = epoll_wait(ring_buffer__epoll_fd(d->cur->rb), &ev, 1, ready ? 100 : 5);
		if (n < 0 && errno != EINTR) {
			log_err("ring buffer poll: %s", strerror(errno));
			return -1;
		}
		redact_wake_ns = boot_ns();
		/* also records submitted without a wakeup (see aspen_submit) */
		ring_buffer__consume(d->cur->rb);
		events_flush(d, d->cur);
		policy_heartbeat(d->cur);
		tls_check_exits(d, d->cur);
		tls_resume_late(d->cur);
		events_check_lost(d, d->cur);
		events_check_dns(d, d->cur, false);
		if (d->reload) {
			d->reload = 0;
			reload(d);
		}
		if (d->reopen) {
			d->reopen = 0;
			reopen_audit(d);
		}
		resolver_poll(d, d->cur, false);
		if (existing_by && (!resolver_busy() || time(NULL) >= existing_by)) {
			existing_by = 0;
			existing_sweep_start(d, d->cur);
		}
		existing_sweep_poll(d, d->cur);
		if (time(NULL) != last_sweep) {
			last_sweep = time(NULL);
			redact_sweep(d->cur, false); /* holds nobody resumed (never in practice) */
		}
		if (d->opts.metrics && time(NULL) != last_stats) {
			last_stats = time(NULL);
			export_prog_stats(d->cur);
		}
		if (d->opts.refresh_s > 0 && time(NULL) - last_refresh >= d->opts.refresh_s) {
			last_refresh = time(NULL);
			resolver_start(d, &d->cur->meta);
		}
	}
	existing_sweep_cancel();
	ring_buffer__consume(d->cur->rb);
	events_flush_all(d, d->cur);
	events_check_lost(d, d->cur);
	events_check_dns(d, d->cur, true);
	return 0;
}

static long ms_since_start(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - T0.tv_sec) * 1000L + (t.tv_nsec - T0.tv_nsec) / 1000000L;
}

/* --takeover: the running aspend leaves its pinned policy in force and
 * exits (SIGUSR2); the pins enforce alone until this one adopts them. */
static int handoff(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	log_info("--takeover: asking aspend pid %d to hand its pinned policy over", (int)pid);
	if (pidfd < 0 || kill(pid, SIGUSR2) < 0 || poll(&pfd, 1, H_HANDOFF_MS) != 1) {
		log_err("aspend pid %d did not hand over within %d ms", (int)pid, H_HANDOFF_MS);
		if (pidfd >= 0)
			close(pidfd);
		return -1;
	}
	close(pidfd);
	return 0;
}

/* What was pinned for this scope before: 1 adopt it, 0 start afresh, -1
 * refuse (another aspend runs it and --takeover was not given). */
static int check_pinned(struct daemon *d)
{
	struct pin_state prev;
	int rc = pin_prepare(d, &prev);

	if (rc <= 0)
		return 0;
	if (pin_owner_alive(prev.pid) && !d->opts.takeover) {
		log_err("cgroup %s (scope %s) is enforced by a running aspend (pid %u, policy '%s'): "
			"stop it, or start this one with --takeover to replace it without a window",
			d->cgroup_path, d->scope, prev.pid, prev.policy);
		return -1;
	}
	if (pin_owner_alive(prev.pid) && handoff((pid_t)prev.pid) < 0)
		return -1;
	if (prev.version != PIN_STATE_VERSION || prev.abi != ASPEN_ABI_VERSION) {
		log_warn("the pinned policy '%s' of scope %s has ABI %u (state v%u), this aspend "
			 "speaks ABI %d: replacing it in one step (not adopted)",
			 prev.policy, d->scope, prev.abi, prev.version, ASPEN_ABI_VERSION);
		pin_remove_dir(d->pin_dir, NULL);
		return pin_prepare(d, &prev) < 0 ? -1 : 0;
	}
	log_info("adopting the pinned policy '%s' (sha256 %.12s) of scope %s from aspend pid %u "
		 "(%s)", prev.policy, prev.policy_sha256, d->scope, prev.pid,
		 pin_owner_alive(prev.pid) ? "running: taking over" : "gone");
	d->pin_adoptions = prev.adoptions + 1;
	d->pin_lost = prev.lost_reported;
	d->pin_since = prev.since;
	d->adopt = true;
	snprintf(d->adopt_sha256, sizeof(d->adopt_sha256), "%s", prev.policy_sha256);
	return 1;
}

/* The previous aspend's programs stand down for good (its probes were
 * moved to ours process by process, see tls_reattach). */
static void retire_pinned(struct daemon *d, int cfg_fd)
{
	struct aspen_config cfg;
	__u32 k = 0;

	if (cfg_fd >= 0 && bpf_map_lookup_elem(cfg_fd, &k, &cfg) == 0) {
		cfg.retired = 1;
		bpf_map_update_elem(cfg_fd, &k, &cfg, BPF_ANY);
	}
}

static int old_cfg = -1; /* an adopted predecessor's config, until its probes are ours */

/* Attach D.cur, swapping a pinned predecessor's links in place, pin it,
 * start the watchdog, then load the per-process programs in a thread
 * (policy_late.h; the predecessor's probes are taken over once they are
 * loaded: late_ready). */
static int enforce(struct daemon *d)
{
	struct policy_obj old = {0};
	char err[512] = "";

	if (d->adopt) {
		pin_adopt_links(d, &old);
		old_cfg = pin_map_fd(d, ASPEN_MAP_CONFIG);
		d->cur->lost_seen = d->pin_lost;
	}
	if (policy_attach(d, d->cur, d->adopt ? &old : NULL) < 0) {
		pin_adopt_free(&old);
		return -1;
	}
	log_phase("attach");
	pin_policy(d, d->cur, d->adopt ? "adopt" : "start");
	pin_adopt_free(&old);
	log_phase("pin");
	watchdog_start(d, d->cur);
	log_phase("watchdog");
	/* after the fork: the watchdog is forked while aspend has one thread */
	if (policy_late_start(d->cur, d->opts.obj_path, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	/* loaded already (another policy adopted): takes over the probes now;
	 * else once they are loaded (run) */
	if (d->adopt && !d->cur->nlate && late_ready(d, true) < 0)
		return -1;
	return 0;
}

/* The per-process programs are loaded (or refused: -1): take over the
 * predecessor's probes, probe the processes held meanwhile, say ready. */
static int late_ready(struct daemon *d, bool wait)
{
	static bool done;
	char err[512] = "";
	int rc;

	if (done)
		return 1;
	rc = policy_late_poll(d->cur, wait, err, sizeof(err));
	if (rc == 0)
		return 0;
	if (rc < 0) {
		verifier_explain(d->opts.obj_path, &d->cur->meta, VERIFIER_PER_PROCESS, err,
				 sizeof(err));
		log_err("%s", err);
		return -1;
	}
	if (d->cur->nlate)
		log_info("TLS probe programs loaded (%lu insns verified), %ld ms after start",
			 policy_late_insns(d->cur), ms_since_start());
	pin_late_maps(d, d->cur);
	if (d->adopt) {
		int n = tls_adopt_pinned(d, d->cur);

		retire_pinned(d, old_cfg);
		if (n)
			log_info("took over the TLS probes of %d process(es)", n);
	}
	if (old_cfg >= 0)
		close(old_cfg);
	old_cfg = -1;
	tls_flush_pending(d, d->cur);
	done = true;
	return 1;
}

/* --ready-file: once the per-process programs are loaded too */
static void say_ready(struct daemon *d)
{
	static bool said;

	if (!said && policy_late_ready(d->cur)) {
		write_ready(d->opts.ready_file);
		said = true;
	}
}

/* Leaving: detach and unpin everything (default), or leave the pinned
 * policy in force (--keep-on-exit, or a start-up that failed while a
 * predecessor's pinned policy enforces). */
/* A start that fails before loading anything: the scope's directory
 * check_pinned() made stays only if it holds a predecessor's pins (rmdir
 * removes only an empty directory), /sys/fs/bpf/aspen only if some other
 * scope is pinned. Returns rc. */
static int forget_pin_dir(struct daemon *d, int rc)
{
	if (d->pin_dir[0] && !rmdir(d->pin_dir))
		rmdir(PIN_ROOT);
	return rc;
}

static void leave(struct daemon *d, bool detach)
{
	if (detach)
		watchdog_stop(d);
	spill_stop(d->cur);
	tls_detach_all(d);
	for (int i = 0; d->cur && !detach && i < d->cur->natt; i++) {
		/* the pins hold them: only our fds go; sk_msg stays on the SOCKHASH */
		bpf_link__destroy(d->cur->att[i].link);
		d->cur->att[i].link = NULL;
		d->cur->att[i].target_fd = -1;
	}
	if (d->cur && !detach)
		d->cur->natt = 0;
	if (d->cur)
		policy_destroy(d->cur);
	d->cur = NULL;
	if (detach && d->pin_dir[0]) {
		if (d->pin_state_fd >= 0)
			close(d->pin_state_fd);
		d->pin_state_fd = -1;
		pin_remove_dir(d->pin_dir, NULL);
	} else if (!d->adopt && d->pin_dir[0] && !d->pin_since) {
		forget_pin_dir(d, 0); /* made for a start-up that failed: empty */
	}
}
int main(int argc, char **argv)
{
	char err[512];
	struct sigaction sa = { .sa_handler = on_signal };
	int rc = 1, stats_fd = -1, pinned;
	bool enforcing = false;

	clock_gettime(CLOCK_MONOTONIC, &T0);
	log_phase_start();
	if (parse_opts(argc, argv, &D.opts) < 0)
		return 2;
	libbpf_set_print(libbpf_log);
	if (status_cmd)
		return pin_status_cli();
	if (unload_arg)
		return pin_unload_cli(unload_arg, force);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* before the audit trail: a predecessor handing over still holds it */
	if (open_cgroup(&D) < 0)
		return 1;
	log_phase("cgroup");
	pinned = check_pinned(&D);
	if (pinned < 0)
		return 1;
	log_phase("pins");
	D.audit = rt_audit_open(D.opts.audit_path, err, sizeof(err));
	if (!D.audit) {
		log_err("audit trail: %s", err);
		return forget_pin_dir(&D, 1);
	}
	if (D.opts.audit_max_size && !D.opts.audit_path)
		log_warn("--audit-max-size: the trail goes to stdout, which is not rotated");
	if (D.opts.audit_max_size)
		rt_audit_set_rotation(D.audit, D.opts.audit_max_size, D.opts.audit_keep);
	rt_audit_set_fsync(D.audit, D.opts.audit_fsync);
	if (same_file(D.opts.audit_path, D.opts.otlp_file)) {
		log_err("--otlp-file %s is the audit trail itself", D.opts.otlp_file);
		rt_audit_close(D.audit);
		return forget_pin_dir(&D, 2);
	}
	if (D.opts.metrics && metrics_start(D.opts.metrics, err, sizeof(err)) < 0) {
		log_err("%s", err);
		rt_audit_close(D.audit);
		return forget_pin_dir(&D, 1);
	}
	if ((D.opts.otlp || D.opts.otlp_file) &&
	    otlp_start(D.audit, D.opts.otlp, D.opts.otlp_file, err, sizeof(err)) < 0) {
		log_err("%s", err);
		otlp_stop(D.audit);
		metrics_stop();
		rt_audit_close(D.audit);
		return forget_pin_dir(&D, 1);
	}
	if (D.opts.prog_stats && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0)
		log_warn("--prog-stats: the kernel's run-time statistics cannot be enabled: %s",
			 strerror(-stats_fd));
	log_phase("audit");
	probe_print();
	log_phase("probe");
	redact_profile_start();
	if (scrub_stdlib_start(&D) < 0)
		goto out;
	D.cur = load_policy(&D, err, sizeof(err));
	if (!D.cur) {
		log_err("%s", err);
		goto out;
	}
	if (scrub_stdlib_wait(&D) < 0) /* no audit line is made before */
		goto out;
	log_phase("stdlib");
	/* never wait on DNS here: what --hosts, --resolve and the CIDRs know is
	 * in the maps; the resolver fills in the names once enforcing */
	policy_heartbeat(D.cur);
	if (record_open(&D, D.cur) < 0)
		goto out;
	if (enforce(&D) < 0)
		goto out;
	enforcing = true;
	redact_sweep(D.cur, true); /* before tls_resume_orphans resumes their writers */
	log_phase("redact");
	audit_policy_load(&D, D.cur, pinned ? "adopt" : "start");
	log_phase("audit-line");
	log_info("policy '%s' (sha256 %.12s) enforcing in cgroup %s%s, %ld ms after start%s",
		 D.cur->meta.policy, D.cur->meta.sha256, D.cgroup_path,
		 D.opts.monitor ? " (monitor mode)" : "", ms_since_start(),
		 pinned ? " (adopted without a window)" : "");
	/* Spill slots (loopback socket pairs, tens of ms) after: until they
	 * are there the kernel decides what it cannot cork as scan_bound, and
	 * no connection is inspected before the TLS probes are loaded anyway */
	if (D.cur->maps.spill && spill_start(D.cur, D.opts.spill_slots))
		log_info("%u spill slots: undecided requests are held up to the body bound, "
			 "whatever their writes", spill_slots());
	tls_resume_orphans(&D);
	log_phase("orphans");
	if (D.opts.verbose)
		log_phases();
	btf_cache_build_async(D.opts.obj_path, D.cur->btf_build);
	say_ready(&D);
	resolver_start(&D, &D.cur->meta);
	rt_priority(&D);
	rc = run(&D) < 0 ? 1 : 0;
	redact_profile_dump();
out:
	/* a resolver round still in getaddrinfo is not waited for: exit ends it.
	 * A start-up that failed leaves a predecessor's pinned policy alone. */
	leave(&D, enforcing && !D.opts.keep_on_exit && !D.handoff);
	btf_cache_wait();
	record_close(&D);
	scrub_stdlib_free(&D);
	if (D.opts.ready_file)
		unlink(D.opts.ready_file);
	otlp_stop(D.audit);
	metrics_stop();
	if (stats_fd >= 0)
		close(stats_fd);
	rt_audit_close(D.audit);
	if (rc == 0 && D.handoff)
		log_info("handed the pinned policy over to the aspend taking over, exiting");
	else if (rc == 0 && !D.opts.keep_on_exit)
		log_info("detached and unpinned everything, exiting");
	else if (rc == 0)
		log_info("exiting; the pinned policy stays in force in %s (aspend --unload %s "
			 "removes it)", D.pin_dir, D.scope);
	return rc;
}
