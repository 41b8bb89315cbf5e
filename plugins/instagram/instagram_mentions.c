/* instagram — mentions resolved to their content (instagram.md §5, §9).
 *
 * A "mentions" webhook carries only ids (comment_id + media_id for a
 * mention in a comment, media_id for one in a caption), and Meta keeps no
 * list to read later: an id lost is a mention lost for good. So:
 *
 *   1. the webhook puts the ids in the pending set and stages it as the
 *      checkpoint "mentions_pending", committed in the journal transaction
 *      of the delivery (see docs/connectors/instagram.md for the core's
 *      answer timing);
 *   2. each pending mention is looked up: GET /{ig-user}?fields=
 *      mentioned_comment.comment_id(C){...} or mentioned_media.media_id(M){...};
 *   3. the full mention event is emitted, then the set without it is
 *      staged: both land in one commit (or the event first: a crash between
 *      leaves the id pending, the lookup repeats and the core drops the
 *      duplicate by id);
 *   4. on start, whatever is still pending is looked up again;
 *   5. a lookup refused for good (deleted, private, comments disabled: a
 *      4xx that is neither throttling nor a refused token) emits the
 *      ids-only event; throttling, a refused token, 5xx and network errors
 *      keep it pending and retry (backoff from 1 s doubling to 5 min, never
 *      sooner than the wait Meta announces);
 *   6. the set is bounded (PARLEY_INSTAGRAM_MENTIONS_MAX): past it a
 *      mention is emitted with its ids at once, counted and logged.
 * At most IG_MENTIONS_INFLIGHT lookups run at once (a lookup is one call of
 * the account's 200 per hour). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instagram.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"

#define IG_MENTION_ID_MAX 40      /* IG ids are ~17-19 digits */
#define IG_MENTIONS_INFLIGHT 4
#define IG_MENTIONS_BACKOFF_MIN_MS 1000
#define IG_MENTIONS_BACKOFF_MAX_MS 300000
/* instagram.md §5; braces and parentheses percent-encoded */
#define IG_MENTIONED_COMMENT_FIELDS \
  "id,text,timestamp,username,like_count,media%7Bid,permalink,username%7D"
#define IG_MENTIONED_MEDIA_FIELDS \
  "id,caption,media_type,media_url,permalink,timestamp,username"

typedef struct ig_mention {
  char account[IG_MENTION_ID_MAX];
  char media[IG_MENTION_ID_MAX];
  char comment[IG_MENTION_ID_MAX]; /* "" for a caption mention */
  int64_t when_ms;                 /* entry.time: created_at of an ids-only event */
  int busy;                        /* its lookup is in flight */
} ig_mention_t;

typedef struct ig_mentions {
  parley_meta_t *m;
  ig_mention_t items[PARLEY_INSTAGRAM_MENTIONS_MAX];
  size_t n;
  size_t busy;             /* lookups in flight */
  parley_timer_t *retry;   /* armed while waiting to retry */
  int64_t backoff_ms;      /* next transient-failure wait */
} ig_mentions_t;

/* A lookup in flight names its mention by ids: the array shifts meanwhile. */
typedef struct ig_lookup {
  ig_mentions_t *s;
  ig_mention_t key;
} ig_lookup_t;

static void kick(ig_mentions_t *s);

static int same(const ig_mention_t *a, const ig_mention_t *b) {
  return !strcmp(a->account, b->account) && !strcmp(a->media, b->media) &&
         !strcmp(a->comment, b->comment);
}

static long find(const ig_mentions_t *s, const ig_mention_t *key) {
  for (size_t i = 0; i < s->n; i++)
    if (same(&s->items[i], key))
      return (long)i;
  return -1;
}

/* ---- the checkpoint --------------------------------------------------- */

/* The gauge "instagram_mentions_pending". */
static void show(ig_mentions_t *s) {
  char gauge[64];
  snprintf(gauge, sizeof gauge, "%s_mentions_pending", s->m->plat->name);
  s->m->host->gauge_set(s->m->inst, gauge, (double)s->n);
}

