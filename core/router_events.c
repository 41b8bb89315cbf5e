/* parley core — GET /v1/events?match=<expr>: the events the router accepts,
 * live, as Server-Sent Events (for `parleyctl tail`). The expression is a
 * route match in its string form ("platform=twitter,kind=mention", see
 * parley_config_parse_match), checked with the routes' own matcher, so a
 * tail shows exactly what a route with that match would receive. Nothing
 * is replayed: the stream starts with the next accepted event. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

#define PARLEY_MATCH_MAX 2048

static int event_wanted(const void *sub_data, const void *msg) {
  return parley_route_matches(sub_data, msg);
}

static void match_free(void *p) {
  parley_config_match_free(p);
  free(p);
}

static void bad_request(parley_httpd_req_t *req, int code, const char *message) {
  parley_router_respond_json(req, 400, json_pack("{s:s,s:s}", "error", parley_err_name(code),
                                                 "message", message));
}

void parley_router_events_request(parley_router_t *r, parley_httpd_req_t *req) {
  char expr[PARLEY_MATCH_MAX], why[192], msg[320];
  int n = parley_httpd_req_query_param(req, "match", expr, sizeof expr);
  if (n == PARLEY_ENOBUFS) {
    bad_request(req, PARLEY_EINVAL, "match: longer than 2047 bytes");
    return;
  }
  if (n == PARLEY_ENOENT)
    expr[0] = '\0';
  parley_conf_route_t *m = malloc(sizeof *m);
  if (!m) {
    parley_router_respond_text(req, 500, "out of memory\n", NULL);
    return;
  }
  int rc = parley_config_parse_match(expr, m, why, sizeof why);
  if (rc) {
    free(m);
    snprintf(msg, sizeof msg, "match: %s", why);
    bad_request(req, rc, msg);
    return;
  }
  if (r->run != PARLEY_ROUTER_RUNNING) {
    match_free(m);
    parley_router_respond_text(req, 503, "stopping\n", NULL);
    return;
  }
  parley_sse_subscribe(r->sse, req, PARLEY_SSE_EVENTS, event_wanted, m, match_free);
}

void parley_router_events_publish(parley_router_t *r, const parley_event_t *ev, int64_t seq,
                                  const char *json, size_t len) {
  char id[24];
  if (!json || parley_sse_count(r->sse, PARLEY_SSE_EVENTS) == 0)
    return;
  snprintf(id, sizeof id, "%" PRId64, seq);
  parley_sse_publish(r->sse, PARLEY_SSE_EVENTS, id, "event", json, len, ev);
}
