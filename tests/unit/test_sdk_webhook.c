/* libparley-sdk webhook signatures: the specification.
 *
 * Expected signatures were computed independently when the test was written
 * with OpenSSL's command line, e.g.
 *   printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET"            (hex)
 *   printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
 * and pasted here as constants. The secrets are test values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parley/sdk/backoff.h"
#include "parley/sdk/webhook.h"

/* Meta escapes non-ASCII and '/' in bodies: the signature covers those bytes. */
static const char meta_body[] =
    "{\"object\":\"page\",\"entry\":[{\"id\":\"111222333\",\"time\":1704110400,\"changes\":"
    "[{\"field\":\"feed\",\"value\":{\"message\":\"Gr\\u00fc\\u00dfe \\/ hallo\"}}]}]}";
static const char meta_secret[] = "meta-app-secret-123";
static const char meta_sig[] =
    "sha256=07aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5faca";

static const char tw_body[] =
    "{\"for_user_id\":\"2244994945\",\"tweet_create_events\":[{\"id_str\":"
    "\"1790000000000000042\",\"text\":\"@acme my order #5512 never arrived\"}]}";
static const char tw_secret[] = "tw-consumer-secret-456";
static const char tw_sig[] = "sha256=yd9Dg1t3Ef5rYoLnXQnltOtr59d9zJFPtVfbYgyGAww=";

static const char li_body[] = "{\"type\":\"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS\","
                              "\"notifications\":[{\"notificationId\":5603453321,"
                              "\"action\":\"COMMENT\"}]}";
static const char li_secret[] = "li-client-secret-789";
static const char li_sig[] = "dbe84675e75496bf98e0797ef3134b4089c1dff5078d655c1be04bf0aa20a149";

static const char tt_body[] =
    "{\"client_key\":\"bwo2m45353a6k85\",\"event\":\"comment.update\",\"create_time\":"
    "1633174587,\"user_openid\":\"act.example12345\",\"content\":\"{\\\"comment_id\\\":"
    "\\\"7109065174526479622\\\"}\"}";
static const char tt_secret[] = "tt-client-secret-000";
static const char tt_sig[] =
    "t=1633174587,s=628f7013b209fb1244ff8365c212c8311ce73a5aaf73d4a6509c92a5beaf5093";
static const int64_t tt_time = 1633174587;

static void hmac_matches_openssl_for_empty_message(void **state) {
  (void)state;
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  static const uint8_t expected[] = {0x8b, 0xb9, 0x90, 0xc4, 0x0a, 0x7d, 0x61, 0xcb,
                                     0x97, 0x59, 0x7a, 0x94, 0x21, 0x25, 0x02, 0x5b,
                                     0xe5, 0x0a, 0xc8, 0xbe, 0xb7, 0x44, 0x36, 0xe3,
                                     0x73, 0x5b, 0x98, 0x89, 0x3a, 0x7f, 0x66, 0x20};
  assert_int_equal(parley_sdk_hmac_sha256("k", 1, "", 0, mac), 0);
  assert_memory_equal(mac, expected, sizeof expected);
}

static void meta_signature_is_accepted(void **state) {
  (void)state;
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body),
                                                  meta_sig, &err),
                   0);
}

static void meta_signature_in_uppercase_hex_is_accepted(void **state) {
  (void)state;
  char upper[sizeof meta_sig];
  strcpy(upper, meta_sig);
  for (char *p = upper + 7; *p; p++)
    if (*p >= 'a' && *p <= 'f')
      *p = (char)(*p - 'a' + 'A');
  assert_int_equal(
      parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body), upper, NULL), 0);
}

static void meta_signature_over_a_changed_body_is_rejected(void **state) {
  (void)state;
  char body[sizeof meta_body];
  strcpy(body, meta_body);
  body[20] ^= 1;
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_webhook_verify_meta(meta_secret, body, strlen(body), meta_sig, &err),
                   PARLEY_ESIGNATURE);
  assert_non_null(strstr(err.message, "X-Hub-Signature-256"));
}

