/* parley core — POST /v1/outputs/<name>/replay {"from": <seq>}: deliver an
 * output's events again from a journal position (docs/journal.md,
 * "Replay"). The output's cursor moves back to from - 1 and the events are
 * read back from the journal like any backlog; routes are applied again,
 * so only the events that match the output go out. A replay can only go
 * back (moving a cursor forward would skip events) and only as far as
 * retention left the bodies. */
#include <stdio.h>
#include <string.h>

#include "router.h"

#define REPLAY_PREFIX "/v1/outputs/"

static void replay_error(parley_httpd_req_t *req, int status, int code, const char *message) {
  parley_router_respond_json(req, status, json_pack("{s:s,s:s}", "error", parley_err_name(code),
                                                    "message", message));
}

/* The output named by the path /v1/outputs/<name>/replay; NULL when the
 * path has another shape (*bad set) or no output has that name. */
static parley_output_t *replay_target(parley_router_t *r, const char *path, int *bad) {
  const char *name = path + strlen(REPLAY_PREFIX);
  const char *slash = strchr(name, '/');
  *bad = !slash || slash == name || strcmp(slash, "/replay") != 0;
  if (*bad)
    return NULL;
  size_t n = (size_t)(slash - name);
  for (size_t i = 0; i < r->n_outputs; i++)
    if (strlen(r->outputs[i]->name) == n && strncmp(r->outputs[i]->name, name, n) == 0)
      return r->outputs[i];
  return NULL;
}

/* The "from" of the body: 0 with *from set, else an answer was sent. */
static int replay_from(parley_httpd_req_t *req, int64_t *from) {
  size_t len;
  const char *body = parley_httpd_req_body(req, &len);
  json_error_t jerr;
  json_t *j = json_loadb(body ? body : "", len, 0, &jerr);
  json_t *f = j ? json_object_get(j, "from") : NULL;
  int ok = f && json_is_integer(f) && json_integer_value(f) >= 1;
  if (ok)
    *from = json_integer_value(f);
  json_decref(j);
  if (!ok)
    replay_error(req, 400, PARLEY_EINVAL,
                 j ? "from: expected an integer journal seq >= 1, e.g. {\"from\": 120}"
                   : "body: expected a JSON object {\"from\": <seq>}");
  return ok ? 0 : -1;
}

/* Whether from is a position the output can go back to; answers when not. */
static int replay_allowed(parley_router_t *r, parley_output_t *o, int64_t from,
                          parley_httpd_req_t *req) {
  char msg[256];
  int64_t pruned = parley_journal_pruned_seq(r->journal);
  if (from > r->last_seq) {
    snprintf(msg, sizeof msg, "from: %lld is after the last event in the journal (last_seq %lld)",
             (long long)from, (long long)r->last_seq);
    replay_error(req, 400, PARLEY_EINVAL, msg);
  } else if (from <= pruned) {
    snprintf(msg, sizeof msg,
             "from: the events up to seq %lld were pruned by retention; replay from %lld or later",
             (long long)pruned, (long long)pruned + 1);
    replay_error(req, 409, PARLEY_ESTATE, msg);
  } else if (from - 1 > o->cursor) {
    snprintf(msg, sizeof msg,
             "from: output %s has delivered up to seq %lld only; a replay goes back, it never "
             "skips events (use a from <= %lld)",
             o->name, (long long)o->cursor, (long long)o->cursor + 1);
    replay_error(req, 409, PARLEY_ESTATE, msg);
  } else {
    return 1;
  }
  return 0;
}

void parley_router_replay_request(parley_router_t *r, parley_httpd_req_t *req) {
  int bad;
  parley_output_t *o = replay_target(r, parley_httpd_req_path(req), &bad);
  if (!o) {
    char msg[160];
    snprintf(msg, sizeof msg, bad ? "path: expected /v1/outputs/<name>/replay"
                                  : "no output of that name (see GET /v1/status for the outputs)");
    replay_error(req, 404, PARLEY_ENOENT, msg);
    return;
  }
  int64_t from;
  if (replay_from(req, &from) != 0)
    return;
  if (r->run != PARLEY_ROUTER_RUNNING || !r->journal || !o->opened) {
    replay_error(req, 503, PARLEY_ESTATE, "the router is not running");
    return;
  }
  if (!replay_allowed(r, o, from, req))
    return;
  parley_output_rewind(o, from - 1);
  parley_router_respond_json(req, 200,
                             json_pack("{s:s,s:I,s:I,s:I}", "output", o->name, "from",
                                       (json_int_t)from, "cursor", (json_int_t)(from - 1),
                                       "events", (json_int_t)(r->last_seq - from + 1)));
}
