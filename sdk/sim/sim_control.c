/* parley-sim — the control API under /_sim/: tests and demos add items at
 * run time, inject faults, expire tokens, and read what the brand sent and
 * which webhooks were delivered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_week.h"

static void parley_sim_ctl_json(parley_httpd_req_t *req, int status, json_t *body) {
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!text) {
    parley_httpd_respond(req, 500, "text/plain", "cannot encode JSON", 18, NULL);
    return;
  }
  parley_httpd_respond(req, status, "application/json", text, strlen(text), NULL);
  free(text);
}

static void parley_sim_ctl_error(parley_httpd_req_t *req, int status, const char *msg) {
  parley_sim_ctl_json(req, status, json_pack("{s:s}", "error", msg));
}

/* Query parameter or NULL; buf holds the value. */
static const char *parley_sim_ctl_param(parley_httpd_req_t *req, const char *name, char *buf,
                                        size_t len) {
  return parley_httpd_req_query_param(req, name, buf, len) >= 0 ? buf : NULL;
}

static void parley_sim_ctl_health(parley_sim_t *sim, parley_httpd_req_t *req) {
  json_t *names = json_array();
  for (size_t i = 0; i < sim->nplatforms; i++)
    json_array_append_new(names, json_string(sim->platforms[i]->name));
  parley_sim_filter_t all = {.include_hidden = 1, .include_deleted = 1};
  json_t *items = parley_sim_items(sim, &all);
  parley_sim_ctl_json(req, 200,
                      json_pack("{s:s,s:o,s:I,s:I,s:I}", "status", "ok", "platforms", names,
                                "items", (json_int_t)json_array_size(items), "start_ms",
                                (json_int_t)sim->start_ms, "now_ms",
                                (json_int_t)parley_sim_now_ms()));
  json_decref(items);
}

static void parley_sim_ctl_items_post(parley_sim_t *sim, parley_httpd_req_t *req) {
  parley_error_t err = {0};
  char msg[PARLEY_ERROR_MAX + 32];
  json_t *item = parley_sim_req_json(req, &err);
  if (item && parley_sim_item_resolve(sim, item, &err) != 0) {
    json_decref(item);
    item = NULL;
  }
  json_t *stored = item ? parley_sim_item_add(sim, item, &err) : NULL;
  if (!stored) {
    snprintf(msg, sizeof msg, "POST /_sim/items: %s", err.message);
    parley_sim_ctl_error(req, err.code == PARLEY_EDUP ? 409 : 400, msg);
    return;
  }
  parley_sim_ctl_json(req, 201, json_copy(stored));
}

static void parley_sim_ctl_items_get(parley_sim_t *sim, parley_httpd_req_t *req) {
  char platform[32], type[32];
  parley_sim_filter_t f = {.platform = parley_sim_ctl_param(req, "platform", platform, sizeof platform),
                           .type = parley_sim_ctl_param(req, "type", type, sizeof type),
                           .include_hidden = 1,
                           .include_deleted = 1};
  parley_sim_ctl_json(req, 200, json_pack("{s:o}", "items", parley_sim_items(sim, &f)));
}

static void parley_sim_ctl_sent(parley_sim_t *sim, parley_httpd_req_t *req) {
  char platform[32];
  const char *want = parley_sim_ctl_param(req, "platform", platform, sizeof platform);
  json_t *out = json_array(), *a;
  size_t i;
  json_array_foreach(sim->sent, i, a) {
    const char *p = json_string_value(json_object_get(a, "platform"));
    if (!want || (p && !strcmp(p, want))) json_array_append(out, a);
  }
  parley_sim_ctl_json(req, 200, json_pack("{s:o}", "sent", out));
}

