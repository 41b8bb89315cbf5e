/* parleyctl — a parley.action.v1 document from the command line
 * (docs/action.schema.json, core/action_json.c). The checks here are the
 * schema's, done before the request so that a usage mistake is exit code
 * 2 with a message naming the option, not a 400 from the server. Pure,
 * except the random source of parley_ctl_key_new. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

typedef struct action_kind {
  const char *command;
  const char *type;      /* the action type for the plain command */
  const char *alt_type;  /* with --private (reply) or --undo (hide) */
} action_kind_t;

static const action_kind_t kinds[] = {
    {"reply", "reply_public", "reply_private"},
    {"dm", "direct_message", NULL},
    {"hide", "hide", "unhide"},
    {"resolve", "resolve", NULL},
    {"assign", "assign", NULL},
};

static const action_kind_t *kind_of(const char *command) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (command && strcmp(kinds[i].command, command) == 0)
      return &kinds[i];
  return NULL;
}

int parley_ctl_action_needs_connector(const parley_ctl_action_in_t *in) {
  const action_kind_t *k = kind_of(in->command);
  return k && strcmp(k->type, "resolve") != 0 && strcmp(k->type, "assign") != 0;
}

/* "platform:rest" with a non-empty platform and rest. */
static int has_prefix(const char *s) {
  const char *c = s ? strchr(s, ':') : NULL;
  return c && c != s && c[1] != '\0';
}

int parley_ctl_action_platform(const parley_ctl_action_in_t *in, char *buf, size_t len) {
  const char *s = has_prefix(in->target) ? in->target
                  : has_prefix(in->conversation) ? in->conversation : NULL;
  if (!s)
    return -1;
  size_t n = (size_t)(strchr(s, ':') - s);
  if (n >= len)
    return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return 0;
}

static int need(const char *v, const char *what, const char *command, char *err, size_t len) {
  if (v && *v)
    return 0;
  snprintf(err, len, "%s: %s is required", command, what);
  return -1;
}

/* The schema's idempotency_key: [!-~]{1,256}. */
static int key_ok(const char *k) {
  size_t n = 0;
  for (; k[n]; n++)
    if (k[n] < '!' || k[n] > '~')
      return 0;
  return n >= 1 && n <= 256;
}

/* The schema's rules per type, before anything is built. */
static int check(const parley_ctl_action_in_t *in, const char *type, char *err, size_t len) {
  const char *cmd = in->command;
  int connector_done = strcmp(type, "assign") == 0 || strcmp(type, "resolve") == 0;
  if (need(in->key, "an idempotency key", cmd, err, len))
    return -1;
  if (!key_ok(in->key)) {
    snprintf(err, len, "%s: --key must be 1 to 256 printable ASCII characters without spaces",
             cmd);
    return -1;
  }
  int replying = strncmp(type, "reply", 5) == 0, dm = strcmp(type, "direct_message") == 0;
  int hiding = strcmp(type, "hide") == 0 || strcmp(type, "unhide") == 0;
  if ((replying || hiding) && need(in->target, "the target event id", cmd, err, len))
    return -1;
  if ((replying || dm) && need(in->text, "the text", cmd, err, len))
    return -1;
  if (connector_done && need(in->conversation, "the conversation id", cmd, err, len))
    return -1;
  if (strcmp(type, "assign") == 0 && need(in->assign_to, "the agent to assign to", cmd, err, len))
    return -1;
  if (!connector_done && !in->connector && !(in->platform && in->account)) {
    snprintf(err, len, "%s: --connector (or --platform and --account) is required", cmd);
    return -1;
  }
  if (strcmp(type, "direct_message") == 0 && !in->conversation && !in->recipient) {
    snprintf(err, len, "dm: --conversation or --recipient is required");
    return -1;
  }
  if (in->target && !has_prefix(in->target)) {
    snprintf(err, len, "%s: target '%s' is not an event id (platform:id, e.g. twitter:1862)",
             cmd, in->target);
    return -1;
  }
  if (in->platform && in->target && has_prefix(in->target) &&
      (strncmp(in->target, in->platform, strlen(in->platform)) != 0 ||
       in->target[strlen(in->platform)] != ':')) {
    snprintf(err, len, "%s: target '%s' is not on platform %s", cmd, in->target, in->platform);
    return -1;
  }
  return 0;
}

static int put(json_t *o, const char *key, const char *v) {
  return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

int parley_ctl_action_build(const parley_ctl_action_in_t *in, json_t **out, char *err,
                            size_t errlen) {
  const action_kind_t *k = kind_of(in->command);
  *out = NULL;
  if (!k) {
    snprintf(err, errlen, "unknown action command '%s'", in->command ? in->command : "");
    return -1;
  }
  if ((in->private_reply && strcmp(k->command, "reply") != 0) ||
      (in->undo && strcmp(k->command, "hide") != 0)) {
    snprintf(err, errlen, "%s: --%s does not apply", k->command,
             in->private_reply ? "private" : "undo");
    return -1;
  }
  const char *type = (in->private_reply || in->undo) ? k->alt_type : k->type;
  if (check(in, type, err, errlen) != 0)
    return -1;
  int assign = strcmp(type, "assign") == 0, resolve = strcmp(type, "resolve") == 0;
  json_t *o = json_object();
  int rc = o ? 0 : -1;
  rc |= put(o, "schema", "parley.action.v1");
  rc |= put(o, "idempotency_key", in->key);
  rc |= put(o, "type", type);
  if (!assign && !resolve) {
    rc |= put(o, "connector", in->connector);
    rc |= put(o, "platform", in->platform);
    rc |= put(o, "account", in->account);
  }
  rc |= put(o, "conversation_id", in->conversation);
  rc |= put(o, "target", in->target);
  if (strcmp(type, "direct_message") == 0)
    rc |= put(o, "recipient", in->recipient);
  if (strncmp(type, "reply", 5) == 0 || strcmp(type, "direct_message") == 0)
    rc |= put(o, "text", in->text);
  if (assign)
    rc |= put(o, "assign_to", in->assign_to);
  rc |= put(o, "agent", in->agent);
  if (rc) {
    json_decref(o);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  *out = o;
  return 0;
}

int parley_ctl_key_new(char *buf, size_t len) {
  unsigned char r[16];
  if (len < 37)
    return -1;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, r, sizeof r) : -1;
  if (fd >= 0)
    close(fd);
  if (n != (ssize_t)sizeof r)
    return -1;
  memcpy(buf, "ctl-", 4);
  for (size_t i = 0; i < sizeof r; i++)
    snprintf(buf + 4 + 2 * i, 3, "%02x", r[i]);
  return 0;
}
