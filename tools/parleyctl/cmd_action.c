/* parleyctl reply | dm | hide | resolve | assign — submit a
 * parley.action.v1 (built by action_build.c) to POST /v1/actions and print
 * its result. Without --key a fresh idempotency key is generated and
 * printed, so that the same action can be retried safely with --key.
 * Without --connector, the connector is looked up in /v1/status: the one
 * connector on the platform of the target (or conversation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "format.h"

#define COMMON_OPTS {"connector", 1}, {"platform", 1}, {"account", 1}, {"agent", 1}, {"key", 1}

static const parley_ctl_opt_t reply_opts[] = {COMMON_OPTS, {"conversation", 1}, {"private", 0}};
static const parley_ctl_opt_t dm_opts[] = {COMMON_OPTS, {"conversation", 1}, {"recipient", 1}};
static const parley_ctl_opt_t hide_opts[] = {COMMON_OPTS, {"undo", 0}};
static const parley_ctl_opt_t store_opts[] = {{"agent", 1}, {"key", 1}};

/* The one connector on the action's platform, from /v1/status, into buf. */
static int find_connector(parley_ctl_t *ctl, const parley_ctl_action_in_t *in, char *buf,
                          size_t len) {
  char platform[64];
  if (parley_ctl_action_platform(in, platform, sizeof platform) != 0) {
    parley_ctl_err("%s: cannot tell the platform from the target or conversation id: "
                   "pass --connector", in->command);
    return PARLEY_CTL_EUSAGE;
  }
  json_t *st;
  int rc = parley_ctl_get_json(ctl, "/v1/status", &st);
  if (rc)
    return rc;
  size_t i, found = 0;
  json_t *c;
  char names[512] = "";
  json_array_foreach(json_object_get(st, "connectors"), i, c) {
    const char *p = parley_ctl_str(c, "platform"), *name = parley_ctl_str(c, "name");
    if (!p || !name || strcmp(p, platform) != 0)
      continue;
    if (found++ == 0)
      snprintf(buf, len, "%s", name);
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", name);
  }
  json_decref(st);
  if (found == 1)
    return PARLEY_CTL_OK;
  if (found == 0)
    parley_ctl_err("%s: no connector on platform '%s' runs in parleyd: pass --connector",
                   in->command, platform);
  else
    parley_ctl_err("%s: several connectors on %s (%s): pass --connector", in->command,
                   platform, names);
  return PARLEY_CTL_EUSAGE;
}

/* The result document of an action, for people; exit code by status. */
static int print_result(const parley_ctl_t *ctl, const char *key, const char *body, size_t len) {
  json_t *res = json_loadb(body, len, 0, NULL);
  const char *status = parley_ctl_str(res, "status");
  if (!status) {
    json_decref(res);
    return -1; /* not a result: the caller reports the HTTP error */
  }
  int done = strcmp(status, "done") == 0;
  if (ctl->json) {
    parley_ctl_print_json(res);
  } else if (done) {
    const char *pid = parley_ctl_str(res, "platform_id");
    printf("done%s%s (key %s)\n", pid ? ": platform id " : "", pid ? pid : "", key);
  } else {
    const char *code = parley_ctl_str(res, "error_code"), *msg = parley_ctl_str(res, "message");
    int64_t hs = parley_ctl_int(res, "http_status");
    fprintf(stderr, "parleyctl: action failed: %s", parley_ctl_str(res, "error"));
    if (hs)
      fprintf(stderr, " (platform HTTP %lld%s%s)", (long long)hs, code ? ", code " : "",
              code ? code : "");
    fprintf(stderr, "%s%s; key %s\n", msg ? ": " : "", msg ? msg : "", key);
  }
  json_decref(res);
  return done ? PARLEY_CTL_OK : PARLEY_CTL_EAPI;
}

static int submit(parley_ctl_t *ctl, const char *key, json_t *action) {
  char *body = json_dumps(action, JSON_COMPACT);
  if (!body) {
    parley_ctl_err("out of memory");
    return PARLEY_CTL_EAPI;
  }
  parley_ctl_response_t res;
  int rc = parley_ctl_request(ctl, "POST", "/v1/actions", body, &res);
  free(body);
  if (rc)
    return rc;
  rc = -1;
  if (res.status == 200 || res.status == 409 || res.status == 502)
    rc = print_result(ctl, key, res.body, res.len);
  if (rc < 0)
    rc = parley_ctl_check(ctl, "POST", "/v1/actions", &res);
  parley_ctl_response_free(&res);
  return rc;
}

