/* parley SDK — the retry policy of the HTTP helper (retry.h). */
#include "parley/sdk/retry.h"

#include <string.h>

void parley_sdk_retry_policy_init(parley_sdk_retry_policy_t *p) {
  memset(p, 0, sizeof *p);
  p->max_attempts = 4;
  p->backoff.base_ms = 1000;
  p->backoff.cap_ms = 60000;
  p->rate_limit_fallback_ms = 60000;
  p->max_wait_ms = 15 * 60 * 1000 + 30000;
}

int parley_sdk_method_idempotent(const char *method) {
  static const char *const safe[] = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"};
  if (method == NULL)
    return 1; /* the helper's default method is GET */
  for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
    if (strcmp(method, safe[i]) == 0)
      return 1;
  return 0;
}

static int parley_sdk_never_retried(const parley_sdk_error_t *e) {
  return e->code == 0 || e->code == PARLEY_ECANCELED || e->code == PARLEY_ETOOBIG ||
         e->code == PARLEY_EPARSE || e->code == PARLEY_EPLATFORM || e->code == PARLEY_EINVAL ||
         e->code == PARLEY_ENOMEM || e->is_auth || e->is_usage_cap;
}

int parley_sdk_retry_decide(const parley_sdk_retry_policy_t *p, const parley_sdk_error_t *e,
                            uint32_t attempts, int idempotent, int64_t window_wait_ms,
                            parley_sdk_rng_t *rng, uint64_t *delay_ms) {
  uint32_t max = p->max_attempts ? p->max_attempts : 4;
  if (parley_sdk_never_retried(e) || attempts >= max)
    return 0;
  uint64_t hint = e->retry_after_ms > 0 ? (uint64_t)e->retry_after_ms : 0;
  if (e->is_rate_limit) {
    uint64_t wait = hint;
    if (window_wait_ms > 0 && (uint64_t)window_wait_ms > wait)
      wait = (uint64_t)window_wait_ms;
    if (wait == 0 && e->retry_after_ms < 0) {
      parley_sdk_backoff_t b = {p->rate_limit_fallback_ms, p->max_wait_ms};
      /* Full jitter, but never hammer: at least half the ceiling. */
      uint64_t ceiling = parley_sdk_backoff_ceiling(&b, attempts);
      wait = ceiling / 2 + parley_sdk_rng_upto(rng, ceiling - ceiling / 2);
    }
    if (wait > p->max_wait_ms)
      return 0;
    *delay_ms = wait;
    return 1;
  }
  if (!e->is_transient || !idempotent)
    return 0;
  uint64_t wait = parley_sdk_backoff_delay(&p->backoff, attempts, rng);
  *delay_ms = wait > hint ? wait : hint;
  return 1;
}
