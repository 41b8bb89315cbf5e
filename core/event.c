/* parley core — the unified event: storage, setters, getters, validation.
 * The JSON codec is in event_json.c and uses only the public API. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/error.h"
#include "parley/event.h"
#include "parley/time.h"
#include "util.h"

typedef struct parley_event_media {
  char *type;
  char *url;
} parley_event_media_t;

struct parley_event {
  char *id;
  char *platform;
  char *connector;
  char *account;
  parley_kind_t kind;
  parley_visibility_t visibility;
  char *conversation_id;
  char *in_reply_to;
  char *author_id;
  char *author_handle;
  char *author_name;
  int64_t author_followers; /* -1 unknown */
  int author_verified;      /* 0 or 1 */
  char *text;
  char *lang;
  char *url;
  int64_t created_at;
  int64_t received_at;
  parley_event_media_t *media;
  size_t media_count;
  size_t media_cap;
  double sentiment; /* NaN unset */
  int priority;     /* -1 unset */
  double lang_confidence; /* NaN unset */
  int64_t sla_due;  /* 0 unset */
  char **keywords;
  size_t keyword_count;
  size_t keyword_cap;
  char *matched_query;
  uint32_t repaired; /* characters replaced by U+FFFD in the input, 0 none */
  char *raw; /* valid JSON text, as given */
};

/* The media types of the schema, in its order. */
static const char *const parley_event_media_types[] = {"image", "video", "gif", "audio",
                                                        "file"};

/* ------------------------------------------------------------------ */
/* Strings                                                             */
/* ------------------------------------------------------------------ */

/* A copy of a required, non-empty, valid UTF-8 string, for list items. */
static int parley_event_strdup_item(const char *s, char **out) {
  if (s == NULL || *s == '\0' || !parley_util_utf8_valid((const unsigned char *)s))
    return PARLEY_EINVAL;
  *out = strdup(s);
  return *out ? 0 : PARLEY_ENOMEM;
}

/* Grow an array so it holds one more item of size sz. */
static int parley_event_grow(void **items, size_t count, size_t *cap, size_t sz) {
  if (count < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 4;
  void *n = realloc(*items, ncap * sz);
  if (n == NULL)
    return PARLEY_ENOMEM;
  *items = n;
  *cap = ncap;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

parley_event_t *parley_event_new(void) {
  parley_event_t *ev = calloc(1, sizeof *ev);
  if (ev == NULL)
    return NULL;
  ev->kind = PARLEY_KIND_UNKNOWN;
  ev->visibility = PARLEY_VISIBILITY_PUBLIC;
  ev->author_followers = -1;
  ev->sentiment = NAN;
  ev->priority = -1;
  ev->lang_confidence = NAN;
  return ev;
}

/* Every string field, for free and clone. */
#define PARLEY_EVENT_STRINGS(X)                                                \
  X(id) X(platform) X(connector) X(account) X(conversation_id) X(in_reply_to) \
  X(author_id) X(author_handle) X(author_name) X(text) X(lang) X(url)         \
  X(matched_query) X(raw)

static void parley_event_free_lists(parley_event_t *ev) {
  for (size_t i = 0; i < ev->media_count; i++) {
    free(ev->media[i].type);
    free(ev->media[i].url);
  }
  free(ev->media);
  for (size_t i = 0; i < ev->keyword_count; i++)
    free(ev->keywords[i]);
  free(ev->keywords);
}

void parley_event_free(parley_event_t *ev) {
  if (ev == NULL)
    return;
#define PARLEY_EVENT_FREE_(f) free(ev->f);
  PARLEY_EVENT_STRINGS(PARLEY_EVENT_FREE_)
#undef PARLEY_EVENT_FREE_
  parley_event_free_lists(ev);
  free(ev);
}

static int parley_event_clone_lists(const parley_event_t *ev, parley_event_t *c) {
  for (size_t i = 0; i < ev->media_count; i++) {
    if (parley_event_add_media(c, ev->media[i].type, ev->media[i].url) != 0)
      return PARLEY_ENOMEM;
  }
  for (size_t i = 0; i < ev->keyword_count; i++) {
    if (parley_event_add_keyword(c, ev->keywords[i]) != 0)
      return PARLEY_ENOMEM;
  }
  return 0;
}

parley_event_t *parley_event_clone(const parley_event_t *ev) {
  if (ev == NULL)
    return NULL;
  parley_event_t *c = malloc(sizeof *c);
  if (c == NULL)
    return NULL;
  /* Copy the scalars, then replace every pointer with a copy of its own. */
  *c = *ev;
  c->media = NULL;
  c->media_count = c->media_cap = 0;
  c->keywords = NULL;
  c->keyword_count = c->keyword_cap = 0;
  int failed = 0;
#define PARLEY_EVENT_CLONE_(f)                                                 \
  c->f = ev->f ? strdup(ev->f) : NULL;                                         \
  failed |= ev->f && !c->f;
  PARLEY_EVENT_STRINGS(PARLEY_EVENT_CLONE_)
#undef PARLEY_EVENT_CLONE_
  if (failed || parley_event_clone_lists(ev, c) != 0) {
    parley_event_free(c);
    return NULL;
  }
  return c;
}

/* ------------------------------------------------------------------ */
/* Plain string fields                                                 */
/* ------------------------------------------------------------------ */

#define PARLEY_EVENT_STRING_FIELD(name, field)                                 \
  int parley_event_set_##name(parley_event_t *ev, const char *v) {            \
    if (ev == NULL)                                                            \
      return PARLEY_EINVAL;                                                    \
    return parley_util_strset(&ev->field, v);                                 \
  }                                                                            \
  const char *parley_event_##name(const parley_event_t *ev) {                 \
    return ev ? ev->field : NULL;                                              \
  }

