/* parley core — the status document (/v1/status, parley_router_status_json). */
#include <stdlib.h>

#include "parley/version.h"
#include "router.h"

static const char *const inst_states[] = {"created", "running", "stopping", "stopped"};
static const char *const router_states[] = {"new", "running", "stopping", "stopped"};

static json_t *instance_json(const parley_instance_t *inst) {
  return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s?,s:I,s:I,s:I}", "name", inst->name, "plugin",
                   inst->desc->name, "platform", inst->desc->platform, "state",
                   inst_states[inst->run], "healthy", inst->healthy, "health_reason",
                   inst->health_reason, "emitted", (json_int_t)*inst->c_emitted, "accepted",
                   (json_int_t)*inst->c_accepted, "duplicates", (json_int_t)*inst->c_duplicate);
}

static json_t *output_json(const parley_output_t *o) {
  return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s?}", "name", o->name, "type", o->type->name,
                   "state", o->failing ? "failing" : "ok", "cursor", (json_int_t)o->cursor,
                   "backlog", (json_int_t)parley_output_backlog(o), "delivered",
                   (json_int_t)*o->c_delivered, "last_error", o->last_error);
}

/* The undelivered backlog against its bounds (0: no bound), and what
 * retention has done. */
static json_t *backlog_json(parley_router_t *r) {
  return json_pack("{s:I,s:I,s:I,s:I}", "bytes", (json_int_t)r->backlog.bytes,
                   "oldest_age_ms", (json_int_t)(*r->g_backlog_age * 1000.0), "max_bytes",
                   (json_int_t)r->cfg->max_backlog, "max_age_ms",
                   (json_int_t)r->cfg->max_backlog_age_ms);
}

static json_t *retention_json(parley_router_t *r) {
  return json_pack("{s:I,s:I,s:I,s:I}", "retention_ms", (json_int_t)r->cfg->retention_ms,
                   "pruned", (json_int_t)*r->c_pruned, "forgotten",
                   (json_int_t)*r->c_forgotten, "pruned_seq",
                   (json_int_t)parley_journal_pruned_seq(r->journal));
}

json_t *parley_router_status(parley_router_t *r) {
  json_t *insts = json_array(), *outs = json_array();
  parley_router_backlog_gauges(r);
  for (size_t i = 0; i < r->n_instances; i++)
    json_array_append_new(insts, instance_json(r->instances[i]));
  for (size_t i = 0; i < r->n_outputs; i++)
    json_array_append_new(outs, output_json(r->outputs[i]));
  return json_pack("{s:s,s:s,s:b,s:s?,s:I,s:o,s:o,s:o,s:o,s:o}", "version", parley_version(),
                   "state", router_states[r->run], "paused", r->paused, "pause_reason",
                   r->pause_reason, "last_seq", (json_int_t)r->last_seq, "backlog",
                   backlog_json(r), "retention", retention_json(r), "connectors", insts,
                   "outputs", outs, "metrics", parley_metrics_json(r->metrics));
}

char *parley_router_status_json(parley_router_t *r) {
  json_t *j = parley_router_status(r);
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return s;
}
