/* meta — the instance both connectors run: create checks the options,
 * start arms the back-fill, stop cancels every Graph call and reports
 * stopped() once the SDK client has closed; health follows the token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "parley/sdk/paging.h"

static int set(const char *s) { return s && *s; }

/* Graph ids are digits (pages, IG users); refuse anything else early so a
 * typo shows at startup, naming the option and the position. */
static int check_accounts(const parley_meta_platform_t *plat, const parley_meta_config_t *c,
                          parley_error_t *err) {
  if (c->accounts.count == 0)
    return parley_error_set(err, PARLEY_ECONFIG, "%s: %s: list at least one id", plat->name,
                            plat->list_option);
  for (size_t i = 0; i < c->accounts.count; i++)
    if (!parley_sdk_id_valid(c->accounts.items[i]) ||
        strlen(c->accounts.items[i]) >= PARLEY_META_ID_MAX)
      return parley_error_set(err, PARLEY_ECONFIG, "%s: %s[%zu]: '%s' is not a numeric id",
                              plat->name, plat->list_option, i, c->accounts.items[i]);
  return 0;
}

static int check_config(const parley_meta_platform_t *plat, const parley_meta_config_t *c,
                        parley_error_t *err) {
  int rc = check_accounts(plat, c, err);
  if (rc)
    return rc;
  if (!set(c->app_secret))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "%s: app_secret: required (webhook signatures, appsecret_proof)",
                            plat->name);
  if (!set(c->access_token))
    return parley_error_set(err, PARLEY_ECONFIG, "%s: %s: required (Graph API calls)",
                            plat->name, plat->token_option);
  const char *v = c->graph_version;
  if (!v || v[0] != 'v' || !strchr(v, '.') || strspn(v + 1, "0123456789.") != strlen(v + 1))
    return parley_error_set(err, PARLEY_ECONFIG, "%s: graph_version: '%s' is not like v23.0",
                            plat->name, v ? v : "");
  if (strncmp(c->base_url, "http://", 7) != 0 && strncmp(c->base_url, "https://", 8) != 0)
    return parley_error_set(err, PARLEY_ECONFIG, "%s: base_url: '%s' is not an http(s) URL",
                            plat->name, c->base_url);
  if (c->backfill_interval_ms < 1000)
    return parley_error_set(err, PARLEY_ECONFIG, "%s: backfill_interval: at least 1s",
                            plat->name);
  return 0;
}

int parley_meta_is_account(const parley_meta_t *m, const char *id) {
  for (size_t i = 0; id && i < m->cfg->accounts.count; i++)
    if (strcmp(m->cfg->accounts.items[i], id) == 0)
      return 1;
  return 0;
}

void parley_meta_count(parley_meta_t *m, const char *what, uint64_t n) {
  snprintf(m->counter, sizeof m->counter, "%s_%s", m->plat->name, what);
  m->host->counter_add(m->inst, m->counter, n);
}

/* Mark an event built from input that needed repair (a webhook or stream
 * line being mapped now, or the API response whose callback runs now). */
