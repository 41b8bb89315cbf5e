/* parley-sim — fault injection rules: which requests of which platform get
 * which fault, how many times. Applied by the framework (sim.c for
 * request-level faults, sim_respond.c for body-level ones). Each rule also
 * says how long its answer tells a client to wait (announced_wait_s), so a
 * test can allow for the wait a well-behaved client honours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_internal.h"

typedef struct parley_sim_fault_rule {
  char platform[32];
  char *path_prefix;
  parley_sim_fault_t fault;
  unsigned remaining; /* 0 with always set: unlimited */
  int always;
  unsigned applied;
  uint32_t announced_wait_s; /* what the fault's answer tells a client to wait */
  struct parley_sim_fault_rule *next;
} parley_sim_fault_rule_t;

struct parley_sim_faults {
  parley_sim_fault_rule_t *rules; /* in the order added */
};

static const char *const parley_sim_fault_names[] = {
    [PARLEY_SIM_FAULT_NONE] = "none",
    [PARLEY_SIM_FAULT_STATUS429] = "status429",
    [PARLEY_SIM_FAULT_STATUS5XX] = "status5xx",
    [PARLEY_SIM_FAULT_SLOW] = "slow",
    [PARLEY_SIM_FAULT_TIMEOUT] = "timeout",
    [PARLEY_SIM_FAULT_TRUNCATED] = "truncated",
    [PARLEY_SIM_FAULT_INVALID_UTF8] = "invalid_utf8",
    [PARLEY_SIM_FAULT_DUPLICATE] = "duplicate",
    [PARLEY_SIM_FAULT_OUT_OF_ORDER] = "out_of_order",
    [PARLEY_SIM_FAULT_EXPIRE_TOKEN] = "expire_token",
    [PARLEY_SIM_FAULT_OVERSIZED] = "oversized",
};
#define PARLEY_SIM_NFAULTS (sizeof parley_sim_fault_names / sizeof parley_sim_fault_names[0])

int parley_sim_fault_kind(const char *name) {
  for (size_t i = 1; name && i < PARLEY_SIM_NFAULTS; i++)
    if (!strcmp(parley_sim_fault_names[i], name)) return (int)i;
  return -1;
}

const char *parley_sim_fault_name(parley_sim_fault_kind_t kind) {
  return (size_t)kind < PARLEY_SIM_NFAULTS ? parley_sim_fault_names[kind] : NULL;
}

int parley_sim_faults_new(parley_sim_faults_t **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : PARLEY_ENOMEM;
}

static void parley_sim_rule_free(parley_sim_fault_rule_t *r) {
  free(r->path_prefix);
  free(r);
}

void parley_sim_faults_free(parley_sim_faults_t *f) {
  if (!f) return;
  parley_sim_fault_clear_rules(f);
  free(f);
}

void parley_sim_fault_clear_rules(parley_sim_faults_t *f) {
  while (f->rules) {
    parley_sim_fault_rule_t *r = f->rules;
    f->rules = r->next;
    parley_sim_rule_free(r);
  }
}

void parley_sim_fault_clear(parley_sim_t *sim) { parley_sim_fault_clear_rules(sim->faults); }

static int parley_sim_fault_check(const parley_sim_fault_t *fault, parley_error_t *err) {
  if (fault->kind <= PARLEY_SIM_FAULT_NONE || (size_t)fault->kind >= PARLEY_SIM_NFAULTS)
    return parley_error_set(err, PARLEY_EINVAL, "fault: unknown kind %d", (int)fault->kind);
  if (fault->kind == PARLEY_SIM_FAULT_STATUS5XX && (fault->status < 500 || fault->status > 599))
    return parley_error_set(err, PARLEY_EINVAL, "fault: status5xx needs a status 500..599, got %d",
                            fault->status);
  return 0;
}

/* The status of the error answer a request with this fault gets (sim.c:
 * 429, the 5xx status, 504 after a timeout hold); 0 for faults answered
 * otherwise. */
static int parley_sim_fault_error_status(const parley_sim_fault_t *f) {
  switch (f->kind) {
  case PARLEY_SIM_FAULT_STATUS429: return 429;
  case PARLEY_SIM_FAULT_STATUS5XX: return f->status;
  case PARLEY_SIM_FAULT_TIMEOUT: return 504;
  default: return 0;
  }
}

/* The value of the header line "Name: value" if its name is name (any
 * case), else NULL. */
static const char *parley_sim_header_value(const char *line, const char *name) {
  size_t n = strlen(name);
  if (strncasecmp(line, name, n) || line[n] != ':') return NULL;
  line += n + 1;
  while (*line == ' ' || *line == '\t') line++;
  return line;
}

static uint64_t parley_sim_header_uint(const char *s) {
  char *end = NULL;
  unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
  return end && *end == '\0' ? v : 0;
}

/* Meta's X-Business-Use-Case-Usage {"<object id>": [{...,
 * "estimated_time_to_regain_access": minutes}]}: the longest, in seconds. */
