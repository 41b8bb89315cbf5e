/* parley core — the host table handed to every connector instance. Each
 * function is a thin adapter onto the router's components; the rules they
 * follow are documented in include/parley/connector.h. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "parley/time.h"
#include "router.h"
#include "util.h"

static void host_log(parley_instance_t *inst, parley_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  parley_log_instancev(level, "connector", inst->name, fmt, ap);
  va_end(ap);
}

static int host_checkpoint_set(parley_instance_t *inst, const char *key, const char *value) {
  return parley_router_stage_checkpoint(inst, key, value);
}

static int host_checkpoint_get(parley_instance_t *inst, const char *key, char *buf,
                               size_t buflen) {
  return parley_router_get_checkpoint(inst, key, buf, buflen);
}

static int host_commit(parley_instance_t *inst, parley_commit_cb cb, void *data) {
  return parley_router_commit_later(inst->r, inst, cb, data);
}

static void host_counter_add(parley_instance_t *inst, const char *name, uint64_t n) {
  parley_metrics_add(inst->r->metrics, name, inst->labels, n);
}

static void host_gauge_set(parley_instance_t *inst, const char *name, double value) {
  double *g = parley_metrics_gauge(inst->r->metrics, name, inst->labels);
  if (g)
    *g = value;
}

/* Going unhealthy is news for operators: it is logged and put on the event
 * stream as a "system" event; recovering is logged and emitted too. */
static void host_set_health(parley_instance_t *inst, int healthy, const char *reason) {
  healthy = healthy != 0;
  if (healthy == inst->healthy)
    return;
  inst->healthy = healthy;
  free(inst->health_reason);
  inst->health_reason = parley_strdup(reason);
  parley_log_field_t f[] = {{"platform", inst->desc->platform},
                            {"healthy", healthy ? "true" : "false"}};
  parley_log_kv(healthy ? PARLEY_LOG_INFO : PARLEY_LOG_ERROR, "connector", inst->name, f, 2,
                "%s: %s", healthy ? "healthy again" : "unhealthy", reason ? reason : "");
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return;
  int64_t now = parley_time_now();
  char id[256];
  snprintf(id, sizeof id, "%s:system-%s-%lld", inst->desc->platform, inst->name, (long long)now);
  parley_event_set_id(ev, id);
  parley_event_set_platform(ev, inst->desc->platform);
  parley_event_set_account(ev, inst->name);
  parley_event_set_kind(ev, PARLEY_KIND_SYSTEM);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PRIVATE);
  parley_event_set_created_at(ev, now);
  parley_event_set_text(ev, healthy ? "recovered" : (reason ? reason : "unhealthy"));
  parley_router_emit(inst, ev);
}

static int host_paused(parley_instance_t *inst) { return inst->r->paused; }

static int host_http_request(parley_instance_t *inst, const parley_http_request_t *req,
                             parley_http_cb cb, void *data, parley_http_t **out) {
  return parley_httpc_request(inst->r->httpc, req, NULL, cb, data, out);
}

static int host_http_stream(parley_instance_t *inst, const parley_http_request_t *req,
                            parley_stream_cb on_chunk, parley_http_cb cb, void *data,
                            parley_http_t **out) {
  return parley_httpc_request(inst->r->httpc, req, on_chunk, cb, data, out);
}

static void timer_fire(uv_timer_t *h) {
  struct parley_timer *t = (struct parley_timer *)h;
  t->cb(t, t->data);
}

static parley_timer_t *host_timer_start(parley_instance_t *inst, uint64_t timeout_ms,
                                        uint64_t repeat_ms, parley_timer_cb cb, void *data) {
  struct parley_timer *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->inst = inst;
  t->cb = cb;
  t->data = data;
  uv_timer_init(inst->r->loop, &t->handle);
  uv_timer_start(&t->handle, timer_fire, timeout_ms, repeat_ms);
  t->next = inst->timers;
  if (inst->timers)
    inst->timers->prev = t;
  inst->timers = t;
  return t;
}

static void timer_closed(uv_handle_t *h) { free(h); }

static void host_timer_stop(parley_timer_t *t) {
  if (!t)
    return;
  parley_instance_t *inst = t->inst;
  if (t->prev)
    t->prev->next = t->next;
  else
    inst->timers = t->next;
  if (t->next)
    t->next->prev = t->prev;
  uv_timer_stop(&t->handle);
  uv_close((uv_handle_t *)&t->handle, timer_closed);
}

static uint64_t host_now_ms(parley_instance_t *inst) { return uv_now(inst->r->loop); }
static int64_t host_wall_ms(parley_instance_t *inst) {
  (void)inst;
  return parley_time_now();
}

static const char *host_instance_name(parley_instance_t *inst) { return inst->name; }

static void host_stopped(parley_instance_t *inst) { parley_router_instance_stopped(inst); }

const parley_host_t parley_host_table = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_host_t),
    .log = host_log,
    .emit = parley_router_emit,
    .checkpoint_set = host_checkpoint_set,
    .checkpoint_get = host_checkpoint_get,
    .commit = host_commit,
    .counter_add = host_counter_add,
    .gauge_set = host_gauge_set,
    .set_health = host_set_health,
    .paused = host_paused,
    .http_request = host_http_request,
    .http_stream = host_http_stream,
    .http_header = parley_httpc_header,
    .http_cancel = parley_httpc_cancel,
    .timer_start = host_timer_start,
    .timer_stop = host_timer_stop,
    .now_ms = host_now_ms,
    .wall_ms = host_wall_ms,
    .webhook_method = parley_webhook_method,
    .webhook_path = parley_webhook_path,
    .webhook_header = parley_webhook_header,
    .webhook_query = parley_webhook_query,
    .webhook_body = parley_webhook_body,
    .action_get = parley_action_req_action,
    .action_done = parley_action_req_done,
    .stopped = host_stopped,
    .instance_name = host_instance_name,
};