/* Stage the whole set (small: at most MAX short tuples). */
static void save(ig_mentions_t *s) {
  parley_meta_t *m = s->m;
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < s->n; i++) {
    const ig_mention_t *e = &s->items[i];
    json_array_append_new(arr, json_pack("[s,s,s,I]", e->account, e->media, e->comment,
                                         (json_int_t)e->when_ms));
  }
  char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
  json_decref(arr);
  if (!text || m->host->checkpoint_set(m->inst, PARLEY_INSTAGRAM_MENTIONS_KEY, text) != 0)
    m->host->log(m->inst, PARLEY_LOG_ERROR,
                 "mentions: cannot stage the pending set (%zu ids): out of memory", s->n);
  free(text);
  show(s);
}

static int copy_id(char *dst, const char *src) {
  if (!src || strlen(src) >= IG_MENTION_ID_MAX || !parley_sdk_id_valid(src))
    return -1;
  strcpy(dst, src);
  return 0;
}

/* Ids fit for a Graph path: digits, short. 0, or -1. */
static int make(ig_mention_t *e, const char *account, const char *media, const char *comment,
                int64_t when_ms) {
  memset(e, 0, sizeof *e);
  e->when_ms = when_ms;
  if (copy_id(e->account, account) || copy_id(e->media, media))
    return -1;
  return comment ? copy_id(e->comment, comment) : 0;
}

static void load(ig_mentions_t *s) {
  parley_meta_t *m = s->m;
  size_t cap = PARLEY_INSTAGRAM_MENTIONS_MAX * (3 * IG_MENTION_ID_MAX + 40) + 16;
  char *buf = malloc(cap);
  int n = buf ? m->host->checkpoint_get(m->inst, PARLEY_INSTAGRAM_MENTIONS_KEY, buf, cap) : -1;
  json_t *arr = n > 0 ? json_loadb(buf, (size_t)n, 0, NULL) : NULL, *t;
  size_t i;
  if (n > 0 && !json_is_array(arr))
    m->host->log(m->inst, PARLEY_LOG_ERROR, "mentions: checkpoint %s is not a JSON array; "
                 "the pending set starts empty", PARLEY_INSTAGRAM_MENTIONS_KEY);
  json_array_foreach(arr, i, t) {
    const char *c = json_string_value(json_array_get(t, 2));
    if (s->n < PARLEY_INSTAGRAM_MENTIONS_MAX &&
        make(&s->items[s->n], json_string_value(json_array_get(t, 0)),
             json_string_value(json_array_get(t, 1)), c && *c ? c : NULL,
             json_integer_value(json_array_get(t, 3))) == 0)
      s->n++;
  }
  json_decref(arr);
  free(buf);
}

/* ---- emitting ----------------------------------------------------------- */

static void drop(ig_mentions_t *s, long i) {
  if (i < 0)
    return;
  memmove(&s->items[i], &s->items[i + 1], (s->n - (size_t)i - 1) * sizeof s->items[0]);
  s->n--;
  save(s);
}

/* The ids-only mention, as the webhook named it (instagram_map.c). */
static void emit_ids_only(parley_meta_t *m, const ig_mention_t *e) {
  json_t *v = json_pack("{s:s}", "media_id", e->media);
  if (v && e->comment[0])
    json_object_set_new(v, "comment_id", json_string(e->comment));
  json_t *raw = json_pack("{s:s,s:O}", "field", "mentions", "value", v);
  parley_meta_change_t c = {.account = e->account, .entry_time_ms = e->when_ms,
                            .field = "mentions", .value = v, .raw = raw};
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (v && raw && parley_instagram_map_change(m, &c, &ev, &err) == 0)
    parley_meta_emit(m, ev);
  else
    m->host->log(m->inst, PARLEY_LOG_ERROR, "mentions: cannot build the event of %s: %s",
                 e->comment[0] ? e->comment : e->media, err.message[0] ? err.message : "out of memory");
  json_decref(v);
  json_decref(raw);
}

