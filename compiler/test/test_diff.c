/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aspenc diff [--json] [--reference-only] [-I DIR] OLD.asp NEW.asp TRACE...
 *
 * Runs every recorded event through both policies and prints those whose
 * decision or deciding rule changes. Exit 0 no change, 1 some changed,
 * 2 usage, a policy that does not compile, or an unreadable trace.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "test_cmd.h"

#define MAX_DIRS 64

/* The decision of one session: the kernel's when it ran, else the reference. */
static void pick(const struct eval_out *o, uint8_t *dec, uint16_t *rule)
{
	*dec = o->have_kernel ? o->k_decision : o->ref.decision;
	*rule = o->have_kernel ? o->k_rule : o->ref.rule;
}

static int diff_trace(struct policy_session *a, struct policy_session *b, const char *path,
		      bool json, int *events, int *changed)
{
	char err[1024];
	struct trace_reader *tr = trace_open(path, err, sizeof(err));
	struct trace_event ev;
	int rc;

	if (!tr) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	while ((rc = trace_next(tr, &ev, err, sizeof(err))) == 1) {
		struct eval_out oa, ob;
		uint8_t da, db;
		uint16_t ra, rb;

		session_eval(a, &ev, &oa);
		session_eval(b, &ev, &ob);
		(*events)++;
		if (!eval_agrees(&oa) || !eval_agrees(&ob))
			fprintf(stderr,
				"%s:%d: warning: the kernel and the reference evaluator disagree "
				"on this event (run aspenc test)\n",
				path, ev.line);
		pick(&oa, &da, &ra);
		pick(&ob, &db, &rb);
		if (da != db || strcmp(session_rule_name(a, ra), session_rule_name(b, rb))) {
			(*changed)++;
			if (json) {
				printf("{\"file\":");
				json_quote_file(stdout, path);
				printf(",\"line\":%d,\"old\":{\"decision\":\"%s\",\"rule\":", ev.line,
				       decision_name(da));
				json_quote_file(stdout, session_rule_name(a, ra));
				printf("},\"new\":{\"decision\":\"%s\",\"rule\":", decision_name(db));
				json_quote_file(stdout, session_rule_name(b, rb));
				printf("},\"event\":");
				trace_event_to_json(&ev, stdout);
				printf("}\n");
			} else {
				printf("%s:%d: %s (rule %s) -> %s (rule %s)\n    event: ", path,
				       ev.line, decision_name(da), session_rule_name(a, ra),
				       decision_name(db), session_rule_name(b, rb));
				trace_event_to_json(&ev, stdout);
				putchar('\n');
			}
		}
		trace_event_free(&ev);
	}
	trace_close(tr);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

int aspenc_diff_main(int argc, char **argv)
{
	enum { O_JSON = 256, O_REF, O_HELP };
	static const struct option opts[] = {
	    {"json", no_argument, NULL, O_JSON},
	    {"reference-only", no_argument, NULL, O_REF},
	    {"help", no_argument, NULL, O_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *dirs[MAX_DIRS];
	struct session_opts so = {.import_dirs = dirs};
	struct policy_session a, b;
	bool json = false;
	int ch, events = 0, changed = 0, bad = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "I:", opts, NULL)) != -1) {
		switch (ch) {
		case O_JSON: json = true; break;
		case O_REF: so.reference_only = true; break;
		case 'I':
			if (so.nimport_dirs < MAX_DIRS)
				dirs[so.nimport_dirs++] = optarg;
			break;
		case O_HELP:
			printf("usage: aspenc diff [--json] [--reference-only] [-I DIR] OLD.asp "
			       "NEW.asp TRACE...\n");
			return 0;
		default: return 2;
		}
	}
	if (argc - optind < 3) {
		fprintf(stderr, "usage: aspenc diff [--json] [--reference-only] [-I DIR] OLD.asp "
				"NEW.asp TRACE...\n");
		return 2;
	}
	if (session_open(&a, argv[optind], &so) < 0)
		return 2;
	if (session_open(&b, argv[optind + 1], &so) < 0) {
		session_close(&a);
		return 2;
	}
	if ((a.partial || b.partial) && !so.reference_only)
		fprintf(stderr, "aspenc diff: no BPF privileges (%s): reference evaluator only\n",
			a.partial ? a.why : b.why);
	for (int i = optind + 2; i < argc; i++)
		bad |= diff_trace(&a, &b, argv[i], json, &events, &changed) < 0;
	if (!json)
		printf("%d events, %d changed decision\n", events, changed);
	session_close(&a);
	session_close(&b);
	return bad ? 2 : changed ? 1 : 0;
}
