/* parley core — actions: validated, deduplicated by idempotency key in the
 * journal, routed to the owning connector instance, and their result
 * recorded so a repeated key gets the first result instead of a second
 * reply on the platform. assign and resolve go to no connector: the core
 * applies them to its sqlite store output(s) through the output type's
 * apply_action hook, and names a reply's agent on the message it created. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parley/time.h"
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

/* ---- assign and resolve: the core's own actions on the store ---- */

static int is_store_action(const parley_action_t *a) {
  parley_action_type_t t = parley_action_type(a);
  return t == PARLEY_ACTION_ASSIGN || t == PARLEY_ACTION_RESOLVE;
}

/* Run op on every sqlite store output (the outputs whose type has
 * apply_action). 0 when at least one holds the conversation (op->changed
 * and op->platform then say what happened there); PARLEY_ENOTSUP without a
 * store; PARLEY_ENOENT when none holds it; or the first failure. Each
 * store changes in its own transaction. */
static int each_store(parley_router_t *r, parley_output_action_t *op, parley_error_t *err) {
  size_t stores = 0, found = 0;
  int changed = 0;
  char platform[sizeof op->platform] = "";
  for (size_t i = 0; i < r->n_outputs; i++) {
    parley_output_t *o = r->outputs[i];
    if (!o->type->apply_action)
      continue;
    stores++;
    if (!o->opened)
      return parley_error_set(err, PARLEY_ESTATE, "store output %s is not open", o->name);
    op->changed = 0;
    op->platform[0] = '\0';
    int rc = o->type->apply_action(o->state, op, err);
    if (rc == PARLEY_ENOENT && !op->sent_id)
      continue;
    if (rc)
      return rc;
    found++;
    changed |= op->changed;
    if (!platform[0])
      snprintf(platform, sizeof platform, "%s", op->platform);
  }
  if (!stores)
    return parley_error_set(err, PARLEY_ENOTSUP, "assign/resolve need a sqlite store output");
  if (!found)
    return parley_error_set(err, PARLEY_ENOENT, "conversation %s is not in the store",
                            parley_action_conversation_id(op->action)
                                ? parley_action_conversation_id(op->action)
                                : "");
  op->changed = changed;
  snprintf(op->platform, sizeof op->platform, "%s", platform);
  return 0;
}

/* The live care metrics (care_live.h) learn of a resolved conversation. */
static void care_resolved(parley_router_t *r, const parley_action_t *a, const char *platform,
                          int64_t at_ms) {
  if (r->care)
    parley_care_live_resolved(r->care, parley_action_conversation_id(a), platform,
                              parley_action_agent(a), at_ms);
}

static void store_message(const parley_action_t *a, const parley_output_action_t *op, char *buf,
                          size_t len) {
  const char *conv = parley_action_conversation_id(a);
  if (parley_action_type(a) == PARLEY_ACTION_RESOLVE)
    snprintf(buf, len, "conversation %s %s", conv,
             op->changed ? "resolved" : "was already resolved");
  else
    snprintf(buf, len, "conversation %s %s %s", conv,
             op->changed ? "assigned to" : "was already assigned to", parley_action_assign_to(a));
}

/* Record, count and answer the outcome of a store action. */
static void store_done(parley_router_t *r, const parley_action_t *a,
                       const parley_output_action_t *op, const parley_action_result_t *res,
                       parley_action_cb cb, void *data) {
  const char *key = parley_action_idempotency_key(a);
  char *json = NULL, labels[64];
  if (parley_action_result_to_json(key, res, &json, NULL) == 0)
    parley_journal_action_finish(r->journal, key, json);
  free(json);
  snprintf(labels, sizeof labels, "type=\"%s\"", parley_action_type_name(parley_action_type(a)));
  parley_metrics_add(r->metrics, "parley_store_actions_total", labels, 1);
  if (res->status) {
    parley_metrics_add(r->metrics, "parley_store_actions_failed_total", labels, 1);
    parley_log(PARLEY_LOG_WARN, "store", "action %s failed: %s", key, res->message);
  } else if (op->changed && parley_action_type(a) == PARLEY_ACTION_RESOLVE) {
    care_resolved(r, a, op->platform, op->at_ms);
  }
  finish(r, key, res, cb, data);
}

/* Record the key before the action runs; a key seen before is answered
 * with its stored result instead (*replayed set). */
