/* parley core — the undelivered backlog and the pause of the sources.
 *
 * The backlog is every committed event that some output has not yet
 * passed (its cursor is below it). Its bytes and the age of its oldest
 * event are running totals: added to on commit (router_ingest.c), taken
 * from when the lowest cursor moves (output_queue.c), and read once from
 * the journal at start. Past router.max_backlog or router.max_backlog_age
 * the sources pause: pollers see host->paused, webhooks answer 503 with
 * Retry-After. They resume below half of both bounds, so that one
 * delivered batch does not flip them back and forth. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parley/time.h"
#include "router.h"

/* How often the age bound is looked at while nothing else happens. */
#define PARLEY_BACKLOG_TICK_MS 1000

/* ---- running totals ---- */

static int backlog_grow(parley_backlog_t *b) {
  size_t cap = b->cap ? b->cap * 2 : 64;
  parley_backlog_chunk_t *v = malloc(cap * sizeof *v);
  if (!v)
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < b->n; i++)
    v[i] = b->v[(b->head + i) % b->cap];
  free(b->v);
  b->v = v;
  b->cap = cap;
  b->head = 0;
  return 0;
}

static parley_backlog_chunk_t *backlog_newest(parley_backlog_t *b) {
  return b->n ? &b->v[(b->head + b->n - 1) % b->cap] : NULL;
}

void parley_backlog_add(parley_backlog_t *b, int64_t seq, int64_t received_ms, size_t bytes) {
  parley_backlog_chunk_t *c = backlog_newest(b);
  int fits = c && c->events < PARLEY_BACKLOG_CHUNK_EVENTS &&
             received_ms - c->first_ms < PARLEY_BACKLOG_CHUNK_MS;
  if (seq <= b->passed)
    return; /* already delivered everywhere (an output with no match) */
  if (!fits && (b->n < b->cap || backlog_grow(b) == 0)) {
    c = &b->v[(b->head + b->n++) % b->cap];
    *c = (parley_backlog_chunk_t){seq, seq, received_ms, 0, 0};
  }
  if (!c)
    return; /* out of memory with nothing to join: counted from the next one */
  c->last = seq;
  c->bytes += bytes;
  c->events++;
  b->bytes += bytes;
}

void parley_backlog_advance(parley_backlog_t *b, int64_t passed) {
  if (passed <= b->passed)
    return;
  b->passed = passed;
  while (b->n && b->v[b->head].last <= passed) {
    b->bytes -= b->v[b->head].bytes;
    b->head = (b->head + 1) % b->cap;
    b->n--;
  }
}

int64_t parley_backlog_oldest_ms(const parley_backlog_t *b) {
  return b->n ? b->v[b->head].first_ms : 0;
}

static int load_one(int64_t seq, int64_t received_ms, size_t bytes, void *data) {
  parley_backlog_add(data, seq, received_ms, bytes);
  return 0;
}

int parley_backlog_load(parley_backlog_t *b, parley_journal_t *j, int64_t passed,
                        parley_error_t *err) {
  b->passed = passed;
  if (parley_journal_sizes(j, passed, load_one, b) != 0)
    return parley_error_set(err, PARLEY_EIO, "reading the undelivered backlog: %s",
                            parley_journal_errmsg(j));
  return 0;
}

void parley_backlog_free(parley_backlog_t *b) {
  free(b->v);
  memset(b, 0, sizeof *b);
}

/* ---- the router's use of it ---- */

int64_t parley_router_min_cursor(const parley_router_t *r, int saved) {
  int64_t min = r->last_seq;
  for (size_t i = 0; i < r->n_outputs; i++) {
    int64_t c = saved ? r->outputs[i]->saved_cursor : r->outputs[i]->cursor;
    if (c < min)
      min = c;
  }
  return min;
}

void parley_router_cursor_moved(parley_router_t *r) {
  parley_backlog_advance(&r->backlog, parley_router_min_cursor(r, 0));
}

static int64_t oldest_age_ms(const parley_router_t *r) {
  int64_t oldest = parley_backlog_oldest_ms(&r->backlog);
  int64_t age = oldest ? parley_time_now() - oldest : 0;
  return age > 0 ? age : 0;
}

