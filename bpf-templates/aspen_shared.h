/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ABI between a policy object and aspend: the structures both sides
 * read and write, and the names of the maps and programs aspend looks up in
 * an object. Included by kernel code (after <linux/bpf.h>, from
 * aspen_prelude.bpf.h) and by userspace (after <linux/types.h>).
 * Changing a layout here changes the ABI between a .bpf.o and aspend: bump
 * ASPEN_ABI_VERSION, which the metadata section carries.
 *
 * Names: ASPEN_MAP_* and ASPEN_PROG_* are the names of the maps and
 * programs aspend uses, as the templates declare them (the templates spell
 * the same identifiers; runtime/check-abi-names.sh checks each name against
 * compiled objects). Maps marked "every object" are declared in
 * aspen_prelude.bpf.h; the others exist only in objects of the policies
 * that need them, and aspend treats them as optional.
 */
#ifndef ASPEN_SHARED_H
#define ASPEN_SHARED_H

#define ASPEN_ABI_VERSION 4

#define ASPEN_EXE_LEN 256    /* bytes of an executable path kept      */
#define ASPEN_COMM_LEN 16
#define ASPEN_MAX_PREDS 64   /* bits per predicate class (u64 masks)  */
#define ASPEN_MAX_PROVIDERS 64

/* rule index values that are not rules */
#define ASPEN_RULE_DEFAULT 0xffff /* the policy's default decided       */
#define ASPEN_RULE_NONE 0xfffe    /* not AI traffic: nothing decided     */
#define ASPEN_RULE_UNINSPECTABLE 0xfffd /* the `uninspectable` setting decided */
#define ASPEN_RULE_FRONTING 0xfffc      /* the `fronting` setting decided      */
#define ASPEN_RULE_MESSAGES 0xfffb      /* a WebSocket upgrade whose decision needs
					 * its messages' fields: each message decides */

enum aspen_decision {
	ASPEN_ALLOW = 0,
	ASPEN_DENY = 1,
	ASPEN_WOULD_DENY = 2, /* monitor mode: deny recorded, not enforced */
	ASPEN_KILL = 3,
	ASPEN_WOULD_KILL = 4,
};

enum aspen_event_kind {
	ASPEN_EV_CONNECT = 1,
	/* 2 is unused */
	ASPEN_EV_CGROUP_MKDIR = 3,/* internal: compute cgroup predicate bits */
	ASPEN_EV_DNS = 4,         /* internal: a DNS answer to learn from   */
	ASPEN_EV_TLS_HOLD = 5,    /* a thread is stopped: attach its TLS probes */
	ASPEN_EV_REQUEST = 6,     /* a request decision                     */
	ASPEN_EV_RESPONSE = 7,    /* a response (status, token usage)       */
	ASPEN_EV_PROC_EXIT = 8,   /* a probed process exited: detach         */
	ASPEN_EV_MISMATCH = 9,    /* a provider-socket write no probe explained */
	ASPEN_EV_REDACT_HOLD = 10,/* a writer is stopped: mask matches in its buffer */
	ASPEN_EV_TLS_READS = 11,  /* a thread is stopped at its first HTTP/2 preface: attach
				   * its process's TLS read probes (struct aspen_hold_event) */
};

/* Hook that produced a connect event */
enum aspen_hook {
	ASPEN_HOOK_CONNECT4 = 1,
	ASPEN_HOOK_CONNECT6 = 2,
	ASPEN_HOOK_SENDMSG4 = 3,
	ASPEN_HOOK_SENDMSG6 = 4,
	ASPEN_HOOK_SNI = 5, /* sk_msg: a ClientHello named a provider at an unlearned address */
};

/* ---- maps every object has -------------------------------------------- */

/* aspen_config, array[1]: 0 -> struct aspen_config (every object). Written
 * by aspend: at load, at each heartbeat (heartbeat_ns) and at a reload
 * (retired). */
#define ASPEN_MAP_CONFIG "aspen_config"
struct aspen_config {
	__u32 force_monitor; /* aspend --monitor: deny becomes would_deny */
	__u32 retired;       /* a reload replaced this object: its probes stand down */
	__u64 heartbeat_ns;  /* aspend's last sign of life (boot clock); 0: none alive */
	__u64 body_bound;    /* aspend --body-bound: request body bytes parsed
			      * before an undecided request is decided with
			      * unparsed scan_bound; 0: ASPEN_BODY_BOUND_DEFAULT */
	__u32 gen;           /* this object's generation (nonzero), see aspen_tls_proc.gen */
	__u32 spill_slots;   /* aspend forwards held requests (aspen_spill): how many slots */
};