/* A lookup refused for good: the ids are all there will ever be. */
static void give_up(ig_mentions_t *s, long i, const char *why) {
  const ig_mention_t *e = &s->items[i];
  s->m->host->log(s->m->inst, PARLEY_LOG_WARN,
                  "mentions: %s %s of account %s cannot be fetched (%s); emitted with its ids only",
                  e->comment[0] ? "comment" : "media", e->comment[0] ? e->comment : e->media,
                  e->account, why);
  parley_meta_count(s->m, "mentions_unresolved_total", 1);
  emit_ids_only(s->m, e);
  drop(s, i);
}

static void resolved(ig_mentions_t *s, long i, const json_t *answer) {
  parley_meta_t *m = s->m;
  const ig_mention_t *e = &s->items[i];
  const json_t *obj = json_object_get(answer, e->comment[0] ? "mentioned_comment"
                                                            : "mentioned_media");
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  int rc = !json_is_object(obj) ? PARLEY_ENOENT
           : e->comment[0] ? parley_instagram_map_mentioned_comment(m, e->account, e->media, obj,
                                                                    &ev, &err)
                           : parley_instagram_map_tagged(m, e->account, obj, &ev, &err);
  if (rc != 0) {
    give_up(s, i, rc == PARLEY_ENOENT ? "the answer holds no mentioned object" : err.message);
    return;
  }
  parley_meta_emit(m, ev);
  parley_meta_count(m, "mentions_resolved_total", 1);
  drop(s, i);
}

/* ---- lookups -------------------------------------------------------------- */

static void on_retry(parley_timer_t *timer, void *data) {
  ig_mentions_t *s = data;
  s->m->host->timer_stop(timer);
  s->retry = NULL;
  kick(s);
}

static void retry_later(ig_mentions_t *s, const parley_sdk_error_t *e) {
  int64_t wait = e->is_auth ? IG_MENTIONS_BACKOFF_MAX_MS : s->backoff_ms;
  if (e->retry_after_ms > wait)
    wait = e->retry_after_ms;
  if (s->backoff_ms < IG_MENTIONS_BACKOFF_MAX_MS)
    s->backoff_ms *= 2;
  if (s->retry)
    return;
  s->m->host->log(s->m->inst, PARLEY_LOG_INFO,
                  "mentions: %zu pending, next lookup in %lld ms (%s)", s->n, (long long)wait,
                  e->message);
  s->retry = s->m->host->timer_start(s->m->inst, (uint64_t)wait, 0, on_retry, s);
}

/* A 4xx that is not about throttling or the token: the object is gone,
 * private, or not readable (comments disabled), and stays so. */
static int permanent(const parley_sdk_http_result_t *r) {
  const parley_sdk_error_t *e = r->error;
  return r->http_status >= 400 && r->http_status < 500 && r->http_status != 408 &&
         r->http_status != 429 && !e->is_auth && !e->is_rate_limit && !e->is_transient;
}

static void on_lookup(parley_sdk_http_t *client, const parley_sdk_http_result_t *r, void *data) {
  ig_lookup_t *l = data;
  ig_mentions_t *s = l->s;
  long i = find(s, &l->key);
  (void)client;
  s->busy--;
  if (i >= 0)
    s->items[i].busy = 0;
  if (r->status == PARLEY_ECANCELED || s->m->stopping || i < 0) {
    free(l);
    return;
  }
  parley_meta_call_outcome(s->m, r, "mention lookup");
  if (r->status == 0) {
    s->backoff_ms = IG_MENTIONS_BACKOFF_MIN_MS;
    resolved(s, i, r->json);
  } else if (permanent(r)) {
    give_up(s, i, r->error->message);
  } else {
    retry_later(s, r->error);
  }
  free(l);
  kick(s);
}

