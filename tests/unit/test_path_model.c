/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Models named in the URL: the kernel's matcher (bpf-templates/
 * aspen_path_model.h, host C, over the compiler's encoding) on the
 * providers' paths, and against the reference evaluator's own reading of
 * the same templates on random paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/types.h>

#include "aspen_path_model.h"
#include "model_path.h"
#include "refeval.h"

/* The kernel's reading: 1 and the model in out, or 0. */
static int kernel(const char *tmpl, const char *path, char *out)
{
	char enc[ASPEN_TMPL_LEN], err[128], p[ASPEN_PATH_LEN] = {0};
	struct aspen_pm m;

	assert_int_equal(model_path_encode(tmpl, enc, err, sizeof(err)), 0);
	strncpy(p, path, ASPEN_PATH_LEN - 1); /* the parser keeps this much */
	if (!aspen_pm_match(&m, p, enc))
		return 0;
	strcpy(out, m.out);
	return 1;
}

static void expect(const char *tmpl, const char *path, const char *model)
{
	char k[ASPEN_MODEL_LEN], r[ASPEN_MODEL_LEN];
	int kh = kernel(tmpl, path, k);
	bool rh = refeval_template_model(tmpl, path, r);

	if (!model) {
		assert_false(kh);
		assert_false(rh);
		return;
	}
	assert_true(kh);
	assert_true(rh);
	assert_string_equal(k, model);
	assert_string_equal(r, model);
}

static void test_providers(void **state)
{
	(void)state;
	expect("/v1beta/models/{model}:*", "/v1beta/models/gemini-2.0-flash:generateContent",
	       "gemini-2.0-flash");
	expect("/v1beta/models/{model}:*",
	       "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=k/x",
	       "gemini-2.0-flash");
	expect("/v1beta/models/{model}:*", "/v1beta/models/gemini-2.0-flash", NULL);
	expect("/v1beta/models/{model}:*", "/v1beta/models/:generateContent", NULL);
	expect("/v1beta/models/{model}:*", "/v1beta/models/a/b:generateContent", NULL);
	expect("/v1beta/models/{model}:*", "/v1beta/models", NULL);
	expect("/v1/projects/*/locations/*/publishers/*/models/{model}:*",
	       "/v1/projects/p-1/locations/us-central1/publishers/google/models/"
	       "gemini-2.0-flash-001:generateContent",
	       "gemini-2.0-flash-001");
	expect("/v1/projects/*/locations/*/publishers/*/models/{model}:*",
	       "/v1/projects/p-1/locations/us/x/publishers/google/models/g:generateContent", NULL);
	expect("/model/{model}/*", "/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse",
	       "anthropic.claude-3-5-sonnet-20241022-v2:0");
	expect("/model/{model}/*",
	       "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus."
	       "anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke-with-response-stream",
	       "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic."
	       "claude-3-5-sonnet-20241022-v2:0");
	expect("/model/{model}/*", "/model/a%3/invoke", NULL);
	expect("/model/{model}/*", "/model/a%zz/invoke", NULL);
	expect("/model/{model}/*", "/model/abc", NULL);
	expect("/openai/deployments/{model}/*",
	       "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
	       "gpt-4o-prod");
	expect("/m/{model}", "/m/x?y=/z", "x");
	expect("/m/{model}", "/m/x/y", NULL);
	expect("/m/{model}-v1", "/m/abc-v1", "abc");
	expect("/m/{model}-v1", "/m/abc-v1x", NULL);
}

static void test_cut_path(void **state)
{
	char path[600], k[ASPEN_MODEL_LEN], r[ASPEN_MODEL_LEN];

	(void)state;
	/* a model that runs past what the parser keeps of the path: cut */
	strcpy(path, "/model/");
	memset(path + 7, 'a', 400);
	strcpy(path + 407, "/converse");
	assert_true(kernel("/model/{model}/*", path, k));
	path[ASPEN_PATH_LEN - 1] = 0; /* the reference evaluator reads the path as kept */
	assert_true(refeval_template_model("/model/{model}/*", path, r));
	/* cut where the path is: 7 bytes of "/model/" before it */
	assert_int_equal(strlen(k), ASPEN_PATH_LEN - 1 - 7 < ASPEN_MODEL_LEN - 1 ? ASPEN_PATH_LEN - 1 - 7
										  : ASPEN_MODEL_LEN - 1);
	assert_string_equal(k, r);
}

/* Random paths over a small alphabet against random templates: both
 * readings agree on match and model. */
static void test_random_agree(void **state)
{
	static const char *const tmpls[] = {
	    "/v1/{model}:*", "/a/*/b/{model}/*", "/m/{model}", "/m/{model}:x", "/*/{model}:*",
	    "/model/{model}/*", "/x*y/{model}/z",
	};
	static const char alpha[] = "/ab:%3A?xyz-";
	unsigned seed = 42;

	(void)state;
	for (int n = 0; n < 200000; n++) {
		char path[40], k[ASPEN_MODEL_LEN], r[ASPEN_MODEL_LEN];
		const char *t = tmpls[rand_r(&seed) % (sizeof(tmpls) / sizeof(tmpls[0]))];
		int len = 1 + rand_r(&seed) % 30, kh;
		bool rh;

		path[0] = '/';
		for (int i = 1; i < len; i++)
			path[i] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		path[len] = 0;
		if (n % 3 == 0) /* often start like the template */
			memcpy(path, t, strcspn(t, "{*") < (size_t)len ? strcspn(t, "{*") : (size_t)len);
		kh = kernel(t, path, k);
		rh = refeval_template_model(t, path, r);
		if (kh != (int)rh || (kh && strcmp(k, r)))
			fail_msg("'%s' on '%s': kernel %d '%s', reference %d '%s'", t, path, kh,
				 kh ? k : "", rh, rh ? r : "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_providers),
	    cmocka_unit_test(test_cut_path),
	    cmocka_unit_test(test_random_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
