/* tiktok — the descriptor, the option table and the instance lifecycle.
 *
 * create() checks what the table cannot (URL scheme, ids, option pairs),
 * start() loads refreshed tokens and arms the back-fill poller, stop()
 * cancels everything in flight and reports stopped() once the SDK client
 * has closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiktok.h"

#define CFG(field) offsetof(parley_tiktok_config_t, field)

static const parley_option_t options[] = {
    {"base_url", PARLEY_OPT_STRING, 0, "https://business-api.tiktok.com", CFG(base_url),
     "API for Business host (the simulator's http://127.0.0.1:PORT/tiktok in tests)"},
    {"api_version", PARLEY_OPT_STRING, 0, "v1.3", CFG(api_version),
     "API version in the path /open_api/<version>/"},
    {"business_id", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, CFG(business_id),
     "the Business Account's open_id (from the token response)"},
    {"account_handle", PARLEY_OPT_STRING, 0, NULL, CFG(account_handle),
     "the account's @username without @: event account label and video links"},
    {"access_token", PARLEY_OPT_SECRET, PARLEY_OPT_REQUIRED, NULL, CFG(access_token),
     "TikTok account holder access token (scopes video.list, comment.list, "
     "comment.list.manage)"},
    {"refresh_token", PARLEY_OPT_SECRET, 0, NULL, CFG(refresh_token),
     "refresh token: renews the access token (24 h) when refused or about to expire"},
    {"client_key", PARLEY_OPT_STRING, 0, NULL, CFG(client_key),
     "the app's client key (app id), for refreshing the token"},
    {"client_secret", PARLEY_OPT_SECRET, 0, NULL, CFG(client_secret),
     "the app's secret: token refresh and TikTok-Signature of webhooks"},
    {"videos", PARLEY_OPT_INT, 0, "20", CFG(videos),
     "how many of the newest videos have their comments polled (1..200)"},
    {"poll_interval", PARLEY_OPT_DURATION, 0, "60s", CFG(poll_interval_ms),
     "time between two back-fill passes"},
    {"poll_floor", PARLEY_OPT_DURATION, 0, "1s", CFG(poll_floor_ms),
     "shortest time between two passes (webhooks ask for an early pass)"},
    {"reply_lookback", PARLEY_OPT_DURATION, 0, "24h", CFG(reply_lookback_ms),
     "top-level comments this much older than the checkpoint still get new replies read"},
    {"webhook_tolerance", PARLEY_OPT_DURATION, 0, "5m", CFG(webhook_tolerance_ms),
     "refuse webhooks whose signed timestamp is further than this from now (replays)"},
    {"rate_limit_backoff", PARLEY_OPT_DURATION, 0, "10s", CFG(rate_limit_backoff_ms),
     "first wait after code 40100 (too many requests), doubling, jittered"},
    {"include_raw", PARLEY_OPT_BOOL, 0, "false", CFG(include_raw),
     "carry the platform payload in each event's raw field"},
    {NULL, 0, 0, NULL, 0, NULL},
};

static int set(const char *s) { return s && *s; }

/* Options that depend on each other; err names the option. */
static int check_config(const parley_tiktok_config_t *c, parley_error_t *err) {
  if (strncmp(c->base_url, "http://", 7) != 0 && strncmp(c->base_url, "https://", 8) != 0)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "tiktok: base_url: '%s' must start with http:// or https://",
                            c->base_url);
  if (!set(c->api_version) || strspn(c->api_version, "v0123456789.") != strlen(c->api_version))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "tiktok: api_version: '%s' is not a version like v1.3",
                            c->api_version ? c->api_version : "");
  if (strlen(c->business_id) >= PARLEY_TIKTOK_ID_MAX * 2 ||
      strcspn(c->business_id, "/?&# \t\r\n") != strlen(c->business_id))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "tiktok: business_id: not an open_id (too long or has /?&# or spaces)");
  if (set(c->refresh_token) && (!set(c->client_key) || !set(c->client_secret)))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "tiktok: refresh_token needs client_key and client_secret "
                            "(tt_user/oauth2/refresh_token/ takes all three)");
  if (c->videos < 1 || c->videos > 200)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "tiktok: videos: %lld is out of range 1..200", (long long)c->videos);
  if (c->poll_interval_ms < 100)
    return parley_error_set(err, PARLEY_ECONFIG, "tiktok: poll_interval: must be at least 100ms");
  return 0;
}

void parley_tiktok_count(parley_tiktok_t *t, const char *name, uint64_t n) {
  char full[96];
  snprintf(full, sizeof full, "tiktok_%s", name);
  t->host->counter_add(t->inst, full, n);
}

/* Mark an event built from input that needed repair (a webhook or stream
 * line being mapped now, or the API response whose callback runs now). */
