/* parley SDK — exponential backoff with full jitter (backoff.h). */
#include "parley/sdk/backoff.h"

void parley_sdk_rng_seed(parley_sdk_rng_t *rng, uint64_t seed) {
  rng->state = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014): every seed, 0 included, gives a
 * full-period sequence, and it needs one word of state. */
uint64_t parley_sdk_rng_next(parley_sdk_rng_t *rng) {
  uint64_t z = (rng->state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t parley_sdk_rng_upto(parley_sdk_rng_t *rng, uint64_t bound) {
  if (bound == UINT64_MAX)
    return parley_sdk_rng_next(rng);
  uint64_t n = bound + 1;
  /* Reject the 2^64 mod n smallest values so every result is equally
   * likely (the arc4random_uniform method). */
  uint64_t threshold = (0 - n) % n;
  uint64_t r;
  do {
    r = parley_sdk_rng_next(rng);
  } while (r < threshold);
  return r % n;
}

uint64_t parley_sdk_backoff_ceiling(const parley_sdk_backoff_t *b, uint32_t retry) {
  if (retry == 0)
    return 0;
  uint64_t base = b->base_ms ? b->base_ms : 1;
  uint64_t cap = b->cap_ms ? b->cap_ms : base;
  if (base >= cap)
    return cap;
  uint64_t c = base;
  /* Double until the cap; stops long before 64 doublings could overflow. */
  for (uint32_t i = 1; i < retry && c < cap; i++)
    c = c > cap / 2 ? cap : c * 2;
  return c < cap ? c : cap;
}

uint64_t parley_sdk_backoff_delay(const parley_sdk_backoff_t *b, uint32_t retry,
                                  parley_sdk_rng_t *rng) {
  uint64_t ceiling = parley_sdk_backoff_ceiling(b, retry);
  return ceiling ? parley_sdk_rng_upto(rng, ceiling) : 0;
}
