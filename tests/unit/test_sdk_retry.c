/* libparley-sdk retry policy: the specification (retry.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parley/sdk/retry.h"

static parley_sdk_retry_policy_t policy;
static parley_sdk_rng_t rng;

static int setup(void **state) {
  (void)state;
  parley_sdk_retry_policy_init(&policy);
  parley_sdk_rng_seed(&rng, 42);
  return 0;
}

static parley_sdk_error_t err(int code, long status) {
  parley_sdk_error_t e;
  parley_sdk_error_init(&e);
  e.code = code;
  e.http_status = status;
  e.is_auth = code == PARLEY_EAUTH;
  e.is_rate_limit = code == PARLEY_ERATELIMIT;
  e.is_transient = code == PARLEY_EHTTP || code == PARLEY_ENETWORK || code == PARLEY_ETIMEDOUT;
  return e;
}

static void server_errors_on_get_are_retried_within_the_backoff(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_EHTTP, 503);
  for (uint32_t attempt = 1; attempt < 4; attempt++) {
    uint64_t delay = UINT64_MAX;
    assert_int_equal(parley_sdk_retry_decide(&policy, &e, attempt, 1, -1, &rng, &delay), 1);
    assert_true(delay <= parley_sdk_backoff_ceiling(&policy.backoff, attempt));
  }
}

static void attempts_are_bounded(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_EHTTP, 500);
  uint64_t delay;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 4, 1, -1, &rng, &delay), 0);
  policy.max_attempts = 1;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 0);
}

static void network_errors_on_post_are_not_retried(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_ETIMEDOUT, 0);
  uint64_t delay;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 0, -1, &rng, &delay), 0);
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 1);
}

static void auth_failures_are_never_retried(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_EAUTH, 401);
  uint64_t delay;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 0);
}

static void refusals_cancellation_and_oversize_are_never_retried(void **state) {
  (void)state;
  const int codes[] = {PARLEY_EPLATFORM, PARLEY_ECANCELED, PARLEY_ETOOBIG, PARLEY_EPARSE, 0};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    parley_sdk_error_t e = err(codes[i], 400);
    uint64_t delay;
    assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 0);
  }
}

static void rate_limit_waits_for_the_server_hint(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_ERATELIMIT, 429);
  e.retry_after_ms = 61000;
  uint64_t delay = 0;
  /* Even a POST: a 429 was not acted on. */
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 0, -1, &rng, &delay), 1);
  assert_int_equal(delay, 61000);
}

static void rate_limit_waits_for_the_longer_of_hint_and_window(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_ERATELIMIT, 429);
  e.retry_after_ms = 1000;
  uint64_t delay = 0;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, 300000, &rng, &delay), 1);
  assert_int_equal(delay, 300000);
}

static void rate_limit_without_hints_backs_off_from_the_fallback(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_ERATELIMIT, 429);
  uint64_t delay = 0;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 1);
  assert_true(delay >= 30000 && delay <= 60000);
}

static void rate_limit_longer_than_max_wait_gives_up(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_ERATELIMIT, 429);
  e.retry_after_ms = 15LL * 3600 * 1000; /* LinkedIn: until midnight */
  uint64_t delay;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 0);
}

static void usage_cap_is_not_retried(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_ERATELIMIT, 429);
  e.is_usage_cap = 1;
  uint64_t delay;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 0);
}

static void server_retry_after_on_503_is_a_minimum(void **state) {
  (void)state;
  parley_sdk_error_t e = err(PARLEY_EHTTP, 503);
  e.retry_after_ms = 120000;
  uint64_t delay = 0;
  assert_int_equal(parley_sdk_retry_decide(&policy, &e, 1, 1, -1, &rng, &delay), 1);
  assert_int_equal(delay, 120000);
}

static void idempotent_methods_are_known(void **state) {
  (void)state;
  assert_true(parley_sdk_method_idempotent("GET"));
  assert_true(parley_sdk_method_idempotent("PUT"));
  assert_true(parley_sdk_method_idempotent("DELETE"));
  assert_true(parley_sdk_method_idempotent(NULL));
  assert_false(parley_sdk_method_idempotent("POST"));
  assert_false(parley_sdk_method_idempotent("PATCH"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(server_errors_on_get_are_retried_within_the_backoff, setup),
      cmocka_unit_test_setup(attempts_are_bounded, setup),
      cmocka_unit_test_setup(network_errors_on_post_are_not_retried, setup),
      cmocka_unit_test_setup(auth_failures_are_never_retried, setup),
      cmocka_unit_test_setup(refusals_cancellation_and_oversize_are_never_retried, setup),
      cmocka_unit_test_setup(rate_limit_waits_for_the_server_hint, setup),
      cmocka_unit_test_setup(rate_limit_waits_for_the_longer_of_hint_and_window, setup),
      cmocka_unit_test_setup(rate_limit_without_hints_backs_off_from_the_fallback, setup),
      cmocka_unit_test_setup(rate_limit_longer_than_max_wait_gives_up, setup),
      cmocka_unit_test_setup(usage_cap_is_not_retried, setup),
      cmocka_unit_test_setup(server_retry_after_on_503_is_a_minimum, setup),
      cmocka_unit_test_setup(idempotent_methods_are_known, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
