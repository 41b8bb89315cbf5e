/* linkedin — the descriptor, the option table and the instance lifecycle.
 *
 * create() checks what the table cannot (the organization URN, the version,
 * the sources and what each needs), start() reads refreshed tokens back and
 * arms the pollers, stop() stops them, cancels every call and reports
 * stopped() once the SDK client has closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkedin.h"
#include "parley/sdk/paging.h"

#define CFG(field) offsetof(parley_linkedin_config_t, field)

static const parley_option_t options[] = {
    {"base_url", PARLEY_OPT_STRING, 0, "https://api.linkedin.com", CFG(base_url),
     "API base URL; calls go to <base_url>/rest/... (the simulator's "
     "http://127.0.0.1:PORT/linkedin in tests)"},
    {"oauth_url", PARLEY_OPT_STRING, 0, "https://www.linkedin.com/oauth/v2", CFG(oauth_url),
     "OAuth 2 endpoint prefix; the token is refreshed at <oauth_url>/accessToken"},
    {"organization", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, CFG(organization),
     "the company page: urn:li:organization:<id> or the numeric id"},
    {"access_token", PARLEY_OPT_SECRET, PARLEY_OPT_REQUIRED, NULL, CFG(access_token),
     "3-legged token of a member who is ADMINISTRATOR of the page (r_organization_social, "
     "w_organization_social, rw_organization_admin)"},
    {"refresh_token", PARLEY_OPT_SECRET, 0, NULL, CFG(refresh_token),
     "programmatic refresh token (approved apps only): renews a refused access token"},
    {"client_id", PARLEY_OPT_STRING, 0, NULL, CFG(client_id), "app client id, for refreshing"},
    {"client_secret", PARLEY_OPT_SECRET, 0, NULL, CFG(client_secret),
     "app client secret: token refresh, webhook X-LI-Signature and challengeCode"},
    {"api_version", PARLEY_OPT_STRING, 0, "202509", CFG(api_version),
     "LinkedIn-Version header (YYYYMM); versions are sunset after about a year"},
    {"sources", PARLEY_OPT_LIST, 0, NULL, CFG(sources),
     "what to read: comments, mentions, webhook (default: comments, mentions)"},
    {"poll_interval", PARLEY_OPT_DURATION, 0, "60s", CFG(poll_interval_ms),
     "time between two polls of a source (LinkedIn's limits are daily)"},
    {"poll_floor", PARLEY_OPT_DURATION, 0, "1s", CFG(poll_floor_ms),
     "shortest time between two polls of a source"},
    {"posts_window", PARLEY_OPT_INT, 0, "10", CFG(posts_window),
     "how many of the organization's newest posts have their comments read (1..100)"},
    {"page_size", PARLEY_OPT_INT, 0, "50", CFG(page_size), "count= of every page (1..100)"},
    {"hide_deletes", PARLEY_OPT_BOOL, 0, "false", CFG(hide_deletes),
     "a hide action deletes the comment (LinkedIn has no hide; irreversible)"},
    {"include_raw", PARLEY_OPT_BOOL, 0, "false", CFG(include_raw),
     "carry the platform payload in each event's raw field"},
    {NULL, 0, 0, NULL, 0, NULL},
};

static int has_source(const parley_linkedin_config_t *c, const char *name) {
  if (c->sources.count == 0)
    return strcmp(name, "comments") == 0 || strcmp(name, "mentions") == 0;
  for (size_t i = 0; i < c->sources.count; i++)
    if (strcmp(c->sources.items[i], name) == 0)
      return 1;
  return 0;
}

static int set(const char *s) { return s && *s; }

static int check_sources(const parley_linkedin_config_t *c, parley_error_t *err) {
  for (size_t i = 0; i < c->sources.count; i++) {
    const char *s = c->sources.items[i];
    if (strcmp(s, "comments") && strcmp(s, "mentions") && strcmp(s, "webhook"))
      return parley_error_set(err, PARLEY_ECONFIG,
                              "linkedin: sources[%zu]: unknown source '%s' (comments, mentions, "
                              "webhook; LinkedIn has no page inbox API, so no DMs)", i, s);
  }
  if (has_source(c, "webhook") && !set(c->client_secret))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "linkedin: source 'webhook' needs client_secret (X-LI-Signature and "
                            "the challengeCode validation)");
  return 0;
}

static int check_version(const char *v, parley_error_t *err) {
  int ok = v && strlen(v) == 6 && strspn(v, "0123456789") == 6;
  int month = ok ? atoi(v + 4) : 0;
  if (!ok || month < 1 || month > 12)
    return parley_error_set(err, PARLEY_ECONFIG, "linkedin: api_version: '%s' is not YYYYMM",
                            v ? v : "");
  return 0;
}

static int check_config(const parley_linkedin_config_t *c, parley_error_t *err) {
  int rc = check_sources(c, err);
  if (rc == 0)
    rc = check_version(c->api_version, err);
  if (rc)
    return rc;
  if (!set(c->access_token))
    return parley_error_set(err, PARLEY_ECONFIG, "linkedin: access_token: must not be empty");
  if (strncmp(c->base_url, "http://", 7) && strncmp(c->base_url, "https://", 8))
    return parley_error_set(err, PARLEY_ECONFIG, "linkedin: base_url: '%s' is not an http(s) URL",
                            c->base_url);
  if (c->posts_window < 1 || c->posts_window > 100)
    return parley_error_set(err, PARLEY_ECONFIG, "linkedin: posts_window: %lld is not in 1..100",
                            (long long)c->posts_window);
  if (c->page_size < 1 || c->page_size > 100)
    return parley_error_set(err, PARLEY_ECONFIG, "linkedin: page_size: %lld is not in 1..100",
                            (long long)c->page_size);
  if (c->poll_interval_ms < 100 || c->poll_floor_ms < 100)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "linkedin: poll_interval and poll_floor: at least 100ms");
  return 0;
}

/* "urn:li:organization:<digits>" from either accepted spelling. */
static int org_urn(const char *v, char *buf, size_t len, parley_error_t *err) {
  const char *prefix = "urn:li:organization:";
  const char *id = strncmp(v, prefix, strlen(prefix)) == 0 ? v + strlen(prefix) : v;
  if (!parley_sdk_id_valid(id) || strlen(id) > 40)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "linkedin: organization: '%s' is neither urn:li:organization:<id> "
                            "nor a numeric id", v);
  snprintf(buf, len, "%s%s", prefix, id);
  return 0;
}

