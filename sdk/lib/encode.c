/* parley SDK — hex and base64 codecs (encode.h).
 * Written out rather than taken from OpenSSL's EVP_EncodeBlock because that
 * one neither bounds its output buffer nor rejects bad input cleanly. */
#include "parley/sdk/encode.h"

#include "parley/error.h"

static const char parley_sdk_hex_digits[] = "0123456789abcdef";
static const char parley_sdk_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int parley_sdk_hex_encode(const uint8_t *in, size_t len, char *out, size_t outlen) {
  if (outlen < len * 2 + 1)
    return PARLEY_ENOBUFS;
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = parley_sdk_hex_digits[in[i] >> 4];
    out[2 * i + 1] = parley_sdk_hex_digits[in[i] & 0xf];
  }
  out[len * 2] = '\0';
  return (int)(len * 2);
}

static int parley_sdk_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int parley_sdk_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen) {
  if (inlen % 2 != 0)
    return PARLEY_EPARSE;
  if (outlen < inlen / 2)
    return PARLEY_ENOBUFS;
  for (size_t i = 0; i < inlen; i += 2) {
    int hi = parley_sdk_hex_value(in[i]), lo = parley_sdk_hex_value(in[i + 1]);
    if (hi < 0 || lo < 0)
      return PARLEY_EPARSE;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (int)(inlen / 2);
}

int parley_sdk_base64_encode(const uint8_t *in, size_t len, char *out, size_t outlen) {
  size_t need = (len + 2) / 3 * 4;
  if (outlen < need + 1)
    return PARLEY_ENOBUFS;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len)
      v |= in[i + 2];
    out[o++] = parley_sdk_b64_alphabet[v >> 18 & 63];
    out[o++] = parley_sdk_b64_alphabet[v >> 12 & 63];
    out[o++] = i + 1 < len ? parley_sdk_b64_alphabet[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? parley_sdk_b64_alphabet[v & 63] : '=';
  }
  out[o] = '\0';
  return (int)o;
}

static int parley_sdk_b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

int parley_sdk_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen) {
  /* Strip up to two '=' of padding, then the rest must be alphabet only. */
  size_t pad = 0;
  while (inlen > 0 && in[inlen - 1] == '=' && pad < 2) {
    inlen--;
    pad++;
  }
  if (inlen % 4 == 1 || (pad && (inlen + pad) % 4 != 0))
    return PARLEY_EPARSE;
  size_t need = inlen / 4 * 3 + (inlen % 4 ? inlen % 4 - 1 : 0);
  if (outlen < need)
    return PARLEY_ENOBUFS;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < inlen; i++) {
    int v = parley_sdk_b64_value(in[i]);
    if (v < 0)
      return PARLEY_EPARSE;
    acc = (acc << 6 | (uint32_t)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  return (int)o;
}
