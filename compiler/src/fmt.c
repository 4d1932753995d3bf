/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The formatter: the canonical layout of a policy, from its tokens and
 * comments (the parser drops comments, so this pass reads the text with a
 * tokenizer of its own that splits exactly where grammar/lexer.l does).
 *
 *   - one top-level item a line; `{` ends its line, each rule item (`on`,
 *     `mode`, `when`, an action) or provider key on its own line indented
 *     two spaces, `}` alone at the item's indent;
 *   - a line break the author put inside an item (a long `when`) is kept,
 *     as a continuation line indented two more spaces;
 *   - a list stays on one line if it was written on one (no trailing
 *     comma), else one item a line, each followed by a comma;
 *   - one space between tokens, none inside brackets and parentheses or
 *     before a comma;
 *   - comments kept: on their own line at the indent of what follows them,
 *     or after code, one space after it, aligned in a run of such lines;
 *   - at most one blank line, none after `{` or `[` nor before `}` or `]`,
 *     no trailing white space, one newline at the end.
 *
 * Formatting its own output changes nothing (tests/unit/test_fmt.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

enum tk { T_WORD, T_STRING, T_REGEX, T_COMMENT, T_PUNCT, T_END };

struct tok {
	enum tk kind;
	const char *p;
	size_t len;
	int nl;	  /* newlines between the previous token and this one */
	int open; /* a string or regex not closed on its line (lexer.l reports it) */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

/* ---- tokens ------------------------------------------------------------- */

static int push_tok(struct toks *t, struct tok k)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct tok *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = k;
	return 0;
}

static int is_word_byte(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* End of a "..." string or /.../flags regex starting at S[I] (as lexer.l:
 * backslash escapes, never past the end of the line). */
static size_t quoted_end(const char *s, size_t len, size_t i, int *open)
{
	char q = s[i];
	size_t j = i + 1;

	while (j < len && s[j] != q && s[j] != '\n')
		j += (s[j] == '\\' && j + 1 < len && s[j + 1] != '\n') ? 2 : 1;
	*open = !(j < len && s[j] == q);
	if (*open)
		return j < len ? j : len;
	j++;
	if (q == '/')
		while (j < len && isalpha((unsigned char)s[j]))
			j++;
	return j;
}

static size_t tok_end(const char *s, size_t len, size_t i, enum tk *kind, int *open)
{
	char c = s[i];
	size_t j = i + 1;

	*kind = T_PUNCT;
	*open = 0;
	if (c == '#') {
		*kind = T_COMMENT;
		while (j < len && s[j] != '\n')
			j++;
		while (j > i + 1 && (s[j - 1] == ' ' || s[j - 1] == '\t' || s[j - 1] == '\r'))
			j--;
	} else if (c == '"' || c == '/') {
		*kind = c == '"' ? T_STRING : T_REGEX;
		j = quoted_end(s, len, i, open);
	} else if (is_word_byte(c)) {
		*kind = T_WORD;
		while (j < len && is_word_byte(s[j]))
			j++;
	} else if (strchr("=!<>", c) && j < len && s[j] == '=') {
		j++;
	}
	return j;
}

static int tokenize(const char *s, size_t len, struct toks *out)
{
	size_t i = 0;
	int nl = 0;

	while (i < len) {
		enum tk kind;
		size_t j;
		int open;

		if (s[i] == '\n') {
			nl++;
			i++;
			continue;
		}
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		j = tok_end(s, len, i, &kind, &open);
		if (push_tok(out, (struct tok){kind, s + i, j - i, nl, open}))
			return -1;
		if (kind == T_COMMENT)
			while (j < len && s[j] != '\n')
				j++; /* the trailing white space dropped above */
		nl = 0;
		i = j;
	}
	return push_tok(out, (struct tok){T_END, s + len, 0, nl, 0});
}

static int is(const struct tok *t, const char *text)
{
	return t->kind != T_END && t->kind != T_COMMENT && t->len == strlen(text) &&
	       memcmp(t->p, text, t->len) == 0;
}

static int is_one_of(const struct tok *t, const char *const *words)
{
	for (; *words; words++)
		if (is(t, *words))
			return 1;
	return 0;
}

static const char *const top_words[] = {"policy",   "default", "mode", "uninspectable",
					"fronting", "import",  "list", "provider",
					"pattern",  "rule",    NULL};
static const char *const rule_words[] = {"on",	 "mode",  "when",  "allow",  "deny",
					 "kill", "audit", "alert", "redact", NULL};

/* ---- output lines ------------------------------------------------------- */

struct line {
	int indent, blank;
	char *code;
	size_t len, cap;
	const struct tok *comment;
};

enum frame_kind { F_TOP, F_RULE, F_PROVIDER, F_BLOCK, F_LIST1, F_LISTN, F_PAREN };

struct frame {
	enum frame_kind kind;
	int indent;	/* of the items inside */
	int outer;	/* of the closing token */
	int fresh;	/* nothing emitted inside yet */
	int want_item;	/* F_LISTN: the next token starts an item */
	int items;	/* F_LISTN: items so far */
	int saved_stmt; /* the statement's indent, back when a list closes */
};

#define MAX_DEPTH 64

struct fmt {
	struct line *lines;
	size_t n, cap;
	int oom, too_deep;
	struct frame stack[MAX_DEPTH];
	int depth;
	int stmt_indent; /* indent of the line the current item started on */
	const struct tok *stmt_kw;
	int closed;	  /* the current line ends with a comment */
	int break_next;	  /* the next token starts a line (after `{`) */
	size_t last_code; /* line of the last token emitted */
	const struct tok *last;
};

static struct frame *top(struct fmt *f)
{
	return &f->stack[f->depth - 1];
}

static struct line *new_line(struct fmt *f, int indent)
{
	struct line *l;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 128;
		struct line *v = realloc(f->lines, cap * sizeof(*v));

		if (!v) {
			f->oom = 1;
			return NULL;
		}
		f->lines = v;
		f->cap = cap;
	}
	l = &f->lines[f->n++];
	memset(l, 0, sizeof(*l));
	l->indent = indent;
	f->closed = 0;
	return l;
}

static void blank_line(struct fmt *f)
{
	struct line *l;

	if (f->n == 0 || f->lines[f->n - 1].blank)
		return;
	l = new_line(f, 0);
	if (l)
		l->blank = 1;
}

static void append(struct fmt *f, size_t li, const char *p, size_t len)
{
	struct line *l = &f->lines[li];

	if (l->len + len + 1 > l->cap) {
		size_t cap = (l->len + len + 1) * 2;
		char *c = realloc(l->code, cap);

		if (!c) {
			f->oom = 1;
			return;
		}
		l->code = c;
		l->cap = cap;
	}
	memcpy(l->code + l->len, p, len);
	l->len += len;
	l->code[l->len] = 0;
}

/* The current line can take more code: it exists, has code or is new, and
 * no comment ended it. */
static int line_open(struct fmt *f)
{
	return f->n > 0 && !f->lines[f->n - 1].blank && !f->closed && !f->break_next;
}

/* ---- layout decisions --------------------------------------------------- */

/* Where a comment on its own line goes: the indent of the items around it. */
static int item_indent(struct fmt *f)
{
	struct frame *fr = top(f);

	switch (fr->kind) {
	case F_TOP: return 0;
	case F_RULE:
	case F_PROVIDER:
	case F_BLOCK:
	case F_LISTN: return fr->indent;
	default: return f->stmt_indent + 2;
	}
}

/* Does T start an item of the innermost frame? Sets *indent. */
static int starts_item(struct fmt *f, const struct tok *t, int *indent)
{
	struct frame *fr = top(f);

	*indent = fr->indent;
	switch (fr->kind) {
	case F_TOP: return is_one_of(t, top_words);
	case F_RULE: return is_one_of(t, rule_words);
	case F_PROVIDER:
	case F_BLOCK: return t->kind == T_WORD && is(t + 1, "=");
	case F_LISTN: return fr->want_item && !is(t, "]");
	default: return 0;
	}
}

static int closes_frame(struct fmt *f, const struct tok *t)
{
	enum frame_kind k = top(f)->kind;

	return (is(t, "}") && (k == F_RULE || k == F_PROVIDER || k == F_BLOCK)) ||
	       (is(t, "]") && k == F_LISTN);
}

static int no_space_before(const struct tok *t)
{
	return is(t, ")") || is(t, "]") || is(t, ",");
}

static int no_space_after(const struct tok *t)
{
	return t && (is(t, "(") || is(t, "["));
}

/* A list with a line break (or a comment) anywhere inside is laid out one
 * item a line; so is one the layout would break anyway. T is its `[`. */
static int list_is_multiline(const struct tok *t)
{
	int depth = 0;

	for (const struct tok *u = t + 1; u->kind != T_END; u++) {
		if (u->nl > 0 || u->kind == T_COMMENT || u->open || is(u, "{") || is(u, "}"))
			return 1; /* braces and open strings break lines too (not valid there) */
		if (is(u, "["))
			depth++;
		else if (is(u, "]") && depth-- == 0)
			return 0;
	}
	return 0;
}

static void push_frame(struct fmt *f, enum frame_kind kind, int indent, int outer)
{
	if (f->depth == MAX_DEPTH) {
		f->too_deep = 1; /* absurd nesting (not a policy): left as written */
		return;
	}
	f->stack[f->depth++] =
	    (struct frame){kind, indent, outer, 1, kind == F_LISTN, 0, f->stmt_indent};
}

static void pop_frame(struct fmt *f)
{
	if (f->depth > 1) {
		f->depth--;
		f->stmt_indent = f->stack[f->depth].saved_stmt;
	}
}

/* Start the line token T goes on, or stay on the current one. */
static void place(struct fmt *f, const struct tok *t)
{
	int indent, item = starts_item(f, t, &indent);
	struct frame *fr = top(f);

	if (item) {
		if (t->nl >= 2 && !fr->fresh)
			blank_line(f);
		new_line(f, indent);
		f->stmt_indent = indent;
		if (fr->kind == F_TOP)
			f->stmt_kw = t;
	} else if (closes_frame(f, t)) {
		new_line(f, fr->outer);
	} else if (!line_open(f) ||
		   (t->nl > 0 && !is(t, ",") && !is(t, "{") && !is(t, ")") && !is(t, "]"))) {
		new_line(f, f->stmt_indent + 2);
	} else if (f->lines[f->n - 1].len > 0 && !no_space_before(t) && !no_space_after(f->last)) {
		append(f, f->n - 1, " ", 1);
	}
	f->break_next = 0;
}

/* A list laid out one item a line ends each item with a comma. */
static void close_multiline_list(struct fmt *f)
{
	struct frame *fr = top(f);

	if (fr->items > 0 && !is(f->last, ",") && !f->last->open)
		append(f, f->last_code, ",", 1);
}

static void emit_token(struct fmt *f, const struct tok *t)
{
	struct frame *fr = top(f);

	if (is(t, ",") && fr->kind == F_LIST1 && is(t + 1, "]") && !is(f->last, ",") &&
	    !is(f->last, "["))
		return; /* one-line lists have no trailing comma */
	if (is(t, "]") && fr->kind == F_LISTN)
		close_multiline_list(f);
	place(f, t);
	if (f->oom)
		return;
	append(f, f->n - 1, t->p, t->len);
	if (t->open)
		f->closed = 1; /* it runs to the end of the line: nothing may follow */
	f->last_code = f->n - 1;
	f->last = t;
	fr->fresh = 0;
	if (fr->kind == F_LISTN) {
		if (is(t, ","))
			fr->want_item = 1;
		else if (fr->want_item && !is(t, "]")) {
			fr->want_item = 0;
			fr->items++;
		}
	}
	if (is(t, "{")) {
		enum frame_kind k = F_BLOCK;

		if (f->stmt_kw && is(f->stmt_kw, "rule"))
			k = F_RULE;
		else if (f->stmt_kw && is(f->stmt_kw, "provider"))
			k = F_PROVIDER;
		push_frame(f, k, f->stmt_indent + 2, f->stmt_indent);
		f->break_next = 1;
	} else if (is(t, "[")) {
		int li = f->lines[f->n - 1].indent;

		push_frame(f, list_is_multiline(t) ? F_LISTN : F_LIST1, li + 2, li);
	} else if (is(t, "(")) {
		push_frame(f, F_PAREN, fr->indent, fr->outer);
	} else if ((is(t, "}") &&
		    (fr->kind == F_RULE || fr->kind == F_PROVIDER || fr->kind == F_BLOCK)) ||
		   (is(t, "]") && (fr->kind == F_LIST1 || fr->kind == F_LISTN)) ||
		   (is(t, ")") && fr->kind == F_PAREN)) {
		pop_frame(f);
		if (is(t, "}"))
			f->stmt_indent = top(f)->kind == F_TOP ? 0 : top(f)->indent;
	}
}

static void emit_comment(struct fmt *f, const struct tok *t)
{
	struct frame *fr = top(f);

	if (t->nl == 0 && f->n > 0 && f->lines[f->n - 1].len > 0 && !f->lines[f->n - 1].comment) {
		f->lines[f->n - 1].comment = t;
	} else {
		struct line *l;

		if (t->nl >= 2 && !fr->fresh)
			blank_line(f);
		l = new_line(f, item_indent(f));
		if (!l)
			return;
		l->comment = t;
	}
	f->closed = 1;
	f->break_next = 0;
	fr->fresh = 0;
}

/* ---- the text ----------------------------------------------------------- */

static size_t code_width(const struct line *l)
{
	return (size_t)l->indent + l->len;
}

/* Trailing comments of consecutive lines start in one column. */
static void comment_columns(const struct fmt *f, size_t *col)
{
	size_t i = 0;

	while (i < f->n) {
		size_t j = i, w = 0;

		while (j < f->n && f->lines[j].comment && f->lines[j].len > 0) {
			if (code_width(&f->lines[j]) > w)
				w = code_width(&f->lines[j]);
			j++;
		}
		for (size_t k = i; k < j; k++)
			col[k] = w + 1;
		i = j > i ? j : i + 1;
	}
}

static char *render(struct fmt *f)
{
	size_t total = 2, *col = calloc(f->n + 1, sizeof(*col)), o = 0, end = f->n;
	char *out;

	if (!col)
		return NULL;
	comment_columns(f, col);
	while (end > 0 && f->lines[end - 1].blank)
		end--;
	for (size_t i = 0; i < end; i++) {
		const struct line *l = &f->lines[i];

		total += (size_t)l->indent + l->len + 2 + col[i];
		if (l->comment)
			total += l->comment->len;
	}
	out = malloc(total);
	if (out) {
		for (size_t i = 0; i < end; i++) {
			const struct line *l = &f->lines[i];

			if (!l->blank) {
				memset(out + o, ' ', (size_t)l->indent);
				o += (size_t)l->indent;
				memcpy(out + o, l->code ? l->code : "", l->len);
				o += l->len;
				if (l->comment) {
					size_t w = code_width(l);

					if (l->len > 0) {
						memset(out + o, ' ', col[i] - w);
						o += col[i] - w;
					}
					memcpy(out + o, l->comment->p, l->comment->len);
					o += l->comment->len;
				}
			}
			out[o++] = '\n';
		}
		out[o] = 0;
	}
	free(col);
	return out;
}

char *fmt_text(const char *text, size_t len)
{
	struct toks toks = {0};
	struct fmt f = {0};
	char *out = NULL;

	f.stack[0] = (struct frame){F_TOP, 0, 0, 1, 0, 0, 0};
	f.depth = 1;
	if (tokenize(text, len, &toks) == 0) {
		for (size_t i = 0; i + 1 < toks.n && !f.oom && !f.too_deep; i++) {
			if (toks.v[i].kind == T_COMMENT)
				emit_comment(&f, &toks.v[i]);
			else
				emit_token(&f, &toks.v[i]);
		}
		if (f.too_deep)
			out = strndup(text, len);
		else if (!f.oom)
			out = render(&f);
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.lines[i].code);
	free(f.lines);
	free(toks.v);
	return out;
}

/* The tokens of T with the trailing comma of each list dropped: a comma
 * after an item, before the `]` (comments may stand around it). */
static int significant(const struct toks *t, size_t i)
{
	size_t j = i + 1, k = i;

	if (!is(&t->v[i], ","))
		return 1;
	while (t->v[j].kind == T_COMMENT)
		j++;
	while (k > 0 && t->v[k - 1].kind == T_COMMENT)
		k--;
	return !(is(&t->v[j], "]") && k > 0 && !is(&t->v[k - 1], ",") && !is(&t->v[k - 1], "["));
}

int fmt_same_tokens(const char *a, const char *b)
{
	struct toks ta = {0}, tb = {0};
	size_t i = 0, j = 0;
	int rc = -1;

	if (tokenize(a, strlen(a), &ta) || tokenize(b, strlen(b), &tb))
		goto out;
	for (;;) {
		while (i + 1 < ta.n && !significant(&ta, i))
			i++;
		while (j + 1 < tb.n && !significant(&tb, j))
			j++;
		if (i + 1 >= ta.n || j + 1 >= tb.n)
			break;
		if (ta.v[i].kind != tb.v[j].kind || ta.v[i].len != tb.v[j].len ||
		    memcmp(ta.v[i].p, tb.v[j].p, ta.v[i].len) != 0)
			goto out;
		i++;
		j++;
	}
	rc = (i + 1 >= ta.n && j + 1 >= tb.n) ? 0 : -1;
out:
	free(ta.v);
	free(tb.v);
	return rc;
}
