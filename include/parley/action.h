/* parley — actions (schema "parley.action.v1") and their results.
 *
 * An action is what an agent asks the brand to do in a conversation: reply
 * publicly, answer privately (DM, or a private reply to a comment), hide or
 * unhide a comment. It is routed to the connector instance that owns the
 * conversation, by connector name or by platform + account. Since ABI 1.1
 * (schema additions "v1.1"), assign and resolve change the conversation's
 * state in the core's sqlite store instead; no connector performs them.
 *
 * Ownership follows event.h: setters copy, getters return pointers owned by
 * the action, valid until the field is set again or the action is freed.
 */
#ifndef PARLEY_ACTION_H
#define PARLEY_ACTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_ACTION_SCHEMA "parley.action.v1"
#define PARLEY_ACTION_RESULT_SCHEMA "parley.action_result.v1"

typedef struct parley_action parley_action_t;
typedef struct parley_error parley_error_t;

typedef enum {
  PARLEY_ACTION_REPLY_PUBLIC = 1,  /* "reply_public": in_reply_to required */
  PARLEY_ACTION_REPLY_PRIVATE,     /* "reply_private": private reply to a comment */
  PARLEY_ACTION_DIRECT_MESSAGE,    /* "direct_message": conversation_id or recipient */
  PARLEY_ACTION_HIDE,              /* "hide": target required */
  PARLEY_ACTION_UNHIDE,            /* "unhide": target required */
  /* Since ABI 1.1: performed by the core on its sqlite store output(s). */
  PARLEY_ACTION_ASSIGN,            /* "assign": conversation_id and assign_to required */
  PARLEY_ACTION_RESOLVE,           /* "resolve": conversation_id required */
} parley_action_type_t;

const char *parley_action_type_name(parley_action_type_t t); /* NULL if out of range */
int parley_action_type_parse(const char *name, parley_action_type_t *t);

parley_action_t *parley_action_new(void);
void parley_action_free(parley_action_t *a);
parley_action_t *parley_action_clone(const parley_action_t *a);

/* Required: idempotency_key, type, and connector or (platform and account)
 * (not for assign and resolve, which name only the conversation).
 * The same idempotency key submitted twice is performed once. */
int parley_action_set_idempotency_key(parley_action_t *a, const char *key);
const char *parley_action_idempotency_key(const parley_action_t *a);
void parley_action_set_type(parley_action_t *a, parley_action_type_t t);
parley_action_type_t parley_action_type(const parley_action_t *a);
int parley_action_set_connector(parley_action_t *a, const char *instance);
const char *parley_action_connector(const parley_action_t *a);
int parley_action_set_platform(parley_action_t *a, const char *platform);
const char *parley_action_platform(const parley_action_t *a);
int parley_action_set_account(parley_action_t *a, const char *account);
const char *parley_action_account(const parley_action_t *a);
int parley_action_set_conversation_id(parley_action_t *a, const char *id);
const char *parley_action_conversation_id(const parley_action_t *a);
/* The event id ("platform:native") this action answers, hides or unhides. */
int parley_action_set_target(parley_action_t *a, const char *event_id);
const char *parley_action_target(const parley_action_t *a);
/* For direct messages to a person rather than into a conversation. */
int parley_action_set_recipient(parley_action_t *a, const char *user_id);
const char *parley_action_recipient(const parley_action_t *a);
int parley_action_set_text(parley_action_t *a, const char *text);
const char *parley_action_text(const parley_action_t *a);
/* Since ABI 1.1. The agent (a person or bot, by the name your tool uses)
 * who asks for the action: recorded with the reply it sends (messages.agent
 * in the store) and with assign/resolve. Optional on every type. */
int parley_action_set_agent(parley_action_t *a, const char *agent);
const char *parley_action_agent(const parley_action_t *a);
/* Since ABI 1.1. The agent an assign action gives the conversation to. */
int parley_action_set_assign_to(parley_action_t *a, const char *agent);
const char *parley_action_assign_to(const parley_action_t *a);

/* Check required fields per type; PARLEY_EINVAL with err naming the field. */
int parley_action_validate(const parley_action_t *a, parley_error_t *err);
int parley_action_to_json(const parley_action_t *a, char **out, size_t *len);
int parley_action_from_json(const char *json, size_t len, parley_action_t **out,
                            parley_error_t *err);

/* The outcome of an action, reported by the connector through the host's
 * action_done(). Plain struct: the reporter owns the strings, the receiver
 * copies what it keeps. */
typedef struct parley_action_result {
  int status;               /* 0 done, or PARLEY_E* */
  const char *platform_id;  /* id of the created message, when one was */
  int http_status;          /* the platform's HTTP status, 0 when none */
  const char *error_code;   /* the platform's error code, as text */
  const char *message;      /* human-readable detail, no secrets */
} parley_action_result_t;

/* Encode a result for the action with key idempotency_key. Caller frees. */
int parley_action_result_to_json(const char *idempotency_key,
                                 const parley_action_result_t *r, char **out,
                                 size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_ACTION_H */
