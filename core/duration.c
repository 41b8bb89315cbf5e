/* parley core — durations as operators write them: "250ms", "30s", "5m",
 * "1h", "1d", compounds like "1h30m", or a bare number of seconds. */
#include <stdint.h>
#include <string.h>

#include "options.h"
#include "parley/error.h"

typedef struct {
  const char *suffix;
  int64_t ms;
} parley_dur_unit_t;

/* Longest suffix first so "ms" is not read as "m" followed by junk; the
 * rank (index) enforces largest-to-smallest order in compounds, which
 * rejects ambiguous input like "30m1h" or "5s5s". */
static const parley_dur_unit_t parley_dur_units[] = {
    {"d", 86400000}, {"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000},
};
static const int parley_dur_rank[] = {0, 1, 4, 2, 3};

static int dur_digits(const char **p, int64_t *out) {
  const char *s = *p;
  int64_t v = 0;
  if (*s < '0' || *s > '9')
    return PARLEY_EINVAL;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (v > (INT64_MAX - (*s - '0')) / 10)
      return PARLEY_EINVAL; /* overflow */
    v = v * 10 + (*s - '0');
  }
  *p = s;
  *out = v;
  return 0;
}

static int dur_unit(const char **p, size_t *unit) {
  for (size_t i = 0; i < sizeof parley_dur_units / sizeof parley_dur_units[0]; i++) {
    size_t n = strlen(parley_dur_units[i].suffix);
    if (strncmp(*p, parley_dur_units[i].suffix, n) == 0) {
      *p += n;
      *unit = i;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}

int parley_duration_parse(const char *s, int64_t *ms) {
  if (!s || !ms || !*s)
    return PARLEY_EINVAL;
  int64_t total = 0, v;
  int last_rank = -1;
  const char *p = s;
  if (dur_digits(&p, &v) != 0)
    return PARLEY_EINVAL;
  if (*p == '\0') { /* a bare number counts seconds */
    if (v > INT64_MAX / 1000)
      return PARLEY_EINVAL;
    *ms = v * 1000;
    return 0;
  }
  for (;;) {
    size_t unit;
    if (dur_unit(&p, &unit) != 0 || parley_dur_rank[unit] <= last_rank)
      return PARLEY_EINVAL;
    last_rank = parley_dur_rank[unit];
    if (v > (INT64_MAX - total) / parley_dur_units[unit].ms)
      return PARLEY_EINVAL; /* overflow */
    total += v * parley_dur_units[unit].ms;
    if (*p == '\0')
      break;
    if (dur_digits(&p, &v) != 0)
      return PARLEY_EINVAL;
  }
  *ms = total;
  return 0;
}