static void meta_signature_with_the_wrong_secret_is_rejected(void **state) {
  (void)state;
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_webhook_verify_meta("another-secret", meta_body, strlen(meta_body),
                                                  meta_sig, &err),
                   PARLEY_ESIGNATURE);
  /* The message never echoes the secret. */
  assert_null(strstr(err.message, "another-secret"));
}

static void meta_forged_signature_is_rejected(void **state) {
  (void)state;
  const char *forged = "sha256=17aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5faca";
  assert_int_equal(
      parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body), forged, NULL),
      PARLEY_ESIGNATURE);
}

static void meta_malformed_headers_are_rejected_without_crash(void **state) {
  (void)state;
  const char *bad[] = {
      "",
      "sha256=",
      "sha1=07aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5faca",
      "07aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5faca",
      "sha256=07aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5fac", /* odd */
      "sha256=07aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5f",   /* short */
      "sha256=zzaabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5faca", /* not hex */
      "sha256=07aabcfc8aa8ac54c27acd349851434224a749bb3c1dc4d684993cea3cd5faca00", /* long */
      "sha256=\xff\xfe garbage",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    parley_error_t err = {0};
    assert_int_equal(parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body),
                                                    bad[i], &err),
                     PARLEY_ESIGNATURE);
    assert_true(err.message[0] != '\0');
  }
  assert_int_equal(
      parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body), NULL, NULL),
      PARLEY_ESIGNATURE);
}

static void a_very_long_signature_header_is_rejected(void **state) {
  (void)state;
  char header[4096];
  memcpy(header, "sha256=", 7);
  memset(header + 7, 'a', sizeof header - 8);
  header[sizeof header - 1] = '\0';
  assert_int_equal(
      parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body), header, NULL),
      PARLEY_ESIGNATURE);
}

static void verifying_without_a_secret_is_an_error(void **state) {
  (void)state;
  parley_error_t err = {0};
  assert_int_equal(
      parley_sdk_webhook_verify_meta("", meta_body, strlen(meta_body), meta_sig, &err),
      PARLEY_EINVAL);
  assert_int_equal(
      parley_sdk_webhook_verify_twitter(NULL, tw_body, strlen(tw_body), tw_sig, &err),
      PARLEY_EINVAL);
}

static void meta_challenge_with_matching_token_is_accepted(void **state) {
  (void)state;
  assert_int_equal(
      parley_sdk_webhook_meta_challenge("subscribe", "my-verify", "my-verify", "1158201444", NULL),
      0);
}

static void meta_challenge_with_wrong_token_mode_or_challenge_is_refused(void **state) {
  (void)state;
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_webhook_meta_challenge("subscribe", "my-verifz", "my-verify",
                                                     "1158201444", &err),
                   PARLEY_EPERM);
  assert_non_null(strstr(err.message, "hub.verify_token"));
  assert_int_equal(parley_sdk_webhook_meta_challenge("unsubscribe", "my-verify", "my-verify",
                                                     "1158201444", NULL),
                   PARLEY_EPERM);
  assert_int_equal(
      parley_sdk_webhook_meta_challenge("subscribe", NULL, "my-verify", "1158201444", NULL),
      PARLEY_EPERM);
  assert_int_equal(
      parley_sdk_webhook_meta_challenge("subscribe", "my-verify", "my-verify", "", NULL),
      PARLEY_EPERM);
  assert_int_equal(parley_sdk_webhook_meta_challenge("subscribe", "my-verify", "my-verify",
                                                     "<script>alert(1)</script> x", NULL),
                   PARLEY_EPERM);
  /* An empty configured token must never match an empty query value. */
  assert_int_equal(parley_sdk_webhook_meta_challenge("subscribe", "", "", "1", NULL),
                   PARLEY_EPERM);
}

