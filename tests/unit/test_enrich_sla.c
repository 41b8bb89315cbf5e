/* SLA clocks: around the clock a due time is created_at + target; with
 * business hours the clock stops outside them, in local time, across
 * weekends and daylight saving time changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "enrich_sla.h"
#include "parley/time.h"

static int64_t at(const char *iso) {
  int64_t ms = 0;
  assert_int_equal(parley_time_parse(iso, &ms), 0);
  return ms;
}

static void assert_due(parley_sla_clock_t *c, const char *start, int64_t target_ms,
                       const char *due) {
  char got[40];
  parley_time_format(parley_sla_clock_add(c, at(start), target_ms), got, sizeof got);
  int64_t want_ms = at(due);
  char want[40];
  parley_time_format(want_ms, want, sizeof want);
  assert_string_equal(got, want);
}

#define MINUTE 60000LL
#define HOUR (60 * MINUTE)

static parley_conf_hours_t office = {.name = "office", .time_zone = "Europe/Amsterdam",
                                     .days = 0x1f, .from_min = 9 * 60, .until_min = 17 * 60};

static void around_the_clock_the_due_time_is_start_plus_target(void **state) {
  (void)state;
  parley_sla_clock_t *c = parley_sla_clock_new(NULL);
  assert_due(c, "2026-11-28T23:50:00Z", 30 * MINUTE, "2026-11-29T00:20:00Z");
  parley_sla_clock_free(c);
}

static void inside_the_hours_the_clock_runs(void **state) {
  (void)state;
  parley_sla_clock_t *c = parley_sla_clock_new(&office);
  /* Tuesday 10:00 in Amsterdam (UTC+1 in November) */
  assert_due(c, "2026-11-24T09:00:00Z", 2 * HOUR, "2026-11-24T11:00:00Z");
  parley_sla_clock_free(c);
}

static void before_opening_the_clock_starts_at_opening(void **state) {
  (void)state;
  parley_sla_clock_t *c = parley_sla_clock_new(&office);
  /* Tuesday 07:00 local: due 09:30 local */
  assert_due(c, "2026-11-24T06:00:00Z", 30 * MINUTE, "2026-11-24T08:30:00Z");
  parley_sla_clock_free(c);
}

static void friday_afternoon_carries_over_the_weekend(void **state) {
  (void)state;
  parley_sla_clock_t *c = parley_sla_clock_new(&office);
  /* Friday 16:30 local, 1 h: 30 min on Friday, 30 min on Monday -> 09:30 */
  assert_due(c, "2026-11-27T15:30:00Z", HOUR, "2026-11-30T08:30:00Z");
  /* Saturday noon: Monday 09:00 + 1 h */
  assert_due(c, "2026-11-28T11:00:00Z", HOUR, "2026-11-30T09:00:00Z");
  parley_sla_clock_free(c);
}

static void a_target_longer_than_a_working_day_spans_days(void **state) {
  (void)state;
  parley_sla_clock_t *c = parley_sla_clock_new(&office);
  /* Monday 09:00 local + 10 h of 8-hour days: Tuesday 11:00 local */
  assert_due(c, "2026-11-23T08:00:00Z", 10 * HOUR, "2026-11-24T10:00:00Z");
  parley_sla_clock_free(c);
}

static void daylight_saving_time_moves_the_hours_in_utc(void **state) {
  (void)state;
  parley_sla_clock_t *c = parley_sla_clock_new(&office);
  /* Friday 2026-03-27 16:30 CET (UTC+1); clocks go forward on Sunday the
   * 29th, so Monday 09:30 is CEST (UTC+2) = 07:30Z. */
  assert_due(c, "2026-03-27T15:30:00Z", HOUR, "2026-03-30T07:30:00Z");
  parley_sla_clock_free(c);
}

static void hours_until_midnight_and_weekend_days_work(void **state) {
  (void)state;
  parley_conf_hours_t late = {.name = "late", .time_zone = "America/New_York", .days = 0x60,
                              .from_min = 20 * 60, .until_min = 24 * 60};
  parley_sla_clock_t *c = parley_sla_clock_new(&late);
  /* Monday: next open is Saturday 20:00 EST (01:00Z Sunday); 5 h: 4 h on
   * Saturday, 1 h from Sunday 20:00 -> Sunday 21:00 EST = Monday 02:00Z */
  assert_due(c, "2026-11-23T12:00:00Z", 5 * HOUR, "2026-11-30T02:00:00Z");
  parley_sla_clock_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(around_the_clock_the_due_time_is_start_plus_target),
      cmocka_unit_test(inside_the_hours_the_clock_runs),
      cmocka_unit_test(before_opening_the_clock_starts_at_opening),
      cmocka_unit_test(friday_afternoon_carries_over_the_weekend),
      cmocka_unit_test(a_target_longer_than_a_working_day_spans_days),
      cmocka_unit_test(daylight_saving_time_moves_the_hours_in_utc),
      cmocka_unit_test(hours_until_midnight_and_weekend_days_work),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
