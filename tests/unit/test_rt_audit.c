/* SPDX-License-Identifier: Apache-2.0 */
/* Audit trail: seq and hash chain, append, verification (strings: test_json.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_audit.h"
#include "sha256.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static char tmpdir[64];
static char trail[128];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/aspen-audit-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(trail, sizeof(trail), "%s/audit.jsonl", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Reads the whole trail into lines[] (at most max). Returns the count. */
static int read_lines(char lines[][1024], int max)
{
	FILE *f = fopen(trail, "r");
	int n = 0;

	assert_non_null(f);
	while (n < max && fgets(lines[n], 1024, f)) {
		size_t l = strlen(lines[n]);

		assert_true(l > 0 && lines[n][l - 1] == '\n');
		lines[n][l - 1] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

static void emit_connect(struct rt_audit *a, const char *decision, int pid)
{
	struct rt_audit_ev ev;

	rt_audit_ev_init(&ev, "connect");
	rt_audit_str(&ev, "decision", decision);
	rt_audit_str(&ev, "rule", "shadow_ai");
	rt_audit_int(&ev, "pid", pid);
	rt_audit_strn(&ev, "comm", "python3\0garbage", 16);
	rt_audit_str(&ev, "exe", "/usr/bin/py\"thon\n");
	rt_audit_null(&ev, "container_id");
	rt_audit_raw(&ev, "redactions", "[{\"pattern\":\"pii.ssn\",\"count\":2}]");
	assert_int_equal(rt_audit_emit(a, &ev), 0);
}

static void sha_hex(const char *s, char out[65])
{
	assert_int_equal(aspen_sha256_hex(s, strlen(s), out), 0);
}

static void test_chain(void **state)
{
	char err[256], lines[4][1024], want[1200], h[65];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));

	assert_non_null(a);
	assert_int_equal(rt_audit_next_seq(a), 1);
	emit_connect(a, "deny", 1);
	emit_connect(a, "allow", 2);
	emit_connect(a, "would_deny", 3);
	rt_audit_close(a);

	assert_int_equal(read_lines(lines, 4), 3);
	/* ts first, then the fields in order, then seq and prev_sha256 */
	assert_memory_equal(lines[0], "{\"ts\":\"20", 9);
	assert_int_equal(lines[0][33], 'Z');
	assert_memory_equal(lines[0] + 35, ",\"event\":\"connect\",\"decision\":\"deny\"", 36);
	assert_non_null(strstr(lines[0], "\"pid\":1,\"comm\":\"python3\",\"exe\":"
					 "\"/usr/bin/py\\\"thon\\u000a\",\"container_id\":null,"
					 "\"redactions\":[{\"pattern\":\"pii.ssn\",\"count\":2}],"
					 "\"seq\":1,\"prev_sha256\":\"" ZEROS "\"}"));
	for (int i = 1; i < 3; i++) {
		sha_hex(lines[i - 1], h);
		snprintf(want, sizeof(want), ",\"seq\":%d,\"prev_sha256\":\"%s\"}", i + 1, h);
		assert_non_null(strstr(lines[i], want));
	}
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 0);
}

static void test_append_continues(void **state)
{
	char err[256], lines[5][1024], want[128], h[65];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));

	assert_non_null(a);
	emit_connect(a, "deny", 1);
	emit_connect(a, "deny", 2);
	rt_audit_close(a);

	a = rt_audit_open(trail, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(rt_audit_next_seq(a), 3);
	emit_connect(a, "allow", 3);
	rt_audit_close(a);

	assert_int_equal(read_lines(lines, 5), 3);
	sha_hex(lines[1], h);
	snprintf(want, sizeof(want), ",\"seq\":3,\"prev_sha256\":\"%s\"}", h);
	assert_non_null(strstr(lines[2], want));
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 0);
}

