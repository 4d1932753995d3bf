/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pinned policy (pin.h): one bpffs directory per cgroup scope, what
 * aspend pins there, how a successor adopts it, and the --unload and
 * --status commands that remove and describe it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "aspen_shared.h"
#include "clock.h"
#include "daemon.h"
#include "hook.h"
#include "log.h"
#include "pin.h"
#include "policy_late.h"
#include "policy_obj.h"
#include "rt_cgroup.h"

#define PIN_NAME_MAX 255

void pin_scope_of(const char *cg2_mount, const char *cgroup_path, char *scope, size_t n)
{
	const char *rel = cgroup_path;
	size_t ml = strlen(cg2_mount), i;

	if (!strncmp(cgroup_path, cg2_mount, ml) && (cgroup_path[ml] == '/' || !cgroup_path[ml]))
		rel = cgroup_path + ml;
	while (*rel == '/')
		rel++;
	if (!*rel) {
		snprintf(scope, n, "host");
		return;
	}
	for (i = 0; rel[i] && i + 1 < n && i < PIN_NAME_MAX; i++)
		scope[i] = rel[i] == '/' ? '+' : rel[i];
	scope[i] = 0;
	while (i && scope[i - 1] == '+')
		scope[--i] = 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs s;

	return statfs(path, &s) == 0 && s.f_type == BPF_FS_MAGIC;
}

static int join(char *buf, size_t n, const char *dir, const char *name)
{
	return (size_t)snprintf(buf, n, "%s/%s", dir, name) < n ? 0 : -1;
}

/* 1 and *st filled, 0 no state pinned, -1 unreadable */
static int read_state(const char *dir, struct pin_state *st)
{
	char path[PATH_MAX];
	__u32 k = 0;
	int fd, rc;

	memset(st, 0, sizeof(*st));
	if (join(path, sizeof(path), dir, "state") < 0)
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	rc = bpf_map_lookup_elem(fd, &k, st) == 0 ? 1 : -1;
	close(fd);
	st->policy_sha256[sizeof(st->policy_sha256) - 1] = 0;
	st->policy[sizeof(st->policy) - 1] = 0;
	st->cgroup[sizeof(st->cgroup) - 1] = 0;
	st->object[sizeof(st->object) - 1] = 0;
	return rc;
}

int pin_prepare(struct daemon *d, struct pin_state *prev)
{
	char dir[PATH_MAX];

	d->pin_dir[0] = 0;
	memset(prev, 0, sizeof(*prev));
	pin_scope_of(d->cg2_mount, d->cgroup_path, d->scope, sizeof(d->scope));
	if (!is_bpffs("/sys/fs/bpf")) {
		log_warn("no bpffs at /sys/fs/bpf: the policy is not pinned, its enforcement ends "
			 "with this aspend (mount -t bpf bpf /sys/fs/bpf)");
		return 0;
	}
	if (mkdir(PIN_ROOT, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create %s: %s: the policy is not pinned", PIN_ROOT,
			 strerror(errno));
		return 0;
	}
	if (join(dir, sizeof(dir), PIN_ROOT, d->scope) < 0 ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		log_warn("cannot create %s/%s: the policy is not pinned", PIN_ROOT, d->scope);
		return 0;
	}
	snprintf(d->pin_dir, sizeof(d->pin_dir), "%s", dir);
	return read_state(dir, prev);
}

bool pin_owner_alive(__u32 pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (!pid || (pid_t)pid == getpid())
		return false;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strcmp(comm, "aspend\n");
}

/* "link:" + section with '/' as ':' */
static void link_name(char *buf, size_t n, const char *sec)
{
	size_t i = (size_t)snprintf(buf, n, "link:");

	for (; *sec && i + 1 < n; sec++)
		buf[i++] = *sec == '/' ? ':' : *sec;
	buf[i] = 0;
}

struct names {
	char (*v)[PIN_NAME_MAX + 1];
	size_t n, cap;
};

static bool names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return true;
	return false;
}

static void names_add(struct names *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], PIN_NAME_MAX + 1, "%s", name);
}

