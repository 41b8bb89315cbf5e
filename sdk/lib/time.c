/* parley SDK — platform time formats (time.h).
 *
 * The formats are re-written as ISO 8601 text and handed to
 * parley_time_parse, so the calendar arithmetic lives in one place (core). */
#include "parley/sdk/time.h"

#include <stdio.h>
#include <string.h>

#include "parley/error.h"
#include "parley/sdk/json.h"

#define PARLEY_SDK_MS_PER_DAY 86400000LL

int parley_sdk_time_parse_iso(const char *s, int64_t *ms) {
  return parley_time_parse(s, ms);
}

/* Month number 1..12 of a three-letter English abbreviation, or 0. */
static int parley_sdk_month(const char *s) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (int i = 0; i < 12; i++)
    if (strncmp(s, months + 3 * i, 3) == 0)
      return i + 1;
  return 0;
}

static int parley_sdk_weekday(const char *s) {
  static const char days[] = "MonTueWedThuFriSatSun";
  for (int i = 0; i < 7; i++)
    if (strncmp(s, days + 3 * i, 3) == 0)
      return 1;
  return 0;
}

/* Read 1..max digits; returns the new position or NULL. */
static const char *parley_sdk_digits(const char *p, int min, int max, int *out) {
  int v = 0, n = 0;
  while (n < max && p[n] >= '0' && p[n] <= '9') {
    v = v * 10 + (p[n] - '0');
    n++;
  }
  if (n < min)
    return NULL;
  *out = v;
  return p + n;
}

/* "HH:MM:SS" into three ints. */
static const char *parley_sdk_clock(const char *p, int *h, int *mi, int *sec) {
  p = parley_sdk_digits(p, 2, 2, h);
  if (p == NULL || *p++ != ':')
    return NULL;
  p = parley_sdk_digits(p, 2, 2, mi);
  if (p == NULL || *p++ != ':')
    return NULL;
  return parley_sdk_digits(p, 2, 2, sec);
}

/* Assemble the fields as ISO 8601 and let parley_time_parse validate them. */
static int parley_sdk_time_build(int y, int mo, int d, int h, int mi, int sec,
                                 const char *offset, int64_t *ms) {
  char iso[48];
  int n = snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, sec,
                   offset);
  if (n < 0 || (size_t)n >= sizeof iso)
    return PARLEY_EPARSE;
  return parley_time_parse(iso, ms) == 0 ? 0 : PARLEY_EPARSE;
}

