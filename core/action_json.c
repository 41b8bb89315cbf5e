/* parley core — JSON codec for actions ("parley.action.v1") and the
 * encoding of action results ("parley.action_result.v1").
 *
 * Same rules as the event codec: keys in schema order, unset fields
 * omitted, ids as strings, unknown keys ignored by the decoder. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/action.h"
#include "parley/error.h"

/* An action is a short message; anything larger is refused unparsed. */
#define PARLEY_ACTION_JSON_MAX ((size_t)1024 * 1024)

/* The string fields in schema order, after "schema", "idempotency_key"
 * and "type". */
typedef struct parley_act_field {
  const char *key;
  const char *(*get)(const parley_action_t *a);
  int (*set)(parley_action_t *a, const char *v);
} parley_act_field_t;

static const parley_act_field_t parley_act_fields[] = {
    {"connector", parley_action_connector, parley_action_set_connector},
    {"platform", parley_action_platform, parley_action_set_platform},
    {"account", parley_action_account, parley_action_set_account},
    {"conversation_id", parley_action_conversation_id, parley_action_set_conversation_id},
    {"target", parley_action_target, parley_action_set_target},
    {"recipient", parley_action_recipient, parley_action_set_recipient},
    {"text", parley_action_text, parley_action_set_text},
    /* v1.1 additions, optional: old documents stay valid. */
    {"assign_to", parley_action_assign_to, parley_action_set_assign_to},
    {"agent", parley_action_agent, parley_action_set_agent},
};

#define PARLEY_ACT_NFIELDS (sizeof parley_act_fields / sizeof *parley_act_fields)

/* json_object_set_new() takes v even when it fails; v NULL is a failed
 * allocation. */
static int parley_act_put(json_t *o, const char *key, json_t *v) {
  return v != NULL && json_object_set_new(o, key, v) == 0 ? 0 : PARLEY_ENOMEM;
}

static int parley_act_put_str(json_t *o, const char *key, const char *s) {
  return s == NULL ? 0 : parley_act_put(o, key, json_string(s));
}

static int parley_act_dump(json_t *o, int rc, char **out, size_t *len) {
  char *text = rc == 0 ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (text == NULL)
    return rc ? rc : PARLEY_ENOMEM;
  *out = text;
  if (len)
    *len = strlen(text);
  return 0;
}

