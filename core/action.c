/* parley core — actions: storage, setters, getters, validation.
 * The JSON codec is in action_json.c and uses only the public API. */
#include <stdlib.h>
#include <string.h>

#include "parley/action.h"
#include "parley/error.h"
#include "util.h"

/* Idempotency keys travel in headers (Nats-Msg-Id) and journal rows, so they
 * are short and plain: 1 to 256 printable ASCII characters, no spaces. */
#define PARLEY_ACTION_KEY_MAX 256
/* Agent names end up in store rows and metrics labels: short, not empty. */
#define PARLEY_ACTION_AGENT_MAX 256

struct parley_action {
  char *idempotency_key;
  parley_action_type_t type; /* 0 unset */
  char *connector;
  char *platform;
  char *account;
  char *conversation_id;
  char *target;
  char *recipient;
  char *text;
  char *agent;     /* since ABI 1.1 */
  char *assign_to; /* since ABI 1.1 */
};

/* Every string field, for free and clone. */
#define PARLEY_ACTION_STRINGS(X)                                               \
  X(idempotency_key) X(connector) X(platform) X(account) X(conversation_id)   \
  X(target) X(recipient) X(text) X(agent) X(assign_to)

static const char *const parley_action_type_names[] = {
    [PARLEY_ACTION_REPLY_PUBLIC] = "reply_public",
    [PARLEY_ACTION_REPLY_PRIVATE] = "reply_private",
    [PARLEY_ACTION_DIRECT_MESSAGE] = "direct_message",
    [PARLEY_ACTION_HIDE] = "hide",
    [PARLEY_ACTION_UNHIDE] = "unhide",
    [PARLEY_ACTION_ASSIGN] = "assign",
    [PARLEY_ACTION_RESOLVE] = "resolve",
};

#define PARLEY_ACTION_TYPE_END_ (sizeof parley_action_type_names / sizeof *parley_action_type_names)

const char *parley_action_type_name(parley_action_type_t t) {
  if ((unsigned)t < PARLEY_ACTION_REPLY_PUBLIC || (unsigned)t >= PARLEY_ACTION_TYPE_END_)
    return NULL;
  return parley_action_type_names[t];
}

