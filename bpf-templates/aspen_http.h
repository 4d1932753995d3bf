/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Incremental HTTP/1.1 request and response parser, fed one byte at a time.
 *
 * Compiles as eBPF C (included after aspen_prelude.bpf.h) and as host C
 * (after <linux/types.h>; tests/unit/test_http.c). Built for the verifier:
 * no loops (but tiny unrolled ones), no recursion, no tables in memory,
 * every store into a field buffer indexed `i & (LEN - 1)` after `i < LEN - 1`,
 * no division, no multiplication (shifts and adds).
 *
 * Usage. Per (tgid, SSL*) keep a zeroed `struct aspen_http_req_state` and a
 * `struct aspen_req` (content_length may be preset to ~0; conn is never
 * touched) and call aspen_http_req_byte() for every plaintext byte in order,
 * across as many writes as it takes. Return codes:
 *
 *   ASPEN_HTTP_MORE      (0)  nothing new
 *   ASPEN_HTTP_HEAD      (1)  the head just completed (r->flags HEAD_DONE)
 *   ASPEN_HTTP_DECIDABLE (2)  every field a rule reads is known now: the
 *                             top-level JSON object closed; or, at head end,
 *                             Expect: 100-continue or an unreadable
 *                             (compressed) body. At most once at head end and
 *                             once in the body (Expect: both).
 *   ASPEN_HTTP_DONE      (3)  the message is complete (body included); the
 *                             next byte starts a new request on the
 *                             keep-alive connection. The caller resets state
 *                             and *r (but r->conn): aspen_http_req_reset().
 *                             DONE implies the fields are final, and may come
 *                             without a DECIDABLE before it (no body, or the
 *                             body ended on the byte that closed the object).
 *   ASPEN_HTTP_ERROR    (-1)  r->unparsed says why (NOT_HTTP1, MALFORMED);
 *                             sticky: every later byte returns ERROR again
 *                             until reset. The framing is lost.
 *
 * A byte fed in the DONE state resets and starts the next request itself.
 *
 * Content-Encoding other than identity (or a transfer coding besides
 * chunked) sets r->unparsed = COMPRESSED without an ERROR: the framing is
 * still followed so that DONE is found, the JSON scan is off.
 *
 * JSON: the body is scanned for the top-level keys "model" (string),
 * "stream" (true), "user" (string) and "metadata": {"user_id": string}.
 * A key spelled with escapes is decoded before it is compared; string
 * values are decoded (\" \\ \/ \b \f \n \r \t, \uXXXX as UTF-8; a surrogate
 * pair, \uD83D\uDE00, as the one character it names, in 4 bytes, as JSON
 * parsers read it; a high half not followed at once by a low one is
 * dropped, a lone low half encoded on its own). A duplicate key: the last one wins,
 * as in the JSON parsers that servers use. Values longer than the buffer
 * are cut and ASPEN_REQ_TRUNCATED set. A body that is a JSON array or a
 * string has no field, but its strings are decoded as an object's are
 * (escapes cannot hide a pattern's match there either; until session 42
 * such a body was read raw). Any other body (multipart, form, a number)
 * is not scanned: no field, no error.
 *
 * Responses: aspen_http_resp_byte() (MORE, HEAD, DONE, ERROR): status line
 * -> r->status, Content-Length / chunked framing, and the body scanned
 * anywhere (plain JSON or SSE `data:` lines) for "prompt_tokens",
 * "input_tokens" (-> tokens_in), "completion_tokens", "output_tokens"
 * (-> tokens_out) followed by `:` and digits; the last value seen wins
 * (Anthropic streams repeat the running total). r->bytes counts every byte
 * fed since the response began: head, chunk framing and body (an interim
 * 1xx head is not counted; HTTP/2 feeds only DATA payload).
 * 1xx interim responses are skipped (101 ends parsing: ERROR, UPGRADED).
 * A status outside 100..599 is malformed (ERROR): no response line.
 *
 * aspen_http_req_skip() / aspen_http_resp_skip(): account for bytes the
 * caller could not copy (inside a body only); see below.
 *
 * Limits (by design, documented):
 * - Host: lower-cased, ":port" and a trailing dot dropped, first 127 bytes;
 *   a second Host header, a second Content-Length, Transfer-Encoding with
 *   Content-Length, obs-fold, bare CR, control bytes, a line over
 *   ASPEN_HTTP_MAX_LINE or more than ASPEN_HTTP_MAX_HEADERS headers: MALFORMED.
 * - The request target is kept whole (query included), cut at 127 bytes
 *   (TRUNCATED); an absolute-form target ("POST https://host/...") is kept
 *   as is, the host is still taken from the Host header only.
 * - "stream": only the literal true sets STREAM ("stream": "true" does not).
 * - Non-JSON bodies (multipart audio uploads, forms) yield no field.
 * - Responses: no body for 204/304; a response to HEAD is not known to have
 *   none (AI APIs do not use HEAD); without Content-Length or chunked the
 *   body runs to the connection's end (no DONE). Compressed bodies
 *   (Content-Encoding: gzip, common for non-streaming OpenAI answers to
 *   clients sending Accept-Encoding: gzip) give no token counts.
 */
#ifndef ASPEN_HTTP_H
#define ASPEN_HTTP_H

#include "aspen_shared.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

#define ASPEN_HTTP_MORE 0
#define ASPEN_HTTP_HEAD 1
#define ASPEN_HTTP_DECIDABLE 2
#define ASPEN_HTTP_DONE 3
#define ASPEN_HTTP_ERROR (-1)

/* HTTP/2 streams (aspen_h2.bpf.h): body bytes parsed before an undecided
 * stream is decided as scan_bound. HTTP/1.1 uses aspend --body-bound. */
#ifndef ASPEN_HTTP_SCAN_BOUND
#define ASPEN_HTTP_SCAN_BOUND 65536
#endif
#define ASPEN_HTTP_MAX_LINE 16384     /* bytes of one head line (and chunk line) */
#define ASPEN_HTTP_MAX_HEADERS 256    /* header lines in a head (and trailer)  */
#define ASPEN_HTTP_MAX_NUM (1ULL << 40) /* Content-Length / chunk size cap     */

#if ASPEN_MODEL_LEN != ASPEN_USER_LEN
#error "the JSON scanner writes model and user through one pointer: same length"
#endif

/* struct aspen_resp.flags */
enum aspen_resp_flags {
	ASPEN_RESP_HEAD_DONE = 1 << 0,
	ASPEN_RESP_BODY_DONE = 1 << 1,
	ASPEN_RESP_CHUNKED = 1 << 2,
	ASPEN_RESP_SSE = 1 << 3,        /* Content-Type: text/event-stream          */
	ASPEN_RESP_COMPRESSED = 1 << 4, /* Content-Encoding: usage cannot be read   */
	ASPEN_RESP_HAS_USAGE = 1 << 5,  /* a token count was read                   */
	ASPEN_RESP_MALFORMED = 1 << 6,  /* ERROR: bad status line, header, framing  */
	ASPEN_RESP_UPGRADED = 1 << 7,   /* 101 Switching Protocols: no more HTTP    */
};

/* ---- compile-time strings as 3 x 64-bit words -------------------------- */
/*
 * The parser keeps the last 24 bytes it pushed in three words (newest byte
 * lowest) and compares them with constants built here from string literals,
 * so no string ever lives in memory. AH_MATCH(w, s) holds when the last
 * strlen(s) bytes pushed are s (s at most 24 bytes).
 */
#define AH_LEN(s) (sizeof(s) - 1)
#define AH_CH(s, k) ((k) < AH_LEN(s) ? (__u64)(__u8)(s)[(k) < AH_LEN(s) ? AH_LEN(s) - 1 - (k) : 0] : 0ULL)
#define AH_W(s, j)                                                                   \
	(AH_CH(s, 8 * (j)) | AH_CH(s, 8 * (j) + 1) << 8 | AH_CH(s, 8 * (j) + 2) << 16 |    \
	 AH_CH(s, 8 * (j) + 3) << 24 | AH_CH(s, 8 * (j) + 4) << 32 | AH_CH(s, 8 * (j) + 5) << 40 | \
	 AH_CH(s, 8 * (j) + 6) << 48 | AH_CH(s, 8 * (j) + 7) << 56)
#define AH_N(s, j) (AH_LEN(s) > 8 * (j) ? (AH_LEN(s) - 8 * (j) > 8 ? 8 : AH_LEN(s) - 8 * (j)) : 0)
#define AH_M(s, j) (AH_N(s, j) == 8 ? ~0ULL : (1ULL << ((8 * AH_N(s, j)) & 63)) - 1)
#define AH_MATCH(w, s)                                                               \
	(((w)[0] & AH_M(s, 0)) == AH_W(s, 0) && ((w)[1] & AH_M(s, 1)) == AH_W(s, 1) &&      \
	 ((w)[2] & AH_M(s, 2)) == AH_W(s, 2))
/* the token pushed since the last reset is exactly s */
#define AH_IS(w, len, s) ((len) == AH_LEN(s) && AH_MATCH(w, s))

/* Append to a field buffer of LEN (a power of two) bytes, NUL kept last. */
#define AH_PUT(buf, LEN, idx, c, flags, trunc)                                       \
	do {                                                                         \
		if ((idx) < (LEN) - 1) {                                             \
			(buf)[(idx) & ((LEN) - 1)] = (c);                            \
			(idx)++;                                                     \
		} else {                                                             \
			(flags) |= (trunc);                                          \
		}                                                                    \
	} while (0)

/* ---- state ------------------------------------------------------------- */

