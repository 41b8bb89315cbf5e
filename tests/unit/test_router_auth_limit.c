/* The wrong-token limiter (router_auth_limit.c): failures are counted per
 * address, the lockout starts at the allowed count and doubles with every
 * further failure up to the cap, a right token forgets the address, a quiet
 * window forgets it too, IPv6 counts by /64, and a full table lets the least
 * recently touched address go. The clock is a number passed in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router_auth_limit.h"

#define SEC 1000LL
#define MIN (60 * SEC)

static const parley_auth_limit_conf_t CONF = {
    .failures = 5, .window_ms = 10 * MIN, .max_lockout_ms = 5 * MIN};

/* 127.0.0.x as a peer key (IPv4-mapped IPv6). */
static void v4(uint8_t key[16], uint8_t last) {
  memset(key, 0, 16);
  key[10] = key[11] = 0xff;
  key[12] = 127;
  key[15] = last;
}

/* n wrong tokens at now; the lockout the last one started. */
static int64_t fail_n(parley_auth_limit_t *t, const uint8_t *key, int n, int64_t now) {
  int64_t ms = 0;
  for (int i = 0; i < n; i++)
    ms = parley_auth_limit_fail(t, key, now, NULL);
  return ms;
}

static void test_the_fifth_failure_locks_the_address_out_for_a_second(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 16);
  uint8_t a[16];
  v4(a, 1);
  unsigned count = 0;
  for (unsigned i = 1; i <= 4; i++) {
    assert_int_equal(parley_auth_limit_check(t, a, 100), 0);
    assert_int_equal(parley_auth_limit_fail(t, a, 100, &count), 0);
    assert_int_equal(count, i);
  }
  assert_int_equal(parley_auth_limit_fail(t, a, 100, &count), 1 * SEC);
  assert_int_equal(count, 5);
  assert_int_equal(parley_auth_limit_check(t, a, 100), 1 * SEC);
  assert_int_equal(parley_auth_limit_check(t, a, 100 + 999), 1);
  assert_int_equal(parley_auth_limit_check(t, a, 100 + SEC), 0);
  parley_auth_limit_free(t);
}

static void test_each_further_failure_doubles_the_lockout_up_to_the_cap(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 16);
  uint8_t a[16];
  v4(a, 1);
  int64_t now = 0;
  assert_int_equal(fail_n(t, a, 5, now), 1 * SEC);
  const int64_t want[] = {2, 4, 8, 16, 32, 64, 128, 256, 300, 300};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    now += parley_auth_limit_check(t, a, now); /* wait out the lockout */
    assert_int_equal(parley_auth_limit_check(t, a, now), 0);
    assert_int_equal(parley_auth_limit_fail(t, a, now, NULL), want[i] * SEC);
  }
  parley_auth_limit_free(t);
}

static void test_a_right_token_forgets_the_address(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 16);
  uint8_t a[16];
  v4(a, 1);
  assert_int_equal(fail_n(t, a, 5, 0), 1 * SEC);
  assert_int_equal(parley_auth_limit_check(t, a, 2 * SEC), 0);
  parley_auth_limit_success(t, a);
  assert_int_equal(parley_auth_limit_size(t), 0);
  /* counting starts over: four more are free, the fifth locks for 1 s again */
  assert_int_equal(fail_n(t, a, 4, 3 * SEC), 0);
  assert_int_equal(parley_auth_limit_fail(t, a, 3 * SEC, NULL), 1 * SEC);
  parley_auth_limit_free(t);
}

static void test_another_address_is_not_locked_out(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 16);
  uint8_t a[16], b[16];
  v4(a, 1);
  v4(b, 2);
  assert_int_equal(fail_n(t, a, 5, 0), 1 * SEC);
  assert_true(parley_auth_limit_check(t, a, 0) > 0);
  assert_int_equal(parley_auth_limit_check(t, b, 0), 0);
  unsigned count = 0;
  assert_int_equal(parley_auth_limit_fail(t, b, 0, &count), 0);
  assert_int_equal(count, 1);
  parley_auth_limit_free(t);
}

static void test_an_address_quiet_for_a_window_is_forgotten(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 16);
  uint8_t a[16];
  v4(a, 1);
  unsigned count = 0;
  assert_int_equal(fail_n(t, a, 4, 0), 0);
  parley_auth_limit_fail(t, a, 10 * MIN - 1, &count); /* within the window of the last */
  assert_int_equal(count, 5);
  /* the window runs from the end of the lockout: 1 s later than the failure */
  assert_int_equal(parley_auth_limit_check(t, a, 20 * MIN - 1 + SEC - 1), 0);
  assert_int_equal(parley_auth_limit_size(t), 1);
  assert_int_equal(parley_auth_limit_check(t, a, 20 * MIN - 1 + SEC), 0);
  assert_int_equal(parley_auth_limit_size(t), 0);
  assert_int_equal(parley_auth_limit_fail(t, a, 21 * MIN, &count), 0);
  assert_int_equal(count, 1);
  parley_auth_limit_free(t);
}

