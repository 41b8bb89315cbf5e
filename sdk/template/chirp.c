/* chirp — a complete, minimal parley connector for "chirp", a small
 * (fictional) social network. Copy this folder to start your own connector:
 * README.md walks through it.
 *
 * What it shows, one function each:
 *   - a typed option table the core validates before create() runs;
 *   - polling GET {base_url}/chirp/v1/mentions?since_id=X on the host's
 *     shared loop, never blocking, with the since_id checkpoint staged in the
 *     same commit as the events it produced (exactly-once ingest);
 *   - webhook intake (POST /hooks/<instance>) verified with HMAC-SHA256 in
 *     constant time, answered 2xx by the core only after the commit;
 *   - a reply action (POST {base_url}/chirp/v1/replies);
 *   - an asynchronous stop that cancels what is in flight and then calls
 *     host->stopped() exactly once.
 *
 * Threading: every callback runs on the router's loop thread; nothing here
 * blocks or starts a thread.
 *
 * Memory: the bound config belongs to the core (valid until destroy); the
 * instance struct is ours (create allocates, destroy frees); an event handed
 * to host->emit() belongs to the core from that call on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/connector.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/webhook.h"
#include "parley/time.h"

#define CHIRP_PLATFORM "chirp"
#define CHIRP_ID_MAX 64             /* chirp ids are decimal 64-bit numbers */
#define CHIRP_TIMEOUT_MS 10000      /* one HTTP call */
#define CHIRP_MAX_RESPONSE (1u << 20)
#define CHIRP_SIGNATURE_HEADER "X-Chirp-Signature"

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

/* Filled by the core from the instance's `options:` map, using the table
 * below. Strings are owned by the core and valid until destroy. */
typedef struct chirp_config {
  const char *base_url;     /* "https://api.chirp.example" (no trailing slash needed) */
  const char *token;        /* API token; also the webhook signing key. Secret. */
  const char *account;      /* the brand's chirp handle */
  int64_t poll_interval_ms; /* time between polls */
  int include_raw;          /* carry the platform payload in event.raw */
} chirp_config_t;

static const parley_option_t chirp_options[] = {
    {"base_url", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL,
     offsetof(chirp_config_t, base_url), "chirp API base URL, e.g. https://api.chirp.example"},
    {"token", PARLEY_OPT_SECRET, PARLEY_OPT_REQUIRED, NULL, offsetof(chirp_config_t, token),
     "API token (Bearer), also the key of webhook signatures"},
    {"account", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, offsetof(chirp_config_t, account),
     "the brand account's chirp handle"},
    {"poll_interval", PARLEY_OPT_DURATION, 0, "30s", offsetof(chirp_config_t, poll_interval_ms),
     "time between two polls of the mentions endpoint"},
    {"include_raw", PARLEY_OPT_BOOL, 0, "false", offsetof(chirp_config_t, include_raw),
     "carry chirp's own JSON in the event's raw field"},
    {NULL, 0, 0, NULL, 0, NULL},
};

/* ------------------------------------------------------------------ */
/* Instance                                                             */
/* ------------------------------------------------------------------ */

typedef struct chirp {
  const parley_host_t *host;
  parley_instance_t *inst;
  const chirp_config_t *cfg;
  char base[512];             /* base_url without a trailing '/' */
  char auth[600];             /* "Authorization: Bearer ..." (never logged) */
  char since_id[CHIRP_ID_MAX];
  parley_timer_t *tick;
  parley_http_t *poll;        /* the poll in flight, or NULL */
  unsigned inflight;          /* HTTP calls whose callback has not run yet */
  uint64_t not_before;        /* loop time before which we must not poll (429) */
  int healthy;
  int stopping, stopped;
} chirp_t;

/* A reply in flight: the action request, answered exactly once. */
typedef struct chirp_reply {
  chirp_t *c;
  parley_action_req_t *req;
} chirp_reply_t;

static void chirp_set_health(chirp_t *c, int healthy, const char *reason) {
  if (c->healthy == healthy)
    return;
  c->healthy = healthy;
  c->host->set_health(c->inst, healthy, reason);
}

/* stop() is asynchronous: report stopped once nothing is in flight. */
static void chirp_maybe_stopped(chirp_t *c) {
  if (c->stopping && !c->stopped && c->inflight == 0) {
    c->stopped = 1;
    c->host->stopped(c->inst);
  }
}

/* ------------------------------------------------------------------ */
/* Mapping a chirp item to a unified event                              */
/* ------------------------------------------------------------------ */