struct aspen_http_req_state {
	__u64 win[3];     /* last 24 bytes pushed (names, tokens, JSON keys) */
	__u64 num;        /* Content-Length / chunk size being read          */
	__u64 chunk_left; /* data bytes left in the current chunk            */
	__u32 depth;      /* JSON nesting depth                              */
	__u32 line_len;   /* bytes of the current head / chunk line          */
	__u16 nlines;     /* header (and trailer) lines so far               */
	__u16 tok_len;    /* bytes pushed since the last reset (saturates)   */
	__u16 out_len;    /* bytes in the field being written                */
	__u16 hflags;     /* AH_HF_*                                         */
	__u16 ucode;      /* \uXXXX being read                               */
	__u16 usur;       /* a high surrogate read, its low half expected next */
	__u8 state;       /* AH_RQ_*                                         */
	__u8 cstate;      /* AH_C_* (chunked framing)                        */
	__u8 hdr;         /* AH_H_*: header whose value is being read        */
	__u8 jstate;      /* AH_J_*                                          */
	__u8 jkey;        /* AH_K_*: key whose value comes next              */
	__u8 jflags;      /* AH_JF_*                                         */
	__u8 uesc;        /* hex digits of \uXXXX still expected             */
	__u8 events;      /* AH_EV_*: DECIDABLE already returned             */
	__u8 dec_n;       /* body text this byte stands for: AH_DEC_RAW (the  */
	__u32 dec;        /* byte itself), or 0..4 decoded bytes in dec: JSON  */
			  /* escapes inside strings (\u0031 -> "1")           */
};

struct aspen_http_resp_state {
	__u64 win[3];
	__u64 num;
	__u64 chunk_left;
	__u64 body_left;  /* Content-Length bytes still to come            */
	__u64 tnum;       /* token count being read                        */
	__u32 line_len;
	__u16 nlines;
	__u16 tok_len;
	__u16 hflags;
	__u8 state;       /* AH_RS_*                                        */
	__u8 cstate;
	__u8 hdr;
	__u8 tphase;      /* 0, 1: after key, 2: after ':', 3: in digits    */
	__u8 twhich;      /* 1: tokens_in, 2: tokens_out                    */
	__u8 _pad;
};

#define AH_DEC_RAW 0xff
_Static_assert(sizeof(struct aspen_http_req_state) <= 80, "request parser state grew");
_Static_assert(sizeof(struct aspen_http_resp_state) <= 80, "response parser state grew");

enum {  /* request states */
	AH_RQ_START = 0, AH_RQ_METHOD, AH_RQ_TARGET, AH_RQ_VERSION, AH_RQ_RL_LF,
	AH_RQ_LINE, AH_RQ_NAME, AH_RQ_VALUE, AH_RQ_LINE_LF, AH_RQ_END_LF,
	AH_RQ_BODY, AH_RQ_CHUNKED, AH_RQ_DONE, AH_RQ_ERROR,
};

enum {  /* response states */
	AH_RS_START = 0, AH_RS_VERSION, AH_RS_STATUS, AH_RS_REASON, AH_RS_RL_LF,
	AH_RS_LINE, AH_RS_NAME, AH_RS_VALUE, AH_RS_LINE_LF, AH_RS_END_LF,
	AH_RS_BODY, AH_RS_CHUNKED, AH_RS_EOF, AH_RS_DONE, AH_RS_ERROR,
};

enum {  /* chunked framing */
	AH_C_SIZE0 = 0, AH_C_SIZE, AH_C_EXT, AH_C_SIZE_LF, AH_C_DATA, AH_C_DATA_CR,
	AH_C_DATA_LF, AH_C_TRAILER0, AH_C_TRAILER, AH_C_TRAILER_LF, AH_C_END_LF,
};
enum { AH_CH_MORE = 0, AH_CH_DATA, AH_CH_DONE, AH_CH_ERR };

enum {  /* headers */
	AH_H_OTHER = 0, AH_H_HOST, AH_H_CL, AH_H_TE, AH_H_CE, AH_H_EXPECT, AH_H_CT,
	AH_H_UPGRADE, AH_H_CONNECTION,
};

enum {  /* hflags */
	AH_HF_SEEN_CL = 1 << 0,
	AH_HF_SEEN_HOST = 1 << 1,
	AH_HF_TE = 1 << 2,          /* Transfer-Encoding present              */
	AH_HF_TE_CHUNKED = 1 << 3,  /* ... and its last coding is chunked     */
	AH_HF_TE_OTHER = 1 << 4,    /* ... and it has another coding          */
	AH_HF_CE = 1 << 5,          /* Content-Encoding not identity          */
	AH_HF_TOKSP = 1 << 6,       /* blank after the current token          */
	AH_HF_DIGITS = 1 << 7,      /* Content-Length: a digit seen           */
	AH_HF_HOST_END = 1 << 8,    /* Host: port reached, copy no more       */
	AH_HF_BRACKET = 1 << 9,     /* Host: inside [IPv6]                    */
	AH_HF_SSE = 1 << 10,
	AH_HF_UPG_WS = 1 << 11,     /* Upgrade: websocket                     */
	AH_HF_CONN_UPG = 1 << 12,   /* Connection: ..., upgrade               */
	AH_HF_VALUE = AH_HF_TOKSP | AH_HF_DIGITS | AH_HF_HOST_END | AH_HF_BRACKET,
};

enum { AH_J_START = 0, AH_J_KEY, AH_J_COLON, AH_J_VALUE, AH_J_LIT, AH_J_AFTER, AH_J_NEST, AH_J_OFF };
/* AH_K_TOP: the body is a JSON array or string, not an object: no key is
 * read, its strings are decoded for the patterns; the array's own level is
 * depth 2, so that no level of it is tracked. */
enum {
	AH_K_OTHER = 0,
	AH_K_MODEL,
	AH_K_STREAM,
	AH_K_USER,
	AH_K_META,
	AH_K_USERID,
	AH_K_SESS,
	AH_K_TOP
};
enum {
	AH_JF_STR = 1 << 0,  /* inside a string                       */
	AH_JF_ESC = 1 << 1,  /* after a backslash                     */
	AH_JF_META = 1 << 2, /* depth 2 is the "metadata" object      */
	AH_JF_KEY = 1 << 3,  /* the string is a tracked key: push it  */
	AH_JF_VAL = 1 << 4,  /* the string is model/user: copy it     */
	AH_JF_CLOSED = 1 << 5, /* the top-level object closed         */
	AH_JF_SESS = 1 << 6, /* depth 2 is the "session" object (WebSocket) */
	AH_JF_WS = 1 << 7,   /* a WebSocket message: "session": {"model"} too */
};
#define AH_JF_SUB (AH_JF_META | AH_JF_SESS) /* depth 2 is a tracked object */
enum { AH_EV_HEAD = 1 << 0, AH_EV_BODY = 1 << 1 };

/* ---- small helpers ----------------------------------------------------- */

static __always_inline __u8 aspen_http_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* RFC 9110 tchar, as two 64-bit masks over 0x00..0x7f */
#define AH_TCHAR_LO 0x03ff6cfa00000000ULL /* ! # $ % & ' * + - . 0-9 */
#define AH_TCHAR_HI 0x57ffffffc7fffffeULL /* A-Z ^ _ ` a-z | ~ */
static __always_inline int aspen_http_tchar(__u8 c)
{
	if (c < 64)
		return (AH_TCHAR_LO >> c) & 1;
	if (c < 128)
		return (AH_TCHAR_HI >> (c - 64)) & 1;
	return 0;
}

