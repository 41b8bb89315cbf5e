/* libparley-sdk platform error bodies: the specification. Bodies are the
 * shapes recorded in shared/platforms/<platform>.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "parley/sdk/backoff.h"
#include "parley/sdk/error.h"

/* 2026-11-23T09:00:00Z */
#define NOW 1795424400000LL

static int parse(parley_sdk_platform_t p, long status, const char *body, parley_sdk_error_t *e) {
  return parley_sdk_error_parse(p, status, body, body ? strlen(body) : 0, NOW, e);
}

static void success_is_not_an_error(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 200, "{\"data\":[]}", &e), 0);
  assert_int_equal(e.code, 0);
  /* Twitter partial errors next to data are still a success. */
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 200,
                         "{\"data\":[{\"id\":\"1\"}],\"errors\":[{\"title\":\"Not Found Error\"}]}",
                         &e),
                   0);
  assert_int_equal(parse(PARLEY_SDK_LINKEDIN, 201, NULL, &e), 0);
}

static void twitter_expired_token_is_auth(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 401,
                         "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,"
                         "\"detail\":\"Unauthorized\"}",
                         &e),
                   PARLEY_EAUTH);
  assert_true(e.is_auth);
  assert_false(e.is_transient);
  assert_int_equal(e.http_status, 401);
  assert_string_equal(e.platform_code, "Unauthorized");
  assert_string_equal(e.message, "Unauthorized");
}

static void twitter_problem_type_becomes_the_code(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(
      parse(PARLEY_SDK_TWITTER, 403,
            "{\"title\":\"Unsupported Authentication\",\"detail\":\"Authenticating with OAuth 2.0 "
            "Application-Only is forbidden for this endpoint.\",\"type\":"
            "\"https://api.twitter.com/2/problems/unsupported-authentication\",\"status\":403}",
            &e),
      PARLEY_EPLATFORM);
  assert_string_equal(e.platform_code, "unsupported-authentication");
  assert_non_null(strstr(e.message, "Application-Only"));
  assert_false(e.is_auth);
}

static void twitter_429_problem_is_rate_limit(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 429,
                         "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\","
                         "\"type\":\"about:blank\",\"status\":429}",
                         &e),
                   PARLEY_ERATELIMIT);
  assert_true(e.is_rate_limit);
  assert_false(e.is_usage_cap);
}

static void twitter_usage_cap_is_not_retried(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 429,
                         "{\"account_id\":\"1\",\"product_name\":\"standard-basic\",\"title\":"
                         "\"UsageCapExceeded\",\"period\":\"Monthly\",\"scope\":\"Product\","
                         "\"detail\":\"Usage cap exceeded: Monthly product cap\",\"type\":"
                         "\"https://api.twitter.com/2/problems/usage-capped\"}",
                         &e),
                   PARLEY_ERATELIMIT);
  assert_true(e.is_usage_cap);
  assert_false(e.is_transient);
  assert_string_equal(e.platform_code, "usage-capped");
}

static void twitter_v1_error_codes_are_classified(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 401,
                         "{\"errors\":[{\"code\":89,\"message\":\"Invalid or expired token.\"}]}",
                         &e),
                   PARLEY_EAUTH);
  assert_string_equal(e.platform_code, "89");
  assert_string_equal(e.message, "Invalid or expired token.");
  assert_int_equal(parse(PARLEY_SDK_TWITTER, 429,
                         "{\"errors\":[{\"code\":88,\"message\":\"Rate limit exceeded\"}]}", &e),
                   PARLEY_ERATELIMIT);
  assert_int_equal(
      parse(PARLEY_SDK_TWITTER, 503, "{\"errors\":[{\"code\":130,\"message\":\"Over capacity\"}]}",
            &e),
      PARLEY_EHTTP);
  assert_true(e.is_transient);
}

static void meta_expired_token_is_auth_with_subcode(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(
      parse(PARLEY_SDK_META, 400,
            "{\"error\":{\"message\":\"Error validating access token: Session has expired on "
            "Monday, 01-Jan-24 12:00:00 PST.\",\"type\":\"OAuthException\",\"code\":190,"
            "\"error_subcode\":463,\"fbtrace_id\":\"AbCdEf123\"}}",
            &e),
      PARLEY_EAUTH);
  assert_string_equal(e.platform_code, "190");
  assert_string_equal(e.platform_subcode, "463");
  assert_true(e.is_auth);
}

