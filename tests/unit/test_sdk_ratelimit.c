/* libparley-sdk rate-limit headers and windows: the specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/sdk/ratelimit.h"

/* 2026-11-23T09:00:00Z */
#define NOW 1795424400000LL

/* A tiny header set with case-insensitive lookup, as the host offers. */
typedef struct {
  const char *names[8];
  const char *values[8];
} headers_t;

static const char *lookup(void *ctx, const char *name) {
  headers_t *h = ctx;
  for (int i = 0; i < 8 && h->names[i]; i++)
    if (strcasecmp(h->names[i], name) == 0)
      return h->values[i];
  return NULL;
}

static void twitter_window_headers_are_read(void **state) {
  (void)state;
  headers_t h = {{"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"},
                 {"450", "449", "1795425300"}};
  parley_sdk_rl_info_t info;
  assert_int_equal(parley_sdk_rl_parse(lookup, &h, NOW, &info), 1);
  assert_int_equal(info.limit, 450);
  assert_int_equal(info.remaining, 449);
  assert_int_equal(info.reset_ms, 1795425300000LL);
  assert_int_equal(info.retry_after_ms, -1);
  assert_int_equal(info.usage_pct, -1);
}

static void header_names_match_case_insensitively(void **state) {
  (void)state;
  headers_t h = {{"X-Rate-Limit-Remaining"}, {"0"}};
  parley_sdk_rl_info_t info;
  parley_sdk_rl_parse(lookup, &h, NOW, &info);
  assert_int_equal(info.remaining, 0);
}

static void reset_in_milliseconds_or_as_a_delta_is_tolerated(void **state) {
  (void)state;
  int64_t at;
  assert_int_equal(parley_sdk_rl_parse_reset("1795425300000", NOW, &at), 0);
  assert_int_equal(at, 1795425300000LL);
  assert_int_equal(parley_sdk_rl_parse_reset("60", NOW, &at), 0);
  assert_int_equal(at, NOW + 60000);
  assert_int_equal(parley_sdk_rl_parse_reset("soon", NOW, &at), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_rl_parse_reset("-5", NOW, &at), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_rl_parse_reset("99999999999999999999999", NOW, &at), PARLEY_EPARSE);
}

static void malformed_window_headers_are_ignored(void **state) {
  (void)state;
  headers_t h = {{"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"},
                 {"lots", "4 5", ""}};
  parley_sdk_rl_info_t info;
  assert_int_equal(parley_sdk_rl_parse(lookup, &h, NOW, &info), 0);
  assert_int_equal(info.limit, -1);
  assert_int_equal(info.remaining, -1);
  assert_int_equal(info.reset_ms, 0);
}

static void retry_after_in_seconds_and_as_http_date(void **state) {
  (void)state;
  int64_t wait;
  assert_int_equal(parley_sdk_rl_parse_retry_after("120", NOW, &wait), 0);
  assert_int_equal(wait, 120000);
  assert_int_equal(parley_sdk_rl_parse_retry_after("Mon, 23 Nov 2026 09:01:30 GMT", NOW, &wait), 0);
  assert_int_equal(wait, 90000);
  /* A date in the past means: now. */
  assert_int_equal(parley_sdk_rl_parse_retry_after("Mon, 23 Nov 2026 08:00:00 GMT", NOW, &wait), 0);
  assert_int_equal(wait, 0);
  assert_int_equal(parley_sdk_rl_parse_retry_after("tomorrow", NOW, &wait), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_rl_parse_retry_after(NULL, NOW, &wait), PARLEY_EPARSE);
}

static void retry_after_is_capped_at_a_day(void **state) {
  (void)state;
  int64_t wait;
  assert_int_equal(parley_sdk_rl_parse_retry_after("999999999", NOW, &wait), 0);
  assert_int_equal(wait, 86400000LL);
}

static void meta_app_usage_gives_the_highest_percentage(void **state) {
  (void)state;
  int pct;
  int64_t regain;
  assert_int_equal(parley_sdk_rl_parse_meta_usage(
                       "{\"call_count\":28,\"total_time\":25,\"total_cputime\":91}", &pct, &regain),
                   0);
  assert_int_equal(pct, 91);
  assert_int_equal(regain, 0);
}

