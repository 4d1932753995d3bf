/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * HPACK (RFC 7541) decoder for the client side of HTTP/2, fed one byte of
 * a header block at a time (bpf-templates/aspen_h2.h feeds it the bytes of
 * HEADERS and CONTINUATION frames).
 *
 * Compiles as eBPF C (after aspen_prelude.bpf.h) and as host C (after
 * <linux/types.h>: tests/unit/test_h2.c). Built for the verifier like
 * aspen_http.h: per byte, no loop but the 8 unrolled steps of the Huffman
 * decoder, no recursion, every variable index masked with `& (N - 1)` into a
 * buffer of N (a power of two) bytes, fixed-size copies only. The Huffman
 * code's tables (about 700 bytes) are constants in .rodata (ASPEN_TABLE in
 * the BPF build), the only data this decoder keeps outside its state.
 *
 * What it keeps. The whole dynamic table is tracked (every insertion, its
 * size, evictions, size updates), so that later indices resolve to the
 * right entry; of each entry it keeps the name's identity (one of the
 * fields below, or "other"), the name's length, the value's length and, for
 * :method, :path, :authority and host, the value itself (first
 * ASPEN_HPACK_VAL_LEN - 1 bytes). Content-Type and Content-Encoding values
 * are kept as flags (JSON, event-stream, compressed).
 *
 * Eviction is O(1): `total` counts the bytes ever inserted, an entry's
 * `end` is `total` just after it went in, and `floor` is the largest
 * `total - max` the table ever had at an insertion or a size update. An
 * entry is in the table iff `end - size >= floor` (the entries in a table
 * are always its newest ones whose sizes sum to at most `max`; RFC 7541
 * 4.3/4.4). An insertion larger than `max` empties the table (`floor =
 * total`).
 *
 * Limits (by design):
 * - ASPEN_HPACK_SLOTS entries are remembered (128: every entry a table of
 *   4096 bytes can hold, an entry taking 32 bytes at least), the values of
 *   the last ASPEN_HPACK_VALS (16) entries whose value is kept: a reference
 *   to an older entry, or to a kept value since overwritten, that is still
 *   in the table is ASPEN_H2_ERR_LOST (the caller treats the connection as
 *   uninspectable); a reference to an evicted or never inserted entry is
 *   ASPEN_H2_ERR_HPACK, as for the server. (Until session 37: 64 entries,
 *   each with its value's 128 bytes. A client sending a header whose value
 *   changes with each request, content-length or an authorization, put a
 *   new entry in at each request, and its :authority entry, still in the
 *   table, went past the 64th: every 120 requests or so on a long-lived
 *   connection one was refused `h2_state`; test_tls_parse_fuzz --h2.)
 * - The table size is whatever the encoder says in size updates, initially
 *   4096 (SETTINGS_HEADER_TABLE_SIZE's default). The server's SETTINGS are
 *   not seen (they travel on the read side): an encoder that grows its
 *   table to a larger server setting without a size update makes us evict
 *   too early, and a reference to such an entry is ASPEN_H2_ERR_HPACK:
 *   never a wrong value, only an uninspectable connection.
 * - Integers over 2^28 and size updates over ASPEN_HPACK_MAX_TABLE are
 *   errors; a size update after the first field of a block is an error.
 * - Names are compared lower-cased (HTTP/2 requires lower case; a server
 *   that accepts upper case sees the same header we do).
 */
#ifndef ASPEN_HPACK_H
#define ASPEN_HPACK_H

#include "aspen_shared.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* .rodata in the BPF build (see aspen_prelude.bpf.h), plain in host C */
#ifdef ASPEN_TABLE
#define ASPEN_HPACK_TABLE ASPEN_TABLE
#else
#define ASPEN_HPACK_TABLE
#endif

/* x & m, the mask kept even where the compiler can prove it redundant: the
 * verifier may not know what the compiler knows (a table index bounded by
 * a compare on another path). */
#if defined(__bpf__)
#define AHP_MASK(x, m)                                                                             \
	({                                                                                         \
		__u32 x_ = (__u32)(x);                                                             \
		asm volatile("" : "+r"(x_));                                                       \
		x_ &(m);                                                                           \
	})
#else
#define AHP_MASK(x, m) ((__u32)(x) & (m))
#endif

#define ASPEN_HPACK_SLOTS 128	/* dynamic entries remembered (power of two) */
#define ASPEN_HPACK_VALS 16	/* values of entries remembered (power of two) */
#define ASPEN_HPACK_VAL_LEN 128 /* value bytes kept (power of two)            */
#define ASPEN_HPACK_DEFAULT_TABLE 4096
#define ASPEN_HPACK_MAX_TABLE (1U << 24)
#define ASPEN_HPACK_STATIC 61

#if ASPEN_PATH_LEN != ASPEN_HPACK_VAL_LEN || ASPEN_HOST_LEN != ASPEN_HPACK_VAL_LEN
#error "values are copied whole into :path and :authority: same length"
#endif

/* Errors (also the HTTP/2 frame parser's: sticky in struct aspen_h2.err). */
enum aspen_h2_err {
	ASPEN_H2_ERR_NONE = 0,
	ASPEN_H2_ERR_PREFACE = 1,  /* not the client connection preface + SETTINGS */
	ASPEN_H2_ERR_FRAME = 2,	   /* frame size, type, flags or stream id against RFC 9113 */
	ASPEN_H2_ERR_HPACK = 3,	   /* bad index, Huffman code, integer or size update */
	ASPEN_H2_ERR_LOST = 4,	   /* an entry still in the table but older than we keep */
	ASPEN_H2_ERR_OVERSIZE = 5, /* a header block over ASPEN_H2_MAX_BLOCK bytes */
};

/* Which header a name is (what the decoder keeps of it). */
enum aspen_hpack_name {
	ASPEN_HP_OTHER = 0,
	ASPEN_HP_METHOD = 1,
	ASPEN_HP_PATH = 2,
	ASPEN_HP_AUTHORITY = 3,
	ASPEN_HP_HOST = 4,
	ASPEN_HP_CTYPE = 5,
	ASPEN_HP_CENC = 6,
	ASPEN_HP_STATUS = 7, /* responses (the read side) */
};

/* Value flags (entries and the value being decoded). */
enum aspen_hpack_vflags {
	ASPEN_HP_V_TRUNC = 1 << 0,	/* longer than ASPEN_HPACK_VAL_LEN - 1 */
	ASPEN_HP_V_COMPRESSED = 1 << 1, /* content-encoding other than identity */
	ASPEN_HP_V_JSON = 1 << 2,	/* content-type application/json or x+json */
	ASPEN_HP_V_SSE = 1 << 3,	/* content-type text/event-stream */
};

/* What a header block said (struct aspen_h2.head). */
enum aspen_h2_head_flags {
	ASPEN_H2_H_METHOD = 1 << 0,    /* :method present */
	ASPEN_H2_H_PATH = 1 << 1,      /* :path present */
	ASPEN_H2_H_AUTHORITY = 1 << 2, /* :authority (or host) present */
	ASPEN_H2_H_FROM_HOST = 1 << 3, /* authority came from a host header */
	ASPEN_H2_H_CTYPE = 1 << 4,     /* content-type present */
	ASPEN_H2_H_JSON = 1 << 5,
	ASPEN_H2_H_SSE = 1 << 6,
	ASPEN_H2_H_COMPRESSED = 1 << 7,	 /* content-encoding other than identity */
	ASPEN_H2_H_TRUNCATED = 1 << 8,	 /* a kept value was cut */
	ASPEN_H2_H_DUP = 1 << 9,	 /* a pseudo-header twice (the server rejects it) */
	ASPEN_H2_H_END_STREAM = 1 << 10, /* the HEADERS frame had END_STREAM: no body */
	ASPEN_H2_H_STATUS = 1 << 11,	 /* :status present (a response) */
};

struct aspen_h2_head {
	__u32 stream;
	__u32 flags;  /* enum aspen_h2_head_flags */
	__u32 status; /* :status (three digits), else 0 */
	__u32 _pad;
	char method[ASPEN_METHOD_LEN];
	char path[ASPEN_PATH_LEN];
	char authority[ASPEN_HOST_LEN]; /* lower-case, without :port and trailing dot */
};

struct aspen_hpack_slot {
	__u64 end;	/* hp->total just after this entry was inserted */
	__u32 size;	/* name + value + 32 (RFC 7541 4.1) */
	__u32 vlen;	/* value length (decoded) */
	__u32 name_len; /* name length (decoded) */
	__u32 vseq;	/* its value's number among those kept: hp->vals[vseq % VALS] */
	__u8 name_id;	/* enum aspen_hpack_name */
	__u8 vflags;	/* enum aspen_hpack_vflags */
	__u16 _pad;
	__u32 _pad2;
};

/* representation kinds */
#define AHP_K_INDEXED 0
#define AHP_K_INC 1   /* literal with incremental indexing */
#define AHP_K_NOIDX 2 /* literal without indexing / never indexed */
#define AHP_K_SIZE 3  /* dynamic table size update */
/* states */
#define AHP_S_FIRST 0 /* first byte of a representation (a field is complete) */
#define AHP_S_INT 1   /* continuation bytes of the representation's integer */
#define AHP_S_SLEN 2  /* first byte of a string (H bit + length prefix) */
#define AHP_S_SLENC 3 /* continuation bytes of a string length */
#define AHP_S_STR 4   /* string bytes */

struct aspen_hpack {
	__u64 total;	/* bytes ever inserted */
	__u64 floor;	/* entries that began before this are evicted */
	__u64 w[3];	/* last 24 bytes of the name / value token (newest lowest) */
	__u32 max;	/* dynamic table size in force */
	__u32 count;	/* entries ever inserted */
	__u32 ival;	/* integer being decoded */
	__u32 slen;	/* string bytes left */
	__u32 name_len; /* name length (decoded) */
	__u32 vlen;	/* value length (decoded) */
	__u32 hcode;	/* Huffman code bits not yet a symbol */
	__u8 hlen;	/* their number */
	__u8 ishift;	/* next continuation byte's shift */
	__u8 state;	/* AHP_S_* */
	__u8 kind;	/* AHP_K_* */
	__u8 huff;	/* string is Huffman-coded */
	__u8 in_value;	/* string is the value (else the name) */
	__u8 name_id;	/* enum aspen_hpack_name of the field */
	__u8 vflags;	/* enum aspen_hpack_vflags of the value */
	__u8 fields;	/* a field was decoded in this block (no size update now) */
	__u8 colon;	/* authority: 1 + position of a ':' followed by digits only */
	__u8 tok_len;	/* bytes of the current value token (capped) */
	__u8 tok_sp;	/* blank inside a token / media type over */
	__u32 vcount;	/* values ever kept (ahp_keeps_value entries inserted) */
	__u32 _vpad;
	char val[ASPEN_HPACK_VAL_LEN];
	/* kept for :method, :path, :authority, host and :status entries */
	char vals[ASPEN_HPACK_VALS][ASPEN_HPACK_VAL_LEN];
	struct aspen_hpack_slot dyn[ASPEN_HPACK_SLOTS];
};

/* ---- the Huffman code (RFC 7541 Appendix B), canonical ------------------- */
/*
 * The code is canonical (codes of one length are consecutive, in symbol
 * order; tests/unit/test_h2.c checks it against python3-hpack's table): a
 * code of length L is the symbol at ahp_huff_sym[base[L] + code - first[L]]
 * when code - first[L] < count[L].
 */
static const __u32 ahp_huff_first[32] ASPEN_HPACK_TABLE = {
    0,	      0,	0,	  0,	     0,		0,	 20,	     92,
    248,      0,	1016,	  2042,	     4090,	8184,	 16380,	     32764,
    0,	      0,	0,	  524272,    1048550,	2097116, 4194258,    8388568,
    16777194, 33554412, 67108832, 134217694, 268435426, 0,	 1073741820, 0,
};
static const __u16 ahp_huff_count[32] ASPEN_HPACK_TABLE = {
    0, 0, 0, 0, 0, 10, 26, 32, 6,  0, 5,  3,  2,  6, 2, 3,
    0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 4, 0,
};
static const __u16 ahp_huff_base[32] ASPEN_HPACK_TABLE = {
    0, 0, 0, 0,	 0,  0,	  10,  36,  68,	 0,   74,  79,	82,  84, 90,  92,
    0, 0, 0, 95, 98, 106, 119, 145, 174, 186, 190, 205, 224, 0,	 253, 0,
};
static const __u16 ahp_huff_sym[512] ASPEN_HPACK_TABLE = {
    48,	 49,  50,  97,	99,  101, 105, 111, 115, 116, 32,  37,	45,  46,  47,  51,  52,	 53,  54,
    55,	 56,  57,  61,	65,  95,  98,  100, 102, 103, 104, 108, 109, 110, 112, 114, 117, 58,  66,
    67,	 68,  69,  70,	71,  72,  73,  74,  75,	 76,  77,  78,	79,  80,  81,  82,  83,	 84,  85,
    86,	 87,  89,  106, 107, 113, 118, 119, 120, 121, 122, 38,	42,  44,  59,  88,  90,	 33,  34,
    40,	 41,  63,  39,	43,  124, 35,  62,  0,	 36,  64,  91,	93,  126, 94,  125, 60,	 96,  123,
    92,	 195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161, 167, 172, 176, 177, 179, 209,
    216, 217, 227, 229, 230, 129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170, 173,
    178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233, 1,   135, 137, 138, 139, 140, 141,
    143, 147, 149, 150, 151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182, 183, 188, 191,
    197, 231, 239, 9,	142, 144, 145, 148, 159, 171, 206, 215, 225, 236, 237, 199, 207, 234, 235,
    192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243, 255, 203, 204, 211, 212,
    214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 2,   3,	 4,   5,
    6,	 7,   8,   11,	12,  14,  15,  16,  17,	 18,  19,  20,	21,  23,  24,  25,  26,	 27,  28,
    29,	 30,  31,  127, 220, 249, 10,  13,  22,	 256,
};

/* Name lengths of the static table (RFC 7541 Appendix A), index 1..61. */
static const __u8 ahp_static_name_len[64] ASPEN_HPACK_TABLE = {
    0,	10, 7,	7,  5,	5,  7,	7,  7,	7,  7, 7,  7,  7,  7,  14, 15, 15, 13, 6,  27, 3,
    5,	13, 13, 19, 16, 16, 14, 16, 13, 12, 6, 4,  4,  6,  7,  4,  4,  8,  17, 13, 8,  19,
    13, 4,  8,	12, 18, 19, 5,	7,  7,	11, 6, 10, 25, 17, 10, 4,  3,  16, 0,  0,
};

/* ---- names as words (no string in memory) ------------------------------- */
#define AHP_LEN(s) (sizeof(s) - 1)
#define AHP_CH(s, k)                                                                               \
	((k) < AHP_LEN(s) ? (__u64)(__u8)(s)[(k) < AHP_LEN(s) ? AHP_LEN(s) - 1 - (k) : 0] : 0ULL)
#define AHP_W(s, j)                                                                                \
	(AHP_CH(s, 8 * (j)) | AHP_CH(s, 8 * (j) + 1) << 8 | AHP_CH(s, 8 * (j) + 2) << 16 |         \
	 AHP_CH(s, 8 * (j) + 3) << 24 | AHP_CH(s, 8 * (j) + 4) << 32 |                             \
	 AHP_CH(s, 8 * (j) + 5) << 40 | AHP_CH(s, 8 * (j) + 6) << 48 |                             \
	 AHP_CH(s, 8 * (j) + 7) << 56)
#define AHP_N(s, j)                                                                                \
	(AHP_LEN(s) > 8 * (j) ? (AHP_LEN(s) - 8 * (j) > 8 ? 8 : AHP_LEN(s) - 8 * (j)) : 0)
#define AHP_M(s, j) (AHP_N(s, j) == 8 ? ~0ULL : (1ULL << ((8 * AHP_N(s, j)) & 63)) - 1)
/* the last strlen(s) bytes pushed are s */
#define AHP_ENDS(w, s)                                                                             \
	(((w)[0] & AHP_M(s, 0)) == AHP_W(s, 0) && ((w)[1] & AHP_M(s, 1)) == AHP_W(s, 1) &&         \
	 ((w)[2] & AHP_M(s, 2)) == AHP_W(s, 2))
/* exactly s was pushed */
#define AHP_IS(w, len, s) ((len) == AHP_LEN(s) && AHP_ENDS(w, s))

static __always_inline __u8 ahp_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static __always_inline void ahp_push(__u64 *w, __u8 c)
{
	w[2] = (w[2] << 8) | (w[1] >> 56);
	w[1] = (w[1] << 8) | (w[0] >> 56);
	w[0] = (w[0] << 8) | c;
}

static __always_inline void ahp_words_reset(struct aspen_hpack *hp)
{
	hp->w[0] = 0;
	hp->w[1] = 0;
	hp->w[2] = 0;
	hp->tok_len = 0;
	hp->tok_sp = 0;
}

static __always_inline __u8 ahp_name_id(const __u64 *w, __u32 len)
{
	if (AHP_IS(w, len, ":method"))
		return ASPEN_HP_METHOD;
	if (AHP_IS(w, len, ":path"))
		return ASPEN_HP_PATH;
	if (AHP_IS(w, len, ":authority"))
		return ASPEN_HP_AUTHORITY;
	if (AHP_IS(w, len, "host"))
		return ASPEN_HP_HOST;
	if (AHP_IS(w, len, "content-type"))
		return ASPEN_HP_CTYPE;
	if (AHP_IS(w, len, "content-encoding"))
		return ASPEN_HP_CENC;
	if (AHP_IS(w, len, ":status"))
		return ASPEN_HP_STATUS;
	return ASPEN_HP_OTHER;
}

static __always_inline __u8 ahp_static_id(__u32 idx)
{
	if (idx == 1)
		return ASPEN_HP_AUTHORITY;
	if (idx == 2 || idx == 3)
		return ASPEN_HP_METHOD;
	if (idx == 4 || idx == 5)
		return ASPEN_HP_PATH;
	if (idx == 26)
		return ASPEN_HP_CENC;
	if (idx == 31)
		return ASPEN_HP_CTYPE;
	if (idx == 38)
		return ASPEN_HP_HOST;
	if (idx >= 8 && idx <= 14)
		return ASPEN_HP_STATUS;
	return ASPEN_HP_OTHER;
}

static __always_inline int ahp_keeps_value(__u8 id)
{
	return id == ASPEN_HP_METHOD || id == ASPEN_HP_PATH || id == ASPEN_HP_AUTHORITY ||
	       id == ASPEN_HP_HOST || id == ASPEN_HP_STATUS;
}

/* ---- values --------------------------------------------------------------- */

static __always_inline void ahp_value_start(struct aspen_hpack *hp)
{
	__builtin_memset(hp->val, 0, ASPEN_HPACK_VAL_LEN);
	hp->vlen = 0;
	hp->vflags = 0;
	hp->colon = 0;
	ahp_words_reset(hp);
}

/* A content-encoding token ended: anything but identity is compressed. */
static __always_inline void ahp_cenc_token_end(struct aspen_hpack *hp)
{
	if (hp->tok_len && !AHP_IS(hp->w, hp->tok_len, "identity"))
		hp->vflags |= ASPEN_HP_V_COMPRESSED;
	ahp_words_reset(hp);
}

static __always_inline void ahp_ctype_end(struct aspen_hpack *hp)
{
	if (AHP_IS(hp->w, hp->tok_len, "application/json") ||
	    (hp->tok_len > AHP_LEN("+json") && hp->tok_len < 0xff && AHP_ENDS(hp->w, "+json")))
		hp->vflags |= ASPEN_HP_V_JSON;
	else if (AHP_IS(hp->w, hp->tok_len, "text/event-stream"))
		hp->vflags |= ASPEN_HP_V_SSE;
	hp->tok_sp = 1;
}

/* One decoded byte of a value. */
static __always_inline void ahp_value_byte(struct aspen_hpack *hp, __u8 c)
{
	__u32 i = hp->vlen;

	hp->vlen = i + 1;
	switch (hp->name_id) {
	case ASPEN_HP_AUTHORITY:
	case ASPEN_HP_HOST:
		c = ahp_lower(c);
		if (c == ':')
			hp->colon = i < ASPEN_HPACK_VAL_LEN - 1 ? i + 1 : 0;
		else if (c < '0' || c > '9')
			hp->colon = 0;
		/* fall through */
	case ASPEN_HP_METHOD:
	case ASPEN_HP_PATH:
	case ASPEN_HP_STATUS:
		if (i < ASPEN_HPACK_VAL_LEN - 1)
			hp->val[i & (ASPEN_HPACK_VAL_LEN - 1)] = c;
		else
			hp->vflags |= ASPEN_HP_V_TRUNC;
		return;
	case ASPEN_HP_CENC:
		if (c == ',') {
			ahp_cenc_token_end(hp);
		} else if (c == ' ' || c == '\t') {
			if (hp->tok_len)
				hp->tok_sp = 1;
		} else {
			if (hp->tok_sp)
				hp->tok_len = 0xff; /* "gz ip": matches nothing */
			else if (hp->tok_len < 0xff)
				hp->tok_len++;
			ahp_push(hp->w, ahp_lower(c));
		}
		return;
	case ASPEN_HP_CTYPE:
		if (hp->tok_sp)
			return; /* parameters */
		if (c == ';' || c == ' ' || c == '\t') {
			if (c == ';' || hp->tok_len)
				ahp_ctype_end(hp);
			return;
		}
		if (hp->tok_len < 0xff)
			hp->tok_len++;
		ahp_push(hp->w, ahp_lower(c));
		return;
	default: return;
	}
}

/* The value is complete. */
static __always_inline void ahp_value_end(struct aspen_hpack *hp)
{
	__u32 e;

	if (hp->name_id == ASPEN_HP_CENC) {
		ahp_cenc_token_end(hp);
	} else if (hp->name_id == ASPEN_HP_CTYPE) {
		if (!hp->tok_sp)
			ahp_ctype_end(hp);
	} else if ((hp->name_id == ASPEN_HP_AUTHORITY || hp->name_id == ASPEN_HP_HOST) &&
		   !(hp->vflags & ASPEN_HP_V_TRUNC)) {
		e = hp->vlen;
		if (hp->colon) {
			e = hp->colon - 1;
			hp->val[e & (ASPEN_HPACK_VAL_LEN - 1)] = 0;
		}
		if (e && e < ASPEN_HPACK_VAL_LEN &&
		    hp->val[(e - 1) & (ASPEN_HPACK_VAL_LEN - 1)] == '.')
			hp->val[(e - 1) & (ASPEN_HPACK_VAL_LEN - 1)] = 0;
	}
}

/* ---- fields into the head -------------------------------------------------- */

/* A field (name id, value in src) goes into the head being decoded. */
static __always_inline void ahp_emit(struct aspen_h2_head *h, __u8 id, const char *src, __u32 vlen,
				     __u8 vflags)
{
	__u32 trunc = (vflags & ASPEN_HP_V_TRUNC) ? ASPEN_H2_H_TRUNCATED : 0;

	switch (id) {
	case ASPEN_HP_METHOD:
		if (h->flags & ASPEN_H2_H_METHOD)
			h->flags |= ASPEN_H2_H_DUP;
		__builtin_memcpy(h->method, src, ASPEN_METHOD_LEN);
		if (vlen >= ASPEN_METHOD_LEN) {
			h->method[ASPEN_METHOD_LEN - 1] = 0;
			trunc = ASPEN_H2_H_TRUNCATED;
		}
		h->flags |= ASPEN_H2_H_METHOD | trunc;
		return;
	case ASPEN_HP_PATH:
		if (h->flags & ASPEN_H2_H_PATH)
			h->flags |= ASPEN_H2_H_DUP;
		__builtin_memcpy(h->path, src, ASPEN_PATH_LEN);
		h->flags |= ASPEN_H2_H_PATH | trunc;
		return;
	case ASPEN_HP_AUTHORITY:
		if ((h->flags & (ASPEN_H2_H_AUTHORITY | ASPEN_H2_H_FROM_HOST)) ==
		    ASPEN_H2_H_AUTHORITY)
			h->flags |= ASPEN_H2_H_DUP;
		__builtin_memcpy(h->authority, src, ASPEN_HOST_LEN);
		h->flags = (h->flags & ~ASPEN_H2_H_FROM_HOST) | ASPEN_H2_H_AUTHORITY | trunc;
		return;
	case ASPEN_HP_HOST:
		/* :authority wins over host (RFC 9113 8.3.1) */
		if (h->flags & ASPEN_H2_H_AUTHORITY)
			return;
		__builtin_memcpy(h->authority, src, ASPEN_HOST_LEN);
		h->flags |= ASPEN_H2_H_AUTHORITY | ASPEN_H2_H_FROM_HOST | trunc;
		return;
	case ASPEN_HP_CTYPE:
		h->flags = (h->flags & ~(ASPEN_H2_H_JSON | ASPEN_H2_H_SSE)) | ASPEN_H2_H_CTYPE;
		if (vflags & ASPEN_HP_V_JSON)
			h->flags |= ASPEN_H2_H_JSON;
		if (vflags & ASPEN_HP_V_SSE)
			h->flags |= ASPEN_H2_H_SSE;
		return;
	case ASPEN_HP_CENC:
		if (vflags & ASPEN_HP_V_COMPRESSED)
			h->flags |= ASPEN_H2_H_COMPRESSED;
		return;
	case ASPEN_HP_STATUS:
		if (h->flags & ASPEN_H2_H_STATUS)
			h->flags |= ASPEN_H2_H_DUP;
		h->flags |= ASPEN_H2_H_STATUS;
		h->status = 0;
		if (vlen == 3 && src[0] >= '1' && src[0] <= '5' && src[1] >= '0' && src[1] <= '9' &&
		    src[2] >= '0' && src[2] <= '9')
			h->status = (__u32)(src[0] - '0') * 100 + (__u32)(src[1] - '0') * 10 +
				    (__u32)(src[2] - '0');
		return;
	default: return;
	}
}

/* ---- the dynamic table ----------------------------------------------------- */

static __always_inline void ahp_insert(struct aspen_hpack *hp)
{
	struct aspen_hpack_slot *s;
	__u64 size = (__u64)hp->name_len + hp->vlen + 32;

	if (size > hp->max) {
		hp->floor = hp->total; /* RFC 7541 4.4: the table is emptied */
		return;
	}
	hp->total += size;
	if (hp->total > hp->max && hp->total - hp->max > hp->floor)
		hp->floor = hp->total - hp->max;
	s = &hp->dyn[hp->count & (ASPEN_HPACK_SLOTS - 1)];
	s->end = hp->total;
	s->size = (__u32)size;
	s->vlen = hp->vlen;
	s->name_len = hp->name_len;
	s->name_id = hp->name_id;
	s->vflags = hp->vflags;
	if (ahp_keeps_value(hp->name_id)) {
		s->vseq = hp->vcount;
		__builtin_memcpy(hp->vals[AHP_MASK(hp->vcount, ASPEN_HPACK_VALS - 1)], hp->val,
				 ASPEN_HPACK_VAL_LEN);
		hp->vcount++;
	}
	hp->count++;
}

static __always_inline void ahp_size_update(struct aspen_hpack *hp, __u32 max)
{
	hp->max = max;
	if (hp->total > max && hp->total - max > hp->floor)
		hp->floor = hp->total - max;
}

/* Dynamic entry idx (62 = newest): its slot, or NULL with *err set. */
static __always_inline struct aspen_hpack_slot *ahp_dyn(struct aspen_hpack *hp, __u32 idx, int *err)
{
	struct aspen_hpack_slot *s;
	__u32 k = idx - (ASPEN_HPACK_STATIC + 1);

	if (k >= hp->count) {
		*err = ASPEN_H2_ERR_HPACK;
		return 0;
	}
	s = &hp->dyn[(hp->count - 1 - k) & (ASPEN_HPACK_SLOTS - 1)];
	if (k >= ASPEN_HPACK_SLOTS) {
		/* older than we keep: evicted (the server errs too) or lost to us */
		*err = (hp->dyn[hp->count & (ASPEN_HPACK_SLOTS - 1)].end -
			hp->dyn[hp->count & (ASPEN_HPACK_SLOTS - 1)].size) >= hp->floor
			   ? ASPEN_H2_ERR_LOST
			   : ASPEN_H2_ERR_HPACK;
		return 0;
	}
	if (s->end - s->size < hp->floor) {
		*err = ASPEN_H2_ERR_HPACK; /* evicted */
		return 0;
	}
	return s;
}

/* The static value of entry idx into hp->val (value_start done). */
static __always_inline void ahp_static_value(struct aspen_hpack *hp, __u32 idx)
{
	if (idx == 2 || idx == 3) {
		hp->val[0] = idx == 2 ? 'G' : 'P';
		hp->val[1] = idx == 2 ? 'E' : 'O';
		hp->val[2] = idx == 2 ? 'T' : 'S';
		hp->val[3] = idx == 2 ? 0 : 'T';
		hp->vlen = idx == 2 ? 3 : 4;
	} else if (idx == 4) {
		hp->val[0] = '/';
		hp->vlen = 1;
	} else if (idx == 5) {
		/* "/index.html" */
		hp->val[0] = '/';
		hp->val[1] = 'i';
		hp->val[2] = 'n';
		hp->val[3] = 'd';
		hp->val[4] = 'e';
		hp->val[5] = 'x';
		hp->val[6] = '.';
		hp->val[7] = 'h';
		hp->val[8] = 't';
		hp->val[9] = 'm';
		hp->val[10] = 'l';
		hp->vlen = 11;
	} else if (idx >= 8 && idx <= 14) {
		/* :status 200 204 206 304 400 404 500 */
		hp->val[0] = idx <= 10 ? '2' : idx == 11 ? '3' : idx <= 13 ? '4' : '5';
		hp->val[1] = '0';
		hp->val[2] = (idx == 9 || idx == 11 || idx == 13) ? '4' : idx == 10 ? '6' : '0';
		hp->vlen = 3;
	}
}

/* ---- representations ---------------------------------------------------- */

static __always_inline int ahp_field_done(struct aspen_hpack *hp, struct aspen_h2_head *h)
{
	ahp_value_end(hp);
	ahp_emit(h, hp->name_id, hp->val, hp->vlen, hp->vflags);
	if (hp->kind == AHP_K_INC)
		ahp_insert(hp);
	hp->state = AHP_S_FIRST;
	return 0;
}

static __always_inline void ahp_string_start(struct aspen_hpack *hp, int in_value)
{
	hp->in_value = in_value;
	hp->state = AHP_S_SLEN;
	if (in_value) {
		ahp_value_start(hp);
	} else {
		ahp_words_reset(hp);
		hp->name_len = 0;
	}
}

/* A string is complete. */
static __always_inline int ahp_string_done(struct aspen_hpack *hp, struct aspen_h2_head *h)
{
	if (hp->huff) {
		/* padding: at most 7 bits, the EOS code's most significant (all 1) */
		if (hp->hlen > 7 || hp->hcode != (1U << hp->hlen) - 1)
			return ASPEN_H2_ERR_HPACK;
	}
	if (hp->in_value)
		return ahp_field_done(hp, h);
	hp->name_id = ahp_name_id(hp->w, hp->name_len);
	ahp_string_start(hp, 1);
	return 0;
}

static __always_inline int ahp_strlen_done(struct aspen_hpack *hp, struct aspen_h2_head *h, __u32 n)
{
	hp->slen = n;
	hp->hcode = 0;
	hp->hlen = 0;
	if (!n)
		return ahp_string_done(hp, h);
	hp->state = AHP_S_STR;
	return 0;
}

/* The representation's integer is complete. */
static __always_inline int ahp_rep_int_done(struct aspen_hpack *hp, struct aspen_h2_head *h,
					    __u32 v)
{
	struct aspen_hpack_slot *s;
	int err = 0;

	if (hp->kind == AHP_K_SIZE) {
		if (v > ASPEN_HPACK_MAX_TABLE)
			return ASPEN_H2_ERR_HPACK;
		ahp_size_update(hp, v);
		hp->state = AHP_S_FIRST;
		return 0;
	}
	if (hp->kind != AHP_K_INDEXED && v == 0) {
		ahp_string_start(hp, 0); /* literal name */
		return 0;
	}
	if (v == 0)
		return ASPEN_H2_ERR_HPACK;
	if (v <= ASPEN_HPACK_STATIC) {
		hp->name_id = ahp_static_id(v);
		hp->name_len = ahp_static_name_len[AHP_MASK(v, 63)];
		if (hp->kind != AHP_K_INDEXED) {
			ahp_string_start(hp, 1);
			return 0;
		}
		ahp_value_start(hp);
		ahp_static_value(hp, v);
		hp->state = AHP_S_FIRST;
		ahp_emit(h, hp->name_id, hp->val, hp->vlen, 0);
		return 0;
	}
	s = ahp_dyn(hp, v, &err);
	if (!s)
		return err;
	hp->name_id = s->name_id;
	hp->name_len = s->name_len;
	if (hp->kind != AHP_K_INDEXED) {
		ahp_string_start(hp, 1);
		return 0;
	}
	if (ahp_keeps_value(s->name_id) && hp->vcount - s->vseq > ASPEN_HPACK_VALS)
		return ASPEN_H2_ERR_LOST; /* in the table, its value no longer kept */
	hp->state = AHP_S_FIRST;
	ahp_emit(h, s->name_id, hp->vals[AHP_MASK(s->vseq, ASPEN_HPACK_VALS - 1)], s->vlen, s->vflags);
	return 0;
}

/* One decoded byte of the string. */
static __always_inline void ahp_string_byte(struct aspen_hpack *hp, __u8 c)
{
	if (hp->in_value) {
		ahp_value_byte(hp, c);
	} else {
		hp->name_len++;
		ahp_push(hp->w, ahp_lower(c));
	}
}

/* One bit of a Huffman string: a symbol (0..256) when one completed, else -1. */
static __always_inline int ahp_huff_bit(struct aspen_hpack *hp, __u32 bit)
{
	__u32 len = AHP_MASK(hp->hlen + 1, 31), d, k;

	hp->hcode = (hp->hcode << 1) | bit;
	hp->hlen = len;
	d = hp->hcode - ahp_huff_first[len];
	if (d >= ahp_huff_count[len])
		return -1;
	k = ahp_huff_base[len] + d;
	hp->hcode = 0;
	hp->hlen = 0;
	if (k >= 257)
		return 256;
	return ahp_huff_sym[AHP_MASK(k, 511)];
}

/* Bit b of a Huffman string byte: a completed symbol goes to *s0, or to *s1
 * when *s0 has one (at most two end in a byte: codes are >= 5 bits). */
static __always_inline void ahp_huff_take(struct aspen_hpack *hp, __u32 bit, int *s0, int *s1)
{
	int s = ahp_huff_bit(hp, bit);

	if (s >= 0) {
		if (*s0 < 0)
			*s0 = s;
		else
			*s1 = s;
	}
}

/* One byte of a Huffman-coded string (8 steps written out: no loop). */
static __always_inline int ahp_huff_byte(struct aspen_hpack *hp, __u8 c)
{
	int s0 = -1, s1 = -1;

	ahp_huff_take(hp, (c >> 7) & 1, &s0, &s1);
	ahp_huff_take(hp, (c >> 6) & 1, &s0, &s1);
	ahp_huff_take(hp, (c >> 5) & 1, &s0, &s1);
	ahp_huff_take(hp, (c >> 4) & 1, &s0, &s1);
	ahp_huff_take(hp, (c >> 3) & 1, &s0, &s1);
	ahp_huff_take(hp, (c >> 2) & 1, &s0, &s1);
	ahp_huff_take(hp, (c >> 1) & 1, &s0, &s1);
	ahp_huff_take(hp, c & 1, &s0, &s1);
	if (s0 == 256 || s1 == 256)
		return ASPEN_H2_ERR_HPACK; /* EOS inside a string (RFC 7541 5.2) */
	if (s0 >= 0)
		ahp_string_byte(hp, (__u8)s0);
	if (s1 >= 0)
		ahp_string_byte(hp, (__u8)s1);
	return 0;
}

/* Continuation byte of an integer: 1 when it ended, 0 more, <0 error. */
static __always_inline int ahp_int_byte(struct aspen_hpack *hp, __u8 c)
{
	if (hp->ishift > 21)
		return -ASPEN_H2_ERR_HPACK; /* over 2^28 */
	hp->ival += (__u32)(c & 0x7f) << hp->ishift;
	hp->ishift += 7;
	return (c & 0x80) ? 0 : 1;
}

static __always_inline void ahp_block_start(struct aspen_hpack *hp)
{
	hp->fields = 0;
	hp->state = AHP_S_FIRST;
}

/* The block may end here (no representation half-done). */
static __always_inline int ahp_block_can_end(const struct aspen_hpack *hp)
{
	return hp->state == AHP_S_FIRST;
}

/*
 * One byte of a header block. 0, or an enum aspen_h2_err (after which the
 * decoder's state is unknown: the connection can no longer be decoded).
 */
static __always_inline int aspen_hpack_byte(struct aspen_hpack *hp, struct aspen_h2_head *h, __u8 c)
{
	__u32 v;
	int r;

	switch (hp->state) {
	case AHP_S_FIRST:
		if (c & 0x80) {
			hp->kind = AHP_K_INDEXED;
			v = c & 0x7f;
			hp->ival = 0x7f;
		} else if (c & 0x40) {
			hp->kind = AHP_K_INC;
			v = c & 0x3f;
			hp->ival = 0x3f;
		} else if (c & 0x20) {
			if (hp->fields)
				return ASPEN_H2_ERR_HPACK; /* size update after a field */
			hp->kind = AHP_K_SIZE;
			v = c & 0x1f;
			hp->ival = 0x1f;
		} else {
			hp->kind = AHP_K_NOIDX;
			v = c & 0x0f;
			hp->ival = 0x0f;
		}
		if (hp->kind != AHP_K_SIZE)
			hp->fields = 1;
		if (v == hp->ival) {
			hp->ishift = 0;
			hp->state = AHP_S_INT;
			return 0;
		}
		return ahp_rep_int_done(hp, h, v);
	case AHP_S_INT:
		r = ahp_int_byte(hp, c);
		if (r < 0)
			return -r;
		return r ? ahp_rep_int_done(hp, h, hp->ival) : 0;
	case AHP_S_SLEN:
		hp->huff = c >> 7;
		v = c & 0x7f;
		if (v == 0x7f) {
			hp->ival = 0x7f;
			hp->ishift = 0;
			hp->state = AHP_S_SLENC;
			return 0;
		}
		return ahp_strlen_done(hp, h, v);
	case AHP_S_SLENC:
		r = ahp_int_byte(hp, c);
		if (r < 0)
			return -r;
		return r ? ahp_strlen_done(hp, h, hp->ival) : 0;
	case AHP_S_STR:
		if (hp->huff) {
			r = ahp_huff_byte(hp, c);
			if (r)
				return r;
		} else {
			ahp_string_byte(hp, c);
		}
		if (--hp->slen == 0)
			return ahp_string_done(hp, h);
		return 0;
	default: return ASPEN_H2_ERR_HPACK;
	}
}

/* The table size the peer's SETTINGS_HEADER_TABLE_SIZE allows, applied as
 * a size update would (RFC 7541 4.2): for a decoder whose peer's SETTINGS
 * are seen (responses; the RFC's Appendix C.5/C.6 examples). */
static __always_inline void aspen_hpack_set_max(struct aspen_hpack *hp, __u32 max)
{
	ahp_size_update(hp, max);
}

/* A new connection's decoder (the state may be a zeroed map value). */
static __always_inline void aspen_hpack_init(struct aspen_hpack *hp)
{
	hp->total = 0;
	hp->floor = 0;
	hp->count = 0;
	hp->max = ASPEN_HPACK_DEFAULT_TABLE;
	hp->state = AHP_S_FIRST;
	hp->fields = 0;
}

#endif
