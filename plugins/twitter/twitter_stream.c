/* twitter — the filtered stream (§4).
 *
 * 1. Rules: GET the app's rules, delete those tagged as this instance's that
 *    are no longer configured, add the configured ones missing, GET again to
 *    learn the ids (matching_rules name rules by id and tag).
 * 2. Connect GET /2/tweets/search/stream (app-only bearer) and read the
 *    chunked body line by line: a chunk may hold half a line or several, so
 *    bytes are buffered and split on "\n" (the "\r" of "\r\n" trimmed).
 *    Empty lines are keep-alives (every ~20 s): they only prove liveness.
 *    An "errors" line without data (operational-disconnect) is logged; the
 *    server closes after it.
 * 3. A watchdog reconnects after stream_timeout without a byte. Back-off
 *    (§4c): the first reconnect at once; then network errors +250 ms per
 *    attempt up to 16 s, HTTP errors from 5 s doubling to 320 s, 429 from
 *    60 s doubling.
 * 4. Back-fill (twitter_backfill.c): once a new connection has proved
 *    itself (its first byte), each rule is run as a recent search from the
 *    last id seen before the gap. The stream's own checkpoint
 *    (stream.since_id, the highest id seen) only moves while no back-fill
 *    is owed, so a crash mid-gap re-runs the back-fill from the old id;
 *    it also covers the time parleyd was down. The core's dedup drops what
 *    both the stream and the back-fill delivered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/logtext.h"
#include "parley/sdk/json.h"
#include "parley/sdk/query.h"
#include "twitter.h"

#define TW_LINE_MAX (1u << 20) /* a longer line is garbage: drop the connection */
#define TW_CK_STREAM "stream.since_id"
#define TW_BACKFILL_RETRY_MS 5000

typedef enum { ST_IDLE = 0, ST_RULES, ST_OPEN, ST_WAIT, ST_STOPPED } st_state_t;

struct parley_twitter_stream {
  parley_twitter_t *tw;
  st_state_t state;
  int step;                    /* rules sync: 0 get, 1 delete, 2 add, 3 get ids */
  int changed;                 /* the sync deleted or added rules */
  parley_sdk_http_op_t *op;    /* rules call in flight */
  parley_http_t *conn;         /* the stream in flight */
  parley_timer_t *retry, *watchdog;
  uint64_t last_ms;            /* loop time of the last byte */
  char *buf;
  size_t len, cap;
  uint32_t net_fail, http_fail, rl_fail;
  int got_bytes;               /* this connection delivered something */
  json_t *rules;               /* the app's rules after the sync (ids, values) */
  char last_id[PARLEY_SDK_ID_MAX];  /* highest tweet id seen (stream or back-fill) */
  char since[PARLEY_SDK_ID_MAX];    /* last_id when the connection was opened */
  int backfill_due;            /* back-fill once this connection shows a byte */
  parley_twitter_backfill_t *bf;
  char bf_since[PARLEY_SDK_ID_MAX]; /* where the running back-fill started */
  int bf_again;                /* another gap opened while back-filling */
  parley_timer_t *bf_retry;
  char tag[160];
  void (*on_stopped)(parley_twitter_t *);
};

static void sync_step(parley_twitter_stream_t *st);
static void connect_stream(parley_twitter_stream_t *st);

static void log_st(parley_twitter_stream_t *st, parley_log_level_t lvl, const char *what,
                   const char *detail) {
  st->tw->host->log(st->tw->inst, lvl, "stream: %s%s%s", what, detail ? ": " : "",
                    detail ? detail : "");
}

static void maybe_stopped(parley_twitter_stream_t *st) {
  if (st->state == ST_STOPPED && !st->op && !st->conn && !st->bf && st->on_stopped) {
    void (*cb)(parley_twitter_t *) = st->on_stopped;
    st->on_stopped = NULL;
    cb(st->tw);
  }
}

/* ---- reconnect ---------------------------------------------------------- */

static void retry_fire(parley_timer_t *t, void *data) {
  parley_twitter_stream_t *st = data;
  st->tw->host->timer_stop(t);
  st->retry = NULL;
  if (st->state == ST_WAIT) {
    st->state = ST_RULES;
    st->step = 0;
    sync_step(st);
  }
}

static uint64_t doubling(uint64_t base, uint32_t n, uint64_t cap) {
  uint64_t d = base;
  for (uint32_t i = 1; i < n && d < cap; i++)
    d *= 2;
  return d < cap ? d : cap;
}

