/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in for BoringSSL's ssl/ssl_lib.cc as a linker leaves it in a
 * binary without symbols (Bun): the same error reports (library 16, the
 * reason codes, __FILE__ and __LINE__ as in the real source), in the same
 * order, and the same call shapes. tests/unit/test_rt_sslpat.c builds it
 * in several ways and checks that runtime/lib/rt_sslpat.c finds
 * fx_SSL_write and fx_SSL_read, or refuses. Build switches:
 *   -DDROP_UNUSED   ERR_put_error without its unused argument (as LTO
 *                   leaves it in Bun 1.2: file in rdx, reason in esi)
 *   -DTWO_WRITES    a second function with SSL_write's reports (ambiguous;
 *                   all on one line: clang shares their line-setting tail)
 *   -DNO_BAD_LENGTH SSL_write as before BoringSSL 2022-07 (not found)
 */
#include <stddef.h>
#include <string.h>

struct ssl_st {
	int quic, can_write, pending;
	void *do_handshake;
	char buf[64];
	int (*write_app)(struct ssl_st *, const void *, int);
};
typedef struct ssl_st SSL;

#line 1 "../../vendor/boringssl/crypto/err/err.cc"
volatile unsigned err_last;
#ifdef DROP_UNUSED
__attribute__((noinline, noipa)) void ERR_put_error(int lib, int reason, const char *file,
						    unsigned line)
{
	err_last = (unsigned)lib + (unsigned)reason + line + (unsigned)file[0];
}
#define PUT_ERROR(reason) ERR_put_error(16, reason, __FILE__, __LINE__)
#else
__attribute__((noinline, noipa)) void ERR_put_error(int lib, int unused, int reason,
						    const char *file, unsigned line)
{
	err_last = (unsigned)lib + (unsigned)unused + (unsigned)reason + line + (unsigned)file[0];
}
#define PUT_ERROR(reason) ERR_put_error(16, 0, reason, __FILE__, __LINE__)
#endif

#line 725 "../../vendor/boringssl/ssl/ssl_lib.cc"
__attribute__((noinline)) int fx_SSL_do_handshake(SSL *ssl)
{
	if (!ssl->do_handshake) {
		PUT_ERROR(134); /* SSL_R_CONNECTION_TYPE_NOT_SET */
		return -1;
	}
	return 1;
}

#line 812
__attribute__((noinline)) int fx_SSL_process_quic_post_handshake(SSL *ssl)
{
	if (!ssl->quic) {
		PUT_ERROR(66); /* below ssl_read_impl: not SSL_peek's */
		return 0;
	}
	return 1;
}

#line 838
__attribute__((noinline)) static int ssl_read_impl(SSL *ssl)
{
	if (!ssl->do_handshake) {
		PUT_ERROR(226);
		return -1;
	}
	while (!ssl->pending) {
		int ret = fx_SSL_do_handshake(ssl);

		if (ret < 0)
			return ret;
		if (ret == 0) {
			PUT_ERROR(215);
			return -1;
		}
		ssl->pending = 1;
	}
	return 1;
}

#line 917
__attribute__((noinline)) int fx_SSL_read(SSL *ssl, void *buf, int num)
{
	size_t todo;
	int ret;

	if (ssl->quic) { /* SSL_peek, inlined */
		PUT_ERROR(66);
		return -1;
	}
	ret = ssl_read_impl(ssl);
	if (ret <= 0)
		return ret;
	if (num <= 0)
		return num;
	todo = num < 64 ? (size_t)num : 64;
	memcpy(buf, ssl->buf, todo);
	ssl->pending = 0;
	return (int)todo;
}

#define WRITE_BODY                                                                                 \
	if (ssl->quic) {                                                                           \
		PUT_ERROR(66);                                                                     \
		return -1;                                                                         \
	}                                                                                          \
	if (!ssl->do_handshake) {                                                                  \
		PUT_ERROR(226);                                                                    \
		return -1;                                                                         \
	}                                                                                          \
	if (!ssl->can_write) {                                                                     \
		int ret = fx_SSL_do_handshake(ssl);                                                \
		if (ret < 0)                                                                       \
			return ret;                                                                \
		if (ret == 0) {                                                                    \
			PUT_ERROR(215);                                                            \
			return -1;                                                                 \
		}                                                                                  \
	}                                                                                          \
	BAD_LENGTH                                                                                 \
	return ssl->write_app(ssl, buf, num);

#ifdef NO_BAD_LENGTH
#define BAD_LENGTH
#else
#define BAD_LENGTH                                                                                 \
	if (num < 0) {                                                                             \
		PUT_ERROR(111);                                                                    \
		return -1;                                                                         \
	}
#endif

#line 951
__attribute__((noinline)) int fx_SSL_write(SSL *ssl, const void *buf, int num)
{
	if (ssl->quic) {
		PUT_ERROR(66);
		return -1;
	}
	if (!ssl->do_handshake) {
		PUT_ERROR(226);
		return -1;
	}
	if (!ssl->can_write) {
		int ret = fx_SSL_do_handshake(ssl);

		if (ret < 0)
			return ret;
		if (ret == 0) {
			PUT_ERROR(215);
			return -1;
		}
	}
	BAD_LENGTH
	return ssl->write_app(ssl, buf, num);
}

#ifdef TWO_WRITES
__attribute__((noinline)) int fx_SSL_write2(SSL *ssl, const void *buf, int num)
{
	WRITE_BODY
}
#endif

#line 1000
__attribute__((noinline)) int fx_SSL_key_update(SSL *ssl)
{
	if (!ssl->do_handshake) {
		PUT_ERROR(226);
		return 0;
	}
	if (ssl->quic) {
		PUT_ERROR(66);
		return 0;
	}
	if (!ssl->can_write) {
		PUT_ERROR(291); /* another reason: never SSL_write */
		return 0;
	}
	return 1;
}

static int app_write(SSL *ssl, const void *buf, int num)
{
	return num + (ssl->buf[0] == *(const char *)buf);
}

int main(int argc, char **argv)
{
	SSL ssl = {
	    .quic = argc > 5, .can_write = argc > 1, .do_handshake = argv, .write_app = app_write};
	char buf[64];
	int (*volatile w)(SSL *, const void *, int) = fx_SSL_write;
	int (*volatile r)(SSL *, void *, int) = fx_SSL_read;
	int (*volatile k)(SSL *) = fx_SSL_key_update;
	int (*volatile q)(SSL *) = fx_SSL_process_quic_post_handshake;
	int n = w(&ssl, "x", 1) + r(&ssl, buf, sizeof(buf)) + k(&ssl) + q(&ssl);
#ifdef TWO_WRITES
	int (*volatile w2)(SSL *, const void *, int) = fx_SSL_write2;
	n += w2(&ssl, "y", 1);
#endif
	return n == 12345;
}
