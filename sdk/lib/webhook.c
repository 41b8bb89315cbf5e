/* parley SDK — webhook signatures and handshakes (webhook.h). */
#include "parley/sdk/webhook.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "parley/sdk/encode.h"

/* Longest signature header we look at; real ones are under 100 bytes. */
#define PARLEY_SDK_SIG_MAX 256

/* HMAC-SHA256 over the concatenation of n parts, without copying them into
 * one buffer (the TikTok and LinkedIn schemes sign "prefix" + body). */
static int parley_sdk_hmac_parts(const void *key, size_t keylen, const void *const *parts,
                                 const size_t *lens, size_t n,
                                 uint8_t out[PARLEY_SDK_SHA256_LEN]) {
  int rc = PARLEY_EINVAL;
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  /* EVP_MAC_init refuses a NULL key even when keylen is 0. */
  static const uint8_t empty_key[1] = {0};
  if (ctx == NULL || !EVP_MAC_init(ctx, keylen ? key : empty_key, keylen, params))
    goto done;
  for (size_t i = 0; i < n; i++)
    if (lens[i] && !EVP_MAC_update(ctx, parts[i], lens[i]))
      goto done;
  size_t outl = 0;
  if (EVP_MAC_final(ctx, out, &outl, PARLEY_SDK_SHA256_LEN) && outl == PARLEY_SDK_SHA256_LEN)
    rc = 0;
done:
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return rc;
}

int parley_sdk_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                           uint8_t out[PARLEY_SDK_SHA256_LEN]) {
  if ((key == NULL && keylen) || (msg == NULL && len) || out == NULL)
    return PARLEY_EINVAL;
  const void *parts[1] = {msg};
  size_t lens[1] = {len};
  return parley_sdk_hmac_parts(key, keylen, parts, lens, 1, out);
}

int parley_sdk_secure_streq(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return 0;
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb)
    return 0;
  return CRYPTO_memcmp(a, b, la) == 0;
}

static int parley_sdk_check_secret(const char *secret, const char *name, parley_error_t *err) {
  if (secret == NULL || secret[0] == '\0')
    return parley_error_set(err, PARLEY_EINVAL, "%s: no secret configured to verify it with",
                            name);
  return 0;
}

/* Compare a computed digest with the decoded signature in constant time. */
static int parley_sdk_digest_matches(const uint8_t *expected, const uint8_t *got, int gotlen,
                                     const char *name, parley_error_t *err) {
  if (gotlen != PARLEY_SDK_SHA256_LEN)
    return parley_error_set(err, PARLEY_ESIGNATURE,
                            "%s: signature is %d bytes, a SHA-256 HMAC has 32", name, gotlen);
  if (CRYPTO_memcmp(expected, got, PARLEY_SDK_SHA256_LEN) != 0)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: signature does not match the body",
                            name);
  return 0;
}

typedef enum { PARLEY_SDK_SIG_HEX, PARLEY_SDK_SIG_BASE64 } parley_sdk_sig_encoding_t;

/* Decode the signature text, compute HMAC over parts and compare. */
static int parley_sdk_verify_parts(const char *secret, const void *const *parts,
                                   const size_t *lens, size_t n, const char *sig,
                                   size_t siglen, parley_sdk_sig_encoding_t enc,
                                   const char *name, parley_error_t *err) {
  int rc = parley_sdk_check_secret(secret, name, err);
  if (rc < 0)
    return rc;
  if (siglen == 0)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: empty signature", name);
  if (siglen > PARLEY_SDK_SIG_MAX)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: signature too long (%zu bytes)",
                            name, siglen);
  uint8_t got[PARLEY_SDK_SIG_MAX];
  int gotlen = enc == PARLEY_SDK_SIG_HEX ? parley_sdk_hex_decode(sig, siglen, got, sizeof got)
                                         : parley_sdk_base64_decode(sig, siglen, got, sizeof got);
  if (gotlen < 0)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: signature is not valid %s", name,
                            enc == PARLEY_SDK_SIG_HEX ? "hex" : "base64");
  uint8_t expected[PARLEY_SDK_SHA256_LEN];
  if (parley_sdk_hmac_parts(secret, strlen(secret), parts, lens, n, expected) < 0)
    return parley_error_set(err, PARLEY_EINVAL, "%s: HMAC-SHA256 computation failed", name);
  rc = parley_sdk_digest_matches(expected, got, gotlen, name, err);
  OPENSSL_cleanse(expected, sizeof expected);
  return rc;
}

static int parley_sdk_verify_body(const char *secret, const char *body, size_t len,
                                  const char *sig, parley_sdk_sig_encoding_t enc,
                                  const char *name, parley_error_t *err) {
  if (body == NULL && len)
    return parley_error_set(err, PARLEY_EINVAL, "%s: body is NULL", name);
  const void *parts[1] = {body};
  size_t lens[1] = {len};
  return parley_sdk_verify_parts(secret, parts, lens, 1, sig, sig ? strlen(sig) : 0, enc,
                                 name, err);
}

