/* parley core — connector instances: plugin lookup, option binding,
 * create/start/stop/destroy. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "router.h"
#include "util.h"

parley_instance_t *parley_router_find_instance(parley_router_t *r, const char *name) {
  for (size_t i = 0; name && i < r->n_instances; i++)
    if (strcmp(r->instances[i]->name, name) == 0)
      return r->instances[i];
  return NULL;
}

/* One dlopen per plugin, shared by its instances. */
int parley_router_load_plugin(parley_router_t *r, const char *name, parley_plugin_t **out,
                              parley_error_t *err) {
  for (size_t i = 0; i < r->n_plugins; i++) {
    const parley_plugin_t *p = r->plugins[i];
    if (strcmp(p->desc->name, name) == 0 || strcmp(p->path, name) == 0) {
      *out = r->plugins[i];
      return 0;
    }
  }
  parley_plugin_t **grown = realloc(r->plugins, (r->n_plugins + 1) * sizeof *grown);
  if (!grown)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  r->plugins = grown;
  size_t ndirs;
  const char *const *dirs =
      parley_plugin_search_dirs(r->cfg->plugin_dirs, r->cfg->n_plugin_dirs, &ndirs);
  int rc = parley_plugin_load(out, name, dirs, ndirs, err);
  if (rc == 0)
    r->plugins[r->n_plugins++] = *out;
  return rc;
}

static int prefix_error(parley_error_t *err, const parley_config_t *cfg,
                        const parley_conf_instance_t *ci, size_t index) {
  char msg[PARLEY_ERROR_MAX];
  snprintf(msg, sizeof msg, "%s", err->message);
  return parley_error_set(err, err->code, "%s:%d: connectors[%zu] (%s): %s", cfg->source,
                          ci->line, index, ci->name, msg);
}

int parley_instance_create(parley_router_t *r, const parley_conf_instance_t *ci, size_t index,
                           parley_instance_t **out, parley_error_t *err) {
  parley_instance_t *inst = calloc(1, sizeof *inst);
  if (!inst)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  *out = inst;
  inst->r = r;
  inst->healthy = 1;
  inst->name = parley_strdup(ci->name);
  inst->labels = parley_asprintf("instance=\"%s\"", ci->name);
  if (!inst->name || !inst->labels)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  int rc = parley_router_load_plugin(r, ci->plugin, &inst->plugin, err);
  if (rc)
    return prefix_error(err, r->cfg, ci, index);
  inst->desc = inst->plugin->desc;
  inst->plugin->refs++;
  char where[64];
  snprintf(where, sizeof where, "connectors[%zu].options", index);
  rc = parley_options_bind(inst->desc->options, inst->desc->config_size, ci->options,
                           r->cfg->source, where, &inst->config, err);
  if (rc)
    return rc;
  rc = inst->desc->create(&parley_host_table, inst, inst->config, &inst->state, err);
  if (rc) {
    inst->state = NULL;
    if (!err->message[0])
      parley_error_set(err, rc, "%s", parley_strerror(rc));
    return prefix_error(err, r->cfg, ci, index);
  }
  parley_metrics_t *m = r->metrics;
  inst->c_emitted = parley_metrics_counter(m, "parley_events_emitted_total", inst->labels);
  inst->c_invalid = parley_metrics_counter(m, "parley_events_invalid_total", inst->labels);
  inst->c_duplicate = parley_metrics_counter(m, "parley_events_duplicate_total", inst->labels);
  inst->c_accepted = parley_metrics_counter(m, "parley_events_accepted_total", inst->labels);
  return (inst->c_emitted && inst->c_invalid && inst->c_duplicate && inst->c_accepted)
             ? 0
             : parley_error_set(err, PARLEY_ENOMEM, "out of memory");
}

int parley_instance_start(parley_instance_t *inst, parley_error_t *err) {
  int rc = inst->desc->start(inst->state);
  if (rc)
    return parley_error_set(err, rc, "connector %s: start failed: %s", inst->name,
                            parley_strerror(rc));
  inst->run = PARLEY_INST_RUNNING;
  parley_log_field_t f[] = {{"plugin", inst->desc->name},
                            {"version", inst->desc->version},
                            {"platform", inst->desc->platform}};
  parley_log_kv(PARLEY_LOG_INFO, "connector", inst->name, f, 3, "started (%s %s)", inst->desc->name,
                inst->desc->version ? inst->desc->version : "");
  return 0;
}

void parley_instance_stop(parley_instance_t *inst) {
  if (inst->run != PARLEY_INST_RUNNING)
    return;
  inst->run = PARLEY_INST_STOPPING;
  inst->desc->stop(inst->state);
}

static void timer_closed(uv_handle_t *h) { free(h->data); }

void parley_instance_destroy(parley_instance_t *inst) {
  if (!inst)
    return;
  if (inst->state)
    inst->desc->destroy(inst->state);
  /* A connector should stop its timers; close any it left so the loop can end. */
  for (struct parley_timer *t = inst->timers, *next; t; t = next) {
    next = t->next;
    parley_log_instance(PARLEY_LOG_WARN, "connector", inst->name,
                        "connector left a timer running at destroy");
    uv_timer_stop(&t->handle);
    t->handle.data = t;
    uv_close((uv_handle_t *)&t->handle, timer_closed);
  }
  if (inst->desc)
    parley_options_free(inst->desc->options, inst->config);
  if (inst->plugin)
    inst->plugin->refs--;
  free(inst->health_reason);
  free(inst->account);
  free(inst->labels);
  free(inst->name);
  free(inst);
}
