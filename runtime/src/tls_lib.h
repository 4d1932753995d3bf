/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS libraries a process maps, and where to probe them (tls_lib.c). */
#ifndef ASPEND_TLS_LIB_H
#define ASPEND_TLS_LIB_H

#include <limits.h>
#include <sys/types.h>
#include <linux/types.h>

#define TLS_LIB_OPENSSL 1
#define TLS_LIB_GNUTLS 2
#define TLS_LIB_GO 4         /* Go's crypto/tls, found in .gopclntab */
#define TLS_LIB_GO_REFUSED 8 /* a Go executable Aspen does not probe (go_version) */
#define TLS_LIB_BORINGSSL 16 /* BoringSSL without symbols, found by pattern (rt_sslpat.c) */
#define TLS_LIB_PATTERN_REFUSED 32 /* BoringSSL without symbols, not found: refused */
#define TLS_LIB_RUSTLS 64 /* rustls compiled in: recognised, never probed (refused: rustls) */

#define TLS_GO_MAX_RETS 16 /* RT_GO_MAX_RETS */

struct tls_lib {
	char path[PATH_MAX + 32]; /* /proc/PID/root/<path> */
	int prefix;		  /* bytes of the /proc/PID/root prefix */
	int kinds;		  /* TLS_LIB_* */
	char go_version[32];	  /* TLS_LIB_GO*: "go1.19.8", or "" */
	__u64 go_write_off;	  /* TLS_LIB_GO: file offset of (*tls.Conn).Write */
	__u64 go_read_off;	  /* TLS_LIB_GO: of (*tls.Conn).Read, 0 if its RETs are not known */
	__u64 go_read_rets[TLS_GO_MAX_RETS]; /* and of its RETs (rt_x86len.c) */
	unsigned go_read_nrets;
	__u64 ssl_write_off;	  /* TLS_LIB_BORINGSSL: file offsets of SSL_write, */
	__u64 ssl_read_off;	  /* SSL_read */
	char rustls_version[16];  /* TLS_LIB_RUSTLS: "0.23.46" */
	unsigned refused;	  /* TLS_LIB_PATTERN_REFUSED, TLS_LIB_RUSTLS: why (enum aspen_unparsed) */
};

/* TLS_LIB_* bits of the ELF file at path (cached per file); with info,
 * the details of a TLS_LIB_GO*, TLS_LIB_BORINGSSL, TLS_LIB_PATTERN_REFUSED
 * or TLS_LIB_RUSTLS file (may be NULL) */
int tls_lib_kinds(const char *path, struct tls_lib *info);
/* The TLS libraries pid maps, up to max; -1 if /proc/PID/maps is unreadable */
int tls_libs_of(pid_t pid, struct tls_lib *out, int max);
/* OpenSSL's internal write function, probed instead of SSL_write(_ex):
 * 0, its file offset and which of its arguments (enum aspen_write_cookie)
 * points to what a call wrote; or -1 */
int tls_openssl_write_point(const char *path, __u64 *file_off, int *written_arg);
/* OpenSSL's internal read function (SSL_read_ex's shape, > 0 on success),
 * probed instead of SSL_read(_ex): 0 and its file offset, or -1 */
int tls_openssl_read_point(const char *path, __u64 *file_off);

#endif