static void meta_appsecret_proof_is_hex_hmac_of_the_token(void **state) {
  (void)state;
  char out[65];
  assert_int_equal(
      parley_sdk_meta_appsecret_proof(meta_secret, "EAABsbCS1iHgBAKZCZAtoken", out, sizeof out),
      64);
  assert_string_equal(out, "372ffcdcf39ac0d31169346582bb2faf88f159260d7c7a328813ddf400a79a69");
}

static void twitter_signature_is_accepted(void **state) {
  (void)state;
  assert_int_equal(
      parley_sdk_webhook_verify_twitter(tw_secret, tw_body, strlen(tw_body), tw_sig, NULL), 0);
}

static void twitter_forged_or_malformed_signatures_are_rejected(void **state) {
  (void)state;
  const char *bad[] = {
      "sha256=xd9Dg1t3Ef5rYoLnXQnltOtr59d9zJFPtVfbYgyGAww=", /* one character off */
      "sha256=yd9Dg1t3Ef5rYoLnXQnltOtr59d9zJFPtVfbYgyG",     /* truncated */
      "sha256=yd9Dg1t3Ef5rYoLn XQnltOtr59d9zJFPtVfbYgyGAww=", /* space */
      "sha256=!!!!",
      "yd9Dg1t3Ef5rYoLnXQnltOtr59d9zJFPtVfbYgyGAww=", /* no prefix */
      "sha256==",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(
        parley_sdk_webhook_verify_twitter(tw_secret, tw_body, strlen(tw_body), bad[i], NULL),
        PARLEY_ESIGNATURE);
}

static void twitter_crc_matches_the_published_vector(void **state) {
  (void)state;
  char out[128];
  int n = parley_sdk_webhook_twitter_crc("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
                                         "9b4507b3-9040-4669-9ca3-6b94edb50553", out, sizeof out);
  assert_int_equal(n, (int)strlen(out));
  assert_string_equal(out,
                      "{\"response_token\":\"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=\"}");
}

static void twitter_crc_refuses_empty_token_and_small_buffer(void **state) {
  (void)state;
  char out[16];
  assert_int_equal(parley_sdk_webhook_twitter_crc(tw_secret, "", out, sizeof out), PARLEY_EINVAL);
  assert_int_equal(parley_sdk_webhook_twitter_crc(tw_secret, "abc", out, sizeof out),
                   PARLEY_ENOBUFS);
}

static void linkedin_signature_over_prefixed_body_is_accepted(void **state) {
  (void)state;
  assert_int_equal(
      parley_sdk_webhook_verify_linkedin(li_secret, li_body, strlen(li_body), li_sig, NULL), 0);
}

static void linkedin_signature_with_header_prefix_is_accepted(void **state) {
  (void)state;
  char header[128] = "hmacsha256=";
  strcat(header, li_sig);
  assert_int_equal(
      parley_sdk_webhook_verify_linkedin(li_secret, li_body, strlen(li_body), header, NULL), 0);
}

static void linkedin_signature_of_the_bare_body_is_rejected(void **state) {
  (void)state;
  /* hex(HMAC(secret, body)) without the "hmacsha256=" prefix in the message:
   * printf %s "$LI_BODY" | openssl dgst -sha256 -hmac li-client-secret-789 */
  char sig[65];
  uint8_t mac[32];
  parley_sdk_hmac_sha256(li_secret, strlen(li_secret), li_body, strlen(li_body), mac);
  for (int i = 0; i < 32; i++) {
    static const char hex[] = "0123456789abcdef";
    sig[2 * i] = hex[mac[i] >> 4];
    sig[2 * i + 1] = hex[mac[i] & 15];
  }
  sig[64] = '\0';
  assert_int_equal(
      parley_sdk_webhook_verify_linkedin(li_secret, li_body, strlen(li_body), sig, NULL),
      PARLEY_ESIGNATURE);
}

static void linkedin_challenge_response_is_hex_hmac_of_the_code(void **state) {
  (void)state;
  char out[400];
  int n = parley_sdk_webhook_linkedin_challenge(li_secret, "890e4665-4dfe-4ab1-b689-ed553bceeed0",
                                                out, sizeof out);
  assert_true(n > 0);
  assert_string_equal(out, "{\"challengeCode\":\"890e4665-4dfe-4ab1-b689-ed553bceeed0\","
                           "\"challengeResponse\":\"8f230387781692d997bb5eadd9e68b62a4d04f0697c"
                           "8476cd9b274c8738cdf69\"}");
}

static void linkedin_challenge_refuses_codes_that_would_need_escaping(void **state) {
  (void)state;
  char out[400];
  assert_int_equal(parley_sdk_webhook_linkedin_challenge(li_secret, "abc\",\"x", out, sizeof out),
                   PARLEY_EINVAL);
  assert_int_equal(parley_sdk_webhook_linkedin_challenge(li_secret, "", out, sizeof out),
                   PARLEY_EINVAL);
}

static void tiktok_signature_within_tolerance_is_accepted(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), tt_sig,
                                                    tt_time + 10, 300, NULL),
                   0);
}

static void tiktok_header_parts_in_any_order_with_spaces_are_accepted(void **state) {
  (void)state;
  const char *swapped =
      "s=628f7013b209fb1244ff8365c212c8311ce73a5aaf73d4a6509c92a5beaf5093, t=1633174587";
  assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), swapped,
                                                    tt_time, 300, NULL),
                   0);
}

static void tiktok_stale_timestamp_is_rejected(void **state) {
  (void)state;
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), tt_sig,
                                                    tt_time + 301, 300, &err),
                   PARLEY_ESIGNATURE);
  assert_non_null(strstr(err.message, "timestamp"));
  assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), tt_sig,
                                                    tt_time - 301, 300, NULL),
                   PARLEY_ESIGNATURE);
}

static void tiktok_changed_timestamp_breaks_the_signature(void **state) {
  (void)state;
  const char *moved =
      "t=1633174588,s=628f7013b209fb1244ff8365c212c8311ce73a5aaf73d4a6509c92a5beaf5093";
  assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), moved,
                                                    tt_time, 300, NULL),
                   PARLEY_ESIGNATURE);
}

static void tiktok_malformed_headers_are_rejected_without_crash(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "t=,s=",
                       "t=1633174587",
                       "s=628f7013b209fb1244ff8365c212c8311ce73a5aaf73d4a6509c92a5beaf5093",
                       "t=16331x4587,s=628f7013b209fb1244ff8365c212c8311ce73a5aaf73d4a6509c92a5beaf5093",
                       "t=99999999999999999999999,s=00",
                       ",,,,",
                       "t=1633174587,s=628f"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), bad[i],
                                                      tt_time, 300, NULL),
                     PARLEY_ESIGNATURE);
}

static void generic_hex_and_base64_helpers_verify_the_body(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_webhook_verify_hex(meta_secret, meta_body, strlen(meta_body),
                                                 meta_sig + 7, "X-Sig", NULL),
                   0);
  assert_int_equal(parley_sdk_webhook_verify_base64(tw_secret, tw_body, strlen(tw_body),
                                                    tw_sig + 7, "X-Sig", NULL),
                   0);
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_webhook_verify_hex(meta_secret, tw_body, strlen(tw_body),
                                                 meta_sig + 7, "X-Sig", &err),
                   PARLEY_ESIGNATURE);
  assert_non_null(strstr(err.message, "X-Sig"));
}

static void secure_streq_compares_whole_strings(void **state) {
  (void)state;
  assert_true(parley_sdk_secure_streq("abc", "abc"));
  assert_false(parley_sdk_secure_streq("abc", "abd"));
  assert_false(parley_sdk_secure_streq("abc", "abcd"));
  assert_false(parley_sdk_secure_streq(NULL, "abc"));
}

