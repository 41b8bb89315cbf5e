/* parley-conformance — fault survival, against a simulator speaking the
 * parley-sim control API (docs/simulator.md): for each fault kind, inject
 * it once for the connector's platform (POST /_sim/faults), add a probe item
 * before and another after the faulty request was served (POST /_sim/items)
 * and require both as events: the connector neither crashed nor stopped
 * emitting once the fault cleared. An expired token cannot clear by itself,
 * so there the connector must report itself unhealthy instead.
 *
 * A fault's answer may tell the client to wait (a 429's reset time): a
 * well-behaved connector sits that out, so when the simulator reports the
 * wait it will announce (announced_wait_s in the rule, docs/simulator.md),
 * that phase's window grows by it and the row says so. A simulator that
 * does not report it (an older one, a fake platform) means no extra wait. */
#include <stdio.h>
#include <string.h>

#include "kit.h"

#define PARLEY_KIT_FAULT_WINDOW_MS 40000 /* per phase: a timeout fault takes a while */
#define PARLEY_KIT_MAX_WAIT_S 3600       /* a longer announced wait is not sat out */
#define PARLEY_KIT_SIM_POLL_MS 200

static const char *const fault_kinds[] = {
    "status429", "status5xx",    "slow",      "timeout",      "truncated",
    "invalid_utf8", "duplicate", "out_of_order", "oversized", "expire_token",
};
#define NFAULTS (sizeof fault_kinds / sizeof fault_kinds[0])

typedef enum { PH_WARMUP, PH_INJECT, PH_TAKEN, PH_EVENTS, PH_UNHEALTHY, PH_DONE } phase_t;

typedef struct fault_ctx {
  parley_kit_t *kit;
  const char *platform;
  size_t idx;
  phase_t phase;
  uint64_t since, last_call;
  uint64_t window_ms;   /* this phase: the base window plus the announced wait */
  json_int_t announced; /* seconds the fault's answer tells the client to wait */
  char probe[2][64];
  int probes;
  int failed;         /* an earlier fault row failed */
} fault_ctx_t;

static void row(fault_ctx_t *f, parley_kit_verdict_t v, const char *fmt, const char *detail) {
  char name[64];
  snprintf(name, sizeof name, "fault.%s", fault_kinds[f->idx]);
  parley_kit_row(&f->kit->report, name, v, fmt, detail);
}

static void next_fault(fault_ctx_t *f, uint64_t now) {
  parley_error_t err = {0};
  parley_kit_sim_call(f->kit->sim_url, "DELETE", "/_sim/faults", NULL, NULL, &err);
  f->idx++;
  f->phase = f->idx < NFAULTS ? PH_INJECT : PH_DONE;
  f->since = now;
  f->probes = 0;
  f->window_ms = PARLEY_KIT_FAULT_WINDOW_MS;
  f->announced = 0;
}

/* announced_wait_s of the rule just added (the last one of its kind in the
 * answer's "faults"), 0 when the simulator does not say. */
static json_int_t announced_wait(const json_t *answer, const char *kind) {
  json_t *rule, *wait = NULL;
  size_t i;
  json_array_foreach(json_object_get(answer, "faults"), i, rule) {
    const char *k = json_string_value(json_object_get(rule, "fault"));
    if (k && !strcmp(k, kind))
      wait = json_object_get(rule, "announced_wait_s");
  }
  json_int_t s = json_is_integer(wait) ? json_integer_value(wait) : 0;
  return s < 0 ? 0 : s > PARLEY_KIT_MAX_WAIT_S ? PARLEY_KIT_MAX_WAIT_S : s;
}

/* Add an item to the platform: --probe's fields, then platform, type and a
 * text naming the fault (appended to --probe's text, which may have to
 * mention the brand). Its native id goes to f->probe[f->probes]. */
static int add_probe(fault_ctx_t *f, char *why, size_t whylen) {
  parley_error_t err = {0};
  json_t *body = f->kit->probe_json ? json_loads(f->kit->probe_json, 0, NULL) : json_object();
  if (!json_is_object(body)) {
    json_decref(body);
    snprintf(why, whylen, "--probe is not a JSON object");
    return -1;
  }
  char text[512];
  const char *given = json_string_value(json_object_get(body, "text"));
  snprintf(text, sizeof text, "%s%sconformance probe %d after %s: Hallo, werkt dit nog?",
           given ? given : "", given ? " " : "", f->probes + 1, fault_kinds[f->idx]);
  json_object_set_new(body, "platform", json_string(f->platform));
  if (!json_object_get(body, "type"))
    json_object_set_new(body, "type", json_string(f->kit->probe_type));
  json_object_set_new(body, "text", json_string(text));
  if (!json_object_get(body, "lang"))
    json_object_set_new(body, "lang", json_string("nl"));
  json_t *item = NULL;
  long st = parley_kit_sim_call(f->kit->sim_url, "POST", "/_sim/items", body, &item, &err);
  json_decref(body);
  const char *id = json_string_value(json_object_get(item, "id"));
  if (st != 201 || !id) {
    snprintf(why, whylen, "POST /_sim/items: %s", err.message[0] ? err.message : "no id");
    json_decref(item);
    return -1;
  }
  snprintf(f->probe[f->probes++], sizeof f->probe[0], "%s", id);
  json_decref(item);
  return 0;
}