/* One item of `data`: {id, text, author:{id,handle,followers}, created_at,
 * conversation_id, lang}. Returns a new event, or NULL (with the reason in
 * why) when the item lacks what an event needs: such items are counted and
 * logged, never silently dropped. */
static parley_event_t *chirp_event_from_item(chirp_t *c, const json_t *item, const char **why) {
  char id[CHIRP_ID_MAX], full[CHIRP_ID_MAX + 16];
  int64_t created = 0;
  if (parley_sdk_json_id(item, "id", id, sizeof id) <= 0 || !parley_sdk_id_valid(id)) {
    *why = "item without a valid id";
    return NULL;
  }
  const char *when = parley_sdk_json_str(item, "created_at", NULL);
  if (!when || parley_time_parse(when, &created) != 0) {
    *why = "item without a valid created_at";
    return NULL;
  }
  parley_event_t *ev = parley_event_new();
  if (!ev) {
    *why = "out of memory";
    return NULL;
  }
  snprintf(full, sizeof full, CHIRP_PLATFORM ":%s", id);
  parley_event_set_id(ev, full);
  parley_event_set_platform(ev, CHIRP_PLATFORM);
  parley_event_set_account(ev, c->cfg->account);
  parley_event_set_kind(ev, PARLEY_KIND_MENTION);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
  parley_event_set_created_at(ev, created);
  parley_event_set_conversation_id(ev, parley_sdk_json_str(item, "conversation_id", id));
  parley_event_set_text(ev, parley_sdk_json_str(item, "text", ""));
  parley_event_set_lang(ev, parley_sdk_json_str(item, "lang", NULL));
  char author[CHIRP_ID_MAX];
  if (parley_sdk_json_id(item, "author.id", author, sizeof author) > 0)
    parley_event_set_author_id(ev, author);
  parley_event_set_author_handle(ev, parley_sdk_json_str(item, "author.handle", NULL));
  parley_event_set_author_followers(ev, parley_sdk_json_int(item, "author.followers", -1));
  if (c->cfg->include_raw) {
    char *raw = json_dumps(item, JSON_COMPACT);
    if (raw)
      parley_event_set_raw(ev, raw, strlen(raw));
    free(raw);
  }
  return ev;
}

/* Emit every item of a {"data":[...]} document; returns the largest id
 * seen in newest (unchanged when none). Duplicates and out-of-order items
 * are fine: the core drops ids it has already committed. */
static size_t chirp_emit_items(chirp_t *c, const json_t *doc, char *newest, size_t newest_len) {
  size_t n = 0, count = 0;
  json_t *data = parley_sdk_json_array(doc, "data", &count);
  for (size_t i = 0; i < count; i++) {
    const json_t *item = json_array_get(data, i);
    const char *why = NULL;
    parley_event_t *ev = chirp_event_from_item(c, item, &why);
    if (!ev) {
      c->host->counter_add(c->inst, "chirp_items_malformed_total", 1);
      c->host->log(c->inst, PARLEY_LOG_WARN, "skipping data[%zu]: %s", i, why);
      continue;
    }
    const char *id = parley_event_id(ev) + sizeof CHIRP_PLATFORM; /* past "chirp:" */
    if (parley_sdk_id_cmp(id, newest) > 0)
      snprintf(newest, newest_len, "%s", id);
    c->host->emit(c->inst, ev); /* the core owns ev from here */
    n++;
  }
  return n;
}

/* ------------------------------------------------------------------ */
/* Polling                                                              */
/* ------------------------------------------------------------------ */

/* Seconds from Retry-After (chirp sends seconds), at least 1. */
static uint64_t chirp_retry_after_ms(chirp_t *c, parley_http_t *req) {
  const char *h = c->host->http_header(req, "retry-after");
  long s = h ? strtol(h, NULL, 10) : 0;
  return (uint64_t)(s > 0 ? s : 1) * 1000u;
}

/* Refusals the connector cannot fix by retrying sooner: log, report health,
 * try again at the next tick (the operator may have rotated the token). */
