/* parley-sim — rate-limit buckets: fixed windows per (platform, endpoint,
 * token), counted the way the platforms count (a window starts with its
 * first request and resets at a fixed time the headers announce). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

typedef struct parley_sim_bucket {
  char key[160]; /* platform|endpoint|token-hash: never the token itself */
  int64_t reset;  /* epoch s */
  long used;
} parley_sim_bucket_t;

struct parley_sim_ratelimit {
  parley_sim_bucket_t *b;
  size_t n, cap;
};

int parley_sim_ratelimit_new(parley_sim_ratelimit_t **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : PARLEY_ENOMEM;
}

void parley_sim_ratelimit_free(parley_sim_ratelimit_t *r) {
  if (!r) return;
  free(r->b);
  free(r);
}

void parley_sim_ratelimit_reset(parley_sim_t *sim) { sim->ratelimit->n = 0; }

/* FNV-1a: buckets are told apart by token without keeping the secret. */
static uint64_t parley_sim_fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static parley_sim_bucket_t *parley_sim_bucket(parley_sim_ratelimit_t *r, const char *key) {
  for (size_t i = 0; i < r->n; i++)
    if (!strcmp(r->b[i].key, key)) return &r->b[i];
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    parley_sim_bucket_t *nb = realloc(r->b, cap * sizeof *nb);
    if (!nb) return NULL;
    r->b = nb;
    r->cap = cap;
  }
  parley_sim_bucket_t *b = &r->b[r->n++];
  memset(b, 0, sizeof *b);
  snprintf(b->key, sizeof b->key, "%s", key);
  return b;
}

int parley_sim_ratelimit_take(parley_sim_t *sim, const char *platform,
                              const char *endpoint_key, const char *token, long limit,
                              long window_s, parley_sim_rate_t *out) {
  char key[160];
  parley_sim_rate_t rate;
  int64_t now = (int64_t)(parley_sim_now_ms() / 1000u);
  if (sim->config.rate_window_s > 0) window_s = (long)sim->config.rate_window_s;
  if (window_s <= 0) window_s = 1;
  double scaled = floor((double)limit * (sim->config.rate_limit_scale > 0 ?
                                         sim->config.rate_limit_scale : 1.0));
  rate.limit = scaled < 1.0 ? 1 : (long)scaled;
  rate.window_s = window_s;
  snprintf(key, sizeof key, "%s|%s|%016llx", platform, endpoint_key,
           (unsigned long long)parley_sim_fnv1a(token));
  parley_sim_bucket_t *b = parley_sim_bucket(sim->ratelimit, key);
  if (!b) { /* out of memory: let it through rather than fail closed */
    rate.remaining = rate.limit;
    rate.reset = now + window_s;
    rate.refused = 0;
  } else {
    if (b->reset == 0 || now >= b->reset) {
      b->reset = now + window_s;
      b->used = 0;
    }
    rate.refused = b->used >= rate.limit;
    if (!rate.refused) b->used++;
    rate.remaining = rate.limit - b->used;
    rate.reset = b->reset;
  }
  if (out) *out = rate;
  return rate.refused;
}