#define ASPEN_BODY_BOUND_DEFAULT (4ULL << 20) /* 4 MiB: coding agents' requests */

/* aspen_events, ring buffer of the records below (every object) */
#define ASPEN_MAP_EVENTS "aspen_events"
/* aspen_lost, per-CPU array[1]: 0 -> __u64 records the ring had no room
 * for (every object) */
#define ASPEN_MAP_LOST "aspen_lost"
/* aspen_ports, hash: __u16 destination port -> __u64 provider mask (every object) */
#define ASPEN_MAP_PORTS "aspen_ports"
/* aspen_cgroup, hash: __u64 cgroup id -> __u64 process.cgroup and
 * container.id predicate bits (every object) */
#define ASPEN_MAP_CGROUP "aspen_cgroup"
/* aspen_user, hash: __u32 uid -> __u64 process.user predicate bits (every object) */
#define ASPEN_MAP_USER "aspen_user"

/* Key of the destination maps: IPv4 is stored as v4-mapped IPv6
 * (::ffff:a.b.c.d) so that connect4 and connect6 share one table. */
struct aspen_ip_key {
	__u8 addr[16];
};

/* aspen_dst, hash: struct aspen_ip_key -> struct aspen_dst_info (every object) */
#define ASPEN_MAP_DST "aspen_dst"

/* What aspend knows about a destination address (map aspen_dst). */
struct aspen_dst_info {
	__u64 providers; /* bit i: provider index i (metadata "provider") */
	__u64 host_bits; /* bit i: dst.host predicate i holds for some name of this ip */
	__u32 host_idx;  /* index of one host name in metadata, for the audit; ~0 none */
	__u32 _pad;
};

/* Provider CIDRs: aspen_cidr, LPM trie: struct aspen_cidr_key -> __u64
 * provider mask (every object). */
#define ASPEN_MAP_CIDR "aspen_cidr"
struct aspen_cidr_key {
	__u32 prefixlen; /* over the v4-mapped 128-bit address */
	__u8 addr[16];
};

/* Per process: aspen_proc, hash: __u32 tgid -> struct aspen_proc (every
 * object). Filled by the exec tracepoint, copied on fork, removed on exit,
 * pre-filled by aspend from /proc. */
#define ASPEN_MAP_PROC "aspen_proc"
struct aspen_proc {
	__u64 exe_bits;          /* bit i: process.exe predicate i holds */
	char exe[ASPEN_EXE_LEN]; /* NUL-terminated path of the executable */
};

/* Everything a connect-level rule can read. Filled by the hook, read by
 * the generated aspen_decide_connect(). */
struct aspen_conn {
	__u64 providers;   /* empty: not a known provider destination */
	__u64 host_bits;
	__u64 exe_bits;
	__u64 cgroup_bits; /* process.cgroup and container.id predicates */
	__u64 user_bits;   /* process.user predicates (by uid) */
	__u64 comm_bits;   /* process.comm predicates */
	__u64 cgroup_id;
	__u32 pid, tgid, uid, gid;
	__u32 host_idx;
	__u16 port;        /* host byte order */
	__u8 family;       /* AF_INET or AF_INET6 (of the socket) */
	__u8 proto;        /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 addr[16];     /* v4-mapped for IPv4 */
	char comm[ASPEN_COMM_LEN];
};

/* What the decision function returns. */
struct aspen_verdict {
	__u16 rule;        /* rule index, ASPEN_RULE_DEFAULT or ASPEN_RULE_NONE */
	__u8 decision;     /* enum aspen_decision, monitor already applied */
	__u8 audit;        /* 1: emit an audit event */
	__u32 redact;      /* bit i: pattern i is to be masked in this request */
};

/* Ring buffer record for a connect decision. */
struct aspen_connect_event {
	__u32 kind;        /* ASPEN_EV_CONNECT */
	__u32 hook;        /* enum aspen_hook */
	__u64 ts_ns;       /* bpf_ktime_get_boot_ns() */
	struct aspen_conn conn;
	struct aspen_verdict verdict;
	__u32 unparsed;    /* enum aspen_unparsed: why `uninspectable` decided (UDP, exe_unknown, cgroup_unknown), else 0 */
	char exe[ASPEN_EXE_LEN];
};

struct aspen_cgroup_event {
	__u32 kind;        /* ASPEN_EV_CGROUP_MKDIR */
	__u32 _pad;
	__u64 cgroup_id;
	char path[256];
};