int parley_action_type_parse(const char *name, parley_action_type_t *t) {
  if (name == NULL || t == NULL)
    return PARLEY_EINVAL;
  for (size_t i = PARLEY_ACTION_REPLY_PUBLIC; i < PARLEY_ACTION_TYPE_END_; i++) {
    if (strcmp(name, parley_action_type_names[i]) == 0) {
      *t = (parley_action_type_t)i;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}

/* ------------------------------------------------------------------ */
/* Lifecycle and fields                                                */
/* ------------------------------------------------------------------ */

parley_action_t *parley_action_new(void) {
  return calloc(1, sizeof(parley_action_t));
}

void parley_action_free(parley_action_t *a) {
  if (a == NULL)
    return;
#define PARLEY_ACTION_FREE_(f) free(a->f);
  PARLEY_ACTION_STRINGS(PARLEY_ACTION_FREE_)
#undef PARLEY_ACTION_FREE_
  free(a);
}

parley_action_t *parley_action_clone(const parley_action_t *a) {
  if (a == NULL)
    return NULL;
  parley_action_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  int failed = 0;
  c->type = a->type;
#define PARLEY_ACTION_CLONE_(f)                                                \
  c->f = a->f ? strdup(a->f) : NULL;                                           \
  failed |= a->f && !c->f;
  PARLEY_ACTION_STRINGS(PARLEY_ACTION_CLONE_)
#undef PARLEY_ACTION_CLONE_
  if (failed) {
    parley_action_free(c);
    return NULL;
  }
  return c;
}

#define PARLEY_ACTION_STRING_FIELD(name)                                       \
  int parley_action_set_##name(parley_action_t *a, const char *v) {           \
    return a ? parley_util_strset(&a->name, v) : PARLEY_EINVAL;             \
  }                                                                            \
  const char *parley_action_##name(const parley_action_t *a) { return a ? a->name : NULL; }

PARLEY_ACTION_STRING_FIELD(idempotency_key)
PARLEY_ACTION_STRING_FIELD(connector)
PARLEY_ACTION_STRING_FIELD(platform)
PARLEY_ACTION_STRING_FIELD(account)
PARLEY_ACTION_STRING_FIELD(conversation_id)
PARLEY_ACTION_STRING_FIELD(target)
PARLEY_ACTION_STRING_FIELD(recipient)
PARLEY_ACTION_STRING_FIELD(text)
PARLEY_ACTION_STRING_FIELD(agent)
PARLEY_ACTION_STRING_FIELD(assign_to)

void parley_action_set_type(parley_action_t *a, parley_action_type_t t) {
  if (a)
    a->type = t;
}

parley_action_type_t parley_action_type(const parley_action_t *a) {
  return a ? a->type : (parley_action_type_t)0;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

static int parley_action_key_valid(const char *k) {
  size_t n = 0;
  for (; k[n]; n++) {
    if (k[n] < '!' || k[n] > '~')
      return 0;
  }
  return n <= PARLEY_ACTION_KEY_MAX;
}

/* assign and resolve change the store, not the platform: they name only the
 * conversation (conversation ids are unique in the store). */
static int parley_action_is_store_type(parley_action_type_t t) {
  return t == PARLEY_ACTION_ASSIGN || t == PARLEY_ACTION_RESOLVE;
}

static int parley_action_validate_routing(const parley_action_t *a, parley_error_t *err) {
  if (a->idempotency_key == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "action.idempotency_key: missing required field");
  if (!parley_action_key_valid(a->idempotency_key))
    return parley_error_set(err, PARLEY_EINVAL,
                            "action.idempotency_key: must be 1 to %d printable ASCII characters "
                            "without spaces",
                            PARLEY_ACTION_KEY_MAX);
  if (a->type == 0)
    return parley_error_set(err, PARLEY_EINVAL, "action.type: missing required field");
  if (parley_action_type_name(a->type) == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "action.type: %d is not a known type",
                            (int)a->type);
  if (a->connector == NULL && (a->platform == NULL || a->account == NULL) &&
      !parley_action_is_store_type(a->type))
    return parley_error_set(err, PARLEY_EINVAL,
                            "action.connector: missing; give connector, or platform and account");
  return 0;
}

/* A target is an event id, "platform:native id"; when the action names its
 * platform the prefix must agree, or it would go to the wrong connector. */
static int parley_action_validate_target(const parley_action_t *a, parley_error_t *err) {
  const char *colon = strchr(a->target, ':');
  if (colon == NULL || colon == a->target || colon[1] == '\0')
    return parley_error_set(err, PARLEY_EINVAL,
                            "action.target: must be an event id \"<platform>:<native id>\"");
  size_t plen = strlen(a->platform ? a->platform : "");
  if (a->platform && ((size_t)(colon - a->target) != plen ||
                      strncmp(a->target, a->platform, plen) != 0))
    return parley_error_set(err, PARLEY_EINVAL,
                            "action.target: platform prefix does not match action.platform "
                            "\"%s\"",
                            a->platform);
  return 0;
}

/* Characters, as JSON Schema's maxLength counts them (setters already
 * refused invalid UTF-8): every byte that is not a continuation byte. */
static size_t parley_action_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static int parley_action_validate_name(const char *field, const char *v, parley_error_t *err) {
  if (v && (!*v || parley_action_chars(v) > PARLEY_ACTION_AGENT_MAX))
    return parley_error_set(err, PARLEY_EINVAL, "action.%s: must be 1 to %d characters", field,
                            PARLEY_ACTION_AGENT_MAX);
  return 0;
}

static int parley_action_validate_store(const parley_action_t *a, parley_error_t *err) {
  static const char *const missing = "action.%s: required for type %s";
  const char *tname = parley_action_type_name(a->type);
  if (a->conversation_id == NULL || !*a->conversation_id)
    return parley_error_set(err, PARLEY_EINVAL, missing, "conversation_id", tname);
  if (a->type == PARLEY_ACTION_ASSIGN && a->assign_to == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "assign_to", tname);
  return 0;
}

/* The v1.1 agent fields. */
static int parley_action_validate_agents(const parley_action_t *a, parley_error_t *err) {
  int rc = parley_action_validate_name("agent", a->agent, err);
  if (rc == 0)
    rc = parley_action_validate_name("assign_to", a->assign_to, err);
  if (rc == 0 && a->assign_to && a->type != PARLEY_ACTION_ASSIGN)
    rc = parley_error_set(err, PARLEY_EINVAL, "action.assign_to: only for type assign, not %s",
                          parley_action_type_name(a->type));
  return rc;
}

static int parley_action_validate_type(const parley_action_t *a, parley_error_t *err) {
  static const char *const missing = "action.%s: required for type %s";
  const char *tname = parley_action_type_name(a->type);
  if (parley_action_is_store_type(a->type))
    return parley_action_validate_store(a, err);
  int needs_target = a->type != PARLEY_ACTION_DIRECT_MESSAGE;
  int needs_text = a->type != PARLEY_ACTION_HIDE && a->type != PARLEY_ACTION_UNHIDE;
  if (needs_target && a->target == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "target", tname);
  if (a->type == PARLEY_ACTION_DIRECT_MESSAGE && a->conversation_id == NULL &&
      a->recipient == NULL)
    return parley_error_set(err, PARLEY_EINVAL,
                            "action.recipient: direct_message needs conversation_id or recipient");
  if (needs_text && a->text == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "text", tname);
  if (a->target)
    return parley_action_validate_target(a, err);
  return 0;
}

int parley_action_validate(const parley_action_t *a, parley_error_t *err) {
  if (a == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "action: NULL");
  int rc = parley_action_validate_routing(a, err);
  if (rc == 0)
    rc = parley_action_validate_agents(a, err);
  if (rc == 0)
    rc = parley_action_validate_type(a, err);
  return rc;
}
