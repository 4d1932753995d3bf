/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metadata writer and reader. The ELF part reads section headers directly
 * with <elf.h>: a .bpf.o is a small ELF64 file, and this keeps aspen_common
 * free of a libelf dependency for the compiler and the unit tests.
 */
#include "meta.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 8

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- writing -------------------------------------------------------------- */

/* A string field: TAB, newline and backslash escaped (unescape() undoes it). */
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

static void write_rule(FILE *f, const struct aspen_meta_rule *r)
{
	fprintf(f, "rule\t%d", r->idx);
	field(f, r->name);
	fprintf(f, "\t%s\t%s\t%s\t%d", rule_on_token((enum rule_on)r->on),
		r->terminal >= 0 ? action_name((enum action_kind)r->terminal) : "-",
		r->monitor ? "monitor" : "enforce", r->line);
	field(f, r->reason ? r->reason : "");
	fputc('\n', f);
}

/* A provider record, then its host and cidr records. */
static void write_provider(FILE *f, const struct aspen_meta *m, const struct aspen_meta_provider *p)
{
	fprintf(f, "provider\t%d", p->idx);
	field(f, p->name);
	fputc('\t', f);
	for (size_t i = 0; i < p->nports; i++)
		fprintf(f, "%s%u", i ? "," : "", p->ports[i]);
	fputc('\n', f);
	for (size_t i = 0; i < m->nhosts; i++) {
		if (m->hosts[i].provider != p->idx)
			continue;
		fprintf(f, "host\t%d", p->idx);
		field(f, m->hosts[i].name);
		fputc('\n', f);
	}
	for (size_t i = 0; i < m->ncidrs; i++) {
		if (m->cidrs[i].provider != p->idx)
			continue;
		fprintf(f, "cidr\t%d", p->idx);
		field(f, m->cidrs[i].cidr);
		fputc('\n', f);
	}
}

/* pattern <idx> <name> <mask or -> <validator or -> <regex> <flags or -> */
static void write_pattern(FILE *f, const struct aspen_meta_pattern *p)
{
	fprintf(f, "pattern\t%d", p->idx);
	field(f, p->name);
	field(f, p->redact ? p->mask : "-");
	field(f, p->validator ? p->validator : "-");
	field(f, p->regex);
	field(f, p->icase ? "i" : "-");
	fputc('\n', f);
}

char *aspen_meta_text(const struct aspen_meta *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "aspen-meta\t%d\nabi\t%d\npolicy", m->version, m->abi);
	field(f, m->policy);
	fprintf(f, "\nsha256\t%s\nsource", m->sha256);
	field(f, m->source);
	fprintf(f, "\nmode\t%s\ndefault\t%s\n", m->monitor ? "monitor" : "enforce",
		m->default_deny ? "deny" : "allow");
	fprintf(f, "hooks\t%s\n", m->hooks ? m->hooks : "");
	fprintf(f, "setting\tuninspectable\t%s\n", m->uninspectable_deny ? "deny" : "allow");
	for (size_t i = 0; i < m->nrules; i++)
		write_rule(f, &m->rules[i]);
	for (size_t i = 0; i < m->nproviders; i++)
		write_provider(f, m, &m->providers[i]);
	for (size_t i = 0; i < m->npreds; i++) {
		fprintf(f, "pred\t%s\t%d", pred_class_name(m->preds[i].cls), m->preds[i].bit);
		field(f, m->preds[i].glob);
		fputc('\n', f);
	}
	for (size_t i = 0; i < m->npatterns; i++)
		write_pattern(f, &m->patterns[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- reading -------------------------------------------------------------- */

/* Undo the escaping of string fields (\t, \n, \\) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort(); /* as the rest of Aspen: no sensible recovery */
	return p;
}

static void *grow(void *arr, size_t *n, size_t size)
{
	char *p = realloc(arr, (*n + 1) * size);

	if (!p)
		abort();
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

static int to_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 0x7fffffff)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_ports(struct aspen_meta_provider *p, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int port;

		if (to_int(t, &port) < 0 || port > 65535) {
			rc = -1;
			break;
		}
		p->ports = grow(p->ports, &p->nports, sizeof(*p->ports));
		p->ports[p->nports - 1] = (uint16_t)port;
	}
	free(copy);
	return rc;
}

static int rec_rule(struct aspen_meta *m, char **f, int n)
{
	struct aspen_meta_rule *r;

	if (n < 8)
		return -1;
	m->rules = grow(m->rules, &m->nrules, sizeof(*r));
	r = &m->rules[m->nrules - 1];
	r->name = xstrdup(f[2]);
	r->on = rule_on_from_token(f[3]);
	r->terminal = action_from_name(f[4]);
	if (r->terminal > ACT_KILL)
		r->terminal = -1; /* not a terminal action */
	r->monitor = !strcmp(f[5], "monitor");
	r->reason = xstrdup(f[7]);
	return to_int(f[1], &r->idx) | to_int(f[6], &r->line);
}