#define ASPEN_DNS_MAX 512
struct aspen_dns_event {
	__u32 kind;        /* ASPEN_EV_DNS */
	__u32 len;         /* bytes of payload captured */
	__u8 payload[ASPEN_DNS_MAX];
};

/* aspen_dns_stats, per-CPU array[ASPEN_DNS_NSTATS]: enum aspen_dns_stat ->
 * __u64 DNS answers the DNS programs did not pass on (objects of policies
 * with wildcard provider hosts); aspend reports the counts. */
#define ASPEN_MAP_DNS_STATS "aspen_dns_stats"
enum aspen_dns_stat {
	ASPEN_DNS_UNSOLICITED = 0,    /* no recorded query from that server, port and id */
	ASPEN_DNS_OTHER_QUESTION = 1, /* a recorded query asked another question */
	ASPEN_DNS_NSTATS = 2,
};

/* ---- TLS plaintext: requests and responses ------------------------------
 * Only in objects of policies with request or response rules. */

/* The TLS probes aspend attaches per process: write entry and return
 * (SSL_write, SSL_write_ex or OpenSSL's internal write function, and
 * gnutls_record_send), and with response rules the read probes. */
#define ASPEN_PROG_SSL_WRITE "aspen_ssl_write"
#define ASPEN_PROG_GNUTLS_SEND "aspen_gnutls_send"
#define ASPEN_PROG_WRITE_RET "aspen_write_ret"
#define ASPEN_PROG_GO_WRITE "aspen_go_write" /* Go crypto/tls (aspen_go.bpf.h) */
#define ASPEN_PROG_SSL_READ "aspen_ssl_read"         /* response rules only */
#define ASPEN_PROG_SSL_READ_EX "aspen_ssl_read_ex"   /* response rules only */
#define ASPEN_PROG_GNUTLS_RECV "aspen_gnutls_recv"   /* response rules only */
#define ASPEN_PROG_TLS_READ_RET "aspen_tls_read_ret" /* response rules only */
/* Go's (*tls.Conn).Read: entry, and one probe per RET (aspen_go.bpf.h) */
#define ASPEN_PROG_GO_READ "aspen_go_read"	   /* response rules only */
#define ASPEN_PROG_GO_READ_RET "aspen_go_read_ret" /* response rules only */

/* Provider sockets (sockops) and the state of their connections: aspend
 * only hands these over to the next object at a reload, so that
 * connections opened before it stay under enforcement. */
#define ASPEN_MAP_SOCKHASH "aspen_sockhash"
#define ASPEN_MAP_SOCKS "aspen_socks"

/* aspen_tls_ready, hash: __u32 tgid -> struct aspen_tls_proc: where a
 * process stands with its TLS probes */
#define ASPEN_MAP_TLS_READY "aspen_tls_ready"
enum aspen_tls_state {
	ASPEN_TLS_HELD = 1,   /* stopped at connect, waiting for aspend to attach */
	ASPEN_TLS_READY = 2,  /* probes attached                              */
	ASPEN_TLS_NONE = 3,   /* no TLS library found: uninspectable          */
};

struct aspen_tls_proc {
	__u32 state;          /* enum aspen_tls_state */
	__u32 gen;            /* the object whose probes decide for it (its
			       * aspen_config.gen; 0: any): moving a process to
			       * a new object's probes is this one write */
	__u64 providers;      /* providers this process connected to */
	__u64 since_ns;
	__u32 reads;          /* enum aspen_tls_reads: its read probes */
	__u32 _pad;
	__u64 reads_ns;       /* when `reads` became ASPEN_READS_HELD */
};

/* A process's TLS read probes (SSL_read...). Policies with response rules
 * attach them with the write probes; the others only at a process's first
 * HTTP/2 connection, where they follow the server's flow-control windows
 * (aspen_h2.bpf.h): an HTTP/1.1 client pays no read probe. */
enum aspen_tls_reads {
	ASPEN_READS_NO = 0,     /* not attached                                   */
	ASPEN_READS_HELD = 1,   /* a writer is stopped at an HTTP/2 preface: aspend attaches them */
	ASPEN_READS_ON = 2,     /* attached                                       */
	ASPEN_READS_FAILED = 3, /* could not be: HTTP/2 windows fall back to the initial ones */
};

/* A TLS session as the probes name it: the process and the library's
 * session object (SSL * or gnutls_session_t). */
struct aspen_stream_key {
	__u32 tgid;
	__u32 _pad;
	__u64 session;
};