static void chirp_poll_refused(chirp_t *c, parley_http_t *req, const parley_http_response_t *res) {
  if (res->http_status == 401 || res->http_status == 403) {
    /* said once when it happens, not at every poll until it is fixed */
    c->host->log(c->inst, c->healthy ? PARLEY_LOG_ERROR : PARLEY_LOG_DEBUG,
                 "mentions: HTTP %ld, token refused or expired", res->http_status);
    chirp_set_health(c, 0, "chirp refused the token (HTTP 401/403)");
  } else if (res->http_status == 429) {
    c->not_before = c->host->now_ms(c->inst) + chirp_retry_after_ms(c, req);
    c->host->log(c->inst, PARLEY_LOG_WARN, "mentions: rate limited, waiting %llu ms",
                 (unsigned long long)(c->not_before - c->host->now_ms(c->inst)));
  } else if (res->status != 0) {
    c->host->log(c->inst, PARLEY_LOG_WARN, "mentions: %s (%s)", parley_strerror(res->status),
                 res->error ? res->error : "no detail");
  } else {
    c->host->log(c->inst, PARLEY_LOG_WARN, "mentions: HTTP %ld", res->http_status);
  }
  c->host->counter_add(c->inst, "chirp_poll_errors_total", 1);
}

static void chirp_poll_done(parley_http_t *req, const parley_http_response_t *res, void *data) {
  chirp_t *c = data;
  c->poll = NULL;
  c->inflight--;
  if (res->status == PARLEY_ECANCELED) {
    chirp_maybe_stopped(c);
    return;
  }
  if (res->status != 0 || res->http_status != 200) {
    chirp_poll_refused(c, req, res);
    chirp_maybe_stopped(c);
    return;
  }
  parley_error_t err = {0};
  json_t *doc = parley_sdk_json_parse(res->body, res->body_len, "mentions response", &err);
  if (!doc) {
    /* Truncated or not UTF-8: keep since_id, the next poll asks again. */
    c->host->log(c->inst, PARLEY_LOG_WARN, "%s", err.message);
    c->host->counter_add(c->inst, "chirp_poll_errors_total", 1);
    chirp_maybe_stopped(c);
    return;
  }
  char newest[CHIRP_ID_MAX];
  snprintf(newest, sizeof newest, "%s", c->since_id);
  size_t n = chirp_emit_items(c, doc, newest, sizeof newest);
  const char *meta = parley_sdk_json_str(doc, "meta.newest_id", NULL);
  if (meta && parley_sdk_id_valid(meta) && parley_sdk_id_cmp(meta, newest) > 0 &&
      strlen(meta) < sizeof newest)
    snprintf(newest, sizeof newest, "%s", meta);
  json_decref(doc);
  /* Staged now, committed with the events above in one transaction. */
  if (parley_sdk_id_cmp(newest, c->since_id) > 0) {
    snprintf(c->since_id, sizeof c->since_id, "%s", newest);
    c->host->checkpoint_set(c->inst, "since_id", c->since_id);
  }
  c->host->counter_add(c->inst, "chirp_polls_total", 1);
  if (n)
    c->host->log(c->inst, PARLEY_LOG_DEBUG, "%zu new mentions, since_id %s", n, c->since_id);
  chirp_set_health(c, 1, NULL);
  chirp_maybe_stopped(c);
}

static void chirp_poll(parley_timer_t *timer, void *data) {
  chirp_t *c = data;
  (void)timer;
  if (c->stopping || c->poll || c->host->paused(c->inst) ||
      c->host->now_ms(c->inst) < c->not_before)
    return;
  char url[700];
  if (c->since_id[0])
    snprintf(url, sizeof url, "%s/chirp/v1/mentions?since_id=%s", c->base, c->since_id);
  else
    snprintf(url, sizeof url, "%s/chirp/v1/mentions", c->base);
  const char *headers[] = {c->auth, "Accept: application/json", NULL};
  parley_http_request_t rq = {.method = "GET", .url = url, .headers = headers,
                              .timeout_ms = CHIRP_TIMEOUT_MS,
                              .max_response = CHIRP_MAX_RESPONSE};
  int rc = c->host->http_request(c->inst, &rq, chirp_poll_done, c, &c->poll);
  if (rc != 0) {
    c->poll = NULL;
    c->host->log(c->inst, PARLEY_LOG_WARN, "mentions: cannot send: %s", parley_strerror(rc));
    return;
  }
  c->inflight++;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                            */
/* ------------------------------------------------------------------ */

/* Validate what the option table cannot express; no I/O yet. */
static int chirp_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                        void **instance, parley_error_t *err) {
  const chirp_config_t *cfg = config;
  if (strncmp(cfg->base_url, "http://", 7) != 0 && strncmp(cfg->base_url, "https://", 8) != 0)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "base_url: must start with http:// or https://");
  size_t blen = strlen(cfg->base_url);
  while (blen > 0 && cfg->base_url[blen - 1] == '/')
    blen--;
  chirp_t *c = calloc(1, sizeof *c);
  if (!c)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  if (blen >= sizeof c->base || strlen(cfg->token) + 24 >= sizeof c->auth) {
    free(c);
    return parley_error_set(err, PARLEY_ECONFIG, "base_url or token: too long");
  }
  if (cfg->poll_interval_ms < 100) {
    free(c);
    return parley_error_set(err, PARLEY_ECONFIG, "poll_interval: must be at least 100ms");
  }
  c->host = host;
  c->inst = inst;
  c->cfg = cfg;
  c->healthy = 1;
  memcpy(c->base, cfg->base_url, blen);
  snprintf(c->auth, sizeof c->auth, "Authorization: Bearer %s", cfg->token);
  *instance = c;
  return 0;
}

