/* SPDX-License-Identifier: Apache-2.0 */
/* Provider address sources: hosts files, --resolve, names and addresses. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_hosts.h"

struct seen {
	int n;
	char text[32][80]; /* "ip host" */
};

static int record(const struct in6_addr *addr, int family, const char *host, void *ctx)
{
	struct seen *s = ctx;
	char ip[INET6_ADDRSTRLEN];

	assert_true(family == AF_INET || family == AF_INET6);
	assert_int_equal(family == AF_INET, IN6_IS_ADDR_V4MAPPED(addr));
	if (s->n < 32)
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s %s",
			 rt_ip_to_str(addr, ip, sizeof(ip)), host);
	s->n++;
	return 0;
}

static int stop_at_two(const struct in6_addr *addr, int family, const char *host, void *ctx)
{
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static char path[64];

static void write_hosts(const char *text)
{
	int fd;

	strcpy(path, "/tmp/aspen-hosts-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_hosts_file(void **state)
{
	struct seen s = {0};
	char err[256];

	write_hosts("# test hosts\n"
		    "\n"
		    "127.0.0.1\tlocalhost\n"
		    "  10.0.0.7   API.OpenAI.com.  api.anthropic.com # fake providers\n"
		    "::1 ip6-localhost ip6-loopback\n"
		    "fd00::42 generativelanguage.googleapis.com\n"
		    "fe80::1%lo link.local\n");
	assert_int_equal(rt_hosts_parse_file(path, record, &s, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(s.n, 7);
	assert_string_equal(s.text[0], "127.0.0.1 localhost");
	assert_string_equal(s.text[1], "10.0.0.7 api.openai.com");
	assert_string_equal(s.text[2], "10.0.0.7 api.anthropic.com");
	assert_string_equal(s.text[3], "::1 ip6-localhost");
	assert_string_equal(s.text[4], "::1 ip6-loopback");
	assert_string_equal(s.text[5], "fd00::42 generativelanguage.googleapis.com");
	assert_string_equal(s.text[6], "fe80::1 link.local");
}

static void test_hosts_malformed(void **state)
{
	struct seen s = {0};
	char err[256];

	write_hosts("127.0.0.1 localhost\n"
		    "300.1.2.3 bad.example\n"	      /* line 2: bad address */
		    "10.0.0.1\n"		      /* line 3: no name */
		    "10.0.0.2 ok.example bad..name\n" /* line 4: whole line skipped */
		    "10.0.0.3 good.example\n");
	assert_int_equal(rt_hosts_parse_file(path, record, &s, err, sizeof(err)), 3);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[1], "10.0.0.3 good.example");
	assert_non_null(strstr(err, ":2: bad address '300.1.2.3'"));
	assert_memory_equal(err, path, strlen(path));
	unlink(path);
}

static void test_hosts_stop_and_missing(void **state)
{
	char err[256];
	int count = 0;

	write_hosts("1.1.1.1 a b c\n");
	assert_int_equal(rt_hosts_parse_file(path, stop_at_two, &count, err, sizeof(err)), 42);
	unlink(path);
	assert_int_equal(
	    rt_hosts_parse_file("/nonexistent/hosts", stop_at_two, &count, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/hosts: "));
}

static void test_resolve_arg(void **state)
{
	struct seen s = {0};
	char err[256];

	assert_int_equal(rt_resolve_arg("API.openai.com.=127.0.0.2", record, &s, err, sizeof(err)),
			 0);
	assert_int_equal(rt_resolve_arg("api.anthropic.com=10.1.1.1,[::1],fd00::5", record, &s, err,
					sizeof(err)),
			 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text[0], "127.0.0.2 api.openai.com");
	assert_string_equal(s.text[1], "10.1.1.1 api.anthropic.com");
	assert_string_equal(s.text[2], "::1 api.anthropic.com");
	assert_string_equal(s.text[3], "fd00::5 api.anthropic.com");

	s.n = 0;
	assert_int_equal(rt_resolve_arg("api.openai.com", record, &s, err, sizeof(err)), -1);
	assert_int_equal(rt_resolve_arg("=1.2.3.4", record, &s, err, sizeof(err)), -1);
	assert_int_equal(rt_resolve_arg("x.com=", record, &s, err, sizeof(err)), -1);
	assert_int_equal(rt_resolve_arg("x.com=1.2.3.4,nope", record, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad address 'nope'"));
	assert_int_equal(rt_resolve_arg("bad_host!=1.2.3.4", record, &s, err, sizeof(err)), -1);
	assert_int_equal(s.n, 0); /* all or nothing */
}

static void test_names(void **state)
{
	char h[RT_HOST_MAX];
	char longlabel[80];

	strcpy(h, "Api.OpenAI.COM.");
	assert_int_equal(rt_host_normalize(h), 0);
	assert_string_equal(h, "api.openai.com");
	assert_true(rt_host_valid("my_host-1.example"));
	assert_false(rt_host_valid(""));
	assert_false(rt_host_valid("."));
	assert_false(rt_host_valid("a..b"));
	assert_false(rt_host_valid(".a"));
	assert_false(rt_host_valid("a b"));
	assert_false(rt_host_valid("*.openai.azure.com"));
	memset(longlabel, 'a', 64);
	longlabel[64] = '\0';
	assert_false(rt_host_valid(longlabel));
	longlabel[63] = '\0';
	assert_true(rt_host_valid(longlabel));
}

static void test_ip(void **state)
{
	struct rt_ip ip;
	char s[INET6_ADDRSTRLEN];

	assert_int_equal(rt_ip_parse("192.0.2.1", &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_true(IN6_IS_ADDR_V4MAPPED(&ip.addr));
	assert_string_equal(rt_ip_to_str(&ip.addr, s, sizeof(s)), "192.0.2.1");
	assert_int_equal(rt_ip_parse("[2001:db8::1]", &ip), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_string_equal(rt_ip_to_str(&ip.addr, s, sizeof(s)), "2001:db8::1");
	assert_int_equal(rt_ip_parse("", &ip), -1);
	assert_int_equal(rt_ip_parse("[::1", &ip), -1);
	assert_int_equal(rt_ip_parse("1.2.3", &ip), -1);
	assert_int_equal(rt_ip_parse("1.2.3.4%eth0", &ip), -1);
}

static void test_resolve_name(void **state)
{
	struct rt_ip ip[8];
	char err[256], s[INET6_ADDRSTRLEN];
	int n;

	/* Literals resolve without any name service. */
	n = rt_resolve_name("127.0.0.1", ip, 8, err, sizeof(err));
	assert_int_equal(n, 1);
	assert_string_equal(rt_ip_to_str(&ip[0].addr, s, sizeof(s)), "127.0.0.1");
	assert_int_equal(rt_resolve_name("::1", ip, 8, err, sizeof(err)), 1);
	assert_int_equal(ip[0].family, AF_INET6);
	assert_int_equal(rt_resolve_name("no-such-host.invalid", ip, 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-host.invalid: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts_file),
	    cmocka_unit_test(test_hosts_malformed),
	    cmocka_unit_test(test_hosts_stop_and_missing),
	    cmocka_unit_test(test_resolve_arg),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_ip),
	    cmocka_unit_test(test_resolve_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
