/* libparley-sdk paging: the specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/sdk/paging.h"

static void nineteen_digit_ids_compare_numerically(void **state) {
  (void)state;
  /* Both beyond 2^53: as doubles they would be equal. */
  assert_true(parley_sdk_id_cmp("1790000000000000043", "1790000000000000042") > 0);
  assert_true(parley_sdk_id_cmp("1790000000000000042", "1790000000000000043") < 0);
  assert_int_equal(parley_sdk_id_cmp("1790000000000000042", "1790000000000000042"), 0);
  assert_true(parley_sdk_id_cmp("9223372036854775807", "9223372036854775806") > 0);
}

static void a_longer_id_is_larger_whatever_its_digits(void **state) {
  (void)state;
  assert_true(parley_sdk_id_cmp("1000000000000000000", "999999999999999999") > 0);
  assert_true(parley_sdk_id_cmp("99", "100") < 0);
  /* strcmp would say the opposite. */
  assert_true(strcmp("99", "100") > 0);
}

static void leading_zeros_do_not_change_the_value(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_id_cmp("00042", "42"), 0);
  assert_int_equal(parley_sdk_id_cmp("0", "000"), 0);
}

static void invalid_ids_sort_before_valid_ones(void **state) {
  (void)state;
  assert_true(parley_sdk_id_cmp(NULL, "1") < 0);
  assert_true(parley_sdk_id_cmp("", "1") < 0);
  assert_true(parley_sdk_id_cmp("12a", "1") < 0);
  assert_true(parley_sdk_id_cmp("1", "-1") > 0);
  assert_int_equal(parley_sdk_id_cmp("x", NULL), 0);
}

static json_t *load(const char *text) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  return j;
}

static void twitter_next_token_is_read_from_meta(void **state) {
  (void)state;
  char buf[64];
  json_t *page = load("{\"data\":[],\"meta\":{\"next_token\":\"7140dib\"}}");
  assert_int_equal(parley_sdk_page_twitter_next(page, buf, sizeof buf), 7);
  assert_string_equal(buf, "7140dib");
  json_decref(page);
  page = load("{\"meta\":{\"result_count\":0}}");
  assert_int_equal(parley_sdk_page_twitter_next(page, buf, sizeof buf), 0);
  json_decref(page);
}

static void meta_after_cursor_counts_only_when_next_is_present(void **state) {
  (void)state;
  char buf[64];
  json_t *page = load("{\"data\":[{}],\"paging\":{\"cursors\":{\"before\":\"QVFIUm\","
                      "\"after\":\"QVFIUk\"},\"next\":\"https://graph.facebook.com/...\"}}");
  assert_int_equal(parley_sdk_page_meta_next(page, buf, sizeof buf), 6);
  assert_string_equal(buf, "QVFIUk");
  json_decref(page);
  page = load("{\"data\":[{}],\"paging\":{\"cursors\":{\"after\":\"QVFIUk\"}}}");
  assert_int_equal(parley_sdk_page_meta_next(page, buf, sizeof buf), 0);
  json_decref(page);
}

static void tiktok_cursor_is_passed_back_verbatim_while_has_more(void **state) {
  (void)state;
  char buf[64];
  json_t *page = load("{\"code\":0,\"data\":{\"cursor\":1655118106000,\"has_more\":true}}");
  assert_int_equal(parley_sdk_page_tiktok_next(page, buf, sizeof buf), 13);
  assert_string_equal(buf, "1655118106000");
  json_decref(page);
  page = load("{\"code\":0,\"data\":{\"cursor\":1655118106000,\"has_more\":false}}");
  assert_int_equal(parley_sdk_page_tiktok_next(page, buf, sizeof buf), 0);
  json_decref(page);
}

static void linkedin_offset_advances_until_a_short_page(void **state) {
  (void)state;
  json_t *page = load("{\"elements\":[{},{}],\"paging\":{\"start\":0,\"count\":2,\"total\":5}}");
  assert_int_equal(parley_sdk_page_linkedin_next(page, 0, 2), 2);
  assert_int_equal(parley_sdk_page_linkedin_next(page, 4, 2), -1); /* past total */
  json_decref(page);
  page = load("{\"elements\":[{}],\"paging\":{\"start\":4,\"count\":2}}");
  assert_int_equal(parley_sdk_page_linkedin_next(page, 4, 2), -1);
  json_decref(page);
  page = load("{\"elements\":[{},{}],\"paging\":{}}");
  assert_int_equal(parley_sdk_page_linkedin_next(page, 10, 2), 12); /* no total */
  json_decref(page);
}

