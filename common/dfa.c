/* SPDX-License-Identifier: Apache-2.0 */
/* NFA -> minimal DFA: subset construction, Moore minimisation, byte classes. */
#include "dfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before minimisation the subset construction may need more states than
 * the final budget; this bounds memory on hostile patterns. */
#define SUBSET_MAX_STATES 32768

struct nfa_edge {
	int to;
	bool eps;
	struct aspen_byteset set;
};

struct nfa_state {
	struct nfa_edge *edges;
	size_t nedges, cap;
	uint64_t accept; /* pattern bits this state accepts (0: not accepting) */
};

struct nfa {
	struct nfa_state *st;
	size_t n, cap;
};

struct nfa *nfa_new(void)
{
	return calloc(1, sizeof(struct nfa));
}

void nfa_free(struct nfa *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		free(n->st[i].edges);
	free(n->st);
	free(n);
}

int nfa_add_state(struct nfa *n)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 16;
		struct nfa_state *st = realloc(n->st, cap * sizeof(*st));

		if (!st)
			return -1;
		n->st = st;
		n->cap = cap;
	}
	memset(&n->st[n->n], 0, sizeof(n->st[0]));
	return (int)n->n++;
}

int nfa_add_edge(struct nfa *n, int from, int to, const struct aspen_byteset *set)
{
	struct nfa_state *s = &n->st[from];

	if (s->nedges == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct nfa_edge *e = realloc(s->edges, cap * sizeof(*e));

		if (!e)
			return -1;
		s->edges = e;
		s->cap = cap;
	}
	s->edges[s->nedges].to = to;
	s->edges[s->nedges].eps = set == NULL;
	if (set)
		s->edges[s->nedges].set = *set;
	s->nedges++;
	return 0;
}

size_t nfa_size(const struct nfa *n)
{
	return n->n;
}

void nfa_set_accept(struct nfa *n, int state)
{
	n->st[state].accept |= 1;
}

void nfa_set_accept_mask(struct nfa *n, int state, uint64_t mask)
{
	n->st[state].accept |= mask;
}

/* ---- interning fixed-length keys (subset states, Moore signatures) ---- */

struct intern {
	size_t keylen;	/* uint32 words per key */
	uint32_t *keys; /* n * keylen            */
	size_t n, cap;
	int *slots; /* open addressing, -1 empty */
	size_t nslots;
};