static void pin_links(struct daemon *d, struct policy_obj *p, struct names *kept)
{
	for (int i = 0; i < p->natt; i++) {
		struct bpf_link *l = p->att[i].link;
		char name[PIN_NAME_MAX + 1], path[PATH_MAX];
		const char *was;

		if (!l)
			continue; /* sk_msg: held by the pinned SOCKHASH */
		link_name(name, sizeof(name), p->att[i].sec);
		if (names_has(kept, name) || join(path, sizeof(path), d->pin_dir, name) < 0) {
			log_warn("%s: not pinned (a second program of that section)",
				 p->att[i].sec);
			continue;
		}
		names_add(kept, name);
		was = bpf_link__pin_path(l);
		if (was && !strcmp(was, path))
			continue; /* swapped in place: the pin is this link already */
		unlink(path);
		if (bpf_link__pin(l, path))
			log_warn("cannot pin %s: %s", path, strerror(errno));
	}
}

struct pin_map_ctx {
	struct daemon *d;
	struct names *kept;
};

static void pin_map(const char *map, int fd, void *arg)
{
	struct pin_map_ctx *c = arg;
	char name[PIN_NAME_MAX + 1], path[PATH_MAX];

	if (strncmp(map, "aspen_", 6) || fd < 0)
		return;
	snprintf(name, sizeof(name), "map:%s", map);
	if (join(path, sizeof(path), c->d->pin_dir, name) < 0)
		return;
	if (c->kept)
		names_add(c->kept, name);
	unlink(path);
	if (bpf_obj_pin(fd, path))
		log_warn("cannot pin %s: %s", path, strerror(errno));
}

/* The object's maps, and those its TLS probes' instance made (once
 * loaded: else pin_late_maps pins them then) */
static void pin_maps(struct daemon *d, struct policy_obj *p, struct names *kept)
{
	struct pin_map_ctx c = {.d = d, .kept = kept};
	struct bpf_map *m;

	bpf_object__for_each_map(m, p->obj)
	{
		pin_map(bpf_map__name(m), bpf_map__fd(m), &c);
	}
	policy_late_each_map(p, pin_map, &c);
}

void pin_late_maps(struct daemon *d, struct policy_obj *p)
{
	struct pin_map_ctx c = {.d = d};

	if (d->pin_dir[0])
		policy_late_each_map(p, pin_map, &c);
}

/* Pins of links and maps the object does not have (any more). */
static void unpin_others(struct daemon *d, const struct names *kept)
{
	DIR *dir = opendir(d->pin_dir);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char path[PATH_MAX];

		if (strncmp(e->d_name, "link:", 5) && strncmp(e->d_name, "map:", 4))
			continue;
		if (names_has(kept, e->d_name) ||
		    join(path, sizeof(path), d->pin_dir, e->d_name) < 0)
			continue;
		unlink(path);
	}
	closedir(dir);
}

static int state_fd(struct daemon *d)
{
	char path[PATH_MAX];
	LIBBPF_OPTS(bpf_map_create_opts, o);

	if (d->pin_state_fd >= 0)
		return d->pin_state_fd;
	if (join(path, sizeof(path), d->pin_dir, "state") < 0)
		return -1;
	d->pin_state_fd = bpf_obj_get(path);
	if (d->pin_state_fd >= 0)
		return d->pin_state_fd;
	d->pin_state_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "aspen_pinstate", 4,
					 sizeof(struct pin_state), 1, &o);
	if (d->pin_state_fd >= 0 && bpf_obj_pin(d->pin_state_fd, path)) {
		log_warn("cannot pin %s: %s", path, strerror(errno));
		close(d->pin_state_fd);
		d->pin_state_fd = -1;
	}
	return d->pin_state_fd;
}

static void copy(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = 0;
}

static void write_state(struct daemon *d, struct policy_obj *p)
{
	struct pin_state st = {.version = PIN_STATE_VERSION,
			       .abi = (__u32)p->meta.abi,
			       .pid = (__u32)getpid(),
			       .adoptions = d->pin_adoptions,
			       .since = d->pin_since,
			       .owner_since = d->pin_owner_since,
			       .lost_reported = d->pin_lost,
			       .monitor = d->opts.monitor || p->meta.monitor};
	__u32 k = 0;
	int fd = state_fd(d);

	copy(st.policy_sha256, sizeof(st.policy_sha256), p->meta.sha256);
	copy(st.policy, sizeof(st.policy), p->meta.policy);
	copy(st.cgroup, sizeof(st.cgroup), d->cgroup_path);
	copy(st.object, sizeof(st.object), d->opts.obj_path);
	if (fd < 0 || bpf_map_update_elem(fd, &k, &st, BPF_ANY))
		log_warn("cannot write the pinned state of scope %s", d->scope);
}

