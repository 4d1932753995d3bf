/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IR -> the text of section .aspen.meta (docs/internals.md), which lets
 * aspend run a .bpf.o with no other input: rule names and lines for the
 * audit trail, providers and their hosts to resolve, predicate globs to
 * evaluate in userspace.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* A string field: TAB, newline and backslash escaped (common/meta.c undoes it). */
static void field(FILE *f, const char *s)
{
	fputc('\t', f);
	for (; s && *s; s++) {
		if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\\')
			fputs("\\\\", f);
		else
			fputc(*s, f);
	}
}

static const char *terminal_name(int t)
{
	return t >= 0 ? action_name((enum action_kind)t) : "-";
}

static void meta_rules(FILE *f, const struct ir *ir)
{
	for (size_t i = 0; i < ir->nrules; i++) {
		const struct ir_rule *r = &ir->rules[i];

		fprintf(f, "rule\t%d", r->index);
		field(f, r->decl->name);
		fprintf(f, "\t%s\t%s\t%s\t%u", rule_on_token(r->on), terminal_name(r->terminal),
			r->monitor ? "monitor" : "enforce", r->decl->span.line);
		field(f, r->reason ? r->reason : "");
		fputc('\n', f);
	}
}

static void meta_provider(FILE *f, const struct ir_provider *p)
{
	const struct decl *d = p->decl;

	fprintf(f, "provider\t%d", p->index);
	field(f, d->name);
	fputc('\t', f);
	for (size_t i = 0; d->ports && i < d->ports->nitems; i++)
		fprintf(f, "%s%" PRId64, i ? "," : "", d->ports->items[i]->num);
	fputc('\n', f);
	for (size_t i = 0; d->hosts && i < d->hosts->nitems; i++) {
		fprintf(f, "host\t%d", p->index);
		field(f, d->hosts->items[i]->str);
		fputc('\n', f);
	}
	for (size_t i = 0; d->cidrs && i < d->cidrs->nitems; i++) {
		fprintf(f, "cidr\t%d", p->index);
		field(f, d->cidrs->items[i]->str);
		fputc('\n', f);
	}
}

char *meta_text(const struct ir *ir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "aspen-meta\t1\nabi\t%d\npolicy", ASPEN_ABI_VERSION);
	field(f, ir->name);
	fprintf(f, "\nsha256\t%s\nsource", ir->sha256);
	field(f, ir->source);
	fprintf(f, "\nmode\t%s\ndefault\t%s\n", ir->monitor ? "monitor" : "enforce",
		ir->default_deny ? "deny" : "allow");
	/* the programs aspen_connect.bpf.h and aspen_proc.bpf.h define */
	fprintf(f, "hooks\tconnect4,connect6%s,exec,cgroup%s%s%s\n",
		ir->need_sendmsg ? ",sendmsg4,sendmsg6" : "", ir->need_dns ? ",dns" : "",
		ir->has_request || ir->has_response ? ",tls" : "",
		ir->has_response ? ",tls_read" : "");
	fprintf(f, "setting\tuninspectable\t%s\n", ir->uninspectable_deny ? "deny" : "allow");
	meta_rules(f, ir);
	for (size_t i = 0; i < ir->nproviders; i++)
		meta_provider(f, &ir->providers[i]);
	for (int c = 0; c < PC__COUNT; c++) {
		for (int i = 0; i < ir->preds[c].n; i++) {
			fprintf(f, "pred\t%s\t%d", pred_class_name((enum pred_class)c),
				ir->preds[c].preds[i].bit);
			field(f, ir->preds[c].preds[i].glob);
			fputc('\n', f);
		}
	}
	/* pattern <idx> <name> <mask or -> <validator or -> <regex> <flags or -> */
	for (size_t i = 0; i < ir->npatterns; i++) {
		const struct ir_pattern *p = &ir->patterns[i];

		fprintf(f, "pattern\t%d", p->index);
		field(f, p->name);
		field(f, p->redact ? (p->mask ? p->mask : "*") : "-");
		field(f, p->decl->validator ? p->decl->validator : "-");
		field(f, p->decl->regex);
		field(f, p->flags & RX_FLAG_ICASE ? "i" : "-");
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
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
