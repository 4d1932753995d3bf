/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel side of `aspenc test`: load only the object's SEC("syscall")
 * program aspen_test_decide (every other program is left unloaded, nothing
 * is ever attached) and run it with BPF_PROG_TEST_RUN, one event at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "aspen_shared.h"
#include "aspen_test.bpf.h"
#include "test_cmd.h"

struct kernel_runner {
	struct bpf_object *obj;
	int prog_fd;
	int config_fd;
};

static int loud(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

struct kernel_runner *kernel_open(const char *obj_path, bool force_monitor, char *err,
				  size_t errlen)
{
	struct kernel_runner *k = calloc(1, sizeof(*k));
	struct bpf_program *prog, *test = NULL;
	int rc;

	if (!k)
		abort();
	/* ASPEN_TEST_LIBBPF_DEBUG: libbpf's messages (the verifier log) on stderr */
	libbpf_set_print(getenv("ASPEN_TEST_LIBBPF_DEBUG") ? loud : quiet);
	k->obj = bpf_object__open_file(obj_path, NULL);
	if (!k->obj) {
		snprintf(err, errlen, "cannot open %s: %s", obj_path, strerror(errno));
		free(k);
		return NULL;
	}
	bpf_object__for_each_program(prog, k->obj)
	{
		if (!strcmp(bpf_program__name(prog), "aspen_test_decide"))
			test = prog;
		else
			bpf_program__set_autoload(prog, false);
	}
	if (!test) {
		snprintf(err, errlen, "%s has no aspen_test_decide program (not built by aspenc test?)",
			 obj_path);
		goto fail;
	}
	rc = bpf_object__load(k->obj);
	if (rc) {
		snprintf(err, errlen, "cannot load the test program: %s%s", strerror(-rc),
			 rc == -EPERM ? " (BPF needs root or CAP_BPF)" : "");
		goto fail;
	}
	k->prog_fd = bpf_program__fd(test);
	k->config_fd = bpf_object__find_map_fd_by_name(k->obj, ASPEN_MAP_CONFIG);
	if (force_monitor && k->config_fd >= 0) {
		__u32 key = 0;
		struct aspen_config cfg = {.force_monitor = 1};

		if (bpf_map_update_elem(k->config_fd, &key, &cfg, BPF_ANY)) {
			snprintf(err, errlen, "cannot set aspen_config: %s", strerror(errno));
			goto fail;
		}
	}
	return k;
fail:
	bpf_object__close(k->obj);
	free(k);
	return NULL;
}

int kernel_run(struct kernel_runner *k, struct aspen_test_ctx *ctx, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = ctx, .ctx_size_in = sizeof(*ctx));
	int rc;

	ctx->done = 0;
	rc = bpf_prog_test_run_opts(k->prog_fd, &o);
	if (rc) {
		snprintf(err, errlen, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	if (o.retval != 0 || !ctx->done) {
		snprintf(err, errlen, "the test program returned %u", o.retval);
		return -1;
	}
	return 0;
}

void kernel_close(struct kernel_runner *k)
{
	if (!k)
		return;
	bpf_object__close(k->obj);
	free(k);
}
