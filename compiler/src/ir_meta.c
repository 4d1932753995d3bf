/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IR -> the metadata of section .aspen.meta (common/meta.h writes and
 * reads its text), which lets aspend run a .bpf.o with no other input:
 * rule names and lines for the audit trail, providers and their hosts to
 * resolve, predicate globs to evaluate in userspace, patterns to mask.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "meta.h"

static char *dup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		abort();
	return p;
}

static void *array(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static void rules(struct aspen_meta *m, const struct ir *ir)
{
	m->rules = array(ir->nrules, sizeof(*m->rules));
	m->nrules = ir->nrules;
	for (size_t i = 0; i < ir->nrules; i++) {
		const struct ir_rule *r = &ir->rules[i];

		m->rules[i] = (struct aspen_meta_rule){
		    .idx = r->index,
		    .name = dup(r->decl->name),
		    .on = r->on,
		    .terminal = r->terminal,
		    .monitor = r->monitor,
		    .line = (int)r->decl->span.line,
		    .reason = dup(r->reason),
		};
	}
}

static size_t nitems(const struct value *list)
{
	return list ? list->nitems : 0;
}

/* Providers, with their hosts and CIDRs in provider order. */
static void providers(struct aspen_meta *m, const struct ir *ir)
{
	size_t nhosts = 0, ncidrs = 0;

	for (size_t i = 0; i < ir->nproviders; i++) {
		nhosts += nitems(ir->providers[i].decl->hosts);
		ncidrs += nitems(ir->providers[i].decl->cidrs);
	}
	m->providers = array(ir->nproviders, sizeof(*m->providers));
	m->hosts = array(nhosts, sizeof(*m->hosts));
	m->cidrs = array(ncidrs, sizeof(*m->cidrs));
	for (size_t i = 0; i < ir->nproviders; i++) {
		const struct decl *d = ir->providers[i].decl;
		struct aspen_meta_provider *p = &m->providers[m->nproviders++];
		int idx = ir->providers[i].index;

		p->idx = idx;
		p->name = dup(d->name);
		p->nports = nitems(d->ports);
		p->ports = array(p->nports, sizeof(*p->ports));
		for (size_t j = 0; j < p->nports; j++)
			p->ports[j] = (uint16_t)d->ports->items[j]->num;
		for (size_t j = 0; j < nitems(d->hosts); j++)
			m->hosts[m->nhosts++] = (struct aspen_meta_host){
			    .provider = idx, .name = dup(d->hosts->items[j]->str)};
		for (size_t j = 0; j < nitems(d->cidrs); j++)
			m->cidrs[m->ncidrs++] = (struct aspen_meta_cidr){
			    .provider = idx, .cidr = dup(d->cidrs->items[j]->str)};
	}
}

/* Predicates by class, in bit order within a class. */
static void preds(struct aspen_meta *m, const struct ir *ir)
{
	size_t n = 0;

	for (int c = 0; c < PC__COUNT; c++)
		n += (size_t)ir->preds[c].n;
	m->preds = array(n, sizeof(*m->preds));
	for (int c = 0; c < PC__COUNT; c++) {
		for (int i = 0; i < ir->preds[c].n; i++)
			m->preds[m->npreds++] = (struct aspen_meta_pred){
			    .cls = (enum pred_class)c,
			    .bit = ir->preds[c].preds[i].bit,
			    .glob = dup(ir->preds[c].preds[i].glob),
			};
	}
}

/* A redacted pattern without `with "MASK"` is masked with '*'. */
static void patterns(struct aspen_meta *m, const struct ir *ir)
{
	m->patterns = array(ir->npatterns, sizeof(*m->patterns));
	m->npatterns = ir->npatterns;
	for (size_t i = 0; i < ir->npatterns; i++) {
		const struct ir_pattern *p = &ir->patterns[i];

		m->patterns[i] = (struct aspen_meta_pattern){
		    .idx = p->index,
		    .name = dup(p->name),
		    .redact = p->redact,
		    .mask = p->redact ? dup(p->mask ? p->mask : "*") : NULL,
		    .validator = p->decl->validator ? dup(p->decl->validator) : NULL,
		    .regex = dup(p->decl->regex),
		    .icase = (p->flags & RX_FLAG_ICASE) != 0,
		};
	}
}

static void meta_from_ir(const struct ir *ir, struct aspen_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->version = ASPEN_META_VERSION;
	m->abi = ASPEN_ABI_VERSION;
	m->policy = dup(ir->name);
	snprintf(m->sha256, sizeof(m->sha256), "%s", ir->sha256);
	m->source = dup(ir->source);
	m->monitor = ir->monitor;
	m->default_deny = ir->default_deny;
	m->hooks = programs_hooks(ir); /* programs.c */
	m->uninspectable_deny = ir->uninspectable_deny;
	rules(m, ir);
	providers(m, ir);
	preds(m, ir);
	patterns(m, ir);
}

char *meta_text(const struct ir *ir)
{
	struct aspen_meta m;
	char *text;

	meta_from_ir(ir, &m);
	text = aspen_meta_text(&m);
	aspen_meta_free(&m);
	return text;
}

/* One C string literal per metadata line, so the generated file shows the
 * metadata as the lines aspend will read. */
void meta_emit_c_string(const char *text, FILE *out)
{
	fputs("\t\"", out);
	for (const char *s = text; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs(s[1] ? "\\n\"\n\t\"" : "\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '"' || c == '\\' || c == '?')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
	fputs("\"", out);
}