int pin_policy(struct daemon *d, struct policy_obj *p, const char *why)
{
	struct names kept = {0};

	if (!d->pin_dir[0])
		return 0;
	pin_links(d, p, &kept);
	pin_maps(d, p, &kept);
	unpin_others(d, &kept);
	free(kept.v);
	if (!d->pin_owner_since)
		d->pin_owner_since = (__u64)time(NULL);
	if (!d->pin_since || strcmp(why, "adopt"))
		d->pin_since = (__u64)time(NULL);
	write_state(d, p);
	if (d->opts.verbose)
		log_info("policy pinned in %s (%s)", d->pin_dir, why);
	return 0;
}

void pin_set_lost(struct daemon *d, __u64 lost)
{
	__u32 k = 0;
	struct pin_state st;

	d->pin_lost = lost;
	if (!d->pin_dir[0] || d->pin_state_fd < 0 || bpf_map_lookup_elem(d->pin_state_fd, &k, &st))
		return;
	st.lost_reported = lost;
	bpf_map_update_elem(d->pin_state_fd, &k, &st, BPF_ANY);
}

static void tls_name(char *buf, size_t n, pid_t tgid, int k)
{
	snprintf(buf, n, "tls:%d:%d", (int)tgid, k);
}

void pin_tls_drop(struct daemon *d, pid_t tgid)
{
	if (!d->pin_dir[0])
		return;
	for (int k = 0;; k++) {
		char name[64], path[PATH_MAX];

		tls_name(name, sizeof(name), tgid, k);
		if (join(path, sizeof(path), d->pin_dir, name) < 0 || unlink(path) < 0)
			break;
	}
}

void pin_tls(struct daemon *d, pid_t tgid, struct bpf_link **links, int n)
{
	if (!d->pin_dir[0])
		return;
	pin_tls_drop(d, tgid);
	for (int k = 0; k < n; k++) {
		char name[64], path[PATH_MAX];

		tls_name(name, sizeof(name), tgid, k);
		if (join(path, sizeof(path), d->pin_dir, name) < 0)
			return;
		if (bpf_obj_pin(bpf_link__fd(links[k]), path))
			log_warn("pid %d: cannot pin its TLS probe %s: %s", (int)tgid, path,
				 strerror(errno));
	}
}

void pin_each_tls(struct daemon *d, void (*fn)(pid_t tgid, struct bpf_link *l, void *ctx),
		  void *ctx)
{
	DIR *dir = d->pin_dir[0] ? opendir(d->pin_dir) : NULL;
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char path[PATH_MAX];
		int tgid, k;
		struct bpf_link *l;

		if (sscanf(e->d_name, "tls:%d:%d", &tgid, &k) != 2 ||
		    join(path, sizeof(path), d->pin_dir, e->d_name) < 0)
			continue;
		l = bpf_link__open(path);
		if (l)
			fn((pid_t)tgid, l, ctx);
	}
	closedir(dir);
}

int pin_map_fd(struct daemon *d, const char *name)
{
	char n[PIN_NAME_MAX + 1], path[PATH_MAX];

	if (!d->pin_dir[0])
		return -1;
	snprintf(n, sizeof(n), "map:%s", name);
	if (join(path, sizeof(path), d->pin_dir, n) < 0)
		return -1;
	return bpf_obj_get(path);
}

int pin_adopt_links(struct daemon *d, struct policy_obj *old)
{
	DIR *dir = opendir(d->pin_dir);
	struct dirent *e;

	if (!dir)
		return -1;
	while ((e = readdir(dir)) && old->natt < ASPEND_MAX_LINKS) {
		char path[PATH_MAX], *sec;
		struct bpf_link *l;

		if (strncmp(e->d_name, "link:", 5) ||
		    join(path, sizeof(path), d->pin_dir, e->d_name))
			continue;
		l = bpf_link__open(path);
		sec = strdup(e->d_name + 5);
		if (!l || !sec) {
			bpf_link__destroy(l);
			free(sec);
			continue;
		}
		for (char *c = sec; *c; c++)
			*c = *c == ':' ? '/' : *c;
		old->att[old->natt++] =
		    (struct hook_att){.sec = sec, .link = l, .prog_fd = -1, .target_fd = -1};
	}
	closedir(dir);
	return 0;
}

/* The links adoption did not take over are closed: their pins are gone
 * (pin_policy), so the kernel detaches them. */
void pin_adopt_free(struct policy_obj *old)
{
	for (int i = 0; i < old->natt; i++) {
		bpf_link__destroy(old->att[i].link);
		free((char *)old->att[i].sec);
	}
	old->natt = 0;
}

/* ---- --unload and --status ----------------------------------------------- */

