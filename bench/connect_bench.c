/* SPDX-License-Identifier: Apache-2.0 */
/*
 * connect() latency: N x (socket, connect, close) against a loopback
 * listener that this program runs itself. Prints one line of figures in
 * nanoseconds: mean, p50, p99. Used by bench/connect.sh, which runs it with
 * and without aspend in one sitting and reports ratios.
 *
 *   connect_bench IP PORT COUNT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int lfd;

static void *acceptor(void *arg)
{
	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
	return arg;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	pthread_t t;
	long long *lat, sum = 0;
	int n, one = 1, fails = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: connect_bench IP PORT COUNT\n");
		return 2;
	}
	n = atoi(argv[3]);
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || n <= 0)
		return 2;
	lat = calloc((size_t)n, sizeof(*lat));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!lat || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4096)) {
		perror("listen");
		return 1;
	}
	pthread_create(&t, NULL, acceptor, NULL);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		long long t0 = now_ns();

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			fails++;
		lat[i] = now_ns() - t0;
		sum += lat[i];
		close(fd);
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("mean_ns=%lld p50_ns=%lld p99_ns=%lld failed=%d\n", sum / n, lat[n / 2],
	       lat[(long long)n * 99 / 100], fails);
	return 0;
}
