/* twitter — a one-shot back-fill through recent search (§3, §4c).
 *
 * While the filtered stream was down, tweets matching its rules went by
 * unseen. After a reconnect, each rule's value is run as a recent-search
 * query with since_id = the last id seen before the gap, every page followed
 * (newest first, next_token) until the end: nothing in the gap is lost, and
 * what the stream also delivers is dropped by the core's dedup (same event
 * id). Without a since_id (the very first connection) only the newest page
 * of each rule is read, as every source does on its first run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"
#include "twitter.h"

struct parley_twitter_backfill {
  parley_twitter_t *tw;
  const parley_strlist_t *queries;
  size_t index;                     /* the query being walked */
  char since[PARLEY_SDK_ID_MAX];
  char newest[PARLEY_SDK_ID_MAX];   /* highest id seen over all queries */
  parley_sdk_walk_t walk;
  parley_sdk_http_op_t *op;
  parley_twitter_backfill_cb cb;
  void *data;
  int status;
};

static void fetch(parley_twitter_backfill_t *b);

static void finish(parley_twitter_backfill_t *b, int status) {
  b->op = NULL;
  b->tw->host->counter_add(b->tw->inst, status == 0 ? "twitter_backfills_total"
                                                    : "twitter_backfills_failed_total", 1);
  b->cb(b->tw, status, b->newest, b->data);
  free(b);
}

static void take(parley_twitter_backfill_t *b, const json_t *body) {
  size_t n;
  json_t *data = parley_sdk_json_array(body, "data", &n);
  const char *query = b->queries->items[b->index];
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(data, i);
    const char *id = parley_sdk_json_str(item, "id", NULL);
    if (parley_sdk_walk_item(&b->walk, id) == PARLEY_SDK_WALK_OLD)
      continue;
    parley_twitter_map_ctx_t ctx;
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    parley_twitter_map_ctx(b->tw, query, &ctx);
    b->tw->host->counter_add(b->tw->inst, "twitter_backfill_tweets_total", 1);
    if (parley_twitter_map_tweet(item, json_object_get(body, "includes"), &ctx, &ev, &err) == 0)
      parley_twitter_emit(b->tw, ev);
    if (parley_sdk_id_cmp(id, b->newest) > 0)
      snprintf(b->newest, sizeof b->newest, "%s", id);
  }
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_twitter_backfill_t *b = data;
  char next[PARLEY_SDK_CURSOR_MAX];
  (void)c;
  b->op = NULL;
  if (r->status < 0) {
    if (!b->tw->stopping) {
      parley_twitter_auth_failed(b->tw, r, 0);
      b->tw->host->log(b->tw->inst, PARLEY_LOG_WARN, "stream back-fill: %s: %s", r->endpoint,
                       r->error->message);
    }
    finish(b, r->status);
    return;
  }
  take(b, r->json);
  int len = parley_sdk_page_twitter_next(r->json, next, sizeof next);
  if (parley_sdk_walk_page(&b->walk, len > 0 ? next : NULL)) {
    fetch(b);
    return;
  }
  if (++b->index == b->queries->count) {
    finish(b, 0);
    return;
  }
  parley_sdk_walk_begin(&b->walk, b->since);
  fetch(b);
}

static void fetch(parley_twitter_backfill_t *b) {
  const char *cursor = parley_sdk_walk_cursor(&b->walk);
  char *url = parley_twitter_search_url(b->tw, b->queries->items[b->index],
                                        b->since[0] ? b->since : NULL,
                                        cursor && *cursor ? cursor : NULL);
  parley_sdk_http_call_t call = {.url = url, .endpoint = "GET /2/tweets/search/recent"};
  int rc = url ? parley_sdk_http_send(b->tw->app, &call, on_page, b, &b->op) : PARLEY_ENOMEM;
  free(url);
  if (rc)
    finish(b, rc); /* fetch runs from on_page only: cb is never re-entered */
}

int parley_twitter_backfill(parley_twitter_t *tw, const parley_strlist_t *queries,
                            const char *since_id, parley_twitter_backfill_cb cb, void *data,
                            parley_twitter_backfill_t **out) {
  if (!queries || queries->count == 0 || !tw->app)
    return PARLEY_EINVAL;
  parley_twitter_backfill_t *b = calloc(1, sizeof *b);
  if (!b)
    return PARLEY_ENOMEM;
  *b = (parley_twitter_backfill_t){.tw = tw, .queries = queries, .cb = cb, .data = data};
  snprintf(b->since, sizeof b->since, "%s", since_id ? since_id : "");
  snprintf(b->newest, sizeof b->newest, "%s", b->since);
  parley_sdk_walk_begin(&b->walk, b->since);
  char *url = parley_twitter_search_url(tw, queries->items[0], b->since[0] ? b->since : NULL, NULL);
  parley_sdk_http_call_t call = {.url = url, .endpoint = "GET /2/tweets/search/recent"};
  int rc = url ? parley_sdk_http_send(tw->app, &call, on_page, b, &b->op) : PARLEY_ENOMEM;
  free(url);
  if (rc) {
    free(b);
    return rc;
  }
  *out = b;
  return 0;
}

void parley_twitter_backfill_cancel(parley_twitter_backfill_t *b) {
  if (b && b->op)
    parley_sdk_http_cancel(b->op); /* the callback finishes it with PARLEY_ECANCELED */
}