static void meta_business_use_case_usage_gives_regain_time(void **state) {
  (void)state;
  int pct;
  int64_t regain;
  const char *buc = "{\"1234567890\":[{\"type\":\"pages\",\"call_count\":100,\"total_cputime\":5,"
                    "\"total_time\":7,\"estimated_time_to_regain_access\":12}],"
                    "\"42\":[{\"type\":\"instagram\",\"call_count\":10,"
                    "\"estimated_time_to_regain_access\":3}]}";
  assert_int_equal(parley_sdk_rl_parse_meta_usage(buc, &pct, &regain), 0);
  assert_int_equal(pct, 100);
  assert_int_equal(regain, 12 * 60000);
}

static void malformed_meta_usage_is_rejected(void **state) {
  (void)state;
  int pct;
  int64_t regain;
  assert_int_equal(parley_sdk_rl_parse_meta_usage("{\"call_count\":", &pct, &regain),
                   PARLEY_EPARSE);
  assert_int_equal(parley_sdk_rl_parse_meta_usage("[1,2]", &pct, &regain), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_rl_parse_meta_usage(NULL, &pct, &regain), PARLEY_EPARSE);
}

static void meta_headers_are_read_together(void **state) {
  (void)state;
  headers_t h = {{"x-app-usage", "x-business-use-case-usage"},
                 {"{\"call_count\":40,\"total_time\":10,\"total_cputime\":10}",
                  "{\"9\":[{\"type\":\"pages\",\"call_count\":85,"
                  "\"estimated_time_to_regain_access\":0}]}"}};
  parley_sdk_rl_info_t info;
  assert_int_equal(parley_sdk_rl_parse(lookup, &h, NOW, &info), 1);
  assert_int_equal(info.usage_pct, 85);
  assert_int_equal(info.retry_after_ms, -1);
}

static void exhausted_24_hour_cap_decides_the_window(void **state) {
  (void)state;
  headers_t h = {{"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset",
                  "x-user-limit-24hour-limit", "x-user-limit-24hour-remaining",
                  "x-user-limit-24hour-reset"},
                 {"100", "50", "1795425300", "1440", "0", "1795500000"}};
  parley_sdk_rl_info_t info;
  parley_sdk_rl_parse(lookup, &h, NOW, &info);
  assert_int_equal(info.remaining, 0);
  assert_int_equal(info.reset_ms, 1795500000000LL);
}

static void no_headers_means_nothing_learned(void **state) {
  (void)state;
  headers_t h = {{NULL}, {NULL}};
  parley_sdk_rl_info_t info;
  assert_int_equal(parley_sdk_rl_parse(lookup, &h, NOW, &info), 0);
}

static parley_sdk_rl_info_t window(int64_t limit, int64_t remaining, int64_t reset_ms) {
  parley_sdk_rl_info_t info;
  parley_sdk_rl_info_init(&info);
  info.limit = limit;
  info.remaining = remaining;
  info.reset_ms = reset_ms;
  return info;
}

static void unknown_endpoint_may_be_called_now(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 1000);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "GET /2/users/:id/mentions", NOW), NOW);
  assert_int_equal(parley_sdk_rl_spread_ms(&t, "GET /2/users/:id/mentions", NOW), -1);
  parley_sdk_rl_table_free(&t);
}

static void exhausted_window_waits_until_reset_plus_skew(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 1000);
  parley_sdk_rl_info_t info = window(450, 0, NOW + 300000);
  parley_sdk_rl_update(&t, "mentions", &info, NOW);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "mentions", NOW), NOW + 301000);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "search", NOW), NOW);
  /* After the reset the window is fresh. */
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "mentions", NOW + 301000), NOW + 301000);
  parley_sdk_rl_table_free(&t);
}

