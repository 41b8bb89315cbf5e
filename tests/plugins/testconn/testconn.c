/* testconn — a connector that emits a configurable stream of events, takes
 * events by webhook and performs actions, so the router can be tested end
 * to end without a platform. Its numbering is checkpointed with the events,
 * so across restarts (and kill -9) it neither skips nor repeats an id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/connector.h"

typedef struct testconn_config {
  const char *platform;
  const char *account;
  int64_t count;        /* events to emit in all; 0 = none (webhook only) */
  int64_t batch;        /* events per tick */
  int64_t interval_ms;  /* between ticks */
  parley_strlist_t kinds;
  const char *text;
  parley_strlist_t texts;
  int lang;             /* set lang on events */
  const char *token;    /* webhook token (secret) */
  int64_t stop_delay;   /* ms the asynchronous drain takes */
  int careless;         /* log the token: a connector bug the core must mask */
} testconn_config_t;

typedef struct testconn {
  const parley_host_t *host;
  parley_instance_t *inst;
  const testconn_config_t *cfg;
  parley_timer_t *tick, *drain;
  int64_t next;         /* number of the next event */
} testconn_t;

static const parley_option_t options[] = {
    {"platform", PARLEY_OPT_STRING, 0, "test", offsetof(testconn_config_t, platform),
     "platform name used in event ids"},
    {"account", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, offsetof(testconn_config_t, account),
     "brand account that receives the events"},
    {"count", PARLEY_OPT_INT, 0, "0", offsetof(testconn_config_t, count),
     "number of events to emit in all (0: only webhook events)"},
    {"batch", PARLEY_OPT_INT, 0, "100", offsetof(testconn_config_t, batch),
     "events emitted per tick"},
    {"interval", PARLEY_OPT_DURATION, 0, "10ms", offsetof(testconn_config_t, interval_ms),
     "time between ticks"},
    {"kinds", PARLEY_OPT_LIST, 0, NULL, offsetof(testconn_config_t, kinds),
     "event kinds to cycle through (default: mention)"},
    {"text", PARLEY_OPT_STRING, 0, "Hallo @acme, mijn bestelling is niet aangekomen",
     offsetof(testconn_config_t, text), "text of every event"},
    {"texts", PARLEY_OPT_LIST, 0, NULL, offsetof(testconn_config_t, texts),
     "texts to cycle through instead of text (one per event)"},
    {"lang", PARLEY_OPT_BOOL, 0, "true", offsetof(testconn_config_t, lang),
     "set lang (en, de, nl in turn); false leaves it to enrichment"},
    {"token", PARLEY_OPT_SECRET, 0, NULL, offsetof(testconn_config_t, token),
     "token webhook POSTs must send in X-Test-Token"},
    {"stop_delay", PARLEY_OPT_DURATION, 0, "0ms", offsetof(testconn_config_t, stop_delay),
     "how long the asynchronous stop takes"},
    {"careless", PARLEY_OPT_BOOL, 0, "false", offsetof(testconn_config_t, careless),
     "log the token at start (tests that the core masks it)"},
    {NULL, 0, 0, NULL, 0, NULL},
};

static const char *const langs[] = {"en", "de", "nl"};

static parley_event_t *make_event(testconn_t *t, int64_t n) {
  const testconn_config_t *c = t->cfg;
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return NULL;
  char buf[256];
  int64_t now = t->host->wall_ms(t->inst);
  snprintf(buf, sizeof buf, "%s:%s-%lld", c->platform, t->host->instance_name(t->inst), (long long)n);
  parley_event_set_id(ev, buf);
  parley_event_set_platform(ev, c->platform);
  parley_event_set_account(ev, c->account);
  parley_kind_t kind = PARLEY_KIND_MENTION;
  if (c->kinds.count)
    parley_kind_parse(c->kinds.items[n % (int64_t)c->kinds.count], &kind);
  parley_event_set_kind(ev, kind);
  parley_event_set_visibility(ev, kind == PARLEY_KIND_DIRECT_MESSAGE ? PARLEY_VISIBILITY_PRIVATE
                                                                     : PARLEY_VISIBILITY_PUBLIC);
  snprintf(buf, sizeof buf, "conv-%lld", (long long)(n % 10));
  parley_event_set_conversation_id(ev, buf);
  snprintf(buf, sizeof buf, "%lld", (long long)(n % 50));
  parley_event_set_author_id(ev, buf);
  snprintf(buf, sizeof buf, "user%lld", (long long)(n % 50));
  parley_event_set_author_handle(ev, buf);
  parley_event_set_author_followers(ev, (n * 37) % 5000);
  parley_event_set_text(ev, c->texts.count ? c->texts.items[n % (int64_t)c->texts.count] : c->text);
  if (c->lang)
    parley_event_set_lang(ev, langs[n % 3]);
  parley_event_set_created_at(ev, now);
  return ev;
}

static void tick(parley_timer_t *timer, void *data) {
  testconn_t *t = data;
  (void)timer;
  if (t->host->paused(t->inst))
    return;
  for (int64_t i = 0; i < t->cfg->batch && t->next < t->cfg->count; i++) {
    parley_event_t *ev = make_event(t, t->next);
    if (ev)
      t->host->emit(t->inst, ev);
    t->next++;
  }
  char n[32];
  snprintf(n, sizeof n, "%lld", (long long)t->next);
  t->host->checkpoint_set(t->inst, "next", n);
  if (t->next >= t->cfg->count) {
    t->host->timer_stop(t->tick);
    t->tick = NULL;
  }
}

