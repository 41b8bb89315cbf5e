/* Specification of the time helpers (include/parley/time.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/time.h"

/* 2026-11-23T09:20:06.123Z */
#define T_REF 1795425606123LL

static void format_writes_rfc3339_utc_with_milliseconds(void **state) {
  char buf[PARLEY_TIME_MAX];
  assert_int_equal(parley_time_format(T_REF, buf, sizeof buf), 24);
  assert_string_equal(buf, "2026-11-23T09:20:06.123Z");
}

static void format_writes_the_epoch(void **state) {
  char buf[PARLEY_TIME_MAX];
  parley_time_format(0, buf, sizeof buf);
  assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
}

static void format_handles_times_before_1970(void **state) {
  char buf[PARLEY_TIME_MAX];
  parley_time_format(-1, buf, sizeof buf);
  assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

static void format_refuses_a_buffer_too_small(void **state) {
  char buf[10];
  assert_int_equal(parley_time_format(T_REF, buf, sizeof buf), PARLEY_ENOBUFS);
}

static void format_refuses_years_past_9999(void **state) {
  char buf[PARLEY_TIME_MAX];
  assert_int_equal(parley_time_format(253402300800000LL, buf, sizeof buf), PARLEY_EINVAL);
}

static void parse_reads_zulu_with_milliseconds(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T09:20:06.123Z", &ms), 0);
  assert_int_equal(ms, T_REF);
}

static void parse_reads_whole_seconds(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T09:20:06Z", &ms), 0);
  assert_int_equal(ms, T_REF - 123);
}

static void parse_reads_offset_without_colon(void **state) {
  /* Facebook and Instagram: "2026-11-23T09:20:06+0000". */
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T09:20:06+0000", &ms), 0);
  assert_int_equal(ms, T_REF - 123);
}

static void parse_applies_a_positive_offset(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T10:20:06.123+01:00", &ms), 0);
  assert_int_equal(ms, T_REF);
}

static void parse_applies_a_negative_offset(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T04:50:06.123-0430", &ms), 0);
  assert_int_equal(ms, T_REF);
}

static void parse_crosses_midnight_with_an_offset(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2027-01-01T00:30:00+01:00", &ms), 0);
  char buf[PARLEY_TIME_MAX];
  parley_time_format(ms, buf, sizeof buf);
  assert_string_equal(buf, "2026-12-31T23:30:00.000Z");
}

static void parse_reads_milliseconds_with_an_offset(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T09:20:06.000+0000", &ms), 0);
  assert_int_equal(ms, T_REF - 123);
}

static void parse_scales_short_fractions(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T09:20:06.1Z", &ms), 0);
  assert_int_equal(ms, T_REF - 23);
}

static void parse_truncates_fractions_below_a_millisecond(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23T09:20:06.123999999Z", &ms), 0);
  assert_int_equal(ms, T_REF);
}

static void parse_accepts_lowercase_t_and_z(void **state) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse("2026-11-23t09:20:06.123z", &ms), 0);
  assert_int_equal(ms, T_REF);
}

static void parse_accepts_february_29_in_a_leap_year(void **state) {
  int64_t ms = 0;
  char buf[PARLEY_TIME_MAX];
  assert_int_equal(parley_time_parse("2028-02-29T12:00:00Z", &ms), 0);
  parley_time_format(ms, buf, sizeof buf);
  assert_string_equal(buf, "2028-02-29T12:00:00.000Z");
}

static void parse_counts_a_leap_second_as_the_next_second(void **state) {
  int64_t ms = 0, next = 0;
  assert_int_equal(parley_time_parse("2016-12-31T23:59:60Z", &ms), 0);
  assert_int_equal(parley_time_parse("2017-01-01T00:00:00Z", &next), 0);
  assert_int_equal(ms, next);
}

