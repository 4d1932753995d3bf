/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * HTTP/2 (RFC 9113) client-side frame parser, fed one byte at a time: the
 * connection preface, frame headers, SETTINGS, HEADERS + CONTINUATION
 * (padding, priority) through the HPACK decoder (aspen_hpack.h), DATA
 * (padding) byte by byte to the caller, RST_STREAM, and every other frame
 * checked for its size and skipped. h2c (cleartext, Upgrade) is not parsed.
 *
 * Compiles as eBPF C and as host C, like aspen_http.h (tests/unit/test_h2.c,
 * tests/lib/check-h2-bpf.sh). One `struct aspen_h2` per connection (about
 * 9.6 KiB: the HPACK dynamic table); it holds no pointer, so it may live in
 * a map value and be copied.
 *
 * Usage. aspen_h2_init(st, 1) for a connection whose first byte is the
 * preface; then aspen_h2_byte(st, c) for every plaintext byte the client
 * writes, in order, across writes. It returns -1 (ASPEN_H2_ERROR: st->err
 * says why, sticky: the connection can no longer be decoded) or a set of
 * events (0: nothing):
 *
 *   ASPEN_H2_EV_DATA        c is a byte of the body of stream st->stream
 *                           (DATA payload without its padding)
 *   ASPEN_H2_EV_HEADERS     a header block is complete: st->head (stream,
 *                           :method, :path, :authority, content-type and
 *                           content-encoding flags). A stream's second block
 *                           is its trailers.
 *   ASPEN_H2_EV_END_STREAM  stream st->stream sent its last frame
 *                           (END_STREAM on DATA, or on HEADERS at its block's end)
 *   ASPEN_H2_EV_RST         the client reset stream st->stream
 *   ASPEN_H2_EV_FRAME       a frame ended with this byte
 *   ASPEN_H2_EV_DATA_FRAME  a DATA frame of stream st->stream begins (its
 *                           header's last byte): st->len is its length, what
 *                           it takes from the flow-control windows
 *   ASPEN_H2_EV_SETTINGS_ACK a SETTINGS frame with ACK: from the client, it
 *                           received (and applied) the server's SETTINGS
 *   ASPEN_H2_EV_SETTINGS    a SETTINGS frame without ACK ended: st->init_win
 *                           is its SETTINGS_INITIAL_WINDOW_SIZE (or the one
 *                           before, when it has none)
 *   ASPEN_H2_EV_WINDOW      a WINDOW_UPDATE of st->wu_inc on st->stream
 *
 * The same parser reads the server's side (what the client reads: the
 * read probe), initialised with aspen_h2_init(st, 0) (the server's preface
 * is its SETTINGS frame): responses' HEADERS (:status) and DATA, and the
 * SETTINGS and WINDOW_UPDATE frames that give the client's flow-control
 * windows (aspen_h2fc_*, below). Frames the caller does not need read may
 * be passed over by their length (aspen_h2_skippable(), aspen_h2_skipped()).
 *
 * Checked (ERR_FRAME): the first frame is SETTINGS; stream 0 for SETTINGS,
 * PING, GOAWAY and not for DATA, HEADERS, PRIORITY, RST_STREAM,
 * CONTINUATION; client streams are odd; fixed frame sizes (PRIORITY 5,
 * RST_STREAM 4, PING 8, WINDOW_UPDATE 4, GOAWAY >= 8, SETTINGS a multiple
 * of 6, empty when ACK); padding shorter than the payload; a header block's
 * CONTINUATIONs follow it on its stream with nothing in between; no
 * PUSH_PROMISE from a client; SETTINGS values in range. Unknown frame types
 * are skipped (RFC 9113 5.5), except inside a header block.
 * ERR_OVERSIZE: a header block over ASPEN_H2_MAX_BLOCK bytes, a frame over
 * ASPEN_H2_MAX_FRAME (default: anything the 24-bit length can say, since
 * the server's SETTINGS_MAX_FRAME_SIZE is not seen).
 */
#ifndef ASPEN_H2_H
#define ASPEN_H2_H

#include "aspen_hpack.h"

#define ASPEN_H2_ERROR (-1)
#define ASPEN_H2_WINDOW_MAX 0x7fffffffLL
#define ASPEN_H2_INITIAL_WINDOW 65535

#define ASPEN_H2_EV_DATA 1
#define ASPEN_H2_EV_HEADERS 2
#define ASPEN_H2_EV_END_STREAM 4
#define ASPEN_H2_EV_RST 8
#define ASPEN_H2_EV_FRAME 16
#define ASPEN_H2_EV_DATA_FRAME 32   /* a DATA frame begins: st->len is its length */
#define ASPEN_H2_EV_SETTINGS_ACK 64 /* a SETTINGS frame with ACK ended */
#define ASPEN_H2_EV_SETTINGS 128    /* a SETTINGS frame (not ACK) ended: st->init_win applies */
#define ASPEN_H2_EV_WINDOW 256	    /* a WINDOW_UPDATE ended: st->stream, st->wu_inc (not 0) */

#ifndef ASPEN_H2_MAX_BLOCK
#define ASPEN_H2_MAX_BLOCK (256U * 1024)
#endif
#ifndef ASPEN_H2_MAX_FRAME
#define ASPEN_H2_MAX_FRAME 0xffffffU
#endif

/* frame types */
#define AH2_DATA 0
#define AH2_HEADERS 1
#define AH2_PRIORITY 2
#define AH2_RST_STREAM 3
#define AH2_SETTINGS 4
#define AH2_PUSH_PROMISE 5
#define AH2_PING 6
#define AH2_GOAWAY 7
#define AH2_WINDOW_UPDATE 8
#define AH2_CONTINUATION 9
/* flags */
#define AH2_F_END_STREAM 0x1
#define AH2_F_ACK 0x1
#define AH2_F_END_HEADERS 0x4
#define AH2_F_PADDED 0x8
#define AH2_F_PRIORITY 0x20

/* phases */
#define AH2_P_PREFACE 0
#define AH2_P_HEADER 1 /* the 9 bytes of a frame header */
#define AH2_P_PAYLOAD 2
#define AH2_P_ERROR 3
/* parts of a payload */
#define AH2_PART_PADLEN 0
#define AH2_PART_PRIO 1
#define AH2_PART_BODY 2
#define AH2_PART_PAD 3

/* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 8 bytes a word, first byte lowest */
#define AH2_PREFACE_W0 0x5448202a20495250ULL
#define AH2_PREFACE_W1 0x0a0d302e322f5054ULL
#define AH2_PREFACE_W2 0x0a0d0a0d4d530a0dULL
#define AH2_PREFACE_LEN 24

struct aspen_h2 {
	__u32 err;	     /* enum aspen_h2_err (sticky) */
	__u32 len;	     /* payload bytes left in this frame */
	__u32 stream;	     /* this frame's stream */
	__u32 pad;	     /* padding at the end of this frame */
	__u32 cont_stream;   /* header block open on this stream, awaiting CONTINUATION */
	__u32 block_bytes;   /* bytes of the open header block */
	__u32 set_val;	     /* SETTINGS entry being read */
	__u32 set_table;     /* client's SETTINGS_HEADER_TABLE_SIZE (its decoder: responses) */
	__u32 set_max_frame; /* client's SETTINGS_MAX_FRAME_SIZE */
	__u16 set_id;
	__u8 phase; /* AH2_P_* */
	__u8 pos;   /* bytes of the preface / frame header / fixed fields */
	__u8 type;
	__u8 flags;
	__u8 part;     /* AH2_PART_* */
	__u8 block_es; /* the open block's HEADERS had END_STREAM */
	__u8 frames;   /* frames seen, capped at 255 (the first must be SETTINGS) */
	__u8 set_has_init; /* the current SETTINGS frame sets INITIAL_WINDOW_SIZE (set_init) */
	__u8 _pad[2];
	__u32 init_win; /* the sender's SETTINGS_INITIAL_WINDOW_SIZE in force */
	__u32 set_init;
	__u32 wu_inc;	    /* the last WINDOW_UPDATE's increment */
	__u32 settings;	    /* SETTINGS frames (not ACK) applied */
	__u64 conn_granted; /* 65,535 + the connection WINDOW_UPDATE increments */
	__u64 data_bytes;   /* DATA payload bytes seen (connection) */
	struct aspen_h2_head head;
	struct aspen_hpack hp;
};

static __always_inline void aspen_h2_init(struct aspen_h2 *st, int preface)
{
	st->err = 0;
	st->len = 0;
	st->stream = 0;
	st->pad = 0;
	st->cont_stream = 0;
	st->block_bytes = 0;
	st->set_table = ASPEN_HPACK_DEFAULT_TABLE;
	st->set_max_frame = 16384;
	st->phase = preface ? AH2_P_PREFACE : AH2_P_HEADER;
	st->pos = 0;
	st->frames = 0;
	st->data_bytes = 0;
	st->set_has_init = 0;
	st->init_win = ASPEN_H2_INITIAL_WINDOW;
	st->wu_inc = 0;
	st->settings = 0;
	st->conn_granted = ASPEN_H2_INITIAL_WINDOW;
	aspen_hpack_init(&st->hp);
}

static __always_inline int ah2_fail(struct aspen_h2 *st, __u32 err)
{
	st->err = err;
	st->phase = AH2_P_ERROR;
	return ASPEN_H2_ERROR;
}

/* The preface's byte at pos. */
static __always_inline __u8 ah2_preface_byte(__u32 pos)
{
	__u64 w = pos < 8 ? AH2_PREFACE_W0 : pos < 16 ? AH2_PREFACE_W1 : AH2_PREFACE_W2;

	return (__u8)(w >> ((pos & 7) << 3));
}

/* Where a payload's body starts, after pad length and priority. */
static __always_inline void ah2_body_part(struct aspen_h2 *st)
{
	st->part = st->len > st->pad ? AH2_PART_BODY : AH2_PART_PAD;
}

/* The frame ended (its last byte, or its header for an empty one). */
static __always_inline int ah2_frame_end(struct aspen_h2 *st)
{
	int ev = ASPEN_H2_EV_FRAME;

	st->phase = AH2_P_HEADER;
	st->pos = 0;
	if (st->part == AH2_PART_PADLEN || st->part == AH2_PART_PRIO)
		return ah2_fail(st, ASPEN_H2_ERR_FRAME); /* flags promised more */
	switch (st->type) {
	case AH2_DATA:
		if (st->flags & AH2_F_END_STREAM)
			ev |= ASPEN_H2_EV_END_STREAM;
		break;
	case AH2_HEADERS:
	case AH2_CONTINUATION:
		if (!(st->flags & AH2_F_END_HEADERS)) {
			st->cont_stream = st->stream;
			break;
		}
		if (!ahp_block_can_end(&st->hp))
			return ah2_fail(st, ASPEN_H2_ERR_HPACK);
		st->cont_stream = 0;
		ev |= ASPEN_H2_EV_HEADERS;
		if (st->block_es) {
			st->head.flags |= ASPEN_H2_H_END_STREAM;
			ev |= ASPEN_H2_EV_END_STREAM;
		}
		break;
	case AH2_RST_STREAM: ev |= ASPEN_H2_EV_RST; break;
	case AH2_SETTINGS:
		if (st->flags & AH2_F_ACK) {
			ev |= ASPEN_H2_EV_SETTINGS_ACK;
			break;
		}
		if (st->set_has_init)
			st->init_win = st->set_init;
		st->settings++;
		ev |= ASPEN_H2_EV_SETTINGS;
		break;
	case AH2_WINDOW_UPDATE:
		st->wu_inc = st->set_val & 0x7fffffffU;
		st->set_val = 0;
		if (st->wu_inc) /* 0 is refused by the receiver: nothing granted */
			ev |= ASPEN_H2_EV_WINDOW;
		break;
	default: break;
	}
	return ev;
}

/* A SETTINGS entry is complete. */
static __always_inline int ah2_setting(struct aspen_h2 *st)
{
	__u32 v = st->set_val;

	switch (st->set_id) {
	case 1: /* HEADER_TABLE_SIZE */ st->set_table = v; return 0;
	case 2: /* ENABLE_PUSH */ return v > 1 ? -1 : 0;
	case 4: /* INITIAL_WINDOW_SIZE: applied when the frame ends */
		if (v > 0x7fffffffU)
			return -1;
		st->set_init = v;
		st->set_has_init = 1;
		return 0;
	case 5: /* MAX_FRAME_SIZE */
		if (v < 16384 || v > 0xffffffU)
			return -1;
		st->set_max_frame = v;
		return 0;
	default: return 0;
	}
}

/* The 9-byte frame header is complete: check it, start the payload. */
static __always_inline int ah2_frame_start(struct aspen_h2 *st)
{
	__u32 s = st->stream & 0x7fffffffU, t = st->type, len = st->len;
	int bad = 0;

	st->stream = s;
	st->pad = 0;
	st->pos = 0;
	st->part = AH2_PART_BODY;
	st->set_has_init = 0;
	st->set_id = 0;
	st->set_val = 0;
	if (st->frames < 255)
		st->frames++;
	if (st->frames == 1 && t != AH2_SETTINGS)
		return ah2_fail(st, ASPEN_H2_ERR_PREFACE);
	if (len > ASPEN_H2_MAX_FRAME)
		return ah2_fail(st, ASPEN_H2_ERR_OVERSIZE);
	if (st->cont_stream && (t != AH2_CONTINUATION || s != st->cont_stream))
		return ah2_fail(st, ASPEN_H2_ERR_FRAME);
	switch (t) {
	case AH2_DATA: bad = s == 0; break;
	case AH2_HEADERS:
		bad = s == 0 || !(s & 1);
		__builtin_memset(&st->head, 0, sizeof(st->head));
		st->head.stream = s;
		st->block_es = st->flags & AH2_F_END_STREAM;
		st->block_bytes = 0;
		ahp_block_start(&st->hp);
		break;
	case AH2_CONTINUATION: bad = !st->cont_stream; break;
	case AH2_PRIORITY: bad = s == 0 || len != 5; break;
	case AH2_RST_STREAM: bad = s == 0 || len != 4; break;
	case AH2_SETTINGS:
		bad = s != 0 || (len % 6) != 0 || ((st->flags & AH2_F_ACK) && len);
		break;
	case AH2_PUSH_PROMISE: bad = 1; break;
	case AH2_PING: bad = s != 0 || len != 8; break;
	case AH2_GOAWAY: bad = s != 0 || len < 8; break;
	case AH2_WINDOW_UPDATE: bad = len != 4; break;
	default: break;
	}
	if (bad)
		return ah2_fail(st, ASPEN_H2_ERR_FRAME);
	if ((t == AH2_DATA || t == AH2_HEADERS) && (st->flags & AH2_F_PADDED))
		st->part = AH2_PART_PADLEN;
	else if (t == AH2_HEADERS && (st->flags & AH2_F_PRIORITY))
		st->part = AH2_PART_PRIO;
	st->phase = AH2_P_PAYLOAD;
	if (len == 0)
		return ah2_frame_end(st) | (t == AH2_DATA ? ASPEN_H2_EV_DATA_FRAME : 0);
	return t == AH2_DATA ? ASPEN_H2_EV_DATA_FRAME : 0;
}

/* A byte of a payload's body (padding and fixed fields excluded). */
static __always_inline int ah2_body_byte(struct aspen_h2 *st, __u8 c, const int hpack)
{
	int r;

	switch (st->type) {
	case AH2_DATA: st->data_bytes++; return ASPEN_H2_EV_DATA;
	case AH2_HEADERS:
	case AH2_CONTINUATION:
		if (!hpack)
			return ah2_fail(st, ASPEN_H2_ERR_FRAME);
		if (++st->block_bytes > ASPEN_H2_MAX_BLOCK)
			return ah2_fail(st, ASPEN_H2_ERR_OVERSIZE);
		r = aspen_hpack_byte(&st->hp, &st->head, c);
		if (r)
			return ah2_fail(st, r);
		return 0;
	case AH2_SETTINGS:
		if (st->pos < 2)
			st->set_id = (__u16)((st->set_id << 8) | c);
		else
			st->set_val = (st->set_val << 8) | c;
		if (++st->pos == 6) {
			st->pos = 0;
			if (ah2_setting(st))
				return ah2_fail(st, ASPEN_H2_ERR_FRAME);
			st->set_id = 0;
			st->set_val = 0;
		}
		return 0;
	case AH2_WINDOW_UPDATE: st->set_val = (st->set_val << 8) | c; return 0;
	default: return 0;
	}
}

/* A payload byte. */
static __always_inline int ah2_payload_byte(struct aspen_h2 *st, __u8 c, const int hpack)
{
	int ev = 0;

	st->len--;
	switch (st->part) {
	case AH2_PART_PADLEN:
		st->pad = c;
		if (st->type == AH2_HEADERS && (st->flags & AH2_F_PRIORITY)) {
			if (st->pad + 5 > st->len)
				return ah2_fail(st, ASPEN_H2_ERR_FRAME);
			st->part = AH2_PART_PRIO;
		} else {
			if (st->pad > st->len)
				return ah2_fail(st, ASPEN_H2_ERR_FRAME);
			ah2_body_part(st);
		}
		break;
	case AH2_PART_PRIO:
		if (++st->pos == 5) {
			st->pos = 0;
			ah2_body_part(st);
		}
		break;
	case AH2_PART_BODY:
		ev = ah2_body_byte(st, c, hpack);
		if (ev < 0)
			return ev;
		if (st->len == st->pad)
			st->part = AH2_PART_PAD;
		break;
	default: break;
	}
	if (st->len == 0) {
		int e = ah2_frame_end(st);

		if (e < 0)
			return e;
		ev |= e;
	}
	return ev;
}

static __always_inline int ah2_byte(struct aspen_h2 *st, __u8 c, const int hpack)
{
	switch (st->phase) {
	case AH2_P_PREFACE:
		if (c != ah2_preface_byte(st->pos))
			return ah2_fail(st, ASPEN_H2_ERR_PREFACE);
		if (++st->pos == AH2_PREFACE_LEN) {
			st->pos = 0;
			st->phase = AH2_P_HEADER;
		}
		return 0;
	case AH2_P_HEADER:
		if (st->pos < 3)
			st->len = ((st->pos ? st->len : 0) << 8) | c;
		else if (st->pos == 3)
			st->type = c;
		else if (st->pos == 4)
			st->flags = c;
		else
			st->stream = ((st->pos > 5 ? st->stream : 0) << 8) | c;
		if (++st->pos < 9)
			return 0;
		return ah2_frame_start(st);
	case AH2_P_PAYLOAD: return ah2_payload_byte(st, c, hpack);
	default: return ASPEN_H2_ERROR;
	}
}

/* One byte the client wrote: events, or ASPEN_H2_ERROR. */
static __always_inline int aspen_h2_byte(struct aspen_h2 *st, __u8 c)
{
	return ah2_byte(st, c, 1);
}

/* The same for a walk that passes header blocks over (aspen_h2_skippable()
 * without responses): a header block byte is an error, and the HPACK
 * decoder is not compiled in. */
static __always_inline int aspen_h2_frame_byte(struct aspen_h2 *st, __u8 c)
{
	return ah2_byte(st, c, 0);
}

/*
 * ---- Passing frames over; flow control --------------------------------------
 *
 * A walk that needs only some frames read (the read probe: SETTINGS and
 * WINDOW_UPDATE always, HEADERS, CONTINUATION and DATA for responses) passes
 * the others over by their length: only frame headers and the frames it
 * reads go byte by byte, and it stays in frame sync across reads.
 *
 * Windows (RFC 9113 6.9), of the client's DATA, from the server's frames:
 * a stream's is `init_win + upd - sent` (upd: the server's WINDOW_UPDATE
 * increments for it, sent: its DATA frames' lengths), computed when needed
 * with the init_win in force, which is exactly 6.9.2's adjustment of every
 * open stream's window by the difference when a SETTINGS frame changes the
 * initial window; the connection's is `conn_granted - conn_sent`, which
 * SETTINGS never change. A window past 2^31-1 is a FLOW_CONTROL_ERROR.
 */

/* Payload bytes of the current frame that may be passed over unread
 * (0: read the next byte with aspen_h2_byte()). responses: HEADERS,
 * CONTINUATION and DATA are read too. */
static __always_inline __u32 aspen_h2_skippable(const struct aspen_h2 *st, int responses)
{
	if (st->phase != AH2_P_PAYLOAD)
		return 0;
	switch (st->type) {
	case AH2_SETTINGS:
	case AH2_WINDOW_UPDATE: return 0;
	case AH2_DATA:
	case AH2_HEADERS:
	case AH2_CONTINUATION: return responses ? 0 : st->len;
	default: return st->len;
	}
}

/* n (1 to aspen_h2_skippable()) payload bytes passed over: events. */
static __always_inline int aspen_h2_skipped(struct aspen_h2 *st, __u32 n)
{
	if (st->phase != AH2_P_PAYLOAD || n > st->len)
		return ah2_fail(st, ASPEN_H2_ERR_FRAME);
	st->len -= n;
	st->part = AH2_PART_BODY; /* padding and priority went with the rest */
	if (st->len == 0)
		return ah2_frame_end(st);
	return 0;
}

/* A connection WINDOW_UPDATE of inc (the server's side's parser): -1
 * (sticky) when the window would pass 2^31-1. */
static __always_inline int aspen_h2fc_conn_update(struct aspen_h2 *st, __u64 conn_sent, __u32 inc)
{
	st->conn_granted += inc;
	if ((__s64)(st->conn_granted - conn_sent) > ASPEN_H2_WINDOW_MAX)
		return ah2_fail(st, ASPEN_H2_ERR_FRAME);
	return 0;
}

/* A stream's WINDOW_UPDATE of inc into its upd: -1 when its window would
 * pass 2^31-1 (the client resets that stream). */
static __always_inline int aspen_h2fc_stream_update(const struct aspen_h2 *st, __u64 *upd,
						    __u64 sent, __u32 inc)
{
	*upd += inc;
	if ((__s64)((__u64)st->init_win + *upd - sent) > ASPEN_H2_WINDOW_MAX)
		return -1;
	return 0;
}

/* What the client may still send on a stream (upd, sent: its WINDOW_UPDATE
 * increments and DATA bytes; conn_sent: the connection's DATA bytes): the
 * smaller of the stream's window and the connection's. Negative after a
 * SETTINGS shrank the initial window below what the stream sent. */
static __always_inline __s64 aspen_h2fc_avail(const struct aspen_h2 *st, __u64 conn_sent,
					      __u64 upd, __u64 sent)
{
	__s64 conn = (__s64)(st->conn_granted - conn_sent);
	__s64 strm = (__s64)((__u64)st->init_win + upd - sent);

	return conn < strm ? conn : strm;
}

#endif