static uint64_t parley_sim_header_regain_s(const char *value) {
  json_t *doc = json_loads(value, 0, NULL), *list, *e;
  const char *key;
  size_t i;
  uint64_t most = 0;
  json_object_foreach(doc, key, list) {
    json_array_foreach(list, i, e) {
      json_int_t m = json_integer_value(json_object_get(e, "estimated_time_to_regain_access"));
      if (m > 0 && (uint64_t)m * 60u > most) most = (uint64_t)m * 60u;
    }
  }
  json_decref(doc);
  return most;
}

/* Seconds one header line tells a client to wait: Retry-After (seconds),
 * x-rate-limit-reset (Twitter: epoch seconds), X-Business-Use-Case-Usage
 * (Meta: minutes); 0 for any other header. */
static uint64_t parley_sim_header_wait_s(const char *line, uint64_t now_s) {
  const char *v;
  if ((v = parley_sim_header_value(line, "Retry-After"))) return parley_sim_header_uint(v);
  if ((v = parley_sim_header_value(line, "x-rate-limit-reset"))) {
    uint64_t at = parley_sim_header_uint(v);
    return at > now_s ? at - now_s : 0;
  }
  if ((v = parley_sim_header_value(line, "X-Business-Use-Case-Usage")))
    return parley_sim_header_regain_s(v);
  return 0;
}

/* What the fault's answer will tell a client to wait, in seconds: the
 * platform's own error answer is rendered once, thrown away, and its
 * headers read the way a client reads them, so whatever a platform
 * announces is reported without the platform saying it twice. The random
 * state is put back: this rehearsal must not change a seeded run. */
static uint32_t parley_sim_fault_announced_wait_s(parley_sim_t *sim, const char *platform,
                                                  const parley_sim_fault_t *f) {
  const parley_sim_platform_t *p = parley_sim_platform(sim, platform);
  int status = parley_sim_fault_error_status(f);
  if (!status || !p || !p->error_body) return 0;
  parley_sim_headers_t h = {0};
  const char *ctype = NULL;
  uint64_t rng = sim->rng, now_s = parley_sim_now_ms() / 1000u, most = 0;
  json_decref(p->error_body(sim, status, &h, &ctype));
  sim->rng = rng;
  for (size_t i = 0; i < h.n; i++) {
    uint64_t w = parley_sim_header_wait_s(h.v[i], now_s);
    if (w > most) most = w;
  }
  parley_sim_headers_free(&h);
  return most > UINT32_MAX ? UINT32_MAX : (uint32_t)most;
}

int parley_sim_fault_add(parley_sim_t *sim, const char *platform, const char *path_prefix,
                         const parley_sim_fault_t *fault, unsigned count, parley_error_t *err) {
  int rc = parley_sim_fault_check(fault, err);
  if (rc != 0) return rc;
  if (!parley_sim_platform(sim, platform))
    return parley_error_set(err, PARLEY_EINVAL, "fault: platform '%s' is not served",
                            platform ? platform : "(missing)");
  parley_sim_fault_rule_t *r = calloc(1, sizeof *r);
  if (!r || !(r->path_prefix = strdup(path_prefix ? path_prefix : ""))) {
    free(r);
    return parley_error_set(err, PARLEY_ENOMEM, "fault: out of memory");
  }
  snprintf(r->platform, sizeof r->platform, "%s", platform);
  r->fault = *fault;
  if (r->fault.kind == PARLEY_SIM_FAULT_STATUS429) r->fault.status = 429;
  r->announced_wait_s = parley_sim_fault_announced_wait_s(sim, platform, &r->fault);
  r->remaining = count;
  r->always = count == 0;
  parley_sim_fault_rule_t **tail = &sim->faults->rules;
  while (*tail) tail = &(*tail)->next;
  *tail = r;
  return 0;
}

int parley_sim_fault_take(parley_sim_t *sim, const char *platform, const char *path,
                          parley_sim_fault_t *out) {
  parley_sim_fault_rule_t **pp = &sim->faults->rules;
  out->kind = PARLEY_SIM_FAULT_NONE;
  while (*pp) {
    parley_sim_fault_rule_t *r = *pp;
    if (!strcmp(r->platform, platform) &&
        !strncmp(path, r->path_prefix, strlen(r->path_prefix))) {
      *out = r->fault;
      r->applied++;
      if (!r->always && --r->remaining == 0) { /* used up: forget it */
        *pp = r->next;
        parley_sim_rule_free(r);
      }
      return 1;
    }
    pp = &r->next;
  }
  return 0;
}

json_t *parley_sim_fault_list(parley_sim_t *sim) {
  json_t *a = json_array();
  for (parley_sim_fault_rule_t *r = sim->faults->rules; a && r; r = r->next) {
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:b,s:I,s:I}", "platform", r->platform, "path",
                          r->path_prefix, "fault", parley_sim_fault_name(r->fault.kind),
                          "remaining", (json_int_t)r->remaining, "always", r->always,
                          "applied", (json_int_t)r->applied, "announced_wait_s",
                          (json_int_t)r->announced_wait_s);
    if (o && r->fault.status) json_object_set_new(o, "status", json_integer(r->fault.status));
    if (o && r->fault.delay_ms) json_object_set_new(o, "delay_ms", json_integer(r->fault.delay_ms));
    json_array_append_new(a, o);
  }
  return a;
}