static int begin(parley_router_t *r, const char *key, const char *instance, parley_action_cb cb,
                 void *data, int *replayed, parley_error_t *err) {
  char *stored = NULL;
  int rc = parley_journal_action_begin(r->journal, key, instance, &stored);
  if (rc == PARLEY_EDUP) {
    replay(r, key, stored, cb, data);
    free(stored);
    *replayed = 1;
    return 0;
  }
  return rc ? parley_error_set(err, rc, "journal: cannot record action %s", key) : 0;
}

/* Performed now, on the loop: the store writes are one short transaction
 * each. The conversation is looked up before the key is recorded, so one
 * that has not reached the store yet is refused (PARLEY_ENOENT) and the
 * same key can be tried again. */
static int submit_store(parley_router_t *r, const parley_action_t *a, parley_action_cb cb,
                        void *data, parley_error_t *err) {
  const char *key = parley_action_idempotency_key(a);
  parley_output_action_t op = {.action = a, .check_only = 1};
  int rc = each_store(r, &op, err);
  if (rc)
    return rc;
  int replayed = 0;
  if ((rc = begin(r, key, NULL, cb, data, &replayed, err)) != 0 || replayed)
    return rc;
  op = (parley_output_action_t){.action = a, .at_ms = parley_time_now()};
  parley_error_t e = {0};
  char msg[PARLEY_ERROR_MAX];
  rc = each_store(r, &op, &e);
  if (rc == 0)
    store_message(a, &op, msg, sizeof msg);
  parley_action_result_t res = {.status = rc, .message = rc ? e.message : msg};
  store_done(r, a, &op, &res, cb, data);
  return 0;
}

/* A reply or DM that named its agent succeeded: the stores name the agent
 * on the message it created, the outbound event "<platform>:<platform id>"
 * the connector emits (or the platform later reports). A failure here
 * costs the name, not the reply: logged. */
static void record_sender(parley_router_t *r, parley_instance_t *inst, const parley_action_t *a,
                          const char *platform_id) {
  const char *platform = inst->desc->platform;
  size_t plen = strlen(platform);
  char id[1024];
  if (strncmp(platform_id, platform, plen) == 0 && platform_id[plen] == ':')
    snprintf(id, sizeof id, "%s", platform_id); /* already an event id */
  else
    snprintf(id, sizeof id, "%s:%s", platform, platform_id);
  parley_output_action_t op = {.action = a, .at_ms = parley_time_now(), .sent_id = id};
  parley_error_t err = {0};
  int rc = each_store(r, &op, &err);
  if (rc && rc != PARLEY_ENOTSUP)
    parley_log_instance(PARLEY_LOG_WARN, "connector", inst->name,
                        "action %s: agent not recorded: %s", parley_action_idempotency_key(a),
                        err.message);
}

int parley_router_submit_action(parley_router_t *r, const parley_action_t *action,
                                parley_action_cb cb, void *data, parley_error_t *err) {
  int rc = parley_action_validate(action, err);
  if (rc)
    return rc;
  if (r->run != PARLEY_ROUTER_RUNNING)
    return parley_error_set(err, PARLEY_ESTATE, "router is not running");
  if (is_store_action(action))
    return submit_store(r, action, cb, data, err);
  parley_instance_t *inst = owner(r, action);
  if (!inst)
    return parley_error_set(err, PARLEY_ENOENT,
                            "no connector instance owns this action (connector '%s', platform '%s')",
                            parley_action_connector(action) ? parley_action_connector(action) : "",
                            parley_action_platform(action) ? parley_action_platform(action) : "");
  if (!inst->desc->action)
    return parley_error_set(err, PARLEY_ENOTSUP, "connector %s performs no actions", inst->name);
  const char *key = parley_action_idempotency_key(action);
  int replayed = 0;
  if ((rc = begin(r, key, inst->name, cb, data, &replayed, err)) != 0 || replayed)
    return rc;
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
    parley_log_instance(PARLEY_LOG_WARN, "connector", req->inst->name, "action %s failed: %s", key,
                        res->message ? res->message : parley_strerror(res->status));
  } else if (parley_action_agent(req->action) && res->platform_id && *res->platform_id) {
    record_sender(r, req->inst, req->action, res->platform_id);
  }
  finish(r, key, res, req->cb, req->data);
  parley_action_free(req->action);
  free(req);
}