/* Resume from the committed since_id, then poll now and every interval. */
static int chirp_start(void *instance) {
  chirp_t *c = instance;
  int n = c->host->checkpoint_get(c->inst, "since_id", c->since_id, sizeof c->since_id);
  if (n < 0 && n != PARLEY_ENOENT)
    return n;
  if (n < 0)
    c->since_id[0] = '\0';
  c->tick = c->host->timer_start(c->inst, 0, (uint64_t)c->cfg->poll_interval_ms, chirp_poll, c);
  if (!c->tick)
    return PARLEY_ENOMEM;
  c->host->log(c->inst, PARLEY_LOG_INFO, "polling %s every %lld ms from since_id '%s'", c->base,
               (long long)c->cfg->poll_interval_ms, c->since_id);
  return 0;
}

/* Stop the timer, cancel the poll (its callback still runs, with
 * PARLEY_ECANCELED); replies in flight finish on their own. */
static void chirp_stop(void *instance) {
  chirp_t *c = instance;
  c->stopping = 1;
  if (c->tick)
    c->host->timer_stop(c->tick);
  c->tick = NULL;
  if (c->poll)
    c->host->http_cancel(c->poll);
  chirp_maybe_stopped(c);
}

static void chirp_destroy(void *instance) { free(instance); }

/* ------------------------------------------------------------------ */
/* Webhooks                                                             */
/* ------------------------------------------------------------------ */

#define CHIRP_REPLY(rep, st, text) \
  (*(rep) = (parley_webhook_reply_t){.status = (st), .body = (text), .body_len = strlen(text)})

/* POST /hooks/<instance> with {"data":[items]} and X-Chirp-Signature:
 * sha256=<hex HMAC-SHA256(token, raw body)>. The 200 is sent by the core
 * only once the emitted events are committed (503 if they cannot be). */
static void chirp_webhook(void *instance, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  chirp_t *c = instance;
  const parley_host_t *h = c->host;
  if (strcmp(h->webhook_method(wh), "POST") != 0) {
    CHIRP_REPLY(rep, 405, "POST only\n");
    return;
  }
  size_t len = 0;
  const char *body = h->webhook_body(wh, &len);
  const char *sig = h->webhook_header(wh, CHIRP_SIGNATURE_HEADER);
  parley_error_t err = {0};
  if (!sig || strncmp(sig, "sha256=", 7) != 0 ||
      parley_sdk_webhook_verify_hex(c->cfg->token, body, len, sig + 7, CHIRP_SIGNATURE_HEADER,
                                    &err) != 0) {
    h->counter_add(c->inst, "chirp_webhooks_forged_total", 1);
    h->log(c->inst, PARLEY_LOG_WARN, "webhook refused: %s",
           err.message[0] ? err.message : "X-Chirp-Signature missing or not sha256=<hex>");
    CHIRP_REPLY(rep, 401, "bad signature\n");
    return;
  }
  json_t *doc = parley_sdk_json_parse(body, len, "webhook body", &err);
  if (!doc) {
    h->log(c->inst, PARLEY_LOG_WARN, "%s", err.message);
    CHIRP_REPLY(rep, 400, "malformed JSON\n");
    return;
  }
  char newest[CHIRP_ID_MAX] = "";
  chirp_emit_items(c, doc, newest, sizeof newest);
  json_decref(doc);
  h->counter_add(c->inst, "chirp_webhooks_total", 1);
  CHIRP_REPLY(rep, 200, "ok\n");
}

/* ------------------------------------------------------------------ */
/* Actions                                                              */
/* ------------------------------------------------------------------ */

static void chirp_action_fail(chirp_t *c, parley_action_req_t *req, int status, int http,
                              const char *message) {
  parley_action_result_t res = {.status = status, .http_status = http, .message = message};
  c->host->action_done(req, &res);
}