/* The action's fields from the command line (positional by command). */
static void fill(const char *command, const parley_ctl_opt_t *spec, size_t n,
                 const parley_ctl_args_t *a, parley_ctl_action_in_t *in) {
  memset(in, 0, sizeof *in);
  in->command = command;
  in->connector = parley_ctl_arg(spec, n, a, "connector");
  in->platform = parley_ctl_arg(spec, n, a, "platform");
  in->account = parley_ctl_arg(spec, n, a, "account");
  in->agent = parley_ctl_arg(spec, n, a, "agent");
  in->key = parley_ctl_arg(spec, n, a, "key");
  in->conversation = parley_ctl_arg(spec, n, a, "conversation");
  in->recipient = parley_ctl_arg(spec, n, a, "recipient");
  in->private_reply = parley_ctl_arg(spec, n, a, "private") != NULL;
  in->undo = parley_ctl_arg(spec, n, a, "undo") != NULL;
  if (strcmp(command, "reply") == 0) {
    in->target = a->pos[0];
    in->text = a->pos[1];
  } else if (strcmp(command, "dm") == 0) {
    in->text = a->pos[0];
  } else if (strcmp(command, "hide") == 0) {
    in->target = a->pos[0];
  } else {
    in->conversation = a->pos[0];
    if (strcmp(command, "assign") == 0)
      in->assign_to = a->pos[1];
  }
}

static int run_action(const char *command, parley_ctl_t *ctl, const parley_ctl_opt_t *spec,
                      size_t n, const parley_ctl_args_t *a) {
  parley_ctl_action_in_t in;
  char key[48], connector[256], err[512];
  fill(command, spec, n, a, &in);
  if (!in.key) {
    if (parley_ctl_key_new(key, sizeof key) != 0) {
      parley_ctl_err("cannot read /dev/urandom for an idempotency key: pass --key");
      return PARLEY_CTL_EAPI;
    }
    in.key = key;
  }
  json_t *action;
  /* usage mistakes first, before asking the server for the connector */
  parley_ctl_action_in_t probe = in;
  if (!probe.connector && !(probe.platform && probe.account))
    probe.connector = "?";
  if (parley_ctl_action_build(&probe, &action, err, sizeof err) != 0) {
    parley_ctl_err("%s", err);
    return PARLEY_CTL_EUSAGE;
  }
  json_decref(action);
  if (parley_ctl_action_needs_connector(&in) && !in.connector && !(in.platform && in.account)) {
    int rc = find_connector(ctl, &in, connector, sizeof connector);
    if (rc)
      return rc;
    in.connector = connector;
  }
  if (parley_ctl_action_build(&in, &action, err, sizeof err) != 0) {
    parley_ctl_err("%s", err);
    return PARLEY_CTL_EUSAGE;
  }
  int rc = submit(ctl, in.key, action);
  json_decref(action);
  return rc;
}

#define ACTION_RUNNER(cmd)                                                                     \
  static int run_##cmd(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,              \
                       const parley_ctl_args_t *a) {                                           \
    return run_action(#cmd, ctl, spec, n, a);                                                  \
  }
ACTION_RUNNER(reply)
ACTION_RUNNER(dm)
ACTION_RUNNER(hide)
ACTION_RUNNER(resolve)
ACTION_RUNNER(assign)

#define NOPTS(o) (sizeof o / sizeof o[0])
#define TARGET_USAGE "[--connector NAME | --platform P --account A] [--agent NAME] [--key KEY]"

const parley_ctl_command_t parley_ctl_cmd_reply = {
    "reply", reply_opts, NOPTS(reply_opts), 2, 2,
    "reply TARGET TEXT [--private] [--conversation ID] " TARGET_USAGE, run_reply};
const parley_ctl_command_t parley_ctl_cmd_dm = {
    "dm", dm_opts, NOPTS(dm_opts), 1, 1,
    "dm TEXT (--conversation ID | --recipient USER) " TARGET_USAGE, run_dm};
const parley_ctl_command_t parley_ctl_cmd_hide = {
    "hide", hide_opts, NOPTS(hide_opts), 1, 1, "hide TARGET [--undo] " TARGET_USAGE, run_hide};
const parley_ctl_command_t parley_ctl_cmd_resolve = {
    "resolve", store_opts, NOPTS(store_opts), 1, 1,
    "resolve CONVERSATION [--agent NAME] [--key KEY]", run_resolve};
const parley_ctl_command_t parley_ctl_cmd_assign = {
    "assign", store_opts, NOPTS(store_opts), 2, 2,
    "assign CONVERSATION AGENT [--agent NAME] [--key KEY]", run_assign};
