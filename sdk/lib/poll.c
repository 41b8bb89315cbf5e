/* parley SDK — a poll scheduler on host timers (poll.h). */
#include "parley/sdk/poll.h"

#include <stdlib.h>
#include <string.h>

struct parley_sdk_poll {
  const parley_host_t *host;
  parley_instance_t *inst;
  parley_sdk_http_t *http;
  char *endpoint;
  parley_sdk_poll_config_t cfg;
  parley_sdk_poll_fn fn;
  void *data;
  parley_timer_t *timer;
  parley_sdk_rng_t rng;
  uint32_t failures;
  uint64_t next_delay;
  int started, running;
};

void parley_sdk_poll_config_defaults(parley_sdk_poll_config_t *cfg) {
  if (cfg->interval_ms == 0)
    cfg->interval_ms = 60000;
  if (cfg->floor_ms == 0)
    cfg->floor_ms = 1000;
  if (cfg->ceiling_ms == 0)
    cfg->ceiling_ms = 15 * 60 * 1000;
  if (cfg->pause_check_ms == 0)
    cfg->pause_check_ms = 1000;
  if (cfg->error_backoff.base_ms == 0)
    cfg->error_backoff.base_ms = 5000;
  if (cfg->error_backoff.cap_ms == 0)
    cfg->error_backoff.cap_ms = 5 * 60 * 1000;
}

/* Meta: from 80 % usage the spacing grows linearly to 5x at 100 %. */
static uint64_t parley_sdk_poll_usage_scale(uint64_t base, int pct) {
  if (pct <= 80)
    return base;
  if (pct > 100)
    pct = 100;
  uint64_t factor100 = 100 + (uint64_t)(pct - 80) * 20; /* in percent: 100..500 */
  return base > UINT64_MAX / 500 ? base : base * factor100 / 100;
}

uint64_t parley_sdk_poll_delay(const parley_sdk_poll_config_t *cfg_in,
                               const parley_sdk_poll_input_t *in, parley_sdk_rng_t *rng) {
  parley_sdk_poll_config_t cfg = *cfg_in;
  parley_sdk_poll_config_defaults(&cfg);
  uint64_t delay = in->spread_ms >= 0 ? (uint64_t)in->spread_ms : cfg.interval_ms;
  delay = parley_sdk_poll_usage_scale(delay, in->usage_pct);
  if (delay > cfg.ceiling_ms)
    delay = cfg.ceiling_ms;
  if (delay < cfg.floor_ms)
    delay = cfg.floor_ms;
  if (in->more && in->failures == 0)
    delay = 0;
  if (in->failures > 0) {
    uint64_t b = parley_sdk_backoff_delay(&cfg.error_backoff, in->failures, rng);
    if (b > delay)
      delay = b;
  }
  /* Waits the server asked for are never shortened. */
  if (in->retry_after_ms > 0 && (uint64_t)in->retry_after_ms > delay)
    delay = (uint64_t)in->retry_after_ms;
  if (in->next_allowed_ms > in->now_ms && (uint64_t)(in->next_allowed_ms - in->now_ms) > delay)
    delay = (uint64_t)(in->next_allowed_ms - in->now_ms);
  return delay;
}

int parley_sdk_poll_new(const parley_host_t *host, parley_instance_t *inst,
                        parley_sdk_http_t *http, const char *endpoint,
                        const parley_sdk_poll_config_t *cfg, parley_sdk_poll_fn fn,
                        void *data, parley_sdk_poll_t **out) {
  if (host == NULL || fn == NULL || out == NULL || host->timer_start == NULL ||
      host->timer_stop == NULL || host->wall_ms == NULL)
    return PARLEY_EINVAL;
  parley_sdk_poll_t *p = calloc(1, sizeof *p);
  if (p == NULL)
    return PARLEY_ENOMEM;
  if (endpoint && (p->endpoint = strdup(endpoint)) == NULL) {
    free(p);
    return PARLEY_ENOMEM;
  }
  p->host = host;
  p->inst = inst;
  p->http = http;
  if (cfg)
    p->cfg = *cfg;
  parley_sdk_poll_config_defaults(&p->cfg);
  p->fn = fn;
  p->data = data;
  parley_sdk_rng_seed(&p->rng, (uint64_t)(uintptr_t)p ^ (uint64_t)host->wall_ms(inst));
  *out = p;
  return 0;
}