/* The bound passed, as the router key that sets it; NULL when none. A
 * paused router resumes only below half of each bound. */
static const char *pause_reason(const parley_router_t *r) {
  const parley_config_t *cfg = r->cfg;
  uint64_t bytes = r->backlog.bytes;
  int64_t age = cfg->max_backlog_age_ms ? oldest_age_ms(r) : 0;
  if (cfg->max_backlog && bytes > (r->paused ? cfg->max_backlog / 2 : cfg->max_backlog))
    return "max_backlog";
  if (cfg->max_backlog_age_ms &&
      age > (r->paused ? cfg->max_backlog_age_ms / 2 : cfg->max_backlog_age_ms))
    return "max_backlog_age";
  return NULL;
}

static void set_paused(parley_router_t *r, const char *reason) {
  int pause = reason != NULL, changed = pause != r->paused;
  r->pause_reason = reason;
  r->paused = pause;
  parley_router_backlog_gauges(r);
  if (!changed)
    return;
  if (pause) {
    (*r->c_paused)++;
    parley_log(PARLEY_LOG_WARN, "router",
               "pausing sources: undelivered backlog %llu bytes, oldest %lld ms, over "
               "router.%s; webhooks are answered 503 until it drains",
               (unsigned long long)r->backlog.bytes, (long long)oldest_age_ms(r), reason);
  } else {
    parley_log(PARLEY_LOG_WARN, "router", "resuming sources: undelivered backlog %llu bytes",
               (unsigned long long)r->backlog.bytes);
  }
  for (size_t i = 0; i < r->n_instances; i++) {
    parley_instance_t *inst = r->instances[i];
    void (*fn)(void *) = pause ? inst->desc->pause : inst->desc->resume;
    if (fn && inst->run == PARLEY_INST_RUNNING)
      fn(inst->state);
  }
}

void parley_router_update_pause(parley_router_t *r) {
  parley_router_cursor_moved(r);
  set_paused(r, pause_reason(r));
}

void parley_router_backlog_gauges(parley_router_t *r) {
  if (!r->g_backlog_bytes)
    return;
  *r->g_backlog_bytes = (double)r->backlog.bytes;
  *r->g_backlog_age = (double)oldest_age_ms(r) / 1000.0;
  *r->g_paused_bytes = r->paused && r->pause_reason && strcmp(r->pause_reason, "max_backlog") == 0;
  *r->g_paused_age = r->paused && r->pause_reason && strcmp(r->pause_reason, "max_backlog_age") == 0;
}

int parley_router_backlog_init(parley_router_t *r) {
  parley_metrics_t *m = r->metrics;
  r->g_backlog_bytes = parley_metrics_gauge(m, "parley_backlog_bytes", NULL);
  r->g_backlog_age = parley_metrics_gauge(m, "parley_backlog_oldest_age_seconds", NULL);
  r->g_paused_bytes = parley_metrics_gauge(m, "parley_sources_paused", "reason=\"max_backlog\"");
  r->g_paused_age = parley_metrics_gauge(m, "parley_sources_paused", "reason=\"max_backlog_age\"");
  return r->g_backlog_bytes && r->g_backlog_age && r->g_paused_bytes && r->g_paused_age
             ? 0
             : PARLEY_ENOMEM;
}

static void backlog_tick(uv_timer_t *t) { parley_router_update_pause(t->data); }

int parley_router_backlog_start(parley_router_t *r, parley_error_t *err) {
  int rc = parley_backlog_load(&r->backlog, r->journal, parley_router_min_cursor(r, 0), err);
  if (rc)
    return rc;
  if (r->backlog.n)
    parley_log(PARLEY_LOG_INFO, "router", "undelivered backlog from the last run: %llu bytes",
               (unsigned long long)r->backlog.bytes);
  /* the age grows without any event; the tick also notices a backlog that
   * drained through cursor moves no delivery reported */
  uv_timer_start(&r->backlog_timer, backlog_tick, PARLEY_BACKLOG_TICK_MS, PARLEY_BACKLOG_TICK_MS);
  parley_router_update_pause(r);
  return 0;
}
