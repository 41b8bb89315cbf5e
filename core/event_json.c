/* parley core — the event's JSON codec (schema "parley.event.v1").
 *
 * Built on the public event API only, so the wire format can be read next to
 * docs/event.schema.json without the struct in mind. The encoder writes
 * text directly (json_write.h, the bytes jansson would dump), keys in
 * schema order; unset optional fields are omitted; ids are always strings; times are RFC 3339 UTC with
 * milliseconds; "raw" is embedded as a JSON value. The decoder ignores keys
 * it does not know, so a newer producer's additions do not break an older
 * consumer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/error.h"
#include "parley/event.h"
#include "parley/time.h"
#include "json_write.h"

/* The largest encoded event, so whatever the encoder writes the decoder
 * reads back; larger input is refused before parsing. */
#define PARLEY_EVENT_JSON_MAX ((size_t)16 * 1024 * 1024)

/* Sentiment is written with 15 significant digits: 0.35 stays "0.35"
 * rather than "0.34999999999999998", and any 15-digit decimal survives a
 * trip through a double, so re-encoding a decoded event gives the same
 * bytes. "raw" keeps jansson's lossless default (17). */
#define PARLEY_EVENT_REAL_PRECISION 15
#define PARLEY_EVENT_RAW_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

static void parley_ev_put_str(parley_jw_t *w, const char *key, const char *s) {
  if (s != NULL)
    parley_jw_str(w, key, s);
}

static void parley_ev_put_time(parley_jw_t *w, const char *key, int64_t ms) {
  char buf[PARLEY_TIME_MAX];
  if (ms == 0)
    return;
  if (parley_time_format(ms, buf, sizeof buf) < 0)
    w->err = w->err ? w->err : PARLEY_EINVAL;
  else
    parley_jw_str(w, key, buf);
}

/* Objects and arrays without members are left out (drop_empty). */
static void parley_ev_encode_author(const parley_event_t *ev, parley_jw_t *w) {
  size_t mark = parley_jw_open(w, "author", '{');
  parley_ev_put_str(w, "id", parley_event_author_id(ev));
  parley_ev_put_str(w, "handle", parley_event_author_handle(ev));
  parley_ev_put_str(w, "name", parley_event_author_name(ev));
  if (parley_event_author_followers(ev) >= 0)
    parley_jw_int(w, "followers", parley_event_author_followers(ev));
  /* false and unknown are the same on the wire: the key is left out. */
  if (parley_event_author_verified(ev))
    parley_jw_bool(w, "verified", 1);
  parley_jw_close(w, mark, '{', 1);
}

static void parley_ev_encode_media(const parley_event_t *ev, parley_jw_t *w) {
  size_t mark = parley_jw_open(w, "media", '[');
  const char *type, *url;
  for (size_t i = 0; parley_event_media(ev, i, &type, &url) == 0; i++) {
    size_t m = parley_jw_open(w, NULL, '{');
    parley_jw_str(w, "type", type);
    parley_jw_str(w, "url", url);
    parley_jw_close(w, m, '{', 0);
  }
  parley_jw_close(w, mark, '[', 1);
}

static void parley_ev_encode_keywords(const parley_event_t *ev, parley_jw_t *w) {
  size_t mark = parley_jw_open(w, "keywords", '[');
  const char *k;
  for (size_t i = 0; (k = parley_event_keyword(ev, i)) != NULL; i++)
    parley_jw_str(w, NULL, k);
  parley_jw_close(w, mark, '[', 1);
}