/* A connection, as both sockops and sk_msg can name it (sk_msg programs
 * cannot read the socket cookie): remote address and both ports. */
struct aspen_sock_key {
	__u8 raddr[16]; /* v4-mapped for IPv4 */
	__u32 rport;    /* host order */
	__u32 lport;    /* host order */
};

/* aspen_ledger, LRU hash: struct aspen_stream_key -> struct aspen_ledger:
 * what the write probes inspected on a TLS session
 * and what its connection may still send. The probe adds the plaintext
 * bytes of allowed requests to `credit` (undecided ones to `pending`); the
 * sk_msg program charges each application-data record's plaintext size
 * against it, on the one socket the session is bound to. Bytes nobody
 * credited are decided by `uninspectable` (docs/internals.md). */
#define ASPEN_MAP_LEDGER "aspen_ledger"
enum aspen_ledger_flags {
	ASPEN_LEDGER_DENIED = 1 << 0, /* a request was denied: nothing more leaves */
	ASPEN_LEDGER_BOUND = 1 << 1,  /* `sock` is the session's connection        */
	ASPEN_LEDGER_PASS_REST = 1 << 2, /* `uninspectable allow` passed it unread    */
	ASPEN_LEDGER_HOSTS = 1 << 3,     /* req_providers holds requests' Host providers */
};

struct aspen_ledger {
	__u64 credit;  /* plaintext bytes inspected and allowed, not yet sent */
	__u64 pending; /* plaintext bytes of a request still undecided        */
	__u64 flags;   /* enum aspen_ledger_flags (64 bits: atomic or)         */
	__u16 rule;    /* the rule that denied                                 */
	__u16 reason;  /* enum aspen_unparsed: why bytes were not credited     */
	__u32 stream_gen; /* aspen_config.gen of the object whose write probe made
			   * the session's aspen_streams entry (0: none): that
			   * object finding it gone knows it was evicted */
	__u64 req_providers; /* before binding: providers every request's Host named */
	struct aspen_sock_key sock;
};

/* aspen_spill, array[ASPEN_SPILL_SLOTS]: u32 slot -> struct aspen_spill.
 * An undecided request whose ciphertext is more than sk_msg can cork is
 * held by aspend instead: sk_msg redirects the connection's writes to the
 * receive queue of a socket aspend reads (the slot's "hold" socket, in the
 * SOCKHASH under ASPEN_SPILL_HOLD_KEY), and aspend writes the prefix sk_msg
 * allowed (`ok`) to the slot's "forward" socket, whose sk_msg verdict
 * redirects it to the provider connection (`target`). Denied: `state`
 * DEAD and aspend throws the held bytes away. Free slot ids are in the
 * queue aspen_spill_free, pushed by aspend, popped by sk_msg.
 * aspen_spill_of, hash: aspen_sock_key -> u32 slot: the forward socket's
 * and the provider connection's slot. docs/internals.md, "Spill". */
#define ASPEN_MAP_SPILL "aspen_spill"
#define ASPEN_MAP_SPILL_FREE "aspen_spill_free"
#define ASPEN_MAP_SPILL_OF "aspen_spill_of"
#define ASPEN_SPILL_SLOTS 32
enum aspen_spill_state {
	ASPEN_SPILL_FREE = 0,
	ASPEN_SPILL_ACTIVE = 1, /* the connection's writes go through the slot */
	ASPEN_SPILL_DEAD = 2,   /* denied or closed: the rest is thrown away */
};

struct aspen_spill {
	struct aspen_sock_key target; /* the provider connection */
	__u64 sent;  /* ciphertext bytes redirected to the hold socket */
	__u64 ok;    /* of those, how many (a prefix) may go to the provider */
	__u64 debt;  /* plaintext bytes sent while undecided, to be paid by credit */
	__u32 state; /* enum aspen_spill_state */
	__u32 tgid;  /* the writer's process (aspend's log) */
};

/* SOCKHASH keys of a slot's sockets: no real connection has port 0 or a
 * local port above 65535 */
#define ASPEN_SPILL_HOLD_KEY(k, slot)                                              \
	do {                                                                       \
		__builtin_memset(&(k), 0, sizeof(k));                              \
		(k).lport = 0x10000u + (slot);                                     \
	} while (0)
#define ASPEN_SPILL_FWD_KEY(k, slot)                                               \
	do {                                                                       \
		__builtin_memset(&(k), 0, sizeof(k));                              \
		(k).rport = 1;                                                     \
		(k).lport = 0x10000u + (slot);                                     \
	} while (0)