static __always_inline int aspen_http_hex(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static __always_inline void aspen_http_push(__u64 *w, __u16 *len, __u8 c)
{
	w[2] = (w[2] << 8) | (w[1] >> 56);
	w[1] = (w[1] << 8) | (w[0] >> 56);
	w[0] = (w[0] << 8) | c;
	if (*len < 0xffff)
		(*len)++;
}

static __always_inline void aspen_http_tok_reset(__u64 *w, __u16 *len)
{
	w[0] = 0;
	w[1] = 0;
	w[2] = 0;
	*len = 0;
}

/* A header name is complete (lower-cased in w, len bytes): which is it? */
static __always_inline __u8 aspen_http_header_id(const __u64 *w, __u16 len, int is_req)
{
	if (AH_IS(w, len, "content-length"))
		return AH_H_CL;
	if (AH_IS(w, len, "transfer-encoding"))
		return AH_H_TE;
	if (AH_IS(w, len, "content-encoding"))
		return AH_H_CE;
	if (is_req) {
		if (AH_IS(w, len, "host"))
			return AH_H_HOST;
		if (AH_IS(w, len, "expect"))
			return AH_H_EXPECT;
		if (AH_IS(w, len, "upgrade"))
			return AH_H_UPGRADE;
		if (AH_IS(w, len, "connection"))
			return AH_H_CONNECTION;
	} else if (AH_IS(w, len, "content-type")) {
		return AH_H_CT;
	}
	return AH_H_OTHER;
}

/* A comma-separated token of a coding header value ended. */
static __always_inline void aspen_http_token_end(__u64 *w, __u16 *len, __u16 *hf, __u8 hdr,
						 __u32 *flags, __u32 expect_flag)
{
	if (*len) {
		if (hdr == AH_H_TE) {
			if (AH_IS(w, *len, "chunked"))
				*hf |= AH_HF_TE_CHUNKED;
			else
				*hf = (*hf | AH_HF_TE_OTHER) & ~AH_HF_TE_CHUNKED;
		} else if (hdr == AH_H_CE) {
			if (!AH_IS(w, *len, "identity"))
				*hf |= AH_HF_CE;
		} else if (hdr == AH_H_EXPECT) {
			if (AH_IS(w, *len, "100-continue"))
				*flags |= expect_flag;
		} else if (hdr == AH_H_CT) {
			if (AH_IS(w, *len, "text/event-stream"))
				*hf |= AH_HF_SSE;
		} else if (hdr == AH_H_UPGRADE) {
			if (AH_IS(w, *len, "websocket"))
				*hf |= AH_HF_UPG_WS;
		} else if (hdr == AH_H_CONNECTION) {
			if (AH_IS(w, *len, "upgrade"))
				*hf |= AH_HF_CONN_UPG;
		}
	}
	aspen_http_tok_reset(w, len);
	*hf &= ~AH_HF_TOKSP;
}

/* A byte of a coding header value (Transfer-/Content-Encoding, Expect,
 * Content-Type up to its parameters): lower-cased tokens split at ','. */
static __always_inline void aspen_http_token_byte(__u64 *w, __u16 *len, __u16 *hf, __u8 hdr,
						  __u32 *flags, __u32 expect_flag, __u8 c)
{
	if (c == ',') {
		aspen_http_token_end(w, len, hf, hdr, flags, expect_flag);
		return;
	}
	if (c == ' ' || c == '\t') {
		if (*len)
			*hf |= AH_HF_TOKSP;
		return;
	}
	if (hdr == AH_H_CT && c == ';') {
		/* media type ends; its parameters are tokens that match nothing */
		aspen_http_token_end(w, len, hf, hdr, flags, expect_flag);
		return;
	}
	if (*hf & AH_HF_TOKSP)
		*len = 0xffff; /* "chun ked": a token that matches nothing */
	aspen_http_push(w, len, aspen_http_lower(c));
}

/* Content-Length digits, blanks around them. 0: ok, -1: malformed. */
static __always_inline int aspen_http_cl_byte(__u64 *num, __u16 *hf, __u8 c)
{
	if (c >= '0' && c <= '9') {
		if ((*hf & AH_HF_TOKSP) || *num >= ASPEN_HTTP_MAX_NUM)
			return -1;
		*num = (*num << 3) + (*num << 1) + (c - '0');
		*hf |= AH_HF_DIGITS;
		return 0;
	}
	if (c == ' ' || c == '\t') {
		if (*hf & AH_HF_DIGITS)
			*hf |= AH_HF_TOKSP;
		return 0;
	}
	return -1;
}

/*
 * Chunked framing, shared by requests and responses. Returns AH_CH_DATA when
 * c is a byte of chunk data, AH_CH_DONE after the last chunk's trailer, and
 * AH_CH_ERR on bad framing.
 */
static __always_inline int aspen_http_chunk_byte(__u8 *cs, __u64 *num, __u64 *left, __u32 *line_len,
						 __u16 *nlines, __u8 c)
{
	int h;

	if (*cs == AH_C_DATA) {
		if (--(*left) == 0)
			*cs = AH_C_DATA_CR;
		return AH_CH_DATA;
	}
	if (++(*line_len) > ASPEN_HTTP_MAX_LINE)
		return AH_CH_ERR;
	switch (*cs) {
	case AH_C_SIZE0:
	case AH_C_SIZE:
		h = aspen_http_hex(c);
		if (h >= 0) {
			if (*num >= ASPEN_HTTP_MAX_NUM)
				return AH_CH_ERR;
			*num = (*num << 4) | (__u64)h;
			*cs = AH_C_SIZE;
			return AH_CH_MORE;
		}
		if (*cs == AH_C_SIZE0)
			return AH_CH_ERR;
		if (c == ';' || c == ' ' || c == '\t') {
			*cs = AH_C_EXT;
			return AH_CH_MORE;
		}
		goto eol;
	case AH_C_EXT:
		if (c != '\r' && c != '\n') {
			if (c < 0x20 && c != '\t')
				return AH_CH_ERR;
			return AH_CH_MORE;
		}
	eol:
		if (c == '\r') {
			*cs = AH_C_SIZE_LF;
			return AH_CH_MORE;
		}
		if (c != '\n')
			return AH_CH_ERR;
		/* fallthrough to the end of the size line */
		goto size_done;
	case AH_C_SIZE_LF:
		if (c != '\n')
			return AH_CH_ERR;
	size_done:
		*line_len = 0;
		if (*num == 0) {
			*cs = AH_C_TRAILER0;
			return AH_CH_MORE;
		}
		*left = *num;
		*num = 0;
		*cs = AH_C_DATA;
		return AH_CH_MORE;
	case AH_C_DATA_CR:
		if (c == '\r') {
			*cs = AH_C_DATA_LF;
			return AH_CH_MORE;
		}
		if (c != '\n')
			return AH_CH_ERR;
		*line_len = 0;
		*cs = AH_C_SIZE0;
		return AH_CH_MORE;
	case AH_C_DATA_LF:
		if (c != '\n')
			return AH_CH_ERR;
		*line_len = 0;
		*cs = AH_C_SIZE0;
		return AH_CH_MORE;
	case AH_C_TRAILER0:
		if (c == '\r') {
			*cs = AH_C_END_LF;
			return AH_CH_MORE;
		}
		if (c == '\n')
			return AH_CH_DONE;
		if (++(*nlines) > ASPEN_HTTP_MAX_HEADERS)
			return AH_CH_ERR;
		*cs = AH_C_TRAILER;
		return AH_CH_MORE;
	case AH_C_TRAILER:
		if (c == '\r') {
			*cs = AH_C_TRAILER_LF;
			return AH_CH_MORE;
		}
		if (c == '\n') {
			*line_len = 0;
			*cs = AH_C_TRAILER0;
		}
		return AH_CH_MORE;
	case AH_C_TRAILER_LF:
		if (c != '\n')
			return AH_CH_ERR;
		*line_len = 0;
		*cs = AH_C_TRAILER0;
		return AH_CH_MORE;
	case AH_C_END_LF:
		if (c != '\n')
			return AH_CH_ERR;
		return AH_CH_DONE;
	}
	return AH_CH_ERR;
}

/* ---- request: JSON body scanner --------------------------------------- */

static __always_inline int aspen_http_json_tracked(const struct aspen_http_req_state *st)
{
	return st->depth == 1 || (st->depth == 2 && (st->jflags & AH_JF_SUB));
}

/* A value starts at a tracked level for key st->jkey. A string value of
 * model/user is copied (is_str); any other value clears the field, as the
 * server would take this, the last, one. */
static __always_inline void aspen_http_json_value(struct aspen_http_req_state *st, struct aspen_req *r,
						  int is_str)
{
	__u8 k = st->jkey;

	if (k == AH_K_MODEL) {
		if (r->flags & ASPEN_REQ_HAS_MODEL)
			__builtin_memset(r->model, 0, ASPEN_MODEL_LEN);
		r->flags &= ~ASPEN_REQ_HAS_MODEL;
	} else if (k == AH_K_USER || k == AH_K_USERID) {
		if (r->flags & ASPEN_REQ_HAS_USER)
			__builtin_memset(r->user, 0, ASPEN_USER_LEN);
		r->flags &= ~ASPEN_REQ_HAS_USER;
	} else {
		if (k == AH_K_STREAM && is_str)
			r->flags &= ~ASPEN_REQ_STREAM;
		return;
	}
	if (is_str) {
		st->jflags |= AH_JF_VAL;
		st->out_len = 0;
	}
}

/* The \uXXXX just read, cp, as UTF-8: its bytes (lowest first) in the low
 * 32 bits, their number in the high ones; 0 for a high surrogate, kept in
 * st->usur for the low half that should follow (a pair is the one
 * character it names, in 4 bytes, as JSON parsers read it; a lone low half
 * is encoded on its own). Not inlined: the feed loop's frame is at the
 * verifier's stack limit on the deepest call chain. */
static __noinline __u64 aspen_http_json_utf8(struct aspen_http_req_state *st, __u32 cp)
{
	__u32 hi = st->usur;

	st->usur = 0;
	if (cp >= 0xd800 && cp < 0xdc00) {
		st->usur = (__u16)cp;
		return 0;
	}
	if (cp >= 0xdc00 && cp < 0xe000 && hi) {
		cp = 0x10000 + ((hi - 0xd800) << 10) + (cp - 0xdc00);
		return (4ULL << 32) | (0xf0 | (cp >> 18)) | ((0x80 | ((cp >> 12) & 0x3f)) << 8) |
		       ((0x80 | ((cp >> 6) & 0x3f)) << 16) | ((__u32)(0x80 | (cp & 0x3f)) << 24);
	}
	if (cp < 0x80)
		return (1ULL << 32) | cp;
	if (cp < 0x800)
		return (2ULL << 32) | (0xc0 | (cp >> 6)) | ((0x80 | (cp & 0x3f)) << 8);
	return (3ULL << 32) | (0xe0 | (cp >> 12)) | ((0x80 | ((cp >> 6) & 0x3f)) << 8) |
	       ((0x80 | (cp & 0x3f)) << 16);
}

/* Inside a string. */
static __always_inline void aspen_http_json_str(struct aspen_http_req_state *st, struct aspen_req *r,
						__u8 c)
{
	__u32 out = c, n = 1;
	__u8 jf = st->jflags;

	st->dec_n = 0; /* inside a string: what it stands for comes at emit */
	if (st->uesc) {
		int h = aspen_http_hex(c);

		if (h >= 0) {
			__u32 cp = ((__u32)st->ucode << 4) | (__u32)h;
			__u64 u;

			st->ucode = (__u16)cp;
			if (--st->uesc)
				return;
			u = aspen_http_json_utf8(st, cp);
			n = (__u32)(u >> 32);
			if (!n)
				return; /* a high surrogate: its low half comes next */
			out = (__u32)u;
			goto emit;
		}
		st->uesc = 0; /* not JSON; take the byte as it comes */
	}
	if (!(jf & AH_JF_ESC) ? c != '\\' : c != 'u')
		st->usur = 0; /* a high surrogate not followed by an escape: dropped */
	if (jf & AH_JF_ESC) {
		st->jflags = jf & ~AH_JF_ESC;
		switch (c) {
		case 'u':
			st->uesc = 4;
			st->ucode = 0;
			return;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		default: break; /* \" \\ \/ and the invalid rest: the byte itself */
		}
	} else if (c == '\\') {
		st->jflags = jf | AH_JF_ESC;
		return;
	} else if (c == '"') {
		st->dec_n = AH_DEC_RAW;
		if (jf & AH_JF_KEY) {
			__u8 k = AH_K_OTHER;

			if (st->depth == 1) {
				if (AH_IS(st->win, st->tok_len, "model"))
					k = AH_K_MODEL;
				else if (AH_IS(st->win, st->tok_len, "stream"))
					k = AH_K_STREAM;
				else if (AH_IS(st->win, st->tok_len, "user"))
					k = AH_K_USER;
				else if (AH_IS(st->win, st->tok_len, "metadata"))
					k = AH_K_META;
				else if ((jf & AH_JF_WS) && AH_IS(st->win, st->tok_len, "session"))
					k = AH_K_SESS;
			} else if (jf & AH_JF_SESS) {
				/* a Realtime session.update: {"session": {"model": ...}} */
				if (AH_IS(st->win, st->tok_len, "model"))
					k = AH_K_MODEL;
			} else if (AH_IS(st->win, st->tok_len, "user_id")) {
				k = AH_K_USERID;
			}
			st->jkey = k;
			st->jstate = AH_J_COLON;
		} else if (jf & AH_JF_VAL) {
			if (st->jkey == AH_K_MODEL) {
				r->model[st->out_len & (ASPEN_MODEL_LEN - 1)] = 0;
				r->flags |= ASPEN_REQ_HAS_MODEL;
			} else {
				r->user[st->out_len & (ASPEN_USER_LEN - 1)] = 0;
				r->flags |= ASPEN_REQ_HAS_USER;
			}
		}
		st->jflags = jf & ~(AH_JF_STR | AH_JF_KEY | AH_JF_VAL);
		return;
	}
emit:
	st->dec = out;
	st->dec_n = (__u8)n;
	if (jf & AH_JF_KEY) {
		/* the keys looked for are ASCII: one byte stands for any other */
		aspen_http_push(st->win, &st->tok_len, n > 1 ? 0x80 : (__u8)out);
	} else if (jf & AH_JF_VAL) {
		char *f = st->jkey == AH_K_MODEL ? r->model : r->user; /* both 64 bytes */
		__u16 i = st->out_len;

		AH_PUT(f, ASPEN_MODEL_LEN, i, out & 0xff, r->flags, ASPEN_REQ_TRUNCATED);
		if (n > 1)
			AH_PUT(f, ASPEN_MODEL_LEN, i, (out >> 8) & 0xff, r->flags, ASPEN_REQ_TRUNCATED);
		if (n > 2)
			AH_PUT(f, ASPEN_MODEL_LEN, i, (out >> 16) & 0xff, r->flags, ASPEN_REQ_TRUNCATED);
		if (n > 3)
			AH_PUT(f, ASPEN_MODEL_LEN, i, (out >> 24) & 0xff, r->flags, ASPEN_REQ_TRUNCATED);
		st->out_len = i;
	}
}

/* One body byte. Returns 1 when the top-level object just closed. */
static __always_inline int aspen_http_json_byte(struct aspen_http_req_state *st, struct aspen_req *r,
						__u8 c)
{
	if (st->jstate == AH_J_OFF)
		return 0;
	if (st->jflags & AH_JF_STR) {
		aspen_http_json_str(st, r, c);
		return 0;
	}
	if (st->depth == 0) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return 0;
		if (c == '{') {
			st->depth = 1;
			st->jstate = AH_J_KEY;
		} else if (c == '[') {
			st->depth = 2;
			st->jkey = AH_K_TOP;
			st->jstate = AH_J_NEST;
		} else if (c == '"' && st->jkey != AH_K_TOP) {
			st->jkey = AH_K_TOP;
			st->jflags |= AH_JF_STR;
		} else {
			st->jstate = AH_J_OFF; /* not JSON */
		}
		return 0;
	}
	if (st->jstate == AH_J_LIT) {
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' && c != '}' && c != ']') {
			aspen_http_push(st->win, &st->tok_len, c);
			return 0;
		}
		if (st->jkey == AH_K_STREAM) {
			if (AH_IS(st->win, st->tok_len, "true"))
				r->flags |= ASPEN_REQ_STREAM;
			else
				r->flags &= ~ASPEN_REQ_STREAM;
		}
		st->jstate = AH_J_AFTER;
	}
	switch (c) {
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return 0;
	case '"':
		st->jflags |= AH_JF_STR;
		if (aspen_http_json_tracked(st)) {
			if (st->jstate == AH_J_KEY) {
				st->jflags |= AH_JF_KEY;
				aspen_http_tok_reset(st->win, &st->tok_len);
			} else if (st->jstate == AH_J_VALUE) {
				aspen_http_json_value(st, r, 1);
				st->jstate = AH_J_AFTER;
			}
		}
		return 0;
	case '{':
	case '[':
		if (aspen_http_json_tracked(st) && st->jstate == AH_J_VALUE) {
			aspen_http_json_value(st, r, 0);
			if (st->jkey == AH_K_STREAM)
				r->flags &= ~ASPEN_REQ_STREAM;
			if (c == '{' && st->depth == 1 && (st->jkey == AH_K_META || st->jkey == AH_K_SESS)) {
				st->depth = 2;
				st->jflags |= st->jkey == AH_K_META ? AH_JF_META : AH_JF_SESS;
				st->jstate = AH_J_KEY;
				return 0;
			}
		}
		if (st->depth < 0xffffffffu)
			st->depth++;
		st->jstate = AH_J_NEST;
		return 0;
	case '}':
	case ']':
		st->depth--;
		if (st->depth == 0 || (st->depth == 1 && st->jkey == AH_K_TOP)) {
			st->jstate = AH_J_OFF;
			st->jflags |= AH_JF_CLOSED;
			return 1;
		}
		if (st->depth == 1)
			st->jflags &= ~AH_JF_SUB;
		if (aspen_http_json_tracked(st))
			st->jstate = AH_J_AFTER;
		return 0;
	case ':':
		if (aspen_http_json_tracked(st) && st->jstate == AH_J_COLON)
			st->jstate = AH_J_VALUE;
		return 0;
	case ',':
		if (aspen_http_json_tracked(st))
			st->jstate = AH_J_KEY;
		return 0;
	default:
		if (aspen_http_json_tracked(st) && st->jstate == AH_J_VALUE) {
			aspen_http_json_value(st, r, 0);
			st->jstate = AH_J_LIT;
			aspen_http_tok_reset(st->win, &st->tok_len);
			aspen_http_push(st->win, &st->tok_len, c);
		}
		return 0;
	}
}