static void chirp_reply_done(parley_http_t *hreq, const parley_http_response_t *res, void *data) {
  chirp_reply_t *r = data;
  chirp_t *c = r->c;
  (void)hreq;
  c->inflight--;
  if (res->status != 0) {
    chirp_action_fail(c, r->req, res->status, 0, res->error ? res->error : "transport failure");
  } else if (res->http_status / 100 != 2) {
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    char msg[256];
    snprintf(msg, sizeof msg, "chirp answered HTTP %ld: %s", res->http_status,
             parley_sdk_json_str(doc, "error.message", "no detail"));
    parley_action_result_t out = {.status = PARLEY_EPLATFORM, .http_status = (int)res->http_status,
                                  .error_code = parley_sdk_json_str(doc, "error.code", NULL),
                                  .message = msg};
    if (res->http_status == 401 || res->http_status == 403)
      out.status = PARLEY_EAUTH;
    else if (res->http_status == 429)
      out.status = PARLEY_ERATELIMIT;
    c->host->action_done(r->req, &out);
    json_decref(doc);
  } else {
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    char id[CHIRP_ID_MAX] = "";
    parley_sdk_json_id(doc, "data.id", id, sizeof id);
    parley_action_result_t out = {.status = 0, .http_status = (int)res->http_status,
                                  .platform_id = id[0] ? id : NULL};
    c->host->action_done(r->req, &out);
    json_decref(doc);
  }
  free(r);
  chirp_maybe_stopped(c);
}

/* reply_public: POST {base_url}/chirp/v1/replies {"in_reply_to", "text"}
 * with the action's idempotency key, so chirp can refuse a double post if
 * the core ever retries after a crash. */
static void chirp_action(void *instance, parley_action_req_t *req) {
  chirp_t *c = instance;
  const parley_action_t *a = c->host->action_get(req);
  if (c->stopping) {
    chirp_action_fail(c, req, PARLEY_ESTATE, 0, "connector is stopping");
    return;
  }
  if (parley_action_type(a) != PARLEY_ACTION_REPLY_PUBLIC) {
    chirp_action_fail(c, req, PARLEY_ENOTSUP, 0, "chirp only supports reply_public");
    return;
  }
  const char *target = parley_action_target(a);
  if (!target || strncmp(target, CHIRP_PLATFORM ":", sizeof CHIRP_PLATFORM) != 0) {
    chirp_action_fail(c, req, PARLEY_EINVAL, 0, "in_reply_to must be a chirp: event id");
    return;
  }
  json_t *body = json_pack("{s:s,s:s,s:s}", "in_reply_to", target + sizeof CHIRP_PLATFORM,
                           "text", parley_action_text(a) ? parley_action_text(a) : "",
                           "idempotency_key", parley_action_idempotency_key(a));
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  chirp_reply_t *r = text ? calloc(1, sizeof *r) : NULL;
  if (!r) {
    free(text);
    chirp_action_fail(c, req, PARLEY_ENOMEM, 0, "out of memory");
    return;
  }
  *r = (chirp_reply_t){.c = c, .req = req};
  char url[600];
  snprintf(url, sizeof url, "%s/chirp/v1/replies", c->base);
  const char *headers[] = {c->auth, "Content-Type: application/json", NULL};
  parley_http_request_t rq = {.method = "POST", .url = url, .headers = headers, .body = text,
                              .body_len = strlen(text), .timeout_ms = CHIRP_TIMEOUT_MS};
  int rc = c->host->http_request(c->inst, &rq, chirp_reply_done, r, NULL);
  free(text); /* http_request copied it */
  if (rc != 0) {
    free(r);
    chirp_action_fail(c, req, rc, 0, "cannot send the reply");
    return;
  }
  c->inflight++;
}

/* ------------------------------------------------------------------ */
/* The descriptor                                                       */
/* ------------------------------------------------------------------ */

static const parley_connector_t chirp_connector = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "chirp",
    .version = "0.1.0",
    .platform = CHIRP_PLATFORM,
    .description = "chirp (template connector): mentions by polling and webhooks, public replies",
    .receives = PARLEY_RECV_MENTIONS | PARLEY_RECV_WEBHOOKS,
    .sends = PARLEY_SEND_REPLY_PUBLIC,
    .options = chirp_options,
    .config_size = sizeof(chirp_config_t),
    .create = chirp_create,
    .start = chirp_start,
    .stop = chirp_stop,
    .destroy = chirp_destroy,
    .webhook = chirp_webhook,
    .action = chirp_action,
};

PARLEY_CONNECTOR_EXPORT(chirp_connector)