static void test_a_long_lockout_keeps_the_address_past_the_window(void **state) {
  (void)state;
  parley_auth_limit_conf_t conf = {.failures = 1, .window_ms = 1 * SEC, .max_lockout_ms = MIN};
  parley_auth_limit_t *t = parley_auth_limit_new(&conf, 16);
  uint8_t a[16];
  v4(a, 1);
  int64_t now = 0;
  for (int i = 0; i < 5; i++) /* 1, 2, 4, 8, 16 s */
    now += parley_auth_limit_fail(t, a, now, NULL);
  assert_int_equal(parley_auth_limit_fail(t, a, now, NULL), 32 * SEC);
  assert_int_equal(parley_auth_limit_check(t, a, now + 31 * SEC), 1 * SEC);
  parley_auth_limit_free(t);
}

static void test_zero_failures_turns_the_limit_off(void **state) {
  (void)state;
  parley_auth_limit_conf_t conf = CONF;
  conf.failures = 0;
  parley_auth_limit_t *t = parley_auth_limit_new(&conf, 16);
  uint8_t a[16];
  v4(a, 1);
  assert_int_equal(fail_n(t, a, 100, 0), 0);
  assert_int_equal(parley_auth_limit_check(t, a, 0), 0);
  assert_int_equal(parley_auth_limit_size(t), 0);
  parley_auth_limit_free(t);
}

static void test_ipv6_addresses_count_by_their_64_network(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 16);
  uint8_t p1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  uint8_t p2[16], other[16], k[16], ipv4[16], kv4[16];
  memcpy(p2, p1, 16);
  p2[15] = 2;
  p2[9] = 0x42;
  memcpy(other, p1, 16);
  other[7] = 2; /* another /64 */
  v4(ipv4, 9);
  parley_auth_limit_key(ipv4, kv4);
  assert_memory_equal(kv4, ipv4, 16); /* IPv4 stays whole */
  for (int i = 0; i < 5; i++) {
    parley_auth_limit_key(i % 2 ? p1 : p2, k);
    parley_auth_limit_fail(t, k, 0, NULL);
  }
  parley_auth_limit_key(p1, k);
  assert_true(parley_auth_limit_check(t, k, 0) > 0);
  parley_auth_limit_key(p2, k);
  assert_true(parley_auth_limit_check(t, k, 0) > 0);
  parley_auth_limit_key(other, k);
  assert_int_equal(parley_auth_limit_check(t, k, 0), 0);
  parley_auth_limit_free(t);
}

static void test_a_full_table_lets_the_least_recently_failed_address_go(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 4);
  uint8_t k[16];
  for (uint8_t i = 1; i <= 4; i++) {
    v4(k, i);
    fail_n(t, k, 5, i); /* all four locked out */
  }
  v4(k, 1);
  parley_auth_limit_fail(t, k, 10, NULL); /* 1 touched again: 2 is now the oldest */
  v4(k, 5);
  parley_auth_limit_fail(t, k, 11, NULL);
  assert_int_equal(parley_auth_limit_size(t), 4);
  assert_int_equal(parley_auth_limit_evicted(t), 1);
  v4(k, 2);
  assert_int_equal(parley_auth_limit_check(t, k, 12), 0); /* forgotten: free again */
  for (uint8_t i = 1; i <= 4; i++) {
    if (i == 2)
      continue;
    v4(k, i);
    assert_true(parley_auth_limit_check(t, k, 12) > 0);
  }
  /* a flood of new addresses keeps the size at the bound */
  for (int i = 0; i < 1000; i++) {
    v4(k, (uint8_t)(i % 200 + 10));
    k[13] = (uint8_t)(i / 200);
    parley_auth_limit_fail(t, k, 100 + i, NULL);
  }
  assert_int_equal(parley_auth_limit_size(t), 4);
  parley_auth_limit_free(t);
}

static void test_a_freed_entry_is_reused_and_chains_stay_intact(void **state) {
  (void)state;
  parley_auth_limit_t *t = parley_auth_limit_new(&CONF, 3); /* buckets < entries collide */
  uint8_t k[16];
  for (uint8_t i = 1; i <= 3; i++) {
    v4(k, i);
    parley_auth_limit_fail(t, k, 0, NULL);
  }
  v4(k, 2);
  parley_auth_limit_success(t, k);
  assert_int_equal(parley_auth_limit_size(t), 2);
  v4(k, 7);
  parley_auth_limit_fail(t, k, 1, NULL);
  assert_int_equal(parley_auth_limit_evicted(t), 0);
  unsigned count = 0;
  uint8_t want[] = {1, 3, 7};
  for (size_t i = 0; i < 3; i++) {
    v4(k, want[i]);
    parley_auth_limit_fail(t, k, 2, &count);
    assert_int_equal(count, 2);
  }
  parley_auth_limit_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_fifth_failure_locks_the_address_out_for_a_second),
      cmocka_unit_test(test_each_further_failure_doubles_the_lockout_up_to_the_cap),
      cmocka_unit_test(test_a_right_token_forgets_the_address),
      cmocka_unit_test(test_another_address_is_not_locked_out),
      cmocka_unit_test(test_an_address_quiet_for_a_window_is_forgotten),
      cmocka_unit_test(test_a_long_lockout_keeps_the_address_past_the_window),
      cmocka_unit_test(test_zero_failures_turns_the_limit_off),
      cmocka_unit_test(test_ipv6_addresses_count_by_their_64_network),
      cmocka_unit_test(test_a_full_table_lets_the_least_recently_failed_address_go),
      cmocka_unit_test(test_a_freed_entry_is_reused_and_chains_stay_intact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
