/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * RFC 6455 client-to-server frames, one byte at a time: the WebSocket
 * frame parser of the write probe (aspen_ws.bpf.h). Compiles as eBPF C
 * and as host C (tests/unit/test_ws.c), like aspen_http.h: no loops, no
 * tables, no multiplication or division.
 *
 * A frame: FIN, RSV1-3, opcode (byte 0); MASK, 7-bit length (byte 1);
 * 16- or 64-bit extended length (big-endian) when that is 126 or 127; the
 * 4-byte masking key (a client's frames are always masked: RFC 6455 5.3);
 * the payload, each byte XORed with key[i mod 4].
 *
 * aspen_ws_byte() returns a set of AWS_EV_* bits, or a negative AWS_ERR_*:
 *   AWS_EV_DATA       the byte is payload of a data frame (text, binary,
 *                     continuation); *out is it unmasked
 *   AWS_EV_MSG_START  the header of a message's first frame just completed
 *                     (w->msg_op: 1 text, 2 binary)
 *   AWS_EV_FRAME_END  the frame ended with this byte (its last payload byte,
 *                     or the last header byte of an empty frame)
 *   AWS_EV_MSG_END    ... and it was the FIN frame of a data message
 *   AWS_EV_CTRL       ... and it was a control frame (close, ping, pong)
 * Errors (sticky: every later byte returns the same error):
 *   AWS_ERR_RSV       RSV1 on a text or binary frame: permessage-deflate
 *                     compressed the message, which this parser cannot read
 *                     (RSV2, RSV3, RSV1 elsewhere: AWS_ERR_FRAMING)
 *   AWS_ERR_FRAMING   an unknown opcode, an unmasked frame, a control frame
 *                     fragmented or over 125 bytes, a continuation outside a
 *                     message or a new message inside one, a 64-bit length
 *                     with its top bit set: the frame boundary is lost
 * Control frames may come between the frames of a fragmented message
 * (RFC 6455 5.4); their payload bytes carry no event.
 */
#ifndef ASPEN_WS_H
#define ASPEN_WS_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#include "aspen_shared.h"

enum { AWS_HDR0 = 0, AWS_HDR1, AWS_LEN, AWS_MASK, AWS_PAYLOAD, AWS_ERROR };

#define AWS_EV_DATA 1
#define AWS_EV_MSG_START 2
#define AWS_EV_FRAME_END 4
#define AWS_EV_MSG_END 8
#define AWS_EV_CTRL 16
#define AWS_ERR_RSV (-1)
#define AWS_ERR_FRAMING (-2)

#define AWS_OP_CONT 0
#define AWS_OP_TEXT 1
#define AWS_OP_BINARY 2
#define AWS_OP_CLOSE 8
#define AWS_OP_PING 9
#define AWS_OP_PONG 10

struct aspen_ws {
	__u64 left;  /* payload bytes left in the current frame (length while read) */
	__u32 key;   /* the masking key, its first byte lowest */
	__u8 phase;  /* AWS_* */
	__u8 hdr0;   /* the current frame's first byte */
	__u8 need;   /* extended length / key bytes still to read */
	__u8 midx;   /* payload bytes read mod 4 (the key byte of the next) */
	__u8 in_msg; /* a data message is open (its FIN frame not seen yet) */
	__u8 msg_op; /* that message's opcode: AWS_OP_TEXT or AWS_OP_BINARY */
	__u8 err;    /* the sticky error (negated), 0 */
	__u8 _pad;
};

static __always_inline int aspen_ws_fail(struct aspen_ws *w, int err)
{
	w->phase = AWS_ERROR;
	w->err = (__u8)-err;
	return err;
}

/* A frame ends: a control frame, or the last frame of a message (FIN). */
static __always_inline int aspen_ws_frame_end(struct aspen_ws *w, __u8 op, int ev)
{
	w->phase = AWS_HDR0;
	ev |= AWS_EV_FRAME_END;
	if (op >= AWS_OP_CLOSE)
		return ev | AWS_EV_CTRL;
	if (w->hdr0 & 0x80) {
		w->in_msg = 0;
		ev |= AWS_EV_MSG_END;
	}
	return ev;
}

/* The header is complete (the key read): a frame with no payload ends here. */
static __always_inline int aspen_ws_header_done(struct aspen_ws *w)
{
	__u8 op = w->hdr0 & 0x0f;
	int ev = 0;

	w->midx = 0;
	if (op == AWS_OP_TEXT || op == AWS_OP_BINARY) {
		w->msg_op = op;
		ev |= AWS_EV_MSG_START;
	}
	if (op < AWS_OP_CLOSE && !(w->hdr0 & 0x80))
		w->in_msg = 1;
	if (w->left) {
		w->phase = AWS_PAYLOAD;
		return ev;
	}
	return aspen_ws_frame_end(w, op, ev);
}

static __always_inline int aspen_ws_byte(struct aspen_ws *w, __u8 b, __u8 *out)
{
	__u8 op;
	int ev;

	switch (w->phase) {
	case AWS_HDR0:
		op = b & 0x0f;
		/* RSV1 on a message's first frame: permessage-deflate; any
		 * other RSV bit (an extension never seen, or HTTP text after a
		 * refused upgrade: 'G' is RSV1 + opcode 7) is lost framing */
		if ((b & 0x70) == 0x40 && (op == AWS_OP_TEXT || op == AWS_OP_BINARY))
			return aspen_ws_fail(w, AWS_ERR_RSV);
		if (b & 0x70)
			return aspen_ws_fail(w, AWS_ERR_FRAMING);
		if (op > AWS_OP_PONG || (op > AWS_OP_BINARY && op < AWS_OP_CLOSE))
			return aspen_ws_fail(w, AWS_ERR_FRAMING);
		/* control frames are not fragmented */
		if (op >= AWS_OP_CLOSE && !(b & 0x80))
			return aspen_ws_fail(w, AWS_ERR_FRAMING);
		if ((op == AWS_OP_CONT) != (w->in_msg != 0) && op < AWS_OP_CLOSE)
			return aspen_ws_fail(w, AWS_ERR_FRAMING);
		w->hdr0 = b;
		w->phase = AWS_HDR1;
		return 0;
	case AWS_HDR1:
		if (!(b & 0x80))
			return aspen_ws_fail(w, AWS_ERR_FRAMING); /* a client's frame unmasked */
		b &= 0x7f;
		if ((w->hdr0 & 0x0f) >= AWS_OP_CLOSE && b > 125)
			return aspen_ws_fail(w, AWS_ERR_FRAMING);
		w->left = b < 126 ? b : 0;
		w->need = b < 126 ? 4 : (b == 126 ? 2 : 8);
		w->phase = b < 126 ? AWS_MASK : AWS_LEN;
		w->key = 0;
		w->midx = 0;
		return 0;
	case AWS_LEN:
		if (w->need == 8 && (b & 0x80))
			return aspen_ws_fail(w, AWS_ERR_FRAMING); /* RFC 6455 5.2: MSB 0 */
		w->left = (w->left << 8) | b;
		if (--w->need)
			return 0;
		w->need = 4;
		w->phase = AWS_MASK;
		return 0;
	case AWS_MASK:
		w->key |= (__u32)b << ((w->midx & 3) << 3);
		w->midx++;
		if (--w->need)
			return 0;
		return aspen_ws_header_done(w);
	case AWS_PAYLOAD:
		*out = b ^ (__u8)(w->key >> ((w->midx & 3) << 3));
		w->midx++;
		op = w->hdr0 & 0x0f;
		ev = op < AWS_OP_CLOSE ? AWS_EV_DATA : 0;
		if (--w->left)
			return ev;
		return aspen_ws_frame_end(w, op, ev);
	}
	return -(int)w->err;
}

/* WebSocket (docs/language.md, "WebSocket connections"): an upgrade head whose
 * decision depends on what only its messages say (request.model, the body
 * fields) passes, rule `messages`, and each message is decided; a message
 * that names no model itself and is allowed is not audited. Called after
 * aspen_decide_request() by the write probe and by `aspenc test`
 * (aspen_test.bpf.h). */
static __always_inline void aspen_ws_verdict(const struct aspen_req *r, struct aspen_verdict *v)
{
	if (r->flags & ASPEN_REQ_WS_HEAD) {
		if (v->rule == ASPEN_RULE_UNINSPECTABLE && !r->unparsed) {
			v->rule = ASPEN_RULE_MESSAGES;
			v->decision = ASPEN_ALLOW;
			v->audit = 1;
		}
		return;
	}
	if (!(r->flags & ASPEN_REQ_WS_NAMED) && v->decision == ASPEN_ALLOW &&
	    v->rule != ASPEN_RULE_UNINSPECTABLE)
		v->audit = 0;
}

#endif
