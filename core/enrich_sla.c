/* parley core — SLA clocks over business hours (enrich_sla.h). */
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "enrich_sla.h"

/* Ten years of days: a clock whose hours never open still ends. */
#define SLA_MAX_DAYS 3660

/* One local day: its bounds in UTC and its opening hours. */
typedef struct sla_day {
  UDate midnight, next; /* [midnight, next) */
  UDate open, close;
  int weekday;          /* Monday 0 */
} sla_day_t;

struct parley_sla_clock {
  UCalendar *cal; /* NULL: around the clock */
  unsigned days;
  int from_min, until_min;
  sla_day_t last; /* messages come in near "now": most lookups hit it */
};

parley_sla_clock_t *parley_sla_clock_new(const parley_conf_hours_t *hours) {
  parley_sla_clock_t *c = calloc(1, sizeof *c);
  if (!c || !hours)
    return c;
  UChar zone[128];
  UErrorCode st = U_ZERO_ERROR;
  if (strlen(hours->time_zone) >= sizeof zone / sizeof *zone) {
    free(c);
    return NULL;
  }
  u_uastrcpy(zone, hours->time_zone);
  c->cal = ucal_open(zone, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
  if (U_FAILURE(st)) {
    free(c);
    return NULL;
  }
  c->days = hours->days;
  c->from_min = hours->from_min;
  c->until_min = hours->until_min;
  return c;
}

void parley_sla_clock_free(parley_sla_clock_t *c) {
  if (!c)
    return;
  if (c->cal)
    ucal_close(c->cal);
  free(c);
}

/* The instant of minute `min` after local midnight of the calendar's day;
 * 24:00 is the next midnight. */
static UDate at_minute(UCalendar *cal, UDate midnight, int min) {
  UErrorCode st = U_ZERO_ERROR;
  ucal_setMillis(cal, midnight, &st);
  if (min >= 24 * 60) {
    ucal_add(cal, UCAL_DATE, 1, &st);
    return ucal_getMillis(cal, &st);
  }
  ucal_set(cal, UCAL_HOUR_OF_DAY, min / 60);
  ucal_set(cal, UCAL_MINUTE, min % 60);
  return ucal_getMillis(cal, &st);
}

static UDate local_midnight(UCalendar *cal, UDate t, int *weekday) {
  UErrorCode st = U_ZERO_ERROR;
  ucal_setMillis(cal, t, &st);
  *weekday = (ucal_get(cal, UCAL_DAY_OF_WEEK, &st) + 5) % 7; /* Monday 0 */
  ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
  ucal_set(cal, UCAL_MINUTE, 0);
  ucal_set(cal, UCAL_SECOND, 0);
  ucal_set(cal, UCAL_MILLISECOND, 0);
  return ucal_getMillis(cal, &st);
}

/* The local day t falls in, from the cache or from ICU (~1 us). */
static const sla_day_t *day_of(parley_sla_clock_t *c, UDate t) {
  sla_day_t *d = &c->last;
  if (t >= d->midnight && t < d->next)
    return d;
  d->midnight = local_midnight(c->cal, t, &d->weekday);
  d->open = at_minute(c->cal, d->midnight, c->from_min);
  d->close = at_minute(c->cal, d->midnight, c->until_min);
  d->next = at_minute(c->cal, d->midnight, 24 * 60);
  return d;
}

int64_t parley_sla_clock_add(parley_sla_clock_t *c, int64_t start_ms, int64_t target_ms) {
  if (!c->cal)
    return start_ms + target_ms;
  UDate t = (UDate)start_ms;
  double left = (double)target_ms;
  for (int day = 0; day < SLA_MAX_DAYS; day++) {
    const sla_day_t *d = day_of(c, t);
    if ((c->days >> d->weekday & 1u) && t < d->close) {
      UDate from = t > d->open ? t : d->open;
      if (from + left <= d->close)
        return (int64_t)(from + left);
      left -= d->close - from;
    }
    t = d->next;
  }
  return start_ms + target_ms;
}
