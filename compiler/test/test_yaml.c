/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test files of `aspenc test` (YAML, read with libyaml's document API).
 * Every error names FILE:LINE:COL of the node at fault.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "test_cmd.h"

#define MAX_TEST_FILE (16u << 20)

struct yctx {
	const char *path;
	yaml_document_t *doc;
	char *dir; /* of the test file, for relative names */
	char *err;
	size_t errlen;
};

static int yerr(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int yerr(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(y->err, y->errlen, "%s:%zu:%zu: ", y->path,
			 n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1);

	if (k < 0 || (size_t)k >= y->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(y->err + k, y->errlen - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static char *resolve(struct yctx *y, const char *name)
{
	char *out;

	if (name[0] == '/')
		return xstrdup(name);
	if (asprintf(&out, "%s/%s", y->dir, name) < 0)
		abort();
	return out;
}

static int get_bool(struct yctx *y, const yaml_node_t *n, bool *out)
{
	const char *s = scalar(n);

	if (s && plain(n) && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = true;
	else if (s && plain(n) && (!strcmp(s, "false") || !strcmp(s, "no")))
		*out = false;
	else
		return yerr(y, n, "expected true or false");
	return 0;
}

/* ---- YAML node -> trace_val (for events written inline) --------------------- */

static int to_val(struct yctx *y, yaml_node_t *n, struct trace_val *v, struct trace_val *items,
		  size_t maxitems)
{
	memset(v, 0, sizeof(*v));
	if (n->type == YAML_SCALAR_NODE) {
		const char *s = scalar(n);
		char *end;

		v->kind = TV_STR;
		v->str = s;
		if (!plain(n))
			return 0;
		if (!strcmp(s, "null") || !strcmp(s, "~") || !*s) {
			v->kind = TV_NULL;
		} else if (!strcmp(s, "true") || !strcmp(s, "false")) {
			v->kind = TV_BOOL;
			v->b = s[0] == 't';
		} else if ((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1])) {
			errno = 0;
			long long x = strtoll(s, &end, 10);

			if (!*end && !errno) {
				v->kind = TV_INT; /* str stays: a string field takes the text */
				v->num = x;
			}
		}
		return 0;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		v->kind = TV_LIST;
		v->items = items;
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			yaml_node_t *c = yaml_document_get_node(y->doc, *it);

			if (v->n == maxitems)
				return yerr(y, c, "too many items");
			if (!c || c->type != YAML_SCALAR_NODE)
				return yerr(y, c ? c : n, "expected a scalar in this list");
			if (to_val(y, c, &items[v->n], NULL, 0) < 0)
				return -1;
			v->n++;
		}
		return 0;
	}
	return yerr(y, n, "nested mappings are not part of an event");
}

static int load_event(struct yctx *y, yaml_node_t *n, struct trace_event *ev)
{
	yaml_node_pair_t *p;
	char msg[200];

	if (n->type != YAML_MAPPING_NODE)
		return yerr(y, n, "'event' must be a mapping of trace fields");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		struct trace_val items[64], tv;

		if (!scalar(k))
			return yerr(y, k, "expected a field name");
		if (to_val(y, v, &tv, items, 64) < 0)
			return -1;
		if (trace_event_set(ev, scalar(k), &tv, msg, sizeof(msg)) < 0)
			return yerr(y, !strncmp(msg, "unknown field", 13) ? k : v, "%s", msg);
	}
	if (trace_event_check(ev, msg, sizeof(msg)) < 0)
		return yerr(y, n, "%s", msg);
	ev->file = y->path;
	ev->line = (int)n->start_mark.line + 1;
	return 0;
}

/* ---- expectations ------------------------------------------------------------- */

static int load_expect(struct yctx *y, yaml_node_t *n, struct test_expect *x)
{
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE)
		return yerr(y, n, "'expect' must be a mapping (decision, rule, redact)");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *key = scalar(k), *s = scalar(v);

		if (!key)
			return yerr(y, k, "expected a key");
		if (!strcmp(key, "decision")) {
			if (decision_from_name(s) < 0)
				return yerr(y, v,
					    "unknown decision (expected allow, deny, would_deny, "
					    "kill or would_kill)");
			free(x->decision);
			x->decision = xstrdup(s);
		} else if (!strcmp(key, "rule")) {
			if (!s)
				return yerr(y, v, "'rule' is a rule name");
			free(x->rule);
			x->rule = xstrdup(s);
		} else if (!strcmp(key, "redact")) {
			yaml_node_item_t *it;

			if (v->type != YAML_SEQUENCE_NODE)
				return yerr(y, v, "'redact' is a list of pattern names");
			x->has_redact = true;
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				yaml_node_t *c = yaml_document_get_node(y->doc, *it);

				if (!scalar(c))
					return yerr(y, c ? c : v, "expected a pattern name");
				x->redact = realloc(x->redact, (x->nredact + 1) * sizeof(char *));
				if (!x->redact)
					abort();
				x->redact[x->nredact++] = xstrdup(scalar(c));
			}
		} else {
			return yerr(y, k, "unknown key '%s' in 'expect' (decision, rule, redact)", key);
		}
	}
	return 0;
}

