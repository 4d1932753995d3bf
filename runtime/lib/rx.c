/* SPDX-License-Identifier: Apache-2.0 */
#include "rx.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define RX_USER_MAX_STATES 65535

struct rx {
	struct dfa *anch;   /* RX_ANCHORED_CTX   */
	struct dfa *unanch; /* RX_UNANCHORED_CTX */
};

static struct rx *build(const char *src, int flags, bool unanchored, struct rx_error *err)
{
	struct rx *rx = calloc(1, sizeof(*rx));
	const char *srcs[1] = {src};
	int fl[1] = {flags};

	if (!rx) {
		err->offset = -1;
		strcpy(err->msg, "out of memory");
		return NULL;
	}
	rx->anch = rx_build_dfa(srcs, fl, NULL, 1, RX_ANCHORED_CTX, RX_USER_MAX_STATES, err, NULL);
	if (rx->anch && unanchored)
		rx->unanch = rx_build_dfa(srcs, fl, NULL, 1, RX_UNANCHORED_CTX, RX_USER_MAX_STATES,
					  err, NULL);
	if (!rx->anch || (unanchored && !rx->unanch)) {
		rx_free(rx);
		return NULL;
	}
	return rx;
}

struct rx *rx_new(const char *src, int flags, struct rx_error *err)
{
	return build(src, flags, true, err);
}

struct rx *rx_new_short(const char *src, int flags, struct rx_error *err)
{
	return build(src, flags, false, err);
}

void rx_free(struct rx *rx)
{
	if (!rx)
		return;
	dfa_free(rx->anch);
	dfa_free(rx->unanch);
	free(rx);
}

int rx_states(const struct rx *rx)
{
	return rx->anch->nstates;
}

/* Does an accept mask (RX_ACC_*) hold for a match ending before buf[end]? */
static bool acc_ok(uint64_t m, const uint8_t *buf, size_t n, size_t end)
{
	bool next_word = end < n && rx_is_word(buf[end]);

	return (m & RX_ACC_NOW) || ((m & RX_ACC_NEXT_NONWORD) && !next_word) ||
	       ((m & RX_ACC_NEXT_WORD) && next_word);
}

static inline int step(const struct dfa *d, int st, uint8_t c)
{
	return d->next[st * d->nclasses + d->cls[c]];
}

/* The end of the longest match starting at s, or 0 (matches are never empty). */
static size_t longest_at(const struct dfa *d, const uint8_t *buf, size_t n, size_t s)
{
	int st = step(d, 0, s ? buf[s - 1] : ' ');
	size_t best = 0;

	for (size_t i = s; i < n; i++) {
		st = step(d, st, buf[i]);
		if (st == d->dead)
			break;
		if (d->mask[st] && acc_ok(d->mask[st], buf, n, i + 1))
			best = i + 1;
	}
	return best;
}

/* Last end position of any match (0: none). */
static size_t last_end(const struct dfa *d, const uint8_t *buf, size_t n)
{
	int st = 0;
	size_t last = 0;

	for (size_t i = 0; i < n; i++) {
		st = step(d, st, buf[i]);
		if (d->mask[st] && acc_ok(d->mask[st], buf, n, i + 1))
			last = i + 1;
	}
	return last;
}

/* Is the anchored DFA still alive after buf[s..n)? (Every state but the
 * dead one can still reach an accepting state: the DFA is minimal.) */
static bool alive_to_end(const struct dfa *d, const uint8_t *buf, size_t n, size_t s)
{
	int st = step(d, 0, s ? buf[s - 1] : ' ');

	for (size_t i = s; i < n; i++) {
		st = step(d, st, buf[i]);
		if (st == d->dead)
			return false;
	}
	return true;
}

size_t rx_tail(const struct rx *rx, const uint8_t *buf, size_t n)
{
	for (size_t s = 0; s < n; s++)
		if (alive_to_end(rx->anch, buf, n, s))
			return s;
	return n;
}

int rx_search(const struct rx *rx, const uint8_t *buf, size_t n)
{
	if (!rx->unanch) /* rx_new_short(): any start with a match */
		return rx_find(rx, buf, n, NULL, NULL) != 0;
	return last_end(rx->unanch, buf, n) != 0;
}

size_t rx_find(const struct rx *rx, const uint8_t *buf, size_t n, rx_match_cb cb, void *arg)
{
	return rx_find_at(rx, buf, n, 0, cb, arg);
}

size_t rx_find_at(const struct rx *rx, const uint8_t *buf, size_t n, size_t from, rx_match_cb cb,
		  void *arg)
{
	size_t last = rx->unanch ? last_end(rx->unanch, buf, n) : n, pos = from, count = 0;

	/* a match starting at s ends after s: no start at or past `last` can match */
	while (pos < last) {
		size_t s, e = 0;

		for (s = pos; s < last; s++) {
			e = longest_at(rx->anch, buf, n, s);
			if (e)
				break;
		}
		if (!e)
			break;
		count++;
		if (cb && cb(s, e, arg))
			break;
		pos = e;
	}
	return count;
}
