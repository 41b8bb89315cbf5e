/* parley core — actions: validated, deduplicated by idempotency key in the
 * journal, routed to the owning connector instance, and their result
 * recorded so a repeated key gets the first result instead of a second
 * reply on the platform. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "router.h"

/* The owner: the named connector instance; else the instance of the
 * action's platform whose events carry the action's account (or whose name
 * is that account); else the only instance of that platform. */
static parley_instance_t *owner(parley_router_t *r, const parley_action_t *a) {
  if (parley_action_connector(a))
    return parley_router_find_instance(r, parley_action_connector(a));
  const char *platform = parley_action_platform(a);
  parley_instance_t *found = NULL;
  size_t matches = 0;
  for (size_t i = 0; platform && i < r->n_instances; i++) {
    parley_instance_t *inst = r->instances[i];
    if (strcmp(inst->desc->platform, platform) != 0)
      continue;
    const char *account = parley_action_account(a);
    if (account && (strcmp(inst->name, account) == 0 ||
                    (inst->account && strcmp(inst->account, account) == 0)))
      return inst;
    found = inst;
    matches++;
  }
  return matches == 1 ? found : NULL;
}

static void finish(parley_router_t *r, const char *key, const parley_action_result_t *res,
                   parley_action_cb cb, void *data) {
  if (cb)
    cb(r, key, res, data);
}

/* The status a stored parley.action_result.v1 document records. */
static int stored_status(json_t *j) {
  const char *status = json_string_value(json_object_get(j, "status"));
  const char *name = json_string_value(json_object_get(j, "error"));
  if (status && strcmp(status, "done") == 0)
    return 0;
  for (int code = -1; name && code >= -64; code--)
    if (strcmp(parley_err_name(code), name) == 0)
      return code;
  return PARLEY_EPLATFORM;
}

/* A key seen before: answer with the stored result, the same answer the
 * first submission got (or "in progress" while it is still running). */
static void replay(parley_router_t *r, const char *key, char *stored, parley_action_cb cb,
                   void *data) {
  json_t *j = stored ? json_loads(stored, 0, NULL) : NULL;
  parley_action_result_t res = {.status = PARLEY_EDUP,
                                .message = "action with this idempotency key already performed"};
  if (j) {
    res.status = stored_status(j);
    res.platform_id = json_string_value(json_object_get(j, "platform_id"));
    res.http_status = (int)json_integer_value(json_object_get(j, "http_status"));
    res.error_code = json_string_value(json_object_get(j, "error_code"));
    res.message = json_string_value(json_object_get(j, "message"));
  } else if (!stored) {
    res.message = "action with this idempotency key is still in progress";
  }
  finish(r, key, &res, cb, data);
  json_decref(j);
}

int parley_router_submit_action(parley_router_t *r, const parley_action_t *action,
                                parley_action_cb cb, void *data, parley_error_t *err) {
  int rc = parley_action_validate(action, err);
  if (rc)
    return rc;
  if (r->run != PARLEY_ROUTER_RUNNING)
    return parley_error_set(err, PARLEY_ESTATE, "router is not running");
  parley_instance_t *inst = owner(r, action);
  if (!inst)
    return parley_error_set(err, PARLEY_ENOENT,
                            "no connector instance owns this action (connector '%s', platform '%s')",
                            parley_action_connector(action) ? parley_action_connector(action) : "",
                            parley_action_platform(action) ? parley_action_platform(action) : "");
  if (!inst->desc->action)
    return parley_error_set(err, PARLEY_ENOTSUP, "connector %s performs no actions", inst->name);
  const char *key = parley_action_idempotency_key(action);
  char *stored = NULL;
  rc = parley_journal_action_begin(r->journal, key, inst->name, &stored);
  if (rc == PARLEY_EDUP) {
    replay(r, key, stored, cb, data);
    free(stored);
    return 0;
  }
  if (rc)
    return parley_error_set(err, rc, "journal: cannot record action %s", key);
  parley_action_req_t *req = calloc(1, sizeof *req);
  if (!req || !(req->action = parley_action_clone(action))) {
    free(req);
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  *req = (parley_action_req_t){r, inst, req->action, cb, data};
  parley_metrics_add(r->metrics, "parley_actions_total", inst->labels, 1);
  inst->desc->action(inst->state, req);
  return 0;
}

const parley_action_t *parley_action_req_action(parley_action_req_t *req) {
  return req->action;
}

void parley_action_req_done(parley_action_req_t *req, const parley_action_result_t *res) {
  parley_router_t *r = req->r;
  const char *key = parley_action_idempotency_key(req->action);
  char *json = NULL;
  size_t len = 0;
  if (parley_action_result_to_json(key, res, &json, &len) == 0)
    parley_journal_action_finish(r->journal, key, json);
  free(json);
  if (res->status) {
    parley_metrics_add(r->metrics, "parley_actions_failed_total", req->inst->labels, 1);
    parley_log(PARLEY_LOG_WARN, req->inst->name, "action %s failed: %s", key,
               res->message ? res->message : parley_strerror(res->status));
  }
  finish(r, key, res, req->cb, req->data);
  parley_action_free(req->action);
  free(req);
}
