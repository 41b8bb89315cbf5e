/* parley core — time helpers (include/parley/time.h).
 *
 * Calendar arithmetic is done by hand (days-from-civil, after Howard
 * Hinnant's public-domain algorithms) rather than with timegm(), which is
 * not in POSIX, or mktime(), which depends on the process' time zone. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "parley/error.h"
#include "parley/time.h"

/* Below this an epoch value is taken as seconds (1973-03-03 in ms,
 * year 5138 in seconds). */
#define PARLEY_TIME_EPOCH_MS_THRESHOLD 100000000000LL

#define PARLEY_MS_PER_DAY 86400000LL

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t parley_time_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The inverse: a date from days since 1970-01-01. */
static void parley_time_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int parley_time_is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int parley_time_days_in_month(int64_t y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && parley_time_is_leap(y) ? 29 : days[m - 1];
}

int parley_time_format(int64_t ms, char *buf, size_t buflen) {
  if (buf == NULL || ms < PARLEY_TIME_MIN_MS || ms > PARLEY_TIME_MAX_MS)
    return PARLEY_EINVAL;
  /* Floor division, so times before 1970 land on the right day. */
  int64_t days = ms / PARLEY_MS_PER_DAY;
  int64_t rem = ms % PARLEY_MS_PER_DAY;
  if (rem < 0) {
    rem += PARLEY_MS_PER_DAY;
    days--;
  }
  int64_t y;
  int m, d;
  parley_time_civil_from_days(days, &y, &m, &d);
  /* Hand-written digits: this runs several times per event (validation,
   * encoding), and snprintf was a tenth of the router's time. */
  static const char tmpl[] = "0000-00-00T00:00:00.000Z";
  if (buflen < sizeof tmpl)
    return PARLEY_ENOBUFS;
  memcpy(buf, tmpl, sizeof tmpl);
  int fields[][3] = {{(int)y, 0, 4},
                     {m, 5, 2},
                     {d, 8, 2},
                     {(int)(rem / 3600000), 11, 2},
                     {(int)(rem / 60000 % 60), 14, 2},
                     {(int)(rem / 1000 % 60), 17, 2},
                     {(int)(rem % 1000), 20, 3}};
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
    for (int v = fields[f][0], i = fields[f][2]; i-- > 0; v /= 10)
      buf[fields[f][1] + i] = (char)('0' + v % 10);
  return (int)sizeof tmpl - 1;
}

/* Read exactly n decimal digits; returns the new position or NULL. */
static const char *parley_time_digits(const char *p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return NULL;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return p + n;
}

static const char *parley_time_expect(const char *p, char c) {
  return p && *p == c ? p + 1 : NULL;
}

/* ".123", ".1", ".123456789": any number of digits, milliseconds kept,
 * the rest truncated. */
static const char *parley_time_fraction(const char *p, int *ms) {
  *ms = 0;
  if (*p != '.')
    return p;
  p++;
  if (*p < '0' || *p > '9')
    return NULL;
  int scale = 100;
  for (; *p >= '0' && *p <= '9'; p++) {
    *ms += (*p - '0') * scale;
    scale /= 10;
  }
  return p;
}

/* "Z", "z", "+HH:MM", "+HHMM" (and '-'); *offset_min east of UTC. */
static const char *parley_time_offset(const char *p, int *offset_min) {
  if (*p == 'Z' || *p == 'z') {
    *offset_min = 0;
    return p + 1;
  }
  if (*p != '+' && *p != '-')
    return NULL;
  int sign = *p == '-' ? -1 : 1;
  int hh, mm;
  p = parley_time_digits(p + 1, 2, &hh);
  if (p && *p == ':')
    p++;
  p = p ? parley_time_digits(p, 2, &mm) : NULL;
  if (p == NULL || hh > 23 || mm > 59)
    return NULL;
  *offset_min = sign * (hh * 60 + mm);
  return p;
}

int parley_time_parse(const char *s, int64_t *ms) {
  int y, mo, d, h, mi, sec, frac, off;
  if (s == NULL || ms == NULL)
    return PARLEY_EINVAL;
  const char *p = parley_time_digits(s, 4, &y);
  p = parley_time_expect(p, '-');
  p = p ? parley_time_digits(p, 2, &mo) : NULL;
  p = parley_time_expect(p, '-');
  p = p ? parley_time_digits(p, 2, &d) : NULL;
  if (p && (*p == 'T' || *p == 't'))
    p++;
  else
    return PARLEY_EPARSE;
  p = parley_time_digits(p, 2, &h);
  p = parley_time_expect(p, ':');
  p = p ? parley_time_digits(p, 2, &mi) : NULL;
  p = parley_time_expect(p, ':');
  p = p ? parley_time_digits(p, 2, &sec) : NULL;
  p = p ? parley_time_fraction(p, &frac) : NULL;
  p = p ? parley_time_offset(p, &off) : NULL;
  if (p == NULL || *p != '\0')
    return PARLEY_EPARSE;
  /* Second 60 is a leap second (RFC 3339 5.7); it counts as the next one. */
  if (mo < 1 || mo > 12 || d < 1 || d > parley_time_days_in_month(y, mo) || h > 23 ||
      mi > 59 || sec > 60)
    return PARLEY_EPARSE;
  int64_t t = parley_time_days_from_civil(y, mo, d) * PARLEY_MS_PER_DAY +
              ((int64_t)h * 3600 + mi * 60 + sec - (int64_t)off * 60) * 1000 + frac;
  if (t < PARLEY_TIME_MIN_MS || t > PARLEY_TIME_MAX_MS)
    return PARLEY_EPARSE;
  *ms = t;
  return 0;
}

int64_t parley_time_from_epoch(int64_t value) {
  if (value >= PARLEY_TIME_EPOCH_MS_THRESHOLD)
    return value;
  /* Saturate rather than overflow on absurd negative input. */
  if (value < INT64_MIN / 1000)
    return INT64_MIN;
  return value * 1000;
}

int64_t parley_time_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
