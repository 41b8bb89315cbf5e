/* parley-sim — fault injection rules: which requests of which platform get
 * which fault, how many times. Applied by the framework (sim.c for
 * request-level faults, sim_respond.c for body-level ones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

typedef struct parley_sim_fault_rule {
  char platform[32];
  char *path_prefix;
  parley_sim_fault_t fault;
  unsigned remaining; /* 0 with always set: unlimited */
  int always;
  unsigned applied;
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
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:b,s:I}", "platform", r->platform, "path",
                          r->path_prefix, "fault", parley_sim_fault_name(r->fault.kind),
                          "remaining", (json_int_t)r->remaining, "always", r->always,
                          "applied", (json_int_t)r->applied);
    if (o && r->fault.status) json_object_set_new(o, "status", json_integer(r->fault.status));
    if (o && r->fault.delay_ms) json_object_set_new(o, "delay_ms", json_integer(r->fault.delay_ms));
    json_array_append_new(a, o);
  }
  return a;
}