/* aspen_tid_session, LRU hash: thread id (or tgid | 1 << 31) -> the session
 * its last write probe saw; binds a connection's first application data to
 * its session. Handed over at a reload with the ledger. */
#define ASPEN_MAP_TID_SESSION "aspen_tid_session"

/* aspen_h2conns, LRU hash: struct aspen_stream_key -> an HTTP/2 connection's
 * frame parser and HPACK state (aspen_h2.bpf.h). Handed over at a reload:
 * the header table of a live connection cannot be rebuilt. */
#define ASPEN_MAP_H2CONNS "aspen_h2conns"
struct aspen_tid_session {
	struct aspen_stream_key key;
	__u64 ts_ns;
};

/* Field buffers are powers of two: parsers index them with `i & (LEN-1)`,
 * which is what lets the verifier prove every store in bounds. Values
 * longer than a buffer are cut (flag ASPEN_REQ_TRUNCATED). */
#define ASPEN_METHOD_LEN 16
#define ASPEN_PATH_LEN 128  /* = ASPEN_HPACK_VAL_LEN (aspen_hpack.h)            */
#define ASPEN_HOST_LEN 128
#define ASPEN_MODEL_LEN 128 /* a Bedrock inference-profile ARN                */
#define ASPEN_USER_LEN 128

enum aspen_req_flags {
	ASPEN_REQ_STREAM = 1 << 0,    /* body has "stream": true                 */
	ASPEN_REQ_HAS_MODEL = 1 << 1, /* a top-level "model" string was found    */
	ASPEN_REQ_HAS_USER = 1 << 2,  /* "user" or "metadata": {"user_id": ...}  */
	ASPEN_REQ_CHUNKED = 1 << 3,   /* Transfer-Encoding: chunked              */
	ASPEN_REQ_TRUNCATED = 1 << 4, /* a field was longer than its buffer      */
	ASPEN_REQ_EXPECT = 1 << 5,    /* Expect: 100-continue: decide on the head */
	ASPEN_REQ_HEAD_DONE = 1 << 6, /* request line and headers complete       */
	ASPEN_REQ_BODY_DONE = 1 << 7, /* the whole body was seen                 */
	ASPEN_REQ_PATH_MODEL = 1 << 8, /* model is the one the path names        */
	ASPEN_REQ_WS_HEAD = 1 << 9,   /* GET + Upgrade: websocket + Connection: upgrade */
	ASPEN_REQ_WS_MSG = 1 << 10,   /* a WebSocket message (aspen_ws.bpf.h)     */
	ASPEN_REQ_UNSEEN_MODEL = 1 << 11, /* request.model unknown (a WebSocket head,
					   * a message no model is known for) */
	ASPEN_REQ_UNSEEN_BODY = 1 << 12,  /* request.body/user/stream unknown (a WebSocket head) */
	ASPEN_REQ_WS_NAMED = 1 << 13, /* the message itself names its model      */
};

/* Why a request could not be inspected; the policy's `uninspectable`
 * setting decides such requests, and the audit line names the reason. */
