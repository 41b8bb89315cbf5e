/* parley — the unified event (schema "parley.event.v1").
 *
 * An event is an opaque handle with typed setters and getters, one pair per
 * field of the schema (docs/event.schema.json), and a JSON codec.
 *
 * Ownership, for every function below:
 * - Setters copy their string arguments; the caller keeps its own.
 *   Passing NULL clears an optional field.
 * - Getters return pointers owned by the event, valid until the field is set
 *   again or the event is freed. An unset string field reads as NULL.
 * - Times are milliseconds since the Unix epoch, UTC; 0 means unset. On the
 *   wire they are RFC 3339 UTC strings ("2026-11-23T09:20:06.123Z").
 * - An event handed to the host's emit() belongs to the core from that call
 *   on, whatever emit() returns.
 */
#ifndef PARLEY_EVENT_H
#define PARLEY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_EVENT_SCHEMA "parley.event.v1"

typedef struct parley_event parley_event_t;
typedef struct parley_error parley_error_t;

typedef enum {
  PARLEY_KIND_UNKNOWN = 0, /* a payload no mapping knows: carried raw, counted */
  PARLEY_KIND_MENTION,
  PARLEY_KIND_COMMENT,
  PARLEY_KIND_REPLY,
  PARLEY_KIND_DIRECT_MESSAGE,
  PARLEY_KIND_KEYWORD_MATCH,
  PARLEY_KIND_POSTBACK,
  PARLEY_KIND_REACTION,
  PARLEY_KIND_EDITED,
  PARLEY_KIND_DELETED,
  PARLEY_KIND_OUTBOUND, /* sent by the brand, through parley or natively */
  PARLEY_KIND_SYSTEM,   /* account health: token expired, throttled, ... */
  PARLEY_KIND_COUNT_
} parley_kind_t;

typedef enum {
  PARLEY_VISIBILITY_PUBLIC = 0,
  PARLEY_VISIBILITY_PRIVATE,
} parley_visibility_t;

/* Wire names: "mention", "direct_message", ...; NULL for out-of-range. */
const char *parley_kind_name(parley_kind_t kind);
/* Parse a wire name; returns 0 and sets *kind, or PARLEY_EINVAL. */
int parley_kind_parse(const char *name, parley_kind_t *kind);
const char *parley_visibility_name(parley_visibility_t v);
int parley_visibility_parse(const char *name, parley_visibility_t *v);

/* Lifecycle. new() returns NULL only when out of memory. */
parley_event_t *parley_event_new(void);
void parley_event_free(parley_event_t *ev); /* NULL is fine */
/* Deep copy; NULL when out of memory. */
parley_event_t *parley_event_clone(const parley_event_t *ev);

/* Identity. id is "platform:native id", globally unique. Required: id,
 * platform, connector, account, kind, visibility, created_at, received_at. */
int parley_event_set_id(parley_event_t *ev, const char *id);
const char *parley_event_id(const parley_event_t *ev);
int parley_event_set_platform(parley_event_t *ev, const char *platform);
const char *parley_event_platform(const parley_event_t *ev);
/* The connector instance name; the core sets it on emit. */
int parley_event_set_connector(parley_event_t *ev, const char *connector);
const char *parley_event_connector(const parley_event_t *ev);
/* The brand account that received it. */
int parley_event_set_account(parley_event_t *ev, const char *account);
const char *parley_event_account(const parley_event_t *ev);
void parley_event_set_kind(parley_event_t *ev, parley_kind_t kind);
parley_kind_t parley_event_kind(const parley_event_t *ev);
void parley_event_set_visibility(parley_event_t *ev, parley_visibility_t v);
parley_visibility_t parley_event_visibility(const parley_event_t *ev);

/* Thread. */
int parley_event_set_conversation_id(parley_event_t *ev, const char *id);
const char *parley_event_conversation_id(const parley_event_t *ev);
int parley_event_set_in_reply_to(parley_event_t *ev, const char *id);
const char *parley_event_in_reply_to(const parley_event_t *ev);

/* Author. followers < 0 means unknown. */
int parley_event_set_author_id(parley_event_t *ev, const char *id);
const char *parley_event_author_id(const parley_event_t *ev);
int parley_event_set_author_handle(parley_event_t *ev, const char *handle);
const char *parley_event_author_handle(const parley_event_t *ev);
int parley_event_set_author_name(parley_event_t *ev, const char *name);
const char *parley_event_author_name(const parley_event_t *ev);
void parley_event_set_author_followers(parley_event_t *ev, int64_t followers);
int64_t parley_event_author_followers(const parley_event_t *ev); /* -1 unknown */
void parley_event_set_author_verified(parley_event_t *ev, int verified);
int parley_event_author_verified(const parley_event_t *ev);