static void test_fixed_ts_and_types(void **state)
{
	char err[256], lines[2][1024];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_ev ev;
	const char *want;

	assert_non_null(a);
	rt_audit_ev_init(&ev, "request");
	ev.ts.tv_sec = 1795547281;
	ev.ts.tv_nsec = 123456789;
	rt_audit_uint(&ev, "bytes", 18446744073709551615ull);
	rt_audit_int(&ev, "uid", -1);
	rt_audit_int(&ev, "min", -9223372036854775807LL - 1);
	rt_audit_uint(&ev, "zero", 0);
	rt_audit_bool(&ev, "stream", 1);
	rt_audit_str(&ev, "user", NULL);
	rt_audit_str(&ev, "plain", "gpt-4o mini/v1");
	rt_audit_str(&ev, "esc", "caf\xc3\xa9 \"q\"\t\xff");
	assert_int_equal(rt_audit_emit(a, &ev), 0);
	rt_audit_close(a);
	assert_int_equal(read_lines(lines, 2), 1);
	want = "{\"ts\":\"2026-11-24T19:08:01.123456Z\",\"event\":\"request\","
	       "\"bytes\":18446744073709551615,\"uid\":-1,\"min\":-9223372036854775808,"
	       "\"zero\":0,\"stream\":true,\"user\":null,\"plain\":\"gpt-4o mini/v1\","
	       "\"esc\":\"caf\xc3\xa9 \\\"q\\\"\\u0009\\ufffd\",\"seq\":1,";
	assert_memory_equal(lines[0], want, strlen(want));
}

static void test_reserved_key_refused(void **state)
{
	char err[256];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_ev ev;

	assert_non_null(a);
	rt_audit_ev_init(&ev, "connect");
	rt_audit_int(&ev, "seq", 5);
	errno = 0;
	assert_int_equal(rt_audit_emit(a, &ev), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(rt_audit_next_seq(a), 1);
	rt_audit_close(a);
}

static void rewrite_trail(const char *from, const char *to)
{
	char lines[8][1024];
	int n = read_lines(lines, 8);
	FILE *f = fopen(trail, "w");

	assert_non_null(f);
	for (int i = 0; i < n; i++) {
		char *p = strstr(lines[i], from);

		if (p && from[0])
			memcpy(p, to, strlen(to));
		fprintf(f, "%s\n", lines[i]);
	}
	fclose(f);
}

static void test_verify_detects_tampering(void **state)
{
	char err[256];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));

	assert_non_null(a);
	emit_connect(a, "deny", 1);
	emit_connect(a, "deny", 22);
	emit_connect(a, "deny", 3);
	rt_audit_close(a);
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 0);

	/* line 2 says pid 11 instead of 22: line 3's link breaks */
	rewrite_trail("\"pid\":22", "\"pid\":11");
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 3);
	assert_non_null(strstr(err, ":3: prev_sha256"));

	/* an open refuses nothing here (the last line is intact), but a
	 * renumbered line is seen at once */
	rewrite_trail("\"seq\":2,", "\"seq\":7,");
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 2);
}

static void test_verify_incomplete_and_foreign(void **state)
{
	char err[256];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	FILE *f;

	assert_non_null(a);
	emit_connect(a, "deny", 1);
	rt_audit_close(a);
	f = fopen(trail, "a");
	fputs("{\"ts\":\"half", f);
	fclose(f);
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 2);
	assert_null(rt_audit_open(trail, err, sizeof(err)));
	assert_non_null(strstr(err, "incomplete"));

	f = fopen(trail, "w");
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 1);
	assert_null(rt_audit_open(trail, err, sizeof(err)));
	assert_non_null(strstr(err, "not an aspen audit event"));
	assert_int_equal(rt_audit_verify("/nonexistent/aspen", err, sizeof(err)), -1);
}

static void test_exclusive(void **state)
{
	char err[256];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));

	assert_non_null(a);
	assert_null(rt_audit_open(trail, err, sizeof(err)));
	assert_non_null(strstr(err, "in use"));
	rt_audit_close(a);
}

static void *writer(void *arg)
{
	for (int i = 0; i < 200; i++)
		emit_connect(arg, "deny", i);
	return NULL;
}

static void test_threads(void **state)
{
	char err[256];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	pthread_t t1, t2;

	assert_non_null(a);
	pthread_create(&t1, NULL, writer, a);
	pthread_create(&t2, NULL, writer, a);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(rt_audit_next_seq(a), 401);
	rt_audit_close(a);
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 0);
}

/* ---- rotation and reopening: the chain goes on across files --------------- */