static int load_case(struct yctx *y, yaml_node_t *n, struct test_case *c)
{
	yaml_node_pair_t *p;
	yaml_node_t *event = NULL, *line = NULL;

	if (n->type != YAML_MAPPING_NODE)
		return yerr(y, n, "a case is a mapping (name, event or trace/line, expect)");
	c->line = (int)n->start_mark.line + 1;
	c->col = (int)n->start_mark.column + 1;
	trace_event_init(&c->event);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *key = scalar(k);

		if (!key)
			return yerr(y, k, "expected a key");
		if (!strcmp(key, "name") && scalar(v)) {
			free(c->name);
			c->name = xstrdup(scalar(v));
		} else if (!strcmp(key, "event")) {
			event = v;
		} else if (!strcmp(key, "trace") && scalar(v)) {
			free(c->trace);
			c->trace = resolve(y, scalar(v));
		} else if (!strcmp(key, "line")) {
			char *end;
			long l = scalar(v) ? strtol(scalar(v), &end, 10) : 0;

			if (!scalar(v) || *end || l < 1 || l > 100000000)
				return yerr(y, v, "'line' is a line number of the trace file");
			c->trace_line = (int)l;
			line = v;
		} else if (!strcmp(key, "expect")) {
			if (load_expect(y, v, &c->expect) < 0)
				return -1;
		} else {
			return yerr(y, k,
				    "unknown key '%s' in a case (name, event, trace, line, expect)",
				    key);
		}
	}
	if (event && c->trace)
		return yerr(y, n, "a case has either 'event' or 'trace' and 'line', not both");
	if (event)
		return load_event(y, event, &c->event);
	if (!c->trace || !line)
		return yerr(y, n, "a case needs 'event', or 'trace' and 'line'");
	return 0;
}

/* ---- the file ------------------------------------------------------------------- */

