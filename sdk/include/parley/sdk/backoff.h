/* parley SDK — exponential backoff with full jitter.
 *
 * Pure computation: no clock, no I/O. The random source is a small seedable
 * generator (splitmix64) so tests and simulations are reproducible; it is not
 * for cryptography.
 *
 * "Full jitter" (the AWS architecture blog's name): the delay before retry n
 * is uniform in [0, min(cap, base * 2^(n-1))]. Spreading retries over the
 * whole interval avoids a herd of clients retrying in lock-step after an
 * outage.
 */
#ifndef PARLEY_SDK_BACKOFF_H
#define PARLEY_SDK_BACKOFF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A seedable pseudo-random generator. Plain struct: copy it freely. */
typedef struct parley_sdk_rng {
  uint64_t state;
} parley_sdk_rng_t;

/* Seed the generator; any value (0 included) gives a usable sequence. */
void parley_sdk_rng_seed(parley_sdk_rng_t *rng, uint64_t seed);
/* The next 64 random bits. */
uint64_t parley_sdk_rng_next(parley_sdk_rng_t *rng);
/* A value uniform in [0, bound] (bound inclusive, without modulo bias). */
uint64_t parley_sdk_rng_upto(parley_sdk_rng_t *rng, uint64_t bound);

/* Backoff parameters. */
typedef struct parley_sdk_backoff {
  uint64_t base_ms; /* ceiling of the first retry; 0 is taken as 1 */
  uint64_t cap_ms;  /* no ceiling grows past this; 0 = base_ms */
} parley_sdk_backoff_t;

/* The ceiling for retry number `retry` (1 = first retry):
 * min(cap, base * 2^(retry-1)), without overflow. retry 0 gives 0. */
uint64_t parley_sdk_backoff_ceiling(const parley_sdk_backoff_t *b, uint32_t retry);

/* A full-jitter delay for retry number `retry`: uniform in [0, ceiling]. */
uint64_t parley_sdk_backoff_delay(const parley_sdk_backoff_t *b, uint32_t retry,
                                  parley_sdk_rng_t *rng);

#ifdef __cplusplus
}
#endif
#endif
