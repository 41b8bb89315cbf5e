/* parley-conformance — one run of the connector: a config built with the
 * embedding API, a router on the kit's own uv loop, every delivered event
 * collected, a step function deciding when to stop, and the stop timed. */
#include <stdlib.h>
#include <string.h>

#include "kit.h"

#define PARLEY_KIT_TICK_MS 20

static int set_options(parley_config_t *cfg, const parley_kit_t *kit,
                       parley_kit_opts_mode_t mode) {
  int rc = 0;
  if (mode == PARLEY_KIT_OPTS_NONE)
    return 0;
  for (size_t i = 0; rc == 0 && i < kit->n_opts; i++)
    rc = parley_config_set_option(cfg, PARLEY_KIT_INSTANCE, kit->opts[i].key,
                                  kit->opts[i].value, kit->opts[i].append);
  if (rc == 0 && mode == PARLEY_KIT_OPTS_UNKNOWN)
    rc = parley_config_set_option(cfg, PARLEY_KIT_INSTANCE, PARLEY_KIT_UNKNOWN_KEY, "1", 0);
  return rc;
}

static parley_config_t *build_config(const parley_kit_t *kit, const char *journal,
                                     parley_kit_opts_mode_t mode) {
  parley_config_t *cfg = parley_config_new();
  if (!cfg)
    return NULL;
  int rc = parley_config_set(cfg, "listen", "");
  if (rc == 0)
    rc = parley_config_set(cfg, "journal", journal);
  if (rc == 0)
    rc = parley_config_set(cfg, "log_level", kit->verbose ? "info" : "error");
  if (rc == 0)
    rc = parley_config_add_connector(cfg, PARLEY_KIT_INSTANCE, kit->plugin_path);
  if (rc == 0)
    rc = set_options(cfg, kit, mode);
  if (rc) {
    parley_config_free(cfg);
    return NULL;
  }
  return cfg;
}

static void on_event(parley_router_t *r, const parley_event_t *ev, void *data) {
  parley_kit_run_t *run = data;
  parley_error_t err = {0};
  (void)r;
  /* system events (health changes) are the core's, with ids of its own:
   * they say nothing about the connector's ids */
  if (parley_event_kind(ev) == PARLEY_KIND_SYSTEM) {
    run->n_system++;
    return;
  }
  run->last_event = uv_now(&run->loop);
  if (parley_event_validate(ev, &err) != 0 && run->invalid++ == 0)
    snprintf(run->first_invalid, sizeof run->first_invalid, "%s", err.message);
  if (run->n_ids == run->cap_ids) {
    size_t cap = run->cap_ids ? run->cap_ids * 2 : 64;
    char **grown = realloc(run->ids, cap * sizeof *grown);
    if (!grown)
      return;
    run->ids = grown;
    run->cap_ids = cap;
  }
  const char *id = parley_event_id(ev);
  if ((run->ids[run->n_ids] = strdup(id ? id : "")))
    run->n_ids++;
  char *json = NULL;
  size_t len = 0;
  if (run->ndjson && parley_event_to_json(ev, &json, &len) == 0) {
    fwrite(json, 1, len, run->ndjson);
    fputc('\n', run->ndjson);
  }
  free(json);
}

int parley_kit_run_open(parley_kit_run_t *run, parley_kit_t *kit, const char *journal_name,
                        parley_kit_opts_mode_t mode, parley_error_t *err) {
  memset(run, 0, sizeof *run);
  run->kit = kit;
  char journal[512];
  snprintf(journal, sizeof journal, "%s/%s", kit->tmpdir, journal_name);
  parley_config_t *cfg = build_config(kit, journal, mode);
  if (!cfg)
    return parley_error_set(err, PARLEY_ENOMEM, "cannot build the router config");
  if (uv_loop_init(&run->loop) != 0) {
    parley_config_free(cfg);
    return parley_error_set(err, PARLEY_EIO, "uv_loop_init failed");
  }
  int rc = parley_router_new(&run->router, &run->loop, cfg, err);
  parley_config_free(cfg);
  if (rc) {
    run->router = NULL;
    uv_run(&run->loop, UV_RUN_DEFAULT); /* let whatever the router opened close */
    uv_loop_close(&run->loop);
    return rc;
  }
  parley_router_on_event(run->router, on_event, run);
  return 0;
}

static void ticker_closed(uv_handle_t *h) { (void)h; }

