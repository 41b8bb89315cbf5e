/* parley SDK — a poll scheduler on host timers.
 *
 * One scheduler per polled source (mentions, comments of a post, ...). It
 * calls the connector's poll function, waits for parley_sdk_poll_done(), and
 * arms the next poll after a delay that keeps freshness as high as the
 * platform's limits allow:
 * - with a known rate-limit window for the source's endpoint, the calls left
 *   are spread evenly until the reset (450 calls / 15 min: every 2 s);
 *   without one, the configured interval;
 * - Meta's usage percentage: from 80 % on, the interval grows linearly to
 *   5x at 100 % (facebook.md: slow down from ~80 %);
 * - never more often than the floor;
 * - a full page (more to fetch) polls again at once, the floor aside;
 * - a failed poll backs off exponentially with full jitter, and a server's
 *   retry-after or an exhausted window is always waited out;
 * - while host->paused(inst) (outputs lag) no poll runs: the scheduler only
 *   re-checks every pause_check_ms.
 * The computation is parley_sdk_poll_delay(), a pure function.
 */
#ifndef PARLEY_SDK_POLL_H
#define PARLEY_SDK_POLL_H

#include <stdint.h>

#include "parley/connector.h"
#include "parley/sdk/backoff.h"
#include "parley/sdk/error.h"
#include "parley/sdk/http.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_sdk_poll_config {
  uint64_t interval_ms;       /* when no window is known; 0 = 60 s */
  uint64_t floor_ms;          /* minimum spacing between polls; 0 = 1 s */
  uint64_t ceiling_ms;        /* longest spacing from the interval/spread; 0 = 15 min */
  uint64_t pause_check_ms;    /* re-check spacing while paused; 0 = 1 s */
  parley_sdk_backoff_t error_backoff; /* after failures; 0s = 5 s .. 5 min */
} parley_sdk_poll_config_t;

/* What the next delay depends on. */
typedef struct parley_sdk_poll_input {
  int64_t now_ms;          /* wall clock */
  int more;                /* the last poll filled a page: more is waiting */
  uint32_t failures;       /* consecutive failed polls (0 after a success) */
  int64_t retry_after_ms;  /* from the last error, -1 none */
  int64_t next_allowed_ms; /* when the endpoint's window allows a call (wall), 0 none */
  int64_t spread_ms;       /* parley_sdk_rl_spread_ms, -1 unknown */
  int usage_pct;           /* Meta usage, -1 unknown */
} parley_sdk_poll_input_t;

/* Fill defaults for the zero fields of cfg. */
void parley_sdk_poll_config_defaults(parley_sdk_poll_config_t *cfg);

/* The delay before the next poll (pure; rng only for error jitter). */
uint64_t parley_sdk_poll_delay(const parley_sdk_poll_config_t *cfg,
                               const parley_sdk_poll_input_t *in, parley_sdk_rng_t *rng);

typedef struct parley_sdk_poll parley_sdk_poll_t;

/* Run one poll: issue the requests, emit events, then call
 * parley_sdk_poll_done() exactly once (now or from a later callback). */
typedef void (*parley_sdk_poll_fn)(parley_sdk_poll_t *p, void *data);

/* Create a stopped scheduler. http (may be NULL) and endpoint (the
 * rate-limit key of the source's main request, copied; may be NULL) feed the
 * window-aware spacing. host, inst and http must outlive it. cfg is copied
 * (NULL: defaults). Returns 0 or PARLEY_EINVAL / PARLEY_ENOMEM. */
int parley_sdk_poll_new(const parley_host_t *host, parley_instance_t *inst,
                        parley_sdk_http_t *http, const char *endpoint,
                        const parley_sdk_poll_config_t *cfg, parley_sdk_poll_fn fn,
                        void *data, parley_sdk_poll_t **out);

/* Start: the first poll runs on the next loop turn. Returns 0 or
 * PARLEY_ENOMEM (no timer) or PARLEY_ESTATE (already started). */
int parley_sdk_poll_start(parley_sdk_poll_t *p);

/* The poll that fn started has finished. more: it filled a page. e: NULL or
 * an error without failure (code 0) for success, else the failure (its
 * retry_after_ms is honoured). Ignored after stop. */
void parley_sdk_poll_done(parley_sdk_poll_t *p, int more, const parley_sdk_error_t *e);

/* Poll as soon as the limits allow (e.g. a webhook said something changed).
 * No effect while a poll runs or when stopped. */
void parley_sdk_poll_now(parley_sdk_poll_t *p);

/* Stop: no further poll starts; a running poll may still call done(). */
void parley_sdk_poll_stop(parley_sdk_poll_t *p);

/* Free a scheduler (stops it first). Do not call done() after this. */
void parley_sdk_poll_free(parley_sdk_poll_t *p);

/* The delay chosen for the next poll, in ms (for status and tests). */
uint64_t parley_sdk_poll_next_delay(const parley_sdk_poll_t *p);
/* 1 while fn's poll is running (between fn and done). */
int parley_sdk_poll_running(const parley_sdk_poll_t *p);

#ifdef __cplusplus
}
#endif
#endif