/* ---- request ------------------------------------------------------------ */

/* Start over for the next request on the connection: state and *r, but
 * r->conn. */
static __always_inline void aspen_http_req_reset(struct aspen_http_req_state *st, struct aspen_req *r)
{
	__builtin_memset(st, 0, sizeof(*st));
	__builtin_memset(r->method, 0, sizeof(*r) - __builtin_offsetof(struct aspen_req, method));
	r->content_length = ~0ULL;
}

static __always_inline int aspen_http_req_fail(struct aspen_http_req_state *st, struct aspen_req *r,
					       __u32 why)
{
	st->state = AH_RQ_ERROR;
	if (r->unparsed == ASPEN_UNPARSED_NONE || r->unparsed == ASPEN_UNPARSED_COMPRESSED)
		r->unparsed = why;
	return ASPEN_HTTP_ERROR;
}

/* The empty line after the headers. */
static __always_inline int aspen_http_req_head_end(struct aspen_http_req_state *st, struct aspen_req *r)
{
	__u16 hf = st->hflags;
	int ret = ASPEN_HTTP_HEAD;

	r->flags |= ASPEN_REQ_HEAD_DONE;
	if ((hf & AH_HF_UPG_WS) && (hf & AH_HF_CONN_UPG) && r->method[0] == 'G' &&
	    r->method[1] == 'E' && r->method[2] == 'T' && !r->method[3])
		/* RFC 6455 4.1: frames follow a 101; the model and the body
		 * fields are in them, unknown to the head's rules */
		r->flags |= ASPEN_REQ_WS_HEAD | ASPEN_REQ_UNSEEN_MODEL | ASPEN_REQ_UNSEEN_BODY;
	if (hf & AH_HF_TE) {
		/* chunked must be the last coding; with Content-Length too the
		 * framing is ambiguous (request smuggling): refuse both */
		if (!(hf & AH_HF_TE_CHUNKED) || (hf & AH_HF_SEEN_CL))
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		r->flags |= ASPEN_REQ_CHUNKED;
		if (hf & AH_HF_TE_OTHER)
			hf |= AH_HF_CE;
	}
	if ((hf & AH_HF_CE) && r->unparsed == ASPEN_UNPARSED_NONE)
		r->unparsed = ASPEN_UNPARSED_COMPRESSED;
	if (!(hf & AH_HF_SEEN_CL))
		r->content_length = ~0ULL;
	if ((r->flags & ASPEN_REQ_EXPECT) || r->unparsed) {
		st->events |= AH_EV_HEAD;
		ret = ASPEN_HTTP_DECIDABLE;
	}
	st->line_len = 0;
	st->nlines = 0;
	st->num = 0;
	if (r->flags & ASPEN_REQ_CHUNKED) {
		st->state = AH_RQ_CHUNKED;
		st->cstate = AH_C_SIZE0;
		return ret;
	}
	if ((hf & AH_HF_SEEN_CL) && r->content_length) {
		st->state = AH_RQ_BODY;
		return ret;
	}
	r->flags |= ASPEN_REQ_BODY_DONE;
	st->state = AH_RQ_DONE;
	return ASPEN_HTTP_DONE;
}

