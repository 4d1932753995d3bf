/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Detaching a uprobe costs the kernel an RCU grace period (~100 ms here,
 * measured), per probe. The event loop must never wait for that: links of
 * exited processes are handed to these threads, which destroy them in the
 * background. REAPERS of them wait at once, and waiters at the same time
 * share grace periods: one thread alone reaped 10 links a second, fewer
 * than a host starting a provider-calling process a second leaves (each
 * has ~10), and a shutdown after 30 such processes took over 20 s. At
 * shutdown the queue is drained before aspend exits, so nothing stays
 * attached.
 */
#include <pthread.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "reaper.h"

struct reap {
	struct bpf_link *link;
	struct reap *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct reap *head;
#define REAPERS 8
static bool stopping;
static int started; /* threads running */
static pthread_t threads[REAPERS];

static void *reaper_main(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!head && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (!head)
			break;
		struct reap *r = head;

		head = r->next;
		pthread_mutex_unlock(&mu);
		bpf_link__destroy(r->link);
		free(r);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	return arg;
}

/* Destroy link in the background (synchronously if no thread could start). */
void reaper_put(struct bpf_link *link)
{
	struct reap *r;

	if (!link)
		return;
	pthread_mutex_lock(&mu);
	if (!started && !stopping)
		while (started < REAPERS &&
		       pthread_create(&threads[started], NULL, reaper_main, NULL) == 0)
			started++;
	r = started ? malloc(sizeof(*r)) : NULL;
	if (r) {
		r->link = link;
		r->next = head;
		head = r;
		pthread_cond_signal(&cv); /* one idle thread takes it */
	}
	pthread_mutex_unlock(&mu);
	if (!r)
		bpf_link__destroy(link);
}

/* Wait until every queued link is destroyed. */
void reaper_drain(void)
{
	pthread_mutex_lock(&mu);
	stopping = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	started = 0;
}