static void parley_ev_encode_signals(const parley_event_t *ev, parley_jw_t *w) {
  size_t mark = parley_jw_open(w, "signals", '{');
  if (!isnan(parley_event_sentiment(ev)))
    parley_jw_real(w, "sentiment", parley_event_sentiment(ev), PARLEY_EVENT_REAL_PRECISION);
  if (parley_event_priority(ev) >= 0)
    parley_jw_int(w, "priority", parley_event_priority(ev));
  parley_ev_encode_keywords(ev, w);
  parley_ev_put_str(w, "matched_query", parley_event_matched_query(ev));
  parley_ev_put_time(w, "sla_due", parley_event_sla_due(ev));
  if (!isnan(parley_event_lang_confidence(ev)))
    parley_jw_real(w, "lang_confidence", parley_event_lang_confidence(ev),
                   PARLEY_EVENT_REAL_PRECISION);
  parley_jw_close(w, mark, '{', 1);
}

static void parley_ev_encode_head(const parley_event_t *ev, parley_jw_t *w) {
  parley_jw_str(w, "schema", PARLEY_EVENT_SCHEMA);
  parley_jw_str(w, "id", parley_event_id(ev));
  parley_jw_str(w, "platform", parley_event_platform(ev));
  parley_jw_str(w, "connector", parley_event_connector(ev));
  parley_jw_str(w, "account", parley_event_account(ev));
  parley_jw_str(w, "kind", parley_kind_name(parley_event_kind(ev)));
  parley_jw_str(w, "visibility", parley_visibility_name(parley_event_visibility(ev)));
  parley_ev_put_str(w, "conversation_id", parley_event_conversation_id(ev));
  parley_ev_put_str(w, "in_reply_to", parley_event_in_reply_to(ev));
}

static void parley_ev_encode_body(const parley_event_t *ev, parley_jw_t *w) {
  parley_ev_encode_author(ev, w);
  parley_ev_put_str(w, "text", parley_event_text(ev));
  parley_ev_put_str(w, "lang", parley_event_lang(ev));
  parley_ev_put_time(w, "created_at", parley_event_created_at(ev));
  parley_ev_put_time(w, "received_at", parley_event_received_at(ev));
  parley_ev_put_str(w, "url", parley_event_url(ev));
  parley_ev_encode_media(ev, w);
  parley_ev_encode_signals(ev, w);
  if (parley_event_repaired(ev) > 0)
    parley_jw_int(w, "repaired", (int64_t)parley_event_repaired(ev));
}

/* "raw" comes last. It was checked as JSON when it was set; here it is
 * made compact, keeping its own number precision (jansson's lossless 17). */
static void parley_ev_encode_raw(const char *raw, parley_jw_t *w) {
  json_t *v = json_loads(raw, JSON_DECODE_ANY, NULL);
  char *r = v ? json_dumps(v, PARLEY_EVENT_RAW_FLAGS) : NULL;
  json_decref(v);
  if (r == NULL)
    w->err = w->err ? w->err : PARLEY_ENOMEM;
  else
    parley_jw_json(w, "raw", r, strlen(r));
  free(r);
}