enum aspen_unparsed {
	ASPEN_UNPARSED_NONE = 0,
	ASPEN_UNPARSED_NOT_HTTP1 = 1,   /* not an HTTP/1.x request (e.g. HTTP/2 preface) */
	ASPEN_UNPARSED_COMPRESSED = 2,  /* Content-Encoding the scanner cannot read      */
	ASPEN_UNPARSED_BOUND = 3,       /* body beyond the scan bound, fields not found  */
	ASPEN_UNPARSED_MALFORMED = 4,   /* bad request line, header or chunk framing     */
	ASPEN_UNPARSED_NO_TLS_LIB = 5,  /* connect: no TLS library to probe in the process */
	ASPEN_UNPARSED_NO_REDACT = 6,   /* a match to mask, and nobody alive to mask it */
	ASPEN_UNPARSED_UNINSPECTED = 7, /* ciphertext no probe inspected on that connection */
	ASPEN_UNPARSED_TLS_FRAMING = 8, /* not TLS records, or records that cannot be accounted */
	ASPEN_UNPARSED_HOST_MISMATCH = 9, /* Host names no provider, on a provider connection */
	ASPEN_UNPARSED_SESSION = 10,    /* bytes of another TLS session than the bound one */
	ASPEN_UNPARSED_UNSYNCED = 11,   /* the probe lost the request framing earlier     */
	ASPEN_UNPARSED_UDP = 12,        /* connect: UDP to a provider (QUIC), never inspected */
	ASPEN_UNPARSED_PROVIDER_MISMATCH = 13, /* Host names a provider the address is not */
	ASPEN_UNPARSED_SNI_MISMATCH = 14, /* the ClientHello's SNI names a provider the address is not */
	ASPEN_UNPARSED_H2_MIDSTREAM = 15, /* HTTP/2 connection begun before the probes: HPACK state unknown */
	ASPEN_UNPARSED_H2_STATE = 16,   /* the HTTP/2 parser lost the connection (frame, HPACK, size) */
	ASPEN_UNPARSED_MODEL_CONFLICT = 17, /* the path and the body name different models */
	ASPEN_UNPARSED_GO_VERSION = 18, /* connect: a Go executable of a version not tested */
	ASPEN_UNPARSED_HOLD_FULL = 19,  /* an undecided request too big to cork, and no spill slot free */
	ASPEN_UNPARSED_PATTERN_NOT_FOUND = 20, /* connect: BoringSSL without symbols, its SSL_write/SSL_read not found */
	ASPEN_UNPARSED_PATTERN_AMBIGUOUS = 21, /* connect: BoringSSL without symbols, a signature matches several functions */
	ASPEN_UNPARSED_EXE_UNKNOWN = 22, /* connect: no record of the process's executable, and process.exe rules */
	ASPEN_UNPARSED_STATE_LOST = 23, /* the connection's state was evicted (more connections than aspend --max-connections) */
	ASPEN_UNPARSED_WS_COMPRESSED = 24, /* a WebSocket frame with RSV bits (permessage-deflate) */
	ASPEN_UNPARSED_WS_FRAMING = 25,	/* a WebSocket frame the parser refused (boundary lost) */
	ASPEN_UNPARSED_WS_TOO_BIG = 26,	/* a WebSocket message larger than can be held undecided */
	ASPEN_UNPARSED_RUSTLS = 27,     /* connect: rustls compiled in, which Aspen does not probe */
	/* 28: unused */
	ASPEN_UNPARSED_CGROUP_UNKNOWN = 29, /* connect: a cgroup aspend has not yet seen, and cgroup rules */
	ASPEN_UNPARSED_EXISTING = 30,   /* a provider connection opened before aspend started: nothing of it seen */
};

/* What a request's `unparsed` reason leaves unknown to its rules
 * (docs/language.md, "Requests Aspen could not read"): nothing of the
 * request (its Host, hence whether it is AI traffic, included), its body
 * fields (request.model unless the path gave it, request.user,
 * request.stream, request.body), or request.model only. */
enum aspen_unseen {
	ASPEN_UNSEEN_NONE = 0,
	ASPEN_UNSEEN_ALL = 1,
	ASPEN_UNSEEN_BODY = 2,
	ASPEN_UNSEEN_MODEL = 3,
};

static inline __attribute__((unused)) int aspen_unparsed_unseen(__u32 why)
{
	if (why == ASPEN_UNPARSED_NONE)
		return ASPEN_UNSEEN_NONE;
	if (why == ASPEN_UNPARSED_COMPRESSED || why == ASPEN_UNPARSED_BOUND)
		return ASPEN_UNSEEN_BODY;
	if (why == ASPEN_UNPARSED_MODEL_CONFLICT)
		return ASPEN_UNSEEN_MODEL;
	return ASPEN_UNSEEN_ALL;
}

/* Everything a request rule can read. conn carries the process fields and,
 * in providers, the providers named by the Host header. */
struct aspen_req {
	struct aspen_conn conn;
	char method[ASPEN_METHOD_LEN];
	char path[ASPEN_PATH_LEN];
	char host[ASPEN_HOST_LEN];   /* Host header, lower-case, without :port */
	char model[ASPEN_MODEL_LEN];
	char user[ASPEN_USER_LEN];   /* OpenAI "user", Anthropic metadata.user_id */
	__u64 content_length;        /* ~0 when absent */
	__u64 body_seen;             /* body bytes parsed so far */
	__u32 flags;                 /* enum aspen_req_flags */
	__u32 unparsed;              /* enum aspen_unparsed */
	__u64 body_match;            /* bit i: pattern i matched in the body so far */
};

struct aspen_resp {
	struct aspen_conn conn;
	__u32 status;                /* HTTP status code, 0 until parsed */
	__u32 flags;
	__u64 tokens_in;             /* usage.prompt_tokens / usage.input_tokens */
	__u64 tokens_out;            /* usage.completion_tokens / usage.output_tokens */
	__u64 bytes;
};