PARLEY_EVENT_STRING_FIELD(id, id)
PARLEY_EVENT_STRING_FIELD(platform, platform)
PARLEY_EVENT_STRING_FIELD(connector, connector)
PARLEY_EVENT_STRING_FIELD(account, account)
PARLEY_EVENT_STRING_FIELD(conversation_id, conversation_id)
PARLEY_EVENT_STRING_FIELD(in_reply_to, in_reply_to)
PARLEY_EVENT_STRING_FIELD(author_id, author_id)
PARLEY_EVENT_STRING_FIELD(author_handle, author_handle)
PARLEY_EVENT_STRING_FIELD(author_name, author_name)
PARLEY_EVENT_STRING_FIELD(text, text)
PARLEY_EVENT_STRING_FIELD(lang, lang)
PARLEY_EVENT_STRING_FIELD(url, url)
PARLEY_EVENT_STRING_FIELD(matched_query, matched_query)

/* ------------------------------------------------------------------ */
/* Scalar fields                                                       */
/* ------------------------------------------------------------------ */

#define PARLEY_EVENT_SCALAR_FIELD(name, field, type, unset)                    \
  void parley_event_set_##name(parley_event_t *ev, type v) {                  \
    if (ev)                                                                    \
      ev->field = v;                                                           \
  }                                                                            \
  type parley_event_##name(const parley_event_t *ev) { return ev ? ev->field : (unset); }

PARLEY_EVENT_SCALAR_FIELD(kind, kind, parley_kind_t, PARLEY_KIND_UNKNOWN)
PARLEY_EVENT_SCALAR_FIELD(visibility, visibility, parley_visibility_t, PARLEY_VISIBILITY_PUBLIC)
PARLEY_EVENT_SCALAR_FIELD(created_at, created_at, int64_t, 0)
PARLEY_EVENT_SCALAR_FIELD(received_at, received_at, int64_t, 0)
PARLEY_EVENT_SCALAR_FIELD(sentiment, sentiment, double, NAN)
PARLEY_EVENT_SCALAR_FIELD(priority, priority, int, -1)
PARLEY_EVENT_SCALAR_FIELD(lang_confidence, lang_confidence, double, NAN)
PARLEY_EVENT_SCALAR_FIELD(sla_due, sla_due, int64_t, 0)
PARLEY_EVENT_SCALAR_FIELD(repaired, repaired, uint32_t, 0)

