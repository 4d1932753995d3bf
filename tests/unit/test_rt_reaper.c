/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reaper.c: links handed over are all destroyed by reaper_drain(), and
 * several destroys wait at once (a uprobe's detach is an RCU grace period,
 * ~100 ms: one at a time, aspend fell behind a host's short-lived
 * processes and took over 20 s to stop after 30 of them, which
 * e2e/test_audit_rotation caught). bpf_link__destroy is replaced here by
 * one that sleeps and counts how many run at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

/* aspend's, not in the runtime library: compiled in here */
#include "../../runtime/src/reaper.c"

static pthread_mutex_t count_mu = PTHREAD_MUTEX_INITIALIZER;
static int running, most, destroyed;

/* the test's stand-in for libbpf's: a slow detach */
int bpf_link__destroy(struct bpf_link *link)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	(void)link;
	pthread_mutex_lock(&count_mu);
	if (++running > most)
		most = running;
	pthread_mutex_unlock(&count_mu);
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&count_mu);
	running--;
	destroyed++;
	pthread_mutex_unlock(&count_mu);
	return 0;
}

static void test_drain_destroys_all_at_once(void **state)
{
	static char fake[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		reaper_put((struct bpf_link *)&fake[i]);
	reaper_put(NULL); /* nothing to destroy */
	reaper_drain();
	assert_int_equal(destroyed, 64);
	assert_int_equal(running, 0);
	/* 64 destroys of 20 ms each: more than one waited at a time */
	assert_true(most >= 2);
	print_message("at most %d destroys at once\n", most);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drain_destroys_all_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