/* Inject the fault and add the first probe; the phase's window (and the
 * whole run's deadline) grows by the wait the fault will announce. */
static int inject(fault_ctx_t *f, parley_kit_run_t *run, char *why, size_t whylen) {
  parley_error_t err = {0};
  json_t *body = json_pack("{s:s,s:s,s:s,s:i}", "platform", f->platform, "path", "", "fault",
                           fault_kinds[f->idx], "count", 1);
  json_t *answer = NULL;
  long st = parley_kit_sim_call(f->kit->sim_url, "POST", "/_sim/faults", body, &answer, &err);
  json_decref(body);
  f->announced = st == 201 ? announced_wait(answer, fault_kinds[f->idx]) : 0;
  json_decref(answer);
  if (st != 201) {
    snprintf(why, whylen, "%s", err.message[0] ? err.message : "POST /_sim/faults refused");
    return -1;
  }
  f->window_ms = PARLEY_KIT_FAULT_WINDOW_MS + (uint64_t)f->announced * 1000u;
  run->deadline += (uint64_t)f->announced * 1000u;
  return add_probe(f, why, whylen);
}

/* " (window 40 s + the 60 s wait the platform announced)", or "". */
static void window_note(const fault_ctx_t *f, char *buf, size_t len) {
  if (f->announced)
    snprintf(buf, len, " (window %d s + the %lld s wait the platform announced)",
             PARLEY_KIT_FAULT_WINDOW_MS / 1000, (long long)f->announced);
  else
    buf[0] = '\0';
}

/* 1 once no rule of the injected kind is left: a request received it. */
static int fault_taken(fault_ctx_t *f) {
  parley_error_t err = {0};
  json_t *out = NULL, *rule;
  size_t i;
  long st = parley_kit_sim_call(f->kit->sim_url, "GET", "/_sim/faults", NULL, &out, &err);
  int left = st != 200;
  json_array_foreach(json_object_get(out, "faults"), i, rule) {
    const char *k = json_string_value(json_object_get(rule, "fault"));
    if (k && !strcmp(k, fault_kinds[f->idx]))
      left = 1;
  }
  json_decref(out);
  return !left;
}

static int seen_native(const parley_kit_run_t *run, const char *native) {
  size_t n = strlen(native);
  for (size_t i = 0; i < run->n_ids; i++) {
    size_t len = strlen(run->ids[i]);
    if (len > n && run->ids[i][len - n - 1] == ':' && !strcmp(run->ids[i] + len - n, native))
      return 1;
  }
  return 0;
}

static const char *str_or_empty(const json_t *v) {
  const char *s = json_string_value(v);
  return s ? s : "";
}

/* healthy as the router reports it now: 1, 0, or -1 unknown; state too. */
static int health_now(parley_kit_run_t *run, char *reason, size_t len, char *state,
                      size_t slen) {
  json_t *st = parley_kit_run_status_now(run), *c, *list = json_object_get(st, "connectors");
  size_t i;
  int healthy = -1;
  json_array_foreach(list, i, c) {
    if (strcmp(str_or_empty(json_object_get(c, "name")), PARLEY_KIT_INSTANCE))
      continue;
    healthy = json_is_true(json_object_get(c, "healthy"));
    snprintf(reason, len, "%s", str_or_empty(json_object_get(c, "health_reason")));
    snprintf(state, slen, "%s", str_or_empty(json_object_get(c, "state")));
  }
  json_decref(st);
  return healthy;
}

/* The phase's window passed without both probes: a SKIP when the fault
 * was never served, else a FAIL naming the missing probe. */
static void phase_timed_out(fault_ctx_t *f, parley_kit_run_t *run, uint64_t now) {
  char state[32] = "", reason[256] = "", why[300], note[80];
  unsigned secs = (unsigned)(f->window_ms / 1000);
  health_now(run, reason, sizeof reason, state, sizeof state);
  window_note(f, note, sizeof note);
  if (f->probes < 2) {
    snprintf(why, sizeof why, "fault never served: %s in %u s%s%s",
             f->failed ? "no request" : "the connector sent no request", secs,
             f->failed ? " (still backing off from an earlier fault?)" : "", note);
    row(f, PARLEY_KIT_SKIP, "%s", why);
  } else {
    snprintf(why, sizeof why, "no event for probe %s within %u s after the fault (state %s)%s",
             seen_native(run, f->probe[0]) ? f->probe[1] : f->probe[0], secs, state, note);
    row(f, PARLEY_KIT_FAIL, "%s", why);
    f->failed = 1;
  }
  next_fault(f, now);
}