void parley_event_set_author_followers(parley_event_t *ev, int64_t followers) {
  if (ev)
    ev->author_followers = followers < 0 ? -1 : followers;
}

int64_t parley_event_author_followers(const parley_event_t *ev) {
  return ev ? ev->author_followers : -1;
}

void parley_event_set_author_verified(parley_event_t *ev, int verified) {
  if (ev)
    ev->author_verified = verified != 0;
}

int parley_event_author_verified(const parley_event_t *ev) {
  return ev ? ev->author_verified : 0;
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */
/* ------------------------------------------------------------------ */

static int parley_event_media_type_known(const char *type) {
  size_t n = sizeof parley_event_media_types / sizeof *parley_event_media_types;
  for (size_t i = 0; type && i < n; i++) {
    if (strcmp(type, parley_event_media_types[i]) == 0)
      return 1;
  }
  return 0;
}

int parley_event_add_media(parley_event_t *ev, const char *type, const char *url) {
  parley_event_media_t m = {NULL, NULL};
  if (ev == NULL || !parley_event_media_type_known(type))
    return PARLEY_EINVAL;
  int rc = parley_event_grow((void **)&ev->media, ev->media_count, &ev->media_cap,
                             sizeof *ev->media);
  if (rc == 0)
    rc = parley_event_strdup_item(url, &m.url);
  if (rc == 0)
    rc = parley_event_strdup_item(type, &m.type);
  if (rc != 0) {
    free(m.url);
    return rc;
  }
  ev->media[ev->media_count++] = m;
  return 0;
}

size_t parley_event_media_count(const parley_event_t *ev) {
  return ev ? ev->media_count : 0;
}

int parley_event_media(const parley_event_t *ev, size_t i, const char **type,
                       const char **url) {
  if (ev == NULL || i >= ev->media_count)
    return PARLEY_ENOENT;
  if (type)
    *type = ev->media[i].type;
  if (url)
    *url = ev->media[i].url;
  return 0;
}

int parley_event_add_keyword(parley_event_t *ev, const char *keyword) {
  char *copy;
  if (ev == NULL)
    return PARLEY_EINVAL;
  int rc = parley_event_grow((void **)&ev->keywords, ev->keyword_count, &ev->keyword_cap,
                             sizeof *ev->keywords);
  if (rc == 0)
    rc = parley_event_strdup_item(keyword, &copy);
  if (rc != 0)
    return rc;
  ev->keywords[ev->keyword_count++] = copy;
  return 0;
}

size_t parley_event_keyword_count(const parley_event_t *ev) {
  return ev ? ev->keyword_count : 0;
}

const char *parley_event_keyword(const parley_event_t *ev, size_t i) {
  return ev && i < ev->keyword_count ? ev->keywords[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Raw payload                                                         */
/* ------------------------------------------------------------------ */

int parley_event_set_raw(parley_event_t *ev, const char *json, size_t len) {
  if (ev == NULL)
    return PARLEY_EINVAL;
  if (json == NULL) {
    free(ev->raw);
    ev->raw = NULL;
    return 0;
  }
  /* Parsed only to check it; it is stored as given. Any JSON value. */
  json_t *v = json_loadb(json, len, JSON_DECODE_ANY, NULL);
  if (v == NULL)
    return PARLEY_EPARSE;
  json_decref(v);
  char *copy = malloc(len + 1);
  if (copy == NULL)
    return PARLEY_ENOMEM;
  memcpy(copy, json, len);
  copy[len] = '\0';
  free(ev->raw);
  ev->raw = copy;
  return 0;
}

const char *parley_event_raw(const parley_event_t *ev) {
  return ev ? ev->raw : NULL;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

/* Platform names end up in NATS subjects and metric labels, so they are
 * restricted to lowercase letters, digits, '_' and '-'. */
static int parley_event_platform_valid(const char *p) {
  if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
    return 0;
  for (; *p; p++) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return 0;
  }
  return 1;
}

static int parley_event_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* BCP 47 shape: a 2-8 letter primary subtag, then '-' separated 1-8
 * character alphanumeric subtags ("en", "de-CH", "zh-Hant-TW"). */
static int parley_event_lang_valid(const char *s) {
  size_t n = 0;
  for (; (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'); s++)
    n++;
  if (n < 2 || n > 8)
    return 0;
  while (*s == '-') {
    s++;
    for (n = 0; parley_event_alnum(*s); s++)
      n++;
    if (n < 1 || n > 8)
      return 0;
  }
  return *s == '\0';
}

static int parley_event_time_valid(int64_t ms) {
  char buf[PARLEY_TIME_MAX];
  return parley_time_format(ms, buf, sizeof buf) > 0;
}

static int parley_event_validate_identity(const parley_event_t *ev, parley_error_t *err) {
  static const char *const missing = "%s: missing required field";
  if (ev->id == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "event.id");
  if (ev->platform == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "event.platform");
  if (ev->connector == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "event.connector");
  if (ev->account == NULL)
    return parley_error_set(err, PARLEY_EINVAL, missing, "event.account");
  if (!parley_event_platform_valid(ev->platform))
    return parley_error_set(err, PARLEY_EINVAL,
                            "event.platform: must be lowercase letters, digits, '_' or '-'");
  size_t plen = strlen(ev->platform);
  if (strncmp(ev->id, ev->platform, plen) != 0 || ev->id[plen] != ':' ||
      ev->id[plen + 1] == '\0')
    return parley_error_set(err, PARLEY_EINVAL,
                            "event.id: must be \"%s:<native id>\" (platform, colon, native id)",
                            ev->platform);
  if (parley_kind_name(ev->kind) == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "event.kind: %d is not a known kind",
                            (int)ev->kind);
  if (parley_visibility_name(ev->visibility) == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "event.visibility: %d is not a known visibility",
                            (int)ev->visibility);
  return 0;
}

static int parley_event_validate_times(const parley_event_t *ev, parley_error_t *err) {
  static const char *const range = "%s: out of range (years 0000 to 9999)";
  if (ev->created_at == 0)
    return parley_error_set(err, PARLEY_EINVAL, "event.created_at: missing required field");
  if (ev->received_at == 0)
    return parley_error_set(err, PARLEY_EINVAL, "event.received_at: missing required field");
  if (!parley_event_time_valid(ev->created_at))
    return parley_error_set(err, PARLEY_EINVAL, range, "event.created_at");
  if (!parley_event_time_valid(ev->received_at))
    return parley_error_set(err, PARLEY_EINVAL, range, "event.received_at");
  if (ev->sla_due != 0 && !parley_event_time_valid(ev->sla_due))
    return parley_error_set(err, PARLEY_EINVAL, range, "event.signals.sla_due");
  return 0;
}

static int parley_event_validate_values(const parley_event_t *ev, parley_error_t *err) {
  if (ev->lang && !parley_event_lang_valid(ev->lang))
    return parley_error_set(err, PARLEY_EINVAL,
                            "event.lang: \"%.16s\" is not a BCP 47 language tag", ev->lang);
  if (!isnan(ev->sentiment) && !(ev->sentiment >= -1.0 && ev->sentiment <= 1.0))
    return parley_error_set(err, PARLEY_EINVAL, "event.signals.sentiment: must be in [-1, 1]");
  if (ev->priority > 100)
    return parley_error_set(err, PARLEY_EINVAL,
                            "event.signals.priority: must be 0 (lowest) to 100 (most urgent)");
  if (!isnan(ev->lang_confidence) && !(ev->lang_confidence >= 0.0 && ev->lang_confidence <= 1.0))
    return parley_error_set(err, PARLEY_EINVAL, "event.signals.lang_confidence: must be in [0, 1]");
  return 0;
}

int parley_event_validate(const parley_event_t *ev, parley_error_t *err) {
  if (ev == NULL)
    return parley_error_set(err, PARLEY_EINVAL, "event: NULL");
  int rc = parley_event_validate_identity(ev, err);
  if (rc == 0)
    rc = parley_event_validate_times(ev, err);
  if (rc == 0)
    rc = parley_event_validate_values(ev, err);
  return rc;
}