static int tc_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                     void **instance, parley_error_t *err) {
  const testconn_config_t *c = config;
  if (c->batch <= 0)
    return parley_error_set(err, PARLEY_EINVAL, "batch must be positive");
  testconn_t *t = calloc(1, sizeof *t);
  if (!t)
    return PARLEY_ENOMEM;
  t->host = host;
  t->inst = inst;
  t->cfg = c;
  *instance = t;
  return 0;
}

static int tc_start(void *instance) {
  testconn_t *t = instance;
  char buf[32];
  if (t->host->checkpoint_get(t->inst, "next", buf, sizeof buf) > 0)
    t->next = strtoll(buf, NULL, 10);
  if (t->next < t->cfg->count) {
    uint64_t every = t->cfg->interval_ms > 0 ? (uint64_t)t->cfg->interval_ms : 1;
    t->tick = t->host->timer_start(t->inst, 0, every, tick, t);
    if (!t->tick)
      return PARLEY_ENOMEM;
  }
  t->host->log(t->inst, PARLEY_LOG_INFO, "emitting events %lld..%lld", (long long)t->next,
               (long long)t->cfg->count);
  if (t->cfg->careless && t->cfg->token)
    t->host->log(t->inst, PARLEY_LOG_INFO, "careless: my token is %s", t->cfg->token);
  return 0;
}

static void drained(parley_timer_t *timer, void *data) {
  testconn_t *t = data;
  t->host->timer_stop(timer);
  t->drain = NULL;
  t->host->stopped(t->inst);
}

static void tc_stop(void *instance) {
  testconn_t *t = instance;
  if (t->tick)
    t->host->timer_stop(t->tick);
  t->tick = NULL;
  if (t->cfg->stop_delay > 0)
    t->drain = t->host->timer_start(t->inst, (uint64_t)t->cfg->stop_delay, 0, drained, t);
  else
    t->host->stopped(t->inst);
}

static void tc_destroy(void *instance) { free(instance); }

/* POST a JSON array of parley.event.v1 objects (or one object). */
static void tc_webhook(void *instance, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  testconn_t *t = instance;
  const parley_host_t *h = t->host;
  const char *token = h->webhook_header(wh, "x-test-token");
  if (t->cfg->token && (!token || strcmp(token, t->cfg->token) != 0)) {
    h->counter_add(t->inst, "testconn_webhook_forged_total", 1);
    h->log(t->inst, PARLEY_LOG_WARN, "webhook refused: bad X-Test-Token");
    *rep = (parley_webhook_reply_t){.status = 401, .body = "bad token\n", .body_len = 10};
    return;
  }
  if (strcmp(h->webhook_method(wh), "POST") != 0) {
    *rep = (parley_webhook_reply_t){.status = 200, .body = "ok\n", .body_len = 3};
    return;
  }
  size_t len;
  const char *body = h->webhook_body(wh, &len);
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (parley_event_from_json(body, len, &ev, &err) != 0) {
    h->log(t->inst, PARLEY_LOG_WARN, "webhook body refused: %s", err.message);
    *rep = (parley_webhook_reply_t){.status = 400, .body = "bad event\n", .body_len = 10};
    return;
  }
  h->emit(t->inst, ev);
  *rep = (parley_webhook_reply_t){.status = 200, .body = "accepted\n", .body_len = 9};
}

/* Perform an action: there is no platform, so "performing" means emitting
 * the outbound message into the conversation and reporting its id. */
static void tc_action(void *instance, parley_action_req_t *req) {
  testconn_t *t = instance;
  const parley_action_t *a = t->host->action_get(req);
  char id[300];
  snprintf(id, sizeof id, "out-%s", parley_action_idempotency_key(a));
  parley_event_t *ev = parley_event_new();
  char full[320];
  snprintf(full, sizeof full, "%s:%s", t->cfg->platform, id);
  parley_event_set_id(ev, full);
  parley_event_set_platform(ev, t->cfg->platform);
  parley_event_set_account(ev, t->cfg->account);
  parley_event_set_kind(ev, PARLEY_KIND_OUTBOUND);
  parley_event_set_visibility(ev, parley_action_type(a) == PARLEY_ACTION_REPLY_PUBLIC
                                      ? PARLEY_VISIBILITY_PUBLIC
                                      : PARLEY_VISIBILITY_PRIVATE);
  parley_event_set_conversation_id(ev, parley_action_conversation_id(a));
  parley_event_set_in_reply_to(ev, parley_action_target(a));
  parley_event_set_text(ev, parley_action_text(a));
  parley_event_set_created_at(ev, t->host->wall_ms(t->inst));
  t->host->emit(t->inst, ev);
  parley_action_result_t res = {.status = 0, .platform_id = id, .http_status = 200};
  t->host->action_done(req, &res);
}

static const parley_connector_t testconn = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "testconn",
    .version = "1.0.0",
    .platform = "test",
    .description = "test connector: a configurable stream of events, webhook intake, actions",
    .receives = PARLEY_RECV_MENTIONS | PARLEY_RECV_DIRECT_MESSAGES | PARLEY_RECV_WEBHOOKS,
    .sends = PARLEY_SEND_REPLY_PUBLIC | PARLEY_SEND_DIRECT_MESSAGE,
    .options = options,
    .config_size = sizeof(testconn_config_t),
    .create = tc_create,
    .start = tc_start,
    .stop = tc_stop,
    .destroy = tc_destroy,
    .webhook = tc_webhook,
    .action = tc_action,
};

PARLEY_CONNECTOR_EXPORT(testconn)
