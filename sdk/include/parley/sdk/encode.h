/* parley SDK — hex and base64 codecs (webhook signatures, Basic auth).
 *
 * All functions write into caller buffers and NUL-terminate text output.
 * They return the number of bytes written (without the NUL), or
 * PARLEY_ENOBUFS when the buffer is too small, or PARLEY_EPARSE for input
 * that is not valid in the encoding. Nothing is allocated.
 */
#ifndef PARLEY_SDK_ENCODE_H
#define PARLEY_SDK_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Buffer sizes (NUL included) for encoding n bytes. */
#define PARLEY_SDK_HEX_LEN(n) ((n) * 2 + 1)
#define PARLEY_SDK_BASE64_LEN(n) ((((n) + 2) / 3) * 4 + 1)

/* Lowercase hex of len bytes. */
int parley_sdk_hex_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
/* Decode hex (either case) of exactly inlen characters; inlen must be even. */
int parley_sdk_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* Standard base64 (RFC 4648 section 4, '+' '/', with '=' padding). */
int parley_sdk_base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen);
/* Decode standard base64. '=' padding is optional; characters outside the
 * alphabet (whitespace included) are rejected. */
int parley_sdk_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