struct aspen_hold_event {
	__u32 kind;           /* ASPEN_EV_TLS_HOLD, ASPEN_EV_TLS_READS or ASPEN_EV_PROC_EXIT */
	__u32 tgid;
	__u32 pid;
	__u32 _pad;
};

struct aspen_request_event {
	__u32 kind;           /* ASPEN_EV_REQUEST */
	__u32 probe;          /* enum aspen_probe */
	__u64 ts_ns;
	struct aspen_req req;
	struct aspen_verdict verdict;
	__u32 _pad;
	__u64 bytes;          /* head + body of the request (known or announced) */
	__u64 session;        /* SSL * / gnutls session (correlates redactions) */
	__u64 req_seq;        /* when the request began (boot ns; an HTTP/2 stream's
			       * with ASPEN_REQ_SEQ_H2): with the session, names it
			       * (its masks' counts) */
	char exe[ASPEN_EXE_LEN];
};

struct aspen_response_event {
	__u32 kind;           /* ASPEN_EV_RESPONSE */
	__u32 probe;
	__u64 ts_ns;
	struct aspen_resp resp;
	struct aspen_verdict verdict;
	__u32 _pad;
	char model[ASPEN_MODEL_LEN]; /* of the request this answers */
	char exe[ASPEN_EXE_LEN];
};

struct aspen_mismatch_event {
	__u32 kind;           /* ASPEN_EV_MISMATCH */
	__u32 reason;         /* enum aspen_unparsed */
	__u32 tgid, pid;
	__u32 dropped;
	__u32 uid, gid;
	__u32 _pad;
	__u64 cgroup_id;
	__u64 providers;      /* of the connection */
	struct aspen_sock_key sock;
};

/* The existing-connections sweep (aspen_existing.bpf.h, aspend's
 * hook_iter.c): aspend writes where its scope is in the cgroup v2 tree,
 * runs the SEC("iter/tcp") program once, and reads one record per
 * provider connection of the scope that was established before aspend
 * filed it (the event as sk_msg would make it, without the process: the
 * sweep runs in aspend; aspend finds the owner by the socket's inode). */
#define ASPEN_MAP_SCOPE "aspen_scope"
#define ASPEN_PROG_EXISTING "aspen_existing"
struct aspen_scope {
	__u64 cgroup_id; /* the scope's cgroup (its directory's inode) */
	__u32 level;     /* its depth below the cgroup v2 root (0: the whole host) */
	__u32 _pad;
};

struct aspen_existing_rec {
	struct aspen_mismatch_event ev; /* reason ASPEN_UNPARSED_EXISTING; aspend sets dropped */
	__u64 ino;                      /* the socket's inode, 0 if it has no file */
	__u32 other_port;               /* 1: an address no provider has, on a provider port */
	__u32 deny;                     /* 1: `uninspectable deny` (not --monitor) decided it */
};

/* aspen_redact_held, LRU hash: __u32 thread id -> struct aspen_redact_held:
 * the last time the kernel stopped that writer for aspend to mask its
 * buffer, recorded (HELD) before it is stopped. aspend marks it DONE before
 * it resumes the writer; when aspend dies, its watchdog (runtime/src/
 * watchdog.c) denies the session of each HELD record in the ledger, marks
 * it RELEASED and resumes the writer: nothing is left stopped, and the
 * unmasked bytes are dropped by sk_msg. A writer that runs again while its
 * record says HELD (a SIGCONT not aspend's, seen by the signal_generate
 * tracer; or a write sk_msg sees from it) is ESCAPED: the kernel denies
 * its session. A thread is held again only when its record is not HELD;
 * records are never deleted (the LRU drops old ones). */
#define ASPEN_MAP_REDACT_HELD "aspen_redact_held"
#define ASPEN_REDACT_HELD_MAX 4096
enum aspen_redact_state {
	ASPEN_REDACT_HELD = 1,	   /* stopped (or about to be), not masked yet */
	ASPEN_REDACT_DONE = 2,	   /* aspend masked (or denied) it and resumes it */
	ASPEN_REDACT_RELEASED = 3, /* resumed by a watchdog, its request denied */
	ASPEN_REDACT_ESCAPED = 4,  /* resumed by another SIGCONT before aspend was
				    * done: its session denied by the kernel */
	ASPEN_REDACT_PROC = 5,	   /* not a hold: a process's entry (below) */
};
/* aspen_redact_done's context (BPF_PROG_TEST_RUN, ctx in and out): the
 * hold (tid, and what tells it from the thread's next), the state it is
 * DONE from (HELD; ESCAPED once aspend audited the escape), and was: its
 * state before (== from: now DONE), 0 when it is gone. */
