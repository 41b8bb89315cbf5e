/* libparley-sdk backoff with full jitter: the specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parley/sdk/backoff.h"

static void ceiling_doubles_from_base_up_to_cap(void **state) {
  (void)state;
  parley_sdk_backoff_t b = {1000, 60000};
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 0), 0);
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 1), 1000);
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 2), 2000);
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 3), 4000);
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 6), 32000);
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 7), 60000);
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 8), 60000);
}

static void ceiling_never_overflows_for_huge_retry_counts(void **state) {
  (void)state;
  parley_sdk_backoff_t b = {UINT64_MAX / 3, UINT64_MAX};
  assert_true(parley_sdk_backoff_ceiling(&b, 1000000) == UINT64_MAX);
  parley_sdk_backoff_t c = {5000, 300000};
  assert_int_equal(parley_sdk_backoff_ceiling(&c, UINT32_MAX), 300000);
}

static void delay_stays_within_zero_and_the_ceiling(void **state) {
  (void)state;
  parley_sdk_backoff_t b = {1000, 60000};
  parley_sdk_rng_t rng;
  parley_sdk_rng_seed(&rng, 12345);
  for (uint32_t retry = 1; retry <= 10; retry++) {
    uint64_t ceiling = parley_sdk_backoff_ceiling(&b, retry);
    for (int i = 0; i < 1000; i++)
      assert_true(parley_sdk_backoff_delay(&b, retry, &rng) <= ceiling);
  }
}

static void delays_are_spread_over_the_interval(void **state) {
  (void)state;
  /* Full jitter: both halves of [0, ceiling] are used. */
  parley_sdk_backoff_t b = {1000, 1000};
  parley_sdk_rng_t rng;
  parley_sdk_rng_seed(&rng, 7);
  int low = 0, high = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t d = parley_sdk_backoff_delay(&b, 1, &rng);
    if (d < 500)
      low++;
    else
      high++;
  }
  assert_true(low > 300 && high > 300);
}

static void same_seed_gives_the_same_sequence(void **state) {
  (void)state;
  parley_sdk_rng_t a, b;
  parley_sdk_rng_seed(&a, 99);
  parley_sdk_rng_seed(&b, 99);
  for (int i = 0; i < 100; i++)
    assert_true(parley_sdk_rng_next(&a) == parley_sdk_rng_next(&b));
  parley_sdk_rng_seed(&b, 100);
  assert_true(parley_sdk_rng_next(&a) != parley_sdk_rng_next(&b));
}

static void upto_includes_both_bounds(void **state) {
  (void)state;
  parley_sdk_rng_t rng;
  parley_sdk_rng_seed(&rng, 1);
  int seen[3] = {0};
  for (int i = 0; i < 300; i++) {
    uint64_t v = parley_sdk_rng_upto(&rng, 2);
    assert_true(v <= 2);
    seen[v]++;
  }
  assert_true(seen[0] && seen[1] && seen[2]);
  assert_int_equal(parley_sdk_rng_upto(&rng, 0), 0);
}

static void zero_base_is_taken_as_one_millisecond(void **state) {
  (void)state;
  parley_sdk_backoff_t b = {0, 0};
  assert_int_equal(parley_sdk_backoff_ceiling(&b, 5), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ceiling_doubles_from_base_up_to_cap),
      cmocka_unit_test(ceiling_never_overflows_for_huge_retry_counts),
      cmocka_unit_test(delay_stays_within_zero_and_the_ceiling),
      cmocka_unit_test(delays_are_spread_over_the_interval),
      cmocka_unit_test(same_seed_gives_the_same_sequence),
      cmocka_unit_test(upto_includes_both_bounds),
      cmocka_unit_test(zero_base_is_taken_as_one_millisecond),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
