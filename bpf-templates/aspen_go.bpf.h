/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Go's crypto/tls: a uprobe on crypto/tls.(*Conn).Write, found by aspend
 * in the executable's Go symbol table (.gopclntab, kept by stripped
 * binaries: runtime/lib/rt_gosym.c), attached per process like the
 * OpenSSL probes (aspen_tls.bpf.h) and feeding the same parse, decision
 * and ledger path.
 *
 *   func (c *Conn) Write(b []byte) (int, error)
 *   amd64 register ABI (Go 1.17+): c in RAX, b's pointer in RBX, its
 *   length in RCX (its capacity in RDI); the goroutine (g) in R14.
 *
 * No return probe: uretprobes rewrite the return address on the stack,
 * and Go moves goroutine stacks. None is needed: the OpenSSL return probe
 * exists to undo a write that failed and is repeated with the same bytes
 * (struct aspen_write_undo); a failed (*tls.Conn).Write is never repeated
 * on that Conn (a write error is permanent for it: every later Write
 * returns it), so what the entry probe parsed and decided is committed at
 * entry, audit lines included.
 *
 * Which socket the session writes to is not left to the thread: a
 * goroutine that blocks may resume on another thread, and one thread runs
 * many goroutines, so "the session this thread wrote last" (how sk_msg
 * binds OpenSSL sessions) may name another connection. The probe follows
 * the Conn to its socket instead: c.conn (a net.Conn interface: its data
 * word, at 8) is a *net.TCPConn, whose first word is its *net.netFD,
 * whose poll.FD has the descriptor at 16 (Sysfd, after the 16-byte
 * fdMutex); that descriptor in the process's file table is a socket whose
 * addresses give the aspen_socks key. The session is bound to that socket
 * here, before sk_msg sees a byte of it. A Conn whose socket cannot be
 * found that way (a net.Conn that is not a *net.TCPConn: a proxy tunnel,
 * a wrapper) is not bound and not noted for its thread either: its
 * socket's bytes are uninspected (`uninspectable`). The layout is that of
 * the Go versions rt_gosym.c accepts; others are refused (go_version).
 *
 * The read side (policies with response rules): (*tls.Conn).Read
 *
 *   func (c *Conn) Read(b []byte) (n int, err error)
 *   entry: c in RAX, b's pointer in RBX, its length in RCX; return: n in
 *   RAX, err (an interface: itab, data) in RBX, RCX.
 *
 * Its return values are read at its RET instructions, each probed at the
 * offset aspend found by decoding the function (runtime/lib/rt_x86len.c),
 * not by a uretprobe. The entry probe keeps (c, b) until a RET, keyed by
 * the goroutine (R14 holds the current g in both places, whichever thread
 * runs it then), not by the thread: a goroutine blocked in Read may
 * resume on another thread, and the thread may run other goroutines (and
 * other Reads) meanwhile. n > 0 bytes are the application's data whatever
 * err says (io.Reader's contract: Read returns (n, io.EOF) when the
 * server's close_notify follows the last record); n <= 0 is skipped. The
 * bytes go to the response parser OpenSSL's read probe feeds
 * (aspen_read_plain), for the session of that Conn (the same key as the
 * write side's: the *tls.Conn).
 *
 * Redaction: Go writers are not held for aspend to rewrite their buffer
 * (ASPEN_WRITE_HOLD is not passed); a request with a value to mask is
 * denied (no_redact). See docs/internals.md.
 */
#ifndef ASPEN_GO_BPF_H
#define ASPEN_GO_BPF_H

/* Minimal kernel structures (CO-RE, matched by name without the
 * ___aspen_go flavour; fields inside anonymous unions are found by name) */
struct inode___aspen_go {
	unsigned short i_mode;
} __attribute__((preserve_access_index));

struct file___aspen_go {
	struct inode___aspen_go *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct fdtable___aspen_go {
	unsigned int max_fds;
	struct file___aspen_go **fd;
} __attribute__((preserve_access_index));

struct files_struct___aspen_go {
	struct fdtable___aspen_go *fdt;
} __attribute__((preserve_access_index));

struct task_struct___aspen_go {
	struct files_struct___aspen_go *files;
} __attribute__((preserve_access_index));

struct in6_addr___aspen_go {
	__u8 b[16];
} __attribute__((preserve_access_index));

struct sock_common___aspen_go {
	__be32 skc_daddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr___aspen_go skc_v6_daddr;
} __attribute__((preserve_access_index));

struct sock___aspen_go {
	struct sock_common___aspen_go __sk_common;
} __attribute__((preserve_access_index));

struct socket___aspen_go {
	struct sock___aspen_go *sk;
} __attribute__((preserve_access_index));

#define ASPEN_GO_CONN_DATA 8 /* tls.Conn.conn: net.Conn's data word */
#define ASPEN_GO_FD_SYSFD 16 /* netFD.pfd (poll.FD).Sysfd */
#define ASPEN_S_IFMT 0170000
#define ASPEN_S_IFSOCK 0140000

/* The descriptor of the socket under a *tls.Conn, or -1 */
static __always_inline __s64 aspen_go_conn_fd(__u64 conn)
{
	__u64 tcp = 0, nfd = 0;
	__s64 fd = -1;

	if (bpf_probe_read_user(&tcp, sizeof(tcp), (void *)(conn + ASPEN_GO_CONN_DATA)) || !tcp ||
	    bpf_probe_read_user(&nfd, sizeof(nfd), (void *)tcp) || !nfd ||
	    bpf_probe_read_user(&fd, sizeof(fd), (void *)(nfd + ASPEN_GO_FD_SYSFD)))
		return -1;
	return fd;
}

/* The aspen_socks key of this process's socket fd: 0, or -1 */
static __always_inline int aspen_go_sock_key(__s64 fd, struct aspen_sock_key *key)
{
	struct task_struct___aspen_go *task = (void *)bpf_get_current_task();
	struct fdtable___aspen_go *fdt = BPF_CORE_READ(task, files, fdt);
	struct file___aspen_go **fds, *f = NULL;
	struct socket___aspen_go *so;
	struct sock___aspen_go *sk;
	unsigned int max;
	__u16 fam, dport;

	if (!fdt || fd < 0)
		return -1;
	max = BPF_CORE_READ(fdt, max_fds);
	fds = BPF_CORE_READ(fdt, fd);
	if ((__u64)fd >= max || !fds || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return -1;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & ASPEN_S_IFMT) != ASPEN_S_IFSOCK)
		return -1; /* not a socket: private_data is something else */
	so = BPF_CORE_READ(f, private_data);
	sk = so ? BPF_CORE_READ(so, sk) : NULL;
	if (!sk)
		return -1;
	__builtin_memset(key, 0, sizeof(*key));
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam == AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		key->raddr[10] = 0xff;
		key->raddr[11] = 0xff;
		__builtin_memcpy(&key->raddr[12], &a, 4);
	} else if (fam == AF_INET6) {
		BPF_CORE_READ_INTO(&key->raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		return -1;
	}
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	key->rport = bpf_ntohs(dport);
	key->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	return 0;
}

/* Bind the session to the provider socket its Conn wraps (see above).
 * A socket bound already, or a session bound to another socket, is left
 * as it is: sk_msg decides those (session_mismatch). Not inlined: its
 * locals stay off the probe's frame, whose call chain through the HTTP/2
 * parser is at the verifier's 512-byte stack limit. */
static __noinline void aspen_go_bind(__u64 conn, const struct aspen_stream_key *skey)
{
	struct aspen_sock_key key;
	struct aspen_ledger zero = {}, *l;
	struct aspen_sock *so;

	if (aspen_go_sock_key(aspen_go_conn_fd(conn), &key))
		return;
	so = bpf_map_lookup_elem(&aspen_socks, &key);
	if (!so || so->sess.session)
		return; /* not a provider socket (sk_msg never sees it), or bound */
	bpf_map_update_elem(&aspen_ledger, skey, &zero, BPF_NOEXIST);
	l = bpf_map_lookup_elem(&aspen_ledger, skey);
	if (!l || (l->flags & ASPEN_LEDGER_BOUND))
		return;
	if ((l->flags & ASPEN_LEDGER_HOSTS) && !(l->req_providers & so->providers))
		return; /* Host vs address: sk_msg refuses it (provider_mismatch) */
	__builtin_memcpy(&l->sock, &key, sizeof(l->sock));
	__sync_fetch_and_or(&l->flags, ASPEN_LEDGER_BOUND);
	__builtin_memcpy(&so->sess, skey, sizeof(so->sess));
}

SEC("uprobe")
int aspen_go_write(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct aspen_stream_key key = {.tgid = bpf_get_current_pid_tgid() >> 32,
				       .session = ctx->rax};

	if (!key.session || aspen_probe_stands_down(key.tgid))
		return 0;
	aspen_go_bind(key.session, &key);
	return aspen_write_plain(&key, (const void *)ctx->rbx, ctx->rcx, ASPEN_PROBE_GO, 0, 0);
#else
	(void)ctx; /* aspend attaches it to amd64 executables only */
	return 0;
#endif
}

#if ASPEN_NEED_TLS_READ

struct aspen_go_gkey {
	__u32 tgid;
	__u32 _pad;
	__u64 g; /* the goroutine: R14 */
};

struct aspen_go_read_args {
	__u64 conn, buf, len;
};

/* (*tls.Conn).Read's arguments from its entry to its RET, by goroutine.
 * LRU: a goroutine that never returns (its process killed) is forgotten. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct aspen_go_gkey);
	__type(value, struct aspen_go_read_args);
} aspen_go_reads SEC(".maps");

SEC("uprobe")
int aspen_go_read(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct aspen_go_gkey k = {.tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14};
	struct aspen_go_read_args a = {.conn = ctx->rax, .buf = ctx->rbx, .len = ctx->rcx};

	if (k.g && a.conn && a.len)
		bpf_map_update_elem(&aspen_go_reads, &k, &a, BPF_ANY);
#else
	(void)ctx;
#endif
	return 0;
}

/* At each RET of (*tls.Conn).Read */
SEC("uprobe")
int aspen_go_read_ret(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct aspen_go_gkey k = {.tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14};
	struct aspen_go_read_args *p = bpf_map_lookup_elem(&aspen_go_reads, &k);
	struct aspen_go_read_args a;
	__s64 n = (__s64)ctx->rax;

	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&aspen_go_reads, &k);
	if (n <= 0 || (__u64)n > a.len || aspen_probe_stands_down(k.tgid))
		return 0;
	struct aspen_stream_key key = {.tgid = k.tgid, .session = a.conn};

	aspen_read_plain(&key, a.buf, (__u64)n, ASPEN_PROBE_GO);
#else
	(void)ctx;
#endif
	return 0;
}

#endif /* ASPEN_NEED_TLS_READ */

#endif