static void parley_sdk_poll_on_timer(parley_timer_t *timer, void *data);

static int parley_sdk_poll_arm(parley_sdk_poll_t *p, uint64_t delay) {
  if (p->timer)
    p->host->timer_stop(p->timer);
  p->next_delay = delay;
  p->timer = p->host->timer_start(p->inst, delay, 0, parley_sdk_poll_on_timer, p);
  return p->timer ? 0 : PARLEY_ENOMEM;
}

static void parley_sdk_poll_on_timer(parley_timer_t *timer, void *data) {
  parley_sdk_poll_t *p = data;
  p->host->timer_stop(timer);
  p->timer = NULL;
  if (!p->started || p->running)
    return;
  if (p->host->paused && p->host->paused(p->inst)) {
    parley_sdk_poll_arm(p, p->cfg.pause_check_ms);
    return;
  }
  /* The window may have closed since this timer was armed. */
  if (p->http) {
    int64_t now = p->host->wall_ms(p->inst);
    int64_t at = parley_sdk_http_next_allowed(p->http, p->endpoint);
    if (at > now) {
      parley_sdk_poll_arm(p, (uint64_t)(at - now));
      return;
    }
  }
  p->running = 1;
  p->fn(p, p->data);
}

int parley_sdk_poll_start(parley_sdk_poll_t *p) {
  if (p->started)
    return PARLEY_ESTATE;
  p->started = 1;
  p->failures = 0;
  int rc = parley_sdk_poll_arm(p, 0);
  if (rc < 0)
    p->started = 0;
  return rc;
}

void parley_sdk_poll_done(parley_sdk_poll_t *p, int more, const parley_sdk_error_t *e) {
  if (!p->running)
    return;
  p->running = 0;
  if (!p->started)
    return;
  int failed = e && e->code != 0;
  p->failures = failed ? p->failures + 1 : 0;
  parley_sdk_poll_input_t in = {
      .now_ms = p->host->wall_ms(p->inst),
      .more = more && !failed,
      .failures = p->failures,
      .retry_after_ms = failed ? e->retry_after_ms : -1,
      .next_allowed_ms = 0,
      .spread_ms = -1,
      .usage_pct = -1,
  };
  if (p->http) {
    in.next_allowed_ms = parley_sdk_http_next_allowed(p->http, p->endpoint);
    in.spread_ms = p->endpoint ? parley_sdk_http_spread_ms(p->http, p->endpoint) : -1;
    in.usage_pct = parley_sdk_http_usage_pct(p->http);
  }
  if (parley_sdk_poll_arm(p, parley_sdk_poll_delay(&p->cfg, &in, &p->rng)) < 0 &&
      p->host->log)
    p->host->log(p->inst, PARLEY_LOG_ERROR, "poll scheduler: could not start a timer");
}

void parley_sdk_poll_now(parley_sdk_poll_t *p) {
  if (p->started && !p->running)
    parley_sdk_poll_arm(p, 0);
}

void parley_sdk_poll_stop(parley_sdk_poll_t *p) {
  p->started = 0;
  if (p->timer) {
    p->host->timer_stop(p->timer);
    p->timer = NULL;
  }
}

void parley_sdk_poll_free(parley_sdk_poll_t *p) {
  if (p == NULL)
    return;
  parley_sdk_poll_stop(p);
  free(p->endpoint);
  free(p);
}

uint64_t parley_sdk_poll_next_delay(const parley_sdk_poll_t *p) {
  return p->next_delay;
}

int parley_sdk_poll_running(const parley_sdk_poll_t *p) {
  return p->running;
}