/* Counts the lines of path that contain needle (all lines for ""). */
static int count_in(const char *path, const char *needle)
{
	char line[2048];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void rotated(char *out, size_t n, unsigned i)
{
	if (i)
		snprintf(out, n, "%s.%u", trail, i);
	else
		snprintf(out, n, "%s", trail);
}

/* Verifies trail.(k-1) .. trail.1, trail as one chain; returns the chain. */
static struct rt_audit_chain verify_files(unsigned oldest)
{
	struct rt_audit_chain c;
	char path[160], err[256];

	rt_audit_chain_init(&c);
	for (unsigned i = oldest + 1; i-- > 0;) {
		rotated(path, sizeof(path), i);
		if (rt_audit_verify_next(&c, path, err, sizeof(err)) != 0)
			fail_msg("%s", err);
	}
	return c;
}

static void test_rotation_keeps_every_line(void **state)
{
	char err[256], path[160], first[2048], h[65], want[320], last[2048] = "";
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_chain c;
	int connects = 0, rotations = 0;
	unsigned files = 0;

	assert_non_null(a);
	rt_audit_set_rotation(a, 2000, 100);
	for (int i = 0; i < 40; i++)
		emit_connect(a, "deny", i);
	rt_audit_close(a);

	/* every file at most 2000 bytes, none lost, all in one chain */
	for (files = 0;; files++) {
		struct stat st;

		rotated(path, sizeof(path), files);
		if (stat(path, &st))
			break;
		assert_true(st.st_size <= 2000);
		connects += count_in(path, "\"event\":\"connect\"");
		rotations += count_in(path, "\"event\":\"audit_rotate\"");
	}
	assert_true(files >= 8);
	assert_int_equal(connects, 40);
	assert_int_equal(rotations, (int)files - 1);
	c = verify_files(files - 1);
	assert_int_equal(c.first_seq, 1);
	assert_int_equal(c.lines, 40 + files - 1);

	/* the first line of trail.1 carries the hash of the last line of trail.2 */
	rotated(path, sizeof(path), 2);
	{
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		while (fgets(first, sizeof(first), f))
			strcpy(last, first);
		fclose(f);
		last[strlen(last) - 1] = '\0';
		sha_hex(last, h);
		rotated(path, sizeof(path), 1);
		f = fopen(path, "r");
		assert_non_null(fgets(first, sizeof(first), f));
		fclose(f);
	}
	snprintf(want, sizeof(want), "\"prev_sha256\":\"%s\"}", h);
	assert_non_null(strstr(first, want));
	snprintf(want, sizeof(want), "\"event\":\"audit_rotate\",\"reason\":\"max_size\","
				     "\"previous_file\":\"%s.1\"",
		 trail);
	assert_non_null(strstr(first, want));

	/* a restart on the new file goes on with its chain */
	a = rt_audit_open(trail, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(rt_audit_next_seq(a), 40 + files);
	rt_audit_close(a);
}

static void test_rotation_keep(void **state)
{
	char err[256], path[160];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_chain c;

	assert_non_null(a);
	rt_audit_set_fsync(a, 1); /* the old file and the directory synced too */
	rt_audit_set_rotation(a, 1500, 2);
	for (int i = 0; i < 30; i++)
		emit_connect(a, "deny", i);
	rt_audit_close(a);
	rotated(path, sizeof(path), 3);
	assert_int_equal(access(path, F_OK), -1);
	rotated(path, sizeof(path), 2);
	assert_int_equal(access(path, F_OK), 0);
	/* the oldest file kept continues a chain whose start was dropped */
	c = verify_files(2);
	assert_true(c.first_seq > 1);
	assert_string_not_equal(c.first_prev, ZEROS);
	/* alone, trail is a continued chain too */
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 0);
}

static void test_reopen(void **state)
{
	char err[256], old[160], line[2048];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_chain c;
	FILE *f;

	assert_non_null(a);
	emit_connect(a, "deny", 1);
	/* not moved: nothing to do, no line written */
	assert_int_equal(rt_audit_reopen(a, err, sizeof(err)), 0);
	emit_connect(a, "deny", 2);
	/* logrotate moves the file; lines go on into it until the reopen */
	snprintf(old, sizeof(old), "%s.1", trail);
	assert_int_equal(rename(trail, old), 0);
	emit_connect(a, "deny", 3);
	assert_int_equal(rt_audit_reopen(a, err, sizeof(err)), 0);
	emit_connect(a, "deny", 4);
	emit_connect(a, "deny", 5);
	rt_audit_close(a);

	assert_int_equal(count_in(old, ""), 3);
	assert_int_equal(count_in(trail, ""), 3);
	f = fopen(trail, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "\"event\":\"audit_rotate\",\"reason\":\"reopen\","
				     "\"previous_file\":null,\"seq\":4,"));
	c = verify_files(1);
	assert_int_equal(c.first_seq, 1);
	assert_int_equal(c.lines, 6);
}