static int load_root(struct yctx *y, yaml_node_t *root, struct test_file *tf)
{
	yaml_node_pair_t *p;

	if (!root)
		return yerr(y, NULL, "the test file is empty");
	if (root->type != YAML_MAPPING_NODE)
		return yerr(y, root, "a test file is a mapping (policy, traces, cases)");
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *key = scalar(k);
		yaml_node_item_t *it;

		if (!key)
			return yerr(y, k, "expected a key");
		if (!strcmp(key, "policy")) {
			if (!scalar(v) || !*scalar(v))
				return yerr(y, v, "'policy' is the path of a .asp file");
			free(tf->policy);
			tf->policy = resolve(y, scalar(v));
			tf->policy_line = (int)v->start_mark.line + 1;
		} else if (!strcmp(key, "monitor")) {
			if (get_bool(y, v, &tf->monitor) < 0)
				return -1;
		} else if (!strcmp(key, "expect_recorded")) {
			if (get_bool(y, v, &tf->expect_recorded) < 0)
				return -1;
		} else if (!strcmp(key, "traces")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return yerr(y, v, "'traces' is a list of trace files");
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				yaml_node_t *c = yaml_document_get_node(y->doc, *it);

				if (!scalar(c))
					return yerr(y, c ? c : v, "expected a trace file name");
				tf->traces = realloc(tf->traces, (tf->ntraces + 1) * sizeof(char *));
				tf->trace_lines =
				    realloc(tf->trace_lines, (tf->ntraces + 1) * sizeof(int));
				if (!tf->traces || !tf->trace_lines)
					abort();
				tf->trace_lines[tf->ntraces] = (int)c->start_mark.line + 1;
				tf->traces[tf->ntraces++] = resolve(y, scalar(c));
			}
		} else if (!strcmp(key, "cases")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return yerr(y, v, "'cases' is a list of cases");
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				yaml_node_t *c = yaml_document_get_node(y->doc, *it);

				tf->cases = realloc(tf->cases, (tf->ncases + 1) * sizeof(*tf->cases));
				if (!tf->cases)
					abort();
				memset(&tf->cases[tf->ncases], 0, sizeof(*tf->cases));
				tf->ncases++;
				if (!c || load_case(y, c, &tf->cases[tf->ncases - 1]) < 0)
					return c ? -1 : yerr(y, v, "bad case");
			}
		} else {
			return yerr(y, k,
				    "unknown key '%s' (policy, monitor, expect_recorded, traces, "
				    "cases)",
				    key);
		}
	}
	if (!tf->policy)
		return yerr(y, root, "the test file names no 'policy'");
	if (!tf->ncases && !tf->ntraces)
		return yerr(y, root, "the test file has no 'cases' and no 'traces'");
	return 0;
}

int test_file_parse(const char *path, const char *text, size_t len, struct test_file *tf,
		    char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	char *pcopy = xstrdup(path);
	struct yctx y = {.path = path, .doc = &doc, .err = err, .errlen = errlen};
	int rc;

	memset(tf, 0, sizeof(*tf));
	tf->path = xstrdup(path);
	y.dir = xstrdup(dirname(pcopy));
	free(pcopy);
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		free(y.dir);
		return -1;
	}
	rc = load_root(&y, yaml_document_get_root_node(&doc), tf);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(y.dir);
	return rc;
}

int test_file_load(const char *path, struct test_file *tf, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc;

	memset(tf, 0, sizeof(*tf));
	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(MAX_TEST_FILE + 1);
	if (!buf)
		abort();
	n = fread(buf, 1, MAX_TEST_FILE + 1, f);
	fclose(f);
	if (n > MAX_TEST_FILE) {
		free(buf);
		snprintf(err, errlen, "%s: larger than %u bytes", path, MAX_TEST_FILE);
		return -1;
	}
	rc = test_file_parse(path, buf, n, tf, err, errlen);
	free(buf);
	return rc;
}

void test_file_free(struct test_file *tf)
{
	for (size_t i = 0; i < tf->ncases; i++) {
		struct test_case *c = &tf->cases[i];

		free(c->name);
		free(c->trace);
		trace_event_free(&c->event);
		free(c->expect.decision);
		free(c->expect.rule);
		for (size_t k = 0; k < c->expect.nredact; k++)
			free(c->expect.redact[k]);
		free(c->expect.redact);
	}
	free(tf->cases);
	for (size_t i = 0; i < tf->ntraces; i++)
		free(tf->traces[i]);
	free(tf->traces);
	free(tf->trace_lines);
	free(tf->policy);
	free(tf->path);
	memset(tf, 0, sizeof(*tf));
}