int parley_sdk_webhook_verify_hex(const char *secret, const char *body, size_t len,
                                  const char *signature, const char *name,
                                  parley_error_t *err) {
  return parley_sdk_verify_body(secret, body, len, signature, PARLEY_SDK_SIG_HEX,
                                name ? name : "signature", err);
}

int parley_sdk_webhook_verify_base64(const char *secret, const char *body, size_t len,
                                     const char *signature, const char *name,
                                     parley_error_t *err) {
  return parley_sdk_verify_body(secret, body, len, signature, PARLEY_SDK_SIG_BASE64,
                                name ? name : "signature", err);
}

/* The value after a required "sha256=" scheme prefix, or NULL. */
static const char *parley_sdk_after_prefix(const char *header, const char *prefix,
                                           const char *name, parley_error_t *err) {
  if (header == NULL) {
    parley_error_set(err, PARLEY_ESIGNATURE, "%s: header missing", name);
    return NULL;
  }
  size_t n = strlen(prefix);
  if (strncmp(header, prefix, n) != 0) {
    parley_error_set(err, PARLEY_ESIGNATURE, "%s: expected a '%s' prefix", name, prefix);
    return NULL;
  }
  return header + n;
}

int parley_sdk_webhook_verify_meta(const char *app_secret, const char *body, size_t len,
                                   const char *header, parley_error_t *err) {
  static const char name[] = "X-Hub-Signature-256";
  const char *sig = parley_sdk_after_prefix(header, "sha256=", name, err);
  if (sig == NULL)
    return PARLEY_ESIGNATURE;
  return parley_sdk_verify_body(app_secret, body, len, sig, PARLEY_SDK_SIG_HEX, name, err);
}

int parley_sdk_webhook_verify_twitter(const char *consumer_secret, const char *body,
                                      size_t len, const char *header, parley_error_t *err) {
  static const char name[] = "x-twitter-webhooks-signature";
  const char *sig = parley_sdk_after_prefix(header, "sha256=", name, err);
  if (sig == NULL)
    return PARLEY_ESIGNATURE;
  return parley_sdk_verify_body(consumer_secret, body, len, sig, PARLEY_SDK_SIG_BASE64, name,
                                err);
}

int parley_sdk_webhook_verify_linkedin(const char *client_secret, const char *body,
                                       size_t len, const char *header, parley_error_t *err) {
  static const char name[] = "X-LI-Signature";
  static const char prefix[] = "hmacsha256=";
  if (header == NULL)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: header missing", name);
  if (body == NULL && len)
    return parley_error_set(err, PARLEY_EINVAL, "%s: body is NULL", name);
  const char *sig = header;
  if (strncmp(sig, prefix, sizeof prefix - 1) == 0)
    sig += sizeof prefix - 1;
  /* LinkedIn signs the literal prefix followed by the body. */
  const void *parts[2] = {prefix, body};
  size_t lens[2] = {sizeof prefix - 1, len};
  return parley_sdk_verify_parts(client_secret, parts, lens, 2, sig, strlen(sig),
                                 PARLEY_SDK_SIG_HEX, name, err);
}

/* Split "t=123,s=abcd" (any order, optional spaces) into its t and s parts. */
static int parley_sdk_tiktok_split(const char *header, int64_t *t, const char **traw,
                                   size_t *tlen, const char **s, size_t *slen,
                                   parley_error_t *err) {
  static const char name[] = "TikTok-Signature";
  int have_t = 0;
  *s = NULL;
  *slen = 0;
  const char *p = header;
  while (*p) {
    while (*p == ' ' || *p == '\t')
      p++;
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n > 2 && p[0] == 't' && p[1] == '=') {
      int64_t v = 0;
      for (size_t i = 2; i < n; i++) {
        if (!isdigit((unsigned char)p[i]) || v > (INT64_MAX - 9) / 10)
          return parley_error_set(err, PARLEY_ESIGNATURE, "%s: t is not a unix time", name);
        v = v * 10 + (p[i] - '0');
      }
      *t = v;
      *traw = p + 2;
      *tlen = n - 2;
      have_t = 1;
    } else if (n > 2 && p[0] == 's' && p[1] == '=') {
      *s = p + 2;
      *slen = n - 2;
    }
    if (end == NULL)
      break;
    p = end + 1;
  }
  if (!have_t || *s == NULL)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: expected 't=<unix time>,s=<hex>'",
                            name);
  return 0;
}