int parley_action_to_json(const parley_action_t *a, char **out, size_t *len) {
  if (out == NULL || parley_action_validate(a, NULL) != 0)
    return PARLEY_EINVAL;
  json_t *o = json_object();
  int rc = o ? parley_act_put_str(o, "schema", PARLEY_ACTION_SCHEMA) : PARLEY_ENOMEM;
  if (rc == 0)
    rc = parley_act_put_str(o, "idempotency_key", parley_action_idempotency_key(a));
  if (rc == 0)
    rc = parley_act_put_str(o, "type", parley_action_type_name(parley_action_type(a)));
  for (size_t i = 0; rc == 0 && i < PARLEY_ACT_NFIELDS; i++)
    rc = parley_act_put_str(o, parley_act_fields[i].key, parley_act_fields[i].get(a));
  return parley_act_dump(o, rc, out, len);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

static int parley_act_get_str(json_t *o, const char *key, int required, const char **s,
                              parley_error_t *err) {
  json_t *v = json_object_get(o, key);
  *s = NULL;
  if (v == NULL)
    return required ? parley_error_set(err, PARLEY_EINVAL, "action.%s: missing required field",
                                       key)
                    : 0;
  if (!json_is_string(v))
    return parley_error_set(err, PARLEY_EINVAL, "action.%s: expected string", key);
  *s = json_string_value(v);
  return 0;
}

static int parley_act_decode_head(json_t *o, parley_action_t *a, parley_error_t *err) {
  const char *s;
  parley_action_type_t t;
  int rc = parley_act_get_str(o, "schema", 1, &s, err);
  if (rc == 0 && strcmp(s, PARLEY_ACTION_SCHEMA) != 0)
    return parley_error_set(err, PARLEY_EINVAL, "action.schema: expected \"%s\", got \"%.40s\"",
                            PARLEY_ACTION_SCHEMA, s);
  if (rc == 0)
    rc = parley_act_get_str(o, "idempotency_key", 1, &s, err);
  if (rc == 0 && (rc = parley_action_set_idempotency_key(a, s)) != 0)
    return parley_error_set(err, rc, "action.idempotency_key: invalid value");
  if (rc == 0)
    rc = parley_act_get_str(o, "type", 1, &s, err);
  if (rc == 0 && parley_action_type_parse(s, &t) != 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "action.type: \"%.40s\" is not one of reply_public, reply_private, "
                            "direct_message, hide, unhide, assign, resolve",
                            s);
  if (rc == 0)
    parley_action_set_type(a, t);
  return rc;
}

static int parley_act_decode_object(json_t *o, parley_action_t *a, parley_error_t *err) {
  int rc = parley_act_decode_head(o, a, err);
  for (size_t i = 0; rc == 0 && i < PARLEY_ACT_NFIELDS; i++) {
    const char *s;
    rc = parley_act_get_str(o, parley_act_fields[i].key, 0, &s, err);
    if (rc == 0 && s && (rc = parley_act_fields[i].set(a, s)) != 0)
      return parley_error_set(err, rc, "action.%s: %s", parley_act_fields[i].key,
                              parley_strerror(rc));
  }
  /* Per-type rules: which of target, text, recipient each type needs. */
  if (rc == 0)
    rc = parley_action_validate(a, err);
  return rc;
}

static int parley_act_parse(const char *json, size_t len, json_t **out, parley_error_t *err) {
  json_error_t jerr;
  if (len > PARLEY_ACTION_JSON_MAX)
    return parley_error_set(err, PARLEY_ETOOBIG,
                            "action: %zu bytes is more than the limit of %zu", len,
                            PARLEY_ACTION_JSON_MAX);
  json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
  if (o == NULL)
    return parley_error_set_json(err, "action", jerr.line, jerr.column, (size_t)jerr.position,
                                 len, jerr.text);
  if (!json_is_object(o)) {
    json_decref(o);
    return parley_error_set(err, PARLEY_EINVAL, "action: expected a JSON object");
  }
  *out = o;
  return 0;
}

int parley_action_from_json(const char *json, size_t len, parley_action_t **out,
                            parley_error_t *err) {
  if (out == NULL || json == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "action: no input");
  *out = NULL;
  json_t *o = NULL;
  int rc = parley_act_parse(json, len, &o, err);
  if (rc != 0)
    return rc;
  parley_action_t *a = parley_action_new();
  rc = a ? parley_act_decode_object(o, a, err)
         : parley_error_set(err, PARLEY_ENOMEM, "action: out of memory");
  json_decref(o);
  if (rc != 0) {
    parley_action_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

/* Platform error texts are passed through, and a broken platform may send
 * invalid UTF-8; the result must still be recorded, so such a string is
 * kept with every non-ASCII byte replaced by '?'. */
static json_t *parley_act_lossy_string(const char *s) {
  json_t *v = json_string(s);
  if (v != NULL)
    return v;
  char *copy = strdup(s);
  if (copy == NULL)
    return NULL;
  for (char *p = copy; *p; p++) {
    if ((unsigned char)*p >= 0x80)
      *p = '?';
  }
  v = json_string(copy);
  free(copy);
  return v;
}

static int parley_act_put_lossy(json_t *o, const char *key, const char *s) {
  return s == NULL || *s == '\0' ? 0 : parley_act_put(o, key, parley_act_lossy_string(s));
}

static int parley_act_result_valid(const char *key, const parley_action_result_t *r) {
  if (key == NULL || *key == '\0' || r == NULL || r->status > 0)
    return 0;
  return r->http_status == 0 || (r->http_status >= 100 && r->http_status <= 599);
}

int parley_action_result_to_json(const char *idempotency_key, const parley_action_result_t *r,
                                 char **out, size_t *len) {
  if (out == NULL || !parley_act_result_valid(idempotency_key, r))
    return PARLEY_EINVAL;
  json_t *o = json_object();
  int rc = o ? parley_act_put_str(o, "schema", PARLEY_ACTION_RESULT_SCHEMA) : PARLEY_ENOMEM;
  if (rc == 0)
    rc = parley_act_put_lossy(o, "idempotency_key", idempotency_key);
  if (rc == 0)
    rc = parley_act_put_str(o, "status", r->status == 0 ? "done" : "failed");
  if (rc == 0 && r->status != 0)
    rc = parley_act_put_str(o, "error", parley_err_name(r->status));
  if (rc == 0)
    rc = parley_act_put_lossy(o, "platform_id", r->platform_id);
  if (rc == 0 && r->http_status != 0)
    rc = parley_act_put(o, "http_status", json_integer(r->http_status));
  if (rc == 0)
    rc = parley_act_put_lossy(o, "error_code", r->error_code);
  if (rc == 0)
    rc = parley_act_put_lossy(o, "message", r->message);
  return parley_act_dump(o, rc, out, len);
}