/* The end of a header line: finish the value. */
static __always_inline int aspen_http_req_line_end(struct aspen_http_req_state *st, struct aspen_req *r)
{
	__u8 hdr = st->hdr;

	if (hdr == AH_H_CL) {
		if (!(st->hflags & AH_HF_DIGITS))
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		r->content_length = st->num;
	} else if (hdr == AH_H_HOST) {
		/* "api.openai.com." names the same host as "api.openai.com" */
		if (st->out_len && r->host[(st->out_len - 1) & (ASPEN_HOST_LEN - 1)] == '.')
			r->host[(st->out_len - 1) & (ASPEN_HOST_LEN - 1)] = 0;
	} else if (hdr != AH_H_OTHER) {
		aspen_http_token_end(st->win, &st->tok_len, &st->hflags, hdr, &r->flags, ASPEN_REQ_EXPECT);
	}
	st->line_len = 0;
	st->state = AH_RQ_LINE;
	return ASPEN_HTTP_MORE;
}

/* A byte of a header value (not CR/LF). */
static __always_inline int aspen_http_req_value(struct aspen_http_req_state *st, struct aspen_req *r,
						__u8 c)
{
	__u8 hdr = st->hdr;

	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
	if (hdr == AH_H_HOST) {
		if (c == ' ' || c == '\t' || (st->hflags & AH_HF_HOST_END))
			return ASPEN_HTTP_MORE;
		if (c == '[')
			st->hflags |= AH_HF_BRACKET;
		else if (c == ']')
			st->hflags &= ~AH_HF_BRACKET;
		else if (c == ':' && !(st->hflags & AH_HF_BRACKET)) {
			st->hflags |= AH_HF_HOST_END;
			return ASPEN_HTTP_MORE;
		}
		AH_PUT(r->host, ASPEN_HOST_LEN, st->out_len, aspen_http_lower(c), r->flags,
		       ASPEN_REQ_TRUNCATED);
		return ASPEN_HTTP_MORE;
	}
	if (hdr == AH_H_CL) {
		if (aspen_http_cl_byte(&st->num, &st->hflags, c))
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		return ASPEN_HTTP_MORE;
	}
	if (hdr != AH_H_OTHER)
		aspen_http_token_byte(st->win, &st->tok_len, &st->hflags, hdr, &r->flags, ASPEN_REQ_EXPECT,
				      c);
	return ASPEN_HTTP_MORE;
}

/* A header name's ':' (AH_RQ_NAME): which header it names (st->hdr) and
 * the value's start. -1, with nothing changed: a second Content-Length or
 * Host (the caller fails the request: MALFORMED). */
static __always_inline int aspen_http_req_name_end(struct aspen_http_req_state *st)
{
	__u8 h = aspen_http_header_id(st->win, st->tok_len, 1);

	if ((h == AH_H_CL && (st->hflags & AH_HF_SEEN_CL)) ||
	    (h == AH_H_HOST && (st->hflags & AH_HF_SEEN_HOST)))
		return -1;
	if (h == AH_H_CL)
		st->hflags |= AH_HF_SEEN_CL;
	else if (h == AH_H_HOST)
		st->hflags |= AH_HF_SEEN_HOST;
	else if (h == AH_H_TE)
		st->hflags |= AH_HF_TE;
	st->hflags &= ~AH_HF_VALUE;
	st->hdr = h;
	st->num = 0;
	st->out_len = 0;
	aspen_http_tok_reset(st->win, &st->tok_len);
	st->state = AH_RQ_VALUE;
	return 0;
}

/* Head bytes: request line and headers. */
static __always_inline int aspen_http_req_head(struct aspen_http_req_state *st, struct aspen_req *r,
					       __u8 c)
{
	if (++st->line_len > ASPEN_HTTP_MAX_LINE)
		return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);

	switch (st->state) {
	case AH_RQ_START:
		if (c == '\r' || c == '\n')
			return ASPEN_HTTP_MORE; /* blank lines before a request */
		if (!aspen_http_tchar(c))
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_NOT_HTTP1);
		st->state = AH_RQ_METHOD;
		/* fallthrough */
	case AH_RQ_METHOD:
		if (c == ' ' && st->out_len) {
			st->out_len = 0;
			st->state = AH_RQ_TARGET;
			return ASPEN_HTTP_MORE;
		}
		if (!aspen_http_tchar(c) || st->out_len >= ASPEN_METHOD_LEN - 1)
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		r->method[st->out_len & (ASPEN_METHOD_LEN - 1)] = c;
		st->out_len++;
		return ASPEN_HTTP_MORE;
	case AH_RQ_TARGET:
		if (c == ' ') {
			if (!st->out_len)
				return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
			st->state = AH_RQ_VERSION;
			return ASPEN_HTTP_MORE;
		}
		if (c <= 0x20 || c == 0x7f)
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		AH_PUT(r->path, ASPEN_PATH_LEN, st->out_len, c, r->flags, ASPEN_REQ_TRUNCATED);
		return ASPEN_HTTP_MORE;
	case AH_RQ_VERSION:
		if (c == '\r' || c == '\n') {
			if (!AH_IS(st->win, st->tok_len, "HTTP/1.1") && !AH_IS(st->win, st->tok_len, "HTTP/1.0"))
				return aspen_http_req_fail(st, r, ASPEN_UNPARSED_NOT_HTTP1);
			if (c == '\n')
				goto line_start;
			st->state = AH_RQ_RL_LF;
			return ASPEN_HTTP_MORE;
		}
		aspen_http_push(st->win, &st->tok_len, c);
		return ASPEN_HTTP_MORE;
	case AH_RQ_RL_LF:
		if (c != '\n')
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
	line_start:
		st->line_len = 0;
		st->state = AH_RQ_LINE;
		return ASPEN_HTTP_MORE;
	case AH_RQ_LINE:
		if (c == '\r') {
			st->state = AH_RQ_END_LF;
			return ASPEN_HTTP_MORE;
		}
		if (c == '\n')
			return aspen_http_req_head_end(st, r);
		if (!aspen_http_tchar(c) || ++st->nlines > ASPEN_HTTP_MAX_HEADERS)
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		aspen_http_tok_reset(st->win, &st->tok_len);
		aspen_http_push(st->win, &st->tok_len, aspen_http_lower(c));
		st->state = AH_RQ_NAME;
		return ASPEN_HTTP_MORE;
	case AH_RQ_NAME:
		if (c == ':')
			return aspen_http_req_name_end(st) ? aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED)
							   : ASPEN_HTTP_MORE;
		if (!aspen_http_tchar(c))
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		aspen_http_push(st->win, &st->tok_len, aspen_http_lower(c));
		return ASPEN_HTTP_MORE;
	case AH_RQ_VALUE:
		if (c == '\r') {
			st->state = AH_RQ_LINE_LF;
			return ASPEN_HTTP_MORE;
		}
		if (c == '\n')
			return aspen_http_req_line_end(st, r);
		return aspen_http_req_value(st, r, c);
	case AH_RQ_LINE_LF:
		if (c != '\n')
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		return aspen_http_req_line_end(st, r);
	case AH_RQ_END_LF:
		if (c != '\n')
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		return aspen_http_req_head_end(st, r);
	}
	return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
}

/* One request byte. framed (a constant): the HTTP/1.1 head and framing
 * (chunked, keep-alive) too; else body mode only, any other state an
 * error, and the head parser is not compiled into the caller. */
static __always_inline int ah_req_byte(struct aspen_http_req_state *st, struct aspen_req *r, __u8 c,
				       const int framed)
{
	int j = 0;

	st->dec_n = AH_DEC_RAW;
	if (st->state == AH_RQ_ERROR)
		return ASPEN_HTTP_ERROR;
	if (!framed && st->state != AH_RQ_BODY)
		return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
	if (st->state == AH_RQ_DONE)
		aspen_http_req_reset(st, r);
	if (st->state < AH_RQ_BODY)
		return aspen_http_req_head(st, r, c);

	if (st->state == AH_RQ_CHUNKED) {
		int k = aspen_http_chunk_byte(&st->cstate, &st->num, &st->chunk_left, &st->line_len,
					      &st->nlines, c);

		if (k == AH_CH_ERR)
			return aspen_http_req_fail(st, r, ASPEN_UNPARSED_MALFORMED);
		if (k == AH_CH_DONE)
			goto done;
		if (k != AH_CH_DATA)
			return ASPEN_HTTP_MORE;
	}
	/* one call site: the scanner is inlined once */
	r->body_seen++;
	if (r->unparsed == ASPEN_UNPARSED_NONE)
		j = aspen_http_json_byte(st, r, c);
	if (st->state == AH_RQ_BODY && r->body_seen >= r->content_length)
		goto done;
	if (j && !(st->events & AH_EV_BODY)) {
		st->events |= AH_EV_BODY;
		return ASPEN_HTTP_DECIDABLE;
	}
	return ASPEN_HTTP_MORE;
done:
	r->flags |= ASPEN_REQ_BODY_DONE;
	st->state = AH_RQ_DONE;
	return ASPEN_HTTP_DONE;
}