/* Content. lang is a BCP 47 tag ("en", "de", "nl"). */
int parley_event_set_text(parley_event_t *ev, const char *text);
const char *parley_event_text(const parley_event_t *ev);
int parley_event_set_lang(parley_event_t *ev, const char *lang);
const char *parley_event_lang(const parley_event_t *ev);
int parley_event_set_url(parley_event_t *ev, const char *url);
const char *parley_event_url(const parley_event_t *ev);
void parley_event_set_created_at(parley_event_t *ev, int64_t ms);
int64_t parley_event_created_at(const parley_event_t *ev);
void parley_event_set_received_at(parley_event_t *ev, int64_t ms);
int64_t parley_event_received_at(const parley_event_t *ev);

/* Media: an ordered list of {type ("image", "video", "gif", "audio",
 * "file"), url}. add copies both strings. */
int parley_event_add_media(parley_event_t *ev, const char *type, const char *url);
size_t parley_event_media_count(const parley_event_t *ev);
/* Returns 0 and sets *type and *url (owned by the event), or PARLEY_ENOENT. */
int parley_event_media(const parley_event_t *ev, size_t i, const char **type,
                       const char **url);

/* Signals, set by enrichment or the connector.
 * sentiment in [-1, 1], NaN when unset; priority 0 (lowest) .. 100 (most
 * urgent), -1 when unset (any negative value unsets it); sla_due is a time
 * in ms, 0 unset; keywords are the names of the matched keyword sets (or,
 * from a connector, the matched terms); matched_query names the search query
 * or rule that matched; lang_confidence in [0, 1] says how sure the language
 * detector was of lang, NaN when unset (lang came from the platform). */
void parley_event_set_sentiment(parley_event_t *ev, double sentiment);
double parley_event_sentiment(const parley_event_t *ev);
void parley_event_set_priority(parley_event_t *ev, int priority);
int parley_event_priority(const parley_event_t *ev);
void parley_event_set_sla_due(parley_event_t *ev, int64_t ms);
int64_t parley_event_sla_due(const parley_event_t *ev);
int parley_event_add_keyword(parley_event_t *ev, const char *keyword);
size_t parley_event_keyword_count(const parley_event_t *ev);
const char *parley_event_keyword(const parley_event_t *ev, size_t i); /* NULL past end */
int parley_event_set_matched_query(parley_event_t *ev, const char *query);
const char *parley_event_matched_query(const parley_event_t *ev);
/* Since ABI 1.1. */
void parley_event_set_lang_confidence(parley_event_t *ev, double confidence);
double parley_event_lang_confidence(const parley_event_t *ev);

/* Repaired input: the number of characters parley replaced with U+FFFD
 * in the platform text this event was built from (invalid UTF-8, a raw NUL
 * or control character, a lone UTF-16 surrogate escape), so a consumer
 * knows its text may differ from what the author wrote. 0 (the default)
 * means the input parsed as it was and the field is left out of the JSON.
 * Connectors set it from parley_sdk_json_parse_repair's count. Added after
 * ABI 1.1; older decoders ignore the key. */
void parley_event_set_repaired(parley_event_t *ev, uint32_t count);
uint32_t parley_event_repaired(const parley_event_t *ev);

/* The platform payload, as JSON text. set_raw checks that json is valid JSON
 * (PARLEY_EPARSE otherwise) and stores it; raw() returns it or NULL. */
int parley_event_set_raw(parley_event_t *ev, const char *json, size_t len);
const char *parley_event_raw(const parley_event_t *ev);

/* Check that every required field is present and every value is in range.
 * On failure returns PARLEY_EINVAL with err naming the field. */
int parley_event_validate(const parley_event_t *ev, parley_error_t *err);

/* Encode as one line of compact JSON (no trailing newline), keys in schema
 * order. The caller frees *out with free(). */
int parley_event_to_json(const parley_event_t *ev, char **out, size_t *len);
/* Decode. Rejects malformed JSON (with line/column), a wrong "schema", and a
 * missing or mistyped field, naming it in err. The caller frees *out. */
int parley_event_from_json(const char *json, size_t len, parley_event_t **out,
                           parley_error_t *err);

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_EVENT_H */
