/* parley-sim — the framework: lifecycle, routing of /<platform>/... to the
 * platform modules (with request-level faults), per-platform state. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_week.h"

#define PARLEY_SIM_MAX_PATH 2048

uint64_t parley_sim_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t parley_sim_event_ms(parley_sim_t *sim) {
  return sim && sim->event_ms ? sim->event_ms : parley_sim_now_ms();
}

/* xorshift64*: reproducible from --seed, good enough for fake content. */
uint64_t parley_sim_xorshift(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

uint64_t parley_sim_random(parley_sim_t *sim) { return parley_sim_xorshift(&sim->rng); }

void parley_sim_log(parley_sim_t *sim, const char *fmt, ...) {
  va_list ap;
  (void)sim;
  fputs("parley-sim: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static int parley_sim_index(parley_sim_t *sim, const char *platform) {
  for (size_t i = 0; platform && i < sim->nplatforms; i++)
    if (!strcmp(sim->platforms[i]->name, platform)) return (int)i;
  return -1;
}

const parley_sim_platform_t *parley_sim_platform(parley_sim_t *sim, const char *platform) {
  int i = parley_sim_index(sim, platform);
  return i < 0 ? NULL : sim->platforms[i];
}

void *parley_sim_state(parley_sim_t *sim, const char *platform) {
  int i = parley_sim_index(sim, platform);
  return i < 0 ? NULL : sim->state[i];
}

void parley_sim_set_state(parley_sim_t *sim, const char *platform, void *state) {
  int i = parley_sim_index(sim, platform);
  if (i >= 0) sim->state[i] = state;
}

json_t *parley_sim_scenario_part(parley_sim_t *sim, const char *platform) {
  json_t *p = json_object_get(json_object_get(sim->scenario, "platforms"), platform);
  return json_is_object(p) ? p : NULL;
}

json_t *parley_sim_account(parley_sim_t *sim, const char *platform) {
  json_t *a = json_object_get(parley_sim_scenario_part(sim, platform), "account");
  return json_is_object(a) ? a : NULL;
}

int parley_sim_init(parley_sim_t *sim, uv_loop_t *loop, const parley_sim_config_t *config,
                    const parley_sim_platform_t *const *platforms, size_t n,
                    parley_error_t *err) {
  memset(sim, 0, sizeof *sim);
  if (n > PARLEY_SIM_MAX_PLATFORMS)
    return parley_error_set(err, PARLEY_EINVAL, "parley-sim: %zu platforms, at most %d", n,
                            PARLEY_SIM_MAX_PLATFORMS);
  sim->loop = loop;
  sim->config = *config;
  sim->rng = config->seed * 2654435761u + 0x9E3779B97F4A7C15ULL;
  if (sim->rng == 0) sim->rng = 1;
  for (size_t i = 0; i < n; i++) sim->platforms[i] = platforms[i];
  sim->nplatforms = n;
  sim->internal = calloc(1, sizeof(parley_sim_internal_t));
  if (sim->internal) parley_sim_in(sim)->scheduled = json_array();
  sim->sent = json_array();
  sim->scenario = json_object();
  if (!sim->internal || !sim->sent || !sim->scenario || parley_sim_store_new(&sim->store) ||
      parley_sim_faults_new(&sim->faults) || parley_sim_ratelimit_new(&sim->ratelimit) ||
      parley_sim_tokens_new(&sim->tokens) || parley_sim_webhooks_new(&sim->webhooks))
    return parley_error_set(err, PARLEY_ENOMEM, "parley-sim: out of memory at init");
  return 0;
}

/* ---- request dispatch ---------------------------------------------- */

void parley_sim_reqctx_release(parley_sim_reqctx_t *ctx) {
  parley_sim_internal_t *in = parley_sim_in(ctx->sim);
  if (ctx->timer) parley_sim_timer_stop(ctx->timer);
  if (ctx->prev || in->held == ctx) {
    if (ctx->prev) ctx->prev->next = ctx->next;
    else in->held = ctx->next;
    if (ctx->next) ctx->next->prev = ctx->prev;
  }
  parley_httpd_req_set_data(ctx->req, NULL);
  free(ctx);
}

/* Calls the platform's handler with a copy of the subpath that stays valid
 * for the whole call, even after the handler has answered. */
static void parley_sim_call_handler(parley_sim_reqctx_t *ctx) {
  char sub[PARLEY_SIM_MAX_PATH];
  const char *path = parley_httpd_req_path(ctx->req);
  snprintf(sub, sizeof sub, "%s", path + 1 + strlen(ctx->platform->name));
  ctx->platform->handle(ctx->sim, ctx->req, sub);
}

static void parley_sim_hold(parley_sim_reqctx_t *ctx, uint64_t ms, parley_sim_timer_cb cb) {
  parley_sim_internal_t *in = parley_sim_in(ctx->sim);
  ctx->next = in->held;
  if (in->held) in->held->prev = ctx;
  in->held = ctx;
  ctx->timer = parley_sim_timer_start(ctx->sim, ms, 0, cb, ctx);
}

static void parley_sim_slow_done(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_sim_reqctx_t *ctx = data;
  parley_sim_internal_t *in = parley_sim_in(sim);
  parley_sim_timer_stop(t);
  ctx->timer = NULL;
  if (ctx->prev) ctx->prev->next = ctx->next;
  else in->held = ctx->next;
  if (ctx->next) ctx->next->prev = ctx->prev;
  ctx->prev = ctx->next = NULL;
  parley_sim_call_handler(ctx);
}

static void parley_sim_timeout_done(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_sim_reqctx_t *ctx = data;
  parley_sim_respond_error(sim, ctx->req, ctx->platform->name, 504);
}

static void parley_sim_apply_request_fault(parley_sim_reqctx_t *ctx) {
  parley_sim_t *sim = ctx->sim;
  switch (ctx->fault.kind) {
  case PARLEY_SIM_FAULT_STATUS429:
  case PARLEY_SIM_FAULT_STATUS5XX:
    parley_sim_respond_error(sim, ctx->req, ctx->platform->name, ctx->fault.status);
    return;
  case PARLEY_SIM_FAULT_SLOW:
    parley_sim_hold(ctx, ctx->fault.delay_ms, parley_sim_slow_done);
    return;
  case PARLEY_SIM_FAULT_TIMEOUT:
    parley_sim_hold(ctx, sim->config.timeout_hold_ms, parley_sim_timeout_done);
    return;
  case PARLEY_SIM_FAULT_EXPIRE_TOKEN:
    parley_sim_tokens_expire(sim, ctx->platform->name);
    break;
  default:
    break;
  }
  parley_sim_call_handler(ctx);
}

static void parley_sim_platform_route(parley_httpd_req_t *req, void *data) {
  parley_sim_route_t *route = data;
  parley_sim_t *sim = route->sim;
  const char *path = parley_httpd_req_path(req);
  const char *sub = path + 1 + strlen(route->platform->name);
  if (sim->config.verbose)
    parley_sim_log(sim, "%s %s", parley_httpd_req_method(req), path);
  if ((*sub && *sub != '/') || strlen(path) >= PARLEY_SIM_MAX_PATH) {
    parley_httpd_respond(req, 404, "application/json", "{\"error\":\"no such path\"}", 24,
                         NULL);
    return;
  }
  parley_sim_reqctx_t *ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    parley_httpd_respond(req, 503, "text/plain", "out of memory", 13, NULL);
    return;
  }
  ctx->sim = sim;
  ctx->platform = route->platform;
  ctx->req = req;
  parley_httpd_req_set_data(req, ctx);
  if (parley_sim_fault_take(sim, route->platform->name, sub, &ctx->fault) && sim->config.verbose)
    parley_sim_log(sim, "fault %s on %s", parley_sim_fault_name(ctx->fault.kind), path);
  parley_sim_apply_request_fault(ctx);
}

/* ---- generator ------------------------------------------------------ */

/* For a platform without its own generator: a customer comments on the
 * brand's newest post (every platform here has comments under posts). */
static json_t *parley_sim_generic_item(parley_sim_t *sim, const char *platform) {
  static const char *const texts[][2] = {
      {"en", "Still waiting for my refund, can someone help?"},
      {"de", "Wann wird meine Bestellung endlich geliefert?"},
      {"nl", "Super product, heel blij mee!"},
      {"en", "Love it, best purchase this year."},
      {"de", "Der Support antwortet seit Tagen nicht."},
      {"nl", "Mijn pakket is beschadigd aangekomen."},
  };
  json_t *users = parley_sim_users(sim, platform);
  json_t *post = parley_sim_store_brand_root(sim, platform), *item = NULL;
  if (json_is_true(json_object_get(post, "deleted"))) post = NULL;
  size_t nu = json_array_size(users);
  if (post && nu) {
    json_t *u = json_array_get(users, (size_t)(parley_sim_random(sim) % nu));
    size_t k = (size_t)(parley_sim_random(sim) % (sizeof texts / sizeof texts[0]));
    item = json_pack("{s:s,s:s,s:O,s:O,s:s,s:s,s:b}", "platform", platform, "type", "comment",
                     "parent_id", json_object_get(post, "id"), "author_id",
                     json_object_get(u, "id"), "text", texts[k][1], "lang", texts[k][0],
                     "generated", 1);
  }
  json_decref(users);
  return item;
}

static void parley_sim_generate_one(parley_sim_t *sim) {
  /* Round-robin over the platforms; the first that produces an item wins. */
  for (size_t tries = 0; tries < sim->nplatforms; tries++) {
    const parley_sim_platform_t *p = sim->platforms[sim->gen_count++ % sim->nplatforms];
    json_t *item = p->generate ? p->generate(sim, sim->gen_count)
                               : parley_sim_generic_item(sim, p->name);
    if (!item) continue;
    parley_error_t err = {0};
    if (!parley_sim_item_add(sim, item, &err))
      parley_sim_log(sim, "generator: %s", err.message);
    return;
  }
}

/* Makes as many items as the rate says by now: a timer cannot fire more
 * than once per millisecond, rates above 1000/s need several per tick. */
static void parley_sim_generate_due(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_sim_internal_t *in = parley_sim_in(sim);
  uint64_t elapsed = uv_now(sim->loop) - in->gen_start;
  uint64_t due = (uint64_t)(sim->config.rate * (double)elapsed / 1000.0);
  /* bounded per tick: a rate the machine cannot keep falls behind rather
   * than starving the requests */
  for (unsigned n = 0; in->gen_made < due && n < 200; n++) {
    in->gen_made++;
    parley_sim_generate_one(sim);
  }
}

static void parley_sim_start_generator(parley_sim_t *sim) {
  if (sim->config.rate <= 0) return;
  parley_sim_internal_t *in = parley_sim_in(sim);
  double interval = 1000.0 / sim->config.rate;
  uint64_t ms = interval < 1.0 ? 1 : (uint64_t)interval;
  uv_update_time(sim->loop);
  in->gen_start = uv_now(sim->loop);
  in->gen_timer = parley_sim_timer_start(sim, ms, ms, parley_sim_generate_due, NULL);
}

/* ---- lifecycle ------------------------------------------------------- */

static int parley_sim_init_platforms(parley_sim_t *sim, parley_error_t *err) {
  for (size_t i = 0; i < sim->nplatforms; i++) {
    const parley_sim_platform_t *p = sim->platforms[i];
    int rc = p->init(sim, parley_sim_scenario_part(sim, p->name), err);
    if (rc != 0) return rc;
  }
  return 0;
}

static int parley_sim_listen(parley_sim_t *sim, parley_error_t *err) {
  parley_sim_internal_t *in = parley_sim_in(sim);
  parley_httpd_options_t o = {.listen = sim->config.listen,
                              .max_body = 4u << 20,
                              .max_connections = 1024};
  int rc = parley_httpd_new(&sim->httpd, sim->loop, &o, err);
  if (rc != 0) return rc;
  rc = parley_httpc_new(&sim->httpc, sim->loop, err);
  if (rc != 0) return rc;
  rc = parley_httpd_route(sim->httpd, "/_sim/", parley_sim_control_handle, sim);
  for (size_t i = 0; rc == 0 && i < sim->nplatforms; i++) {
    char prefix[64];
    in->routes[i].sim = sim;
    in->routes[i].platform = sim->platforms[i];
    snprintf(prefix, sizeof prefix, "/%s", sim->platforms[i]->name);
    rc = parley_httpd_route(sim->httpd, prefix, parley_sim_platform_route, &in->routes[i]);
  }
  if (rc != 0)
    return parley_error_set(err, rc, "parley-sim: cannot register routes: %s",
                            parley_strerror(rc));
  return 0;
}

static void parley_sim_announce_targets(parley_sim_t *sim) {
  for (size_t i = 0; i < sim->nplatforms; i++) {
    const char *url = parley_sim_webhook_target(sim, sim->platforms[i]->name);
    if (url && sim->platforms[i]->on_webhook_target)
      sim->platforms[i]->on_webhook_target(sim, url);
  }
}

int parley_sim_start(parley_sim_t *sim, parley_error_t *err) {
  int rc;
  sim->start_ms = parley_sim_now_ms();
  if (sim->config.scenario_path) {
    json_t *s = parley_sim_scenario_load(sim->config.scenario_path, err);
    if (!s) return err ? err->code : PARLEY_EPARSE;
    json_decref(sim->scenario);
    sim->scenario = s;
  }
  if ((rc = parley_sim_listen(sim, err)) != 0) return rc;
  if ((rc = parley_sim_init_platforms(sim, err)) != 0) return rc;
  if ((rc = parley_sim_scenario_apply(sim, err)) != 0) return rc;
  sim->running = 1;
  parley_sim_start_generator(sim);
  parley_sim_announce_targets(sim);
  return 0;
}

int parley_sim_port(parley_sim_t *sim) {
  return sim->httpd ? parley_httpd_port(sim->httpd) : -1;
}

static void parley_sim_finish_stop(parley_sim_t *sim) {
  parley_sim_internal_t *in = parley_sim_in(sim);
  if (in->stop_cb) {
    void (*cb)(void *) = in->stop_cb;
    in->stop_cb = NULL;
    cb(in->stop_data);
  }
}

static void parley_sim_httpc_closed(void *data) {
  parley_sim_t *sim = data;
  parley_sim_timers_close_all(sim, parley_sim_finish_stop);
}

static void parley_sim_httpd_closed(void *data) {
  parley_sim_t *sim = data;
  parley_sim_in(sim)->server_closed = 1;
  if (sim->httpc) parley_httpc_close(sim->httpc, parley_sim_httpc_closed, sim);
  else parley_sim_httpc_closed(sim);
}

void parley_sim_stop(parley_sim_t *sim, void (*cb)(void *data), void *data) {
  parley_sim_internal_t *in = parley_sim_in(sim);
  in->stop_cb = cb;
  in->stop_data = data;
  sim->running = 0;
  parley_sim_webhooks_stopping(sim);
  /* Held requests are answered now: the server is about to go away. */
  while (in->held) {
    parley_sim_reqctx_t *ctx = in->held;
    parley_sim_respond_error(sim, ctx->req, ctx->platform->name, 503);
  }
  in->stopping = 1;
  if (sim->httpd) parley_httpd_close(sim->httpd, parley_sim_httpd_closed, sim);
  else parley_sim_httpd_closed(sim);
}

void parley_sim_free(parley_sim_t *sim) {
  for (size_t i = 0; i < sim->nplatforms; i++)
    if (sim->platforms[i]->free) sim->platforms[i]->free(sim);
  if (sim->httpd) parley_httpd_free(sim->httpd);
  if (sim->httpc) parley_httpc_free(sim->httpc);
  parley_sim_webhooks_free(sim->webhooks);
  parley_sim_tokens_free(sim->tokens);
  parley_sim_ratelimit_free(sim->ratelimit);
  parley_sim_faults_free(sim->faults);
  parley_sim_store_free(sim->store);
  json_decref(sim->scenario);
  json_decref(sim->sent);
  if (sim->internal) json_decref(parley_sim_in(sim)->scheduled);
  if (sim->internal) parley_sim_week_free(sim);
  free(sim->internal);
  memset(sim, 0, sizeof *sim);
}

/* ---- sent record ------------------------------------------------------ */

void parley_sim_record(parley_sim_t *sim, const char *platform, json_t *action) {
  if (!json_is_object(action)) {
    json_decref(action);
    return;
  }
  json_object_set_new(action, "platform", json_string(platform));
  json_object_set_new(action, "recorded_ms", json_integer((json_int_t)parley_sim_now_ms()));
  json_array_append_new(sim->sent, action);
}

/* ---- headers ---------------------------------------------------------- */

void parley_sim_headers_init(parley_sim_headers_t *h) { memset(h, 0, sizeof *h); }

int parley_sim_headers_add(parley_sim_headers_t *h, const char *fmt, ...) {
  if (h->n >= PARLEY_SIM_MAX_HEADERS) return PARLEY_ENOBUFS;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return PARLEY_EINVAL;
  char *s = malloc((size_t)n + 1);
  if (!s) return PARLEY_ENOMEM;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  h->v[h->n++] = s;
  h->v[h->n] = NULL;
  return 0;
}

const char *const *parley_sim_headers_list(const parley_sim_headers_t *h) {
  return (const char *const *)h->v;
}

void parley_sim_headers_free(parley_sim_headers_t *h) {
  for (size_t i = 0; i < h->n; i++) free(h->v[i]);
  memset(h, 0, sizeof *h);
}