/* How long to wait before the next attempt after a failure (§4c). */
static uint64_t backoff(parley_twitter_stream_t *st, long http_status) {
  if (http_status == 429)
    return doubling(60000, ++st->rl_fail, UINT64_MAX / 4);
  if (http_status >= 300)
    return doubling(5000, ++st->http_fail, 320000);
  if (st->got_bytes) {
    st->net_fail = st->http_fail = st->rl_fail = 0;
    return 0; /* a working stream dropped (or went silent): reconnect at once */
  }
  uint64_t d = 250ull * st->net_fail++; /* network: linear, the first retry at once */
  return d < 16000 ? d : 16000;
}

static void schedule(parley_twitter_stream_t *st, uint64_t delay) {
  if (st->state == ST_STOPPED)
    return;
  st->state = ST_WAIT;
  st->retry = st->tw->host->timer_start(st->tw->inst, delay, 0, retry_fire, st);
  st->tw->host->counter_add(st->tw->inst, "twitter_stream_reconnects_total", 1);
}

/* ---- back-fill ---------------------------------------------------------- */

static void seen(parley_twitter_stream_t *st, const char *id) {
  if (!parley_sdk_id_valid(id) || strlen(id) >= sizeof st->last_id ||
      parley_sdk_id_cmp(id, st->last_id) <= 0)
    return;
  snprintf(st->last_id, sizeof st->last_id, "%s", id);
  /* same loop turn as the event: one journal transaction */
  if (!st->bf && !st->backfill_due)
    st->tw->host->checkpoint_set(st->tw->inst, TW_CK_STREAM, st->last_id);
}

static void start_backfill(parley_twitter_stream_t *st);

static void backfill_retry(parley_timer_t *t, void *data) {
  parley_twitter_stream_t *st = data;
  st->tw->host->timer_stop(t);
  st->bf_retry = NULL;
  if (st->state != ST_STOPPED)
    start_backfill(st);
}

static void backfilled(parley_twitter_t *tw, int status, const char *newest, void *data) {
  parley_twitter_stream_t *st = data;
  st->bf = NULL;
  if (st->state == ST_STOPPED) {
    maybe_stopped(st);
    return;
  }
  if (status != 0) { /* the gap is still owed: try again from the same id */
    st->bf_retry = tw->host->timer_start(tw->inst, TW_BACKFILL_RETRY_MS, 0, backfill_retry, st);
    return;
  }
  if (st->bf_again) { /* a new gap opened meanwhile: walk again from the same id */
    st->bf_again = 0;
    start_backfill(st);
    return;
  }
  seen(st, newest);
  tw->host->checkpoint_set(tw->inst, TW_CK_STREAM, st->last_id[0] ? st->last_id : "0");
}

/* Back-fill from bf_since (set by the caller when no back-fill is owed). */
static void start_backfill(parley_twitter_stream_t *st) {
  parley_twitter_t *tw = st->tw;
  if (st->bf) {
    st->bf_again = 1;
    return;
  }
  int rc = parley_twitter_backfill(tw, &tw->cfg->stream_rules, st->bf_since, backfilled, st, &st->bf);
  if (rc) {
    st->bf = NULL;
    st->bf_retry = tw->host->timer_start(tw->inst, TW_BACKFILL_RETRY_MS, 0, backfill_retry, st);
  }
}

/* ---- lines -------------------------------------------------------------- */

static const char *rule_value(parley_twitter_stream_t *st, const char *id, const char *tag) {
  size_t i;
  json_t *r;
  json_array_foreach(st->rules, i, r) {
    const char *rid = parley_sdk_json_str(r, "id", NULL);
    if (rid && id && strcmp(rid, id) == 0)
      return parley_sdk_json_str(r, "value", tag);
  }
  return tag;
}

