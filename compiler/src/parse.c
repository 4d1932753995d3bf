/* SPDX-License-Identifier: Apache-2.0 */
/* Runs the flex/bison parser over one loaded source. */
#include "parser.h"
#include "lexer.h"
#include "passes.h"

struct policy *parse_source(const struct source *src, struct diags *d)
{
	struct policy *pol = ast_alloc(sizeof(*pol));
	struct parse_ctx ctx = {
	    .src = src,
	    .d = d,
	    .pol = pol,
	    .decl_tail = &pol->decls,
	    .import_tail = &pol->imports,
	    .line = 1,
	    .col = 1,
	};
	yyscan_t scanner;

	pol->src = src;
	pol->default_deny = -1;
	pol->uninspectable_deny = -1;
	pol->fronting_deny = -1;
	if (yylex_init_extra(&ctx, &scanner)) {
		policy_free(pol);
		return NULL;
	}
	yy_scan_bytes(src->text, (int)src->len, scanner);
	/* syntax errors are already in d; the partial tree is still useful */
	(void)yyparse(scanner, &ctx);
	yylex_destroy(scanner);
	return pol;
}
