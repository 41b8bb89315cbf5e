/* parley-sim — what the framework files share and platforms never see. */
#ifndef PARLEY_SIM_INTERNAL_H
#define PARLEY_SIM_INTERNAL_H

#include "sim.h"

struct parley_sim_timer {
  uv_timer_t handle;
  parley_sim_t *sim;
  parley_sim_timer_cb cb;
  void *data;
  int stopped;
  struct parley_sim_timer *prev, *next;
};

/* Per request routed to a platform: the fault chosen for it and, for
 * requests held by slow/timeout faults, the timer. Freed when answered. */
typedef struct parley_sim_reqctx {
  parley_sim_t *sim;
  const parley_sim_platform_t *platform;
  parley_httpd_req_t *req;
  parley_sim_fault_t fault;
  parley_sim_timer_t *timer; /* slow / timeout */
  struct parley_sim_reqctx *prev, *next; /* held list */
} parley_sim_reqctx_t;

typedef struct parley_sim_route {
  parley_sim_t *sim;
  const parley_sim_platform_t *platform;
} parley_sim_route_t;

typedef struct parley_sim_internal {
  parley_sim_route_t routes[PARLEY_SIM_MAX_PLATFORMS];
  parley_sim_timer_t *timers;     /* every live timer */
  parley_sim_reqctx_t *held;      /* requests waiting on a timer */
  parley_sim_timer_t *gen_timer;
  uint64_t gen_start;             /* loop time the generator started */
  uint64_t gen_made;              /* items generated so far */
  json_t *scheduled;              /* timeline items not yet due (owned) */
  struct parley_week *week;       /* generated week (sim_week.h), or NULL */
  size_t closing;                 /* uv handles being closed at stop */
  void (*timers_done)(parley_sim_t *sim);
  void (*stop_cb)(void *data);
  void *stop_data;
  int stopping;
  int server_closed;
} parley_sim_internal_t;

static inline parley_sim_internal_t *parley_sim_in(parley_sim_t *sim) {
  return (parley_sim_internal_t *)sim->internal;
}

/* sim_scenario.c: "author"/"recipient" handles, "parent_ref", "at" into
 * store keys (used for scenario items and POST /_sim/items). */
int parley_sim_item_resolve(parley_sim_t *sim, json_t *item, parley_error_t *err);

/* sim_store.c: the platform's newest brand item without a parent (its
 * newest post), borrowed, or NULL; kept up to date on every add. */
json_t *parley_sim_store_brand_root(parley_sim_t *sim, const char *platform);

/* sim_faults.c */
void parley_sim_fault_clear_rules(parley_sim_faults_t *f);

/* sim.c */
void parley_sim_reqctx_release(parley_sim_reqctx_t *ctx);
/* sim_timer.c: close every timer; done runs when all are closed. */
void parley_sim_timers_close_all(parley_sim_t *sim, void (*done)(parley_sim_t *sim));
/* sim_webhook.c: the loop is stopping, do not schedule retries. */
void parley_sim_webhooks_stopping(parley_sim_t *sim);

#endif