static void walk_collects_items_newer_than_the_checkpoint_across_pages(void **state) {
  (void)state;
  parley_sdk_walk_t w = {0};
  parley_sdk_walk_begin(&w, "1790000000000000040");
  assert_string_equal(parley_sdk_walk_cursor(&w), "");
  assert_int_equal(parley_sdk_walk_item(&w, "1790000000000000045"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_item(&w, "1790000000000000044"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_page(&w, "page2"), 1);
  assert_string_equal(parley_sdk_walk_cursor(&w), "page2");
  assert_int_equal(parley_sdk_walk_item(&w, "1790000000000000043"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_item(&w, "1790000000000000040"), PARLEY_SDK_WALK_OLD);
  assert_int_equal(parley_sdk_walk_page(&w, "page3"), 0);
  assert_int_equal(w.items, 3);
  assert_string_equal(parley_sdk_walk_checkpoint(&w), "1790000000000000045");
}

static void walk_stops_on_the_last_page_without_reaching_the_checkpoint(void **state) {
  (void)state;
  parley_sdk_walk_t w = {0};
  parley_sdk_walk_begin(&w, "5");
  assert_int_equal(parley_sdk_walk_item(&w, "9"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_page(&w, NULL), 0);
  assert_string_equal(parley_sdk_walk_checkpoint(&w), "9");
}

static void walk_keeps_the_old_checkpoint_when_nothing_is_new(void **state) {
  (void)state;
  parley_sdk_walk_t w = {0};
  parley_sdk_walk_begin(&w, "1790000000000000042");
  assert_int_equal(parley_sdk_walk_item(&w, "1790000000000000042"), PARLEY_SDK_WALK_OLD);
  assert_int_equal(parley_sdk_walk_page(&w, "more"), 0);
  assert_string_equal(parley_sdk_walk_checkpoint(&w), "1790000000000000042");
}

static void first_walk_without_checkpoint_reads_one_page(void **state) {
  (void)state;
  parley_sdk_walk_t w = {0};
  parley_sdk_walk_begin(&w, NULL);
  assert_int_equal(parley_sdk_walk_item(&w, "100"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_item(&w, "99"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_page(&w, "older"), 0);
  assert_string_equal(parley_sdk_walk_checkpoint(&w), "100");
}

static void walk_honours_the_page_limit(void **state) {
  (void)state;
  parley_sdk_walk_t w = {0};
  w.max_pages = 2;
  parley_sdk_walk_begin(&w, "1");
  assert_int_equal(w.max_pages, 2);
  parley_sdk_walk_item(&w, "10");
  assert_int_equal(parley_sdk_walk_page(&w, "p2"), 1);
  parley_sdk_walk_item(&w, "9");
  assert_int_equal(parley_sdk_walk_page(&w, "p3"), 0);
}

static void inclusive_time_walk_rereads_items_at_the_checkpoint(void **state) {
  (void)state;
  parley_sdk_walk_t w = {0};
  w.inclusive = 1;
  parley_sdk_walk_begin(&w, "1704110400000");
  assert_int_equal(parley_sdk_walk_item(&w, "1704110400000"), PARLEY_SDK_WALK_NEW);
  assert_int_equal(parley_sdk_walk_item(&w, "1704110399999"), PARLEY_SDK_WALK_OLD);
}

static void oversized_cursor_ends_the_walk(void **state) {
  (void)state;
  char big[PARLEY_SDK_CURSOR_MAX + 10];
  memset(big, 'c', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  parley_sdk_walk_t w = {0};
  parley_sdk_walk_begin(&w, "1");
  parley_sdk_walk_item(&w, "2");
  assert_int_equal(parley_sdk_walk_page(&w, big), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nineteen_digit_ids_compare_numerically),
      cmocka_unit_test(a_longer_id_is_larger_whatever_its_digits),
      cmocka_unit_test(leading_zeros_do_not_change_the_value),
      cmocka_unit_test(invalid_ids_sort_before_valid_ones),
      cmocka_unit_test(twitter_next_token_is_read_from_meta),
      cmocka_unit_test(meta_after_cursor_counts_only_when_next_is_present),
      cmocka_unit_test(tiktok_cursor_is_passed_back_verbatim_while_has_more),
      cmocka_unit_test(linkedin_offset_advances_until_a_short_page),
      cmocka_unit_test(walk_collects_items_newer_than_the_checkpoint_across_pages),
      cmocka_unit_test(walk_stops_on_the_last_page_without_reaching_the_checkpoint),
      cmocka_unit_test(walk_keeps_the_old_checkpoint_when_nothing_is_new),
      cmocka_unit_test(first_walk_without_checkpoint_reads_one_page),
      cmocka_unit_test(walk_honours_the_page_limit),
      cmocka_unit_test(inclusive_time_walk_rereads_items_at_the_checkpoint),
      cmocka_unit_test(oversized_cursor_ends_the_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
