/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit trail's scrubber (runtime/lib/rt_scrub.c) on any value: aspend
 * never writes a secret or PII to the trail, and what it writes of a
 * request (model, user, host, path) goes through this first. The
 * scrubbers are the standard library's pii and secrets patterns; the first
 * input byte says whether the value was cut to fit its buffer, the rest is
 * the value (at most 512 bytes, as the kernel's longest field).
 *
 * Checks: every match of every pattern in the value (leftmost-longest, as
 * rx_find() reports them, a validator's accepted) is all mask bytes in
 * the output; a cut value's tail that could begin a match (rx_tail()) is
 * masked too; bytes outside every match and tail are left alone unless a
 * percent-decoded match covers them; the output is as long as the value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_scrub.h"

static struct rt_scrub *pii, *secrets;

static struct rt_scrub *load(const char *name)
{
	char path[512], err[256];
	struct rt_scrub *s = rt_scrub_new();

	snprintf(path, sizeof(path), "%s/stdlib-policies/%s.asp", ASPEN_SRC_DIR, name);
	if (!s || rt_scrub_add_asp(s, path, err, sizeof(err)) <= 0) {
		fprintf(stderr, "fuzz_scrub: %s: %s\n", path, err);
		abort();
	}
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pii = load("pii");
	secrets = load("secrets");
	return 0;
}

struct span_ctx {
	const uint8_t *in, *out;
	aspen_validator_fn valid;
	uint8_t *covered; /* bytes some match or tail covers */
};

static int masked(size_t s, size_t e, void *arg)
{
	struct span_ctx *c = arg;

	if (c->valid && !c->valid(c->in + s, e - s))
		return 0;
	for (size_t k = s; k < e; k++) {
		c->covered[k] = 1;
		if (c->out[k] != RT_SCRUB_MASK[0]) {
			fprintf(stderr, "fuzz_scrub: byte %zu of a match [%zu, %zu) left as '%c'\n",
				k, s, e, c->in[k]);
			abort();
		}
	}
	return 0;
}

static int has_percent(const uint8_t *v, size_t n)
{
	return memchr(v, '%', n) || memchr(v, '+', n);
}

static void check(const struct rt_scrub *sc, struct span_ctx *c, size_t n, int cut)
{
	for (size_t i = 0; i < rt_scrub_count(sc); i++) {
		const struct rx *rx = rt_scrub_pattern(sc, i, &c->valid);

		rx_find(rx, c->in, n, masked, c);
		if (cut) {
			c->valid = NULL;
			masked(rx_tail(rx, c->in, n), n, c);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in, *out, *covered;
	struct span_ctx c;
	size_t n;
	int cut;

	if (!size || size > 513)
		return 0;
	cut = data[0] & 1;
	n = size - 1;
	in = malloc(n + 1);
	out = malloc(n + 1);
	covered = calloc(n + 1, 1);
	if (!in || !out || !covered)
		abort();
	memcpy(in, data + 1, n);
	memcpy(out, in, n);
	rt_scrub_apply(pii, in, out, n, cut);
	rt_scrub_apply(secrets, in, out, n, cut);
	c = (struct span_ctx){.in = in, .out = out, .covered = covered};
	check(pii, &c, n, cut);
	check(secrets, &c, n, cut);
	if (!has_percent(in, n))
		for (size_t k = 0; k < n; k++)
			if (!covered[k] && out[k] != in[k]) {
				fprintf(stderr, "fuzz_scrub: byte %zu masked outside every match\n",
					k);
				abort();
			}
	free(in);
	free(out);
	free(covered);
	return 0;
}