static int lookup(ig_mentions_t *s, ig_mention_t *e) {
  parley_meta_t *m = s->m;
  char path[IG_MENTION_ID_MAX + 2], params[256];
  snprintf(path, sizeof path, "/%s", e->account);
  int c = e->comment[0] != '\0';
  snprintf(params, sizeof params, "fields=%s%%28%s%%29%%7B%s%%7D",
           c ? "mentioned_comment.comment_id" : "mentioned_media.media_id",
           c ? e->comment : e->media, c ? IG_MENTIONED_COMMENT_FIELDS : IG_MENTIONED_MEDIA_FIELDS);
  ig_lookup_t *l = malloc(sizeof *l);
  char *url = parley_meta_url(m, path, params);
  int rc = l && url ? 0 : PARLEY_ENOMEM;
  if (rc == 0) {
    *l = (ig_lookup_t){s, *e};
    /* the back-fill's rate-limit key: one budget per account (§8) */
    rc = parley_meta_graph_send(m, "GET", url, "GET graph", NULL, NULL, on_lookup, l);
  }
  free(url);
  if (rc != 0) {
    free(l);
    return rc;
  }
  e->busy = 1;
  s->busy++;
  return 0;
}

/* Start lookups of idle mentions, up to the in-flight bound, unless a
 * retry is being waited for. */
static void kick(ig_mentions_t *s) {
  for (size_t i = 0; i < s->n && s->busy < IG_MENTIONS_INFLIGHT && !s->retry; i++) {
    if (s->items[i].busy)
      continue;
    int rc = lookup(s, &s->items[i]);
    if (rc != 0) {
      if (rc != PARLEY_ESTATE)
        s->m->host->log(s->m->inst, PARLEY_LOG_ERROR, "mentions: lookup not sent: %s",
                        parley_strerror(rc));
      return;
    }
  }
}

/* ---- the webhook side ----------------------------------------------------- */

static int add_pending(ig_mentions_t *s, const parley_meta_change_t *c, const char *media,
                       const char *comment, parley_event_t **out, parley_error_t *err) {
  ig_mention_t e;
  if (make(&e, c->account, media, comment, c->entry_time_ms) != 0)
    return parley_instagram_map_change(s->m, c, out, err); /* no lookup possible */
  if (find(s, &e) >= 0)
    return 0; /* a redelivery of a mention still pending */
  if (s->n == PARLEY_INSTAGRAM_MENTIONS_MAX) {
    parley_meta_count(s->m, "mentions_overflow_total", 1);
    s->m->host->log(s->m->inst, PARLEY_LOG_WARN,
                    "mentions: %d lookups pending already; %s emitted with its ids only",
                    PARLEY_INSTAGRAM_MENTIONS_MAX, comment ? comment : media);
    return parley_instagram_map_change(s->m, c, out, err);
  }
  s->items[s->n++] = e;
  save(s);
  kick(s);
  return 0;
}

int parley_instagram_webhook_change(parley_meta_t *m, const parley_meta_change_t *c,
                                    parley_event_t **out, parley_error_t *err) {
  *out = NULL;
  if (!m->ext || strcmp(c->field, "mentions") != 0 || !json_is_object(c->value))
    return parley_instagram_map_change(m, c, out, err);
  const char *media = parley_sdk_json_str(c->value, "media_id", NULL);
  const char *comment = parley_sdk_json_str(c->value, "comment_id", NULL);
  if (!media)
    return parley_instagram_map_change(m, c, out, err);
  return add_pending(m->ext, c, media, comment, out, err);
}

/* ---- lifecycle ------------------------------------------------------------ */

int parley_instagram_mentions_create(parley_meta_t *m, parley_error_t *err) {
  ig_mentions_t *s = calloc(1, sizeof *s);
  if (!s)
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", m->plat->name);
  s->m = m;
  s->backoff_ms = IG_MENTIONS_BACKOFF_MIN_MS;
  m->ext = s;
  return 0;
}

int parley_instagram_mentions_start(parley_meta_t *m) {
  ig_mentions_t *s = m->ext;
  load(s);
  show(s);
  if (s->n)
    m->host->log(m->inst, PARLEY_LOG_INFO, "mentions: %zu pending from before the start, "
                 "looking them up", s->n);
  kick(s);
  return 0;
}

void parley_instagram_mentions_stop(parley_meta_t *m) {
  ig_mentions_t *s = m->ext;
  if (s && s->retry) {
    m->host->timer_stop(s->retry);
    s->retry = NULL;
  }
}

void parley_instagram_mentions_destroy(parley_meta_t *m) {
  free(m->ext);
  m->ext = NULL;
}
