/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Detaching a uprobe costs the kernel an RCU grace period (~100 ms here,
 * measured), per probe. The event loop must never wait for that: links of
 * exited processes are handed to this thread, which destroys them in the
 * background. At shutdown the queue is drained before aspend exits, so
 * nothing stays attached.
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
static bool stopping, started;
static pthread_t thread;

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
		started = pthread_create(&thread, NULL, reaper_main, NULL) == 0;
	r = started ? malloc(sizeof(*r)) : NULL;
	if (r) {
		r->link = link;
		r->next = head;
		head = r;
		pthread_cond_signal(&cv);
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
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	if (started)
		pthread_join(thread, NULL);
	started = false;
}
