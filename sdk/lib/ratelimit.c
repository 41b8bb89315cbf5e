/* parley SDK — rate-limit headers and per-endpoint windows (ratelimit.h). */
#include "parley/sdk/ratelimit.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/error.h"
#include "parley/sdk/json.h"
#include "parley/sdk/time.h"

/* Below this a reset is a delta in seconds (10^9 s is 2001-09-09). */
#define PARLEY_SDK_RESET_DELTA_MAX 1000000000LL
/* Longest wait any header may ask for: a day. Beyond is garbage. */
#define PARLEY_SDK_WAIT_MAX_MS (86400LL * 1000)

void parley_sdk_rl_info_init(parley_sdk_rl_info_t *info) {
  info->limit = -1;
  info->remaining = -1;
  info->reset_ms = 0;
  info->retry_after_ms = -1;
  info->usage_pct = -1;
}

/* A plain non-negative decimal (surrounding spaces allowed), at most 18
 * digits so it cannot overflow. */
static int parley_sdk_rl_uint(const char *s, int64_t *out) {
  if (s == NULL)
    return PARLEY_EPARSE;
  while (*s == ' ' || *s == '\t')
    s++;
  int64_t v = 0;
  int n = 0;
  for (; *s >= '0' && *s <= '9'; s++, n++) {
    if (n == 18)
      return PARLEY_EPARSE;
    v = v * 10 + (*s - '0');
  }
  while (*s == ' ' || *s == '\t')
    s++;
  if (n == 0 || *s != '\0')
    return PARLEY_EPARSE;
  *out = v;
  return 0;
}

int parley_sdk_rl_parse_retry_after(const char *value, int64_t now_ms, int64_t *wait_ms) {
  int64_t v;
  if (parley_sdk_rl_uint(value, &v) == 0) {
    *wait_ms = v > PARLEY_SDK_WAIT_MAX_MS / 1000 ? PARLEY_SDK_WAIT_MAX_MS : v * 1000;
    return 0;
  }
  int64_t at;
  if (value == NULL || parley_sdk_time_parse_http(value, &at) != 0)
    return PARLEY_EPARSE;
  v = at - now_ms;
  *wait_ms = v < 0 ? 0 : v > PARLEY_SDK_WAIT_MAX_MS ? PARLEY_SDK_WAIT_MAX_MS : v;
  return 0;
}

int parley_sdk_rl_parse_reset(const char *value, int64_t now_ms, int64_t *reset_ms) {
  int64_t v;
  if (parley_sdk_rl_uint(value, &v) != 0)
    return PARLEY_EPARSE;
  if (v < PARLEY_SDK_RESET_DELTA_MAX)
    *reset_ms = now_ms + (v > PARLEY_SDK_WAIT_MAX_MS / 1000 ? PARLEY_SDK_WAIT_MAX_MS : v * 1000);
  else
    *reset_ms = parley_time_from_epoch(v);
  return 0;
}

/* One usage entry {"call_count":28,"total_time":25,...}: fold it in. */
static void parley_sdk_rl_meta_entry(const json_t *e, int *pct, int64_t *regain_ms) {
  static const char *const fields[] = {"call_count", "total_time", "total_cputime"};
  for (size_t i = 0; i < 3; i++) {
    int64_t v = parley_sdk_json_int(e, fields[i], -1);
    if (v > *pct)
      *pct = v > 1000 ? 1000 : (int)v;
  }
  int64_t minutes = parley_sdk_json_int(e, "estimated_time_to_regain_access", 0);
  if (minutes > 0) {
    int64_t ms = minutes > PARLEY_SDK_WAIT_MAX_MS / 60000 ? PARLEY_SDK_WAIT_MAX_MS
                                                          : minutes * 60000;
    if (ms > *regain_ms)
      *regain_ms = ms;
  }
}

int parley_sdk_rl_parse_meta_usage(const char *value, int *pct, int64_t *regain_ms) {
  if (value == NULL)
    return PARLEY_EPARSE;
  size_t repaired;
  json_t *doc = parley_sdk_json_parse_repair(value, strlen(value), "usage header", &repaired, NULL);
  if (!json_is_object(doc)) {
    json_decref(doc);
    return PARLEY_EPARSE;
  }
  *pct = -1;
  *regain_ms = 0;
  const char *k;
  json_t *v;
  int flat = 0;
  /* Flat form (x-app-usage, x-page-usage) has numbers at the top; the
   * business-use-case form maps object ids to arrays of entries. */
  json_object_foreach(doc, k, v) {
    if (json_is_array(v)) {
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) parley_sdk_rl_meta_entry(e, pct, regain_ms);
    } else if (json_is_object(v)) {
      parley_sdk_rl_meta_entry(v, pct, regain_ms);
    } else {
      flat = 1;
    }
  }
  if (flat)
    parley_sdk_rl_meta_entry(doc, pct, regain_ms);
  json_decref(doc);
  return 0;
}