static int rec_provider(struct aspen_meta *m, char **f, int n)
{
	struct aspen_meta_provider *p;

	if (n < 3)
		return -1;
	m->providers = grow(m->providers, &m->nproviders, sizeof(*p));
	p = &m->providers[m->nproviders - 1];
	p->name = xstrdup(f[2]);
	return to_int(f[1], &p->idx) | (n > 3 ? parse_ports(p, f[3]) : 0);
}

static int rec_host_or_cidr(struct aspen_meta *m, char **f, int n, bool host)
{
	int idx;

	if (n < 3 || to_int(f[1], &idx) < 0)
		return -1;
	if (host) {
		m->hosts = grow(m->hosts, &m->nhosts, sizeof(*m->hosts));
		m->hosts[m->nhosts - 1].provider = idx;
		m->hosts[m->nhosts - 1].name = xstrdup(f[2]);
	} else {
		m->cidrs = grow(m->cidrs, &m->ncidrs, sizeof(*m->cidrs));
		m->cidrs[m->ncidrs - 1].provider = idx;
		m->cidrs[m->ncidrs - 1].cidr = xstrdup(f[2]);
	}
	return 0;
}

static int rec_pred(struct aspen_meta *m, char **f, int n)
{
	int bit, c;

	if (n < 4 || to_int(f[2], &bit) < 0 || bit >= 64)
		return -1;
	c = pred_class_from_name(f[1]);
	if (c < 0)
		return 0; /* a class from a newer aspenc: not ours to evaluate */
	m->preds = grow(m->preds, &m->npreds, sizeof(*m->preds));
	m->preds[m->npreds - 1].cls = (enum pred_class)c;
	m->preds[m->npreds - 1].bit = bit;
	m->preds[m->npreds - 1].glob = xstrdup(f[3]);
	return 0;
}

static int rec_pattern(struct aspen_meta *m, char **f, int n)
{
	struct aspen_meta_pattern *p;
	int idx;

	if (n < 7 || to_int(f[1], &idx) < 0 || idx >= 64)
		return -1;
	m->patterns = grow(m->patterns, &m->npatterns, sizeof(*m->patterns));
	p = &m->patterns[m->npatterns - 1];
	p->idx = idx;
	p->name = xstrdup(f[2]);
	p->redact = strcmp(f[3], "-") != 0;
	p->mask = p->redact ? xstrdup(f[3]) : NULL;
	p->validator = strcmp(f[4], "-") ? xstrdup(f[4]) : NULL;
	p->regex = xstrdup(f[5]);
	p->icase = strchr(f[6], 'i') != NULL;
	return 0;
}

static int rec_header(struct aspen_meta *m, char **f, int n)
{
	const char *k = f[0];

	if (n < 2)
		return -1;
	if (!strcmp(k, "abi"))
		return to_int(f[1], &m->abi);
	if (!strcmp(k, "policy"))
		free(m->policy), m->policy = xstrdup(f[1]);
	else if (!strcmp(k, "sha256"))
		snprintf(m->sha256, sizeof(m->sha256), "%s", f[1]);
	else if (!strcmp(k, "source"))
		free(m->source), m->source = xstrdup(f[1]);
	else if (!strcmp(k, "mode"))
		m->monitor = !strcmp(f[1], "monitor");
	else if (!strcmp(k, "default"))
		m->default_deny = !strcmp(f[1], "deny");
	else if (!strcmp(k, "hooks"))
		free(m->hooks), m->hooks = xstrdup(f[1]);
	return 0;
}

/* setting <name> <value>: unknown settings are a newer aspenc's business */
static int rec_setting(struct aspen_meta *m, char **f, int n)
{
	if (n < 3)
		return -1;
	if (!strcmp(f[1], "uninspectable")) {
		if (strcmp(f[2], "deny") && strcmp(f[2], "allow"))
			return -1;
		m->uninspectable_deny = !strcmp(f[2], "deny");
	}
	return 0;
}