/* After the router stopped, only handles the connector forgot are left:
 * count them, and stop forgotten timers so the loop can end (the core
 * closes them at destroy). */
static void count_forgotten(uv_handle_t *h, void *arg) {
  parley_kit_run_t *run = arg;
  if (h == (uv_handle_t *)&run->ticker || uv_is_closing(h))
    return;
  run->open_handles++;
  if (h->type == UV_TIMER)
    uv_timer_stop((uv_timer_t *)h);
}

static void on_stopped(parley_router_t *r, void *data) {
  parley_kit_run_t *run = data;
  run->stopped = 1;
  uv_walk(&run->loop, count_forgotten, run);
  run->stop_ms = uv_now(&run->loop) - run->stop_begin;
  char *status = parley_router_status_json(r);
  run->status = status ? json_loads(status, 0, NULL) : NULL;
  free(status);
  uv_close((uv_handle_t *)&run->ticker, ticker_closed);
}

static void tick(uv_timer_t *t) {
  parley_kit_run_t *run = t->data;
  if (run->stopping)
    return;
  uv_update_time(&run->loop);
  int done = run->step ? run->step(run, run->step_data) : 1;
  if (!done && uv_now(&run->loop) >= run->deadline) {
    run->timed_out = 1;
    done = 1;
  }
  if (!done)
    return;
  run->stopping = 1;
  uv_timer_stop(t);
  run->stop_begin = uv_now(&run->loop);
  if (parley_router_stop(run->router, on_stopped, run) != 0)
    on_stopped(run->router, run);
}

int parley_kit_run_go(parley_kit_run_t *run, uint64_t max_ms, parley_kit_step_fn step,
                      void *data, parley_error_t *err) {
  run->step = step;
  run->step_data = data;
  uv_update_time(&run->loop);
  run->started = run->last_event = uv_now(&run->loop);
  run->deadline = run->started + max_ms;
  uv_timer_init(&run->loop, &run->ticker);
  run->ticker.data = run;
  int rc = parley_router_start(run->router, err);
  if (rc) {
    /* start() failed part way: stop what did start so the loop can close. */
    run->stopping = 1;
    run->stop_begin = uv_now(&run->loop);
    if (parley_router_stop(run->router, on_stopped, run) != 0)
      on_stopped(run->router, run);
    uv_run(&run->loop, UV_RUN_DEFAULT);
    return rc;
  }
  uv_timer_start(&run->ticker, tick, PARLEY_KIT_TICK_MS, PARLEY_KIT_TICK_MS);
  uv_run(&run->loop, UV_RUN_DEFAULT);
  return 0;
}

void parley_kit_run_close(parley_kit_run_t *run) {
  if (run->router) {
    parley_router_free(run->router);
    run->router = NULL;
    uv_run(&run->loop, UV_RUN_DEFAULT);
    uv_loop_close(&run->loop);
  }
  for (size_t i = 0; i < run->n_ids; i++)
    free(run->ids[i]);
  free(run->ids);
  run->ids = NULL;
  run->n_ids = run->cap_ids = 0;
  json_decref(run->status);
  run->status = NULL;
}

int parley_kit_step_until_quiet(parley_kit_run_t *run, void *data) {
  (void)data;
  return run->n_ids > 0 && uv_now(&run->loop) - run->last_event >= run->kit->quiet_ms;
}

static json_t *instance_in(json_t *status) {
  json_t *list = json_object_get(status, "connectors"), *c;
  size_t i;
  json_array_foreach(list, i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    if (name && !strcmp(name, PARLEY_KIT_INSTANCE))
      return c;
  }
  return NULL;
}

json_t *parley_kit_run_instance_status(const parley_kit_run_t *run) {
  return instance_in(run->status);
}

long long parley_kit_run_counter(const parley_kit_run_t *run, const char *name) {
  json_t *v = json_object_get(instance_in(run->status), name);
  return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

json_t *parley_kit_run_status_now(parley_kit_run_t *run) {
  char *s = parley_router_status_json(run->router);
  json_t *j = s ? json_loads(s, 0, NULL) : NULL;
  free(s);
  return j;
}

int parley_kit_run_has_id(const parley_kit_run_t *run, const char *id) {
  for (size_t i = 0; i < run->n_ids; i++)
    if (!strcmp(run->ids[i], id))
      return 1;
  return 0;
}
