/* twitter — a polled source: mentions, one search query, or the DM list.
 *
 * Each poll walks the endpoint newest first with the SDK's checkpoint walk:
 * since_id = the checkpoint (mentions, search; §2, §3), pages followed with
 * the next token until the last, every new item mapped and held (SDK order).
 * Only when the walk is complete are the held events emitted, oldest first,
 * so a conversation reaches the outputs in its own order (the customer's DM
 * before the brand's reply), and the checkpoint moves to the newest id seen
 * in the same loop turn: events and checkpoint land in one journal
 * transaction. A failure mid-walk emits what was read (oldest first) and
 * leaves the checkpoint where it was: the next poll re-reads, and the
 * core's dedup drops what was already emitted.
 * Nothing is skipped when more than a page arrived between two polls.
 *
 * DM lists have no since_id (§5a): the walk stops after the page on which an
 * already-seen id appears. Items at or below the checkpoint are skipped, not
 * taken as the end of a page, so an out-of-order page loses nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"
#include "parley/sdk/order.h"
#include "twitter.h"

struct parley_twitter_source {
  parley_twitter_t *tw;
  parley_twitter_src_kind_t kind;
  char *query;            /* search only */
  char *ckey;             /* checkpoint key */
  const char *endpoint;   /* rate-limit key */
  parley_sdk_poll_t *poll;
  parley_sdk_walk_t walk;
  parley_sdk_order_t held; /* this walk's events, emitted oldest first when it completes */
  int saw_old;            /* DMs: this page reached the checkpoint */
};

static parley_sdk_http_t *client_of(parley_twitter_source_t *s) {
  /* search needs nothing but the app; mentions and DMs run as the user */
  return s->kind == PARLEY_TWITTER_SRC_SEARCH ? s->tw->app : s->tw->user;
}

static const char *kind_name(parley_twitter_src_kind_t k) {
  return k == PARLEY_TWITTER_SRC_MENTIONS ? "mentions" : k == PARLEY_TWITTER_SRC_SEARCH ? "search"
                                                                                       : "dms";
}

static char *page_url(parley_twitter_source_t *s) {
  const char *since = s->walk.checkpoint[0] ? s->walk.checkpoint : NULL;
  const char *cursor = parley_sdk_walk_cursor(&s->walk);
  cursor = cursor && *cursor ? cursor : NULL;
  switch (s->kind) {
  case PARLEY_TWITTER_SRC_MENTIONS:
    return parley_twitter_mentions_url(s->tw, since, cursor);
  case PARLEY_TWITTER_SRC_SEARCH:
    return parley_twitter_search_url(s->tw, s->query, since, cursor);
  default:
    return parley_twitter_dms_url(s->tw, cursor);
  }
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data);

/* The walk ended without completing: what it read is emitted all the same
 * (a page that keeps failing must not hold back the ones before it), the
 * checkpoint stays, and the next poll reads the same items again. While
 * stopping nothing more is emitted: the restart re-reads it. */
static void fail(parley_twitter_source_t *s, const parley_sdk_error_t *e) {
  if (s->tw->stopping)
    parley_sdk_order_clear(&s->held);
  else
    parley_sdk_order_flush(&s->held);
  parley_sdk_poll_done(s->poll, 0, e);
}

static void fetch(parley_twitter_source_t *s) {
  char *url = page_url(s);
  parley_sdk_error_t e;
  parley_sdk_error_init(&e);
  if (!url) {
    parley_sdk_error_transport(&e, PARLEY_ENOMEM, "out of memory building the URL");
    fail(s, &e);
    return;
  }
  parley_sdk_http_call_t call = {.url = url, .endpoint = s->endpoint};
  int rc = parley_sdk_http_send(client_of(s), &call, on_page, s, NULL);
  free(url);
  if (rc) {
    parley_sdk_error_transport(&e, rc, "the request could not be sent");
    fail(s, &e);
  }
}

/* Map one item and hold its event for the end of the walk. */
static void take(parley_twitter_source_t *s, const json_t *item, const json_t *includes) {
  parley_twitter_t *tw = s->tw;
  parley_twitter_map_ctx_t ctx;
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  parley_twitter_map_ctx(tw, s->query, &ctx);
  int rc = s->kind == PARLEY_TWITTER_SRC_DMS ? parley_twitter_map_dm(item, includes, &ctx, &ev, &err)
                                              : parley_twitter_map_tweet(item, includes, &ctx, &ev, &err);
  if (rc == 0) {
    parley_twitter_mark(tw, ev); /* this response's repairs, before the next page's */
    parley_sdk_order_add(&s->held, ev);
  } else if (rc != PARLEY_ENOENT) {
    tw->host->counter_add(tw->inst, "twitter_items_unmapped_total", 1);
    tw->host->log(tw->inst, PARLEY_LOG_WARN, "%s: item skipped: %s", kind_name(s->kind),
                  err.message);
  }
}

static void take_page(parley_twitter_source_t *s, const json_t *body) {
  size_t n;
  json_t *data = parley_sdk_json_array(body, "data", &n);
  const json_t *includes = json_object_get(body, "includes");
  s->saw_old = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(data, i);
    if (parley_sdk_walk_item(&s->walk, parley_sdk_json_str(item, "id", NULL)) == PARLEY_SDK_WALK_OLD) {
      s->saw_old = 1; /* already taken in an earlier poll */
      continue;
    }
    take(s, item, includes);
  }
  /* partial errors come with 200 and do not void the data (§9b) */
  if (json_array_size(json_object_get(body, "errors")))
    s->tw->host->log(s->tw->inst, PARLEY_LOG_DEBUG, "%s: page with %zu partial error(s)",
                     kind_name(s->kind), json_array_size(json_object_get(body, "errors")));
}