/* The trail moved away (mv, logrotate) and the reopen signal not yet come
 * when the moved file reaches max_size: the file at the trail's name is
 * taken up, as a reopen would; the moved file never grows past max_size
 * (once it was renamed to nothing and written on: CI, stop 23). */
static void test_rotation_after_a_move(void **state)
{
	char err[256], moved[160];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_chain c;
	struct stat st;

	assert_non_null(a);
	rt_audit_set_rotation(a, 2000, 100);
	emit_connect(a, "deny", 1);
	snprintf(moved, sizeof(moved), "%s.moved", trail);
	assert_int_equal(rename(trail, moved), 0);
	for (int i = 2; i <= 12; i++)
		emit_connect(a, "deny", i);
	assert_int_equal(rt_audit_reopen(a, err, sizeof(err)), 0); /* the late signal */
	emit_connect(a, "deny", 13);
	rt_audit_close(a);

	assert_int_equal(stat(moved, &st), 0);
	assert_true(st.st_size <= 2000);
	/* every line in one of the files, each file within max_size, one chain */
	{
		char path[160];
		int connects = count_in(moved, "\"event\":\"connect\"");
		unsigned files = 0;

		for (; files < 20; files++) {
			rotated(path, sizeof(path), files);
			if (stat(path, &st))
				break;
			assert_true(st.st_size <= 2000);
			connects += count_in(path, "\"event\":\"connect\"");
		}
		assert_int_equal(connects, 13);
		rt_audit_chain_init(&c);
		if (rt_audit_verify_next(&c, moved, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		for (unsigned i = files; i-- > 0;) {
			rotated(path, sizeof(path), i);
			if (rt_audit_verify_next(&c, path, err, sizeof(err)) != 0)
				fail_msg("%s: %s", path, err);
		}
	}
}

/* logrotate in the window between rotation's check that the trail is its
 * own and its rename of it: armed with the trail's name, the next rename
 * of it first moves the trail to race_to and creates an empty file in its
 * place, as logrotate's rename and create (O_EXCL) do. rt_audit.c's calls
 * of rename() come here. */
static const char *race_path, *race_to;

int rename(const char *from, const char *to)
{
	if (race_path && strcmp(from, race_path) == 0) {
		int fd;

		race_path = NULL;
		if (renameat(AT_FDCWD, from, AT_FDCWD, race_to))
			return -1;
		fd = open(from, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0)
			close(fd);
	}
	return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

/* What rotation renamed was logrotate's new, empty file, not the trail: it
 * goes back and is taken up as a reopen would (its first line says so);
 * no empty file among the rotated ones, the late signal adds no file, and
 * the chain runs from the dated file on (CI, session 31: an empty
 * audit.jsonl.4, the reopen line missing). */
static void test_rotation_races_logrotate(void **state)
{
	char err[256], dated[160], path[160], line[2048];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_chain c;
	struct stat st;
	int connects, i;
	unsigned files;
	FILE *f;

	assert_non_null(a);
	rt_audit_set_rotation(a, 2000, 100);
	snprintf(dated, sizeof(dated), "%s-20261205", trail);
	race_path = trail;
	race_to = dated;
	for (i = 1; race_path; i++) {
		assert_true(i < 50);
		emit_connect(a, "deny", i);
	}
	for (int j = 0; j < 3; j++, i++)
		emit_connect(a, "deny", i);
	assert_int_equal(rt_audit_reopen(a, err, sizeof(err)), 0); /* logrotate's postrotate */
	for (int j = 0; j < 3; j++, i++)
		emit_connect(a, "deny", i);
	rt_audit_close(a);

	connects = count_in(dated, "\"event\":\"connect\"");
	assert_true(connects > 0);
	assert_int_equal(stat(dated, &st), 0);
	assert_true(st.st_size <= 2000);
	assert_int_equal(count_in(dated, "\"reason\":\"reopen\""), 0);
	rt_audit_chain_init(&c);
	if (rt_audit_verify_next(&c, dated, err, sizeof(err)) != 0)
		fail_msg("%s: %s", dated, err);
	for (files = 1; files < 20; files++) {
		rotated(path, sizeof(path), files);
		if (stat(path, &st))
			break;
	}
	for (unsigned k = files; k-- > 0;) {
		rotated(path, sizeof(path), k);
		assert_int_equal(stat(path, &st), 0);
		if (st.st_size == 0)
			fail_msg("%s is empty: rotation moved logrotate's new file", path);
		connects += count_in(path, "\"event\":\"connect\"");
		if (rt_audit_verify_next(&c, path, err, sizeof(err)) != 0)
			fail_msg("%s: %s", path, err);
	}
	assert_int_equal(connects, i - 1);
	/* the file that took the trail's place begins with the reopen line */
	rotated(path, sizeof(path), files - 1);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "\"event\":\"audit_rotate\",\"reason\":\"reopen\""));
}

static void test_reopen_refuses_a_foreign_file(void **state)
{
	char err[256], old[160];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	FILE *f;

	assert_non_null(a);
	emit_connect(a, "deny", 1);
	snprintf(old, sizeof(old), "%s.1", trail);
	assert_int_equal(rename(trail, old), 0);
	f = fopen(trail, "w");
	fputs("someone else's line\n", f);
	fclose(f);
	assert_int_equal(rt_audit_reopen(a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not empty"));
	emit_connect(a, "deny", 2);
	rt_audit_close(a);
	assert_int_equal(count_in(old, "\"event\":\"connect\""), 2);
	assert_int_equal(rt_audit_verify(old, err, sizeof(err)), 0);
}

static void test_verify_across_files_detects(void **state)
{
	char err[256], p1[160], p2[160], p3[160], tmp[160];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct rt_audit_chain c;

	assert_non_null(a);
	rt_audit_set_rotation(a, 1500, 10);
	for (int i = 0; i < 20; i++)
		emit_connect(a, "deny", i);
	rt_audit_close(a);
	rotated(p1, sizeof(p1), 1);
	rotated(p2, sizeof(p2), 2);
	rotated(p3, sizeof(p3), 3);

	/* a file left out: the next one does not link */
	rt_audit_chain_init(&c);
	assert_int_equal(rt_audit_verify_next(&c, p3, err, sizeof(err)), 0);
	assert_int_equal(rt_audit_verify_next(&c, p1, err, sizeof(err)), 1);
	assert_non_null(strstr(err, ".1:1: seq"));

	/* files in the wrong order */
	rt_audit_chain_init(&c);
	assert_int_equal(rt_audit_verify_next(&c, p2, err, sizeof(err)), 0);
	assert_int_equal(rt_audit_verify_next(&c, p3, err, sizeof(err)), 1);

	/* a file swapped for one with the right seq but other lines */
	snprintf(tmp, sizeof(tmp), "%s.x", trail);
	assert_int_equal(rename(p2, tmp), 0);
	assert_int_equal(rename(p1, p2), 0);
	rt_audit_chain_init(&c);
	assert_int_equal(rt_audit_verify_next(&c, p3, err, sizeof(err)), 0);
	assert_int_not_equal(rt_audit_verify_next(&c, p2, err, sizeof(err)), 0);

	/* a chain start's zeros on a line that says it continues one */
	{
		FILE *f = fopen(trail, "w");

		fputs("{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"event\":\"x\",\"seq\":3,"
		      "\"prev_sha256\":\"" ZEROS "\"}\n",
		      f);
		fclose(f);
	}
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "chain start's"));
}

/* The tee gets every line written, as written, rotation lines included */
static char teed[64][2048];
static int nteed;

static void tee(void *ctx, const char *line, size_t len)
{
	assert_true(len < sizeof(teed[0]));
	memcpy(teed[nteed], line, len);
	teed[nteed++][len] = '\0';
	(void)ctx;
}

static void test_tee(void **state)
{
	char err[256], path[160], line[2048];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	int n = 0;

	assert_non_null(a);
	nteed = 0;
	rt_audit_set_tee(a, tee, NULL);
	rt_audit_set_rotation(a, 1500, 10);
	for (int i = 0; i < 6; i++)
		emit_connect(a, "deny", i);
	rt_audit_set_tee(a, NULL, NULL);
	emit_connect(a, "deny", 99);
	rt_audit_close(a);
	for (unsigned k = 10; k-- > 0;) {
		FILE *f;

		rotated(path, sizeof(path), k);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f) && n < nteed) {
			line[strlen(line) - 1] = '\0';
			assert_string_equal(line, teed[n]);
			n++;
		}
		fclose(f);
	}
	assert_int_equal(n, nteed);
	assert_true(nteed > 6); /* the connects and the audit_rotate lines */
	assert_null(strstr(teed[nteed - 1], "\"pid\":99,"));
}

