/* parley SDK — the retry policy of the HTTP helper, as a pure function.
 *
 * Given what went wrong with attempt n, decide whether to try again and
 * after how long. http.c asks this after every failed attempt; tests ask it
 * directly, so the policy is specified without a network.
 *
 * Rules, in order:
 * - success, cancellation, a response too big, a malformed body, a refusal
 *   (PARLEY_EPLATFORM), an auth failure, a usage cap: never retried;
 * - no attempts left (attempts >= max_attempts): not retried;
 * - rate limited: retried after the longest of the server's hint
 *   (error->retry_after_ms), the known window (window_wait_ms) and, when
 *   neither is known, a full-jitter backoff whose ceiling starts at
 *   rate_limit_fallback_ms; but if that wait exceeds max_wait_ms the call
 *   gives up instead (the caller learns retry_after_ms and can plan). A 429
 *   means the server did not act, so any method is retried;
 * - transient (5xx, network error, timeout): retried after a full-jitter
 *   backoff (at least the server's Retry-After), but only for idempotent
 *   methods unless the caller allows retrying unsafe ones: a POST that timed
 *   out may have been performed.
 */
#ifndef PARLEY_SDK_RETRY_H
#define PARLEY_SDK_RETRY_H

#include <stdint.h>

#include "parley/sdk/backoff.h"
#include "parley/sdk/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_sdk_retry_policy {
  uint32_t max_attempts;           /* total, the first included; 0 = 4 */
  parley_sdk_backoff_t backoff;    /* for transient failures */
  uint64_t rate_limit_fallback_ms; /* first backoff ceiling for a 429 without hints */
  uint64_t max_wait_ms;            /* longest rate-limit wait sat out */
} parley_sdk_retry_policy_t;

/* Defaults: 4 attempts, backoff 1 s .. 60 s, fallback 60 s, max wait
 * 15 min 30 s (a Twitter window plus margin). */
void parley_sdk_retry_policy_init(parley_sdk_retry_policy_t *p);

/* 1 for methods that are safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE). */
int parley_sdk_method_idempotent(const char *method);

/* Decide about a failed attempt. attempts: attempts made so far (>= 1).
 * window_wait_ms: how long the rate-limit table says to wait, -1 unknown.
 * Returns 1 and sets *delay_ms to retry, 0 to give up. */
int parley_sdk_retry_decide(const parley_sdk_retry_policy_t *p, const parley_sdk_error_t *e,
                            uint32_t attempts, int idempotent, int64_t window_wait_ms,
                            parley_sdk_rng_t *rng, uint64_t *delay_ms);

#ifdef __cplusplus
}
#endif
#endif