static void meta_throttling_codes_are_rate_limits(void **state) {
  (void)state;
  const int codes[] = {4, 17, 32, 613, 80001, 80002, 80006};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    char body[160];
    snprintf(body, sizeof body,
             "{\"error\":{\"message\":\"(#%d) too many calls\",\"type\":\"OAuthException\","
             "\"code\":%d,\"is_transient\":true}}",
             codes[i], codes[i]);
    parley_sdk_error_t e;
    assert_int_equal(parse(PARLEY_SDK_META, 400, body, &e), PARLEY_ERATELIMIT);
    assert_true(e.is_rate_limit);
  }
}

static void meta_parameter_error_is_a_refusal(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_META, 400,
                         "{\"error\":{\"message\":\"(#100) Missing required parameter: message\","
                         "\"type\":\"OAuthException\",\"code\":100}}",
                         &e),
                   PARLEY_EPLATFORM);
  assert_false(e.is_auth || e.is_rate_limit || e.is_transient);
}

static void meta_error_object_on_a_200_is_still_an_error(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_META, 200,
                         "{\"error\":{\"message\":\"Service temporarily unavailable\","
                         "\"code\":2}}",
                         &e),
                   PARLEY_EHTTP);
  assert_true(e.is_transient);
}

static void linkedin_revoked_token_is_auth(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_LINKEDIN, 401,
                         "{\"status\":401,\"serviceErrorCode\":65601,\"code\":"
                         "\"REVOKED_ACCESS_TOKEN\",\"message\":\"The token used in the request "
                         "has been revoked by the user\"}",
                         &e),
                   PARLEY_EAUTH);
  assert_string_equal(e.platform_code, "REVOKED_ACCESS_TOKEN");
}

static void linkedin_daily_throttle_waits_until_utc_midnight(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_LINKEDIN, 429,
                         "{\"status\":429,\"serviceErrorCode\":101,\"code\":\"TOO_MANY_REQUESTS\","
                         "\"message\":\"Resource level throttle APPLICATION DAY limit for calls "
                         "to this resource is reached.\"}",
                         &e),
                   PARLEY_ERATELIMIT);
  /* 09:00 UTC: fifteen hours to go. */
  assert_int_equal(e.retry_after_ms, 15LL * 3600 * 1000);
}

static void linkedin_old_style_body_uses_service_error_code(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_LINKEDIN, 429,
                         "{\"serviceErrorCode\":101,\"message\":\"Resource level throttle limit "
                         "for calls to this resource is reached.\",\"status\":429}",
                         &e),
                   PARLEY_ERATELIMIT);
  assert_string_equal(e.platform_code, "101");
  assert_int_equal(e.retry_after_ms, -1);
}

static void tiktok_error_on_http_200_is_detected(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 200,
                         "{\"code\":40105,\"message\":\"Access token is incorrect or has been "
                         "revoked.\",\"request_id\":\"2024\",\"data\":{}}",
                         &e),
                   PARLEY_EAUTH);
  assert_string_equal(e.platform_code, "40105");
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 200,
                         "{\"code\":40100,\"message\":\"Too many requests\",\"data\":{}}", &e),
                   PARLEY_ERATELIMIT);
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 200, "{\"code\":50000,\"message\":\"x\"}", &e),
                   PARLEY_EHTTP);
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 200, "{\"code\":40002,\"message\":\"bad param\"}", &e),
                   PARLEY_EPLATFORM);
}

static void tiktok_success_envelope_is_a_success(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 200,
                         "{\"code\":0,\"message\":\"OK\",\"request_id\":\"1\",\"data\":{}}", &e),
                   0);
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 200,
                         "{\"data\":{},\"error\":{\"code\":\"ok\",\"message\":\"\"}}", &e),
                   0);
}

static void tiktok_developer_api_errors_are_classified(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 401,
                         "{\"error\":{\"code\":\"access_token_invalid\",\"message\":\"The access "
                         "token is invalid\",\"log_id\":\"x\"}}",
                         &e),
                   PARLEY_EAUTH);
  assert_int_equal(parse(PARLEY_SDK_TIKTOK, 429,
                         "{\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"slow\"}}", &e),
                   PARLEY_ERATELIMIT);
}

static void malformed_bodies_fall_back_to_the_status(void **state) {
  (void)state;
  const char *bodies[] = {"<html>502 Bad Gateway</html>", "{\"error\":", "[1,2,3]", "\xff\xfe",
                          "{\"error\":{\"code\":\"not a number\",\"message\":42}}",
                          "{\"errors\":\"nope\"}"};
  const parley_sdk_platform_t platforms[] = {PARLEY_SDK_GENERIC, PARLEY_SDK_TWITTER,
                                             PARLEY_SDK_META, PARLEY_SDK_LINKEDIN,
                                             PARLEY_SDK_TIKTOK};
  for (size_t p = 0; p < 5; p++) {
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
      parley_sdk_error_t e;
      assert_int_equal(parse(platforms[p], 502, bodies[i], &e), PARLEY_EHTTP);
      assert_true(e.is_transient);
      assert_int_equal(e.http_status, 502);
      assert_true(e.message[0] != '\0');
    }
  }
}