int parley_event_to_json(const parley_event_t *ev, char **out, size_t *len) {
  if (out == NULL || parley_event_validate(ev, NULL) != 0)
    return PARLEY_EINVAL;
  parley_jw_t w;
  parley_jw_init(&w, 1024);
  size_t top = parley_jw_open(&w, NULL, '{');
  parley_ev_encode_head(ev, &w);
  parley_ev_encode_body(ev, &w);
  if (parley_event_raw(ev) != NULL)
    parley_ev_encode_raw(parley_event_raw(ev), &w);
  parley_jw_close(&w, top, '{', 0);
  size_t n = 0;
  int rc = parley_jw_finish(&w, out, &n);
  if (rc == 0 && n > PARLEY_EVENT_JSON_MAX) {
    free(*out);
    *out = NULL;
    rc = PARLEY_ETOOBIG;
  }
  if (rc == 0 && len)
    *len = n;
  return rc;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

/* Where a field is and where errors go. path is "event", "event.author",
 * "event.media[2]"... */
typedef struct parley_ev_dec {
  parley_event_t *ev;
  parley_error_t *err;
} parley_ev_dec_t;

static int parley_ev_missing(parley_ev_dec_t *d, const char *path, const char *key) {
  return parley_error_set(d->err, PARLEY_EINVAL, "%s.%s: missing required field", path, key);
}

static int parley_ev_wrong(parley_ev_dec_t *d, const char *path, const char *key,
                           const char *expected) {
  return parley_error_set(d->err, PARLEY_EINVAL, "%s.%s: expected %s", path, key, expected);
}

/* A setter failed on a value jansson accepted: only out of memory or a
 * value out of the setter's domain remain. */
static int parley_ev_set_failed(parley_ev_dec_t *d, int rc, const char *path, const char *key) {
  if (rc == PARLEY_ENOMEM)
    return parley_error_set(d->err, rc, "%s.%s: out of memory", path, key);
  return parley_error_set(d->err, rc, "%s.%s: invalid value", path, key);
}

/* Fetch o[key] as a string: 0 with *s (NULL when absent and optional). */
static int parley_ev_get_str(parley_ev_dec_t *d, json_t *o, const char *path, const char *key,
                             int required, const char **s) {
  json_t *v = json_object_get(o, key);
  *s = NULL;
  if (v == NULL)
    return required ? parley_ev_missing(d, path, key) : 0;
  if (!json_is_string(v))
    return parley_ev_wrong(d, path, key, "string");
  *s = json_string_value(v);
  return 0;
}

typedef int (*parley_ev_str_setter)(parley_event_t *ev, const char *v);

typedef struct parley_ev_str_field {
  const char *key;
  int required;
  parley_ev_str_setter set;
} parley_ev_str_field_t;

static int parley_ev_decode_strings(parley_ev_dec_t *d, json_t *o, const char *path,
                                    const parley_ev_str_field_t *fields, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *s;
    int rc = parley_ev_get_str(d, o, path, fields[i].key, fields[i].required, &s);
    if (rc == 0 && fields[i].required && *s == '\0')
      rc = parley_error_set(d->err, PARLEY_EINVAL, "%s.%s: must not be empty", path, fields[i].key);
    if (rc == 0 && s != NULL && (rc = fields[i].set(d->ev, s)) != 0)
      rc = parley_ev_set_failed(d, rc, path, fields[i].key);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* An RFC 3339 time; *ms stays 0 when absent and optional. */
static int parley_ev_get_time(parley_ev_dec_t *d, json_t *o, const char *path, const char *key,
                              int required, int64_t *ms) {
  const char *s;
  *ms = 0;
  int rc = parley_ev_get_str(d, o, path, key, required, &s);
  if (rc != 0 || s == NULL)
    return rc;
  if (parley_time_parse(s, ms) != 0)
    return parley_error_set(d->err, PARLEY_EINVAL,
                            "%s.%s: expected an RFC 3339 date-time, got \"%.40s\"", path, key, s);
  return 0;
}

static int parley_ev_decode_schema(parley_ev_dec_t *d, json_t *o) {
  const char *s;
  int rc = parley_ev_get_str(d, o, "event", "schema", 1, &s);
  if (rc == 0 && strcmp(s, PARLEY_EVENT_SCHEMA) != 0)
    rc = parley_error_set(d->err, PARLEY_EINVAL, "event.schema: expected \"%s\", got \"%.40s\"",
                          PARLEY_EVENT_SCHEMA, s);
  return rc;
}

static int parley_ev_decode_enums(parley_ev_dec_t *d, json_t *o) {
  const char *s;
  parley_kind_t kind;
  parley_visibility_t vis;
  int rc = parley_ev_get_str(d, o, "event", "kind", 1, &s);
  if (rc == 0 && parley_kind_parse(s, &kind) != 0)
    rc = parley_error_set(d->err, PARLEY_EINVAL, "event.kind: \"%.40s\" is not a known kind", s);
  if (rc == 0)
    rc = parley_ev_get_str(d, o, "event", "visibility", 1, &s);
  if (rc == 0 && parley_visibility_parse(s, &vis) != 0)
    rc = parley_error_set(d->err, PARLEY_EINVAL,
                          "event.visibility: \"%.40s\" is not public or private", s);
  if (rc != 0)
    return rc;
  parley_event_set_kind(d->ev, kind);
  parley_event_set_visibility(d->ev, vis);
  return 0;
}

static int parley_ev_decode_times(parley_ev_dec_t *d, json_t *o) {
  int64_t created, received;
  int rc = parley_ev_get_time(d, o, "event", "created_at", 1, &created);
  if (rc == 0)
    rc = parley_ev_get_time(d, o, "event", "received_at", 1, &received);
  if (rc != 0)
    return rc;
  parley_event_set_created_at(d->ev, created);
  parley_event_set_received_at(d->ev, received);
  return 0;
}

/* Fetch o[key] as an object or array (per is_array); NULL when absent. */
static int parley_ev_get_container(parley_ev_dec_t *d, json_t *o, const char *path,
                                   const char *key, int is_array, json_t **out) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL)
    return 0;
  if (is_array ? !json_is_array(v) : !json_is_object(v))
    return parley_ev_wrong(d, path, key, is_array ? "array" : "object");
  *out = v;
  return 0;
}