static void phase_events(fault_ctx_t *f, parley_kit_run_t *run, uint64_t now) {
  char why[PARLEY_ERROR_MAX + 64];
  if (f->probes == 1 && fault_taken(f)) {
    if (!strcmp(fault_kinds[f->idx], "expire_token")) {
      f->phase = PH_UNHEALTHY;
      f->since = now;
      return;
    }
    if (add_probe(f, why, sizeof why) != 0) {
      row(f, PARLEY_KIT_FAIL, "%s", why);
      next_fault(f, now);
      return;
    }
  }
  if (f->probes == 2 && seen_native(run, f->probe[0]) && seen_native(run, f->probe[1])) {
    char detail[300], note[80];
    window_note(f, note, sizeof note);
    snprintf(detail, sizeof detail, "served once; probes %s and %s both arrived after it%s",
             f->probe[0], f->probe[1], note);
    row(f, PARLEY_KIT_PASS, "%s", detail);
    next_fault(f, now);
  } else if (now - f->since > f->window_ms) {
    phase_timed_out(f, run, now);
  }
}

static void phase_unhealthy(fault_ctx_t *f, parley_kit_run_t *run, uint64_t now) {
  char state[32] = "", reason[256] = "", detail[400];
  int healthy = health_now(run, reason, sizeof reason, state, sizeof state);
  if (healthy == 0 && !strcmp(state, "running")) {
    snprintf(detail, sizeof detail, "still running, reports unhealthy: %s", reason);
    row(f, PARLEY_KIT_PASS, "%s", detail);
    next_fault(f, now);
  } else if (now - f->since > f->window_ms) {
    snprintf(detail, sizeof detail,
             "token expired but the connector still reports healthy after %u s "
             "(call host->set_health(inst, 0, reason))", (unsigned)(f->window_ms / 1000));
    row(f, PARLEY_KIT_FAIL, "%s", detail);
    next_fault(f, now);
  }
}

static int fault_step(parley_kit_run_t *run, void *data) {
  fault_ctx_t *f = data;
  uint64_t now = uv_now(&run->loop);
  char why[PARLEY_ERROR_MAX + 64];
  if (f->phase != PH_WARMUP && f->phase != PH_DONE && now - f->last_call < PARLEY_KIT_SIM_POLL_MS)
    return 0;
  f->last_call = now;
  switch (f->phase) {
  case PH_WARMUP: /* let the first catch-up finish */
    if (now - run->last_event >= f->kit->quiet_ms) {
      f->phase = PH_INJECT;
      f->since = now;
    }
    return 0;
  case PH_INJECT:
    if (inject(f, run, why, sizeof why) != 0) {
      row(f, PARLEY_KIT_FAIL, "%s", why);
      next_fault(f, now);
    } else {
      f->phase = PH_EVENTS;
      f->since = now;
    }
    return 0;
  case PH_TAKEN:
  case PH_EVENTS:
    phase_events(f, run, now);
    return 0;
  case PH_UNHEALTHY:
    phase_unhealthy(f, run, now);
    return 0;
  case PH_DONE:
    return 1;
  }
  return 1;
}

void parley_kit_check_faults(parley_kit_t *kit) {
  if (!kit->sim_url) {
    parley_kit_row(&kit->report, "fault.*", PARLEY_KIT_SKIP, "no --sim-url given");
    return;
  }
  parley_error_t err = {0};
  long st = parley_kit_sim_call(kit->sim_url, "GET", "/_sim/health", NULL, NULL, &err);
  if (st != 200) {
    parley_kit_row(&kit->report, "fault.*", PARLEY_KIT_FAIL, "simulator not usable: %s",
                   err.message[0] ? err.message : "GET /_sim/health did not answer 200");
    return;
  }
  fault_ctx_t f = {.kit = kit, .platform = kit->plugin->desc->platform, .phase = PH_WARMUP,
                   .window_ms = PARLEY_KIT_FAULT_WINDOW_MS};
  parley_kit_run_t run;
  uint64_t budget = (uint64_t)(NFAULTS * 2 + 1) * PARLEY_KIT_FAULT_WINDOW_MS;
  int rc = parley_kit_run_open(&run, kit, "faults.journal", PARLEY_KIT_OPTS_ALL, &err);
  if (rc == 0)
    rc = parley_kit_run_go(&run, budget, fault_step, &f, &err);
  if (rc)
    parley_kit_row(&kit->report, "fault.*", PARLEY_KIT_FAIL, "%s", err.message);
  else if (f.phase != PH_DONE)
    parley_kit_row(&kit->report, "fault.*", PARLEY_KIT_FAIL, "ran out of time at fault %s",
                   f.idx < NFAULTS ? fault_kinds[f.idx] : "?");
  else if (run.stop_ms > PARLEY_KIT_STOP_DEADLINE_MS)
    parley_kit_row(&kit->report, "fault.stop", PARLEY_KIT_FAIL,
                   "after the faults, stop took %llu ms", (unsigned long long)run.stop_ms);
  if (rc == 0 || run.router)
    parley_kit_run_close(&run);
  parley_kit_sim_call(kit->sim_url, "DELETE", "/_sim/faults", NULL, NULL, &err);
}