static void generic_uses_status_and_known_shapes(void **state) {
  (void)state;
  parley_sdk_error_t e;
  assert_int_equal(parse(PARLEY_SDK_GENERIC, 401, "", &e), PARLEY_EAUTH);
  assert_int_equal(parse(PARLEY_SDK_GENERIC, 429, NULL, &e), PARLEY_ERATELIMIT);
  assert_int_equal(parse(PARLEY_SDK_GENERIC, 404, "{\"error\":\"not_found\"}", &e),
                   PARLEY_EPLATFORM);
  assert_string_equal(e.platform_code, "not_found");
}

static void control_characters_in_messages_are_neutralised(void **state) {
  (void)state;
  parley_sdk_error_t e;
  parse(PARLEY_SDK_LINKEDIN, 400, "{\"code\":\"X\",\"message\":\"line1\\nFAKE LOG LINE\"}", &e);
  assert_null(strchr(e.message, '\n'));
}

static void error_converts_to_a_parley_error_naming_the_context(void **state) {
  (void)state;
  parley_sdk_error_t e;
  parse(PARLEY_SDK_META, 400,
        "{\"error\":{\"message\":\"Session has expired\",\"code\":190,\"error_subcode\":463}}", &e);
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_error_to_parley(&e, "GET /v19.0/1/feed", &err), PARLEY_EAUTH);
  assert_string_equal(err.message, "GET /v19.0/1/feed: HTTP 400 [190/463]: Session has expired");
  parley_sdk_error_transport(&e, PARLEY_ETIMEDOUT, "operation timed out");
  assert_true(e.is_transient);
  parley_sdk_error_to_parley(&e, "GET /x", &err);
  assert_string_equal(err.message, "GET /x: operation timed out");
}

static void random_bytes_as_bodies_never_crash(void **state) {
  (void)state;
  /* Runs under ASan/UBSan in the sanitizer build: any overread fails it. */
  parley_sdk_rng_t rng;
  parley_sdk_rng_seed(&rng, 2026);
  static const char alphabet[] = "{}[]\":,0123456789-.eEtruefalsn \\error code message status";
  for (int round = 0; round < 3000; round++) {
    char body[96];
    size_t len = (size_t)parley_sdk_rng_upto(&rng, sizeof body - 1);
    for (size_t i = 0; i < len; i++)
      body[i] = round % 2 ? (char)parley_sdk_rng_upto(&rng, 255)
                          : alphabet[parley_sdk_rng_upto(&rng, sizeof alphabet - 2)];
    long status = round % 3 == 0 ? 200 : round % 3 == 1 ? 429 : 500;
    parley_sdk_error_t e;
    int rc = parley_sdk_error_parse((parley_sdk_platform_t)(round % 5), status, body, len, NOW,
                                    &e);
    assert_true(rc <= 0);
    assert_int_equal(rc, e.code);
    assert_true(strlen(e.message) < sizeof e.message);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(success_is_not_an_error),
      cmocka_unit_test(twitter_expired_token_is_auth),
      cmocka_unit_test(twitter_problem_type_becomes_the_code),
      cmocka_unit_test(twitter_429_problem_is_rate_limit),
      cmocka_unit_test(twitter_usage_cap_is_not_retried),
      cmocka_unit_test(twitter_v1_error_codes_are_classified),
      cmocka_unit_test(meta_expired_token_is_auth_with_subcode),
      cmocka_unit_test(meta_throttling_codes_are_rate_limits),
      cmocka_unit_test(meta_parameter_error_is_a_refusal),
      cmocka_unit_test(meta_error_object_on_a_200_is_still_an_error),
      cmocka_unit_test(linkedin_revoked_token_is_auth),
      cmocka_unit_test(linkedin_daily_throttle_waits_until_utc_midnight),
      cmocka_unit_test(linkedin_old_style_body_uses_service_error_code),
      cmocka_unit_test(tiktok_error_on_http_200_is_detected),
      cmocka_unit_test(tiktok_success_envelope_is_a_success),
      cmocka_unit_test(tiktok_developer_api_errors_are_classified),
      cmocka_unit_test(malformed_bodies_fall_back_to_the_status),
      cmocka_unit_test(generic_uses_status_and_known_shapes),
      cmocka_unit_test(control_characters_in_messages_are_neutralised),
      cmocka_unit_test(error_converts_to_a_parley_error_naming_the_context),
      cmocka_unit_test(random_bytes_as_bodies_never_crash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
