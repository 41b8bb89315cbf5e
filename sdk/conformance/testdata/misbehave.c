/* misbehave — connectors that each break one rule of the ABI contract, so
 * the conformance kit's tests can show that each check catches its rule.
 * Built once per flaw with -DMISBEHAVE_<FLAW> and -DMISBEHAVE_NAME=<name>:
 *   NOSTOP     stop() never calls host->stopped()
 *   REEMIT     no checkpoint: every tick emits the same events again
 *   RANDID     event ids change from run to run
 *   LEAKTIMER  stop() forgets a running timer
 *   LEAKMEM    every instance leaks 4 KiB
 * Otherwise it is a correct connector: 5 events, checkpointed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/connector.h"

#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct mb_config {
  const char *account;
} mb_config_t;

typedef struct mb {
  const parley_host_t *host;
  parley_instance_t *inst;
  const mb_config_t *cfg;
  parley_timer_t *tick;
  long next;
  unsigned salt;
} mb_t;

static const parley_option_t mb_options[] = {
    {"account", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, offsetof(mb_config_t, account),
     "brand account"},
    {NULL, 0, 0, NULL, 0, NULL},
};

static void mb_tick(parley_timer_t *t, void *data) {
  mb_t *m = data;
  (void)t;
  for (long n = m->next; n < 5; n++) {
    char id[64];
    snprintf(id, sizeof id, "misbehave:%u-%ld", m->salt, n);
    parley_event_t *ev = parley_event_new();
    parley_event_set_id(ev, id);
    parley_event_set_platform(ev, "misbehave");
    parley_event_set_account(ev, m->cfg->account);
    parley_event_set_kind(ev, PARLEY_KIND_MENTION);
    parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
    parley_event_set_text(ev, "Mijn bestelling is kwijt");
    parley_event_set_created_at(ev, m->host->wall_ms(m->inst));
    m->host->emit(m->inst, ev);
  }
#ifndef MISBEHAVE_REEMIT
  m->next = 5;
  m->host->checkpoint_set(m->inst, "next", "5");
#endif
}

static int mb_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                     void **instance, parley_error_t *err) {
  mb_t *m = calloc(1, sizeof *m);
  if (!m)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  m->host = host;
  m->inst = inst;
  m->cfg = config;
#ifdef MISBEHAVE_LEAKMEM
  static void *volatile sink; /* keeps the compiler from dropping the malloc */
  sink = malloc(4096);
  if (sink)
    memset(sink, 1, 4096);
  sink = NULL;
#endif
  *instance = m;
  return 0;
}

static int mb_start(void *instance) {
  mb_t *m = instance;
  char buf[16];
  if (m->host->checkpoint_get(m->inst, "next", buf, sizeof buf) > 0)
    m->next = strtol(buf, NULL, 10);
#ifdef MISBEHAVE_RANDID
  m->salt = (unsigned)(m->host->now_ms(m->inst) ^ (uintptr_t)m) % 100000u;
#endif
  m->tick = m->host->timer_start(m->inst, 0, 50, mb_tick, m);
  return m->tick ? 0 : PARLEY_ENOMEM;
}

static void mb_stop(void *instance) {
  mb_t *m = instance;
#ifndef MISBEHAVE_LEAKTIMER
  m->host->timer_stop(m->tick);
  m->tick = NULL;
#endif
#ifndef MISBEHAVE_NOSTOP
  m->host->stopped(m->inst);
#endif
}

static void mb_destroy(void *instance) { free(instance); }

static const parley_connector_t mb_connector = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = STR(MISBEHAVE_NAME),
    .version = "0.0.1",
    .platform = "misbehave",
    .description = "a connector that breaks one rule, for the conformance kit's tests",
    .receives = PARLEY_RECV_MENTIONS,
    .options = mb_options,
    .config_size = sizeof(mb_config_t),
    .create = mb_create,
    .start = mb_start,
    .stop = mb_stop,
    .destroy = mb_destroy,
};

PARLEY_CONNECTOR_EXPORT(mb_connector)