static void requests_in_flight_count_against_the_window(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 0);
  parley_sdk_rl_info_t info = window(15, 2, NOW + 60000);
  parley_sdk_rl_update(&t, "k", &info, NOW);
  assert_int_equal(parley_sdk_rl_acquire(&t, "k", NOW), 0);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW), NOW);
  assert_int_equal(parley_sdk_rl_acquire(&t, "k", NOW), 0);
  /* Two sent, two were left: a third would exceed the window. */
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW), NOW + 60000);
  /* The first answer reports one left, with one still in flight: still full. */
  info = window(15, 1, NOW + 60000);
  parley_sdk_rl_release(&t, "k", &info, NOW + 10);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW + 10), NOW + 60000);
  /* The second answer carries no headers: its call is deducted anyway. */
  parley_sdk_rl_release(&t, "k", NULL, NOW + 20);
  assert_int_equal(parley_sdk_rl_find(&t, "k")->remaining, 0);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW + 20), NOW + 60000);
  parley_sdk_rl_table_free(&t);
}

static void window_refills_after_reset_on_acquire(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 0);
  parley_sdk_rl_info_t info = window(3, 0, NOW + 1000);
  parley_sdk_rl_update(&t, "k", &info, NOW);
  assert_int_equal(parley_sdk_rl_acquire(&t, "k", NOW + 2000), 0);
  const parley_sdk_rl_window_t *w = parley_sdk_rl_find(&t, "k");
  assert_int_equal(w->remaining, 3);
  assert_int_equal(w->in_flight, 1);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW + 2000), NOW + 2000);
  parley_sdk_rl_table_free(&t);
}

static void retry_after_and_blocks_hold_the_endpoint(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 1000);
  parley_sdk_rl_info_t info;
  parley_sdk_rl_info_init(&info);
  info.retry_after_ms = 30000;
  parley_sdk_rl_update(&t, "k", &info, NOW);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW), NOW + 30000);
  parley_sdk_rl_block(&t, "k", NOW + 90000);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW), NOW + 90000);
  /* A shorter block never shortens a longer one. */
  parley_sdk_rl_block(&t, "k", NOW + 5000);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "k", NOW), NOW + 90000);
  parley_sdk_rl_table_free(&t);
}

static void the_all_window_holds_every_endpoint(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 0);
  parley_sdk_rl_block(&t, PARLEY_SDK_RL_ALL, NOW + 720000);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, "GET /v19.0/1/feed", NOW), NOW + 720000);
  assert_int_equal(parley_sdk_rl_next_allowed(&t, NULL, NOW), NOW + 720000);
  parley_sdk_rl_table_free(&t);
}

static void spread_divides_time_to_reset_by_calls_left(void **state) {
  (void)state;
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 0);
  parley_sdk_rl_info_t info = window(450, 450, NOW + 900000);
  parley_sdk_rl_update(&t, "k", &info, NOW);
  assert_int_equal(parley_sdk_rl_spread_ms(&t, "k", NOW), 2000);
  info = window(450, 0, NOW + 900000);
  parley_sdk_rl_update(&t, "k", &info, NOW);
  assert_int_equal(parley_sdk_rl_spread_ms(&t, "k", NOW), 900000);
  parley_sdk_rl_table_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(twitter_window_headers_are_read),
      cmocka_unit_test(header_names_match_case_insensitively),
      cmocka_unit_test(reset_in_milliseconds_or_as_a_delta_is_tolerated),
      cmocka_unit_test(malformed_window_headers_are_ignored),
      cmocka_unit_test(retry_after_in_seconds_and_as_http_date),
      cmocka_unit_test(retry_after_is_capped_at_a_day),
      cmocka_unit_test(meta_app_usage_gives_the_highest_percentage),
      cmocka_unit_test(meta_business_use_case_usage_gives_regain_time),
      cmocka_unit_test(malformed_meta_usage_is_rejected),
      cmocka_unit_test(meta_headers_are_read_together),
      cmocka_unit_test(exhausted_24_hour_cap_decides_the_window),
      cmocka_unit_test(no_headers_means_nothing_learned),
      cmocka_unit_test(unknown_endpoint_may_be_called_now),
      cmocka_unit_test(exhausted_window_waits_until_reset_plus_skew),
      cmocka_unit_test(requests_in_flight_count_against_the_window),
      cmocka_unit_test(window_refills_after_reset_on_acquire),
      cmocka_unit_test(retry_after_and_blocks_hold_the_endpoint),
      cmocka_unit_test(the_all_window_holds_every_endpoint),
      cmocka_unit_test(spread_divides_time_to_reset_by_calls_left),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