void parley_linkedin_count(parley_linkedin_t *li, const char *what, uint64_t n) {
  char name[96];
  snprintf(name, sizeof name, PARLEY_LINKEDIN_PLATFORM "_%s", what);
  li->host->counter_add(li->inst, name, n);
}

/* Mark an event built from input that needed repair (a webhook or stream
 * line being mapped now, or the API response whose callback runs now). */
static void mark_repaired(parley_event_t *ev, size_t n) {
  if (n > 0)
    parley_event_set_repaired(ev, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

void parley_linkedin_mark(parley_linkedin_t *li, parley_event_t *ev) {
  mark_repaired(ev, li->repaired + parley_sdk_http_repaired(li->http));
}

void parley_linkedin_emit(parley_linkedin_t *li, parley_event_t *ev) {
  parley_linkedin_mark(li, ev);
  parley_linkedin_emit_marked(li, ev);
}

void parley_linkedin_emit_held(parley_event_t *ev, void *li) { parley_linkedin_emit_marked(li, ev); }

void parley_linkedin_emit_marked(parley_linkedin_t *li, parley_event_t *ev) {
  int rc = li->host->emit(li->inst, ev);
  parley_linkedin_count(li, rc == PARLEY_EINVAL ? "events_refused_total" : "events_emitted_total",
                        1);
}

void parley_linkedin_poll_now(parley_linkedin_t *li) {
  if (li->comments)
    parley_sdk_poll_now(parley_linkedin_comments_poll(li->comments));
  if (li->mentions)
    parley_sdk_poll_now(parley_linkedin_mentions_poll(li->mentions));
}

void parley_linkedin_poll_config(const parley_linkedin_t *li, parley_sdk_poll_config_t *pc) {
  *pc = (parley_sdk_poll_config_t){.interval_ms = (uint64_t)li->cfg->poll_interval_ms,
                                   .floor_ms = (uint64_t)li->cfg->poll_floor_ms};
  if (pc->floor_ms > pc->interval_ms)
    pc->floor_ms = pc->interval_ms;
  if (pc->interval_ms > 15 * 60 * 1000)
    pc->ceiling_ms = pc->interval_ms;
}

static void li_destroy(void *instance);

static int make_sources(parley_linkedin_t *li, parley_error_t *err) {
  int rc = 0;
  if (has_source(li->cfg, "comments"))
    rc = parley_linkedin_comments_new(li, &li->comments, err);
  if (rc == 0 && has_source(li->cfg, "mentions"))
    rc = parley_linkedin_mentions_new(li, &li->mentions, err);
  li->want_webhook = has_source(li->cfg, "webhook");
  return rc;
}

static int li_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                     void **instance, parley_error_t *err) {
  const parley_linkedin_config_t *c = config;
  int rc = check_config(c, err);
  if (rc)
    return rc;
  parley_linkedin_t *li = calloc(1, sizeof *li);
  if (!li)
    return parley_error_set(err, PARLEY_ENOMEM, "linkedin: out of memory");
  *li = (parley_linkedin_t){.host = host, .inst = inst, .cfg = c};
  snprintf(li->base, sizeof li->base, "%s", c->base_url);
  for (size_t n = strlen(li->base); n > 0 && li->base[n - 1] == '/';)
    li->base[--n] = '\0';
  rc = org_urn(c->organization, li->org, sizeof li->org, err);
  if (rc == 0 && parley_linkedin_urn_encode(li->org, li->org_enc, sizeof li->org_enc) < 0)
    rc = parley_error_set(err, PARLEY_ECONFIG, "linkedin: organization: too long");
  if (rc == 0)
    rc = parley_linkedin_api_init(li, err);
  if (rc == 0)
    rc = make_sources(li, err);
  if (rc) {
    li_destroy(li);
    return rc;
  }
  *instance = li;
  return 0;
}

static int li_start(void *instance) {
  parley_linkedin_t *li = instance;
  int rc = 0;
  parley_linkedin_auth_load(li);
  if (li->comments)
    rc = parley_sdk_poll_start(parley_linkedin_comments_poll(li->comments));
  if (rc == 0 && li->mentions)
    rc = parley_sdk_poll_start(parley_linkedin_mentions_poll(li->mentions));
  li->host->log(li->inst, PARLEY_LOG_INFO, "%s: %s%s%s, LinkedIn-Version %s", li->org,
                li->comments ? "comments " : "", li->mentions ? "mentions " : "",
                li->want_webhook ? "webhook" : "", li->cfg->api_version);
  return rc;
}

static void closed(void *data) {
  parley_linkedin_t *li = data;
  li->host->stopped(li->inst);
}

static void li_stop(void *instance) {
  parley_linkedin_t *li = instance;
  li->stopping = 1;
  if (li->comments)
    parley_sdk_poll_stop(parley_linkedin_comments_poll(li->comments));
  if (li->mentions)
    parley_sdk_poll_stop(parley_linkedin_mentions_poll(li->mentions));
  parley_sdk_http_t *http = li->http;
  li->http = NULL;
  parley_sdk_http_close(http, closed, li);
}

static void li_destroy(void *instance) {
  parley_linkedin_t *li = instance;
  if (!li)
    return;
  parley_linkedin_comments_free(li->comments);
  parley_linkedin_mentions_free(li->mentions);
  if (li->http) /* start() failed or never ran */
    parley_sdk_http_close(li->http, NULL, NULL);
  parley_linkedin_auth_free(li);
  free(li);
}

static const parley_connector_t parley_linkedin_connector = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "linkedin",
    .version = "0.1.0",
    .platform = PARLEY_LINKEDIN_PLATFORM,
    .description = "LinkedIn company pages: comments and replies on the organization's posts, "
                   "mentions, social-action webhooks; comment and reply as the organization",
    .receives = PARLEY_RECV_MENTIONS | PARLEY_RECV_COMMENTS | PARLEY_RECV_REPLIES |
                PARLEY_RECV_WEBHOOKS | PARLEY_RECV_REACTIONS,
    .sends = PARLEY_SEND_REPLY_PUBLIC | PARLEY_SEND_HIDE,
    .options = options,
    .config_size = sizeof(parley_linkedin_config_t),
    .create = li_create,
    .start = li_start,
    .stop = li_stop,
    .destroy = li_destroy,
    .webhook = parley_linkedin_webhook,
    .action = parley_linkedin_action,
};

PARLEY_CONNECTOR_EXPORT(parley_linkedin_connector)