#define ASPEN_PROG_REDACT_DONE "aspen_redact_done"
struct aspen_redact_done_ctx {
	__u32 tid, tgid;
	__u64 session, buf;
	__u32 was;
	__u32 from;
};
/* A process's entry, under ASPEN_REDACT_PROC_KEY(tgid) (thread ids are
 * below 2^22): the threads of it the kernel held (`tids`, the first
 * ASPEN_REDACT_PROC_TIDS; `ntids` counts them all), so that the SIGCONT
 * tracer finds a process's holds without walking the map (a walk visits
 * every bucket: ~10 us a SIGCONT, aspend's own resumes included). More
 * threads than listed: it walks. */
#define ASPEN_REDACT_PROC_KEY(tgid) ((__u32)(tgid) | 0x80000000u)
#define ASPEN_REDACT_PROC_TIDS 5
struct aspen_redact_held {
	__u32 tgid;
	__u32 state; /* enum aspen_redact_state */
	union {
		struct {
			__u64 session;	/* the ledger key is { tgid, session } */
			__u64 buf;	/* = the hold event's buf: tells a hold from the next */
			__u64 since_ns; /* CLOCK_BOOTTIME of the hold */
		};
		struct { /* ASPEN_REDACT_PROC */
			__u32 tids[ASPEN_REDACT_PROC_TIDS];
			__u32 ntids;
		};
	};
};

/* Where matches to mask end in a write: the kernel's DFA accepted on the
 * bytes at offsets from..to of the write (the byte that completes a match,
 * or with a closing \b the one after it, which may be the last byte of a
 * JSON escape), for the patterns `pats`. Adjacent offsets with the same
 * patterns share an entry. aspend masks only what it finds plain in the
 * buffer; every offset here must lie in or just after a match it masked,
 * or the request is denied (a match written with escapes, split by a write,
 * chunk or frame boundary). Until session 38 aspend only checked that it
 * found *some* match of each pattern: a plain SSN beside an escaped one
 * masked the first and sent the second. 1024 entries (12 KB in each hold
 * event): a prompt holding a list of addresses is masked, not denied
 * (256 until session 40). */
#define ASPEN_REDACT_ENDS 1024
/* req_seq of an HTTP/2 stream's request: streams interleave, so a later
 * one's line does not mean an earlier one's writes are all parsed */
#define ASPEN_REQ_SEQ_H2 (1ULL << 63)
struct aspen_redact_end {
	__u32 from, to; /* offsets in the write */
	__u32 pats;     /* patterns to mask whose DFA accepted there */
};

struct aspen_redact_ends {
	__u32 n;    /* entries used */
	__u32 over; /* 1: more than ASPEN_REDACT_ENDS: cannot be checked */
	struct aspen_redact_end e[ASPEN_REDACT_ENDS];
};

/* A writer stopped before its buffer is encrypted: aspend masks the
 * matches of `patterns` in [buf, buf + len) and resumes it. */
struct aspen_redact_event {
	__u32 kind;           /* ASPEN_EV_REDACT_HOLD */
	__u32 tgid, pid;
	__u32 patterns;       /* patterns to mask (this request's redact mask) */
	__u64 matched;        /* patterns the kernel saw end in this write */
	__u64 session;        /* SSL * / gnutls session: correlates the request */
	__u64 buf;            /* the plaintext in the writer's memory */
	__u64 len;
	__u32 body_off;       /* first body byte of this write (the head is not masked) */
	__u32 _pad;
	__u64 req_seq;        /* of the request the write belongs to (0: several HTTP/2 streams) */
	struct aspen_redact_ends ends; /* where the kernel saw them end */
};

enum aspen_probe {
	ASPEN_PROBE_OPENSSL = 1,
	ASPEN_PROBE_GNUTLS = 2,
	ASPEN_PROBE_GO = 3, /* crypto/tls.(*Conn).Write (aspen_go.bpf.h) */
};

/* The attach cookie of a write probe: which argument of the probed
 * function points to where it stores what it wrote (SSL_write_ex's
 * `size_t *written`; OpenSSL's internal write has it fourth, or fifth from
 * 3.3, which added a flags argument); none: the return value says. */
enum aspen_write_cookie {
	ASPEN_COOKIE_WRITTEN_RET = 0,
	ASPEN_COOKIE_WRITTEN_ARG4 = 4,
	ASPEN_COOKIE_WRITTEN_ARG5 = 5,
};

#endif