static __always_inline int aspen_http_req_byte(struct aspen_http_req_state *st, struct aspen_req *r,
					       __u8 c)
{
	return ah_req_byte(st, r, c, 1);
}

/* The JSON scan of a body without HTTP/1.1 framing (an HTTP/2 stream's
 * DATA, a WebSocket message: st->state AH_RQ_BODY, content_length ~0).
 * Their callers' copies are 2,100 -> 750 instructions each. */
static __always_inline int aspen_http_req_body_byte(struct aspen_http_req_state *st,
						    struct aspen_req *r, __u8 c)
{
	return ah_req_byte(st, r, c, 0);
}

/*
 * The caller could not copy n more bytes of the current write (they lie
 * beyond its buffer): account for them without parsing. Possible inside a
 * body only: inside a chunk's data or a Content-Length body, as long as the
 * bytes stay inside it. The JSON scan stops there; if the top-level object
 * had not closed yet, r->unparsed becomes BOUND (fields may be missed).
 * Returns 1 when the framing is still followed, ASPEN_HTTP_DONE (3) when
 * the skipped bytes ended the message (as if the last byte had returned
 * DONE), 0 when the framing is lost (nothing later on the connection can
 * be parsed).
 */
/* The fast path for long bodies. How many of the next body bytes can be
 * accounted without looking at them, provided none of them is '"' or '\\':
 * inside a JSON string that is not a tracked key or value (message text,
 * the bulk of a chat request), or anywhere in a body that is not scanned
 * (compressed, not JSON). Never the body's last byte, which must go through
 * aspen_http_req_byte() for DONE. 0: feed the next byte normally. */
static __always_inline __u64 aspen_http_req_body_left(const struct aspen_http_req_state *st,
						       const struct aspen_req *r);

/* Whether the JSON parser is inside an escape (before the next byte): a
 * write that begins or ends there cannot be masked in place. */
static __always_inline int aspen_in_escape(const struct aspen_http_req_state *st)
{
	return (st->jflags & AH_JF_ESC) || st->uesc || st->usur;
}

/* Where the plain fast path may pass bytes, whatever frames the body (the
 * HTTP/2 DATA path bounds the run by its frame). */
static __always_inline int aspen_http_req_plain_ok(const struct aspen_http_req_state *st)
{
	return st->jstate == AH_J_OFF ||
	       ((st->jflags & AH_JF_STR) && !(st->jflags & (AH_JF_ESC | AH_JF_KEY | AH_JF_VAL)) &&
		!st->uesc && !st->usur);
}

static __always_inline __u64 aspen_http_req_plain_room(const struct aspen_http_req_state *st,
							const struct aspen_req *r)
{
	if (!aspen_http_req_plain_ok(st))
		return 0;
	return aspen_http_req_body_left(st, r);
}

/* Where the nesting-only fast path may pass bytes (aspen_http_req_nest_room()
 * says how many), whatever frames the body. */
static __always_inline int aspen_http_req_nest_ok(const struct aspen_http_req_state *st,
						   const struct aspen_req *r)
{
	return !(st->jstate == AH_J_OFF || r->unparsed != ASPEN_UNPARSED_NONE || st->uesc || st->usur ||
		 (st->jflags & (AH_JF_ESC | AH_JF_KEY | AH_JF_VAL)) || st->depth < 2 ||
		 aspen_http_json_tracked(st));
}

/* The nesting fast path: inside a JSON value below the levels the scanner
 * reads keys at (depth 2 and deeper, but the "metadata" object's own
 * level): the messages array, the bulk of a chat request. Nothing there is
 * read but the nesting, so only quotes, backslashes and brackets matter.
 * Returns how many of the next body bytes may go through
 * aspen_http_req_nest_byte() (never the body's last); 0: not there. */
static __always_inline __u64 aspen_http_req_nest_room(const struct aspen_http_req_state *st,
						       const struct aspen_req *r)
{
	if (!aspen_http_req_nest_ok(st, r))
		return 0;
	return aspen_http_req_body_left(st, r);
}

/* One byte of the nesting fast path, on the caller's copy of st->depth and
 * st->jflags (jf); floor: 3 inside "metadata", else 2. Returns 0 when the
 * byte was taken as aspen_http_req_byte() would have, 1 when it must go
 * through aspen_http_req_byte() instead (it closes the value, or it is a
 * backslash and !esc: the caller wants escapes decoded). The caller then
 * accounts the bytes taken with aspen_http_req_plain_skip(). */
static __always_inline int aspen_http_req_nest_byte(__u32 *depth, __u8 *jf, __u32 floor, __u8 c,
						    int esc)
{
	__u8 f = *jf;

	if (f & AH_JF_STR) {
		if (f & AH_JF_ESC)
			*jf = f & ~AH_JF_ESC; /* \uXXXX: its digits are plain bytes */
		else if (c == '"')
			*jf = f & ~AH_JF_STR;
		else if (c == '\\') {
			if (!esc)
				return 1;
			*jf = f | AH_JF_ESC;
		}
		return 0;
	}
	if (c == '"') {
		*jf = f | AH_JF_STR;
	} else if (c == '{' || c == '[') {
		if (*depth < 0xffffffffu)
			*depth += 1;
	} else if (c == '}' || c == ']') {
		if (*depth <= floor)
			return 1;
		*depth -= 1;
	}
	return 0;
}

/* ---- word-at-a-time tests (the fast paths load 8 bytes, lowest first) */
#define ASPEN_ONES 0x0101010101010101ULL
/* nonzero when some byte of the word w is b (the zero-byte test on w ^ b..b) */
#define ASPEN_HAS_BYTE(w, b) \
	((((w) ^ ((b) * ASPEN_ONES)) - ASPEN_ONES) & ~((w) ^ ((b) * ASPEN_ONES)) & (0x80 * ASPEN_ONES))

/* nonzero when some byte of w is below n (n <= 0x80); the lowest byte
 * flagged is exact, as for ASPEN_HAS_BYTE */
#define ASPEN_HAS_LESS(w, n) (((w) - (n) * ASPEN_ONES) & ~(w) & (0x80 * ASPEN_ONES))

/* the index of the lowest byte flagged (0x80) in m, m != 0: its lowest
 * set bit times 0x0001020304050607 leaves the index in the top byte (BPF
 * has no count-trailing-zeros instruction; a multiply is one) */
#define ASPEN_LOW_BYTE(m) (((((m) & -(m)) >> 7) * 0x0001020304050607ULL) >> 56)

/* How many of the word's bytes a header value passes before its first
 * control byte or DEL: 8 when all. */
static __always_inline __u32 aspen_http_hvalue_plain(__u64 w)
{
	__u64 m = ASPEN_HAS_LESS(w, 0x20) | ASPEN_HAS_BYTE(w, 0x7f);

	return m ? (__u32)ASPEN_LOW_BYTE(m) : 8;
}

/* 0x80 in each byte of x (all bytes below 0x80) that lies in [lo, hi]:
 * exact in every byte (no carry crosses a byte) */
#define ASPEN_IN_RANGE(x, lo, hi) \
	(((x) + (0x80 - (lo)) * ASPEN_ONES) & ~((x) + (0x7f - (hi)) * ASPEN_ONES) & (0x80 * ASPEN_ONES))

/* How many of the word's bytes (lowest first) are letters, digits or '-',
 * the bytes of the names real clients send; *lower: the word with its
 * letters lowercased (as aspen_http_lower()). */
static __always_inline __u32 aspen_http_name_plain(__u64 w, __u64 *lower)
{
	__u64 high = w & (0x80 * ASPEN_ONES), x = w & (0x7f * ASPEN_ONES);
	__u64 alpha = ASPEN_IN_RANGE(x | (0x20 * ASPEN_ONES), 'a', 'z');
	__u64 good = (alpha | ASPEN_IN_RANGE(x, '0', '9') | ASPEN_IN_RANGE(x, '-', '-')) & ~(high);
	__u64 bad = ~good & (0x80 * ASPEN_ONES);

	*lower = w | (alpha >> 2);
	return bad ? (__u32)ASPEN_LOW_BYTE(bad) : 8;
}

/* How many more bytes the current head line may take before
 * aspen_http_req_head() fails it: the bound of the head's fast paths. */
static __always_inline __u32 aspen_http_req_line_room(const struct aspen_http_req_state *st)
{
	return st->line_len >= ASPEN_HTTP_MAX_LINE ? 0 : ASPEN_HTTP_MAX_LINE - st->line_len;
}

/* The header-name fast path: in a request header's name after its first
 * byte (AH_RQ_NAME), letters, digits and '-' go into the window up to 8 at
 * a time; ':', any other byte and the tail go through
 * aspen_http_req_head(). How many bytes may go, to the line bound; 0: not
 * there. */
static __always_inline __u32 aspen_http_req_name_room(const struct aspen_http_req_state *st)
{
	return st->state == AH_RQ_NAME ? aspen_http_req_line_room(st) : 0;
}

/* Pushes the k (1..8) lowest bytes of lower, lowest first, as k calls of
 * aspen_http_push() would, and counts them against the line. */
