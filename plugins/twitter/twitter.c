/* twitter — the descriptor, the option table and the instance lifecycle.
 *
 * create() checks the options against each other (which sources need which
 * token), start() arms the pollers and the stream, stop() cancels everything
 * in flight and reports stopped() once the SDK clients have closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/paging.h"
#include "twitter.h"

#define CFG(field) offsetof(parley_twitter_config_t, field)

static const parley_option_t options[] = {
    {"base_url", PARLEY_OPT_STRING, 0, "https://api.x.com", CFG(base_url),
     "API base URL (the simulator's http://127.0.0.1:PORT/twitter in tests)"},
    {"account_id", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, CFG(account_id),
     "the brand's numeric user id"},
    {"account_handle", PARLEY_OPT_STRING, 0, NULL, CFG(account_handle),
     "the brand's handle without @ (recognises untagged replies and mentions)"},
    {"bearer_token", PARLEY_OPT_SECRET, 0, NULL, CFG(bearer_token),
     "app-only bearer token: search and stream"},
    {"user_access_token", PARLEY_OPT_SECRET, 0, NULL, CFG(user_access_token),
     "OAuth 2 user-context access token: mentions, DMs, replies, hide"},
    {"refresh_token", PARLEY_OPT_SECRET, 0, NULL, CFG(refresh_token),
     "OAuth 2 refresh token (offline.access): renews the user token when refused"},
    {"client_id", PARLEY_OPT_STRING, 0, NULL, CFG(client_id),
     "OAuth 2 client id, for refreshing the user token"},
    {"client_secret", PARLEY_OPT_SECRET, 0, NULL, CFG(client_secret),
     "OAuth 2 client secret (confidential clients), for refreshing"},
    {"consumer_secret", PARLEY_OPT_SECRET, 0, NULL, CFG(consumer_secret),
     "app consumer secret: Account Activity CRC and webhook signatures"},
    {"sources", PARLEY_OPT_LIST, 0, NULL, CFG(sources),
     "what to read: mentions, search, stream, dms, webhook (default: mentions)"},
    {"search_queries", PARLEY_OPT_LIST, 0, NULL, CFG(search_queries),
     "recent-search queries (brand name without @, products, competitors)"},
    {"stream_rules", PARLEY_OPT_LIST, 0, NULL, CFG(stream_rules),
     "filtered-stream rules, kept equal to this list on the platform"},
    {"poll_floor", PARLEY_OPT_DURATION, 0, "15s", CFG(poll_floor_ms),
     "shortest time between two polls of one source"},
    {"poll_interval", PARLEY_OPT_DURATION, 0, "60s", CFG(poll_interval_ms),
     "time between polls while no rate-limit window is known"},
    {"max_results", PARLEY_OPT_INT, 0, "100", CFG(max_results),
     "items per page (mentions 5..100, search 10..100, DMs 1..100; clamped)"},
    {"include_raw", PARLEY_OPT_BOOL, 0, "false", CFG(include_raw),
     "carry the platform payload in each event's raw field"},
    {"stream_timeout", PARLEY_OPT_DURATION, 0, "30s", CFG(stream_timeout_ms),
     "reconnect the stream after this long without data or keep-alive (20 s period)"},
    {NULL, 0, 0, NULL, 0, NULL},
};

static int has_source(const parley_twitter_config_t *c, const char *name) {
  if (c->sources.count == 0)
    return strcmp(name, "mentions") == 0;
  for (size_t i = 0; i < c->sources.count; i++)
    if (strcmp(c->sources.items[i], name) == 0)
      return 1;
  return 0;
}

static int set(const char *s) { return s && *s; }

/* Options that depend on each other; err names the option. */
static int check_config(const parley_twitter_config_t *c, parley_error_t *err) {
  static const char *const known[] = {"mentions", "search", "stream", "dms", "webhook"};
  for (size_t i = 0; i < c->sources.count; i++) {
    size_t k = 0;
    while (k < 5 && strcmp(c->sources.items[i], known[k]) != 0)
      k++;
    if (k == 5)
      return parley_error_set(err, PARLEY_ECONFIG,
                              "twitter: sources[%zu]: unknown source '%s' (mentions, search, "
                              "stream, dms, webhook)", i, c->sources.items[i]);
  }
  if (!parley_sdk_id_valid(c->account_id))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: account_id: '%s' is not a numeric user id", c->account_id);
  if (has_source(c, "mentions") && !set(c->user_access_token) && !set(c->bearer_token))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: source 'mentions' needs user_access_token or bearer_token");
  if ((has_source(c, "search") || has_source(c, "stream")) && !set(c->bearer_token))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: sources 'search' and 'stream' need bearer_token (app-only)");
  if (has_source(c, "search") && c->search_queries.count == 0)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: source 'search' needs at least one search_queries entry");
  if (has_source(c, "stream") && c->stream_rules.count == 0)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: source 'stream' needs at least one stream_rules entry");
  if (has_source(c, "dms") && !set(c->user_access_token))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: source 'dms' needs user_access_token (user context)");
  if (has_source(c, "webhook") && !set(c->consumer_secret))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "twitter: source 'webhook' needs consumer_secret (CRC and signatures)");
  if (c->max_results < 1)
    return parley_error_set(err, PARLEY_ECONFIG, "twitter: max_results: must be at least 1");
  return 0;
}

