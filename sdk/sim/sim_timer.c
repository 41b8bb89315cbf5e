/* parley-sim — timers owned by the framework (platforms hold no uv handles,
 * so shutting down is one place's job). */
#include <stdlib.h>

#include "sim_internal.h"

static void parley_sim_timer_unlink(parley_sim_timer_t *t) {
  parley_sim_internal_t *in = parley_sim_in(t->sim);
  if (t->prev) t->prev->next = t->next;
  else in->timers = t->next;
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = NULL;
}

static void parley_sim_timer_fire(uv_timer_t *h) {
  parley_sim_timer_t *t = h->data;
  if (!t->stopped) t->cb(t->sim, t, t->data);
}

parley_sim_timer_t *parley_sim_timer_start(parley_sim_t *sim, uint64_t timeout_ms,
                                           uint64_t repeat_ms, parley_sim_timer_cb cb,
                                           void *data) {
  parley_sim_internal_t *in = parley_sim_in(sim);
  if (in->stopping) return NULL;
  parley_sim_timer_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->sim = sim;
  t->cb = cb;
  t->data = data;
  uv_timer_init(sim->loop, &t->handle);
  t->handle.data = t;
  t->next = in->timers;
  if (in->timers) in->timers->prev = t;
  in->timers = t;
  uv_timer_start(&t->handle, parley_sim_timer_fire, timeout_ms, repeat_ms);
  return t;
}

static void parley_sim_timer_closed(uv_handle_t *h) {
  parley_sim_timer_t *t = h->data;
  parley_sim_t *t_sim = t->sim;
  parley_sim_internal_t *in = parley_sim_in(t_sim);
  int counted = in->stopping;
  free(t);
  /* During shutdown every close is counted; the last one reports. */
  if (counted && in->closing > 0 && --in->closing == 0 && in->timers_done) {
    void (*done)(parley_sim_t *) = in->timers_done;
    in->timers_done = NULL;
    done(t_sim);
  }
}

void parley_sim_timer_stop(parley_sim_timer_t *t) {
  if (!t || t->stopped) return;
  t->stopped = 1;
  parley_sim_internal_t *in = parley_sim_in(t->sim);
  parley_sim_timer_unlink(t);
  uv_timer_stop(&t->handle);
  if (in->stopping) in->closing++;
  uv_close((uv_handle_t *)&t->handle, parley_sim_timer_closed);
}

void parley_sim_timers_close_all(parley_sim_t *sim, void (*done)(parley_sim_t *sim)) {
  parley_sim_internal_t *in = parley_sim_in(sim);
  in->closing++; /* guard: not done before the loop below ends */
  in->timers_done = done;
  while (in->timers) parley_sim_timer_stop(in->timers);
  if (--in->closing == 0) {
    in->timers_done = NULL;
    done(sim);
  }
}