/* Held lines are made at once (seq, chain) but written at the flush, all
 * with one write; the chain is the one unheld writes make. */
static void test_hold_batches(void **state)
{
	char err[256], lines[8][1024], h[65], want[160];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	struct stat st;
	uint64_t lost = 99;

	assert_non_null(a);
	emit_connect(a, "deny", 1);
	rt_audit_hold(a);
	emit_connect(a, "allow", 2);
	emit_connect(a, "allow", 3);
	assert_int_equal(rt_audit_next_seq(a), 4);
	assert_int_equal(read_lines(lines, 8), 1); /* not written yet */
	assert_int_equal(rt_audit_flush(a, &lost), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(read_lines(lines, 8), 3);
	emit_connect(a, "deny", 4); /* not held any more: written at once */
	assert_int_equal(read_lines(lines, 8), 4);
	rt_audit_hold(a); /* closing writes what is held */
	emit_connect(a, "deny", 5);
	rt_audit_close(a);
	assert_int_equal(read_lines(lines, 8), 5);
	for (int i = 1; i < 5; i++) {
		sha_hex(lines[i - 1], h);
		snprintf(want, sizeof(want), ",\"seq\":%d,\"prev_sha256\":\"%s\"}", i + 1, h);
		assert_non_null(strstr(lines[i], want));
		snprintf(want, sizeof(want), "\"pid\":%d,", i + 1);
		assert_non_null(strstr(lines[i], want));
	}
	assert_int_equal(rt_audit_verify(trail, err, sizeof(err)), 0);
	assert_int_equal(stat(trail, &st), 0);
}

/* Rotation while held: the lines made before it go to the old file, the
 * tee sees every line once in order, and the chain runs across files. */
static void test_hold_rotation_and_tee(void **state)
{
	char err[256], path[160], line[2048];
	struct rt_audit *a = rt_audit_open(trail, err, sizeof(err));
	int n = 0, connects = 0;
	unsigned files;

	assert_non_null(a);
	nteed = 0;
	rt_audit_set_tee(a, tee, NULL);
	rt_audit_set_rotation(a, 1500, 20);
	rt_audit_hold(a);
	for (int i = 0; i < 12; i++)
		emit_connect(a, "deny", i);
	assert_int_equal(rt_audit_flush(a, NULL), 0);
	rt_audit_close(a);
	for (files = 0;; files++) {
		struct stat st;

		rotated(path, sizeof(path), files);
		if (stat(path, &st))
			break;
		assert_true(st.st_size <= 1500);
		connects += count_in(path, "\"event\":\"connect\"");
	}
	assert_true(files >= 3);
	assert_int_equal(connects, 12);
	verify_files(files - 1);
	for (unsigned k = files; k-- > 0;) {
		FILE *f;

		rotated(path, sizeof(path), k);
		assert_non_null(f = fopen(path, "r"));
		while (fgets(line, sizeof(line), f)) {
			line[strlen(line) - 1] = '\0';
			assert_true(n < nteed);
			assert_string_equal(line, teed[n]);
			n++;
		}
		fclose(f);
	}
	assert_int_equal(n, nteed);
}

/* A batch the trail cannot take is reported with its count, and the chain
 * goes on from the last line written, as for a single line. */
static void test_hold_write_fails(void **state)
{
	char err[256];
	struct rt_audit *a = rt_audit_open("/dev/full", err, sizeof(err));
	struct rt_audit_ev ev;
	uint64_t lost = 0;

	assert_non_null(a);
	rt_audit_hold(a);
	for (int i = 0; i < 3; i++) {
		rt_audit_ev_init(&ev, "connect");
		rt_audit_int(&ev, "pid", i);
		assert_int_equal(rt_audit_emit(a, &ev), 0); /* made, held */
	}
	assert_int_equal(rt_audit_next_seq(a), 4);
	assert_int_equal(rt_audit_flush(a, &lost), -1);
	assert_int_equal(lost, 3);
	assert_int_equal(rt_audit_next_seq(a), 1);
	assert_int_equal(rt_audit_flush(a, &lost), 0); /* reported once */
	assert_int_equal(lost, 0);
	rt_audit_ev_init(&ev, "connect");
	assert_int_equal(rt_audit_emit(a, &ev), -1); /* unheld: its own failure */
	assert_int_equal(rt_audit_next_seq(a), 1);
	assert_int_equal(rt_audit_flush(a, &lost), 0);
	rt_audit_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_continues, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fixed_ts_and_types, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_detects_tampering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_incomplete_and_foreign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exclusive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_keeps_every_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_keep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_after_a_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_races_logrotate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_refuses_a_foreign_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_across_files_detects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tee, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_rotation_and_tee, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_write_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
