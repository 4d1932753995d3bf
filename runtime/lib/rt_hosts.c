/* SPDX-License-Identifier: Apache-2.0 */
/* Provider address sources: hosts files, --resolve, getaddrinfo. */
#define _GNU_SOURCE
#include "rt_hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HOSTS_MAX_NAMES 64 /* names on one hosts line; glibc allows 35 */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int rt_host_valid(const char *host)
{
	size_t len = strlen(host), label = 0;

	if (len == 0 || len > RT_HOST_MAX - 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (host[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (!label_char(host[i]) || ++label > 63) {
			return 0;
		}
	}
	return label > 0;
}

int rt_host_normalize(char *host)
{
	size_t len = strlen(host);

	/* "api.openai.com." is the same name as "api.openai.com" */
	if (len > 1 && host[len - 1] == '.')
		host[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] - 'A' + 'a');
	return rt_host_valid(host) ? 0 : -1;
}

static void map_v4(const struct in_addr *v4, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], v4, 4);
}

int rt_ip_parse(const char *s, struct rt_ip *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t len = strlen(s);
	struct in_addr v4;
	char *pct;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	if (buf[0] == '[') {
		if (buf[len - 1] != ']')
			return -1;
		buf[len - 1] = '\0';
		memmove(buf, buf + 1, len - 1);
	}
	/* A zone index names an interface, not part of the address. */
	pct = strchr(buf, '%');
	if (pct && strchr(buf, ':'))
		*pct = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		map_v4(&v4, &out->addr);
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

const char *rt_ip_to_str(const struct in6_addr *addr, char *out, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(addr)) {
		if (!inet_ntop(AF_INET, &addr->s6_addr[12], out, (socklen_t)len))
			snprintf(out, len, "?");
	} else if (!inet_ntop(AF_INET6, addr, out, (socklen_t)len)) {
		snprintf(out, len, "?");
	}
	return out;
}

/* Splits s in place on blanks; returns the number of words (at most max). */
static int split_words(char *s, char **words, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *w = strtok_r(s, " \t\r\n\f\v", &save); w && n < max;
	     w = strtok_r(NULL, " \t\r\n\f\v", &save))
		words[n++] = w;
	return n;
}

/* One line of a hosts file. Returns 1 if it is malformed (why says how),
 * else 0; a nonzero value from cb is left in *stop. */
static int hosts_line(char *line, rt_host_cb cb, void *ctx, int *stop, char *why, size_t wl)
{
	char *words[HOSTS_MAX_NAMES + 1], *hash = strchr(line, '#');
	struct rt_ip ip;
	int n;

	if (hash)
		*hash = '\0';
	n = split_words(line, words, HOSTS_MAX_NAMES + 1);
	if (n == 0)
		return 0;
	if (rt_ip_parse(words[0], &ip)) {
		snprintf(why, wl, "bad address '%.64s'", words[0]);
		return 1;
	}
	if (n == 1) {
		snprintf(why, wl, "no host name after '%.64s'", words[0]);
		return 1;
	}
	/* Check every name first: a line we cannot read whole is not trusted
	 * in part either. */
	for (int i = 1; i < n; i++) {
		if (rt_host_normalize(words[i])) {
			snprintf(why, wl, "bad host name '%.64s'", words[i]);
			return 1;
		}
	}
	for (int i = 1; i < n && !*stop; i++)
		*stop = cb(&ip.addr, ip.family, words[i], ctx);
	return 0;
}

int rt_hosts_parse_file(const char *path, rt_host_cb cb, void *ctx, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, why[160];
	size_t cap = 0;
	long lineno = 0;
	int bad = 0, stop = 0;

	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (err && errlen)
		err[0] = '\0';
	while (!stop && getline(&line, &cap, f) >= 0) {
		lineno++;
		if (hosts_line(line, cb, ctx, &stop, why, sizeof(why)) && bad++ == 0)
			set_err(err, errlen, "%s:%ld: %s", path, lineno, why);
	}
	if (!stop && ferror(f)) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		bad = -1;
	}
	free(line);
	fclose(f);
	return stop ? stop : bad;
}

int rt_resolve_arg(const char *arg, rt_host_cb cb, void *ctx, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	char host[RT_HOST_MAX], ips[1024], *save = NULL;
	struct rt_ip ip[16];
	int n = 0, rc = 0;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(host)) {
		set_err(err, errlen, "--resolve '%s': expected HOST=IP[,IP...]", arg);
		return -1;
	}
	memcpy(host, arg, (size_t)(eq - arg));
	host[eq - arg] = '\0';
	if (rt_host_normalize(host)) {
		set_err(err, errlen, "--resolve '%s': bad host name", arg);
		return -1;
	}
	if (snprintf(ips, sizeof(ips), "%s", eq + 1) >= (int)sizeof(ips)) {
		set_err(err, errlen, "--resolve '%s': too long", arg);
		return -1;
	}
	/* Parse all addresses before reporting any: all or nothing. */
	for (char *w = strtok_r(ips, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (n == (int)(sizeof(ip) / sizeof(ip[0])) || rt_ip_parse(w, &ip[n])) {
			set_err(err, errlen, "--resolve '%s': bad address '%s'", arg, w);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		set_err(err, errlen, "--resolve '%s': no address after '='", arg);
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = cb(&ip[i].addr, ip[i].family, host, ctx);
	return rc;
}

static int has_ip(const struct rt_ip *v, size_t n, const struct in6_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&v[i].addr, a, sizeof(*a)) == 0)
			return 1;
	return 0;
}

int rt_resolve_name(const char *host, struct rt_ip *out, size_t max, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL, *ai;
	size_t n = 0;
	int rc;

	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		set_err(err, errlen, "%s: %s", host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		struct rt_ip ip = {.family = ai->ai_family};

		if (ai->ai_family == AF_INET)
			map_v4(&((struct sockaddr_in *)ai->ai_addr)->sin_addr, &ip.addr);
		else if (ai->ai_family == AF_INET6)
			ip.addr = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (!has_ip(out, n, &ip.addr))
			out[n++] = ip;
	}
	freeaddrinfo(res);
	if (n == 0) {
		set_err(err, errlen, "%s: no IPv4 or IPv6 address", host);
		return -1;
	}
	return (int)n;
}