static void prog_of_link(int fd, char *buf, size_t n)
{
	struct bpf_link_info li = {0};
	struct bpf_prog_info pi = {0};
	__u32 len = sizeof(li), plen = sizeof(pi);
	int pfd;

	snprintf(buf, n, "?");
	if (bpf_obj_get_info_by_fd(fd, &li, &len))
		return;
	pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (pfd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(pfd, &pi, &plen))
		snprintf(buf, n, "%s, id %u", pi.name, li.prog_id);
	close(pfd);
}

int pin_remove_dir(const char *dirpath, FILE *out)
{
	DIR *dir = opendir(dirpath);
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		char path[PATH_MAX], prog[64] = "";
		bool link = !strncmp(e->d_name, "link:", 5) || !strncmp(e->d_name, "tls:", 4);

		if (e->d_name[0] == '.' || join(path, sizeof(path), dirpath, e->d_name) < 0)
			continue;
		if (link) {
			int fd = bpf_obj_get(path);

			if (fd >= 0) {
				prog_of_link(fd, prog, sizeof(prog));
				bpf_link_detach(fd); /* cgroup links: detached even if held */
				close(fd);
			}
		}
		if (unlink(path) < 0)
			continue;
		n++;
		if (out && link)
			fprintf(out, "removed %s (program %s)\n", e->d_name, prog);
		else if (out)
			fprintf(out, "removed %s\n", e->d_name);
	}
	closedir(dir);
	if (rmdir(dirpath) < 0) {
		if (out)
			fprintf(out, "could not remove %s: %s\n", dirpath, strerror(errno));
	} else {
		rmdir(PIN_ROOT); /* the last scope: nothing of Aspen's left in bpffs (else ENOTEMPTY) */
	}
	return n;
}

static int dir_of(const char *what, char *dir, size_t n)
{
	char scope[PIN_NAME_MAX + 1], mount[PATH_MAX];

	if (what[0] == '/') {
		if (rt_cgroup2_mount(mount, sizeof(mount)) < 0)
			snprintf(mount, sizeof(mount), "/sys/fs/cgroup");
		pin_scope_of(mount, what, scope, sizeof(scope));
	} else {
		snprintf(scope, sizeof(scope), "%s", what);
	}
	if (strchr(scope, '/') || !strcmp(scope, ".") || !strcmp(scope, ".."))
		return -1;
	return join(dir, n, PIN_ROOT, scope);
}

int pin_unload_cli(const char *what, bool force)
{
	char dir[PATH_MAX];
	struct pin_state st;
	struct stat sb;
	int n;

	if (dir_of(what, dir, sizeof(dir)) < 0) {
		fprintf(stderr, "aspend: --unload %s: not a scope name or cgroup directory\n",
			what);
		return 2;
	}
	if (stat(dir, &sb) < 0) {
		printf("nothing pinned for %s (no %s)\n", what, dir);
		return 0;
	}
	if (read_state(dir, &st) == 1 && pin_owner_alive(st.pid) && !force) {
		fprintf(stderr,
			"aspend: %s is enforced by a running aspend (pid %u): stop it first "
			"(SIGTERM detaches), or add --force\n",
			dir, st.pid);
		return 1;
	}
	n = pin_remove_dir(dir, stdout);
	printf("unloaded %s: %d pin(s) removed; policy '%s' no longer enforced in %s\n", dir,
	       n < 0 ? 0 : n, st.policy[0] ? st.policy : "?", st.cgroup[0] ? st.cgroup : "?");
	return n < 0 ? 1 : 0;
}

static void status_daemon(const char *dir, const struct pin_state *st)
{
	char path[PATH_MAX];
	struct aspen_config cfg = {0};
	__u32 k = 0;
	int fd = join(path, sizeof(path), dir, "map:" ASPEN_MAP_CONFIG) ? -1 : bpf_obj_get(path);
	bool alive = pin_owner_alive(st->pid);

	if (fd >= 0)
		bpf_map_lookup_elem(fd, &k, &cfg);
	if (fd >= 0)
		close(fd);
	if (alive && cfg.heartbeat_ns)
		printf("  daemon:   aspend pid %u alive (heartbeat %.1f s ago)\n", st->pid,
		       (double)(boot_ns() - cfg.heartbeat_ns) / 1e9);
	else
		printf(
		    "  daemon:   none alive (last: pid %u): the pinned policy enforces on its own; "
		    "new processes are decided by `uninspectable`\n",
		    st->pid);
}

