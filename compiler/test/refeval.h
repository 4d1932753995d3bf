/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference evaluator of `aspenc test`: a policy's decision on one
 * recorded event, computed from the checked AST by the rules of
 * docs/language.md ("Decision semantics"), with the reference glob matcher
 * (common/glob.c). It shares nothing with the code generator, so that a
 * disagreement with the kernel's verdict points at a bug in one of them.
 */
#ifndef ASPEN_REFEVAL_H
#define ASPEN_REFEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "passes.h"
#include "trace.h"

struct ref_result {
	uint16_t rule;	  /* rule index or ASPEN_RULE_DEFAULT/NONE/UNINSPECTABLE */
	uint8_t decision; /* enum aspen_decision */
	uint8_t audit;
	uint64_t redact;  /* bit i: program pattern i is to be masked */
	uint64_t providers; /* what the event's provider set was */
};

/* force_monitor: as `aspend --monitor`. */
void refeval_event(const struct program *p, const struct trace_event *ev, bool force_monitor,
		   struct ref_result *out);

/* The provider set of an event (bit i: p->providers[i]). */
uint64_t refeval_providers(const struct program *p, const struct trace_event *ev);

/* Patterns (bit j: p->patterns[j]) whose match the event's body holds:
 * its `body_match` names, else the POSIX regex over `body`. */
uint64_t refeval_body_matches(const struct program *p, const struct trace_event *ev);

/* Does a rule's condition hold for the event? (coverage of rules that
 * matched but did not decide) */
bool refeval_rule_matches(const struct program *p, const struct decl *rule,
			  const struct trace_event *ev);

/* A provider's model_paths template (as written: "{model}", "*") against a
 * request path (cut at ASPEN_PATH_LEN - 1): true with the model, percent-
 * decoded and cut at ASPEN_MODEL_LEN - 1, in out (ASPEN_MODEL_LEN bytes). */
bool refeval_template_model(const char *tmpl, const char *path, char *out);

#endif
