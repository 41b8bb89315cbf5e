/* parley SDK — webhook signatures and handshakes (HMAC-SHA256, OpenSSL).
 *
 * Every verifier works on the raw request body exactly as received (never a
 * re-serialised JSON), decodes the signature from the header and compares
 * the digests with CRYPTO_memcmp, so the time taken does not reveal how much
 * of a forged signature was right.
 *
 * Return values: 0 when the signature is valid; PARLEY_ESIGNATURE when the
 * header is missing, malformed, stale or does not match; PARLEY_EINVAL for
 * a NULL/empty secret. err (may be NULL) then names the header and what was
 * wrong. Messages never contain the secret or the expected signature.
 *
 * Secrets are NUL-terminated strings owned by the caller; nothing is kept.
 */
#ifndef PARLEY_SDK_WEBHOOK_H
#define PARLEY_SDK_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "parley/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_SDK_SHA256_LEN 32

/* HMAC-SHA256(key, msg) into out. Returns 0 or PARLEY_EINVAL. */
int parley_sdk_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                           uint8_t out[PARLEY_SDK_SHA256_LEN]);

/* Generic: is `signature` the hex (either case) / base64 encoding of
 * HMAC-SHA256(secret, body)? `name` names the header in err messages. */
int parley_sdk_webhook_verify_hex(const char *secret, const char *body, size_t len,
                                  const char *signature, const char *name,
                                  parley_error_t *err);
int parley_sdk_webhook_verify_base64(const char *secret, const char *body, size_t len,
                                     const char *signature, const char *name,
                                     parley_error_t *err);

/* Meta (Facebook, Instagram): header X-Hub-Signature-256 =
 * "sha256=" + hex(HMAC-SHA256(app_secret, body)). */
int parley_sdk_webhook_verify_meta(const char *app_secret, const char *body, size_t len,
                                   const char *header, parley_error_t *err);

/* Meta subscription handshake (GET ?hub.mode=&hub.verify_token=&hub.challenge=).
 * Checks mode == "subscribe" and the verify token (constant time), and that
 * the challenge is 1..128 printable ASCII characters. Returns 0 (answer 200
 * with the challenge verbatim as text/plain) or PARLEY_EPERM (answer 403). */
int parley_sdk_webhook_meta_challenge(const char *mode, const char *verify_token,
                                      const char *expected_token, const char *challenge,
                                      parley_error_t *err);

/* Meta appsecret_proof: lowercase hex(HMAC-SHA256(app_secret, access_token)).
 * out must hold 65 bytes. Returns 64 or PARLEY_E*. */
int parley_sdk_meta_appsecret_proof(const char *app_secret, const char *access_token,
                                    char *out, size_t outlen);

/* Twitter/X Account Activity: header x-twitter-webhooks-signature =
 * "sha256=" + base64(HMAC-SHA256(consumer_secret, body)). */
int parley_sdk_webhook_verify_twitter(const char *consumer_secret, const char *body,
                                      size_t len, const char *header, parley_error_t *err);

/* Twitter/X CRC: writes {"response_token":"sha256=<base64(HMAC(consumer_secret,
 * crc_token))>"} into out (NUL-terminated; 128 bytes are enough). Returns its
 * length, PARLEY_EINVAL for an empty token or one over 512 bytes, or
 * PARLEY_ENOBUFS. */
int parley_sdk_webhook_twitter_crc(const char *consumer_secret, const char *crc_token,
                                   char *out, size_t outlen);

/* LinkedIn: header X-LI-Signature = hex(HMAC-SHA256(client_secret,
 * "hmacsha256=" + body)). An optional "hmacsha256=" prefix on the header value
 * is accepted too (linkedin.md marks the header form unverified). */
int parley_sdk_webhook_verify_linkedin(const char *client_secret, const char *body,
                                       size_t len, const char *header, parley_error_t *err);

/* LinkedIn endpoint validation (GET ?challengeCode=...): writes
 * {"challengeCode":"<code>","challengeResponse":"<hex(HMAC(client_secret, code))>"}
 * into out. Returns its length, PARLEY_EINVAL for an empty code, one over 256
 * bytes or one with characters other than [A-Za-z0-9-], or PARLEY_ENOBUFS
 * (400 bytes are enough). */
int parley_sdk_webhook_linkedin_challenge(const char *client_secret,
                                          const char *challenge_code, char *out,
                                          size_t outlen);

/* TikTok: header TikTok-Signature = "t=<unix seconds>,s=<hex>" where hex =
 * hex(HMAC-SHA256(client_secret, t + "." + body)). The parts may come in any
 * order, with spaces after commas. The signature is refused when |now_s - t|
 * exceeds tolerance_s (replay protection; 300 is usual; 0 disables it). */
int parley_sdk_webhook_verify_tiktok(const char *client_secret, const char *body,
                                     size_t len, const char *header, int64_t now_s,
                                     int64_t tolerance_s, parley_error_t *err);

/* Constant-time equality of two NUL-terminated strings (length is not
 * hidden). Returns 1 when equal; NULLs are never equal. */
int parley_sdk_secure_streq(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