static uint64_t hash_key(const uint32_t *k, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	/* FNV's multiply carries only upwards: the low bits a table index uses
	 * would ignore the high bits of every word (bitset keys that differ
	 * there all collide). Mix them down (MurmurHash3's finaliser). */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static int intern_init(struct intern *t, size_t keylen)
{
	memset(t, 0, sizeof(*t));
	t->keylen = keylen ? keylen : 1;
	t->nslots = 64;
	t->slots = malloc(t->nslots * sizeof(int));
	if (!t->slots)
		return -1;
	memset(t->slots, 0xff, t->nslots * sizeof(int));
	return 0;
}

static void intern_fini(struct intern *t)
{
	free(t->keys);
	free(t->slots);
}

static int intern_rehash(struct intern *t)
{
	size_t nslots = t->nslots * 2;
	int *slots = malloc(nslots * sizeof(int));

	if (!slots)
		return -1;
	memset(slots, 0xff, nslots * sizeof(int));
	for (size_t i = 0; i < t->n; i++) {
		size_t h = hash_key(&t->keys[i * t->keylen], t->keylen) & (nslots - 1);

		while (slots[h] >= 0)
			h = (h + 1) & (nslots - 1);
		slots[h] = (int)i;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* Returns the key's id (new ids are t->n - 1 after the call), -1 on ENOMEM. */
static int intern_get(struct intern *t, const uint32_t *key)
{
	size_t h = hash_key(key, t->keylen) & (t->nslots - 1);

	while (t->slots[h] >= 0) {
		if (!memcmp(&t->keys[(size_t)t->slots[h] * t->keylen], key, t->keylen * 4))
			return t->slots[h];
		h = (h + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		uint32_t *keys = realloc(t->keys, cap * t->keylen * 4);

		if (!keys)
			return -1;
		t->keys = keys;
		t->cap = cap;
	}
	memcpy(&t->keys[t->n * t->keylen], key, t->keylen * 4);
	t->slots[h] = (int)t->n++;
	if (t->n * 2 > t->nslots && intern_rehash(t) < 0)
		return -1;
	return (int)t->n - 1;
}

/* ---- subset construction --------------------------------------------- */

struct subset {
	const struct nfa *nfa;
	size_t words;	  /* uint32 words per NFA state set */
	uint32_t *imp;	  /* states with a byte edge or accepting */
	uint8_t cls[256]; /* NFA alphabet classes           */
	int ncls;
	struct intern states;
	int *trans; /* [nstates][ncls], grows with states */
	size_t trans_cap;
};

/* Room in ss->trans for the rows of states 0..s; -1 when out of memory. */
static int trans_reserve(struct subset *ss, size_t s)
{
	size_t need = (s + 1) * (size_t)ss->ncls;
	int *t;

	if (need <= ss->trans_cap)
		return 0;
	t = realloc(ss->trans, need * 2 * sizeof(int));
	if (!t)
		return -1;
	ss->trans = t;
	ss->trans_cap = need * 2;
	return 0;
}

static bool bit(const uint32_t *set, size_t i)
{
	return (set[i / 32] >> (i % 32)) & 1;
}

static void eps_close(const struct nfa *n, uint32_t *set, int *stack)
{
	int sp = 0;

	for (size_t w = 0; w < (n->n + 31) / 32; w++)
		for (uint32_t m = set[w]; m; m &= m - 1)
			stack[sp++] = (int)(w * 32 + (size_t)__builtin_ctz(m));
	while (sp) {
		const struct nfa_state *s = &n->st[stack[--sp]];

		for (size_t e = 0; e < s->nedges; e++) {
			int to = s->edges[e].to;

			if (s->edges[e].eps && !bit(set, (size_t)to)) {
				set[to / 32] |= 1u << (to % 32);
				stack[sp++] = to;
			}
		}
	}
}

/* A closed set keeps only the states that consume a byte or accept: two
 * sets that differ in the other (epsilon-only) states step and accept
 * alike, and as one DFA state they are fewer and their keys shorter. */
static void close_set(const struct subset *ss, uint32_t *set, int *stack)
{
	eps_close(ss->nfa, set, stack);
	for (size_t w = 0; w < ss->words; w++)
		set[w] &= ss->imp[w];
}

static int important_states(struct subset *ss)
{
	const struct nfa *n = ss->nfa;

	ss->imp = calloc(ss->words, 4);
	if (!ss->imp)
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		bool keep = n->st[i].accept != 0;

		for (size_t e = 0; e < n->st[i].nedges && !keep; e++)
			keep = !n->st[i].edges[e].eps;
		if (keep)
			ss->imp[i / 32] |= 1u << (i % 32);
	}
	return 0;
}

/* Bytes that every edge treats alike share a class: fewer columns to build. */
static void nfa_classes(struct subset *ss)
{
	const struct nfa *n = ss->nfa;

	memset(ss->cls, 0, sizeof(ss->cls));
	ss->ncls = 1;
	for (size_t i = 0; i < n->n; i++) {
		for (size_t e = 0; e < n->st[i].nedges; e++) {
			const struct nfa_edge *ed = &n->st[i].edges[e];
			int remap[512];

			if (ed->eps)
				continue;
			memset(remap, 0xff, sizeof(remap));
			int ncls = 0;

			for (int b = 0; b < 256; b++) {
				bool in = aspen_byteset_has(&ed->set, (unsigned char)b);
				int k = ss->cls[b] * 2 + in;

				if (remap[k] < 0)
					remap[k] = ncls++;
				ss->cls[b] = (uint8_t)remap[k];
			}
			ss->ncls = ncls;
		}
	}
}

static void move(const struct subset *ss, const uint32_t *from, unsigned char b, uint32_t *to)
{
	const struct nfa *n = ss->nfa;

	memset(to, 0, ss->words * 4);
	for (size_t w = 0; w < ss->words; w++)
		for (uint32_t m = from[w]; m; m &= m - 1) {
			size_t i = w * 32 + (size_t)__builtin_ctz(m);

			for (size_t e = 0; e < n->st[i].nedges; e++) {
				const struct nfa_edge *ed = &n->st[i].edges[e];

				if (!ed->eps && aspen_byteset_has(&ed->set, b))
					to[ed->to / 32] |= 1u << (ed->to % 32);
			}
		}
}

static int subset_build(struct subset *ss, char *err, size_t errlen)
{
	const struct nfa *n = ss->nfa;
	int rc = -1;
	uint32_t *cur = calloc(ss->words, 4), *nxt = calloc(ss->words, 4);
	int *stack = malloc((n->n + 1) * sizeof(int));
	int rep[256];

	if (!cur || !nxt || !stack)
		goto out;
	for (int b = 255; b >= 0; b--)
		rep[ss->cls[b]] = b;
	cur[0] = 1; /* NFA state 0 is the start */
	close_set(ss, cur, stack);
	if (intern_get(&ss->states, cur) < 0)
		goto out;
	for (size_t s = 0; s < ss->states.n; s++) {
		if (ss->states.n > SUBSET_MAX_STATES) {
			snprintf(err, errlen, "pattern needs more than %d DFA states",
				 SUBSET_MAX_STATES);
			goto out;
		}
		if (trans_reserve(ss, s) < 0)
			goto out;
		for (int c = 0; c < ss->ncls; c++) {
			/* the key array may move when interning grows it */
			memcpy(cur, &ss->states.keys[s * ss->words], ss->words * 4);
			move(ss, cur, (unsigned char)rep[c], nxt);
			close_set(ss, nxt, stack);
			int id = intern_get(&ss->states, nxt);

			if (id < 0)
				goto out;
			ss->trans[s * (size_t)ss->ncls + (size_t)c] = id;
		}
	}
	rc = 0;
out:
	if (rc && !err[0])
		snprintf(err, errlen, "out of memory building a DFA");
	free(cur);
	free(nxt);
	free(stack);
	return rc;
}

/* ---- Moore minimisation ----------------------------------------------- */

/* block[s] for each subset state s; returns the number of blocks or -1. */
static int moore(const struct subset *ss, const uint64_t *acc, int *block)
{
	size_t n = ss->states.n, k = (size_t)ss->ncls;
	uint32_t *sig = malloc((k + 2) * 4);
	int nblocks = 0, prev = -1;
	struct intern first;

	/* the first partition: states that accept the same pattern set */
	if (!sig || intern_init(&first, 2) < 0) {
		free(sig);
		return -1;
	}
	for (size_t s = 0; s < n; s++) {
		uint32_t key[2] = {(uint32_t)acc[s], (uint32_t)(acc[s] >> 32)};

		block[s] = intern_get(&first, key);
		if (block[s] < 0) {
			intern_fini(&first);
			free(sig);
			return -1;
		}
	}
	nblocks = (int)first.n;
	intern_fini(&first);
	while (nblocks != prev) {
		struct intern t;
		int *nb = malloc(n * sizeof(int));

		if (!nb || intern_init(&t, k + 1) < 0) {
			free(nb);
			free(sig);
			return -1;
		}
		for (size_t s = 0; s < n; s++) {
			sig[0] = (uint32_t)block[s];
			for (size_t c = 0; c < k; c++)
				sig[c + 1] = (uint32_t)block[ss->trans[s * k + c]];
			nb[s] = intern_get(&t, sig);
		}
		prev = nblocks;
		nblocks = (int)t.n;
		memcpy(block, nb, n * sizeof(int));
		free(nb);
		intern_fini(&t);
	}
	free(sig);
	return nblocks;
}

/* ---- assembling the final tables ---------------------------------------- */

/* Renumber blocks breadth-first from the start so that the start is 0. */
static int bfs_order(const struct subset *ss, const int *block, int nblocks, int *order, int *repr)
{
	size_t n = ss->states.n, k = (size_t)ss->ncls;
	int *queue = malloc((size_t)nblocks * sizeof(int)), head = 0, tail = 0;

	if (!queue)
		return -1;
	for (int b = 0; b < nblocks; b++)
		order[b] = -1;
	for (size_t s = 0; s < n; s++)
		repr[block[s]] = (int)s;
	order[block[0]] = tail;
	queue[tail++] = block[0];
	while (head < tail) {
		int s = repr[queue[head++]];

		for (size_t c = 0; c < k; c++) {
			int b = block[ss->trans[(size_t)s * k + c]];

			if (order[b] < 0) {
				order[b] = tail;
				queue[tail++] = b;
			}
		}
	}
	free(queue);
	return tail;
}

/* Bytes whose columns are equal in the minimal DFA share a class. */
static int final_classes(struct dfa *d, const uint16_t *full)
{
	struct intern t;
	uint32_t *col = malloc((size_t)d->nstates * 4);

	if (!col || intern_init(&t, (size_t)d->nstates) < 0) {
		free(col);
		return -1;
	}
	for (int b = 0; b < 256; b++) {
		for (int s = 0; s < d->nstates; s++)
			col[s] = full[s * 256 + b];
		int id = intern_get(&t, col);

		if (id < 0)
			break;
		d->cls[b] = (uint8_t)id;
	}
	d->nclasses = (int)t.n;
	intern_fini(&t);
	free(col);
	d->next = malloc((size_t)d->nstates * (size_t)d->nclasses * sizeof(uint16_t));
	if (!d->next)
		return -1;
	for (int b = 0; b < 256; b++)
		for (int s = 0; s < d->nstates; s++)
			d->next[s * d->nclasses + d->cls[b]] = full[s * 256 + b];
	return 0;
}

static void find_dead(struct dfa *d)
{
	d->dead = -1;
	for (int s = 0; s < d->nstates && d->dead < 0; s++) {
		bool loops = !d->accept[s];

		for (int c = 0; c < d->nclasses && loops; c++)
			loops = d->next[s * d->nclasses + c] == s;
		if (loops)
			d->dead = s;
	}
}

static struct dfa *assemble(const struct subset *ss, const int *block, int nblocks,
			    const uint64_t *acc)
{
	size_t k = (size_t)ss->ncls;
	int *order = malloc((size_t)nblocks * sizeof(int));
	int *repr = malloc((size_t)nblocks * sizeof(int));
	struct dfa *d = calloc(1, sizeof(*d));
	uint16_t *full = NULL;
	int ok = 0;

	if (!order || !repr || !d)
		goto out;
	d->nstates = bfs_order(ss, block, nblocks, order, repr);
	if (d->nstates <= 0)
		goto out;
	d->accept = calloc((size_t)d->nstates, 1);
	d->mask = calloc((size_t)d->nstates, sizeof(uint64_t));
	full = malloc((size_t)d->nstates * 256 * sizeof(uint16_t));
	if (!d->accept || !d->mask || !full)
		goto out;
	for (int b = 0; b < nblocks; b++) {
		int s = order[b], r = repr[b];

		if (s < 0)
			continue;
		d->accept[s] = acc[r] != 0;
		d->mask[s] = acc[r];
		for (int byte = 0; byte < 256; byte++)
			full[s * 256 + byte] =
			    (uint16_t)order[block[ss->trans[(size_t)r * k + ss->cls[byte]]]];
	}
	ok = final_classes(d, full) == 0;
	find_dead(d);
out:
	free(order);
	free(repr);
	free(full);
	if (!ok) {
		dfa_free(d);
		return NULL;
	}
	return d;
}

struct dfa *nfa_to_dfa(const struct nfa *n, int max_states, char *err, size_t errlen)
{
	struct subset ss = {.nfa = n, .words = (n->n + 31) / 32};
	struct dfa *d = NULL;
	uint64_t *acc = NULL;
	int *block = NULL;

	err[0] = 0;
	if (max_states > DFA_MAX_STATES16)
		max_states = DFA_MAX_STATES16;
	if (n->n == 0 || n->n > (size_t)SUBSET_MAX_STATES * 4) {
		snprintf(err, errlen, "pattern has %zu NFA states", n->n);
		return NULL;
	}
	nfa_classes(&ss);
	if (important_states(&ss) < 0 || intern_init(&ss.states, ss.words) < 0 ||
	    subset_build(&ss, err, errlen) < 0)
		goto out;
	acc = calloc(ss.states.n, sizeof(uint64_t));
	block = malloc(ss.states.n * sizeof(int));
	if (!acc || !block)
		goto out;
	for (size_t s = 0; s < ss.states.n; s++)
		for (size_t w = 0; w < ss.words; w++)
			for (uint32_t m = ss.states.keys[s * ss.words + w]; m; m &= m - 1)
				acc[s] |= n->st[w * 32 + (size_t)__builtin_ctz(m)].accept;
	int nblocks = moore(&ss, acc, block);

	if (nblocks > 0)
		d = assemble(&ss, block, nblocks, acc);
	if (d && d->nstates > max_states) {
		snprintf(err, errlen, "pattern needs %d DFA states (at most %d allowed)",
			 d->nstates, max_states);
		dfa_free(d);
		d = NULL;
	}
out:
	if (!d && !err[0])
		snprintf(err, errlen, "out of memory building a DFA");
	intern_fini(&ss.states);
	free(ss.trans);
	free(ss.imp);
	free(acc);
	free(block);
	return d;
}

/* ---- product of DFAs ----------------------------------------------------- */

/* Byte classes of the product: bytes every part treats alike, numbered by
 * their smallest byte (as nfa_classes() numbers them, so the BFS order of
 * assemble() and the tables come out the same). */
static void product_classes(struct subset *ss, struct dfa *const *parts, size_t n)
{
	memset(ss->cls, 0, sizeof(ss->cls));
	ss->ncls = 1;
	for (size_t i = 0; i < n; i++) {
		int key[256], ncls = 0; /* new class -> (old class, part's class) */

		for (int b = 0; b < 256; b++) {
			int k = ss->cls[b] * 256 + parts[i]->cls[b], c = 0;

			while (c < ncls && key[c] != k)
				c++;
			if (c == ncls)
				key[ncls++] = k;
			ss->cls[b] = (uint8_t)c;
		}
		ss->ncls = ncls;
	}
}

/* Reachable tuples of part states (uint32 each), breadth-first. A tuple's
 * mask is the OR of its parts' masks. */
static int product_build(struct subset *ss, struct dfa *const *parts, size_t n, int limit,
			 char *err, size_t errlen)
{
	uint32_t *cur = calloc(n, 4), *nxt = calloc(n, 4);
	int rep[256], rc = -1;

	if (!cur || !nxt)
		goto out;
	for (int b = 255; b >= 0; b--)
		rep[ss->cls[b]] = b;
	if (intern_get(&ss->states, cur) < 0) /* every part starts in 0 */
		goto out;
	for (size_t s = 0; s < ss->states.n; s++) {
		if (ss->states.n > (size_t)limit) {
			snprintf(err, errlen, "the patterns need more than %d DFA states", limit);
			goto out;
		}
		if (trans_reserve(ss, s) < 0)
			goto out;
		memcpy(cur, &ss->states.keys[s * n], n * 4);
		for (int c = 0; c < ss->ncls; c++) {
			for (size_t i = 0; i < n; i++) {
				const struct dfa *d = parts[i];

				nxt[i] = d->next[cur[i] * (uint32_t)d->nclasses + d->cls[rep[c]]];
			}
			int id = intern_get(&ss->states, nxt);

			if (id < 0)
				goto out;
			ss->trans[s * (size_t)ss->ncls + (size_t)c] = id;
		}
	}
	rc = 0;
out:
	free(cur);
	free(nxt);
	return rc;
}

struct dfa *dfa_product(struct dfa *const *parts, size_t n, int max_states, bool distinct,
			char *err, size_t errlen)
{
	struct subset ss = {.nfa = NULL, .words = n};
	struct dfa *d = NULL;
	uint64_t *acc = NULL;
	int *block = NULL, nblocks, limit;

	err[0] = 0;
	if (max_states > DFA_MAX_STATES16)
		max_states = DFA_MAX_STATES16;
	limit = distinct ? max_states : SUBSET_MAX_STATES;
	product_classes(&ss, parts, n);
	if (intern_init(&ss.states, n) < 0 || product_build(&ss, parts, n, limit, err, errlen) < 0)
		goto out;
	acc = calloc(ss.states.n, sizeof(uint64_t));
	block = malloc(ss.states.n * sizeof(int));
	if (!acc || !block)
		goto out;
	for (size_t s = 0; s < ss.states.n; s++)
		for (size_t i = 0; i < n; i++)
			acc[s] |= parts[i]->mask[ss.states.keys[s * n + i]];
	nblocks = moore(&ss, acc, block);
	if (nblocks > 0)
		d = assemble(&ss, block, nblocks, acc);
	if (d && d->nstates > max_states) {
		snprintf(err, errlen, "the patterns need %d DFA states (at most %d allowed)",
			 d->nstates, max_states);
		dfa_free(d);
		d = NULL;
	}
out:
	if (!d && !err[0])
		snprintf(err, errlen, "out of memory building a DFA");
	intern_fini(&ss.states);
	free(ss.trans);
	free(acc);
	free(block);
	return d;
}

void dfa_free(struct dfa *d)
{
	if (!d)
		return;
	free(d->next);
	free(d->accept);
	free(d->mask);
	free(d);
}

/* The bytes whose step is the same from every state of idle (skipto[c]),
 * into a state with no match; -1 for the others. */
static int idle_bytes(const struct dfa *d, const uint8_t *idle, int16_t skipto[256], bool shrink)
{
	int n = 0;

	for (int c = 0; c < 256; c++) {
		int k = d->cls[c], t = d->next[k]; /* from the start state */

		if (shrink && skipto[c] < 0)
			t = -1;

		for (int s = 1; s < d->nstates && t >= 0; s++)
			if (idle[s] && d->next[s * d->nclasses + k] != t)
				t = -1;
		if (t >= 0 && d->mask && d->mask[t])
			t = -1;
		if (t >= 0 && d->accept && d->accept[t])
			t = -1;
		skipto[c] = (int16_t)t;
		n += t >= 0;
	}
	return n;
}

int dfa_idle_skip(const struct dfa *d, uint8_t *idle, int16_t skipto[256])
{
	uint8_t *next = calloc((size_t)d->nstates, 1);
	int n = 0, same = 0;

	memset(idle, 0, (size_t)d->nstates);
	idle[0] = 1;
	/* from {start}: the idle set and its bytes, until they settle; when
	 * they swing between two sets (a byte that starts a match leads out of
	 * the idle set, then is found not to stay in it, ...), the bytes only
	 * shrink from the 8th round on */
	for (int round = 0; next && round < 32 && !same; round++) {
		memset(next, 0, (size_t)d->nstates);
		next[0] = 1;
		n = idle_bytes(d, idle, skipto, round > 8);
		for (int c = 0; c < 256; c++)
			if (skipto[c] >= 0)
				next[skipto[c]] = 1;
		same = !memcmp(next, idle, (size_t)d->nstates);
		memcpy(idle, next, (size_t)d->nstates);
	}
	/* what the scan relies on, checked whatever the rounds found: every
	 * passable byte leads every idle state to its one idle state */
	n = next ? idle_bytes(d, idle, skipto, true) : 0;
	for (int c = 0; c < 256 && n; c++)
		if (skipto[c] >= 0 && !idle[skipto[c]])
			n = 0;
	if (!n) {
		memset(idle, 0, (size_t)d->nstates);
		for (int c = 0; c < 256; c++)
			skipto[c] = -1;
	}
	free(next);
	return n;
}

bool dfa_match(const struct dfa *d, const char *s)
{
	int st = 0;

	for (size_t i = 0; s[i]; i++) {
		st = d->next[st * d->nclasses + d->cls[(unsigned char)s[i]]];
		if (st == d->dead)
			return false;
	}
	return d->accept[st];
}

uint64_t dfa_match_mask(const struct dfa *d, const char *s)
{
	int st = 0;

	for (size_t i = 0; s[i]; i++) {
		st = d->next[st * d->nclasses + d->cls[(unsigned char)s[i]]];
		if (st == d->dead)
			return 0;
	}
	return d->mask[st];
}