/* {platform, path, fault, count | always, delay_ms, status} */
static int parley_sim_ctl_fault_parse(json_t *b, parley_sim_fault_t *f, unsigned *count,
                                      char *msg, size_t len) {
  const char *name = json_string_value(json_object_get(b, "fault"));
  int kind = parley_sim_fault_kind(name);
  json_t *c = json_object_get(b, "count");
  memset(f, 0, sizeof *f);
  if (kind < 0) {
    snprintf(msg, len, "POST /_sim/faults: unknown fault '%s' (status429, status5xx, slow, "
                       "timeout, truncated, invalid_utf8, duplicate, out_of_order, "
                       "expire_token, oversized)", name ? name : "(missing)");
    return -1;
  }
  f->kind = (parley_sim_fault_kind_t)kind;
  f->status = (int)json_integer_value(json_object_get(b, "status"));
  if (f->kind == PARLEY_SIM_FAULT_STATUS5XX && f->status == 0) f->status = 503;
  f->delay_ms = (uint32_t)json_integer_value(json_object_get(b, "delay_ms"));
  if (f->kind == PARLEY_SIM_FAULT_SLOW && f->delay_ms == 0) f->delay_ms = 2000;
  if (json_is_true(json_object_get(b, "always"))) {
    *count = 0;
  } else if (!c) {
    *count = 1;
  } else if (!json_is_integer(c) || json_integer_value(c) < 1) {
    snprintf(msg, len, "POST /_sim/faults: 'count' must be a positive integer (or always:true)");
    return -1;
  } else {
    *count = (unsigned)json_integer_value(c);
  }
  return 0;
}

static void parley_sim_ctl_faults_post(parley_sim_t *sim, parley_httpd_req_t *req) {
  parley_error_t err = {0};
  char msg[PARLEY_ERROR_MAX + 64];
  parley_sim_fault_t f;
  unsigned count = 1;
  json_t *b = parley_sim_req_json(req, &err);
  if (!b) {
    snprintf(msg, sizeof msg, "POST /_sim/faults: %s", err.message);
    parley_sim_ctl_error(req, 400, msg);
    return;
  }
  if (parley_sim_ctl_fault_parse(b, &f, &count, msg, sizeof msg) != 0 ||
      parley_sim_fault_add(sim, json_string_value(json_object_get(b, "platform")),
                           json_string_value(json_object_get(b, "path")), &f, count, &err) != 0) {
    if (err.code) snprintf(msg, sizeof msg, "POST /_sim/faults: %s", err.message);
    json_decref(b);
    parley_sim_ctl_error(req, 400, msg);
    return;
  }
  json_decref(b);
  parley_sim_ctl_json(req, 201, json_pack("{s:o}", "faults", parley_sim_fault_list(sim)));
}

/* Body {platform} (or ?platform=) naming a served platform, into buf. */
static const char *parley_sim_ctl_platform(parley_sim_t *sim, parley_httpd_req_t *req,
                                           json_t **body, char *buf, size_t len) {
  parley_error_t err = {0};
  *body = parley_sim_req_json(req, &err);
  const char *p = json_string_value(json_object_get(*body, "platform"));
  if (!p) p = parley_sim_ctl_param(req, "platform", buf, len);
  return parley_sim_platform(sim, p) ? p : NULL;
}

static void parley_sim_ctl_expire(parley_sim_t *sim, parley_httpd_req_t *req) {
  char buf[32];
  json_t *b = NULL;
  const char *p = parley_sim_ctl_platform(sim, req, &b, buf, sizeof buf);
  if (!p) {
    json_decref(b);
    parley_sim_ctl_error(req, 400, "POST /_sim/tokens/expire: 'platform' must name a served platform");
    return;
  }
  parley_sim_tokens_expire(sim, p);
  parley_sim_ctl_json(req, 200, json_pack("{s:s,s:b}", "platform", p, "expired", 1));
  json_decref(b);
}