/* The trio limit/remaining/reset under one header prefix. */
static int parley_sdk_rl_trio(parley_sdk_header_fn get, void *ctx, const char *prefix,
                              int64_t now_ms, int64_t *limit, int64_t *remaining,
                              int64_t *reset_ms) {
  char name[64];
  int found = 0;
  strcpy(name, prefix);
  size_t n = strlen(prefix);
  strcpy(name + n, "limit");
  if (parley_sdk_rl_uint(get(ctx, name), limit) == 0)
    found = 1;
  strcpy(name + n, "remaining");
  if (parley_sdk_rl_uint(get(ctx, name), remaining) == 0)
    found = 1;
  strcpy(name + n, "reset");
  if (parley_sdk_rl_parse_reset(get(ctx, name), now_ms, reset_ms) == 0)
    found = 1;
  return found;
}

static int parley_sdk_rl_parse_windows(parley_sdk_header_fn get, void *ctx, int64_t now_ms,
                                       parley_sdk_rl_info_t *info) {
  int found = parley_sdk_rl_trio(get, ctx, "x-rate-limit-", now_ms, &info->limit,
                                 &info->remaining, &info->reset_ms);
  if (!found)
    found = parley_sdk_rl_trio(get, ctx, "x-ratelimit-", now_ms, &info->limit,
                               &info->remaining, &info->reset_ms);
  /* A 24-hour cap matters only once it is used up; then it is the window
   * that decides when the next call may go. */
  static const char *const caps[] = {"x-app-limit-24hour-", "x-user-limit-24hour-"};
  for (size_t i = 0; i < 2; i++) {
    int64_t l = -1, r = -1, reset = 0;
    if (parley_sdk_rl_trio(get, ctx, caps[i], now_ms, &l, &r, &reset) && r == 0 &&
        reset > now_ms && reset > info->reset_ms) {
      info->limit = l;
      info->remaining = 0;
      info->reset_ms = reset;
      found = 1;
    }
  }
  return found;
}

static int parley_sdk_rl_parse_meta(parley_sdk_header_fn get, void *ctx,
                                    parley_sdk_rl_info_t *info) {
  static const char *const names[] = {"x-app-usage", "x-page-usage",
                                      "x-business-use-case-usage"};
  int found = 0;
  for (size_t i = 0; i < 3; i++) {
    int pct;
    int64_t regain;
    if (parley_sdk_rl_parse_meta_usage(get(ctx, names[i]), &pct, &regain) != 0)
      continue;
    found = 1;
    if (pct > info->usage_pct)
      info->usage_pct = pct;
    if (regain > 0 && regain > info->retry_after_ms)
      info->retry_after_ms = regain;
  }
  return found;
}

int parley_sdk_rl_parse(parley_sdk_header_fn get, void *ctx, int64_t now_ms,
                        parley_sdk_rl_info_t *info) {
  parley_sdk_rl_info_init(info);
  if (get == NULL)
    return 0;
  int found = parley_sdk_rl_parse_windows(get, ctx, now_ms, info);
  int64_t wait;
  if (parley_sdk_rl_parse_retry_after(get(ctx, "retry-after"), now_ms, &wait) == 0) {
    info->retry_after_ms = wait;
    found = 1;
  }
  found |= parley_sdk_rl_parse_meta(get, ctx, info);
  return found;
}

/* ------------------------------------------------------------------ */

void parley_sdk_rl_table_init(parley_sdk_rl_table_t *t, int64_t skew_ms) {
  memset(t, 0, sizeof *t);
  t->skew_ms = skew_ms < 0 ? 0 : skew_ms;
}

void parley_sdk_rl_table_free(parley_sdk_rl_table_t *t) {
  for (size_t i = 0; i < t->count; i++)
    free(t->windows[i].key);
  free(t->windows);
  memset(t, 0, sizeof *t);
}

static parley_sdk_rl_window_t *parley_sdk_rl_lookup(const parley_sdk_rl_table_t *t,
                                                    const char *key) {
  if (key == NULL)
    return NULL;
  for (size_t i = 0; i < t->count; i++)
    if (strcmp(t->windows[i].key, key) == 0)
      return &t->windows[i];
  return NULL;
}

const parley_sdk_rl_window_t *parley_sdk_rl_find(const parley_sdk_rl_table_t *t,
                                                 const char *key) {
  return parley_sdk_rl_lookup(t, key);
}

/* The window for key, created empty if new; NULL when out of memory. */
static parley_sdk_rl_window_t *parley_sdk_rl_get(parley_sdk_rl_table_t *t, const char *key) {
  parley_sdk_rl_window_t *w = parley_sdk_rl_lookup(t, key);
  if (w || key == NULL)
    return w;
  if (t->count == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 8;
    parley_sdk_rl_window_t *ws = realloc(t->windows, cap * sizeof *ws);
    if (ws == NULL)
      return NULL;
    t->windows = ws;
    t->cap = cap;
  }
  char *k = strdup(key);
  if (k == NULL)
    return NULL;
  w = &t->windows[t->count++];
  memset(w, 0, sizeof *w);
  w->key = k;
  w->limit = -1;
  w->remaining = -1;
  w->usage_pct = -1;
  return w;
}