static void random_signature_headers_are_rejected_without_crash(void **state) {
  (void)state;
  parley_sdk_rng_t rng;
  parley_sdk_rng_seed(&rng, 77);
  static const char alphabet[] = "ts=,.0123456789abcdefABCDEF+/ sha256=hmacsha256=";
  for (int round = 0; round < 2000; round++) {
    char header[160];
    size_t len = (size_t)parley_sdk_rng_upto(&rng, sizeof header - 1);
    for (size_t i = 0; i < len; i++) {
      char c = round % 2 ? (char)(1 + parley_sdk_rng_upto(&rng, 254))
                         : alphabet[parley_sdk_rng_upto(&rng, sizeof alphabet - 2)];
      header[i] = c;
    }
    header[len] = '\0';
    assert_int_equal(parley_sdk_webhook_verify_meta(meta_secret, meta_body, strlen(meta_body),
                                                    header, NULL),
                     PARLEY_ESIGNATURE);
    assert_int_equal(parley_sdk_webhook_verify_twitter(tw_secret, tw_body, strlen(tw_body), header,
                                                       NULL),
                     PARLEY_ESIGNATURE);
    assert_int_equal(parley_sdk_webhook_verify_linkedin(li_secret, li_body, strlen(li_body),
                                                        header, NULL),
                     PARLEY_ESIGNATURE);
    assert_int_equal(parley_sdk_webhook_verify_tiktok(tt_secret, tt_body, strlen(tt_body), header,
                                                      tt_time, 300, NULL),
                     PARLEY_ESIGNATURE);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hmac_matches_openssl_for_empty_message),
      cmocka_unit_test(meta_signature_is_accepted),
      cmocka_unit_test(meta_signature_in_uppercase_hex_is_accepted),
      cmocka_unit_test(meta_signature_over_a_changed_body_is_rejected),
      cmocka_unit_test(meta_signature_with_the_wrong_secret_is_rejected),
      cmocka_unit_test(meta_forged_signature_is_rejected),
      cmocka_unit_test(meta_malformed_headers_are_rejected_without_crash),
      cmocka_unit_test(a_very_long_signature_header_is_rejected),
      cmocka_unit_test(verifying_without_a_secret_is_an_error),
      cmocka_unit_test(meta_challenge_with_matching_token_is_accepted),
      cmocka_unit_test(meta_challenge_with_wrong_token_mode_or_challenge_is_refused),
      cmocka_unit_test(meta_appsecret_proof_is_hex_hmac_of_the_token),
      cmocka_unit_test(twitter_signature_is_accepted),
      cmocka_unit_test(twitter_forged_or_malformed_signatures_are_rejected),
      cmocka_unit_test(twitter_crc_matches_the_published_vector),
      cmocka_unit_test(twitter_crc_refuses_empty_token_and_small_buffer),
      cmocka_unit_test(linkedin_signature_over_prefixed_body_is_accepted),
      cmocka_unit_test(linkedin_signature_with_header_prefix_is_accepted),
      cmocka_unit_test(linkedin_signature_of_the_bare_body_is_rejected),
      cmocka_unit_test(linkedin_challenge_response_is_hex_hmac_of_the_code),
      cmocka_unit_test(linkedin_challenge_refuses_codes_that_would_need_escaping),
      cmocka_unit_test(tiktok_signature_within_tolerance_is_accepted),
      cmocka_unit_test(tiktok_header_parts_in_any_order_with_spaces_are_accepted),
      cmocka_unit_test(tiktok_stale_timestamp_is_rejected),
      cmocka_unit_test(tiktok_changed_timestamp_breaks_the_signature),
      cmocka_unit_test(tiktok_malformed_headers_are_rejected_without_crash),
      cmocka_unit_test(generic_hex_and_base64_helpers_verify_the_body),
      cmocka_unit_test(secure_streq_compares_whole_strings),
      cmocka_unit_test(random_signature_headers_are_rejected_without_crash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