static void finish(parley_twitter_source_t *s) {
  parley_twitter_t *tw = s->tw;
  const char *cp = parley_sdk_walk_checkpoint(&s->walk);
  char old[PARLEY_SDK_ID_MAX];
  int have = tw->host->checkpoint_get(tw->inst, s->ckey, old, sizeof old);
  parley_sdk_order_flush(&s->held); /* oldest first, before the checkpoint */
  if (cp && *cp && (have < 0 || strcmp(old, cp) != 0))
    tw->host->checkpoint_set(tw->inst, s->ckey, cp);
  tw->host->counter_add(tw->inst, "twitter_polls_total", 1);
  parley_sdk_poll_done(s->poll, 0, NULL);
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_twitter_source_t *s = data;
  (void)c;
  if (s->tw->stopping) {
    fail(s, r->error); /* drops what was held; done() is ignored once stopped */
    return;
  }
  if (r->status < 0) {
    s->tw->host->counter_add(s->tw->inst, "twitter_poll_failures_total", 1);
    parley_twitter_auth_failed(s->tw, r, s->kind != PARLEY_TWITTER_SRC_SEARCH);
    if (!r->error->is_auth)
      s->tw->host->log(s->tw->inst, PARLEY_LOG_WARN, "%s: %s: HTTP %ld: %s", kind_name(s->kind),
                       r->endpoint, r->http_status, r->error->message);
    fail(s, r->error);
    return;
  }
  parley_twitter_auth_ok(s->tw, s->kind != PARLEY_TWITTER_SRC_SEARCH);
  take_page(s, r->json);
  s->tw->host->counter_add(s->tw->inst, "twitter_pages_total", 1);
  char next[PARLEY_SDK_CURSOR_MAX];
  int len = parley_sdk_page_twitter_next(r->json, next, sizeof next);
  /* DMs: the page that reached known ids is the last one needed */
  int more = parley_sdk_walk_page(&s->walk, len > 0 && !s->saw_old ? next : NULL);
  if (more)
    fetch(s);
  else
    finish(s);
}

static void poll_fn(parley_sdk_poll_t *p, void *data) {
  parley_twitter_source_t *s = data;
  parley_twitter_t *tw = s->tw;
  char cp[PARLEY_SDK_ID_MAX];
  (void)p;
  parley_sdk_order_clear(&s->held); /* nothing is held between walks */
  int n = tw->host->checkpoint_get(tw->inst, s->ckey, cp, sizeof cp);
  parley_sdk_walk_begin(&s->walk, n > 0 ? cp : "");
  fetch(s);
}

static const char *endpoint_of(parley_twitter_src_kind_t kind) {
  switch (kind) {
  case PARLEY_TWITTER_SRC_MENTIONS:
    return "GET /2/users/:id/mentions";
  case PARLEY_TWITTER_SRC_SEARCH:
    return "GET /2/tweets/search/recent";
  default:
    return "GET /2/dm_events";
  }
}

static void emit_held(parley_event_t *ev, void *data) { parley_twitter_emit_marked(data, ev); }

int parley_twitter_source_new(parley_twitter_t *tw, parley_twitter_src_kind_t kind,
                              const char *query, parley_twitter_source_t **out,
                              parley_error_t *err) {
  parley_twitter_source_t *s = calloc(1, sizeof *s);
  size_t klen = 32 + (query ? strlen(query) : 0);
  if (!s || !(s->ckey = malloc(klen)) || (query && !(s->query = strdup(query)))) {
    parley_twitter_source_free(s);
    return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory");
  }
  s->tw = tw;
  s->kind = kind;
  /* every twitter list is newest first (§2, §3, §5a) */
  parley_sdk_order_init(&s->held, emit_held, tw, 1);
  s->endpoint = endpoint_of(kind);
  /* one checkpoint per source; a search is keyed by its query text, so
   * reordering the list keeps each query's since_id */
  snprintf(s->ckey, klen, "%s.since_id%s%s", kind_name(kind), query ? ":" : "", query ? query : "");
  parley_sdk_poll_config_t pc = {0};
  pc.interval_ms = (uint64_t)tw->cfg->poll_interval_ms;
  pc.floor_ms = tw->cfg->poll_floor_ms > 0 ? (uint64_t)tw->cfg->poll_floor_ms : 1;
  int rc = parley_sdk_poll_new(tw->host, tw->inst, client_of(s), s->endpoint, &pc, poll_fn, s,
                               &s->poll);
  if (rc) {
    parley_twitter_source_free(s);
    return parley_error_set(err, rc, "twitter: %s: cannot create the poll scheduler",
                            kind_name(kind));
  }
  *out = s;
  return 0;
}

int parley_twitter_source_start(parley_twitter_source_t *s) { return parley_sdk_poll_start(s->poll); }

void parley_twitter_source_poll_now(parley_twitter_source_t *s) { parley_sdk_poll_now(s->poll); }

void parley_twitter_source_stop(parley_twitter_source_t *s) { parley_sdk_poll_stop(s->poll); }

void parley_twitter_source_free(parley_twitter_source_t *s) {
  if (!s)
    return;
  if (s->poll)
    parley_sdk_poll_free(s->poll);
  parley_sdk_order_clear(&s->held);
  free(s->query);
  free(s->ckey);
  free(s);
}
