/* parley core — the brake on token guessing (docs/auth.md, "Failed
 * attempts"): wrong tokens are counted per client address; after `failures`
 * of them the address is locked out for 1 s, and each further wrong token
 * after a lockout doubles it, up to `max_lockout`. While an address is
 * locked out its requests are refused without looking at the token. A
 * right token forgets the address. An address whose last failure and
 * lockout lie `window` in the past is forgotten too.
 *
 * IPv6 clients are counted by their /64 network: one host commonly holds a
 * whole /64, and counting its 2^64 addresses one by one would be no limit.
 *
 * The table has a fixed number of entries; when it is full, the entry
 * touched least recently makes room. Pure logic, no I/O, no clock: times
 * are passed in (ms, any monotonic origin). Internal. */
#ifndef PARLEY_ROUTER_AUTH_LIMIT_H
#define PARLEY_ROUTER_AUTH_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#define PARLEY_AUTH_LIMIT_FIRST_LOCKOUT_MS 1000

typedef struct parley_auth_limit parley_auth_limit_t;

/* The settings (router.auth_limit; failures 0: no limit). */
typedef struct parley_auth_limit_conf {
  unsigned failures;       /* wrong tokens allowed before the first lockout */
  int64_t window_ms;       /* quiet time after which an address is forgotten */
  int64_t max_lockout_ms;  /* the doubling stops here */
} parley_auth_limit_conf_t;

/* A table of at most capacity addresses (0 is taken as 1). NULL: no memory. */
parley_auth_limit_t *parley_auth_limit_new(const parley_auth_limit_conf_t *conf, size_t capacity);
/* NULL is a no-op. */
void parley_auth_limit_free(parley_auth_limit_t *t);

/* The address a limiter counts for a peer key (parley_peer_key(): IPv4 as
 * IPv4-mapped IPv6): IPv4 as it is, IPv6 with its last 64 bits zeroed. */
void parley_auth_limit_key(const uint8_t peer[16], uint8_t key[16]);

/* How long key is still locked out at now_ms: 0 when it may try a token,
 * else the milliseconds left (> 0). */
int64_t parley_auth_limit_check(parley_auth_limit_t *t, const uint8_t key[16], int64_t now_ms);

/* A wrong token from key at now_ms. *count (may be NULL) gets the wrong
 * tokens counted for key so far, this one included. Returns the lockout
 * this failure started, in ms, or 0 when it started none. */
int64_t parley_auth_limit_fail(parley_auth_limit_t *t, const uint8_t key[16], int64_t now_ms,
                               unsigned *count);

/* A right token from key: its failures and lockouts are forgotten. */
void parley_auth_limit_success(parley_auth_limit_t *t, const uint8_t key[16]);

/* Addresses held now, and entries that made room for another since new(). */
size_t parley_auth_limit_size(const parley_auth_limit_t *t);
uint64_t parley_auth_limit_evicted(const parley_auth_limit_t *t);

#endif