static void parley_sim_ctl_target(parley_sim_t *sim, parley_httpd_req_t *req) {
  char buf[32];
  json_t *b = NULL;
  const char *p = parley_sim_ctl_platform(sim, req, &b, buf, sizeof buf);
  const char *url = json_string_value(json_object_get(b, "url"));
  if (!p || (url && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
    json_decref(b);
    parley_sim_ctl_error(req, 400, "POST /_sim/webhook-target: needs 'platform' (a served "
                                   "platform) and 'url' (http:// or https://, null to clear)");
    return;
  }
  parley_sim_webhook_set_target(sim, p, url);
  parley_sim_ctl_json(req, 200, json_pack("{s:s,s:s?}", "platform", p, "url", url));
  json_decref(b);
}

/* The generated week (scenario "week"): its period, counts and delivery. */
static void parley_sim_ctl_week(parley_sim_t *sim, parley_httpd_req_t *req) {
  json_t *st = parley_sim_week_status(sim);
  if (!st) parley_sim_ctl_error(req, 404, "the scenario has no 'week'");
  else parley_sim_ctl_json(req, 200, st);
}

static void parley_sim_ctl_week_start(parley_sim_t *sim, parley_httpd_req_t *req) {
  int rc = parley_sim_week_start(sim);
  if (rc == PARLEY_ENOENT) parley_sim_ctl_error(req, 404, "the scenario has no 'week'");
  else if (rc != 0)
    parley_sim_ctl_error(req, 409, "the week is not waiting for a start (delivery is "
                                   "'history', or the replay has started)");
  else parley_sim_ctl_json(req, 200, parley_sim_week_status(sim));
}

typedef struct parley_sim_ctl_route {
  const char *method;
  const char *path;
  void (*fn)(parley_sim_t *sim, parley_httpd_req_t *req);
} parley_sim_ctl_route_t;

static void parley_sim_ctl_faults_get(parley_sim_t *sim, parley_httpd_req_t *req) {
  parley_sim_ctl_json(req, 200, json_pack("{s:o}", "faults", parley_sim_fault_list(sim)));
}

static void parley_sim_ctl_faults_delete(parley_sim_t *sim, parley_httpd_req_t *req) {
  parley_sim_fault_clear(sim);
  parley_sim_ctl_json(req, 200, json_pack("{s:[]}", "faults"));
}

static void parley_sim_ctl_webhooks(parley_sim_t *sim, parley_httpd_req_t *req) {
  char platform[32];
  const char *want = parley_sim_ctl_param(req, "platform", platform, sizeof platform);
  json_t *out = json_array(), *e;
  size_t i;
  json_array_foreach(parley_sim_webhook_deliveries(sim), i, e) {
    const char *p = json_string_value(json_object_get(e, "platform"));
    if (!want || (p && !strcmp(p, want))) json_array_append(out, e);
  }
  parley_sim_ctl_json(req, 200, json_pack("{s:o}", "deliveries", out));
}

static void parley_sim_ctl_ratelimits_delete(parley_sim_t *sim, parley_httpd_req_t *req) {
  parley_sim_ratelimit_reset(sim);
  parley_sim_ctl_json(req, 200, json_pack("{s:b}", "reset", 1));
}

static const parley_sim_ctl_route_t parley_sim_ctl_routes[] = {
    {"GET", "/_sim/health", parley_sim_ctl_health},
    {"POST", "/_sim/items", parley_sim_ctl_items_post},
    {"GET", "/_sim/items", parley_sim_ctl_items_get},
    {"GET", "/_sim/sent", parley_sim_ctl_sent},
    {"POST", "/_sim/faults", parley_sim_ctl_faults_post},
    {"GET", "/_sim/faults", parley_sim_ctl_faults_get},
    {"DELETE", "/_sim/faults", parley_sim_ctl_faults_delete},
    {"POST", "/_sim/tokens/expire", parley_sim_ctl_expire},
    {"GET", "/_sim/webhooks", parley_sim_ctl_webhooks},
    {"POST", "/_sim/webhook-target", parley_sim_ctl_target},
    {"DELETE", "/_sim/ratelimits", parley_sim_ctl_ratelimits_delete},
    {"GET", "/_sim/week", parley_sim_ctl_week},
    {"POST", "/_sim/week/start", parley_sim_ctl_week_start},
};

void parley_sim_control_handle(parley_httpd_req_t *req, void *data) {
  parley_sim_t *sim = data;
  const char *method = parley_httpd_req_method(req), *path = parley_httpd_req_path(req);
  int path_known = 0;
  size_t n = sizeof parley_sim_ctl_routes / sizeof parley_sim_ctl_routes[0];
  if (sim->config.verbose) parley_sim_log(sim, "%s %s", method, path);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(parley_sim_ctl_routes[i].path, path)) continue;
    path_known = 1;
    if (!strcmp(parley_sim_ctl_routes[i].method, method)) {
      parley_sim_ctl_routes[i].fn(sim, req);
      return;
    }
  }
  if (path_known) parley_sim_ctl_error(req, 405, "method not allowed on this control path");
  else parley_sim_ctl_error(req, 404, "no such control path (see docs/simulator.md)");
}