/* Calls left once the requests in flight are counted (may be <= 0).
 * Returns 0 when unknown. A window whose reset has passed is fresh again. */
static int parley_sdk_rl_left(const parley_sdk_rl_table_t *t, const parley_sdk_rl_window_t *w,
                              int64_t now_ms, int64_t *left) {
  int64_t have = w->remaining;
  if (w->reset_ms && w->reset_ms + t->skew_ms <= now_ms)
    have = w->limit;
  if (have < 0)
    return 0;
  *left = have - (int64_t)w->in_flight;
  return 1;
}

static int64_t parley_sdk_rl_window_next(const parley_sdk_rl_table_t *t,
                                         const parley_sdk_rl_window_t *w, int64_t now_ms) {
  int64_t at = now_ms, left;
  if (w == NULL)
    return at;
  if (w->blocked_until_ms > at)
    at = w->blocked_until_ms;
  /* Exhausted: wait for the reset, if we know when that is. */
  if (parley_sdk_rl_left(t, w, now_ms, &left) && left <= 0 && w->reset_ms &&
      w->reset_ms + t->skew_ms > at)
    at = w->reset_ms + t->skew_ms;
  return at;
}

int64_t parley_sdk_rl_next_allowed(const parley_sdk_rl_table_t *t, const char *key,
                                   int64_t now_ms) {
  int64_t a = parley_sdk_rl_window_next(t, parley_sdk_rl_lookup(t, key), now_ms);
  int64_t b = parley_sdk_rl_window_next(t, parley_sdk_rl_lookup(t, PARLEY_SDK_RL_ALL), now_ms);
  return a > b ? a : b;
}

int parley_sdk_rl_acquire(parley_sdk_rl_table_t *t, const char *key, int64_t now_ms) {
  parley_sdk_rl_window_t *w = parley_sdk_rl_get(t, key);
  if (w == NULL)
    return PARLEY_ENOMEM;
  if (w->reset_ms && w->reset_ms + t->skew_ms <= now_ms) {
    /* The window rolled over: full again until the server says more. */
    w->remaining = w->limit;
    w->reset_ms = 0;
  }
  w->in_flight++;
  return 0;
}

static void parley_sdk_rl_apply(parley_sdk_rl_window_t *w, const parley_sdk_rl_info_t *info,
                                int64_t now_ms) {
  if (info->limit >= 0)
    w->limit = info->limit;
  if (info->remaining >= 0)
    w->remaining = info->remaining;
  if (info->reset_ms > 0)
    w->reset_ms = info->reset_ms;
  if (info->usage_pct >= 0)
    w->usage_pct = info->usage_pct;
  if (info->retry_after_ms >= 0 && now_ms + info->retry_after_ms > w->blocked_until_ms)
    w->blocked_until_ms = now_ms + info->retry_after_ms;
}

int parley_sdk_rl_release(parley_sdk_rl_table_t *t, const char *key,
                          const parley_sdk_rl_info_t *info, int64_t now_ms) {
  parley_sdk_rl_window_t *w = parley_sdk_rl_get(t, key);
  if (w == NULL)
    return PARLEY_ENOMEM;
  if (w->in_flight)
    w->in_flight--;
  /* The answered call used one call of the window; when the answer does
   * not say how many are left, count it ourselves. */
  if ((info == NULL || info->remaining < 0) && w->remaining > 0)
    w->remaining--;
  if (info)
    parley_sdk_rl_apply(w, info, now_ms);
  return 0;
}

int parley_sdk_rl_update(parley_sdk_rl_table_t *t, const char *key,
                         const parley_sdk_rl_info_t *info, int64_t now_ms) {
  parley_sdk_rl_window_t *w = parley_sdk_rl_get(t, key);
  if (w == NULL)
    return PARLEY_ENOMEM;
  if (info)
    parley_sdk_rl_apply(w, info, now_ms);
  return 0;
}

int parley_sdk_rl_block(parley_sdk_rl_table_t *t, const char *key, int64_t until_ms) {
  parley_sdk_rl_window_t *w = parley_sdk_rl_get(t, key);
  if (w == NULL)
    return PARLEY_ENOMEM;
  if (until_ms > w->blocked_until_ms)
    w->blocked_until_ms = until_ms;
  return 0;
}

int64_t parley_sdk_rl_spread_ms(const parley_sdk_rl_table_t *t, const char *key,
                                int64_t now_ms) {
  const parley_sdk_rl_window_t *w = parley_sdk_rl_lookup(t, key);
  int64_t left;
  if (w == NULL || w->reset_ms == 0 || w->reset_ms + t->skew_ms <= now_ms ||
      !parley_sdk_rl_left(t, w, now_ms, &left))
    return -1;
  int64_t until = w->reset_ms + t->skew_ms - now_ms;
  return left <= 0 ? until : until / left;
}