/* Mark an event built from input that needed repair (a webhook or stream
 * line being mapped now, or the API response whose callback runs now). */
static void mark_repaired(parley_event_t *ev, size_t n) {
  if (n > 0)
    parley_event_set_repaired(ev, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

void parley_twitter_mark(parley_twitter_t *tw, parley_event_t *ev) {
  mark_repaired(ev, tw->repaired + parley_sdk_http_repaired(tw->app) +
                        parley_sdk_http_repaired(tw->user));
}

void parley_twitter_emit(parley_twitter_t *tw, parley_event_t *ev) {
  parley_twitter_mark(tw, ev);
  parley_twitter_emit_marked(tw, ev);
}

void parley_twitter_emit_marked(parley_twitter_t *tw, parley_event_t *ev) {
  int rc = tw->host->emit(tw->inst, ev);
  tw->host->counter_add(tw->inst, rc == PARLEY_EINVAL ? "twitter_events_refused_total"
                                                      : "twitter_events_emitted_total", 1);
}

void parley_twitter_map_ctx(parley_twitter_t *tw, const char *matched,
                            parley_twitter_map_ctx_t *ctx) {
  const parley_twitter_config_t *c = tw->cfg;
  ctx->account_id = c->account_id;
  ctx->account_handle = c->account_handle;
  ctx->account = set(c->account_handle) ? c->account_handle : c->account_id;
  ctx->matched_query = matched;
  ctx->include_raw = c->include_raw;
}

static int new_client(parley_twitter_t *tw, const char *token, parley_sdk_http_t **out,
                      parley_error_t *err) {
  parley_sdk_http_policy_t pol;
  parley_sdk_http_policy_init(&pol, PARLEY_SDK_TWITTER);
  int rc = parley_sdk_http_new(tw->host, tw->inst, &pol, out, err);
  if (rc == 0 && token)
    rc = parley_sdk_http_set_token(*out, token);
  return rc;
}

static int add_source(parley_twitter_t *tw, parley_twitter_src_kind_t kind, const char *query,
                      parley_error_t *err) {
  parley_twitter_source_t **grown =
      realloc(tw->sources, (tw->nsources + 1) * sizeof *tw->sources);
  if (!grown)
    return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory");
  tw->sources = grown;
  int rc = parley_twitter_source_new(tw, kind, query, &tw->sources[tw->nsources], err);
  if (rc == 0)
    tw->nsources++;
  return rc;
}

static int make_sources(parley_twitter_t *tw, parley_error_t *err) {
  const parley_twitter_config_t *c = tw->cfg;
  int rc = 0;
  if (has_source(c, "mentions"))
    rc = add_source(tw, PARLEY_TWITTER_SRC_MENTIONS, NULL, err);
  for (size_t i = 0; rc == 0 && has_source(c, "search") && i < c->search_queries.count; i++)
    rc = add_source(tw, PARLEY_TWITTER_SRC_SEARCH, c->search_queries.items[i], err);
  if (rc == 0 && has_source(c, "dms"))
    rc = add_source(tw, PARLEY_TWITTER_SRC_DMS, NULL, err);
  if (rc == 0 && has_source(c, "stream"))
    rc = parley_twitter_stream_new(tw, &tw->stream, err);
  tw->want_webhook = has_source(c, "webhook");
  return rc;
}

static void tw_destroy(void *instance);

static int tw_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                     void **instance, parley_error_t *err) {
  const parley_twitter_config_t *c = config;
  int rc = check_config(c, err);
  if (rc)
    return rc;
  parley_twitter_t *tw = calloc(1, sizeof *tw);
  if (!tw)
    return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory");
  tw->host = host;
  tw->inst = inst;
  tw->cfg = c;
  snprintf(tw->base, sizeof tw->base, "%s", c->base_url);
  size_t n = strlen(tw->base);
  while (n > 0 && tw->base[n - 1] == '/')
    tw->base[--n] = '\0';
  const char *user = set(c->user_access_token) ? c->user_access_token : c->bearer_token;
  rc = new_client(tw, c->bearer_token, &tw->app, err);
  if (rc == 0)
    rc = new_client(tw, user, &tw->user, err);
  if (rc == 0)
    rc = make_sources(tw, err);
  if (rc) {
    tw_destroy(tw);
    return rc;
  }
  *instance = tw;
  return 0;
}

static int tw_start(void *instance) {
  parley_twitter_t *tw = instance;
  parley_twitter_auth_load(tw);
  for (size_t i = 0; i < tw->nsources; i++) {
    int rc = parley_twitter_source_start(tw->sources[i]);
    if (rc)
      return rc;
  }
  int rc = tw->stream ? parley_twitter_stream_start(tw->stream) : 0;
  tw->host->log(tw->inst, PARLEY_LOG_INFO, "account %s: %zu polled source(s)%s%s",
                tw->cfg->account_id, tw->nsources, tw->stream ? ", stream" : "",
                tw->want_webhook ? ", webhook" : "");
  return rc;
}

/* One part of stop() is done: the two SDK clients and the stream. */
static void part_closed(parley_twitter_t *tw) {
  if (--tw->closing == 0)
    tw->host->stopped(tw->inst);
}

static void client_closed(void *data) { part_closed(data); }

static void tw_stop(void *instance) {
  parley_twitter_t *tw = instance;
  tw->stopping = 1;
  tw->closing = 3;
  for (size_t i = 0; i < tw->nsources; i++)
    parley_twitter_source_stop(tw->sources[i]);
  if (tw->stream)
    parley_twitter_stream_stop(tw->stream, part_closed);
  else
    tw->closing--;
  parley_sdk_http_t *app = tw->app, *user = tw->user;
  tw->app = tw->user = NULL;
  parley_sdk_http_close(app, client_closed, tw);
  parley_sdk_http_close(user, client_closed, tw);
}

static void tw_destroy(void *instance) {
  parley_twitter_t *tw = instance;
  if (!tw)
    return;
  for (size_t i = 0; i < tw->nsources; i++)
    parley_twitter_source_free(tw->sources[i]);
  free(tw->sources);
  parley_twitter_stream_free(tw->stream);
  /* clients still open when start() failed or was never called */
  if (tw->app)
    parley_sdk_http_close(tw->app, NULL, NULL);
  if (tw->user)
    parley_sdk_http_close(tw->user, NULL, NULL);
  parley_twitter_auth_free(tw);
  free(tw);
}

static const parley_connector_t parley_twitter_connector = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "twitter",
    .version = "0.1.0",
    .platform = PARLEY_TWITTER_PLATFORM,
    .description = "Twitter/X: mentions, search, filtered stream, DMs, Account Activity "
                   "webhooks; public reply, DM, hide",
    .receives = PARLEY_RECV_MENTIONS | PARLEY_RECV_REPLIES | PARLEY_RECV_DIRECT_MESSAGES |
                PARLEY_RECV_KEYWORD_SEARCH | PARLEY_RECV_STREAM | PARLEY_RECV_WEBHOOKS,
    .sends = PARLEY_SEND_REPLY_PUBLIC | PARLEY_SEND_DIRECT_MESSAGE | PARLEY_SEND_HIDE,
    .options = options,
    .config_size = sizeof(parley_twitter_config_t),
    .create = tw_create,
    .start = tw_start,
    .stop = tw_stop,
    .destroy = tw_destroy,
    .webhook = parley_twitter_webhook,
    .action = parley_twitter_action,
};

PARLEY_CONNECTOR_EXPORT(parley_twitter_connector)