static __always_inline void aspen_http_req_name_skip(struct aspen_http_req_state *st, __u64 lower,
						     __u32 k)
{
	__u64 be = __builtin_bswap64(lower);
	__u32 len = st->tok_len + k;

	if (k >= 8) {
		st->win[2] = st->win[1];
		st->win[1] = st->win[0];
		st->win[0] = be;
	} else if (k) {
		__u32 sh = 8 * k;

		st->win[2] = (st->win[2] << sh) | (st->win[1] >> (64 - sh));
		st->win[1] = (st->win[1] << sh) | (st->win[0] >> (64 - sh));
		st->win[0] = (st->win[0] << sh) | (be >> (64 - sh));
	}
	st->tok_len = len > 0xffff ? 0xffff : (__u16)len;
	st->line_len += k;
}

/* The header-value fast path: inside the value of a header the parser
 * does not read (AH_H_OTHER: Authorization, User-Agent, an SDK's
 * X-Stainless-* lines, most of a real client's head), a byte that is not a
 * control byte (CR, LF, tab and the ones that make the head malformed) or
 * DEL is only counted against the line bound. How many of the next bytes
 * may go with aspen_http_req_hvalue_skip(), provided the caller checked
 * that none of them is below 0x20 or 0x7f; 0: feed the next byte normally. */
static __always_inline __u32 aspen_http_req_hvalue_room(const struct aspen_http_req_state *st)
{
	return st->state == AH_RQ_VALUE && st->hdr == AH_H_OTHER ? aspen_http_req_line_room(st) : 0;
}

static __always_inline void aspen_http_req_hvalue_skip(struct aspen_http_req_state *st, __u32 n)
{
	st->line_len += n;
}

/* The request-target fast path: in the target (AH_RQ_TARGET), bytes above
 * ' ' but DEL go into r->path 8 at a time while a whole word fits before
 * its last byte (the parser takes the space, the rest, and a target too
 * long for r->path). How many bytes may go; 0: not there. */
static __always_inline __u32 aspen_http_req_target_room(const struct aspen_http_req_state *st)
{
	__u32 room = aspen_http_req_line_room(st), left;

	if (st->state != AH_RQ_TARGET || st->out_len + 8u > ASPEN_PATH_LEN - 1u)
		return 0;
	left = ASPEN_PATH_LEN - 1u - st->out_len;
	return room < left ? room : left;
}

/* How many of the word's bytes (lowest first) a target takes before its
 * first control byte, space or DEL: 8 when all. */
static __always_inline __u32 aspen_http_target_plain(__u64 w)
{
	__u64 m = ASPEN_HAS_LESS(w, 0x21) | ASPEN_HAS_BYTE(w, 0x7f);

	return m ? (__u32)ASPEN_LOW_BYTE(m) : 8;
}

/* Stores the k (1..8) lowest bytes of w at r->path[st->out_len], as k
 * AH_PUT()s would (the path's bytes past them are still zero: the word's
 * others are stored as zeros), and counts them against the line. */
static __always_inline void aspen_http_req_target_skip(struct aspen_http_req_state *st,
						       struct aspen_req *r, __u64 w, __u32 k)
{
	__u32 o = st->out_len;

	if (o > ASPEN_PATH_LEN - 8 || !k || k > 8)
		return; /* never: aspen_http_req_target_room() */
	if (k < 8)
		w &= (1ULL << (8 * k)) - 1;
#if defined(__bpf__)
	*(__u64 *)(r->path + o) = w; /* one store: BPF has no alignment rule here */
#else
	__builtin_memcpy(r->path + o, &w, 8);
#endif
	st->out_len = (__u16)(o + k);
	st->line_len += k;
}

/* The ':' after a header's name run, taken as aspen_http_req_head() takes
 * it (aspen_http_req_name_end()). Returns 1 when taken, 0 when the parser
 * must take it (another byte, the line bound, a second Content-Length or
 * Host, which fail there). */
static __always_inline __u32 aspen_http_req_colon(struct aspen_http_req_state *st, __u8 c)
{
	if (st->state != AH_RQ_NAME || c != ':' || !aspen_http_req_line_room(st) ||
	    aspen_http_req_name_end(st))
		return 0;
	st->line_len++;
	return 1;
}

/* The line turn after a header value nobody reads (AH_H_OTHER): its "\r\n"
 * and the next header name's first byte c (a letter, digit or '-'), taken
 * as aspen_http_req_head() takes the three one by one. Returns 3 when
 * taken, 0 when the parser must take them (another byte, another header,
 * the line or header bound reached). */
static __always_inline __u32 aspen_http_req_turn(struct aspen_http_req_state *st, __u8 cr, __u8 lf,
						 __u8 c)
{
	__u64 lower;

	if (st->state != AH_RQ_VALUE || st->hdr != AH_H_OTHER || cr != '\r' || lf != '\n' ||
	    aspen_http_req_line_room(st) < 2 || st->nlines >= ASPEN_HTTP_MAX_HEADERS ||
	    aspen_http_name_plain(c, &lower) == 0)
		return 0;
	st->line_len = 1;
	st->nlines++;
	aspen_http_tok_reset(st->win, &st->tok_len);
	aspen_http_push(st->win, &st->tok_len, (__u8)lower);
	st->state = AH_RQ_NAME;
	return 3;
}

/* Body bytes left that a fast path may pass (never the last one). */
static __always_inline __u64 aspen_http_req_body_left(const struct aspen_http_req_state *st,
						       const struct aspen_req *r)
{
	__u64 left;

	if (st->state == AH_RQ_BODY && r->content_length != ~0ULL)
		left = r->content_length - r->body_seen;
	else if (st->state == AH_RQ_CHUNKED && st->cstate == AH_C_DATA)
		left = st->chunk_left;
	else
		return 0;
	return left > 1 ? left - 1 : 0;
}

/* Account n bytes that aspen_http_req_plain_room() allowed and the caller
 * checked hold no '"' or '\\' (when the JSON scan is on). */
static __always_inline void aspen_http_req_plain_skip(struct aspen_http_req_state *st,
						      struct aspen_req *r, __u64 n)
{
	r->body_seen += n;
	if (st->state == AH_RQ_CHUNKED)
		st->chunk_left -= n;
}

static __always_inline int aspen_http_req_skip(struct aspen_http_req_state *st, struct aspen_req *r,
					       __u64 n)
{
	if (!n)
		return 1;
	if (st->state == AH_RQ_BODY) {
		if (n > r->content_length - r->body_seen)
			return 0;
		r->body_seen += n;
		if (r->body_seen == r->content_length) {
			r->flags |= ASPEN_REQ_BODY_DONE;
			st->state = AH_RQ_DONE;
		}
	} else if (st->state == AH_RQ_CHUNKED && st->cstate == AH_C_DATA) {
		if (n > st->chunk_left)
			return 0;
		st->chunk_left -= n;
		r->body_seen += n;
		if (!st->chunk_left)
			st->cstate = AH_C_DATA_CR;
	} else {
		return 0;
	}
	if (!(st->jflags & AH_JF_CLOSED) && st->jstate != AH_J_OFF && st->jkey != AH_K_TOP &&
	    r->unparsed == ASPEN_UNPARSED_NONE)
		r->unparsed = ASPEN_UNPARSED_BOUND; /* an object's fields may be missed */
	st->jstate = AH_J_OFF;
	return st->state == AH_RQ_DONE ? ASPEN_HTTP_DONE : 1;
}

/* ---- response ------------------------------------------------------------ */

static __always_inline void aspen_http_resp_reset(struct aspen_http_resp_state *st, struct aspen_resp *r)
{
	__builtin_memset(st, 0, sizeof(*st));
	__builtin_memset(&r->status, 0, sizeof(*r) - __builtin_offsetof(struct aspen_resp, status));
}

static __always_inline int aspen_http_resp_fail(struct aspen_http_resp_state *st, struct aspen_resp *r)
{
	st->state = AH_RS_ERROR;
	r->flags |= ASPEN_RESP_MALFORMED;
	return ASPEN_HTTP_ERROR;
}

/* A body byte: look for "..._tokens": N anywhere. */
static __always_inline void aspen_http_usage_byte(struct aspen_http_resp_state *st, struct aspen_resp *r,
						  __u8 c)
{
	if (r->flags & ASPEN_RESP_COMPRESSED)
		return;
	if (st->tphase) {
		if (c >= '0' && c <= '9') {
			if (st->tphase >= 2) {
				if (st->tnum < ASPEN_HTTP_MAX_NUM)
					st->tnum = (st->tnum << 3) + (st->tnum << 1) + (c - '0');
				st->tphase = 3;
				return;
			}
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (st->tphase < 3)
				return;
		} else if (c == ':' && st->tphase == 1) {
			st->tphase = 2;
			return;
		}
		if (st->tphase == 3) {
			if (st->twhich == 1)
				r->tokens_in = st->tnum;
			else
				r->tokens_out = st->tnum;
			r->flags |= ASPEN_RESP_HAS_USAGE;
		}
		st->tphase = 0;
	}
	aspen_http_push(st->win, &st->tok_len, c);
	if (c != '"')
		return;
	if (AH_MATCH(st->win, "\"prompt_tokens\"") || AH_MATCH(st->win, "\"input_tokens\""))
		st->twhich = 1;
	else if (AH_MATCH(st->win, "\"completion_tokens\"") || AH_MATCH(st->win, "\"output_tokens\""))
		st->twhich = 2;
	else
		return;
	st->tphase = 1;
	st->tnum = 0;
}