static void status_procs(const char *dir)
{
	char path[PATH_MAX];
	int fd = join(path, sizeof(path), dir, "map:" ASPEN_MAP_TLS_READY) ? -1 : bpf_obj_get(path);
	__u32 key, *prev = NULL;
	unsigned held = 0, ready = 0, none = 0;

	if (fd < 0)
		return;
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		struct aspen_tls_proc tp;

		if (bpf_map_lookup_elem(fd, &key, &tp) == 0) {
			held += tp.state == ASPEN_TLS_HELD;
			ready += tp.state == ASPEN_TLS_READY;
			none += tp.state == ASPEN_TLS_NONE;
		}
		prev = &key;
	}
	close(fd);
	printf("  processes: %u probed, %u without a TLS library to probe, %u held now\n", ready,
	       none, held);
}

static void status_lost(const char *dir, const struct pin_state *st)
{
	char path[PATH_MAX];
	int fd = join(path, sizeof(path), dir, "map:" ASPEN_MAP_LOST) ? -1 : bpf_obj_get(path);
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[1024] = {0}, total = 0;
	__u32 k = 0;

	if (fd < 0 || ncpu <= 0 || ncpu > 1024 || bpf_map_lookup_elem(fd, &k, vals)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	for (int i = 0; i < ncpu; i++)
		total += vals[i];
	printf("  counters: %llu audit record(s) lost (ring full), %llu of them reported\n",
	       (unsigned long long)total, (unsigned long long)st->lost_reported);
}

static void status_links(const char *dirpath)
{
	DIR *dir = opendir(dirpath);
	struct dirent *e;
	unsigned probes = 0, maps = 0;

	if (!dir)
		return;
	printf("  hooks:   ");
	while ((e = readdir(dir))) {
		if (!strncmp(e->d_name, "link:", 5)) {
			char sec[PIN_NAME_MAX + 1];

			snprintf(sec, sizeof(sec), "%s", e->d_name + 5);
			for (char *c = sec; *c; c++)
				*c = *c == ':' ? '/' : *c;
			printf(" %s", sec);
		}
		probes += !strncmp(e->d_name, "tls:", 4);
		maps += !strncmp(e->d_name, "map:", 4);
	}
	closedir(dir);
	printf("\n  pinned:   %u map(s), %u TLS probe link(s)\n", maps, probes);
}

/* A scope whose cgroup was removed (a stopped service, a deleted pod)
 * while no aspend ran: its cgroup links went with the cgroup, its
 * process tracepoints and maps did not. */
static void status_cgroup(const struct pin_state *st, const char *scope)
{
	struct stat sb;

	if (st->cgroup[0] && stat(st->cgroup, &sb) < 0 && errno == ENOENT)
		printf("  cgroup:   %s: gone (nothing left to enforce; its process tracepoints "
		       "still run: aspend --unload %s removes them)\n",
		       st->cgroup, scope);
	else
		printf("  cgroup:   %s\n", st->cgroup);
}

static void status_one(const char *dir, const char *scope)
{
	struct pin_state st;
	char since[32] = "?";
	time_t t;
	struct tm tm;

	printf("scope %s (%s)\n", scope, dir);
	if (read_state(dir, &st) != 1) {
		printf("  no state: not a complete aspen policy (aspend --unload %s removes it)\n",
		       scope);
		return;
	}
	t = (time_t)st.since;
	if (gmtime_r(&t, &tm))
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	status_cgroup(&st, scope);
	printf("  policy:   '%s' (sha256 %.12s, ABI %u, %s) from %s\n", st.policy, st.policy_sha256,
	       st.abi, st.monitor ? "monitor" : "enforce", st.object);
	printf("  in force: since %s, taken over %u time(s)\n", since, st.adoptions);
	status_daemon(dir, &st);
	status_links(dir);
	status_procs(dir);
	status_lost(dir, &st);
}

int pin_status_cli(void)
{
	DIR *dir = opendir(PIN_ROOT);
	struct dirent *e;
	int n = 0;

	if (!dir) {
		printf("no policy pinned (no %s)\n", PIN_ROOT);
		return 0;
	}
	while ((e = readdir(dir))) {
		char path[PATH_MAX];

		if (e->d_name[0] == '.' || join(path, sizeof(path), PIN_ROOT, e->d_name) < 0)
			continue;
		status_one(path, e->d_name);
		n++;
	}
	closedir(dir);
	if (!n)
		printf("no policy pinned in %s\n", PIN_ROOT);
	return 0;
}
