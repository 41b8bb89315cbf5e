/* parley core — retention: a timer drops the bodies of the events every
 * output has delivered (by the cursors saved in the journal, so a restart
 * can never ask for a pruned body) once they are older than
 * router.retention, and forgets their ids after router.dedup_window (or
 * the retention, if longer), so dedup outlives the bodies. The work is
 * done in batches of PARLEY_PRUNE_BATCH events with a return to the loop
 * between them: a journal with a million events to prune never holds up
 * ingest for more than one small transaction. */
#include "log.h"
#include "parley/time.h"
#include "router.h"

#define PARLEY_PRUNE_BATCH 1000
/* Between two batches of one run: long enough to let I/O in. */
#define PARLEY_PRUNE_YIELD_MS 1

/* A quarter of the retention, within 1 s..60 s: a pruned event outlives
 * its retention by at most that much. */
static uint64_t prune_interval_ms(const parley_router_t *r) {
  int64_t ms = r->cfg->retention_ms / 4;
  return ms < 1000 ? 1000 : ms > 60000 ? 60000 : (uint64_t)ms;
}

/* One batch: bodies first, then ids. Returns 1 when more may be left. */
static int prune_batch(parley_router_t *r) {
  const parley_config_t *cfg = r->cfg;
  int64_t now = parley_time_now();
  int64_t keep_ids = cfg->dedup_window_ms > cfg->retention_ms ? cfg->dedup_window_ms
                                                              : cfg->retention_ms;
  int64_t n = parley_journal_prune(r->journal, parley_router_min_cursor(r, 1),
                                   now - cfg->retention_ms, PARLEY_PRUNE_BATCH);
  int64_t m = 0;
  if (n >= 0 && n < PARLEY_PRUNE_BATCH)
    m = parley_journal_forget(r->journal, now - keep_ids, PARLEY_PRUNE_BATCH);
  if (n < 0 || m < 0) {
    (*r->c_prune_failures)++;
    parley_log(PARLEY_LOG_WARN, "journal", "retention: %s; trying again in %llu ms",
               parley_journal_errmsg(r->journal), (unsigned long long)prune_interval_ms(r));
    return 0;
  }
  *r->c_pruned += (uint64_t)n;
  *r->c_forgotten += (uint64_t)m;
  return n == PARLEY_PRUNE_BATCH || m == PARLEY_PRUNE_BATCH;
}

static void prune_tick(uv_timer_t *t) {
  parley_router_t *r = t->data;
  int more = r->run == PARLEY_ROUTER_RUNNING && r->journal && prune_batch(r);
  uv_timer_start(t, prune_tick, more ? PARLEY_PRUNE_YIELD_MS : prune_interval_ms(r), 0);
}

int parley_router_retention_init(parley_router_t *r) {
  parley_metrics_t *m = r->metrics;
  r->c_pruned = parley_metrics_counter(m, "parley_journal_pruned_total", NULL);
  r->c_forgotten = parley_metrics_counter(m, "parley_journal_forgotten_total", NULL);
  r->c_prune_failures = parley_metrics_counter(m, "parley_journal_prune_failures_total", NULL);
  return r->c_pruned && r->c_forgotten && r->c_prune_failures ? 0 : PARLEY_ENOMEM;
}

void parley_router_retention_start(parley_router_t *r) {
  if (r->cfg->retention_ms > 0)
    uv_timer_start(&r->prune_timer, prune_tick, prune_interval_ms(r), 0);
}