static void mark_repaired(parley_event_t *ev, size_t n) {
  if (n > 0)
    parley_event_set_repaired(ev, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

void parley_meta_mark(parley_meta_t *m, parley_event_t *ev) {
  mark_repaired(ev, m->repaired + parley_sdk_http_repaired(m->http));
}

void parley_meta_emit(parley_meta_t *m, parley_event_t *ev) {
  parley_meta_mark(m, ev);
  parley_meta_emit_marked(m, ev);
}

void parley_meta_emit_marked(parley_meta_t *m, parley_event_t *ev) {
  int rc = m->host->emit(m->inst, ev);
  parley_meta_count(m, rc == PARLEY_EINVAL ? "events_refused_total" : "events_emitted_total", 1);
}

/* The gauge "<platform>_throttled" is 1 while the Graph API throttles us. */
static void set_throttled(parley_meta_t *m, int on) {
  char name[64];
  m->throttled = on;
  snprintf(name, sizeof name, "%s_throttled", m->plat->name);
  m->host->gauge_set(m->inst, name, on);
}

/* Throttling codes (4/17/32/613/8000x) reach us as is_rate_limit from the
 * SDK, which has already blocked further calls until the regain time. */
void parley_meta_call_outcome(parley_meta_t *m, const parley_sdk_http_result_t *r,
                              const char *what) {
  const parley_sdk_error_t *e = r->error;
  char reason[1600];
  if (r->status == 0) {
    if (m->throttled) {
      set_throttled(m, 0);
      m->host->log(m->inst, PARLEY_LOG_INFO, "%s: no longer throttled", what);
    }
    if (m->unhealthy) {
      m->unhealthy = 0;
      m->host->set_health(m->inst, 1, "Graph API calls succeed again");
    }
    return;
  }
  if (e->is_auth && !m->unhealthy) {
    m->unhealthy = 1;
    snprintf(reason, sizeof reason,
             "%s: the Graph API refused %s (error %s%s%s): %s; reconnect the account and set a "
             "new token — webhooks are still accepted", m->plat->name, m->plat->token_option,
             e->platform_code, e->platform_subcode[0] ? "/" : "", e->platform_subcode,
             e->message);
    m->host->set_health(m->inst, 0, reason);
    m->host->log(m->inst, PARLEY_LOG_ERROR, "%s (%s)", reason, what);
    parley_meta_count(m, "token_refused_total", 1);
  } else if (e->is_rate_limit) {
    parley_meta_count(m, "throttled_total", 1);
    if (!m->throttled) {
      set_throttled(m, 1);
      m->host->log(m->inst, PARLEY_LOG_WARN,
                   "%s: throttled by the Graph API (error %s), waiting %lld s before calling again",
                   what, e->platform_code, (long long)(e->retry_after_ms > 0 ? e->retry_after_ms / 1000 : 0));
    }
  }
}

int parley_meta_create(const parley_meta_platform_t *plat, const parley_host_t *host,
                       parley_instance_t *inst, const void *config, void **instance,
                       parley_error_t *err) {
  const parley_meta_config_t *c = config;
  int rc = check_config(plat, c, err);
  if (rc)
    return rc;
  parley_meta_t *m = calloc(1, sizeof *m);
  if (!m)
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", plat->name);
  m->host = host;
  m->inst = inst;
  m->cfg = c;
  m->plat = plat;
  char base[sizeof m->base];
  snprintf(base, sizeof base, "%s", c->base_url);
  size_t n = strlen(base);
  while (n > 0 && base[n - 1] == '/')
    base[--n] = '\0';
  snprintf(m->base, sizeof m->base, "%.400s/%.32s", base, c->graph_version);
  rc = parley_meta_graph_init(m, err);
  if (rc == 0)
    rc = parley_meta_backfill_new(m, err);
  if (rc == 0 && plat->create)
    rc = plat->create(m, err);
  if (rc) {
    parley_meta_destroy(m);
    return rc;
  }
  *instance = m;
  return 0;
}

int parley_meta_start(void *instance) {
  parley_meta_t *m = instance;
  int rc = parley_sdk_poll_start(m->poll);
  m->host->log(m->inst, PARLEY_LOG_INFO, "%zu %s, back-fill every %lld ms, Graph %s",
               m->cfg->accounts.count, m->plat->list_option,
               (long long)m->cfg->backfill_interval_ms, m->cfg->graph_version);
  if (rc == 0 && m->plat->start)
    rc = m->plat->start(m);
  return rc;
}

static void closed(void *data) {
  parley_meta_t *m = data;
  m->host->stopped(m->inst);
}

void parley_meta_stop(void *instance) {
  parley_meta_t *m = instance;
  m->stopping = 1;
  if (m->plat->stop)
    m->plat->stop(m);
  parley_sdk_poll_stop(m->poll);
  parley_sdk_http_t *http = m->http;
  m->http = NULL;
  parley_sdk_http_close(http, closed, m);
}

void parley_meta_destroy(void *instance) {
  parley_meta_t *m = instance;
  if (!m)
    return;
  if (m->plat->destroy)
    m->plat->destroy(m);
  parley_meta_backfill_free(m);
  if (m->http) /* start() failed or never ran */
    parley_sdk_http_close(m->http, NULL, NULL);
  free(m);
}
