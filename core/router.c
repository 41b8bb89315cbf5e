/* parley core — the router's lifecycle: create (load plugins, bind options,
 * build outputs; no I/O), start (journal, outputs, HTTP, connectors), stop
 * (connectors drain, final commit, outputs drain, everything closed) and free. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "router.h"
#include "util.h"

#define PARLEY_STOP_DEADLINE_MS 10000

static int build_outputs(parley_router_t *r, parley_error_t *err) {
  const parley_config_t *cfg = r->cfg;
  if (cfg->n_outputs > PARLEY_MAX_OUTPUTS)
    return parley_error_set(err, PARLEY_ECONFIG, "%s: at most %d outputs are supported",
                            cfg->source, PARLEY_MAX_OUTPUTS);
  r->outputs = calloc(cfg->n_outputs ? cfg->n_outputs : 1, sizeof *r->outputs);
  if (!r->outputs)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  for (size_t i = 0; i < cfg->n_outputs; i++) {
    int rc = parley_output_create(r, &cfg->outputs[i], (unsigned)i, &r->outputs[r->n_outputs], err);
    if (r->outputs[r->n_outputs])
      r->n_outputs++;
    if (rc)
      return rc;
  }
  return 0;
}

static int build_instances(parley_router_t *r, parley_error_t *err) {
  const parley_config_t *cfg = r->cfg;
  r->instances = calloc(cfg->n_connectors ? cfg->n_connectors : 1, sizeof *r->instances);
  if (!r->instances)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  for (size_t i = 0; i < cfg->n_connectors; i++) {
    int rc = parley_instance_create(r, &cfg->connectors[i], i, &r->instances[r->n_instances], err);
    if (r->instances[r->n_instances])
      r->n_instances++;
    if (rc)
      return rc;
  }
  return 0;
}

static int init_metrics(parley_router_t *r) {
  r->metrics = parley_metrics_new();
  if (!r->metrics)
    return PARLEY_ENOMEM;
  r->c_unrouted = parley_metrics_counter(r->metrics, "parley_events_unrouted_total", NULL);
  r->c_rejected = parley_metrics_counter(r->metrics, "parley_events_rejected_total", NULL);
  r->c_paused = parley_metrics_counter(r->metrics, "parley_source_pauses_total", NULL);
  r->care = parley_care_live_new(r->metrics);
  if (!r->c_unrouted || !r->c_rejected || !r->c_paused || !r->care)
    return PARLEY_ENOMEM;
  int rc = parley_router_backlog_init(r);
  return rc ? rc : parley_router_retention_init(r);
}

int parley_router_new(parley_router_t **out, uv_loop_t *loop, const parley_config_t *cfg,
                      parley_error_t *err) {
  *out = NULL;
  int rc = parley_config_check(cfg, err);
  if (rc)
    return rc;
  parley_router_t *r = calloc(1, sizeof *r);
  if (!r)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  r->cfg = parley_config_clone(cfg);
  r->queue_cap = cfg->queue_size ? cfg->queue_size : 10000;
  if (!r->cfg || init_metrics(r)) {
    parley_router_free(r);
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  parley_log_secret_add(r->cfg->admin_token); /* masked in logs while this router lives */
  for (size_t i = 0; i < r->cfg->n_agents; i++)
    parley_log_secret_add(r->cfg->agent_tokens[i]);
  parley_log_set_level((parley_log_level_t)cfg->log_level);
  parley_log_set_json(cfg->log_format && strcmp(cfg->log_format, "json") == 0);
  if (loop) {
    r->loop = loop;
  } else {
    uv_loop_init(&r->own_loop);
    r->loop = &r->own_loop;
    r->owns_loop = 1;
  }
  rc = build_outputs(r, err);
  if (rc == 0)
    rc = build_instances(r, err);
  if (rc == 0 && r->cfg->enrich)
    rc = parley_enrich_new(r->cfg->enrich, r->cfg->source, r->metrics, &r->enrich, err);
  if (rc) {
    parley_router_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

uv_loop_t *parley_router_loop(parley_router_t *r) { return r->loop; }

void parley_router_on_event(parley_router_t *r, parley_event_cb cb, void *data) {
  r->on_event = cb;
  r->on_event_data = data;
}

static int open_components(parley_router_t *r, parley_error_t *err) {
  int rc = parley_journal_open(&r->journal, r->cfg->journal, err);
  if (rc)
    return rc;
  r->last_seq = parley_journal_last_seq(r->journal);
  if ((rc = parley_httpc_new(&r->httpc, r->loop, err)) != 0)
    return rc;
  uv_idle_init(r->loop, &r->commit_idle);
  r->commit_idle.data = r;
  if ((rc = parley_prepare_start(r, err)) != 0)
    return rc;
  uv_timer_init(r->loop, &r->stop_timer);
  r->stop_timer.data = r;
  uv_timer_init(r->loop, &r->drain_timer);
  r->drain_timer.data = r;
  uv_timer_init(r->loop, &r->backlog_timer);
  r->backlog_timer.data = r;
  uv_timer_init(r->loop, &r->prune_timer);
  r->prune_timer.data = r;
  r->run = PARLEY_ROUTER_RUNNING;
  for (size_t i = 0; i < r->n_outputs; i++)
    if ((rc = parley_output_open(r->outputs[i], err)) != 0)
      return rc;
  /* the cursors are known now: what they have not passed is the backlog */
  if ((rc = parley_router_backlog_start(r, err)) != 0)
    return rc;
  parley_router_retention_start(r);
  return parley_router_http_start(r, err);
}

int parley_router_start(parley_router_t *r, parley_error_t *err) {
  if (r->run != PARLEY_ROUTER_NEW)
    return parley_error_set(err, PARLEY_ESTATE, "router already started");
  int rc = open_components(r, err);
  for (size_t i = 0; rc == 0 && i < r->n_instances; i++)
    rc = parley_instance_start(r->instances[i], err);
  if (rc) {
    parley_log(PARLEY_LOG_ERROR, "router", "start failed: %s", err ? err->message : "");
    return rc;
  }
  for (size_t i = 0; i < r->n_outputs; i++)
    parley_output_pump(r->outputs[i]); /* deliver what a previous run left */
  parley_router_commit_later(r, NULL, NULL, NULL);
  parley_log(PARLEY_LOG_INFO, "router", "running: %zu connectors, %zu outputs, %zu routes",
             r->n_instances, r->n_outputs, r->cfg->n_routes);
  return 0;
}

/* ---- stopping ---- */

static void stop_step(parley_router_t *r);

static void component_closed(parley_router_t *r) {
  if (--r->closing == 0) {
    r->run = PARLEY_ROUTER_STOPPED;
    parley_log(PARLEY_LOG_INFO, "router", "stopped");
    if (r->stop_cb)
      r->stop_cb(r, r->stop_data);
  }
}

static void handle_closed(uv_handle_t *h) { component_closed(h->data); }
static void void_closed(void *data) { component_closed(data); }
static void output_closed(parley_output_t *o) { component_closed(o->r); }

static void close_all(parley_router_t *r) {
  uv_timer_stop(&r->stop_timer);
  uv_timer_stop(&r->drain_timer);
  uv_timer_stop(&r->backlog_timer);
  uv_timer_stop(&r->prune_timer);
  parley_router_commit_sync(r);
  r->closing = 1; /* held until everything below has been started */
  for (size_t i = 0; i < r->n_outputs; i++) {
    r->closing++;
    parley_output_close(r->outputs[i], output_closed);
  }
  if (r->sse) { /* before the server: streams end cleanly, not as aborts */
    r->closing++;
    parley_sse_close(r->sse, void_closed, r);
  }
  if (r->httpd) {
    r->closing++;
    parley_httpd_close(r->httpd, void_closed, r);
  }
  if (r->httpc) {
    r->closing++;
    parley_httpc_close(r->httpc, void_closed, r);
  }
  if (r->prep.started) {
    r->closing++;
    parley_prepare_close(r, handle_closed);
  }
  r->closing += 5;
  uv_close((uv_handle_t *)&r->commit_idle, handle_closed);
  uv_close((uv_handle_t *)&r->stop_timer, handle_closed);
  uv_close((uv_handle_t *)&r->drain_timer, handle_closed);
  uv_close((uv_handle_t *)&r->backlog_timer, handle_closed);
  uv_close((uv_handle_t *)&r->prune_timer, handle_closed);
  component_closed(r);
}

static int all_stopped(parley_router_t *r) {
  for (size_t i = 0; i < r->n_instances; i++)
    if (r->instances[i]->run == PARLEY_INST_STOPPING)
      return 0;
  return 1;
}

static int all_drained(parley_router_t *r) {
  for (size_t i = 0; i < r->n_outputs; i++) {
    parley_output_t *o = r->outputs[i];
    if (!o->failing && !parley_output_drained(o))
      return 0;
  }
  return 1;
}

static void stop_deadline(uv_timer_t *t) {
  parley_router_t *r = t->data;
  parley_log(PARLEY_LOG_WARN, "router", "stop deadline reached; undelivered events stay in the journal");
  for (size_t i = 0; i < r->n_instances; i++)
    if (r->instances[i]->run == PARLEY_INST_STOPPING)
      r->instances[i]->run = PARLEY_INST_STOPPED;
  close_all(r);
}

static void stop_poll(uv_timer_t *t) { stop_step(t->data); }

/* Connectors first (their last events are committed), then the outputs
 * drain, then everything closes. Polled every 20 ms until the deadline. */
static void stop_step(parley_router_t *r) {
  if (r->run != PARLEY_ROUTER_STOPPING || r->closing)
    return;
  if (!all_stopped(r))
    return;
  parley_router_commit_now(r);
  if (parley_router_commit_pending(r) || !all_drained(r)) {
    uv_timer_start(&r->drain_timer, stop_poll, 20, 0);
    return;
  }
  close_all(r);
}

void parley_router_instance_stopped(parley_instance_t *inst) {
  if (inst->run != PARLEY_INST_STOPPING)
    return;
  inst->run = PARLEY_INST_STOPPED;
  parley_log_instance(PARLEY_LOG_INFO, "connector", inst->name, "stopped");
  stop_step(inst->r);
}

int parley_router_stop(parley_router_t *r, parley_stop_cb cb, void *data) {
  if (r->run != PARLEY_ROUTER_RUNNING)
    return PARLEY_ESTATE;
  r->run = PARLEY_ROUTER_STOPPING;
  r->stop_cb = cb;
  r->stop_data = data;
  parley_log(PARLEY_LOG_INFO, "router", "stopping");
  uv_timer_start(&r->stop_timer, stop_deadline, PARLEY_STOP_DEADLINE_MS, 0);
  for (size_t i = 0; i < r->n_instances; i++)
    parley_instance_stop(r->instances[i]);
  stop_step(r);
  return 0;
}

int parley_router_run(parley_router_t *r) {
  if (!r->owns_loop)
    return PARLEY_ESTATE;
  return uv_run(r->loop, UV_RUN_DEFAULT);
}

void parley_router_free(parley_router_t *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n_instances; i++)
    parley_instance_destroy(r->instances[i]);
  for (size_t i = 0; i < r->n_outputs; i++)
    parley_output_destroy(r->outputs[i]);
  for (size_t i = 0; i < r->n_plugins; i++)
    parley_plugin_unload(r->plugins[i]);
  /* started but never stopped: at least join the thread; frees the queue */
  parley_prepare_close(r, NULL);
  parley_batch_free(r->collect);
  parley_backlog_free(&r->backlog);
  free(r->instances);
  free(r->outputs);
  free(r->plugins);
  parley_sse_free(r->sse);
  parley_httpd_free(r->httpd);
  parley_httpc_free(r->httpc);
  parley_journal_close(r->journal);
  parley_enrich_free(r->enrich);
  parley_care_live_free(r->care);
  parley_metrics_free(r->metrics);
  parley_sessions_free(r->sessions);
  parley_auth_limit_free(r->auth_limit);
  if (r->cfg) {
    parley_log_secret_remove(r->cfg->admin_token);
    for (size_t i = 0; i < r->cfg->n_agents; i++)
      parley_log_secret_remove(r->cfg->agent_tokens[i]);
  }
  parley_config_free(r->cfg);
  if (r->owns_loop) {
    uv_run(&r->own_loop, UV_RUN_NOWAIT); /* let close callbacks run */
    uv_loop_close(&r->own_loop);
  }
  free(r);
}