int parley_sdk_time_parse_twitter(const char *s, int64_t *ms) {
  if (s == NULL || ms == NULL)
    return PARLEY_EINVAL;
  /* "Wed Oct 10 20:19:24 +0000 2018" */
  int d, h, mi, sec, y;
  if (strlen(s) < 29 || !parley_sdk_weekday(s) || s[3] != ' ')
    return PARLEY_EPARSE;
  int mo = parley_sdk_month(s + 4);
  const char *p = mo && s[7] == ' ' ? parley_sdk_digits(s + 8, 1, 2, &d) : NULL;
  if (p == NULL || *p++ != ' ' || (p = parley_sdk_clock(p, &h, &mi, &sec)) == NULL ||
      *p++ != ' ')
    return PARLEY_EPARSE;
  char offset[6];
  if ((p[0] != '+' && p[0] != '-') || strspn(p + 1, "0123456789") < 4 || p[5] != ' ')
    return PARLEY_EPARSE;
  memcpy(offset, p, 5);
  offset[5] = '\0';
  p = parley_sdk_digits(p + 6, 4, 4, &y);
  if (p == NULL || *p != '\0')
    return PARLEY_EPARSE;
  return parley_sdk_time_build(y, mo, d, h, mi, sec, offset, ms);
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static int parley_sdk_time_imf(const char *s, int64_t *ms) {
  int d, y, h, mi, sec, mo;
  if (strlen(s) != 29 || !parley_sdk_weekday(s) || strncmp(s + 3, ", ", 2) != 0)
    return PARLEY_EPARSE;
  const char *p = parley_sdk_digits(s + 5, 2, 2, &d);
  if (p == NULL || *p != ' ' || (mo = parley_sdk_month(p + 1)) == 0 || p[4] != ' ')
    return PARLEY_EPARSE;
  p = parley_sdk_digits(p + 5, 4, 4, &y);
  if (p == NULL || *p++ != ' ' || (p = parley_sdk_clock(p, &h, &mi, &sec)) == NULL ||
      strcmp(p, " GMT") != 0)
    return PARLEY_EPARSE;
  return parley_sdk_time_build(y, mo, d, h, mi, sec, "Z", ms);
}

/* asctime: "Sun Nov  6 08:49:37 1994" */
static int parley_sdk_time_asctime(const char *s, int64_t *ms) {
  int d, y, h, mi, sec, mo;
  if (strlen(s) != 24 || !parley_sdk_weekday(s) || s[3] != ' ' ||
      (mo = parley_sdk_month(s + 4)) == 0 || s[7] != ' ')
    return PARLEY_EPARSE;
  const char *p = parley_sdk_digits(s[8] == ' ' ? s + 9 : s + 8, 1, 2, &d);
  if (p == NULL || *p++ != ' ' || (p = parley_sdk_clock(p, &h, &mi, &sec)) == NULL ||
      *p++ != ' ')
    return PARLEY_EPARSE;
  p = parley_sdk_digits(p, 4, 4, &y);
  if (p == NULL || *p != '\0')
    return PARLEY_EPARSE;
  return parley_sdk_time_build(y, mo, d, h, mi, sec, "Z", ms);
}

int parley_sdk_time_parse_http(const char *s, int64_t *ms) {
  if (s == NULL || ms == NULL)
    return PARLEY_EINVAL;
  if (parley_sdk_time_imf(s, ms) == 0)
    return 0;
  return parley_sdk_time_asctime(s, ms);
}

/* An epoch value a platform sent, as ms: PARLEY_EPARSE when not positive
 * (platforms send 0 for "none"; an event's time 0 is "missing") or past the
 * years an event can carry (9999): the core would refuse either. */
static int parley_sdk_time_epoch(int64_t v, int64_t *ms) {
  if (v <= 0)
    return PARLEY_EPARSE;
  int64_t t = parley_time_from_epoch(v);
  if (t > PARLEY_TIME_MAX_MS)
    return PARLEY_EPARSE;
  *ms = t;
  return 0;
}

int parley_sdk_time_parse_epoch(const char *s, int64_t *ms) {
  if (s == NULL || ms == NULL)
    return PARLEY_EINVAL;
  size_t n = strlen(s);
  /* 16 digits is ms until year 318857: plenty, and no overflow. */
  if (n == 0 || n > 16 || strspn(s, "0123456789") != n)
    return PARLEY_EPARSE;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = v * 10 + (s[i] - '0');
  return parley_sdk_time_epoch(v, ms);
}

int parley_sdk_time_parse_any(const char *s, int64_t *ms) {
  if (s == NULL || ms == NULL)
    return PARLEY_EINVAL;
  if (parley_sdk_time_parse_iso(s, ms) == 0 || parley_sdk_time_parse_twitter(s, ms) == 0 ||
      parley_sdk_time_parse_http(s, ms) == 0 || parley_sdk_time_parse_epoch(s, ms) == 0)
    return 0;
  return PARLEY_EPARSE;
}

int parley_sdk_time_from_json(const json_t *root, const char *path, int64_t *ms) {
  if (ms == NULL)
    return PARLEY_EINVAL;
  json_t *v = parley_sdk_json_get(root, path);
  if (v == NULL || json_is_null(v))
    return PARLEY_ENOENT;
  if (json_is_string(v))
    return parley_sdk_time_parse_any(json_string_value(v), ms);
  if (json_is_integer(v) || json_is_real(v)) {
    return parley_sdk_time_epoch(parley_sdk_json_int(v, "", -1), ms);
  }
  return PARLEY_EPARSE;
}

int64_t parley_sdk_time_next_utc_midnight(int64_t now_ms) {
  int64_t day = now_ms / PARLEY_SDK_MS_PER_DAY;
  if (now_ms < 0 && now_ms % PARLEY_SDK_MS_PER_DAY != 0)
    day--;
  return (day + 1) * PARLEY_SDK_MS_PER_DAY;
}
