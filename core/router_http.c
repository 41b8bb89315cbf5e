/* parley core — the router's HTTP endpoints on the shared server:
 *   /hooks/<instance>[/...]  platform webhooks → the instance's handler
 *   /healthz                 liveness
 *   /metrics                 Prometheus text
 *   /v1/status               instances, outputs, counters (JSON)
 *   POST /v1/actions         submit a parley.action.v1, answered with its result
 *   GET /v1/care             care figures of a period from the store (router_care.c)
 *   GET /, /console/...      the agent console's static files (router_console.c)
 *   GET /v1/journal          journal seq range, size, outputs' positions (router_journal.c)
 *   POST /v1/outputs/<name>/replay  deliver an output again from a seq (router_replay.c)
 *   GET /v1/events           accepted events as Server-Sent Events (router_events.c)
 *   GET /v1/inbox, GET /v1/conversations/<id>  the console's reads (router_inbox.c)
 *   GET /v1/stream           the store's committed changes as SSE (router_stream.c)
 * A webhook's 2xx is sent only once its events are in the journal. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parley/time.h"
#include "router.h"
#include "router_inbox.h"
#include "util.h"

#define RETRY_AFTER "Retry-After: 5"

struct parley_webhook {
  parley_httpd_req_t *req;
  const char *subpath;
};

const char *parley_webhook_method(const parley_webhook_t *wh) {
  return parley_httpd_req_method(wh->req);
}
const char *parley_webhook_path(const parley_webhook_t *wh) { return wh->subpath; }
const char *parley_webhook_header(const parley_webhook_t *wh, const char *name) {
  return parley_httpd_req_header(wh->req, name);
}
int parley_webhook_query(const parley_webhook_t *wh, const char *name, char *buf,
                         size_t buflen) {
  return parley_httpd_req_query_param(wh->req, name, buf, buflen);
}
const char *parley_webhook_body(const parley_webhook_t *wh, size_t *len) {
  return parley_httpd_req_body(wh->req, len);
}

void parley_router_respond_text(parley_httpd_req_t *req, int status, const char *text,
                                const char *const *headers) {
  parley_httpd_respond(req, status, "text/plain; charset=utf-8", text, strlen(text), headers);
}

void parley_router_respond_json(parley_httpd_req_t *req, int status, json_t *j) {
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (s)
    parley_httpd_respond(req, status, "application/json", s, strlen(s), NULL);
  else
    parley_router_respond_text(req, 500, "out of memory\n", NULL);
  free(s);
  json_decref(j);
}

static void unavailable(parley_httpd_req_t *req, const char *why) {
  static const char *const h[] = {RETRY_AFTER, NULL};
  parley_router_respond_text(req, 503, why, h);
}

/* A webhook answer held back until its events are committed. */
typedef struct held_reply {
  parley_httpd_req_t *req;
  int status;
  char *content_type;
  char *body;
  size_t len;
  uint64_t failures_before;
} held_reply_t;

static void held_committed(parley_instance_t *inst, int status, void *data) {
  held_reply_t *h = data;
  if (status == 0 && inst->r->commit_failures == h->failures_before)
    parley_httpd_respond(h->req, h->status, h->content_type, h->body, h->len, NULL);
  else
    unavailable(h->req, "events could not be stored; retry later\n");
  free(h->content_type);
  free(h->body);
  free(h);
}

static int hold(parley_instance_t *inst, parley_httpd_req_t *req,
                const parley_webhook_reply_t *rep, uint64_t failures_before) {
  held_reply_t *h = calloc(1, sizeof *h);
  if (!h)
    return PARLEY_ENOMEM;
  h->req = req;
  h->status = rep->status;
  h->content_type = parley_strdup(rep->content_type ? rep->content_type : "text/plain");
  h->len = rep->body ? rep->body_len : 0;
  h->body = malloc(h->len + 1);
  h->failures_before = failures_before;
  if (!h->content_type || !h->body) {
    free(h->content_type);
    free(h->body);
    free(h);
    return PARLEY_ENOMEM;
  }
  if (h->len)
    memcpy(h->body, rep->body, h->len);
  return parley_router_commit_later(inst->r, inst, held_committed, h);
}

static parley_instance_t *hook_target(parley_router_t *r, parley_httpd_req_t *req,
                                      const char **subpath) {
  const char *name = parley_httpd_req_path(req) + strlen("/hooks/");
  const char *slash = strchr(name, '/');
  size_t n = slash ? (size_t)(slash - name) : strlen(name);
  *subpath = slash ? slash : "";
  for (size_t i = 0; i < r->n_instances; i++)
    if (strlen(r->instances[i]->name) == n && strncmp(r->instances[i]->name, name, n) == 0)
      return r->instances[i];
  return NULL;
}

