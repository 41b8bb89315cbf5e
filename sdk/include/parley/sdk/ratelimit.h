/* parley SDK — rate-limit headers and per-endpoint windows (pure logic).
 *
 * Nothing here does I/O or reads a clock: every function takes `now_ms`
 * (wall clock, ms since the epoch, as the headers are in wall time). The HTTP
 * helper (http.h) and the poll scheduler (poll.h) drive it; tests call it
 * directly.
 *
 * Headers read (names case-insensitive, through a lookup callback):
 * - x-rate-limit-limit / -remaining / -reset (Twitter; also the
 *   x-ratelimit-* spelling). reset is epoch seconds; tolerated: epoch ms
 *   (>= 10^11) and, below 10^9, a number of seconds from now.
 * - x-app-limit-24hour-* and x-user-limit-24hour-* (Twitter posting caps,
 *   semantics unverified): they count only when exhausted (remaining 0),
 *   and then block until their reset.
 * - Retry-After: delay-seconds or an HTTP-date.
 * - x-app-usage, x-page-usage (flat JSON) and x-business-use-case-usage
 *   (JSON keyed by object id, each an array of entries) from Meta:
 *   call_count / total_time / total_cputime percentages and
 *   estimated_time_to_regain_access in minutes.
 * LinkedIn and TikTok document no rate-limit headers; their limits show in
 * error bodies (error.h) and Retry-After if ever sent.
 */
#ifndef PARLEY_SDK_RATELIMIT_H
#define PARLEY_SDK_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Look up a response header by name; NULL when absent. */
typedef const char *(*parley_sdk_header_fn)(void *ctx, const char *name);

/* What one response says about limits. */
typedef struct parley_sdk_rl_info {
  int64_t limit;          /* calls per window, -1 unknown */
  int64_t remaining;      /* calls left in the window, -1 unknown */
  int64_t reset_ms;       /* wall time the window resets, 0 unknown */
  int64_t retry_after_ms; /* wait the server asked for, -1 none */
  int usage_pct;          /* Meta: highest usage percentage, -1 none */
} parley_sdk_rl_info_t;

void parley_sdk_rl_info_init(parley_sdk_rl_info_t *info);

/* Read every header above into *info. Malformed values are ignored (the
 * field stays unknown). Returns 1 when anything was learned, else 0. */
int parley_sdk_rl_parse(parley_sdk_header_fn get, void *ctx, int64_t now_ms,
                        parley_sdk_rl_info_t *info);

/* Retry-After: "120" or "Wed, 21 Oct 2026 07:28:00 GMT". Returns 0 and the
 * wait in ms (never negative), or PARLEY_EPARSE. */
int parley_sdk_rl_parse_retry_after(const char *value, int64_t now_ms, int64_t *wait_ms);

/* A reset value (see above) as a wall time in ms; PARLEY_EPARSE if not a
 * plain non-negative integer. */
int parley_sdk_rl_parse_reset(const char *value, int64_t now_ms, int64_t *reset_ms);

/* One Meta usage header (app, page or business-use-case form). Returns 0 and
 * the highest percentage and the longest regain time (ms, 0 when not
 * throttled), or PARLEY_EPARSE for malformed JSON. */
int parley_sdk_rl_parse_meta_usage(const char *value, int *pct, int64_t *regain_ms);

/* ------------------------------------------------------------------ */
/* Windows per endpoint key                                             */
/* ------------------------------------------------------------------ */

/* The endpoint key that applies to every endpoint (Meta's app- and
 * business-wide throttles). */
#define PARLEY_SDK_RL_ALL "*"

typedef struct parley_sdk_rl_window {
  char *key;                /* owned */
  int64_t limit;            /* -1 unknown */
  int64_t remaining;        /* as last reported, -1 unknown */
  int64_t reset_ms;         /* 0 unknown */
  int64_t blocked_until_ms; /* 0 none: from Retry-After, a 429, a throttle */
  int usage_pct;            /* -1 none */
  uint32_t in_flight;       /* requests sent, not yet answered */
} parley_sdk_rl_window_t;

typedef struct parley_sdk_rl_table {
  parley_sdk_rl_window_t *windows; /* owned */
  size_t count, cap;
  int64_t skew_ms; /* added after a reset time (server clocks differ) */
} parley_sdk_rl_table_t;

/* skew_ms: margin after a reset before calling again (1000 is sensible). */
void parley_sdk_rl_table_init(parley_sdk_rl_table_t *t, int64_t skew_ms);
void parley_sdk_rl_table_free(parley_sdk_rl_table_t *t);

/* The window for key, or NULL if nothing is known about it. Owned by t,
 * valid until the next call that changes t. */
const parley_sdk_rl_window_t *parley_sdk_rl_find(const parley_sdk_rl_table_t *t,
                                                 const char *key);

/* The earliest wall time (>= now_ms) at which a request to key stays inside
 * every known window: that of key and that of PARLEY_SDK_RL_ALL. */
int64_t parley_sdk_rl_next_allowed(const parley_sdk_rl_table_t *t, const char *key,
                                   int64_t now_ms);

/* A request to key is being sent now: counts it against the window so
 * requests in flight together cannot exceed it. Returns 0 or PARLEY_ENOMEM. */
int parley_sdk_rl_acquire(parley_sdk_rl_table_t *t, const char *key, int64_t now_ms);

/* The answer to an acquired request arrived (info may be NULL: no answer or
 * nothing learned). Applies info to key's window; without a reported
 * remaining count, the call is deducted from the last known one. */
int parley_sdk_rl_release(parley_sdk_rl_table_t *t, const char *key,
                          const parley_sdk_rl_info_t *info, int64_t now_ms);

/* Apply info without in-flight accounting. */
int parley_sdk_rl_update(parley_sdk_rl_table_t *t, const char *key,
                         const parley_sdk_rl_info_t *info, int64_t now_ms);

/* Block key until until_ms (a 429 or throttle without any hint). */
int parley_sdk_rl_block(parley_sdk_rl_table_t *t, const char *key, int64_t until_ms);

/* The delay between calls that spreads the remaining calls of key's window
 * evenly until its reset: (reset - now) / remaining, or the time to the
 * reset when nothing is left. -1 when the window is unknown. */
int64_t parley_sdk_rl_spread_ms(const parley_sdk_rl_table_t *t, const char *key,
                                int64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif
