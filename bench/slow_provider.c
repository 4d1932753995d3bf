/* A provider that answers every request after a fixed delay
 * (bench/realistic.sh).
 *
 *   slow_provider HOST PORT CERT KEY DELAY_US READY_FILE
 *
 * HTTP/1.1 over TLS (OpenSSL), keep-alive, one thread per connection: reads
 * a request head and its Content-Length body, sleeps DELAY_US with a
 * timer slack of 1 ns (clock_nanosleep on CLOCK_MONOTONIC), answers a small
 * chat-completion JSON. Nothing else: no chunked bodies, no HTTP/2.
 *
 * It replaces an asyncio server whose event loop slept in whole
 * milliseconds (epoll's timeout): its answers came 2 or 3 ms late by
 * where a request fell in the millisecond, which is most of the p99 that
 * the bench compares. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER "{\"id\":\"x\",\"model\":\"gpt-4o-mini\",\"usage\":{\"prompt_tokens\":512,\"completion_tokens\":9}}"
#define HEAD_MAX 16384

static SSL_CTX *ctx;
static long delay_ns;

struct conn {
	int fd;
	char buf[HEAD_MAX + 1];
	size_t have; /* bytes in buf */
};

/* more bytes into c->buf; 0 on end of stream or error */
static int fill(SSL *ssl, struct conn *c)
{
	int n;

	if (c->have >= HEAD_MAX)
		return 0;
	n = SSL_read(ssl, c->buf + c->have, (int)(HEAD_MAX - c->have));
	if (n <= 0)
		return 0;
	c->have += (size_t)n;
	c->buf[c->have] = 0;
	return 1;
}

/* the Content-Length of the head buf[0 .. end) (0 without one) */
static long content_length(const char *buf, const char *end)
{
	for (const char *p = buf; p < end; p++) {
		if ((p == buf || p[-1] == '\n') && !strncasecmp(p, "content-length:", 15))
			return strtol(p + 15, NULL, 10);
	}
	return 0;
}

/* drop the first n bytes of c->buf */
static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->have - n);
	c->have -= n;
	c->buf[c->have] = 0;
}

/* one request read whole; 0 when the client went away */
static int read_request(SSL *ssl, struct conn *c)
{
	char *end;
	long body;

	while (!(end = strstr(c->buf, "\r\n\r\n")))
		if (!fill(ssl, c))
			return 0;
	end += 4;
	body = content_length(c->buf, end);
	consume(c, (size_t)(end - c->buf));
	while (body > 0) {
		if (!c->have && !fill(ssl, c))
			return 0;
		size_t k = (size_t)body < c->have ? (size_t)body : c->have;

		consume(c, k);
		body -= (long)k;
	}
	return 1;
}

static void pause_delay(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += delay_ns;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	SSL *ssl = SSL_new(ctx);
	char resp[256];
	int len = snprintf(resp, sizeof(resp),
			   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			   "Content-Length: %zu\r\n\r\n%s",
			   strlen(ANSWER), ANSWER);

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (ssl && SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1) {
		while (read_request(ssl, c)) {
			pause_delay();
			if (SSL_write(ssl, resp, len) != len)
				break;
		}
	}
	SSL_free(ssl);
	close(c->fd);
	free(c);
	return NULL;
}

static int listen_on(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128))
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	int lfd;
	FILE *f;

	if (argc != 7) {
		fprintf(stderr, "usage: %s HOST PORT CERT KEY DELAY_US READY_FILE\n", argv[0]);
		return 2;
	}
	delay_ns = strtol(argv[5], NULL, 10) * 1000L;
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[3]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	lfd = listen_on(argv[1], atoi(argv[2]));
	if (lfd < 0) {
		perror("slow_provider: listen");
		return 1;
	}
	f = fopen(argv[6], "w");
	if (f)
		fclose(f);
	for (;;) {
		struct conn *c = calloc(1, sizeof(*c));
		pthread_t t;
		int one = 1;

		if (!c)
			return 1;
		c->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c->fd < 0) {
			free(c);
			continue;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, NULL, serve, c)) {
			close(c->fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