static void on_hook(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  const char *subpath;
  parley_instance_t *inst = hook_target(r, req, &subpath);
  if (!inst || !inst->desc->webhook) {
    parley_router_respond_text(req, 404, "no webhook here\n", NULL);
    return;
  }
  parley_metrics_add(r->metrics, "parley_webhook_requests_total", inst->labels, 1);
  if (inst->run != PARLEY_INST_RUNNING || r->run != PARLEY_ROUTER_RUNNING ||
      (r->paused && strcmp(parley_httpd_req_method(req), "POST") == 0)) {
    parley_metrics_add(r->metrics, "parley_webhook_refused_total", inst->labels, 1);
    unavailable(req, r->paused ? "paused: the undelivered backlog is over its bound; retry later\n"
                               : "busy; retry later\n");
    return;
  }
  struct parley_webhook wh = {req, subpath};
  parley_webhook_reply_t rep = {0};
  uint64_t staged_before = inst->staged, failures_before = r->commit_failures;
  inst->desc->webhook(inst->state, &wh, &rep);
  if (rep.status < 100 || rep.status > 599)
    rep = (parley_webhook_reply_t){.status = 500, .body = "connector gave no answer\n"};
  if (rep.status / 100 == 2 && inst->staged != staged_before) {
    if (hold(inst, req, &rep, failures_before) != 0)
      unavailable(req, "out of memory\n");
    return;
  }
  parley_httpd_respond(req, rep.status, rep.content_type ? rep.content_type : "text/plain",
                       rep.body ? rep.body : "", rep.body ? rep.body_len : 0, NULL);
}

static void on_healthz(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (!parley_router_method_ok(req, "GET"))
    return;
  int ok = r->run == PARLEY_ROUTER_RUNNING;
  parley_router_respond_json(req, ok ? 200 : 503, json_pack("{s:s}", "status", ok ? "ok" : "stopping"));
}

static void http_counter(parley_router_t *r, const char *name, const char *labels, uint64_t v) {
  uint64_t *p = parley_metrics_counter(r->metrics, name, labels);
  if (p)
    *p = v;
}

/* The HTTP server's own counts (parley_httpd_stats) as metrics. */
static void http_metrics(parley_router_t *r) {
  parley_httpd_stats_t st = {0};
  parley_httpd_stats(r->httpd, &st);
  double *g = parley_metrics_gauge(r->metrics, "parley_http_connections", NULL);
  if (g)
    *g = (double)st.connections;
  if ((g = parley_metrics_gauge(r->metrics, "parley_http_client_addresses", NULL)))
    *g = (double)st.addresses;
  if ((g = parley_metrics_gauge(r->metrics, "parley_event_streams", "channel=\"events\"")))
    *g = (double)parley_sse_count(r->sse, PARLEY_SSE_EVENTS);
  if ((g = parley_metrics_gauge(r->metrics, "parley_event_streams", "channel=\"stream\"")))
    *g = (double)parley_sse_count(r->sse, PARLEY_SSE_STREAM);
  http_counter(r, "parley_http_accepted_total", NULL, st.accepted);
  http_counter(r, "parley_http_evicted_total", NULL, st.evicted);
  http_counter(r, "parley_http_closed_max_requests_total", NULL, st.closed_max_requests);
  static const char *const R = "parley_http_rejected_total";
  http_counter(r, R, "reason=\"max_connections\"", st.rejected_max_connections);
  http_counter(r, R, "reason=\"per_client\"", st.rejected_per_client);
  http_counter(r, R, "reason=\"fd_limit\"", st.rejected_fd_limit);
  http_counter(r, R, "reason=\"request_line_too_long\"", st.rejected_line_too_long);
  http_counter(r, R, "reason=\"header_too_large\"", st.rejected_header_too_large);
  http_counter(r, R, "reason=\"too_many_headers\"", st.rejected_too_many_headers);
  static const char *const T = "parley_http_timeouts_total";
  http_counter(r, T, "phase=\"idle\"", st.timeouts_idle);
  http_counter(r, T, "phase=\"header\"", st.timeouts_header);
  http_counter(r, T, "phase=\"body\"", st.timeouts_body);
}

static void on_metrics(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (!parley_router_admin_gate(r, req, "GET"))
    return;
  http_metrics(r);
  parley_router_backlog_gauges(r);
  parley_care_live_refresh(r->care, parley_time_now());
  char *text = parley_metrics_text(r->metrics);
  parley_httpd_respond(req, 200, "text/plain; version=0.0.4", text ? text : "",
                       text ? strlen(text) : 0, NULL);
  free(text);
}

static void on_status(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_respond_json(req, 200, parley_router_status(r));
}

static void on_care(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_care_request(r, req);
}

static void on_console(parley_httpd_req_t *req, void *data) {
  parley_router_console_request(data, req);
}

static void on_inbox(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_inbox_request(r, req);
}

static void on_conversation(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_conversation_request(r, req);
}

static void on_stream(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_stream_request(r, req);
}

static void on_journal(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_journal_request(r, req);
}

static void on_outputs(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "POST"))
    parley_router_replay_request(r, req);
}