/* Returns 1 for a tweet line, 0 for anything else. */
static int take_line(parley_twitter_stream_t *st, const char *line, size_t len) {
  parley_twitter_t *tw = st->tw;
  parley_error_t err = {0};
  size_t repaired = 0;
  json_t *msg = parley_sdk_json_parse_repair(line, len, "stream line", &repaired, &err);
  if (msg && repaired) {
    tw->host->counter_add(tw->inst, "twitter_stream_repaired_lines_total", 1);
    log_st(st, PARLEY_LOG_WARN, "line accepted with invalid characters replaced by U+FFFD",
           "invalid UTF-8, NUL or a lone surrogate");
  }
  if (!msg) {
    tw->host->counter_add(tw->inst, "twitter_stream_bad_lines_total", 1);
    log_st(st, PARLEY_LOG_WARN, "line skipped", err.message);
    return 0;
  }
  json_t *data = json_object_get(msg, "data");
  if (!json_is_object(data)) {
    char shown[128]; /* the platform's own words, bounded and escaped */
    log_st(st, PARLEY_LOG_WARN, "platform message",
           parley_sdk_log_text(shown, sizeof shown,
                               parley_sdk_json_str(msg, "errors.0.title",
                                                   parley_sdk_json_str(msg, "title", "?")), 100));
    json_decref(msg);
    return 0;
  }
  const char *matched = rule_value(st, parley_sdk_json_str(msg, "matching_rules.0.id", NULL),
                                   parley_sdk_json_str(msg, "matching_rules.0.tag", NULL));
  parley_twitter_map_ctx_t ctx;
  parley_event_t *ev = NULL;
  parley_twitter_map_ctx(tw, matched, &ctx);
  tw->host->counter_add(tw->inst, "twitter_stream_tweets_total", 1);
  int rc = parley_twitter_map_tweet(data, json_object_get(msg, "includes"), &ctx, &ev, &err);
  if (rc == 0) {
    tw->repaired = repaired;
    parley_twitter_emit(tw, ev);
    tw->repaired = 0;
  }
  else if (rc != PARLEY_ENOENT) /* ENOENT: a retweet, nothing to emit */
    log_st(st, PARLEY_LOG_WARN, "tweet skipped", err.message);
  seen(st, parley_sdk_json_str(data, "id", NULL));
  json_decref(msg);
  return 1;
}

/* A keep-alive or a tweet proves the connection works (an error body does
 * not): now the gap before it can be back-filled. */
static void proven(parley_twitter_stream_t *st) {
  if (!st->backfill_due)
    return;
  st->backfill_due = 0;
  st->tw->host->gauge_set(st->tw->inst, "twitter_stream_connected", 1);
  if (!st->bf && !st->bf_retry) /* else the owed back-fill starts from an older id */
    snprintf(st->bf_since, sizeof st->bf_since, "%s", st->since);
  if (!st->bf_retry)
    start_backfill(st);
}

static int buffer(parley_twitter_stream_t *st, const char *chunk, size_t n) {
  if (st->len + n > TW_LINE_MAX)
    return -1;
  if (st->len + n > st->cap) {
    size_t cap = st->cap ? st->cap : 4096;
    while (cap < st->len + n)
      cap *= 2;
    char *b = realloc(st->buf, cap);
    if (!b)
      return -1;
    st->buf = b;
    st->cap = cap;
  }
  memcpy(st->buf + st->len, chunk, n);
  st->len += n;
  return 0;
}

static void on_chunk(parley_http_t *req, const char *chunk, size_t n, void *data) {
  parley_twitter_stream_t *st = data;
  st->last_ms = st->tw->host->now_ms(st->tw->inst);
  st->got_bytes = 1;
  if (buffer(st, chunk, n) != 0) {
    log_st(st, PARLEY_LOG_WARN, "a line longer than 1 MiB; reconnecting", NULL);
    st->len = 0;
    st->tw->host->http_cancel(req);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < st->len; i++) {
    if (st->buf[i] != '\n')
      continue;
    size_t end = i > start && st->buf[i - 1] == '\r' ? i - 1 : i;
    if (end == start || take_line(st, st->buf + start, end - start))
      proven(st); /* a keep-alive (empty line) or a tweet */
    start = i + 1;
  }
  memmove(st->buf, st->buf + start, st->len - start);
  st->len -= start;
}

/* ---- connection ------------------------------------------------------- */

static void on_end(parley_http_t *req, const parley_http_response_t *res, void *data) {
  parley_twitter_stream_t *st = data;
  (void)req;
  st->conn = NULL;
  st->len = 0;
  st->tw->host->gauge_set(st->tw->inst, "twitter_stream_connected", 0);
  if (st->state == ST_STOPPED) {
    maybe_stopped(st);
    return;
  }
  char detail[200];
  snprintf(detail, sizeof detail, "HTTP %ld%s%s", res->http_status, res->error ? ", " : "",
           res->error ? res->error : "");
  log_st(st, PARLEY_LOG_WARN, "disconnected", detail);
  if (res->http_status == 401) {
    parley_sdk_http_result_t r = {.status = PARLEY_EAUTH, .http_status = 401,
                                  .endpoint = "GET /2/tweets/search/stream"};
    parley_sdk_error_t e;
    parley_sdk_error_init(&e);
    e.code = PARLEY_EAUTH;
    e.is_auth = 1;
    e.http_status = 401;
    snprintf(e.message, sizeof e.message, "Unauthorized");
    r.error = &e;
    parley_twitter_auth_failed(st->tw, &r, 0);
  }
  schedule(st, backoff(st, res->http_status));
}