static void mark_repaired(parley_event_t *ev, size_t n) {
  if (n > 0)
    parley_event_set_repaired(ev, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

void parley_tiktok_mark(parley_tiktok_t *t, parley_event_t *ev) {
  mark_repaired(ev, t->repaired + parley_sdk_http_repaired(t->http));
}

void parley_tiktok_emit(parley_tiktok_t *t, parley_event_t *ev) {
  parley_tiktok_mark(t, ev);
  parley_tiktok_emit_marked(t, ev);
}

void parley_tiktok_emit_marked(parley_tiktok_t *t, parley_event_t *ev) {
  int rc = t->host->emit(t->inst, ev);
  parley_tiktok_count(t, rc == PARLEY_EINVAL ? "events_refused_total" : "events_emitted_total", 1);
}

/* A checkpoint of any length (a video's cursor grows with a burst of
 * comments in one second), malloc'ed; NULL when absent. */
char *parley_tiktok_checkpoint_read(parley_tiktok_t *t, const char *key) {
  for (size_t len = 256; len <= (1u << 22); len *= 4) {
    char *buf = malloc(len);
    if (!buf)
      return NULL;
    int n = t->host->checkpoint_get(t->inst, key, buf, len);
    if (n >= 0)
      return buf;
    free(buf);
    if (n != PARLEY_ENOBUFS)
      return NULL;
  }
  return NULL;
}

void parley_tiktok_wipe_free(char *s) {
  if (!s)
    return;
  volatile char *p = s;
  while (*p)
    *p++ = '\0';
  free(s);
}

static int new_client(parley_tiktok_t *t, parley_error_t *err) {
  parley_sdk_http_policy_t pol;
  parley_sdk_http_policy_init(&pol, PARLEY_SDK_TIKTOK);
  /* 40100 names no wait (§6.1: QPS/QPM windows): back off from a short
   * first wait instead of the SDK's generic 30..60 s */
  pol.retry.rate_limit_fallback_ms = (uint64_t)t->cfg->rate_limit_backoff_ms;
  int rc = parley_sdk_http_new(t->host, t->inst, &pol, &t->http, err);
  if (rc == 0 && parley_sdk_http_set_token(t->http, t->cfg->access_token) != 0)
    rc = parley_error_set(err, PARLEY_ECONFIG,
                          "tiktok: access_token: contains control characters");
  return rc;
}

static void tt_destroy(void *instance);

static int tt_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                     void **instance, parley_error_t *err) {
  const parley_tiktok_config_t *c = config;
  int rc = check_config(c, err);
  if (rc)
    return rc;
  parley_tiktok_t *t = calloc(1, sizeof *t);
  if (!t || !(t->reply_counts = json_object())) {
    free(t);
    return parley_error_set(err, PARLEY_ENOMEM, "tiktok: out of memory");
  }
  t->host = host;
  t->inst = inst;
  t->cfg = c;
  t->account = set(c->account_handle) ? c->account_handle : c->business_id;
  size_t n = strlen(c->base_url);
  while (n > 0 && c->base_url[n - 1] == '/')
    n--;
  snprintf(t->api, sizeof t->api, "%.*s/open_api/%s", (int)n, c->base_url, c->api_version);
  rc = new_client(t, err);
  if (rc == 0)
    rc = parley_tiktok_backfill_new(t, err);
  if (rc) {
    tt_destroy(t);
    return rc;
  }
  *instance = t;
  return 0;
}

static int tt_start(void *instance) {
  parley_tiktok_t *t = instance;
  parley_tiktok_auth_load(t);
  t->host->log(t->inst, PARLEY_LOG_INFO, "business account %s: polling the %lld newest "
               "videos every %lld ms%s", t->account, (long long)t->cfg->videos,
               (long long)t->cfg->poll_interval_ms,
               set(t->cfg->client_secret) ? ", webhooks verified with client_secret" : "");
  return parley_sdk_poll_start(t->poll);
}

static void client_closed(void *data) {
  parley_tiktok_t *t = data;
  t->host->stopped(t->inst);
}

static void tt_stop(void *instance) {
  parley_tiktok_t *t = instance;
  t->stopping = 1;
  parley_sdk_poll_stop(t->poll);
  parley_tiktok_auth_stop(t);
  parley_sdk_http_t *c = t->http;
  t->http = NULL;
  parley_sdk_http_close(c, client_closed, t);
}

static void tt_destroy(void *instance) {
  parley_tiktok_t *t = instance;
  if (!t)
    return;
  parley_tiktok_backfill_free(t);
  parley_tiktok_auth_stop(t);
  if (t->http) /* start() failed or never ran */
    parley_sdk_http_close(t->http, NULL, NULL);
  parley_tiktok_auth_free(t);
  json_decref(t->reply_counts);
  free(t);
}

static const parley_connector_t parley_tiktok_connector = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "tiktok",
    .version = "0.1.0",
    .platform = PARLEY_TIKTOK_PLATFORM,
    .description = "TikTok API for Business: comments and replies on the account's videos "
                   "(polling and comment.update webhooks); reply, hide, unhide",
    .receives = PARLEY_RECV_COMMENTS | PARLEY_RECV_REPLIES | PARLEY_RECV_WEBHOOKS,
    .sends = PARLEY_SEND_REPLY_PUBLIC | PARLEY_SEND_HIDE,
    .options = options,
    .config_size = sizeof(parley_tiktok_config_t),
    .create = tt_create,
    .start = tt_start,
    .stop = tt_stop,
    .destroy = tt_destroy,
    .webhook = parley_tiktok_webhook,
    .action = parley_tiktok_action,
};

PARLEY_CONNECTOR_EXPORT(parley_tiktok_connector)