static void parse_rejects_garbage(void **state) {
  static const char *const bad[] = {
      "",
      "now",
      "2026-11-23",                    /* no time */
      "2026-11-23T09:20:06",           /* no offset: local time is ambiguous */
      "2026-11-23 09:20:06Z",          /* space separator */
      "2026-11-23T09:20Z",             /* no seconds */
      "2026-11-23T09:20:06.Z",         /* empty fraction */
      "2026-11-23T09:20:06Zjunk",      /* trailing garbage */
      "2026-11-23T09:20:06+1",         /* short offset */
      "2026-11-23T09:20:06+01:",       /* truncated offset */
      "2026-11-23T09:20:06+24:00",     /* offset hour out of range */
      "2026-13-01T00:00:00Z",          /* month 13 */
      "2026-00-01T00:00:00Z",          /* month 0 */
      "2026-02-29T00:00:00Z",          /* not a leap year */
      "2026-04-31T00:00:00Z",          /* April has 30 days */
      "2026-11-23T24:00:00Z",          /* hour 24 */
      "2026-11-23T09:60:00Z",          /* minute 60 */
      "2026-11-23T09:20:61Z",          /* second 61 */
      "26-11-23T09:20:06Z",            /* two-digit year */
      "2026-1-23T09:20:06Z",           /* one-digit month */
      "Wed Oct 10 20:19:24 +0000 2018", /* not RFC 3339 */
      "+2026-11-23T09:20:06Z",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int64_t ms = 42;
    if (parley_time_parse(bad[i], &ms) != PARLEY_EPARSE)
      fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(ms, 42);
  }
}

static void parse_rejects_null(void **state) {
  int64_t ms;
  assert_int_equal(parley_time_parse(NULL, &ms), PARLEY_EINVAL);
}

static void format_then_parse_gives_the_same_time(void **state) {
  /* Every day boundary from 1900 to 2100, plus an odd millisecond. */
  char buf[PARLEY_TIME_MAX];
  for (int64_t ms = -2208988800000LL; ms < 4102444800000LL; ms += 86400000LL * 7 + 1) {
    int64_t back = 0;
    assert_true(parley_time_format(ms, buf, sizeof buf) > 0);
    assert_int_equal(parley_time_parse(buf, &back), 0);
    assert_int_equal(back, ms);
  }
}

static void from_epoch_takes_small_values_as_seconds(void **state) {
  assert_int_equal(parley_time_from_epoch(1795425606), 1795425606000LL);
}

static void from_epoch_keeps_large_values_as_milliseconds(void **state) {
  assert_int_equal(parley_time_from_epoch(T_REF), T_REF);
}

static void from_epoch_does_not_overflow_on_absurd_input(void **state) {
  assert_int_equal(parley_time_from_epoch(INT64_MIN), INT64_MIN);
}

static void now_is_a_plausible_wall_clock(void **state) {
  /* After this file was written and before year 9999. */
  int64_t now = parley_time_now();
  assert_true(now > 1795000000000LL);
  assert_true(now < 253402300799999LL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(format_writes_rfc3339_utc_with_milliseconds),
      cmocka_unit_test(format_writes_the_epoch),
      cmocka_unit_test(format_handles_times_before_1970),
      cmocka_unit_test(format_refuses_a_buffer_too_small),
      cmocka_unit_test(format_refuses_years_past_9999),
      cmocka_unit_test(parse_reads_zulu_with_milliseconds),
      cmocka_unit_test(parse_reads_whole_seconds),
      cmocka_unit_test(parse_reads_offset_without_colon),
      cmocka_unit_test(parse_applies_a_positive_offset),
      cmocka_unit_test(parse_applies_a_negative_offset),
      cmocka_unit_test(parse_crosses_midnight_with_an_offset),
      cmocka_unit_test(parse_reads_milliseconds_with_an_offset),
      cmocka_unit_test(parse_scales_short_fractions),
      cmocka_unit_test(parse_truncates_fractions_below_a_millisecond),
      cmocka_unit_test(parse_accepts_lowercase_t_and_z),
      cmocka_unit_test(parse_accepts_february_29_in_a_leap_year),
      cmocka_unit_test(parse_counts_a_leap_second_as_the_next_second),
      cmocka_unit_test(parse_rejects_garbage),
      cmocka_unit_test(parse_rejects_null),
      cmocka_unit_test(format_then_parse_gives_the_same_time),
      cmocka_unit_test(from_epoch_takes_small_values_as_seconds),
      cmocka_unit_test(from_epoch_keeps_large_values_as_milliseconds),
      cmocka_unit_test(from_epoch_does_not_overflow_on_absurd_input),
      cmocka_unit_test(now_is_a_plausible_wall_clock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