static void watchdog(parley_timer_t *t, void *data) {
  parley_twitter_stream_t *st = data;
  (void)t;
  uint64_t now = st->tw->host->now_ms(st->tw->inst);
  if (st->conn && now - st->last_ms > (uint64_t)st->tw->cfg->stream_timeout_ms) {
    log_st(st, PARLEY_LOG_WARN, "silent for longer than stream_timeout; reconnecting", NULL);
    st->tw->host->counter_add(st->tw->inst, "twitter_stream_stalls_total", 1);
    st->tw->host->http_cancel(st->conn); /* on_end runs and reconnects */
  }
}

static void connect_stream(parley_twitter_stream_t *st) {
  parley_twitter_t *tw = st->tw;
  parley_sdk_query_t q;
  char path[600], auth[2100];
  snprintf(path, sizeof path, "%s/2/tweets/search/stream", tw->base);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", tw->cfg->bearer_token);
  parley_sdk_query_init_url(&q, path);
  parley_sdk_query_add(&q, "tweet.fields", PARLEY_TWITTER_TWEET_FIELDS);
  parley_sdk_query_add(&q, "expansions", PARLEY_TWITTER_EXPANSIONS);
  parley_sdk_query_add(&q, "user.fields", PARLEY_TWITTER_USER_FIELDS);
  parley_sdk_query_add(&q, "media.fields", PARLEY_TWITTER_MEDIA_FIELDS);
  const char *headers[] = {auth, "Accept: application/json", NULL};
  parley_http_request_t req = {.method = "GET", .url = parley_sdk_query_str(&q),
                               .headers = headers, .timeout_ms = UINT32_MAX};
  st->got_bytes = 0;
  st->last_ms = tw->host->now_ms(tw->inst);
  int rc = req.url ? tw->host->http_stream(tw->inst, &req, on_chunk, on_end, st, &st->conn)
                   : PARLEY_ENOMEM;
  memset(auth, 0, sizeof auth);
  parley_sdk_query_free(&q);
  if (rc) {
    st->conn = NULL;
    schedule(st, backoff(st, 0));
    return;
  }
  st->state = ST_OPEN;
  tw->host->counter_add(tw->inst, "twitter_stream_connects_total", 1);
  /* what the gap must be back-filled from, once this connection works */
  snprintf(st->since, sizeof st->since, "%s", st->last_id);
  st->backfill_due = 1;
}

/* ---- rules ------------------------------------------------------------ */

static int configured(const parley_twitter_config_t *c, const char *value) {
  for (size_t i = 0; value && i < c->stream_rules.count; i++)
    if (strcmp(c->stream_rules.items[i], value) == 0)
      return 1;
  return 0;
}

static int present(const json_t *rules, const char *value) {
  size_t i;
  json_t *r;
  json_array_foreach(rules, i, r) if (strcmp(parley_sdk_json_str(r, "value", ""), value) == 0) return 1;
  return 0;
}

/* The body of step 1 (delete stale) or 2 (add missing); NULL when nothing. */
static json_t *change_body(parley_twitter_stream_t *st) {
  const parley_twitter_config_t *c = st->tw->cfg;
  json_t *list = json_array(), *r;
  size_t i;
  if (st->step == 1) {
    json_array_foreach(st->rules, i, r) {
      const char *tag = parley_sdk_json_str(r, "tag", "");
      if (strcmp(tag, st->tag) == 0 && !configured(c, parley_sdk_json_str(r, "value", NULL)))
        json_array_append_new(list, json_string(parley_sdk_json_str(r, "id", "")));
    }
  } else {
    for (i = 0; i < c->stream_rules.count; i++)
      if (!present(st->rules, c->stream_rules.items[i]))
        json_array_append_new(list, json_pack("{s:s,s:s}", "value", c->stream_rules.items[i],
                                              "tag", st->tag));
  }
  if (json_array_size(list) == 0) {
    json_decref(list);
    return NULL;
  }
  return st->step == 1 ? json_pack("{s:{s:o}}", "delete", "ids", list)
                       : json_pack("{s:o}", "add", list);
}

