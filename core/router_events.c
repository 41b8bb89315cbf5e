/* parley core — GET /v1/events?match=<expr>: the events the router accepts,
 * live, as Server-Sent Events (for `parleyctl tail`). The expression is a
 * route match in its string form ("platform=twitter,kind=mention", see
 * parley_config_parse_match), checked with the routes' own matcher, so a
 * tail shows exactly what a route with that match would receive. A client
 * that says where it stopped (Last-Event-ID, as EventSource does when it
 * reconnects, or ?after=<seq>) first gets what it missed from the journal:
 * at most PARLEY_EVENTS_REPLAY_MAX events, read on the loop (a bound on
 * the stall), and an "event: gap" naming what could not be replayed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

#define PARLEY_MATCH_MAX 2048
#define PARLEY_EVENTS_REPLAY_MAX 5000

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

/* ---- resuming ---- */

typedef struct replay {
  parley_router_t *r;
  const parley_conf_route_t *match;
  int64_t after;  /* the last seq the client has */
  int64_t head;   /* the last seq published before it subscribed */
  int64_t sent;   /* the last seq written in the replay */
} replay_t;

/* The seq a client resumes after, in *after: Last-Event-ID, else ?after=;
 * -1 for neither. PARLEY_EINVAL (with why) for one that is not a seq. */
static int resume_point(parley_httpd_req_t *req, int64_t *after, char *why, size_t whylen) {
  char q[32];
  const char *name = "Last-Event-ID", *v = parley_httpd_req_header(req, "last-event-id");
  *after = -1;
  if (!v || !*v) {
    int n = parley_httpd_req_query_param(req, "after", q, sizeof q);
    if (n == PARLEY_ENOENT)
      return 0;
    name = "after";
    v = n < 0 ? "" : q;
  }
  char *end = NULL;
  errno = 0;
  long long seq = *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : -1;
  if (seq < 0 || errno || *end) {
    snprintf(why, whylen, "%s: expected the seq (id:) of the last event received", name);
    return PARLEY_EINVAL;
  }
  *after = seq;
  return 0;
}

static int send_gap(parley_sse_sub_t *s, int64_t from, int64_t to, const char *reason) {
  char data[160];
  int n = snprintf(data, sizeof data, "{\"from\":%" PRId64 ",\"to\":%" PRId64 ",\"reason\":\"%s\"}",
                   from, to, reason);
  return parley_sse_send(s, NULL, "gap", data, (size_t)n);
}

typedef struct replay_read {
  replay_t *rp;
  parley_sse_sub_t *s;
} replay_read_t;

static int replay_one(int64_t seq, const char *id, const char *json, size_t len, void *data) {
  replay_read_t *rr = data;
  parley_event_t *ev = NULL;
  char sid[24];
  (void)id;
  if (seq > rr->rp->head)
    return 1;
  rr->rp->sent = seq;
  if (len == 0 || parley_event_from_json(json, len, &ev, NULL) != 0)
    return 0; /* pruned meanwhile, or unreadable: the journal logged it */
  int wanted = parley_route_matches(rr->rp->match, ev);
  parley_event_free(ev);
  snprintf(sid, sizeof sid, "%" PRId64, seq);
  return wanted && parley_sse_send(rr->s, sid, "event", json, len) != 0;
}

/* What the client missed: (after, head], the newest REPLAY_MAX of it whose
 * bodies the journal still has; a gap message says what is left out. */
static void replay(parley_sse_sub_t *s, void *data) {
  replay_t *rp = data;
  parley_journal_t *j = rp->r->journal;
  rp->head = rp->r->last_seq;
  if (rp->after >= rp->head)
    return;
  int64_t start = rp->after, pruned = parley_journal_pruned_seq(j);
  const char *reason = NULL;
  if (rp->head - start > PARLEY_EVENTS_REPLAY_MAX) {
    start = rp->head - PARLEY_EVENTS_REPLAY_MAX;
    reason = "too_many";
  }
  if (pruned > start) {
    start = pruned < rp->head ? pruned : rp->head;
    reason = "pruned";
  }
  if (reason && send_gap(s, rp->after + 1, start, reason) != 0)
    return;
  replay_read_t rr = {rp, s};
  rp->sent = start;
  if (parley_journal_read(j, start, (size_t)(rp->head - start), replay_one, &rr) != 0 &&
      rp->sent < rp->head)
    send_gap(s, rp->sent + 1, rp->head, "journal_error");
}

void parley_router_events_request(parley_router_t *r, parley_httpd_req_t *req) {
  char expr[PARLEY_MATCH_MAX], why[192], msg[320];
  int64_t after;
  if (resume_point(req, &after, why, sizeof why) != 0) {
    bad_request(req, PARLEY_EINVAL, why);
    return;
  }
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
  replay_t rp = {.r = r, .match = m, .after = after};
  parley_sse_subscribe_replay(r->sse, req, PARLEY_SSE_EVENTS, event_wanted, m, match_free,
                              after >= 0 ? replay : NULL, &rp);
}

void parley_router_events_publish(parley_router_t *r, const parley_event_t *ev, int64_t seq,
                                  const char *json, size_t len) {
  char id[24];
  if (!json || parley_sse_count(r->sse, PARLEY_SSE_EVENTS) == 0)
    return;
  snprintf(id, sizeof id, "%" PRId64, seq);
  parley_sse_publish(r->sse, PARLEY_SSE_EVENTS, id, "event", json, len, ev);
}