static int parley_ev_decode_followers(parley_ev_dec_t *d, json_t *a) {
  json_t *v = json_object_get(a, "followers");
  if (v == NULL)
    return 0;
  if (!json_is_integer(v))
    return parley_ev_wrong(d, "event.author", "followers", "integer");
  if (json_integer_value(v) < 0)
    return parley_error_set(d->err, PARLEY_EINVAL, "event.author.followers: must be >= 0");
  parley_event_set_author_followers(d->ev, json_integer_value(v));
  return 0;
}

static int parley_ev_decode_author(parley_ev_dec_t *d, json_t *o) {
  static const parley_ev_str_field_t fields[] = {
      {"id", 0, parley_event_set_author_id},
      {"handle", 0, parley_event_set_author_handle},
      {"name", 0, parley_event_set_author_name},
  };
  json_t *a, *v;
  int rc = parley_ev_get_container(d, o, "event", "author", 0, &a);
  if (rc != 0 || a == NULL)
    return rc;
  rc = parley_ev_decode_strings(d, a, "event.author", fields, sizeof fields / sizeof *fields);
  if (rc == 0)
    rc = parley_ev_decode_followers(d, a);
  if (rc == 0 && (v = json_object_get(a, "verified")) != NULL) {
    if (!json_is_boolean(v))
      return parley_ev_wrong(d, "event.author", "verified", "boolean");
    parley_event_set_author_verified(d->ev, json_is_true(v));
  }
  return rc;
}

static int parley_ev_decode_media_item(parley_ev_dec_t *d, json_t *m, size_t i) {
  char path[48];
  const char *type, *url;
  snprintf(path, sizeof path, "event.media[%zu]", i);
  if (!json_is_object(m))
    return parley_error_set(d->err, PARLEY_EINVAL, "%s: expected object", path);
  int rc = parley_ev_get_str(d, m, path, "type", 1, &type);
  if (rc == 0)
    rc = parley_ev_get_str(d, m, path, "url", 1, &url);
  if (rc == 0 && *url == '\0')
    rc = parley_error_set(d->err, PARLEY_EINVAL, "%s.url: must not be empty", path);
  if (rc != 0)
    return rc;
  rc = parley_event_add_media(d->ev, type, url);
  if (rc == PARLEY_EINVAL)
    return parley_error_set(d->err, rc,
                            "%s.type: \"%.40s\" is not one of image, video, gif, audio, file",
                            path, type);
  return rc ? parley_ev_set_failed(d, rc, path, "type") : 0;
}

static int parley_ev_decode_media(parley_ev_dec_t *d, json_t *o) {
  json_t *arr, *m;
  size_t i;
  int rc = parley_ev_get_container(d, o, "event", "media", 1, &arr);
  if (rc != 0 || arr == NULL)
    return rc;
  json_array_foreach(arr, i, m) {
    if ((rc = parley_ev_decode_media_item(d, m, i)) != 0)
      return rc;
  }
  return 0;
}