static void on_rules(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_twitter_stream_t *st = data;
  (void)c;
  st->op = NULL;
  if (st->state == ST_STOPPED) {
    maybe_stopped(st);
    return;
  }
  if (r->status < 0) {
    parley_twitter_auth_failed(st->tw, r, 0);
    log_st(st, PARLEY_LOG_WARN, "rules sync failed", r->error->message);
    schedule(st, backoff(st, r->http_status ? r->http_status : 0));
    return;
  }
  parley_twitter_auth_ok(st->tw, 0);
  if (st->step == 0 || st->step == 3) {
    json_t *d = json_object_get(r->json, "data");
    json_decref(st->rules);
    st->rules = json_is_array(d) ? json_incref(d) : json_array();
  }
  if (st->step == 2 && json_array_size(json_object_get(r->json, "errors")))
    log_st(st, PARLEY_LOG_WARN, "some rules were refused",
           parley_sdk_json_str(r->json, "errors.0.title", "?"));
  if (st->step == 3) {
    connect_stream(st);
    return;
  }
  st->step++;
  sync_step(st);
}

static void sync_step(parley_twitter_stream_t *st) {
  parley_twitter_t *tw = st->tw;
  char url[600];
  json_t *body = NULL;
  snprintf(url, sizeof url, "%s/2/tweets/search/stream/rules", tw->base);
  if (st->step == 0)
    st->changed = 0;
  while ((st->step == 1 || st->step == 2) && !(body = change_body(st)))
    st->step++; /* nothing to delete / add */
  if (st->step == 3 && !st->changed) { /* the rules were right: ids known */
    connect_stream(st);
    return;
  }
  st->changed |= body != NULL;
  parley_sdk_http_call_t call = {.method = body ? "POST" : "GET", .url = url, .json = body,
                                 .endpoint = body ? "POST /2/tweets/search/stream/rules"
                                                  : "GET /2/tweets/search/stream/rules"};
  int rc = parley_sdk_http_send(tw->app, &call, on_rules, st, &st->op);
  json_decref(body);
  if (rc) {
    st->op = NULL;
    schedule(st, backoff(st, 0));
  }
}

/* ---- lifecycle -------------------------------------------------------- */

int parley_twitter_stream_new(parley_twitter_t *tw, parley_twitter_stream_t **out,
                              parley_error_t *err) {
  parley_twitter_stream_t *st = calloc(1, sizeof *st);
  if (!st)
    return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory");
  st->tw = tw;
  /* rules are per app: the tag tells this instance's rules from others' */
  snprintf(st->tag, sizeof st->tag, "parley:%s", tw->host->instance_name(tw->inst));
  *out = st;
  return 0;
}

int parley_twitter_stream_start(parley_twitter_stream_t *st) {
  uint64_t every = (uint64_t)st->tw->cfg->stream_timeout_ms / 4;
  st->watchdog = st->tw->host->timer_start(st->tw->inst, every ? every : 1, every ? every : 1,
                                           watchdog, st);
  if (!st->watchdog)
    return PARLEY_ENOMEM;
  char cp[PARLEY_SDK_ID_MAX];
  if (st->tw->host->checkpoint_get(st->tw->inst, TW_CK_STREAM, cp, sizeof cp) > 0 &&
      parley_sdk_id_valid(cp) && strcmp(cp, "0") != 0)
    snprintf(st->last_id, sizeof st->last_id, "%s", cp);
  st->state = ST_RULES;
  st->step = 0;
  sync_step(st);
  return 0;
}

void parley_twitter_stream_stop(parley_twitter_stream_t *st, void (*done)(parley_twitter_t *)) {
  const parley_host_t *h = st->tw->host;
  st->state = ST_STOPPED;
  st->on_stopped = done;
  if (st->watchdog)
    h->timer_stop(st->watchdog);
  if (st->retry)
    h->timer_stop(st->retry);
  if (st->bf_retry)
    h->timer_stop(st->bf_retry);
  st->watchdog = st->retry = st->bf_retry = NULL;
  if (st->bf)
    parley_twitter_backfill_cancel(st->bf);
  if (st->conn)
    h->http_cancel(st->conn);
  if (st->op)
    parley_sdk_http_cancel(st->op);
  maybe_stopped(st);
}

void parley_twitter_stream_free(parley_twitter_stream_t *st) {
  if (!st)
    return;
  if (st->watchdog)
    st->tw->host->timer_stop(st->watchdog);
  if (st->retry)
    st->tw->host->timer_stop(st->retry);
  if (st->bf_retry)
    st->tw->host->timer_stop(st->bf_retry);
  json_decref(st->rules);
  free(st->buf);
  free(st);
}