static int parse_record(struct aspen_meta *m, char *line)
{
	char *f[MAX_FIELDS];
	int n = 0;

	for (char *p = line; n < MAX_FIELDS; n++) {
		char *tab = strchr(p, '\t');

		f[n] = p;
		if (!tab) {
			n++;
			break;
		}
		*tab = 0;
		p = tab + 1;
	}
	for (int i = 0; i < n; i++)
		unescape(f[i]);
	if (!strcmp(f[0], "rule"))
		return rec_rule(m, f, n);
	if (!strcmp(f[0], "provider"))
		return rec_provider(m, f, n);
	if (!strcmp(f[0], "host") || !strcmp(f[0], "cidr"))
		return rec_host_or_cidr(m, f, n, f[0][0] == 'h');
	if (!strcmp(f[0], "pred"))
		return rec_pred(m, f, n);
	if (!strcmp(f[0], "setting"))
		return rec_setting(m, f, n);
	if (!strcmp(f[0], "pattern"))
		return rec_pattern(m, f, n);
	return rec_header(m, f, n);
}

int aspen_meta_parse(const char *text, size_t len, struct aspen_meta *out, char *err, size_t errlen)
{
	char *buf, *save = NULL;
	int lineno = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	out->uninspectable_deny = true; /* the language's default */
	while (len && text[len - 1] == 0)
		len--;
	if (memchr(text, 0, len))
		return fail(err, errlen, "metadata holds a NUL byte");
	buf = malloc(len + 1);
	if (!buf)
		return fail(err, errlen, "out of memory");
	memcpy(buf, text, len);
	buf[len] = 0;
	if (strncmp(buf, "aspen-meta\t", 11) != 0) {
		free(buf);
		return fail(err, errlen, "not Aspen metadata (no 'aspen-meta' first line)");
	}
	out->version = atoi(buf + 11);
	strtok_r(buf, "\n", &save); /* the aspen-meta line */
	for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (parse_record(out, l) < 0) {
			rc = fail(err, errlen, "metadata line %d: malformed '%s' record",
				  lineno + 1, l);
			break;
		}
	}
	free(buf);
	if (rc)
		aspen_meta_free(out);
	return rc;
}

void aspen_meta_free(struct aspen_meta *m)
{
	for (size_t i = 0; i < m->nrules; i++) {
		free(m->rules[i].name);
		free(m->rules[i].reason);
	}
	for (size_t i = 0; i < m->nproviders; i++) {
		free(m->providers[i].name);
		free(m->providers[i].ports);
	}
	for (size_t i = 0; i < m->nhosts; i++)
		free(m->hosts[i].name);
	for (size_t i = 0; i < m->ncidrs; i++)
		free(m->cidrs[i].cidr);
	for (size_t i = 0; i < m->npreds; i++)
		free(m->preds[i].glob);
	free(m->rules);
	free(m->providers);
	free(m->hosts);
	free(m->cidrs);
	free(m->preds);
	for (size_t i = 0; i < m->npatterns; i++) {
		free(m->patterns[i].name);
		free(m->patterns[i].mask);
		free(m->patterns[i].validator);
		free(m->patterns[i].regex);
	}
	free(m->patterns);
	free(m->policy);
	free(m->source);
	free(m->hooks);
	memset(m, 0, sizeof(*m));
}

bool aspen_meta_has_hook(const struct aspen_meta *m, const char *hook)
{
	size_t n = strlen(hook);

	for (const char *p = m->hooks; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncmp(p, hook, n))
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return false;
}

/* ---- ELF ----------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	if (!buf)
		fail(err, errlen, "%s: cannot read", path);
	fclose(f);
	return buf;
}

/* Section `name` of an ELF64 little-endian image, bounds-checked. */
static const char *elf_section(const char *img, size_t len, const char *name, size_t *slen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Shdr *sh, *strs;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > len ||
	    (len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum || eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > len || strs->sh_size > len - strs->sh_offset)
		return NULL;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const char *sname = img + strs->sh_offset + sh[i].sh_name;

		if (sh[i].sh_name >= strs->sh_size ||
		    strnlen(sname, strs->sh_size - sh[i].sh_name) == strs->sh_size - sh[i].sh_name)
			continue;
		if (strcmp(sname, name) || sh[i].sh_type == SHT_NOBITS)
			continue;
		if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset)
			return NULL;
		*slen = sh[i].sh_size;
		return img + sh[i].sh_offset;
	}
	return NULL;
}

int aspen_meta_read_elf(const char *obj_path, struct aspen_meta *out, char *err, size_t errlen)
{
	size_t len = 0, slen = 0;
	char *img = read_file(obj_path, &len, err, errlen);
	const char *sec;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!img)
		return -1;
	sec = elf_section(img, len, ASPEN_META_SECTION, &slen);
	if (!sec) {
		free(img);
		return fail(err, errlen, "%s: no %s section (not an object built by aspenc?)",
			    obj_path, ASPEN_META_SECTION);
	}
	rc = aspen_meta_parse(sec, slen, out, err, errlen);
	free(img);
	return rc;
}