int parley_sdk_webhook_verify_tiktok(const char *client_secret, const char *body,
                                     size_t len, const char *header, int64_t now_s,
                                     int64_t tolerance_s, parley_error_t *err) {
  static const char name[] = "TikTok-Signature";
  if (header == NULL)
    return parley_error_set(err, PARLEY_ESIGNATURE, "%s: header missing", name);
  if (body == NULL && len)
    return parley_error_set(err, PARLEY_EINVAL, "%s: body is NULL", name);
  int64_t t = 0;
  const char *sig, *traw = NULL;
  size_t siglen, tlen = 0;
  int rc = parley_sdk_tiktok_split(header, &t, &traw, &tlen, &sig, &siglen, err);
  if (rc < 0)
    return rc;
  if (tolerance_s > 0 && (t > now_s + tolerance_s || t < now_s - tolerance_s))
    return parley_error_set(err, PARLEY_ESIGNATURE,
                            "%s: timestamp %lld is more than %llds away from now", name,
                            (long long)t, (long long)tolerance_s);
  /* Sign the timestamp exactly as it was sent, not as we re-print it. */
  const void *parts[3] = {traw, ".", body};
  size_t lens[3] = {tlen, 1, len};
  return parley_sdk_verify_parts(client_secret, parts, lens, 3, sig, siglen,
                                 PARLEY_SDK_SIG_HEX, name, err);
}

int parley_sdk_webhook_meta_challenge(const char *mode, const char *verify_token,
                                      const char *expected_token, const char *challenge,
                                      parley_error_t *err) {
  if (mode == NULL || strcmp(mode, "subscribe") != 0)
    return parley_error_set(err, PARLEY_EPERM, "hub.mode: expected 'subscribe'");
  if (expected_token == NULL || expected_token[0] == '\0')
    return parley_error_set(err, PARLEY_EPERM, "hub.verify_token: none configured");
  if (!parley_sdk_secure_streq(verify_token, expected_token))
    return parley_error_set(err, PARLEY_EPERM, "hub.verify_token: does not match");
  size_t n = challenge ? strlen(challenge) : 0;
  if (n == 0 || n > 128)
    return parley_error_set(err, PARLEY_EPERM, "hub.challenge: missing or longer than 128");
  for (size_t i = 0; i < n; i++)
    if (!isgraph((unsigned char)challenge[i]))
      return parley_error_set(err, PARLEY_EPERM, "hub.challenge: not printable ASCII");
  return 0;
}

int parley_sdk_meta_appsecret_proof(const char *app_secret, const char *access_token,
                                    char *out, size_t outlen) {
  if (app_secret == NULL || app_secret[0] == '\0' || access_token == NULL)
    return PARLEY_EINVAL;
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  int rc = parley_sdk_hmac_sha256(app_secret, strlen(app_secret), access_token,
                                  strlen(access_token), mac);
  if (rc == 0)
    rc = parley_sdk_hex_encode(mac, sizeof mac, out, outlen);
  OPENSSL_cleanse(mac, sizeof mac);
  return rc;
}

int parley_sdk_webhook_twitter_crc(const char *consumer_secret, const char *crc_token,
                                   char *out, size_t outlen) {
  size_t n = crc_token ? strlen(crc_token) : 0;
  if (consumer_secret == NULL || consumer_secret[0] == '\0' || n == 0 || n > 512)
    return PARLEY_EINVAL;
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  char b64[PARLEY_SDK_BASE64_LEN(PARLEY_SDK_SHA256_LEN)];
  int rc = parley_sdk_hmac_sha256(consumer_secret, strlen(consumer_secret), crc_token, n, mac);
  if (rc == 0)
    rc = parley_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64);
  if (rc < 0)
    return rc;
  /* base64 has no characters that need JSON escaping. */
  int w = snprintf(out, outlen, "{\"response_token\":\"sha256=%s\"}", b64);
  return w < 0 || (size_t)w >= outlen ? PARLEY_ENOBUFS : w;
}

int parley_sdk_webhook_linkedin_challenge(const char *client_secret,
                                          const char *challenge_code, char *out,
                                          size_t outlen) {
  size_t n = challenge_code ? strlen(challenge_code) : 0;
  if (client_secret == NULL || client_secret[0] == '\0' || n == 0 || n > 256)
    return PARLEY_EINVAL;
  /* A UUID in practice; anything else is refused so it can be echoed into
   * JSON without escaping. */
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)challenge_code[i]) && challenge_code[i] != '-')
      return PARLEY_EINVAL;
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  char hex[PARLEY_SDK_HEX_LEN(PARLEY_SDK_SHA256_LEN)];
  int rc = parley_sdk_hmac_sha256(client_secret, strlen(client_secret), challenge_code, n, mac);
  if (rc == 0)
    rc = parley_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
  if (rc < 0)
    return rc;
  int w = snprintf(out, outlen, "{\"challengeCode\":\"%s\",\"challengeResponse\":\"%s\"}",
                   challenge_code, hex);
  return w < 0 || (size_t)w >= outlen ? PARLEY_ENOBUFS : w;
}