static int parley_ev_decode_sentiment(parley_ev_dec_t *d, json_t *s) {
  json_t *v = json_object_get(s, "sentiment");
  if (v == NULL)
    return 0;
  if (!json_is_number(v))
    return parley_ev_wrong(d, "event.signals", "sentiment", "number");
  double x = json_number_value(v);
  if (!(x >= -1.0 && x <= 1.0))
    return parley_error_set(d->err, PARLEY_EINVAL, "event.signals.sentiment: must be in [-1, 1]");
  parley_event_set_sentiment(d->ev, x);
  return 0;
}

static int parley_ev_decode_lang_confidence(parley_ev_dec_t *d, json_t *s) {
  json_t *v = json_object_get(s, "lang_confidence");
  if (v == NULL)
    return 0;
  if (!json_is_number(v))
    return parley_ev_wrong(d, "event.signals", "lang_confidence", "number");
  double x = json_number_value(v);
  if (!(x >= 0.0 && x <= 1.0))
    return parley_error_set(d->err, PARLEY_EINVAL, "event.signals.lang_confidence: must be in [0, 1]");
  parley_event_set_lang_confidence(d->ev, x);
  return 0;
}

static int parley_ev_decode_priority(parley_ev_dec_t *d, json_t *s) {
  json_t *v = json_object_get(s, "priority");
  if (v == NULL)
    return 0;
  if (!json_is_integer(v))
    return parley_ev_wrong(d, "event.signals", "priority", "integer");
  if (json_integer_value(v) < 0 || json_integer_value(v) > 100)
    return parley_error_set(d->err, PARLEY_EINVAL,
                            "event.signals.priority: must be 0 (lowest) to 100 (most urgent)");
  parley_event_set_priority(d->ev, (int)json_integer_value(v));
  return 0;
}

static int parley_ev_decode_keywords(parley_ev_dec_t *d, json_t *s) {
  json_t *arr, *k;
  size_t i;
  int rc = parley_ev_get_container(d, s, "event.signals", "keywords", 1, &arr);
  if (rc != 0 || arr == NULL)
    return rc;
  json_array_foreach(arr, i, k) {
    if (!json_is_string(k))
      return parley_error_set(d->err, PARLEY_EINVAL,
                              "event.signals.keywords[%zu]: expected string", i);
    rc = parley_event_add_keyword(d->ev, json_string_value(k));
    if (rc == PARLEY_EINVAL)
      return parley_error_set(d->err, rc, "event.signals.keywords[%zu]: empty keyword", i);
    if (rc != 0)
      return parley_ev_set_failed(d, rc, "event.signals", "keywords");
  }
  return 0;
}

static int parley_ev_decode_signals(parley_ev_dec_t *d, json_t *o) {
  static const parley_ev_str_field_t fields[] = {
      {"matched_query", 0, parley_event_set_matched_query},
  };
  json_t *s;
  int64_t due;
  int rc = parley_ev_get_container(d, o, "event", "signals", 0, &s);
  if (rc != 0 || s == NULL)
    return rc;
  rc = parley_ev_decode_sentiment(d, s);
  if (rc == 0)
    rc = parley_ev_decode_priority(d, s);
  if (rc == 0)
    rc = parley_ev_decode_keywords(d, s);
  if (rc == 0)
    rc = parley_ev_decode_strings(d, s, "event.signals", fields, 1);
  if (rc == 0)
    rc = parley_ev_get_time(d, s, "event.signals", "sla_due", 0, &due);
  if (rc == 0)
    parley_event_set_sla_due(d->ev, due);
  if (rc == 0)
    rc = parley_ev_decode_lang_confidence(d, s);
  return rc;
}