static void on_events(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (parley_router_admin_gate(r, req, "GET"))
    parley_router_events_request(r, req);
}

static void action_answered(parley_router_t *r, const char *key,
                            const parley_action_result_t *res, void *data) {
  (void)r;
  char *json = NULL;
  size_t len = 0;
  int status = res->status == 0 ? 200 : res->status == PARLEY_EDUP ? 409 : 502;
  if (parley_action_result_to_json(key, res, &json, &len) == 0)
    parley_httpd_respond(data, status, "application/json", json, len, NULL);
  else
    parley_router_respond_text(data, 500, "out of memory\n", NULL);
  free(json);
}

/* An agent's token or session names the agent of what it asks; only the
 * admin (a tool acting for many people) may name another agent. */
static int action_agent(parley_router_t *r, parley_httpd_req_t *req, parley_action_t *a,
                        parley_error_t *err) {
  const char *agent = parley_router_req_agent(r, req);
  if (!agent || strcmp(agent, "admin") == 0)
    return 0;
  const char *named = parley_action_agent(a);
  if (named && strcmp(named, agent) != 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "agent: %s may not act as %s (the token is %s's)", agent, named,
                            agent);
  return parley_action_set_agent(a, agent) == 0 ? 0 : parley_error_set(err, PARLEY_ENOMEM,
                                                                       "out of memory");
}

static void on_actions(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (!parley_router_admin_gate(r, req, "POST"))
    return;
  size_t len;
  const char *body = parley_httpd_req_body(req, &len);
  parley_action_t *a = NULL;
  parley_error_t err = {0};
  int rc = parley_action_from_json(body, len, &a, &err);
  if (rc == 0)
    rc = action_agent(r, req, a, &err);
  if (rc == 0)
    rc = parley_router_submit_action(r, a, action_answered, req, &err);
  parley_action_free(a);
  if (rc) {
    parley_router_respond_json(req, rc == PARLEY_ENOENT ? 404 : rc == PARLEY_ESTATE ? 503 : 400,
                 json_pack("{s:s,s:s}", "error", parley_err_name(rc), "message", err.message));
  }
}

int parley_router_http_start(parley_router_t *r, parley_error_t *err) {
  if (!r->cfg->listen || !*r->cfg->listen)
    return 0;
  int rc = parley_router_auth_start(r, err);
  if (rc)
    return rc;
  parley_httpd_options_t o = {.listen = r->cfg->listen,
                              .max_body = r->cfg->max_body ? r->cfg->max_body : 1 << 20,
                              .max_connections = r->cfg->max_connections ? r->cfg->max_connections
                                                                         : 1024,
                              .limits = {
                                  .header_timeout_ms = (uint64_t)r->cfg->http.header_timeout_ms,
                                  .body_timeout_ms = (uint64_t)r->cfg->http.body_timeout_ms,
                                  .idle_timeout_ms = (uint64_t)r->cfg->http.idle_timeout_ms,
                                  .max_per_client = r->cfg->http.max_per_client,
                                  .max_header_bytes = r->cfg->http.max_header_bytes,
                                  .max_headers = r->cfg->http.max_headers,
                                  .max_request_line = r->cfg->http.max_request_line,
                                  .max_requests = r->cfg->http.max_requests,
                              }};
  rc = parley_httpd_new(&r->httpd, r->loop, &o, err);
  if (rc == 0 && (rc = parley_sse_new(&r->sse, r->loop,
                                      (uint64_t)r->cfg->http.stream_keepalive_ms)) != 0)
    parley_error_set(err, rc, "http: cannot start the event streams");
  if (rc)
    return rc;
  parley_httpd_route(r->httpd, "/hooks/", on_hook, r);
  parley_httpd_route(r->httpd, "/healthz", on_healthz, r);
  parley_httpd_route(r->httpd, "/metrics", on_metrics, r);
  parley_httpd_route(r->httpd, "/v1/status", on_status, r);
  parley_httpd_route(r->httpd, "/v1/actions", on_actions, r);
  parley_httpd_route(r->httpd, "/v1/care", on_care, r);
  parley_httpd_route(r->httpd, "/v1/journal", on_journal, r);
  parley_httpd_route(r->httpd, "/v1/outputs/", on_outputs, r);
  parley_httpd_route(r->httpd, "/v1/events", on_events, r);
  parley_httpd_route(r->httpd, "/v1/inbox", on_inbox, r);
  parley_httpd_route(r->httpd, "/v1/stream", on_stream, r);
  parley_httpd_route(r->httpd, "/v1/conversations/", on_conversation, r);
  parley_router_login_routes(r);
  parley_httpd_route(r->httpd, "/", on_console, r);
  parley_router_stream_watch(r);
  parley_log(PARLEY_LOG_INFO, "http", "listening on %s (port %d)", r->cfg->listen,
             parley_httpd_port(r->httpd));
  return 0;
}
