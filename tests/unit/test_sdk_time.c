/* libparley-sdk time formats: the specification. Expected values were
 * computed with Python's datetime when the test was written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/sdk/time.h"

static void twitter_v1_time_is_parsed(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_twitter("Wed Oct 10 20:19:24 +0000 2018", &ms), 0);
  assert_int_equal(ms, 1539202764000LL);
}

static void twitter_v1_time_with_an_offset_is_converted_to_utc(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_twitter("Mon May 13 11:21:07 +0200 2024", &ms), 0);
  assert_int_equal(ms, 1715592067000LL);
}

static void malformed_twitter_times_are_rejected(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "Wed Oct 10 20:19:24 2018",
                       "Xyz Oct 10 20:19:24 +0000 2018",
                       "Wed Foo 10 20:19:24 +0000 2018",
                       "Wed Feb 30 20:19:24 +0000 2018",
                       "Wed Oct 10 25:19:24 +0000 2018",
                       "Wed Oct 10 20:19:24 +0000 2018 trailing",
                       "Wed Oct 10 20:19:24 +00x0 2018"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ms = 42;
    assert_int_equal(parley_sdk_time_parse_twitter(bad[i], &ms), PARLEY_EPARSE);
    assert_int_equal(ms, 42);
  }
  assert_int_equal(parley_sdk_time_parse_twitter(NULL, NULL), PARLEY_EINVAL);
}

static void meta_iso_time_without_colon_in_offset_is_parsed(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_iso("2026-11-23T09:20:06+0000", &ms), 0);
  assert_int_equal(ms, 1795425606000LL);
}

static void twitter_v2_time_with_milliseconds_is_parsed(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_iso("2024-05-13T09:21:07.123Z", &ms), 0);
  assert_int_equal(ms, 1715592067123LL);
}

static void http_date_forms_are_parsed(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_http("Sun, 06 Nov 1994 08:49:37 GMT", &ms), 0);
  assert_int_equal(ms, 784111777000LL);
  ms = 0;
  assert_int_equal(parley_sdk_time_parse_http("Sun Nov  6 08:49:37 1994", &ms), 0);
  assert_int_equal(ms, 784111777000LL);
  assert_int_equal(parley_sdk_time_parse_http("Sun, 06 Nov 1994 08:49:37 PST", &ms),
                   PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_parse_http("Sunday, 06-Nov-94 08:49:37 GMT", &ms),
                   PARLEY_EPARSE);
}

static void epoch_seconds_and_milliseconds_strings_are_told_apart(void **state) {
  (void)state;
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_epoch("1715592067000", &ms), 0);
  assert_int_equal(ms, 1715592067000LL);
  assert_int_equal(parley_sdk_time_parse_epoch("1715592067", &ms), 0);
  assert_int_equal(ms, 1715592067000LL);
  assert_int_equal(parley_sdk_time_parse_epoch("17155920670001234567", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_parse_epoch("-1", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_parse_epoch("", &ms), PARLEY_EPARSE);
}

static void parse_any_accepts_every_platform_format(void **state) {
  (void)state;
  const char *forms[] = {"2024-05-13T09:21:07Z", "2024-05-13T09:21:07+0000",
                         "2024-05-13T11:21:07+02:00", "Mon May 13 09:21:07 +0000 2024",
                         "1715592067000", "1715592067"};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    int64_t ms = 0;
    assert_int_equal(parley_sdk_time_parse_any(forms[i], &ms), 0);
    assert_int_equal(ms, 1715592067000LL);
  }
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_parse_any("yesterday", &ms), PARLEY_EPARSE);
}

static void json_time_fields_may_be_numbers_or_strings(void **state) {
  (void)state;
  json_t *doc = json_loads("{\"entry\":[{\"time\":1704110400}],\"ts\":1704110401123,"
                           "\"created_time\":\"2024-01-01T12:00:00+0000\",\"bad\":true,"
                           "\"neg\":-5}",
                           0, NULL);
  assert_non_null(doc);
  int64_t ms = 0;
  assert_int_equal(parley_sdk_time_from_json(doc, "entry.0.time", &ms), 0);
  assert_int_equal(ms, 1704110400000LL);
  assert_int_equal(parley_sdk_time_from_json(doc, "ts", &ms), 0);
  assert_int_equal(ms, 1704110401123LL);
  assert_int_equal(parley_sdk_time_from_json(doc, "created_time", &ms), 0);
  assert_int_equal(ms, 1704110400000LL);
  assert_int_equal(parley_sdk_time_from_json(doc, "missing", &ms), PARLEY_ENOENT);
  assert_int_equal(parley_sdk_time_from_json(doc, "bad", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_from_json(doc, "neg", &ms), PARLEY_EPARSE);
  json_decref(doc);
}

/* Found by fuzzing (docs/fuzzing.md): an epoch past year 9999 was taken,
 * and the event that carried it was refused by the core (lost). */
static void epochs_of_zero_or_past_year_9999_are_refused(void **state) {
  (void)state;
  int64_t ms = 42;
  assert_int_equal(parley_sdk_time_parse_epoch("253402300799999", &ms), 0);
  assert_int_equal(ms, PARLEY_TIME_MAX_MS);
  assert_int_equal(parley_sdk_time_parse_epoch("253402300800000", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_parse_epoch("1796000000000000", &ms), PARLEY_EPARSE);
  assert_int_equal(ms, PARLEY_TIME_MAX_MS); /* unchanged */
  json_t *doc = json_loads("{\"us\":1796000000000000,\"s\":\"3592000000000000\",\"ok\":3592000000}",
                           0, NULL);
  assert_non_null(doc);
  assert_int_equal(parley_sdk_time_from_json(doc, "us", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_from_json(doc, "s", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_from_json(doc, "ok", &ms), 0); /* 2083, in seconds */
  assert_int_equal(ms, 3592000000000LL);
  json_decref(doc);
  /* and 0, which platforms send for "none" and an event reads as missing */
  doc = json_loads("{\"zero\":0,\"zs\":\"0\"}", 0, NULL);
  assert_non_null(doc);
  assert_int_equal(parley_sdk_time_from_json(doc, "zero", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_from_json(doc, "zs", &ms), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_time_parse_epoch("0", &ms), PARLEY_EPARSE);
  json_decref(doc);
}

static void next_utc_midnight_is_strictly_after_now(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_time_next_utc_midnight(1709164800000LL), 1709251200000LL);
  assert_int_equal(parley_sdk_time_next_utc_midnight(1709164800000LL - 1), 1709164800000LL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(twitter_v1_time_is_parsed),
      cmocka_unit_test(twitter_v1_time_with_an_offset_is_converted_to_utc),
      cmocka_unit_test(malformed_twitter_times_are_rejected),
      cmocka_unit_test(meta_iso_time_without_colon_in_offset_is_parsed),
      cmocka_unit_test(twitter_v2_time_with_milliseconds_is_parsed),
      cmocka_unit_test(http_date_forms_are_parsed),
      cmocka_unit_test(epoch_seconds_and_milliseconds_strings_are_told_apart),
      cmocka_unit_test(parse_any_accepts_every_platform_format),
      cmocka_unit_test(json_time_fields_may_be_numbers_or_strings),
      cmocka_unit_test(epochs_of_zero_or_past_year_9999_are_refused),
      cmocka_unit_test(next_utc_midnight_is_strictly_after_now),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