static int parley_ev_decode_repaired(parley_ev_dec_t *d, json_t *o) {
  json_t *v = json_object_get(o, "repaired");
  if (v == NULL)
    return 0;
  if (!json_is_integer(v))
    return parley_ev_wrong(d, "event", "repaired", "integer");
  if (json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
    return parley_error_set(d->err, PARLEY_EINVAL, "event.repaired: must be 0 to %u",
                            (unsigned)UINT32_MAX);
  parley_event_set_repaired(d->ev, (uint32_t)json_integer_value(v));
  return 0;
}

static int parley_ev_decode_raw(parley_ev_dec_t *d, json_t *o) {
  json_t *v = json_object_get(o, "raw");
  if (v == NULL)
    return 0;
  char *text = json_dumps(v, PARLEY_EVENT_RAW_FLAGS);
  int rc = text ? parley_event_set_raw(d->ev, text, strlen(text)) : PARLEY_ENOMEM;
  free(text);
  return rc ? parley_ev_set_failed(d, rc, "event", "raw") : 0;
}

static int parley_ev_decode_object(parley_ev_dec_t *d, json_t *o) {
  static const parley_ev_str_field_t fields[] = {
      {"id", 1, parley_event_set_id},
      {"platform", 1, parley_event_set_platform},
      {"connector", 1, parley_event_set_connector},
      {"account", 1, parley_event_set_account},
      {"conversation_id", 0, parley_event_set_conversation_id},
      {"in_reply_to", 0, parley_event_set_in_reply_to},
      {"text", 0, parley_event_set_text},
      {"lang", 0, parley_event_set_lang},
      {"url", 0, parley_event_set_url},
  };
  int rc = parley_ev_decode_schema(d, o);
  if (rc == 0)
    rc = parley_ev_decode_strings(d, o, "event", fields, sizeof fields / sizeof *fields);
  if (rc == 0)
    rc = parley_ev_decode_enums(d, o);
  if (rc == 0)
    rc = parley_ev_decode_author(d, o);
  if (rc == 0)
    rc = parley_ev_decode_times(d, o);
  if (rc == 0)
    rc = parley_ev_decode_media(d, o);
  if (rc == 0)
    rc = parley_ev_decode_signals(d, o);
  if (rc == 0)
    rc = parley_ev_decode_repaired(d, o);
  if (rc == 0)
    rc = parley_ev_decode_raw(d, o);
  /* Cross-field rules (id prefix, lang tag, ...) live in validate. */
  if (rc == 0)
    rc = parley_event_validate(d->ev, d->err);
  return rc;
}

static int parley_ev_parse(const char *json, size_t len, json_t **out, parley_error_t *err) {
  json_error_t jerr;
  if (len > PARLEY_EVENT_JSON_MAX)
    return parley_error_set(err, PARLEY_ETOOBIG, "event: %zu bytes is more than the limit of %zu",
                            len, PARLEY_EVENT_JSON_MAX);
  /* Duplicate keys are refused: which one wins would be a guess. */
  json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
  if (o == NULL)
    return parley_error_set_json(err, "event", jerr.line, jerr.column, (size_t)jerr.position,
                                 len, jerr.text);
  if (!json_is_object(o)) {
    json_decref(o);
    return parley_error_set(err, PARLEY_EINVAL, "event: expected a JSON object");
  }
  *out = o;
  return 0;
}

int parley_event_from_json(const char *json, size_t len, parley_event_t **out,
                           parley_error_t *err) {
  if (out == NULL || json == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "event: no input");
  *out = NULL;
  json_t *o = NULL;
  int rc = parley_ev_parse(json, len, &o, err);
  if (rc != 0)
    return rc;
  parley_ev_dec_t d = {parley_event_new(), err};
  rc = d.ev ? parley_ev_decode_object(&d, o)
            : parley_error_set(err, PARLEY_ENOMEM, "event: out of memory");
  json_decref(o);
  if (rc != 0) {
    parley_event_free(d.ev);
    return rc;
  }
  *out = d.ev;
  return 0;
}