static __always_inline int aspen_http_resp_head_end(struct aspen_http_resp_state *st, struct aspen_resp *r)
{
	__u16 hf = st->hflags;
	__u32 status = r->status;

	if (status >= 100 && status < 200) {
		if (status == 101) {
			r->flags |= ASPEN_RESP_UPGRADED | ASPEN_RESP_HEAD_DONE;
			st->state = AH_RS_ERROR;
			return ASPEN_HTTP_ERROR;
		}
		aspen_http_resp_reset(st, r); /* interim (100 Continue): the real one follows */
		return ASPEN_HTTP_MORE;
	}
	r->flags |= ASPEN_RESP_HEAD_DONE;
	if (hf & AH_HF_SSE)
		r->flags |= ASPEN_RESP_SSE;
	st->line_len = 0;
	st->nlines = 0;
	st->num = 0;
	aspen_http_tok_reset(st->win, &st->tok_len);
	if (hf & AH_HF_TE) {
		if (!(hf & AH_HF_TE_CHUNKED))
			goto eof; /* read until the connection closes */
		r->flags |= ASPEN_RESP_CHUNKED;
		if (hf & AH_HF_TE_OTHER)
			hf |= AH_HF_CE;
	}
	if (hf & AH_HF_CE)
		r->flags |= ASPEN_RESP_COMPRESSED;
	if (status == 204 || status == 304)
		goto done;
	if (r->flags & ASPEN_RESP_CHUNKED) {
		st->state = AH_RS_CHUNKED;
		st->cstate = AH_C_SIZE0;
		return ASPEN_HTTP_HEAD;
	}
	if (hf & AH_HF_SEEN_CL) {
		if (!st->body_left)
			goto done;
		st->state = AH_RS_BODY;
		return ASPEN_HTTP_HEAD;
	}
eof:
	st->state = AH_RS_EOF;
	return ASPEN_HTTP_HEAD;
done:
	r->flags |= ASPEN_RESP_BODY_DONE;
	st->state = AH_RS_DONE;
	return ASPEN_HTTP_DONE;
}

static __always_inline int aspen_http_resp_head(struct aspen_http_resp_state *st, struct aspen_resp *r,
						__u8 c)
{
	if (++st->line_len > ASPEN_HTTP_MAX_LINE)
		return aspen_http_resp_fail(st, r);

	switch (st->state) {
	case AH_RS_START:
	case AH_RS_VERSION:
		if (c == ' ') {
			if (!AH_IS(st->win, st->tok_len, "HTTP/1.1") && !AH_IS(st->win, st->tok_len, "HTTP/1.0"))
				return aspen_http_resp_fail(st, r);
			st->tok_len = 0;
			st->state = AH_RS_STATUS;
			return ASPEN_HTTP_MORE;
		}
		if (st->tok_len >= 8)
			return aspen_http_resp_fail(st, r);
		aspen_http_push(st->win, &st->tok_len, c);
		st->state = AH_RS_VERSION;
		return ASPEN_HTTP_MORE;
	case AH_RS_STATUS:
		/* 100..599, the range of response.status (RFC 9110 15): a
		 * status outside it ("000", "600") is malformed */
		if (st->tok_len == 0 && (c < '1' || c > '5'))
			return aspen_http_resp_fail(st, r);
		if (c >= '0' && c <= '9' && st->tok_len < 3) {
			r->status = (r->status << 3) + (r->status << 1) + (c - '0');
			st->tok_len++;
			return ASPEN_HTTP_MORE;
		}
		if (st->tok_len != 3)
			return aspen_http_resp_fail(st, r);
		if (c == ' ') {
			st->state = AH_RS_REASON;
			return ASPEN_HTTP_MORE;
		}
		/* fallthrough: no reason phrase */
		goto reason;
	case AH_RS_REASON:
	reason:
		if (c == '\r') {
			st->state = AH_RS_RL_LF;
			return ASPEN_HTTP_MORE;
		}
		if (c == '\n')
			goto line_start;
		if (c < 0x20 && c != '\t')
			return aspen_http_resp_fail(st, r);
		return ASPEN_HTTP_MORE;
	case AH_RS_RL_LF:
		if (c != '\n')
			return aspen_http_resp_fail(st, r);
	line_start:
		st->line_len = 0;
		st->state = AH_RS_LINE;
		return ASPEN_HTTP_MORE;
	case AH_RS_LINE:
		if (c == '\r') {
			st->state = AH_RS_END_LF;
			return ASPEN_HTTP_MORE;
		}
		if (c == '\n')
			return aspen_http_resp_head_end(st, r);
		if (!aspen_http_tchar(c) || ++st->nlines > ASPEN_HTTP_MAX_HEADERS)
			return aspen_http_resp_fail(st, r);
		aspen_http_tok_reset(st->win, &st->tok_len);
		aspen_http_push(st->win, &st->tok_len, aspen_http_lower(c));
		st->state = AH_RS_NAME;
		return ASPEN_HTTP_MORE;
	case AH_RS_NAME:
		if (c == ':') {
			__u8 h = aspen_http_header_id(st->win, st->tok_len, 0);

			if (h == AH_H_CL && (st->hflags & AH_HF_SEEN_CL))
				return aspen_http_resp_fail(st, r);
			if (h == AH_H_CL)
				st->hflags |= AH_HF_SEEN_CL;
			else if (h == AH_H_TE)
				st->hflags |= AH_HF_TE;
			st->hflags &= ~AH_HF_VALUE;
			st->hdr = h;
			st->num = 0;
			aspen_http_tok_reset(st->win, &st->tok_len);
			st->state = AH_RS_VALUE;
			return ASPEN_HTTP_MORE;
		}
		if (!aspen_http_tchar(c))
			return aspen_http_resp_fail(st, r);
		aspen_http_push(st->win, &st->tok_len, aspen_http_lower(c));
		return ASPEN_HTTP_MORE;
	case AH_RS_VALUE:
		if (c == '\r') {
			st->state = AH_RS_LINE_LF;
			return ASPEN_HTTP_MORE;
		}
		if (c == '\n')
			goto line_end;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return aspen_http_resp_fail(st, r);
		if (st->hdr == AH_H_CL) {
			if (aspen_http_cl_byte(&st->num, &st->hflags, c))
				return aspen_http_resp_fail(st, r);
		} else if (st->hdr != AH_H_OTHER) {
			aspen_http_token_byte(st->win, &st->tok_len, &st->hflags, st->hdr, &r->flags, 0, c);
		}
		return ASPEN_HTTP_MORE;
	case AH_RS_LINE_LF:
		if (c != '\n')
			return aspen_http_resp_fail(st, r);
	line_end:
		if (st->hdr == AH_H_CL) {
			if (!(st->hflags & AH_HF_DIGITS))
				return aspen_http_resp_fail(st, r);
			st->body_left = st->num;
		} else if (st->hdr != AH_H_OTHER) {
			aspen_http_token_end(st->win, &st->tok_len, &st->hflags, st->hdr, &r->flags, 0);
		}
		st->line_len = 0;
		st->state = AH_RS_LINE;
		return ASPEN_HTTP_MORE;
	case AH_RS_END_LF:
		if (c != '\n')
			return aspen_http_resp_fail(st, r);
		return aspen_http_resp_head_end(st, r);
	}
	return aspen_http_resp_fail(st, r);
}

static __always_inline int aspen_http_resp_byte(struct aspen_http_resp_state *st, struct aspen_resp *r,
						__u8 c)
{
	if (st->state == AH_RS_ERROR)
		return ASPEN_HTTP_ERROR;
	if (st->state == AH_RS_DONE)
		aspen_http_resp_reset(st, r);
	r->bytes++; /* every byte of the response: head, framing, body */
	if (st->state < AH_RS_BODY)
		return aspen_http_resp_head(st, r, c);

	if (st->state == AH_RS_CHUNKED) {
		int k = aspen_http_chunk_byte(&st->cstate, &st->num, &st->chunk_left, &st->line_len,
					      &st->nlines, c);

		if (k == AH_CH_ERR)
			return aspen_http_resp_fail(st, r);
		if (k == AH_CH_DONE)
			goto done;
		if (k != AH_CH_DATA)
			return ASPEN_HTTP_MORE;
	}
	aspen_http_usage_byte(st, r, c); /* one call site: inlined once */
	if (st->state == AH_RS_BODY && --st->body_left == 0)
		goto done;
	return ASPEN_HTTP_MORE;
done:
	r->flags |= ASPEN_RESP_BODY_DONE;
	st->state = AH_RS_DONE;
	return ASPEN_HTTP_DONE;
}

/* Like aspen_http_req_skip(), for a read the caller could not copy whole:
 * token counts in the skipped bytes are missed. */
static __always_inline int aspen_http_resp_skip(struct aspen_http_resp_state *st, struct aspen_resp *r,
						__u64 n)
{
	if (!n)
		return 1;
	st->tphase = 0;
	aspen_http_tok_reset(st->win, &st->tok_len);
	if (st->state == AH_RS_EOF) {
		r->bytes += n;
		return 1;
	}
	if (st->state == AH_RS_BODY) {
		if (n > st->body_left)
			return 0;
		st->body_left -= n;
		r->bytes += n;
		if (!st->body_left) {
			r->flags |= ASPEN_RESP_BODY_DONE;
			st->state = AH_RS_DONE;
			return ASPEN_HTTP_DONE;
		}
		return 1;
	}
	if (st->state == AH_RS_CHUNKED && st->cstate == AH_C_DATA) {
		if (n > st->chunk_left)
			return 0;
		st->chunk_left -= n;
		r->bytes += n;
		if (!st->chunk_left)
			st->cstate = AH_C_DATA_CR;
		return 1;
	}
	return 0;
}

#endif
